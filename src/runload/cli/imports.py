"""``runload import``, ``weeks``, ``activities`` and ``athletes``."""

from __future__ import annotations

import json
import sys

import click
import pandas as pd

from runload import tables
from runload.cli import EXIT_SKIPPED, cli
from runload.cli.common import NAME, TIME_ZONE, as_of_option, athlete_option, open_store, parse_date, pick_athletes, \
    units_option
from runload.importers.sources import MAX_FILE_BYTES
from runload.ingest import count_files, import_paths
from runload.output import Column, plain_rows, render
from runload.safetext import terminal_safe
from runload.units import fmt_duration, m_to


@cli.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@athlete_option
@click.option("--shoe", type=NAME, metavar="NAME", help="Shoe worn on the runs of this import (created if new).")
@click.option("--tz", type=TIME_ZONE, metavar="ZONE", help="The athlete's IANA time zone, e.g. Europe/Berlin (stored).")
@click.option("--max-file-mb", "max_file_mb", type=click.IntRange(1, 1024 * 1024), default=MAX_FILE_BYTES // 2**20,
              show_default=True, metavar="MB", help="Refuse loose files larger than this, before reading them.")
@click.option("--jobs", "-j", type=click.IntRange(1, 64), help="Parsing processes (default: all cores).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--quiet", "-q", is_flag=True, help="Print only problems (skipped files).")
@click.pass_context
def import_cmd(ctx, paths, athlete, shoe, tz, max_file_mb, jobs, fmt, quiet):
    """Import activity files, folders and export archives.

    PATH may be a FIT, GPX or TCX file (also .gz), a folder (searched
    recursively) or a Strava / Garmin Connect export zip. Files are
    recognised by their content, not their name. A file already imported is
    skipped without being read again; the same run from two sources is stored
    once. Each bad file is skipped with a reason and the rest goes on.
    """
    tables.check_timezone(tz)
    store = open_store(ctx, write=True)
    with store:
        if athlete is None:
            names = store.athlete_names()
            athlete = names[0] if len(names) == 1 else "me"
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
        click.echo(terminal_safe(format_import_report(report, quiet=quiet)))
    if report.skipped:
        ctx.exit(EXIT_SKIPPED)


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


def format_import_report(report, quiet: bool = False) -> str:
    """The plain-text import summary."""
    lines = []
    if not quiet:
        others = ", ".join(f"{n} {s}" for s, n in sorted(report.other_sports.items()) if n)
        lines.append(
            f"Imported {report.imported} activit{'y' if report.imported == 1 else 'ies'} for {report.athlete} "
            f"from {report.files} file{'s' if report.files != 1 else ''}: {report.runs} "
            f"run{'s' if report.runs != 1 else ''}" + (f", other sports (stored, not counted): {others}" if others else "")
            + "."
        )
        if report.known:
            lines.append(f"Already in the store, not read again: {report.known} file{'s' if report.known != 1 else ''}.")
        if report.duplicates:
            lines.append(f"Duplicates, stored once: {len(report.duplicates)}")
            lines.extend(f"  {f}: duplicate of {d}" for f, d in report.duplicates)
        if report.replaced:
            lines.append(f"Richer record kept in place of an earlier one: {len(report.replaced)}")
            lines.extend(f"  {f}: replaces {d}" for f, d in report.replaced)
        if report.recovered:
            lines.append(f"Recovered from damaged files: {len(report.recovered)}")
            lines.extend(f"  {f}: {r}" for f, r in report.recovered)
    if report.skipped:
        lines.append(f"Skipped: {len(report.skipped)} file{'s' if len(report.skipped) != 1 else ''}")
        lines.extend(f"  {f}: {r}" for f, r in report.skipped)
    return "\n".join(lines)


