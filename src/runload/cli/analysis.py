"""``runload check`` and ``runload shoes ...``."""

from __future__ import annotations

import os
import sys
from datetime import date, timedelta

import click

from runload.cli.app import cli
from runload.cli.common import (
    DATE, NAME, PARALLEL_MIN_ATHLETES, TIME_ZONE,
    as_of_option, emit_records, table_with_notes, fail_on_exit, athlete_option, load_config, open_store, parse_date,
    pick_athletes, resolve_settings, units_option,
)
from runload.errors import ConfigError
from runload.findings import Severity
from runload.output import Column, json_items, render
from runload.units import fmt_distance, m_to, parse_distance_m


def check_athlete(store, name: str, cfg, as_of: date | None, only=None, units: str | None = None):
    """Run only the rules on one stored athlete, with its settings resolved by the service layer."""
    from runload import service

    return service.check_athlete(store, resolve_settings(store, name, cfg, as_of, units), only)


#: ``check`` shows the findings of this many weeks unless --since or --all-history.
CHECK_DEFAULT_WEEKS = 8


def _check_one(store, name: str, job: dict) -> tuple[str, str | list[str], Severity | None]:
    """Check one athlete and render its part of the output: (name, text or JSON item lines, worst severity)."""
    from runload.service import finding_span

    result = check_athlete(store, name, job["cfg"], job["as_of"], job["only"], job["units"])
    since, fmt, units = job["since"], job["fmt"], result.config.units
    if since is None and fmt != "json" and not job["all_history"]:
        since = result.as_of - timedelta(weeks=CHECK_DEFAULT_WEEKS) + timedelta(days=1)
    found = result.findings if since is None else [f for f in result.findings if finding_span(f)[1] >= since]
    worst = max((Severity.parse(f.severity) for f in found), default=None)
    if fmt == "json":
        # each athlete's findings are sorted already (oldest first); athletes stay in order
        return name, json_items([f.to_json() for f in found]), worst
    from runload.report.text import findings_brief, findings_markdown

    end = result.context.data_end
    stale = (f"; no activity recorded since {end} ({(result.as_of - end).days} days)"
             if end is not None and (result.as_of - end).days > 7 else "")
    if fmt == "markdown":
        text = findings_markdown(found, units, title=f"{name}: risk flags as of {result.as_of}{stale}",
                                 reminder=False)
    else:
        shown = "all history" if since is None else f"since {since}"
        hidden = len(result.findings) - len(found)
        from runload.report.text import items_with_episodes

        n_items = len(items_with_episodes(found))
        grouped = f" in {n_items} item{'s' if n_items != 1 else ''}" if n_items != len(found) else ""
        head = (f"{name}: {len(found)} risk flag{'s' if len(found) != 1 else ''}{grouped} as of {result.as_of} "
                f"({shown}")
        head += f"; {hidden} older: --all-history)" if hidden else ")"
        lines = [head + stale] + (findings_brief(found, units, color=job["color"], verbose=job["verbose"])
                                  or ["No risk flags."])
        text = "\n".join(lines) + "\n"
    return name, text, worst


def _check_in_workers(db_path: str, names: list[str], job: dict):
    """Check and render every athlete, one forked process per core, each reading the store
    read-only; yields each athlete's part in order as soon as it is ready. The job (config, date,
    rules, format) reaches the workers through fork."""
    from runload.workers import map_in_workers

    return map_in_workers(lambda store, name: _check_one(store, name, job), names, store_path=db_path)


def _known_rules(ctx, param, values):
    """--rule values that name registered rules (a usage error, exit 2, otherwise)."""
    if not values:
        return values
    from runload.errors import ConfigError
    from runload.rules import check_rule_ids

    try:
        return tuple(check_rule_ids(values))
    except ConfigError as err:
        raise click.BadParameter(str(err), ctx=ctx, param=param) from None


@cli.command("check")
@athlete_option
@click.option("--all", "all_athletes", is_flag=True, help="Every athlete in the store.")
@as_of_option
@click.option("--format", "fmt", type=click.Choice(["text", "json", "markdown"]), default="text", show_default=True)
@click.option("--rule", "rules", multiple=True, metavar="ID", callback=_known_rules,
              help="Only this rule (repeatable): weekly_increase, week_without_rest, run_streak, run_spike, acwr, "
                   "monotony or shoe_wear (an unknown id lists the registered ones).")
@click.option("--since", type=DATE, metavar="DATE",
              help=f"Only findings on or after this date (default: the last {CHECK_DEFAULT_WEEKS} weeks; "
                   "JSON: all).")
@click.option("--all-history", is_flag=True, help="Every finding of the whole log.")
@click.option("--verbose", "-v", is_flag=True, help="Add each finding's message, window, method and source.")
@units_option
@click.option("--fail-on", type=click.Choice(["warning", "alert", "never"]), default="never", show_default=True,
              help="Exit 4 (warning) or 5 (alert) when a finding at or above this level is shown.")
