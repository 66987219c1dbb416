"""The bundled sample season end to end: import, weekly table, and exactly the planted findings.

``sample_activities/expected.json`` is written by ``scripts/make_sample_season.py`` from the planned
runs (independently of the importers and the analyzer); this test holds runload to it.
"""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from runload.cli import cli
from tests.conftest import SAMPLES

EXPECTED = json.loads((SAMPLES / "expected.json").read_text())
AS_OF = "2026-11-21"


@pytest.fixture(scope="module")
def season_db(tmp_path_factory):
    db = tmp_path_factory.mktemp("season") / "runload.db"
    runner = CliRunner()
    outputs = {}
    for name, info in EXPECTED["athletes"].items():
        args = ["--db", str(db), "import", str(SAMPLES.parent / info["source"]), "--athlete", name,
                "--tz", info["timezone"], "--format", "json", "--jobs", "1"]
        if name == "alex":
            args += ["--shoe", "Pegasus 40"]
        result = runner.invoke(cli, args)
        assert result.exit_code == 0, result.output
        outputs[name] = json.loads(result.stdout)
    return db, outputs


@pytest.mark.parametrize("athlete", sorted(EXPECTED["athletes"]))
def test_import_counts(season_db, athlete):
    _, outputs = season_db
    counts = EXPECTED["athletes"][athlete]["counts"]
    out = outputs[athlete]
    assert out["files"] == counts["files"]
    assert out["imported"] == counts["activities_stored"]
    assert out["runs"] == counts["runs"]
    assert sum(out["other_sports"].values()) == counts["other_sports"]
    assert len(out["duplicates"]) == counts["duplicates"]
    assert out["skipped"] == []


def test_duplicate_names_the_kept_run(season_db):
    _, outputs = season_db
    (dup,) = outputs["alex"]["duplicates"]
    assert dup["file"].endswith("2026-09-12-run.gpx")
    assert "2026-09-12-run.fit" in dup["duplicate_of"]


@pytest.mark.parametrize("athlete", sorted(EXPECTED["athletes"]))
def test_weekly_table_matches_the_plan(season_db, athlete):
    db, _ = season_db
    result = CliRunner().invoke(cli, ["--db", str(db), "weeks", "--athlete", athlete, "--format", "json",
                                      "--as-of", AS_OF])
    assert result.exit_code == 0, result.output
    got = {row["iso_week"]: row for row in json.loads(result.stdout)}
    for week in EXPECTED["athletes"][athlete]["weeks"]:
        row = got[week["week"]]
        assert row["distance_km"] * 1000 == pytest.approx(week["distance_m"], abs=week["distance_tolerance_m"] + 1)
        assert row["runs"] == week["runs"]
        # a partial week counts rest days so far: Sun 2026-11-22 (planned rest) is after AS_OF
        days_after_as_of = 0 if week["complete"] else 1
        assert row["rest_days"] == week["rest_days"] - days_after_as_of
        assert (row["status"] == "complete") == week["complete"]


def test_check_lists_exactly_the_planted_load_errors(season_db):
    db, _ = season_db
    result = CliRunner().invoke(cli, ["--db", str(db), "check", "--all", "--as-of", AS_OF, "--format", "json"])
    assert result.exit_code == 0, result.output
    findings = json.loads(result.stdout)
    for name, info in EXPECTED["athletes"].items():
        mine = [f for f in findings if f["athlete"] == name]
        planted = {(f["rule"], f["date"]) for f in info["findings"]}
        flagged = {(f["rule"], f["date"]) for f in mine if f["rule"] != "acwr"}
        assert flagged == planted, name
        # the acute:chronic ratio is a consequence of the planted increase, at info level, on the planned days
        acwr = [f for f in mine if f["rule"] == "acwr"]
        assert {f["date"] for f in acwr} <= set(info["acwr_coupled_above_1_3"])
        assert bool(acwr) == bool(info["acwr_coupled_above_1_3"])
        assert all(f["severity"] == "info" for f in acwr)
        for planted_finding in info["findings"]:
            (got,) = [f for f in mine if (f["rule"], f["date"]) == (planted_finding["rule"], planted_finding["date"])]
            if planted_finding["rule"] == "weekly_increase":
                assert got["value"] == pytest.approx(planted_finding["value"], abs=0.002)
                assert got["severity"] == "warning"
            elif planted_finding["rule"] == "run_spike":
                assert got["value"] == pytest.approx(planted_finding["value"], abs=0.3)
                assert got["severity"] == "warning"
            elif planted_finding["rule"] in ("run_streak", "week_without_rest"):
                assert got["value"] == planted_finding["value"]
            assert got["message"].endswith("Risk flag, not a diagnosis; if pain changes how you run, "
                                           "see a health professional.")


