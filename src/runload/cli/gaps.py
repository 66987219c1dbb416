"""``runload gaps ...``: declare days without data (watch not worn, illness).

Days in a declared gap are *missing* (docs/method.md §0 C3): every window touching
one has no value (status ``data_gap``) instead of counting the days as rest.
"""

from __future__ import annotations

import click

from runload.cli.app import cli
from runload.cli.common import DATE, ROW_ID, athlete_option, open_store, parse_date, pick_athletes
from runload.output import Column, render


@cli.group("gaps")
def gaps_group():
    """Declare gaps in the log: days the watch was not worn, illness, travel.

    Their days count as missing, not as rest: a week, ratio or streak that
    touches a gap is not evaluated (status data_gap), and a run spike whose
    30-day baseline touches one is shown as info.
    """


@gaps_group.command("add")
@athlete_option
@click.option("--from", "from_", required=True, type=DATE, metavar="DATE", help="First day without data (YYYY-MM-DD).")
@click.option("--to", "to", required=True, type=DATE, metavar="DATE",
              help="Last day without data (YYYY-MM-DD), inclusive.")
@click.option("--reason", metavar="TEXT", help="Why, e.g. 'watch broken' or 'flu'.")
@click.pass_context
def gaps_add(ctx, athlete, from_, to, reason):
    """Declare the local dates --from .. --to (inclusive) as missing data."""
    first = parse_date(from_, "--from")
    last = parse_date(to, "--to")
    if last < first:
        raise click.BadParameter(f"--to {last} is before --from {first}", param_hint="--to")
    with open_store(ctx, write=True) as store:
        (athlete,) = pick_athletes(store, athlete)
        gap_id = store.add_gap(athlete, first, last, reason)
    days = (last - first).days + 1
    why = reason.strip() if reason and reason.strip() else None
    click.echo(f"Gap {gap_id} for {athlete}: {first} to {last} ({days} day{'s' if days != 1 else ''}"
               + (f", {why}" if why else "") + ") is now missing data.")


@gaps_group.command("list")
@athlete_option
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json", "markdown"]), default="table",
              show_default=True)
@click.pass_context
def gaps_list(ctx, athlete, fmt):
    """The athlete's declared gaps, oldest first, with their ids."""
    with open_store(ctx) as store:
        (athlete,) = pick_athletes(store, athlete)
        frame = store.gaps_frame(athlete)
    rows = [{"id": int(g.id), "from": g.from_date, "to": g.to_date, "days": (g.to_date - g.from_date).days + 1,
             "reason": g.reason} for g in frame.itertuples(index=False)]
    if not rows and fmt in ("table", "markdown"):
        click.echo(f"No gaps declared for {athlete}; add one: runload gaps add --from DATE --to DATE")
        return
    cols = [Column("id", "id"), Column("from", "from", str, align="left"), Column("to", "to", str, align="left"),
            Column("days", "days"), Column("reason", "reason", align="left")]
    click.echo(render(rows, cols, fmt).rstrip("\n"))


@gaps_group.command("remove")
@click.argument("gap_id", metavar="ID", type=ROW_ID)
@athlete_option
@click.pass_context
def gaps_remove(ctx, gap_id, athlete):
    """Remove gap ID (see 'runload gaps list'): its days count again as recorded."""
    with open_store(ctx, write=True) as store:
        (athlete,) = pick_athletes(store, athlete)
        store.remove_gap(athlete, gap_id)
    click.echo(f"Gap {gap_id} of {athlete} removed.")


__all__ = ["gaps_group"]
