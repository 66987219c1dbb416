"""Render the team report in headless Chromium and check the screenshot is not blank."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from runload.cli import cli
from tests.report.helpers import ALERT_WEEK, STEADY, WARNING_WEEK, make_store

CHROMIUM = next((p for p in ("/usr/bin/chromium", shutil.which("chromium") or "",
                             shutil.which("chromium-browser") or "") if p and Path(p).exists()), None)


@pytest.mark.browser
@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")
def test_team_report_renders_in_headless_chromium(tmp_path):
    db = make_store(tmp_path / "s.db", {"alex": WARNING_WEEK, "sam": STEADY, "kim": ALERT_WEEK}, shoe="Pegasus")
    page = tmp_path / "team.html"
    result = CliRunner().invoke(cli, ["--db", str(db), "report", "--all", "--as-of", "2024-01-15",
                                      "--out", str(page)])
    assert result.exit_code == 0, result.output
    png = tmp_path / "shot.png"
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
           "--disable-component-update", "--disable-sync", "--no-first-run",
           f"--user-data-dir={tmp_path / 'profile'}", f"--screenshot={png}", "--window-size=1280,2000",
           page.resolve().as_uri()]
    subprocess.run(cmd, check=False, capture_output=True, timeout=120)
    assert png.exists() and png.stat().st_size > 10_000
    from matplotlib.image import imread

    pixels = imread(png)
    assert pixels.ndim == 3
    # not blank: many distinct colours (text, the bar charts' Okabe-Ito blue)
    assert pixels[..., :3].std() > 0.05
    blue = (abs(pixels[..., 0] - 0x00 / 255) < 0.05) & (abs(pixels[..., 1] - 0x72 / 255) < 0.05) & \
           (abs(pixels[..., 2] - 0xB2 / 255) < 0.05)
    assert blue.sum() > 500
