"""Episodes (docs/method.md §11): one item per habit instead of a flag every week."""

from datetime import date

import pytest

from loadfixtures import ctx_for, d35_ctx, daily_runs
from runload.config import Config
from runload.episodes import assign_episodes, group_episodes
from runload.rules import run_rules

EVEN = [10, 10, 10, 10, 10, 10, 0]  # one rest day; monotony sqrt(6) = 2.449 > 2.0
EVERY_DAY = [5] * 7  # no rest day; monotony capped at 10


def findings_for(km, weeks_as_of=None):
    as_of = weeks_as_of or date(2024, 1, 1).fromordinal(date(2024, 1, 1).toordinal() + len(km) - 1)
    return run_rules(ctx_for(daily_runs(km), as_of=as_of), Config())


def test_daily_runner_gets_one_item_with_all_three_numbers():
    found = findings_for(EVERY_DAY * 12)  # 84 days, Mon 2024-01-01 .. Sun 2024-03-24
    rules = sorted({f.rule for f in found})
    assert rules == ["monotony", "run_streak", "week_without_rest"]
    assert len(found) == 12 + 12 + 1  # one flag per week per weekly rule, one streak
    (ep,) = group_episodes(found)
    assert ep.rules == ("run_streak", "week_without_rest", "monotony")
    assert (ep.start, ep.end) == (date(2024, 1, 1), date(2024, 3, 24))
    assert ep.count == 25 and ep.weeks == {"week_without_rest": 12, "monotony": 12}
    assert ep.values == {"run_streak": 84.0, "week_without_rest": 0.0, "monotony": 10.0}
    assert ep.status == "provisional"  # the streak is still going on as-of
    assert ep.summary.startswith("ran 84 days in a row (2024-01-01 to 2024-03-24, still going; more than 6)")
    assert "no rest day in 12 weeks" in ep.summary and "monotony above 2 in 12 weeks, highest 10.00" in ep.summary
    # every finding carries the episode id in JSON
    assert {f.to_json()["episode"] for f in found} == {ep.id}
    assert ep.id == "run_streak+week_without_rest+monotony@2024-01-01"


def test_consecutive_monotony_weeks_form_one_episode():
    found = findings_for(EVEN * 5)
    assert [f.rule for f in found] == ["monotony"] * 5
    (ep,) = group_episodes(found)
    assert ep.rules == ("monotony",) and ep.count == 5 and ep.value == pytest.approx(6 ** 0.5)
    assert ep.summary == "monotony above 2 in each of the 5 weeks, highest 2.45, 2024-01-01 to 2024-02-04"
    assert ep.severity == "info" and ep.status == "ok"


def test_a_week_without_the_habit_ends_the_episode():
    varied = [6, 0, 8, 0, 6, 10, 0]  # ends with a rest day: no streak into the next week
    found = findings_for(EVEN * 2 + varied + EVEN)
    episodes = group_episodes(found)
    assert [(e.start, e.count) for e in episodes] == [(date(2024, 1, 1), 2), (date(2024, 1, 22), 1)]
    assert episodes[1].summary == "monotony 2.45 in 2024-W04 (above 2)"
    assert len({f.episode for f in found}) == 2


def test_overlapping_streak_and_weeks_merge_but_separate_habits_do_not():
    # W1 even, ending with a rest day (monotony); W2-W3 every day (a 14-day streak, two weeks without
    # rest, monotony capped); W4 varied, starting and ending with rest; W5 even again (monotony)
    km = EVEN + EVERY_DAY * 2 + [0, 6, 0, 8, 6, 10, 0] + EVEN
    found = findings_for(km)
    episodes = group_episodes(found)
    first, second = episodes
    # the W1 monotony week, W2-W3 without rest and the streak W2-W3 overlap or chain: one item
    assert first.rules == ("run_streak", "week_without_rest", "monotony")
    assert (first.start, first.end) == (date(2024, 1, 1), date(2024, 1, 21))
    assert first.weeks == {"week_without_rest": 2, "monotony": 3}
    assert second.rules == ("monotony",) and second.start == date(2024, 1, 29)


def test_other_rules_have_no_episode_and_grouping_is_pure():
    found = run_rules(d35_ctx(), Config())
    assert {f.rule for f in found} == {"weekly_increase", "run_spike", "acwr"}
    assert all(f.episode is None for f in found) and group_episodes(found) == []
    plain = [f.__class__(**{**f.__dict__, "episode": None}) for f in findings_for(EVEN * 3)]
    again = assign_episodes(plain)
    assert all(f.episode is None for f in plain)  # inputs unchanged
    assert len({f.episode for f in again}) == 1 and None not in {f.episode for f in again}


def test_athletes_are_grouped_apart():
    a = run_rules(ctx_for(daily_runs(EVEN * 2), as_of=date(2024, 1, 14), athlete="anna"), Config())
    b = run_rules(ctx_for(daily_runs(EVEN * 2), as_of=date(2024, 1, 14), athlete="ben"), Config())
    episodes = group_episodes(a + b)
    assert [(e.athlete, e.count) for e in episodes] == [("anna", 2), ("ben", 2)]
