"""The weekly summary (``runload summary``): one ISO week, mail-ready.

Plain text keeps every line under 78 characters, has no ANSI colours, and its
first line works as a mail subject. The week's findings are those dated in
the week (a streak or an ACWR episode is dated by its first day); shoe
reminders are the shoes at "check wear" or "replacement suggested" as the
week ended.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pandas as pd

from runload import tables
from runload.errors import ConfigError
from runload.findings import Severity
from runload.output import md_escape
from runload.report.data import (
    AthleteData,
    WeekFacts,
    acwr_method_label,
    findings_between,
    get,
    highest_severity,
    severity_counts,
    strip_disclaimer,
    week_facts,
)
from runload.report.text import REMINDER, TEXT_WIDTH, finding_lines, finding_numbers, group_by_severity, wrap
from runload.units import fmt_distance, fmt_duration

WEEK_CHOICES_HELP = "last (the last complete ISO week before the as-of date), this (so far) or YYYY-Www"

__all__ = ["resolve_week", "WeeklySummary", "build_summary", "summary_text", "summary_markdown", "summary_json"]


def resolve_week(spec: str, as_of: date) -> date:
    """The Monday of the week ``spec`` names: ``last``, ``this`` or ``2026-W07``."""
    this_monday = as_of - timedelta(days=as_of.weekday())
    spec = (spec or "last").strip()
    if spec.lower() == "last":
        return this_monday - timedelta(days=7)
    if spec.lower() == "this":
        return this_monday
    monday = tables.parse_iso_week(spec).date()
    if monday > as_of:
        raise ConfigError(f"week {spec.upper()} starts after the as-of date {as_of.isoformat()}; "
                          "choose an earlier week or a later --as-of")
    return monday


def analysis_day(monday: date, as_of: date) -> date:
    """The day to analyse the log on for the week starting ``monday``: its Sunday, or ``as_of`` if earlier."""
    return min(monday + timedelta(days=6), as_of)


@dataclass(frozen=True)
class WeeklySummary:
    athlete: str
    tz: str | None
    as_of: date
    week: WeekFacts
    findings: list
    shoe_reminders: list
    acwr_value: float | None
    acwr_status: str | None
    acwr_method: str
    acwr_method_label: str
    units: str

    @property
    def highest(self) -> Severity | None:
        return highest_severity(self.findings)

    def subject(self) -> str:
        w = self.week
        counts = severity_counts(self.findings)
        flags = ", ".join(f"{n} {k}{'s' if n != 1 else ''}" for k, n in counts.items() if n) or "no risk flags"
        so_far = " so far" if not w.complete else ""
        return (f"runload {self.athlete} {w.iso_week}{so_far}: {fmt_distance(w.distance_m, self.units)}, "
                f"{w.runs} run{'s' if w.runs != 1 else ''}, {flags}")


def build_summary(data: AthleteData, monday: date, units: str = "km") -> WeeklySummary:
    """The summary of the week starting ``monday`` from one athlete's analysed log."""
    facts = week_facts(data.weekly, monday)
    findings = findings_between(data.findings, monday, monday + timedelta(days=6))
    value, status, _ = data.latest_acwr()
    return WeeklySummary(
        athlete=data.name, tz=data.tz, as_of=data.as_of, week=facts, findings=findings,
        shoe_reminders=data.shoe_reminders(), acwr_value=value, acwr_status=status,
        acwr_method=data.acwr_method, acwr_method_label=acwr_method_label(data.config), units=units,
    )


def _change_text(w: WeekFacts, units: str) -> str:
    if w.previous_distance_m is None:
        return "no previous week in the log"
    prev = fmt_distance(w.previous_distance_m, units)
    if not w.complete:
        return f"previous week {prev} (this week is not complete yet)"
    if w.change_ratio is None:
        return f"previous week {prev}"
    return f"{w.change_ratio * 100:+.1f}% on the previous week ({prev})"


def _shoe_line(s: Any, units: str) -> str:
    status = get(s, "status", default="")
    what = "replacement suggested" if status == "replace" else "check wear"
    text = f"{get(s, 'name', default='?')}: {fmt_distance(float(get(s, 'distance_m', default=0.0)), units)}, {what}"
    forecast = get(s, "weeks_to_retire")
    if status == "check" and forecast is not None:
        text += f"; about {float(forecast):.0f} weeks to the replace mark at the current rate"
    return text


