"""Training monotony and strain (Foster 1998; docs/method.md §5): the weekly
table; the flag is :mod:`runload.rules.monotony`. Evidence: weak.

Per complete ISO week, daily running distances ``d1..d7`` with zeros:
``m = Σd/7``; ``SD`` = population SD (``ddof = 0``, as Runalyze ``Monotony.php``;
``ddof = 1`` would scale monotony by √(6/7) = 0.9258); ``monotony = m/SD``;
``strain = Σd × monotony`` [m]. An all-zero week has monotony None and strain 0;
SD = 0 with m > 0 reports the cap (10.0, Runalyze), which also bounds every
other value. Strain has no absolute threshold: Foster found individual ones,
so compare it with the athlete's own history. Monotony was built for
session-RPE; on distance it also flags even, easy running with one rest day.
A week touching a user-declared gap is not evaluated (status ``data_gap``, C3).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from runload.config import Config

if TYPE_CHECKING:
    import pandas as pd


def monotony_of(days_m, cfg: Config) -> tuple[float | None, float, str]:
    """``(monotony | None, strain, status)`` of one week's seven daily loads."""
    t = monotony_table_from_matrix(np.asarray([days_m], dtype=float), cfg)
    mono = t["monotony"][0]
    return (None if np.isnan(mono) else float(mono)), float(t["strain"][0]), str(t["status"][0])


def monotony_table_from_matrix(weeks: np.ndarray, cfg: Config) -> dict[str, np.ndarray]:
    """Monotony for each row of a ``(k, 7)`` matrix of daily loads."""
    weeks = np.asarray(weeks, dtype=float).reshape(-1, 7)
    total = weeks.sum(axis=1)
    mean = total / 7.0
    sd = weeks.std(axis=1, ddof=cfg.monotony_ddof)
    cap = cfg.monotony_cap
    zero = total <= 0
    with np.errstate(divide="ignore", invalid="ignore"):
        raw = np.where(sd > 0, mean / np.where(sd > 0, sd, 1.0), cap)
    capped = ~zero & (raw >= cap)
    mono = np.where(zero, np.nan, np.minimum(raw, cap))
    strain = np.where(zero, 0.0, total * np.nan_to_num(mono))
    status = np.where(zero, "undefined", "ok").astype(object)
    return {"total": total, "mean": mean, "sd": sd, "monotony": mono, "strain": strain, "capped": capped,
            "status": status}


def monotony_table(ctx, cfg: Config) -> pd.DataFrame:
    """Per ISO week of the log: ``iso_week``, ``complete``, ``distance_m``, ``mean_m``,
    ``sd_m``, ``monotony`` (NaN for all-zero or incomplete weeks), ``capped``,
    ``strain_m``, ``status`` (ok | undefined (all-zero week) | insufficient_history
    (incomplete week) | data_gap (a complete week holding a declared gap day, not
    evaluated)) and ``flagged`` (monotony > ``monotony_flag_above``)."""
    import pandas as pd

    daily = ctx.daily
    if daily.empty:
        cols = ["iso_week", "complete", "distance_m", "mean_m", "sd_m", "monotony", "capped", "strain_m", "status",
                "flagged"]
        return pd.DataFrame({c: [] for c in cols}, index=pd.DatetimeIndex([], name="week_start"))
    loads = ctx.daily_int_m
    starts, mondays = ctx.week_bounds
    complete_all = ctx.weekly["complete"].to_numpy(bool)
    k = len(starts)
    cols = {name: np.full(k, np.nan) for name in ("distance_m", "mean_m", "sd_m", "monotony", "strain_m")}
    capped = np.zeros(k, dtype=bool)
    status = np.full(k, "insufficient_history", dtype=object)
    complete = complete_all
    if ctx.has_gaps:
        status[complete_all & ctx.week_gap] = "data_gap"
        complete = complete_all & ~ctx.week_gap
    if complete.any():
        pos = starts[complete][:, None] + np.arange(7)[None, :]
        t = monotony_table_from_matrix(loads[pos], cfg)
        cols["distance_m"][complete] = t["total"]
        cols["mean_m"][complete] = t["mean"]
        cols["sd_m"][complete] = t["sd"]
        cols["monotony"][complete] = t["monotony"]
        cols["strain_m"][complete] = t["strain"]
        capped[complete] = t["capped"]
        status[complete] = t["status"]
    out = pd.DataFrame({"iso_week": ctx.weekly["iso_week"].to_numpy(), "complete": complete_all, **cols,
                        "capped": capped, "status": status}, index=mondays)
    out["flagged"] = (out["status"] == "ok") & (out["monotony"] > cfg.monotony_flag_above)
    return out
