"""Count only real runs, each run once: one file made for each odd case.

Sport from evidence (declared sports are final; an undeclared one is judged by speed and cadence, else
``unknown``), the plausibility check at the door, runs without distance, Strava's activities.csv (names,
manual rows, missing files) and honest, quiet import summaries.
"""

from __future__ import annotations

import json
import math
import re
import sqlite3
from datetime import datetime, timedelta, timezone

import pytest
from click.testing import CliRunner

from runload.cli import EXIT_NO_ACTIVITY_FILES, EXIT_OK, EXIT_SKIPPED, cli
from runload.errors import ImportFormatError
from runload import importers, store as store_module
from runload.importers import check_plausible, read_bytes
from runload.importers.sports import classify_undeclared, normalise_sport
from runload.ingest import import_paths
from runload.models import Activity
from runload.store import Store
from runload_testing.synthetic import SyntheticRun, write_fit

T = datetime(2026, 6, 1, 7, 0, tzinfo=timezone.utc)


def tcx(start: str = "2026-06-01T07:00:00Z", laps: tuple[tuple[str, str], ...] = (("3000", "1200"),),
        sport: str = "Running", span_s: int = 1200) -> bytes:
    """A small TCX: laps of (DistanceMeters, TotalTimeSeconds) as written, trackpoints ``span_s`` apart."""
    t0 = datetime.fromisoformat(start.replace("Z", "+00:00"))
    end = (t0 + timedelta(seconds=span_s)).strftime("%Y-%m-%dT%H:%M:%SZ")
    body = "".join(
        f'<Lap StartTime="{start}"><TotalTimeSeconds>{time}</TotalTimeSeconds>'
        f"<DistanceMeters>{dist}</DistanceMeters><Track>"
        f"<Trackpoint><Time>{start}</Time><HeartRateBpm><Value>140</Value></HeartRateBpm></Trackpoint>"
        f"<Trackpoint><Time>{end}</Time><HeartRateBpm><Value>150</Value></HeartRateBpm></Trackpoint>"
        "</Track></Lap>"
        for dist, time in laps
    )
    return (
        '<?xml version="1.0"?><TrainingCenterDatabase xmlns="http://www.garmin.com/xmlschemas/'
        f'TrainingCenterDatabase/v2"><Activities><Activity Sport="{sport}"><Id>{start}</Id>{body}'
        "</Activity></Activities></TrainingCenterDatabase>"
    ).encode()


def gpx(start: datetime = T, *, speed_kmh: float = 10.0, minutes: int = 30, gpx_type: str | None = None,
        name: str | None = None) -> bytes:
    """A GPX track due north at a steady ``speed_kmh``, one point a minute, without or with ``<type>``."""
    step_deg = speed_kmh / 60 / 111.195  # km per minute -> degrees of latitude
    points = "".join(
        f'<trkpt lat="{48 + i * step_deg:.7f}" lon="11.0"><time>{(start + timedelta(minutes=i)):%Y-%m-%dT%H:%M:%SZ}'
        "</time></trkpt>"
        for i in range(minutes + 1)
    )
    meta = (f"<name>{name}</name>" if name else "") + (f"<type>{gpx_type}</type>" if gpx_type else "")
    return (f'<?xml version="1.0"?><gpx version="1.1" creator="test" xmlns="http://www.topografix.com/GPX/1/1">'
            f"<trk>{meta}<trkseg>{points}</trkseg></trk></gpx>").encode()


def run(db, *args):
    result = CliRunner().invoke(cli, ["--db", str(db), *args])
    return result


# ------------------------------------------------------------------ sport from evidence

@pytest.mark.parametrize("word,sport", [
    ("9", "running"), ("1", "cycling"), ("4", "hiking"), ("16", "swimming"),  # Strava's numeric <type> codes
    ("Laufen", "running"), ("hardlopen", "running"), ("Course à pied", "running"), ("correr", "running"),
    ("Radfahrt", "cycling"), ("fietsen", "cycling"), ("vélo", "cycling"), ("Wanderung", "hiking"),
    ("randonnée", "hiking"), ("Schwimmen", "swimming"), ("Skilanglauf klassisch", "other"),
    ("Other", "other"), ("Trail Run", "running"),
])
def test_declared_sport_words(word, sport):
    assert normalise_sport(word)[0] == sport


def test_an_empty_or_placeholder_type_is_undeclared():
    assert normalise_sport("unknown") == (None, None)  # OpenTracks writes <type>unknown</type>
    assert normalise_sport("  ") == (None, None)


