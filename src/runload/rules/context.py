"""The read-only inputs every rule gets: :class:`LoadContext`.

Built once per athlete by :func:`build_context`; rules never change it. Heavy
series shared by several rules and by the analysis (ACWR, monotony) are
memoised in the context with :meth:`LoadContext.cached`.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING, Any, Callable

import numpy as np

from runload import tables
from runload.config import Config

if TYPE_CHECKING:
    import pandas as pd

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
    never pays for a DataFrame it does not need, nor loads pandas when the
    activities come as the store's numpy columns.
    """

    def __init__(self, *, athlete: str, tz: str | None, as_of: date, log_start: date | None,
                 acts, keep: np.ndarray | None, run_order: np.ndarray, run_utc_ns: np.ndarray,
                 run_local_ns: np.ndarray, run_distance_m: np.ndarray, start_no: int | None, as_of_no: int,
                 daily_arrays: dict | None, shoes: pd.DataFrame | None, config: Config,
                 gap_lo: np.ndarray | None = None, gap_hi: np.ndarray | None = None,
                 data_end_no: int | None = None):
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
        #: user-declared gaps as merged, sorted, disjoint day-number intervals [lo, hi] (inclusive)
        self.declared_lo = gap_lo if gap_lo is not None else np.zeros(0, dtype=np.int64)
        self.declared_hi = gap_hi if gap_hi is not None else np.zeros(0, dtype=np.int64)
        #: local date of the newest activity (any sport) up to as_of, as a day number (None: no activity)
        self.data_end_no = data_end_no
        #: the days the rules treat as missing: declared gaps and the no-data tail after the newest
        #: activity (merged day-number intervals, inclusive)
        self.gap_lo, self.gap_hi = self.declared_lo, self.declared_hi
        if start_no is not None and data_end_no is not None and data_end_no < as_of_no:
            self.gap_lo, self.gap_hi = tables.merge_intervals(
                np.r_[self.declared_lo, np.int64(max(data_end_no + 1, start_no))],
                np.r_[self.declared_hi, np.int64(as_of_no)])
        self._cache: dict = {}

    def __repr__(self) -> str:
        return f"LoadContext(athlete={self.athlete!r}, tz={self.tz!r}, as_of={self.as_of!r}, log_start={self.log_start!r})"

    # ---- lazily built public tables ---------------------------------------------
    @property
    def activities(self) -> pd.DataFrame:
        return self.cached(("activities",), self._build_activities)

    def _build_activities(self) -> pd.DataFrame:
        import pandas as pd

        acts = self._acts
        if acts is not None and not isinstance(acts, pd.DataFrame):  # the store's numpy columns
            acts = acts.to_frame()
        if acts is None or len(acts) == 0 or "start_utc" not in acts:
            return acts.iloc[0:0] if acts is not None and len(acts.columns) else pd.DataFrame(
                {"start_utc": pd.Series(dtype="datetime64[ns, UTC]"), "sport": pd.Series(dtype=object),
                 "distance_m": pd.Series(dtype=float)})
        return acts if self._keep is None else acts.loc[self._keep]

    @property
    def runs(self) -> pd.DataFrame:
        return self.cached(("runs",), self._build_runs)

    def _build_runs(self) -> pd.DataFrame:
        import pandas as pd

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
        import pandas as pd

        if self._daily_arrays is None:
            frame = tables.daily(pd.DataFrame(), self.tz)
            frame["status"] = pd.Series(dtype=object)
            return frame
        frame = pd.DataFrame(self._daily_arrays, index=tables.daily_index(self.start_no, self.as_of_no))
        status = np.full(self.n_days, "rest", dtype=object)
        status[self.declared_gap_days] = "gap"
        status[self.no_data_days] = "no data"
        status[self.run_day] = "run"
        frame["status"] = status
        return frame

    @property
    def weekly(self) -> pd.DataFrame:
        """One row per ISO week with the coverage columns ``gap_days`` (declared), ``no_data_days``
        (after the newest activity) and ``rest_days`` counting recorded days only."""
        def compute():
            import pandas as pd

            frame = tables.weekly(self.daily, self.as_of, complete=self.week_complete)
            if len(frame):
                starts, _ = self.week_starts
                gap = np.add.reduceat(self.declared_gap_days.astype(np.int64), starts)
                tail = np.add.reduceat(self.no_data_days.astype(np.int64), starts)
                frame["rest_days"] = np.add.reduceat(self.rest_day.astype(np.int64), starts)
                frame["gap_days"] = gap.astype("int64")
                frame["no_data_days"] = tail.astype("int64")
            else:
                frame["gap_days"] = pd.Series(dtype="int64")
                frame["no_data_days"] = pd.Series(dtype="int64")
            return frame
        return self.cached(("weekly",), compute)

    # ---- coverage ----------------------------------------------------------------
    @property
    def data_end(self) -> date | None:
        """Local date of the newest activity (any sport) up to ``as_of``; later days are *no data*."""
        return None if self.data_end_no is None else tables.day_of(self.data_end_no)

    @property
    def run_day(self) -> np.ndarray:
        """Bool per day of the daily table: a run with a distance or a moving time started that day."""
        return self.daily_array("ran").astype(bool) if self.n_days else np.zeros(0, dtype=bool)

    @property
    def declared_gap_days(self) -> np.ndarray:
        """Bool per day: the day lies in a gap the user declared."""
        return self.cached(("declared_gap_days",), lambda: tables.interval_days(
            self.declared_lo, self.declared_hi, self.start_no or 0, self.n_days))

    @property
    def no_data_days(self) -> np.ndarray:
        """Bool per day: after the newest activity (no data yet, not rest)."""
        def compute():
            out = np.zeros(self.n_days, dtype=bool)
            if self.n_days and self.data_end_no is not None and self.data_end_no < self.as_of_no:
                out[max(self.data_end_no + 1 - self.start_no, 0):] = True
            return out
        return self.cached(("no_data_days",), compute)

    @property
    def rest_day(self) -> np.ndarray:
        """Bool per day: a recorded day without a run (never a gap or no-data day)."""
        return self.cached(("rest_day",), lambda: ~self.run_day & ~self.declared_gap_days & ~self.no_data_days)

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
            if self._acts is None or "shoe" not in self._acts:
                return np.full(len(self.run_order), None, dtype=object)
            col = np.asarray(self._acts["shoe"], dtype=object)
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
        return self.cached(("week_starts",), lambda: tables.week_starts(self.start_no or 0, self.n_days))

    @property
    def week_bounds(self) -> tuple[np.ndarray, pd.DatetimeIndex]:
        """(position of each ISO week's first day in ``daily``, its Monday)."""
        def compute():
            import pandas as pd

            starts, monday_no = self.week_starts
            return starts, pd.DatetimeIndex(monday_no.astype("datetime64[D]").astype("datetime64[ns]"),
                                            name="week_start")
        return self.cached(("week_bounds",), compute)

    @property
    def week_complete(self) -> np.ndarray:
        """``complete`` of :attr:`weekly` (C2) as a bool array."""
        def compute():
            starts, monday_no = self.week_starts
            if self.n_days == 0:
                return np.zeros(0, dtype=bool)
            complete = (monday_no >= self.start_no) & (monday_no + 6 <= self.as_of_no)
            if self.no_data_days.any():  # a week with days after the newest activity is never complete
                complete &= np.add.reduceat(self.no_data_days.astype(np.int64), starts) == 0
            return complete
        return self.cached(("week_complete",), compute)

    @property
    def week_open(self) -> np.ndarray:
        """Bool per ISO week: the week has recorded days and then days after the newest activity
        (its total so far can only grow: it may be flagged early, never used as a baseline)."""
        def compute():
            starts, _ = self.week_starts
            if self.n_days == 0 or not self.no_data_days.any():
                return np.zeros(len(starts), dtype=bool)
            tail = np.add.reduceat(self.no_data_days.astype(np.int64), starts)
            days = np.diff(np.r_[starts, self.n_days])
            return (tail > 0) & (tail < days)
        return self.cached(("week_open",), compute)

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
        """Bool per day of the daily table: the day is missing to the rules (declared gap or no data)."""
        return self.cached(("gap_days",), lambda: tables.interval_days(
            self.gap_lo, self.gap_hi, self.start_no or 0, self.n_days))

    @property
    def week_gap(self) -> np.ndarray:
        """Bool per ISO week of :attr:`weekly`: the week holds a gap day."""
        def compute():
            starts, _ = self.week_starts
            if not self.has_gaps:
                return np.zeros(len(starts), dtype=bool)
            out = np.add.reduceat(self.declared_gap_days.astype(np.int64), starts) > 0
            # a week made only of no-data days is missing; the week whose last days lack data is
            # "so far" (:attr:`week_open`), not missing
            tail = np.add.reduceat(self.no_data_days.astype(np.int64), starts)
            days = np.diff(np.r_[starts, self.n_days])
            return out | (tail == days)
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
        return tables.gaps_touch(self.gap_lo, self.gap_hi, lo_day, hi_day)

    def gap_list(self) -> list[tuple[date, date]]:
        """The merged declared gaps as ``(first day, last day)`` pairs."""
        return [(_EPOCH + timedelta(days=int(a)), _EPOCH + timedelta(days=int(b)))
                for a, b in zip(self.declared_lo.tolist(), self.declared_hi.tolist())]

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


