"""User-declared gaps (science.md C3): gap days are missing, windows touching them give data_gap.

Every expectation is hand-computed on D35-style fixtures (one run at 07:00 UTC on each running day,
weeks of [6,0,8,0,6,0,10] km from Mon 2024-01-01; day t = 2024-01-01 + t).
"""

from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

from loadfixtures import D35_START, ctx_for, daily_runs
from runload.analysis import analyze, check
from runload.config import Config
from runload.findings import Severity
from runload.measures.acwr import weekly_acwr
from runload.tables import gap_intervals
from runload.measures.increase import weekly_increase_table
from runload.rules.mileage import weekly_increase
from runload.measures.monotony import monotony_table
from runload.rules.monotony import monotony
from runload.rules.rest import run_streak, week_without_rest
from runload.rules.spike import run_spike, spike_table

WEEK = [6, 0, 8, 0, 6, 0, 10]


def day(t: int) -> date:
    return D35_START + timedelta(days=t)


def gaps(*pairs) -> pd.DataFrame:
    """A gaps frame like ``Store.gaps_frame`` from (first day index, last day index) pairs."""
    return pd.DataFrame({"id": np.arange(1, len(pairs) + 1), "from_date": [day(a) for a, _ in pairs],
                         "to_date": [day(b) for _, b in pairs], "reason": [None] * len(pairs)})


def ctx(km, gap_pairs=(), as_of=None, cfg=None):
    c = ctx_for(daily_runs(km), as_of=as_of, cfg=cfg)
    if gap_pairs:
        from runload.rules.context import build_context

        c = build_context(daily_runs(km), None, "test", cfg or Config(), tz="UTC", as_of=c.as_of,
                          gaps=gaps(*gap_pairs), data_end=c.as_of)
    return c


# ---- context ------------------------------------------------------------------------------------

def test_gap_intervals_merge_touching_and_overlapping_gaps():
    lo, hi = gap_intervals([(day(10), day(12)), (day(0), day(2)), (day(3), day(4)), (day(11), day(20))])
    assert [(day(0) + timedelta(days=int(a) - (day(0) - date(1970, 1, 1)).days)) for a in lo] == [day(0), day(10)]
    assert (hi - lo).tolist() == [4, 10]  # days 0..4 and 10..20
    with pytest.raises(ValueError):
        gap_intervals([(day(5), day(4))])


def test_context_marks_gap_days_and_weeks_and_ignores_gaps_outside_the_log():
    c = ctx(WEEK * 3, [(16, 18), (-10, -3), (40, 50)])
    assert c.gap_days.nonzero()[0].tolist() == [16, 17, 18]
    assert c.week_gap.tolist() == [False, False, True]
    assert c.window_touches_gap(7)[15:21].tolist() == [False] + [True] * 5  # t = 16 .. 20 (as_of)
    assert c.window_touches_gap(3, lag=2)[15:21].tolist() == [False] * 3 + [True] * 3  # days t-4 .. t-2
    assert c.gap_list()[0] == (day(-10), day(-3))
    # the tables keep what was recorded on gap days; only the day's status says "gap" (never "rest")
    plain = ctx(WEEK * 3).daily
    pd.testing.assert_frame_equal(c.daily.drop(columns="status"), plain.drop(columns="status"))
    changed = (c.daily["status"] != plain["status"]).to_numpy().nonzero()[0].tolist()
    assert changed == [17] and c.daily["status"].iloc[17] == "gap" and plain["status"].iloc[17] == "rest"
    assert c.daily["status"].iloc[16] == "run"  # a run recorded inside a gap still counts as a run day
    assert c.weekly["gap_days"].tolist() == [0, 0, 3] and c.weekly["rest_days"].tolist() == [3, 3, 2]


def test_no_gaps_is_the_default_and_costs_nothing():
    c = ctx(WEEK * 2)
    assert not c.has_gaps and c.gap_days.sum() == 0 and c.week_gap.tolist() == [False, False]


# ---- weekly_increase ----------------------------------------------------------------------------

