"""The HTML reports in headless Chromium: a phone (390 px), a laptop (1366 px) and paper (A4, Letter).

Checked in the browser, on the bundled sample season (two athletes, real files):

* no sideways scrolling of the page (``scrollWidth <= innerWidth``);
* the reading order on screen: header, team overview, then per athlete its
  facts, findings, weekly table and the charts;
* chart labels at least 9 CSS px tall as drawn (the SVG's smallest font
  scaled by the width the image is shown at);
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
def test_chart_labels_are_at_least_9_px_on_screen(reports, browser, width):
    page = browser.open(reports["team"].as_uri(), width=width)
    images = page.evaluate("""[...document.querySelectorAll('img.chart')].map(
        i => [i.currentSrc, i.getBoundingClientRect().width])""")
    assert len(images) >= 8
    for src, shown in images:
        assert shown > 0
        assert shown <= width
        svg = _svg_from_uri(src)
        assert _smallest_label_px(svg, shown) >= MIN_LABEL_PX, (width, shown)
    narrow = sum('width="309.6pt"' in _svg_from_uri(src) for src, _ in images)
    assert narrow == (len(images) if width < 720 else 0)  # a phone gets the narrow charts, a laptop the wide


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
