"""``runload import`` and ``weeks`` (``activities``, ``imports`` and ``athletes``: :mod:`runload.cli.log`)."""

from __future__ import annotations

import json
import os
import sys
import textwrap

import click
from runload.cli.app import EXIT_NO_ACTIVITY_FILES, EXIT_SKIPPED, cli
from runload.cli.common import (
    NAME, TIME_ZONE, as_of_option, athlete_option, emit_records, format_option, load_config, open_store, parse_date,
    resolve_settings, units_option,
)
from runload.errors import ConfigError, RunloadError
from runload.limits import MAX_FILE_BYTES
from runload.output import Column, render
from runload.safetext import terminal_safe
from runload.units import fmt_duration, to_m


@cli.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@athlete_option
@click.option("--shoe", type=NAME, metavar="NAME", help="Shoe worn on the runs of this import (created if new).")
@click.option("--tz", type=TIME_ZONE, metavar="ZONE", help="The athlete's IANA time zone, e.g. Europe/Berlin (stored).")
@click.option("--max-file-mb", "max_file_mb", type=click.IntRange(1, 1024 * 1024), default=MAX_FILE_BYTES // 2**20,
              show_default=True, metavar="MB", help="Refuse loose files larger than this, before reading them.")
@click.option("--jobs", "-j", type=click.IntRange(1, 64), help="Parsing processes (default: all cores).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--quiet", "-q", is_flag=True,
              help="Print only new problems (files skipped for the first time, activities of unknown sport); "
                   "nothing at all when there is nothing new.")
@click.option("--show-known-skips", is_flag=True,
              help="Also list the files an earlier import skipped (they are remembered and not listed again).")
@click.pass_context
def import_cmd(ctx, paths, athlete, shoe, tz, max_file_mb, jobs, fmt, quiet, show_known_skips):
    """Import activity files, folders and export archives.

    PATH may be a FIT, GPX or TCX file (also .gz), a folder (searched
    recursively) or a Strava / Garmin Connect export zip. Files are
    recognised by their content, not their name. A file already imported is
    skipped without being read again; the same run from two sources is stored
    once. Each bad file is skipped with a reason and the rest goes on.
    """
    from runload.ingest import count_files, import_paths
    from runload.zones import check_timezone

    check_timezone(tz)
    for p in paths:  # a mistyped path is named before anything else
        if not os.path.exists(p):
            raise RunloadError(f"{p}: no such file or folder")
    store = open_store(ctx, write=True)
    with store:
        athlete = import_athlete(ctx, store, athlete)
        show_progress = fmt == "text" and not quiet and sys.stderr.isatty()
        if show_progress:
            with _Progress(count_files(paths)) as progress:
                report = import_paths(store, paths, athlete, tz=tz, shoe=shoe, jobs=jobs, progress=progress,
                                      max_file_bytes=max_file_mb * 2**20)
        else:
            report = import_paths(store, paths, athlete, tz=tz, shoe=shoe, jobs=jobs,
                                  max_file_bytes=max_file_mb * 2**20)
    if fmt == "json":
        click.echo(json.dumps(report.to_json(), indent=2, ensure_ascii=False))
    else:
        text = format_import_report(report, quiet=quiet, show_known_skips=show_known_skips)
        if text:
            click.echo(terminal_safe(text))
    if not report.activity_files:
        where = ", ".join(paths)
        click.echo(terminal_safe(f"No FIT, GPX or TCX file in {where}: nothing to import."), err=True)
        ctx.exit(EXIT_NO_ACTIVITY_FILES)
    if report.skipped:
        ctx.exit(EXIT_SKIPPED)


def import_athlete(ctx, store, athlete: str | None) -> str:
    """The athlete an import is for: --athlete, else $RUNLOAD_ATHLETE, else the config's
    ``[cli] default_athlete``; never a guess (another runner's files would join someone's log)."""
    from runload.cli.common import load_config

    if athlete:
        return athlete
    athlete = os.environ.get("RUNLOAD_ATHLETE", "").strip()
    if athlete:
        return athlete
    cli_section = load_config(ctx).sections.get("cli", {})
    athlete = cli_section.get("default_athlete") if isinstance(cli_section, dict) else None
    if isinstance(athlete, str) and athlete.strip():
        return athlete.strip()
    names = store.athlete_names()
    raise ConfigError(
        "whose activities are these? give --athlete NAME (or set RUNLOAD_ATHLETE, or default_athlete under [cli] "
        f"in the config); athletes in the store: {', '.join(names) if names else 'none yet'}"
    )


