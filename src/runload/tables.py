"""The calendar: local dates, ISO weeks, the daily and weekly tables, declared gaps and coverage.

This is runload's one calendar engine. The rules (:mod:`runload.rules.context`),
the service layer, every command and the reports take their days and weeks
from here, so one run lands in the same ISO week everywhere. Conventions
(docs/method.md, "Conventions"):

* **Local day.** A run counts on the local calendar date of its start in the
  athlete's IANA time zone (:func:`local_ns`, the only local-date code). Without
  a zone, the offset the file recorded, else UTC (the service layer always
  resolves a zone; the fallback is for direct library use).
* **ISO weeks**, Monday to Sunday. A week is *complete* when its Monday is on or
  after the first day of the log and its Sunday on or before ``as_of``.
* **Daily series.** Contiguous days from the first run to ``as_of``; several runs
  on one day are summed. A day is a *run day* when a run of that day has a
  distance or a moving time (a run recorded without distance, heart rate only,
  is still a run); a *rest day* is a recorded day that is not a run day.
  Declared gap days and the days after the newest activity (*no data*) are
  never rest days (see :class:`runload.rules.context.LoadContext`).
* Only running counts toward distance; other sports are counted apart.

Everything is vectorised with numpy on day numbers (days since 1970-01-01),
which keeps a five-year log in milliseconds. The first implementation
(plain pandas groupby) lives on in the tests as an oracle.

pandas loads only in the functions that build or read a DataFrame: the rules
(``runload check``) work on the store's numpy columns, local dates included
(:func:`utc_offsets_s`), and importing pandas alone costs a command ~0.2 s.
"""

from __future__ import annotations

import calendar
import re
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import numpy as np

from runload.errors import ConfigError
from runload.zones import check_timezone, today_in  # noqa: F401  (part of the calendar's API)

if TYPE_CHECKING:
    import pandas as pd

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
    "days",
    "rest_days",
    "moving_s",
    "longest_run_m",
    "elevation_gain_m",
    "other_sports",
    "complete",
)

EPOCH = date(1970, 1, 1)
NS_PER_DAY = 86_400 * 10**9


# ---- zones and days -------------------------------------------------------------------
def day_no(value) -> int:
    """A date (or anything ``pd.Timestamp`` reads) as days since 1970-01-01."""
    return (as_date(value) - EPOCH).days


