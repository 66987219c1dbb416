"""Rule registry: decorator, duplicates, selection, sorting."""

import pytest

from loadfixtures import d35_ctx
from runload.config import Config
from runload.errors import ConfigError
from runload.rules import RULES, rule, run_rules

ALL = ["weekly_increase", "week_without_rest", "run_streak", "run_spike", "acwr", "monotony", "shoe_wear"]


def test_registry_holds_every_rule():
    assert sorted(RULES) == sorted(ALL)


def test_duplicate_id_raises():
    with pytest.raises(ValueError, match="already registered"):
        rule("acwr")(lambda ctx, cfg: [])


def test_unknown_rule_lists_valid_ids():
    with pytest.raises(ConfigError) as err:
        run_rules(d35_ctx(), Config(), only=["ten_percent"])
    assert "'ten_percent'" in str(err.value) and "weekly_increase" in str(err.value)


def test_only_disabled_and_sorted():
    ctx = d35_ctx()
    everything = run_rules(ctx, Config())
    assert {f.rule for f in everything} == {"weekly_increase", "run_spike", "acwr"}
    assert [f.sort_key for f in everything] == sorted(f.sort_key for f in everything)
    only = run_rules(ctx, Config(), only=["acwr"])
    assert {f.rule for f in only} == {"acwr"}
    assert run_rules(ctx, Config(), only="acwr") == only
    disabled = run_rules(ctx, Config(disabled_rules=("run_spike",)))
    assert "run_spike" not in {f.rule for f in disabled}
    # naming a disabled rule in `only` runs it
    assert run_rules(ctx, Config(disabled_rules=("acwr",)), only=["acwr"])
    # same date: most severe first
    same_day = [f for f in everything if f.date.isoformat() == "2024-02-04"]
    assert [f.severity.value for f in same_day] == ["alert", "info"]