@pytest.mark.parametrize("distance_m,moving_s,cadence,sport", [
    (8550.81, 1655.64, None, "unknown"),  # an 18.6 km/h GPX ride: fits a fast run too, no cadence
    (4580.14, 2425.0, None, "unknown"),  # a 6.8 km/h hike: fits a slow jog too
    (2736.3, 308.0, None, "unknown"),  # a 32 km/h car drive: too fast for a run, nothing says cycling
    (10000, 3000, 172, "running"),  # 12 km/h at 172 steps/min: no cyclist pedals at that rate
    (10000, 3000, 86, "unknown"),  # 86/min is a running stride rate AND a pedalling cadence
    (3000, 3000, 55, "walking"),  # 3.6 km/h at 55 strides/min (110 steps/min)
    (30000, 3600, 85, "cycling"),  # 30 km/h pedalling at 85 rpm
    (None, 3600, None, "unknown"),  # no distance: nothing to judge by
])
def test_undeclared_sport_from_speed_and_cadence(distance_m, moving_s, cadence, sport):
    got, note = classify_undeclared(distance_m, moving_s, avg_cadence_per_min=cadence)
    assert got == sport
    assert note.startswith("sport not declared")


def test_undeclared_ride_is_unknown_listed_with_the_command_and_not_a_run(tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "move.gpx").write_bytes(gpx(speed_kmh=18.6, minutes=27))
    db = tmp_path / "s.db"
    result = run(db, "import", str(tmp_path / "in"), "--athlete", "kim")
    assert result.exit_code == EXIT_OK, result.output
    assert "0 runs" in result.output and "1 unknown" in result.output
    assert "Sport unknown, stored but not counted as running: 1" in result.output
    assert "runload activities set ID --sport SPORT" in result.output
    assert re.search(r"id \d+: 2026-06-01 07:00 UTC, 8\.\d\d km, 27 min from .*move\.gpx", result.output)
    with Store.open(db, readonly=True) as store:
        assert list(store.activities_frame("kim")["sport"]) == ["unknown"]
    # --quiet still says it: the user has something to do
    again = tmp_path / "in2"
    again.mkdir()
    (again / "ride2.gpx").write_bytes(gpx(T + timedelta(days=1), speed_kmh=15))
    quiet = run(db, "import", str(again), "--athlete", "kim", "--quiet")
    assert quiet.exit_code == EXIT_OK and "Sport unknown" in quiet.output and "Imported" not in quiet.output


def test_title_word_and_step_rate_still_make_a_run():
    (act,) = read_bytes(gpx(speed_kmh=11, name="Afternoon Run"))
    assert act.sport == "running"
    (act,) = read_bytes(gpx(speed_kmh=11, gpx_type="9"))
    assert act.sport == "running" and not act.notes


# ------------------------------------------------------------------ plausibility at the door

@pytest.mark.parametrize("laps,reason", [
    ((("-8000", "2400"),), "its distance is negative (-8,000 m)"),
    ((("1e12", "3600"),), "its distance is impossibly large (1,000,000,000,000 m)"),
    ((("1e300", "3600"),), "its distance is impossibly large"),
    ((("1.7e308", "3600"), ("1.7e308", "3600")), "its distance is not a number (inf)"),  # laps sum to inf
    ((("5000", "-600"),), "its moving time is negative"),
    ((("60000", "3600"),), "its average speed 60 km/h is beyond any human's for running (at most 45 km/h)"),
])
def test_impossible_numbers_are_refused_with_one_line_and_nothing_stored(tmp_path, laps, reason):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "bad.tcx").write_bytes(tcx(laps=laps, span_s=3600))
    with Store.open(tmp_path / "s.db") as store:
        report = import_paths(store, [tmp_path / "in"], athlete="kim", jobs=1)
        assert store.counts()["activities"] == 0
    ((_label, why),) = report.skipped
    assert why.startswith("implausible activity of 2026-06-01 07:00 UTC: ") and reason in why
    assert "\n" not in why


@pytest.mark.parametrize("year,words", [(1600, "before 1980"), (1900, "before 1980"),
                                        (2300, "more than a day in the future")])
