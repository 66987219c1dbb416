"""Charts on edge-case data: they build without error and show the right elements."""

from __future__ import annotations

import matplotlib.colors as mcolors
import numpy as np
import pandas as pd
import pytest

from runload import tables
from runload.analysis import analyze
from runload.config import Config
from runload.report import charts
from tests.conftest import activities_frame


def _weekly(rows):
    acts = activities_frame(rows)
    daily = tables.daily(acts, "Europe/Berlin")
    return acts, daily, tables.weekly(daily)


def _bars(fig):
    ax = fig.axes[0]
    return [p for p in ax.patches if p.get_gid() in (None, "flagged", "partial")]


def test_weekly_bar_heights_are_weekly_km_and_flagged_bars_highlighted():
    # weeks of 20, 22, 25 km (science.md §1: +10.0 % not flagged, +13.6 % flagged)
    acts, daily, weekly = _weekly([("2024-01-01T06:00Z", 20), ("2024-01-08T06:00Z", 22), ("2024-01-15T06:00Z", 25)])
    result = analyze(acts, None, "t", tz="Europe/Berlin", as_of="2024-01-21", config=Config())
    fig = charts.weekly_distance(result.weekly, "km", flagged=result.findings)
    bars = fig.axes[0].patches
    assert [round(b.get_height(), 6) for b in bars] == [20.0, 22.0, 25.0]
    assert fig.runload["heights"] == pytest.approx([20.0, 22.0, 25.0])
    assert fig.runload["flagged"] == [False, False, True]
    flagged = [b for b in bars if b.get_gid() == "flagged"]
    assert len(flagged) == 1 and flagged[0].get_height() == pytest.approx(25.0)
    assert mcolors.to_hex(flagged[0].get_facecolor()) == charts.COLOR_FLAG.lower()
    assert mcolors.to_hex(bars[0].get_facecolor()) != charts.COLOR_FLAG.lower()
    assert flagged[0].get_hatch() == charts.FLAG_HATCH
    # allowance marks: previous week + 10 %
    assert fig.runload["allowance"][1:] == pytest.approx([22.0, 24.2])
    assert "km" in fig.axes[0].get_ylabel()


def test_weekly_in_miles():
    _, _, weekly = _weekly([("2024-01-01T06:00Z", 16.09344)])
    fig = charts.weekly_distance(weekly, "mi")
    assert fig.axes[0].patches[0].get_height() == pytest.approx(10.0)
    assert "mi" in fig.axes[0].get_ylabel()


def test_one_run_one_week_builds_every_chart(tmp_path):
    acts, daily, weekly = _weekly([("2024-03-06T06:00Z", 8)])
    result = analyze(acts, None, "t", tz="Europe/Berlin", as_of="2024-03-06", config=Config())
    figs = [
        charts.weekly_distance(result.weekly, "km"),
        charts.calendar_heatmap(result.daily, "km"),
        charts.acwr_chart(result.acwr, "coupled"),
        charts.shoe_wear(result.shoe_status, "km"),
        charts.pmc_chart(result.pmc, result.pmc_note),
    ]
    for i, fig in enumerate(figs):
        charts.save(fig, tmp_path / f"c{i}.png")
        charts.save(fig, tmp_path / f"c{i}.svg")
        assert (tmp_path / f"c{i}.png").stat().st_size > 1000
        assert (tmp_path / f"c{i}.svg").read_text().lstrip().startswith("<?xml")
    assert figs[0].runload["heights"] == [8.0]
    assert "empty" in figs[2].runload  # not enough history for a ratio: said, not drawn
    assert "heart" in figs[4].runload["empty"] or "TRIMP" in figs[4].runload["empty"]


def test_empty_log_charts_say_so():
    empty_daily = tables.daily(pd.DataFrame())
    empty_weekly = tables.weekly(empty_daily)
    for fig in (charts.weekly_distance(empty_weekly), charts.calendar_heatmap(empty_daily),
                charts.acwr_chart(None), charts.shoe_wear([]), charts.pmc_chart(None, "no runs")):
        assert fig.runload["empty"]
        charts.to_svg(fig)