#: W1 30, W2 30, W3 [6,0,(gap: 0,0,0),0,10] = 22 recorded, W4 [6,0,8,0,6,0,20] = 40, W5 [...,25] = 45 km.
GAP_WEEKS_KM = WEEK * 2 + [6, 0, 0, 0, 0, 0, 10] + [6, 0, 8, 0, 6, 0, 20] + [6, 0, 8, 0, 6, 0, 25]


def test_weekly_increase_does_not_compare_weeks_touching_a_gap():
    prev = Config(weekly_increase_baseline="previous_week")
    plain = weekly_increase(ctx(GAP_WEEKS_KM), Config())
    # without the gap, baseline = highest of the previous 4 complete weeks:
    # W3 22 vs 30 no; W4 40 vs max(30, 30, 22) = 30 -> +33.3 %; W5 45 vs 40 -> +12.5 %
    assert [f.period for f in plain] == ["2024-W04", "2024-W05"]
    assert plain[0].value == pytest.approx(40 / 30 - 1) and "2024-W02 (30.0 km)" in plain[0].message
    found = weekly_increase(ctx(GAP_WEEKS_KM, [(15, 17)]), Config())
    # W3 holds the gap: not compared and no baseline; W4 vs max(W2, W1) = 30 -> +33.3 %; W5 vs W4 40 -> +12.5 %
    assert [f.period for f in found] == ["2024-W04", "2024-W05"]
    assert [f.value for f in found] == [pytest.approx(40 / 30 - 1), pytest.approx(45 / 40 - 1)]
    # previous-week baseline: W3 is W4's only candidate, so W4 is data_gap; W5 vs W4: 450 > 11 x 40 = 440
    found = weekly_increase(ctx(GAP_WEEKS_KM, [(15, 17)]), prev)
    assert [f.period for f in found] == ["2024-W05"]
    assert found[0].value == pytest.approx(45 / 40 - 1)


def test_weekly_increase_table_status_data_gap():
    c = ctx(GAP_WEEKS_KM, [(15, 17)])
    table = weekly_increase_table(c.weekly, Config(), gap_week=c.week_gap)
    assert table["status"].tolist() == ["insufficient_history", "ok", "data_gap", "ok", "ok"]
    assert table["baseline_week"].tolist() == [None, "2024-W01", "2024-W02", "2024-W02", "2024-W04"]
    assert table["flagged"].tolist() == [False, False, False, True, True]
    assert np.isnan(table["change_ratio"].iloc[2])
    table = weekly_increase_table(c.weekly, Config(weekly_increase_baseline="previous_week"), gap_week=c.week_gap)
    assert table["status"].tolist() == ["insufficient_history", "ok", "data_gap", "data_gap", "ok"]
    assert table["flagged"].tolist() == [False, False, False, False, True]
    assert np.isnan(table["change_ratio"].iloc[2]) and np.isnan(table["change_ratio"].iloc[3])
    # every candidate baseline week touches a gap -> data_gap, not "insufficient history"
    c = ctx(WEEK * 2, [(0, 1)])
    table = weekly_increase_table(c.weekly, Config(), gap_week=c.week_gap)
    assert table["status"].tolist() == ["data_gap", "data_gap"]


def test_current_week_touching_a_gap_is_not_flagged_early():
    km = WEEK * 2 + [30]  # Monday of W3: already 30 km (= W2), then a gap from Tuesday
    assert weekly_increase(ctx(km + [20], as_of=day(15)), Config())  # 50 > 33: flagged early
    assert weekly_increase(ctx(km + [20], [(15, 20)], as_of=day(15)), Config()) == []


# ---- rest days and streaks ----------------------------------------------------------------------

def test_week_without_rest_skips_weeks_touching_a_gap():
    km = [5] * 21  # three weeks without a rest day
    assert [f.period for f in week_without_rest(ctx(km), Config())] == ["2024-W01", "2024-W02", "2024-W03"]
    assert [f.period for f in week_without_rest(ctx(km, [(9, 9)]), Config())] == ["2024-W01", "2024-W03"]


def test_run_streak_does_not_run_through_a_gap_day():
    km = [5] * 21
    assert [f.value for f in run_streak(ctx(km), Config())] == [21]
    # day 9 (2024-01-10) is unknown: streaks of 9 (days 0..8) and 11 (days 10..20)
    found = run_streak(ctx(km, [(9, 9)]), Config())
    assert [(f.date, f.value) for f in found] == [(day(0), 9), (day(10), 11)]
    # 4 + gap + 4 running days: no streak of 7
    assert run_streak(ctx([5] * 9, [(4, 4)]), Config()) == []


