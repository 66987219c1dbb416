"""Config: defaults, TOML loading, per-athlete overrides, errors."""

import dataclasses
from fractions import Fraction

import pytest

from runload.config import Config, default_config_path, field_docs, load_config, settable_fields
from runload.errors import ConfigError
from runload.rules.registry import check_config, severity_keys


def write(tmp_path, text, name="config.toml"):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_defaults_match_science_md():
    c = Config()
    assert c.max_weekly_increase_ratio == 0.10 and c.fraction("max_weekly_increase_ratio") == Fraction(1, 10)
    assert (c.min_rest_days_per_week, c.max_consecutive_run_days) == (1, 6)
    assert (c.shoe_check_distance_m, c.shoe_retire_distance_m) == (482_803, 804_672)
    assert (c.spike_window_days, c.spike_small_above_pct, c.spike_moderate_above_pct, c.spike_large_above_pct) == (
        30, 10, 30, 100)
    assert (c.acwr_acute_days, c.acwr_chronic_days, c.ewma_acute_n, c.ewma_chronic_n) == (7, 28, 7, 28)
    assert (c.acwr_low_below, c.acwr_elevated_above, c.acwr_high_from) == (0.8, 1.3, 1.5)
    assert c.acwr_method == "coupled" and c.acwr_min_running_days == 4
    assert (c.monotony_flag_above, c.monotony_cap, c.monotony_ddof) == (2.0, 10.0, 0)
    assert (c.trimp_male_a, c.trimp_male_b, c.trimp_female_a, c.trimp_female_b) == (0.64, 1.92, 0.86, 1.67)
    assert c.hr_rest_bpm is None and c.hr_max_bpm is None and c.sex == "unknown"
    assert (c.pmc_ctl_days, c.pmc_atl_days, c.pmc_variant) == (42, 7, "tp")
    assert c.weekly_increase_baseline == "max_4_weeks" and c.weekly_increase_note_ratio == 0.05
    # default severities live in the rule registry (docs/method.md §9)
    sev = {key: s.value for key, s in severity_keys().items()}
    assert (sev["run_spike_small"], sev["run_spike_moderate"], sev["run_spike_large"]) == ("warning", "warning", "alert")
    assert sev["weekly_increase"] == "warning" and sev["run_spike_no_baseline"] == "info"
    assert {sev["acwr"], sev["monotony"], sev["week_without_rest"], sev["run_streak"], sev["shoe_wear"]} == {"info"}


def test_every_field_is_documented_with_a_source():
    docs = field_docs()
    assert set(docs) == set(settable_fields(athlete=True))
    assert all(len(d) > 15 for d in docs.values())


def test_keyword_construction_is_validated_and_frozen():
    with pytest.raises(ConfigError, match="max_weekly_increase_ratio"):
        Config(max_weekly_increase_ratio=-0.1)
    with pytest.raises(ConfigError, match="one of 'coupled', 'uncoupled', 'ewma'"):
        Config(acwr_method="median")
    with pytest.raises(ConfigError, match="shoe_check_distance_m must not exceed"):
        Config(shoe_check_distance_m=900_000)
    with pytest.raises(dataclasses.FrozenInstanceError):
        Config().acwr_method = "ewma"


def test_load_toml_with_athlete_overrides(tmp_path):
    p = write(tmp_path, """
[thresholds]
max_weekly_increase_ratio = 0.2
acwr_method = "ewma"
min_rest_days_per_week = 2
disabled_rules = ["monotony"]

[athletes.anna]
timezone = "Europe/Berlin"
hr_rest_bpm = 52
hr_max_bpm = 188
sex = "female"
shoe_retire_distance_m = 700000
acwr_method = "uncoupled"
""")
    cfg = load_config(p)
    assert cfg.max_weekly_increase_ratio == 0.2 and cfg.acwr_method == "ewma" and cfg.min_rest_days_per_week == 2
    assert cfg.disabled_rules == ("monotony",) and cfg.source_path == str(p)
    anna = cfg.for_athlete("anna")
    assert (anna.timezone, anna.hr_rest_bpm, anna.hr_max_bpm, anna.sex) == ("Europe/Berlin", 52.0, 188.0, "female")
    assert anna.shoe_retire_distance_m == 700_000.0 and anna.acwr_method == "uncoupled"
    assert anna.max_weekly_increase_ratio == 0.2 and anna.athlete == "anna"
    bob = cfg.for_athlete("bob")
    assert bob.timezone is None and bob.acwr_method == "ewma"


