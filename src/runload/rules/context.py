"""The read-only inputs every rule gets: :class:`LoadContext`.

Built once per athlete by :func:`build_context`; rules never change it. Heavy
series shared by several rules and by the analysis (ACWR, monotony) are
memoised in the context with :meth:`LoadContext.cached`.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any, Callable
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from runload import tables
from runload.config import Config

SHOE_COLUMNS = ("name", "start_distance_m", "check_at_m", "retire_at_m", "retired_on", "is_default")


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
    gap_lo, gap_hi : ndarray of int64
        User-declared gaps (watch not worn, illness) as merged day-number
        intervals (inclusive). Their days are *missing* (C3): a window touching
        one has no value (status ``data_gap``). See :attr:`gap_days`,
        :attr:`week_gap`, :meth:`window_touches_gap` and :meth:`days_touch_gap`.

    The DataFrames are built on first access from numpy arrays the rules use
    directly (``run_*``, ``daily_*``, ``week_*``), so running the rules alone
    never pays for a DataFrame it does not need.
    """

    def __init__(self, *, athlete: str, tz: str | None, as_of: date, log_start: date | None,
                 acts: pd.DataFrame, keep: np.ndarray | None, run_order: np.ndarray, run_utc_ns: np.ndarray,
                 run_local_ns: np.ndarray, run_distance_m: np.ndarray, start_no: int | None, as_of_no: int,
                 daily_arrays: dict | None, shoes: pd.DataFrame | None, config: Config,
                 gap_lo: np.ndarray | None = None, gap_hi: np.ndarray | None = None):
        self.athlete = athlete
        self.tz = tz
        self.as_of = as_of
        self.log_start = log_start
        self.config = config
        self._acts = acts
        self._keep = keep
        self._shoes_in = shoes
        #: positions (in :attr:`activities`) of the runs, oldest first
        self.run_order = run_order
        #: UTC start [ns since epoch] of each run (int64)
        self.run_utc_ns = run_utc_ns
        #: naive local start [ns since epoch] of each run (int64)
        self.run_local_ns = run_local_ns
        #: distance of each run [m] (float, NaN -> 0)
        self.run_distance_m = run_distance_m
        #: first day of the log / as_of in days since 1970-01-01 (start None: no log)
        self.start_no = start_no
        self.as_of_no = as_of_no
        self._daily_arrays = daily_arrays
        #: user-declared gaps as merged, sorted, disjoint day-number intervals [lo, hi] (inclusive, C3)
        self.gap_lo = gap_lo if gap_lo is not None else np.zeros(0, dtype=np.int64)
        self.gap_hi = gap_hi if gap_hi is not None else np.zeros(0, dtype=np.int64)
        self._cache: dict = {}

    def __repr__(self) -> str:
        return f"LoadContext(athlete={self.athlete!r}, tz={self.tz!r}, as_of={self.as_of!r}, log_start={self.log_start!r})"

    # ---- lazily built public tables ---------------------------------------------
    @property
    def activities(self) -> pd.DataFrame:
        return self.cached(("activities",), lambda: self._acts if self._keep is None else self._acts.loc[self._keep])

    @property
    def runs(self) -> pd.DataFrame:
        return self.cached(("runs",), self._build_runs)

    def _build_runs(self) -> pd.DataFrame:
        runs = self.activities.take(self.run_order)
        runs.index = pd.RangeIndex(len(self.run_order))
        runs["distance_m"] = self.run_distance_m
        runs["local_date"] = (self.run_day_no * _NS_PER_DAY).astype("datetime64[ns]")
        runs["start_local"] = self.run_local_ns.astype("datetime64[ns]")
        runs["distance_int_m"] = self.run_int_m
        return runs

    @property
    def daily(self) -> pd.DataFrame:
        return self.cached(("daily",), self._build_daily)

    def _build_daily(self) -> pd.DataFrame:
        if self._daily_arrays is None:
            return tables.daily(pd.DataFrame(), self.tz)
        return pd.DataFrame(self._daily_arrays, index=_daily_index(self.start_no, self.as_of_no))

    @property
    def weekly(self) -> pd.DataFrame:
        return self.cached(("weekly",), lambda: weekly_frame(self.daily, self.as_of))

    @property
    def shoes(self) -> pd.DataFrame:
        return self.cached(("shoes",), lambda: normalize_shoes(self._shoes_in))

    @property
    def shoe_records(self) -> list[dict]:
        """:attr:`shoes` as a list of row dicts (same values, built without a DataFrame)."""
        return self.cached(("shoe_records",), lambda: shoe_records(self._shoes_in))

    # ---- arrays ------------------------------------------------------------------
    @property
    def has_runs(self) -> bool:
        return self.log_start is not None and len(self.run_order) > 0

    @property
    def n_days(self) -> int:
        """Number of days in the daily table (0: no log)."""
        return 0 if self._daily_arrays is None else self.as_of_no - self.start_no + 1

    @property
    def run_int_m(self) -> np.ndarray:
        """Distance of each run in integer metres (int64, C5)."""
        return self.cached(("run_int_m",), lambda: np.rint(self.run_distance_m).astype(np.int64))

    @property
    def run_day_no(self) -> np.ndarray:
        """Local date of each run in days since 1970-01-01 (int64)."""
        return self.cached(("run_day_no",), lambda: self.run_local_ns // _NS_PER_DAY)

    @property
    def run_shoes(self) -> np.ndarray:
        """The ``shoe`` column of the runs (object array, None where missing)."""
        def compute():
            if "shoe" not in self._acts:
                return np.full(len(self.run_order), None, dtype=object)
            col = self._acts["shoe"].to_numpy(dtype=object)
            if self._keep is not None:
                col = col[self._keep]
            return col[self.run_order]
        return self.cached(("run_shoes",), compute)

    def daily_array(self, name: str) -> np.ndarray:
        """A column of :attr:`daily` as a numpy array (without building the DataFrame)."""
        if self._daily_arrays is None:
            return np.zeros(0)
        return self._daily_arrays[name]

    @property
    def daily_int_m(self) -> np.ndarray:
        """Daily running distance in integer metres (int64), log start .. as_of (C5)."""
        return self.cached(("daily_int_m",), lambda: np.rint(self.daily_array("distance_m")).astype(np.int64))

    @property
    def week_starts(self) -> tuple[np.ndarray, np.ndarray]:
        """(position of each ISO week's first day in ``daily``, its Monday in days since 1970-01-01)."""
        def compute():
            n = self.n_days
            if n == 0:
                return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
            offset0 = (self.start_no + 3) % 7  # 1970-01-01 was a Thursday
            week_no = (np.arange(n) + offset0) // 7
            starts = np.flatnonzero(np.r_[True, week_no[1:] != week_no[:-1]])
            return starts, (self.start_no - offset0) + week_no[starts] * 7
        return self.cached(("week_starts",), compute)

    @property
    def week_bounds(self) -> tuple[np.ndarray, pd.DatetimeIndex]:
        """(position of each ISO week's first day in ``daily``, its Monday)."""
        def compute():
            starts, monday_no = self.week_starts
            return starts, pd.DatetimeIndex(monday_no.astype("datetime64[D]").astype("datetime64[ns]"),
                                            name="week_start")
        return self.cached(("week_bounds",), compute)

    @property
    def week_complete(self) -> np.ndarray:
        """``complete`` of :attr:`weekly` (C2) as a bool array."""
        def compute():
            _, monday_no = self.week_starts
            if self.n_days == 0:
                return np.zeros(0, dtype=bool)
            return (monday_no >= self.start_no) & (monday_no + 6 <= self.as_of_no)
        return self.cached(("week_complete",), compute)

    @property
    def week_distance_m(self) -> np.ndarray:
        """``distance_m`` of :attr:`weekly` (float) as an array."""
        def compute():
            starts, _ = self.week_starts
            if self.n_days == 0:
                return np.zeros(0)
            return np.add.reduceat(self.daily_array("distance_m"), starts)
        return self.cached(("week_distance_m",), compute)

    # ---- user-declared gaps (C3) -----------------------------------------------------
    @property
    def has_gaps(self) -> bool:
        """True when a declared gap touches the daily table (log start .. as_of)."""
        return self.cached(("has_gaps",), lambda: bool(self.n_days and self.gap_days.any()))

    @property
    def gap_days(self) -> np.ndarray:
        """Bool per day of the daily table: the day lies in a declared gap (missing data)."""
        def compute():
            n = self.n_days
            mark = np.zeros(n + 1, dtype=np.int64)
            if n and self.gap_lo.size:
                lo = np.clip(self.gap_lo - self.start_no, 0, n)
                hi = np.clip(self.gap_hi - self.start_no + 1, 0, n)
                keep = hi > lo
                np.add.at(mark, lo[keep], 1)
                np.add.at(mark, hi[keep], -1)
            return np.cumsum(mark[:n]) > 0
        return self.cached(("gap_days",), compute)

    @property
    def week_gap(self) -> np.ndarray:
        """Bool per ISO week of :attr:`weekly`: the week holds a gap day."""
        def compute():
            starts, _ = self.week_starts
            if not self.has_gaps:
                return np.zeros(len(starts), dtype=bool)
            return np.add.reduceat(self.gap_days.astype(np.int64), starts) > 0
        return self.cached(("week_gap",), compute)

    def window_touches_gap(self, length: int, lag: int = 0) -> np.ndarray:
        """Bool per day t: the window of days ``t−lag−length+1 .. t−lag`` holds a gap day."""
        def compute():
            n = self.n_days
            if not self.has_gaps:
                return np.zeros(n, dtype=bool)
            cs = np.r_[np.int64(0), np.cumsum(self.gap_days, dtype=np.int64)]
            t = np.arange(n)
            hi = np.clip(t + 1 - lag, 0, None)
            lo = np.clip(t + 1 - lag - length, 0, None)
            return (cs[hi] - cs[lo]) > 0
        return self.cached(("window_touches_gap", int(length), int(lag)), compute)

    def days_touch_gap(self, lo_day: np.ndarray, hi_day: np.ndarray) -> np.ndarray:
        """Bool per window: days ``lo_day .. hi_day`` (days since 1970-01-01, inclusive) meet a gap."""
        return gaps_touch(self.gap_lo, self.gap_hi, lo_day, hi_day)

    def gap_list(self) -> list[tuple[date, date]]:
        """The merged gaps as ``(first day, last day)`` pairs."""
        return [(_EPOCH + timedelta(days=int(a)), _EPOCH + timedelta(days=int(b)))
                for a, b in zip(self.gap_lo.tolist(), self.gap_hi.tolist())]

    def gaps_between(self, lo_day: int, hi_day: int) -> list[tuple[date, date]]:
        """The merged gaps meeting days ``lo_day .. hi_day`` (days since 1970-01-01)."""
        pick = (self.gap_lo <= hi_day) & (self.gap_hi >= lo_day)
        return [(_EPOCH + timedelta(days=int(a)), _EPOCH + timedelta(days=int(b)))
                for a, b in zip(self.gap_lo[pick].tolist(), self.gap_hi[pick].tolist())]

    def day(self, pos: int) -> date:
        """The date of position ``pos`` in the daily table."""
        return _EPOCH + timedelta(days=int(self.start_no) + int(pos))

    def cached(self, key: tuple, compute: Callable[[], Any]) -> Any:
        """``compute()`` once per ``key`` for this context (memoisation, not state)."""
        try:
            return self._cache[key]
        except KeyError:
            value = self._cache[key] = compute()
            return value


_EPOCH = date(1970, 1, 1)


def iso_week_label_no(monday_no: int) -> str:
    """``"2026-W07"`` for a Monday given in days since 1970-01-01."""
    y, w, _ = (_EPOCH + timedelta(days=int(monday_no))).isocalendar()
    return f"{y}-W{w:02d}"


def _daily_index(first_day: int, last_day: int) -> pd.DatetimeIndex:
    return pd.DatetimeIndex(np.arange(first_day, last_day + 1).astype("datetime64[D]").astype("datetime64[ns]"),
                            name="date", freq="D")


def _as_day_no(value) -> int:
    if isinstance(value, datetime):
        value = value.date()
    if not isinstance(value, date):
        value = pd.Timestamp(value).date()
    return (value - _EPOCH).days


def gap_intervals(gaps) -> tuple[np.ndarray, np.ndarray]:
    """Declared gaps as merged, sorted, disjoint day-number intervals ``(lo, hi)`` (inclusive).

    ``gaps``: None, a DataFrame with ``from_date`` and ``to_date`` (as
    :meth:`runload.store.Store.gaps_frame`; dates, ISO strings or Timestamps),
    or an iterable of ``(from_date, to_date)`` pairs. Reversed pairs raise ValueError.
    """
    if gaps is None:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    if isinstance(gaps, pd.DataFrame):
        pairs = list(zip(gaps["from_date"].tolist(), gaps["to_date"].tolist())) if len(gaps) else []
    else:
        pairs = [tuple(p) for p in gaps]
    if not pairs:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    lo = np.array([_as_day_no(a) for a, _ in pairs], dtype=np.int64)
    hi = np.array([_as_day_no(b) for _, b in pairs], dtype=np.int64)
    if (hi < lo).any():
        raise ValueError("a gap ends before it starts")
    order = np.argsort(lo, kind="stable")
    lo, hi = lo[order], hi[order]
    reach = np.maximum.accumulate(hi)
    new = np.r_[True, lo[1:] > reach[:-1] + 1]  # touching or overlapping intervals merge
    return lo[new], np.maximum.reduceat(hi, np.flatnonzero(new))


def gaps_touch(gap_lo: np.ndarray, gap_hi: np.ndarray, lo_day, hi_day) -> np.ndarray:
    """Bool per window ``lo_day .. hi_day`` (inclusive day numbers): it meets one of the merged
    gap intervals (O(n log k))."""
    lo_day = np.asarray(lo_day, dtype=np.int64)
    hi_day = np.asarray(hi_day, dtype=np.int64)
    if gap_lo.size == 0:
        return np.zeros(lo_day.shape, dtype=bool)
    k = np.searchsorted(gap_hi, lo_day, side="left")  # first gap ending on or after the window's start
    inside = k < gap_lo.size
    return inside & (gap_lo[np.minimum(k, gap_lo.size - 1)] <= hi_day)


def today_in(tz: str | None) -> date:
    """Today's date in ``tz`` (the machine's local date without a zone)."""
    if tz:
        return datetime.now(ZoneInfo(tz)).date()
    return date.today()


def _shoe_columns(shoes: pd.DataFrame) -> dict:
    n = len(shoes)

    def num(col: str, default: float) -> np.ndarray:
        if col not in shoes:
            return np.full(n, default)
        values = shoes[col]
        if values.dtype == np.float64:
            return values.to_numpy(dtype=float, copy=True)
        return pd.to_numeric(values, errors="coerce").to_numpy(float)

    retired = []
    for v in (shoes["retired_on"].tolist() if "retired_on" in shoes else [None] * n):
        if v is None or (not isinstance(v, (str, date)) and pd.isna(v)):
            retired.append(None)
        else:
            retired.append(v if type(v) is date else pd.Timestamp(v).date())
    return {
        "name": [str(x) for x in shoes["name"]],
        "start_distance_m": np.nan_to_num(num("start_distance_m", 0.0)),
        "check_at_m": num("check_at_m", np.nan),
        "retire_at_m": num("retire_at_m", np.nan),
        "retired_on": retired,
        "is_default": [bool(x) if x is not None and x == x else False for x in shoes["is_default"]]
        if "is_default" in shoes else [False] * n,
    }


def normalize_shoes(shoes: pd.DataFrame | None) -> pd.DataFrame:
    """A shoes frame with every column of :data:`SHOE_COLUMNS` (defaults filled in)."""
    if shoes is None or len(shoes) == 0:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in SHOE_COLUMNS})
    cols = _shoe_columns(shoes)
    cols["retired_on"] = pd.Series(cols["retired_on"], dtype=object)
    return pd.DataFrame(cols)


