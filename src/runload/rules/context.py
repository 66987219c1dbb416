"""The read-only inputs every rule gets: :class:`LoadContext`.

Built once per athlete by :func:`build_context`; rules never change it. Heavy
series shared by several rules and by the analysis (ACWR, monotony) are
memoised in the context with :meth:`LoadContext.cached`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Callable
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from runload import tables
from runload.config import Config

SHOE_COLUMNS = ("name", "start_distance_m", "check_at_m", "retire_at_m", "retired_on", "is_default")


@dataclass(frozen=True, eq=False)
class LoadContext:
    """One athlete's log as it stood on ``as_of``.

    Attributes
    ----------
    athlete : str
    tz : str or None
        IANA zone used for local dates (C1); None: the offsets the files recorded.
    as_of : date
        Last day of the log; activities starting on a later local date are ignored.
    log_start : date or None
        First local date with a run (None: no run up to ``as_of``).
    activities : DataFrame
        Every stored activity (all sports) starting on or before ``as_of``.
    runs : DataFrame
        :func:`runload.tables.runs_frame` of those, plus ``start_local`` (naive
        local start time) and ``distance_int_m`` (integer metres, C5).
    daily : DataFrame
        :func:`runload.tables.daily` from ``log_start`` to ``as_of`` (C3).
    weekly : DataFrame
        :func:`runload.tables.weekly` of ``daily`` with ``complete`` per C2.
    shoes : DataFrame
        The athlete's shoes (columns :data:`SHOE_COLUMNS`).
    config : Config
        The athlete's configuration (``for_athlete`` applied).
    """

    athlete: str
    tz: str | None
    as_of: date
    log_start: date | None
    activities: pd.DataFrame
    runs: pd.DataFrame
    daily: pd.DataFrame
    weekly: pd.DataFrame
    shoes: pd.DataFrame
    config: Config
    _cache: dict = field(default_factory=dict, repr=False)

    @property
    def has_runs(self) -> bool:
        return self.log_start is not None and not self.runs.empty

    @property
    def daily_int_m(self) -> np.ndarray:
        """Daily running distance in integer metres (int64), log start .. as_of (C5)."""
        return self.cached(("daily_int_m",), lambda: np.rint(self.daily["distance_m"].to_numpy(float)).astype(np.int64))

    @property
    def week_bounds(self) -> tuple[np.ndarray, pd.DatetimeIndex]:
        """(position of each ISO week's first day in ``daily``, its Monday)."""
        return self.cached(("week_bounds",), lambda: week_bounds(self.daily.index))

    def cached(self, key: tuple, compute: Callable[[], Any]) -> Any:
        """``compute()`` once per ``key`` for this context (memoisation, not state)."""
        if key not in self._cache:
            self._cache[key] = compute()
        return self._cache[key]


def today_in(tz: str | None) -> date:
    """Today's date in ``tz`` (the machine's local date without a zone)."""
    if tz:
        return datetime.now(ZoneInfo(tz)).date()
    return date.today()


def local_start_times(activities: pd.DataFrame, tz: str | None) -> pd.Series:
    """Naive local start time of each activity (same rule as :func:`tables.local_dates`, not floored)."""
    starts = pd.to_datetime(activities["start_utc"], utc=True)
    if tz:
        return starts.dt.tz_convert(tz).dt.tz_localize(None)
    if "utc_offset_s" in activities:
        offset = pd.to_timedelta(pd.to_numeric(activities["utc_offset_s"], errors="coerce").fillna(0), unit="s")
    else:
        offset = pd.Timedelta(0)
    return starts.dt.tz_localize(None) + offset


def normalize_shoes(shoes: pd.DataFrame | None) -> pd.DataFrame:
    """A shoes frame with every column of :data:`SHOE_COLUMNS` (defaults filled in)."""
    if shoes is None or len(shoes) == 0:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in SHOE_COLUMNS})
    n = len(shoes)

    def num(col: str, default: float) -> np.ndarray:
        if col not in shoes:
            return np.full(n, default)
        return pd.to_numeric(shoes[col], errors="coerce").to_numpy(float)

    retired = []
    for v in (shoes["retired_on"] if "retired_on" in shoes else [None] * n):
        if v is None or (not isinstance(v, (str, date)) and pd.isna(v)):
            retired.append(None)
        else:
            retired.append(v if type(v) is date else pd.Timestamp(v).date())
    return pd.DataFrame({
        "name": [str(x) for x in shoes["name"]],
        "start_distance_m": np.nan_to_num(num("start_distance_m", 0.0)),
        "check_at_m": num("check_at_m", np.nan),
        "retire_at_m": num("retire_at_m", np.nan),
        "retired_on": pd.Series(retired, dtype=object),
        "is_default": [bool(x) if x is not None and x == x else False for x in shoes["is_default"]]
        if "is_default" in shoes else [False] * n,
    })


