"""The self-contained HTML report (``runload report``): one file, no external resources.

* Charts are embedded as ``data:image/svg+xml;base64`` images (the strict
  Content-Security-Policy allows ``img-src data:`` and nothing else; an SVG
  loaded as an image never runs scripts).
* Every text that comes from a file or a user (athlete, activity, shoe names,
  notes, file paths, skip reasons) goes through :func:`html.escape`.
* With several athletes the page starts with the coach's team overview, all
  athletes judged on one team date: one row per athlete, most severe first,
  with the reasons in words and numbers, shoes due and how old the newest
  data is (the order of :func:`runload.report.data.team_rows`); the athletes' sections
  follow in the same order.
* One page for a phone, a laptop and paper. A single athlete's report draws
  each chart twice: a narrow layout (screens below 720 px, chosen by
  ``<picture>``) and a wide one (larger screens and print). The team report
  (several athletes) draws each chart once, in the narrow layout (a plain
  ``<img>``), and sets an athlete's chart blocks in a grid: one column on a
  phone, as many 300–560 px columns as fit on a larger screen, two per row on
  paper. Labels are at least 9 px as shown in every case (see
  :data:`TEAM_CHART_MIN_PX`). Wide tables turn into labelled cards on a phone
  or scroll inside their own box; a print stylesheet keeps headings with what
  follows, keeps each chart block on one page and starts each athlete on a new
  page. The disclaimer is said once, in the header.
* Each block carries ``data-part`` (header, triage, facts, findings,
  weekly-table, chart-*, ...) so the browser test can check the reading order.
"""

from __future__ import annotations

import functools

import base64
import html
import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Sequence

import pandas as pd

from runload import __version__
from runload.report import charts
from runload.report.data import (
    AthleteData,
    TeamRow,
    acwr_method_label,
    findings_overlapping,
    get,
    severity_counts,
    severity_of,
    strip_disclaimer,
    team_row,
)
from runload.report.text import finding_numbers
from runload.units import fmt_distance, fmt_duration, m_to

#: The narrowest and widest a team chart is shown (CSS px; the ``.charts`` grid's cells, ``img.chart``'s
#: max-width). The narrow layout is 4.3 in (309.6 pt) wide with no text under 10 pt, so shown ``d`` px wide
#: its smallest label is ``10 · d / 309.6`` px: 9.7 px at 300 px, 9.6 px on a 320 px phone (296 px of
#: content), 11.1 px two to an A4 row (343 px), 18 px at 560 px. Below 279 px it would drop under 9 px;
#: above 560 px it would outgrow the page's own 16 px text.
TEAM_CHART_MIN_PX = 300
TEAM_CHART_MAX_PX = 560

CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"

