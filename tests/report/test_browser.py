"""The HTML reports in headless Chromium: a phone (390 px), a laptop (1366 px) and paper (A4, Letter).

Checked in the browser, on the bundled sample season (two athletes, real files):

* no sideways scrolling of the page (``scrollWidth <= innerWidth``);
* the reading order on screen: header, team overview, then per athlete its
  facts, findings, weekly table and the charts;
* chart labels at least 9 CSS px tall as drawn (the SVG's smallest font
  scaled by the width the image is shown at);
* the team page's chart grid: on a phone each chart full width, one per row;
  on a 1280 px laptop several to a row, each 300–560 px wide; two per row on
  paper, and no chart block split between printed pages;
* in print: nothing wider than the paper, dates never broken across lines,
  and (with ``pdftotext``) no heading left alone at the bottom of a page;
* every Chromium process the tests start has ended afterwards.

``make test`` installs Debian's ``chromium`` when it is missing and it can
(``scripts/ensure_chromium.sh``); without a browser these tests skip, saying so.
"""

from __future__ import annotations

import base64
import html
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from runload.cli import cli
from tests.report.browser import PAPER_IN, Browser, find_chromium

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = find_chromium()
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed and could not be installed here "
                                                "(scripts/ensure_chromium.sh needs root and apt-get)"),
]

WIDTHS = (390, 1366)
#: The page's content width in CSS px on each paper, with the report's @page margins (12 mm left and right).
PRINT_WIDTH_PX = {paper: round((w * 25.4 - 24) / 25.4 * 96) for paper, (w, _) in PAPER_IN.items()}
#: Parts of an athlete's section, in the order they are read.
SECTION_ORDER = ["athlete", "facts", "findings", "weekly-table", "chart-weekly", "chart-calendar", "chart-acwr",
                 "chart-shoes", "chart-pmc", "recent", "quality"]
MIN_LABEL_PX = 9.0


@pytest.fixture(scope="module")
def reports(tmp_path_factory) -> dict[str, Path]:
    """The single-athlete and the team report of the bundled sample season."""
    tmp = tmp_path_factory.mktemp("browser")
    db = tmp / "demo.db"
    runner = CliRunner()
    for args in (["import", str(ROOT / "sample_activities" / "alex"), "--athlete", "alex", "--tz", "Europe/Berlin",
                  "--shoe", "Pegasus 40", "--quiet", "--jobs", "1"],
                 ["import", str(ROOT / "sample_activities" / "sam_strava_export.zip"), "--athlete", "sam",
                  "--tz", "America/New_York", "--quiet", "--jobs", "1"]):
        result = runner.invoke(cli, ["--db", str(db), *args])
        assert result.exit_code == 0, result.output
    out = {}
    for kind, args in (("single", ["--athlete", "alex"]), ("team", ["--all"])):
        out[kind] = tmp / f"{kind}.html"
        result = runner.invoke(cli, ["--db", str(db), "report", *args, "--as-of", "2026-11-21",
                                     "--out", str(out[kind])])
        assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="module")
def browser():
    b = Browser(CHROMIUM)
    try:
        yield b
    finally:
        b.close()
        assert b.alive() == [], "Chromium processes left running"


def _parts_in_reading_order(page) -> list[tuple[str, float]]:
    return page.evaluate("""[...document.querySelectorAll('[data-part]')].map(
        el => [el.dataset.part, el.getBoundingClientRect().top + window.scrollY])""")


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("kind", ["single", "team"])
def test_no_sideways_scrolling_and_reading_order(reports, browser, kind, width):
    page = browser.open(reports[kind].as_uri(), width=width)
    scroll_w, inner_w = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert inner_w == width
    assert scroll_w <= inner_w, f"{kind} report scrolls sideways at {width} px ({scroll_w} px wide)"
    parts = _parts_in_reading_order(page)
    names = [p for p, _ in parts]
    tops = [t for _, t in parts]
    assert tops == sorted(tops), "document order and the order on screen differ"
    assert names[0] == "header"
    if kind == "team":
        assert names[1] == "triage"
        assert names.count("athlete") == 2
    first = names[names.index("athlete"):][:len(SECTION_ORDER) + 1]
    assert [p for p in first if p in SECTION_ORDER] == SECTION_ORDER, first
    # tables too wide for the screen scroll inside their own box, or turned into cards
    overflowing = page.evaluate("""[...document.querySelectorAll('.tablewrap')].filter(
        w => w.scrollWidth > w.clientWidth + 1 && !w.querySelector('table.weekly')).length""")
    assert overflowing == 0


