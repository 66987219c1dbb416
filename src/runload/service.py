"""The service layer: one place that turns (store, athlete, as-of date, units, config) into results.

Every front door calls these functions: each CLI command, the text, Markdown,
JSON and HTML reporters, the cron summary, the team overview and the Python
API of the notebooks. They resolve the athlete's settings **once**
(:func:`resolve`) and take their days and weeks from one calendar
(:mod:`runload.tables` through :class:`runload.rules.context.LoadContext`),
so every view shows the same weeks, dates, units and coverage.

Precedence, the same for every command:

* **time zone**: the zone stored with the athlete (set by ``import --tz`` on
  the first import or ``runload athletes set-tz``); else the config's
  ``[athletes.NAME] timezone``; else UTC with a notice naming it and how to
  set one (never a silent UTC);
* **as-of date**: the given date, else today in the athlete's zone;
* **units**: the ``--units`` option, else the config's ``units``, else km;
  applied to every number and every sentence.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any, Iterable

from runload import tables
from runload.errors import ConfigError, RunloadError

if TYPE_CHECKING:
    import pandas as pd

#: Columns of :func:`weekly_table`, in order (``week_start`` is the index).
WEEKLY_TABLE_COLUMNS = (
    "iso_week", "distance_m", "runs", "run_days", "rest_days", "gap_days", "no_data_days", "days",
    "moving_s", "longest_run_m", "elevation_gain_m", "other_sports", "status", "complete",
    "baseline_m", "baseline_week", "change_ratio", "in_band",
)

#: The week statuses of :func:`weekly_table`.
WEEK_STATUSES = ("complete", "partial", "so far", "no data")


@dataclass(frozen=True)
class Settings:
    """One athlete's resolved settings (see the module docstring for the precedence)."""

    athlete: str
    tz: str
    tz_source: str
    """``store``, ``config`` or ``default`` (UTC, with a notice)."""
    as_of: date
    units: str
    config: Any
    """The athlete's :class:`runload.config.Config` (``[athletes.NAME]`` applied, ``units`` and
    ``timezone`` set to the resolved values)."""
    notices: tuple[str, ...] = ()
    """One-line notices for the user (e.g. the zone used when none is set)."""


def load_config(path: str | None = None):
    """The configuration from ``path`` (default: RUNLOAD_CONFIG or ~/.config/runload/config.toml)."""
    from runload.config import load_config as _load

    return _load(path)


def resolve(store, athlete: str, config=None, *, as_of: date | None = None, units: str | None = None) -> Settings:
    """Resolve an athlete's zone, as-of date, units and config once, for every view."""
    base = config if config is not None else load_config()
    cfg = base.for_athlete(athlete)
    notices = []
    stored = store.athlete_tz(athlete)
    if stored:
        tz, source = stored, "store"
    elif getattr(cfg, "timezone", None):
        tz, source = tables.check_timezone(cfg.timezone), "config"
    else:
        tz, source = "UTC", "default"
        notices.append(f"{athlete} has no time zone; dates are shown in UTC. "
                       f"Set one with 'runload athletes set-tz {athlete} ZONE'.")
    chosen = units or getattr(cfg, "units", None) or "km"
    if chosen not in ("km", "mi"):
        raise ConfigError(f"unknown units {chosen!r}; use km or mi")
    cfg = dataclasses.replace(cfg, units=chosen, timezone=tz)
    day = as_of if as_of is not None else tables.today_in(tz)
    return Settings(athlete=athlete, tz=tz, tz_source=source, as_of=day, units=chosen, config=cfg,
                    notices=tuple(notices))


def pick_athletes(store, athlete: str | None, all_athletes: bool = False) -> list[str]:
    """The athletes a read command works on: ``--athlete``, ``--all``, or the only one in the store."""
    names = store.athlete_names()
    if athlete and all_athletes:
        raise ConfigError("use either --athlete NAME or --all, not both")
    if all_athletes:
        if not names:
            raise RunloadError("the store has no athletes yet; import activities first")
        return names
    if athlete:
        store.athlete_id(athlete)  # raises NotFound with the known names
        return [athlete]
    if len(names) == 1:
        return names
    if not names:
        raise RunloadError("the store has no athletes yet; import activities first with 'runload import PATH'")
    raise RunloadError(f"the store holds several athletes ({', '.join(names)}); "
                       "choose one with --athlete NAME or use --all")


