"""The command line through click's CliRunner: outputs, one-sentence errors, exit codes, help."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import datetime, timedelta, timezone

import click
import pytest
from click.testing import CliRunner

from runload.cli import EXIT_ALERT, EXIT_ERROR, EXIT_SKIPPED, EXIT_USAGE, EXIT_WARNING, cli
from runload_testing.synthetic import SyntheticRun, gzip_bytes, write_fit, write_gpx, write_tcx
from tests.conftest import ROOT


def run_file(day: str, km: float, hour: int = 6, **kw) -> SyntheticRun:
    start = datetime.fromisoformat(day).replace(hour=hour, tzinfo=timezone.utc)
    return SyntheticRun(start_utc=start, distance_m=km * 1000, moving_s=km * 330, sample_interval_s=5, **kw)


def invoke(db, *args):
    result = CliRunner().invoke(cli, ["--db", str(db), *args])
    assert "Traceback" not in result.output
    return result


@pytest.fixture
def season(tmp_path):
    """Four weeks of 3 runs, then a week with one very long run: a +233 % spike (alert)."""
    folder = tmp_path / "watch"
    folder.mkdir()
    day = datetime(2026, 3, 2)
    for week in range(4):
        for offset, km in ((0, 6.0), (2, 8.0), (6, 10.0)):
            d = (day + timedelta(days=7 * week + offset)).date().isoformat()
            (folder / f"{d}.fit").write_bytes(write_fit(run_file(d, km, seed=week * 7 + offset)))
    (folder / "long.gpx.gz").write_bytes(gzip_bytes(write_gpx(run_file("2026-04-05", 33.3, seed=99))))
    (folder / "ride.tcx").write_bytes(write_tcx(run_file("2026-03-04", 30.0, hour=17, sport="cycling", seed=5)))
    return folder


def test_import_prints_a_summary_and_weeks_a_table(tmp_path, season):
    db = tmp_path / "r.db"
    result = invoke(db, "import", str(season), "--athlete", "kim", "--tz", "Europe/Berlin")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == (
        "Imported 14 activities for kim from 14 files: 13 runs, other sports (stored, not counted): 1 cycling.")
    result = invoke(db, "weeks", "--format", "csv", "--as-of", "2026-04-05")
    lines = result.stdout.splitlines()
    assert lines[0].startswith("athlete,iso_week,week_start,status,distance_km,distance_m,runs,run_days,rest_days,")
    assert lines[1].startswith("kim,2026-W10,2026-03-02,complete,24.0,24000.0,3,3,4,")
    assert lines[5].startswith("kim,2026-W14,2026-03-30,complete,33.3")
    miles = json.loads(invoke(db, "weeks", "--units", "mi", "--format", "json", "--as-of", "2026-04-05").stdout)
    assert miles[0]["distance_mi"] == pytest.approx(24.0 / 1.609344, abs=0.01)
    table = invoke(db, "weeks", "--as-of", "2026-04-05").output
    assert "2026-W14" in table and "+39%" in table  # 33.3 km after 24.0 km
    md = invoke(db, "weeks", "--format", "markdown", "--as-of", "2026-04-05").output
    assert "| week | km | change |" in md
    # without --as-of the table runs to today: the weeks since the last import are "no data", not rest
    today = json.loads(invoke(db, "weeks", "--format", "json").stdout)
    assert today[-1]["status"] == "no data" and today[-1]["rest_days"] is None and today[-1]["change_pct"] is None
    acts = invoke(db, "activities", "--format", "json").stdout
    sports = [a["sport_code"] for a in json.loads(acts)]
    assert sports.count("cycling") == 1 and len(sports) == 14


def test_week_changes_are_signed_whole_percent():
    from runload.cli.imports import _signed_pct

    # 44.4 km after 44.6 km is -0.45 %: shown as 0 %, not -0 %
    assert [_signed_pct(v) for v in (-0.45, 0.4, 8.1, -22.7, 56.33)] == ["0%", "0%", "+8%", "-23%", "+56%"]


def test_check_exit_codes_follow_fail_on(tmp_path, season):
    db = tmp_path / "r.db"
    invoke(db, "import", str(season), "--athlete", "kim", "--tz", "UTC")
    found = json.loads(invoke(db, "check", "--as-of", "2026-04-06", "--format", "json").stdout)
    spike = [f for f in found if f["rule"] == "run_spike" and f["date"] == "2026-04-05"]
    assert spike and spike[0]["severity"] == "alert"  # 33.3 km vs 10 km: +233 %, large band
    assert spike[0]["value"] == pytest.approx(233.0, abs=0.5)
    assert invoke(db, "check", "--as-of", "2026-04-06").exit_code == 0
    assert invoke(db, "check", "--as-of", "2026-04-06", "--fail-on", "alert").exit_code == EXIT_ALERT
    assert invoke(db, "check", "--as-of", "2026-04-06", "--fail-on", "warning").exit_code == EXIT_ALERT
    # before the long run only the +33 % week (warning) and nothing higher
    result = invoke(db, "check", "--as-of", "2026-04-04", "--fail-on", "warning", "--rule", "weekly_increase")
    assert result.exit_code in (0, EXIT_WARNING)
    text = invoke(db, "check", "--as-of", "2026-04-06").stdout
    lines = text.splitlines()
    # at a glance: a header, one line per finding (newest first), the disclaimer once; 80 columns; no colour
    assert lines[0].startswith("kim: ") and "Risk flag" not in lines[0]
    assert lines[1].startswith("ALERT   2026-04-05         single-run spike +233.3%")
    assert len([ln for ln in lines if ln.split(" ")[0] in ("ALERT", "WARNING", "INFO")]) == len(
        [f for f in found if f["date"] >= "2026-02-10"])
    assert all(len(ln) <= 80 for ln in lines) and "\x1b" not in text
    verbose = invoke(db, "check", "--as-of", "2026-04-06", "--verbose").stdout
    assert "source:" in verbose and "source:" not in text
    md = invoke(db, "check", "--as-of", "2026-04-06", "--format", "markdown").output
    assert "| date | rule |" in md


def test_bad_files_are_skipped_with_a_reason_and_exit_3(tmp_path, season):
    (season / "notes.fit").write_bytes(b"hello, this is not a fit file")
    (season / "empty.gpx").write_bytes(b"")
    good = (season / "2026-03-02.fit").read_bytes()
    (season / "cut.fit").write_bytes(good[:20])
    db = tmp_path / "r.db"
    result = invoke(db, "import", str(season), "--athlete", "kim")
    assert result.exit_code == EXIT_SKIPPED
    skipped = result.output.split("Skipped: ")[1].splitlines()
    assert skipped[0] == "3 files"
    for line in skipped[1:]:
        assert re.match(r"  \S+: \S.*", line), line
        assert "\n" not in line
    # the good files are all in
    assert len(json.loads(invoke(db, "activities", "--format", "json").stdout)) == 14


def test_import_of_a_missing_path_is_one_sentence(tmp_path):
    result = invoke(tmp_path / "r.db", "import", str(tmp_path / "nope"))
    assert result.exit_code == EXIT_ERROR
    assert result.output == f"Error: {tmp_path / 'nope'}: no such file or folder\n"


def test_reading_commands_without_a_store(tmp_path):
    result = invoke(tmp_path / "none.db", "weeks")
    assert result.exit_code == EXIT_ERROR
    assert result.output.startswith("Error: no runload store at ")
    assert "runload import" in result.output


def test_several_athletes_need_a_choice(tmp_path, season):
    db = tmp_path / "r.db"
    invoke(db, "import", str(season / "2026-03-02.fit"), "--athlete", "kim")
    invoke(db, "import", str(season / "2026-03-04.fit"), "--athlete", "lee")
    result = invoke(db, "weeks")
    assert result.exit_code == EXIT_ERROR
    assert "several athletes (kim, lee)" in result.output
    assert invoke(db, "weeks", "--athlete", "max").output.startswith("Error: no athlete named 'max'")
    assert invoke(db, "check", "--athlete", "kim", "--all").exit_code == EXIT_ERROR


@pytest.mark.parametrize("args, fragment", [
    (["weeks", "--as-of", "yesterday"], "is not a date"),
    (["weeks", "--units", "furlongs"], "furlongs"),
    (["check", "--format", "pdf"], "pdf"),
    (["shoes", "add", "X", "--start-distance", "far"], "is not a distance"),
])
def test_usage_errors_exit_2(tmp_path, args, fragment):
    result = invoke(tmp_path / "r.db", *args)
    assert result.exit_code == EXIT_USAGE
    assert fragment in result.output


def test_unknown_time_zone_and_rule(tmp_path, season):
    db = tmp_path / "r.db"
    result = invoke(db, "import", str(season), "--tz", "Mars/Base")
    assert result.exit_code == EXIT_USAGE  # a bad option value is a usage error, before the store is opened
    assert "unknown time zone 'Mars/Base'" in result.output and "Usage:" in result.output
    assert not db.exists()
    invoke(db, "import", str(season / "2026-03-02.fit"), "--athlete", "kim")
    result = invoke(db, "check", "--rule", "nonsense")  # a bad option value too: the valid ids are listed
    assert result.exit_code == EXIT_USAGE and "nonsense" in result.output and "weekly_increase" in result.output


def test_shoes_workflow(tmp_path, season):
    db = tmp_path / "r.db"
    invoke(db, "import", str(season), "--athlete", "kim", "--tz", "UTC")
    assert invoke(db, "shoes", "add", "Old", "--start-distance", "290mi").exit_code == 0
    assert invoke(db, "shoes", "assign", "Old", "--from", "2026-03-01", "--to", "2026-03-15").output.startswith(
        "Old: assigned to 6 runs")
    rows = json.loads(invoke(db, "shoes", "list", "--format", "json", "--as-of", "2026-04-06").stdout)
    (old,) = [r for r in rows if r["shoe"] == "Old"]
    # 290 mi + 2 weeks of 24 km = 466.71 + 48.0 = 514.7 km -> past 300 mi (482.8 km): check wear
    assert old["distance_km"] == pytest.approx(290 * 1.609344 + 48.0, abs=0.2)
    assert old["status"] == "check"
    assert invoke(db, "shoes", "retire", "Old", "--on", "2026-03-20").exit_code == 0
    rows = json.loads(invoke(db, "shoes", "list", "--format", "json").stdout)
    assert [r["status"] for r in rows if r["shoe"] == "Old"] == ["retired"]
    assert invoke(db, "shoes", "retire", "Nope").output.startswith("Error: no shoe named 'Nope'")


def _all_commands() -> dict:
    """Every top-level command, each module loaded (the group loads a command's module on demand)."""
    ctx = click.Context(cli)
    return {name: cli.get_command(ctx, name) for name in cli.list_commands(ctx)}


def test_commands_load_from_the_modules_the_table_names():
    """The table of command modules is what the modules register, and a command loads its own module only."""
    import importlib
    import pkgutil

    import runload.cli
    from runload.cli import COMMAND_MODULES

    for name, command in _all_commands().items():
        assert command is not None and name in COMMAND_MODULES, name
        assert command.callback.__module__ == f"runload.cli.{COMMAND_MODULES[name]}", name
    for module in pkgutil.iter_modules(runload.cli.__path__):  # every module, the table's or not
        importlib.import_module(f"runload.cli.{module.name}")
    assert set(cli.commands) == set(COMMAND_MODULES), "a module registers a command the table lacks"
    probe = ("import sys, click; from runload.cli import cli; cli.get_command(click.Context(cli), 'import'); "
             "print(' '.join(sorted(m for m in sys.modules if m.startswith('runload.cli.'))))")
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True)
    assert loaded.stdout.split() == ["runload.cli.app", "runload.cli.common", "runload.cli.imports"]