_NS_PER_DAY = 86_400 * 10**9


def week_bounds(index: pd.DatetimeIndex) -> tuple[np.ndarray, pd.DatetimeIndex]:
    """For a contiguous daily index: positions where each ISO week starts, and its Monday."""
    if len(index) == 0:
        return np.zeros(0, dtype=np.int64), pd.DatetimeIndex([], name="week_start")
    first = index[0]
    offset0 = first.weekday()
    week_no = (np.arange(len(index)) + offset0) // 7
    starts = np.flatnonzero(np.r_[True, week_no[1:] != week_no[:-1]])
    first_monday = (first - pd.Timedelta(days=offset0)).to_datetime64().astype("datetime64[D]")
    mondays = pd.DatetimeIndex((first_monday + week_no[starts] * 7).astype("datetime64[ns]"), name="week_start")
    return starts, mondays


def iso_week_labels(mondays: pd.DatetimeIndex) -> list[str]:
    """``"2026-W07"`` for each Monday (vectorised ISO 8601: the week's Thursday fixes the year)."""
    thursday = mondays.to_numpy().astype("datetime64[D]") + 3
    year_start = thursday.astype("datetime64[Y]")
    week = (thursday - year_start.astype("datetime64[D]")).astype(np.int64) // 7 + 1
    year = year_start.astype(np.int64) + 1970
    return [f"{y}-W{w:02d}" for y, w in zip(year.tolist(), week.tolist())]


def weekly_frame(daily: pd.DataFrame, as_of: date | None = None) -> pd.DataFrame:
    """Vectorised equivalent of :func:`runload.tables.weekly` (same columns and values).

    ``tables.weekly`` runs a Python lambda per week (~35 ms for 5 years); this
    uses ``np.add.reduceat`` on the contiguous daily table (< 1 ms).
    """
    if daily.empty:
        return tables.weekly(daily, as_of)
    idx = daily.index
    first = idx[0]
    n = len(idx)
    starts, mondays = week_bounds(idx)
    runs = daily["runs"].to_numpy()
    run_days = np.add.reduceat((runs > 0).astype(np.int64), starts)
    days = np.diff(np.r_[starts, n]).astype("int64")
    cutoff = min(pd.Timestamp(as_of) if as_of is not None else idx[-1], idx[-1])
    sundays = mondays + pd.Timedelta(days=6)
    return pd.DataFrame(
        {
            "iso_week": iso_week_labels(mondays),
            "distance_m": np.add.reduceat(daily["distance_m"].to_numpy(float), starts),
            "runs": np.add.reduceat(runs, starts).astype("int64"),
            "run_days": run_days.astype("int64"),
            "days": days,
            "rest_days": (days - run_days).astype("int64"),
            "moving_s": np.add.reduceat(daily["moving_s"].to_numpy(float), starts),
            "longest_run_m": np.maximum.reduceat(daily["longest_run_m"].to_numpy(float), starts),
            "elevation_gain_m": np.add.reduceat(daily["elevation_gain_m"].to_numpy(float), starts),
            "other_sports": np.add.reduceat(daily["other_sports"].to_numpy(), starts).astype("int64"),
            "complete": np.asarray((mondays >= first) & (sundays <= cutoff), dtype=bool),
        },
        index=mondays,
    )


def _local_ns(activities: pd.DataFrame, tz: str | None) -> tuple[np.ndarray, np.ndarray]:
    """(UTC start, naive local start) as int64 ns, by the rule of :func:`tables.local_dates`."""
    starts = pd.DatetimeIndex(pd.to_datetime(activities["start_utc"], utc=True)).as_unit("ns")
    utc_ns = starts.asi8
    if tz:
        local_ns = starts.tz_convert(tz).tz_localize(None).asi8
    elif "utc_offset_s" in activities:
        off = pd.to_numeric(activities["utc_offset_s"], errors="coerce").to_numpy(float)
        local_ns = utc_ns + (np.nan_to_num(off) * 1e9).astype(np.int64)
    else:
        local_ns = utc_ns
    return utc_ns, local_ns


def _num(frame: pd.DataFrame, col: str) -> np.ndarray:
    if col not in frame:
        return np.zeros(len(frame))
    return pd.to_numeric(frame[col], errors="coerce").fillna(0.0).to_numpy(float)


