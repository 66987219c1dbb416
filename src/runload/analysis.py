"""One call from activities to findings: :func:`analyze`.

This is what the CLI (``runload check``, ``shoes list``) and the reporter call.
It cuts the log at ``as_of`` (activities starting on a later local date are
ignored, so a coach can replay a season), builds the daily and weekly tables,
runs the rules and computes the display series (ACWR by every method, weekly
monotony, the fitness–fatigue chart, shoe status).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Iterable

from runload.config import Config, load_config
from runload.findings import Finding, findings_to_json
from runload.rules import run_rules
from runload.measures.shoes import ShoeStatus, shoe_status
from runload.rules.context import LoadContext, build_context

if TYPE_CHECKING:
    import pandas as pd

# The display tables (ACWR by every method, monotony, the fitness-fatigue chart) are DataFrames: their
# modules and pandas load in analyze(), never in check() (``runload check`` runs without pandas).


@dataclass(frozen=True, eq=False)
class Check:
    """The findings of one athlete on ``as_of``, without the display tables (:func:`check`).

    :class:`Analysis` extends it with the display tables.
    """

    athlete: str
    as_of: date
    findings: list[Finding]
    context: LoadContext = field(repr=False, kw_only=True)

    @property
    def config(self) -> Config:
        return self.context.config

    @property
    def gaps(self) -> list[tuple[date, date]]:
        """The user-declared gaps the rules saw (merged), as ``(first day, last day)`` pairs."""
        return self.context.gap_list()

    def findings_since(self, day: date) -> list[Finding]:
        """Findings dated on or after ``day``."""
        return [f for f in self.findings if f.date >= day]

    def to_json(self) -> dict:
        """The findings as JSON-ready data."""
        return {"athlete": self.athlete, "as_of": self.as_of.isoformat(), "findings": findings_to_json(self.findings)}


@dataclass(frozen=True, eq=False)
class Analysis(Check):
    """Everything the reporter shows for one athlete on ``as_of``.

    Attributes
    ----------
    findings : list of Finding, sorted oldest first.
    gaps : the user-declared gaps (merged) as ``(first day, last day)`` pairs.
    daily : DataFrame, one row per local date (log start .. as_of).
    weekly : DataFrame, one row per ISO week, with ``complete`` and
        ``acwr_weekly`` (Frandsen's form: week over the mean of the previous 3).
    acwr : DataFrame per day: coupled/uncoupled/EWMA ratios, statuses, bands,
        plus ``ratio``/``status``/``band`` of the configured method.
    monotony : DataFrame per ISO week (Foster monotony and strain).
    pmc : DataFrame or None; ``pmc_note`` says which load it uses or why it is missing.
    shoe_status : list of ShoeStatus.
    context : the LoadContext the rules saw.
    """

    daily: pd.DataFrame
    weekly: pd.DataFrame
    acwr: pd.DataFrame
    monotony: pd.DataFrame
    pmc: pd.DataFrame | None
    pmc_note: str
    shoe_status: list[ShoeStatus]

    def to_json(self) -> dict:
        """Findings and shoe status as JSON-ready data (tables stay DataFrames)."""
        return {
            "athlete": self.athlete,
            "as_of": self.as_of.isoformat(),
            "findings": findings_to_json(self.findings),
            "shoes": [s.to_json() for s in self.shoe_status],
            "pmc_note": self.pmc_note,
        }


def analyze(
    activities: pd.DataFrame | None,
    shoes: pd.DataFrame | None = None,
    athlete: str = "default",
    tz: str | None = None,
    as_of: date | str | None = None,
    config: Config | None = None,
    only: Iterable[str] | None = None,
    log_start: date | str | None = None,
    gaps: pd.DataFrame | None = None,
    data_end: date | str | None = None,
) -> Analysis:
    """Analyse one athlete's log as it stood on ``as_of``.

    Parameters
    ----------
    activities : DataFrame
        The store's activities of one athlete (all sports; only running counts).
    shoes : DataFrame, optional
        The athlete's shoes (``name``, ``start_distance_m``, ``check_at_m``,
        ``retire_at_m``, ``retired_on``, ``is_default``).
    athlete : str
        Name; selects ``[athletes.NAME]`` overrides in the config.
    tz : str, optional
        IANA zone; default the athlete's configured ``timezone``, else the
        offsets the files recorded.
    as_of : date, optional
        Last day of the log (default: today in the athlete's zone).
    config : Config, optional
        Default :func:`runload.config.load_config`.
    only : iterable of rule ids, optional
        Run only these rules (unknown ids raise ConfigError).
    log_start : date, optional
        First day of the log (default: the first local date with a run).
    gaps : DataFrame, optional
        User-declared gaps (watch not worn, illness) with ``from_date`` and
        ``to_date`` (:meth:`runload.store.Store.gaps_frame`). Their days are
        missing (docs/method.md §0 C3): windows touching one get status ``data_gap``
        in the rules and in the display tables; ``weekly`` counts them in ``gap_days``.
    data_end : date, optional
        The last day the log covers (default: the newest activity's local
        date); later days up to ``as_of`` are *no data*, never rest.

    An athlete with no runs gives an Analysis with empty tables and no
    findings other than shoe reminders (a shoe's start distance alone can
    reach its check distance).
    """
    import pandas as pd

    from runload.measures.acwr import acwr_frame, weekly_acwr
    from runload.measures.load import pmc_for
    from runload.measures.monotony import monotony_table

    rules_only = check(activities, shoes, athlete, tz=tz, as_of=as_of, config=config, only=only,
                       log_start=log_start, gaps=gaps, data_end=data_end)
    ctx, cfg, findings = rules_only.context, rules_only.config, rules_only.findings
    gap_days = ctx.gap_days if ctx.has_gaps else None
    if ctx.n_days == 0:
        acwr = acwr_frame([], cfg, ctx.daily.index)
    else:
        acwr = ctx.cached(("acwr_frame", cfg), lambda: acwr_frame(ctx.daily_int_m, cfg, ctx.daily.index, gap_days))
    mono = ctx.cached(("monotony_table", cfg), lambda: monotony_table(ctx, cfg))
    weekly = ctx.weekly.copy()
    gap_week = ctx.week_gap if ctx.has_gaps else None
    weekly["acwr_weekly"] = (weekly_acwr(ctx.weekly, gap_week=gap_week)["ratio"].to_numpy() if len(weekly)
                             else pd.Series(dtype=float))
    pmc, pmc_note = pmc_for(ctx, cfg)
    shoes_out = ctx.cached(("shoe_status", cfg), lambda: shoe_status(ctx, cfg))
    return Analysis(
        athlete=athlete,
        as_of=ctx.as_of,
        findings=findings,
        daily=ctx.daily,
        weekly=weekly,
        acwr=acwr,
        monotony=mono,
        pmc=pmc,
        pmc_note=pmc_note,
        shoe_status=shoes_out,
        context=ctx,
    )


#: The activity columns :func:`check` reads (``Store.activities_frame(columns=...)``);
#: ``hr_seconds_by_bpm`` is added when a selected rule needs heart rate.
CHECK_COLUMNS = ("id", "start_utc", "utc_offset_s", "sport", "sub_sport", "distance_m", "shoe")


def check(
    activities: pd.DataFrame | None,
    shoes: pd.DataFrame | None = None,
    athlete: str = "default",
    tz: str | None = None,
    as_of: date | str | None = None,
    config: Config | None = None,
    only: Iterable[str] | None = None,
    log_start: date | str | None = None,
    gaps: pd.DataFrame | None = None,
    data_end: date | str | None = None,
) -> Check:
    """Only the rules of :func:`analyze` (same arguments, same findings).

    Skips what only the reporter shows: the ACWR display frame by every method,
    the monotony table, the fitness–fatigue chart (TRIMP) and the status of
    shoes no rule asked about. ``runload check`` uses this.
    """
    base = config if config is not None else load_config()
    # a config resolved for this athlete already (the service layer's) keeps its resolved units and zone
    cfg = base if getattr(base, "athlete", None) == athlete else base.for_athlete(athlete)
    ctx = build_context(activities, shoes, athlete, cfg, tz=tz or cfg.timezone, as_of=as_of, log_start=log_start,
                        gaps=gaps, data_end=data_end)
    return Check(athlete=athlete, as_of=ctx.as_of, findings=run_rules(ctx, cfg, only=only), context=ctx)


__all__ = ["Analysis", "Check", "analyze", "check"]
