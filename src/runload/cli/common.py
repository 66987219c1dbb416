"""Options and helpers shared by the command modules."""

from __future__ import annotations

from datetime import date

import click

from runload.errors import StoreError
from runload.store import Store


def open_store(ctx: click.Context, *, write: bool = False) -> Store:
    """The store named by --db / RUNLOAD_DB / the default; read-only unless ``write``.

    A store of an older schema (e.g. one written before gaps existed) is migrated
    forward once, then opened read-only; if it cannot be written, the
    "older schema" sentence stands.
    """
    path = ctx.obj.get("db_path") if ctx.obj else None
    if write:
        return Store.open(path)
    try:
        return Store.open(path, readonly=True)
    except StoreError as err:
        if "older schema" not in str(err):
            raise
        try:
            Store.open(path).close()  # migrations only add tables: nothing is lost
        except StoreError:
            raise err from None
        return Store.open(path, readonly=True)


def load_config(ctx: click.Context):
    from runload.config import load_config as _load
    from runload.rules.registry import check_config

    return check_config(_load(ctx.obj.get("config_path") if ctx.obj else None))


def pick_athletes(store: Store, athlete: str | None, all_athletes: bool = False) -> list[str]:
    """The athletes a command works on: --athlete, --all, or the only one in the store."""
    from runload.service import pick_athletes as _pick

    return _pick(store, athlete, all_athletes)


def resolve_settings(store: Store, name: str, cfg, as_of: date | None, units: str | None):
    """The athlete's resolved settings (zone, as-of date, units, config); notices go to stderr once."""
    from runload.service import resolve

    settings = resolve(store, name, cfg, as_of=as_of, units=units)
    for notice in settings.notices:
        click.echo(f"Note: {notice}", err=True)
    return settings


def team_settings(store: Store, names: list[str], cfg, as_of: date | None, units: str | None) -> list:
    """Settings for several athletes judged on one team date: ``as_of``, else today on this
    machine's calendar (each athlete alone: today in their own zone)."""
    from runload.service import team_date

    day = team_date(names, as_of)
    return [resolve_settings(store, n, cfg, day, units) for n in names]


def format_option(*choices: str, default: str | None = None):
    """The one ``--format`` option: the formats a command offers, the first as default."""
    return click.option("--format", "fmt", type=click.Choice(list(choices)), default=default or choices[0],
                        show_default=True, help="Output format.")


def table_with_notes(rows: list[dict], columns, note_key: str, *, title: str | None = None,
                     width: int = 80) -> str:
    """A plain table whose rows each carry a note printed, wrapped, on the lines below the row
    (so a long text such as a shoe's forecast does not widen the table past ``width``)."""
    import textwrap

    from runload.output import render

    lines = render(rows, columns, "table", title=title).rstrip("\n").split("\n")
    head = 3 if title else 2
    out = lines[:head]
    for row, line in zip(rows, lines[head:]):
        out.append(line)
        note = row.get(note_key)
        if note:
            out += textwrap.wrap(str(note), width=width, initial_indent="    ", subsequent_indent="    ")
    return "\n".join(out) + "\n"


def emit_records(records: list[dict], fmt: str, columns=None) -> None:
    """Write machine-readable records: JSON is always one list of records (each with its
    ``athlete`` field, whatever the number of athletes); CSV one header and one row per record."""
    import json

    from runload.output import Column, render

    if fmt == "json":
        click.echo(json.dumps(records, indent=2, ensure_ascii=False, default=str))
        return
    if columns is None:
        keys = list(records[0]) if records else ["athlete"]
        columns = [Column(k, k) for k in keys]
    click.echo(render(records, columns, "csv").rstrip("\n"))


def fail_on_exit(highest, fail_on: str) -> int:
    """The exit code for ``--fail-on`` given the highest severity found (a Severity or None):
    0 when nothing is at or above the level, 4 for a warning, 5 for an alert."""
    from runload.cli import EXIT_ALERT, EXIT_OK, EXIT_WARNING
    from runload.findings import Severity

    if fail_on == "never" or highest is None or Severity.parse(highest) < Severity.parse(fail_on):
        return EXIT_OK
    return EXIT_ALERT if Severity.parse(highest) >= Severity.ALERT else EXIT_WARNING


def parse_date(value: str | None, option: str = "--as-of") -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date; write it as YYYY-MM-DD", param_hint=option) from None


athlete_option = click.option("--athlete", "-a", metavar="NAME", help="The athlete (default: the only one).")
units_option = click.option("--units", type=click.Choice(["km", "mi"]), default=None,
                            help="Distance units (default: the config's units, else km).")
as_of_option = click.option("--as-of", "as_of", metavar="DATE",
                            help="Evaluate the log as it stood on this date (YYYY-MM-DD).")
