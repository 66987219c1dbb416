"""The streaming GPX and TCX readers: gpxpy as the reference, chunking, dropped points, declared sports, cadence.

gpxpy stays the reference for GPX totals (as fitparse is for FIT): every GPX
here, generated or real, is also read with gpxpy and the distance, moving time,
ascent and start must agree.
"""

from __future__ import annotations

import gzip
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import gpxpy
import pytest

from runload.errors import ImportFormatError
from runload.importers import _xml, gpx, read_bytes, tcx
from runload.importers.gpx import read_gpx
from runload.importers.tcx import read_tcx
from runload_testing.synthetic import SyntheticRun, write_gpx, write_tcx

SHARED = Path(__file__).resolve().parents[3] / "shared"
REAL_DIRS = [SHARED / "real-activities", SHARED / "real-activities-2"]
START = datetime(2026, 3, 2, 6, 0, tzinfo=timezone.utc)


def _real_files(*suffixes: str) -> list[Path]:
    return sorted(p for d in REAL_DIRS if d.is_dir() for p in d.iterdir() if p.name.lower().endswith(suffixes))


def _bytes(path: Path) -> bytes:
    data = path.read_bytes()
    return gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data


def _gpxpy_reference(data: bytes) -> dict:
    ref = gpxpy.parse(data.decode("utf-8"))
    times = [p.time for t in ref.tracks for s in t.segments for p in s.points if p.time]
    return {
        "distance": ref.length_2d(),
        "moving": ref.get_moving_data().moving_time,
        "ascent": ref.get_uphill_downhill().uphill,
        "start": times[0],
        "first_to_last": (times[-1] - times[0]).total_seconds(),
        "duration": ref.get_duration(),
        "segments": sum(len(t.segments) for t in ref.tracks),
    }


def _assert_matches_gpxpy(act, data: bytes) -> None:
    ref = _gpxpy_reference(data)
    assert act.distance_m == pytest.approx(ref["distance"], rel=1e-9, abs=1e-6)
    assert act.moving_s == pytest.approx(ref["moving"], abs=1e-6)
    assert (act.ascent_m or 0.0) == pytest.approx(ref["ascent"], rel=1e-9, abs=1e-6)
    assert act.start_utc == ref["start"]
    assert act.elapsed_s == pytest.approx(ref["first_to_last"], abs=1e-6)
    if ref["segments"] == 1:
        assert act.elapsed_s == pytest.approx(ref["duration"], abs=1e-6)


def _split_tracks(doc: bytes, gap_s: int) -> bytes:
    """Cut a one-segment GPX into two tracks (the second of two segments) and shift the second half by ``gap_s``."""
    text = doc.decode()
    points = re.findall(r"   <trkpt .*?</trkpt>\n", text, re.S)
    head = text[: text.index(points[0])]
    third = len(points) // 3

    def shift(point: str) -> str:
        stamp = re.search(r"<time>(.*?)</time>", point).group(1)
        moved = datetime.fromisoformat(stamp.replace("Z", "+00:00")) + timedelta(seconds=gap_s)
        return point.replace(stamp, moved.strftime("%Y-%m-%dT%H:%M:%SZ"))

    first, second, third_part = points[:third], points[third : 2 * third], points[2 * third :]
    return (
        head
        + "".join(first)
        + "  </trkseg>\n </trk>\n <trk>\n  <name>second</name>\n  <trkseg>\n"
        + "".join(shift(p) for p in second)
        + "  </trkseg>\n  <trkseg>\n"
        + "".join(shift(p) for p in third_part)
        + "  </trkseg>\n </trk>\n</gpx>\n"
    ).encode()


# ------------------------------------------------------------------ gpxpy as the reference


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_generated_gpx_matches_gpxpy(seed):
    run = SyntheticRun(START, 8000.0 + 500 * seed, 2400, pause_s=120 * seed, sample_interval_s=1, seed=seed)
    data = write_gpx(run)
    (act,) = read_gpx(data)
    _assert_matches_gpxpy(act, data)
    assert act.elapsed_s == run.elapsed_s