# import never guesses: its --athlete falls back differently from the read commands' "the only one"
for _param in import_cmd.params:
    if _param.name == "athlete":
        _param.help = ("Whose activities (created if new). Default: $RUNLOAD_ATHLETE, else default_athlete under "
                       "[cli] in the config; never guessed.")


class _Progress:
    """A progress bar on stderr when the number of files is known, else a running count."""

    def __init__(self, total: int | None):
        self.total = total
        self.done = 0
        self.bar = click.progressbar(length=total, label="Importing", file=sys.stderr, show_pos=True,
                                     show_eta=True) if total else None

    def __enter__(self):
        if self.bar is not None:
            self.bar.__enter__()
        return self

    def __call__(self, label: str) -> None:
        self.done += 1
        if self.bar is not None:
            self.bar.update(1)
        elif self.done % 25 == 0:
            click.echo(f"\rImporting: {self.done} files", file=sys.stderr, nl=False)

    def __exit__(self, *exc) -> None:
        if self.bar is not None:
            self.bar.__exit__(*exc)
        elif self.done >= 25:
            click.echo(f"\rImporting: {self.done} files", file=sys.stderr)


#: The command that sets an activity's sport (named in the import summary).
SET_SPORT_COMMAND = "runload activities set ID --sport SPORT"


def format_import_report(report, quiet: bool = False, show_known_skips: bool = False) -> str:
    """The plain-text import summary; empty under ``quiet`` when there is nothing new to say."""
    lines = []
    if not quiet:
        if report.imported or not report.nothing_new:
            others = ", ".join(f"{n} {s}" for s, n in sorted(report.other_sports.items()) if n)
            lines.append(
                f"Imported {report.imported} activit{'y' if report.imported == 1 else 'ies'} for {report.athlete} "
                f"from {report.files} file{'s' if report.files != 1 else ''}: {report.runs} "
                f"run{'s' if report.runs != 1 else ''}"
                + (f", other sports (stored, not counted): {others}" if others else "") + "."
            )
        elif report.files:
            lines.append(f"Nothing new for {report.athlete}.")
        if report.known:
            lines.append(f"Already in the store, not read again: {report.known} file{'s' if report.known != 1 else ''}.")
        if report.known_skips and not show_known_skips:
            n = len(report.known_skips)
            lines.append(f"Skipped by an earlier import, not listed again: {n} file{'s' if n != 1 else ''} "
                         "(list them with --show-known-skips).")
        if report.duplicates:
            lines.append(f"Duplicates, stored once: {len(report.duplicates)}")
            lines.extend(f"  {f}: duplicate of {d}" for f, d in report.duplicates)
        if report.replaced:
            lines.append(f"Replaced (a better copy kept in place of an earlier one): {len(report.replaced)}")
            lines.extend(f"  {f}: replaces {d}" for f, d in report.replaced)
        if report.recovered:
            lines.append(f"Recovered from damaged files: {len(report.recovered)}")
            lines.extend(f"  {f}: {r}" for f, r in report.recovered)
        if report.runs_without_distance:
            n = len(report.runs_without_distance)
            lines.append(f"Runs without distance (count as running days with their time and heart rate): {n}")
            lines.extend(f"  id {i}: {w} from {f}" for f, i, w in report.runs_without_distance)
    if report.unknown_sport:
        n = len(report.unknown_sport)
        lines.append(f"Sport unknown, stored but not counted as running: {n} — set it with "
                     f"'{SET_SPORT_COMMAND}'")
        lines.extend(f"  id {i}: {w} from {f}" for f, i, w in report.unknown_sport)
    if report.skipped:
        lines.append(f"Skipped: {len(report.skipped)} file{'s' if len(report.skipped) != 1 else ''}")
        lines.extend(f"  {f}: {r}" for f, r in report.skipped)
    if show_known_skips and report.known_skips:
        n = len(report.known_skips)
        lines.append(f"Skipped by an earlier import: {n} file{'s' if n != 1 else ''}")
        lines.extend(f"  {f}: {r}" for f, r in report.known_skips)
    return "\n".join(lines)