def weekly_rows(weekly: pd.DataFrame, units: str, gap_days: list[int] | None = None) -> list[dict]:
    """Rows for the weekly table, with the change over the week before and declared gap days."""
    rows = []
    prev = None
    gap_days = gap_days or [0] * len(weekly)
    for (monday, w), gap in zip(weekly.iterrows(), gap_days):
        change = None
        if prev is not None and prev > 0:
            change = (w["distance_m"] - prev) / prev * 100.0
        rows.append({
            "iso_week": w["iso_week"],
            "week_start": monday.date(),
            f"distance_{units}": round(m_to(w["distance_m"], units), 3),
            "change_pct": None if change is None else round(change, 1),
            "runs": int(w["runs"]),
            "run_days": int(w["run_days"]),
            "rest_days": int(w["rest_days"]),
            f"longest_run_{units}": round(m_to(w["longest_run_m"], units), 3),
            "moving_s": int(round(w["moving_s"])),
            "elevation_gain_m": int(round(w["elevation_gain_m"])),
            "complete": bool(w["complete"]),
            "gap_days": int(gap),
        })
        prev = w["distance_m"]
    return rows


def _signed_pct(value: float) -> str:
    """``+8%``, ``-23%``; a change that rounds to zero is ``0%``, never ``-0%``."""
    whole = round(value)
    return "0%" if whole == 0 else f"{whole:+d}%"


def weekly_columns(units: str, with_gaps: bool = True) -> list[Column]:
    """The weekly table's columns; ``gap_days`` (declared days without data) unless ``with_gaps`` is off."""
    columns = [
        Column("iso_week", "week", align="left"),
        Column("week_start", "from", str, align="left"),
        Column(f"distance_{units}", units, lambda v: f"{v:.1f}"),
        Column("change_pct", "change", _signed_pct),
        Column("runs", "runs"),
        Column("rest_days", "rest days"),
        Column(f"longest_run_{units}", f"longest {units}", lambda v: f"{v:.1f}"),
        Column("moving_s", "time", fmt_duration),
        Column("elevation_gain_m", "climb m"),
        Column("complete", "complete", lambda v: "yes" if v else "so far", align="left"),
        Column("gap_days", "gap days"),
    ]
    return columns if with_gaps else columns[:-1]


@cli.command("weeks")
@athlete_option
@click.option("--all", "all_athletes", is_flag=True, help="Every athlete in the store.")
@units_option
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json", "markdown"]), default="table",
              show_default=True)
@as_of_option
@click.option("--weeks", "last_n", type=click.IntRange(1, None), metavar="N", help="Only the last N weeks.")
@click.pass_context
def weeks_cmd(ctx, athlete, all_athletes, units, fmt, as_of, last_n):
    """The weekly running table: one row per ISO week (Monday to Sunday).

    Distances are running only, on the athlete's local calendar; weeks
    without running are rows of zeros; the current week says "so far".
    """
    as_of_date = parse_date(as_of)
    with open_store(ctx) as store:
        names = pick_athletes(store, athlete, all_athletes)
        outputs, json_out = [], {}
        for name in names:
            tz = store.athlete_tz(name)
            acts = store.activities_frame(name, with_hr=False)
            span = tables.date_range_for(acts, tz, as_of_date)
            week_frame = tables.weekly(tables.daily(acts, tz, *span), as_of_date) if span else tables.weekly(
                tables.daily(acts.iloc[0:0], tz))
            gaps = store.gaps_frame(name)
            gap_days = tables.gap_days_by_week(gaps, week_frame.index, *(span or (None, None)))
            rows = weekly_rows(week_frame, units, gap_days)
            if last_n:  # after the change column is computed, so the first row shown has one
                rows, gap_days = rows[-last_n:], gap_days[-last_n:]
            if fmt == "json":
                json_out[name] = plain_rows(rows)
                continue
            title = None
            if fmt in ("table", "markdown"):
                total = sum(r[f"distance_{units}"] for r in rows)
                title = f"{name}: weekly running ({units}, {tz or 'time zone of the files'})"
                if not rows:
                    outputs.append(f"{title}\nNo runs yet.\n")
                    continue
                text = render(rows, weekly_columns(units, with_gaps=any(gap_days)), fmt, title=title)
                text += f"{len(rows)} weeks, {total:.1f} {units} in all.\n"
                outputs.append(text)
            else:
                if len(names) > 1:
                    for r in rows:
                        r["athlete"] = name
                cols = ([Column("athlete", "athlete")] if len(names) > 1 else []) + weekly_columns(units)
                outputs.append(render(rows, cols, "csv") if not outputs else
                               render(rows, cols, "csv").split("\n", 1)[1])
    if fmt == "json":
        click.echo(json.dumps(json_out if len(names) > 1 else json_out[names[0]], indent=2, ensure_ascii=False))
    else:
        click.echo("\n".join(outputs).rstrip("\n"))


