"""Correct the log: ``runload activities`` (list, show, exclude, include, delete, restore, set),
``runload imports`` (list, undo), ``runload athletes`` (list, rename, remove, set-tz) and
``runload changes``.

Every change runs in one transaction of the store and is recorded in its change log
(time, command, old -> new); a bad id, distance, sport or name changes nothing.
"""

from __future__ import annotations

import json
import shlex
import sys

import click

from runload.cli.app import cli
from runload.cli.common import NAME, TIME_ZONE, athlete_option, load_config, open_store, pick_athletes, units_option
from runload.errors import RunloadError
from runload.models import SPORTS
from runload.output import Column, plain_rows, render
from runload.units import fmt_distance, fmt_duration, m_to, parse_distance_m

FORMAT_CHOICES = click.Choice(["table", "csv", "json", "markdown"])


def _command(name: str, *words) -> str:
    """The command as the change log records it, e.g. ``activities set 12 --sport running``."""
    return " ".join([name] + [shlex.quote(str(w)) for w in words if w is not None])


def _confirm(yes: bool, what: str) -> None:
    """Go on with a change that cannot be undone by re-importing: ``--yes``, or a yes at the prompt
    when a person is at the terminal; otherwise one sentence and nothing changed."""
    if yes:
        return
    if sys.stdin.isatty() and sys.stdout.isatty():
        if click.confirm(f"{what[0].upper()}{what[1:]}?", default=False):
            return
        raise RunloadError("nothing was changed")
    raise RunloadError(f"nothing was changed: add --yes to {what}")


def _open_for_change(ctx):
    """The store, writable, migrated if older; never created: a correction needs a log to correct."""
    from runload.store import Store

    return Store.open(ctx.obj.get("db_path") if ctx.obj else None, create=False)


def _ids(values: tuple[str, ...]) -> list[int]:
    out = []
    for v in values:
        try:
            out.append(int(v))
        except ValueError:
            raise click.BadParameter(f"{v!r} is not an activity id; 'runload activities' shows the ids "
                                     "in its first column", param_hint="ID") from None
    return out


# --------------------------------------------------------------------------- activities

_SPORT_WORDS = {"running": "run", "cycling": "ride", "swimming": "swim", "walking": "walk", "hiking": "hike",
                "rowing": "row", "transition": "transition", "fitness": "fitness", "other": "other",
                "unknown": "unknown sport"}
_SUB_WORDS = {"treadmill": "treadmill", "trail": "trail", "track": "track", "indoor": "indoor", "virtual": "virtual",
              "open_water": "open-water", "lap_swimming": "pool", "mountain": "mountain", "gravel": "gravel",
              "e_bike": "e-bike"}


def sport_words(sport: str | None, sub_sport: str | None = None) -> str:
    """A sport as a runner says it: "run", "treadmill run", "indoor ride", "pool swim"."""
    word = _SPORT_WORDS.get(sport or "unknown", str(sport))
    sub = _SUB_WORDS.get(sub_sport or "")
    return f"{sub} {word}" if sub and sport in ("running", "cycling", "swimming", "walking", "rowing") else word


