"""ACWR (science.md §4) on fixture D35 and edge cases."""

from datetime import date, timedelta

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from loadfixtures import D35_KM, ctx_for, d35_ctx, daily_runs
from runload.config import Config
from runload.measures.acwr import acwr_frame, ewma, weekly_acwr
from runload.rules.acwr import acwr

D35_M = np.array(D35_KM) * 1000


def test_d35_t26_insufficient_history():
    f = acwr_frame(D35_M, Config())
    for m in ("coupled", "uncoupled", "ewma"):
        assert f[f"{m}_status"].iloc[26] == "insufficient_history"
        assert np.isnan(f[m].iloc[26])


def test_d35_t27():
    f = acwr_frame(D35_M, Config())
    row = f.iloc[27]
    # coupled: (10+6+8+6+10... last 7 days = 30 km)/7 over 120 km/28 = (30/7)/(120/28) = 1
    assert row["coupled"] == pytest.approx(1.0)
    # uncoupled: (30/7) / (90/21) = 1
    assert row["uncoupled"] == pytest.approx(1.0)
    # EWMA seeded E0 = L0 = 6 km: Ea 4.8976, Ec 4.6176, ratio 1.0606
    assert row["ewma_acute_m"] / 1000 == pytest.approx(4.8976, abs=5e-5)
    assert row["ewma_chronic_m"] / 1000 == pytest.approx(4.6176, abs=5e-5)
    assert row["ewma"] == pytest.approx(1.0606, abs=5e-5)
    assert row["coupled_band"] == "typical" and row["status"] == "ok"


def test_d35_t34():
    f = acwr_frame(D35_M, Config())
    row = f.iloc[34]
    # coupled (45/7)/(135/28) = 4 x 45/135 = 1.3333 -> elevated (1.3 < r < 1.5)
    assert row["coupled"] == pytest.approx(4 / 3)
    assert row["coupled_band"] == "elevated"
    # uncoupled (45/7)/(90/21) = 1.5 -> high (r >= 1.5, inclusive)
    assert row["uncoupled"] == pytest.approx(1.5)
    assert row["uncoupled_band"] == "high"
    # EWMA: Ea 8.6473, Ec 5.5670 -> 1.5533 high
    assert row["ewma_acute_m"] / 1000 == pytest.approx(8.6473, abs=5e-5)
    assert row["ewma_chronic_m"] / 1000 == pytest.approx(5.5670, abs=5e-5)
    assert row["ewma"] == pytest.approx(1.5533, abs=5e-5)
    assert row["ewma_band"] == "high"
    assert row["chronic_running_days"] == 16  # 4 runs a week x 4 weeks in the 28-day window


def test_ewma_seed_is_first_load_not_zero():
    a, c = ewma(D35_M, 7), ewma(D35_M, 28)
    assert a[0] == c[0] == 6000  # E_0 = L_0
    assert a[34] / c[34] == pytest.approx(1.5533, abs=5e-5)
    # seeding with 0 instead gives 1.7038 at t = 34 (the R package seeds with L_0)
    a0, c0 = ewma(D35_M, 7, seed=0.0), ewma(D35_M, 28, seed=0.0)
    assert a0[34] / c0[34] == pytest.approx(1.7038, abs=5e-5)


def test_constant_load_is_one_by_every_method():
    f = acwr_frame(np.full(60, 5000), Config())
    for m in ("coupled", "uncoupled", "ewma"):
        assert f[m].iloc[27:].to_numpy() == pytest.approx(np.ones(33))


@settings(max_examples=80, deadline=None)
@given(st.lists(st.integers(0, 40_000), min_size=28, max_size=70))
def test_identity_uncoupled_from_coupled(loads):
    # ACWR_u = 3 ACWR_c / (4 - ACWR_c) whenever both chronic loads are > 0
    f = acwr_frame(np.array(loads), Config(acwr_min_running_days=0))
    ok = (f["coupled_status"] == "ok") & (f["uncoupled_status"] == "ok")
    c, u = f.loc[ok, "coupled"].to_numpy(), f.loc[ok, "uncoupled"].to_numpy()
    assert u == pytest.approx(3 * c / (4 - c))
    assert (f["coupled"].dropna() <= 4).all()


def test_undefined_and_unstable():
    loads = np.zeros(40, dtype=int)
    f = acwr_frame(loads, Config())
    assert (f["coupled_status"].iloc[27:] == "undefined").all()
    loads[30] = 5000  # one run in the chronic window -> unstable (< 4 running days), ratio still shown
    f = acwr_frame(loads, Config())
    assert f["coupled_status"].iloc[30] == "unstable" and f["coupled"].iloc[30] == pytest.approx(4.0)


def test_frandsen_weekly_form_d35():
    ctx = d35_ctx()
    w = weekly_acwr(ctx.weekly)
    # week 5: 45 / mean(30, 30, 30) = 1.50; week 4: 30/30 = 1.0
    assert w["ratio"].iloc[4] == pytest.approx(1.5)
    assert w["ratio"].iloc[3] == pytest.approx(1.0)
    assert list(w["status"].iloc[:3]) == ["insufficient_history"] * 3


def test_rule_reports_one_episode_per_run_above_threshold_with_method():
    ctx = d35_ctx()
    (f,) = acwr(ctx, Config())  # coupled: only t = 34 is above 1.3
    assert f.date == date(2024, 2, 4) and f.value == pytest.approx(4 / 3) and f.threshold == 1.3
    assert f.severity == "info" and f.method == "rolling coupled 7/28 d"
    assert "your last 7 days are 1.33× your 4-week average" in f.message
    assert "danger" not in f.message.lower()
    (u,) = acwr(ctx, Config(acwr_method="uncoupled"))
    assert u.value == pytest.approx(1.5) and "uncoupled" in u.method and "band high" in u.message
    (e,) = acwr(ctx, Config(acwr_method="ewma"))
    assert e.value == pytest.approx(1.5533, abs=5e-5) and e.method.startswith("EWMA 7/28")


def test_exact_band_boundary_1_3_is_typical():
    # 9 runs of 3 km, then 18 rest days, then 13 km: S28 = 27 + 13 = 40 km, S7 = 13 km
    # coupled = (13/7)/(40/28) = 4 x 13/40 = 1.3 exactly -> typical (0.8 <= r <= 1.3), compared exactly
    loads = np.array([3000] * 9 + [0] * 18 + [13000])
    f = acwr_frame(loads, Config())
    assert f["coupled"].iloc[27] == pytest.approx(1.3)
    assert f["coupled_band"].iloc[27] == "typical"


def test_episode_over_several_days_reports_the_peak_and_start():
    km = [5, 0, 5, 0, 5, 0, 5] * 4 + [10, 10, 10, 0, 0, 0, 0, 0, 0, 0]
    ctx = ctx_for(daily_runs(km), as_of=date(2024, 2, 7))
    found = acwr(ctx, Config())
    assert len(found) == 1
    f = found[0]
    frame = acwr_frame(ctx.daily_int_m, Config())
    above = frame.index[frame["coupled"] > 1.3]
    assert f.date == date(2024, 1, 1) + timedelta(days=int(above[0]))
    assert f.value == pytest.approx(frame["coupled"].max())
    assert f.status == "ok" and "peaking on" in f.message
