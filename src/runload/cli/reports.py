"""``runload report`` (self-contained HTML) and ``runload summary`` (weekly, for cron)."""

from __future__ import annotations

from pathlib import Path

import click

from runload.cli.app import EXIT_NO_DATA, EXIT_OK, cli
from runload.cli.common import (
    PARALLEL_MIN_ATHLETES, WEEK, as_of_option, athlete_option, check_replaceable, fail_on_exit, load_config, open_store, parse_date, pick_athletes,
    team_settings, units_option, write_atomic,
)

FAIL_ON_DEFAULT = "warning"


def sections_on_all_cores(fn, rows) -> list[str]:
    """``list(map(fn, rows))`` with one forked process per core: the athletes' charts are most of a
    team report's time. One athlete at a time (chunks of 12 could leave a core idle for seconds at
    the end: an athlete takes 0.3–1 s)."""
    from runload.workers import map_in_workers

    return list(map_in_workers(fn, rows, chunksize=1))


def report_parts(store, settings: list, units: str, weeks: int, team: bool = False) -> list:
    """Each athlete's part of the report (:func:`runload.report.html.athlete_part`, drawn for a team
    page with ``team``), in the order of ``settings``. From 4 athletes on, each is read and drawn in
    a worker process (one per core) that opens the store itself: reading the store is no longer a
    serial step before the drawing (3.5 s of CPU for 100 athletes × 5 years), and the parent never
    holds the athletes' frames (peak RSS of that report 945 MB -> 628 MB)."""
    from runload import service
    from runload.report.html import athlete_part
    from runload.workers import map_in_workers

    def part(store_, i: int):
        return athlete_part(i + 1, service.collect(store_, settings[i]), units, weeks, team)

    if len(settings) < 4:
        return [part(store, i) for i in range(len(settings))]
    return list(map_in_workers(part, range(len(settings)), store_path=store.path, chunksize=1))


@cli.command("report")
@athlete_option
@click.option("--all", "all_athletes", is_flag=True, help="Every athlete: the coach's team overview.")
@click.option("--weeks", "weeks", type=click.IntRange(1, 520), default=12, show_default=True, metavar="N",
              help="Weeks shown in the charts and tables.")
@units_option
@as_of_option
@click.option("--out", "-o", "out", type=click.Path(allow_dash=True), required=True,
              help="The HTML file to write (one file, charts embedded, no external resources); - for standard "
                   "output. Only a regular file is ever replaced.")
@click.pass_context
def report_cmd(ctx, athlete, all_athletes, weeks, units, as_of, out):
    """Write a self-contained HTML report: charts, weekly table, findings, shoes.

    With --all (or a store of several athletes and --all) the page starts with
    a team overview: one row per athlete linked to that athlete's section.
    Every flag is a training-load risk flag, not a diagnosis.
    """
    from runload.report.html import render_page

    if out != "-":
        check_replaceable(Path(out).expanduser())  # before any work
    as_of_date = parse_date(as_of)
    cfg = load_config(ctx)
    with open_store(ctx) as store:
        names = pick_athletes(store, athlete, all_athletes)
        settings = team_settings(store, names, cfg, as_of_date, units)  # one team date for everyone
        units = settings[0].units
        team = all_athletes or len(settings) > 1
        parts = report_parts(store, settings, units, weeks, team)
    page = render_page(parts, units=units, team=team)
    if out == "-":
        click.echo(page, nl=False)
    else:
        write_atomic(Path(out), lambda tmp: Path(tmp).write_text(page, encoding="utf-8"))
    total = sum(p.findings for p in parts)
    where = "the report to standard output" if out == "-" else out
    click.echo(f"Wrote {where}: {len(parts)} athlete{'s' if len(parts) != 1 else ''}, "
               f"{total} finding{'s' if total != 1 else ''} in the log.", err=True)


@cli.command("summary")
@athlete_option
@click.option("--all", "all_athletes", is_flag=True, help="Every athlete in the store.")
@click.option("--week", "week", type=WEEK, default="last", show_default=True, metavar="last|this|YYYY-Www",
              help="last = the last complete ISO week before the as-of date; this = the current week so far.")
@as_of_option
@units_option
@click.option("--format", "fmt", type=click.Choice(["text", "markdown", "json"]), default="text",
              show_default=True, help="text is mail-ready (lines < 78 characters, first line = subject).")
@click.option("--fail-on", "fail_on", type=click.Choice(["warning", "alert", "never"]), default=FAIL_ON_DEFAULT,
              show_default=True, help="Exit 4 (warning) or 5 (alert) when the week has a finding at or above "
                                      "this level; never = always exit 0.")
@click.pass_context
def summary_cmd(ctx, athlete, all_athletes, week, as_of, units, fmt, fail_on):
    """The weekly summary for cron or mail: distance, runs, rest days, longest run,
    change on the previous week, that week's risk flags and shoe reminders.

    \b
    Exit codes: 0 nothing at or above --fail-on; 4 the highest finding of the
    week is a warning; 5 it is an alert; 7 the week has no data at all (no
    activity recorded since an earlier date: check that the import works);
    1 error, 2 usage error.
    Example crontab line (Mondays 07:00):
      0 7 * * 1  runload summary --all --week last --fail-on never | mail -s "runload" me@example.org
    """
    from runload import service
    from runload.report.summary import summary_json_item, summary_markdown, summary_text
    from runload.workers import default_jobs, map_in_workers

    as_of_date = parse_date(as_of)
    cfg = load_config(ctx)
    summaries = []
    with open_store(ctx) as store:
        names = pick_athletes(store, athlete, all_athletes)
        team = team_settings(store, names, cfg, as_of_date, units)
        if len(team) >= PARALLEL_MIN_ATHLETES and default_jobs() > 1:
            import pandas  # noqa: F401 - what a summary reads with: loaded once before the workers fork

            weeks = map_in_workers(lambda store_, settings: service.week_summary(store_, settings, week), team,
                                   store_path=store.path)
        else:
            weeks = (service.week_summary(store, settings, week) for settings in team)
        for summary in weeks:
            summaries.append(summary)
            if fmt == "json":  # streamed athlete by athlete; text needs every athlete for its subject line
                click.echo(("[\n" if len(summaries) == 1 else ",\n") + summary_json_item(summaries[-1]), nl=False)
    if fmt == "json":
        click.echo("\n]" if summaries else "[]")
    else:
        click.echo(summary_markdown(summaries) if fmt == "markdown" else summary_text(summaries), nl=False)
    highest = None
    for s in summaries:
        if s.highest is not None and (highest is None or s.highest > highest):
            highest = s.highest
    code = fail_on_exit(highest, fail_on)
    if code == EXIT_OK and any(s.no_data for s in summaries):
        code = EXIT_NO_DATA
    if code:
        ctx.exit(code)


__all__ = ["report_cmd", "summary_cmd"]
