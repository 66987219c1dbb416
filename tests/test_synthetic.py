"""Round-trip tests for the synthetic FIT/GPX/TCX writers (runload_testing.synthetic).

Expected values are the run descriptions themselves: each writer must give
back the distance, start, moving/elapsed time, sport and heart rate it was
asked to write, through independent decoders (fitfast, fitparse, gpxpy,
xml.etree).
"""

from __future__ import annotations

import gzip
import io
import math
import time
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta, timezone

import fitfast
import fitparse
import gpxpy
import numpy as np
import pytest

from runload_testing.synthetic import SyntheticRun, fit_crc16, gzip_bytes, samples, write_fit, write_gpx, write_tcx

START = datetime(2026, 8, 3, 5, 12, 7, tzinfo=timezone.utc)
TCX_NS = {"t": "http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2"}


def _run(**kw) -> SyntheticRun:
    base = dict(start_utc=START, distance_m=10_234.0, moving_s=3_300, sample_interval_s=5, seed=7)
    base.update(kw)
    return SyntheticRun(**base)


def _crc_reference(data: bytes) -> int:
    """The nibble-table CRC from the FIT protocol document, byte by byte."""
    table = [0x0000, 0xCC01, 0xD801, 0x1400, 0xF001, 0x3C00, 0x2800, 0xE401,
             0xA001, 0x6C00, 0x7800, 0xB401, 0x5000, 0x9C01, 0x8801, 0x4400]  # fmt: skip
    crc = 0
    for byte in data:
        tmp = table[crc & 0xF]
        crc = ((crc >> 4) & 0x0FFF) ^ tmp ^ table[byte & 0xF]
        tmp = table[crc & 0xF]
        crc = ((crc >> 4) & 0x0FFF) ^ tmp ^ table[(byte >> 4) & 0xF]
    return crc