CSS = """
*,*::before,*::after{box-sizing:border-box}
html{-webkit-text-size-adjust:100%;text-size-adjust:100%}
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0 auto;max-width:1180px;
padding:1rem 1.5rem;color:#1a1a1a;line-height:1.45;overflow-wrap:break-word}
h1{font-size:1.6rem;margin:.2rem 0}h2{font-size:1.3rem;margin-top:2.4rem;border-bottom:2px solid #0072B2}
h3{font-size:1.05rem;margin:1.6rem 0 .4rem}h4{font-size:.95rem;margin:1rem 0 .3rem}
p{margin:.4rem 0}
.tablewrap{overflow-x:auto;max-width:100%;margin:.5rem 0 1rem}
table{border-collapse:collapse;font-size:.88rem}
th,td{border-bottom:1px solid #ddd;padding:.25rem .55rem;text-align:left;vertical-align:top}
th{background:#f2f2f2}td.num,th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.sev{display:inline-block;padding:0 .4rem;border-radius:3px;font-weight:600;font-size:.8rem;white-space:nowrap}
.sev-alert{background:#D55E00;color:#fff}.sev-warning{background:#E69F00;color:#000}
.sev-info{background:#56B4E9;color:#000}.sev-none{background:#e8e8e8;color:#000}
.status-replace{color:#B34700;font-weight:600}.status-check{color:#8a5a00;font-weight:600}
.note{color:#555;font-size:.88rem}
.disclaimer{background:#f6f6f6;border-left:4px solid #0072B2;padding:.5rem .8rem;margin:1rem 0}
picture{display:block}
img.chart{display:block;width:100%;max-width:1000px;height:auto;margin:.2rem 0 1rem}
.facts{display:grid;grid-template-columns:repeat(auto-fill,minmax(10.5rem,1fr));gap:.6rem 1.4rem;margin:.6rem 0}
.facts b{display:block;font-size:1.15rem}
a{color:#0072B2}.top{font-size:.8rem;float:right;font-weight:normal}
.d{white-space:nowrap}.path{font-family:ui-monospace,monospace;font-size:.92em;overflow-wrap:anywhere}
td .note{font-size:.92em}
ol.findings{list-style:none;padding:0;margin:.4rem 0 1rem}
.finding{border-left:4px solid #56B4E9;padding:.35rem .7rem;margin:0 0 .7rem;background:#fafafa}
.finding.f-alert{border-color:#D55E00}.finding.f-warning{border-color:#E69F00}
.finding .fhead{display:flex;flex-wrap:wrap;gap:.2rem .7rem;align-items:baseline}
.finding .rule{font-weight:600}.finding .nums{font-variant-numeric:tabular-nums}
.finding .msg{margin:.3rem 0;max-width:48rem}
.finding .how{color:#555;font-size:.82rem;margin:.2rem 0;max-width:48rem}
table.triage{width:100%}table.triage td:nth-child(3){min-width:15rem}
table.triage ul{margin:0;padding-left:1.1rem}table.triage li{margin:.1rem 0}
.stale{color:#B34700;font-weight:600}
.chartblock{margin:0}
.charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(min(100%,""" f"{TEAM_CHART_MIN_PX}px" """),1fr));gap:0 1.2rem;
align-items:start}
.charts>.tablewrap{grid-column:1/-1}
@media print,screen and (min-width:720px){.charts>.tablewrap{grid-column:auto/span 2}}
.charts img.chart{max-width:""" f"{TEAM_CHART_MAX_PX}px" """}
@media screen and (max-width:719px){
body{padding:.75rem}
h1{font-size:1.35rem}h2{font-size:1.2rem}
img.chart{max-width:560px}
table.cards,table.cards tbody,table.cards tr,table.cards td{display:block;width:100%}
table.cards thead{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}
table.cards tr{border:1px solid #ddd;border-radius:4px;margin:0 0 .8rem;padding:.3rem 0}
table.cards td{display:flow-root;border:0;padding:.15rem .5rem .15rem 7.6rem;text-align:left}
table.cards td::before{content:attr(data-label);float:left;width:6.8rem;margin-left:-7.1rem;color:#555;
font-size:.8rem;padding-top:.1rem}
table.cards td:first-child{padding-left:.5rem;font-weight:600;font-size:1rem}
table.cards td:first-child::before{content:none}
table.cards td.num{white-space:normal}
table.weekly th:first-child,table.weekly td:first-child{position:sticky;left:0;background:#fff}
table.weekly th:first-child{background:#f2f2f2}
}
@media print{
@page{margin:14mm 12mm}
body{max-width:none;padding:0;font-size:9.5pt;line-height:1.35}
a{color:inherit;text-decoration:none}.top{display:none}
h1,h2,h3,h4{break-after:avoid;page-break-after:avoid}
h2{margin-top:0}
section.athlete{break-before:page;page-break-before:always}
main>section.athlete:first-child{break-before:auto;page-break-before:auto}
.chartblock,.finding,tr,.facts,.disclaimer{break-inside:avoid;page-break-inside:avoid}
thead{display:table-header-group}
.tablewrap{overflow:visible}
table{font-size:8.5pt;width:100%}table.triage td:nth-child(3){min-width:11rem}
img.chart{max-width:100%}
.charts{grid-template-columns:repeat(2,minmax(0,1fr))}
.sev,.finding{-webkit-print-color-adjust:exact;print-color-adjust:exact}
}
"""