def test_tracks_and_segments_matches_gpxpy_and_elapsed_spans_the_gaps():
    data = _split_tracks(write_gpx(SyntheticRun(START, 6000.0, 1800, sample_interval_s=2, seed=7)), gap_s=600)
    (act,) = read_gpx(data)
    _assert_matches_gpxpy(act, data)
    ref = _gpxpy_reference(data)
    assert ref["segments"] == 3
    # gpxpy's get_duration sums the segments and leaves out the 10-minute gap and the two 2 s steps
    # between segments; elapsed runs from the first to the last point
    assert act.elapsed_s == 1800 + 600 == ref["duration"] + 600 + 2 * 2
    assert act.moving_s < act.elapsed_s - 550


def test_real_gpx_files_match_gpxpy():
    """Every shared real GPX whose points all have coordinates and times."""
    checked = 0
    for path in _real_files(".gpx", ".gpx.gz"):
        data = _bytes(path)
        try:
            (act,) = read_gpx(data)
        except ImportFormatError:
            continue
        assert not any(n.startswith("dropped") for n in act.notes), path.name
        _assert_matches_gpxpy(act, data)
        checked += 1
    if not checked:
        pytest.skip("the shared real files are not present")
    assert checked >= 10


def test_elapsed_across_tracks_of_a_real_file():
    path = SHARED / "real-activities-2" / "gpxpy__cerknicko-jezero.gpx"
    if not path.exists():
        pytest.skip("the shared real files are not present")
    (act,) = read_gpx(path.read_bytes())
    assert act.elapsed_s == 7190.0  # first to last point over its 8 tracks (gpxpy's duration: 4,239 s)
    assert (round(act.distance_m, 2), act.moving_s) == (4580.14, 2425.0)


# ------------------------------------------------------------------ chunked conversion


def _fields(act) -> dict:
    return {k: v for k, v in act.__dict__.items()}


def _same(a, b) -> None:
    for key, value in _fields(a).items():
        other = getattr(b, key)
        if isinstance(value, float):
            assert other == pytest.approx(value, rel=1e-9, abs=1e-9), key
        elif isinstance(value, dict):
            assert other.keys() == value.keys(), key
            for k in value:
                assert other[k] == pytest.approx(value[k], rel=1e-9), key
        else:
            assert other == value, key


@pytest.mark.parametrize("chunk", [1, 2, 3, 7])
def test_any_chunk_size_gives_the_same_activity(chunk, monkeypatch):
    """Points are converted CHUNK_POINTS at a time; carrying the last point over must not change a total."""
    docs = [
        write_gpx(SyntheticRun(START, 3000.0, 900, pause_s=60, sample_interval_s=3, seed=11)),
        _split_tracks(write_gpx(SyntheticRun(START, 3000.0, 900, sample_interval_s=3, seed=12)), gap_s=300),
        write_tcx(SyntheticRun(START, 3000.0, 900, pause_s=60, sample_interval_s=3, seed=13)),
    ]
    docs += [_bytes(p) for p in _real_files(".gpx", ".gpx.gz", ".tcx", ".tcx.gz")[:40]]
    expected = []
    for data in docs:
        try:
            expected.append(read_bytes(data))
        except ImportFormatError as exc:
            expected.append(exc.reason)
    monkeypatch.setattr(gpx, "CHUNK_POINTS", chunk)
    monkeypatch.setattr(tcx, "CHUNK_POINTS", chunk)
    for data, before in zip(docs, expected):
        if isinstance(before, str):
            with pytest.raises(ImportFormatError) as info:
                read_bytes(data)
            assert info.value.reason == before
            continue
        after = read_bytes(data)
        assert len(after) == len(before)
        for a, b in zip(before, after):
            _same(a, b)


# ------------------------------------------------------------------ dropped points and untimed files

_HEAD = (
    '<?xml version="1.0"?>\n<gpx version="1.1" creator="t" xmlns="http://www.topografix.com/GPX/1/1" '
    'xmlns:g="http://www.garmin.com/xmlschemas/TrackPointExtension/v1"><trk><type>running</type><trkseg>\n'
)
_TAIL = "</trkseg></trk></gpx>\n"


