"""Foster monotony and strain (science.md §5)."""

import math

import pytest

from loadfixtures import d35_ctx
from runload.config import Config
from runload.measures.monotony import monotony_of, monotony_table
from runload.rules.monotony import monotony


def test_d35_week_1_and_week_5():
    t = monotony_table(d35_ctx(), Config())
    w1 = t.iloc[0]
    # week 1 [6,0,8,0,6,0,10]: m = 30/7 = 4.2857, SD (ddof 0) = 3.9175, monotony = 1.0940, strain = 30 x 1.0940 = 32.82
    assert w1["mean_m"] / 1000 == pytest.approx(4.2857, abs=5e-5)
    assert w1["sd_m"] / 1000 == pytest.approx(3.9175, abs=5e-5)
    assert w1["monotony"] == pytest.approx(1.0940, abs=5e-5)
    assert w1["strain_m"] / 1000 == pytest.approx(32.82, abs=5e-3)
    w5 = t.iloc[4]
    # week 5 [6,0,8,0,6,0,25]: m = 45/7 = 6.4286, SD = 8.2090, monotony 0.7831, strain 45 x 0.7831 = 35.24
    assert w5["monotony"] == pytest.approx(0.7831, abs=5e-5)
    assert w5["strain_m"] / 1000 == pytest.approx(35.24, abs=5e-3)
    assert not t["flagged"].any()
    assert monotony(d35_ctx(), Config()) == []


def test_six_even_days_and_one_rest_day():
    # [10]*6 + [0]: m = 60/7, SD = sqrt(6)/7 x 10 ... monotony = sqrt(6) = 2.4495 (ddof 1: 2.2678)
    mono, strain, status = monotony_of([10, 10, 10, 10, 10, 10, 0], Config())
    assert mono == pytest.approx(math.sqrt(6)) and mono == pytest.approx(2.4495, abs=5e-5)
    assert strain == pytest.approx(60 * math.sqrt(6))
    mono1, _, _ = monotony_of([10, 10, 10, 10, 10, 10, 0], Config(monotony_ddof=1))
    assert mono1 == pytest.approx(2.2678, abs=5e-5)
    assert mono1 / mono == pytest.approx(math.sqrt(6 / 7))  # 0.9258
    assert mono > Config().monotony_flag_above


def test_same_load_every_day_is_capped_and_flagged():
    mono, strain, status = monotony_of([5] * 7, Config())
    assert (mono, strain, status) == (10.0, 350.0, "ok")  # SD = 0 -> cap 10; strain 35 x 10


def test_single_run_week_and_all_zero_week():
    mono, _, _ = monotony_of([20, 0, 0, 0, 0, 0, 0], Config())
    assert mono == pytest.approx(1 / math.sqrt(6)) and mono == pytest.approx(0.4082, abs=5e-5)
    assert monotony_of([0] * 7, Config()) == (None, 0.0, "undefined")


def test_rule_flags_the_even_week_with_wording():
    from datetime import date

    from loadfixtures import ctx_for, daily_runs

    ctx = ctx_for(daily_runs([10] * 6 + [0] + [5] * 7), as_of=date(2024, 1, 14))
    found = monotony(ctx, Config())
    assert [(f.period, round(f.value, 4)) for f in found] == [("2024-W01", 2.4495), ("2024-W02", 10.0)]
    assert all("little day-to-day variation this week" in f.message for f in found)
    assert "capped" in found[1].message and found[0].severity == "info" and found[0].source == "Foster 1998"