@pytest.mark.parametrize("n", [0, 1, 9, 4095, 4096, 70_001])
def test_crc_matches_protocol_reference(n):
    data = np.random.default_rng(n).integers(0, 256, n, dtype=np.uint8).tobytes()
    assert fit_crc16(data) == _crc_reference(data)
    assert fit_crc16(data[n // 3 :], fit_crc16(data[: n // 3])) == _crc_reference(data)


def test_crc_check_value():
    # CRC-16/ARC check value for "123456789" is 0xBB3D.
    assert fit_crc16(b"123456789") == 0xBB3D


def test_samples_shape_and_track_length():
    run = _run(pause_s=95)
    s = samples(run)
    n = s["timestamp_s"].size
    assert all(s[k].size == n for k in ("elapsed_s", "distance_m", "lat_deg", "lon_deg", "elevation_m", "hr_bpm"))
    assert s["distance_m"][0] == 0 and s["distance_m"][-1] == pytest.approx(run.distance_m)
    assert np.all(np.diff(s["distance_m"]) > 0)
    assert s["elapsed_s"][-1] == 3_300 + 95
    assert 120 <= s["hr_bpm"].min() and s["hr_bpm"].max() <= 175
    lat, lon = np.radians(s["lat_deg"]), np.radians(s["lon_deg"])
    a = np.sin(np.diff(lat) / 2) ** 2 + np.cos(lat[:-1]) * np.cos(lat[1:]) * np.sin(np.diff(lon) / 2) ** 2
    length = (2 * 6_371_008.8 * np.arcsin(np.sqrt(a))).sum()
    assert length == pytest.approx(run.distance_m, rel=0.003)


def test_samples_24h_at_1s_is_fast():
    run = SyntheticRun(START, 200_000.0, 86_400)
    t0 = time.perf_counter()
    s = samples(run)
    assert time.perf_counter() - t0 < 1.0
    assert s["timestamp_s"].size == 86_401


def _fitparse(data: bytes) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for message in fitparse.FitFile(io.BytesIO(data)).get_messages():
        out.setdefault(message.name, []).append({f.name: f.value for f in message.fields})
    return out


def _unix(value) -> int:
    """fitparse gives naive UTC datetimes; fitfast gives Unix seconds."""
    if isinstance(value, datetime):
        return int(value.replace(tzinfo=timezone.utc).timestamp())
    return int(value)


@pytest.mark.parametrize(
    "kw, sport, sub_sport",
    [
        (dict(pause_s=95, utc_offset_s=7_200), "running", "generic"),
        (dict(sub_sport="treadmill", gps=False), "running", "treadmill"),
        (dict(sport="cycling", distance_m=41_000.0, moving_s=5_400, hr=False), "cycling", "generic"),
    ],
)
def test_fit_round_trip_fitfast_and_fitparse_agree(kw, sport, sub_sport):
    run = _run(**kw)
    data = write_fit(run)
    assert data[8:12] == b".FIT" and data[0] == 14
    assert int.from_bytes(data[12:14], "little") == _crc_reference(data[:12])
    assert int.from_bytes(data[-2:], "little") == _crc_reference(data[:-2])

    ff = fitfast.parse(data)
    fp = _fitparse(data)
    assert {k: len(v) for k, v in ff.items()} == {k: len(v) for k, v in fp.items()}
    for kind in ("session", "lap", "activity", "file_id", "event", "device_info"):
        for a, b in zip(ff[kind], fp[kind]):
            for key, value in a.items():
                if key in ("timestamp", "start_time", "time_created"):
                    assert _unix(value) == _unix(b[key])
                elif key == "local_timestamp":
                    assert value == int(b[key].replace(tzinfo=timezone.utc).timestamp())
                else:
                    # expanded components (enhanced_*) may round differently by 1 unit
                    tol = 1.5e-3 if key.startswith("enhanced_") else 1e-9
                    assert b[key] == pytest.approx(value, abs=tol), (kind, key)
    rec_ff, rec_fp = ff["record"], fp["record"]
    assert [r["distance"] for r in rec_ff] == pytest.approx([r["distance"] for r in rec_fp])
    assert [r["timestamp"] for r in rec_ff] == [_unix(r["timestamp"]) for r in rec_fp]
    assert [r.get("heart_rate") for r in rec_ff] == [r.get("heart_rate") for r in rec_fp]
    assert [r.get("position_lat") for r in rec_ff] == [r.get("position_lat") for r in rec_fp]

    session = ff["session"][0]
    assert session["sport"] == sport and session["sub_sport"] == sub_sport
    assert session["total_distance"] == pytest.approx(run.distance_m, abs=0.01)
    assert session["start_time"] == int(START.timestamp())
    assert session["total_timer_time"] == run.moving_s
    assert session["total_elapsed_time"] == run.moving_s + run.pause_s
    assert sum(lap["total_distance"] for lap in ff["lap"]) == pytest.approx(run.distance_m, abs=0.5)
    assert rec_ff[-1]["distance"] == pytest.approx(run.distance_m, abs=0.01)
    assert ("position_lat" in rec_ff[0]) == run.gps
    if run.hr:
        hrs = [r["heart_rate"] for r in rec_ff]
        assert session["max_heart_rate"] == max(hrs)
        assert abs(session["avg_heart_rate"] - sum(hrs) / len(hrs)) <= 1
    else:
        assert "heart_rate" not in rec_ff[0] and "avg_heart_rate" not in session
    activity = ff["activity"][0]
    assert activity["num_sessions"] == 1
    if run.utc_offset_s is None:
        assert "local_timestamp" not in activity
    else:
        # fitfast shifts local_timestamp to the Unix epoch like timestamp
        assert activity["local_timestamp"] - activity["timestamp"] == run.utc_offset_s
    assert ff["file_id"][0]["type"] == "activity"
    assert [(e["event"], e["event_type"]) for e in ff["event"]][0] == ("timer", "start")
    if run.pause_s:
        assert [e["event_type"] for e in ff["event"]] == ["start", "stop", "start", "stop_all"]


def test_fit_positions_match_samples():
    run = _run()
    s = samples(run)
    rec = fitfast.parse(write_fit(run))["record"]
    lat = np.array([r["position_lat"] for r in rec]) * 180 / 2**31
    assert np.allclose(lat, s["lat_deg"], atol=1e-6)


def test_gpx_round_trip():
    run = _run(pause_s=120, name="Morning Run")
    gpx = gpxpy.parse(write_gpx(run).decode())
    track = gpx.tracks[0]
    assert track.name == "Morning Run" and track.type == "running"
    assert len(track.segments) == 1
    assert gpx.length_2d() == pytest.approx(run.distance_m, rel=0.005)
    start, end = gpx.get_time_bounds()
    assert start == START and (end - start) == timedelta(seconds=3_300 + 120)
    points = track.segments[0].points
    assert points[0].elevation is not None
    hr = [int(p.extensions[0][0].text) for p in points]
    assert hr == samples(run)["hr_bpm"].tolist()


def test_gpx_needs_gps():
    with pytest.raises(ValueError):
        write_gpx(_run(gps=False))


def test_tcx_parses_and_totals():
    run = _run(pause_s=60)
    root = ET.fromstring(write_tcx(run))
    activity = root.find("t:Activities/t:Activity", TCX_NS)
    assert activity.get("Sport") == "Running"
    assert activity.find("t:Id", TCX_NS).text == "2026-08-03T05:12:07.000Z"
    laps = activity.findall("t:Lap", TCX_NS)
    assert len(laps) == math.ceil(run.distance_m / 1000)
    assert sum(float(lap.find("t:DistanceMeters", TCX_NS).text) for lap in laps) == pytest.approx(run.distance_m, abs=0.05)
    assert sum(float(lap.find("t:TotalTimeSeconds", TCX_NS).text) for lap in laps) == pytest.approx(3_300, abs=0.5)
    points = activity.findall(".//t:Trackpoint", TCX_NS)
    assert len(points) == samples(run)["timestamp_s"].size
    assert float(points[-1].find("t:DistanceMeters", TCX_NS).text) == pytest.approx(run.distance_m, abs=0.01)
    assert laps[0].find("t:AverageHeartRateBpm/t:Value", TCX_NS) is not None
    assert activity.find("t:Creator/t:Name", TCX_NS).text == run.device


def test_treadmill_tcx_has_no_positions():
    root = ET.fromstring(write_tcx(_run(gps=False, sub_sport="treadmill")))
    assert root.find(".//t:Position", TCX_NS) is None
    assert root.find(".//t:Trackpoint/t:DistanceMeters", TCX_NS) is not None


def test_deterministic_bytes():
    for writer in (write_fit, write_gpx, write_tcx):
        assert writer(_run()) == writer(_run())
        assert gzip_bytes(writer(_run())) == gzip_bytes(writer(_run()))
    assert write_fit(_run(seed=1)) != write_fit(_run(seed=2))
    assert gzip.decompress(gzip_bytes(b"abc")) == b"abc"


def test_naive_start_rejected():
    with pytest.raises(ValueError):
        SyntheticRun(datetime(2026, 8, 3, 5), 1000.0, 300)


# --------------------------------------------------------------------------
# The committed sample season (sample_activities/, made by
# scripts/make_sample_season.py): decode every file independently and
# recompute the weekly totals in each athlete's local time zone.
# --------------------------------------------------------------------------

SAMPLES = __import__("pathlib").Path(__file__).resolve().parents[1] / "sample_activities"


def _decode_start_distance(name: str, data: bytes) -> tuple[datetime, float, str]:
    if name.endswith(".gz"):
        data = gzip.decompress(data)
        name = name[:-3]
    if name.endswith(".fit"):
        session = fitfast.parse(data)["session"][0]
        return datetime.fromtimestamp(session["start_time"], timezone.utc), session["total_distance"], session["sport"]
    if name.endswith(".gpx"):
        gpx = gpxpy.parse(data.decode("utf-8"))
        return gpx.get_time_bounds().start_time, gpx.length_2d(), gpx.tracks[0].type
    root = ET.fromstring(data)
    act = root.find("t:Activities/t:Activity", TCX_NS)
    start = datetime.fromisoformat(act.find("t:Id", TCX_NS).text.replace("Z", "+00:00"))
    total = sum(float(x.text) for x in act.findall("t:Lap/t:DistanceMeters", TCX_NS))
    return start, total, {"Running": "running", "Biking": "cycling"}.get(act.get("Sport"), "other")


@pytest.mark.skipif(not (SAMPLES / "expected.json").exists(), reason="sample season not generated")
def test_sample_season_weekly_totals_match_expected():
    import csv
    import json
    import zipfile
    from zoneinfo import ZoneInfo

    expected = json.loads((SAMPLES / "expected.json").read_text())
    found: dict[str, list[tuple[datetime, float, str]]] = {"alex": [], "sam": []}
    for path in sorted((SAMPLES / "alex").iterdir()):
        found["alex"].append(_decode_start_distance(path.name, path.read_bytes()))
    with zipfile.ZipFile(SAMPLES / "sam_strava_export.zip") as zf:
        rows = list(csv.reader(io.StringIO(zf.read("activities.csv").decode("utf-8"))))
        header = rows[0]
        for row in rows[1:]:
            kind = row[header.index("Activity Type")]
            start, dist, _ = _decode_start_distance(row[header.index("Filename")], zf.read(row[header.index("Filename")]))
            found["sam"].append((start, dist, "running" if kind == "Run" else kind.lower()))
    for athlete, acts in found.items():
        info = expected["athletes"][athlete]
        zone = ZoneInfo(info["timezone"])
        # drop duplicates: same sport, start within 60 s, distance within 1 %
        unique: list[tuple[datetime, float, str]] = []
        for act in sorted(acts):
            if not any(abs((act[0] - u[0]).total_seconds()) <= 60 and abs(act[1] / u[1] - 1) < 0.01 for u in unique):
                unique.append(act)
        assert len(unique) == info["counts"]["activities_stored"]
        assert sum(a[2] == "running" for a in unique) == info["counts"]["runs"]
        weekly: dict[str, float] = {}
        for start, dist, sport in unique:
            if sport == "running":
                y, w, _ = start.astimezone(zone).date().isocalendar()
                weekly[f"{y}-W{w:02d}"] = weekly.get(f"{y}-W{w:02d}", 0.0) + dist
        for week in info["weeks"]:
            assert abs(weekly[week["week"]] - week["distance_m"]) <= week["distance_tolerance_m"], week
