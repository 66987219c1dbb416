"""The shoe-wear reminder (docs/method.md §3): a maintenance reminder, not an injury risk.

Shoe totals, status and forecast are :mod:`runload.measures.shoes`.
"""

from __future__ import annotations

from runload.config import Config
from runload.findings import Finding, new_finding
from runload.measures.shoes import STATUSES, ShoeStatus, _both_units, _limit_text, shoe_status  # noqa: F401
from runload.rules._text import message
from runload.rules.registry import rule, severity as severity_of

SOURCE = "Cook et al. 1985 (lab shoe durability); maintenance reminder, not an injury threshold"


@rule("shoe_wear", severity="info",
      params=("shoe_check_distance_m", "shoe_retire_distance_m", "shoe_rate_weeks"))
def shoe_wear(ctx, cfg: Config) -> list[Finding]:
    """A maintenance reminder for each shoe in use at or past its check distance."""
    out = []
    for s in ctx.cached(("shoe_status", cfg), lambda: shoe_status(ctx, cfg)):
        if s.status not in ("check", "replace"):
            continue
        replace = s.status == "replace"
        limit = s.retire_at_m if replace else s.check_at_m
        crossed = s.retire_crossed_on if replace else s.check_crossed_on
        day = crossed or s.first_use or ctx.as_of
        start_note = f", including a start distance of {_both_units(s.start_distance_m, cfg.units)}" if s.start_distance_m else ""
        action = "replacement is suggested" if replace else "check it for wear (flattened midsole, worn outsole)"
        text = message(
            f"Shoe '{s.name}' has {_both_units(s.distance_m, cfg.units)} of running up to {ctx.as_of.isoformat()}"
            f"{start_note}; from {_limit_text(limit, cfg.units)} {action}",
            s.forecast[0].upper() + s.forecast[1:] if (s.forecast and not replace) else "",
            "This is a shoe-maintenance reminder from lab durability work (Cook et al. 1985); no study ties a "
            "mileage cut-off to injury",
        )
        out.append(new_finding(
            rule="shoe_wear", severity=severity_of(cfg, "shoe_wear"), athlete=ctx.athlete, date=day,
            period=f"shoe '{s.name}' up to {ctx.as_of.isoformat()}", value=s.distance_m, threshold=limit,
            window="all runs with this shoe up to as_of, plus its start distance",
            method=f"shoe distance ≥ {'replace' if replace else 'check'} distance (inclusive, integer metres)",
            message=text, source=SOURCE, status="ok", unit="m",
        ))
    return out