def _facts_lines(s: WeeklySummary) -> list[str]:
    w, u = s.week, s.units
    lines = [
        f"Week {w.iso_week}: Mon {w.week_start.isoformat()} to Sun {w.week_end.isoformat()}"
        + ("" if w.complete else f" (so far, as of {s.as_of.isoformat()})"),
        f"Distance: {fmt_distance(w.distance_m, u)} in {w.runs} run{'s' if w.runs != 1 else ''}, "
        f"time {fmt_duration(w.moving_s)}",
        f"Change: {_change_text(w, u)}",
        f"Rest days: {w.rest_days} of {w.days}; longest run: {fmt_distance(w.longest_run_m, u)}",
    ]
    if s.acwr_value is not None:
        lines.append(f"Acute:chronic ratio {s.acwr_value:.2f} ({s.acwr_method_label})"
                     + (f", {s.acwr_status}" if s.acwr_status and s.acwr_status != "ok" else ""))
    else:
        lines.append(f"Acute:chronic ratio: not enough history yet ({s.acwr_method_label})")
    return lines


def summary_text(summaries: list[WeeklySummary], width: int = TEXT_WIDTH) -> str:
    """Mail-ready plain text; the first line is a subject for all athletes."""
    if len(summaries) == 1:
        subject = summaries[0].subject()
    else:
        all_f = [f for s in summaries for f in s.findings]
        counts = severity_counts(all_f)
        flags = ", ".join(f"{n} {k}{'s' if n != 1 else ''}" for k, n in counts.items() if n) or "no risk flags"
        weeks = sorted({s.week.iso_week for s in summaries})
        subject = f"runload {len(summaries)} athletes {', '.join(weeks)}: {flags}"
    out = wrap(subject, "", width)[:1]
    for s in summaries:
        out.append("")
        if len(summaries) > 1:
            out.append(f"== {s.athlete} ==")
        for line in _facts_lines(s):
            out.extend(wrap(line, "", width))
        out.append("")
        if s.findings:
            out.append(f"Risk flags this week ({len(s.findings)}):")
            groups = group_by_severity(s.findings)
            for sev in groups:
                for f in groups[sev]:
                    out.extend(finding_lines(f, s.units, width, details=True))
        else:
            out.append("No risk flags this week.")
        if s.shoe_reminders:
            out.append("")
            out.append("Shoe reminders (maintenance, not an injury threshold):")
            for shoe in s.shoe_reminders:
                out.extend(wrap(_shoe_line(shoe, s.units), "- ", width))
    out.append("")
    out.extend(wrap(REMINDER, "", width))
    return "\n".join(out) + "\n"


def summary_markdown(summaries: list[WeeklySummary]) -> str:
    """The same content as Markdown (every text from a file or user escaped)."""
    out = []
    for s in summaries:
        out.append(f"## {md_escape(s.subject())}")
        out.append("")
        for line in _facts_lines(s):
            out.append(f"- {md_escape(line)}")
        out.append("")
        if s.findings:
            out.append(f"**Risk flags this week ({len(s.findings)})**")
            out.append("")
            out.append("| severity | date | rule | numbers | method | message |")
            out.append("|:---|:---|:---|:---|:---|:---|")
            groups = group_by_severity(s.findings)
            for sev in groups:
                for f in groups[sev]:
                    cells = [sev.value, pd.Timestamp(get(f, "date")).date().isoformat(), get(f, "rule"),
                             finding_numbers(f, s.units), get(f, "method") or "–",
                             strip_disclaimer(str(get(f, "message", default="")))]
                    out.append("| " + " | ".join(md_escape(str(c)) for c in cells) + " |")
        else:
            out.append("No risk flags this week.")
        out.append("")
        if s.shoe_reminders:
            out.append("**Shoe reminders** (maintenance, not an injury threshold)")
            out.append("")
            for shoe in s.shoe_reminders:
                out.append(f"- {md_escape(_shoe_line(shoe, s.units))}")
            out.append("")
    out.append(f"*{md_escape(REMINDER)}*")
    return "\n".join(out) + "\n"


def _shoe_json(s: Any) -> dict:
    if hasattr(s, "to_json"):
        return s.to_json()
    if isinstance(s, dict):
        return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in s.items()}
    return {"name": get(s, "name"), "distance_m": get(s, "distance_m"), "status": get(s, "status")}


def summary_json(summaries: list[WeeklySummary]) -> str:
    """Machine-readable: one object per athlete; findings via ``Finding.to_json()``."""
    items = []
    for s in summaries:
        items.append({
            "athlete": s.athlete,
            "timezone": s.tz,
            "as_of": s.as_of.isoformat(),
            "units": s.units,
            "week": s.week.to_json(s.units),
            "acwr": {"value": s.acwr_value, "status": s.acwr_status, "method": s.acwr_method,
                     "method_label": s.acwr_method_label},
            "highest_severity": None if s.highest is None else s.highest.value,
            "findings": [f.to_json() if hasattr(f, "to_json") else dict(f) for f in s.findings],
            "shoe_reminders": [_shoe_json(x) for x in s.shoe_reminders],
            "reminder": REMINDER,
        })
    return json.dumps({"summaries": items}, indent=2, ensure_ascii=False, default=str) + "\n"
