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
