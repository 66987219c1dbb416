"""Weekly "10% rule" (docs/method.md §1): flag a week with more than ``max_weekly_increase_ratio``
more running than its baseline.

The baseline is the highest complete week among the previous 4 by default
(``weekly_increase_baseline = "max_4_weeks"``) or the previous complete week
(``"previous_week"``); the arithmetic, exact on integer metres (C5), is
:mod:`runload.measures.increase`. Complete weeks only; the current, incomplete
week is flagged early once its total so far already exceeds the allowance
(totals only grow). A week touching a user-declared gap is neither compared nor
a baseline (C3). The message names the baseline week.

Evidence: weak. Buist et al. 2008 (RCT, 532 novices): a 13-week programme on
the 10% rule did not reduce injuries (20.8% vs 20.3%).
"""

from __future__ import annotations

from datetime import timedelta

import numpy as np

from runload.config import Config
from runload.findings import Finding, new_finding
from runload.measures.increase import guideline_text, increase_arrays, weekly_increase_table  # noqa: F401
from runload.rules._text import dist_pair, message, pct_above, threshold_text
from runload.tables import iso_week_label_no
from runload.rules.registry import rule, severity as severity_of

SOURCE = "convention; Buist et al. 2008 RCT found following it did not reduce injuries"
METHOD = "ISO-week running distance (Monday–Sunday), exact integer-metre comparison"
WINDOW = {"max_4_weeks": "week over the highest of the previous 4 complete weeks",
          "previous_week": "week over the previous complete week"}


@rule("weekly_increase", severity="warning",
      params=("max_weekly_increase_ratio", "weekly_increase_baseline", "weekly_increase_flag_current_week"))
def weekly_increase(ctx, cfg: Config) -> list[Finding]:
    """Flag weeks with more than ``max_weekly_increase_ratio`` more running than their baseline week."""
    if ctx.n_days == 0:
        return []
    cur = np.rint(ctx.week_distance_m).astype(np.int64)
    a = increase_arrays(cur, ctx.week_complete, cfg, gap_week=ctx.week_gap if ctx.has_gaps else None,
                        open_week=ctx.week_open)
    hits = np.flatnonzero(a["flagged"])
    if not hits.size:
        return []
    _, monday_no = ctx.week_starts
    r = cfg.max_weekly_increase_ratio
    frac = cfg.fraction("max_weekly_increase_ratio")
    severity = severity_of(cfg, "weekly_increase")
    mode = cfg.weekly_increase_baseline
    units = cfg.units
    limit_text = threshold_text(r * 100)
    out = []
    for i in hits.tolist():
        monday = ctx.day(int(monday_no[i]) - ctx.start_no)
        iso_week = iso_week_label_no(int(monday_no[i]))
        st = a["status"][i]
        so_far = st == "provisional"
        change = float(a["change_ratio"][i])
        w_cur, w_base = int(cur[i]), int(a["baseline_m"][i])
        j = int(a["baseline_pos"][i])
        base_week = iso_week_label_no(int(monday_no[j]))
        n_base = int(a["baseline_weeks"][i])
        if mode == "previous_week" or (n_base == 1 and j == i - 1):
            which = "the previous complete week"
        elif n_base == 1:
            which = "the only complete week among the previous 4"
        else:
            which = f"the highest of the previous {n_base} complete weeks"
        # shown distances precise enough that redoing the arithmetic lands above the threshold
        cur_text, base_text = dist_pair(w_cur, w_base, units,
                                        lambda x, y: x * frac.denominator > y * (frac.denominator + frac.numerator))
        # a past week whose last days have no data yet is "partial", the week holding as_of "so far"
        current = so_far and i == len(cur) - 1
        if so_far and current:
            last_day = min(monday + timedelta(days=6), ctx.as_of)
            what = f"Week {iso_week} so far ({monday.isoformat()} to {last_day.isoformat()}) has "
        elif so_far:
            what = (f"Week {iso_week}, with no data after {ctx.data_end.isoformat()} yet, has ")
        else:
            what = f"Week {iso_week} had "
        text = message(
            f"{what}{cur_text} of running, {'already ' if so_far else ''}{pct_above(change, r, True)} more than "
            f"{base_week} ({base_text}), {which}; the threshold is an increase of more than {limit_text}% "
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
                period=iso_week + ((" so far" if current else " partial") if so_far else ""),
                value=change,
                threshold=r,
                window=WINDOW[mode] + ((" (current week so far)" if current else " (week so far: no data after "
                                       f"{ctx.data_end.isoformat()})") if so_far else ""),
                method=METHOD,
                message=text,
                source=SOURCE,
                status=st,
                unit="ratio",
            )
        )
    return out
