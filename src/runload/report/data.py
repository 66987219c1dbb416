"""Gather what the reports show about one athlete: the analysis plus the store's data-quality frames.

:func:`runload.service.collect` reads the store once per athlete and
analyses it; everything the text, Markdown and HTML renderers need then lives
in one :class:`AthleteData`. Pure helpers
(:func:`week_facts`, :func:`quality_notes`, ...) work on plain frames so they
are testable without a store.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any, Iterable

if TYPE_CHECKING:  # pandas loads only where a frame is really read: `runload check` renders without it
    import pandas as pd


from runload import tables
from runload.findings import DISCLAIMER, Severity
from runload.units import m_to

#: Sub-sports that mean the distance came from a treadmill or an indoor sensor.
INDOOR_SUB_SPORTS = ("treadmill", "indoor", "virtual")


#: Rules whose ``value``/``threshold`` are a relative change (shown as %).
CHANGE_RULES = ("weekly_increase",)


def _num(x: float) -> str:
    return f"{x:.2f}".rstrip("0").rstrip(".") if abs(x) < 1000 else f"{x:.0f}"


def finding_numbers(finding: Any, units: str = "km") -> str:
    """``"value 1.42 > threshold 1.3"``-style numbers of a finding, in readable units."""
    value = float(get(finding, "value", default=0.0))
    threshold = float(get(finding, "threshold", default=0.0))
    unit = get(finding, "unit", default="ratio")
    rule = get(finding, "rule", default="")
    if unit == "m":
        return f"{m_to(value, units):.1f} {units} (mark {m_to(threshold, units):.1f} {units})"
    if unit == "%":
        return f"{value:+.1f}% (threshold {threshold:g}%)"
    if unit in ("d", "days"):
        if rule == "run_spike":  # no run in the window to compare with
            return f"first run in {value:.0f} days (window {threshold:.0f})"
        return f"{_num(value)} days (threshold {_num(threshold)} days)"
    if rule in CHANGE_RULES:
        return f"{value * 100:+.1f}% (allowance +{threshold * 100:g}%)"
    return f"{_num(value)} (threshold {threshold:g})"


def acwr_column(frame: pd.DataFrame, method: str) -> str | None:
    """The column of ``frame`` holding the ratio of ``method`` (tolerant of naming)."""
    import pandas as pd

    for name in (f"{method}_ratio", f"acwr_{method}", f"ratio_{method}", method, f"{method}_acwr"):
        if name in frame.columns:
            return name
    candidates = [c for c in frame.columns if method in str(c) and "status" not in str(c)
                  and pd.api.types.is_numeric_dtype(frame[c])]
    return candidates[0] if candidates else None


def get(obj: Any, *names: str, default: Any = None) -> Any:
    """The first of ``names`` that ``obj`` has (attribute or key) and is not None."""
    for name in names:
        value = obj.get(name) if isinstance(obj, dict) else getattr(obj, name, None)
        if value is not None:
            return value
    return default


def acwr_method_label(config: Any, method: str | None = None) -> str:
    """The analyzer's own name for an ACWR method ("rolling coupled 7/28 d" ...)."""
    method = method or getattr(config, "acwr_method", "coupled")
    from runload.measures.acwr import method_label

    return method_label(config, method)


def strip_disclaimer(message: str) -> str:
    """A finding's message without the trailing disclaimer (shown once per report instead)."""
    text = message.rstrip()
    if text.endswith(DISCLAIMER):
        text = text[: -len(DISCLAIMER)].rstrip()
    return text


def severity_of(finding: Any) -> Severity:
    return Severity.parse(get(finding, "severity", default="info"))


def highest_severity(findings: Iterable[Any]) -> Severity | None:
    best = None
    for f in findings:
        s = severity_of(f)
        if best is None or s > best:
            best = s
    return best


def severity_counts(findings: Iterable[Any]) -> dict[str, int]:
    counts = {"alert": 0, "warning": 0, "info": 0}
    for f in findings:
        counts[severity_of(f).value] += 1
    return counts