@click.pass_context
def check_cmd(ctx, athlete, all_athletes, as_of, fmt, rules, since, all_history, verbose, units, fail_on):
    """Flag overuse-injury risk in the training log.

    Runs the rules (10 % weekly increase, rest days, run streaks, single-run
    spikes, shoe wear, acute:chronic ratio, monotony) on the log as it stood
    on --as-of (default today). One line per finding, newest first, for the
    last 8 weeks; --verbose adds each finding's message, window, method and
    source; JSON always has everything. Severities are coloured on a
    terminal only (never when piped or under NO_COLOR). These are risk
    flags, not a diagnosis.
    """
    as_of_date = parse_date(as_of)
    since_date = parse_date(since, "--since")
    cfg = load_config(ctx)
    color = sys.stdout.isatty() and not os.environ.get("NO_COLOR")
    job = dict(cfg=cfg, as_of=as_of_date, only=list(rules) or None, since=since_date, fmt=fmt, units=units,
               all_history=all_history, verbose=verbose, color=color)
    from runload.workers import default_jobs

    if fmt != "json":
        # the text renderer (it loads pandas) once here, before any worker forks: each worker would
        # otherwise import it again (~0.3 s each)
        import runload.report.text  # noqa: F401
    worst = None
    first = True
    # streamed athlete by athlete: memory stays flat however many athletes the store holds
    with open_store(ctx) as store:
        names = pick_athletes(store, athlete, all_athletes)
        if len(names) >= PARALLEL_MIN_ATHLETES and default_jobs() > 1:
            checked = _check_in_workers(str(store.path), names, job)
        else:
            checked = (_check_one(store, name, job) for name in names)
        for _, part, sev in checked:
            if sev is not None and (worst is None or sev > worst):
                worst = sev
            if fmt == "json":
                if part:
                    click.echo(("[\n" if first else ",\n") + ",\n".join(part), nl=False)
                    first = False
            else:
                click.echo(("" if first else "\n") + part.rstrip("\n"), color=color or None)
                first = False
    if fmt == "json":
        click.echo("[]" if first else "\n]")
    else:
        from runload.report.text import REMINDER, wrap

        reminder = ("*" + REMINDER + "*") if fmt == "markdown" else "\n".join(wrap(REMINDER, "", 80))
        click.echo("\n" + reminder)
    code = fail_on_exit(worst, fail_on)
    if code:
        ctx.exit(code)


@cli.group("shoes")
def shoes_group():
    """Track shoe wear: add shoes, assign them to runs, list distance and forecast.

    Wear is a maintenance reminder: "check wear" from 300 mi, "replacement
    suggested" from 500 mi (per-shoe limits with --check-at/--retire-at).
    """


def _distance(value: str | None, option: str) -> float | None:
    if value is None:
        return None
    try:
        return parse_distance_m(value)
    except ValueError as err:
        raise click.BadParameter(str(err), param_hint=option) from None


@shoes_group.command("add")
@click.argument("name", type=NAME)
@athlete_option
@click.option("--start-distance", metavar="DIST", default="0km", show_default=True,
              help="Distance already on the shoe, e.g. 120mi or 200km.")
@click.option("--check-at", metavar="DIST", help="Check wear from this distance (default 300mi).")
@click.option("--retire-at", metavar="DIST", help="Suggest replacing from this distance (default 500mi).")
@click.option("--default", "make_default", is_flag=True, help="Use it for runs without another shoe.")
@click.option("--tz", type=TIME_ZONE, metavar="ZONE", help="The athlete's IANA time zone, if the athlete is new.")
@click.pass_context
def shoes_add(ctx, name, athlete, start_distance, check_at, retire_at, make_default, tz):
    """Add a shoe (or change its distances)."""
    from runload.zones import check_timezone

    check_timezone(tz)
    start_m = _distance(start_distance, "--start-distance")
    check_m = _distance(check_at, "--check-at")
    retire_m = _distance(retire_at, "--retire-at")
    if check_m is not None and retire_m is not None and check_m > retire_m:
        raise ConfigError("--check-at must not be larger than --retire-at")
    with open_store(ctx, write=True) as store:
        if athlete is None:
            names = store.athlete_names()
            athlete = names[0] if len(names) == 1 else pick_athletes(store, None)[0]
        store.add_shoe(athlete, name, start_distance_m=start_m or 0.0, check_at_m=check_m, retire_at_m=retire_m,
                       default=make_default, tz=tz)
    click.echo(f"Shoe {name!r} for {athlete}: starts at {fmt_distance(start_m or 0.0, 'km')}"
               + (", default shoe" if make_default else "") + ".")


@shoes_group.command("list")
@athlete_option
@click.option("--all", "all_athletes", is_flag=True, help="Every athlete in the store.")
@units_option
@as_of_option
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json", "markdown"]), default="table",
              show_default=True)
