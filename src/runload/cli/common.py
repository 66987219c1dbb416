"""Options and helpers shared by the command modules."""

from __future__ import annotations

from datetime import date

import click

from runload.errors import ConfigError, RunloadError, StoreError
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
    names = store.athlete_names()
    if athlete and all_athletes:
        raise ConfigError("use either --athlete NAME or --all, not both")
    if all_athletes:
        if not names:
            raise RunloadError("the store has no athletes yet; import activities first")
        return names
    if athlete:
        store.athlete_id(athlete)  # raises NotFound with the known names
        return [athlete]
    if len(names) == 1:
        return names
    if not names:
        raise RunloadError("the store has no athletes yet; import activities first with 'runload import PATH'")
    raise RunloadError(
        f"the store holds several athletes ({', '.join(names)}); choose one with --athlete NAME"
        + (" or use --all" if True else "")
    )


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
units_option = click.option("--units", type=click.Choice(["km", "mi"]), default="km", show_default=True,
                            help="Distance units.")
as_of_option = click.option("--as-of", "as_of", metavar="DATE",
                            help="Evaluate the log as it stood on this date (YYYY-MM-DD).")