__all__ = ["render_report", "render_page", "athlete_part", "AthletePart", "CSP", "athlete_anchor"]


def e(value: Any) -> str:
    """Escape any value for HTML text or attribute; None shows as an en dash."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return "–"
    return html.escape(str(value), quote=True)


def athlete_anchor(index: int, name: str) -> str:
    """A unique, safe id for an athlete's section (``a1-alex``)."""
    slug = re.sub(r"[^A-Za-z0-9_-]+", "-", name).strip("-")[:40] or "athlete"
    return f"a{index}-{slug}"


def _data_uri(fig) -> str:
    svg = charts.to_svg(fig).encode("utf-8")
    return "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii")


#: Below this viewport width (CSS px) a screen gets the narrow chart; print and wider screens the wide one.
NARROW_BELOW_PX = 720


def _chart(make, alt: str, team: bool = False) -> str:
    """A chart as SVG data URIs (the only images the Content-Security-Policy allows; SVG images never
    run scripts); ``make(layout)`` builds the figure.

    One athlete: a ``<picture>``, the narrow layout for phones and the wide one for larger screens
    and paper. A team: one ``<img>`` in the narrow layout, which the ``.charts`` grid shows 300–560 px
    wide on every screen and on paper. Drawing once halves the team report's time (a drawing is
    40–50 ms whatever its size; 100 athletes × 5 years, measured in one run: 52.9 -> 27.9 s on one
    core, 23.5 -> 12.9 s with two) and cuts its page by a third (87.7 -> 58.3 MB: a narrow SVG holds
    70–100 % of the wide one's bytes, the dotted shoe bars about 100 kB in either).
    """
    narrow = _data_uri(make("narrow"))
    if team:
        return f'<img class="chart" alt="{e(alt)}" src="{narrow}">'
    wide = _data_uri(make("wide"))
    return (f'<picture><source media="screen and (max-width: {NARROW_BELOW_PX - 1}px)" srcset="{narrow}">'
            f'<img class="chart" alt="{e(alt)}" src="{wide}"></picture>')


def _chart_block(part: str, heading: str, body: str) -> str:
    """A heading and its chart (and note), kept together on one printed page."""
    return f'<div class="chartblock" data-part="{e(part)}"><h3>{heading}</h3>{body}</div>'


def _sev_badge(sev: str) -> str:
    return f'<span class="sev sev-{e(sev)}">{e(sev)}</span>'


#: Columns of dates, never broken across lines.
_DATE_HEADERS = frozenset({"date", "from", "to", "week", "first use", "last use", "start (UTC)"})


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]], num_cols: Sequence[int] = (),
           cls: str = "", part: str | None = None) -> str:
    """An HTML table in a box that scrolls sideways by itself when the screen is too narrow
    (the page never does); cells are already-escaped HTML.

    With ``cls="cards"`` a narrow screen shows each row as a card, every cell
    labelled with its column's header.
    """
    classes = ["num" if i in num_cols else "d" if h in _DATE_HEADERS else "" for i, h in enumerate(headers)]
    attr = [f' class="{c}"' if c else "" for c in classes]
    head = "".join(f"<th{attr[i]}>{e(h)}</th>" for i, h in enumerate(headers))
    body = "".join(
        "<tr>" + "".join(f'<td{attr[i]} data-label="{e(headers[i])}">{c}</td>' for i, c in enumerate(r)) + "</tr>"
        for r in rows
    )
    attrs = (f' class="{e(cls)}"' if cls else "")
    wrap = f' data-part="{e(part)}"' if part else ""
    return f'<div class="tablewrap"{wrap}><table{attrs}><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>'


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{x * 100:+.0f}%"