def _svg_from_uri(uri: str) -> str:
    head, data = uri.split(",", 1)
    assert head == "data:image/svg+xml;base64"
    return base64.b64decode(data).decode("utf-8")


def _smallest_label_px(svg: str, shown_px: float) -> float:
    view_w = float(re.search(r'viewBox="0 0 ([0-9.]+) [0-9.]+"', svg).group(1))
    sizes = [float(s) for s in re.findall(r"font-size: ([0-9.]+)px", svg)]
    assert sizes, "chart text is not SVG text"
    return min(sizes) * shown_px / view_w


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("kind", ["single", "team"])
def test_chart_labels_are_at_least_9_px_on_screen(reports, browser, kind, width):
    page = browser.open(reports[kind].as_uri(), width=width)
    images = page.evaluate("""[...document.querySelectorAll('img.chart')].map(
        i => [i.currentSrc, i.getBoundingClientRect().width])""")
    assert len(images) >= (8 if kind == "team" else 4)
    for src, shown in images:
        assert shown > 0
        assert shown <= width
        svg = _svg_from_uri(src)
        assert _smallest_label_px(svg, shown) >= MIN_LABEL_PX, (width, shown)
    narrow = sum('width="309.6pt"' in _svg_from_uri(src) for src, _ in images)
    if kind == "single":  # a phone gets the narrow charts, a laptop the wide
        assert narrow == (len(images) if width < 720 else 0)
    else:  # the team page has only the narrow ones, drawn once
        assert narrow == len(images)


def _team_grids(page) -> list[list[dict]]:
    """Per athlete, the chart blocks of the ``.charts`` grid with their box and their chart's width."""
    return page.evaluate("""[...document.querySelectorAll('.charts')].map(g => [...g.querySelectorAll(
        ':scope > .chartblock')].map(b => {const r = b.getBoundingClientRect(), i = b.querySelector('img.chart');
        return {part: b.dataset.part, top: Math.round(r.top + scrollY), left: Math.round(r.left),
                grid: g.clientWidth, img: i ? i.getBoundingClientRect().width : null}}))""")


def _per_row(blocks: list[dict]) -> list[int]:
    tops = [b["top"] for b in blocks]
    return [tops.count(t) for t in sorted(set(tops))]


def test_team_charts_on_a_phone_are_full_width_one_per_row(reports, browser):
    page = browser.open(reports["team"].as_uri(), width=390)
    grids = _team_grids(page)
    assert len(grids) == 2
    for blocks in grids:
        assert [b["part"] for b in blocks] == SECTION_ORDER[4:9]
        assert set(_per_row(blocks)) == {1}
        for b in blocks:
            if b["img"] is not None:
                assert abs(b["img"] - b["grid"]) <= 1, b  # the whole width of the screen's content
                assert b["img"] >= 279  # 10 pt labels stay >= 9 px (see TEAM_CHART_MIN_PX)


def test_team_charts_on_a_laptop_share_rows_and_stay_at_most_560_px(reports, browser):
    page = browser.open(reports["team"].as_uri(), width=1280)
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    for blocks in _team_grids(page):
        assert max(_per_row(blocks)) >= 2, blocks
        shown = [b["img"] for b in blocks if b["img"] is not None]
        assert len(shown) >= 4
        assert all(300 <= w <= 560 for w in shown), shown
    overflowing = page.evaluate("""[...document.querySelectorAll('.charts .tablewrap')].filter(
        w => w.scrollWidth > w.clientWidth + 1).length""")
    assert overflowing == 0  # the shoe table beside the shoe chart is not squeezed


@pytest.mark.parametrize("paper", sorted(PAPER_IN))
def test_team_charts_on_paper_are_two_per_row(reports, browser, paper):
    width = PRINT_WIDTH_PX[paper]
    page = browser.open(reports["team"].as_uri(), width=width)
    page.send("Emulation.setEmulatedMedia", {"media": "print"})
    for blocks in _team_grids(page):
        assert _per_row(blocks)[:2] == [2, 2], blocks
        assert all(b["img"] <= width / 2 for b in blocks if b["img"] is not None)


