"""Single-run spike (Frandsen et al. 2025; science.md §6)."""

from datetime import date, datetime, timedelta

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from loadfixtures import activity, ctx_for, d35_ctx, frame
from runload.config import Config
from runload.rules.spike import range_max, run_spike, spike_table


def pair(km_now: float, km_before: float = 10.0, days_before: float = 10):
    """A baseline run ``days_before`` days before a run on 2024-03-01 07:00; log long enough."""
    t = datetime(2024, 3, 1, 7)
    rows = [activity(datetime(2024, 1, 1, 7), 1.0),  # log start > 30 days earlier
            activity(t - timedelta(days=days_before), km_before),
            activity(t, km_now)]
    return ctx_for(frame(rows), as_of=date(2024, 3, 1))


@pytest.mark.parametrize(
    "km, pct, band",
    [
        (10.5, 5.0, "reference"),  # 100 x 500/10000 = +5%
        (11.000, 10.0, "reference"),  # +10% exactly: reference (boundary, <= 10)
        (11.001, 10.01, "small"),  # 100 x 1001/10000 = 10.01% > 10
        (13.000, 30.0, "small"),  # +30% exactly: small (boundary, <= 30)
        (15, 50.0, "moderate"),
        (20.000, 100.0, "moderate"),  # +100% exactly: moderate (boundary, <= 100)
        (20.001, 100.01, "large"),
        (9.0, -10.0, "reference"),  # regression is reference
    ],
)
def test_bands_with_m_10_km(km, pct, band):
    ctx = pair(km)
    t = spike_table(ctx.runs, Config(), ctx.log_start)
    last = t.iloc[-1]
    assert last["baseline_m"] == 10_000
    assert last["spike_pct"] == pytest.approx(pct)
    assert last["band"] == band and last["status"] == "ok"
    found = [f for f in run_spike(ctx, Config()) if f.date == date(2024, 3, 1)]
    if band == "reference":
        assert found == []
    else:
        (f,) = found
        assert f.severity == ("alert" if band == "large" else "warning")
        assert f.unit == "%" and f.value == pytest.approx(pct)


def test_small_band_message_shows_more_than_threshold():
    (f,) = [f for f in run_spike(pair(11.001), Config()) if f.date == date(2024, 3, 1)]
    assert "10.01% longer" in f.message and "1.64×" in f.message


def test_d35_t34_large_spike_and_template_wording():
    ctx = d35_ctx()
    t = spike_table(ctx.runs, Config(), ctx.log_start)
    # t = 34 (Sun 2024-02-04): 25 km vs longest in the previous 30 days = 10 km -> +150%
    assert t.iloc[-1]["spike_pct"] == pytest.approx(150.0) and t.iloc[-1]["band"] == "large"
    (f,) = [f for f in run_spike(ctx, Config()) if f.date == date(2024, 2, 4)]
    assert f.status == "ok" and f.severity == "alert" and f.threshold == 100
    assert f.message.startswith(
        "This run (25.0 km) was 150% longer than your longest run in the previous 30 days (10.0 km)")
    assert ("In a cohort of 5 205 runners, runs more than 100% longer were associated with about 2.3× the "
            "overuse-injury rate (Frandsen 2025).") in f.message
    assert f.period == "run on 2024-02-04 at 07:00"


def test_earlier_same_day_run_counts_and_window_is_half_open():
    t0 = datetime(2024, 3, 1, 7)
    rows = [activity(datetime(2024, 1, 1, 7), 1.0), activity(t0, 10.0), activity(t0 + timedelta(hours=10), 12.0)]
    t = spike_table(ctx_for(frame(rows), as_of=date(2024, 3, 1)).runs, Config(), date(2024, 1, 1))
    assert t.iloc[-1]["baseline_m"] == 10_000  # the morning run is the baseline for the evening run
    # a run exactly 30 days earlier is inside [t - 30 d, t); one second more is outside
    ctx = pair(15, days_before=30)
    assert spike_table(ctx.runs, Config(), ctx.log_start).iloc[-1]["baseline_m"] == 10_000
    rows = [activity(datetime(2024, 1, 1, 7), 1.0), activity(t0 - timedelta(days=30, seconds=1), 10.0),
            activity(t0, 15.0)]
    ctx = ctx_for(frame(rows), as_of=date(2024, 3, 1))
    last = spike_table(ctx.runs, Config(), ctx.log_start).iloc[-1]
    assert last["status"] == "no_baseline" and last["baseline_m"] == -1


