"""Weekly "10% rule" (science.md §1); expectations computed by hand."""

from datetime import date, timedelta

import pytest

from loadfixtures import D35_KM, D35_START, d35_ctx, daily_runs, ctx_for, weeks_on_mondays
from runload.config import Config
from runload.measures.increase import guideline_text, weekly_increase_table
from runload.rules.mileage import weekly_increase


PREVIOUS = Config(weekly_increase_baseline="previous_week")


def table_for(week_km, as_of=None, cfg=None):
    acts = weeks_on_mondays(week_km)
    # as_of = the last Sunday, so every week is complete
    as_of = as_of or D35_START + timedelta(days=7 * len(week_km) - 1)
    ctx = ctx_for(acts, as_of=as_of)
    return ctx, weekly_increase_table(ctx.weekly, cfg or Config())


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


def test_drop_to_zero_then_max_of_4_weeks_is_the_baseline():
    # method, 10% rule: [10, 0, 12]: W2 no flag; W3 baseline max(10, 0) = 10 -> +20 %, flagged
    ctx, t = table_for([10, 0, 12])
    assert t["change_ratio"].iloc[1] == pytest.approx(-1.0)
    assert t["status"].iloc[1] == "ok" and not t["flagged"].iloc[1]
    assert t["baseline_m"].iloc[2] == 10_000 and t["baseline_week"].iloc[2] == "2024-W01"
    assert t["change_ratio"].iloc[2] == pytest.approx(0.20) and t["flagged"].iloc[2]
    found = weekly_increase(ctx, Config())
    assert [f.period for f in found] == ["2024-W03"]
    assert "12.0 km" in found[0].message and "2024-W01 (10.0 km)" in found[0].message
    assert "the highest of the previous 2 complete weeks" in found[0].message
    # with the previous week as baseline: W3's baseline is 0 -> no_baseline, no flag
    ctx, t = table_for([10, 0, 12], cfg=PREVIOUS)
    assert t["status"].iloc[2] == "no_baseline" and not t["flagged"].iloc[2]
    assert weekly_increase(ctx, PREVIOUS) == []


def test_20_22_25_baseline_is_the_max_of_previous_weeks():
    # method, 10% rule: W3's baseline is max(20, 22) = 22 -> 25/22 - 1 = +13.64 %
    _, t = table_for([20, 22, 25])
    assert t["baseline_week"].tolist()[1:] == ["2024-W01", "2024-W02"]
    assert list(t["baseline_m"]) == [0, 20_000, 22_000]


def test_cutback_week_is_not_the_baseline():
    # method, 10% rule: [40, 40, 40, 30, 40] -> W5 baseline 40 -> 0 %, no flag (previous week: +33.3 %, flagged)
    ctx, t = table_for([40, 40, 40, 30, 40])
    assert t["change_ratio"].iloc[4] == pytest.approx(0.0) and not t["flagged"].any()
    assert t["baseline_week"].iloc[4] == "2024-W03"  # ties: the most recent of the highest weeks
    assert weekly_increase(ctx, Config()) == []
    ctx, t = table_for([40, 40, 40, 30, 40], cfg=PREVIOUS)
    assert t["change_ratio"].iloc[4] == pytest.approx(40 / 30 - 1)
    found = weekly_increase(ctx, PREVIOUS)
    assert [f.period for f in found] == ["2024-W05"]
    assert "33.3%" in found[0].message and "2024-W04 (30.0 km), the previous complete week" in found[0].message


def test_cutback_then_boundary_then_small_rise():
    # method, 10% rule: [40, 40, 40, 30, 44, 45] -> W5 +10.0 % not flagged; W6 baseline 44 -> +2.3 %, no flag
    _, t = table_for([40, 40, 40, 30, 44, 45])
    assert t["change_ratio"].iloc[4] == pytest.approx(0.10) and not t["flagged"].iloc[4]
    assert t["baseline_m"].iloc[5] == 44_000 and t["change_ratio"].iloc[5] == pytest.approx(45 / 44 - 1)
    assert not t["flagged"].any()
    # W5 is +10.0 % over 40: within the 5-10 % guideline; W6 +2.3 % is not
    assert t["within_guideline"].tolist() == [False, False, False, False, True, False]


def test_guideline_band_is_shown_not_flagged():
    # method, 10% rule: [40, 42.5] -> +6.25 %, "within the 5-10% guideline", no finding
    ctx, t = table_for([40, 42.5])
    assert t["change_ratio"].iloc[1] == pytest.approx(0.0625)
    assert t["within_guideline"].tolist() == [False, True] and not t["flagged"].any()
    assert weekly_increase(ctx, Config()) == []
    assert guideline_text(Config()) == "within the 5–10% guideline"
    # exactly +5 % is not above the note ratio (21 x 40 = 840 = 20 x 42): not in the band
    _, t = table_for([40, 42])
    assert not t["within_guideline"].any()
    # the band follows the configuration
    _, t = table_for([40, 42.5], cfg=Config(weekly_increase_note_ratio=0.07))
    assert not t["within_guideline"].any()


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
    assert "2024-W04 (30.0 km), the highest of the previous 4 complete weeks" in found[0].message
    # same with the previous week as baseline
    assert [f.period for f in weekly_increase(ctx, PREVIOUS)] == ["2024-W05"]


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


def test_zero_weeks_and_configured_ratio():
    # 10, 0, 0, 10, 12: W4 10 vs max(10, 0, 0) = 10 -> 0 %; W5 12 vs 10 = +20% flagged at 10%, not at 25%
    ctx, _ = table_for([10, 0, 0, 10, 12], as_of=date(2024, 2, 4))
    assert [f.period for f in weekly_increase(ctx, Config())] == ["2024-W05"]
    # only weeks of the previous 4 count: 10, 0, 0, 0, 0, 5 -> W6 baseline max(0, 0, 0, 0) = 0: no_baseline
    _, t = table_for([10, 0, 0, 0, 0, 5])
    assert t["status"].iloc[5] == "no_baseline" and not t["flagged"].any()
    assert weekly_increase(ctx, Config(max_weekly_increase_ratio=0.25)) == []
    # 0.2 exactly: 12 > 1.2 x 10 is false
    assert weekly_increase(ctx, Config(max_weekly_increase_ratio=0.2)) == []


def test_rule_does_not_mutate_its_input():
    ctx = d35_ctx()
    before = (ctx.weekly.copy(), ctx.daily.copy(), ctx.runs.copy())
    weekly_increase(ctx, Config())
    assert ctx.weekly.equals(before[0]) and ctx.daily.equals(before[1]) and ctx.runs.equals(before[2])