# --------------------------------------------------------------------------- team overview

def _reason_items(row: TeamRow, limit: int = 6) -> str:
    items = [f'<li>{_sev_badge(r.severity.value)} {e(r.text)}</li>' for r in row.reasons]
    if len(items) > limit:
        more = len(items) - (limit - 1)
        items = items[: limit - 1] + [f'<li><a href="#{athlete_anchor(row.index, row.name)}-findings">'
                                      f"{more} more</a></li>"]
    items += [f'<li><span class="status-{e(r.text.rsplit(": ", 1)[-1])}">{e(r.text)}</span></li>'
              for r in row.shoes]
    if not items:
        return "<span class=note>nothing in the last 4 weeks</span>"
    return "<ul>" + "".join(items) + "</ul>"


def team_row_cells(row: TeamRow, units: str) -> list[str]:
    data = row.data
    last, this = row.last_week, row.this_week
    value, status, _ = data.latest_acwr()
    acwr_text = "–" if value is None else f"{value:.2f}"
    if status and status != "ok":
        acwr_text += f" ({status})"
    trend = " → ".join(f"{m_to(t, units):.0f}" for t in row.trend_m)
    sev = row.severity.value if row.severity is not None else "none"
    counts = ", ".join(f"{n} {k}" for k, n in row.counts.items() if n)
    stale = row.newest is None or (row.no_data_days or 0) >= 7
    coverage = f'<span class="{"stale" if stale else "ok"}">{e(row.coverage)}</span>'
    change = "" if last.change_ratio is None else f" ({_pct(last.change_ratio)})"
    return [
        f'<a href="#{athlete_anchor(row.index, row.name)}">{e(row.name)}</a>',
        (_sev_badge(sev) if row.severity is not None else '<span class="sev sev-none">no flags</span>')
        + (f"<br><span class=note>{e(counts)}</span>" if counts else ""),
        _reason_items(row),
        e(f"{fmt_distance(last.distance_m, units)}{change}") + f"<br><span class=note>{e(last.iso_week)}</span>",
        e(fmt_distance(this.distance_m, units)),
        e(trend),
        f"{e(acwr_text)}<br><span class=note>{e(acwr_method_label(data.config))}</span>",
        coverage,
    ]


def team_overview(rows: Sequence[TeamRow], units: str, day: date) -> str:
    return _team_overview([team_row_cells(r, units) for r in rows], units, day)


def _team_overview(body: Sequence[Sequence[str]], units: str, day: date) -> str:
    headers = ["athlete", "status", "reasons (last 4 weeks)", "last week", "this week so far",
               f"4 weeks before [{units}]", "acute:chronic", "data"]
    return (
        '<section id="team" data-part="triage"><h2>Team overview</h2>'
        f"<p class=note>Every athlete is judged on the team date, {e(day.isoformat())}, most severe first. "
        "Reasons are the findings whose period overlaps the 4 weeks up to that date, and shoes due for a "
        "check or a replacement; \"last week\" is the last complete ISO week (Monday–Sunday) before it; "
        "\"data\" says when each athlete's newest activity is older than the team date.</p>"
        + _table(headers, body, num_cols=(), cls="cards triage") + "</section>"
    )


# --------------------------------------------------------------------------- athlete section

#: Rule ids as words (the id stays visible too: it is what ``--only`` and the config use).
RULE_WORDS = {
    "weekly_increase": "weekly increase",
    "run_spike": "long-run spike",
    "run_streak": "running streak",
    "week_without_rest": "week without rest",
    "monotony": "monotony",
    "acwr": "acute:chronic ratio",
    "shoe_wear": "shoe wear",
}


