"""Every row of both shared truth.csv files, through the store: imported or skipped as expected, start exact,
distance within 1 %, moving and elapsed time within 2 %, counted as running exactly where the truth says;
every twin group counts once in both import orders with the intact copy kept; a cut copy of each real FIT
run, imported with its original in either order, counts once.

The files are read from ``../shared`` (relative to the project root); every test skips cleanly without it.
Reference values were computed without runload (fitdecode, fitparse, garmin-fit-sdk, gpxpy, xml.etree).
"""

from __future__ import annotations

import csv
import gzip
import itertools
import re
import shutil
import tempfile
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path

import pytest

from runload.errors import ImportFormatError
from runload.importers import read_bytes
from runload.ingest import import_paths
from runload.store import Store

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
SET1 = SHARED / "real-activities"
SET2 = SHARED / "real-activities-2"


def _rows(folder: Path) -> list[dict]:
    path = folder / "truth.csv"
    if not path.exists():
        return []
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _need(folder: Path) -> None:
    if not (folder / "truth.csv").exists():
        pytest.skip(f"../shared/{folder.name} is not present")


def _num(text) -> float | None:
    return float(text) if text not in ("", None) else None


def _close(actual, expected, rel, abs_=0.5) -> bool:
    return actual is not None and actual == actual and abs(actual - expected) <= max(abs(expected) * rel, abs_)


def _start(text: str) -> datetime:
    # "2012-02-13T11:23:51 (local; ...)": the watch's local clock; without --tz runload takes it as UTC
    return datetime.fromisoformat(text[:19].replace("Z", "")).replace(tzinfo=timezone.utc)


def _expected_moving(timer: float, elapsed: float | None) -> float:
    """runload caps a moving time above the elapsed time (goldencheetah__14582164182: timer 2760 s but
    elapsed 1632 s; the plausibility check at import keeps moving <= elapsed, with a note)."""
    return elapsed if elapsed is not None and timer > elapsed + 1.0 else timer


_WORK = Path(tempfile.mkdtemp(prefix="runload-truth-"))
_DB_NUMBERS = itertools.count()


@lru_cache(maxsize=None)
def _import_alone(path: str):
    """Import one shared file alone into a fresh store: (report, stored rows ordered by session index)."""
    db = _WORK / f"alone-{next(_DB_NUMBERS)}.db"
    with Store.open(db) as store:
        report = import_paths(store, [path], athlete="t", jobs=1)
        rows = store.conn.execute(
            """SELECT session_index, start_unix, sport, distance_m, moving_s, elapsed_s, recovered, notes
               FROM activities ORDER BY session_index"""
        ).fetchall()
    return report, rows


def teardown_module(_module):
    shutil.rmtree(_WORK, ignore_errors=True)


# ------------------------------------------------------------------ set 2: one test per row

ROWS2 = _rows(SET2)

#: Rows where ``counted_as_running`` is empty: what runload does and why.
UNDECIDED = {
    # a 4.6 km hike in 2 h (8 tracks, 6.8 km/h moving), no <type>, no cadence: that speed fits a jog, a
    # slow ride and a fast hike alike, so it is stored as 'unknown' and not counted as running
    "gpxpy__cerknicko-jezero.gpx": False,
    # the same hike with its times stripped (5 of 296 points timed): refused (mostly untimed; 289 km/h)
    "gpxpy__cerknicko-without-times.gpx": False,
    # 86 m in 32 s moving (9.7 km/h), no <type>: too little evidence, stored as 'unknown'
    "gpxpy__track-with-empty-segment.gpx": False,
}

#: Rows whose truth needs the GPX/TCX parser work of this issue done in the GPX importer (elapsed time
#: across tracks and segments); until it lands they may fail.
XML_PENDING = {
    ("gpxpy__cerknicko-jezero.gpx", "elapsed"): "GPX elapsed time across the gaps between tracks (GPX importer)",
}


