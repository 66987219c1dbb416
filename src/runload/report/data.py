"""Gather what the reports show about one athlete: the analysis plus the store's data-quality frames.

:func:`collect` reads the store once per athlete and calls
:func:`runload.analysis.analyze`; everything the text, Markdown and HTML
renderers need then lives in one :class:`AthleteData`. Pure helpers
(:func:`week_facts`, :func:`quality_notes`, ...) work on plain frames so they
are testable without a store.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Iterable

import pandas as pd

from runload import tables
from runload.findings import DISCLAIMER, Severity

#: Sub-sports that mean the distance came from a treadmill or an indoor sensor.
INDOOR_SUB_SPORTS = ("treadmill", "indoor", "virtual")


def today_in(tz: str | None) -> date:
    """Today's date in the athlete's zone (the machine's date without one)."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    return datetime.now(ZoneInfo(tz)).date() if tz else date.today()


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
    from runload.rules.acwr import method_label

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
    """Findings dated ``first``..``last`` (inclusive)."""
    out = []
    for f in findings:
        d = get(f, "date")
        if d is None:
            continue
        d = pd.Timestamp(d).date()
        if first <= d <= last:
            out.append(f)
    return out


@dataclass(frozen=True)
class WeekFacts:
    """One ISO week of running, with the change over the week before."""

    iso_week: str
    week_start: date
    week_end: date
    distance_m: float
    runs: int
    run_days: int
    rest_days: int
    days: int
    longest_run_m: float
    moving_s: float
    complete: bool
    previous_distance_m: float | None
    change_ratio: float | None

    def to_json(self, units: str = "km") -> dict:
        from runload.units import m_to

        return {
            "iso_week": self.iso_week,
            "week_start": self.week_start.isoformat(),
            "week_end": self.week_end.isoformat(),
            "complete": self.complete,
            "distance_m": round(self.distance_m, 1),
            f"distance_{units}": round(m_to(self.distance_m, units), 2),
            "runs": self.runs,
            "run_days": self.run_days,
            "rest_days": self.rest_days,
            "days_in_log": self.days,
            "longest_run_m": round(self.longest_run_m, 1),
            "moving_s": round(self.moving_s),
            "previous_distance_m": None if self.previous_distance_m is None else round(self.previous_distance_m, 1),
            "change_ratio": None if self.change_ratio is None else round(self.change_ratio, 4),
        }


def week_facts(weekly: pd.DataFrame, monday: date) -> WeekFacts:
    """The row of ``weekly`` for the week starting ``monday`` (zeros when the log has none)."""
    monday_ts = pd.Timestamp(monday)
    sunday = monday + timedelta(days=6)
    prev_ts = monday_ts - pd.Timedelta(days=7)
    label = tables.iso_week_label(monday_ts)
    if weekly is not None and monday_ts in weekly.index:
        row = weekly.loc[monday_ts]
        dist, runs = float(row["distance_m"]), int(row["runs"])
        run_days, rest_days, days = int(row["run_days"]), int(row["rest_days"]), int(row["days"])
        longest, moving, complete = float(row["longest_run_m"]), float(row["moving_s"]), bool(row["complete"])
    else:
        dist = longest = moving = 0.0
        runs = run_days = 0
        rest_days, days, complete = 7, 7, True
    prev = None
    if weekly is not None and prev_ts in weekly.index:
        prev = float(weekly.loc[prev_ts, "distance_m"])
    change = (dist - prev) / prev if prev else None
    return WeekFacts(label, monday, sunday, dist, runs, run_days, rest_days, days, longest, moving, complete,
                     prev, change)


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
    out: dict[str, list[dict]] = {k: [] for k in ("indoor", "no_gps", "recovered", "notes", "duplicates", "skipped")}
    acts = activities if activities is not None else pd.DataFrame()
    if len(acts):
        local = tables.local_dates(acts, tz)
        for (_, a), day in zip(acts.iterrows(), local):
            base = {
                "date": pd.Timestamp(day).date(),
                "name": a.get("name"),
                "sport": a.get("sport"),
                "distance_m": None if pd.isna(a.get("distance_m")) else float(a.get("distance_m")),
                "source_path": a.get("source_path"),
            }
            is_run = a.get("sport") == "running"
            sub = a.get("sub_sport")
            if is_run and isinstance(sub, str) and sub in INDOOR_SUB_SPORTS:
                out["indoor"].append({**base, "detail": sub})
            elif is_run and "has_gps" in acts and not bool(a.get("has_gps")):
                out["no_gps"].append({**base, "detail": "no GPS track; distance from the device"})
            rec = a.get("recovered")
            if isinstance(rec, str) and rec:
                out["recovered"].append({**base, "detail": rec})
            notes = a.get("notes")
            if isinstance(notes, (list, tuple)) and notes:
                out["notes"].append({**base, "detail": "; ".join(str(n) for n in notes)})
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

    @property
    def findings(self) -> list:
        return list(getattr(self.analysis, "findings", []) or [])

    @property
    def weekly(self) -> pd.DataFrame:
        return self.analysis.weekly

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

    def latest_acwr(self) -> tuple[float | None, str | None, date | None]:
        """(ratio, status, day) of the configured method on the last day with a value."""
        frame = self.acwr
        if frame is None or len(frame) == 0:
            return None, None, None
        from runload.report.charts import acwr_column

        col = acwr_column(frame, self.acwr_method)
        if col is None:
            return None, None, None
        status_col = f"{self.acwr_method}_status" if f"{self.acwr_method}_status" in frame else (
            "status" if "status" in frame else None)
        last = frame.iloc[-1]
        value = pd.to_numeric(pd.Series([last[col]]), errors="coerce").iloc[0]
        status = str(last[status_col]) if status_col else None
        return (None if pd.isna(value) else float(value)), status, pd.Timestamp(frame.index[-1]).date()

    def shoes_to_replace(self) -> list:
        return [s for s in self.shoe_status if get(s, "status") == "replace"]

    def shoe_reminders(self) -> list:
        return [s for s in self.shoe_status if get(s, "status") in ("check", "replace")]


def run_analysis(activities: pd.DataFrame, shoes: pd.DataFrame, athlete: str, tz: str | None, as_of: date,
                 config: Any, gaps: pd.DataFrame | None = None):
    """``runload.analysis.analyze`` (imported late so reports load without it)."""
    from runload.analysis import analyze

    return analyze(activities, shoes, athlete, tz=tz, as_of=as_of, config=config, gaps=gaps)


def collect(store, name: str, as_of: date | None = None, config: Any = None) -> AthleteData:
    """Read one athlete's log from ``store`` and analyse it as it stood on ``as_of``.

    ``as_of`` defaults to today in the athlete's zone; ``config`` (the base
    :class:`runload.config.Config`; the analysis applies ``[athletes.NAME]``)
    to :func:`runload.config.load_config`'s default.
    """
    tz = store.athlete_tz(name)
    if tz is None and config is not None and hasattr(config, "for_athlete"):
        tz = config.for_athlete(name).timezone
    as_of = as_of or today_in(tz)
    acts = store.activities_frame(name)
    shoes = store.shoes_frame(name)
    gaps = store.gaps_frame(name)
    analysis = run_analysis(acts, shoes, name, tz, as_of, config, gaps)
    cfg = getattr(analysis, "config", None) or config
    if len(acts):
        acts = acts[(tables.local_dates(acts, tz) <= pd.Timestamp(as_of)).to_numpy()]
    quality = quality_notes(acts, store.duplicates_frame(name), store.skipped_files(name), tz,
                            gaps=gaps[[d <= as_of for d in gaps["from_date"]]] if len(gaps) else gaps)
    return AthleteData(name=name, tz=tz, as_of=as_of, analysis=analysis, config=cfg, activities=acts,
                       quality=quality)


# --------------------------------------------------------------------------- team triage
#
# The coach's page: every athlete judged on one team date, one row each, most
# severe first, with the reasons in words and numbers.

#: Findings whose period overlaps this many days up to the team date are "recent" on the team page.
TEAM_WINDOW_DAYS = 28

_ISO_WEEK_RE = None
_ISO_DATE_RE = None


def _patterns():
    import re

    global _ISO_WEEK_RE, _ISO_DATE_RE
    if _ISO_WEEK_RE is None:
        _ISO_WEEK_RE = re.compile(r"\b(\d{4})-W(\d{2})\b")
        _ISO_DATE_RE = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
    return _ISO_WEEK_RE, _ISO_DATE_RE


def finding_span(finding: Any, as_of: date | None = None) -> tuple[date, date]:
    """The first and last day a finding is about.

    Read from the finding's ``end`` (when the finding has one) or its
    ``period``: ISO weeks (``2026-W40``: Monday to Sunday) and ISO dates
    (``2026-10-18..2026-10-26``) found in it; a period that is still running
    (``so far``) lasts until ``as_of``. Without either, the finding's date.
    """
    start = pd.Timestamp(get(finding, "date")).date()
    end = start
    explicit = get(finding, "end", "end_date", "last_date")
    if explicit is not None:
        end = max(end, pd.Timestamp(explicit).date())
    period = str(get(finding, "period", default="") or "")
    week_re, date_re = _patterns()
    for y, w in week_re.findall(period):
        monday = date.fromisocalendar(int(y), int(w), 1)
        start, end = min(start, monday), max(end, monday + timedelta(days=6))
    rule = str(get(finding, "rule", default=""))
    if rule != "shoe_wear":  # a shoe's period names the as-of date, not the days it is about
        for y, m, d in date_re.findall(period):
            day = date(int(y), int(m), int(d))
            start, end = min(start, day), max(end, day)
    if as_of is not None and "so far" in period:
        end = max(end, as_of)
    if as_of is not None:
        end = min(end, as_of) if start <= as_of else end
    return start, end


def findings_overlapping(findings: Iterable[Any], first: date, last: date, as_of: date | None = None) -> list[Any]:
    """Findings whose period (:func:`finding_span`) overlaps ``first``..``last`` (inclusive)."""
    out = []
    for f in findings:
        if get(f, "date") is None:
            continue
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
    week_re, _ = _patterns()
    weeks = week_re.findall(period)
    if not weeks:
        return period
    labels = [f"W{w}" for _, w in weeks]
    text = labels[0] if len(set(labels)) == 1 else f"{labels[0]}–{labels[-1]}"
    return text + (" so far" if "so far" in period else "")


def _spike_run_m(finding: Any, data: "AthleteData") -> float | None:
    """The distance of the run a run_spike finding is about (its period names the local date and time)."""
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
    from runload.report.text import finding_numbers

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
    acts = data.activities
    if acts is None or len(acts) == 0:
        return None
    days = tables.local_dates(acts, data.tz)
    days = days[days <= pd.Timestamp(data.as_of)]
    return None if days.empty else pd.Timestamp(days.max()).date()


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


def collect_team(store, names: Iterable[str], as_of: date | None = None, config: Any = None) -> list[AthleteData]:
    """:func:`collect` for several athletes, all on one team date (:func:`team_date`).

    One athlete alone keeps :func:`collect`'s default: today in their own zone.
    """
    names = list(names)
    day = as_of if as_of is not None or len(names) < 2 else team_date()
    return [collect(store, n, as_of=day, config=config) for n in names]