def _point(i: int, lat: str | None = "ok", time: bool = True, cad: int | None = None, hr: int | None = None,
           second: int | None = None) -> str:
    """Point ``i`` of a track heading north at 0.0001° (11 m) every 5 s (8 km/h)."""
    lat_attr = f' lat="{48 + i * 0.0001:.4f}"' if lat == "ok" else (f' lat="{lat}"' if lat else "")
    when = START + timedelta(seconds=5 * i if second is None else second)
    stamp = f"<time>{when.strftime('%Y-%m-%dT%H:%M:%SZ')}</time>" if time else ""
    ext = ""
    if cad is not None or hr is not None:
        inner = (f"<g:hr>{hr}</g:hr>" if hr is not None else "") + (f"<g:cad>{cad}</g:cad>" if cad is not None else "")
        ext = f"<extensions><g:TrackPointExtension>{inner}</g:TrackPointExtension></extensions>"
    return f'<trkpt{lat_attr} lon="11.0000"><ele>500</ele>{stamp}{ext}</trkpt>\n'


def _doc(points: list[str]) -> bytes:
    return (_HEAD + "".join(points) + _TAIL).encode()


def test_point_without_coordinates_is_dropped_and_the_rest_imported():
    points = [_point(i) for i in range(10)]
    broken = points.copy()
    broken[4] = _point(4, lat=None)
    broken[6] = _point(6, lat="north")
    (act,) = read_gpx(_doc(broken))
    assert "dropped 2 track point(s) without valid coordinates" in act.notes
    kept = [p for i, p in enumerate(points) if i not in (4, 6)]
    _assert_matches_gpxpy(act, _doc(kept))


def test_point_without_time_is_dropped_and_the_rest_imported():
    points = [_point(i, time=i not in (3, 8)) for i in range(12)]
    (act,) = read_gpx(_doc(points))
    assert "dropped 2 track point(s) without a time" in act.notes
    _assert_matches_gpxpy(act, _doc([p for i, p in enumerate(points) if i not in (3, 8)]))
    assert act.elapsed_s == 55.0


def test_unreadable_time_counts_as_missing():
    points = [_point(i) for i in range(6)]
    points[2] = points[2].replace("<time>2026", "<time>2026-13")
    (act,) = read_gpx(_doc(points))
    assert "dropped 1 track point(s) without a time" in act.notes


def test_mostly_untimed_gpx_is_refused_with_one_line():
    half = [_point(i, time=i % 2 == 0) for i in range(10)]  # 5 of 10 untimed: not more than half
    (act,) = read_gpx(_doc(half))
    assert "dropped 5 track point(s) without a time" in act.notes
    most = [_point(i, time=i in (0, 4, 9)) for i in range(10)]
    with pytest.raises(ImportFormatError) as info:
        read_gpx(_doc(most))
    assert info.value.reason == (
        "GPX has 7 of 10 track points without a time: too few timed points to measure the activity"
    )


def test_real_mostly_untimed_gpx_is_refused():
    path = SHARED / "real-activities-2" / "gpxpy__cerknicko-without-times.gpx"
    if not path.exists():
        pytest.skip("the shared real files are not present")
    with pytest.raises(ImportFormatError) as info:
        read_bytes(path.read_bytes())
    assert info.value.reason.startswith("GPX has 291 of 296 track points without a time")


def test_no_point_with_coordinates_is_refused():
    with pytest.raises(ImportFormatError) as info:
        read_gpx(_doc([_point(i, lat=None) for i in range(3)]))
    assert info.value.reason == "GPX has 3 track points but none with valid coordinates"


def test_times_with_offsets_and_fractions_read_as_utc():
    points = [_point(i) for i in range(4)]
    points[1] = points[1].replace("06:00:05Z", "08:00:05.250+02:00")
    (act,) = read_gpx(_doc(points))
    assert act.elapsed_s == 15.0 and act.start_utc == START
    (plain,) = read_gpx(_doc([_point(i) for i in range(4)]))
    assert act.distance_m == plain.distance_m


# ------------------------------------------------------------------ sports and cadence