#: Files that repeat a session (a chained copy): stored once.
CHAINED = {r["file"] for r in ROWS2 if r["expected_outcome"].startswith("same as session")}


def _id2(row):
    return f"{row['file']}#{row['session_index'] or 'skip'}"


@pytest.mark.parametrize("row", ROWS2, ids=[_id2(r) for r in ROWS2])
def test_set2_row(row):
    _need(SET2)
    report, stored = _import_alone(str(SET2 / row["file"]))
    outcome = row["expected_outcome"]
    if not row["session_index"] or outcome == "skip":
        assert stored == [] and len(report.skipped) == 1, report.skipped
        return
    if outcome.startswith("skip (291/296"):  # "skip ... or import with a plausible speed"
        # refused: by the plausibility check (289 km/h) or, with the GPX importer's own check, as mostly untimed
        assert stored == [] and len(report.skipped) == 1, report.skipped
        return
    index = int(row["session_index"])
    if outcome.startswith("same as session 0"):
        # a chained file holding the same session twice: stored once, the copy logged as a duplicate
        assert len(stored) == 1 and len(report.duplicates) + len(report.replaced) == 1
        return
    assert outcome.startswith("import"), outcome
    if row["file"] in CHAINED:
        # either copy of the repeated session may be the one kept (the one holding the records is richer)
        (got,) = stored
    else:
        (got,) = [r for r in stored if r[0] == index]
    _session, start_unix, sport, distance, moving, elapsed, recovered, _notes = got
    assert datetime.fromtimestamp(start_unix, timezone.utc) == _start(row["start_utc"])
    want_distance = _num(row["distance_m"])
    if want_distance is None:
        assert distance is None  # a run without distance is kept (time and heart rate only)
    else:
        assert _close(distance, want_distance, 0.01), (distance, want_distance)
    want_elapsed = _num(row["elapsed_s"])
    timer = _num(row["timer_s"])
    if timer is not None:
        assert _close(moving, _expected_moving(timer, want_elapsed), 0.02), (moving, timer)
    if want_elapsed is not None:
        reason = XML_PENDING.get((row["file"], "elapsed"))
        if reason and not _close(elapsed, want_elapsed, 0.02):
            pytest.xfail(reason)
        assert _close(elapsed, want_elapsed, 0.02), (elapsed, want_elapsed)
    if "recovered" in outcome:
        assert recovered
    counted = {"True": True, "False": False}.get(row["counted_as_running"], UNDECIDED.get(row["file"]))
    assert counted is not None, f"no expectation for {row['file']}"
    assert (sport == "running") is counted, sport
    if row["file"] in UNDECIDED and stored:
        assert sport == "unknown"
        assert any(u[1] for u in report.unknown_sport)  # listed in the summary with how to set it


# ------------------------------------------------------------------ set 1: one test per row (per file)

ROWS1 = _rows(SET1)
SKIPPED1 = {
    "runpandas__malformed.tcx": "not well-formed XML",
    "goldencheetah__MetadataOnly.gpx": "no track points",
    "goldencheetah__A_ride_mapped_on_11_22_2011.gpx": "no timestamps",
}


def _categories() -> dict[str, str]:
    """file -> category ("real run", "non-running sport", "broken / odd") from set 1's MANIFEST table."""
    path = SET1 / "MANIFEST.md"
    out = {}
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            cells = [c.strip() for c in line.split("|")]
            if len(cells) > 5 and cells[2].startswith("`") and re.fullmatch(r"\d+", cells[1] or ""):
                out[cells[2].strip("`")] = cells[4]
    return out


#: Runs expected in each set-1 file that is not simply "real run" (1) or another sport (0).
RUNS1 = {
    "fitparse__sample_mulitple_header.fit": 1,  # triathlon: only its running leg counts
    "goldencheetah__activity_165850259_multi-session.tcx": 2,  # 2 runs + 2 indoor rides (no distance)
    # the FIT SDK's sample run, deliberately damaged copies: declared running, 5.73 m in 14 s
    "fitparse__activity-unexpected-eof.fit": 1,
    "fitparse__activity-filecrc.fit": 1,
    "fitparse__activity-settings-corruptheader.fit": 1,
}