# ---- analysis ---------------------------------------------------------------------------
def check_athlete(store, settings: Settings, only: Iterable[str] | None = None):
    """Only the rules, on one stored athlete (``runload check``, ``shoes list``, the usefulness runs).

    Heart-rate histograms are loaded only when a selected rule reads them. The rules read the
    store's numpy columns: this path never loads pandas (the weekly table and the reports do).
    """
    from runload.analysis import CHECK_COLUMNS, check
    from runload.rules import rules_need_hr, selected_rules

    with_hr = rules_need_hr(selected_rules(settings.config, only))
    columns = CHECK_COLUMNS + ("moving_s", "ascent_m") + (("hr_seconds_by_bpm",) if with_hr else ())
    acts = store.activity_columns(settings.athlete, with_hr=with_hr, columns=columns)
    return check(acts, store.shoe_columns(settings.athlete), athlete=settings.athlete, tz=settings.tz,
                 as_of=settings.as_of, config=settings.config, only=only, gaps=store.gap_columns(settings.athlete))


def analyze_athlete(store, settings: Settings, activities: pd.DataFrame | None = None):
    """The rules and every display table of one stored athlete (reports, summaries, the API)."""
    from runload.analysis import analyze

    acts = store.activities_frame(settings.athlete) if activities is None else activities
    return analyze(acts, store.shoes_frame(settings.athlete), settings.athlete, tz=settings.tz,
                   as_of=settings.as_of, config=settings.config, gaps=store.gaps_frame(settings.athlete))


# ---- the weekly table every view shares --------------------------------------------------
def weekly_table(result) -> pd.DataFrame:
    """The weekly table of a :class:`~runload.analysis.Check` or :class:`~runload.analysis.Analysis`.

    One row per ISO week from the first run to ``as_of``, indexed by
    ``week_start`` (Monday), with :data:`WEEKLY_TABLE_COLUMNS`:

    * ``status``: ``complete``; ``partial`` (a past week the log does not
      cover whole: the first week, or one touching a declared gap or the days
      after the newest activity); ``so far`` (the week holding ``as_of``);
      ``no data`` (no recorded day at all: only gap or no-data days);
    * ``rest_days``: recorded days without a run (gap and no-data days are never
      rest); missing (NA) for a ``no data`` week;
    * ``change_ratio``: the change the 10 % rule computes, only where it
      compares (a complete week over its baseline, or a week so far whose total
      already exceeds the allowance), else NA; ``baseline_m`` and
      ``baseline_week`` name the baseline;
    * ``in_band``: True where the change is within the 5–10 % guideline band.
    """
    import pandas as pd

    from runload.measures.increase import weekly_increase_table

    ctx = result.context
    weekly = ctx.weekly.copy()
    n = len(weekly)
    if n == 0:
        out = pd.DataFrame({c: pd.Series(dtype=object) for c in WEEKLY_TABLE_COLUMNS},
                           index=pd.DatetimeIndex([], name="week_start"))
        return out
    inc = weekly_increase_table(weekly, ctx.config, gap_week=ctx.week_gap if ctx.has_gaps else None,
                                open_week=ctx.week_open)
    recorded = weekly["days"] - weekly["gap_days"] - weekly["no_data_days"]
    is_last = pd.Series(range(n), index=weekly.index) == n - 1
    status = pd.Series("partial", index=weekly.index, dtype=object)
    status[weekly["complete"].to_numpy(bool)] = "complete"
    status[is_last & ~weekly["complete"]] = "so far"
    status[(recorded.to_numpy() <= 0) & (weekly["runs"].to_numpy() == 0)] = "no data"
    # a complete week the rules leave out (it touches a declared gap or a no-data day) is partial
    touched = (weekly["gap_days"] + weekly["no_data_days"] > 0) & (status == "complete")
    status[touched] = "partial"
    weekly["status"] = status
    weekly["complete"] = status == "complete"
    weekly["rest_days"] = weekly["rest_days"].astype("Int64").where(status != "no data")
    # the change where the rule compares: a complete week, or a week so far that already exceeds it
    compared = (((inc["status"] == "ok").to_numpy() & (status == "complete").to_numpy())
                | ((inc["status"] == "provisional") & inc["flagged"]).to_numpy())
    weekly["baseline_m"] = pd.Series(inc["baseline_m"].to_numpy(float), index=weekly.index).where(compared)
    weekly["baseline_week"] = inc["baseline_week"].where(compared)
    weekly["change_ratio"] = pd.Series(inc["change_ratio"].to_numpy(float), index=weekly.index).where(compared)
    weekly["in_band"] = inc["within_guideline"].to_numpy(bool) & compared
    return weekly[list(WEEKLY_TABLE_COLUMNS)]