def test_replaying_the_season_before_the_jump_has_no_increase_flag(season_db):
    db, _ = season_db
    result = CliRunner().invoke(cli, ["--db", str(db), "check", "--athlete", "alex", "--as-of", "2026-09-27",
                                      "--format", "json"])
    assert result.exit_code == 0
    assert [f for f in json.loads(result.stdout) if f["rule"] == "weekly_increase"] == []


def test_shoes_list_shows_status_and_forecast(season_db):
    db, _ = season_db
    result = CliRunner().invoke(cli, ["--db", str(db), "shoes", "list", "--all", "--as-of", AS_OF,
                                      "--format", "json"])
    assert result.exit_code == 0, result.output
    rows = {(r["athlete"], r["shoe"]): r for r in json.loads(result.stdout)}
    for name, info in EXPECTED["athletes"].items():
        for shoe, want in info["shoes"].items():
            row = rows[(name, shoe)]
            assert row["distance_km"] * 1000 == pytest.approx(want["distance_m"], abs=100)
            assert row["status"] == want["status"]
            assert "reaches" in row["forecast"] and "weeks" in row["forecast"]


def test_importing_the_season_again_adds_nothing(season_db):
    db, _ = season_db
    info = EXPECTED["athletes"]["alex"]
    result = CliRunner().invoke(cli, ["--db", str(db), "import", str(SAMPLES.parent / info["source"]),
                                      "--athlete", "alex", "--format", "json"])
    assert result.exit_code == 0
    out = json.loads(result.stdout)
    assert out["imported"] == 0 and out["duplicates"] == [] and out["unchanged"] == info["counts"]["files"]


@pytest.mark.parametrize("args", [
    ["weeks", "--athlete", "alex", "--as-of", AS_OF], ["weeks", "--athlete", "sam"],
    ["weeks", "--athlete", "alex", "--units", "mi", "--as-of", "2026-12-20"],
    ["check", "--all", "--as-of", AS_OF], ["check", "--all", "--as-of", AS_OF, "--verbose"],
    ["activities", "--athlete", "alex"], ["activities", "--athlete", "sam", "--units", "mi"],
    ["shoes", "list", "--all", "--as-of", AS_OF], ["athletes"], ["imports"], ["changes"],
    ["gaps", "list", "--athlete", "alex"], ["summary", "--all", "--as-of", AS_OF, "--fail-on", "never"],
])
def test_every_table_of_the_demo_fits_80_columns(season_db, args):
    db, _ = season_db
    result = CliRunner().invoke(cli, ["--db", str(db), *args])
    assert result.exit_code in (0, 7), result.output
    wide = [line for line in result.stdout.splitlines() if len(line) > 80]
    assert not wide, wide[:3]


def test_check_at_a_glance_is_one_line_per_finding_or_episode(season_db):
    from runload.findings import Finding
    from runload.report.text import items_with_episodes

    db, _ = season_db
    text = CliRunner().invoke(cli, ["--db", str(db), "check", "--all", "--as-of", AS_OF]).stdout
    found = json.loads(CliRunner().invoke(cli, ["--db", str(db), "check", "--all", "--as-of", AS_OF,
                                                "--format", "json", "--since", "2026-09-27"]).stdout)
    lines = [ln for ln in text.splitlines() if ln.strip()]
    headers = [ln for ln in lines if ln.split(":")[0] in EXPECTED["athletes"] and "risk flag" in ln]
    items = [ln for ln in lines if ln.split(" ")[0] in ("INFO", "WARNING", "ALERT")]
    from datetime import date as _d

    findings = [Finding(**{**{k: v for k, v in f.items() if k != "episode"}, "date": _d.fromisoformat(f["date"])})
                for f in found]
    expected_items = sum(len(items_with_episodes([f for f in findings if f.athlete == name]))
                         for name in EXPECTED["athletes"])
    assert len(headers) == len(EXPECTED["athletes"]) and len(items) == expected_items
    assert len(lines) == len(headers) + len(items) + 2  # + the disclaimer, wrapped on two lines
