"""Shoe status: totals, wear status and retirement forecast (docs/method.md §3); the
reminder is :mod:`runload.rules.shoes`. A maintenance reminder, not an injury risk.

Per shoe: its start distance plus the running distance of its runs up to
``as_of`` (runs after ``retired_on`` do not count; runs without a shoe count on
the default shoe). "Check wear" from 300 mi (482 803 m), "replacement
suggested" from 500 mi (804 672 m), both inclusive, compared in integer
metres; per-shoe limits override the config. A retired shoe is never flagged
nor forecast.

Evidence for injury: very weak. The range comes from lab durability work
(Cook et al. 1985; Verdejo & Mills 2004); no prospective study ties a mileage
cut-off to injury.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, timedelta

import sys

import numpy as np

from runload.config import Config
from runload.units import M_PER_KM, M_PER_MILE

STATUSES = ("ok", "check", "replace", "retired")


@dataclass(frozen=True)
class ShoeStatus:
    """One shoe as of ``as_of``. Distances in metres, rates in metres per week."""

    name: str
    distance_m: float
    runs: int
    first_use: date | None
    last_use: date | None
    status: str
    check_at_m: float
    retire_at_m: float
    start_distance_m: float
    is_default: bool
    retired_on: date | None
    weekly_rate_m: float
    """Mean weekly distance over the last ``shoe_rate_weeks`` weeks (4 by default)."""
    weekly_rate_8w_m: float
    """Mean weekly distance over the last 8 weeks."""
    weeks_to_retire: float | None
    """Weeks until ``retire_at_m`` at ``weekly_rate_m``; None when retired, already there, or rate 0."""
    forecast: str | None
    check_crossed_on: date | None
    """Date of the run that took it to ``check_at_m`` (None: not yet, or before tracking)."""
    retire_crossed_on: date | None

    def to_json(self) -> dict:
        out = asdict(self)
        for key in ("first_use", "last_use", "retired_on", "check_crossed_on", "retire_crossed_on"):
            if out[key] is not None:
                out[key] = out[key].isoformat()
        return out


def _both_units(distance_m: float, units: str) -> str:
    km = f"{distance_m / M_PER_KM:.1f} km"
    mi = f"{distance_m / M_PER_MILE:.1f} mi"
    return f"{mi} ({km})" if units == "mi" else f"{km} ({mi})"


def _limit_text(limit_m: float, units: str) -> str:
    mi = limit_m / M_PER_MILE
    mi_text = f"{mi:.0f} mi" if abs(mi - round(mi)) < 0.01 else f"{mi:.1f} mi"
    km_text = f"{limit_m / M_PER_KM:.1f} km"
    return f"{mi_text} ({km_text})" if units == "mi" else f"{km_text} ({mi_text})"


_EPOCH = date(1970, 1, 1)


def _day(day_no) -> date:
    return _EPOCH + timedelta(days=int(day_no))


def _missing(names: np.ndarray) -> np.ndarray:
    """Bool per shoe name: missing (None or NaN; pandas' NA and NaT too, which exist only once pandas
    is loaded, by a DataFrame given to the API)."""
    pd = sys.modules.get("pandas")
    if pd is not None:
        return np.asarray(pd.isna(names), dtype=bool)
    return np.array([v is None or (isinstance(v, float) and v != v) for v in names.tolist()], dtype=bool)


def _codes(names: np.ndarray) -> tuple[np.ndarray, dict]:
    """Each name as a code in order of first use (None: -1), and ``{name: code}``: ``pd.factorize``
    without pandas, in C-level dict passes (~30 µs for a five-year log)."""
    values = names.tolist()
    first_use = dict.fromkeys(values)
    first_use.pop(None, None)
    code_of = {name: k for k, name in enumerate(first_use)}
    codes = np.fromiter(map({**code_of, None: -1}.__getitem__, values), dtype=np.int64, count=len(values))
    return codes, code_of


def shoe_status(ctx, cfg: Config) -> list[ShoeStatus]:
    """Status, totals, weekly rate and retirement forecast of every shoe (shoes table
    order, then shoes named by runs but missing from the table)."""
    as_of = ctx.as_of
    rows = [dict(r) for r in ctx.shoe_records]
    n_runs = len(ctx.run_order)
    if n_runs:
        names = np.array(ctx.run_shoes, dtype=object, copy=True)
        missing = _missing(names)
        names[missing] = None
        defaults = [r["name"] for r in rows if r["is_default"]]
        if len(defaults) == 1:
            names[missing] = defaults[0]
    else:
        names = np.zeros(0, dtype=object)
    # shoe of each run as a code into ``code_of`` (order of first use; -1: no shoe)
    codes, code_of = _codes(names)
    known = {r["name"] for r in rows}
    for extra in code_of:
        if extra not in known:
            rows.append({"name": extra, "start_distance_m": 0.0, "check_at_m": np.nan, "retire_at_m": np.nan,
                         "retired_on": None, "is_default": False})
            known.add(extra)
    if n_runs:
        run_dayno = ctx.run_day_no
        run_m = ctx.run_int_m
    as_of_no = (as_of - _EPOCH).days
    out = []
    for row in rows:
        name = row["name"]
        retired_on = row.get("retired_on")
        check_at = row.get("check_at_m")
        retire_at = row.get("retire_at_m")
        check_at = float(cfg.shoe_check_distance_m if check_at is None or check_at != check_at else check_at)
        retire_at = float(cfg.shoe_retire_distance_m if retire_at is None or retire_at != retire_at else retire_at)
        start_m = float(row.get("start_distance_m") or 0.0)
        if n_runs:
            mask = codes == code_of.get(name, -2)
            if retired_on is not None:
                mask &= run_dayno <= (retired_on - _EPOCH).days
            dayno = run_dayno[mask]
            dists = run_m[mask]
        else:
            dayno, dists = np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        start_int = int(round(start_m))
        total_int = start_int + int(dists.sum())
        cum = start_int + np.cumsum(dists)
        retired = retired_on is not None and retired_on <= as_of

        def crossed(limit: float):
            lim = int(round(limit))
            if start_int >= lim:
                return None
            hit = np.flatnonzero(cum >= lim)
            return _day(dayno[hit[0]]) if hit.size else None

        if retired:
            status = "retired"
        elif total_int >= int(round(retire_at)):
            status = "replace"
        elif total_int >= int(round(check_at)):
            status = "check"
        else:
            status = "ok"

        def rate(weeks: int) -> float:
            since = as_of_no - 7 * weeks
            return float(dists[dayno > since].sum()) / weeks if len(dayno) else 0.0

        r_main = rate(cfg.shoe_rate_weeks)
        r8 = rate(8)
        weeks_left = None
        forecast = None
        if not retired and r_main > 0 and total_int < retire_at:
            weeks_left = (retire_at - total_int) / r_main
            n = "less than 1 week" if weeks_left < 1 else f"about {weeks_left:.0f} week{'s' if round(weeks_left) != 1 else ''}"
            forecast = (f"reaches {_limit_text(retire_at, cfg.units)} in {n} at your current rate "
                        f"({_both_units(r_main, cfg.units)} per week over the last {cfg.shoe_rate_weeks} weeks)")
        out.append(ShoeStatus(
            name=name, distance_m=float(total_int), runs=int(len(dists)),
            first_use=_day(dayno[0]) if len(dayno) else None, last_use=_day(dayno[-1]) if len(dayno) else None,
            status=status, check_at_m=check_at, retire_at_m=retire_at, start_distance_m=start_m,
            is_default=bool(row.get("is_default") or False), retired_on=retired_on,
            weekly_rate_m=r_main, weekly_rate_8w_m=r8, weeks_to_retire=weeks_left, forecast=forecast,
            check_crossed_on=crossed(check_at), retire_crossed_on=crossed(retire_at),
        ))
    return out