#: Text that only the chart of a block draws (in its SVG), for the printed page.
CHART_TEXT = {"Weekly distance": "week so far / partial", "Calendar of daily": "week starting (Monday)",
              "Acute:chronic workload": "acute:chronic ratio [–]", "Shoes (wear is": "check wear:"}


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) is not installed")
@pytest.mark.parametrize("paper", sorted(PAPER_IN))
def test_printed_team_chart_blocks_are_never_split(reports, browser, tmp_path, paper):
    """Each chart's heading and the chart itself are on the same printed page (two to a row there)."""
    page = browser.open(reports["team"].as_uri(), width=1000)
    pdf = tmp_path / f"team-{paper}.pdf"
    pdf.write_bytes(page.pdf(*PAPER_IN[paper]))
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True,
                          timeout=60).stdout
    pages = [" ".join(p.split()) for p in text.split("\f")]
    for heading, drawn in CHART_TEXT.items():
        assert sum(p.count(heading) for p in pages) == 2  # both athletes' charts
        for number, body in enumerate(pages, 1):
            assert body.count(heading) == body.count(drawn), f"{paper} page {number}: {heading!r} split"


@pytest.mark.parametrize("paper", sorted(PAPER_IN))
def test_print_fits_the_paper_without_squeezed_tables(reports, browser, paper):
    width = PRINT_WIDTH_PX[paper]
    page = browser.open(reports["team"].as_uri(), width=width)
    page.send("Emulation.setEmulatedMedia", {"media": "print"})
    assert page.evaluate("matchMedia('print').matches")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    clipped = page.evaluate("""[...document.querySelectorAll('.tablewrap')].filter(
        w => w.scrollWidth > w.clientWidth + 1).length""")
    assert clipped == 0, "a table is wider than the paper"
    broken_dates = page.evaluate("""[...document.querySelectorAll('td.d')].filter(td => {
        const r = document.createRange(); r.selectNodeContents(td);
        return new Set([...r.getClientRects()].map(x => Math.round(x.top))).size > 1;
    }).map(td => td.textContent)""")
    assert broken_dates == []
    cards = page.evaluate("getComputedStyle(document.querySelector('table.cards tr')).display")
    assert cards == "table-row"  # paper gets real tables, not the phone's cards
    for src, shown in page.evaluate("[...document.querySelectorAll('img.chart')].map("
                                    "i => [i.currentSrc, i.getBoundingClientRect().width])"):
        assert _smallest_label_px(_svg_from_uri(src), shown) >= MIN_LABEL_PX


def _headings(page_html: str) -> set[str]:
    texts = set()
    for inner in re.findall(r"<h[1-4][^>]*>(.*?)</h[1-4]>", page_html, re.S):
        text = html.unescape(re.sub(r"<[^>]+>", "", inner)).replace("back to top", "").strip()
        if text:
            texts.add(" ".join(text.split()))
    return texts


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) is not installed")
@pytest.mark.parametrize("paper", sorted(PAPER_IN))
@pytest.mark.parametrize("kind", ["single", "team"])
def test_printed_pages_end_with_no_stranded_heading(reports, browser, tmp_path, kind, paper):
    page = browser.open(reports[kind].as_uri(), width=1000)
    pdf = tmp_path / f"{kind}-{paper}.pdf"
    pdf.write_bytes(page.pdf(*PAPER_IN[paper]))
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                          check=True, timeout=60).stdout
    pages = [p for p in text.split("\f") if p.strip()]
    assert len(pages) >= 3
    headings = _headings(reports[kind].read_text())
    for number, body in enumerate(pages[:-1], 1):
        last = " ".join(body.strip().splitlines()[-1].split())
        stranded = [h for h in headings if last and (h == last or h.startswith(last) or h.endswith(last))]
        assert not stranded, f"{paper} page {number} ends with the heading {stranded[0]!r}"


def test_screenshots_show_the_charts_and_every_browser_process_ends(reports, tmp_path):
    from matplotlib.image import imread

    b = Browser(CHROMIUM)
    try:
        page = b.open(reports["single"].as_uri(), width=390)
        png = tmp_path / "phone.png"
        png.write_bytes(page.screenshot())
        assert len(b.alive()) >= 2  # the browser and at least one renderer
    finally:
        b.close()
    assert b.alive() == []
    pixels = imread(png)
    assert pixels.shape[1] == 390 and pixels.shape[0] > 2000
    blue = ((abs(pixels[..., 0] - 0x00 / 255) < 0.05) & (abs(pixels[..., 1] - 0x72 / 255) < 0.05)
            & (abs(pixels[..., 2] - 0xB2 / 255) < 0.05))
    assert blue.sum() > 2000  # the weekly bars, Okabe-Ito blue
