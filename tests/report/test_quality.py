"""Data-quality notes of the report, built column-wise."""

from __future__ import annotations

from datetime import date

from runload.report.data import quality_notes
from tests.conftest import activities_frame, make_run


def test_quality_notes_pick_the_right_activities():
    acts = activities_frame([
        make_run("2026-03-02T06:00:00Z", 8, sub_sport="treadmill", notes=("no GPS: distance from the watch",)),
        make_run("2026-03-03T23:30:00Z", 5, has_gps=False),
        make_run("2026-03-04T06:00:00Z", 10, has_gps=True, recovered="file cut short: first 62% kept"),
        make_run("2026-03-05T06:00:00Z", 12, has_gps=True),
    ])
    acts["source_path"] = ["/a.fit", "/b.fit", "/c.fit", "/d.fit"]
    acts["has_gps"] = [False, False, True, True]
    q = quality_notes(acts, tz="Europe/Berlin")
    assert [(n["source_path"], n["detail"]) for n in q["indoor"]] == [("/a.fit", "treadmill")]
    # 23:30 UTC on the 3rd is the 4th in Berlin
    assert [(n["date"], n["source_path"]) for n in q["no_gps"]] == [(date(2026, 3, 4), "/b.fit")]
    assert [n["detail"] for n in q["recovered"]] == ["file cut short: first 62% kept"]
    assert [n["detail"] for n in q["notes"]] == ["no GPS: distance from the watch"]
    assert q["recovered"][0]["distance_m"] == 10_000.0