def _findings_list(findings: Sequence[Any], units: str, as_of: date) -> str:
    """Findings as cards, most severe first, then newest: the numbers on the first line,
    the message below, window, method and source last (the disclaimer is said once per page)."""
    if not findings:
        return "<p>No risk flags in this period.</p>"
    order = sorted(findings, key=lambda f: (-severity_of(f).rank, -pd.Timestamp(get(f, "date")).value))
    items = []
    for f in order:
        sev = severity_of(f).value
        rule = str(get(f, "rule", default=""))
        how = "; ".join(part for part in (
            f"window: {get(f, 'window')}" if get(f, "window") else "",
            f"method: {get(f, 'method')}" if get(f, "method") else "",
            f"source: {get(f, 'source')}" if get(f, "source") else "",
        ) if part)
        items.append(
            f'<li class="finding f-{e(sev)}"><div class="fhead">{_sev_badge(sev)}'
            f'<span class="rule">{e(RULE_WORDS.get(rule, rule.replace("_", " ")))}</span>'
            f'<span class="d">{e(get(f, "period"))}</span>'
            f'<span class="nums">{e(finding_numbers(f, units))}</span>'
            f'<code class="note">{e(rule)}</code></div>'
            f'<p class="msg">{e(strip_disclaimer(str(get(f, "message", default=""))))}</p>'
            + (f'<p class="how">{e(how)}</p>' if how else "") + "</li>")
    return '<ol class="findings">' + "".join(items) + "</ol>"


def _weekly_table(weekly: pd.DataFrame, units: str) -> str:
    """The shared weekly table (:func:`runload.service.weekly_table`): its change only where the
    10 % rule compares, rest days only on recorded days, the week's status in words."""
    if weekly is None or weekly.empty:
        return "<p>No runs in this period.</p>"
    rows = []
    for monday, w in weekly.iterrows():
        change = w.get("change_ratio")
        change = None if change is None or pd.isna(change) else float(change)
        rest = w["rest_days"]
        rows.append([
            e(w["iso_week"]), e(pd.Timestamp(monday).date().isoformat()), e(f"{m_to(w['distance_m'], units):.1f}"),
            e(_pct(change)) + (" <span class=note>(5–10%)</span>" if bool(w.get("in_band", False)) else ""),
            e(int(w["runs"])), e("–" if pd.isna(rest) else int(rest)),
            e(f"{m_to(w['longest_run_m'], units):.1f}"), e(fmt_duration(w["moving_s"])),
            e(w.get("status", "complete" if w["complete"] else "so far")),
        ])
    return _table(["week", "from", units, "change", "runs", "rest days", f"longest [{units}]", "time", "status"],
                  rows, num_cols=(2, 3, 4, 5, 6, 7), cls="weekly", part="weekly-table")


def _shoe_table(shoes: Sequence[Any], units: str) -> str:
    if not shoes:
        return "<p>No shoes recorded. Add one with <code>runload shoes add</code> to track wear.</p>"
    rows = []
    for s in shoes:
        status = str(get(s, "status", default=""))
        forecast = get(s, "forecast")
        weeks = get(s, "weeks_to_retire")
        if forecast is None and weeks is not None:
            forecast = f"about {float(weeks):.0f} weeks to the replace mark"
        rows.append([
            e(get(s, "name")), e(fmt_distance(float(get(s, "distance_m", default=0.0)), units)), e(get(s, "runs")),
            e(get(s, "first_use")), e(get(s, "last_use")),
            f'<span class="status-{e(status)}">{e(status)}</span>', e(forecast or "–"),
        ])
    return _table(["shoe", "distance", "runs", "first use", "last use", "status", "forecast"], rows,
                  num_cols=(1, 2), cls="cards", part="shoes-table")


