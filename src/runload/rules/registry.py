"""The rule registry: each rule's id, default severity and parameters in one place.

A rule is a small pure function ``(ctx: LoadContext, cfg: Config) -> list[Finding]``
registered with :func:`rule`::

    @rule("weekly_increase", severity="warning",
          params=("max_weekly_increase_ratio", "weekly_increase_baseline"))
    def weekly_increase(ctx, cfg): ...

The decorator records a :class:`RuleSpec` in :data:`RULES` (a duplicate id
raises). The spec owns the rule's default severity, so a new rule needs no new
configuration field: a configuration may override it with a ``severity_<id>``
key (``severity_<id>_<variant>`` for a rule with several severities, such as the
spike bands), which :class:`runload.config.Config` keeps in ``severities``.
``params`` names the :class:`~runload.config.Config` fields the rule reads; an
unknown name fails at import time.

This module imports the configuration, never the other way round: the
configuration checks the form of its values, and :func:`check_config` checks
the names that only the registry knows (rule ids, severity keys).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Callable, Iterable, Mapping

from runload.config import Config
from runload.errors import ConfigError
from runload.findings import Severity

RuleFunc = Callable[..., list]


@dataclass(frozen=True)
class RuleSpec:
    """One registered rule.

    ``severity`` is the default severity; ``severities`` the defaults of its
    variants (``{"small": warning, "large": alert}`` for the spike bands), each
    overridable with ``severity_<id>_<variant>``. ``params`` are the
    :class:`~runload.config.Config` fields the rule reads.
    """

    id: str
    func: RuleFunc = field(repr=False)
    severity: Severity
    severities: Mapping[str, Severity] = field(default_factory=lambda: MappingProxyType({}))
    params: tuple[str, ...] = ()
    needs_hr: bool = False
    doc: str = ""

    def __call__(self, ctx, cfg: Config) -> list:
        return self.func(ctx, cfg)

    @property
    def severity_keys(self) -> dict[str, Severity]:
        """``{key: default}`` for every severity this rule can give (``key`` as in ``severity_<key>``)."""
        out = {self.id: self.severity}
        out.update({f"{self.id}_{v}": s for v, s in self.severities.items()})
        return out

    def severity_for(self, cfg: Config, variant: str | None = None) -> Severity:
        """The severity ``cfg`` sets for this rule (or its ``variant``), else the default."""
        key = self.id if variant is None else f"{self.id}_{variant}"
        chosen = cfg.severities.get(key)
        if chosen is None and variant is not None:
            chosen = cfg.severities.get(self.id)  # severity_<id> sets every variant without its own key
        if chosen is not None:
            return Severity(chosen)
        if variant is None:
            return self.severity
        try:
            return self.severities[variant]
        except KeyError:
            raise KeyError(f"rule {self.id!r} has no severity variant {variant!r}") from None


#: ``{rule id: RuleSpec}``, in registration order.
RULES: dict[str, RuleSpec] = {}

_CONFIG_FIELDS = frozenset(f.name for f in dataclasses.fields(Config))


def rule(rule_id: str, *, severity: Severity | str = Severity.INFO,
         severities: Mapping[str, Severity | str] | None = None, params: Iterable[str] = (),
         needs_hr: bool = False) -> Callable[[RuleFunc], RuleFunc]:
    """Register the decorated function as rule ``rule_id`` (a duplicate id raises ValueError).

    ``severity``: default severity; ``severities``: defaults of named variants;
    ``params``: the Config fields the rule reads (an unknown one raises
    ValueError); ``needs_hr``: the rule reads the runs' heart-rate histograms, so
    callers may skip loading them when no selected rule does.
    """
    params = tuple(params)
    unknown = [p for p in params if p not in _CONFIG_FIELDS]
    if unknown:
        raise ValueError(f"rule {rule_id!r} names unknown Config field(s) {', '.join(unknown)}")

    def register(func: RuleFunc) -> RuleFunc:
        if rule_id in RULES:
            raise ValueError(f"rule id {rule_id!r} is already registered (by {RULES[rule_id].func.__module__})")
        spec = RuleSpec(
            id=rule_id, func=func, severity=Severity.parse(severity),
            severities=MappingProxyType({k: Severity.parse(v) for k, v in (severities or {}).items()}),
            params=params, needs_hr=bool(needs_hr), doc=(func.__doc__ or "").strip().split("\n")[0],
        )
        RULES[rule_id] = spec
        func.rule_id = rule_id  # type: ignore[attr-defined]
        func.needs_hr = spec.needs_hr  # type: ignore[attr-defined]
        func.spec = spec  # type: ignore[attr-defined]
        return func

    return register


def severity(cfg: Config, rule_id: str, variant: str | None = None) -> Severity:
    """The severity of rule ``rule_id`` (or its ``variant``) under ``cfg``."""
    return RULES[rule_id].severity_for(cfg, variant)


def severity_keys() -> dict[str, Severity]:
    """``{key: default severity}`` for every ``severity_<key>`` a configuration may set."""
    out: dict[str, Severity] = {}
    for spec in RULES.values():
        out.update(spec.severity_keys)
    return out


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


def check_config(cfg: Config) -> Config:
    """Check the names in ``cfg`` only the registry knows; return ``cfg``.

    Every id in ``disabled_rules`` (top level and per athlete) must be a rule
    and every ``severity_<key>`` must be a severity some rule gives; otherwise
    ConfigError names the file, the key and the allowed names.
    """
    source = cfg.source_path or "configuration"
    names = set(cfg.disabled_rules)
    sev_keys = set(cfg.severities)
    for overrides in cfg.athletes.values():
        names.update(overrides.get("disabled_rules", ()))
        sev_keys.update(overrides.get("severities", {}))
    unknown = sorted(names - set(RULES))
    if unknown:
        raise ConfigError(
            f"{source}: disabled_rules names unknown rule(s) {', '.join(unknown)}; valid rule ids: "
            f"{', '.join(sorted(RULES))}"
        )
    known = severity_keys()
    bad = sorted(sev_keys - set(known))
    if bad:
        raise ConfigError(
            f"{source}: {', '.join('severity_' + k for k in bad)} names no rule severity; allowed keys: "
            f"{', '.join('severity_' + k for k in sorted(known))}"
        )
    return cfg


__all__ = ["RULES", "RuleSpec", "rule", "severity", "severity_keys", "check_rule_ids", "check_config"]