@cli.group("activities", invoke_without_command=True)
@athlete_option
@units_option
@click.option("--runs-only", is_flag=True, help="Only runs (default: every sport, marked).")
@click.option("--format", "fmt", type=FORMAT_CHOICES, default="table", show_default=True)
@click.option("--last", "last_n", type=click.IntRange(1, None), metavar="N", help="Only the last N activities.")
@click.option("--wide", is_flag=True, help="Every column (shoe, notes, file), wider than 80 characters.")
@click.pass_context
def activities_group(ctx, athlete, units, runs_only, fmt, last_n, wide):
    """List stored activities (id, local start, sport, distance, time, pace), or correct them.

    Without a subcommand, the list: excluded activities are listed and marked, deleted ones are not.
    The id in the first column is what show, exclude, include, delete and set take.
    """
    if ctx.invoked_subcommand is not None:
        return
    import pandas as pd

    from runload.cli.common import resolve_settings
    from runload.cli.imports import _pace

    with open_store(ctx) as store:
        (name,) = pick_athletes(store, athlete)
        settings = resolve_settings(store, name, load_config(ctx), None, units)
        tz, units = settings.tz, settings.units
        acts = store.activities_frame(name, with_hr=False, include_excluded=True,
                                      columns=store.ACTIVITY_COLUMNS + ("excluded", "exclude_reason", "corrected"))
    if runs_only:
        acts = acts[acts["sport"] == "running"]
    if last_n:
        acts = acts.tail(last_n)
    rows = []
    if not acts.empty:
        local = pd.to_datetime(acts["start_utc"], utc=True).dt.tz_convert(tz)
        for (_, a), start in zip(acts.iterrows(), local):
            marks = []
            if a["excluded"]:
                marks.append("EXCLUDED" + (f" ({a['exclude_reason']})" if a["exclude_reason"] else ""))
            if a["corrected"]:
                marks.append("corrected")
            dist = None if pd.isna(a["distance_m"]) else float(a["distance_m"])
            moving = None if pd.isna(a["moving_s"]) else float(a["moving_s"])
            rows.append({
                "athlete": name,
                "id": int(a["id"]),
                "local_start": start.strftime("%Y-%m-%d %H:%M"),
                "start_utc": a["start_utc"].strftime("%Y-%m-%dT%H:%M:%SZ"),
                "sport": sport_words(a["sport"], a["sub_sport"]),
                "sport_code": a["sport"],
                "sub_sport": a["sub_sport"],
                "counted": a["sport"] == "running" and not a["excluded"],
                "excluded": bool(a["excluded"]),
                f"distance_{units}": None if dist is None else round(m_to(dist, units), 3),
                "moving_s": None if moving is None else round(moving, 1),
                "pace": _pace(moving / dist if dist and moving and a["sport"] == "running" else None, units),
                "avg_hr_bpm": None if pd.isna(a["avg_hr_bpm"]) else round(a["avg_hr_bpm"], 1),
                "shoe": a["shoe"],
                "mark": "excl." if a["excluded"] else ("corr." if a["corrected"] else ""),
                "notes": "; ".join(marks + a["notes"] + ([a["recovered"]] if a["recovered"] else [])),
                "source": a["source_path"],
            })
    keys = ["athlete", "id", "local_start", "start_utc", "sport", "sport_code", "sub_sport", "counted", "excluded",
            f"distance_{units}", "moving_s", "pace", "avg_hr_bpm", "shoe", "notes", "source"]
    cols = [
        Column("id", "id"),
        Column("local_start", "start (local)", align="left"),
        Column("sport", "sport", align="left"),
        Column(f"distance_{units}", units, lambda v: f"{v:.2f}"),
        Column("moving_s", "moving", fmt_duration),
        Column("pace", f"min/{units}"),
        Column("avg_hr_bpm", "HR", lambda v: f"{v:.0f}"),
        Column("mark", "", align="left"),
    ]
    if wide or fmt == "markdown":
        cols = cols[:-1] + [Column("shoe", "shoe", align="left"), Column("notes", "notes", align="left"),
                            Column("source", "file", align="left")]
    if fmt in ("csv", "json"):
        cols = [Column(k, k) for k in keys]
    if not rows and fmt in ("table", "markdown"):
        click.echo(f"{name}: no activities stored.")
        return
    click.echo(render(rows, cols, fmt, title=f"{name}: {len(rows)} activities ({tz})" if fmt == "table" else None)
               .rstrip("\n"))


def _fmt_value(field: str, value, units: str = "km") -> str:
    if value is None:
        return "–"
    if field == "distance_m":
        return fmt_distance(float(value), units, 2)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dict):
        return ", ".join(f"{k}: {v}" for k, v in value.items() if k != "activity_ids")
    return str(value)


