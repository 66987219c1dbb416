"""Findings: what a rule reports, in one frozen, JSON-stable shape.

A finding is a *training-load risk flag, not a diagnosis* (docs/method.md §9). Every
message states the number, the threshold, the window, the method and the
source, and ends with :data:`DISCLAIMER`. Words that overstate what a load
metric can tell ("safe", "danger", "overtrained", "you will get injured") are
never used; :func:`check_message` lists any such problem and the test suite
runs it on every finding it creates.
"""

from __future__ import annotations

import math
import re
from datetime import timedelta
from dataclasses import dataclass
from datetime import date
from datetime import date as _date
from enum import Enum
from typing import Iterable

DISCLAIMER = "Risk flag, not a diagnosis; if pain changes how you run, see a health professional."

#: Words and phrases never shown to users (docs/method.md §4, §2, §9).
BANNED_PHRASES = (
    "safe",
    "danger",
    "danger zone",
    "overtrained",
    "overtraining",
    "you will get injured",
)
_BANNED_RE = re.compile(r"\b(" + "|".join(re.escape(p) for p in BANNED_PHRASES) + r")\b", re.I)

#: Statuses a finding (or a computed value) can carry (docs/method.md C6), plus
#: ``provisional`` for a result that can still change (the current week so
#: far, a streak still running on ``as_of``) and ``unstable`` for an ACWR with
#: too few running days in its chronic window.
STATUSES = (
    "ok",
    "insufficient_history",
    "no_baseline",
    "data_gap",
    "undefined",
    "unstable",
    "provisional",
)


_STATUS_SET = frozenset(STATUSES)
_isfinite = math.isfinite


class Severity(str, Enum):
    """How strongly a finding asks for attention: ``info < warning < alert``."""

    INFO = "info"
    WARNING = "warning"
    ALERT = "alert"

    @property
    def rank(self) -> int:
        """0 for info, 1 for warning, 2 for alert."""
        return _RANK[self.value]

    @classmethod
    def parse(cls, value: "Severity | str") -> "Severity":
        """``Severity("warning")`` that also accepts a Severity."""
        return value if isinstance(value, Severity) else cls(str(value).lower())

    def __lt__(self, other):  # type: ignore[override]
        if not isinstance(other, Severity):
            return NotImplemented
        return self.rank < other.rank

    def __le__(self, other):  # type: ignore[override]
        if not isinstance(other, Severity):
            return NotImplemented
        return self.rank <= other.rank

    def __gt__(self, other):  # type: ignore[override]
        if not isinstance(other, Severity):
            return NotImplemented
        return self.rank > other.rank

    def __ge__(self, other):  # type: ignore[override]
        if not isinstance(other, Severity):
            return NotImplemented
        return self.rank >= other.rank

    def __str__(self) -> str:
        return self.value


_RANK = {"info": 0, "warning": 1, "alert": 2}

#: Keys of :meth:`Finding.to_json`, in order. Adding a key is a minor change;
#: renaming or removing one breaks consumers.
JSON_KEYS = (
    "rule",
    "severity",
    "athlete",
    "date",
    "period",
    "value",
    "threshold",
    "unit",
    "window",
    "method",
    "status",
    "source",
    "message",
    "episode",
)


@dataclass(frozen=True)
class Finding:
    """One flag raised by one rule.

    ``date`` is the day the finding is about (a run's date, the first day of an
    episode or streak) or the Monday of the ISO week for a week-level finding.
    ``value`` and ``threshold`` are in ``unit`` (``"ratio"``, ``"m"``, ``"%"``,
    ``"d"``, ``"days"``).
    """

    rule: str
    severity: Severity
    athlete: str
    date: date
    period: str
    value: float
    threshold: float
    window: str
    method: str | None
    message: str
    source: str
    status: str = "ok"
    unit: str = "ratio"
    episode: str | None = None
    """Id of the episode this finding belongs to (:mod:`runload.episodes`), else None."""

    def __post_init__(self) -> None:
        d = self.__dict__  # frozen: fill in the normalised values directly (same as object.__setattr__)
        severity = self.severity
        if type(severity) is not Severity:
            d["severity"] = Severity.parse(severity)
        day = self.date
        if type(day) is not date and hasattr(day, "date"):  # Timestamp/datetime -> date
            d["date"] = day.date()
        value = float(self.value)
        threshold = float(self.threshold)
        if not (_isfinite(value) and _isfinite(threshold)):
            raise ValueError(f"finding {self.rule}: value and threshold must be finite, got {value}, {threshold}")
        d["value"] = value
        d["threshold"] = threshold
        if self.status not in _STATUS_SET:
            raise ValueError(f"finding {self.rule}: unknown status {self.status!r}; use one of {', '.join(STATUSES)}")

    @property
    def sort_key(self) -> tuple:
        """Oldest first; at the same date the most severe first, then by rule id."""
        return (self.date, -_RANK[self.severity._value_], self.rule, self.period)

    def to_json(self) -> dict:
        """A JSON-ready dict with the keys of :data:`JSON_KEYS`, in that order."""
        return {
            "rule": self.rule,
            "severity": self.severity.value,
            "athlete": self.athlete,
            "date": self.date.isoformat(),
            "period": self.period,
            "value": self.value,
            "threshold": self.threshold,
            "unit": self.unit,
            "window": self.window,
            "method": self.method,
            "status": self.status,
            "source": self.source,
            "message": self.message,
            "episode": self.episode,
        }


