"""The monotony rule (Foster 1998; docs/method.md §5): flag a complete week whose monotony is above
``max_monotony``. The measure and its edge rules live in :mod:`runload.measures.monotony`. Evidence: weak; info."""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from runload.config import Config
from runload.findings import Finding, new_finding
from runload.measures.monotony import monotony_of, monotony_table, monotony_table_from_matrix  # noqa: F401
from runload.rules._text import dist_pair, message, num_above
from runload.rules.registry import rule, severity as severity_of
from runload.tables import iso_week_label_no

SOURCE = "Foster 1998"


@rule("monotony", severity="info", params=("monotony_flag_above", "monotony_cap", "monotony_ddof"))
def monotony(ctx, cfg: Config) -> list[Finding]:
    """Complete ISO weeks with monotony above ``monotony_flag_above`` (info)."""
    if ctx.n_days == 0:
        return []
    complete = ctx.week_complete
    if ctx.has_gaps:
        complete = complete & ~ctx.week_gap
    if not complete.any():
        return []
    starts, monday_no = ctx.week_starts
    weeks = np.flatnonzero(complete)
    pos = starts[weeks][:, None] + np.arange(7)[None, :]
    t = monotony_table_from_matrix(ctx.daily_int_m[pos], cfg)
    thr = cfg.monotony_flag_above
    flagged = (t["status"] == "ok") & (t["monotony"] > thr)
    out = []
    hit = np.flatnonzero(flagged)
    if not hit.size:
        return out
    severity = severity_of(cfg, "monotony")
    thr_f = Fraction(repr(float(thr))).limit_denominator(10**6)
    thr_p, thr_q = thr_f.numerator, thr_f.denominator
    for j in hit.tolist():
        i = int(weeks[j])
        row = {"monotony": t["monotony"][j], "sd_m": t["sd"][j], "mean_m": t["mean"][j], "capped": t["capped"][j],
               "iso_week": iso_week_label_no(monday_no[i])}
        monday = ctx.day(int(monday_no[i] - ctx.start_no))
        mono = float(row["monotony"])
        if row["sd_m"] == 0:
            how = f"the same distance every day, so the ratio is reported at its cap of {cfg.monotony_cap:g}"
        else:  # mean and SD precise enough that mean/SD as shown is above the threshold too
            mean_text, sd_text = dist_pair(row["mean_m"], row["sd_m"], cfg.units,
                                           lambda x, y: y > 0 and x * thr_q > thr_p * y)
            how = f"mean {mean_text} per day / SD {sd_text}"
        text = message(
            f"Week {row['iso_week']}: little day-to-day variation this week (monotony "
            f"{num_above(mono, thr, True, 2)}{' capped' if row['capped'] else ''}: {how}; flagged above {thr:g}; "
            f"daily running distance over the complete ISO week, population SD)",
            "Monotony (Foster 1998) was built for session-RPE loads; on distance it also flags even, easy "
            "running with one rest day",
        )
        out.append(new_finding(
            rule="monotony", severity=severity, athlete=ctx.athlete, date=monday,
            period=row["iso_week"], value=mono, threshold=thr, window="complete ISO week (Monday–Sunday)",
            method=f"Foster monotony = mean/SD of daily distance (ddof={cfg.monotony_ddof})", message=text,
            source=SOURCE, status="ok", unit="ratio",
        ))
    return out