def _signed_pct(value: float) -> str:
    """``+8%``, ``-23%``; a change that rounds to zero is ``0%``, never ``-0%``."""
    whole = round(value)
    return "0%" if whole == 0 else f"{whole:+d}%"


def _change_cell(row: dict) -> str:
    """The week's change; "·" marks a week within the 5–10 % guideline band (no finding)."""
    if row["change_pct"] is None:
        return "–"
    text = _signed_pct(row["change_pct"])
    return text + "·" if row["in_band"] else text


def _pace(seconds_per_m: float | None, units: str) -> str:
    """``5:12`` (minutes per km or mile); ``–`` without distance or time."""
    if seconds_per_m is None or seconds_per_m != seconds_per_m or seconds_per_m <= 0:
        return "–"
    s = round(seconds_per_m * to_m(1.0, units))
    return f"{s // 60}:{s % 60:02d}"


def weekly_columns(units: str, with_gaps: bool = True) -> list[Column]:
    """The weekly table's columns (at most 80 characters wide); the no-data column only when a week
    has such days."""
    columns = [
        Column("iso_week", "week", align="left"),
        Column(f"distance_{units}", units, lambda v: f"{v:.1f}"),
        Column("change_cell", "change"),
        Column("runs", "runs"),
        Column("rest_days", "rest"),
        Column(f"longest_run_{units}", "longest", lambda v: f"{v:.1f}"),
        Column("moving_s", "time", fmt_duration),
        Column("pace", f"min/{units}"),
        Column("status", "status", align="left"),
        Column("missing_days", "no data"),
    ]
    return columns if with_gaps else columns[:-1]


@cli.command("weeks")
@athlete_option
@click.option("--all", "all_athletes", is_flag=True, help="Every athlete in the store.")
@units_option
@format_option("table", "csv", "json", "markdown")
@as_of_option
@click.option("--weeks", "last_n", type=click.IntRange(1, None), metavar="N", help="Only the last N weeks.")
@click.pass_context
def weeks_cmd(ctx, athlete, all_athletes, units, fmt, as_of, last_n):
    """The weekly running table: one row per ISO week (Monday to Sunday).

    Distances are running only, on the athlete's local calendar, up to the
    as-of date (default today). The change is shown where the 10 % rule
    compares (a complete week over its baseline; "·" marks the 5–10 % band);
    the current week is "so far", a week the log does not cover whole
    "partial", and days after the newest activity or in a declared gap are
    "no data", never rest days.
    """
    from runload import service

    as_of_date = parse_date(as_of)
    cfg = load_config(ctx)
    records, outputs = [], []
    with open_store(ctx) as store:
        names = service.pick_athletes(store, athlete, all_athletes)
        for name in names:
            settings = resolve_settings(store, name, cfg, as_of_date, units)
            result = service.check_athlete(store, settings, only=[])
            rows = service.weekly_records(result, settings.units)
            if last_n:
                rows = rows[-last_n:]
            records.extend(rows)
            if fmt not in ("table", "markdown"):
                continue
            u = settings.units
            title = f"{name}: weekly running ({u}, {settings.tz}, as of {settings.as_of})"
            if not rows:
                outputs.append(f"{title}\nNo runs yet.\n")
                continue
            for r in rows:
                r["missing_days"] = r["gap_days"] + r["no_data_days"]
                r["pace"] = _pace(r["moving_s"] / r["distance_m"] if r["distance_m"] else None, u)
                r["change_cell"] = _change_cell(r)
            text = render(rows, weekly_columns(u, with_gaps=any(r["missing_days"] for r in rows)), fmt, title=title)
            total = sum(r[f"distance_{u}"] for r in rows)
            notes = [f"{len(rows)} weeks, {total:.1f} {u} in all."]
            if any(r["in_band"] for r in rows):
                notes.append("· within the 5–10% guideline.")
            end = result.context.data_end
            if end is not None and end < settings.as_of:
                notes.append(f"No activity recorded after {end} ({(settings.as_of - end).days} days).")
            text += "\n".join(textwrap.wrap(" ".join(notes), width=80))
            outputs.append(text + "\n")
    if fmt in ("table", "markdown"):
        click.echo("\n".join(outputs).rstrip("\n"))
    else:
        emit_records(records, fmt)
