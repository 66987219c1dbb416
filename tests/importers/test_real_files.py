"""Every shared real file against truth.csv / MANIFEST.md (skipped without ../shared).

Reference values come from truth.csv (fitdecode / fitparse / gpxpy / xml.etree,
computed independently of runload). Tolerances: start exact to the second;
distance, timer, elapsed and average HR within 1 %.
"""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from runload.errors import ImportFormatError
from runload.importers import read_path

from .conftest import truth_rows

#: The real sport of each file (MANIFEST "What it is"), as runload names it.
#: ``None`` marks multi-activity files, checked per activity below.
REAL_SPORT = {
    "fitparse__20170518-191602-1740899583.fit": "rowing",
    "fitparse__2019-02-17-062644-ELEMNT-297E-195-0.fit": "cycling",
    "fitparse__null_compressed_speed_dist.fit": "cycling",
    "goldencheetah__14582164182.fit.gz": "cycling",
    "fitparse__nick.fit": "cycling",
    "fitparse__coros-pace-2-cycling-misaligned-fields.fit": "cycling",
    "goldencheetah__2012_02_05_09_03_59.fit": "cycling",
    "fitdecode__event_timestamp.fit": "swimming",
    "goldencheetah__FR55-CoreTemp-Walk.fit": "walking",
    "trackeR__20170714-143644-Swim.gpx.gz": "swimming",  # untyped; from its name "Afternoon Swim"
    # Declared Sport="Other" (kept as declared: other) or, where Other is read as undeclared, too slow
    # for a run and no cadence: unknown. Either way never counted as running.
    "goldencheetah__OWswim.tcx": ("other", "unknown"),
    "fitparse__sample_mulitple_header.fit": None,
    "goldencheetah__activity_165850259_multi-session.tcx": None,
}

FAILS = {
    "runpandas__malformed.tcx": "not well-formed XML at line 4653: unbound prefix",
    "goldencheetah__MetadataOnly.gpx": "GPX has no track points",
    "goldencheetah__A_ride_mapped_on_11_22_2011.gpx": "GPX has no timestamps (a planned route, not a recording)",
}

ROWS = truth_rows()


def _num(text):
    return float(text) if text not in ("", None) else None


def _close(actual, expected, rel=0.01, abs_=0.5):
    return actual is not None and abs(actual - expected) <= max(abs(expected) * rel, abs_)


@pytest.mark.parametrize("row", ROWS, ids=[r["file"] for r in ROWS])
def test_file_matches_truth(real_dir, row):
    path = real_dir / row["file"]
    if row["file"] in FAILS:
        with pytest.raises(ImportFormatError) as info:
            read_path(path)
        assert info.value.reason == FAILS[row["file"]]
        return
    acts = read_path(path)
    assert acts
    if row["start_utc"]:
        expected = datetime.fromisoformat(row["start_utc"].replace("Z", "+00:00"))
        assert min(a.start_utc for a in acts) == expected
        assert all(a.start_utc.tzinfo is timezone.utc for a in acts)
    distance = _num(row["distance_m"])
    total_distance = sum(a.distance_m or 0 for a in acts)
    if distance is None:
        assert all(a.distance_m is None for a in acts)
    else:
        assert _close(total_distance, distance), (total_distance, distance)
    timer = _num(row["timer_s"])
    if timer is not None:
        if elapsed_ := _num(row["elapsed_s"]):
            # runload caps a moving time above the elapsed time (14582164182: timer 2760 s, elapsed 1632 s)
            timer = min(timer, elapsed_) if timer > elapsed_ + 1 else timer
        assert _close(sum(a.moving_s for a in acts), timer)
    elapsed = _num(row["elapsed_s"])
    if elapsed is not None and len(acts) == 1:
        assert _close(acts[0].elapsed_s, elapsed)
    avg_hr = _num(row["avg_hr"])
    if avg_hr is not None:
        weighted = sum(a.avg_hr_bpm * a.moving_s for a in acts if a.avg_hr_bpm)
        weight = sum(a.moving_s for a in acts if a.avg_hr_bpm)
        assert _close(weighted / weight, avg_hr, abs_=0.1)
    else:
        assert all(a.avg_hr_bpm is None for a in acts) or row["file"] == "fitparse__nick.fit"
    sport = REAL_SPORT.get(row["file"], "running")
    if isinstance(sport, tuple):
        assert len(acts) == 1 and acts[0].sport in sport
    elif sport is not None:
        assert [a.sport for a in acts] == [sport]
    for a in acts:
        assert a.source_format in row["format"]