def shoe_records(shoes: pd.DataFrame | None) -> list[dict]:
    """``normalize_shoes(shoes).to_dict("records")`` without building the DataFrame."""
    if shoes is None or len(shoes) == 0:
        return []
    cols = _shoe_columns(shoes)
    lists = {k: (v.tolist() if isinstance(v, np.ndarray) else list(v)) for k, v in cols.items()}
    return [dict(zip(SHOE_COLUMNS, row)) for row in zip(*(lists[c] for c in SHOE_COLUMNS))]


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
    col = activities["start_utc"]
    if isinstance(col.dtype, pd.DatetimeTZDtype) and str(col.dtype.tz) == "UTC":
        starts = pd.DatetimeIndex(col).as_unit("ns")  # already UTC: skip the parsing of to_datetime
    else:
        starts = pd.DatetimeIndex(pd.to_datetime(col, utc=True)).as_unit("ns")
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
    values = frame[col]
    if values.dtype == np.float64:  # fast path: fillna(0.0) on a float column
        out = values.to_numpy(dtype=float, copy=True)
        out[np.isnan(out)] = 0.0
        return out
    return pd.to_numeric(values, errors="coerce").fillna(0.0).to_numpy(float)


def daily_arrays(day_no: np.ndarray, is_run: np.ndarray, distance_m: np.ndarray, moving_s: np.ndarray,
                 ascent_m: np.ndarray, first_day: int, last_day: int) -> dict[str, np.ndarray]:
    """The columns of :func:`daily_frame` as numpy arrays."""
    n = last_day - first_day + 1
    pos = day_no - first_day
    inside = (pos >= 0) & (pos < n)
    run = inside & is_run
    other = inside & ~is_run
    rp = pos[run]
    longest = np.zeros(n)
    np.maximum.at(longest, rp, distance_m[run])
    return {
        "distance_m": np.bincount(rp, weights=distance_m[run], minlength=n).astype("float64"),
        "runs": np.bincount(rp, minlength=n).astype("int64"),
        "moving_s": np.bincount(rp, weights=moving_s[run], minlength=n).astype("float64"),
        "elevation_gain_m": np.bincount(rp, weights=ascent_m[run], minlength=n).astype("float64"),
        "longest_run_m": longest,
        "other_sports": np.bincount(pos[other], minlength=n).astype("int64"),
    }


