"""Daily and weekly tables: local calendar, ISO weeks, zero weeks, DST."""

from __future__ import annotations

import pandas as pd
import pytest

from runload import tables
from runload.errors import ConfigError
from tests.conftest import activities_frame, make_run


def test_run_late_in_new_york_counts_on_its_local_date():
    # 23:30 EST on Sat 2026-11-21 is 04:30 UTC on Sunday the 22nd
    acts = activities_frame([("2026-11-22T04:30:00Z", 8.0)])
    day = tables.daily(acts, "America/New_York")
    assert list(day.index.date.astype(str)) == ["2026-11-21"]
    assert day["distance_m"].iloc[0] == 8000.0
    # without a zone and without an offset in the file, UTC decides
    assert str(tables.daily(acts).index[0].date()) == "2026-11-22"


def test_offset_from_file_used_when_no_zone():
    acts = activities_frame([make_run("2026-11-22T04:30:00Z", 8.0, utc_offset_s=-5 * 3600)])
    assert str(tables.daily(acts).index[0].date()) == "2026-11-21"


def test_run_exactly_at_local_midnight_is_the_new_day():
    # 00:00 CET on 2026-01-10 = 23:00 UTC on the 9th
    acts = activities_frame([("2026-01-09T23:00:00Z", 5.0)])
    assert str(tables.daily(acts, "Europe/Berlin").index[0].date()) == "2026-01-10"


def test_dst_week_has_seven_days_and_runs_keep_local_dates():
    # Europe/Berlin leaves DST on Sun 2026-10-25. 00:30 local that day is 22:30 UTC on the 24th (CEST, +2);
    # 23:30 local on the 25th is 22:30 UTC on the 25th (CET, +1).
    acts = activities_frame([("2026-10-19T06:00:00Z", 10.0), ("2026-10-24T22:30:00Z", 6.0),
                             ("2026-10-25T22:30:00Z", 4.0)])
    day = tables.daily(acts, "Europe/Berlin", start="2026-10-19", end="2026-10-25")
    assert day.loc["2026-10-25", "distance_m"] == 10000.0  # both runs are on the 25th locally
    assert day.loc["2026-10-25", "runs"] == 2
    week = tables.weekly(day)
    assert list(week["days"]) == [7]
    assert week["rest_days"].iloc[0] == 5
    assert week["distance_m"].iloc[0] == 20000.0
    assert bool(week["complete"].iloc[0])


def test_weeks_without_running_are_rows_of_zeros():
    acts = activities_frame([("2024-01-01T07:00:00Z", 10.0), ("2024-01-22T07:00:00Z", 12.0)])
    week = tables.weekly(tables.daily(acts, "UTC"))
    assert list(week["iso_week"]) == ["2024-W01", "2024-W02", "2024-W03", "2024-W04"]
    assert list(week["distance_m"]) == [10000.0, 0.0, 0.0, 12000.0]
    assert list(week["rest_days"]) == [6, 7, 7, 0]  # last week has one day in the log so far, a run day
    assert list(week["complete"]) == [True, True, True, False]


def test_weekly_sums_runs_only_and_counts_other_sports():
    acts = activities_frame([("2024-01-01T07:00:00Z", 6.0), ("2024-01-01T17:00:00Z", 4.0),
                             ("2024-01-03T07:00:00Z", 8.0), ("2024-01-07T07:00:00Z", 30.0)])
    acts.loc[3, "sport"] = "cycling"
    day = tables.daily(acts, "UTC", end="2024-01-07")
    assert day.loc["2024-01-01", "distance_m"] == 10000.0
    assert day.loc["2024-01-01", "runs"] == 2
    assert day.loc["2024-01-01", "longest_run_m"] == 6000.0
    week = tables.weekly(day)
    row = week.iloc[0]
    assert (row["distance_m"], row["runs"], row["run_days"], row["rest_days"], row["other_sports"]) == (
        18000.0, 3, 2, 5, 1)
    assert row["longest_run_m"] == 8000.0


def test_iso_week_across_new_year():
    # 2026 has 53 ISO weeks: Mon 2026-12-28 is 2026-W53; Mon 2027-01-04 is 2027-W01
    assert tables.iso_week_label(pd.Timestamp("2026-12-28")) == "2026-W53"
    assert tables.parse_iso_week("2027-W01") == pd.Timestamp("2027-01-04")
    with pytest.raises(ConfigError):
        tables.parse_iso_week("2026-13")