def _recent_runs(data: AthleteData, units: str, days: int = 14) -> str:
    acts = data.activities
    if acts is None or acts.empty:
        return "<p>No activities.</p>"
    from runload import tables

    local = tables.local_dates(acts, data.tz)
    keep = (local >= pd.Timestamp(data.as_of - timedelta(days=days - 1))).to_numpy()
    recent = acts[keep]
    if recent.empty:
        return f"<p>No activities in the last {days} days.</p>"
    rows = []
    for (_, a), day in zip(recent.iterrows(), local[keep]):
        sport = str(a.get("sport")) + (f"/{a.get('sub_sport')}" if isinstance(a.get("sub_sport"), str) else "")
        dist = a.get("distance_m")
        rows.append([
            e(pd.Timestamp(day).date().isoformat()), e(a.get("name")), e(sport),
            e("–" if pd.isna(dist) else f"{m_to(float(dist), units):.2f}"),
            e("–" if pd.isna(a.get("moving_s")) else fmt_duration(a.get("moving_s"))),
            e(a.get("shoe")), f'<span class=path>{e(a.get("source_path"))}</span>',
        ])
    return _table(["date", "name", "sport", units, "moving", "shoe", "file"], rows, num_cols=(3, 4), cls="cards")


def _quality(data: AthleteData, units: str) -> str:
    q = data.quality or {}
    parts = []

    def act_rows(items):
        return [[e(i.get("date")), e(i.get("name")), e(fmt_distance(i.get("distance_m"), units)),
                 e(i.get("detail")), f'<span class=path>{e(i.get("source_path"))}</span>'] for i in items]

    gaps = q.get("gaps") or []
    if gaps:
        rows = [[e(g.get("from_date")), e(g.get("to_date")), e(g.get("days")), e(g.get("reason") or "–")]
                for g in gaps]
        parts.append(f"<h4>Declared gaps ({len(gaps)}): no data, so windows touching them are not evaluated</h4>"
                     + _table(["from", "to", "days", "reason"], rows, num_cols=(2,), cls="cards"))
    heads = ["date", "name", "distance", "detail", "file"]
    sections = [
        ("indoor", "Treadmill / indoor runs (distance from the device, no GPS track)"),
        ("no_gps", "Runs without GPS"),
        ("recovered", "Recovered from damaged files"),
        ("notes", "Other notes from import"),
    ]
    for key, title in sections:
        items = q.get(key) or []
        if items:
            parts.append(f"<h4>{e(title)} ({len(items)})</h4>" + _table(heads, act_rows(items), cls="cards"))
    dups = q.get("duplicates") or []
    if dups:
        rows = [[f'<span class=path>{e(d.get("source_path"))}</span>', e(d.get("source_format")),
                 e(d.get("start_utc")), e(fmt_distance(d.get("distance_m"), units)),
                 f'<span class=path>{e(d.get("kept_path"))}</span>'] for d in dups]
        parts.append(f"<h4>Duplicates dropped ({len(dups)})</h4>"
                     + _table(["dropped file", "format", "start (UTC)", "distance", "kept record from"], rows,
                              cls="cards"))
    skipped = q.get("skipped") or []
    if skipped:
        rows = [[f'<span class=path>{e(s.get("source_path"))}</span>', e(s.get("reason"))] for s in skipped]
        parts.append(f"<h4>Skipped files ({len(skipped)})</h4>" + _table(["file", "reason"], rows, cls="cards"))
    if not parts:
        return "<p>No data-quality notes: every run had GPS, no file was damaged, skipped or duplicated.</p>"
    return "".join(parts)


def _window(frame: pd.DataFrame | None, start: date) -> pd.DataFrame | None:
    if frame is None or not len(frame):
        return frame
    return frame[frame.index >= pd.Timestamp(start)]


