"""Rule registry: every rule is a small pure function registered here.

A rule is ``(ctx: LoadContext, cfg: Config) -> list[Finding]``. It does no I/O,
prints nothing and never changes its inputs; every threshold comes from ``cfg``.
Register one with ``@rule("rule_id")`` (a duplicate id raises) and run them with
:func:`run_rules`.
"""

from __future__ import annotations

from typing import Callable, Iterable

from runload.errors import ConfigError

RuleFunc = Callable[..., list]

#: ``{rule id: rule function}``, in registration order.
RULES: dict[str, RuleFunc] = {}


def rule(rule_id: str, needs_hr: bool = False) -> Callable[[RuleFunc], RuleFunc]:
    """Register the decorated function under ``rule_id``; a duplicate id raises ValueError.

    ``needs_hr``: the rule reads the runs' heart-rate histograms
    (``hr_seconds_by_bpm``); callers may skip loading them when no selected rule does.
    """

    def register(func: RuleFunc) -> RuleFunc:
        if rule_id in RULES:
            raise ValueError(f"rule id {rule_id!r} is already registered (by {RULES[rule_id].__module__})")
        RULES[rule_id] = func
        func.rule_id = rule_id  # type: ignore[attr-defined]
        func.needs_hr = bool(needs_hr)  # type: ignore[attr-defined]
        return func

    return register


def selected_rules(cfg, only: Iterable[str] | None = None) -> list[str]:
    """The rule ids :func:`run_rules` runs for ``cfg`` and ``only`` (registry order)."""
    if only is not None:
        if isinstance(only, str):
            only = [only]
        chosen = set(check_rule_ids(only))
    else:
        chosen = {r for r in RULES if cfg.is_enabled(r)}
    return [r for r in RULES if r in chosen]


def rules_need_hr(ids: Iterable[str]) -> bool:
    """True when one of these rules reads heart-rate histograms."""
    return any(getattr(RULES[r], "needs_hr", True) for r in check_rule_ids(ids))


def check_rule_ids(ids: Iterable[str]) -> list[str]:
    """The ids as a list; ConfigError listing the valid ids if one is unknown."""
    ids = list(ids)
    unknown = [i for i in ids if i not in RULES]
    if unknown:
        raise ConfigError(
            f"unknown rule id{'s' if len(unknown) > 1 else ''} {', '.join(map(repr, unknown))}; "
            f"valid rule ids: {', '.join(sorted(RULES))}"
        )
    return ids


def run_rules(ctx, cfg=None, only: Iterable[str] | None = None) -> list:
    """Run the enabled rules (or exactly those in ``only``) and return their findings sorted.

    ``cfg`` defaults to ``ctx.config``. Rules listed in ``cfg.disabled_rules``
    are skipped unless named in ``only``. Findings are sorted oldest first, then
    most severe first (:attr:`runload.findings.Finding.sort_key`).
    """
    from runload.findings import sort_findings

    cfg = cfg if cfg is not None else ctx.config
    findings = []
    for rule_id in selected_rules(cfg, only):  # registry order, each rule at most once
        findings.extend(RULES[rule_id](ctx, cfg))
    return sort_findings(findings)


# Register the rules (import order = registry order).
from runload.rules import mileage, rest, spike, acwr, monotony, shoes  # noqa: E402,F401
from runload.rules.context import LoadContext, build_context  # noqa: E402

__all__ = ["RULES", "rule", "run_rules", "check_rule_ids", "selected_rules", "rules_need_hr", "LoadContext", "build_context"]