def test_dates_outside_1980_to_tomorrow_are_refused_and_reads_keep_working(tmp_path, year, words):
    (tmp_path / "in").mkdir()
    start = T.replace(year=year)
    (tmp_path / "in" / "old.gpx").write_bytes(gpx(start, gpx_type="Run"))
    (tmp_path / "in" / "old.tcx").write_bytes(tcx(start=f"{year}-06-01T07:00:00Z"))
    (tmp_path / "in" / "good.gpx").write_bytes(gpx(T, gpx_type="Run"))
    db = tmp_path / "s.db"
    result = run(db, "import", str(tmp_path / "in"), "--athlete", "kim")
    assert result.exit_code == EXIT_SKIPPED
    assert result.output.count(words) == 2, result.output
    for args in (["weeks", "--athlete", "kim"], ["activities", "--athlete", "kim"]):
        read = run(db, *args)
        assert read.exit_code == EXIT_OK, read.output
    with Store.open(db, readonly=True) as store:
        assert len(store.activities_frame("kim")) == 1


def test_non_finite_values_are_refused_at_the_door():
    base = Activity(start_utc=T, sport="running", source_format="fit", distance_m=5000.0, moving_s=1500.0,
                    elapsed_s=1500.0)
    for field in ("distance_m", "moving_s", "elapsed_s"):
        for value in (math.nan, math.inf, -math.inf):
            with pytest.raises(ImportFormatError, match="not a number|negative"):
                check_plausible([base.with_(**{field: value})])
    assert check_plausible([base]) == [base]


def test_moving_time_above_elapsed_is_capped_with_a_note():
    (act,) = read_bytes(tcx(laps=(("3000", "1500"),), span_s=1200))
    assert act.moving_s == act.elapsed_s == 1200.0
    assert "moving time 1,500 s was longer than the elapsed time 1,200 s: capped to the elapsed time" in act.notes


def test_a_fit_holding_a_header_and_one_record_is_refused():
    data = write_fit(SyntheticRun(start_utc=T, distance_m=1000, moving_s=300))
    # cut right after the first record: no session, no lap, one record -> an activity of 0 s
    reasons = set()
    for size in range(60, 400):
        try:
            read_bytes(data[:size])
        except ImportFormatError as err:
            reasons.add(err.reason)
    assert any("it lasts 0 s" in r for r in reasons), reasons


def test_bad_values_already_in_a_store_do_not_break_reads(tmp_path):
    db = tmp_path / "s.db"
    with Store.open(db) as store:
        aid = store.athlete_id("kim", create=True)
        store.add_file(aid, [Activity(start_utc=T, sport="running", source_format="fit", distance_m=5000.0,
                                      moving_s=1500.0, elapsed_s=1500.0)], source_path="ok.fit", content_hash="ok")
    conn = sqlite3.connect(db)
    rows = [  # written by an older runload or by hand
        ("2300-01-01T00:00:00Z", 10_413_792_000, "1e999", "x", None, "{not json"),
        ("2026-06-02T07:00:00Z", int(T.timestamp()) + 86400, -8000.0, 1e308 * 10, "[oops", '{"140": "x"}'),
        ("2026-06-03T07:00:00Z", int(T.timestamp()) + 2 * 86400, 1e300, 3600.0, None, None),
    ]
    for i, (iso, unix, dist, moving, notes, hr) in enumerate(rows):
        conn.execute(
            """INSERT INTO activities (athlete_id, start_utc, start_unix, sport, distance_m, moving_s, source_format,
               source_path, content_hash, notes, hr_seconds_by_bpm, imported_utc)
               VALUES (1, ?, ?, 'running', ?, ?, 'fit', ?, ?, ?, ?, '2026-01-01T00:00:00Z')""",
            (iso, unix, dist, moving, f"bad{i}", f"bad{i}", notes or "[]", hr),
        )
    conn.commit()
    conn.close()
    with Store.open(db, readonly=True) as store:
        frame = store.activities_frame("kim")
    assert len(frame) == 3  # the year-2300 row cannot be held by a date column: left out of reads
    assert math.isnan(frame["distance_m"].iloc[1]) and math.isnan(frame["moving_s"].iloc[1])
    assert math.isnan(frame["distance_m"].iloc[2])  # 1e300 m would suppress the weekly and spike flags
    assert frame["notes"].iloc[1] == ["[oops"] and frame["hr_seconds_by_bpm"].iloc[1] is None
    for args in (["weeks"], ["activities"], ["check"], ["summary"]):
        result = run(db, *args, "--athlete", "kim")
        assert result.exit_code in (0, 4, 5, 7), (args, result.output)
        assert "unexpected problem" not in result.output