def test_every_command_has_help_and_is_in_the_readme():
    readme = (ROOT / "README.md").read_text()
    commands = []
    for name, command in _all_commands().items():
        if hasattr(command, "commands"):
            commands += [(f"{name} {sub}", c) for sub, c in command.commands.items()]
        else:
            commands.append((name, command))
    for name, command in commands:
        assert command.help, name
        result = CliRunner().invoke(cli, [*name.split(), "--help"])
        assert result.exit_code == 0, name
        assert f"runload {name.split()[0]}" in readme, f"'runload {name}' is not documented in the README"


def test_exit_codes_are_documented():
    readme = (ROOT / "README.md").read_text()
    for code in (0, 1, 2, 3, 4, 5, 130):
        assert re.search(rf"^\| {code} \|", readme, re.M), code
    assert "Exit codes:" in CliRunner().invoke(cli, ["--help"]).output


def test_gaps_add_list_remove_and_errors(tmp_path, season):
    db = tmp_path / "r.db"
    assert invoke(db, "import", str(season), "--athlete", "kim", "--tz", "Europe/Berlin").exit_code == 0
    assert invoke(db, "gaps", "list").output.startswith("No gaps declared for kim")
    result = invoke(db, "gaps", "add", "--from", "2026-03-16", "--to", "2026-03-22", "--reason", "flu")
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "Gap 1 for kim: 2026-03-16 to 2026-03-22 (7 days, flu) is now missing data."
    rows = json.loads(invoke(db, "gaps", "list", "--format", "json").stdout)
    assert rows == [{"id": 1, "from": "2026-03-16", "to": "2026-03-22", "days": 7, "reason": "flu"}]
    table = invoke(db, "gaps", "list").output
    assert "2026-03-16" in table and "flu" in table
    # to before from: one sentence, usage error
    bad = invoke(db, "gaps", "add", "--from", "2026-03-10", "--to", "2026-03-09")
    assert bad.exit_code == EXIT_USAGE and "--to 2026-03-09 is before --from 2026-03-10" in bad.output
    assert invoke(db, "gaps", "add", "--from", "March", "--to", "2026-03-09").exit_code == EXIT_USAGE
    # unknown id: one sentence, error
    result = invoke(db, "gaps", "remove", "7")
    assert result.exit_code == EXIT_ERROR
    assert result.output.strip() == "Error: kim has no gap with id 7 (gap ids: 1); see 'runload gaps list'"
    assert invoke(db, "gaps", "remove", "1").output.strip() == "Gap 1 of kim removed."
    assert json.loads(invoke(db, "gaps", "list", "--format", "json").stdout) == []
    assert invoke(db, "gaps", "list", "--athlete", "nobody").exit_code == EXIT_ERROR


