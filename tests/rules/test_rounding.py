"""Numbers that agree with their band, and N-day windows that are N local calendar days.

A runner redoing the arithmetic from the numbers a message shows must land in the
band the message states (issue: "8.7 mi was 100% longer than 4.3 mi: a moderate
spike" is +102 % by hand, which is large). Checked in km and in mi, on values
chosen next to every band edge.
"""

import random
import re
from datetime import date, datetime, timedelta
from fractions import Fraction

import pytest

from loadfixtures import activity, ctx_for, daily_runs, frame, weeks_on_mondays
from runload.config import Config
from runload.rules.mileage import weekly_increase
from runload.rules.monotony import monotony
from runload.rules.spike import run_spike, spike_table
from runload.units import M_PER_MILE

SPIKE_RE = re.compile(r"This run \(([\d.]+) (km|mi)\) was ([\d.]+)% longer than your longest run in the previous "
                      r"30 days \(([\d.]+) (km|mi)\): a (\w+) spike")
EDGES = {"small": (10, 30), "moderate": (30, 100), "large": (100, None)}


def shown_band(d: Fraction, m: Fraction) -> str:
    pct = 100 * (d - m) / m
    return "large" if pct > 100 else "moderate" if pct > 30 else "small" if pct > 10 else "reference"


def spike_finding(base_m: int, run_m: int, units: str):
    rows = [activity(datetime(2024, 1, 1, 7), 1.0), activity(datetime(2024, 2, 1, 7), base_m / 1000),
            activity(datetime(2024, 2, 11, 7), run_m / 1000)]
    ctx = ctx_for(frame(rows), as_of=date(2024, 2, 11), cfg=Config(units=units))
    return [f for f in run_spike(ctx, ctx.config) if f.date == date(2024, 2, 11)]


def test_the_reported_mile_case_shows_enough_digits():
    # M = 4.33 mi = 6 968 m and D = 2M = 13 936 m: exactly +100 %, moderate (≤ 100 %).
    # With one decimal it read "8.7 mi ... 4.3 mi": 8.7/4.3 = 2.023, +102 % by hand: large.
    (f,) = spike_finding(6968, 13936, "mi")
    assert "This run (8.66 mi) was 100% longer" in f.message and "(4.33 mi): a moderate spike" in f.message
    assert f.severity == "warning"


@pytest.mark.parametrize("units", ["km", "mi"])
def test_spike_numbers_agree_with_their_band_near_every_edge(units):
    rng = random.Random(8)
    checked = 0
    for _ in range(120):
        base_m = rng.randint(2_000, 25_000)
        edge = rng.choice([10, 30, 100])
        run_m = int(base_m * (1 + edge / 100)) + rng.randint(-40, 40)
        for f in spike_finding(base_m, run_m, units):
            m = SPIKE_RE.search(f.message)
            assert m, f.message
            d_shown, pct_shown, m_shown, band = Fraction(m.group(1)), float(m.group(3)), Fraction(m.group(4)), m.group(6)
            assert m.group(2) == m.group(5) == units
            assert shown_band(d_shown, m_shown) == band, f.message
            lo, hi = EDGES[band]
            assert pct_shown > lo and (hi is None or pct_shown <= hi), f.message
            checked += 1
    assert checked > 60


@pytest.mark.parametrize("units", ["km", "mi"])
def test_weekly_increase_numbers_stay_above_the_threshold(units):
    # a week a few metres above +10 %: with one decimal both weeks could print at exactly +10 %
    rng = random.Random(3)
    pattern = re.compile(r"had ([\d.]+) (km|mi) of running, ([\d.]+)% more than 2024-W01 \(([\d.]+) (km|mi)\)")
    for _ in range(40):
        base_km = rng.randint(15_000, 80_000) / 1000
        cur_km = round(base_km * 1.1 + rng.randint(1, 60) / 1000, 3)
        ctx = ctx_for(weeks_on_mondays([base_km, cur_km]), as_of=date(2024, 1, 14), cfg=Config(units=units))
        (f,) = weekly_increase(ctx, ctx.config)
        m = pattern.search(f.message)
        assert m, f.message
        cur, base = Fraction(m.group(1)), Fraction(m.group(4))
        assert 10 * cur > 11 * base, f.message  # by hand, from the shown numbers: more than +10 %
        assert float(m.group(3)) > 10.0


def test_weekly_increase_exact_case():
    # 33.04 km over 30.0 km = +10.13 %: one decimal would read "33.0 km ... (30.0 km)", +10.0 % by hand
    ctx = ctx_for(weeks_on_mondays([30.0, 33.04]), as_of=date(2024, 1, 14))
    (f,) = weekly_increase(ctx, Config())
    assert "33.04 km of running, 10.1% more than 2024-W01 (30.00 km)" in f.message
    ctx = ctx_for(weeks_on_mondays([30.0, 34.0]), as_of=date(2024, 1, 14))
    (f,) = weekly_increase(ctx, Config())
    assert "34.0 km of running, 13.3% more than 2024-W01 (30.0 km)" in f.message  # one decimal is enough


