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
from runload.report.text import (
    REMINDER, TEXT_WIDTH, finding_lines, finding_numbers, group_by_severity, items_with_episodes, wrap,
)
from runload.units import fmt_distance, fmt_duration

WEEK_CHOICES_HELP = "last (the last complete ISO week before the as-of date), this (so far) or YYYY-Www"

__all__ = ["WeeklySummary", "build_summary", "summary_text", "summary_markdown", "summary_json"]


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

    data_end: date | None = None

    @property
    def highest(self) -> Severity | None:
        return highest_severity(self.findings)

    @property
    def no_data(self) -> bool:
        """True when the week holds no recorded day at all (after the newest activity, or a gap)."""
        return self.week.status == "no data"

    def no_data_text(self) -> str:
        if self.data_end is None:
            return "no activity recorded yet; import your files with 'runload import'"
        days = (self.as_of - self.data_end).days
        return (f"no activity recorded since {self.data_end.isoformat()} ({days} day{'s' if days != 1 else ''}); "
                "if you ran, check that the import works")

    def subject(self) -> str:
        w = self.week
        if self.no_data:
            return f"runload {self.athlete} {w.iso_week}: {self.no_data_text().split(';')[0]}"
        counts = severity_counts(self.findings)
        flags = ", ".join(f"{n} {k}{'s' if n != 1 else ''}" for k, n in counts.items() if n) or "no risk flags"
        so_far = {"so far": " so far", "partial": " (partial)"}.get(w.status, "")
        return (f"runload {self.athlete} {w.iso_week}{so_far}: {fmt_distance(w.distance_m, self.units)}, "
                f"{w.runs} run{'s' if w.runs != 1 else ''}, {flags}")


def build_summary(data: AthleteData, monday: date, units: str = "km") -> WeeklySummary:
    """The summary of the week starting ``monday`` from one athlete's analysed log."""
    facts = week_facts(data.weekly, monday)
    findings = findings_between(data.findings, monday, monday + timedelta(days=6))
    value, status, _ = data.latest_acwr(min(monday + timedelta(days=6), data.as_of))
    return WeeklySummary(
        athlete=data.name, tz=data.tz, as_of=data.as_of, week=facts, findings=findings,
        shoe_reminders=data.shoe_reminders(), acwr_value=value, acwr_status=status,
        acwr_method=data.acwr_method, acwr_method_label=acwr_method_label(data.config), units=units,
        data_end=data.data_end,
    )


def _change_text(w: WeekFacts, units: str) -> str:
    if w.change_ratio is not None:
        base = fmt_distance(w.baseline_m, units)
        band = " (within the 5–10% guideline)" if w.in_band else ""
        return f"{w.change_ratio * 100:+.1f}% on {w.baseline_week} ({base}){band}"
    if w.status == "so far":
        return "not compared until the week is complete"
    if w.status == "partial":
        return "not compared (the log does not cover the whole week)"
    return "no complete week before it to compare with"


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
    when = {"so far": f" (so far, as of {s.as_of.isoformat()})", "partial": " (partial week)"}.get(w.status, "")
    lines = [f"Week {w.iso_week}: Mon {w.week_start.isoformat()} to Sun {w.week_end.isoformat()}{when}"]
    if s.no_data:
        lines.append(s.no_data_text()[0].upper() + s.no_data_text()[1:] + ".")
        return lines
    missing = w.gap_days + w.no_data_days
    lines += [
        f"Distance: {fmt_distance(w.distance_m, u)} in {w.runs} run{'s' if w.runs != 1 else ''}, "
        f"time {fmt_duration(w.moving_s)}",
        f"Change: {_change_text(w, u)}",
        f"Rest days: {w.rest_days} of {w.days - missing}"
        + (f" recorded days ({missing} without data)" if missing else "")
        + f"; longest run: {fmt_distance(w.longest_run_m, u)}",
    ]
    if w.no_data_days and s.data_end is not None:
        lines.append(f"No activity recorded after {s.data_end.isoformat()}.")
    if s.acwr_value is not None:
        lines.append(f"Acute:chronic ratio {s.acwr_value:.2f} ({s.acwr_method_label})"
                     + (f", {s.acwr_status}" if s.acwr_status and s.acwr_status != "ok" else ""))
    elif s.acwr_status == "data_gap" and s.data_end is not None and s.data_end < s.as_of:
        lines.append(f"Acute:chronic ratio: none, no data after {s.data_end.isoformat()} ({s.acwr_method_label})")
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
        if s.no_data:
            continue
        out.append("")
        if s.findings:
            out.append(f"Risk flags this week ({len(s.findings)}):")
            items = items_with_episodes(s.findings)
            for ep in [i for i in items if hasattr(i, "summary")]:
                out.extend(wrap(f"{ep.severity.value.upper()} {ep.start} to {ep.end}: {ep.summary}", "- ",
                                width))
            groups = group_by_severity([i for i in items if not hasattr(i, "summary")])
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


def summary_record(s: WeeklySummary) -> dict:
    """One athlete's summary as a JSON-ready record (with its ``athlete`` field)."""
    return {
        "athlete": s.athlete,
        "timezone": s.tz,
        "as_of": s.as_of.isoformat(),
        "units": s.units,
        "week": s.week.to_json(s.units),
        "no_data": s.no_data,
        "data_end": None if s.data_end is None else s.data_end.isoformat(),
        "acwr": {"value": s.acwr_value, "status": s.acwr_status, "method": s.acwr_method,
                 "method_label": s.acwr_method_label},
        "highest_severity": None if s.highest is None else s.highest.value,
        "findings": [f.to_json() if hasattr(f, "to_json") else dict(f) for f in s.findings],
        "shoe_reminders": [_shoe_json(x) for x in s.shoe_reminders],
        "reminder": REMINDER,
    }


def summary_json_item(s: WeeklySummary) -> str:
    """One record as it stands inside :func:`summary_json`'s list (indented by two spaces), so a
    command can stream a team's summaries athlete by athlete and print the very same text."""
    import textwrap

    return textwrap.indent(json.dumps(summary_record(s), indent=2, ensure_ascii=False, default=str), "  ")


def summary_json(summaries: list[WeeklySummary]) -> str:
    """Machine-readable: a list with one record per athlete (each with its ``athlete`` field);
    findings via ``Finding.to_json()``."""
    items = [summary_record(s) for s in summaries]
    return json.dumps(items, indent=2, ensure_ascii=False, default=str) + "\n"