def test_five_years_thin_tick_labels():
    rng = np.random.default_rng(7)
    start = pd.Timestamp("2019-01-07 06:00", tz="UTC")
    rows = [((start + pd.Timedelta(days=i)).isoformat(), float(rng.uniform(4, 15)))
            for i in range(5 * 365) if rng.random() < 0.6]
    acts, daily, weekly = _weekly(rows)
    assert len(weekly) > 250
    fig = charts.weekly_distance(weekly, "km")
    assert len(fig.axes[0].get_xticks()) <= charts.MAX_TICKS + 1
    assert fig.runload["heights"] == pytest.approx((weekly["distance_m"] / 1000).tolist())
    cal = charts.calendar_heatmap(daily, "km")
    assert len(cal.axes[0].get_xticks()) <= charts.MAX_TICKS + 1
    result = analyze(acts, None, "t", tz="Europe/Berlin", as_of=daily.index[-1].date(), config=Config())
    a = charts.acwr_chart(result.acwr, "ewma")
    charts.to_png_bytes(a)
    assert "EWMA" in a.axes[0].get_title(loc="left")


def test_calendar_shows_rest_days_and_streaks():
    # 9 running days in a row, then rest
    rows = [(f"2024-01-{d:02d}T06:00Z", 5) for d in range(1, 10)]
    _, daily, _ = _weekly(rows)
    daily = tables.daily(activities_frame(rows), "Europe/Berlin", "2024-01-01", "2024-01-14")
    fig = charts.calendar_heatmap(daily, "km", max_consecutive_run_days=6)
    assert fig.runload["rest_days"] == 5
    assert fig.runload["streak_days"] == 9
    grid = fig.runload["grid"]
    assert grid.shape == (7, 2)
    assert grid[0, 0] == pytest.approx(5.0) and grid[6, 1] == 0.0


def test_acwr_chart_names_method_and_shades_band():
    idx = pd.date_range("2024-01-01", periods=60, freq="D")
    frame = pd.DataFrame({"coupled": np.linspace(0.6, 1.6, 60), "ewma": np.linspace(0.7, 1.4, 60)}, index=idx)
    fig = charts.acwr_chart(frame, "coupled", band=(0.8, 1.3), others=["ewma"])
    ax = fig.axes[0]
    assert "coupled" in ax.get_title(loc="left")
    band = [p for p in ax.patches if p.get_gid() == "acwr_band"]
    assert len(band) == 1
    y0 = band[0].get_y()
    assert y0 == pytest.approx(0.8) and y0 + band[0].get_height() == pytest.approx(1.3)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert any("coupled" in t for t in labels) and any("EWMA" in t for t in labels)


@pytest.mark.parametrize("units, marks", [("mi", (300.0, 500.0)), ("km", (482.803, 804.672))])
def test_shoe_chart_has_300_and_500_mile_lines(units, marks):
    shoes = [{"name": "Pegasus 40", "distance_m": 500_000.0, "status": "check", "weeks_to_retire": 7.0},
             {"name": "Old", "distance_m": 810_000.0, "status": "replace"}]
    fig = charts.shoe_wear(shoes, units)
    ax = fig.axes[0]
    lines = sorted(round(ln.get_ydata()[0], 3) for ln in ax.get_lines())
    assert lines == pytest.approx(list(marks), abs=1e-3)
    heights = [p.get_height() for p in ax.patches]
    factor = 1609.344 if units == "mi" else 1000.0
    assert heights == pytest.approx([500_000 / factor, 810_000 / factor])
    texts = " ".join(t.get_text() for t in ax.texts)
    assert "7 wk" in texts and "replacement suggested" in texts


def test_pmc_chart_with_frame():
    idx = pd.date_range("2024-01-01", periods=50, freq="D")
    frame = pd.DataFrame({"ctl": np.linspace(0, 40, 50), "atl": np.linspace(0, 50, 50),
                          "tsb": np.linspace(0, -10, 50)}, index=idx)
    fig = charts.pmc_chart(frame)
    assert len(fig.axes[0].get_lines()) >= 3
    assert fig.runload["columns"] == {"fitness": "ctl", "fatigue": "atl", "form": "tsb"}