@pytest.mark.parametrize("units", ["km", "mi"])
def test_monotony_mean_and_sd_as_shown_are_above_the_threshold(units):
    rng = random.Random(5)
    pattern = re.compile(r"mean ([\d.]+) (km|mi) per day / SD ([\d.]+) (km|mi)")
    flagged = 0
    for _ in range(60):
        week = [rng.choice([0, rng.randint(4, 12)]) if i == 6 else rng.randint(8, 12) for i in range(7)]
        week[rng.randrange(7)] = rng.randint(1, 6)
        ctx = ctx_for(daily_runs(week), as_of=date(2024, 1, 7), cfg=Config(units=units))
        for f in monotony(ctx, ctx.config):
            m = pattern.search(f.message)
            if not m:
                continue
            mean, sd = Fraction(m.group(1)), Fraction(m.group(3))
            assert sd > 0 and mean > 2 * sd, f.message
            flagged += 1
    assert flagged > 10


# ---- windows of N days are N local calendar days -----------------------------------------------

def berlin(y, mo, d, h, mi=0):
    return datetime(y, mo, d, h, mi)


def spike_rows(base_local, run_local, tz="Europe/Berlin"):
    return frame([activity(datetime(2025, 12, 1, 7), 1.0, tz=tz), activity(base_local, 10.0, tz=tz),
                  activity(run_local, 15.0, tz=tz)])


def test_spike_window_is_30_calendar_days_across_spring_dst():
    # Berlin moves to summer time on 2026-03-29. The 10 km run is on 03-01 at 07:30 (UTC+1), the
    # 15 km run on 03-31 at 08:00 (UTC+2): 30 days and 30 minutes apart on the wall clock, so the
    # 10 km run is outside the 30-day window; in hours they are only 719.5 h apart (inside 720 h).
    rows = spike_rows(berlin(2026, 3, 1, 7, 30), berlin(2026, 3, 31, 8, 0))
    ctx = ctx_for(rows, as_of=date(2026, 3, 31), tz="Europe/Berlin")
    last = spike_table(ctx.runs, Config(), ctx.log_start).iloc[-1]
    assert last["status"] == "no_baseline" and last["baseline_m"] == -1
    (f,) = [f for f in run_spike(ctx, Config()) if f.date == date(2026, 3, 31)]
    assert f.status == "no_baseline" and f.value == 30  # whole calendar days, not 29.98
    # at 07:30 on 03-31 the 10 km run is exactly 30 days earlier: inside [t - 30 d, t)
    rows = spike_rows(berlin(2026, 3, 1, 7, 30), berlin(2026, 3, 31, 7, 30))
    ctx = ctx_for(rows, as_of=date(2026, 3, 31), tz="Europe/Berlin")
    last = spike_table(ctx.runs, Config(), ctx.log_start).iloc[-1]
    assert last["baseline_m"] == 10_000 and last["spike_pct"] == pytest.approx(50.0)


def test_spike_window_is_30_calendar_days_across_autumn_dst():
    # Berlin returns to standard time on 2026-10-25. 10 km on 09-26 at 08:30 (UTC+2), 15 km on 10-26
    # at 08:00 (UTC+1): 29 days 23.5 h on the wall clock (inside the window) but 720.5 h in UTC time.
    rows = spike_rows(berlin(2026, 9, 26, 8, 30), berlin(2026, 10, 26, 8, 0))
    ctx = ctx_for(rows, as_of=date(2026, 10, 26), tz="Europe/Berlin")
    last = spike_table(ctx.runs, Config(), ctx.log_start).iloc[-1]
    assert last["status"] == "ok" and last["baseline_m"] == 10_000
    (f,) = [f for f in run_spike(ctx, Config()) if f.date == date(2026, 10, 26)]
    assert f.value == pytest.approx(50.0) and "moderate" in f.message


def test_acwr_ratio_shown_stays_inside_its_band():
    # coupled ratio (S7/7)/(S28/28) just below 1.5: an elevated ratio must not read "1.50" (high from 1.5)
    from runload.rules.acwr import acwr

    # 21 days of 3 km, then 7 days of x km: ratio = 7x/7 / ((63 + 7x)/28) = 28x/(63 + 7x)
    # x = 4.4996: 125.9888/94.4972 = 1.33325 -> elevated; choose x for a ratio of 1.4999: x = 1.4999*63/(28 - 1.4999*7)
    x_km = round(1.4999 * 63 / (28 - 1.4999 * 7), 3)
    ctx = ctx_for(daily_runs([3] * 21 + [x_km] * 7), as_of=date(2024, 1, 28))
    (f,) = acwr(ctx, Config())
    assert 1.3 < f.value < 1.5
    shown = re.search(r"(?:were|are) ([\d.]+)× your 4-week average", f.message).group(1)
    assert "band elevated" in f.message and 1.3 < float(shown) < 1.5, f.message