def findings_between(findings: Iterable[Any], first: date, last: date) -> list[Any]:
    """Findings whose period overlaps ``first``..``last`` (inclusive), e.g. a streak that started
    in an earlier week (:func:`runload.service.findings_overlapping`)."""
    from runload.findings import findings_overlapping

    return findings_overlapping(findings, first, last)


@dataclass(frozen=True)
class WeekFacts:
    """One ISO week of the shared weekly table (:func:`runload.service.weekly_table`)."""

    iso_week: str
    week_start: date
    week_end: date
    distance_m: float
    runs: int
    run_days: int
    rest_days: int | None
    """Recorded days without a run; None for a week without data."""
    days: int
    longest_run_m: float
    moving_s: float
    complete: bool
    status: str
    """``complete``, ``partial``, ``so far`` or ``no data``."""
    gap_days: int
    no_data_days: int
    baseline_m: float | None
    baseline_week: str | None
    change_ratio: float | None
    """The change the 10 % rule computes, only where it compares (a complete week over its baseline)."""
    in_band: bool = False

    @property
    def previous_distance_m(self) -> float | None:
        """The baseline the change compares with (kept for older callers)."""
        return self.baseline_m

    def to_json(self, units: str = "km") -> dict:
        from runload.units import m_to

        return {
            "iso_week": self.iso_week,
            "week_start": self.week_start.isoformat(),
            "week_end": self.week_end.isoformat(),
            "status": self.status,
            "complete": self.complete,
            "distance_m": round(self.distance_m, 1),
            f"distance_{units}": round(m_to(self.distance_m, units), 3),
            "runs": self.runs,
            "run_days": self.run_days,
            "rest_days": self.rest_days,
            "gap_days": self.gap_days,
            "no_data_days": self.no_data_days,
            "days_in_log": self.days,
            "longest_run_m": round(self.longest_run_m, 1),
            "moving_s": round(self.moving_s),
            "baseline_week": self.baseline_week,
            "baseline_m": None if self.baseline_m is None else round(self.baseline_m, 1),
            "change_pct": None if self.change_ratio is None else round(self.change_ratio * 100, 1),
            "change_ratio": None if self.change_ratio is None else round(self.change_ratio, 4),
            "in_band": self.in_band,
        }


def _opt(value, cast):
    import pandas as pd

    return None if value is None or (not isinstance(value, str) and pd.isna(value)) else cast(value)


def week_facts(weekly: pd.DataFrame, monday: date) -> WeekFacts:
    """The row of the shared weekly table for the week starting ``monday``.

    A week outside the table (before the first run) is a week without data.
    """
    import pandas as pd

    monday_ts = pd.Timestamp(monday)
    sunday = monday + timedelta(days=6)
    label = tables.iso_week_label(monday_ts)
    if weekly is not None and monday_ts in weekly.index:
        row = weekly.loc[monday_ts]
        return WeekFacts(
            label, monday, sunday, float(row["distance_m"]), int(row["runs"]), int(row["run_days"]),
            _opt(row["rest_days"], int), int(row["days"]), float(row["longest_run_m"]), float(row["moving_s"]),
            bool(row["complete"]), str(row.get("status", "complete" if row["complete"] else "partial")),
            int(row.get("gap_days", 0) or 0), int(row.get("no_data_days", 0) or 0),
            _opt(row.get("baseline_m"), float), _opt(row.get("baseline_week"), str),
            _opt(row.get("change_ratio"), float), bool(row.get("in_band", False)))
    return WeekFacts(label, monday, sunday, 0.0, 0, 0, None, 0, 0.0, 0.0, False, "no data", 0, 7,
                     None, None, None, False)


