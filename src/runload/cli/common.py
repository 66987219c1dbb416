"""Options and helpers shared by the command modules.

Option values are checked by click parameter types (:class:`DateParam`,
:class:`TimeZoneParam`, :class:`WeekParam`, :class:`NameParam`, :data:`ROW_ID`):
a bad value exits 2 with click's usage line, before any store is opened.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import re
import os
import stat
from datetime import date
from pathlib import Path

import click

from runload.errors import StoreError

if TYPE_CHECKING:
    from runload.store import Store


def open_store(ctx: click.Context, *, write: bool = False) -> Store:
    """The store named by --db / RUNLOAD_DB / the default; read-only unless ``write``.

    A store of an older schema (e.g. one written before gaps existed) is migrated
    forward once, then opened read-only; if it cannot be written, the
    "older schema" sentence stands.
    """
    from runload.store import Store

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


#: From this many athletes on, ``check --all`` and ``summary --all`` read athletes on all cores
#: (:func:`runload.workers.map_in_workers`); fewer are not worth forking for. A summary costs about
#: 45 ms an athlete (100 athletes × 5 years: 3.4 s in one process, 1.9 s on two cores).
PARALLEL_MIN_ATHLETES = 8


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
    from runload.cli.app import EXIT_ALERT, EXIT_OK, EXIT_WARNING
    from runload.findings import Severity

    if fail_on == "never" or highest is None or Severity.parse(highest) < Severity.parse(fail_on):
        return EXIT_OK
    return EXIT_ALERT if Severity.parse(highest) >= Severity.ALERT else EXIT_WARNING


#: Dates accepted by date options: far enough for any running log, near enough for every calendar computation.
MIN_DATE = date(1970, 1, 1)
MAX_DATE = date(2199, 12, 31)


def parse_date(value: str | date | None, option: str = "--as-of") -> date | None:
    if value is None or isinstance(value, date):  # already checked by DateParam
        return value
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date; write it as YYYY-MM-DD", param_hint=option) from None


class DateParam(click.ParamType):
    """A calendar date written YYYY-MM-DD, between :data:`MIN_DATE` and :data:`MAX_DATE`; gives a ``date``."""

    name = "date"

    def convert(self, value, param, ctx):
        if isinstance(value, date):
            return value
        try:
            day = date.fromisoformat(str(value).strip())
        except ValueError:
            self.fail(f"{value!r} is not a date; write it as YYYY-MM-DD", param, ctx)
        if not MIN_DATE <= day <= MAX_DATE:
            self.fail(f"{day.isoformat()} is out of range; give a date between {MIN_DATE.isoformat()} and "
                      f"{MAX_DATE.isoformat()}", param, ctx)
        return day


class TimeZoneParam(click.ParamType):
    """An IANA time zone name such as Europe/Berlin (given back as written)."""

    name = "zone"

    def convert(self, value, param, ctx):
        from zoneinfo import ZoneInfo

        text = str(value).strip()
        try:
            if not text or _CONTROL.search(text):
                raise ValueError(text)
            ZoneInfo(text)
        except Exception:  # noqa: BLE001 - ZoneInfoNotFoundError, ValueError, IsADirectoryError, OSError...
            self.fail(f"unknown time zone {value!r}; use an IANA name such as Europe/Berlin or America/New_York",
                      param, ctx)
        return text


class WeekParam(click.ParamType):
    """``last``, ``this`` or an ISO week written ``2026-W07`` (given back as text)."""

    name = "week"

    def convert(self, value, param, ctx):
        text = str(value).strip()
        if text.lower() in ("last", "this"):
            return text.lower()
        m = re.fullmatch(r"(\d{4})-?W(\d{1,2})", text, re.I)
        try:
            if not m:
                raise ValueError(text)
            monday = date.fromisocalendar(int(m.group(1)), int(m.group(2)), 1)
        except ValueError:
            self.fail(f"{value!r} is not a week; write last, this or an ISO week such as 2026-W07", param, ctx)
        if not MIN_DATE <= monday <= MAX_DATE:
            self.fail(f"{value!r} is out of range; give a week between {MIN_DATE.year} and {MAX_DATE.year}",
                      param, ctx)
        return text


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


class NameParam(click.ParamType):
    """A name (athlete, shoe): not empty, at most :attr:`max_len` characters, no control characters."""

    name = "name"
    max_len = 100

    def convert(self, value, param, ctx):
        text = str(value).strip()
        if not text:
            self.fail("an empty name; give at least one visible character", param, ctx)
        if _CONTROL.search(text):
            self.fail(f"{text!r} holds a control character (newline, tab, escape...); give a plain name",
                      param, ctx)
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            self.fail("the name is not valid text in this terminal's encoding", param, ctx)
        if len(text) > self.max_len:
            self.fail(f"a name of {len(text)} characters; give at most {self.max_len}", param, ctx)
        return text


DATE = DateParam()
TIME_ZONE = TimeZoneParam()
WEEK = WeekParam()
NAME = NameParam()
#: A stored row id (gap, activity...): SQLite integers are 64-bit.
ROW_ID = click.IntRange(1, 2**63 - 1)

athlete_option = click.option("--athlete", "-a", type=NAME, metavar="NAME",
                              help="The athlete (default: the only one).")
units_option = click.option("--units", type=click.Choice(["km", "mi"]), default=None,
                            help="Distance units (default: the config's units, else km).")
as_of_option = click.option("--as-of", "as_of", type=DATE, metavar="DATE",
                            help="Evaluate the log as it stood on this date (YYYY-MM-DD).")


def write_atomic(path: Path, write, example: str = "report.html") -> None:
    """Write a file through a temporary file in the same folder: it is whole or not there at all.

    ``write(tmp)`` writes the content to the temporary path. Only a regular file is ever replaced
    (:func:`check_replaceable`); the new file gets the usual permissions (mkstemp makes 0600).
    """
    import os
    import tempfile

    from runload.errors import RunloadError

    path = Path(path).expanduser()
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise RunloadError(f"cannot write {path}: the folder {folder} does not exist")
    if path.is_dir():
        raise RunloadError(f"cannot write {path}: it is a folder; give a file name such as {example}")
    check_replaceable(path)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=path.suffix.lower() or ".tmp", dir=folder)
    except OSError as err:
        raise RunloadError(f"cannot write {path}: {err.strerror or err}") from None
    os.close(fd)
    try:
        write(tmp)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def check_replaceable(path: Path) -> None:
    """Refuse to replace anything at ``path`` but a regular file (a device, a FIFO, a symbolic link,
    a folder): writing a report must never turn /dev/full or a link's target into an HTML file."""
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return
    except OSError as err:
        raise click.BadParameter(f"cannot check {path}: {err.strerror or err}", param_hint="'--out'") from None
    if stat.S_ISREG(mode):
        return
    kind = ("a symbolic link" if stat.S_ISLNK(mode) else "a folder" if stat.S_ISDIR(mode)
            else "a FIFO (named pipe)" if stat.S_ISFIFO(mode) else "a socket" if stat.S_ISSOCK(mode)
            else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else "not a regular file")
    raise click.BadParameter(
        f"{path} is {kind}; give the path of a regular file to create or replace, or - for standard output",
        param_hint="'--out'",
    )
