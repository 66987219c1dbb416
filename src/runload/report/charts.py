"""Charts of one athlete's log (matplotlib, Agg backend; no display needed).

Every function takes plain frames (the ones :mod:`runload.tables` and
:func:`runload.analysis.analyze` return) and returns a
:class:`matplotlib.figure.Figure`; :func:`save` writes PNG or SVG by suffix.
Nothing is shown or printed. Colours are the Okabe–Ito palette (colour-blind
safe); flagged elements also carry a hatch so they read in grey print.

Distances are SI inside (metres) and converted only here, with
:func:`runload.units.m_to`. Each figure keeps a few facts about itself in
``fig.runload`` (a dict) so tests and callers need not dig through artists.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import io
import math
import textwrap
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Iterable, Sequence

import matplotlib
import matplotlib.colors as mcolors
import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.layout_engine import PlaceHolderLayoutEngine
from matplotlib.patches import Patch

from runload.report import CHART_KINDS, CHART_LAYOUTS
from runload.report.data import acwr_column  # noqa: F401  (also used by the chart code below)
from runload.units import M_PER_MILE, m_to

#: Okabe & Ito (2008) colour-blind-safe palette.
OKABE_ITO = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
}
COLOR_BAR = OKABE_ITO["blue"]
COLOR_PARTIAL = OKABE_ITO["sky_blue"]
COLOR_FLAG = OKABE_ITO["vermillion"]
COLOR_ALLOWANCE = OKABE_ITO["black"]
COLOR_BAND = OKABE_ITO["bluish_green"]
COLOR_CHECK = OKABE_ITO["orange"]
COLOR_REPLACE = OKABE_ITO["vermillion"]
COLOR_OK = OKABE_ITO["bluish_green"]
COLOR_RETIRED = "#999999"
FLAG_HATCH = "///"

#: Default shoe marks (docs/method.md §3): 300 mi "check wear", 500 mi "replacement suggested".
SHOE_CHECK_M = 482_803.0
SHOE_RETIRE_M = 804_672.0
#: At most this many tick labels on a time axis of a wide chart (5+ years stay readable).
MAX_TICKS = 14


@dataclass(frozen=True)
class Layout:
    """Size and type of a chart for one kind of screen.

    Text sizes are in points of the figure; an SVG shown ``d`` CSS pixels wide
    draws a ``t``-point label ``t · d / (72 · width_in)`` pixels tall. ``wide``
    is meant to be shown 620 px wide or more (9.5 pt → ≥ 9 px); ``narrow`` 300 px
    wide or more, a phone held upright (10 pt → ≥ 9.6 px). The team report
    shows only ``narrow``, 300–560 px wide in its chart grid on every screen and
    two to a row on paper (≥ 9.6 px, at most 18 px; see
    :data:`runload.report.html.TEAM_CHART_MIN_PX`).
    """

    name: str
    width_in: float
    height_in: float
    text_pt: float
    small_pt: float
    max_ticks: int
    legend_below: bool

    def rc(self) -> dict:
        return {"font.size": self.text_pt, "axes.titlesize": self.text_pt + 1, "axes.labelsize": self.text_pt,
                "xtick.labelsize": self.small_pt, "ytick.labelsize": self.small_pt,
                "legend.fontsize": self.small_pt}

    def title_chars(self) -> int:
        """About how many characters of title fit on one line (the y-axis label takes about 50 pt)."""
        return max(20, int((self.width_in * 72 - 50) / ((self.text_pt + 1) * 0.6)))


LAYOUTS = {
    "wide": Layout("wide", 9.0, 3.6, 10.0, 9.5, MAX_TICKS, False),
    "narrow": Layout("narrow", 4.3, 3.9, 10.0, 10.0, 6, True),
}
assert tuple(sorted(LAYOUTS)) == CHART_LAYOUTS
_LAYOUT: contextvars.ContextVar[Layout] = contextvars.ContextVar("runload_chart_layout", default=LAYOUTS["wide"])


def _layout() -> Layout:
    return _LAYOUT.get()


def _laid_out(func):
    """Give a chart function a ``layout`` keyword ("wide" or "narrow") that sets its size and type."""

    @functools.wraps(func)
    def wrapper(*args, layout: str = "wide", **kwargs):
        if layout not in LAYOUTS:
            raise ValueError(f"unknown chart layout {layout!r}; use one of {', '.join(LAYOUTS)}")
        token = _LAYOUT.set(LAYOUTS[layout])
        try:
            with matplotlib.rc_context(LAYOUTS[layout].rc()):
                fig = func(*args, **kwargs)
        finally:
            _LAYOUT.reset(token)
        fig.runload["layout"] = layout  # type: ignore[attr-defined]
        return fig

    return wrapper

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")

__all__ = [
    "weekly_distance",
    "calendar_heatmap",
    "acwr_chart",
    "shoe_wear",
    "pmc_chart",
    "athlete_chart",
    "KINDS",
    "LAYOUTS",
    "save",
    "to_svg",
    "to_png_bytes",
    "OKABE_ITO",
    "SHOE_CHECK_M",
    "SHOE_RETIRE_M",
]


# --------------------------------------------------------------------------- helpers

def _figure(height_ratio: float = 1.0) -> tuple[Figure, Any]:
    lay = _layout()
    fig = Figure(figsize=(lay.width_in, lay.height_in * height_ratio), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)  # the Agg backend, without pyplot and without touching global state
    ax = fig.add_subplot()
    ax.spines[["top", "right"]].set_visible(False)
    fig.runload = {}  # type: ignore[attr-defined]
    return fig, ax


def _empty(fig: Figure, ax, text: str) -> Figure:
    ax.set_axis_off()
    ax.text(0.5, 0.5, textwrap.fill(text, int(_layout().title_chars() * 1.1)), ha="center", va="center",
            fontsize=_layout().text_pt + 1, transform=ax.transAxes)
    fig.runload["empty"] = text  # type: ignore[attr-defined]
    return fig


def _tick_step(n: int, max_ticks: int | None = None) -> int:
    return max(1, math.ceil(n / (max_ticks or _layout().max_ticks)))


def _small() -> float:
    return _layout().small_pt


def _title(ax, text: str) -> None:
    """The chart's title, left-aligned, wrapped to the chart's width ("" for none: the page names it)."""
    if text:
        ax.set_title(textwrap.fill(text, _layout().title_chars()), loc="left")


def _legend(ax, handles=None, ncols: int = 2):
    """Upper left inside a wide chart; under the plot, one column, labels wrapped, on a narrow one."""
    lay = _layout()
    if not lay.legend_below:
        kw = {"handles": handles} if handles is not None else {}
        return ax.legend(**kw, loc="upper left", fontsize=_small(), frameon=False, ncols=ncols)
    if handles is None:
        handles, labels = ax.get_legend_handles_labels()
    else:
        labels = [h.get_label() for h in handles]
    width = int(lay.title_chars() * 1.1)
    labels = [textwrap.fill(str(lab), width) for lab in labels]
    return ax.figure.legend(handles, labels, loc="outside lower left", fontsize=_small(), frameon=False, ncols=1)


def _get(obj: Any, *names: str, default: Any = None) -> Any:
    """The first of ``names`` present on ``obj`` (attribute or mapping key) and not None."""
    for name in names:
        if isinstance(obj, dict):
            value = obj.get(name)
        else:
            value = getattr(obj, name, None)
        if value is not None:
            return value
    return default


def _as_date(value: Any) -> date | None:
    if value is None:
        return None
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    return pd.Timestamp(value).date()


def _monday(value: Any) -> date | None:
    d = _as_date(value)
    return None if d is None else d - pd.Timedelta(days=d.weekday())


def flagged_weeks(findings: Iterable[Any] | None, rules: Sequence[str] = ("weekly_increase",)) -> set[date]:
    """Mondays of the ISO weeks that ``findings`` of the given rules are about."""
    out: set[date] = set()
    for f in findings or ():
        if _get(f, "rule") in rules:
            monday = _monday(_get(f, "date"))
            if monday is not None:
                out.add(monday)
    return out


# --------------------------------------------------------------------------- weekly bars

@_laid_out
def weekly_distance(
    weekly: pd.DataFrame,
    units: str = "km",
    flagged: Iterable[Any] | None = None,
    max_increase_ratio: float = 0.10,
    title: str | None = None,
    note_ratio: float | None = 0.05,
) -> Figure:
    """Weekly running distance as bars.

    Parameters
    ----------
    weekly : DataFrame
        :func:`runload.tables.weekly` output, indexed by ``week_start`` (Monday),
        with ``iso_week``, ``distance_m`` [m] and ``complete``.
    units : {"km", "mi"}
    flagged : iterable, optional
        Week starts (dates) or findings; findings of rule ``weekly_increase``
        mark their week. Flagged bars are vermillion and hatched.
    max_increase_ratio : float
        The allowance drawn on each bar: the baseline × (1 + ratio) as a short
        black line (the "10% rule" convention, docs/method.md §1). The baseline is
        the shared weekly table's ``baseline_m`` (the highest of the previous 4
        complete weeks, where the rule compares), else the previous week.
    note_ratio : float, optional
        Where the 5–10 % guideline band starts: a thin dashed line at baseline × (1 + ratio).

    ``fig.runload`` holds ``heights`` (in ``units``), ``flagged`` (bool per bar),
    ``allowance`` (per bar, NaN where there is no previous week) and ``weeks``.
    """
    fig, ax = _figure()
    if weekly is None or len(weekly) == 0:
        return _empty(fig, ax, "No runs in this period: nothing to chart.")
    flagged = list(flagged or ())
    flag_days = {d for d in (_monday(f) for f in flagged if not hasattr(f, "rule") and not isinstance(f, dict))
                 if d is not None}
    flag_days |= flagged_weeks([f for f in flagged if hasattr(f, "rule") or isinstance(f, dict)])
    mondays = [pd.Timestamp(i).date() for i in weekly.index]
    heights = np.array([m_to(float(v), units) for v in weekly["distance_m"]], dtype=float)
    complete = weekly["complete"].to_numpy(bool) if "complete" in weekly else np.ones(len(weekly), bool)
    is_flag = np.array([m in flag_days for m in mondays], dtype=bool)
    x = np.arange(len(heights))
    colors = [COLOR_FLAG if f else (COLOR_BAR if c else COLOR_PARTIAL) for f, c in zip(is_flag, complete)]
    bars = ax.bar(x, heights, width=0.8, color=colors, edgecolor="white", linewidth=0.5, zorder=2)
    for bar, f, c in zip(bars, is_flag, complete):
        if f:
            bar.set_hatch(FLAG_HATCH)
            bar.set_edgecolor("black")
            bar.set_gid("flagged")
        elif not c:
            bar.set_gid("partial")
    allowance = np.full(len(heights), np.nan)
    if "baseline_m" in weekly:  # the shared weekly table: the baseline the rule compares with, where it does
        base = np.array([m_to(float(v), units) if v == v and v is not None else np.nan
                         for v in pd.to_numeric(weekly["baseline_m"], errors="coerce")], dtype=float)
        base_label = "baseline (highest of the previous 4 complete weeks)"
    else:
        base = np.r_[np.nan, heights[:-1]]
        base_label = "previous week"
    allowance = base * (1.0 + max_increase_ratio)
    has = ~np.isnan(allowance) & (np.nan_to_num(base) > 0)
    if has.any():
        ax.hlines(allowance[has], x[has] - 0.4, x[has] + 0.4, colors=COLOR_ALLOWANCE, linewidth=1.6,
                  zorder=3, label=f"{base_label} +{max_increase_ratio * 100:g}%")
        if note_ratio is not None and note_ratio < max_increase_ratio:  # the 5–10 % guideline band
            ax.hlines(base[has] * (1.0 + note_ratio), x[has] - 0.4, x[has] + 0.4, colors=COLOR_ALLOWANCE,
                      linewidth=0.9, linestyles=(0, (2, 2)), zorder=3, gid="band")
    ax.set_xlim(-0.6, len(heights) - 0.4)
    labels = list(weekly["iso_week"]) if "iso_week" in weekly else [m.isoformat() for m in mondays]
    step = _tick_step(len(labels))
    ax.set_xticks(x[::step], [labels[i] for i in range(0, len(labels), step)],
                  rotation=45 if len(labels) > 4 else 0, ha="right" if len(labels) > 4 else "center",
                  rotation_mode="anchor", fontsize=_small())
    ax.set_ylabel(f"distance [{units}]")
    ax.set_xlabel("ISO week (Monday–Sunday)")
    ax.grid(axis="y", alpha=0.3, zorder=0)
    top = np.nanmax(np.r_[heights, allowance[has]]) if len(heights) else 0
    ax.set_ylim(0, max(1.0, top * (1.12 if _layout().legend_below else 1.3)))  # room for the legend
    handles = [Patch(color=COLOR_BAR, label="complete week")]
    if (~complete).any():
        handles.append(Patch(color=COLOR_PARTIAL, label="week so far / partial"))
    if is_flag.any():
        handles.append(Patch(facecolor=COLOR_FLAG, hatch=FLAG_HATCH, edgecolor="black",
                             label="flagged: above the allowance"))
    if has.any():
        from matplotlib.lines import Line2D

        handles.append(Line2D([], [], color=COLOR_ALLOWANCE, linewidth=1.6,
                              label=f"allowance: {base_label} +{max_increase_ratio * 100:g}%"))
        if note_ratio is not None and note_ratio < max_increase_ratio:
            handles.append(Line2D([], [], color=COLOR_ALLOWANCE, linewidth=0.9, linestyle=(0, (2, 2)),
                                  label=f"+{note_ratio * 100:g}%: the {note_ratio * 100:g}–"
                                        f"{max_increase_ratio * 100:g}% guideline band starts"))
    _legend(ax, handles)
    _title(ax, f"Weekly running distance ({units})" if title is None else title)
    fig.runload.update(heights=heights.tolist(), flagged=is_flag.tolist(), allowance=allowance.tolist(),
                       weeks=labels, units=units)
    return fig


# --------------------------------------------------------------------------- calendar heat map

@_laid_out
def calendar_heatmap(daily: pd.DataFrame, units: str = "km", max_consecutive_run_days: int = 6,
                     title: str | None = None, no_data_after: date | None = None) -> Figure:
    """Daily distance as a calendar: weekdays (rows) × ISO weeks (columns).

    Rest days are light grey; running days shade from light to dark blue by
    distance. Days in a streak longer than ``max_consecutive_run_days`` get a
    vermillion dot. Days outside the log are blank. Days after
    ``no_data_after`` (the newest activity) are *no data*, not rest: white,
    dotted.

    ``fig.runload`` holds ``grid`` (weekday × week, in ``units``, NaN outside
    the log and on no-data days), ``rest_days``, ``streak_days`` and
    ``no_data_days`` (counts).
    """
    fig, ax = _figure(0.8 if not _layout().legend_below else 1.0)
    if daily is None or len(daily) == 0:
        return _empty(fig, ax, "No days in this period: nothing to chart.")
    idx = pd.DatetimeIndex(daily.index)
    first_monday = idx[0] - pd.Timedelta(days=idx[0].weekday())
    n_weeks = int((idx[-1] - first_monday).days // 7) + 1
    grid = np.full((7, n_weeks), np.nan)
    dist = np.array([m_to(float(v), units) for v in daily["distance_m"]])
    col = ((idx - first_monday).days // 7).to_numpy()
    row = np.asarray(idx.day_of_week)
    no_data = np.asarray(idx > pd.Timestamp(no_data_after)) if no_data_after is not None else np.zeros(len(idx), bool)
    if "status" in daily:  # the daily table's own coverage: no-data days and declared gap days are not rest
        status = daily["status"].to_numpy(object)
        no_data |= ((status == "no data") | (status == "gap")) & (np.nan_to_num(dist) == 0)
    grid[row, col] = np.where(no_data, np.nan, dist)
    # streaks of consecutive running days
    running = dist > 0
    streak_len = np.zeros(len(dist), dtype=int)
    run_start = 0
    for i in range(len(dist) + 1):
        if i == len(dist) or not running[i]:
            if i > run_start:
                streak_len[run_start:i] = i - run_start
            run_start = i + 1
    in_long = streak_len > max_consecutive_run_days
    vmax = max(float(np.nanmax(dist)) if len(dist) else 0.0, 1e-9)
    cmap = mcolors.LinearSegmentedColormap.from_list("runload_blue", ["#D6ECF8", OKABE_ITO["sky_blue"],
                                                                        OKABE_ITO["blue"], "#003A5C"])
    cmap = cmap.with_extremes(bad=(0, 0, 0, 0))  # outside the log: transparent, rest days show through
    runs_grid = np.where(grid > 0, grid, np.nan)
    rest_grid = np.where(grid == 0, 1.0, np.nan)
    ax.imshow(rest_grid, aspect="auto", cmap=mcolors.ListedColormap(["#D0D0D0"]), vmin=0, vmax=1,
              interpolation="nearest")
    im = ax.imshow(runs_grid, aspect="auto", cmap=cmap, vmin=0, vmax=vmax, interpolation="nearest")
    if in_long.any():
        ax.scatter(col[in_long], row[in_long], s=max(2, min(18, 900 / n_weeks)), color=COLOR_FLAG, marker="o",
                   zorder=3, label=f"streak > {max_consecutive_run_days} running days")
    from matplotlib.patches import Rectangle

    for c, r in zip(col[no_data], row[no_data]):
        ax.add_patch(Rectangle((c - 0.5, r - 0.5), 1, 1, facecolor="white", edgecolor=COLOR_RETIRED, hatch="..",
                               linewidth=0, zorder=2, gid="no_data"))
    ax.set_yticks(range(7), WEEKDAYS, fontsize=_small())
    step = _tick_step(n_weeks)
    mondays = [first_monday + pd.Timedelta(weeks=i) for i in range(n_weeks)]
    fmt = "%Y-%m-%d" if n_weeks <= 60 else "%Y-%m"
    ax.set_xticks(range(0, n_weeks, step), [mondays[i].strftime(fmt) for i in range(0, n_weeks, step)],
                  rotation=45 if n_weeks > 4 else 0, ha="right" if n_weeks > 4 else "center",
                  rotation_mode="anchor", fontsize=_small())
    ax.set_xlabel("week starting (Monday)")
    for spine in ax.spines.values():
        spine.set_visible(False)
    cbar = fig.colorbar(im, ax=ax, fraction=0.03, pad=0.01)
    cbar.set_label(f"distance [{units}]", fontsize=_small())
    cbar.ax.tick_params(labelsize=_small())
    handles = [Patch(color="#D0D0D0", label="rest day")]
    if no_data.any():
        handles.append(Patch(facecolor="white", edgecolor=COLOR_RETIRED, hatch="..",
                             label="no data (after the newest activity, or a declared gap)"))
    if in_long.any():
        from matplotlib.lines import Line2D

        handles.append(Line2D([], [], marker="o", linestyle="", color=COLOR_FLAG,
                              label=f"streak > {max_consecutive_run_days} days"))
    fig.legend(handles=handles, loc="outside lower left", fontsize=_small(), frameon=False,
               ncols=1 if _layout().legend_below else 2)
    _title(ax, f"Daily running distance ({units}); grey = rest day" if title is None else title)
    fig.runload.update(grid=grid, rest_days=int(((dist == 0) & ~no_data).sum()), streak_days=int(in_long.sum()),
                       no_data_days=int(no_data.sum()), units=units)
    return fig


# --------------------------------------------------------------------------- ACWR

METHOD_LABELS = {
    "coupled": "rolling average, coupled (7 d / 28 d incl. acute)",
    "uncoupled": "rolling average, uncoupled (7 d / previous 21 d)",
    "ewma": "EWMA (λ = 2/(N+1), N = 7 / 28)",
}


@_laid_out
def acwr_chart(
    acwr: pd.DataFrame | None,
    method: str = "coupled",
    band: tuple[float, float] = (0.8, 1.3),
    high_from: float | None = 1.5,
    others: Sequence[str] = (),
    title: str | None = None,
    no_data_after: date | None = None,
) -> Figure:
    """Acute:chronic workload ratio per day, the ``band`` (0.8–1.3) shaded.

    No ratio is drawn after ``no_data_after`` (the newest activity): those
    days have no data, and a ratio falling over them would read as rest.

    ``acwr`` is the analysis's per-day frame (index = date) with one ratio
    column per method. The method is always named in the title and legend
    (docs/method.md §4). ``others`` adds further methods as thin dashed lines.
    """
    fig, ax = _figure()
    label = METHOD_LABELS.get(method, method)
    col = acwr_column(acwr, method) if acwr is not None and len(acwr) else None
    if col is None:
        return _empty(fig, ax, f"Acute:chronic ratio ({label}): not enough history to compute it yet.")
    series = pd.to_numeric(acwr[col], errors="coerce")
    series.index = pd.DatetimeIndex(acwr.index)
    tail_end = series.index[-1] if len(series) else None
    if no_data_after is not None:
        acwr = acwr[pd.DatetimeIndex(acwr.index) <= pd.Timestamp(no_data_after)]
        series = series[series.index <= pd.Timestamp(no_data_after)]
    if series.notna().sum() == 0:
        if no_data_after is not None and tail_end is not None and tail_end > pd.Timestamp(no_data_after):
            return _empty(fig, ax, f"Acute:chronic ratio ({label}): no data in this period; the newest "
                                   f"activity is from {pd.Timestamp(no_data_after).date().isoformat()}.")
        return _empty(fig, ax, f"Acute:chronic ratio ({label}): not enough history to compute it yet "
                               "(it needs a full chronic window).")
    span = ax.axhspan(band[0], band[1], color=COLOR_BAND, alpha=0.18, zorder=0,
                      label=f"{band[0]:g}–{band[1]:g} band (Gabbett 2016)")
    span.set_gid("acwr_band")
    ax.plot(series.index, series.to_numpy(), color=COLOR_BAR, linewidth=1.8, label=f"ACWR, {label}", zorder=3)
    styles = ["--", ":", "-."]
    extra_colors = [OKABE_ITO["reddish_purple"], OKABE_ITO["orange"], OKABE_ITO["black"]]
    for i, other in enumerate(m for m in others if m != method):
        ocol = acwr_column(acwr, other)
        if ocol is None:
            continue
        s = pd.to_numeric(acwr[ocol], errors="coerce")
        ax.plot(pd.DatetimeIndex(acwr.index), s.to_numpy(), linestyle=styles[i % 3], linewidth=1.0,
                color=extra_colors[i % 3], label=f"ACWR, {METHOD_LABELS.get(other, other)}", zorder=2)
    above = series > band[1]
    if above.any():
        ax.scatter(series.index[above], series[above], s=10, color=COLOR_FLAG, zorder=4,
                   label=f"above {band[1]:g}")
    if high_from is not None:
        ax.axhline(high_from, color=COLOR_FLAG, linewidth=0.8, linestyle=":", zorder=1)
    if no_data_after is not None and tail_end is not None and tail_end > pd.Timestamp(no_data_after):
        ax.axvspan(pd.Timestamp(no_data_after) + pd.Timedelta(hours=12), tail_end + pd.Timedelta(hours=12),
                   facecolor="white", edgecolor=COLOR_RETIRED, hatch="..", linewidth=0, zorder=0,
                   label="no data (after the newest activity)", gid="no_data")
    ax.set_ylabel("acute:chronic ratio [–]")
    ax.set_ylim(0, max(2.0, float(np.nanmax(series.to_numpy())) * 1.1))
    ax.grid(axis="y", alpha=0.3)
    _date_axis(ax, series.index if tail_end is None or no_data_after is None
               else series.index.append(pd.DatetimeIndex([tail_end])))
    _legend(ax)
    _title(ax, f"Acute:chronic workload ratio — method: {label}" if title is None else title)
    fig.runload.update(method=method, column=col, band=band)
    return fig


def _date_axis(ax, index: pd.DatetimeIndex) -> None:
    import matplotlib.dates as mdates

    locator = mdates.AutoDateLocator(minticks=3, maxticks=_layout().max_ticks)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    ax.tick_params(axis="x", labelsize=_small())
    if len(index) == 1:
        day = index[0]
        ax.set_xlim(day - pd.Timedelta(days=3), day + pd.Timedelta(days=3))


# --------------------------------------------------------------------------- shoes

@_laid_out
def shoe_wear(
    shoes: Sequence[Any] | None,
    units: str = "km",
    check_m: float = SHOE_CHECK_M,
    retire_m: float = SHOE_RETIRE_M,
    title: str | None = None,
) -> Figure:
    """Distance per shoe as bars, with the check (300 mi) and replace (500 mi) marks.

    ``shoes`` is the analysis's ``shoe_status`` list (objects or dicts with
    ``name``, ``distance_m``, ``status`` and optionally a forecast of weeks to
    the replace mark). The forecast is written above each bar.

    ``fig.runload`` holds ``heights`` (in ``units``), ``names`` and ``marks``.
    """
    fig, ax = _figure()
    shoes = list(shoes or ())
    if not shoes:
        return _empty(fig, ax, "No shoes recorded: add one with 'runload shoes add' to track wear.")
    names = [str(_get(s, "name", default="?")) for s in shoes]
    heights = np.array([m_to(float(_get(s, "distance_m", "total_m", default=0.0)), units) for s in shoes])
    statuses = [str(_get(s, "status", default="ok")) for s in shoes]
    color_for = {"ok": COLOR_OK, "check": COLOR_CHECK, "replace": COLOR_REPLACE, "retired": COLOR_RETIRED}
    hatch_for = {"replace": FLAG_HATCH, "check": "..", "retired": ""}
    x = np.arange(len(shoes))
    bars = ax.bar(x, heights, width=0.6, color=[color_for.get(s, COLOR_BAR) for s in statuses], zorder=2,
                  edgecolor="black", linewidth=0.5)
    for bar, st in zip(bars, statuses):
        bar.set_hatch(hatch_for.get(st, ""))
        bar.set_gid(f"shoe_{st}")
    check_u, retire_u = m_to(check_m, units), m_to(retire_m, units)
    mi = lambda m: m / M_PER_MILE  # noqa: E731
    ax.axhline(check_u, color=COLOR_CHECK, linestyle="--", linewidth=1.2, zorder=3,
               label=f"check wear: {check_u:.0f} {units}" + (f" ({mi(check_m):.0f} mi)" if units != "mi" else ""))
    ax.axhline(retire_u, color=COLOR_REPLACE, linestyle="-", linewidth=1.2, zorder=3,
               label=f"replacement suggested: {retire_u:.0f} {units}"
               + (f" ({mi(retire_m):.0f} mi)" if units != "mi" else ""))
    for xi, s, h in zip(x, shoes, heights):
        text = _forecast_text(s, statuses[xi])
        if text:
            ax.annotate(text, (xi, h), xytext=(0, 3), textcoords="offset points", ha="center", va="bottom",
                        fontsize=_small())
    wrapped = [n if len(n) <= 18 else n[:17] + "…" for n in names]
    tilt = len(names) > (4 if not _layout().legend_below else 2)
    ax.set_xticks(x, wrapped, rotation=30 if tilt else 0, ha="right" if tilt else "center",
                  rotation_mode="anchor", fontsize=_small())
    pad = max(0, 3 - len(shoes)) * 0.6  # one or two shoes: keep the bars narrow
    ax.set_xlim(-0.7 - pad, len(shoes) - 0.3 + pad)
    ax.set_ylim(0, max(retire_u, float(heights.max()) if len(heights) else 0) * 1.18)
    ax.set_ylabel(f"distance [{units}]")
    ax.grid(axis="y", alpha=0.3, zorder=0)
    _legend(ax, ncols=1)
    _title(ax, f"Shoe wear ({units}); a maintenance reminder, not an injury threshold" if title is None else title)
    fig.runload.update(heights=heights.tolist(), names=names, marks=(check_u, retire_u), units=units)
    return fig


def shoe_forecast_weeks(shoe: Any) -> float | None:
    """Weeks until the replace mark at the current rate, when the analysis gives it."""
    value = _get(shoe, "forecast_weeks", "weeks_to_retire", "weeks_to_replace", "forecast_weeks_to_retire",
                 "forecast")
    if isinstance(value, dict):
        value = _get(value, "weeks", "weeks_to_retire", "weeks_to_replace")
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def _forecast_text(shoe: Any, status: str) -> str:
    if status == "retired":
        return "retired"
    if status == "replace":
        return "replacement suggested"
    weeks = shoe_forecast_weeks(shoe)
    if weeks is None:
        return ""
    return f"~{weeks:.0f} wk to replace mark" if weeks >= 1 else "< 1 wk to replace mark"


# --------------------------------------------------------------------------- PMC

def pmc_columns(frame: pd.DataFrame) -> dict[str, str]:
    """``{"fitness": col, "fatigue": col, "form": col}`` for the columns present."""
    out = {}
    options = {
        "fitness": ("fitness", "ctl", "CTL"),
        "fatigue": ("fatigue", "atl", "ATL"),
        "form": ("form", "tsb", "TSB"),
    }
    for key, names in options.items():
        for n in names:
            if n in frame.columns:
                out[key] = n
                break
    return out


@_laid_out
def pmc_chart(pmc: pd.DataFrame | None, reason: str | None = None, title: str | None = None) -> Figure:
    """Fitness (CTL), fatigue (ATL) and form (TSB) from heart-rate TRIMP.

    Without a frame (no heart-rate data, or no resting/maximum heart rate
    configured), the figure says why instead. Display only: no thresholds.
    """
    fig, ax = _figure()
    if pmc is None or len(pmc) == 0 or not pmc_columns(pmc):
        why = reason or "no heart-rate data"
        return _empty(fig, ax, f"Fitness / fatigue / form not shown: {why}.")
    cols = pmc_columns(pmc)
    idx = pd.DatetimeIndex(pmc.index)
    colors = {"fitness": OKABE_ITO["blue"], "fatigue": OKABE_ITO["reddish_purple"], "form": OKABE_ITO["orange"]}
    labels = {"fitness": "fitness (CTL, 42 d)", "fatigue": "fatigue (ATL, 7 d)", "form": "form (TSB = CTL − ATL)"}
    for key, col in cols.items():
        ax.plot(idx, pd.to_numeric(pmc[col], errors="coerce").to_numpy(), color=colors[key],
                linestyle="--" if key == "form" else "-", linewidth=1.6, label=labels[key])
    ax.axhline(0, color="black", linewidth=0.6)
    load_unit = str(pmc.attrs.get("load_unit", reason or ""))
    if "distance" in load_unit:
        ax.set_ylabel("daily load [km] (distance fallback)")
    else:
        ax.set_ylabel("daily load [TRIMP, a.u.]")
    if load_unit:
        fig.supxlabel(textwrap.fill(load_unit if len(load_unit) < 120 else load_unit[:117] + "…",
                                    int(_layout().title_chars() * 1.2)), fontsize=_small())
    ax.grid(axis="y", alpha=0.3)
    _date_axis(ax, idx)
    _legend(ax, ncols=3)
    _title(ax, "Fitness, fatigue and form (Banister model; display only, no risk flags)" if title is None else title)
    fig.runload.update(columns=cols)
    return fig


# --------------------------------------------------------------------------- one athlete

#: The kinds of chart ``runload chart`` draws, in the order the report shows them.
KINDS = CHART_KINDS


def athlete_chart(kind: str, data: Any, units: str = "km", weeks: int = 12, layout: str = "wide",
                  title: str | None = None) -> Figure:
    """One chart of an athlete's log (a :class:`runload.report.data.AthleteData`) over the last
    ``weeks`` ISO weeks up to its as-of date, as the report draws it.

    ``title`` None keeps each chart's own title; "" draws none (the report's
    headings name the charts).
    """
    from datetime import timedelta

    if kind not in KINDS:
        raise ValueError(f"unknown chart {kind!r}; use one of {', '.join(KINDS)}")
    cfg = data.config
    start = pd.Timestamp(data.as_of - timedelta(days=data.as_of.weekday()) - timedelta(weeks=weeks - 1))

    def since(frame):
        return frame[frame.index >= start] if frame is not None and len(frame) else frame

    newest = data.data_end
    no_data_after = newest if newest is not None and newest < data.as_of else None

    if kind == "weekly":
        from runload.findings import findings_overlapping

        findings = findings_overlapping(data.findings, start.date(), data.as_of)
        return weekly_distance(since(data.weekly), units, flagged=findings,
                               max_increase_ratio=getattr(cfg, "max_weekly_increase_ratio", 0.10),
                               note_ratio=getattr(cfg, "weekly_increase_note_ratio", 0.05), title=title,
                               layout=layout)
    if kind == "calendar":
        return calendar_heatmap(since(data.daily), units, getattr(cfg, "max_consecutive_run_days", 6),
                                title=title, no_data_after=no_data_after, layout=layout)
    if kind == "acwr":
        band = (getattr(cfg, "acwr_low_below", 0.8), getattr(cfg, "acwr_elevated_above", 1.3))
        return acwr_chart(since(data.acwr), data.acwr_method, band=band,
                          high_from=getattr(cfg, "acwr_high_from", 1.5), title=title,
                          no_data_after=no_data_after, layout=layout)
    if kind == "shoes":
        return shoe_wear(data.shoe_status, units, getattr(cfg, "shoe_check_distance_m", SHOE_CHECK_M),
                         getattr(cfg, "shoe_retire_distance_m", SHOE_RETIRE_M), title=title, layout=layout)
    return pmc_chart(since(getattr(data.analysis, "pmc", None)), getattr(data.analysis, "pmc_note", None),
                     title=title, layout=layout)


# --------------------------------------------------------------------------- output

def _literal_text(fig: Figure):
    """Show every text of ``fig`` as written: a ``$`` in a shoe or athlete name is not math text
    (``$\\undefinedmacro$`` would stop the drawing). Use as ``with _literal_text(fig): fig.savefig(...)``."""
    import matplotlib
    from matplotlib.text import Text

    for text in fig.findobj(Text):
        text.set_parse_math(False)
    # texts made while drawing (tick labels) too; SVG text stays text (smaller, its size readable)
    # a fixed hash salt: the same report twice is the same file (matplotlib's SVG ids are otherwise random)
    return matplotlib.rc_context({"text.parse_math": False, "svg.fonttype": "none", "svg.hashsalt": "runload"})


@contextlib.contextmanager
def _laid_out_once(fig: Figure, fmt: str, dpi: float):
    """Run the figure's layout engine now and switch it off while saving, so that savefig draws once.

    With a layout engine, ``savefig`` draws the whole figure twice: once with drawing switched off,
    only to lay it out, then for real. Laying it out here the way savefig does (text measured by the
    output's renderer: SVG at 72 dpi, PNG at ``dpi``) gives the same bytes with one draw fewer:
    one athlete's report section took 634 ms of CPU, 517 ms this way (best of 3, 10 athletes of the
    100 × 5 years benchmark store). The engine is back afterwards: a later save lays out anew.
    """
    engine = fig.get_layout_engine()
    if engine is None or isinstance(engine, PlaceHolderLayoutEngine):
        yield
        return
    canvas, kept_dpi = fig.canvas, fig.dpi
    try:
        if fmt == "svg":
            _svg_canvas()(fig)  # the renderer savefig measures text with for SVG (it sets 72 dpi)
        fig.dpi = 72 if fmt == "svg" else dpi
        engine.execute(fig)
    finally:
        fig.dpi = kept_dpi
        fig.set_canvas(canvas)
    with matplotlib.rc_context({"figure.autolayout": False, "figure.constrained_layout.use": False}):
        fig.set_layout_engine(None)  # no engine at all ("none" keeps a placeholder, and savefig its extra draw)
    try:
        yield
    finally:
        fig.set_layout_engine(engine)


@functools.lru_cache(maxsize=4096)
def _svg_text_extent(text: str, prop, ismath) -> tuple[float, float, float]:
    """(width, height, descent) in points of ``text`` in font ``prop`` as the SVG renderer measures it.

    matplotlib keeps such measures per renderer, and every layout and every save makes a new one;
    the same few hundred labels (weekdays, ISO weeks, tick numbers, legend entries) recur in every
    chart of a team report. Measuring each once per process: one athlete's report section took
    517 ms of CPU, 455 ms this way (best of 3, 10 athletes of the 100 × 5 years benchmark store)."""
    from matplotlib.textpath import text_to_path

    return text_to_path.get_text_width_height_descent(text, prop, ismath)


@functools.cache
def _svg_canvas():
    """matplotlib's SVG canvas, its renderer measuring text through :func:`_svg_text_extent`."""
    import codecs

    from matplotlib import cbook
    from matplotlib.backends.backend_mixed import MixedModeRenderer
    from matplotlib.backends.backend_svg import FigureCanvasSVG, RendererSVG

    class Renderer(RendererSVG):
        def get_text_width_height_descent(self, s, prop, ismath):
            return _svg_text_extent(s, prop.copy(), ismath)  # a copy: the cache's key must not change

    class Canvas(FigureCanvasSVG):
        def print_svg(self, filename, *, bbox_inches_restore=None, metadata=None, **_raster_only):
            # FigureCanvasSVG.print_svg (matplotlib 3.11), with the renderer above; savefig passes
            # dpi, facecolor, edgecolor and orientation to every canvas not its own: SVG ignores them
            with cbook.open_file_cm(filename, "w", encoding="utf-8") as fh:
                if not cbook.file_requires_unicode(fh):
                    fh = codecs.getwriter("utf-8")(fh)
                dpi = self.figure.dpi
                self.figure.dpi = 72
                width, height = self.figure.get_size_inches()
                renderer = MixedModeRenderer(self.figure, width, height, dpi,
                                             Renderer(width * 72, height * 72, fh, image_dpi=dpi, metadata=metadata),
                                             bbox_inches_restore=bbox_inches_restore)
                self.figure.draw(renderer)
                renderer.finalize()

    return Canvas