@activities_group.command("show")
@click.argument("activity_id", metavar="ID", type=int)
@units_option
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.pass_context
def activities_show(ctx, activity_id, units, fmt):
    """Show one activity whole: its values, the file it came from, its notes and every correction."""
    import pandas as pd

    units = units or getattr(load_config(ctx), "units", None) or "km"
    with open_store(ctx) as store:
        act = store.activity_detail(activity_id)
    if fmt == "json":
        click.echo(json.dumps(plain_rows([act])[0], indent=2, ensure_ascii=False, default=str))
        return
    start = pd.Timestamp(act["start_utc"])
    local = start.tz_convert(act["tz"]) if act["tz"] else start + pd.Timedelta(seconds=act["utc_offset_s"] or 0)
    state = ("DELETED (restore with 'runload activities restore %d')" % act["id"] if act["deleted"] else
             "EXCLUDED" + (f" ({act['exclude_reason']})" if act["exclude_reason"] else "") if act["excluded"]
             else "counted" if act["values"]["sport"] == "running" else "stored, not counted (not a run)")
    lines = [f"Activity {act['id']} of {act['athlete']}: {state}",
             f"  start      {local.strftime('%Y-%m-%d %H:%M')} local ({act['tz'] or 'offset of the file'}), "
             f"{act['start_utc']}"]
    labels = {"sport": "sport", "distance_m": "distance", "shoe": "shoe", "name": "name"}
    for field, label in labels.items():
        value = _fmt_value(field, act["values"][field], units)
        if field in act["corrected"]:
            value += f"   (corrected; imported: {_fmt_value(field, act['original'][field], units)})"
        lines.append(f"  {label:<10} {value}")
    lines += [
        f"  sub-sport  {act['sub_sport'] or '–'}",
        f"  moving     {fmt_duration(act['moving_s']) if act['moving_s'] is not None else '–'}",
        f"  elapsed    {fmt_duration(act['elapsed_s']) if act['elapsed_s'] is not None else '–'}",
        f"  heart rate {_fmt_value('hr', act['avg_hr_bpm'] and round(act['avg_hr_bpm']))} avg, "
        f"{_fmt_value('hr', act['max_hr_bpm'] and round(act['max_hr_bpm']))} max",
        f"  climb      {_fmt_value('m', act['ascent_m'] and round(act['ascent_m']))} m",
        f"  device     {act['device'] or '–'}; GPS: {'yes' if act['has_gps'] else 'no'}",
        f"  file       {act['source_path']} ({act['source_format']}, session {act['session_index']}, "
        f"imported {act['imported_utc']}" + (f", import {act['import_id']})" if act["import_id"] else ")"),
    ]
    notes = act["notes"] + ([act["recovered"]] if act["recovered"] else [])
    lines.append("  notes      " + ("; ".join(notes) if notes else "–"))
    if act["duplicates"]:
        lines.append(f"Same activity from other files, stored once ({len(act['duplicates'])}):")
        lines += [f"  {d['source_path']} ({d['source_format']}, {_fmt_value('distance_m', d['distance_m'], units)})"
                  for d in act["duplicates"]]
    if act["changes"]:
        lines.append(f"Changes ({len(act['changes'])}, newest first):")
        lines += [f"  {c['changed_utc']}  {c['field']}: {_fmt_value(c['field'], c['old'], units)} -> "
                  f"{_fmt_value(c['field'], c['new'], units)}   ({c['command']})" for c in act["changes"]]
    else:
        lines.append("Changes: none")
    click.echo("\n".join(lines))


@activities_group.command("exclude")
@click.argument("ids", metavar="ID...", nargs=-1, required=True)
@click.option("--reason", metavar="TEXT", help="Why (shown in the list and in 'activities show').")
@click.pass_context
def activities_exclude(ctx, ids, reason):
    """Exclude activities: they stay stored and listed (marked) but count nowhere."""
    ids_ = _ids(ids)
    with _open_for_change(ctx) as store:
        changed, already = store.exclude_activities(ids_, reason, command=_command("activities exclude", *ids_,
                                                    *(("--reason", reason) if reason else ())))
    if changed:
        click.echo(f"Excluded {_list(changed)}: {'it counts' if len(changed) == 1 else 'they count'} nowhere now; "
                   f"'runload activities include {' '.join(map(str, changed))}' counts "
                   f"{'it' if len(changed) == 1 else 'them'} again.")
    if already:
        click.echo(f"Already excluded: {_list(already)}.")