def test_check_and_shoes_and_reports_use_the_athletes_gaps(tmp_path, season):
    """The season's long run on 2026-04-05 (+233 %, alert) becomes info/data_gap once its 30-day
    baseline touches a declared gap; the report lists the gap."""
    db = tmp_path / "r.db"
    assert invoke(db, "import", str(season), "--athlete", "kim", "--tz", "Europe/Berlin",
                  "--shoe", "Pegasus").exit_code == 0
    before = json.loads(invoke(db, "check", "--format", "json", "--as-of", "2026-04-05").stdout)
    (spike,) = [f for f in before if f["rule"] == "run_spike" and f["date"] == "2026-04-05"]
    assert spike["severity"] == "alert" and spike["status"] == "ok"
    assert invoke(db, "gaps", "add", "--from", "2026-03-16", "--to", "2026-03-17").exit_code == 0
    after = json.loads(invoke(db, "check", "--format", "json", "--as-of", "2026-04-05").stdout)
    (spike,) = [f for f in after if f["rule"] == "run_spike" and f["date"] == "2026-04-05"]
    assert spike["severity"] == "info" and spike["status"] == "data_gap"
    assert "declared gap (2026-03-16 to 2026-03-17)" in spike["message"]
    assert not [f for f in after if f["rule"] == "weekly_increase" and f["period"] in ("2026-W12", "2026-W13")]
    assert invoke(db, "shoes", "list", "--format", "json").exit_code == 0
    summary = invoke(db, "summary", "--week", "last", "--as-of", "2026-04-06", "--format", "json", "--fail-on",
                     "never")
    assert summary.exit_code == 0, summary.output
    assert "data_gap" in summary.output and '"alert"' not in summary.output  # the spike is info now
    out = tmp_path / "r.html"
    assert invoke(db, "report", "--out", str(out), "--as-of", "2026-04-06").exit_code == 0
    page = out.read_text()
    assert "Declared gaps (1)" in page and "2026-03-16" in page


