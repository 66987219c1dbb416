"""``runload chart KIND``: one chart of an athlete's log as a PNG or SVG file."""

from __future__ import annotations

from pathlib import Path

import click

from runload.cli.app import cli
from runload.cli.common import write_atomic, as_of_option, athlete_option, load_config, open_store, parse_date, pick_athletes, \
    units_option
from runload.report import CHART_KINDS as KINDS, CHART_LAYOUTS as LAYOUTS

SUFFIXES = (".png", ".svg")


def _check_out(value: str) -> Path:
    path = Path(value).expanduser()
    if path.suffix.lower() not in SUFFIXES:
        raise click.BadParameter(f"{value!r} does not end in .png or .svg; name the file chart.png or chart.svg",
                                 param_hint="--out")
    return path


def write_figure(fig, path: Path) -> None:
    """Save ``fig`` as PNG or SVG (by ``path``'s suffix), whole or not at all (:func:`write_atomic`)."""
    from runload.report.charts import save

    write_atomic(path, lambda tmp: save(fig, tmp), example="chart.png")


@cli.command("chart")
@click.argument("kind", type=click.Choice(KINDS))
@athlete_option
@click.option("--out", "-o", "out", required=True, metavar="FILE",
              help="The file to write: PNG or SVG, chosen by its suffix (.png, .svg).")
@click.option("--weeks", "weeks", type=click.IntRange(1, 520), default=12, show_default=True, metavar="N",
              help="ISO weeks shown, up to the as-of date.")
@units_option
@as_of_option
@click.option("--size", "size", type=click.Choice(sorted(LAYOUTS)), default="wide", show_default=True,
              help="wide for a screen or paper, narrow for a phone held upright.")
@click.pass_context
def chart_cmd(ctx, kind, athlete, out, weeks, units, as_of, size):
    """Write one chart as a PNG or SVG file, as the HTML report draws it.

    \b
    KIND is one of:
      weekly    weekly running distance, flagged weeks marked
      calendar  daily distance as a calendar (rest days grey, streaks marked)
      acwr      acute:chronic workload ratio of the configured method
      shoes     distance per shoe with the check and replace marks
      fitness   fitness, fatigue and form from heart rate (says why when it cannot)

    Example: runload chart weekly --athlete alex --weeks 26 --out weekly.png
    """
    from runload import service
    from runload.cli.common import resolve_settings
    from runload.report.charts import athlete_chart

    path = _check_out(out)
    as_of_date = parse_date(as_of)
    cfg = load_config(ctx)
    with open_store(ctx) as store:
        (name,) = pick_athletes(store, athlete)
        data = service.collect(store, resolve_settings(store, name, cfg, as_of_date, units))
    fig = athlete_chart(kind, data, data.units, weeks, layout=size)
    write_figure(fig, path)
    click.echo(f"Wrote {path}: {kind} chart of {name}, {weeks} week{'s' if weeks != 1 else ''} up to "
               f"{data.as_of.isoformat()}.", err=True)


__all__ = ["chart_cmd", "write_figure"]
