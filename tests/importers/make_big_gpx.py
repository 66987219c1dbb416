"""Write a synthetic long GPX recording (for memory/speed checks of the GPX importer).

Usage: python tests/importers/make_big_gpx.py OUT.gpx [N_POINTS]
One point per second, a slow loop around a city block at ~10 km/h, with
elevation and Garmin TrackPointExtension heart rate.
"""

from __future__ import annotations

import math
import sys
from datetime import datetime, timedelta, timezone


def write_big_gpx(path: str, n_points: int = 500_000) -> None:
    start = datetime(2024, 5, 1, 6, 0, 0, tzinfo=timezone.utc)
    with open(path, "w", encoding="utf-8") as out:
        out.write(
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<gpx creator="runload synthetic" version="1.1" xmlns="http://www.topografix.com/GPX/1/1" '
            'xmlns:gpxtpx="http://www.garmin.com/xmlschemas/TrackPointExtension/v1">\n'
            "<trk><name>Long synthetic run</name><type>running</type><trkseg>\n"
        )
        lat0, lon0 = 48.0, 11.0
        for i in range(n_points):
            angle = i / 600.0
            lat = lat0 + 0.01 * math.sin(angle) + 0.00001 * (i % 7)
            lon = lon0 + 0.015 * math.cos(angle)
            ele = 500 + 20 * math.sin(i / 300.0)
            hr = 120 + (i // 60) % 50
            t = start + timedelta(seconds=i + (60 if i > n_points // 2 else 0))
            out.write(
                f'<trkpt lat="{lat:.7f}" lon="{lon:.7f}"><ele>{ele:.1f}</ele>'
                f"<time>{t:%Y-%m-%dT%H:%M:%SZ}</time><extensions><gpxtpx:TrackPointExtension>"
                f"<gpxtpx:hr>{hr}</gpxtpx:hr></gpxtpx:TrackPointExtension></extensions></trkpt>\n"
            )
        out.write("</trkseg></trk></gpx>\n")


if __name__ == "__main__":
    write_big_gpx(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 500_000)