_new = object.__new__
_POST_INIT = Finding.__post_init__


def new_finding(rule: str, severity: Severity, athlete: str, date: date, period: str, value: float,
                threshold: float, window: str, method: str | None, message: str, source: str,
                status: str = "ok", unit: str = "ratio", episode: str | None = None) -> Finding:
    """``Finding(...)`` for the rules' inner loops: the same checks and the same object,
    without the keyword-argument dataclass ``__init__`` (several times faster)."""
    if type(severity) is not Severity:
        severity = Severity.parse(severity)
    if type(date) is not _date and hasattr(date, "date"):
        date = date.date()
    value = float(value)
    threshold = float(threshold)
    if not (_isfinite(value) and _isfinite(threshold)):
        raise ValueError(f"finding {rule}: value and threshold must be finite, got {value}, {threshold}")
    if status not in _STATUS_SET:
        raise ValueError(f"finding {rule}: unknown status {status!r}; use one of {', '.join(STATUSES)}")
    f = _new(Finding)
    f.__dict__.update(rule=rule, severity=severity, athlete=athlete, date=date, period=period, value=value,
                      threshold=threshold, window=window, method=method, message=message, source=source,
                      status=status, unit=unit, episode=episode)
    post_init = Finding.__post_init__
    if post_init is not _POST_INIT:  # instrumented (the test suite scans every message): run it too
        post_init(f)
    return f


def findings_to_json(findings: Iterable[Finding]) -> list[dict]:
    """``[f.to_json() for f in findings]`` in their sorted order."""
    return [f.to_json() for f in sorted(findings, key=lambda f: f.sort_key)]


def sort_findings(findings: Iterable[Finding]) -> list[Finding]:
    """Findings oldest first (see :attr:`Finding.sort_key`)."""
    return sorted(findings, key=lambda f: f.sort_key)


def check_message(text: str) -> list[str]:
    """Problems with a user-facing message; an empty list when it follows §9.

    Checks that the message ends with :data:`DISCLAIMER` and uses none of
    :data:`BANNED_PHRASES` (whole words, any case).
    """
    problems = []
    if not text.endswith(DISCLAIMER):
        problems.append("does not end with the disclaimer")
    for m in _BANNED_RE.finditer(text):
        problems.append(f"uses the banned phrase {m.group(0)!r}")
    return problems


def with_disclaimer(text: str) -> str:
    """``text`` followed by the disclaimer sentence."""
    text = text.strip()
    if text and not text.endswith((".", "!", "?")):
        text += "."
    return f"{text} {DISCLAIMER}" if text else DISCLAIMER


# ---- findings by their period ------------------------------------------------------------
_RANGE = re.compile(r"(\d{4}-\d{2}-\d{2})\s*(?:\.\.|to)\s*(\d{4}-\d{2}-\d{2})")
_WEEK = re.compile(r"^(\d{4}-W\d{2})\b")


def finding_span(finding) -> tuple[date, date]:
    """(first day, last day) of the period a finding covers: a run's day, an ISO week, or a stretch."""
    first = finding.date if isinstance(finding.date, date) else date.fromisoformat(str(finding.date)[:10])
    period = str(getattr(finding, "period", "") or "")
    m = _RANGE.search(period)
    if m:
        return date.fromisoformat(m.group(1)), date.fromisoformat(m.group(2))
    m = _WEEK.match(period)
    if m:
        year, week = m.group(1).split("-W")
        monday = date.fromisocalendar(int(year), int(week), 1)
        return monday, monday + timedelta(days=6)
    return first, first


def findings_overlapping(findings: Iterable, first: date, last: date) -> list:
    """Findings whose period overlaps ``first..last`` (inclusive): a streak from Sunday of one week to
    Monday of the week after the next is in all three weeks."""
    out = []
    for f in findings:
        a, b = finding_span(f)
        if a <= last and b >= first:
            out.append(f)
    return out


__all__ = [
    "finding_span",
    "findings_overlapping",
    "Severity",
    "Finding",
    "new_finding",
    "DISCLAIMER",
    "BANNED_PHRASES",
    "STATUSES",
    "JSON_KEYS",
    "findings_to_json",
    "sort_findings",
    "check_message",
    "with_disclaimer",
]
