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


def test_rules_config_and_measures_are_in_no_import_cycle():
    """Module-level and function-level imports both count; a module importing a submodule of its
    own package is Python's package mechanism, not a cycle."""
    import ast
    from pathlib import Path

    import runload

    root = Path(runload.__file__).parent.parent
    mods = {}
    for p in (root / "runload").rglob("*.py"):
        name = ".".join(p.relative_to(root).with_suffix("").parts)
        mods[name.removesuffix(".__init__")] = p

    def resolve(name):
        parts = name.split(".")
        for i in range(len(parts), 0, -1):
            if ".".join(parts[:i]) in mods:
                return ".".join(parts[:i])
        return None

    edges = {m: set() for m in mods}
    for m, p in mods.items():
        for node in ast.walk(ast.parse(p.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            for n in names:
                r = resolve(n) if n.startswith("runload") else None
                if r and r != m and not m.startswith(r + "."):
                    edges[m].add(r)

    def reaches(a, b):
        seen, todo = set(), [a]
        while todo:
            x = todo.pop()
            for y in edges[x]:
                if y == b:
                    return True
                if y not in seen:
                    seen.add(y)
                    todo.append(y)
        return False

    mine = [m for m in mods if m in ("runload.config", "runload.findings", "runload.episodes")
            or m.startswith(("runload.rules", "runload.measures"))]
    cycles = [m for m in mine if reaches(m, m)]
    assert cycles == []