def athlete_section(index: int, data: AthleteData, units: str, weeks: int, row: TeamRow | None = None,
                    team: bool = False) -> str:
    """One athlete: facts, findings, weekly table, charts, shoes, recent runs, data quality (in that order).

    In a ``team`` report each chart is drawn once (narrow) and the charts and the shoe table sit in
    one ``.charts`` grid, the table on a row of its own, so the order stays the same."""
    cfg = data.config
    start = data.as_of - timedelta(days=data.as_of.weekday()) - timedelta(weeks=weeks - 1)
    weekly = _window(data.weekly, start)
    pmc = _window(getattr(data.analysis, "pmc", None), start)
    findings = findings_overlapping(data.findings, start, data.as_of, data.as_of)
    row = row or team_row(data, units, index)
    last = row.last_week
    value, status, _ = data.latest_acwr()
    label = acwr_method_label(cfg)
    counts = severity_counts(findings)
    anchor = athlete_anchor(index, data.name)
    stale = row.newest is None or (row.no_data_days or 0) >= 7
    out = [f'<section class="athlete" id="{anchor}"><h2 data-part="athlete">{e(data.name)} '
           '<a class=top href="#top">back to top</a></h2>']
    out.append(f"<p class=note>Time zone {e(data.tz or 'of the files')}; log as of {e(data.as_of.isoformat())}; "
               f"showing the last {weeks} ISO week{'s' if weeks != 1 else ''} (from {e(start.isoformat())}); "
               f'data: <span class="{"stale" if stale else "ok"}">{e(row.coverage)}</span>.</p>')
    facts = [
        (f"last week {last.iso_week}", fmt_distance(last.distance_m, units)),
        ("change on the week before", _pct(last.change_ratio)),
        ("runs / rest days", f"{last.runs} / {last.rest_days}"),
        ("longest run", fmt_distance(last.longest_run_m, units)),
        (f"acute:chronic ({label})", "–" if value is None else f"{value:.2f}"
         + (f" ({status})" if status and status != "ok" else "")),
        ("findings in period", ", ".join(f"{n} {k}" for k, n in counts.items() if n) or "none"),
    ]
    out.append('<div class="facts" data-part="facts">'
               + "".join(f"<div>{e(k)}<b>{e(v)}</b></div>" for k, v in facts) + "</div>")
    out.append(f'<div data-part="findings"><h3 id="{anchor}-findings">Findings</h3>'
               + _findings_list(findings, units, data.as_of) + "</div>")
    out.append("<h3>Weekly table</h3>" + _weekly_table(weekly, units))
    def chart(kind: str, alt: str) -> str:
        return _chart(lambda lay: charts.athlete_chart(kind, data, units, weeks, layout=lay, title=""), alt,
                      team=team)

    blocks: list[str] = []
    blocks.append(_chart_block("chart-weekly", "Weekly distance",
                               chart("weekly", f"Weekly running distance of {data.name} in {units}")))
    blocks.append(_chart_block("chart-calendar", f"Calendar of daily distance ({e(units)}; grey: rest day)",
                               chart("calendar", f"Daily running calendar of {data.name}")))
    blocks.append(_chart_block("chart-acwr", f"Acute:chronic workload ratio ({e(label)})",
                               chart("acwr", f"Acute:chronic ratio of {data.name}, method {label}")))
    blocks.append(_chart_block("chart-shoes", "Shoes (wear is a maintenance reminder, not an injury threshold)",
                               chart("shoes", f"Shoe wear of {data.name}")))
    blocks.append(_shoe_table(data.shoe_status, units))
    note = getattr(data.analysis, "pmc_note", None)
    if pmc is not None and len(pmc):
        body = chart("fitness", f"Fitness, fatigue and form of {data.name}")
        if note:
            body += f"<p class=note>Load: {e(note)}. Display only, no risk flags.</p>"
    else:
        body = f"<p>Not shown: {e(note or 'no heart-rate data')}.</p>"
    blocks.append(_chart_block("chart-pmc", "Fitness, fatigue and form (display only, no risk flags)", body))
    out.append('<div class="charts">' + "\n".join(blocks) + "</div>" if team else "\n".join(blocks))
    out.append('<div data-part="recent"><h3>Recent activities (14 days)</h3>' + _recent_runs(data, units) + "</div>")
    out.append('<div data-part="quality"><h3>Data quality</h3>' + _quality(data, units) + "</div>")
    out.append("</section>")
    return "\n".join(out)


