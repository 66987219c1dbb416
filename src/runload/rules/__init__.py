"""The rules that flag: small pure functions registered in :mod:`runload.rules.registry`.

A rule is ``(ctx: LoadContext, cfg: Config) -> list[Finding]``. It does no I/O,
prints nothing and never changes its inputs; every threshold comes from ``cfg``
and its default severity from its :class:`~runload.rules.registry.RuleSpec`.
Run them with :func:`run_rules`. Display measures that flag nothing (ACWR
tables, monotony table, fitness/fatigue, shoe status) live in
:mod:`runload.measures`.
"""

from __future__ import annotations

from typing import Iterable

# Register the rules (import order = registry order).
from runload.rules import mileage, rest, spike, acwr, monotony, shoes  # noqa: F401
from runload.rules.context import LoadContext, build_context
from runload.rules.registry import RULES, RuleSpec, check_config, check_rule_ids, rule
from runload.episodes import assign_episodes
from runload.findings import sort_findings


def selected_rules(cfg, only: Iterable[str] | None = None) -> list[str]:
    """The rule ids :func:`run_rules` runs for ``cfg`` and ``only`` (registry order)."""
    check_config(cfg)
    if only is not None:
        if isinstance(only, str):
            only = [only]
        chosen = set(check_rule_ids(only))
    else:
        chosen = {r for r in RULES if cfg.is_enabled(r)}
    return [r for r in RULES if r in chosen]


def rules_need_hr(ids: Iterable[str]) -> bool:
    """True when one of these rules reads heart-rate histograms."""
    return any(RULES[r].needs_hr for r in check_rule_ids(ids))


def run_rules(ctx, cfg=None, only: Iterable[str] | None = None) -> list:
    """Run the enabled rules (or exactly those in ``only``) and return their findings sorted.

    ``cfg`` defaults to ``ctx.config``. Rules listed in ``cfg.disabled_rules``
    are skipped unless named in ``only``. Findings are sorted oldest first, then
    most severe first (:attr:`runload.findings.Finding.sort_key`), and findings
    that belong to an episode (:mod:`runload.episodes`) carry its id in ``episode``.
    """
    cfg = cfg if cfg is not None else ctx.config
    findings = []
    for rule_id in selected_rules(cfg, only):  # registry order, each rule at most once
        findings.extend(RULES[rule_id](ctx, cfg))
    return sort_findings(assign_episodes(findings))


__all__ = ["RULES", "RuleSpec", "rule", "run_rules", "check_rule_ids", "check_config", "selected_rules",
           "rules_need_hr", "LoadContext", "build_context"]