def test_as_of_makes_the_current_week_partial():
    acts = activities_frame([("2026-11-16T07:00:00Z", 10.0), ("2026-11-18T07:00:00Z", 10.0)])
    week = tables.weekly(tables.daily(acts, "UTC", end="2026-11-21"), as_of="2026-11-21")
    assert not bool(week["complete"].iloc[0])
    assert week["days"].iloc[0] == 6


def test_empty_input_gives_empty_tables():
    empty = activities_frame([])
    assert tables.daily(empty, "UTC").empty
    assert tables.weekly(tables.daily(empty, "UTC")).empty


def test_unknown_time_zone_is_a_clear_error():
    with pytest.raises(ConfigError, match="unknown time zone 'Mars/Base'"):
        tables.check_timezone("Mars/Base")


# ---- local dates without pandas (the store's numpy columns) ----------------------------------------
#: Zones with odd rules: half-hour DST, a skipped day, negative DST, two-hour DST, Ramadan suspensions,
#: a southern-hemisphere year, offsets that changed their standard time.
TRICKY_ZONES = ("Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Pacific/Apia", "Europe/Dublin",
                "Antarctica/Troll", "Africa/Casablanca", "America/Sao_Paulo", "Asia/Tehran", "Pacific/Chatham",
                "Asia/Kolkata", "Europe/Moscow", "America/St_Johns", "UTC")


def _pandas_offsets_s(unix_s, tz: str):
    import numpy as np

    starts = pd.DatetimeIndex(pd.to_datetime(np.asarray(unix_s), unit="s", utc=True)).as_unit("s")
    return starts.tz_convert(tz).tz_localize(None).asi8 - starts.asi8


@pytest.mark.parametrize("tz", TRICKY_ZONES)
def test_numpy_offsets_equal_pandas_tz_convert(tz):
    """utc_offsets_s (no pandas) gives the offsets pandas' tz_convert gives: random instants over
    1970–2060 and every second around each change of 1990–2040."""
    import numpy as np

    rng = np.random.default_rng(11)
    instants = rng.integers(0, 2_840_000_000, 20_000)
    changes = [t for y in range(1990, 2041) for t in tables._zone_year(tz, tables.ZoneInfo(tz), y)[0]]
    near = np.array([t + d for t in changes for d in (-3601, -1, 0, 1, 3600)], dtype=np.int64)
    sample = np.r_[instants, near]
    assert np.array_equal(tables.utc_offsets_s(sample, tz), _pandas_offsets_s(sample, tz))


def test_numpy_offsets_see_every_change_of_the_zone_data():
    """The daily sampling of :func:`tables._zone_year` sees every change because no zone changes its
    offset twice within a day since 1900: checked on the explicit transitions of every installed zone
    (read with zoneinfo's pure-Python reader; later changes follow the zone's yearly DST rule)."""
    import zoneinfo

    pure = pytest.importorskip("zoneinfo._zoneinfo")
    if not hasattr(pure.ZoneInfo.no_cache("Europe/Berlin"), "_trans_utc"):
        pytest.skip("this Python's zoneinfo keeps its transitions elsewhere")
    closest = min(
        (b - a, name)
        for name in zoneinfo.available_timezones()
        for trans in [[t for t in pure.ZoneInfo.no_cache(name)._trans_utc if t >= -2_208_988_800]]
        for a, b in zip(trans, trans[1:])
    )
    assert closest[0] > tables._ZONE_SAMPLE_S, closest


def test_numpy_columns_give_the_local_dates_of_the_frame():
    """local_ns on numpy columns (datetime64, as the store's activity_columns) equals it on the frame."""
    import numpy as np

    rows = [("2026-11-22T04:30:00Z", 8.0), ("2026-03-29T00:59:59Z", 5.0), ("2026-03-29T01:00:00Z", 5.0),
            ("2026-10-25T00:30:00Z", 6.0), ("1999-12-31T23:30:00Z", 3.0)]
    frame = activities_frame(rows)
    columns = {"start_utc": frame["start_utc"].dt.tz_convert(None).to_numpy().astype("datetime64[s]"),
               "utc_offset_s": np.full(len(rows), np.nan)}
    for tz in ("Europe/Berlin", "America/New_York", "Australia/Lord_Howe", None):
        got = tables.local_ns(columns, tz)
        want = tables.local_ns(frame, tz)
        assert np.array_equal(got[0], want[0]) and np.array_equal(got[1], want[1]), tz