def daily_frame(day_no: np.ndarray, is_run: np.ndarray, distance_m: np.ndarray, moving_s: np.ndarray,
                ascent_m: np.ndarray, first_day: int, last_day: int) -> pd.DataFrame:
    """Vectorised equivalent of :func:`runload.tables.daily` from per-activity arrays.

    ``day_no`` is each activity's local date in days since 1970-01-01;
    activities outside ``first_day..last_day`` are dropped.
    """
    return pd.DataFrame(daily_arrays(day_no, is_run, distance_m, moving_s, ascent_m, first_day, last_day),
                        index=_daily_index(first_day, last_day))


def build_context(
    activities: pd.DataFrame | None,
    shoes: pd.DataFrame | None,
    athlete: str,
    config: Config,
    tz: str | None = None,
    as_of: date | str | None = None,
    log_start: date | str | None = None,
    gaps=None,
) -> LoadContext:
    """Cut the log at ``as_of`` and build the daily and weekly tables.

    ``as_of`` defaults to today in the athlete's zone. ``log_start`` defaults to
    the first local date with a run. The tables equal :func:`tables.daily`,
    :func:`tables.weekly` and :func:`tables.runs_frame` (tested) but are built
    with numpy, which keeps a 5-year analysis in milliseconds.

    ``gaps`` are the user-declared gaps (see :func:`gap_intervals`): their days
    stay in the tables as recorded but are *missing* to the rules (C3).
    """
    gap_lo, gap_hi = gap_intervals(gaps)
    tz = tables.check_timezone(tz)
    as_of_d = pd.Timestamp(as_of).date() if as_of is not None else today_in(tz)
    as_of_no = (as_of_d - _EPOCH).days
    acts = activities if activities is not None else pd.DataFrame()
    keep = None
    if len(acts) == 0 or "start_utc" not in acts:
        acts = acts.iloc[0:0] if len(acts.columns) else pd.DataFrame(
            {"start_utc": pd.Series(dtype="datetime64[ns, UTC]"), "sport": pd.Series(dtype=object),
             "distance_m": pd.Series(dtype=float)})
        utc_ns = local_ns = np.zeros(0, dtype=np.int64)
        sport = np.zeros(0, dtype=object)
        distance = moving = ascent = np.zeros(0)
    else:
        utc_ns, local_ns = _local_ns(acts, tz)
        sport = acts["sport"].to_numpy(dtype=object) if "sport" in acts else None
        distance, moving, ascent = _num(acts, "distance_m"), _num(acts, "moving_s"), _num(acts, "ascent_m")
        day_all = local_ns // _NS_PER_DAY
        k = day_all <= as_of_no
        if not k.all():
            keep = k
            utc_ns, local_ns = utc_ns[k], local_ns[k]
            distance, moving, ascent = distance[k], moving[k], ascent[k]
            sport = sport[k] if sport is not None else None
    day_no = local_ns // _NS_PER_DAY
    is_run = (sport == "running") if sport is not None else np.zeros(len(day_no), dtype=bool)
    is_run = np.asarray(is_run, dtype=bool)

    # runs (as tables.runs_frame, oldest first)
    run_pos = np.flatnonzero(is_run)
    order = run_pos[np.argsort(utc_ns[run_pos], kind="stable")]

    if log_start is not None:
        start_no = (pd.Timestamp(log_start).date() - _EPOCH).days
    elif len(order):
        start_no = int(day_no[order].min())
    else:
        start_no = None
    if start_no is not None and start_no > as_of_no:
        start_no = None
    if start_no is not None:
        arrays = daily_arrays(day_no, is_run, distance, moving, ascent, start_no, as_of_no)
        start_d = _EPOCH + timedelta(days=start_no)
    else:
        arrays = None
        start_d = None
    return LoadContext(
        athlete=athlete,
        tz=tz,
        as_of=as_of_d,
        log_start=start_d,
        acts=acts,
        keep=keep,
        run_order=order,
        run_utc_ns=utc_ns[order],
        run_local_ns=local_ns[order],
        run_distance_m=distance[order],
        start_no=start_no,
        as_of_no=as_of_no,
        daily_arrays=arrays,
        shoes=shoes,
        config=config,
        gap_lo=gap_lo,
        gap_hi=gap_hi,
    )
