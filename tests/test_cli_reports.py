"""``runload report`` and ``runload summary`` through click's CliRunner."""

from __future__ import annotations

import json
from datetime import date
import re
import shlex
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from runload.cli import EXIT_ALERT, EXIT_OK, EXIT_WARNING, cli
from tests.report.helpers import ALERT_WEEK, STEADY, WARNING_WEEK, XSS, make_store, xss_store

ROOT = Path(__file__).resolve().parents[1]


def run(*args):
    result = CliRunner().invoke(cli, [str(a) for a in args])
    return result


# --------------------------------------------------------------------------- report

def test_report_one_athlete(tmp_path):
    db = make_store(tmp_path / "s.db", {"alex": WARNING_WEEK}, shoe="Pegasus 40")
    out = tmp_path / "r.html"
    result = run("--db", db, "report", "--as-of", "2024-01-15", "--out", out, "--weeks", "4")
    assert result.exit_code == 0, result.output
    page = out.read_text()
    assert page.startswith("<!DOCTYPE html>")
    assert ("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; img-src data:; "
            "style-src 'unsafe-inline'\">") in page
    assert "weekly_increase" in page and "+16.7%" in page
    assert "Pegasus 40" in page
    assert page.count('src="data:image/svg+xml;base64,') == 5 - 1  # no PMC without heart rate: said in text
    assert "Team overview" not in page
    assert "Risk flag" in page or "risk flag" in page
    _no_external_resources(page)


def _no_external_resources(page: str) -> None:
    assert "<script" not in page.lower()
    assert "<link" not in page.lower()
    assert not re.search(r'(src|href)\s*=\s*"(https?:|//)', page, re.I)
    assert "@import" not in page and "url(" not in page


def test_report_escapes_names_from_files_and_users(tmp_path):
    db = xss_store(tmp_path / "s.db")
    out = tmp_path / "r.html"
    result = run("--db", db, "report", "--all", "--as-of", "2024-01-15", "--out", out)
    assert result.exit_code == 0, result.output
    page = out.read_text()
    assert XSS not in page
    assert "alert(1)" in page  # it is there, escaped
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    _no_external_resources(page)
    # the data-quality notes name the treadmill run, the recovered file and the skipped file
    assert "Treadmill" in page and "Recovered" in page and "Skipped files" in page


def test_report_team_overview_links_each_athlete(tmp_path):
    db = make_store(tmp_path / "s.db", {"alex": WARNING_WEEK, "sam": STEADY, "kim": ALERT_WEEK})
    out = tmp_path / "team.html"
    result = run("--db", db, "report", "--all", "--as-of", "2024-01-15", "--units", "mi", "--out", out)
    assert result.exit_code == 0, result.output
    page = out.read_text()
    assert "Team overview" in page
    for name in ("alex", "kim", "sam"):
        anchor = re.search(rf'<a href="#(a\d+-{name})">{name}</a>', page)
        assert anchor, name
        assert f'id="{anchor.group(1)}"' in page
    assert "rolling coupled" in page  # the ACWR method is named
    assert "sev-alert" in page and "sev-warning" in page
    _no_external_resources(page)


def test_report_needs_out(tmp_path):
    db = make_store(tmp_path / "s.db", {"alex": STEADY})
    result = run("--db", db, "report")
    assert result.exit_code == 2


def test_report_unknown_athlete_is_an_error(tmp_path):
    db = make_store(tmp_path / "s.db", {"alex": STEADY})
    result = run("--db", db, "report", "--athlete", "nobody", "--out", tmp_path / "x.html")
    assert result.exit_code == 1
    assert not (tmp_path / "x.html").exists()


# --------------------------------------------------------------------------- summary

@pytest.mark.parametrize("runs, fail_on, code", [
    (STEADY, "warning", EXIT_OK),
    (WARNING_WEEK, "warning", EXIT_WARNING),
    (WARNING_WEEK, "alert", EXIT_OK),
    (WARNING_WEEK, "never", EXIT_OK),
    (ALERT_WEEK, "warning", EXIT_ALERT),
    (ALERT_WEEK, "alert", EXIT_ALERT),
    (ALERT_WEEK, "never", EXIT_OK),
])
def test_summary_exit_codes(tmp_path, runs, fail_on, code):
    db = make_store(tmp_path / "s.db", {"alex": runs})
    result = run("--db", db, "summary", "--as-of", "2024-01-17", "--fail-on", fail_on)
    assert result.exit_code == code, result.output


def test_summary_default_fail_on_is_warning(tmp_path):
    db = make_store(tmp_path / "s.db", {"alex": WARNING_WEEK})
    assert run("--db", db, "summary", "--as-of", "2024-01-17").exit_code == EXIT_WARNING


