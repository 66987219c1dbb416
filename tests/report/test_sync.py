"""``runload sync``: every configured athlete's folders imported; a second run imports nothing."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from runload.cli import EXIT_ERROR, EXIT_OK, EXIT_SKIPPED, cli
from runload.store import Store

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "sample_activities"


@pytest.fixture()
def setup(tmp_path):
    alex = tmp_path / "exports" / "alex"
    alex.mkdir(parents=True)
    files = sorted((SAMPLE / "alex").glob("2026-11-*"))[:6]
    for f in files:
        shutil.copy(f, alex / f.name)
    sam = tmp_path / "exports" / "sam.zip"
    shutil.copy(SAMPLE / "sam_strava_export.zip", sam)
    config = tmp_path / "config.toml"
    config.write_text(f'''
[athletes.alex]
timezone = "Europe/Berlin"
folders = ["{alex}"]

[athletes.sam]
timezone = "America/New_York"
folders = ["{sam}"]
''')
    return tmp_path, config, alex, len(files)


def sync(tmp_path, config, *args):
    return CliRunner().invoke(cli, ["--db", str(tmp_path / "s.db"), "--config", str(config), "sync", "--jobs", "1",
                                    *map(str, args)])


def test_sync_imports_each_athlete_then_nothing_new(setup):
    tmp_path, config, alex_dir, n_alex = setup
    first = sync(tmp_path, config, "--format", "json")
    assert first.exit_code == EXIT_OK, first.output
    reports = {r["athlete"]: r for r in json.loads(first.output)}
    assert set(reports) == {"alex", "sam"}
    assert reports["alex"]["imported"] == n_alex
    assert reports["sam"]["imported"] > 50
    with Store.open(tmp_path / "s.db", readonly=True) as store:
        assert store.athlete_tz("alex") == "Europe/Berlin"  # the configured zone, given on the first import
        assert store.athlete_tz("sam") == "America/New_York"
        counts = {a["name"]: a["activities"] for a in store.athletes()}
    assert counts == {"alex": n_alex, "sam": reports["sam"]["imported"]}

    second = sync(tmp_path, config, "--format", "json")
    assert second.exit_code == EXIT_OK, second.output
    again = {r["athlete"]: r for r in json.loads(second.output)}
    assert again["alex"]["imported"] == 0 and again["sam"]["imported"] == 0
    assert again["alex"]["unchanged"] == n_alex
    quiet = sync(tmp_path, config, "--quiet")
    assert quiet.exit_code == EXIT_OK and quiet.output == ""

    # a new file in alex's folder: only it is imported
    new = sorted((SAMPLE / "alex").glob("2026-10-*"))[0]
    shutil.copy(new, alex_dir / new.name)
    third = sync(tmp_path, config, "--athlete", "alex", "--format", "json")
    assert third.exit_code == EXIT_OK, third.output
    (only,) = json.loads(third.output)
    assert (only["athlete"], only["imported"], only["unchanged"]) == ("alex", 1, n_alex)


def test_sync_writes_the_team_report(setup):
    tmp_path, config, _, _ = setup
    out = tmp_path / "team.html"
    result = sync(tmp_path, config, "--quiet", "--report", out)
    assert result.exit_code == EXIT_OK, result.output
    page = out.read_text()
    assert "Team overview" in page and 'id="a1-alex"' in page and 'id="a2-sam"' in page


def test_missing_folder_and_skipped_files_have_their_exit_codes(setup):
    tmp_path, config, alex_dir, _ = setup
    (alex_dir / "broken.fit").write_bytes(b"\x0e\x10" + b"\x00" * 40)
    result = sync(tmp_path, config, "--athlete", "alex")
    assert result.exit_code == EXIT_SKIPPED, result.output
    assert "broken.fit" in result.output
    config.write_text(config.read_text().replace(str(alex_dir), str(tmp_path / "unmounted")))
    result = sync(tmp_path, config)
    assert result.exit_code == EXIT_ERROR
    assert "unmounted" in result.output and "does not exist" in result.output
    with Store.open(tmp_path / "s.db", readonly=True) as store:
        assert "sam" in store.athlete_names()  # the other athlete is still synced


def test_a_config_without_folders_is_one_sentence(tmp_path):
    config = tmp_path / "c.toml"
    config.write_text('[athletes.alex]\ntimezone = "Europe/Berlin"\n')
    result = sync(tmp_path, config)
    assert result.exit_code == EXIT_ERROR
    assert "lists no folders to sync" in result.output and "Traceback" not in result.output
    result = sync(tmp_path, config, "--athlete", "bo")
    assert result.exit_code == EXIT_ERROR and "no folders for athlete 'bo'" in result.output


def test_the_readme_cron_recipe_config_loads_with_folders(tmp_path):
    import re

    from runload.cli.sync import sync_plan
    from runload.config import load_config

    readme = (ROOT / "README.md").read_text()
    cron = readme[readme.index("### Weekly summary from cron"):readme.index("### Exit codes")]
    path = tmp_path / "config.toml"
    path.write_text(re.search(r"```toml\n(.*?)```", cron, re.S).group(1))
    plan = sync_plan(load_config(path))
    assert set(plan) == {"alex", "sam"}
    assert plan["alex"][0] == str(Path("~/watch-exports/alex").expanduser())
    assert "runload sync --quiet --report" in cron