@pytest.mark.parametrize("row", ROWS1, ids=[r["file"] for r in ROWS1])
def test_set1_row(row):
    _need(SET1)
    report, stored = _import_alone(str(SET1 / row["file"]))
    if row["file"] in SKIPPED1:
        assert stored == [] and SKIPPED1[row["file"]] in report.skipped[0][1]
        return
    assert stored and not report.skipped
    if row["start_utc"]:
        assert datetime.fromtimestamp(min(r[1] for r in stored), timezone.utc) == _start(row["start_utc"])
    want_distance = _num(row["distance_m"])
    if want_distance is None:
        assert all(r[3] is None for r in stored)
    else:
        assert _close(sum(r[3] or 0 for r in stored), want_distance, 0.01)
    want_elapsed = _num(row["elapsed_s"])
    timer = _num(row["timer_s"])
    if timer is not None:
        single_elapsed = want_elapsed if len(stored) == 1 else None
        assert _close(sum(r[4] for r in stored), _expected_moving(timer, single_elapsed), 0.02)
    if want_elapsed is not None and len(stored) == 1:
        assert _close(stored[0][5], want_elapsed, 0.02)
    category = _categories().get(row["file"])
    runs = RUNS1.get(row["file"], 1 if category == "real run" else 0)
    assert sum(r[2] == "running" for r in stored) == runs, [r[2] for r in stored]
    assert report.runs == runs  # the summary says what the store holds


# ------------------------------------------------------------------ twins: each real activity once

TWINS = [
    # (folder, files, the copy that must be kept when any copy is intact)
    (SET2, ["goldencheetah__14211916346_ACTIVITY.fit",
            "derived__truncated-tail__goldencheetah__14211916346_ACTIVITY.fit"],
     "goldencheetah__14211916346_ACTIVITY.fit"),
    (SET2, ["geo-activity-playground__2022-05-29-15-53-35_Laufen_Landal_Park.fit",
            "geo-activity-playground__12866632127.fit.gz"],
     "geo-activity-playground__2022-05-29-15-53-35_Laufen_Landal_Park.fit"),  # the one with heart rate
    (SET2, ["fitparse__garmin-fenix-5-bike.fit", "fitparse__garmin-edge-820-bike.fit"], None),
    (SET2, ["FITfileR__garmin-fenix6-turbo.fit", "FITfileR__zwift-turbo.fit"], "FITfileR__zwift-turbo.fit"),
    (SET2, ["fitparse__activity-activity-filecrc.fit", "fitparse__activity-settings-nodata.fit"],
     "fitparse__activity-activity-filecrc.fit"),
    (SET2, ["muktihari-fit__triathlon_summary_first.fit", "muktihari-fit__triathlon_summary_last.fit"], None),
    (SET2, ["muktihari-fit__activity_poolswim.fit", "muktihari-fit__chained_Activity_activity_poolswim.fit"], None),
    (SET1, ["goldencheetah__10kUNLP2014-Garmin15.fit", "goldencheetah__10kUNLP2014-Garmin15.tcx"],
     "goldencheetah__10kUNLP2014-Garmin15.fit"),
    (SET1, ["runpandas__run.tcx", "runpandas__run.gpx"], "runpandas__run.tcx"),
    (SET1, ["runpandas__stopped_example.tcx", "runpandas__strava_export.gpx"], None),
]


def _import_in_order(paths: list[Path]) -> tuple[list[tuple], list]:
    db = _WORK / f"order-{next(_DB_NUMBERS)}.db"
    with Store.open(db) as store:
        reports = [import_paths(store, [p], athlete="t", jobs=1) for p in paths]
        rows = store.conn.execute("SELECT id, source_path, recovered, sport FROM activities").fetchall()
    return rows, reports