def save(fig: Figure, path: str | Path) -> Path:
    """Write ``fig`` to ``path``: PNG or SVG, chosen by the suffix."""
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix not in (".png", ".svg"):
        raise ValueError(f"cannot save a chart as {suffix or 'a file without suffix'}; use .png or .svg")
    with _literal_text(fig), _laid_out_once(fig, suffix[1:], 120):
        fig.savefig(p, format=suffix[1:], dpi=120 if suffix == ".png" else None,
                    metadata={"Date": None} if suffix == ".svg" else None)
    return p


def to_svg(fig: Figure) -> str:
    """The figure as SVG text (no XML prolog, no external references).

    Text stays text (``svg.fonttype = none``, a sans-serif font list): the file
    is smaller than with glyph outlines and a label's size can be read back.
    """
    buf = io.StringIO()
    canvas = fig.canvas
    with _literal_text(fig), _laid_out_once(fig, "svg", 72):
        _svg_canvas()(fig)
        try:
            fig.savefig(buf, format="svg", metadata={"Date": None})
        finally:
            fig.set_canvas(canvas)
    text = buf.getvalue()
    start = text.find("<svg")
    return text[start:] if start >= 0 else text


def to_png_bytes(fig: Figure, dpi: int = 110) -> bytes:
    buf = io.BytesIO()
    with _literal_text(fig), _laid_out_once(fig, "png", dpi):
        fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()
