"""``runload chart KIND``: each kind written as PNG and SVG, the weeks and as-of honoured."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner
from matplotlib.image import imread

from runload.cli import cli
from runload.store import Store
from tests.report.helpers import ALERT_WEEK, add_runs

AS_OF = "2024-01-15"


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    path = tmp_path_factory.mktemp("chart") / "s.db"
    with Store.open(path) as store:
        store.add_shoe("kim", "Pegasus", start_distance_m=500_000.0, tz="Europe/Berlin")
        add_runs(store, "kim", ALERT_WEEK, shoe="Pegasus")
    return path


def chart(db, *args):
    return CliRunner().invoke(cli, ["--db", str(db), "chart", *map(str, args)])


def _svg_text(path) -> str:
    svg = path.read_text()
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg
    return " ".join(re.sub(r"<[^>]+>", " ", t) for t in re.findall(r"<text[^>]*>.*?</text>", svg, re.S))


@pytest.mark.parametrize("kind, expect", [
    ("weekly", ["2024-W01", "2024-W02", "2024-W03", "flagged"]),
    ("calendar", ["2024-01-01", "rest day", "Sun"]),
    ("acwr", ["acute:chronic", "coupled"]),
    ("shoes", ["Pegasus", "check wear"]),
    ("fitness", ["not shown"]),
])
def test_each_kind_writes_an_svg_with_its_content(db, tmp_path, kind, expect):
    out = tmp_path / f"{kind}.svg"
    result = chart(db, kind, "--athlete", "kim", "--out", out, "--weeks", 3, "--as-of", AS_OF)
    assert result.exit_code == 0, result.output
    text = _svg_text(out)
    for word in expect:
        assert word in text, (kind, word)
    assert f"up to {AS_OF}" in result.output


@pytest.mark.parametrize("kind", ["weekly", "calendar", "acwr", "shoes", "fitness"])
def test_each_kind_writes_a_png(db, tmp_path, kind):
    out = tmp_path / f"{kind}.PNG"
    result = chart(db, kind, "--out", out, "--as-of", AS_OF)  # the only athlete: no --athlete needed
    assert result.exit_code == 0, result.output
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    pixels = imread(out)
    assert pixels.shape[1] == 1080  # 9 in at 120 dpi
    assert pixels[..., :3].std() > 0.05  # not blank


def test_weeks_and_as_of_choose_the_bars(db, tmp_path):
    out = tmp_path / "w.svg"
    assert chart(db, "weekly", "--out", out, "--weeks", 2, "--as-of", "2024-01-14").exit_code == 0
    text = _svg_text(out)
    assert "2024-W01" in text and "2024-W02" in text
    assert "2023-W52" not in text and "2024-W03" not in text
    assert chart(db, "weekly", "--out", out, "--weeks", 6, "--as-of", "2024-01-14").exit_code == 0
    assert "2023-W49" in _svg_text(out)


def test_narrow_size_for_a_phone(db, tmp_path):
    out = tmp_path / "w.svg"
    assert chart(db, "weekly", "--out", out, "--size", "narrow", "--as-of", AS_OF).exit_code == 0
    assert 'width="309.6pt"' in out.read_text()


def test_bad_suffix_unknown_kind_and_missing_folder(db, tmp_path):
    result = chart(db, "weekly", "--out", tmp_path / "w.pdf")
    assert result.exit_code == 2 and ".png or .svg" in result.output
    assert not (tmp_path / "w.pdf").exists()
    assert chart(db, "pie", "--out", tmp_path / "w.png").exit_code == 2
    result = chart(db, "weekly", "--out", tmp_path / "nope" / "w.png")
    assert result.exit_code == 1 and "does not exist" in result.output
    result = chart(db, "weekly", "--athlete", "nobody", "--out", tmp_path / "w.png")
    assert result.exit_code == 1 and not (tmp_path / "w.png").exists()