@activities_group.command("include")
@click.argument("ids", metavar="ID...", nargs=-1, required=True)
@click.pass_context
def activities_include(ctx, ids):
    """Count excluded activities again."""
    ids_ = _ids(ids)
    with _open_for_change(ctx) as store:
        changed, already = store.exclude_activities(ids_, exclude=False,
                                                    command=_command("activities include", *ids_))
    if changed:
        click.echo(f"Included {_list(changed)} again.")
    if already:
        click.echo(f"Not excluded: {_list(already)}.")


def _list(ids) -> str:
    ids = list(ids)
    return ("activity " if len(ids) == 1 else "activities ") + ", ".join(map(str, ids))


@activities_group.command("delete")
@click.argument("ids", metavar="ID...", nargs=-1, required=True)
@click.option("--yes", is_flag=True, help="Do it without asking.")
@click.pass_context
def activities_delete(ctx, ids, yes):
    """Delete activities from the log.

    The file stays known, so importing it (or the same run from another source) again does not
    bring it back; 'runload activities restore ID' does.
    """
    ids_ = _ids(ids)
    with _open_for_change(ctx) as store:
        for i in ids_:  # an unknown id is refused before asking
            store.activity_detail(i)
        _confirm(yes, f"delete {_list(ids_)}")
        done = store.delete_activities(ids_, command=_command("activities delete", *ids_))
    for d in done:
        click.echo(f"Deleted activity {d['id']}: {d['sport']} {d['start_utc']} "
                   f"({_fmt_value('distance_m', d['distance_m'])}) from {d['source_path']}.")
    click.echo("Its file stays known, so importing it again does not bring it back; to get it back run "
               f"'runload activities restore {' '.join(str(d['id']) for d in done)}'.")


@activities_group.command("restore")
@click.argument("ids", metavar="ID...", nargs=-1, required=True)
@click.pass_context
def activities_restore(ctx, ids):
    """Bring deleted activities back into the log (with their corrections)."""
    ids_ = _ids(ids)
    with _open_for_change(ctx) as store:
        done = store.delete_activities(ids_, delete=False, command=_command("activities restore", *ids_))
    click.echo(f"Restored {_list(d['id'] for d in done)}." if done else "Nothing to restore: not deleted.")


@activities_group.command("set")
@click.argument("activity_id", metavar="ID", type=int)
@click.option("--sport", type=click.Choice(SPORTS), help="The sport (beats the sport recognised on import).")
@click.option("--distance", metavar="DIST", help="The distance, e.g. 10.2km, 6.3mi or 10200m.")
@click.option("--shoe", metavar="NAME", help="The shoe worn (an existing shoe of the athlete).")
@click.option("--name", metavar="TEXT", help="The activity's name.")
@click.option("--units", type=click.Choice(["km", "mi"]), default="km", show_default=True,
              help="Unit of a --distance given without one, and of the output.")
@click.pass_context
def activities_set(ctx, activity_id, sport, distance, shoe, name, units):
    """Correct an activity's sport, distance, shoe or name; the imported values stay stored."""
    distance_m = None
    if distance is not None:
        try:
            distance_m = parse_distance_m(distance, units)
        except ValueError as err:
            raise click.BadParameter(str(err), param_hint="--distance") from None
        if not distance_m > 0:
            raise click.BadParameter(f"{distance!r} is not a positive distance", param_hint="--distance")
    if sport is None and distance is None and shoe is None and name is None:
        raise click.UsageError("nothing to set: give --sport, --distance, --shoe or --name")
    words = [("--sport", sport), ("--distance", distance), ("--shoe", shoe), ("--name", name)]
    with _open_for_change(ctx) as store:
        done = store.correct_activity(activity_id, sport=sport, distance_m=distance_m, shoe=shoe, name=name,
                                      command=_command("activities set", activity_id,
                                                       *[w for pair in words if pair[1] is not None for w in pair]))
    if not done:
        click.echo(f"Activity {activity_id}: nothing changed (the values are already so).")
        return
    click.echo(f"Activity {activity_id}: " + "; ".join(
        f"{field.replace('_m', '')} {_fmt_value(field, old, units)} -> {_fmt_value(field, new, units)}"
        for field, old, new in done) + ".")


