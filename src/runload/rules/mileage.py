"""Weekly "10% rule" (science.md §1).

``W_k`` = running distance of ISO week k. Flag ``W_k > (1 + r)·W_{k−1}``
(strict), compared exactly on integer metres: with ``r = p/q`` (``Fraction`` of
the configured decimal, 0.10 -> 1/10) the test is ``q·W_k > (q + p)·W_{k−1}``
(C5). Complete weeks only, compared with the previous *complete* week; the
current, incomplete week is flagged early once its total so far already
exceeds the allowance (totals only grow). A week touching a user-declared gap
is not compared and is no baseline for the next week (status ``data_gap``,
no finding; C3).

Evidence: weak. Buist et al. 2008 (RCT, 532 novices): a 13-week programme on
the 10% rule did not reduce injuries (20.8% vs 20.3%).
"""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pandas as pd

from runload.config import Config
from runload.findings import Finding, new_finding
from runload.rules.registry import rule, severity as severity_of
from runload.rules._text import dist, message, pct_above, threshold_text
from runload.rules.context import iso_week_label_no

SOURCE = "convention; Buist et al. 2008 RCT found following it did not reduce injuries"
METHOD = "ISO-week running distance (Monday–Sunday), exact integer-metre comparison"
WINDOW = "week over the previous complete week"


def _increase_arrays(cur: np.ndarray, complete: np.ndarray, cfg: Config, flag_current: bool | None = None,
                     gap_week: np.ndarray | None = None):
    """``(prev, prev_complete, status, change, flagged)`` arrays of :func:`weekly_increase_table`.

    ``gap_week``: bool per week, the week holds a declared gap day; such a week
    and the week after it get ``data_gap`` (not compared, never flagged).
    """
    if flag_current is None:
        flag_current = cfg.weekly_increase_flag_current_week
    frac = cfg.fraction("max_weekly_increase_ratio")
    p, q = frac.numerator, frac.denominator
    n = len(cur)
    prev = np.r_[np.int64(0), cur[:-1]] if n else cur.copy()
    prev_complete = np.r_[False, complete[:-1]] if n else complete.copy()
    is_last = np.arange(n) == n - 1
    current = is_last & ~complete & bool(flag_current)
    status = np.full(n, "insufficient_history", dtype=object)
    has_base = prev_complete & (complete | current)
    status[has_base & (prev == 0)] = "no_baseline"
    ok = has_base & (prev > 0)
    if gap_week is not None and n and gap_week.any():
        touched = gap_week | np.r_[False, gap_week[:-1]]
        gapped = touched & (complete | current)
        status[gapped] = "data_gap"
        ok &= ~gapped
    status[ok & complete] = "ok"
    status[ok & current] = "provisional"
    with np.errstate(divide="ignore", invalid="ignore"):
        change = np.where(ok, cur / np.where(prev > 0, prev, 1) - 1.0, np.nan)
    # exact: q·W_k > (q + p)·W_{k−1}; int64 while it cannot overflow, else Python ints
    if q + p < 2**20 and (cur.max(initial=0) < 2**40):
        flagged = ok & (cur * q > prev * (q + p))
    else:  # pragma: no cover - absurd thresholds or distances
        flagged = np.array([bool(o) and int(c) * q > int(b) * (q + p) for o, c, b in zip(ok, cur, prev)], dtype=bool)
    return prev, prev_complete, status, change, flagged


def weekly_increase_table(weekly: pd.DataFrame, cfg: Config, flag_current: bool | None = None,
                          gap_week: np.ndarray | None = None) -> pd.DataFrame:
    """Week-over-week change for every week of a weekly frame.

    Parameters
    ----------
    weekly : DataFrame
        :func:`runload.tables.weekly` output (``distance_m`` [m], ``complete``).
    cfg : Config
        ``max_weekly_increase_ratio`` and ``weekly_increase_flag_current_week``.

    Returns
    -------
    DataFrame indexed like ``weekly`` with ``iso_week``, ``distance_int_m`` [m],
    ``previous_m`` [m] (0 when there is no complete previous week),
    ``change_ratio`` (``W_k/W_{k−1} − 1``; NaN without a baseline), ``status``
    (``ok`` | ``no_baseline`` (previous week 0) | ``insufficient_history`` (no
    complete previous week, or the week itself is incomplete and not the
    current week) | ``provisional`` (the current week so far) | ``data_gap``
    (the week or the week before holds a declared gap day: ``gap_week``, bool per
    week)) and ``flagged``.
    """
    cur = np.rint(weekly["distance_m"].to_numpy(float)).astype(np.int64)
    complete = weekly["complete"].to_numpy(bool)
    prev, prev_complete, status, change, flagged = _increase_arrays(
        cur, complete, cfg, flag_current, None if gap_week is None else np.asarray(gap_week, dtype=bool))
    return pd.DataFrame(
        {
            "iso_week": weekly["iso_week"].to_numpy(),
            "distance_int_m": cur,
            "previous_m": np.where(prev_complete, prev, 0),
            "change_ratio": change,
            "status": status,
            "flagged": flagged,
            "complete": complete,
        },
        index=weekly.index,
    )


@rule("weekly_increase", severity="warning",
      params=("max_weekly_increase_ratio", "weekly_increase_baseline", "weekly_increase_flag_current_week"))
def weekly_increase(ctx, cfg: Config) -> list[Finding]:
    """Flag weeks with more than ``max_weekly_increase_ratio`` more running than the week before."""
    if ctx.n_days == 0:
        return []
    cur = np.rint(ctx.week_distance_m).astype(np.int64)
    prev, prev_complete, status, ratios, flagged = _increase_arrays(
        cur, ctx.week_complete, cfg, gap_week=ctx.week_gap if ctx.has_gaps else None)
    _, monday_no = ctx.week_starts
    r = cfg.max_weekly_increase_ratio
    severity = severity_of(cfg, "weekly_increase")
    out = []
    hits = np.flatnonzero(flagged)
    if not hits.size:
        return out
    units = cfg.units
    limit_text = threshold_text(r * 100)
    for i, mon, st, ratio, w_cur, w_prev, has_prev in zip(
            hits.tolist(), monday_no[hits].tolist(), status[hits].tolist(), ratios[hits].tolist(),
            cur[hits].tolist(), prev[hits].tolist(), prev_complete[hits].tolist()):
        monday = ctx.day(mon - ctx.start_no)
        iso_week = iso_week_label_no(mon)
        so_far = st == "provisional"
        change = float(ratio)
        if so_far:
            last_day = min(monday + timedelta(days=6), ctx.as_of)
            what = f"Week {iso_week} so far ({monday.isoformat()} to {last_day.isoformat()}) has "
        else:
            what = f"Week {iso_week} had "
        text = message(
            f"{what}{dist(w_cur, units)} of running, "
            f"{'already ' if so_far else ''}{pct_above(change, r, True)} more than the previous complete week "
            f"({dist(w_prev if has_prev else 0, units)}); the threshold is an increase of more than {limit_text}% "
            "(ISO-week totals)",
            "The 10% rule is a common convention; a trial found following it did not reduce injuries "
            "(Buist et al. 2008)",
        )
        out.append(
            new_finding(
                rule="weekly_increase",
                severity=severity,
                athlete=ctx.athlete,
                date=monday,
                period=iso_week + (" so far" if so_far else ""),
                value=change,
                threshold=r,
                window=WINDOW + (" (current week so far)" if so_far else ""),
                method=METHOD,
                message=text,
                source=SOURCE,
                status=st,
                unit="ratio",
            )
        )
    return out