def quality_notes(activities: pd.DataFrame | None, duplicates: pd.DataFrame | None = None,
                  skipped: pd.DataFrame | None = None, tz: str | None = None,
                  gaps: pd.DataFrame | None = None) -> dict[str, list[dict]]:
    """Data-quality notes for the report, each a list of small dicts.

    ``indoor``: runs on a treadmill or indoors (distance from the device);
    ``no_gps``: other runs without a GPS track; ``recovered``: activities read
    from damaged files; ``notes``: other per-activity notes; ``duplicates``:
    records dropped as duplicates; ``skipped``: files skipped with the reason;
    ``gaps`` (only when ``gaps`` is given, e.g. :meth:`runload.store.Store.gaps_frame`):
    user-declared gaps (``id``, ``from_date``, ``to_date``, ``days``, ``reason``).
    """
    import pandas as pd

    out: dict[str, list[dict]] = {k: [] for k in ("indoor", "no_gps", "recovered", "notes", "duplicates", "skipped")}
    acts = activities if activities is not None else pd.DataFrame()
    if len(acts):
        # column-wise: one pass per column, rows built only for the activities that have a note
        n = len(acts)

        def col(name):
            return acts[name].tolist() if name in acts else [None] * n

        days = [d.date() for d in tables.local_dates(acts, tz)]
        names, sports, paths = col("name"), col("sport"), col("source_path")
        dist = pd.to_numeric(acts["distance_m"], errors="coerce").tolist() if "distance_m" in acts else [None] * n
        subs, recs, notes = col("sub_sport"), col("recovered"), col("notes")
        gps = acts["has_gps"].tolist() if "has_gps" in acts else None

        def base(i):
            d = dist[i]
            return {"date": days[i], "name": names[i], "sport": sports[i],
                    "distance_m": None if d is None or d != d else float(d), "source_path": paths[i]}

        for i in range(n):
            is_run = sports[i] == "running"
            sub = subs[i]
            if is_run and isinstance(sub, str) and sub in INDOOR_SUB_SPORTS:
                out["indoor"].append({**base(i), "detail": sub})
            elif is_run and gps is not None and not bool(gps[i]):
                out["no_gps"].append({**base(i), "detail": "no GPS track; distance from the device"})
            if isinstance(recs[i], str) and recs[i]:
                out["recovered"].append({**base(i), "detail": recs[i]})
            if isinstance(notes[i], (list, tuple)) and notes[i]:
                out["notes"].append({**base(i), "detail": "; ".join(str(x) for x in notes[i])})
    if duplicates is not None and len(duplicates):
        for _, d in duplicates.iterrows():
            out["duplicates"].append({
                "source_path": d.get("source_path"),
                "source_format": d.get("source_format"),
                "start_utc": d.get("start_utc"),
                "distance_m": None if pd.isna(d.get("distance_m")) else float(d.get("distance_m")),
                "kept_path": d.get("kept_path"),
            })
    if skipped is not None and len(skipped):
        for _, s in skipped.iterrows():
            out["skipped"].append({"source_path": s.get("source_path"), "reason": s.get("reason"),
                                   "logged_utc": s.get("logged_utc")})
    if gaps is not None:
        out["gaps"] = []
        for _, g in gaps.iterrows():
            first, last = pd.Timestamp(g["from_date"]).date(), pd.Timestamp(g["to_date"]).date()
            reason = g.get("reason")
            out["gaps"].append({"id": None if pd.isna(g.get("id", None)) else int(g.get("id")),
                                "from_date": first, "to_date": last, "days": (last - first).days + 1,
                                "reason": reason if isinstance(reason, str) and reason else None})
    return out