# ---- ACWR ---------------------------------------------------------------------------------------

#: 8 weeks; W3 (days 14..20, 2024-01-15..21) is a declared gap with nothing recorded; W8 ends with 25 km.
ACWR_KM = WEEK * 2 + [0] * 7 + WEEK * 4 + [6, 0, 8, 0, 6, 0, 25]


def test_acwr_is_none_while_the_28_day_window_touches_a_gap():
    a = analyze(daily_runs(ACWR_KM), athlete="t", tz="UTC", as_of=day(55), config=Config(), gaps=gaps((14, 20)))
    frame = a.acwr
    st = frame["coupled_status"].tolist()
    assert st[:14] == ["insufficient_history"] * 14
    assert st[14:48] == ["data_gap"] * 34  # t = 14 .. 20 + 27
    assert frame["coupled"].iloc[14:48].isna().all()
    for method in ("uncoupled", "ewma"):
        assert frame[f"{method}_status"].iloc[14:48].eq("data_gap").all()
        assert frame[method].iloc[14:48].isna().all()
    # t = 48 (Sun 2024-02-18): acute 30 km / 7, chronic 4 full weeks 120 km / 28 -> 1.000
    assert st[48] == "ok" and frame["coupled"].iloc[48] == pytest.approx(1.0)
    # t = 55: (45/7)/(135/28) = 1.3333, as D35 t = 34
    assert frame["coupled"].iloc[55] == pytest.approx(4 / 3)
    assert frame["status"].iloc[20] == "data_gap" and pd.isna(frame["band"].iloc[20])


def test_acwr_flags_nothing_inside_a_gap_window():
    plain = [f.date for f in check(daily_runs(ACWR_KM), athlete="t", tz="UTC", as_of=day(55), config=Config(),
                                   only=["acwr"]).findings]
    # without the gap the empty week deflates the chronic load: t = 27 is (30/7)/(90/28) = 1.333, elevated
    assert day(27) in plain
    with_gap = check(daily_runs(ACWR_KM), athlete="t", tz="UTC", as_of=day(55), config=Config(), only=["acwr"],
                     gaps=gaps((14, 20))).findings
    assert [f.date for f in with_gap] == [day(55)]  # only the real 25 km spike week, after the window cleared
    assert with_gap[0].status == "provisional"


def test_weekly_acwr_data_gap():
    c = ctx(ACWR_KM, [(14, 20)])
    w = weekly_acwr(c.weekly, gap_week=c.week_gap)
    # week index 2 holds the gap; weeks 2..5 use it (this week and the 3 before)
    assert w["status"].tolist() == ["insufficient_history"] * 2 + ["data_gap"] * 4 + ["ok", "ok"]
    assert w["ratio"].iloc[7] == pytest.approx(45 / 30)


# ---- monotony -----------------------------------------------------------------------------------

def test_monotony_skips_weeks_touching_a_gap():
    km = [10, 10, 10, 10, 10, 10, 0] * 2  # sqrt(6) = 2.449 each week, flagged
    assert [f.period for f in monotony(ctx(km, as_of=day(13)), Config())] == ["2024-W01", "2024-W02"]
    c = ctx(km, [(8, 8)], as_of=day(13))
    assert [f.period for f in monotony(c, Config())] == ["2024-W01"]
    table = monotony_table(c, Config())
    assert table["status"].tolist() == ["ok", "data_gap"]
    assert table["monotony"].iloc[0] == pytest.approx(6 ** 0.5) and np.isnan(table["monotony"].iloc[1])
    assert table["flagged"].tolist() == [True, False]
    assert table["complete"].tolist() == [True, True]


# ---- run_spike ----------------------------------------------------------------------------------

#: W1-W4 as D35, W5 (days 28..34, 2024-01-29..02-04) a gap with nothing recorded, W6 as D35,
#: W7 ends with 25 km on day 48 (Sun 2024-02-18).
SPIKE_KM = WEEK * 4 + [0] * 7 + WEEK + [6, 0, 8, 0, 6, 0, 25]


