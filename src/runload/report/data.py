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