# --------------------------------------------------------------------------- page

DISCLAIMER_HTML = ("Every flag here is a training-load risk flag, named with its method and source: a reason to "
                   "look at the training, not a diagnosis. If pain changes how you run, see a health professional.")


@dataclass(frozen=True)
class AthletePart:
    """All the page shows of one athlete, rendered on its own (for a team: in a worker process,
    so only this text, never the athlete's frames, goes back to the page)."""

    name: str
    as_of: date
    sort_key: tuple
    """The team overview's order: most severe first (:attr:`runload.report.data.TeamRow.sort_key`)."""
    overview: list[str]
    """The athlete's row of the team overview (HTML cells)."""
    section: str
    findings: int
    """Findings in the whole log (the command line counts them)."""


def athlete_part(index: int, data: AthleteData, units: str = "km", weeks: int = 12,
                 team: bool = False) -> AthletePart:
    """The overview row and the section of the athlete at place ``index`` (from 1) in the report's
    list: the place names the section's anchor, whatever order the overview puts it in. ``team``:
    the section for a team page (each chart drawn once, in a grid)."""
    row = team_row(data, units, index)
    return AthletePart(data.name, data.as_of, row.sort_key, team_row_cells(row, units),
                       athlete_section(index, data, units, weeks, row=row, team=team), len(data.findings))


def _part_of(indexed: tuple[int, AthleteData], units: str, weeks: int, team: bool) -> AthletePart:
    return athlete_part(indexed[0], indexed[1], units, weeks, team)


def render_report(athletes: Sequence[AthleteData], units: str = "km", weeks: int = 12,
                  team: bool | None = None, title: str | None = None, map_sections=map) -> str:
    """The whole HTML page for one athlete or (``team``) a coach's overview of several.

    With ``team``, athletes are judged on one date (give them all the same
    ``as_of``, see :func:`runload.service.collect_team`) and their sections
    follow the overview's order: most severe first. ``map_sections(fn, items)``
    renders each athlete's part (charts are most of the time): a map over all
    cores renders the same page.
    """
    team = len(athletes) > 1 if team is None else team
    parts = list(map_sections(functools.partial(_part_of, units=units, weeks=weeks, team=team),
                              list(enumerate(athletes, 1))))
    return render_page(parts, units=units, team=team, title=title)


def render_page(parts: Sequence[AthletePart], units: str = "km", team: bool | None = None,
                title: str | None = None) -> str:
    """The HTML page of athletes' parts (:func:`athlete_part`, given in the report's order): for
    ``team`` the overview first, then the sections in its order (most severe first)."""
    team = len(parts) > 1 if team is None else team
    if title is None:
        title = "runload team report" if team else f"runload report: {parts[0].name}" if parts else "runload"
    if team:
        parts = sorted(parts, key=lambda p: p.sort_key)
    days = sorted({p.as_of for p in parts})
    as_of_text = ", ".join(d.isoformat() for d in days)
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f'<meta name="generator" content="runload {e(__version__)}">',
        f"<title>{e(title)}</title><style>{CSS}</style></head><body>",
        f'<header id="top" data-part="header"><h1>{e(title)}</h1>',
        f"<p class=note>{'Team date' if team else 'As of'} {e(as_of_text)}; distances in {e(units)}; weeks are "
        "ISO weeks (Monday–Sunday) in each athlete's time zone.</p>",
        f'<p class="disclaimer">{e(DISCLAIMER_HTML)}</p></header>',
        "<main>",
    ]
    if team:
        out.append(_team_overview([p.overview for p in parts], units, days[-1] if days else date.today()))
    out.extend(p.section for p in parts)
    out.append("</main>")
    out.append(f"<footer class=note><p>Generated by runload {e(__version__)}.</p></footer>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"
