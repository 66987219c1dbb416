"""Rest days and streaks (science.md §2)."""

from datetime import date

from loadfixtures import d35_ctx, daily_runs, ctx_for
from runload.config import Config
from runload.measures.rest import rest_days_table, run_streaks
from runload.rules.rest import run_streak, week_without_rest


def test_five_km_every_day_both_flags():
    # [5]*7 Mon..Sun: 0 rest days (< 1) and a streak of 7 (> 6)
    ctx = ctx_for(daily_runs([5] * 7), as_of=date(2024, 1, 7))
    t = rest_days_table(ctx)
    assert list(t["rest_days"]) == [0]
    weeks = week_without_rest(ctx, Config())
    streaks = run_streak(ctx, Config())
    assert [(f.period, f.value, f.threshold) for f in weeks] == [("2024-W01", 0.0, 1.0)]
    assert len(streaks) == 1
    s = streaks[0]
    assert (s.value, s.threshold, s.date) == (7.0, 6.0, date(2024, 1, 1))
    assert "No rest day in 7 days — consider a recovery day" in s.message
    assert s.status == "provisional"  # still going on as_of
    assert s.severity == "info" and weeks[0].severity == "info"


def test_d35_three_rest_days_a_week_no_flag():
    ctx = d35_ctx()
    t = rest_days_table(ctx)
    assert list(t["rest_days"]) == [3] * 5
    # science.md says "longest streak 1", but Sunday (10 km) and the next Monday (6 km) are
    # consecutive running days: counted across week boundaries the longest streak is 2.
    assert max(length for _, length in run_streaks(ctx.daily_int_m > 0)) == 2
    assert week_without_rest(ctx, Config()) == [] and run_streak(ctx, Config()) == []


def test_streak_across_week_boundary_dated_at_start_and_finished():
    # Thu 2024-01-04 .. Wed 2024-01-10 = 7 days, then a rest day; both weeks have rest days
    km = [0, 0, 0] + [5] * 7 + [0, 0]
    ctx = ctx_for(daily_runs(km), as_of=date(2024, 1, 14))
    assert week_without_rest(ctx, Config()) == []
    streaks = run_streak(ctx, Config())
    assert [(f.date, f.value, f.status, f.period) for f in streaks] == [
        (date(2024, 1, 4), 7.0, "ok", "2024-01-04..2024-01-10")
    ]


def test_six_days_is_not_a_streak_and_two_streaks_give_two_findings():
    ctx = ctx_for(daily_runs([5] * 6 + [0] * 2), as_of=date(2024, 1, 8))
    assert run_streak(ctx, Config()) == []
    ctx = ctx_for(daily_runs([5] * 8 + [0] + [5] * 9 + [0]), as_of=date(2024, 1, 19))
    assert [f.value for f in run_streak(ctx, Config())] == [8.0, 9.0]


def test_incomplete_week_is_not_checked_and_other_sports_are_rest():
    # a partial current week without rest is not flagged by week_without_rest (C2)
    ctx = ctx_for(daily_runs([5] * 3), as_of=date(2024, 1, 3))
    assert week_without_rest(ctx, Config()) == []
    # configurable threshold: 2 rest days wanted, D35 has 3
    assert week_without_rest(d35_ctx(), Config(min_rest_days_per_week=3)) == []
    assert len(week_without_rest(d35_ctx(), Config(min_rest_days_per_week=4))) == 5


def test_run_streaks_helper():
    assert run_streaks([]) == []
    assert run_streaks([True, True, False, True]) == [(0, 2), (3, 1)]