@pytest.mark.parametrize(
    "text, needle",
    [
        ("[thresholds]\nmax_weekly_ratio = 0.1\n", "unknown key 'max_weekly_ratio'"),
        ("[thresholds]\nmin_rest_days_per_week = \"one\"\n", "min_rest_days_per_week = 'one' is not allowed; use an integer from 0 to 7"),
        ("[thresholds]\nmin_rest_days_per_week = 1.5\n", "an integer"),
        ("[thresholds]\nmax_consecutive_run_days = true\n", "max_consecutive_run_days"),
        ("[thresholds]\nmonotony_ddof = 2\n", "from 0 to 1"),
        ("[thresholds]\ntimezone = \"UTC\"\n", "belongs under [athletes.NAME]"),
        ("[athletes.anna]\ntimezone = \"Mars/Olympus\"\n", "unknown time zone"),
        ("[athletes.anna]\nhr_rest_bpm = 200\nhr_max_bpm = 190\n", "hr_rest_bpm"),
        ("[athletes.anna]\nshoe_check_distance_m = 900000\n", "[athletes.anna]"),
        ("[thresholds]\ndisabled_rules = [\"ten_percent\"]\n", "valid rule ids"),
        ("[thresholds]\nseverity_ten_percent = \"info\"\n", "severity_ten_percent names no rule severity"),
        ("[thresholds]\nseverity_monotony = \"high\"\n", "severity_monotony = 'high' is not allowed"),
        ("[thresholds]\nweekly_increase_baseline = \"max_3_weeks\"\n", "'max_4_weeks', 'previous_week'"),
        ("[colours]\nred = 1\n", "unknown top-level key 'colours'"),
        ("[thresholds\n", "not valid TOML"),
    ],
)
def test_errors_name_file_key_and_allowed(tmp_path, text, needle):
    p = write(tmp_path, text)
    with pytest.raises(ConfigError) as err:
        check_config(load_config(p))
    assert needle in str(err.value)
    assert str(p) in str(err.value)


def test_missing_explicit_file_is_an_error(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "nope.toml")


def test_default_path_env_and_fallback(tmp_path, monkeypatch):
    monkeypatch.delenv("RUNLOAD_CONFIG", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    assert default_config_path() == tmp_path / "xdg" / "runload" / "config.toml"
    assert load_config() == Config()  # no file: defaults
    (tmp_path / "xdg" / "runload").mkdir(parents=True)
    write(tmp_path / "xdg" / "runload", "[thresholds]\nacwr_method = \"ewma\"\n")
    assert load_config().acwr_method == "ewma"
    monkeypatch.setenv("RUNLOAD_CONFIG", str(write(tmp_path, "[thresholds]\nmonotony_flag_above = 1.5\n", "x.toml")))
    assert default_config_path() == tmp_path / "x.toml" and load_config().monotony_flag_above == 1.5
    monkeypatch.delenv("XDG_CONFIG_HOME")
    monkeypatch.delenv("RUNLOAD_CONFIG")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_config_path() == tmp_path / "home" / ".config" / "runload" / "config.toml"


def test_other_sections_are_kept_for_other_modules(tmp_path):
    cfg = load_config(write(tmp_path, "[store]\npath = \"~/runload.db\"\n"))
    assert cfg.sections["store"] == {"path": "~/runload.db"}


def test_severity_keys_in_toml_still_work_per_athlete(tmp_path):
    from runload.rules.registry import severity

    cfg = check_config(load_config(write(tmp_path, """
[thresholds]
severity_weekly_increase = "alert"
severity_run_spike = "info"

[athletes.anna]
severity_monotony = "warning"
severity_run_spike_large = "alert"
""")))
    assert severity(cfg, "weekly_increase").value == "alert"
    assert severity(cfg, "monotony").value == "info"  # registry default
    assert severity(cfg, "run_spike", "large").value == "info"  # severity_run_spike sets every band
    anna = cfg.for_athlete("anna")
    assert severity(anna, "monotony").value == "warning" and severity(anna, "weekly_increase").value == "alert"
    assert severity(anna, "run_spike", "large").value == "alert" and severity(anna, "run_spike", "small").value == "info"


def test_a_new_rule_needs_no_config_field():
    from runload.findings import Severity
    from runload.rules.registry import RULES, rule, severity

    @rule("test_only_new_rule", severity="warning", params=("max_weekly_increase_ratio",))
    def new_rule(ctx, cfg):
        return []

    try:
        assert severity(Config(), "test_only_new_rule") is Severity.WARNING
        assert RULES["test_only_new_rule"].params == ("max_weekly_increase_ratio",)
        with pytest.raises(ValueError, match="unknown Config field"):
            rule("test_only_other", params=("no_such_field",))
    finally:
        del RULES["test_only_new_rule"]


def test_config_and_rules_do_not_import_each_other():
    import ast
    import runload

    root = __import__("pathlib").Path(runload.__file__).parent
    tree = ast.parse((root / "config.py").read_text(encoding="utf-8"))
    imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
    imported |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    assert not {m for m in imported if m.startswith(("runload.rules", "runload.measures", "runload.analysis"))}
