"""Shoe wear (science.md §3): a maintenance reminder."""

from datetime import date, datetime, timedelta

import numpy as np
import pytest

from loadfixtures import ctx_for, daily_runs, frame, activity, shoes_frame
from runload.config import Config
from runload.measures.shoes import shoe_status
from runload.rules.shoes import shoe_wear
from runload.units import M_PER_MILE


def shoe_ctx(n_runs, km=10.0, shoes=None, as_of=None, shoe="Pegasus", every=1):
    kms = []
    for _ in range(n_runs):
        kms += [km] + [0] * (every - 1)
    acts = daily_runs(kms, shoe=shoe)
    shoes = shoes if shoes is not None else shoes_frame({"name": "Pegasus"})
    return ctx_for(acts, shoes=shoes, as_of=as_of)


def test_constants_are_300_and_500_miles():
    cfg = Config()
    # 300 mi = 300 x 1609.344 = 482 803.2 m; 500 mi = 804 672 m
    assert cfg.shoe_check_distance_m == round(300 * M_PER_MILE)
    assert cfg.shoe_retire_distance_m == 500 * M_PER_MILE


def test_490_km_check():
    ctx = shoe_ctx(49)  # 49 x 10 km = 490 km >= 482.803 km, < 804.672 km
    (s,) = shoe_status(ctx, Config())
    assert (s.status, s.distance_m, s.runs) == ("check", 490_000.0, 49)
    assert s.check_crossed_on == date(2024, 1, 1) + timedelta(days=48)  # the 49th run reaches 490 km
    (f,) = shoe_wear(ctx, Config())
    assert f.value == 490_000 and f.threshold == 482_803 and f.unit == "m" and f.severity == "info"
    assert "check it for wear" in f.message and "maintenance reminder" in f.message
    assert "490.0 km (304.5 mi)" in f.message  # 490 000 / 1609.344 = 304.47 mi


def test_810_km_replace():
    ctx = shoe_ctx(81)  # 81 x 10 km = 810 km >= 804.672 km
    (s,) = shoe_status(ctx, Config())
    assert s.status == "replace"
    assert s.forecast is None and s.weeks_to_retire is None
    (f,) = shoe_wear(ctx, Config())
    assert f.threshold == 804_672 and "replacement is suggested" in f.message


def test_boundary_482_803_km_is_check_and_one_metre_less_is_ok():
    acts = frame([activity(datetime(2024, 1, 1, 7), 482.803, shoe="Pegasus")])
    ctx = ctx_for(acts, shoes=shoes_frame({"name": "Pegasus"}))
    assert shoe_status(ctx, Config())[0].status == "check"
    acts = frame([activity(datetime(2024, 1, 1, 7), 482.802, shoe="Pegasus")])
    ctx = ctx_for(acts, shoes=shoes_frame({"name": "Pegasus"}))
    assert shoe_status(ctx, Config())[0].status == "ok"
    assert shoe_wear(ctx, Config()) == []


def test_start_distance_and_per_shoe_limits():
    shoes = shoes_frame({"name": "Pegasus", "start_distance_m": 400_000.0, "check_at_m": 300_000.0,
                         "retire_at_m": 450_000.0})
    ctx = shoe_ctx(4, shoes=shoes)  # 400 + 40 = 440 km: over its own 300 km check, under 450 km
    (s,) = shoe_status(ctx, Config())
    assert (s.status, s.distance_m, s.check_at_m, s.retire_at_m) == ("check", 440_000.0, 300_000.0, 450_000.0)
    assert s.check_crossed_on is None  # already past it before tracking started


def test_retired_shoe_not_flagged_not_forecast_and_later_runs_do_not_count():
    shoes = shoes_frame({"name": "Pegasus", "retired_on": date(2024, 1, 10)})
    ctx = shoe_ctx(60, shoes=shoes, as_of=date(2024, 3, 1))  # 60 runs, only 10 up to Jan 10
    (s,) = shoe_status(ctx, Config())
    assert (s.status, s.distance_m, s.runs, s.forecast) == ("retired", 100_000.0, 10, None)
    assert shoe_wear(ctx, Config()) == []
    # replayed before its retirement date it is an active shoe
    ctx = shoe_ctx(60, shoes=shoes, as_of=date(2024, 1, 5))
    assert shoe_status(ctx, Config())[0].status == "ok"


def test_runs_without_shoe_go_to_the_default_and_unknown_names_are_listed():
    acts = daily_runs([10] * 5, shoe=None)
    shoes = shoes_frame({"name": "Daily", "is_default": True}, {"name": "Race"})
    ctx = ctx_for(acts, shoes=shoes)
    by_name = {s.name: s for s in shoe_status(ctx, Config())}
    assert by_name["Daily"].distance_m == 50_000 and by_name["Race"].distance_m == 0
    acts = daily_runs([10] * 2, shoe="Mystery")
    names = [s.name for s in shoe_status(ctx_for(acts, shoes=shoes), Config())]
    assert names == ["Daily", "Race", "Mystery"]


def test_weekly_rate_and_forecast():
    # 10 km every other day for 8 weeks: last 4 weeks = 28 days / 2 = 14 runs = 140 km -> 35 km/week
    ctx = shoe_ctx(28, every=2, as_of=date(2024, 2, 25))
    (s,) = shoe_status(ctx, Config())
    assert s.distance_m == 280_000
    assert s.weekly_rate_m == pytest.approx(35_000)
    assert s.weekly_rate_8w_m == pytest.approx(35_000)
    # (804 672 - 280 000) / 35 000 = 14.99 weeks
    assert s.weeks_to_retire == pytest.approx(524_672 / 35_000)
    assert "reaches 804.7 km (500 mi) in about 15 weeks at your current rate" in s.forecast
    assert s.to_json()["first_use"] == "2024-01-01"


def test_no_shoes_no_runs():
    ctx = ctx_for(frame([]), shoes=None, as_of=date(2024, 1, 1))
    assert shoe_status(ctx, Config()) == [] and shoe_wear(ctx, Config()) == []
    # a shoe with only a start distance can still reach its check distance
    ctx = ctx_for(frame([]), shoes=shoes_frame({"name": "Old", "start_distance_m": 500_000.0}),
                  as_of=date(2024, 1, 1))
    (f,) = shoe_wear(ctx, Config())
    assert f.date == date(2024, 1, 1) and np.isclose(f.value, 500_000)


def test_shoe_codes_follow_first_use_like_pandas_factorize():
    """The shoe of each run as a code in order of first use (None: -1), as pd.factorize gives it,
    and missing names (None, NaN, pandas' NA) found alike with or without pandas loaded."""
    import numpy as np
    import pandas as pd

    from runload.measures.shoes import _codes, _missing

    names = np.array(["Pegasus", None, "Novablast", "Pegasus", None, "Trail", "Novablast"], dtype=object)
    codes, code_of = _codes(names)
    want_codes, want_uniques = pd.factorize(names, use_na_sentinel=True)
    assert codes.tolist() == want_codes.tolist() == [0, -1, 1, 0, -1, 2, 1]
    assert list(code_of) == list(want_uniques) and list(code_of.values()) == [0, 1, 2]
    assert _codes(np.zeros(0, dtype=object))[0].size == 0
    odd = np.array(["A", None, float("nan"), pd.NA, "B"], dtype=object)
    assert _missing(odd).tolist() == pd.isna(odd).tolist() == [False, True, True, True, False]