def test_save_rejects_other_suffix(tmp_path):
    with pytest.raises(ValueError):
        charts.save(charts.shoe_wear([]), tmp_path / "x.jpg")


def test_days_after_the_newest_activity_are_no_data_not_rest():
    # runs on Mon, Wed and Fri of 2024-W02 (Berlin); the log is looked at on Mon 2024-01-22
    acts = activities_frame([("2024-01-08T06:00Z", 10), ("2024-01-10T06:00Z", 10), ("2024-01-12T06:00Z", 10)])
    daily = tables.daily(acts, "Europe/Berlin", None, pd.Timestamp("2024-01-22").date())
    fig = charts.calendar_heatmap(daily, "km", no_data_after=pd.Timestamp("2024-01-12").date())
    assert fig.runload["no_data_days"] == 10  # Sat 13 .. Mon 22
    assert fig.runload["rest_days"] == 2  # Tue 9 and Thu 11 only
    assert np.isnan(fig.runload["grid"][5, 0])  # Sat 13: no data, not a rest day of 0 km
    assert sum(p.get_gid() == "no_data" for p in fig.axes[0].patches) == 10
    plain = charts.calendar_heatmap(daily, "km")
    assert plain.runload["rest_days"] == 12 and plain.runload["no_data_days"] == 0


def test_no_ratio_is_drawn_over_a_no_data_tail():
    rows = [(f"2024-01-{d:02d}T06:00Z", 8) for d in range(1, 32, 2)] + [("2024-02-01T06:00Z", 8)]
    acts = activities_frame(rows)
    result = analyze(acts, None, "t", tz="Europe/Berlin", as_of="2024-02-20", config=Config())
    fig = charts.acwr_chart(result.acwr, "coupled", no_data_after=pd.Timestamp("2024-02-01").date())
    line = fig.axes[0].get_lines()[0]
    last_x = pd.Timestamp(mdates_num2date(line.get_xdata()[-1]))
    assert last_x.date() <= pd.Timestamp("2024-02-01").date()
    assert any(getattr(p, "get_gid", lambda: None)() == "no_data" for p in fig.axes[0].patches)


def mdates_num2date(x):
    import matplotlib.dates as mdates

    if isinstance(x, (np.datetime64, pd.Timestamp)):
        return pd.Timestamp(x).tz_localize(None)
    return pd.Timestamp(mdates.num2date(x)).tz_localize(None)


def _stock_svg(fig) -> str:
    """The figure as matplotlib's own savefig writes it (it lays the figure out itself)."""
    import io

    buf = io.StringIO()
    with charts._literal_text(fig):
        fig.savefig(buf, format="svg", metadata={"Date": None})
    text = buf.getvalue()
    return text[text.find("<svg"):]


@pytest.mark.parametrize("layout", ["wide", "narrow"])
def test_svg_laid_out_once_is_what_matplotlib_writes(layout):
    """to_svg lays a chart out before saving (one draw, not two) and measures each label once per
    process; the file is byte for byte the one matplotlib's savefig writes, on a second save too
    (which matplotlib lays out from the first one's positions: not always the same bytes)."""
    rng = np.random.default_rng(3)
    start = pd.Timestamp("2024-01-01 06:00", tz="UTC")
    rows = [((start + pd.Timedelta(days=i)).isoformat(), float(rng.uniform(4, 15)))
            for i in range(120) if rng.random() < 0.7]
    acts, daily, weekly = _weekly(rows)
    result = analyze(acts, None, "t", tz="Europe/Berlin", as_of="2024-04-29", config=Config())
    makers = [lambda: charts.weekly_distance(result.weekly, "km", flagged=result.findings, layout=layout),
              lambda: charts.calendar_heatmap(result.daily, "km", layout=layout),
              lambda: charts.acwr_chart(result.acwr, "coupled", others=["ewma"], layout=layout),
              lambda: charts.shoe_wear([{"name": "Pegasus $40$", "distance_m": 5e5, "status": "replace"}], "mi",
                                       layout=layout)]
    for make in makers:
        fig, stock = make(), make()
        assert charts.to_svg(fig) == _stock_svg(stock)
        assert fig.get_layout_engine() is not None  # switched off only while saving
        assert charts.to_svg(fig) == _stock_svg(stock)
