"""The fast tables in LoadContext equal runload.tables; C1/C2 edge cases (midnight, DST, as_of)."""

from datetime import date, datetime

import numpy as np
import pandas as pd
import pytest

from loadfixtures import D35_KM, activity, ctx_for, d35_ctx, daily_runs, frame
from runload import tables
from tests.oracle import pandas_tables as oracle
from runload.config import Config
from runload.rules.context import build_context
from runload.tables import iso_week_labels
from runload.tables import weekly as weekly_frame


def mixed_log(tz):
    rows = [activity(datetime(2026, 3, 23, 7), 10, tz=tz), activity(datetime(2026, 3, 29, 1, 30), 5, tz=tz),
            activity(datetime(2026, 3, 29, 3, 30), 7, tz=tz), activity(datetime(2026, 3, 30, 0, 0), 8, tz=tz),
            activity(datetime(2026, 3, 31, 18), 40, tz=tz, sport="cycling"),
            activity(datetime(2026, 4, 2, 23, 59), 6, tz=tz)]
    rows[2]["distance_m"] = np.nan  # a run without distance
    return frame(rows)


@pytest.mark.parametrize("tz", ["Europe/Berlin", "UTC", None])
def test_tables_match_the_pandas_oracle(tz):
    acts = mixed_log(tz or "America/New_York")
    last = tables.local_dates(acts, tz).max().date()  # as_of on the newest activity: no "no data" days
    ctx = build_context(acts, None, "a", Config(), tz=tz, as_of=last)
    want_daily = oracle.daily(acts, tz, ctx.log_start, ctx.as_of)
    got_daily = ctx.daily[list(tables.DAILY_COLUMNS)]
    pd.testing.assert_frame_equal(got_daily, want_daily, check_freq=False, check_index_type=False)
    # the oracle counts rest days by zero distance; runload's run days also count a run recorded
    # without distance (mixed_log's 03-29 has one, beside a 5 km run, so the counts agree here)
    want_weekly = oracle.weekly(want_daily, ctx.as_of)
    got_weekly = ctx.weekly[list(tables.WEEKLY_COLUMNS)]
    pd.testing.assert_frame_equal(got_weekly, want_weekly, check_freq=False, check_index_type=False)
    want_runs = oracle.runs_frame(acts, tz)
    got = ctx.runs.drop(columns=["start_local", "distance_int_m"])
    pd.testing.assert_frame_equal(got, want_runs, check_dtype=False, check_index_type=False)


def test_run_at_local_midnight_counts_on_that_date():
    # 00:00 local Berlin on 2026-03-30 is 22:00 UTC on 03-29
    ctx = ctx_for(mixed_log("Europe/Berlin"), tz="Europe/Berlin", as_of=date(2026, 4, 5))
    assert ctx.daily.loc["2026-03-30", "distance_m"] == 8000
    assert ctx.daily.loc["2026-04-02", "distance_m"] == 6000  # 23:59 stays on its date


@pytest.mark.parametrize("monday, sunday", [("2026-03-23", "2026-03-29"), ("2026-10-19", "2026-10-25")])
def test_dst_week_still_has_seven_days(monday, sunday):
    start = date.fromisoformat(monday)
    acts = daily_runs([5, 0, 5, 0, 5, 0, 5, 5], start=start, hour=2, minute=30, tz="Europe/Berlin")
    ctx = ctx_for(acts, tz="Europe/Berlin", as_of=date.fromisoformat(sunday))
    assert len(ctx.daily) == 7 and list(ctx.weekly["days"]) == [7]
    assert ctx.weekly["complete"].iloc[0] and ctx.weekly["distance_m"].iloc[0] == 20_000


def test_as_of_cuts_later_activities_and_default_log_start():
    acts = daily_runs(D35_KM)
    ctx = ctx_for(acts, as_of=date(2024, 1, 10))
    assert ctx.daily.index[-1] == pd.Timestamp("2024-01-10") and ctx.runs["local_date"].max() <= pd.Timestamp("2024-01-10")
    assert len(ctx.activities) == 6 and ctx.log_start == date(2024, 1, 1)
    assert list(ctx.weekly["complete"]) == [True, False]
    # before the first run: no log
    ctx = ctx_for(acts, as_of=date(2023, 12, 31))
    assert ctx.log_start is None and ctx.daily.empty and ctx.runs.empty


def test_empty_and_no_runs():
    ctx = ctx_for(frame([]), as_of=date(2024, 1, 1))
    assert ctx.daily.empty and ctx.weekly.empty and not ctx.has_runs
    rides = frame([activity(datetime(2024, 1, 1, 7), 30, sport="cycling")])
    ctx = ctx_for(rides, as_of=date(2024, 1, 7))
    assert ctx.daily.empty and ctx.runs.empty


def test_iso_week_labels_at_year_ends():
    mondays = pd.DatetimeIndex(["2024-12-30", "2026-12-28", "2020-12-28", "2021-01-04", "2027-01-04"])
    assert iso_week_labels(mondays) == [tables.iso_week_label(m) for m in mondays]
    assert iso_week_labels(mondays)[0] == "2025-W01"


def test_weekly_frame_equals_tables_weekly_on_d35_partial():
    ctx = ctx_for(daily_runs(D35_KM, start=date(2024, 1, 3)), as_of=date(2024, 2, 1))
    pd.testing.assert_frame_equal(weekly_frame(ctx.daily, ctx.as_of), oracle.weekly(ctx.daily, ctx.as_of),
                                  check_freq=False, check_index_type=False)