@pytest.mark.parametrize("word, sport", [("9", "running"), ("1", "cycling"), ("Run", "running"), ("hiking", "hiking")])
def test_gpx_type_is_declared(word, sport):
    doc = _doc([_point(i) for i in range(5)]).replace(b"<type>running</type>", f"<type>{word}</type>".encode())
    (act,) = read_gpx(doc)
    assert act.sport == sport and not any(n.startswith("sport not declared") for n in act.notes)


def test_gpx_cadence_over_moving_points_and_passed_to_the_classifier(monkeypatch):
    points = [_point(i, cad=80 + i, hr=120) for i in range(6)]
    points.insert(3, _point(2, cad=0, hr=120, second=12))  # standing where point 2 was, 2 s later
    (act,) = read_gpx(_doc(points))
    # the standing point (same place, 2 s later) is not moving; the first point has no step before it
    assert act.avg_cadence_per_min == pytest.approx((81 + 82 + 83 + 84 + 85) / 5)
    seen = {}

    def classify(distance_m, moving_s, *, name=None, avg_cadence_per_min=None):
        seen.update(distance_m=distance_m, moving_s=moving_s, name=name, cadence=avg_cadence_per_min)
        return "running", "sport not declared; test"

    monkeypatch.setattr(gpx, "classify_undeclared", classify)
    (untyped,) = read_gpx(_doc(points).replace(b"<type>running</type>", b""))
    assert seen["cadence"] == act.avg_cadence_per_min and seen["distance_m"] == act.distance_m
    assert untyped.notes[0] == "sport not declared; test"


def test_tcx_sport_other_is_declared_and_final():
    data = write_tcx(SyntheticRun(START, 10_000.0, 3000, sample_interval_s=5, seed=3))
    data = data.replace(b'Sport="Running"', b'Sport="Other"')
    (act,) = read_tcx(data)  # 12 km/h: a runner's pace, but the file says Other
    assert act.sport == "other" and not any(n.startswith("sport not declared") for n in act.notes)
    (undeclared,) = read_tcx(data.replace(b' Sport="Other"', b""))
    assert undeclared.notes[0].startswith("sport not declared")


def test_real_tcx_other_stays_other():
    path = SHARED / "real-activities-2" / "tcxreader__cross-country-skiing_activity_1.tcx"
    if not path.exists():
        pytest.skip("the shared real files are not present")
    (act,) = read_tcx(path.read_bytes())
    assert act.sport == "other" and act.distance_m == 5692.01  # 8.5 km/h: once taken for a run


_TCX = """<?xml version="1.0"?>
<TrainingCenterDatabase xmlns="http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2"
  xmlns:x="http://www.garmin.com/xmlschemas/ActivityExtension/v2">
 <Activities><Activity Sport="Running"><Id>2026-03-02T06:00:00Z</Id>
  <Lap StartTime="2026-03-02T06:00:00Z"><TotalTimeSeconds>40</TotalTimeSeconds><DistanceMeters>100</DistanceMeters>
   <Cadence>99</Cadence>
   <Track>{points}</Track></Lap>
  <Creator><Name>Watch</Name></Creator></Activity></Activities>
 <Courses><Course><Lap><DistanceMeters>5000</DistanceMeters></Lap><Track>
  <Trackpoint><Time>2026-03-02T07:00:00Z</Time><DistanceMeters>9</DistanceMeters><HeartRateBpm><Value>190</Value></HeartRateBpm></Trackpoint>
 </Track></Course></Courses>
</TrainingCenterDatabase>"""


def _tp(second: int, dist: float | None, cad: str = "", hr: int = 140) -> str:
    d = f"<DistanceMeters>{dist}</DistanceMeters>" if dist is not None else ""
    return (f"<Trackpoint><Time>2026-03-02T06:00:{second:02d}Z</Time>{d}"
            f"<HeartRateBpm><Value>{hr}</Value></HeartRateBpm>{cad}</Trackpoint>")


