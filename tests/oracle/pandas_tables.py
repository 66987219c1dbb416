"""Test oracle: the first, plain-pandas daily and weekly tables (groupby per day and week).

runload computes its tables in one engine (:mod:`runload.tables`); this independent
implementation stays in the tests to check it.

Original notes:

Conventions (science.md §0):

* C1 — a run counts on the *local* calendar date of its start, in the athlete's
  IANA time zone; without one, in the offset the file recorded; else in UTC.
* C2 — weeks are ISO 8601 weeks, Monday to Sunday. A week is *complete* when its
  Monday is on or after the first day of the log and its Sunday on or before
  ``as_of``.
* C3 — the daily series is contiguous, a day without a run is a rest day with 0.
* C4 — only running counts toward distance; other sports are counted apart.

The input is the activities frame the store returns
(:meth:`runload.store.Store.activities_frame`), one row per stored activity with
at least ``start_utc`` (datetime64 UTC), ``sport``, ``distance_m``, ``moving_s``,
``ascent_m`` and ``utc_offset_s``.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from runload.errors import ConfigError

DAILY_COLUMNS = (
    "distance_m",
    "runs",
    "moving_s",
    "elevation_gain_m",
    "longest_run_m",
    "other_sports",
)
WEEKLY_COLUMNS = (
    "iso_week",
    "distance_m",
    "runs",
    "run_days",
    "rest_days",
    "days",
    "moving_s",
    "longest_run_m",
    "elevation_gain_m",
    "other_sports",
    "complete",
)


def local_dates(activities: pd.DataFrame, tz: str | None = None) -> pd.Series:
    """Local calendar date (naive midnight ``Timestamp``) of each activity's start.

    With ``tz`` every start is converted to that zone (DST-safe, per instant).
    Without it the offset the file recorded (``utc_offset_s``) is used, and UTC
    where the file recorded none.
    """
    starts = pd.to_datetime(activities["start_utc"], utc=True)
    if tz:
        return starts.dt.tz_convert(tz).dt.tz_localize(None).dt.normalize()
    offset = pd.to_timedelta(
        pd.to_numeric(activities.get("utc_offset_s"), errors="coerce").fillna(0), unit="s"
    ) if "utc_offset_s" in activities else pd.Timedelta(0)
    return (starts.dt.tz_localize(None) + offset).dt.normalize()


def runs_frame(activities: pd.DataFrame, tz: str | None = None) -> pd.DataFrame:
    """Running activities only, oldest first, with a ``local_date`` column added.

    Returns a new frame; the input is not changed.
    """
    if activities.empty:
        out = activities.copy()
        out["local_date"] = pd.Series(dtype="datetime64[ns]")
        return out
    runs = activities[activities["sport"] == "running"].copy()
    runs["local_date"] = local_dates(runs, tz) if not runs.empty else pd.Series(dtype="datetime64[ns]")
    runs["distance_m"] = pd.to_numeric(runs["distance_m"], errors="coerce").fillna(0.0)
    return runs.sort_values("start_utc", kind="stable").reset_index(drop=True)


def _as_timestamp(day: date | str | pd.Timestamp | None) -> pd.Timestamp | None:
    if day is None:
        return None
    return pd.Timestamp(day).tz_localize(None).normalize() if pd.Timestamp(day).tzinfo else pd.Timestamp(day).normalize()


def daily(
    activities: pd.DataFrame,
    tz: str | None = None,
    start: date | str | None = None,
    end: date | str | None = None,
) -> pd.DataFrame:
    """One row per local calendar date, rest days included as zeros.

    Parameters
    ----------
    activities : DataFrame
        Stored activities (see module docstring); other sports are counted in
        ``other_sports`` only.
    tz : str, optional
        The athlete's IANA time zone (C1).
    start, end : date, optional
        First and last day of the table. Default: the first activity's local
        date to the last one's. Activities outside are dropped.

    Returns
    -------
    DataFrame indexed by ``date`` (naive midnight, daily frequency) with
    ``distance_m`` [m], ``runs``, ``moving_s`` [s], ``elevation_gain_m`` [m],
    ``longest_run_m`` [m] and ``other_sports`` (count of non-running activities).
    """
    acts = activities if activities is not None else pd.DataFrame()
    if acts.empty:
        dates = pd.Series(dtype="datetime64[ns]")
    else:
        dates = local_dates(acts, tz)
    first = _as_timestamp(start)
    last = _as_timestamp(end)
    if first is None:
        first = dates.min() if len(dates) else None
    if last is None:
        last = dates.max() if len(dates) else None
    if first is None or last is None or pd.isna(first) or pd.isna(last) or last < first:
        empty = pd.DataFrame(
            {c: pd.Series(dtype="float64" if c.endswith(("_m", "_s")) else "int64") for c in DAILY_COLUMNS},
            index=pd.DatetimeIndex([], name="date"),
        )
        return empty
    index = pd.date_range(first, last, freq="D", name="date")
    if acts.empty:
        frame = pd.DataFrame(index=index)
        for c in DAILY_COLUMNS:
            frame[c] = 0.0 if c.endswith(("_m", "_s")) else 0
        return frame

    work = pd.DataFrame(
        {
            "date": dates.to_numpy(),
            "is_run": (acts["sport"] == "running").to_numpy(),
            "distance_m": pd.to_numeric(acts["distance_m"], errors="coerce").fillna(0.0).to_numpy(),
            "moving_s": pd.to_numeric(acts.get("moving_s"), errors="coerce").fillna(0.0).to_numpy()
            if "moving_s" in acts
            else 0.0,
            "elevation_gain_m": pd.to_numeric(acts.get("ascent_m"), errors="coerce").fillna(0.0).to_numpy()
            if "ascent_m" in acts
            else 0.0,
        }
    )
    work = work[(work["date"] >= first) & (work["date"] <= last)]
    runs = work[work["is_run"]]
    grouped = runs.groupby("date")
    frame = pd.DataFrame(index=index)
    frame["distance_m"] = grouped["distance_m"].sum().reindex(index, fill_value=0.0).astype("float64")
    frame["runs"] = grouped.size().reindex(index, fill_value=0).astype("int64")
    frame["moving_s"] = grouped["moving_s"].sum().reindex(index, fill_value=0.0).astype("float64")
    frame["elevation_gain_m"] = grouped["elevation_gain_m"].sum().reindex(index, fill_value=0.0).astype("float64")
    frame["longest_run_m"] = grouped["distance_m"].max().reindex(index, fill_value=0.0).astype("float64")
    frame["other_sports"] = (
        work[~work["is_run"]].groupby("date").size().reindex(index, fill_value=0).astype("int64")
    )
    return frame


def week_start(day: pd.Timestamp | date) -> pd.Timestamp:
    """The Monday of the ISO week holding ``day``."""
    ts = pd.Timestamp(day).normalize()
    return ts - pd.Timedelta(days=ts.weekday())


def iso_week_label(monday: pd.Timestamp | date) -> str:
    """``"2026-W07"`` for the ISO week starting on ``monday``."""
    year, week, _ = pd.Timestamp(monday).isocalendar()
    return f"{year}-W{week:02d}"


def parse_iso_week(text: str) -> pd.Timestamp:
    """The Monday of an ISO week written ``2026-W07`` (or ``2026W07``)."""
    import re

    m = re.fullmatch(r"\s*(\d{4})-?W(\d{1,2})\s*", text, re.I)
    if not m:
        raise ConfigError(f"{text!r} is not an ISO week; write it like 2026-W07")
    try:
        monday = date.fromisocalendar(int(m.group(1)), int(m.group(2)), 1)
    except ValueError:
        raise ConfigError(f"{text!r} is not an ISO week of that year") from None
    return pd.Timestamp(monday)


def weekly(daily_frame: pd.DataFrame, as_of: date | str | None = None) -> pd.DataFrame:
    """One row per ISO week (Monday start) from a :func:`daily` frame.

    Weeks without running are rows of zeros. ``days`` is how many days of the
    week lie inside the daily table; ``rest_days`` counts only those. A week is
    ``complete`` when all seven days lie inside the log and its Sunday is on or
    before ``as_of`` (default: the last day of the daily table) (C2).

    Columns: ``iso_week``, ``distance_m`` [m], ``runs``, ``run_days``,
    ``rest_days``, ``days``, ``moving_s`` [s], ``longest_run_m`` [m],
    ``elevation_gain_m`` [m], ``other_sports``, ``complete``.
    """
    if daily_frame.empty:
        return pd.DataFrame(
            {c: pd.Series(dtype="object" if c == "iso_week" else ("bool" if c == "complete" else "float64"))
             for c in WEEKLY_COLUMNS},
            index=pd.DatetimeIndex([], name="week_start"),
        )
    log_start = daily_frame.index.min()
    last_day = daily_frame.index.max()
    cutoff = _as_timestamp(as_of) if as_of is not None else last_day
    mondays = daily_frame.index - pd.to_timedelta(daily_frame.index.day_of_week, unit="D")
    g = daily_frame.groupby(mondays)
    out = pd.DataFrame(index=pd.DatetimeIndex(g.size().index, name="week_start"))
    out["iso_week"] = [iso_week_label(m) for m in out.index]
    out["distance_m"] = g["distance_m"].sum()
    out["runs"] = g["runs"].sum().astype("int64")
    # a rest day is a day with zero running distance (science.md §2), even if a run record exists
    out["run_days"] = (daily_frame["distance_m"] > 0).groupby(mondays).sum().astype("int64")
    out["days"] = g.size().astype("int64")
    out["rest_days"] = (out["days"] - out["run_days"]).astype("int64")
    out["moving_s"] = g["moving_s"].sum()
    out["longest_run_m"] = g["longest_run_m"].max()
    out["elevation_gain_m"] = g["elevation_gain_m"].sum()
    out["other_sports"] = g["other_sports"].sum().astype("int64")
    sundays = out.index + pd.Timedelta(days=6)
    out["complete"] = np.asarray((out.index >= log_start) & (sundays <= min(cutoff, last_day)), dtype=bool)
    return out


def gap_days_by_week(gaps: pd.DataFrame | None, mondays: pd.DatetimeIndex,
                     first: date | None = None, last: date | None = None) -> list[int]:
    """How many declared gap days (``from_date``..``to_date``, inclusive) fall in each ISO week
    starting on ``mondays``, counting only days from ``first`` to ``last`` when given."""
    counts = [0] * len(mondays)
    if gaps is None or gaps.empty or not len(mondays):
        return counts
    lo = pd.Timestamp(first) if first is not None else None
    hi = pd.Timestamp(last) if last is not None else None
    for start, end in zip(gaps["from_date"], gaps["to_date"]):
        a, b = pd.Timestamp(start), pd.Timestamp(end)
        if lo is not None:
            a = max(a, lo)
        if hi is not None:
            b = min(b, hi)
        for i, monday in enumerate(mondays):
            days = (min(b, monday + pd.Timedelta(days=6)) - max(a, monday)).days + 1
            if days > 0:
                counts[i] += days
    return counts


def date_range_for(activities: pd.DataFrame, tz: str | None, as_of: date | None = None) -> tuple[date, date] | None:
    """(first running date, last day) of an athlete's log; None when there is no run.

    The last day is ``as_of`` when given, else the latest activity's local date.
    """
    runs = runs_frame(activities, tz)
    if runs.empty:
        return None
    first = runs["local_date"].min().date()
    last = as_of if as_of is not None else local_dates(activities, tz).max().date()
    if last < first:
        return None
    return first, last


__all__ = [
    "daily",
    "weekly",
    "runs_frame",
    "local_dates",
    "week_start",
    "iso_week_label",
    "parse_iso_week",
    "date_range_for",
    "gap_days_by_week",
]