def test_triathlon_sessions(real_dir):
    acts = read_path(real_dir / "fitparse__sample_mulitple_header.fit")
    got = [(a.sport, a.sub_sport, a.start_utc.strftime("%H:%M:%S"), a.distance_m, a.moving_s, a.avg_hr_bpm) for a in acts]
    assert got == [
        ("swimming", "open_water", "07:33:01", 1644.71, 1987.521, 165),
        ("transition", "generic", "08:06:08", 141.7, 170.269, 176),
        ("cycling", "generic", "08:08:58", 40909.42, 4422.14, 172),
        ("transition", "generic", "09:22:40", 31.93, 60.724, 164),
        ("running", "generic", "09:23:41", 9805.92, 2850.694, 176),
    ]
    assert all(a.utc_offset_s == 7200 for a in acts)


def test_multi_session_tcx(real_dir):
    acts = read_path(real_dir / "goldencheetah__activity_165850259_multi-session.tcx")
    got = [(a.sport, a.start_utc.isoformat(), round(a.distance_m, 2), round(a.moving_s, 2), a.has_gps) for a in acts]
    assert got == [
        ("running", "2011-11-29T12:12:00+00:00", 7651.03, 3601.84, True),
        ("cycling", "2011-12-01T12:59:37+00:00", 0.0, 2767.31, False),
        ("running", "2011-12-04T15:26:28+00:00", 9405.03, 3623.59, True),
        ("cycling", "2011-12-07T12:14:19+00:00", 0.0, 2597.27, False),
    ]


def test_truncated_fit_is_recovered(real_dir):
    (nick,) = read_path(real_dir / "fitparse__nick.fit")
    assert nick.recovered.startswith("file ends early (unexpected end of file after 403,456 bytes)")
    assert "kept the 14,391 records" in nick.recovered
    assert "rebuilt from its records" in nick.recovered
    assert nick.elapsed_s == 16723 and nick.has_gps
    (eof,) = read_path(real_dir / "fitparse__activity-unexpected-eof.fit")
    assert eof.recovered.startswith("file ends early") and eof.distance_m == 5.73


def test_chained_file_with_corrupt_second_header_keeps_first(real_dir):
    (act,) = read_path(real_dir / "fitparse__activity-settings-corruptheader.fit")
    assert act.distance_m == 5.73
    assert "corrupt FIT header" in act.recovered


def test_crc(real_dir):
    (bad,) = read_path(real_dir / "fitparse__activity-filecrc.fit")
    assert "file checksum mismatch: the file may be damaged" in bad.notes
    # header CRC 0x0000: valid whole-file CRC that fitfast 0.1.0 refuses
    (good,) = read_path(real_dir / "fitparse__2013-02-06-12-11-14.fit")
    assert not good.notes and good.recovered is None


def test_strava_app_file_with_missing_definition(real_dir):
    (act,) = read_path(real_dir / "fitparse__strava-android-app-201.10-b1218918.fit")
    assert act.distance_m == 11274.04
    assert "missing message definition for local message number 11" in act.recovered


def test_treadmill_notes(real_dir):
    (act,) = read_path(real_dir / "polar-running-index__treadmill_15km.FIT")
    assert (act.sport, act.sub_sport, act.has_gps) == ("running", "treadmill", False)
    assert "treadmill" in act.notes and "no GPS: distance from the watch" in act.notes
    assert sum(act.hr_seconds_by_bpm.values()) == pytest.approx(4837, rel=0.1)


def test_zwift_local_timestamp_zero_is_ignored(real_dir):
    (act,) = read_path(real_dir / "fitparse__null_compressed_speed_dist.fit")
    assert act.utc_offset_s is None and act.avg_hr_bpm is None and act.hr_seconds_by_bpm is None
    assert (act.sport, act.sub_sport) == ("cycling", "virtual")


def test_twins_agree(real_dir):
    (fit,) = read_path(real_dir / "goldencheetah__10kUNLP2014-Garmin15.fit")
    (tcx,) = read_path(real_dir / "goldencheetah__10kUNLP2014-Garmin15.tcx")
    assert fit.start_utc == tcx.start_utc and fit.distance_m == pytest.approx(tcx.distance_m)
