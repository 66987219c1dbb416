"""Weekly "10% rule" (science.md §1); expectations computed by hand."""

from datetime import date, timedelta

import pytest

from loadfixtures import D35_KM, D35_START, d35_ctx, daily_runs, ctx_for, weeks_on_mondays
from runload.config import Config
from runload.rules.mileage import weekly_increase, weekly_increase_table


def table_for(week_km, as_of=None):
    acts = weeks_on_mondays(week_km)
    # as_of = the last Sunday, so every week is complete
    as_of = as_of or D35_START + timedelta(days=7 * len(week_km) - 1)
    ctx = ctx_for(acts, as_of=as_of)
    return ctx, weekly_increase_table(ctx.weekly, Config())


def test_20_22_25_boundary_not_flagged_then_flagged():
    ctx, t = table_for([20, 22, 25])
    # W2: 22/20 - 1 = 0.10 exactly -> not flagged (strict >); in floats 22/20-1 = 0.10000000000000009
    assert 22 / 20 - 1 > 0.10  # the float trap C5 warns about
    assert list(t["status"]) == ["insufficient_history", "ok", "ok"]
    assert t["change_ratio"].iloc[1] == pytest.approx(0.10)
    assert not t["flagged"].iloc[1]
    # W3: 25/22 - 1 = 3/22 = 0.136363... -> flagged
    assert t["change_ratio"].iloc[2] == pytest.approx(0.1364, abs=5e-5)
    assert t["flagged"].iloc[2]
    found = weekly_increase(ctx, Config())
    assert [f.period for f in found] == ["2024-W03"]
    f = found[0]
    assert f.value == pytest.approx(3 / 22)
    assert f.threshold == 0.10
    assert f.date == date(2024, 1, 15)
    assert f.severity == "warning"
    assert "13.6%" in f.message and "more than 10%" in f.message and "Buist" in f.message
    assert f.source.startswith("convention; Buist et al. 2008")


def test_11_over_10_is_not_flagged():
    # 11/10 - 1 = 0.10000000000000009 in floats; exactly 10% -> no flag
    _, t = table_for([10, 11])
    assert not t["flagged"].any()


def test_drop_to_zero_then_no_baseline():
    ctx, t = table_for([10, 0, 12])
    # W2: 0/10 - 1 = -100%, not flagged; W3: previous week 0 -> no_baseline, not flagged
    assert t["change_ratio"].iloc[1] == pytest.approx(-1.0)
    assert t["status"].iloc[1] == "ok" and not t["flagged"].iloc[1]
    assert t["status"].iloc[2] == "no_baseline" and not t["flagged"].iloc[2]
    assert weekly_increase(ctx, Config()) == []


def test_d35_weeks_2_to_4_zero_week_5_plus_50_percent():
    ctx = d35_ctx()
    t = weekly_increase_table(ctx.weekly, Config())
    # weeks 1-4: 6+8+6+10 = 30 km; week 5: 6+8+6+25 = 45 km -> 45/30 - 1 = +50%
    assert list(t["distance_int_m"]) == [30000] * 4 + [45000]
    assert list(t["change_ratio"].iloc[1:4]) == [0.0, 0.0, 0.0]
    assert t["change_ratio"].iloc[4] == pytest.approx(0.5)
    assert list(t["flagged"]) == [False] * 4 + [True]
    found = weekly_increase(ctx, Config())
    assert len(found) == 1 and found[0].period == "2024-W05" and found[0].status == "ok"


def test_current_week_flagged_early_so_far():
    # W1 = 30 km complete; W2 so far (Mon-Wed) 20 + 0 + 14 = 34 km > 33 km allowance
    acts = daily_runs(D35_KM[:7] + [20, 0, 14])
    ctx = ctx_for(acts, as_of=date(2024, 1, 10))
    t = weekly_increase_table(ctx.weekly, Config())
    assert t["status"].iloc[1] == "provisional"
    assert t["change_ratio"].iloc[1] == pytest.approx(34 / 30 - 1)
    found = weekly_increase(ctx, Config())
    assert len(found) == 1
    f = found[0]
    assert f.status == "provisional" and "so far" in f.message and f.period == "2024-W02 so far"


def test_current_week_not_yet_over_is_not_flagged_and_option_off():
    acts = daily_runs(D35_KM[:7] + [20, 0, 13])  # 33 km = exactly 1.10 x 30 -> not yet
    ctx = ctx_for(acts, as_of=date(2024, 1, 10))
    assert weekly_increase(ctx, Config()) == []
    acts = daily_runs(D35_KM[:7] + [40])
    ctx = ctx_for(acts, as_of=date(2024, 1, 8))
    assert weekly_increase(ctx, Config(weekly_increase_flag_current_week=False)) == []


def test_first_partial_week_is_never_a_baseline():
    # log starts on Wed 2024-01-03: W01 is partial (5 days); W02 has no complete previous week
    acts = daily_runs([5, 0, 0, 0, 0, 10, 0, 0, 0, 0, 0, 0], start=date(2024, 1, 3))
    ctx = ctx_for(acts, as_of=date(2024, 1, 14))
    t = weekly_increase_table(ctx.weekly, Config())
    assert list(ctx.weekly["complete"]) == [False, True]
    assert list(t["status"]) == ["insufficient_history", "insufficient_history"]
    assert weekly_increase(ctx, Config()) == []


def test_gap_weeks_and_configured_ratio():
    # 10, 0, 0, 10, 12: the 10 after zeros has no baseline; 12/10 = +20% flagged at 10%, not at 25%
    ctx, _ = table_for([10, 0, 0, 10, 12], as_of=date(2024, 2, 4))
    assert [f.period for f in weekly_increase(ctx, Config())] == ["2024-W05"]
    assert weekly_increase(ctx, Config(max_weekly_increase_ratio=0.25)) == []
    # 0.2 exactly: 12 > 1.2 x 10 is false
    assert weekly_increase(ctx, Config(max_weekly_increase_ratio=0.2)) == []


def test_rule_does_not_mutate_its_input():
    ctx = d35_ctx()
    before = (ctx.weekly.copy(), ctx.daily.copy(), ctx.runs.copy())
    weekly_increase(ctx, Config())
    assert ctx.weekly.equals(before[0]) and ctx.daily.equals(before[1]) and ctx.runs.equals(before[2])