# --------------------------------------------------------------------------- imports

@cli.group("imports", invoke_without_command=True)
@athlete_option
@click.option("--format", "fmt", type=FORMAT_CHOICES, default="table", show_default=True)
@click.pass_context
def imports_group(ctx, athlete, fmt):
    """List the imports (id, when, paths, counts), or undo one."""
    if ctx.invoked_subcommand is not None:
        return
    with open_store(ctx) as store:
        if athlete:
            store.athlete_id(athlete)
        rows = store.imports(athlete)
    for r in rows:
        r["paths"] = " ".join(r["paths"]) if fmt != "json" else r["paths"]
    if not rows and fmt in ("table", "markdown"):
        click.echo("No imports yet; import activities with 'runload import PATH --athlete NAME'.")
        return
    cols = [Column("id", "id"), Column("athlete", "athlete", align="left"),
            Column("started_utc", "started (UTC)", lambda v: str(v).replace("T", " ")[:16], align="left"),
            Column("imported", "new"), Column("duplicates", "duplicates"), Column("skipped", "skipped"),
            Column("unchanged", "unchanged")]
    if fmt in ("csv", "json"):
        cols = [Column(k, k) for k in ("id", "athlete", "started_utc", "finished_utc", "paths", "imported",
                                        "duplicates", "other_sports", "skipped", "unchanged")]
    elif fmt == "table":  # the paths on their own line below each row: the table fits 80 columns
        from runload.cli.common import table_with_notes

        click.echo(table_with_notes(rows, cols, "paths").rstrip("\n"))
        return
    else:
        cols.append(Column("paths", "paths", align="left"))
    click.echo(render(rows, cols, fmt).rstrip("\n"))


@imports_group.command("undo")
@click.argument("import_id", metavar="ID", type=int)
@click.option("--yes", is_flag=True, help="Do it without asking.")
@click.pass_context
def imports_undo(ctx, import_id, yes):
    """Remove what import ID added and forget its files, so they can be imported again.

    Its activities go (with their corrections), and so do the shoes it created that no other
    activity uses. An earlier record that the import replaced with a richer copy stays.
    """
    with _open_for_change(ctx) as store:
        preview = store.undo_import(import_id, dry_run=True)
        _confirm(yes, f"undo import {import_id} ({preview['activities']} activities of "
                      f"{' '.join(preview['paths'])})")
        done = store.undo_import(import_id, command=_command("imports undo", import_id))
    parts = [f"Undid import {import_id}: removed {done['activities']} "
             f"activit{'y' if done['activities'] == 1 else 'ies'}"]
    if done["shoes"]:
        parts.append(f"the shoe{'s' if len(done['shoes']) > 1 else ''} {', '.join(done['shoes'])}")
    text = ", ".join(parts) + f"; forgot {done['files']} file{'s' if done['files'] != 1 else ''} "
    text += "(import them again with 'runload import')."
    if done["kept_replaced"]:
        text += (f" Kept {done['kept_replaced']} earlier record{'s' if done['kept_replaced'] != 1 else ''} this "
                 "import had replaced with a richer copy.")
    click.echo(text)


# --------------------------------------------------------------------------- athletes

@cli.group("athletes", invoke_without_command=True)
@click.option("--format", "fmt", type=FORMAT_CHOICES, default="table", show_default=True)
@click.pass_context
def athletes_group(ctx, fmt):
    """List the athletes (time zone, activities, runs), or rename, remove one, or set their zone."""
    if ctx.invoked_subcommand is not None:
        return
    with open_store(ctx) as store:
        rows = store.athletes()
    if not rows and fmt in ("table", "markdown"):
        click.echo("No athletes yet; import activities with 'runload import PATH --athlete NAME'.")
        return
    click.echo(render(rows, [Column("name", "athlete", align="left"), Column("tz", "time zone", align="left"),
                             Column("activities", "activities"), Column("runs", "runs")], fmt).rstrip("\n"))


