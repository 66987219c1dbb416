"""Findings as plain text and Markdown (used by ``check``, ``summary`` and the reports).

Text output is grouped by severity (alert, warning, info) and, inside a
group, newest first; every finding shows its numbers (value, threshold,
window, method) and its message. The disclaimer that ends every message is
printed once at the end instead of after each finding. ``check`` shows one
line per finding by default (:func:`findings_brief`), in colour only on a
terminal.
"""

from __future__ import annotations

import datetime as _dt
import textwrap
from typing import Any, Iterable, Sequence


from runload.findings import DISCLAIMER, Severity
from runload.output import md_escape
from runload.report.data import CHANGE_RULES, finding_numbers, get, severity_of, strip_disclaimer  # noqa: F401
from runload.units import m_to

#: Width of mail-ready text (RFC 5322 recommends lines under 78 characters).
TEXT_WIDTH = 76
SEVERITY_ORDER = (Severity.ALERT, Severity.WARNING, Severity.INFO)
SEVERITY_TITLES = {Severity.ALERT: "Alerts", Severity.WARNING: "Warnings", Severity.INFO: "Information"}
#: Rules whose ``value``/``threshold`` are a relative change (shown as %).
REMINDER = ("Every flag is a training-load risk flag, not a diagnosis. " + DISCLAIMER.split("; ", 1)[1][0].upper()
            + DISCLAIMER.split("; ", 1)[1][1:])

__all__ = [
    "findings_text",
    "findings_markdown",
    "findings_brief",
    "brief_line",
    "finding_numbers",
    "group_by_severity",
    "wrap",
    "REMINDER",
]


def group_by_severity(findings: Iterable[Any]) -> dict[Severity, list[Any]]:
    """``{severity: findings newest first}`` for alert, warning, info (empty groups kept)."""
    groups: dict[Severity, list[Any]] = {s: [] for s in SEVERITY_ORDER}
    for f in findings:
        groups[severity_of(f)].append(f)
    for s in groups:
        groups[s].sort(key=lambda f: (_day(get(f, "date")), str(get(f, "rule", default=""))), reverse=True)
    return groups


def wrap(text: str, indent: str = "", width: int = TEXT_WIDTH) -> list[str]:
    """``text`` wrapped to ``width`` (long words such as paths are kept whole).

    An ``indent`` of ``"- "`` starts a bullet: continuation lines get spaces.
    """
    rest = " " * len(indent) if indent.strip() else indent
    return textwrap.wrap(text, width=width, initial_indent=indent, subsequent_indent=rest,
                         break_long_words=False, break_on_hyphens=False) or [indent.rstrip()]


def _day(value: Any) -> _dt.date:
    """The calendar day of a finding's or an item's date (a date, a datetime or pandas Timestamp, or
    ISO text), without pandas: `runload check` renders its text with the rules' numpy alone."""
    if isinstance(value, _dt.datetime):
        return value.date()
    if isinstance(value, _dt.date):
        return value
    if isinstance(value, str):
        return _dt.date.fromisoformat(value[:10])
    return _dt.date.fromisoformat(str(value)[:10])  # e.g. numpy's datetime64


def _date(f: Any) -> str:
    d = get(f, "date")
    return _day(d).isoformat() if d is not None else "?"


def finding_lines(f: Any, units: str = "km", width: int = TEXT_WIDTH, details: bool = True) -> list[str]:
    """A finding as a few wrapped lines: head line with the numbers, then the message."""
    sev = severity_of(f).value.upper()
    head = f"{sev} {_date(f)} {get(f, 'rule', default='?')} ({get(f, 'period', default='')}): " \
           f"{finding_numbers(f, units)}"
    lines = wrap(head, "- ", width)
    lines += wrap(strip_disclaimer(str(get(f, "message", default=""))), "  ", width)
    if details:
        method = get(f, "method")
        extra = f"window: {get(f, 'window', default='–')}" + (f"; method: {method}" if method else "")
        extra += f"; source: {get(f, 'source', default='–')}"
        lines += wrap(extra, "  ", width)
    return lines


def findings_text(findings: Sequence[Any], units: str = "km", width: int = TEXT_WIDTH,
                  details: bool = True, reminder: bool = True) -> str:
    """Plain text: findings grouped by severity, newest first, each with its numbers.

    Returns ``"No risk flags."`` (plus the reminder) when there are none.
    """
    findings = list(findings)
    out: list[str] = []
    if not findings:
        out.append("No risk flags.")
    groups = group_by_severity(findings)
    for sev in SEVERITY_ORDER:
        items = groups[sev]
        if not items:
            continue
        if out:
            out.append("")
        out.append(f"{SEVERITY_TITLES[sev]} ({len(items)}):")
        for f in items:
            out.extend(finding_lines(f, units, width, details))
    if reminder:
        out.append("")
        out.extend(wrap(REMINDER, "", width))
    return "\n".join(out) + "\n"


