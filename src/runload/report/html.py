"""The self-contained HTML report (``runload report``): one file, no external resources.

* Charts are embedded as ``data:image/svg+xml;base64`` images (the strict
  Content-Security-Policy allows ``img-src data:`` and nothing else; an SVG
  loaded as an image never runs scripts).
* Every text that comes from a file or a user (athlete, activity, shoe names,
  notes, file paths, skip reasons) goes through :func:`html.escape`.
* With several athletes the page starts with the coach's team overview: one
  row per athlete, linked to that athlete's section.
"""

from __future__ import annotations

import base64
import html
import re
from datetime import date, timedelta
from typing import Any, Sequence

import pandas as pd

from runload import __version__
from runload.report import charts
from runload.report.data import (
    AthleteData,
    acwr_method_label,
    findings_between,
    get,
    severity_counts,
    severity_of,
    strip_disclaimer,
    week_facts,
)
from runload.report.text import REMINDER, finding_numbers
from runload.units import fmt_distance, fmt_duration, m_to

CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0 auto;max-width:1180px;
padding:1rem 1.5rem;color:#1a1a1a;line-height:1.4}
h1{font-size:1.6rem;margin:.2rem 0}h2{font-size:1.3rem;margin-top:2.2rem;border-bottom:2px solid #0072B2}
h3{font-size:1.05rem;margin-top:1.4rem}
table{border-collapse:collapse;margin:.5rem 0 1rem;font-size:.88rem}
th,td{border-bottom:1px solid #ddd;padding:.25rem .55rem;text-align:left;vertical-align:top}
th{background:#f2f2f2}td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
.sev{display:inline-block;padding:0 .4rem;border-radius:3px;font-weight:600;font-size:.8rem}
.sev-alert{background:#D55E00;color:#fff}.sev-warning{background:#E69F00;color:#000}
.sev-info{background:#56B4E9;color:#000}
.status-replace{color:#B34700;font-weight:600}.status-check{color:#8a5a00;font-weight:600}
.note{color:#555;font-size:.88rem}.disclaimer{background:#f6f6f6;border-left:4px solid #0072B2;
padding:.5rem .8rem;margin:1rem 0}
img.chart{width:100%;max-width:1000px;height:auto;display:block;margin:.4rem 0 1rem}
.facts{display:flex;flex-wrap:wrap;gap:.6rem 1.6rem;margin:.5rem 0}.facts div{min-width:9rem}
.facts b{display:block;font-size:1.15rem}
a{color:#0072B2}.top{font-size:.8rem;float:right;font-weight:normal}
.msg{max-width:38rem}.d{white-space:nowrap}.path{font-family:ui-monospace,monospace;font-size:.8rem;word-break:break-all}
"""

__all__ = ["render_report", "CSP", "athlete_anchor"]


def e(value: Any) -> str:
    """Escape any value for HTML text or attribute; None shows as an en dash."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return "–"
    return html.escape(str(value), quote=True)


def athlete_anchor(index: int, name: str) -> str:
    """A unique, safe id for an athlete's section (``a1-alex``)."""
    slug = re.sub(r"[^A-Za-z0-9_-]+", "-", name).strip("-")[:40] or "athlete"
    return f"a{index}-{slug}"


def _img(fig, alt: str) -> str:
    svg = charts.to_svg(fig).encode("utf-8")
    data = base64.b64encode(svg).decode("ascii")
    return f'<img class="chart" alt="{e(alt)}" src="data:image/svg+xml;base64,{data}">'


def _sev_badge(sev: str) -> str:
    return f'<span class="sev sev-{e(sev)}">{e(sev)}</span>'


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]], num_cols: Sequence[int] = ()) -> str:
    """An HTML table; cells are already-escaped HTML."""
    head = "".join(f'<th{" class=num" if i in num_cols else ""}>{e(h)}</th>' for i, h in enumerate(headers))
    body = "".join(
        "<tr>" + "".join(f'<td{" class=num" if i in num_cols else ""}>{c}</td>' for i, c in enumerate(r)) + "</tr>"
        for r in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{x * 100:+.0f}%"


# --------------------------------------------------------------------------- team overview

def last_complete_monday(as_of: date) -> date:
    return as_of - timedelta(days=as_of.weekday()) - timedelta(days=7)


def open_findings(data: AthleteData) -> list:
    """Findings dated in the last complete week or the current week (the ones a coach acts on)."""
    return findings_between(data.findings, last_complete_monday(data.as_of), data.as_of)


def team_row(index: int, data: AthleteData, units: str) -> list[str]:
    monday = last_complete_monday(data.as_of)
    last = week_facts(data.weekly, monday)
    this = week_facts(data.weekly, monday + timedelta(days=7))
    trend = [week_facts(data.weekly, monday - timedelta(days=7 * k)).distance_m for k in range(3, -1, -1)]
    trend_text = " → ".join(f"{m_to(t, units):.0f}" for t in trend)
    if trend[0] > 0:
        trend_text += f" ({(trend[-1] - trend[0]) / trend[0] * 100:+.0f}%)"
    value, status, _ = data.latest_acwr()
    acwr_text = "–" if value is None else f"{value:.2f}"
    if status and status != "ok":
        acwr_text += f" ({e(status)})"
    counts = severity_counts(open_findings(data))
    sev_html = " ".join(f'{_sev_badge(k)}&nbsp;{n}' for k, n in counts.items() if n) or "none"
    replace = data.shoes_to_replace()
    shoes = ", ".join(e(get(s, "name")) for s in replace) or "–"
    return [
        f'<a href="#{athlete_anchor(index, data.name)}">{e(data.name)}</a>',
        e(last.iso_week),
        e(f"{m_to(last.distance_m, units):.1f}"),
        e(_pct(last.change_ratio)),
        e(f"{m_to(this.distance_m, units):.1f}"),
        e(trend_text),
        f"{acwr_text}<br><span class=note>{e(acwr_method_label(data.config))}</span>",
        sev_html,
        shoes,
    ]


def team_overview(athletes: Sequence[AthleteData], units: str) -> str:
    headers = ["athlete", "last week", units, "change", f"this week so far [{units}]",
               f"4-week trend [{units}]", "acute:chronic", "open findings", "shoes to replace"]
    rows = [team_row(i, d, units) for i, d in enumerate(athletes, 1)]
    return (
        '<section id="team"><h2>Team overview</h2>'
        '<p class=note>"Last week" is the last complete ISO week (Monday–Sunday) before each athlete\'s as-of date; '
        "open findings are those dated in that week or the current one; the acute:chronic ratio is the latest "
        "day's value by the named method.</p>"
        + _table(headers, rows, num_cols=(2, 3, 4)) + "</section>"
    )


# --------------------------------------------------------------------------- athlete section

def _findings_table(findings: Sequence[Any], units: str) -> str:
    if not findings:
        return "<p>No risk flags in this period.</p>"
    order = sorted(findings, key=lambda f: (-severity_of(f).rank, -pd.Timestamp(get(f, "date")).value))
    rows = []
    for f in order:
        rows.append([
            _sev_badge(severity_of(f).value),
            f'<span class=d>{e(pd.Timestamp(get(f, "date")).date().isoformat())}</span>',
            e(get(f, "period")),
            e(get(f, "rule")),
            e(finding_numbers(f, units)),
            f"<span class=msg>{e(strip_disclaimer(str(get(f, 'message', default=''))))}</span>",
            e(get(f, "window")) + "<br><span class=note>" + e(get(f, "method") or "–") + "</span>",
            f"<span class=note>{e(get(f, 'source'))}</span>",
        ])
    return _table(["severity", "date", "period", "rule", "numbers", "message", "window / method", "source"], rows)


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
                  rows, num_cols=(2, 3, 4, 5, 6, 7))


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
                  num_cols=(1, 2))


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
    return _table(["date", "name", "sport", units, "moving", "shoe", "file"], rows, num_cols=(3, 4))


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
                     + _table(["from", "to", "days", "reason"], rows, num_cols=(2,)))
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
            parts.append(f"<h4>{e(title)} ({len(items)})</h4>" + _table(heads, act_rows(items)))
    dups = q.get("duplicates") or []
    if dups:
        rows = [[f'<span class=path>{e(d.get("source_path"))}</span>', e(d.get("source_format")),
                 e(d.get("start_utc")), e(fmt_distance(d.get("distance_m"), units)),
                 f'<span class=path>{e(d.get("kept_path"))}</span>'] for d in dups]
        parts.append(f"<h4>Duplicates dropped ({len(dups)})</h4>"
                     + _table(["dropped file", "format", "start (UTC)", "distance", "kept record from"], rows))
    skipped = q.get("skipped") or []
    if skipped:
        rows = [[f'<span class=path>{e(s.get("source_path"))}</span>', e(s.get("reason"))] for s in skipped]
        parts.append(f"<h4>Skipped files ({len(skipped)})</h4>" + _table(["file", "reason"], rows))
    if not parts:
        return "<p>No data-quality notes: every run had GPS, no file was damaged, skipped or duplicated.</p>"
    return "".join(parts)


def athlete_section(index: int, data: AthleteData, units: str, weeks: int) -> str:
    cfg = data.config
    start = data.as_of - timedelta(days=data.as_of.weekday()) - timedelta(weeks=weeks - 1)
    weekly = data.weekly[data.weekly.index >= pd.Timestamp(start)] if data.weekly is not None else None
    daily = data.daily[data.daily.index >= pd.Timestamp(start)] if data.daily is not None else None
    acwr = data.acwr[data.acwr.index >= pd.Timestamp(start)] if data.acwr is not None and len(data.acwr) else None
    pmc = getattr(data.analysis, "pmc", None)
    if pmc is not None and len(pmc):
        pmc = pmc[pmc.index >= pd.Timestamp(start)]
    findings = findings_between(data.findings, start, data.as_of)
    monday = last_complete_monday(data.as_of)
    last = week_facts(data.weekly, monday)
    value, status, day = data.latest_acwr()
    method = data.acwr_method
    label = acwr_method_label(cfg)
    counts = severity_counts(findings)
    anchor = athlete_anchor(index, data.name)
    ratio = getattr(cfg, "max_weekly_increase_ratio", 0.10)
    band = (getattr(cfg, "acwr_low_below", 0.8), getattr(cfg, "acwr_elevated_above", 1.3))
    out = [f'<section id="{anchor}"><h2>{e(data.name)} <a class=top href="#top">back to top</a></h2>']
    out.append(f"<p class=note>Time zone {e(data.tz or 'of the files')}; log as of {e(data.as_of.isoformat())}; "
               f"showing the last {weeks} ISO week{'s' if weeks != 1 else ''} (from {e(start.isoformat())}).</p>")
    facts = [
        (f"last week {last.iso_week}", fmt_distance(last.distance_m, units)),
        ("change on the week before", _pct(last.change_ratio)),
        ("runs / rest days", f"{last.runs} / {last.rest_days}"),
        ("longest run", fmt_distance(last.longest_run_m, units)),
        (f"acute:chronic ({label})", "–" if value is None else f"{value:.2f}"
         + (f" ({status})" if status and status != "ok" else "")),
        ("findings in period", ", ".join(f"{n} {k}" for k, n in counts.items() if n) or "none"),
    ]
    out.append('<div class="facts">' + "".join(f"<div>{e(k)}<b>{e(v)}</b></div>" for k, v in facts) + "</div>")
    out.append("<h3>Findings</h3>" + _findings_table(findings, units))
    out.append("<h3>Weekly distance</h3>")
    out.append(_img(charts.weekly_distance(weekly, units, flagged=findings, max_increase_ratio=ratio),
                    f"Weekly running distance of {data.name} in {units}"))
    out.append(_img(charts.calendar_heatmap(daily, units, getattr(cfg, "max_consecutive_run_days", 6)),
                    f"Daily running calendar of {data.name}"))
    out.append(f"<h3>Acute:chronic workload ratio ({e(label)})</h3>")
    out.append(_img(charts.acwr_chart(acwr, method, band=band, high_from=getattr(cfg, "acwr_high_from", 1.5),
                                      title=f"Acute:chronic workload ratio — method: {label}"),
                    f"Acute:chronic ratio of {data.name}, method {label}"))
    out.append("<h3>Shoes</h3>")
    out.append(_img(charts.shoe_wear(data.shoe_status, units, getattr(cfg, "shoe_check_distance_m",
                                                                        charts.SHOE_CHECK_M),
                                     getattr(cfg, "shoe_retire_distance_m", charts.SHOE_RETIRE_M)),
                    f"Shoe wear of {data.name}"))
    out.append(_shoe_table(data.shoe_status, units))
    out.append("<h3>Fitness, fatigue and form</h3>")
    note = getattr(data.analysis, "pmc_note", None)
    if pmc is not None and len(pmc):
        out.append(_img(charts.pmc_chart(pmc, note), f"Fitness, fatigue and form of {data.name}"))
        if note:
            out.append(f"<p class=note>Load: {e(note)}. Display only, no risk flags.</p>")
    else:
        out.append(f"<p>Not shown: {e(note or 'no heart-rate data')}.</p>")
    out.append("<h3>Weekly table</h3>" + _weekly_table(weekly, units))
    out.append("<h3>Recent activities (14 days)</h3>" + _recent_runs(data, units))
    out.append("<h3>Data quality</h3>" + _quality(data, units))
    out.append("</section>")
    return "\n".join(out)


# --------------------------------------------------------------------------- page

def render_report(athletes: Sequence[AthleteData], units: str = "km", weeks: int = 12,
                  team: bool | None = None, title: str | None = None) -> str:
    """The whole HTML page for one athlete or (``team``) a coach's overview of several."""
    team = len(athletes) > 1 if team is None else team
    if title is None:
        title = "runload team report" if team else f"runload report: {athletes[0].name}" if athletes else "runload"
    as_of = sorted({d.as_of.isoformat() for d in athletes})
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f'<meta name="generator" content="runload {e(__version__)}">',
        f"<title>{e(title)}</title><style>{CSS}</style></head><body>",
        f'<header id="top"><h1>{e(title)}</h1>',
        f"<p class=note>As of {e(', '.join(as_of))}; distances in {e(units)}; weeks are ISO weeks "
        "(Monday–Sunday) in each athlete's time zone.</p>",
        f'<p class="disclaimer">{e(REMINDER)} The flags are training-load conventions and study findings with '
        "the method and source named; none of them is a diagnosis.</p></header>",
    ]
    if team:
        out.append(team_overview(athletes, units))
    for i, d in enumerate(athletes, 1):
        out.append(athlete_section(i, d, units, weeks))
    out.append(f"<footer class=note><p>Generated by runload {e(__version__)}. {e(REMINDER)}</p></footer>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"