# ------------------------------------------------------------------ runs without distance

def test_heart_rate_only_run_is_kept_counted_and_listed(tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "hr_only.fit").write_bytes(
        write_fit(SyntheticRun(start_utc=T, distance_m=0.0, moving_s=57 * 60, gps=False)))
    db = tmp_path / "s.db"
    result = run(db, "import", str(tmp_path / "in"), "--athlete", "kim")
    assert result.exit_code == EXIT_OK, result.output
    assert "1 run" in result.output
    assert "Runs without distance (count as running days with their time and heart rate): 1" in result.output
    with Store.open(db, readonly=True) as store:
        frame = store.activities_frame("kim")
    assert list(frame["sport"]) == ["running"]
    assert not frame["distance_m"].iloc[0] and frame["moving_s"].iloc[0] == 57 * 60
    assert frame["avg_hr_bpm"].iloc[0] > 100 and frame["hr_seconds_by_bpm"].iloc[0]


def test_zero_metre_running_leg_of_a_multisport_file_is_not_dropped(tmp_path):
    swim = write_fit(SyntheticRun(start_utc=T, distance_m=1500, moving_s=1800, sport="swimming", gps=False))
    leg = write_fit(SyntheticRun(start_utc=T + timedelta(hours=1), distance_m=0.0, moving_s=1200, gps=False))
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "multi.fit").write_bytes(swim + leg)
    with Store.open(tmp_path / "s.db") as store:
        report = import_paths(store, [tmp_path / "in"], athlete="kim", jobs=1)
        frame = store.activities_frame("kim")
    assert sorted(frame["sport"]) == ["running", "swimming"]
    assert report.runs == 1 and len(report.runs_without_distance) == 1


# ------------------------------------------------------------------ Strava exports

STRAVA_CSV = (
    "Activity ID,Activity Date,Activity Name,Activity Type,Activity Description,Elapsed Time,Distance,"
    "Filename,Activity Gear,Elapsed Time,Moving Time,Distance\n"
    '1,"Jun 1, 2026, 7:00:00 AM",Sunday long run,Run,,1800,5.00,activities/1.gpx,Pegasus,1800,1800,5000.0\n'
    '2,"Jun 3, 2026, 6:30:00 PM",Treadmill (typed in),Run,,2700,8.00,,,2700,2640,8012.5\n'
    '3,"Jun 5, 2026, 6:00:00 AM",Lost file,Ride,,3600,30.0,activities/3.fit.gz,,3600,3500,30000.0\n'
)


def test_strava_names_manual_rows_and_missing_files(tmp_path):
    export = tmp_path / "export"
    (export / "activities").mkdir(parents=True)
    (export / "activities.csv").write_text(STRAVA_CSV)
    (export / "activities" / "1.gpx").write_bytes(gpx(T, speed_kmh=10, name="Move"))  # device default name
    db = tmp_path / "s.db"
    first = run(db, "import", str(export), "--athlete", "kim")
    assert first.exit_code == EXIT_SKIPPED, first.output
    assert "Imported 2 activities for kim from 3 files: 2 runs." in first.output
    missing = [line for line in first.output.splitlines() if "3.fit.gz" in line]
    assert missing == [f"  {export / 'activities' / '3.fit.gz'}: listed in activities.csv (Lost file) but the "
                       "file is not in the export"]
    with Store.open(db, readonly=True) as store:
        frame = store.activities_frame("kim")
    assert list(frame["name"]) == ["Sunday long run", "Treadmill (typed in)"]  # the export's names win
    manual = frame.iloc[1]
    assert manual["source_format"] == "manual" and manual["sport"] == "running"
    assert manual["start_utc"] == datetime(2026, 6, 3, 18, 30, tzinfo=timezone.utc)
    assert (manual["distance_m"], manual["moving_s"], manual["elapsed_s"]) == (8012.5, 2640.0, 2700.0)
    assert any("manual activity" in n for n in manual["notes"])
    # the same export again: nothing new, nothing printed under --quiet, exit 0
    again = run(db, "import", str(export), "--athlete", "kim", "--quiet")
    assert (again.exit_code, again.output) == (EXIT_OK, "")


# ------------------------------------------------------------------ honest, quiet summaries