#: Terminal colours per severity (``check`` on a terminal; never when piped or under NO_COLOR).
SEVERITY_COLORS = {Severity.ALERT: "red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}
_RULE_WORDS = {
    "weekly_increase": "weekly increase", "week_without_rest": "no rest day", "run_streak": "run streak",
    "run_spike": "single-run spike", "acwr": "acute:chronic", "monotony": "monotony", "shoe_wear": "shoe wear",
}


def _short_period(f: Any) -> str:
    """The date or period of a finding in at most 21 characters: a day, an ISO week or a range."""
    from runload.findings import finding_span

    period = str(get(f, "period", default="") or "")
    first, last = finding_span(f)
    if period[:8].count("-W") == 1 and period[:4].isdigit():
        return period.split()[0] + (" so far" if "so far" in period else "")
    if first == last:
        return first.isoformat()
    if first.year == last.year:
        return f"{first.isoformat()}..{last.strftime('%m-%d')}"
    return f"{first.isoformat()}..{last.isoformat()}"


def brief_line(f: Any, units: str = "km", width: int = 80) -> str:
    """One line for a finding: severity, date or period, rule, the numbers (cut to ``width``)."""
    sev = severity_of(f)
    rule = get(f, "rule", default="?")
    line = f"{sev.value.upper():<7} {_short_period(f):<18} {_RULE_WORDS.get(rule, rule):<16} " \
           f"{finding_numbers(f, units)}"
    return line if len(line) <= width else line[: width - 1] + "…"


def items_with_episodes(findings: Sequence[Any]) -> list[Any]:
    """The findings with every episode of several findings (docs/method.md §11) in place of its
    members: one item for one habit. Items are Findings or :class:`runload.episodes.Episode`."""
    from runload.episodes import group_episodes

    found = [f for f in findings if hasattr(f, "sort_key")]
    grouped = [e for e in group_episodes(found) if e.count > 1]
    members = {id(f) for e in grouped for f in e.findings}
    return [f for f in findings if id(f) not in members] + grouped


def _item_date(item: Any) -> _dt.date:
    return _day(getattr(item, "start", None) or get(item, "date"))


def episode_line(ep: Any, width: int = 80) -> str:
    """One line for an episode: severity, period, what, its numbers in words."""
    what = _RULE_WORDS.get(ep.rules[0], ep.rules[0]) if len(ep.rules) == 1 else "no-rest stretch"
    period = f"{ep.start.isoformat()}..{ep.end.strftime('%m-%d') if ep.start.year == ep.end.year else ep.end}"
    import re

    summary = re.sub(r" \([^)]*\)", "", ep.summary, count=1)  # the period is in its own column
    line = f"{ep.severity.value.upper():<7} {period:<18} {what:<16} {summary}"
    return line if len(line) <= width else line[: width - 1] + "…"


def findings_brief(findings: Sequence[Any], units: str = "km", width: int = 80, color: bool = False,
                   verbose: bool = False) -> list[str]:
    """``check`` at a glance: one line per finding or episode, newest first; ``verbose`` adds the
    message, window, method and source under each line."""
    import click

    items = items_with_episodes(list(findings))
    order = sorted(items, key=lambda f: (_item_date(f), severity_of(f).rank), reverse=True)
    out = []
    for f in order:
        if hasattr(f, "summary"):  # an episode
            line = episode_line(f, width)
            if color:
                line = click.style(line[:7], fg=SEVERITY_COLORS[f.severity]) + line[7:]
            out.append(line)
            if verbose:
                for member in f.findings:
                    out += wrap(brief_line(member, units, width - 4).rstrip(), "    ", width)
            continue
        line = brief_line(f, units, width)
        if color:
            sev = severity_of(f)
            head, rest = line[:7], line[7:]
            line = click.style(head, fg=SEVERITY_COLORS[sev], bold=sev is not Severity.INFO) + rest
        out.append(line)
        if verbose:
            out += wrap(strip_disclaimer(str(get(f, "message", default=""))), "    ", width)
            method = get(f, "method")
            extra = f"window: {get(f, 'window', default='–')}" + (f"; method: {method}" if method else "")
            extra += f"; source: {get(f, 'source', default='–')}"
            out += wrap(extra, "    ", width)
    return out


def findings_markdown(findings: Sequence[Any], units: str = "km", title: str | None = None,
                      reminder: bool = True) -> str:
    """Markdown: one table per severity (newest first), every cell escaped."""
    findings = list(findings)
    out: list[str] = []
    if title:
        out.append(f"## {md_escape(title)}")
        out.append("")
    if not findings:
        out.append("No risk flags.")
        out.append("")
    groups = group_by_severity(findings)
    for sev in SEVERITY_ORDER:
        items = groups[sev]
        if not items:
            continue
        out.append(f"### {SEVERITY_TITLES[sev]} ({len(items)})")
        out.append("")
        out.append("| date | rule | period | numbers | window | method | message | source |")
        out.append("|:---|:---|:---|:---|:---|:---|:---|:---|")
        for f in items:
            cells = [
                _date(f), get(f, "rule", default=""), get(f, "period", default=""), finding_numbers(f, units),
                get(f, "window", default=""), get(f, "method", default="") or "–",
                strip_disclaimer(str(get(f, "message", default=""))), get(f, "source", default=""),
            ]
            out.append("| " + " | ".join(md_escape(str(c)) for c in cells) + " |")
        out.append("")
    if reminder:
        out.append(f"*{md_escape(REMINDER)}*")
        out.append("")
    return "\n".join(out)
