"""The one home of every threshold and default (docs/method.md §12).

:class:`Config` is a frozen dataclass. Each field is documented with its
source and carries its allowed range in ``metadata``; the same validation runs
for defaults, for keyword construction and for TOML files.

TOML layout (``~/.config/runload/config.toml``)::

    [thresholds]                 # any Config field except the athlete-only keys
    max_weekly_increase_ratio = 0.10
    weekly_increase_baseline = "max_4_weeks"
    acwr_method = "coupled"
    disabled_rules = ["monotony"]
    severity_weekly_increase = "alert"   # severity_<rule id>[_<variant>]: info | warning | alert

    [athletes.anna]              # the same keys, plus the athlete-only keys
    timezone = "Europe/Berlin"
    folders = ["~/watch-exports/anna"]   # what `runload sync` imports
    hr_rest_bpm = 52
    hr_max_bpm = 188
    sex = "female"
    shoe_retire_distance_m = 700000

``config.for_athlete("anna")`` applies ``[athletes.anna]`` on top of
``[thresholds]``. Default severities belong to the rule registry
(:mod:`runload.rules.registry`), which also checks the rule ids and severity
keys a configuration names (:func:`runload.rules.registry.check_config`); this
module imports no rule. Unknown keys, wrong types and out-of-range values raise
:class:`~runload.errors.ConfigError` naming the file, the key and what is allowed.
Top-level tables owned by other parts of runload (:data:`OTHER_SECTIONS`) are
kept verbatim in :attr:`Config.sections` and not checked here.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from types import MappingProxyType
from typing import Any, Mapping

from runload.errors import ConfigError

#: Keys allowed only under ``[athletes.NAME]`` (facts about a person, not thresholds).
ATHLETE_ONLY_KEYS = ("timezone", "hr_rest_bpm", "hr_max_bpm", "sex", "folders")
#: Top-level TOML tables that belong to other modules (store, report, CLI):
#: kept raw in ``Config.sections``, not validated here.
OTHER_SECTIONS = ("store", "report", "cli", "notify")
SEVERITIES = ("info", "warning", "alert")
ACWR_METHODS = ("coupled", "uncoupled", "ewma")
PMC_VARIANTS = ("tp", "gc", "ewma")


def _f(default, doc: str, *, kind: type, lo=None, hi=None, choices=None, optional=False, lo_open=False):
    """A config field: default, documentation/source, type and allowed range."""
    meta = {"doc": doc, "kind": kind, "lo": lo, "hi": hi, "choices": choices, "optional": optional, "lo_open": lo_open}
    if isinstance(default, tuple):
        return field(default=default, metadata=meta)
    return field(default=default, metadata=meta)


def _sev(default: str, doc: str):
    return _f(default, doc, kind=str, choices=SEVERITIES)


@dataclass(frozen=True)
class Config:
    """Every threshold and default runload uses, each exactly once.

    Construct with keywords to override (``Config(acwr_method="ewma")``); values
    are validated. Use :func:`load_config` to read TOML and :meth:`for_athlete`
    for per-athlete values.
    """

    # ---- athlete facts (only under [athletes.NAME]) -------------------------
    timezone: str | None = _f(
        None, "IANA time zone of the athlete (docs/method.md C1). None: the offset each file recorded, else UTC.",
        kind=str, optional=True)
    hr_rest_bpm: float | None = _f(
        None, "Resting heart rate [bpm] for TRIMP (§7). None = unknown: no TRIMP and no PMC, said so; "
        "never silently assumed (Runalyze assumes 60).", kind=float, lo=20, hi=150, optional=True)
    hr_max_bpm: float | None = _f(
        None, "Maximum heart rate [bpm] for TRIMP (§7). None = unknown: no TRIMP and no PMC, said so; "
        "never silently assumed (Runalyze assumes 200).", kind=float, lo=80, hi=250, optional=True)
    sex: str = _f(
        "unknown", "Selects the Banister TRIMP coefficients (Morton et al. 1990).", kind=str,
        choices=("male", "female", "unknown"))
    folders: tuple[str, ...] = _f(
        (), "Export folders, files or archives that `runload sync` imports for this athlete (~ is expanded).",
        kind=tuple)

    # ---- display ------------------------------------------------------------
    units: str = _f("km", "Distance unit used in messages (km or mi; 1 mi = 1.609344 km, C7).", kind=str,
                    choices=("km", "mi"))

    # ---- rules on/off -------------------------------------------------------
    disabled_rules: tuple[str, ...] = _f(
        (), "Rule ids not run by default (see runload.rules.RULES). Naming a rule in `only` still runs it.",
        kind=tuple)

    # ---- §1 weekly "10% rule" ----------------------------------------------
    max_weekly_increase_ratio: float = _f(
        0.10, "Flag W_k > (1 + r)·B_k (strict), compared exactly as integer metres × Fraction(str(r)); B_k is "
        "the baseline chosen by weekly_increase_baseline. Coaching convention; Buist et al. 2008 RCT: following "
        "it did not reduce injuries.", kind=float, lo=0.0, hi=10.0)
    weekly_increase_baseline: str = _f(
        "max_4_weeks", "Baseline B_k of the 10% rule: 'max_4_weeks' = the highest complete week among the "
        "previous 4 (coming back to your usual volume after a cutback week adds nothing you have not already "
        "run); 'previous_week' = the classic comparison with the previous complete week.",
        kind=str, choices=("max_4_weeks", "previous_week"))
    weekly_increase_note_ratio: float = _f(
        0.05, "A complete week more than this above its baseline, and at most max_weekly_increase_ratio, is shown "
        "as 'within the 5–10% guideline' (no finding): the seed advice gives a range, 5–10%. No band when it is "
        "not below max_weekly_increase_ratio.",
        kind=float, lo=0.0, hi=10.0)
    weekly_increase_flag_current_week: bool = _f(
        True, "Flag the current, incomplete week as soon as its total so far exceeds the allowance "
        "(totals only grow; docs/method.md §1).", kind=bool)

    # ---- §2 rest days -------------------------------------------------------
    min_rest_days_per_week: int = _f(
        1, "Rest days (zero running distance) wanted per complete ISO week. Convention; no running cohort "
        "tests a rest-day threshold (Meeusen et al. 2013 give no number).", kind=int, lo=0, hi=7)
    max_consecutive_run_days: int = _f(
        6, "Flag a streak of more than this many consecutive running days (≥7 by default), across week "
        "boundaries. Convention.", kind=int, lo=1, hi=3650)

    # ---- §3 shoes -----------------------------------------------------------
    shoe_check_distance_m: float = _f(
        482_803.0, "'Check wear' from this distance [m] (300 mi), inclusive. Lab durability work "
        "(Cook et al. 1985); a maintenance reminder, not an injury threshold.", kind=float, lo=0.0, lo_open=True)
    shoe_retire_distance_m: float = _f(
        804_672.0, "'Replacement suggested' from this distance [m] (500 mi), inclusive. Cook et al. 1985; "
        "Verdejo & Mills 2004. A maintenance reminder.", kind=float, lo=0.0, lo_open=True)
    shoe_rate_weeks: int = _f(
        4, "Weeks over which a shoe's weekly distance is averaged for the retirement forecast "
        "(engineering default; 8 weeks is also reported).", kind=int, lo=1, hi=52)

    # ---- §6 single-run spike (Frandsen et al. 2025) -------------------------
    spike_window_days: int = _f(
        30, "Baseline = longest run that started in [t_s − window, t_s) (Frandsen et al. 2025).",
        kind=int, lo=1, hi=365)
    spike_small_above_pct: float = _f(
        10.0, "Spike band 'small' above this % (Frandsen 2025: >10–30 %, HRR 1.64).", kind=float, lo=0.0)
    spike_moderate_above_pct: float = _f(
        30.0, "Spike band 'moderate' above this % (Frandsen 2025: >30–100 %, HRR 1.52).", kind=float, lo=0.0)
    spike_large_above_pct: float = _f(
        100.0, "Spike band 'large' above this % (Frandsen 2025: >100 %, HRR 2.28).", kind=float, lo=0.0)

    # ---- §4 ACWR --------------------------------------------------------------
    acwr_method: str = _f(
        "coupled", "Method behind the acwr rule. Default 'coupled' (rolling average 7/28 d): the bands "
        "0.8/1.3/1.5 were derived on coupled rolling averages (Gabbett 2016), and 'your last 7 days vs your "
        "4-week average' is exactly that ratio. All three are always computed and shown.",
        kind=str, choices=ACWR_METHODS)
    acwr_acute_days: int = _f(7, "Acute window [d] of the rolling ratios (Gabbett 2016).", kind=int, lo=1, hi=60)
    acwr_chronic_days: int = _f(28, "Chronic window [d] of the rolling ratios (Gabbett 2016).", kind=int, lo=2, hi=365)
    ewma_acute_n: int = _f(7, "EWMA acute span N, λ = 2/(N+1) (Williams et al. 2017).", kind=int, lo=1, hi=365)
    ewma_chronic_n: int = _f(28, "EWMA chronic span N, λ = 2/(N+1) (Williams et al. 2017).", kind=int, lo=1, hi=730)
    acwr_low_below: float = _f(0.8, "Band 'low' below this ratio (Gabbett 2016).", kind=float, lo=0.0)
    acwr_elevated_above: float = _f(
        1.3, "Band 'elevated' above this ratio; the acwr rule reports episodes above it (Gabbett 2016).",
        kind=float, lo=0.0)
    acwr_high_from: float = _f(1.5, "Band 'high' from this ratio, inclusive (Gabbett 2016).", kind=float, lo=0.0)
    acwr_min_running_days: int = _f(
        4, "Ratio marked 'unstable' (and not flagged) with fewer running days in the chronic window. "
        "Engineering default, not from the literature.", kind=int, lo=0, hi=365)

    # ---- §5 monotony (Foster 1998) ------------------------------------------
    monotony_flag_above: float = _f(
        2.0, "Flag weekly monotony above this (Foster 1998; Runalyze critical 2.0).", kind=float, lo=0.0)
    monotony_cap: float = _f(
        10.0, "Monotony reported when SD = 0 (and upper cap), as Runalyze Monotony.php.", kind=float, lo=0.0,
        lo_open=True)
    monotony_ddof: int = _f(
        0, "SD degrees of freedom: 0 = population SD (Runalyze). 1 scales monotony by √(6/7).",
        kind=int, lo=0, hi=1)

    # ---- §7 TRIMP (Morton, Fitz-Clarke & Banister 1990) ----------------------
    trimp_male_a: float = _f(0.64, "Banister TRIMP a, men (Morton et al. 1990).", kind=float, lo=0.0)
    trimp_male_b: float = _f(1.92, "Banister TRIMP b, men (Morton et al. 1990).", kind=float, lo=0.0)
    trimp_female_a: float = _f(0.86, "Banister TRIMP a, women (Morton et al. 1990).", kind=float, lo=0.0)
    trimp_female_b: float = _f(1.67, "Banister TRIMP b, women (Morton et al. 1990).", kind=float, lo=0.0)
    trimp_unknown_sex_uses: str = _f(
        "male", "Coefficients used when sex is unknown: the men's, Banister's original values and "
        "GoldenCheetah's for everyone; they give the lower TRIMP. The choice is stated with the result.",
        kind=str, choices=("male", "female"))

    # ---- §8 PMC ---------------------------------------------------------------
    pmc_ctl_days: float = _f(42.0, "Fitness (CTL) time constant τc [d] (TrainingPeaks).", kind=float, lo=1.0)
    pmc_atl_days: float = _f(7.0, "Fatigue (ATL) time constant τa [d] (TrainingPeaks).", kind=float, lo=1.0)
    pmc_variant: str = _f(
        "tp", "k per day: tp = 1/τ (TrainingPeaks); gc = 1 − e^(−1/τ) (GoldenCheetah PMCData.cpp); "
        "ewma = 2/(τ+1) (Runalyze TSB.php).", kind=str, choices=PMC_VARIANTS)

    # ---- severities (docs/method.md §9) -------------------------------------------
    severities: Mapping[str, str] = field(
        default_factory=lambda: MappingProxyType({}), hash=False,
        metadata={"internal": True, "doc": "Severity overrides {key: info|warning|alert}, set in TOML as "
                  "severity_<rule id>[_<variant>] = \"...\"; the defaults live in the rule registry "
                  "(runload.rules.registry)."})

    # ---- bookkeeping (not settable from TOML) --------------------------------
    athlete: str | None = field(default=None, metadata={"internal": True})
    source_path: str | None = field(default=None, metadata={"internal": True})
    athletes: Mapping[str, Mapping[str, Any]] = field(
        default_factory=lambda: MappingProxyType({}), metadata={"internal": True}, compare=False, hash=False,
        repr=False)
    sections: Mapping[str, Any] = field(
        default_factory=lambda: MappingProxyType({}), metadata={"internal": True}, compare=False, hash=False,
        repr=False)

    def __post_init__(self) -> None:
        where = self.source_path or "configuration"
        for f in dataclasses.fields(self):
            if f.metadata.get("internal"):
                continue
            value = _coerce(f, getattr(self, f.name), where)
            object.__setattr__(self, f.name, value)
        object.__setattr__(self, "severities", _check_severities(self.severities, where))
        _check_relations(self, where)

    # -- derived, exact ----------------------------------------------------------
    def fraction(self, name: str) -> Fraction:
        """A threshold as an exact Fraction of its decimal text (0.1 -> 1/10, never binary 0.1)."""
        return Fraction(repr(float(getattr(self, name)))).limit_denominator(10**9)

    def for_athlete(self, name: str | None) -> "Config":
        """This config with ``[athletes.NAME]`` applied (unchanged values when NAME has no table)."""
        overrides = dict(self.athletes.get(name, {})) if name is not None else {}
        if "severities" in overrides:
            overrides["severities"] = MappingProxyType({**self.severities, **overrides["severities"]})
        where = self.source_path or "configuration"
        if overrides:
            where = f"{where} [athletes.{name}]"
        try:
            return dataclasses.replace(self, athlete=name, **overrides)
        except ConfigError as err:
            if overrides:
                raise ConfigError(f"{err} (with the overrides of [athletes.{name}])") from None
            raise
        except TypeError as err:  # pragma: no cover - keys are validated at load time
            raise ConfigError(f"{where}: {err}") from None

    def with_(self, **changes) -> "Config":
        """A validated copy with some values changed."""
        return dataclasses.replace(self, **changes)

    def is_enabled(self, rule_id: str) -> bool:
        return rule_id not in self.disabled_rules


def settable_fields(athlete: bool = False) -> dict[str, dataclasses.Field]:
    """Config fields a TOML file may set under ``[thresholds]`` (or ``[athletes.NAME]``)."""
    out = {}
    for f in dataclasses.fields(Config):
        if f.metadata.get("internal"):
            continue
        if f.name in ATHLETE_ONLY_KEYS and not athlete:
            continue
        out[f.name] = f
    return out


def field_docs() -> dict[str, str]:
    """``{field name: documentation with source}`` for every settable field."""
    return {name: f.metadata["doc"] for name, f in settable_fields(athlete=True).items()}


def _allowed(f: dataclasses.Field) -> str:
    m = f.metadata
    kind = m["kind"]
    if m["choices"]:
        text = "one of " + ", ".join(repr(c) for c in m["choices"])
    elif kind is bool:
        text = "true or false"
    elif kind is tuple:
        text = "a list of strings"
    else:
        noun = "an integer" if kind is int else "a number" if kind is float else "a string"
        lo, hi = m["lo"], m["hi"]
        if lo is not None and hi is not None:
            text = f"{noun} from {lo}{' (exclusive)' if m['lo_open'] else ''} to {hi}"
        elif lo is not None:
            text = f"{noun} {'>' if m['lo_open'] else '≥'} {lo}"
        else:
            text = noun
    if m["optional"]:
        text += " (or leave it out for unknown)"
    return text


def _coerce(f: dataclasses.Field, value: Any, where: str) -> Any:
    m = f.metadata
    kind = m["kind"]
    bad = ConfigError(f"{where}: {f.name} = {value!r} is not allowed; use {_allowed(f)}")
    if value is None:
        if m["optional"]:
            return None
        raise bad
    if kind is bool:
        if not isinstance(value, bool):
            raise bad
        return value
    if kind is tuple:
        if isinstance(value, str) or not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
            raise bad
        return tuple(value)
    if kind is str:
        if not isinstance(value, str):
            raise bad
        if m["choices"] and value not in m["choices"]:
            raise bad
        if f.name == "timezone":
            from runload.zones import check_timezone

            try:
                check_timezone(value)
            except ConfigError as err:
                raise ConfigError(f"{where}: timezone: {err}") from None
        return value
    if isinstance(value, bool):
        raise bad
    if kind is int:
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if not isinstance(value, int):
            raise bad
    elif kind is float:
        if not isinstance(value, (int, float)):
            raise bad
        value = float(value)
        if value != value or value in (float("inf"), float("-inf")):
            raise bad
    lo, hi = m["lo"], m["hi"]
    if lo is not None and (value < lo or (m["lo_open"] and value == lo)):
        raise bad
    if hi is not None and value > hi:
        raise bad
    return value


def _check_relations(cfg: Config, where: str) -> None:
    def fail(text: str):
        raise ConfigError(f"{where}: {text}")

    if cfg.shoe_check_distance_m > cfg.shoe_retire_distance_m:
        fail("shoe_check_distance_m must not exceed shoe_retire_distance_m "
             f"({cfg.shoe_check_distance_m} > {cfg.shoe_retire_distance_m})")
    if not cfg.spike_small_above_pct <= cfg.spike_moderate_above_pct <= cfg.spike_large_above_pct:
        fail("spike bands must satisfy spike_small_above_pct ≤ spike_moderate_above_pct ≤ spike_large_above_pct")
    if not cfg.acwr_low_below <= cfg.acwr_elevated_above <= cfg.acwr_high_from:
        fail("ACWR bands must satisfy acwr_low_below ≤ acwr_elevated_above ≤ acwr_high_from")
    if cfg.acwr_acute_days >= cfg.acwr_chronic_days:
        fail("acwr_acute_days must be smaller than acwr_chronic_days")
    if cfg.ewma_acute_n >= cfg.ewma_chronic_n:
        fail("ewma_acute_n must be smaller than ewma_chronic_n")
    if cfg.hr_rest_bpm is not None and cfg.hr_max_bpm is not None and cfg.hr_rest_bpm >= cfg.hr_max_bpm:
        fail(f"hr_rest_bpm ({cfg.hr_rest_bpm}) must be below hr_max_bpm ({cfg.hr_max_bpm})")


def default_config_path() -> Path:
    """``$RUNLOAD_CONFIG``, else ``$XDG_CONFIG_HOME/runload/config.toml``, else ``~/.config/runload/config.toml``."""
    env = os.environ.get("RUNLOAD_CONFIG")
    if env:
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_CONFIG_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".config"
    return base / "runload" / "config.toml"


SEVERITY_PREFIX = "severity_"


def _check_severities(values: Any, where: str) -> Mapping[str, str]:
    """``{key: severity}`` with every value one of :data:`SEVERITIES` (the keys are checked
    against the rule registry by :func:`runload.rules.registry.check_config`)."""
    if not isinstance(values, Mapping):
        raise ConfigError(f"{where}: severities must map severity keys to one of {', '.join(SEVERITIES)}")
    out = {}
    for key, value in values.items():
        text = getattr(value, "value", value)
        if not isinstance(key, str) or text not in SEVERITIES:
            raise ConfigError(f"{where}: {SEVERITY_PREFIX}{key} = {value!r} is not allowed; use one of "
                              + ", ".join(repr(s) for s in SEVERITIES))
        out[key] = text
    return MappingProxyType(out)


def _check_table(table: Any, allowed: dict[str, dataclasses.Field], where: str) -> dict[str, Any]:
    if not isinstance(table, dict):
        raise ConfigError(f"{where} must be a table of key = value pairs")
    out = {}
    severities = {}
    for key, value in table.items():
        if key.startswith(SEVERITY_PREFIX) and len(key) > len(SEVERITY_PREFIX):
            severities[key[len(SEVERITY_PREFIX):]] = value
            continue
        if key not in allowed:
            hint = ""
            if key in ATHLETE_ONLY_KEYS:
                hint = f" ({key} belongs under [athletes.NAME])"
            raise ConfigError(
                f"{where}: unknown key {key!r}{hint}; allowed keys: {', '.join(sorted(allowed))}, "
                f"{SEVERITY_PREFIX}<rule id>"
            )
        out[key] = _coerce(allowed[key], value, where)
    if severities:
        out["severities"] = _check_severities(severities, where)
    return out


def config_from_mapping(data: Mapping[str, Any], source: str = "configuration") -> Config:
    """Build a validated Config from parsed TOML ``data`` (``source`` names it in errors)."""
    data = dict(data)
    known = {"thresholds", "athletes", *OTHER_SECTIONS}
    for key in data:
        if key not in known:
            raise ConfigError(
                f"{source}: unknown top-level key {key!r}; allowed: [thresholds], [athletes.NAME]"
                + "".join(f", [{s}]" for s in OTHER_SECTIONS)
            )
    thresholds = _check_table(data.get("thresholds", {}), settable_fields(), f"{source} [thresholds]")
    athletes_raw = data.get("athletes", {})
    if not isinstance(athletes_raw, dict):
        raise ConfigError(f"{source}: athletes must be tables written [athletes.NAME]")
    athletes = {}
    for name, table in athletes_raw.items():
        athletes[name] = MappingProxyType(
            _check_table(table, settable_fields(athlete=True), f"{source} [athletes.{name}]")
        )
    try:
        cfg = Config(**thresholds, source_path=source)  # severity_<key> arrive as thresholds["severities"]
    except ConfigError as err:
        raise ConfigError(f"{err} (in [thresholds])") from None
    cfg = dataclasses.replace(
        cfg,
        athletes=MappingProxyType(athletes),
        sections=MappingProxyType({k: data[k] for k in OTHER_SECTIONS if k in data}),
    )
    for name in athletes:  # relations (check ≤ retire...) hold for every athlete
        cfg.for_athlete(name)
    return cfg


def load_config(path: str | Path | None = None) -> Config:
    """Read the configuration.

    With ``path``, that TOML file (it must exist). Without, the per-user file
    :func:`default_config_path` when it exists, else the defaults.
    """
    if path is None:
        candidate = default_config_path()
        if not candidate.is_file():
            return Config()
        path = candidate
    path = Path(path).expanduser()
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"{path}: configuration file not found") from None
    except OSError as err:
        raise ConfigError(f"{path}: cannot read the configuration file ({err.strerror})") from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text; save the configuration as UTF-8 TOML") from None
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"{path}: not valid TOML ({err})") from None
    return config_from_mapping(data, str(path))


DEFAULT_CONFIG = Config()

__all__ = [
    "Config",
    "DEFAULT_CONFIG",
    "load_config",
    "default_config_path",
    "config_from_mapping",
    "settable_fields",
    "field_docs",
    "ATHLETE_ONLY_KEYS",
    "OTHER_SECTIONS",
]