_EPOCH = tables.EPOCH
_NS_PER_DAY = tables.NS_PER_DAY


def _shoe_columns(shoes) -> dict:
    """The columns of :data:`SHOE_COLUMNS` from a shoes DataFrame or the store's numpy columns."""
    n = len(shoes)

    def num(col: str, default: float) -> np.ndarray:
        if col not in shoes:
            return np.full(n, default)
        values = shoes[col]
        if values.dtype == np.float64:
            return np.array(values, dtype=float)  # a copy
        import pandas as pd

        return pd.to_numeric(values, errors="coerce").to_numpy(float)

    retired = []
    for v in (shoes["retired_on"].tolist() if "retired_on" in shoes else [None] * n):
        if v is None or (not isinstance(v, (str, date)) and v != v):  # None, NaN, NaT
            retired.append(None)
        else:
            retired.append(v if type(v) is date else tables.as_date(v))
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
    import pandas as pd

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


def build_context(
    activities,
    shoes,
    athlete: str,
    config: Config,
    tz: str | None = None,
    as_of: date | str | None = None,
    log_start: date | str | None = None,
    gaps=None,
    data_end: date | str | None = None,
) -> LoadContext:
    """Cut the log at ``as_of`` and build the daily and weekly tables.

    ``as_of`` defaults to today in the athlete's zone. ``log_start`` defaults to
    the first local date with a run. The tables equal :func:`tables.daily`,
    :func:`tables.weekly` and :func:`tables.runs_frame` (tested) but are built
    with numpy, which keeps a 5-year analysis in milliseconds.

    ``gaps`` are the user-declared gaps (see :func:`runload.tables.gap_intervals`): their days
    stay in the tables as recorded but are *missing* to the rules.

    ``data_end`` is the last day the log is known to cover; default the local
    date of the newest activity (any sport). The days after it, up to
    ``as_of``, are *no data*: missing to the rules like a declared gap, never
    rest days (docs/method.md, "Conventions"). Pass ``data_end=as_of`` to say
    that the log is complete up to ``as_of`` (every day without a run was rest).

    ``activities``, ``shoes`` and ``gaps`` are DataFrames (as the store's ``*_frame`` methods give
    them) or the store's numpy columns (``*_columns``: then nothing here loads pandas).
    """
    gap_lo, gap_hi = tables.gap_intervals(gaps)
    tz = tables.check_timezone(tz)
    as_of_d = tables.as_date(as_of) if as_of is not None else tables.today_in(tz)
    as_of_no = (as_of_d - _EPOCH).days
    acts = activities
    keep = None
    if acts is None or len(acts) == 0 or "start_utc" not in acts:
        utc_ns = local_ns = np.zeros(0, dtype=np.int64)
        sport = np.zeros(0, dtype=object)
        distance = moving = ascent = np.zeros(0)
    else:
        utc_ns, local_ns = tables.local_ns(acts, tz)
        sport = np.asarray(acts["sport"], dtype=object) if "sport" in acts else None
        distance, moving, ascent = (tables.numeric(acts, "distance_m"), tables.numeric(acts, "moving_s"),
                                    tables.numeric(acts, "ascent_m"))
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
        start_no = (tables.as_date(log_start) - _EPOCH).days
    elif len(order):
        start_no = int(day_no[order].min())
    else:
        start_no = None
    if start_no is not None and start_no > as_of_no:
        start_no = None
    if start_no is not None:
        arrays = tables.daily_arrays(day_no, is_run, distance, moving, ascent, start_no, as_of_no)
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
        data_end_no=(tables.day_no(data_end) if data_end is not None
                     else int(day_no.max()) if len(day_no) else None),
    )