def spikes(c):
    """The spike findings after the first 30 days (earlier ones are provisional anyway)."""
    return [f for f in run_spike(c, Config()) if f.date >= day(30)]


def test_spike_after_a_gap_is_info_data_gap_and_keeps_its_value():
    (plain,) = spikes(ctx(SPIKE_KM))
    assert plain.status == "ok" and plain.severity == Severity.ALERT.value  # 25 vs 10 km: +150 %, large
    (found,) = spikes(ctx(SPIKE_KM, [(28, 34)]))
    # window [2024-01-19 07:00, 2024-02-18 07:00) touches the gap: the baseline may be missing
    assert found.status == "data_gap"
    assert found.severity == Severity.INFO.value
    assert found.value == pytest.approx(150.0)
    assert found.date == day(48)
    assert "declared gap (2024-01-29 to 2024-02-04)" in found.message
    assert "may be missing" in found.message


def test_spike_whose_window_misses_the_gap_is_unchanged():
    km = SPIKE_KM + WEEK * 4 + [6, 0, 8, 0, 6, 0, 25]  # day 83: window from day 53 misses the gap
    found = spikes(ctx(km, [(28, 34)]))
    assert [(f.date, f.status) for f in found] == [(day(48), "data_gap"), (day(83), "ok")]


def test_first_run_after_a_long_gap_is_info_data_gap():
    km = WEEK * 4 + [0] * 35 + [8]  # illness: nothing for 35 days (days 28..62), then 8 km on day 63
    (plain,) = spikes(ctx(km))
    assert plain.status == "no_baseline"
    (found,) = spikes(ctx(km, [(28, 62)]))
    assert found.status == "data_gap" and found.severity == Severity.INFO.value
    assert found.value == pytest.approx(plain.value)  # days since the previous run, kept
    assert "start short" in found.message and "declared gap (2024-01-29 to 2024-03-03)" in found.message


def test_spike_table_status_data_gap():
    c = ctx(SPIKE_KM)
    table = spike_table(c.runs, Config(), log_start=c.log_start, gaps=gaps((28, 34)))
    assert table["status"].iloc[-1] == "data_gap"
    assert table["spike_pct"].iloc[-1] == pytest.approx(150.0) and table["band"].iloc[-1] == "large"
    # runs before the gap keep their status (the first runs: insufficient_history)
    plain = spike_table(c.runs, Config(), log_start=c.log_start)
    before = table.index[np.asarray([d < day(28) for d in c.runs["local_date"].dt.date])]
    assert table.loc[before, "status"].tolist() == plain.loc[before, "status"].tolist()


# ---- analyze / check ----------------------------------------------------------------------------

def test_analyze_with_empty_gaps_equals_no_gaps():
    acts = daily_runs(ACWR_KM)
    a = analyze(acts, athlete="t", tz="UTC", as_of=day(55), config=Config())
    b = analyze(acts, athlete="t", tz="UTC", as_of=day(55), config=Config(), gaps=gaps())
    assert [f.to_json() for f in a.findings] == [f.to_json() for f in b.findings]
    pd.testing.assert_frame_equal(a.acwr, b.acwr)
    pd.testing.assert_frame_equal(a.monotony, b.monotony)
    assert b.weekly["gap_days"].sum() == 0 and a.weekly["gap_days"].sum() == 0
    assert b.gaps == []


def test_analyze_weekly_counts_gap_days_and_check_matches_analyze():
    acts = daily_runs(ACWR_KM)
    g = gaps((14, 20), (30, 31))
    a = analyze(acts, athlete="t", tz="UTC", as_of=day(55), config=Config(), gaps=g)
    assert a.weekly["gap_days"].tolist() == [0, 0, 7, 0, 2, 0, 0, 0]
    assert a.weekly["acwr_weekly"].iloc[2:6].isna().all()
    c = check(acts, athlete="t", tz="UTC", as_of=day(55), config=Config(), gaps=g)
    assert [f.to_json() for f in c.findings] == [f.to_json() for f in a.findings]
    assert a.gaps == [(day(14), day(20)), (day(30), day(31))]
