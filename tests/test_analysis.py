"""analyze(): end to end, edge cases, as_of replay; every message scanned (science.md §9)."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest

from runload.analysis import Analysis, Check, analyze, check
from runload.config import Config
from runload.errors import ConfigError

D35_KM = [6, 0, 8, 0, 6, 0, 10] * 4 + [6, 0, 8, 0, 6, 0, 25]


def runs(km_per_day, start=date(2024, 1, 1), hour=7, tz="UTC", shoe=None):
    rows = []
    for i, km in enumerate(km_per_day):
        if km:
            d = start + timedelta(days=i)
            local = datetime(d.year, d.month, d.day, hour, tzinfo=ZoneInfo(tz))
            rows.append({"id": i, "start_utc": pd.Timestamp(local).tz_convert("UTC"),
                         "utc_offset_s": local.utcoffset().total_seconds(), "sport": "running", "sub_sport": None,
                         "distance_m": km * 1000.0, "moving_s": km * 330.0, "elapsed_s": km * 340.0,
                         "avg_hr_bpm": np.nan, "max_hr_bpm": np.nan, "ascent_m": np.nan, "name": "Run",
                         "device": None, "source_format": "gpx", "shoe": shoe, "hr_seconds_by_bpm": None,
                         "notes": [], "recovered": None})
    out = pd.DataFrame(rows)
    if len(out):
        out["start_utc"] = out["start_utc"].astype("datetime64[ns, UTC]")
    return out


def test_d35_end_to_end():
    a = analyze(runs(D35_KM), None, "anna", tz="UTC", as_of=date(2024, 2, 4), config=Config())
    assert isinstance(a, Analysis) and a.as_of == date(2024, 2, 4)
    assert {f.rule for f in a.findings} == {"weekly_increase", "run_spike", "acwr"}
    assert all(f.athlete == "anna" for f in a.findings)
    assert len(a.daily) == 35 and len(a.weekly) == 5 and a.weekly["complete"].all()
    assert a.weekly["acwr_weekly"].iloc[4] == pytest.approx(1.5)
    assert a.acwr["coupled"].iloc[34] == pytest.approx(4 / 3) and a.acwr["method"].iloc[0] == "coupled"
    assert a.acwr["status"].iloc[26] == "insufficient_history"
    assert a.monotony["monotony"].iloc[0] == pytest.approx(1.0940, abs=5e-5)
    assert a.pmc is None and "heart rate unknown" in a.pmc_note
    j = a.to_json()
    assert j["as_of"] == "2024-02-04" and len(j["findings"]) == len(a.findings)
    assert a.findings_since(date(2024, 2, 1)) == [f for f in a.findings if f.date >= date(2024, 2, 1)]


def test_as_of_replay_ignores_later_activities():
    acts = runs(D35_KM)
    early = analyze(acts, None, "anna", tz="UTC", as_of=date(2024, 1, 28), config=Config())
    assert early.daily.index[-1] == pd.Timestamp("2024-01-28")
    assert not any(f.date > date(2024, 1, 28) for f in early.findings)
    assert "weekly_increase" not in {f.rule for f in early.findings}
    late = analyze(acts, None, "anna", tz="UTC", as_of=date(2024, 3, 1), config=Config())
    assert late.daily.index[-1] == pd.Timestamp("2024-03-01")  # rest days up to as_of
    # four weeks later with nothing imported since: no data, so no ratio is drawn over those days
    assert np.isnan(late.acwr["coupled"].iloc[-1]) and late.acwr["status"].iloc[-1] == "data_gap"
    assert late.weekly["no_data_days"].iloc[-1] > 0 and late.daily["status"].iloc[-1] == "no data"
    # ... unless the log is declared complete up to as_of: then those days were rest
    rested = analyze(acts, None, "anna", tz="UTC", as_of=date(2024, 3, 1), config=Config(),
                     data_end=date(2024, 3, 1))
    assert rested.acwr["coupled"].iloc[-1] == pytest.approx(0.0)


def test_empty_and_no_runs_give_no_findings():
    a = analyze(pd.DataFrame(), None, "x", tz="UTC", as_of=date(2024, 1, 1), config=Config())
    assert a.findings == [] and a.daily.empty and a.weekly.empty and a.acwr.empty and a.shoe_status == []
    assert a.pmc is None
    rides = runs([30])
    rides["sport"] = "cycling"
    a = analyze(rides, None, "x", tz="UTC", as_of=date(2024, 1, 7), config=Config())
    assert a.findings == [] and a.daily.empty


def test_one_run_only():
    a = analyze(runs([10]), None, "x", tz="UTC", as_of=date(2024, 1, 1), config=Config())
    assert a.findings == [] and len(a.daily) == 1
    assert list(a.weekly["complete"]) == [False]
    assert a.acwr["status"].iloc[0] == "insufficient_history"


def test_gap_in_the_log():
    km = [10, 0, 10, 0, 10, 0, 10] * 6 + [0] * 60 + [10, 0, 10]
    a = analyze(runs(km), None, "x", tz="UTC", config=Config(), as_of=date(2024, 1, 1) + timedelta(len(km) - 1))
    spikes = [f for f in a.findings if f.rule == "run_spike"]
    assert spikes[0].status == "no_baseline" and spikes[0].value == 61
    assert (a.acwr["coupled_status"].iloc[-30:-2] == "undefined").any()
    assert a.weekly["distance_m"].iloc[7:14].eq(0).all()


def test_timezone_from_config_and_dst_week():
    cfg = Config(athletes={"anna": {"timezone": "Europe/Berlin"}})
    acts = runs([5, 0, 5, 0, 5, 0, 5, 5, 0, 5, 0, 5, 0, 5], start=date(2026, 10, 19), hour=0, tz="Europe/Berlin")
    a = analyze(acts, None, "anna", as_of=date(2026, 11, 1), config=cfg)
    assert a.context.tz == "Europe/Berlin"
    assert list(a.weekly["days"]) == [7, 7]
    assert a.daily["distance_m"].tolist() == [v * 1000.0 for v in [5, 0, 5, 0, 5, 0, 5, 5, 0, 5, 0, 5, 0, 5]]
    # without the zone, midnight runs still land on the recorded local date via utc_offset_s
    b = analyze(acts, None, "bob", as_of=date(2026, 11, 1), config=cfg)
    assert b.daily["distance_m"].tolist() == a.daily["distance_m"].tolist()


def test_default_as_of_is_today_and_unknown_rule(monkeypatch):
    a = analyze(runs([5]), None, "x", tz="UTC", config=Config())
    assert a.as_of >= date(2024, 1, 1)
    with pytest.raises(ConfigError, match="valid rule ids"):
        analyze(runs([5]), None, "x", tz="UTC", config=Config(), only=["nope"])


def test_shoes_and_hr_per_athlete():
    acts = runs([10] * 50, shoe="Pegasus")
    acts["hr_seconds_by_bpm"] = [{150: 2700.0}] * len(acts)
    shoes = pd.DataFrame({"name": ["Pegasus"], "start_distance_m": [0.0], "check_at_m": [np.nan],
                          "retire_at_m": [np.nan], "retired_on": [None], "is_default": [True]})
    cfg = Config(athletes={"anna": {"hr_rest_bpm": 60.0, "hr_max_bpm": 190.0, "max_consecutive_run_days": 60}})
    a = analyze(acts, shoes, "anna", tz="UTC", as_of=date(2024, 2, 19), config=cfg)
    assert [s.status for s in a.shoe_status] == ["check"]  # 500 km
    assert a.pmc is not None and a.pmc["load"].iloc[0] == pytest.approx(75.33, abs=5e-3)
    assert "run_streak" not in {f.rule for f in a.findings}  # per-athlete override
    assert "shoe_wear" in {f.rule for f in a.findings}


def test_input_frames_are_not_changed():
    acts = runs(D35_KM)
    before = acts.copy()
    analyze(acts, None, "x", tz="UTC", as_of=date(2024, 2, 4), config=Config())
    pd.testing.assert_frame_equal(acts, before)


@pytest.mark.parametrize("method", ["coupled", "uncoupled", "ewma"])
def test_check_gives_the_findings_of_analyze(method):
    acts = runs(D35_KM + [5] * 14 + [0] * 40 + [12, 0, 30, 0] + [10] * 9, shoe="Pegasus")
    shoes = pd.DataFrame({"name": ["Pegasus"], "start_distance_m": [400_000.0], "check_at_m": [np.nan],
                          "retire_at_m": [np.nan], "retired_on": [None], "is_default": [True]})
    cfg = Config(acwr_method=method)
    as_of = date(2024, 4, 20)
    a = analyze(acts, shoes, "anna", tz="UTC", as_of=as_of, config=cfg)
    c = check(acts, shoes, "anna", tz="UTC", as_of=as_of, config=cfg)
    assert isinstance(c, Check) and c.as_of == a.as_of and c.athlete == "anna"
    assert [f.to_json() for f in c.findings] == [f.to_json() for f in a.findings]
    assert {f.rule for f in c.findings} >= {"weekly_increase", "run_spike", "acwr", "shoe_wear"}
    assert c.to_json()["findings"] == a.to_json()["findings"]
    assert c.findings_since(date(2024, 3, 1)) == a.findings_since(date(2024, 3, 1))
    only = check(acts, shoes, "anna", tz="UTC", as_of=as_of, config=cfg, only=["acwr"])
    assert only.findings == [f for f in a.findings if f.rule == "acwr"]
    # rules alone never build the display tables
    assert not any(k[0] in ("daily", "weekly", "runs", "acwr_frame", "monotony_table") for k in c.context._cache)


def test_check_on_empty_log():
    c = check(runs([]), None, "x", tz="UTC", as_of=date(2024, 1, 1), config=Config())
    assert c.findings == [] and c.context.n_days == 0