@dataclass
class AthleteData:
    """Everything the reports show about one athlete, as the log stood on ``as_of``."""

    name: str
    tz: str | None
    as_of: date
    analysis: Any
    config: Any
    activities: pd.DataFrame
    quality: dict[str, list[dict]] = field(default_factory=dict)
    units: str = "km"
    weekly_table: pd.DataFrame | None = None
    """The shared weekly table (:func:`runload.service.weekly_table`) with ``acwr_weekly``."""

    @property
    def findings(self) -> list:
        return list(getattr(self.analysis, "findings", []) or [])

    @property
    def weekly(self) -> pd.DataFrame:
        """The shared weekly table (:func:`runload.service.weekly_table`) with ``acwr_weekly``."""
        return self.weekly_table if self.weekly_table is not None else self.analysis.weekly

    @property
    def data_end(self) -> date | None:
        """The local date of the newest activity; later days are no data."""
        return self.analysis.context.data_end

    @property
    def daily(self) -> pd.DataFrame:
        return self.analysis.daily

    @property
    def acwr(self) -> pd.DataFrame | None:
        return getattr(self.analysis, "acwr", None)

    @property
    def shoe_status(self) -> list:
        return list(getattr(self.analysis, "shoe_status", None) or [])

    @property
    def acwr_method(self) -> str:
        return getattr(self.config, "acwr_method", "coupled")

    def latest_acwr(self, day: date | None = None) -> tuple[float | None, str | None, date | None]:
        """(ratio, status, day) of the configured method on ``day`` (default the last day of the log)."""
        import pandas as pd

        frame = self.acwr
        if frame is None or len(frame) == 0:
            return None, None, None
        col = acwr_column(frame, self.acwr_method)
        if col is None:
            return None, None, None
        status_col = f"{self.acwr_method}_status" if f"{self.acwr_method}_status" in frame else (
            "status" if "status" in frame else None)
        if day is not None:
            frame = frame[frame.index <= pd.Timestamp(day)]
            if len(frame) == 0:
                return None, None, None
        last = frame.iloc[-1]
        value = pd.to_numeric(pd.Series([last[col]]), errors="coerce").iloc[0]
        status = str(last[status_col]) if status_col else None
        return (None if pd.isna(value) else float(value)), status, pd.Timestamp(frame.index[-1]).date()

    def shoes_to_replace(self) -> list:
        return [s for s in self.shoe_status if get(s, "status") == "replace"]

    def shoe_reminders(self) -> list:
        return [s for s in self.shoe_status if get(s, "status") in ("check", "replace")]


# --------------------------------------------------------------------------- team triage
#
# The coach's page: every athlete judged on one team date, one row each, most
# severe first, with the reasons in words and numbers.

#: Findings whose period overlaps this many days up to the team date are "recent" on the team page.
TEAM_WINDOW_DAYS = 28

_ISO_WEEK_RE = re.compile(r"\b(\d{4})-W(\d{2})\b")


def finding_span(finding: Any, as_of: date | None = None) -> tuple[date, date]:
    """The first and last day a finding is about (:func:`runload.findings.finding_span`); a period
    still running (``so far``) lasts until ``as_of``, and no span ends after ``as_of``."""
    from runload.findings import finding_span as span

    start, end = span(finding)
    if as_of is not None and "so far" in str(get(finding, "period", default="") or ""):
        end = max(end, as_of)
    if as_of is not None and start <= as_of:
        end = min(end, as_of)
    return start, end


def findings_overlapping(findings: Iterable[Any], first: date, last: date, as_of: date | None = None) -> list[Any]:
    """Findings whose period (:func:`finding_span`) overlaps ``first``..``last`` (inclusive)."""
    out = []
    for f in findings:
        a, b = finding_span(f, as_of)
        if a <= last and b >= first:
            out.append(f)
    return out


def pct_text(value_pct: float, threshold_pct: float | None = None, signed: bool = True) -> str:
    """A percentage rounded to whole numbers, with one more digit while the rounded
    number would not be above the threshold the true value is above (``+10.4 %``, never ``+10 %``)."""
    digits = 0
    while digits < 3:
        shown = round(value_pct, digits)
        if threshold_pct is None or not (value_pct > threshold_pct >= shown):
            break
        digits += 1
    text = f"{value_pct:+.{digits}f}" if signed else f"{value_pct:.{digits}f}"
    return text.replace("-", "−") + " %"


def short_span(first: date, last: date) -> str:
    """``18–26 Oct``, ``28 Sep–4 Oct``, ``28 Dec 2025–3 Jan 2026``; one day: ``18 Oct``."""
    if first == last:
        return f"{first.day} {first:%b}"
    if first.year != last.year:
        return f"{first.day} {first:%b %Y}–{last.day} {last:%b %Y}"
    if first.month == last.month:
        return f"{first.day}–{last.day} {last:%b}"
    return f"{first.day} {first:%b}–{last.day} {last:%b}"


