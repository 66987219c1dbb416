"""``runload sync``: import every configured athlete's export folders, then (optionally) write the team report.

The configuration names the folders::

    [athletes.alex]
    timezone = "Europe/Berlin"
    folders = ["~/watch-exports/alex", "~/Downloads/strava_alex.zip"]

Each athlete's folders go through the same import as ``runload import`` (files
already in the store are recognised and not read again, each bad file is
skipped with its reason, the same run from two sources is stored once). The
configured time zone is given to an athlete's first import only; after that
the store's zone stands.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import click

from runload.cli.app import EXIT_ERROR, EXIT_SKIPPED, cli
from runload.cli.common import load_config, open_store, units_option
from runload.errors import RunloadError


def sync_plan(cfg, athlete: str | None = None) -> dict[str, list[str]]:
    """``{athlete: [paths]}`` from the configuration's ``[athletes.NAME] folders`` (``~`` expanded)."""
    where = cfg.source_path or "the configuration"
    plan = {name: [os.path.expanduser(str(f)) for f in over.get("folders", ())]
            for name, over in cfg.athletes.items() if over.get("folders")}
    if athlete is not None:
        if athlete not in plan:
            raise RunloadError(f"{where} lists no folders for athlete {athlete!r}; add "
                               f"[athletes.{athlete}] folders = [\"~/watch-exports\"] to it")
        plan = {athlete: plan[athlete]}
    if not plan:
        raise RunloadError(f"{where} lists no folders to sync; add a table such as [athletes.alex] with "
                           "folders = [\"~/watch-exports\"] (and timezone = \"Europe/Berlin\")")
    return plan


@cli.command("sync")
@click.option("--athlete", "-a", metavar="NAME",
              help="Sync only this athlete (default: every athlete with folders in the configuration).")
@click.option("--report", "report_out", type=click.Path(dir_okay=False), metavar="FILE",
              help="Afterwards, write the team report of the synced athletes to this HTML file.")
@click.option("--weeks", "weeks", type=click.IntRange(1, 520), default=12, show_default=True, metavar="N",
              help="Weeks shown in the report.")
@units_option
@click.option("--jobs", "-j", type=click.IntRange(1, 64), help="Parsing processes (default: all cores).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--quiet", "-q", is_flag=True, help="Print only problems (missing folders, skipped files).")
@click.pass_context
def sync_cmd(ctx, athlete, report_out, weeks, units, jobs, fmt, quiet):
    """Import the new files of every athlete's configured folders.

    The configuration lists them: [athletes.NAME] folders = ["~/exports"]
    (with timezone = "ZONE", used for the athlete's first import). --athlete
    syncs one of them. With --report FILE the team report of the synced
    athletes is written afterwards (as `runload report --all`).

    \b
    Exit codes: 0 every folder imported; 3 some files were skipped (each
    listed with its reason); 1 a configured folder does not exist (the other
    folders are still imported) or another error.
    """
    from runload.cli.imports import format_import_report
    from runload.ingest import import_paths

    cfg = load_config(ctx)
    plan = sync_plan(cfg, athlete)
    reports, missing = [], []
    with open_store(ctx, write=True) as store:
        for name, paths in plan.items():
            present = [p for p in paths if os.path.exists(p)]
            for p in paths:
                if p not in present:
                    missing.append((name, p))
                    click.echo(f"Error: {p} (a folder of athlete {name}) does not exist; mount it or fix "
                               f"[athletes.{name}] folders in the configuration.", err=True)
            if not present:
                continue
            known = name in store.athlete_names()
            tz = None if known and store.athlete_tz(name) else cfg.for_athlete(name).timezone
            reports.append(import_paths(store, present, name, tz=tz, jobs=jobs))
    if fmt == "json":
        click.echo(json.dumps([r.to_json() for r in reports], indent=2, ensure_ascii=False))
    else:
        text = "\n".join(t for t in (format_import_report(r, quiet=quiet) for r in reports) if t)
        if text:
            click.echo(text)
    if report_out:
        _write_team_report(ctx, list(plan), Path(report_out), units, weeks, quiet)
    if missing:
        ctx.exit(EXIT_ERROR)
    if any(r.skipped for r in reports):
        ctx.exit(EXIT_SKIPPED)


def _write_team_report(ctx, names: list[str], out: Path, units: str, weeks: int, quiet: bool) -> None:
    from runload.cli.common import write_atomic
    from runload.report.html import render_report
    from runload.service import collect_team

    cfg = load_config(ctx)
    with open_store(ctx) as store:
        names = [n for n in names if n in set(store.athlete_names())]
        if not names:
            raise RunloadError("no synced athlete has data yet, so there is no report to write")
        athletes = collect_team(store, names, cfg, units=units)
    page = render_report(athletes, units=athletes[0].units, weeks=weeks, team=len(athletes) > 1)
    write_atomic(out, lambda tmp: Path(tmp).write_text(page, encoding="utf-8"))
    if not quiet:
        click.echo(f"Wrote {out}: {len(athletes)} athlete{'s' if len(athletes) != 1 else ''}.", err=True)


__all__ = ["sync_cmd", "sync_plan"]