def test_no_baseline_finding_after_a_break():
    # previous run 41 days before: "first run in 30+ days: start short"
    ctx = pair(8, days_before=41)
    (f,) = [f for f in run_spike(ctx, Config()) if f.date == date(2024, 3, 1)]
    assert f.status == "no_baseline" and f.severity == "info" and f.value == 41 and f.unit == "d"
    assert "start short" in f.message


def test_insufficient_history_is_provisional_and_first_run_is_silent():
    rows = [activity(datetime(2024, 1, 1, 7), 5.0), activity(datetime(2024, 1, 3, 7), 8.0)]
    ctx = ctx_for(frame(rows), as_of=date(2024, 1, 3))
    t = spike_table(ctx.runs, Config(), ctx.log_start)
    assert list(t["status"]) == ["insufficient_history", "insufficient_history"]
    assert np.isnan(t["spike_pct"].iloc[0])
    assert t["spike_pct"].iloc[1] == pytest.approx(60.0)  # 8 vs 5 km = +60%
    (f,) = run_spike(ctx, Config())
    assert f.status == "insufficient_history" and "Provisional" in f.message
    # a new user's second run: a moderate spike by value, but only info while the log is under 30 days
    assert f.severity == "info" and f.value == pytest.approx(60.0) and f.threshold == 30


@pytest.mark.parametrize("km, band", [(6.0, "small"), (8.0, "moderate"), (11.0, "large")])
def test_provisional_spikes_are_info_whatever_the_band(km, band):
    rows = [activity(datetime(2024, 1, 1, 7), 5.0), activity(datetime(2024, 1, 20, 7), km)]
    ctx = ctx_for(frame(rows), as_of=date(2024, 1, 20))
    (f,) = run_spike(ctx, Config())
    assert f.status == "insufficient_history" and f.severity == "info"
    assert f"a {band} spike" in f.message and "Provisional: your log starts less than 30 days" in f.message
    # the same run once the log covers the whole window keeps the band's severity
    rows = [activity(datetime(2023, 12, 1, 7), 1.0)] + rows
    (f,) = [f for f in run_spike(ctx_for(frame(rows), as_of=date(2024, 1, 20)), Config())
            if f.date == date(2024, 1, 20)]
    assert f.status == "ok" and f.severity == ("alert" if band == "large" else "warning")


def test_zero_distance_baseline_is_undefined():
    rows = [activity(datetime(2024, 1, 1, 7), 1.0), activity(datetime(2024, 3, 1, 6), 0.0),
            activity(datetime(2024, 3, 1, 7), 5.0)]
    ctx = ctx_for(frame(rows), as_of=date(2024, 3, 1))
    assert spike_table(ctx.runs, Config(), ctx.log_start)["status"].iloc[-1] == "undefined"


def test_configured_bands_change_the_wording():
    cfg = Config(spike_small_above_pct=20, spike_moderate_above_pct=50, spike_large_above_pct=150)
    (f,) = [f for f in run_spike(pair(13), cfg) if f.date == date(2024, 3, 1)]
    assert f.threshold == 20 and "configured 'small' band" in f.message


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 50_000), min_size=1, max_size=60), st.data())
def test_range_max_matches_brute_force(values, data):
    n = len(values)
    lo = np.array(data.draw(st.lists(st.integers(0, n), min_size=n, max_size=n)))
    hi = np.array([data.draw(st.integers(int(l), n)) for l in lo])
    got = range_max(np.array(values), lo, hi)
    want = [max(values[l:h]) if h > l else -1 for l, h in zip(lo, hi)]
    assert got.tolist() == want