@pytest.mark.parametrize("reverse", [False, True], ids=["in order", "reversed"])
@pytest.mark.parametrize("folder,files,keep", TWINS, ids=[t[1][0] for t in TWINS])
def test_twin_group_counts_once_and_keeps_the_intact_copy(folder, files, keep, reverse):
    _need(folder)
    paths = [folder / f for f in files]
    if not all(p.exists() for p in paths):
        pytest.skip("a file of this twin group is not among the shared files")
    alone = len(_import_alone(str(paths[0]))[1])
    rows, reports = _import_in_order(paths[::-1] if reverse else paths)
    assert len(rows) == alone, rows
    if keep is not None:
        assert {Path(r[1]).name for r in rows} == {keep}
    assert all(r[2] is None for r in rows)  # never the recovered copy
    # the summaries add up to what the store holds: replaced records are not counted twice
    assert sum(r.imported for r in reports) == len(rows)


def test_the_damaged_copies_of_one_sample_run_count_once_in_any_order():
    _need(SET1)
    _need(SET2)
    files = [SET2 / "fitparse__activity-settings-nodata.fit", SET1 / "fitparse__activity-unexpected-eof.fit",
             SET1 / "fitparse__activity-settings-corruptheader.fit", SET2 / "fitparse__activity-activity-filecrc.fit",
             SET1 / "fitparse__activity-filecrc.fit"]
    for order in (files, files[::-1]):
        rows, reports = _import_in_order(order)
        assert len(rows) == 1 and rows[0][2] is None and rows[0][3] == "running", rows
        assert sum(r.imported for r in reports) == 1
        # 6 sessions (activity-activity-filecrc holds its session twice), 1 kept: 5 duplicates or replacements
        assert sum(len(r.replaced) + len(r.duplicates) for r in reports) == 5


# ------------------------------------------------------------------ cut copies of every real FIT run

def _fit_runs() -> list[Path]:
    found = []
    for row in ROWS1:
        if row["format"].startswith("fit") and row["sport"].startswith("running"):
            found.append(SET1 / row["file"])
    for row in ROWS2:
        if ".fit" in row["file"].lower() and row["counted_as_running"] == "True" and row["session_index"] == "0" \
                and not row["file"].startswith("derived__"):
            found.append(SET2 / row["file"])
    return sorted(set(found))


FIT_RUNS = _fit_runs()


@pytest.mark.parametrize("reverse", [False, True], ids=["original first", "cut first"])
@pytest.mark.parametrize("k,path", list(enumerate(FIT_RUNS)), ids=[p.name for p in FIT_RUNS])
def test_cut_copy_of_a_real_fit_run_counts_once(tmp_path, k, path, reverse):
    _need(path.parent)
    data = path.read_bytes()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    fraction = 0.40 + 0.50 * ((k * 0.618034) % 1.0)  # spread over 40-90 % of the bytes, file by file
    (tmp_path / "original.fit").write_bytes(data)
    (tmp_path / "cut.fit").write_bytes(data[: int(len(data) * fraction)])
    try:
        cut_readable = bool(read_bytes((tmp_path / "cut.fit").read_bytes()))
    except ImportFormatError:
        cut_readable = False  # nothing could be recovered: trivially once
    order = [tmp_path / "cut.fit", tmp_path / "original.fit"] if reverse else [tmp_path / "original.fit",
                                                                                 tmp_path / "cut.fit"]
    rows, reports = _import_in_order(order)
    original = read_bytes(data)
    assert len(rows) == len(_import_alone(str(path))[1]), (fraction, cut_readable, rows)
    if not original[0].recovered:
        assert {Path(r[1]).name for r in rows} == {"original.fit"}  # the intact copy wins in both orders
    assert sum(r.imported for r in reports) == len(rows)
