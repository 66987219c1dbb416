"""TRIMP, session-RPE and the fitness-fatigue chart (science.md §7, §8)."""

import math

import numpy as np
import pytest

from loadfixtures import d35_ctx, daily_runs, ctx_for
from runload.config import Config
from runload.measures.load import (banister_trimp, banister_trimp_average, edwards_minutes_by_zone, edwards_trimp,
                                lucia_trimp, pmc, pmc_for, session_rpe, trimp_coefficients, trimp_for_activity)


def test_banister_45_min_at_150():
    # x = (150-60)/(190-60) = 0.6923; men 45 x 0.6923 x 0.64 e^(1.92 x 0.6923) = 75.33; women 0.86 e^(1.67x) -> 85.14
    x = (150 - 60) / (190 - 60)
    assert x == pytest.approx(0.6923, abs=5e-5)
    assert banister_trimp_average(45, 150, 60, 190, 0.64, 1.92) == pytest.approx(75.33, abs=5e-3)
    assert banister_trimp_average(45, 150, 60, 190, 0.86, 1.67) == pytest.approx(85.14, abs=5e-3)
    # the per-sample sum of a constant 150 bpm equals the average form
    assert banister_trimp({150: 45 * 60.0}, 60, 190, 0.64, 1.92) == pytest.approx(75.33, abs=5e-3)


def test_per_sample_sum_differs_from_average_and_clips():
    # half at 110, half at 190 (avg 150): convex weight -> per-sample > average form
    hist = {110: 1350.0, 190: 1350.0}
    assert banister_trimp(hist, 60, 190, 0.64, 1.92) > banister_trimp_average(45, 150, 60, 190, 0.64, 1.92)
    # below rest counts 0, above max is clipped at x = 1
    assert banister_trimp({50: 600.0}, 60, 190, 0.64, 1.92) == 0.0
    assert banister_trimp({220: 60.0}, 60, 190, 0.64, 1.92) == pytest.approx(0.64 * math.exp(1.92))


def test_trimp_needs_heart_rates_and_names_the_coefficients():
    m = trimp_for_activity({150: 2700.0}, Config())
    assert m.value is None and "unknown" in m.note and "60/200" in m.note
    cfg = Config(hr_rest_bpm=60, hr_max_bpm=190)
    m = trimp_for_activity({150: 2700.0}, cfg)
    assert m.value == pytest.approx(75.33, abs=5e-3) and "sex unknown: men's coefficients" in m.note
    a, b, _ = trimp_coefficients(Config(sex="female"))
    assert (a, b) == (0.86, 1.67)
    assert trimp_for_activity({150: 2700.0}, cfg.with_(sex="female")).value == pytest.approx(85.14, abs=5e-3)


def test_edwards_lucia_srpe():
    assert edwards_trimp([10, 20, 15, 10, 5]) == 160  # 10 + 40 + 45 + 40 + 25
    assert lucia_trimp(40, 15, 5) == 85  # 40 + 30 + 15
    assert session_rpe(60, 6) == 360
    # zones from a histogram, HRmax 200: 100 bpm = 50% -> zone 1; 199 -> zone 5; 99 -> none
    assert edwards_minutes_by_zone({100: 600.0, 199: 60.0, 99: 600.0}, 200) == [10.0, 0, 0, 0, 1.0]
    with pytest.raises(ValueError):
        session_rpe(60, 11)


def test_pmc_trainingpeaks_gc_ewma():
    loads = [100, 0, 0, 0, 0, 0, 0]
    tp = pmc(loads)
    # day 0: CTL = 100/42 = 2.3810, ATL = 100/7 = 14.2857 (seed 0)
    assert tp["ctl"].iloc[0] == pytest.approx(2.3810, abs=5e-5)
    assert tp["atl"].iloc[0] == pytest.approx(14.2857, abs=5e-5)
    # day 6: CTL = 2.3810 x (41/42)^6 = 2.0604; ATL = 14.2857 x (6/7)^6 = 5.6653
    assert tp["ctl"].iloc[6] == pytest.approx(2.0604, abs=5e-5)
    assert tp["atl"].iloc[6] == pytest.approx(5.6653, abs=5e-5)
    # TSB day 1 = CTL0 - ATL0 = -11.9048; TSB day 0 = 0
    assert tp["tsb"].iloc[1] == pytest.approx(-11.9048, abs=5e-5)
    assert tp["tsb"].iloc[0] == 0
    gc = pmc(loads, variant="gc")  # k = 1 - e^(-1/tau)
    assert (gc["ctl"].iloc[0], gc["atl"].iloc[0]) == (pytest.approx(2.3528, abs=5e-5), pytest.approx(13.3122, abs=5e-5))
    ew = pmc(loads, variant="ewma")  # k = 2/(tau+1)
    assert (ew["ctl"].iloc[0], ew["atl"].iloc[0]) == (pytest.approx(4.6512, abs=5e-5), pytest.approx(25.0, abs=5e-5))


def test_pmc_50_a_day_for_42_days_is_not_the_mean():
    p = pmc([50] * 42)
    # CTL_41 = 50 (1 - (41/42)^42) = 31.83
    assert p["ctl"].iloc[41] == pytest.approx(31.83, abs=5e-3)
    assert p["provisional"].iloc[41] and not pmc([50] * 43)["provisional"].iloc[42]


def test_pmc_for_context():
    frame, note = pmc_for(d35_ctx(), Config())
    assert frame is None and "unknown" in note
    cfg = Config(hr_rest_bpm=60, hr_max_bpm=190)
    frame, note = pmc_for(d35_ctx(cfg), cfg)  # no HR samples -> labelled distance fallback
    assert "distance [km] as a fallback" in note and frame["load"].iloc[0] == 6.0
    acts = daily_runs([10, 0, 10])
    acts["hr_seconds_by_bpm"] = [{150: 2700.0}, {150: 2700.0}]
    frame, note = pmc_for(ctx_for(acts, cfg=cfg), cfg)
    assert note.startswith("Banister TRIMP")
    assert frame["load"].to_numpy() == pytest.approx([75.33, 0, 75.33], abs=5e-3)