def _week_label(period: str) -> str:
    """``W40`` from ``2026-W40``; ``W40–W42`` for a range; the period itself otherwise."""
    weeks = _ISO_WEEK_RE.findall(period)
    if not weeks:
        return period
    labels = [f"W{w}" for _, w in weeks]
    text = labels[0] if len(set(labels)) == 1 else f"{labels[0]}–{labels[-1]}"
    return text + (" so far" if "so far" in period else "")


def _spike_run_m(finding: Any, data: "AthleteData") -> float | None:
    """The distance of the run a run_spike finding is about (its period names the local date and time)."""
    import pandas as pd

    import re

    acts = data.activities
    if acts is None or len(acts) == 0:
        return None
    m = re.search(r"(\d{4}-\d{2}-\d{2}) at (\d{2}:\d{2})", str(get(finding, "period", default="")))
    runs = acts[acts["sport"] == "running"] if "sport" in acts else acts
    if not len(runs):
        return None
    starts = pd.to_datetime(runs["start_utc"], utc=True)
    if data.tz:
        starts = starts.dt.tz_convert(data.tz)
    if m:
        stamp = starts.dt.strftime("%Y-%m-%d %H:%M")
        hit = runs[(stamp == f"{m.group(1)} {m.group(2)}").to_numpy()]
        if len(hit):
            return float(hit["distance_m"].max())
    day = pd.Timestamp(get(finding, "date")).date().isoformat()
    same_day = runs[(starts.dt.strftime("%Y-%m-%d") == day).to_numpy()]
    return float(same_day["distance_m"].max()) if len(same_day) else None


def reason_text(finding: Any, data: "AthleteData", units: str = "km") -> str:
    """One finding as a coach reads it at a glance: words and numbers, no method.

    ``+56 % week (W40)``, ``24 km run on 18 Oct, +72 % on the month's longest``,
    ``9 running days in a row (18–26 Oct)``, ``no rest day (W43)``.
    """
    from runload.units import m_to

    rule = str(get(finding, "rule", default=""))
    value = float(get(finding, "value", default=0.0))
    threshold = float(get(finding, "threshold", default=0.0))
    unit = get(finding, "unit", default="ratio")
    period = str(get(finding, "period", default="") or "")
    first, last = finding_span(finding, data.as_of)
    when = short_span(first, last)
    if rule == "weekly_increase":
        return f"{pct_text(value * 100, threshold * 100)} week ({_week_label(period)})"
    if rule == "run_spike" and unit == "%":
        run_m = _spike_run_m(finding, data)
        window = int(getattr(data.config, "spike_window_days", 30) or 30)
        base = "the month's longest" if window == 30 else f"the longest of {window} days"
        run = f"{m_to(run_m, units):.0f} {units} run" if run_m else "a run"
        return f"{run} on {when}, {pct_text(value, threshold)} on {base}"
    if rule == "run_spike":
        return f"first run in {value:.0f} days ({when}): no recent longest run to compare"
    if rule == "run_streak":
        return f"{value:.0f} running days in a row ({when}{' so far' if 'so far' in period else ''})"
    if rule == "week_without_rest":
        days = int(round(value))
        words = "no rest day" if days == 0 else f"{days} rest day{'s' if days != 1 else ''}"
        return f"{words} ({_week_label(period)})"
    if rule == "monotony":
        return f"monotony {value:.1f}, above {threshold:g} ({_week_label(period)})"
    if rule == "acwr":
        return f"acute:chronic {value:.2f}, above {threshold:g} ({when})"
    if rule == "shoe_wear":
        return f"shoe {m_to(value, units):.0f} {units}"
    words = rule.replace("_", " ")
    label = _week_label(period) if period else when
    return f"{words}: {finding_numbers(finding, units)} ({label})"


