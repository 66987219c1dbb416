"""The team page triages: one team date, most severe first, reasons in words and numbers."""

from __future__ import annotations

import re
from datetime import date

import pytest
from click.testing import CliRunner

from runload.cli import cli
from runload.findings import Finding, Severity, with_disclaimer
from runload.report.data import finding_span, findings_overlapping, pct_text, team_rows
from runload.service import collect_team
from runload.store import Store
from runload.units import M_PER_MILE
from tests.report.helpers import ALERT_WEEK, STEADY, WARNING_WEEK, add_runs, make_store


def _team(db, as_of=None, units="km"):
    with Store.open(db, readonly=True) as store:
        athletes = collect_team(store, store.athlete_names(), as_of=as_of, units=units)
    return athletes, team_rows(athletes, units)


def test_athletes_are_ordered_by_severity_with_reasons_in_words_and_numbers(tmp_path):
    db = make_store(tmp_path / "s.db", {"alex": WARNING_WEEK, "sam": STEADY, "kim": ALERT_WEEK})
    _, rows = _team(db, date(2024, 1, 15))
    assert [r.name for r in rows] == ["kim", "alex", "sam"]
    assert [r.severity for r in rows] == [Severity.ALERT, Severity.WARNING, None]
    kim = [r.text for r in rows[0].reasons]
    # W02 holds a 25 km run after 30 days of 10 km runs (+150 %) and 35 km after 30 km (+16.7 %)
    assert "25 km run on 13 Jan, +150 % on the month's longest" in kim
    assert "+17 % week (W02)" in kim
    assert kim.index("25 km run on 13 Jan, +150 % on the month's longest") == 0  # the alert first
    assert [r.text for r in rows[1].reasons] == ["+17 % week (W02)"]
    assert rows[2].reasons == []


def test_team_page_rows_and_sections_follow_the_triage_order(tmp_path):
    db = make_store(tmp_path / "s.db", {"alex": WARNING_WEEK, "sam": STEADY, "kim": ALERT_WEEK})
    out = tmp_path / "team.html"
    result = CliRunner().invoke(cli, ["--db", str(db), "report", "--all", "--as-of", "2024-01-15", "--out", str(out)])
    assert result.exit_code == 0, result.output
    page = out.read_text()
    triage = page[page.index('id="team"'):page.index("</section>", page.index('id="team"'))]
    assert re.findall(r'<a href="#a\d+-(\w+)">', triage) == ["kim", "alex", "sam"]
    assert [m for m in re.findall(r'<section class="athlete" id="a\d+-(\w+)"', page)] == ["kim", "alex", "sam"]
    assert "+150 % on the month&#x27;s longest" in triage and "+17 % week (W02)" in triage
    assert "Team date 2024-01-15" in page
    assert page.count("not a diagnosis") == 1  # the disclaimer, said once


def test_every_athlete_is_judged_on_one_team_date(tmp_path):
    # UTC+14 and UTC-11: "today" differs by a day between these two zones at every moment
    db = tmp_path / "s.db"
    with Store.open(db) as store:
        add_runs(store, "east", STEADY, tz="Pacific/Kiritimati")
        add_runs(store, "west", STEADY, tz="Pacific/Pago_Pago")
    athletes, _ = _team(db)
    assert len({a.as_of for a in athletes}) == 1
    athletes, rows = _team(db, date(2024, 1, 15))
    assert {a.as_of for a in athletes} == {date(2024, 1, 15)}
    assert {r.last_week.iso_week for r in rows} == {"2024-W02"}


def test_shoes_at_check_and_coverage_are_shown(tmp_path):
    db = tmp_path / "s.db"
    with Store.open(db) as store:
        store.add_shoe("alex", "Pegasus", start_distance_m=600_000.0, tz="Europe/Berlin")
        add_runs(store, "alex", STEADY, shoe="Pegasus")  # + 60 km = 660 km (410 mi): between check and replace
        add_runs(store, "sam", STEADY[:4])  # newest run Mon 2024-01-08
        add_runs(store, "bo", STEADY)
    _, rows = _team(db, date(2024, 1, 15), units="mi")
    alex = next(r for r in rows if r.name == "alex")
    sam = next(r for r in rows if r.name == "sam")
    miles = round(660_000.0 / M_PER_MILE)
    assert [s.text for s in alex.shoes] == [f"shoe 'Pegasus' {miles} mi: check"]
    assert alex.coverage == "no data since 2024-01-12 (3 days)"
    assert sam.coverage == "no data since 2024-01-08 (7 days)"
    assert sam.no_data_days == 7
    # alex's shoe is an info finding; sam and bo have none: the one without data for longer comes first
    assert [r.name for r in rows] == ["alex", "sam", "bo"]