@athletes_group.command("rename")
@click.argument("old")
@click.argument("new")
@click.pass_context
def athletes_rename(ctx, old, new):
    """Rename athlete OLD to NEW (everything of theirs follows)."""
    with _open_for_change(ctx) as store:
        store.rename_athlete(old, new, command=_command("athletes rename", old, new))
    hint = ""
    if old in load_config(ctx).athletes:
        hint = f" The config's [athletes.{old}] table keeps its name: rename it to [athletes.{new.strip()}] too."
    click.echo(f"Renamed {old} to {new.strip()}." + hint)


@athletes_group.command("remove")
@click.argument("name")
@click.option("--yes", is_flag=True, help="Do it without asking.")
@click.pass_context
def athletes_remove(ctx, name, yes):
    """Remove athlete NAME and everything that is theirs: activities, shoes, gaps, imports, corrections."""
    with _open_for_change(ctx) as store:
        preview = store.remove_athlete(name, dry_run=True)
        _confirm(yes, f"remove {name} and their {preview['activities']} activities, {preview['shoes']} shoes, "
                      f"{preview['gaps']} gaps and {preview['imports']} imports")
        done = store.remove_athlete(name, command=_command("athletes remove", name))
    click.echo(f"Removed {name}: {done['activities']} activities, {done['shoes']} shoes, {done['gaps']} gaps, "
               f"{done['imports']} imports, {done['corrections']} corrections.")


@athletes_group.command("set-tz")
@click.argument("name", type=NAME)
@click.argument("zone", type=TIME_ZONE)
@click.option("--yes", is_flag=True, help="Do it without asking.")
@click.pass_context
def athletes_set_tz(ctx, name, zone, yes):
    """Set athlete NAME's time zone (an IANA name such as Europe/Berlin).

    Local dates, and with them days and weeks, follow the zone: says how many activities
    change their local date and asks for --yes.
    """
    with _open_for_change(ctx) as store:
        preview = store.set_tz(name, zone, dry_run=True)
        old = preview["old_tz"] or "none (the offset each file recorded)"
        if preview["old_tz"] == zone:
            click.echo(f"{name}'s time zone is {zone} already; nothing changed.")
            return
        click.echo(f"{name}: time zone {old} -> {zone}; {preview['date_changes']} of {preview['activities']} "
                   f"activities change their local date.")
        _confirm(yes, f"change {name}'s time zone to {zone}")
        store.set_tz(name, zone, command=_command("athletes set-tz", name, zone))
    click.echo(f"{name}'s time zone is now {zone}.")


# --------------------------------------------------------------------------- change log

@cli.command("changes")
@athlete_option
@click.option("--last", "last_n", type=click.IntRange(1, None), default=20, show_default=True, metavar="N",
              help="The N most recent changes.")
@click.option("--format", "fmt", type=FORMAT_CHOICES, default="table", show_default=True)
@click.pass_context
def changes_cmd(ctx, athlete, last_n, fmt):
    """The most recent changes made by hand (newest first): when, which command, old -> new."""
    with open_store(ctx) as store:
        rows = store.changes(athlete=athlete, limit=last_n)
    if not rows and fmt in ("table", "markdown"):
        click.echo("No changes yet.")
        return
    if fmt in ("table", "markdown"):
        for r in rows:
            r["change"] = f"{_fmt_value(r['field'], r['old'])} -> {_fmt_value(r['field'], r['new'])}"
        cols = [Column("changed_utc", "when (UTC)", align="left"), Column("athlete", "athlete", align="left"),
                Column("activity_id", "activity"), Column("field", "field", align="left"),
                Column("change", "old -> new", align="left"), Column("command", "command", align="left")]
    else:
        for r in rows:
            if fmt == "csv":
                r["old"], r["new"] = json.dumps(r["old"], default=str), json.dumps(r["new"], default=str)
        cols = [Column(k, k) for k in ("id", "changed_utc", "athlete", "activity_id", "command", "field", "old",
                                        "new")]
    click.echo(render(rows, cols, fmt).rstrip("\n"))