@dataclass(frozen=True)
class Reason:
    """One line of a team row: a finding (or a shoe) in words and numbers."""

    severity: Severity
    text: str
    rule: str
    first: date
    last: date


@dataclass
class TeamRow:
    """One athlete on the team page, judged on the team date."""

    data: "AthleteData"
    index: int
    severity: Severity | None
    counts: dict[str, int]
    reasons: list[Reason]
    shoes: list[Reason]
    last_week: WeekFacts
    this_week: WeekFacts
    trend_m: list[float]
    newest: date | None

    @property
    def name(self) -> str:
        return self.data.name

    @property
    def no_data_days(self) -> int | None:
        """Days from the newest activity to the team date (None: no data at all; 0: data on the day)."""
        return None if self.newest is None else (self.data.as_of - self.newest).days

    @property
    def coverage(self) -> str:
        """``up to date``, ``no data since 2026-11-10 (11 days)`` or ``no data yet``."""
        if self.newest is None:
            return "no data yet"
        days = self.no_data_days
        if not days:
            return "up to date"
        return f"no data since {self.newest.isoformat()} ({days} day{'s' if days != 1 else ''})"

    @property
    def sort_key(self) -> tuple:
        rank = -1 if self.severity is None else self.severity.rank
        stale = 10**6 if self.newest is None else (self.no_data_days or 0)
        return (-rank, -self.counts["alert"], -self.counts["warning"], -self.counts["info"], -stale,
                self.name.casefold())


def newest_activity(data: "AthleteData") -> date | None:
    """The local date of the athlete's newest activity up to the as-of date (any sport)."""
    return data.data_end


def team_row(data: "AthleteData", units: str = "km", index: int = 0,
             window_days: int = TEAM_WINDOW_DAYS) -> TeamRow:
    """The team-page row of one athlete, on ``data.as_of`` (the team date)."""
    from runload.units import m_to

    as_of = data.as_of
    first = as_of - timedelta(days=window_days - 1)
    recent = findings_overlapping(data.findings, first, as_of, as_of)
    reasons = []
    for f in recent:
        if get(f, "rule") == "shoe_wear":
            continue  # shoes are listed from their status on the team date, below
        a, b = finding_span(f, as_of)
        reasons.append(Reason(severity_of(f), reason_text(f, data, units), str(get(f, "rule")), a, b))
    reasons.sort(key=lambda r: (-r.severity.rank, -r.last.toordinal(), r.rule))
    shoes = []
    for s in data.shoe_reminders():
        status = str(get(s, "status"))
        dist = float(get(s, "distance_m", default=0.0))
        sev = Severity.INFO
        shoes.append(Reason(sev, f"shoe '{get(s, 'name')}' {m_to(dist, units):.0f} {units}: {status}", "shoe_wear",
                            as_of, as_of))
    monday = as_of - timedelta(days=as_of.weekday())
    last = week_facts(data.weekly, monday - timedelta(days=7))
    this = week_facts(data.weekly, monday)
    trend = [week_facts(data.weekly, monday - timedelta(days=7 * k)).distance_m for k in range(4, 0, -1)]
    return TeamRow(data=data, index=index, severity=highest_severity(recent), counts=severity_counts(recent),
                   reasons=reasons, shoes=shoes, last_week=last, this_week=this, trend_m=trend,
                   newest=newest_activity(data))


def team_rows(athletes: Iterable["AthleteData"], units: str = "km",
              window_days: int = TEAM_WINDOW_DAYS) -> list[TeamRow]:
    """One row per athlete, most severe first (then most alerts, warnings, notes; then the
    longest without data; then by name). ``index`` keeps each athlete's place in ``athletes``."""
    rows = [team_row(d, units, i, window_days) for i, d in enumerate(athletes, 1)]
    return sorted(rows, key=lambda r: r.sort_key)


def team_date(as_of: date | None = None) -> date:
    """The one date a team is judged on: ``as_of``, else today on this computer."""
    return as_of or date.today()
