"""Correcting the log: exclude, delete, set, imports undo, athletes rename/remove/set-tz, the change log.

The strongest checks compare a corrected store with a store that never held the activity: excluding a
run must give exactly the weekly table, findings and shoe totals of a log without it.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner

from runload.store import schema as store_mod
from runload.store import dedup as store_dedup
from runload.cli import EXIT_ERROR, EXIT_USAGE, cli
from runload.store import Store
from runload_testing.synthetic import SyntheticRun, gzip_bytes, write_fit, write_gpx, write_tcx
from tests.conftest import ROOT, make_run


def run_file(day: str, km: float, hour: int = 6, **kw) -> SyntheticRun:
    start = datetime.fromisoformat(day).replace(hour=hour, tzinfo=timezone.utc)
    return SyntheticRun(start_utc=start, distance_m=km * 1000, moving_s=km * 330, sample_interval_s=5, **kw)


def invoke(db, *args, env=None):
    result = CliRunner().invoke(cli, ["--db", str(db), *args], env=env)
    assert "Traceback" not in result.output
    return result


def ok(db, *args, env=None) -> str:
    result = invoke(db, *args, env=env)
    assert result.exit_code == 0, result.output
    return result.output


def as_json(db, *args):
    return json.loads(ok(db, *args, "--format", "json"))


LONG = "long.gpx.gz"


def write_season(folder: Path, *, long_run: bool = True, ride: bool = True) -> Path:
    """Four weeks of 3 runs (6, 8, 10 km), a 33.3 km run on 2026-04-05 (a spike: alert) and a 30 km ride."""
    folder.mkdir(parents=True, exist_ok=True)
    day = datetime(2026, 3, 2)
    for week in range(4):
        for offset, km in ((0, 6.0), (2, 8.0), (6, 10.0)):
            d = (day + timedelta(days=7 * week + offset)).date().isoformat()
            (folder / f"{d}.fit").write_bytes(write_fit(run_file(d, km, seed=week * 7 + offset)))
    if long_run:
        (folder / LONG).write_bytes(gzip_bytes(write_gpx(run_file("2026-04-05", 33.3, seed=99))))
    if ride:
        (folder / "ride.tcx").write_bytes(write_tcx(run_file("2026-03-04", 30.0, hour=17, sport="cycling", seed=5)))
    return folder


@pytest.fixture
def season(tmp_path):
    return write_season(tmp_path / "watch")


def views(db, as_of="2026-04-12") -> dict:
    """What the runner sees: weekly table, findings, shoe totals (all JSON)."""
    return {
        "weeks": as_json(db, "weeks", "--as-of", as_of),
        "check": as_json(db, "check", "--as-of", as_of),
        "shoes": as_json(db, "shoes", "list", "--as-of", as_of),
    }


def activity_id(db, source_suffix: str, athlete: str | None = None) -> int:
    args = ("--athlete", athlete) if athlete else ()
    (row,) = [r for r in as_json(db, "activities", *args) if r["source"].endswith(source_suffix)]
    return row["id"]


def athlete_rows(path: Path, athlete_id: int) -> dict[str, int]:
    """Rows of ``athlete_id`` in every table that has an athlete_id column."""
    conn = sqlite3.connect(path)
    out = {}
    for (table,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'"):
        cols = [r[1] for r in conn.execute(f"PRAGMA table_info({table})")]
        if "athlete_id" in cols:
            out[table] = conn.execute(f"SELECT COUNT(*) FROM {table} WHERE athlete_id = ?", (athlete_id,)).fetchone()[0]
    conn.close()
    return out


# ---- activities: ids, exclude, include ------------------------------------------------------------------

def test_activities_list_shows_a_stable_id_in_every_format(tmp_path, season):
    db = tmp_path / "r.db"
    ok(db, "import", str(season), "--athlete", "kim", "--tz", "UTC")
    rows = as_json(db, "activities")
    assert len({r["id"] for r in rows}) == len(rows) == 14 and all(isinstance(r["id"], int) for r in rows)
    assert ok(db, "activities", "--format", "csv").splitlines()[0].startswith("athlete,id,local_start,")
    table = ok(db, "activities", "--athlete", "kim", "--last", "10").splitlines()
    assert table[1].split()[0] == "id" and len(table) == 13  # title, header, rule, 10 rows
    assert table[-1].split()[0] == str(rows[-1]["id"])
    # the id stays when the store is reopened and more is imported
    more = tmp_path / "more"
    more.mkdir()
    (more / "late.fit").write_bytes(write_fit(run_file("2026-04-20", 5.0, seed=3)))
    ok(db, "import", str(more), "--athlete", "kim")
    again = {r["source"]: r["id"] for r in as_json(db, "activities")}
    assert all(again[r["source"]] == r["id"] for r in rows)


def test_exclude_drops_exactly_that_activity_and_survives_reimport_and_a_twin(tmp_path, season):
    db, without = tmp_path / "r.db", tmp_path / "without.db"
    ok(db, "import", str(season), "--athlete", "kim", "--tz", "UTC", "--shoe", "Peg")
    baseline = views(db)
    # the same season with the long run never imported: what excluding it must give, exactly
    ok(without, "import", str(write_season(tmp_path / "no-long", long_run=False)), "--athlete", "kim", "--tz", "UTC",
       "--shoe", "Peg")
    expected = views(without)
    assert baseline != expected
    assert any(f["rule"] == "run_spike" and f["date"] == "2026-04-05" for f in baseline["check"])

    long_id = activity_id(db, LONG)
    out = ok(db, "activities", "exclude", str(long_id), "--reason", "partner's run")
    assert out.startswith(f"Excluded activity {long_id}: it counts nowhere now")
    assert views(db) == expected
    (row,) = [r for r in as_json(db, "activities") if r["id"] == long_id]
    assert row["excluded"] is True and row["counted"] is False and "EXCLUDED (partner's run)" in row["notes"]
    # the shoe total dropped by exactly 33.3 km
    (peg_before,) = baseline["shoes"]
    (peg_after,) = views(db)["shoes"]
    assert peg_before["distance_km"] - peg_after["distance_km"] == pytest.approx(33.3, abs=0.05)

    # re-import of the same folder, of the same file with a new mtime, and of a richer twin from another source
    ok(db, "import", str(season), "--athlete", "kim")
    os.utime(season / LONG, (1_800_000_000, 1_800_000_000))
    ok(db, "import", str(season), "--athlete", "kim")
    twin = tmp_path / "twin"
    twin.mkdir()
    (twin / "long.fit").write_bytes(write_fit(run_file("2026-04-05", 33.3, seed=99)))
    assert "replaces" in ok(db, "import", str(twin), "--athlete", "kim")  # the FIT replaces the GPX in place
    assert views(db) == expected
    (row,) = [r for r in as_json(db, "activities") if r["id"] == long_id]
    assert row["excluded"] is True and row["source"].endswith("long.fit")

    out = ok(db, "activities", "include", str(long_id))
    assert out.startswith(f"Included activity {long_id} again")
    back = views(db)  # the run counts again, now from the FIT twin (33.30 km instead of the GPX's 33.33 km)
    assert [w["runs"] for w in back["weeks"]] == [w["runs"] for w in baseline["weeks"]]
    assert back["weeks"][-2]["distance_km"] == pytest.approx(baseline["weeks"][-2]["distance_km"], abs=0.05)
    assert [(f["rule"], f["date"]) for f in back["check"]] == [(f["rule"], f["date"]) for f in baseline["check"]]


def test_store_corrections_follow_the_id_when_a_richer_copy_replaces_the_record(tmp_store):
    aid = tmp_store.athlete_id("alex", create=True, tz="UTC")
    gpx = make_run("2026-09-12T06:00:05Z", 10.05, source_format="gpx", sport="walking")
    (stored,) = tmp_store.add_file(aid, [gpx], source_path="walk.gpx", content_hash="g").added
    tmp_store.correct_activity(stored, sport="running", distance_m=10_200.0)
    tmp_store.exclude_activities([stored], "check later")
    fit = make_run("2026-09-12T06:00:00Z", 10.0, source_format="fit", avg_hr_bpm=150.0, sport="walking")
    result = tmp_store.add_file(aid, [fit], source_path="walk.fit", content_hash="f")
    assert len(result.replaced) == 1
    assert tmp_store.activities_frame("alex").empty  # still excluded
    frame = tmp_store.activities_frame("alex", include_excluded=True, columns=("id", "sport", "distance_m",
                                                                                "source_format", "excluded"))
    assert frame.to_dict("records") == [{"id": stored, "sport": "running", "distance_m": 10_200.0,
                                         "source_format": "fit", "excluded": True}]
    detail = tmp_store.activity_detail(stored)
    assert detail["original"]["sport"] == "walking" and detail["original"]["distance_m"] == 10_000.0


# ---- set -------------------------------------------------------------------------------------------------

def test_set_sport_running_on_a_ride_counts_it_and_beats_recognition_of_a_twin(tmp_path, season):
    db = tmp_path / "r.db"
    ok(db, "import", str(season), "--athlete", "kim", "--tz", "UTC")
    before = {w["iso_week"]: w for w in as_json(db, "weeks")}
    ride = activity_id(db, "ride.tcx")
    assert ok(db, "activities", "set", str(ride), "--sport", "running").strip() == \
        f"Activity {ride}: sport cycling -> running."
    after = {w["iso_week"]: w for w in as_json(db, "weeks")}
    assert after["2026-W10"]["distance_km"] == pytest.approx(before["2026-W10"]["distance_km"] + 30.0, abs=0.01)
    assert after["2026-W10"]["runs"] == before["2026-W10"]["runs"] + 1
    # the later weeks' changes are now measured against the longer W10 (the highest of the 4 before);
    # nothing else moves
    for table in (before, after):
        table.pop("2026-W10")
        for week in table.values():
            for key in ("change_pct", "baseline_week", "baseline_km", "in_band"):
                week.pop(key)
    assert after == before
    after = {w["iso_week"]: w for w in as_json(db, "weeks")}
    (row,) = [r for r in as_json(db, "activities") if r["id"] == ride]
    assert row["counted"] is True and row["sport_code"] == "running" and row["sport"] == "run"
    # a twin of the ride from another source is recognised as cycling: the sport set by hand still wins
    twin = tmp_path / "twin"
    twin.mkdir()
    (twin / "ride.fit").write_bytes(write_fit(run_file("2026-03-04", 30.0, hour=17, sport="cycling", seed=5)))
    ok(db, "import", str(twin), "--athlete", "kim")
    assert {w["iso_week"]: w for w in as_json(db, "weeks")} == after


def test_set_distance_name_and_shoe_show_and_change_log(tmp_path, season):
    db = tmp_path / "r.db"
    ok(db, "import", str(season), "--athlete", "kim", "--tz", "UTC", "--shoe", "Peg")
    ok(db, "shoes", "add", "Nova")
    first = activity_id(db, "2026-03-02.fit")
    out = ok(db, "activities", "set", str(first), "--distance", "6.5km", "--name", "Easy", "--shoe", "Nova")
    assert out.strip() == f"Activity {first}: distance 6.00 km -> 6.50 km; shoe Peg -> Nova; name – -> Easy."
    weeks = as_json(db, "weeks")
    assert weeks[0]["distance_km"] == pytest.approx(24.5, abs=0.01)
    shoes = {s["shoe"]: s for s in as_json(db, "shoes", "list", "--as-of", "2026-04-12")}
    assert shoes["Nova"]["distance_km"] == pytest.approx(6.5, abs=0.05) and shoes["Nova"]["runs"] == 1
    # miles without a unit under --units mi
    ok(db, "activities", "set", str(first), "--distance", "4", "--units", "mi")
    assert as_json(db, "weeks")[0]["distance_km"] == pytest.approx(18.0 + 4 * 1.609344, abs=0.01)
    show = ok(db, "activities", "show", str(first))
    assert f"Activity {first} of kim: counted" in show
    assert "(corrected; imported: 6.00 km)" in show and "(corrected; imported: Peg)" in show
    assert f"file       {season / '2026-03-02.fit'}" in show
    assert "distance_m: 6.50 km -> 6.44 km   (activities set " in show
    detail = json.loads(ok(db, "activities", "show", str(first), "--format", "json"))
    assert detail["original"]["distance_m"] == pytest.approx(6000.0, abs=1)
    assert detail["values"]["distance_m"] == pytest.approx(4 * 1609.344)
    assert [c["field"] for c in detail["changes"]] == ["distance_m", "name", "shoe", "distance_m"]
    changes = [c for c in as_json(db, "changes") if c["activity_id"] is not None]  # not the 'shoes add'
    assert changes[0]["command"] == f"activities set {first} --distance 4"
    assert (changes[0]["old"], changes[0]["new"]) == (6500.0, pytest.approx(4 * 1609.344))
    assert [c["activity_id"] for c in changes] == [first] * 4
    # setting the imported value back removes the correction
    ok(db, "activities", "set", str(first), "--distance", "6km")
    assert json.loads(ok(db, "activities", "show", str(first), "--format", "json"))["corrected"] == \
        {"name": "Easy", "shoe": "Nova"}


def test_bad_input_is_one_sentence_with_a_documented_code_and_changes_nothing(tmp_path, season):
    db = tmp_path / "r.db"
    ok(db, "import", str(season), "--athlete", "kim", "--tz", "UTC")
    ok(db, "import", str(write_season(tmp_path / "lee", ride=False)), "--athlete", "lee", "--tz", "UTC")
    first = activity_id(db, "2026-03-02.fit", "kim")
    state = (ok(db, "activities", "--athlete", "kim", "--format", "json"), ok(db, "athletes", "--format", "json"))
    cases = [
        (("activities", "exclude", str(first), "999"), EXIT_ERROR, "Error: no activity with id 999;"),
        (("activities", "show", "999"), EXIT_ERROR, "Error: no activity with id 999;"),
        (("activities", "delete", "999", "--yes"), EXIT_ERROR, "Error: no activity with id 999;"),
        (("activities", "set", "999", "--sport", "running"), EXIT_ERROR, "Error: no activity with id 999;"),
        (("activities", "exclude", "abc"), EXIT_USAGE, "'abc' is not an activity id"),
        (("activities", "set", str(first), "--distance", "ten"), EXIT_USAGE, "'ten' is not a distance"),
        (("activities", "set", str(first), "--distance", "-3km"), EXIT_USAGE, "--distance"),
        (("activities", "set", str(first), "--distance", "0km"), EXIT_USAGE, "not a positive distance"),
        (("activities", "set", str(first), "--sport", "flying"), EXIT_USAGE, "'flying' is not one of"),
        (("activities", "set", str(first), "--shoe", "Nope"), EXIT_ERROR, "Error: no shoe named 'Nope'"),
        (("activities", "set", str(first)), EXIT_USAGE, "nothing to set"),
        (("athletes", "rename", "kim", "lee"), EXIT_ERROR, "Error: the name 'lee' is taken by another athlete"),
        (("athletes", "rename", "zed", "max"), EXIT_ERROR, "Error: no athlete named 'zed'"),
        (("athletes", "remove", "zed", "--yes"), EXIT_ERROR, "Error: no athlete named 'zed'"),
        (("athletes", "set-tz", "kim", "Mars/Base", "--yes"), EXIT_USAGE, "unknown time zone 'Mars/Base'"),
        (("imports", "undo", "99", "--yes"), EXIT_ERROR, "Error: no import with id 99 (import ids: 1, 2)"),
        (("activities", "delete", str(first)), EXIT_ERROR, "Error: nothing was changed: add --yes to delete"),
        (("athletes", "remove", "kim"), EXIT_ERROR, "Error: nothing was changed: add --yes to remove kim"),
        (("imports", "undo", "1"), EXIT_ERROR, "Error: nothing was changed: add --yes to undo import 1"),
    ]
    for args, code, text in cases:
        result = invoke(db, *args)
        assert result.exit_code == code, (args, result.output)
        assert text in result.output, (args, result.output)
        if code == EXIT_ERROR:
            assert len(result.output.strip().splitlines()) == 1, result.output
    assert (ok(db, "activities", "--athlete", "kim", "--format", "json"), ok(db, "athletes", "--format", "json")) \
        == state
    assert ok(db, "changes") == "No changes yet.\n"


# ---- delete ----------------------------------------------------------------------------------------------

def test_delete_removes_it_everywhere_and_no_reimport_brings_it_back(tmp_path, season):
    db, without = tmp_path / "r.db", tmp_path / "without.db"
    ok(db, "import", str(season), "--athlete", "kim", "--tz", "UTC")
    ok(without, "import", str(write_season(tmp_path / "no-long", long_run=False)), "--athlete", "kim", "--tz", "UTC")
    long_id = activity_id(db, LONG)
    out = ok(db, "activities", "delete", str(long_id), "--yes")
    assert f"Deleted activity {long_id}: running" in out
    assert "importing it again does not bring it back" in out and f"'runload activities restore {long_id}'" in out
    assert views(db) == views(without)
    assert long_id not in [r["id"] for r in as_json(db, "activities")]
    ok(db, "import", str(season), "--athlete", "kim")
    twin = tmp_path / "twin"
    twin.mkdir()
    (twin / "long.fit").write_bytes(write_fit(run_file("2026-04-05", 33.3, seed=99)))
    ok(db, "import", str(twin), "--athlete", "kim")
    assert views(db) == views(without)
    assert "DELETED" in ok(db, "activities", "show", str(long_id))
    assert ok(db, "activities", "restore", str(long_id)).strip() == f"Restored activity {long_id}."
    assert long_id in [r["id"] for r in as_json(db, "activities")]


# ---- imports ---------------------------------------------------------------------------------------------

def test_imports_undo_restores_the_store_as_before_and_a_reimport_restores_it(tmp_path, season):
    db = tmp_path / "r.db"
    early, late = tmp_path / "early", tmp_path / "late"
    early.mkdir()
    late.mkdir()
    for f in sorted(season.iterdir()):
        (early if f.name < "2026-03-16" else late).joinpath(f.name).write_bytes(f.read_bytes())
    ok(db, "import", str(early), "--athlete", "kim", "--tz", "UTC", "--shoe", "Peg")
    as_before = (as_json(db, "weeks"), as_json(db, "activities"), as_json(db, "shoes", "list"))
    ok(db, "import", str(late), "--athlete", "kim", "--shoe", "Nova")
    after = (as_json(db, "weeks"), as_json(db, "activities"), as_json(db, "shoes", "list"))
    imports = as_json(db, "imports")
    assert [(i["id"], i["imported"], i["paths"]) for i in imports] == [(1, 6, [str(early)]), (2, 8, [str(late)])]
    listing = ok(db, "imports").splitlines()
    assert listing[0].split()[:3] == ["id", "athlete", "started"] and listing[4].split()[:2] == ["2", "kim"]  # paths below each row
    # one activity of the undone import was corrected: the correction goes with it
    ok(db, "activities", "exclude", str(activity_id(db, LONG)))
    out = ok(db, "imports", "undo", "2", "--yes")
    assert out.startswith("Undid import 2: removed 8 activities, the shoe Nova; forgot 8 files")
    assert (as_json(db, "weeks"), as_json(db, "activities"), as_json(db, "shoes", "list")) == as_before
    assert [i["id"] for i in as_json(db, "imports")] == [1]
    ok(db, "import", str(late), "--athlete", "kim", "--shoe", "Nova")
    again = (as_json(db, "weeks"), as_json(db, "activities"), as_json(db, "shoes", "list"))
    assert again[0] == after[0] and again[2] == after[2]
    # the same activities again (new ids: the undone ones were removed, not hidden)
    strip = [{k: v for k, v in r.items() if k != "id"} for r in again[1]]
    assert strip == [{k: v for k, v in r.items() if k != "id"} for r in after[1]]
    (undo,) = [c for c in as_json(db, "changes") if c["field"] == "import"]
    assert undo["command"] == "imports undo 2" and undo["old"]["activities"] == 8


def test_undo_of_an_import_whose_record_was_replaced_later_keeps_the_richer_copy(tmp_store):
    aid = tmp_store.athlete_id("alex", create=True, tz="UTC")
    first = tmp_store.begin_import(aid, ["a"])
    (gpx_id,) = tmp_store.add_file(aid, [make_run("2026-09-12T06:00:05Z", 10.05, source_format="gpx")],
                                   source_path="run.gpx", content_hash="g", import_id=first).added
    second = tmp_store.begin_import(aid, ["b"])
    tmp_store.add_file(aid, [make_run("2026-09-12T06:00:00Z", 10.0, avg_hr_bpm=150.0),
                             make_run("2026-09-13T06:00:00Z", 5.0)], source_path="run.fit", content_hash="f",
                       import_id=second)
    done = tmp_store.undo_import(second)
    assert (done["activities"], done["kept_replaced"]) == (1, 1)
    frame = tmp_store.activities_frame("alex")
    assert frame["id"].tolist() == [gpx_id] and frame.loc[0, "source_format"] == "fit"
    assert tmp_store.undo_import(first)["activities"] == 1
    assert tmp_store.activities_frame("alex").empty


# ---- athletes --------------------------------------------------------------------------------------------

def test_athletes_rename_and_remove_leave_no_row_of_the_athlete(tmp_path, season):
    db = tmp_path / "r.db"
    ok(db, "import", str(season), "--athlete", "kim", "--tz", "UTC", "--shoe", "Peg")
    ok(db, "import", str(write_season(tmp_path / "lee", ride=False)), "--athlete", "lee", "--tz", "UTC")
    lee_weeks = as_json(db, "weeks", "--athlete", "lee")
    kim_weeks = as_json(db, "weeks", "--athlete", "kim")
    assert ok(db, "athletes", "rename", "kim", "kai") == "Renamed kim to kai.\n"
    config = tmp_path / "config.toml"
    config.write_text("[athletes.lee]\nhr_max_bpm = 190\n")
    assert ok(db, "--config", str(config), "athletes", "rename", "lee", "leo") == (
        "Renamed lee to leo. The config's [athletes.lee] table keeps its name: rename it to [athletes.leo] too.\n")
    ok(db, "athletes", "rename", "leo", "lee")
    # the same weeks under the new name (each JSON record names its athlete)
    assert as_json(db, "weeks", "--athlete", "kai") == [{**w, "athlete": "kai"} for w in kim_weeks]
    assert [a["name"] for a in as_json(db, "athletes")] == ["kai", "lee"]
    ok(db, "shoes", "assign", "Peg", "--athlete", "kai", "--from", "2026-03-01")
    ok(db, "gaps", "add", "--athlete", "kai", "--from", "2026-03-10", "--to", "2026-03-11")
    ok(db, "activities", "exclude", str(activity_id(db, LONG, "kai")))
    ok(db, "import", str(season / LONG), "--athlete", "kai")  # a known file: an import_files row
    with Store.open(db, readonly=True) as s:
        kai_id = s.athlete_id("kai")
        shoe_ids = [r[0] for r in s.conn.execute("SELECT id FROM shoes WHERE athlete_id = ?", (kai_id,))]
    assert all(n > 0 for t, n in athlete_rows(db, kai_id).items() if t not in ("duplicates",)), athlete_rows(db, kai_id)
    out = ok(db, "athletes", "remove", "kai", "--yes")
    assert out.startswith("Removed kai: 14 activities, 1 shoes, 1 gaps, 2 imports, 1 corrections.")
    assert set(athlete_rows(db, kai_id).values()) == {0}
    conn = sqlite3.connect(db)
    marks = ",".join("?" * len(shoe_ids))
    assert conn.execute(f"SELECT COUNT(*) FROM shoe_assignments WHERE shoe_id IN ({marks})", shoe_ids).fetchone() == (0,)
    assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    conn.close()
    assert [a["name"] for a in as_json(db, "athletes")] == ["lee"]
    assert as_json(db, "weeks", "--athlete", "lee") == lee_weeks
    (removal,) = [c for c in as_json(db, "changes") if c["command"] == "athletes remove kai"]
    assert removal["athlete"] is None and removal["old"] == "kai"


def test_import_never_guesses_the_athlete(tmp_path, season):
    db = tmp_path / "r.db"
    result = invoke(db, "import", str(season))
    assert result.exit_code == EXIT_ERROR
    assert result.output.strip() == ("Error: whose activities are these? give --athlete NAME (or set RUNLOAD_ATHLETE, "
                                     "or default_athlete under [cli] in the config); athletes in the store: none yet")
    ok(db, "import", str(season / "2026-03-02.fit"), "--athlete", "kim")
    ok(db, "import", str(season / "2026-03-04.fit"), "--athlete", "lee")
    for args in ((), ("--quiet",)):
        result = invoke(db, "import", str(season), *args)
        assert result.exit_code == EXIT_ERROR and "athletes in the store: kim, lee" in result.output
    assert [(a["name"], a["activities"]) for a in as_json(db, "athletes")] == [("kim", 1), ("lee", 1)]
    ok(db, "import", str(season / "2026-03-08.fit"), env={"RUNLOAD_ATHLETE": "lee"})
    config = tmp_path / "config.toml"
    config.write_text('[cli]\ndefault_athlete = "kim"\n')
    ok(db, "--config", str(config), "import", str(season / "2026-03-09.fit"))
    assert [(a["name"], a["activities"]) for a in as_json(db, "athletes")] == [("kim", 2), ("lee", 2)]


def test_a_different_import_tz_is_refused_and_set_tz_counts_the_moved_dates(tmp_path):
    db = tmp_path / "r.db"
    folder = tmp_path / "w"
    folder.mkdir()
    # 23:30 UTC on Monday 2 March is 00:30 on Tuesday in Berlin; 12:00 UTC is the same day in both zones
    (folder / "late.fit").write_bytes(write_fit(run_file("2026-03-02", 8.0, hour=23, seed=1)))
    (folder / "noon.fit").write_bytes(write_fit(run_file("2026-03-04", 6.0, hour=12, seed=2)))
    ok(db, "import", str(folder), "--athlete", "kim", "--tz", "Europe/Berlin")
    (folder / "next.fit").write_bytes(write_fit(run_file("2026-03-06", 5.0, hour=12, seed=3)))
    result = invoke(db, "import", str(folder), "--athlete", "kim", "--tz", "America/New_York")
    assert result.exit_code == EXIT_ERROR
    assert result.output.strip() == ("Error: kim's time zone is Europe/Berlin, not America/New_York; nothing was "
                                     "changed — to change the zone run 'runload athletes set-tz kim America/New_York'")
    assert as_json(db, "athletes") == [{"name": "kim", "tz": "Europe/Berlin", "activities": 2, "runs": 2}]
    ok(db, "import", str(folder), "--athlete", "kim", "--tz", "Europe/Berlin")  # the same zone is fine
    assert as_json(db, "athletes")[0]["activities"] == 3
    result = invoke(db, "athletes", "set-tz", "kim", "UTC")
    assert result.exit_code == EXIT_ERROR
    assert "kim: time zone Europe/Berlin -> UTC; 1 of 3 activities change their local date." in result.output
    assert "add --yes" in result.output and as_json(db, "athletes")[0]["tz"] == "Europe/Berlin"
    assert [r["local_start"][:10] for r in as_json(db, "activities")][0] == "2026-03-03"
    out = ok(db, "athletes", "set-tz", "kim", "UTC", "--yes")
    assert out.splitlines()[-1] == "kim's time zone is now UTC."
    assert as_json(db, "athletes")[0]["tz"] == "UTC"
    assert [r["local_start"][:10] for r in as_json(db, "activities")][0] == "2026-03-02"
    (change,) = as_json(db, "changes")
    assert (change["field"], change["old"], change["new"]) == ("tz", "Europe/Berlin", "UTC")


# ---- shoes assign ----------------------------------------------------------------------------------------

def test_shoes_assign_moves_runs_whatever_set_their_shoe(tmp_path, season):
    db = tmp_path / "r.db"
    ok(db, "import", str(season), "--athlete", "kim", "--tz", "UTC", "--shoe", "Peg")
    ok(db, "shoes", "add", "Nova")
    ok(db, "activities", "set", str(activity_id(db, "2026-03-16.fit")), "--shoe", "Nova")
    out = ok(db, "shoes", "assign", "Nova", "--from", "2026-03-16", "--to", "2026-03-29")
    assert out.strip() == "Nova: assigned to 5 runs from 2026-03-16 to 2026-03-29 (5 from Peg)."
    shoes = {s["shoe"]: s["runs"] for s in as_json(db, "shoes", "list", "--as-of", "2026-04-12")}
    assert shoes == {"Nova": 6, "Peg": 7}
    out = ok(db, "shoes", "assign", "Nova", "--from", "2026-03-16", "--to", "2026-03-29")
    assert "assigned to 0 runs" in out and "no run of that period was on another shoe" in out
    assert len([c for c in as_json(db, "changes", "--last", "100") if c["command"].startswith("shoes assign")]) == 5


# ---- schema ----------------------------------------------------------------------------------------------

def test_a_schema_2_store_migrates_to_3_keeping_all_data(tmp_path):
    p = tmp_path / "v2.db"
    conn = sqlite3.connect(p)
    conn.executescript(f"BEGIN;\n{store_mod.MIGRATIONS[0]}\n{store_mod.MIGRATIONS[1]}\nPRAGMA user_version = 2;\nCOMMIT;")
    conn.execute("INSERT INTO athletes (id, name, tz, created_utc) VALUES (1, 'alex', 'UTC', 'x')")
    conn.execute(
        """INSERT INTO activities (athlete_id, start_utc, start_unix, utc_offset_s, sport, distance_m, moving_s,
           source_format, source_path, content_hash, imported_utc)
           VALUES (1, '2026-09-12T06:00:00Z', 1789192800, 0, 'running', 10000, 3300, 'fit', 'a.fit', 'h1', 'x')""")
    conn.execute("INSERT INTO gaps (athlete_id, from_date, to_date, created_utc) VALUES (1, '2026-09-01', "
                 "'2026-09-02', 'x')")
    conn.commit()
    conn.close()
    with Store.open(p) as s:
        assert s.conn.execute("PRAGMA user_version").fetchone()[0] == 3
        frame = s.activities_frame("alex")
        assert frame["distance_m"].tolist() == [10000.0] and len(s.gaps_frame("alex")) == 1
        (aid,) = frame["id"].tolist()
        s.correct_activity(aid, distance_m=9000.0)
        assert s.activities_frame("alex")["distance_m"].tolist() == [9000.0]
        assert s.activity_detail(aid)["original"]["distance_m"] == 10000.0


def test_every_change_runs_in_one_transaction(tmp_store):
    aid = tmp_store.athlete_id("alex", create=True, tz="UTC")
    ids = [tmp_store.add_file(aid, [make_run(f"2026-09-{d:02d}T06:00:00Z", 10)], source_path=str(d),
                              content_hash=str(d)).added[0] for d in (1, 2, 3)]
    from runload.errors import NotFound

    with pytest.raises(NotFound):
        tmp_store.exclude_activities([ids[0], ids[1], 999])
    with pytest.raises(NotFound):
        tmp_store.delete_activities([ids[0], 999])
    assert len(tmp_store.activities_frame("alex")) == 3 and tmp_store.changes() == []
    assert tmp_store.remove_athlete("alex", dry_run=True)["activities"] == 3
    assert tmp_store.undo_import(tmp_store.begin_import(aid, ["x"]), dry_run=True)["activities"] == 0
    assert len(tmp_store.activities_frame("alex")) == 3 and tmp_store.changes() == []


# ---- the installed binary --------------------------------------------------------------------------------

def test_the_installed_runload_binary_runs_every_log_command(tmp_path, season):
    exe = Path(sys.executable).with_name("runload")
    if not exe.exists():
        pytest.skip("no installed runload script next to this Python")
    db = tmp_path / "bin.db"
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "RUNLOAD_DB": str(db)}

    def run(*args, code=0):
        proc = subprocess.run([str(exe), *args], capture_output=True, text=True, env=env, timeout=120)
        assert proc.returncode == code, (args, proc.stdout, proc.stderr)
        assert "Traceback" not in proc.stderr
        return proc.stdout

    run("import", str(season), "--athlete", "kim", "--tz", "UTC", "--shoe", "Peg")
    assert "athletes in the store: kim" in subprocess.run([str(exe), "import", str(season)], capture_output=True,
                                                          text=True, env=env, timeout=120).stderr
    rows = json.loads(run("activities", "--format", "json"))
    ride = [r["id"] for r in rows if r["source"].endswith("ride.tcx")][0]
    long_id = [r["id"] for r in rows if r["source"].endswith(LONG)][0]
    weeks = {w["iso_week"]: w["distance_km"]
             for w in json.loads(run("weeks", "--format", "json", "--as-of", "2026-04-12"))}
    run("activities", "exclude", str(long_id), "--reason", "glitch")
    run("activities", "set", str(ride), "--sport", "running")
    after = {w["iso_week"]: w["distance_km"]
             for w in json.loads(run("weeks", "--format", "json", "--as-of", "2026-04-12"))}
    assert after["2026-W14"] == 0.0 and weeks["2026-W14"] == pytest.approx(33.3, abs=0.1)
    assert after["2026-W10"] == pytest.approx(weeks["2026-W10"] + 30.0, abs=0.01)
    assert "EXCLUDED (glitch)" in run("activities", "show", str(long_id))
    run("activities", "include", str(long_id))
    run("activities", "delete", str(long_id), code=EXIT_ERROR)
    run("activities", "delete", str(long_id), "--yes")
    run("activities", "restore", str(long_id))
    run("shoes", "add", "Nova")
    assert "(3 from Peg, 1 from no shoe)" in run("shoes", "assign", "Nova", "--from", "2026-03-02", "--to", "2026-03-08")
    assert "imports undo" not in run("changes")
    assert run("imports").splitlines()[2].split()[:2] == ["1", "kim"]
    run("athletes", "rename", "kim", "kai")
    run("athletes", "set-tz", "kai", "Europe/Berlin", "--yes")
    assert run("athletes").splitlines()[2].split()[:2] == ["kai", "Europe/Berlin"]
    assert "8 from" not in run("imports", "undo", "1", "--yes")
    assert json.loads(run("activities", "--format", "json")) == []
    run("athletes", "remove", "kai", "--yes")
    assert run("athletes").startswith("No athletes yet")
    assert json.loads(run("changes", "--format", "json"))[0]["command"] == "athletes remove kai"


def test_make_demo_uses_a_store_of_its_own_and_its_next_commands_work(tmp_path):
    """``make demo`` with a stand-in virtual environment (no network): the sample goes to the demo
    store only, and the commands it suggests at the end work as printed."""
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "python").symlink_to(sys.executable)
    shim = venv / "bin" / "runload"
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m runload "$@"\n')
    shim.chmod(0o755)
    (venv / ".installed").touch()
    home = tmp_path / "home"
    env = {k: v for k, v in os.environ.items() if k not in ("RUNLOAD_DB", "RUNLOAD_CONFIG", "MAKEFLAGS")}
    env.update(PYTHONPATH=str(ROOT / "src"), HOME=str(home), XDG_DATA_HOME=str(home / "data"),
               XDG_CONFIG_HOME=str(home / "config"))
    demo_db = tmp_path / "demo" / "runload.db"
    proc = subprocess.run(["make", "-s", "-C", str(ROOT), "demo", f"VENV={venv}", f"DEMO_DB={demo_db}"],
                          capture_output=True, text=True, env=env, timeout=600)
    assert proc.returncode == 0, proc.stderr
    assert f"Demo store: {demo_db} (your own store is not touched)" in proc.stdout
    assert demo_db.exists() and not (home / "data" / "runload").exists()
    with Store.open(demo_db, readonly=True) as s:
        assert s.athlete_names() == ["alex", "sam"]
    nxt = proc.stdout.split("Next, try")[1].splitlines()[1:]
    assert len(nxt) == 3 and all(line.startswith(f"  {venv}/bin/runload --db {demo_db} ") for line in nxt)
    for line in nxt:
        run = subprocess.run(line.strip(), shell=True, capture_output=True, text=True, env=env, cwd=tmp_path,
                             timeout=300)
        assert run.returncode == 0, (line, run.stderr)
        assert run.stdout or run.stderr
    assert (tmp_path / "alex.html").exists()
    assert "Makefile" in {p.name for p in ROOT.iterdir()} and "/.demo/" in (ROOT / ".gitignore").read_text()


def test_an_exclusion_survives_the_intact_file_arriving_after_a_recovered_copy(tmp_path):
    db = tmp_path / "r.db"
    blob = write_fit(run_file("2026-03-10", 10.0, seed=4))
    cut, full = tmp_path / "cut", tmp_path / "full"
    cut.mkdir()
    full.mkdir()
    (cut / "run.fit").write_bytes(blob[: int(len(blob) * 0.99)])  # the watch's battery died near the end
    (full / "run.fit").write_bytes(blob)
    ok(db, "import", str(cut), "--athlete", "kim", "--tz", "UTC")
    (row,) = as_json(db, "activities")
    assert "file ends early" in row["notes"]  # a recovered copy
    ok(db, "activities", "exclude", str(row["id"]), "--reason", "treadmill, bad footpod")
    ok(db, "import", str(full), "--athlete", "kim")
    (after,) = as_json(db, "activities")  # one record, whichever copy the dedup keeps, and still excluded
    assert after["id"] == row["id"] and after["excluded"] is True and after["counted"] is False
    assert all(w["distance_km"] == 0.0 for w in as_json(db, "weeks", "--as-of", "2026-03-15"))


def test_corrections_need_an_existing_store_and_never_create_one(tmp_path):
    db = tmp_path / "none.db"
    for args in (("activities", "exclude", "1"), ("imports", "undo", "1", "--yes"), ("athletes", "rename", "a", "b")):
        result = invoke(db, *args)
        assert result.exit_code == EXIT_ERROR and result.output.startswith("Error: no runload store at ")
    assert not db.exists()


def test_shoe_and_gap_changes_are_in_the_change_log_too(tmp_path, season):
    db = tmp_path / "r.db"
    ok(db, "import", str(season), "--athlete", "kim", "--tz", "UTC")
    ok(db, "shoes", "add", "Nova", "--start-distance", "100km")
    ok(db, "shoes", "retire", "Nova", "--on", "2026-03-20")
    ok(db, "gaps", "add", "--from", "2026-03-10", "--to", "2026-03-12", "--reason", "flu")
    ok(db, "gaps", "remove", "1")
    changes = as_json(db, "changes")
    assert [c["command"] for c in changes] == ["gaps remove 1", "gaps add", "shoes retire", "shoes add"]
    assert changes[0]["old"] == {"id": 1, "from": "2026-03-10", "to": "2026-03-12", "reason": "flu"}
    assert changes[0]["new"] is None and changes[1]["old"] is None
    assert changes[2]["old"]["retired_on"] is None and changes[2]["new"]["retired_on"] == "2026-03-20"
    assert changes[3]["old"] is None and changes[3]["new"]["start_distance_m"] == 100_000.0
    assert all(c["athlete"] == "kim" for c in changes)