def daily_frame(day_no: np.ndarray, is_run: np.ndarray, distance_m: np.ndarray, moving_s: np.ndarray,
                ascent_m: np.ndarray, first_day: int, last_day: int) -> pd.DataFrame:
    """Vectorised equivalent of :func:`runload.tables.daily` from per-activity arrays.

    ``day_no`` is each activity's local date in days since 1970-01-01;
    activities outside ``first_day..last_day`` are dropped.
    """
    n = last_day - first_day + 1
    index = pd.DatetimeIndex(np.arange(first_day, last_day + 1).astype("datetime64[D]").astype("datetime64[ns]"),
                             name="date", freq="D")
    pos = day_no - first_day
    inside = (pos >= 0) & (pos < n)
    run = inside & is_run
    other = inside & ~is_run
    rp = pos[run]
    longest = np.zeros(n)
    np.maximum.at(longest, rp, distance_m[run])
    return pd.DataFrame(
        {
            "distance_m": np.bincount(rp, weights=distance_m[run], minlength=n).astype("float64"),
            "runs": np.bincount(rp, minlength=n).astype("int64"),
            "moving_s": np.bincount(rp, weights=moving_s[run], minlength=n).astype("float64"),
            "elevation_gain_m": np.bincount(rp, weights=ascent_m[run], minlength=n).astype("float64"),
            "longest_run_m": longest,
            "other_sports": np.bincount(pos[other], minlength=n).astype("int64"),
        },
        index=index,
    )


def build_context(
    activities: pd.DataFrame | None,
    shoes: pd.DataFrame | None,
    athlete: str,
    config: Config,
    tz: str | None = None,
    as_of: date | str | None = None,
    log_start: date | str | None = None,
) -> LoadContext:
    """Cut the log at ``as_of`` and build the daily and weekly tables.

    ``as_of`` defaults to today in the athlete's zone. ``log_start`` defaults to
    the first local date with a run. The tables equal :func:`tables.daily`,
    :func:`tables.weekly` and :func:`tables.runs_frame` (tested) but are built
    with numpy, which keeps a 5-year analysis in milliseconds.
    """
    tz = tables.check_timezone(tz)
    as_of_d = pd.Timestamp(as_of).date() if as_of is not None else today_in(tz)
    as_of_no = (as_of_d - date(1970, 1, 1)).days
    acts = activities if activities is not None else pd.DataFrame()
    if len(acts) == 0 or "start_utc" not in acts:
        acts = acts.iloc[0:0] if len(acts.columns) else pd.DataFrame(
            {"start_utc": pd.Series(dtype="datetime64[ns, UTC]"), "sport": pd.Series(dtype=object),
             "distance_m": pd.Series(dtype=float)})
        utc_ns = local_ns = np.zeros(0, dtype=np.int64)
    else:
        utc_ns, local_ns = _local_ns(acts, tz)
        day_all = local_ns // _NS_PER_DAY
        keep = day_all <= as_of_no
        if not keep.all():
            acts, utc_ns, local_ns = acts.loc[keep], utc_ns[keep], local_ns[keep]
    day_no = local_ns // _NS_PER_DAY
    is_run = (acts["sport"] == "running").to_numpy(bool) if "sport" in acts else np.zeros(len(acts), dtype=bool)
    distance = _num(acts, "distance_m")

    # runs frame (as tables.runs_frame, oldest first) plus start_local and distance_int_m
    run_pos = np.flatnonzero(is_run)
    order = run_pos[np.argsort(utc_ns[run_pos], kind="stable")]
    runs = acts.take(order)
    runs.index = pd.RangeIndex(len(order))
    runs["distance_m"] = distance[order]
    runs["local_date"] = (day_no[order] * _NS_PER_DAY).astype("datetime64[ns]")
    runs["start_local"] = local_ns[order].astype("datetime64[ns]")
    runs["distance_int_m"] = np.rint(distance[order]).astype(np.int64)

    if log_start is not None:
        start_no = (pd.Timestamp(log_start).date() - date(1970, 1, 1)).days
    elif len(order):
        start_no = int(day_no[order].min())
    else:
        start_no = None
    if start_no is not None and start_no > as_of_no:
        start_no = None
    if start_no is not None:
        daily = daily_frame(day_no, is_run, distance, _num(acts, "moving_s"), _num(acts, "ascent_m"),
                            start_no, as_of_no)
        start_d = date(1970, 1, 1) + pd.Timedelta(days=start_no).to_pytimedelta()
    else:
        daily = tables.daily(pd.DataFrame(), tz)
        start_d = None
    weekly = weekly_frame(daily, as_of_d)
    return LoadContext(
        athlete=athlete,
        tz=tz,
        as_of=as_of_d,
        log_start=start_d,
        activities=acts,
        runs=runs,
        daily=daily,
        weekly=weekly,
        shoes=normalize_shoes(shoes),
        config=config,
    )
