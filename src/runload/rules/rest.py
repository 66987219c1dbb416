"""Rest days and running streaks (docs/method.md §2).

A rest day is a local date with zero running distance (other sports allowed).
Conventions, not evidence: ``min_rest_days_per_week`` per complete ISO week, and
a flag for more than ``max_consecutive_run_days`` consecutive running days,
counted live and across week boundaries. No running cohort tests a rest-day
threshold against injury; Meeusen et al. 2013 (ECSS/ACSM consensus) balance
overload with recovery but give no number. Never say "overtraining" (a
clinical diagnosis). With user-declared gaps (C3) a week touching a gap is
not checked for rest days, and a gap day is unknown: a streak does not run
through it.
"""

from __future__ import annotations

from datetime import timedelta

import numpy as np

from runload.config import Config
from runload.findings import Finding, new_finding
from runload.measures.rest import rest_days_table, run_streaks  # noqa: F401
from runload.rules._text import message
from runload.rules.registry import rule, severity as severity_of
from runload.tables import iso_week_label_no

SOURCE = "convention; no running study tests a rest-day threshold (Meeusen et al. 2013 consensus gives no number)"


@rule("week_without_rest", severity="info", params=("min_rest_days_per_week",))
def week_without_rest(ctx, cfg: Config) -> list[Finding]:
    """Complete ISO weeks with fewer than ``min_rest_days_per_week`` rest days."""
    n = ctx.n_days
    if n == 0:
        return []
    need = cfg.min_rest_days_per_week
    starts, monday_no = ctx.week_starts
    ran = ctx.run_day
    days = np.diff(np.r_[starts, n])
    rest_days = days - np.add.reduceat(ran.astype(np.int64), starts)
    checked = ctx.week_complete & ~ctx.week_gap if ctx.has_gaps else ctx.week_complete
    hits = np.flatnonzero(checked & (rest_days < need))
    severity = severity_of(cfg, "week_without_rest") if hits.size else None
    out = []
    for i in hits.tolist():
        rest = int(rest_days[i])
        iso_week = iso_week_label_no(monday_no[i])
        row = {"iso_week": iso_week}
        text = message(
            f"Week {row['iso_week']} had {rest} rest day{'s' if rest != 1 else ''} (days without running); "
            f"the convention is at least {need} per week (complete ISO week, Monday–Sunday)",
            "Consider a recovery day",
            "This is a training convention; no running study has tested a rest-day threshold",
        )
        out.append(
            new_finding(
                rule="week_without_rest",
                severity=severity,
                athlete=ctx.athlete,
                date=ctx.day(int(monday_no[i] - ctx.start_no)),
                period=row["iso_week"],
                value=rest,
                threshold=need,
                window="complete ISO week (Monday–Sunday)",
                method="days with zero running distance",
                message=text,
                source=SOURCE,
                status="ok",
                unit="days",
            )
        )
    return out


@rule("run_streak", severity="info", params=("max_consecutive_run_days",))
def run_streak(ctx, cfg: Config) -> list[Finding]:
    """One finding per streak of more than ``max_consecutive_run_days`` running days.

    Dated at the streak's first day; ``value`` = its length [days]. A streak still
    going on ``as_of`` is reported live (status ``provisional``). A day in a
    declared gap is unknown, so a streak ends before it and restarts after it.
    """
    if ctx.n_days == 0:
        return []
    limit = cfg.max_consecutive_run_days
    ran = ctx.run_day
    if ctx.has_gaps:
        ran = ran & ~ctx.gap_days
    n = len(ran)
    first_day = ctx.log_start
    out = []
    for start, length in run_streaks(ran, min_length=limit + 1):
        live = start + length == n
        d0 = first_day + timedelta(days=start)
        d1 = d0 + timedelta(days=length - 1)
        period = f"{d0.isoformat()}..{d1.isoformat()}"
        text = message(
            f"You ran on {length} consecutive days ({d0.isoformat()} to {d1.isoformat()}"
            f"{', still going' if live else ''}); the convention is at most {limit} in a row",
            f"No rest day in {length} days — consider a recovery day",
            "This is a training convention; no running study has tested a rest-day threshold",
        )
        out.append(
            new_finding(
                rule="run_streak",
                severity=severity_of(cfg, "run_streak"),
                athlete=ctx.athlete,
                date=d0,
                period=period + (" so far" if live else ""),
                value=length,
                threshold=limit,
                window="consecutive local calendar days, across week boundaries",
                method="days with running distance > 0",
                message=text,
                source=SOURCE,
                status="provisional" if live else "ok",
                unit="days",
            )
        )
    return out