def as_date(value) -> date:
    """A date from a date, a datetime, an ISO date text or anything ``pd.Timestamp`` reads."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    import pandas as pd

    return pd.Timestamp(value).date()


def day_of(no: int) -> date:
    """The date of a day number (days since 1970-01-01)."""
    return EPOCH + timedelta(days=int(no))


#: Step [s] at which a zone's offset is sampled before each change is searched to the second. No zone
#: of the tz database changes its offset twice within a day since 1900 (the closest two changes are
#: 4 days apart: Africa/Freetown, 1939; tests/test_tables.py checks the installed tz data), so a daily
#: sample sees every change.
_ZONE_SAMPLE_S = 86_400
#: (zone, year) -> (change instants [Unix s], offset from each [s], offset at the year's start [s])
_ZONE_YEARS: dict[tuple[str, int], tuple[list[int], list[int], int]] = {}


def _offset_at(zone: ZoneInfo, unix_s: int) -> int:
    return int(datetime.fromtimestamp(unix_s, zone).utcoffset().total_seconds())


def _zone_year(tz: str, zone: ZoneInfo, year: int) -> tuple[list[int], list[int], int]:
    """The offset changes of ``tz`` in one calendar year (UTC), found once per process: the offset
    sampled daily (about 0.2 ms a year), each change searched to the second by bisection."""
    key = (tz, year)
    found = _ZONE_YEARS.get(key)
    if found is not None:
        return found
    lo, hi = calendar.timegm((year, 1, 1, 0, 0, 0)), calendar.timegm((year + 1, 1, 1, 0, 0, 0))
    first = prev = _offset_at(zone, lo)
    changes: list[int] = []
    offsets: list[int] = []
    t = lo
    while t < hi:
        nxt = min(t + _ZONE_SAMPLE_S, hi)
        end = _offset_at(zone, nxt)
        while end != prev:  # a change in (t, nxt]: the first second with another offset
            a, b = t, nxt
            while b - a > 1:
                mid = (a + b) // 2
                if _offset_at(zone, mid) == prev:
                    a = mid
                else:
                    b = mid
            prev = _offset_at(zone, b)
            changes.append(b)
            offsets.append(prev)
            t = b
        t = nxt
    found = _ZONE_YEARS[key] = (changes, offsets, first)
    return found


def utc_offsets_s(unix_s: np.ndarray, tz: str) -> np.ndarray:
    """The UTC offset [s] of zone ``tz`` at each instant (int64 Unix seconds), as :mod:`zoneinfo`
    gives it (and pandas' ``tz_convert``, which reads the same zone): the zone's changes in the years
    the instants fall in (:func:`_zone_year`), then one ``searchsorted``. Per instant through
    ``datetime`` it would cost ~1 µs each, 1.5 ms for a five-year log; this costs ~20 µs once the
    zone's years are known."""
    unix_s = np.asarray(unix_s, dtype=np.int64)
    if unix_s.size == 0:
        return np.zeros(0, dtype=np.int64)
    zone = ZoneInfo(tz)
    year = unix_s.astype("datetime64[s]").astype("datetime64[Y]").astype(np.int64)
    first = int(year.min())
    # the years present (np.unique would do, but its first call imports numpy.ma: ~7 ms a command)
    years = np.flatnonzero(np.bincount(year - first)) + first + 1970
    at: list[int] = []
    offsets: list[int] = []
    for year in years.tolist():
        changes, after, first = _zone_year(tz, zone, year)
        at += [calendar.timegm((year, 1, 1, 0, 0, 0)), *changes]
        offsets += [first, *after]
    pos = np.searchsorted(np.array(at, dtype=np.int64), unix_s, side="right") - 1
    return np.array(offsets, dtype=np.int64)[pos]


def local_ns(activities, tz: str | None) -> tuple[np.ndarray, np.ndarray]:
    """(UTC start, naive local start) of each activity as int64 ns since the epoch.

    With ``tz`` every start is converted to that zone (DST-safe, per instant);
    without it the offset the file recorded (``utc_offset_s``) is used, and UTC
    where the file recorded none. ``activities`` is a DataFrame or the store's
    numpy columns (``start_utc`` as ``datetime64``: converted without pandas).
    """
    col = activities["start_utc"]
    if isinstance(col, np.ndarray):
        utc_ns = col.astype("datetime64[ns]").astype(np.int64)
        if tz:
            loc = utc_ns + utc_offsets_s(utc_ns // 10**9, tz) * 10**9
        elif "utc_offset_s" in activities:
            off = np.asarray(activities["utc_offset_s"], dtype=float)
            loc = utc_ns + (np.nan_to_num(off) * 1e9).astype(np.int64)
        else:
            loc = utc_ns
        return utc_ns, loc
    import pandas as pd

    if isinstance(col.dtype, pd.DatetimeTZDtype) and str(col.dtype.tz) == "UTC":
        starts = pd.DatetimeIndex(col).as_unit("ns")  # already UTC: skip the parsing of to_datetime
    else:
        starts = pd.DatetimeIndex(pd.to_datetime(col, utc=True)).as_unit("ns")
    utc_ns = starts.asi8
    if tz:
        loc = starts.tz_convert(tz).tz_localize(None).asi8
    elif "utc_offset_s" in activities:
        off = pd.to_numeric(activities["utc_offset_s"], errors="coerce").to_numpy(float)
        loc = utc_ns + (np.nan_to_num(off) * 1e9).astype(np.int64)
    else:
        loc = utc_ns
    return utc_ns, loc


def local_dates(activities: pd.DataFrame, tz: str | None = None) -> pd.Series:
    """Local calendar date (naive midnight ``Timestamp``) of each activity's start (see :func:`local_ns`)."""
    import pandas as pd

    if len(activities) == 0:
        return pd.Series(dtype="datetime64[ns]", index=activities.index)
    _, loc = local_ns(activities, tz)
    return pd.Series((loc // NS_PER_DAY * NS_PER_DAY).astype("datetime64[ns]"), index=activities.index)


def numeric(frame, col: str) -> np.ndarray:
    """A column (of a DataFrame or the store's numpy columns) as float with NaN (and a missing column) as 0."""
    if col not in frame:
        return np.zeros(len(frame))
    values = frame[col]
    if values.dtype == np.float64:  # fast path: fillna(0.0) on a float column
        out = np.array(values, dtype=float)  # a copy
        out[np.isnan(out)] = 0.0
        return out
    import pandas as pd

    return pd.to_numeric(values, errors="coerce").fillna(0.0).to_numpy(float)


def runs_frame(activities: pd.DataFrame, tz: str | None = None) -> pd.DataFrame:
    """Running activities only, oldest first, with a ``local_date`` column added (a new frame)."""
    import pandas as pd

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
    import pandas as pd

    ts = pd.Timestamp(day)
    return (ts.tz_localize(None) if ts.tzinfo else ts).normalize()


# ---- the daily table ------------------------------------------------------------------
def daily_index(first_day: int, last_day: int) -> pd.DatetimeIndex:
    import pandas as pd

    return pd.DatetimeIndex(np.arange(first_day, last_day + 1).astype("datetime64[D]").astype("datetime64[ns]"),
                            name="date", freq="D")


def daily_arrays(day: np.ndarray, is_run: np.ndarray, distance_m: np.ndarray, moving_s: np.ndarray,
                 ascent_m: np.ndarray, first_day: int, last_day: int) -> dict[str, np.ndarray]:
    """The columns of the daily table as numpy arrays, days ``first_day..last_day`` (day numbers).

    ``ran`` is True on a run day: a run of that day has a distance or a moving time.
    """
    n = last_day - first_day + 1
    pos = day - first_day
    inside = (pos >= 0) & (pos < n)
    run = inside & is_run
    other = inside & ~is_run
    rp = pos[run]
    longest = np.zeros(n)
    np.maximum.at(longest, rp, distance_m[run])
    real = run & ((distance_m > 0) | (moving_s > 0))
    return {
        "distance_m": np.bincount(rp, weights=distance_m[run], minlength=n).astype("float64"),
        "runs": np.bincount(rp, minlength=n).astype("int64"),
        "moving_s": np.bincount(rp, weights=moving_s[run], minlength=n).astype("float64"),
        "elevation_gain_m": np.bincount(rp, weights=ascent_m[run], minlength=n).astype("float64"),
        "longest_run_m": longest,
        "other_sports": np.bincount(pos[other], minlength=n).astype("int64"),
        "ran": np.bincount(pos[real], minlength=n) > 0,
    }


def _empty_daily() -> pd.DataFrame:
    import pandas as pd

    cols = {c: pd.Series(dtype="float64" if c.endswith(("_m", "_s")) else "int64") for c in DAILY_COLUMNS}
    cols["ran"] = pd.Series(dtype=bool)
    return pd.DataFrame(cols, index=pd.DatetimeIndex([], name="date"))


def daily(
    activities: pd.DataFrame | None,
    tz: str | None = None,
    start: date | str | None = None,
    end: date | str | None = None,
) -> pd.DataFrame:
    """One row per local calendar date, days without a run included as zeros.

    Parameters
    ----------
    activities : DataFrame
        Stored activities (``start_utc``, ``sport``, ``distance_m``, ``moving_s``,
        ``ascent_m``, ``utc_offset_s``); other sports are counted in ``other_sports``.
    tz : str, optional
        The athlete's IANA time zone.
    start, end : date, optional
        First and last day of the table. Default: the first activity's local
        date to the last one's. Activities outside are dropped.

    Returns
    -------
    DataFrame indexed by ``date`` (naive midnight, daily frequency) with
    ``distance_m`` [m], ``runs``, ``moving_s`` [s], ``elevation_gain_m`` [m],
    ``longest_run_m`` [m], ``other_sports`` and ``ran`` (a run day).
    """
    import pandas as pd

    acts = activities if activities is not None else pd.DataFrame()
    if len(acts) == 0 or "start_utc" not in acts:
        if start is None or end is None:
            return _empty_daily()
        day = is_run = np.zeros(0, dtype=np.int64)
        distance = moving = ascent = np.zeros(0)
    else:
        _, loc = local_ns(acts, tz)
        day = loc // NS_PER_DAY
        is_run = (acts["sport"] == "running").to_numpy(bool)
        distance, moving, ascent = numeric(acts, "distance_m"), numeric(acts, "moving_s"), numeric(acts, "ascent_m")
    first = day_no(start) if start is not None else (int(day.min()) if len(day) else None)
    last = day_no(end) if end is not None else (int(day.max()) if len(day) else None)
    if first is None or last is None or last < first:
        return _empty_daily()
    arrays = daily_arrays(day, np.asarray(is_run, dtype=bool), distance, moving, ascent, first, last)
    return pd.DataFrame(arrays, index=daily_index(first, last))


# ---- weeks ----------------------------------------------------------------------------
def week_start(day: pd.Timestamp | date) -> pd.Timestamp:
    """The Monday of the ISO week holding ``day``."""
    import pandas as pd

    ts = pd.Timestamp(day).normalize()
    return ts - pd.Timedelta(days=ts.weekday())


def iso_week_label(monday: pd.Timestamp | date) -> str:
    """``"2026-W07"`` for the ISO week starting on ``monday``."""
    import pandas as pd

    year, week, _ = pd.Timestamp(monday).isocalendar()
    return f"{year}-W{week:02d}"


def iso_week_label_no(monday_no: int) -> str:
    """``"2026-W07"`` for a Monday given in days since 1970-01-01."""
    y, w, _ = day_of(monday_no).isocalendar()
    return f"{y}-W{w:02d}"


def iso_week_labels(mondays: pd.DatetimeIndex) -> list[str]:
    """``"2026-W07"`` for each Monday (vectorised ISO 8601: the week's Thursday fixes the year)."""
    thursday = mondays.to_numpy().astype("datetime64[D]") + 3
    year_start = thursday.astype("datetime64[Y]")
    week = (thursday - year_start.astype("datetime64[D]")).astype(np.int64) // 7 + 1
    year = year_start.astype(np.int64) + 1970
    return [f"{y}-W{w:02d}" for y, w in zip(year.tolist(), week.tolist())]


def parse_iso_week(text: str) -> pd.Timestamp:
    """The Monday of an ISO week written ``2026-W07`` (or ``2026W07``)."""
    m = re.fullmatch(r"\s*(\d{4})-?W(\d{1,2})\s*", text, re.I)
    if not m:
        raise ConfigError(f"{text!r} is not an ISO week; write it like 2026-W07")
    try:
        monday = date.fromisocalendar(int(m.group(1)), int(m.group(2)), 1)
    except ValueError:
        raise ConfigError(f"{text!r} is not an ISO week of that year") from None
    import pandas as pd

    return pd.Timestamp(monday)


def week_starts(first_day: int, n_days: int) -> tuple[np.ndarray, np.ndarray]:
    """(position of each ISO week's first day in a daily table starting on ``first_day``, its Monday)."""
    if n_days == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    offset0 = (first_day + 3) % 7  # 1970-01-01 was a Thursday
    week_no = (np.arange(n_days) + offset0) // 7
    starts = np.flatnonzero(np.r_[True, week_no[1:] != week_no[:-1]])
    return starts, (first_day - offset0) + week_no[starts] * 7


def week_bounds(index: pd.DatetimeIndex) -> tuple[np.ndarray, pd.DatetimeIndex]:
    """For a contiguous daily index: positions where each ISO week starts, and its Monday."""
    import pandas as pd

    if len(index) == 0:
        return np.zeros(0, dtype=np.int64), pd.DatetimeIndex([], name="week_start")
    starts, monday_no = week_starts(day_no(index[0]), len(index))
    return starts, pd.DatetimeIndex(monday_no.astype("datetime64[D]").astype("datetime64[ns]"), name="week_start")


def weekly(daily_frame: pd.DataFrame, as_of: date | str | None = None,
           complete: np.ndarray | None = None) -> pd.DataFrame:
    """One row per ISO week (Monday start) from a :func:`daily` frame.

    ``days`` is how many days of the week lie inside the daily table;
    ``run_days`` counts run days (``ran``; without that column, days with
    running distance) and ``rest_days`` the other days of the table. A week is
    ``complete`` when all seven days lie inside the log and its Sunday is on or
    before ``as_of`` (default: the last day of the table), unless ``complete``
    (bool per week) is given.
    """
    import pandas as pd

    if daily_frame.empty:
        return pd.DataFrame(
            {c: pd.Series(dtype="object" if c == "iso_week" else ("bool" if c == "complete" else "float64"))
             for c in WEEKLY_COLUMNS},
            index=pd.DatetimeIndex([], name="week_start"),
        )
    idx = daily_frame.index
    first = idx[0]
    n = len(idx)
    starts, mondays = week_bounds(idx)
    runs = daily_frame["runs"].to_numpy()
    ran = daily_frame["ran"].to_numpy(bool) if "ran" in daily_frame else daily_frame["distance_m"].to_numpy() > 0
    run_days = np.add.reduceat(ran.astype(np.int64), starts)
    days = np.diff(np.r_[starts, n]).astype("int64")
    if complete is None:
        cutoff = min(_as_timestamp(as_of) if as_of is not None else idx[-1], idx[-1])
        complete = np.asarray((mondays >= first) & (mondays + pd.Timedelta(days=6) <= cutoff), dtype=bool)
    return pd.DataFrame(
        {
            "iso_week": iso_week_labels(mondays),
            "distance_m": np.add.reduceat(daily_frame["distance_m"].to_numpy(float), starts),
            "runs": np.add.reduceat(runs, starts).astype("int64"),
            "run_days": run_days.astype("int64"),
            "days": days,
            "rest_days": (days - run_days).astype("int64"),
            "moving_s": np.add.reduceat(daily_frame["moving_s"].to_numpy(float), starts),
            "longest_run_m": np.maximum.reduceat(daily_frame["longest_run_m"].to_numpy(float), starts),
            "elevation_gain_m": np.add.reduceat(daily_frame["elevation_gain_m"].to_numpy(float), starts),
            "other_sports": np.add.reduceat(daily_frame["other_sports"].to_numpy(), starts).astype("int64"),
            "complete": np.asarray(complete, dtype=bool),
        },
        index=mondays,
    )


# ---- declared gaps --------------------------------------------------------------------
def gap_intervals(gaps) -> tuple[np.ndarray, np.ndarray]:
    """Declared gaps as merged, sorted, disjoint day-number intervals ``(lo, hi)`` (inclusive).

    ``gaps``: None, a table with ``from_date`` and ``to_date`` columns (a DataFrame as
    :meth:`runload.store.Store.gaps_frame`, or the store's numpy columns; dates, ISO strings or
    Timestamps), or an iterable of ``(from_date, to_date)`` pairs. Reversed pairs raise ValueError.
    """
    if gaps is None:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    if hasattr(gaps, "columns"):  # a table: a DataFrame or numpy columns
        pairs = list(zip(gaps["from_date"].tolist(), gaps["to_date"].tolist())) if len(gaps) else []
    else:
        pairs = [tuple(p) for p in gaps]
    if not pairs:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    lo = np.array([day_no(a) for a, _ in pairs], dtype=np.int64)
    hi = np.array([day_no(b) for _, b in pairs], dtype=np.int64)
    return merge_intervals(lo, hi)


def merge_intervals(lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Day-number intervals (inclusive) merged where they touch or overlap, sorted."""
    lo = np.asarray(lo, dtype=np.int64)
    hi = np.asarray(hi, dtype=np.int64)
    if lo.size == 0:
        return lo, hi
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


def interval_days(lo: np.ndarray, hi: np.ndarray, first_day: int, n_days: int) -> np.ndarray:
    """Bool per day of a table starting on ``first_day``: the day lies in one of the intervals."""
    mark = np.zeros(n_days + 1, dtype=np.int64)
    if n_days and lo.size:
        a = np.clip(lo - first_day, 0, n_days)
        b = np.clip(hi - first_day + 1, 0, n_days)
        keep = b > a
        np.add.at(mark, a[keep], 1)
        np.add.at(mark, b[keep], -1)
    return np.cumsum(mark[:n_days]) > 0


__all__ = [
    "daily",
    "weekly",
    "runs_frame",
    "local_dates",
    "local_ns",
    "utc_offsets_s",
    "week_start",
    "iso_week_label",
    "iso_week_labels",
    "parse_iso_week",
    "check_timezone",
    "today_in",
    "gap_intervals",
    "gaps_touch",
]