def test_reimport_is_quiet_remembers_skips_and_lists_them_on_request(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "run.gpx").write_bytes(gpx(gpx_type="Run"))
    (folder / "broken.gpx").write_bytes(b"<gpx><trk>")
    db = tmp_path / "s.db"
    first = run(db, "import", str(folder), "--athlete", "kim")
    assert first.exit_code == EXIT_SKIPPED and "broken.gpx: not well-formed XML" in first.output
    quiet = run(db, "import", str(folder), "--athlete", "kim", "--quiet")
    assert (quiet.exit_code, quiet.output) == (EXIT_OK, "")
    plain = run(db, "import", str(folder), "--athlete", "kim")
    assert plain.exit_code == EXIT_OK and "broken.gpx" not in plain.output
    assert "Skipped by an earlier import, not listed again: 1 file (list them with --show-known-skips)." \
        in plain.output
    listed = run(db, "import", str(folder), "--athlete", "kim", "--show-known-skips")
    assert listed.exit_code == EXIT_OK and "broken.gpx: not well-formed XML" in listed.output


def test_no_activity_file_at_all_is_one_line_and_exit_6(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    junk = tmp_path / "junk"
    junk.mkdir()
    (junk / "notes.txt").write_text("x")
    (junk / "data.bin").write_bytes(b"\x00\x01 not an activity")
    db = tmp_path / "s.db"
    for folder in (empty, junk):
        result = run(db, "import", str(folder), "--athlete", "kim", "--quiet")
        assert result.exit_code == EXIT_NO_ACTIVITY_FILES == 6
        assert f"No FIT, GPX or TCX file in {folder}: nothing to import." in result.output


def test_summary_counts_equal_the_store_when_a_copy_replaces_another(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a_run.gpx").write_bytes(gpx(gpx_type="Run", minutes=30))  # poorer copy, read first
    (folder / "b_run.tcx").write_bytes(tcx(laps=(("5000", "1800"),), span_s=1800))  # richer: heart rate
    with Store.open(tmp_path / "s.db") as store:
        report = import_paths(store, [folder], athlete="kim", jobs=1)
        stored = store.counts()["activities"]
    assert stored == 1 and report.imported == 1 and report.runs == 1
    assert len(report.replaced) == 1 and report.replaced[0][0].endswith("b_run.tcx")
    assert json.loads(json.dumps(report.to_json()))["imported"] == 1


def test_replacement_keeps_the_stored_id(tmp_path):
    cut = Activity(start_utc=T, sport="running", source_format="fit", distance_m=6000.0, moving_s=1800.0,
                   elapsed_s=1800.0, device="garmin fr955", recovered="cut short")
    whole = cut.with_(distance_m=10000.0, moving_s=3000.0, elapsed_s=3000.0, recovered=None)
    with Store.open(tmp_path / "s.db") as store:
        aid = store.athlete_id("kim", create=True)
        first = store.add_file(aid, [cut], source_path="cut.fit", content_hash="c")
        second = store.add_file(aid, [whole], source_path="whole.fit", content_hash="w")
        again = store.add_file(aid, [cut.with_(notes=("x",))], source_path="cut2.fit", content_hash="c2")
        frame = store.activities_frame("kim")
    assert second.stored_ids == first.added and len(second.replaced) == 1
    assert again.duplicates and not again.replaced  # a recovered copy never replaces an intact one
    assert list(frame["id"]) == list(first.added) and frame["distance_m"].iloc[0] == 10000.0


def test_store_reads_with_the_import_limits():
    assert store_module._READ_LIMITS == {"distance_m": importers.MAX_ACTIVITY_DISTANCE_M,
                                         "moving_s": importers.MAX_ACTIVITY_DURATION_S,
                                         "elapsed_s": importers.MAX_ACTIVITY_DURATION_S}


def test_of_two_cut_copies_the_longer_is_kept(tmp_path):
    short = Activity(start_utc=T, sport="running", source_format="fit", distance_m=4000.0, moving_s=1200.0,
                     elapsed_s=1200.0, device="garmin fr955", recovered="cut short")
    longer = short.with_(distance_m=8000.0, moving_s=2400.0, elapsed_s=2400.0)
    with Store.open(tmp_path / "s.db") as store:
        aid = store.athlete_id("kim", create=True)
        store.add_file(aid, [short], source_path="short.fit", content_hash="s")
        result = store.add_file(aid, [longer], source_path="longer.fit", content_hash="l")
        assert len(result.replaced) == 1
        assert list(store.activities_frame("kim")["source_path"]) == ["longer.fit"]