@cli.command("activities")
@athlete_option
@units_option
@click.option("--runs-only", is_flag=True, help="Only runs (default: every sport, marked).")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json", "markdown"]), default="table",
              show_default=True)
@click.option("--last", "last_n", type=click.IntRange(1, None), metavar="N", help="Only the last N activities.")
@click.pass_context
def activities_cmd(ctx, athlete, units, runs_only, fmt, last_n):
    """List stored activities: local date and time, sport, distance, time, source."""
    with open_store(ctx) as store:
        (name,) = pick_athletes(store, athlete)
        tz = store.athlete_tz(name)
        acts = store.activities_frame(name, with_hr=False)
    if runs_only:
        acts = acts[acts["sport"] == "running"]
    if last_n:
        acts = acts.tail(last_n)
    rows = []
    if not acts.empty:
        local = pd.to_datetime(acts["start_utc"], utc=True)
        local = local.dt.tz_convert(tz) if tz else local
        for (_, a), start in zip(acts.iterrows(), local):
            sport = a["sport"] + (f"/{a['sub_sport']}" if a["sub_sport"] else "")
            rows.append({
                "id": int(a["id"]),
                "local_start": start.strftime("%Y-%m-%d %H:%M"),
                "start_utc": a["start_utc"].strftime("%Y-%m-%dT%H:%M:%SZ"),
                "sport": sport,
                "counted": a["sport"] == "running",
                f"distance_{units}": None if pd.isna(a["distance_m"]) else round(m_to(a["distance_m"], units), 3),
                "moving_s": None if pd.isna(a["moving_s"]) else round(a["moving_s"], 1),
                "avg_hr_bpm": None if pd.isna(a["avg_hr_bpm"]) else round(a["avg_hr_bpm"], 1),
                "shoe": a["shoe"],
                "notes": "; ".join(a["notes"] + ([a["recovered"]] if a["recovered"] else [])),
                "source": a["source_path"],
            })
    cols = [
        Column("local_start", "start (local)", align="left"),
        Column("sport", "sport", align="left"),
        Column(f"distance_{units}", units, lambda v: f"{v:.2f}"),
        Column("moving_s", "moving", fmt_duration),
        Column("avg_hr_bpm", "avg HR", lambda v: f"{v:.0f}"),
        Column("shoe", "shoe", align="left"),
        Column("notes", "notes", align="left"),
    ]
    if fmt in ("csv", "json"):
        cols = [Column(k, k) for k in (rows[0].keys() if rows else
                ["id", "local_start", "start_utc", "sport", "counted", f"distance_{units}", "moving_s",
                 "avg_hr_bpm", "shoe", "notes", "source"])]
    if not rows and fmt in ("table", "markdown"):
        click.echo(f"{name}: no activities stored.")
        return
    click.echo(render(rows, cols, fmt, title=f"{name}: {len(rows)} activities" if fmt == "table" else None)
               .rstrip("\n"))


@cli.command("athletes")
@click.pass_context
def athletes_cmd(ctx):
    """List the athletes in the store with their time zone and activity counts."""
    with open_store(ctx) as store:
        rows = store.athletes()
    if not rows:
        click.echo("No athletes yet; import activities with 'runload import PATH --athlete NAME'.")
        return
    click.echo(render(rows, [Column("name", "athlete", align="left"), Column("tz", "time zone", align="left"),
                             Column("activities", "activities"), Column("runs", "runs")]).rstrip("\n"))