def weekly_records(result, units: str) -> list[dict]:
    """:func:`weekly_table` as JSON-ready records in ``units`` (the shape of ``weeks --format json``)."""
    import pandas as pd

    from runload.units import m_to

    table = weekly_table(result)
    out = []
    for monday, row in table.iterrows():
        change = row["change_ratio"]
        rest = row["rest_days"]
        out.append({
            "athlete": result.athlete,
            "iso_week": row["iso_week"],
            "week_start": monday.date().isoformat(),
            "status": row["status"],
            f"distance_{units}": round(m_to(float(row["distance_m"]), units), 3),
            "distance_m": round(float(row["distance_m"]), 1),
            "runs": int(row["runs"]),
            "run_days": int(row["run_days"]),
            "rest_days": None if pd.isna(rest) else int(rest),
            "gap_days": int(row["gap_days"]),
            "no_data_days": int(row["no_data_days"]),
            "change_pct": None if pd.isna(change) else round(float(change) * 100, 1),
            "baseline_week": None if pd.isna(row["baseline_week"]) else row["baseline_week"],
            f"baseline_{units}": (None if pd.isna(row["baseline_m"])
                                  else round(m_to(float(row["baseline_m"]), units), 2)),
            "in_band": bool(row["in_band"]),
            f"longest_run_{units}": round(m_to(float(row["longest_run_m"]), units), 3),
            "moving_s": round(float(row["moving_s"])),
            "elevation_gain_m": round(float(row["elevation_gain_m"])),
            "other_sports": int(row["other_sports"]),
        })
    return out


# ---- what the reports show ---------------------------------------------------------------
def collect(store, settings: Settings):
    """One athlete's analysed log and data-quality notes as of ``settings.as_of`` (for the reports)."""
    import pandas as pd

    from runload.report.data import AthleteData, quality_notes

    acts = store.activities_frame(settings.athlete)
    analysis = analyze_athlete(store, settings, acts)
    if len(acts):
        acts = acts[(tables.local_dates(acts, settings.tz) <= pd.Timestamp(settings.as_of)).to_numpy()]
    gaps = store.gaps_frame(settings.athlete)
    gaps = gaps[[d <= settings.as_of for d in gaps["from_date"]]] if len(gaps) else gaps
    quality = quality_notes(acts, store.duplicates_frame(settings.athlete), store.skipped_files(settings.athlete),
                            settings.tz, gaps=gaps)
    weekly = weekly_table(analysis)
    if "acwr_weekly" in analysis.weekly:
        weekly["acwr_weekly"] = analysis.weekly["acwr_weekly"]
    return AthleteData(name=settings.athlete, tz=settings.tz, as_of=settings.as_of, analysis=analysis,
                       config=analysis.config, activities=acts, quality=quality, units=settings.units,
                       weekly_table=weekly)


def team_date(names: list[str], as_of: date | None = None) -> date | None:
    """The one date several athletes are judged on: ``as_of``, else today on this machine's calendar
    (None for one athlete alone: today in their own zone)."""
    if as_of is None and len(names) > 1:
        return date.today()
    return as_of


def collect_team(store, names, config=None, *, as_of: date | None = None, units: str | None = None) -> list:
    """:func:`collect` for several athletes, all on one team date (:func:`team_date`)."""
    names = list(names)
    day = team_date(names, as_of)
    return [collect(store, resolve(store, n, config, as_of=day, units=units)) for n in names]


def resolve_week(spec: str, as_of: date) -> date:
    """The Monday of the week ``spec`` names: ``last`` (the last complete week before ``as_of``),
    ``this`` (the week holding ``as_of``) or an ISO week such as ``2026-W07``."""
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


def week_summary(store, settings: Settings, week: str = "last"):
    """The weekly summary of one athlete (``runload summary``, cron): the log as of ``settings.as_of``
    (the same analysis as every other view), the week's row of the shared weekly table, every finding
    whose period overlaps the week, shoe reminders and the acute:chronic ratio on the week's last day."""
    from runload.report.summary import build_summary

    monday = resolve_week(week, settings.as_of)
    data = collect(store, settings)
    return build_summary(data, monday, settings.units)


# findings by their period: runload.findings.finding_span / findings_overlapping
from runload.findings import finding_span, findings_overlapping  # noqa: E402  (re-exported for the API)


__all__ = [
    "Settings", "resolve", "pick_athletes", "load_config", "check_athlete", "analyze_athlete", "weekly_table",
    "collect", "collect_team", "team_date", "resolve_week", "week_summary",
    "weekly_records", "finding_span", "findings_overlapping", "WEEKLY_TABLE_COLUMNS", "WEEK_STATUSES",
]