def test_only_findings_of_the_last_four_weeks_are_reasons(tmp_path):
    db = make_store(tmp_path / "s.db", {"kim": ALERT_WEEK})
    _, rows = _team(db, date(2024, 2, 9))  # 27 days after the W02 spike (13 Jan): still in the window
    assert rows[0].severity == Severity.ALERT
    _, rows = _team(db, date(2024, 2, 12))  # W02 ended 29 days before: out of the window
    assert rows[0].reasons == [] and rows[0].severity is None
    assert rows[0].coverage == "no data since 2024-01-13 (30 days)"


def _finding(day, period, rule="run_streak"):
    return Finding(rule=rule, severity="info", athlete="a", date=day, period=period, value=9, threshold=6,
                   window="w", method=None, message=with_disclaimer("m"), source="s", unit="days")


def test_a_finding_reaches_every_window_its_period_overlaps():
    streak = _finding(date(2026, 10, 18), "2026-10-18..2026-10-26")
    assert finding_span(streak) == (date(2026, 10, 18), date(2026, 10, 26))
    week = _finding(date(2026, 9, 28), "2026-W40", "weekly_increase")
    assert finding_span(week) == (date(2026, 9, 28), date(2026, 10, 4))
    live = _finding(date(2026, 11, 16), "2026-11-16..2026-11-18 so far")
    assert finding_span(live, as_of=date(2026, 11, 21)) == (date(2026, 11, 16), date(2026, 11, 21))
    # a streak that started before the window still counts in it
    assert findings_overlapping([streak, week], date(2026, 10, 25), date(2026, 11, 21)) == [streak]


@pytest.mark.parametrize("value, threshold, text", [
    (56.3, 10, "+56 %"), (16.67, 10, "+17 %"), (10.4, 10, "+10.4 %"), (10.04, 10, "+10.04 %"),
    (150.0, 100, "+150 %"), (-13.2, None, "−13 %"),
])
def test_percentages_round_without_leaving_their_band(value, threshold, text):
    assert pct_text(value, threshold) == text


def _chart_svgs(page: str) -> list[str]:
    import base64

    return [base64.b64decode(uri).decode("utf-8")
            for uri in re.findall(r'data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)', page)]


def test_team_page_draws_each_chart_once_in_the_narrow_layout_and_one_athlete_keeps_both(tmp_path):
    from runload.report.html import render_report

    db = make_store(tmp_path / "s.db", {"alex": WARNING_WEEK, "kim": ALERT_WEEK})
    athletes, _ = _team(db, date(2024, 1, 15))
    team = render_report(athletes, team=True)
    assert "<picture" not in team and "<source" not in team
    images = re.findall(r'<img class="chart" alt="([^"]+)" src="data:image/svg\+xml;base64,', team)
    svgs = _chart_svgs(team)
    assert len(images) == len(svgs) >= 8  # one image per chart, each with its alt text
    assert all('width="309.6pt"' in svg for svg in svgs)  # the narrow layout (4.3 in)
    assert "Weekly running distance of alex in km" in images and "Shoe wear of kim" in images
    # an athlete's charts and shoe table sit in one grid, in the order of the single-athlete page
    assert team.count('<div class="charts">') == 2
    grid = team[team.index('<div class="charts">'):team.index('data-part="recent"')]
    assert re.findall(r'data-part="(chart-[a-z]+)"', grid) == ["chart-weekly", "chart-calendar", "chart-acwr",
                                                               "chart-shoes", "chart-pmc"]

    one = render_report(athletes[:1], team=False)
    svgs = _chart_svgs(one)
    assert one.count("<picture>") == len(svgs) // 2 >= 4  # phones: narrow, larger screens and paper: wide
    assert sum('width="309.6pt"' in s for s in svgs) == sum('width="648pt"' in s for s in svgs) == len(svgs) // 2
    assert '<div class="charts">' not in one
    # the same texts and alt texts either way: only the pictures and the grid differ
    alex = team[team.index('<section class="athlete" id="a1-alex"'):]
    alex = alex[:alex.index("</section>")].replace('<div class="charts">', "", 1)
    alex = alex.replace('</div>\n<div data-part="recent"', '\n<div data-part="recent"', 1)  # the grid's end
    strip = re.compile(r'<picture>|</picture>|<source [^>]*>|src="data:[^"]*"')
    assert strip.sub("", alex) == strip.sub("", one[one.index('<section class="athlete"'):one.index("</section>")])