def test_tcx_cadence_structure_and_courses():
    run_cad = "<Extensions><x:TPX><x:RunCadence>{}</x:RunCadence></x:TPX></Extensions>"
    points = [
        _tp(0, 0.0, run_cad.format(70)),  # no step before it: judged by its cadence
        _tp(10, 30.0, run_cad.format(80)),
        _tp(20, 30.0, run_cad.format(0)),  # standing still: not averaged
        _tp(30, 60.0, "<Cadence>90</Cadence>"),
        _tp(40, None, run_cad.format(85)),  # no distance: moving because its cadence is above 0
    ]
    (act,) = read_tcx(_TCX.format(points="".join(points)).encode())
    assert act.avg_cadence_per_min == pytest.approx((70 + 80 + 90 + 85) / 4)
    # the course's lap and trackpoint are not part of the activity; the lap's Cadence is not a trackpoint's
    assert (act.distance_m, act.moving_s, act.elapsed_s, act.max_hr_bpm, act.device) == (100.0, 40.0, 40.0, 140, "Watch")
    assert act.hr_seconds_by_bpm == {140: 40.0}


def test_nonsense_heart_rate_does_not_allocate():
    points = [_point(i, hr=10**12 if i == 2 else 150) for i in range(5)]
    (act,) = read_gpx(_doc(points))
    assert act.hr_seconds_by_bpm == {150: 15.0, 10**12: 5.0}


# ------------------------------------------------------------------ the parser's own safety


@pytest.mark.parametrize("scan", [gpx._scan, tcx._scan])
def test_parser_itself_refuses_dtds_and_entities(scan):
    """Even without the byte-level check in front, expat is set up to refuse DTDs and entity declarations."""
    for doc in (
        b'<!DOCTYPE gpx [<!ENTITY a "aaaa">]><gpx>&a;</gpx>',
        b'<!DOCTYPE gpx SYSTEM "file:///etc/passwd"><gpx/>',
    ):
        with pytest.raises(ImportFormatError) as info:
            scan(doc)
        assert info.value.reason == "XML with a DTD or entities is refused"


def test_malformed_xml_reason_names_the_line():
    with pytest.raises(ImportFormatError) as info:
        read_gpx(_doc([_point(0)]).replace(b"</trkseg>", b"</trkseg", 1))
    assert re.fullmatch(r"not well-formed XML at line \d+: .+", info.value.reason)


def test_unix_us_fast_and_slow_paths_agree():
    texts = ["2026-03-02T06:00:00Z", "2026-03-02T06:00:00.123456Z", "1999-12-31T23:59:59.5Z"]
    fast = _xml.unix_us(texts)
    slow = _xml.unix_us(texts + ["2026-03-02T08:00:00+02:00"])  # one offset time: every text parsed alone
    assert list(fast) == list(slow[:3])
    assert slow[3] == fast[0]
    expected = [(_xml.parse_time(t) - _xml._EPOCH) // _xml._ONE_US for t in texts]
    assert list(fast) == expected


def test_tcx_trackpoints_out_of_time_order_are_summed_in_time_order(monkeypatch):
    """Streamed in file order while the times go forward; a step back in time reads the file again, sorted."""
    points = [
        f"<Trackpoint><Time>2026-03-02T06:00:{s:02d}Z</Time><AltitudeMeters>{alt}</AltitudeMeters>"
        f"<HeartRateBpm><Value>{hr}</Value></HeartRateBpm></Trackpoint>"
        for s, alt, hr in ((0, 10, 100), (20, 30, 120), (10, 20, 110), (30, 40, 130))
    ]
    data = _TCX.format(points="".join(points)).encode()
    scans = []
    real_scan = tcx._scan
    monkeypatch.setattr(tcx, "_scan", lambda d, keep_points=False: scans.append(keep_points) or real_scan(d, keep_points))
    (act,) = read_tcx(data)
    assert scans == [False, True]
    assert act.hr_seconds_by_bpm == {100: 10.0, 110: 10.0, 120: 10.0}  # the last sample has no time after it
    assert act.ascent_m == 30.0 and act.elapsed_s == 30.0  # 10 -> 20 -> 30 -> 40 m in time order
    scans.clear()
    (in_order,) = read_tcx(_TCX.format(points="".join(points[:2] + points[3:])).encode())
    assert scans == [False] and in_order.ascent_m == 30.0