def test_summary_text_is_mail_ready(tmp_path):
    db = make_store(tmp_path / "s.db", {"alex": WARNING_WEEK}, shoe="A shoe with a rather long name indeed")
    result = run("--db", db, "summary", "--as-of", "2024-01-17", "--fail-on", "never")
    text = result.output
    lines = text.splitlines()
    # "last" on Wednesday 2024-01-17 is 2024-W02; nothing was recorded after Saturday the 13th, so
    # its Sunday is "no data" and the week partial; its 35 km already exceed the allowance (a total only grows)
    assert lines[0] == "runload alex 2024-W02 (partial): 35.0 km, 4 runs, 1 warning"
    assert all(len(line) < 78 for line in lines), [line for line in lines if len(line) >= 78]
    assert "\x1b" not in text
    assert "Distance: 35.0 km in 4 runs" in text
    assert "+16.7% on 2024-W01 (30.0 km)" in text
    assert "Rest days: 2 of 6 recorded days (1 without data)" in text
    assert "No activity recorded after 2024-01-13." in text
    assert "WARNING 2024-01-08 weekly_increase (2024-W02 partial): +16.7% (allowance" in text
    assert "risk flag, not a diagnosis" in text
    for banned in ("safe", "danger", "overtrained"):
        assert banned not in text.lower()


def test_summary_weeks_and_units(tmp_path):
    db = make_store(tmp_path / "s.db", {"alex": WARNING_WEEK})
    this = run("--db", db, "summary", "--as-of", "2024-01-10", "--week", "this", "--units", "mi",
               "--fail-on", "never")
    assert this.output.splitlines()[0].startswith("runload alex 2024-W02 so far: 12.4 mi, 2 runs")
    w01 = run("--db", db, "summary", "--as-of", "2024-01-17", "--week", "2024-W01")
    assert w01.exit_code == 0 and "2024-W01" in w01.output.splitlines()[0]
    bad = run("--db", db, "summary", "--week", "2024-W99")
    assert bad.exit_code == 2 and "ISO week" in bad.output and "Usage:" in bad.output  # a bad value: usage error
    future = run("--db", db, "summary", "--as-of", "2024-01-10", "--week", "2024-W05")
    assert future.exit_code == 1


def test_summary_json_and_markdown(tmp_path):
    db = make_store(tmp_path / "s.db", {"alex": ALERT_WEEK, "sam": STEADY})
    result = run("--db", db, "summary", "--all", "--as-of", "2024-01-17", "--format", "json")
    assert result.exit_code == EXIT_ALERT
    data = json.loads(result.stdout)
    assert isinstance(data, list)  # one shape whatever the number of athletes: records with "athlete"
    by_name = {s["athlete"]: s for s in data}
    assert by_name["alex"]["highest_severity"] == "alert"
    assert by_name["sam"]["highest_severity"] is None
    assert by_name["alex"]["week"]["iso_week"] == "2024-W02"
    assert by_name["alex"]["week"]["distance_km"] == pytest.approx(35.0)
    assert {f["rule"] for f in by_name["alex"]["findings"]} >= {"run_spike"}
    assert by_name["alex"]["acwr"]["method"] == "coupled"
    md = run("--db", db, "summary", "--all", "--as-of", "2024-01-17", "--format", "markdown", "--fail-on", "never")
    assert md.exit_code == 0
    assert "## runload alex 2024-W02" in md.output and "| alert |" in md.output


# --------------------------------------------------------------------------- README crontab line

def _cron_lines(text: str) -> list[str]:
    field = r"(\*|[0-9,\-*/]+|@\w+)"
    pattern = re.compile(rf"^\s*(@(reboot|yearly|annually|monthly|weekly|daily|hourly)|{field}(\s+{field}){{4}})\s+.*runload")
    return [line for line in text.splitlines() if pattern.match(line)]


def test_readme_crontab_commands_exist():
    readme = ROOT / "README.md"
    lines = _cron_lines(readme.read_text(encoding="utf-8")) if readme.exists() else []
    if not lines:
        pytest.skip("README.md has no crontab line yet")
    for line in lines:
        for segment in re.split(r"\|\||&&|;|\|", line):
            words = shlex.split(segment.replace("%", " "), comments=False)
            if "runload" not in [Path(w).name for w in words]:
                continue
            args = words[[Path(w).name for w in words].index("runload") + 1:]
            opts = []
            # global options before the command
            while args and args[0].startswith("-"):
                opt = args.pop(0)
                if "=" not in opt and opt in ("--db", "--config") and args:
                    args.pop(0)
            assert args, f"no runload command in: {line}"
            command = args[0]
            assert command in cli.list_commands(click.Context(cli)), f"README cron line uses unknown command {command!r}"
            help_text = run(command, "--help")
            assert help_text.exit_code == 0
            opts = [a.split("=", 1)[0] for a in args[1:] if a.startswith("--")]
            for opt in opts:
                assert opt in help_text.output, f"{command} has no option {opt} (README cron line)"