@click.pass_context
def shoes_list(ctx, athlete, all_athletes, units, as_of, fmt):
    """Each shoe's distance, runs, first/last use, status and forecast."""
    from runload.measures.shoes import shoe_status

    chosen = units
    as_of_date = parse_date(as_of)
    cfg = load_config(ctx)
    rows = []
    with open_store(ctx) as store:
        names = pick_athletes(store, athlete, all_athletes)
        for name in names:
            result = check_athlete(store, name, cfg, as_of_date, only=["shoe_wear"], units=chosen)
            units = result.config.units
            ctx_, acfg = result.context, result.config
            for s in ctx_.cached(("shoe_status", acfg), lambda: shoe_status(ctx_, acfg)):
                rows.append({
                    "athlete": name,
                    "shoe": s.name,
                    f"distance_{units}": round(m_to(s.distance_m, units), 1),
                    "runs": s.runs,
                    "first_use": s.first_use,
                    "last_use": s.last_use,
                    "status": s.status,
                    f"check_at_{units}": round(m_to(s.check_at_m, units), 1),
                    f"retire_at_{units}": round(m_to(s.retire_at_m, units), 1),
                    f"weekly_rate_{units}": round(m_to(s.weekly_rate_m, units), 1),
                    "weeks_to_retire": None if s.weeks_to_retire is None else round(s.weeks_to_retire, 1),
                    "forecast": s.forecast,
                    "default": s.is_default,
                })
    if not rows and fmt in ("table", "markdown"):
        click.echo("No shoes yet; add one with 'runload shoes add NAME' or import with --shoe NAME.")
        return
    cols = [
        Column("athlete", "athlete", align="left"),
        Column("shoe", "shoe", align="left"),
        Column(f"distance_{units}", units, lambda v: f"{v:.1f}"),
        Column("runs", "runs"),
        Column("first_use", "first", str, align="left"),
        Column("last_use", "last", str, align="left"),
        Column("status", "status", align="left"),
    ]
    if fmt in ("csv", "json"):
        emit_records(rows, fmt)
        return
    if len(names) == 1:
        cols = cols[1:]
    if fmt == "markdown":
        click.echo(render(rows, cols + [Column("forecast", "forecast", align="left")], fmt).rstrip("\n"))
        return
    click.echo(table_with_notes(rows, cols, "forecast").rstrip("\n"))  # the forecast below its row


@shoes_group.command("assign")
@click.argument("name", type=NAME)
@athlete_option
@click.option("--from", "from_", required=True, type=DATE, metavar="DATE", help="First local date (YYYY-MM-DD).")
@click.option("--to", "to", type=DATE, metavar="DATE", help="Last local date (default: open-ended).")
@click.pass_context
def shoes_assign(ctx, name, athlete, from_, to):
    """Wear shoe NAME on the runs of these dates (and later imports in that range).

    Every run of the period moves to NAME, whatever set its shoe before (--shoe on import,
    the file's own gear, an earlier assignment or a correction); says how many moved from which shoe.
    """
    first = parse_date(from_, "--from")
    last = parse_date(to, "--to")
    if last is not None and last < first:
        raise click.BadParameter("--to is before --from", param_hint="--to")
    with open_store(ctx, write=True) as store:
        (athlete,) = pick_athletes(store, athlete)
        moved = store.reassign_shoe(athlete, name, first, last, command=f"shoes assign {name!r} --from {first}"
                                    + (f" --to {last}" if last else ""))
    changed = sum(moved.values())
    origin = ", ".join(f"{n} from {'no shoe' if s is None else s}" for s, n in
                       sorted(moved.items(), key=lambda kv: (-kv[1], kv[0] or "")))
    click.echo(f"{name}: assigned to {changed} run{'s' if changed != 1 else ''} from {first}"
               + (f" to {last}" if last else " on") + (f" ({origin})" if origin else
                                                     " (no run of that period was on another shoe)") + ".")


@shoes_group.command("retire")
@click.argument("name", type=NAME)
@athlete_option
@click.option("--on", "on", type=DATE, metavar="DATE", help="Retirement date (default today).")
@click.pass_context
def shoes_retire(ctx, name, athlete, on):
    """Retire shoe NAME: runs after that date no longer count on it."""
    day = parse_date(on, "--on") or date.today()
    with open_store(ctx, write=True) as store:
        (athlete,) = pick_athletes(store, athlete)
        store.retire_shoe(athlete, name, day)
    click.echo(f"{name}: retired on {day}.")


@shoes_group.command("default")
@click.argument("name", type=NAME)
@athlete_option
@click.pass_context
def shoes_default(ctx, name, athlete):
    """Make NAME the athlete's default shoe (for runs without another shoe)."""
    with open_store(ctx, write=True) as store:
        (athlete,) = pick_athletes(store, athlete)
        store._shoe_id(store.athlete_id(athlete), name)
        store.add_shoe(athlete, name, default=True)
    click.echo(f"{name}: now the default shoe of {athlete}.")
