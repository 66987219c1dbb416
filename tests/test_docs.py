"""The README's examples work as written."""

from __future__ import annotations

import re

from runload.config import load_config
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text()


def test_readme_config_example_loads(tmp_path):
    toml = re.search(r"```toml\n(\[thresholds\].*?)```", README, re.S).group(1)
    path = tmp_path / "config.toml"
    path.write_text(toml)
    cfg = load_config(path)
    assert cfg.max_weekly_increase_ratio == 0.15
    alex = cfg.for_athlete("alex")
    assert (alex.timezone, alex.hr_rest_bpm, alex.hr_max_bpm, alex.sex) == ("Europe/Berlin", 48, 186, "female")
    assert "monotony" in alex.disabled_rules


def test_readme_python_api_example_runs(tmp_path, monkeypatch, capsys):
    code = re.search(r"## Python API.*?```python\n(.*?)```", README, re.S).group(1)
    monkeypatch.chdir(ROOT)
    code = code.replace('Store.open("season.db")', f'Store.open(r"{tmp_path / "season.db"}")')
    exec(compile(code, "README.md", "exec"), {})
    printed = capsys.readouterr().out
    lines = printed.splitlines()
    # alex's season has five findings (see sample_activities/expected.json); the +56 % week is a warning
    assert len(lines) == 5
    assert any(line.startswith("warning 2026-09-28") and "56.3%" in line for line in lines)