def test_read_commands_migrate_a_schema_1_store(tmp_path, season, monkeypatch):
    from runload.store import schema as store_mod

    db = tmp_path / "v1.db"
    monkeypatch.setattr(store_mod, "MIGRATIONS", store_mod.MIGRATIONS[:1])
    monkeypatch.setattr(store_mod, "SCHEMA_VERSION", 1)
    assert invoke(db, "import", str(season), "--athlete", "kim").exit_code == 0  # written by "runload 1"
    monkeypatch.undo()
    result = invoke(db, "check", "--format", "json")
    assert result.exit_code == 0, result.output
    assert invoke(db, "gaps", "list").output.startswith("No gaps declared for kim")


def test_weeks_shows_declared_gap_days_and_keeps_the_change_of_the_first_row_shown(tmp_path, season):
    db = tmp_path / "r.db"
    invoke(db, "import", str(season), "--athlete", "kim", "--tz", "UTC")
    assert invoke(db, "gaps", "add", "--from", "2026-03-10", "--to", "2026-03-12", "--reason", "flu").exit_code == 0
    rows = json.loads(invoke(db, "weeks", "--format", "json", "--as-of", "2026-04-05").stdout)
    assert [r["gap_days"] for r in rows] == [0, 3, 0, 0, 0]
    # the gap week is neither compared nor a baseline: W12 compares with W10; gap days are never rest days
    assert [r["status"] for r in rows] == ["complete", "partial", "complete", "complete", "complete"]
    assert [r["change_pct"] for r in rows][:3] == [None, None, 0.0] and rows[1]["rest_days"] == 2
    assert rows[2]["baseline_week"] == "2026-W10"
    table = invoke(db, "weeks", "--weeks", "4", "--as-of", "2026-04-05").output  # W11..W14
    assert "no data" in table
    (w11,) = [line for line in table.splitlines() if line.startswith("2026-W11")]
    assert w11.split()[2] == "–" and w11.split()[-2:] == ["partial", "3"]
    (w13,) = [line for line in table.splitlines() if line.startswith("2026-W13")]
    assert w13.split()[2] == "0%"  # 24.0 km after 24.0 km (W12, a complete week)
    assert "no data" not in invoke(db, "weeks", "--weeks", "1", "--as-of", "2026-04-05").output