def test_cron_line_parser():
    text = "text\n0 7 * * 1  runload summary --all --fail-on never | mail -s x me\n  nope runload\n"
    assert _cron_lines(text) == ["0 7 * * 1  runload summary --all --fail-on never | mail -s x me"]


def test_report_into_a_missing_folder_is_one_sentence(tmp_path):
    db = make_store(tmp_path / "s.db", {"alex": STEADY})
    out = tmp_path / "nope" / "r.html"
    result = CliRunner().invoke(cli, ["--db", str(db), "report", "--out", str(out)])
    assert result.exit_code == 1
    assert result.output == f"Error: cannot write {out}: the folder {out.parent} does not exist\n"


def test_team_report_drawn_on_all_cores_equals_the_one_drawn_on_one(tmp_path):
    from runload.cli.reports import sections_on_all_cores
    from runload.report.html import render_report
    from runload.service import collect_team
    from runload.store import Store

    db = make_store(tmp_path / "s.db", {"alex": WARNING_WEEK, "sam": STEADY, "kim": ALERT_WEEK, "lee": STEADY})
    with Store.open(db, readonly=True) as store:
        athletes = collect_team(store, store.athlete_names(), as_of=date(2024, 1, 17))
    one = render_report(athletes, team=True)
    many = render_report(athletes, team=True, map_sections=sections_on_all_cores)
    assert one == many and one.count("<section") >= 4


def test_team_report_read_and_drawn_in_workers_is_the_page_drawn_in_one_process(tmp_path):
    """From 4 athletes on, the command reads and draws each athlete in a worker process that opens
    the store itself; the page is the one drawn from the athletes collected in this process."""
    import multiprocessing

    from runload.report.html import render_report
    from runload.service import collect_team
    from runload.store import Store

    db = make_store(tmp_path / "s.db", {"alex": WARNING_WEEK, "sam": STEADY, "kim": ALERT_WEEK, "lee": STEADY,
                                        "max": WARNING_WEEK})
    out = tmp_path / "team.html"
    result = run("--db", db, "report", "--all", "--as-of", "2024-01-17", "--out", out)
    assert result.exit_code == 0, result.output
    assert "5 athletes" in result.output
    with Store.open(db, readonly=True) as store:
        athletes = collect_team(store, store.athlete_names(), as_of=date(2024, 1, 17))
    assert out.read_text() == render_report(athletes, team=True)
    assert multiprocessing.active_children() == []  # the workers have ended


def test_summary_json_streamed_athlete_by_athlete_is_the_whole_list(tmp_path):
    from runload import service
    from runload.report.summary import summary_json
    from runload.store import Store

    db = make_store(tmp_path / "s.db", {"alex": ALERT_WEEK, "sam": STEADY, "kim": WARNING_WEEK})
    streamed = run("--db", db, "summary", "--all", "--as-of", "2024-01-17", "--format", "json").stdout
    with Store.open(db, readonly=True) as store:
        whole = summary_json([service.week_summary(store, service.resolve(store, n, None, as_of=date(2024, 1, 17)),
                                                   "last") for n in store.athlete_names()])
    assert streamed == whole and [r["athlete"] for r in json.loads(streamed)] == ["alex", "kim", "sam"]


def test_summary_of_a_team_read_in_workers_is_the_one_process_summary(tmp_path):
    """From 8 athletes on, ``summary --all`` reads every athlete in a worker process: text, Markdown and
    JSON are exactly what one process writes athlete by athlete, the exit code is the team's highest,
    and the workers have ended."""
    import multiprocessing

    from runload import service
    from runload.cli.common import PARALLEL_MIN_ATHLETES
    from runload.report.summary import summary_json, summary_markdown, summary_text
    from runload.store import Store

    logs = [WARNING_WEEK, STEADY, ALERT_WEEK, STEADY]
    team = {f"a{i:02d}": logs[i % len(logs)] for i in range(PARALLEL_MIN_ATHLETES + 2)}
    db = make_store(tmp_path / "s.db", team)
    with Store.open(db, readonly=True) as store:
        one = [service.week_summary(store, service.resolve(store, n, None, as_of=date(2024, 1, 17)), "last")
               for n in store.athlete_names()]
    for fmt, render in (("text", summary_text), ("markdown", summary_markdown), ("json", summary_json)):
        result = run("--db", db, "summary", "--all", "--as-of", "2024-01-17", "--format", fmt, "--fail-on", "warning")
        assert result.stdout.rstrip("\n") == render(one).rstrip("\n"), fmt
        assert result.exit_code == 5  # an alert week is in the team
    assert multiprocessing.active_children() == []
