"""The GPX/TCX fast path gives exactly what the general scanner gives (its oracle), or leaves the file to it.

Every comparison reads the same bytes twice, ``fast=False`` (the general
scanner) and ``fast=True``, and compares the whole Activity lists (or the
error reasons). ``_takes_fast_path`` checks that the cases meant for the fast
path really take it, so that the comparisons are not vacuous.
"""

from __future__ import annotations

import gzip
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from runload.errors import ImportFormatError
from runload.importers import _xml, gpx, tcx
from runload.importers.base import MAX_XML_DEPTH
from runload_testing.synthetic import SyntheticRun, write_gpx, write_tcx

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
T0 = datetime(2026, 3, 2, 6, 0, tzinfo=timezone.utc)


def _both(read, data: bytes):
    def one(fast: bool):
        try:
            return read(data, fast=fast)
        except ImportFormatError as exc:
            return ("refused", exc.reason)

    return one(False), one(True)


def _same(read, data: bytes):
    general, fast = _both(read, data)
    assert fast == general
    return general


def _takes_fast_path(read, data: bytes) -> bool:
    """True when the fast path reads ``data`` to the end (no fallback to the general scanner)."""
    name = b"Track" if read is tcx.read_tcx else b"trkseg"
    if not _xml.fast_eligible(data, name):
        return False
    try:
        spans = list(_xml.regions(data, name))
        if not spans:
            return False
        if read is tcx.read_tcx:
            tcx._scan_spans(data, False, spans)
        else:
            gpx._scan_spans(data, spans)
    except (_xml.Fallback, ImportFormatError):
        return False
    return True


# ------------------------------------------------------------------ documents


def _t(s: float) -> str:
    return (T0 + timedelta(seconds=s)).strftime("%Y-%m-%dT%H:%M:%SZ")


def tcx_point(s: float, d: float | None = None, *, hr: int | None = 140, alt: float | None = 30.0, gps: bool = True,
              cad: str = "", ext: str = "", p: str = "") -> str:
    parts = [f"<{p}Trackpoint>\n <{p}Time>{_t(s)}</{p}Time>\n"]
    if gps:
        parts.append(f"<{p}Position><{p}LatitudeDegrees>52.5{int(s) % 97:02d}</{p}LatitudeDegrees>"
                     f"<{p}LongitudeDegrees>13.3{int(s) % 89:02d}</{p}LongitudeDegrees></{p}Position>\n")
    if alt is not None:
        parts.append(f"<{p}AltitudeMeters>{alt + (s % 7) * 0.3:.1f}</{p}AltitudeMeters>\n")
    parts.append(f"<{p}DistanceMeters>{(s * 3.1 if d is None else d):.2f}</{p}DistanceMeters>\n")
    if hr is not None:
        parts.append(f"<{p}HeartRateBpm><{p}Value>{hr + int(s) % 9}</{p}Value></{p}HeartRateBpm>\n")
    parts.append(cad + ext + f"</{p}Trackpoint>\n")
    return "".join(parts)


def tcx_doc(laps: list[list[str]], *, sport: str = "Running", p: str = "", head: str = "",
            activities: int = 1) -> bytes:
    ns = f' xmlns:{p[:-1]}="http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2"' if p else ""
    body = []
    for a in range(activities):
        body.append(f'<{p}Activity Sport="{sport}"><{p}Id>{_t(a * 9000)}</{p}Id>\n')
        for i, points in enumerate(laps):
            body.append(f'<{p}Lap StartTime="{_t(a * 9000 + i * 300)}"><{p}TotalTimeSeconds>300</{p}TotalTimeSeconds>'
                        f"<{p}DistanceMeters>1000</{p}DistanceMeters>"
                        f"<{p}Track>\n{''.join(points)}</{p}Track></{p}Lap>\n")
        body.append(f"<{p}Creator><{p}Name>Watch</{p}Name></{p}Creator></{p}Activity>\n")
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n' + head
        + f'<{p}TrainingCenterDatabase xmlns="http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2"{ns} '
        'xmlns:ns3="http://www.garmin.com/xmlschemas/ActivityExtension/v2">\n'
        f"<{p}Activities>\n" + "".join(body) + f"</{p}Activities></{p}TrainingCenterDatabase>\n"
    ).encode()


def _laps(n_laps: int = 3, per_lap: int = 20, **point) -> list[list[str]]:
    return [[tcx_point(lap * per_lap + i, **point) for i in range(per_lap)] for lap in range(n_laps)]


def gpx_point(i: int, *, attrs: str | None = None, ele: str | None = "<ele>{e}</ele>", time: bool = True,
              ext: str | None = "<extensions><gpxtpx:TrackPointExtension><gpxtpx:hr>{hr}</gpxtpx:hr>"
                                "<gpxtpx:cad>{cad}</gpxtpx:cad></gpxtpx:TrackPointExtension></extensions>") -> str:
    lat, lon = 48.0 + i * 1e-4, 11.0 + (i % 13) * 1e-4
    attrs = attrs if attrs is not None else f'lat="{lat:.7f}" lon="{lon:.7f}"'
    body = ""
    if ele is not None:
        body += ele.format(e=f"{500 + (i % 11) * 0.7:.1f}")
    if time:
        body += f"<time>{_t(i)}</time>"
    if ext is not None:
        body += ext.format(hr=140 + i % 7, cad=85 + i % 3)
    return f"<trkpt {attrs.format(lat=f'{lat:.7f}', lon=f'{lon:.7f}')}>{body}</trkpt>\n"


def gpx_doc(segments: list[list[str]], *, head: str = "", trk_extra: str = "") -> bytes:
    segs = "".join(f"<trkseg>\n{''.join(points)}</trkseg>\n" for points in segments)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n' + head
        + '<gpx creator="test" version="1.1" xmlns="http://www.topografix.com/GPX/1/1" '
        'xmlns:gpxtpx="http://www.garmin.com/xmlschemas/TrackPointExtension/v1">\n'
        f"<trk><name>Morning run</name><type>running</type>{trk_extra}\n{segs}</trk></gpx>\n"
    ).encode()


def _segments(n: int = 2, per: int = 30, **point) -> list[list[str]]:
    return [[gpx_point(s * per + i, **point) for i in range(per)] for s in range(n)]


# ------------------------------------------------------------------ real and generated files


def _shared_files(kind: str) -> list[Path]:
    return sorted(
        p for p in SHARED.glob("real-activities*/*")
        if p.name.lower().removesuffix(".gz").endswith("." + kind)
    )


@pytest.mark.parametrize("kind", ["tcx", "gpx"])
def test_every_shared_real_file_reads_the_same_on_both_paths(kind):
    files = _shared_files(kind)
    if not files:
        pytest.skip("../shared is not present")
    read = tcx.read_tcx if kind == "tcx" else gpx.read_gpx
    fast = 0
    for path in files:
        data = path.read_bytes()
        if path.name.endswith(".gz"):
            data = gzip.decompress(data)
        _same(read, data)
        fast += _takes_fast_path(read, data)
    # every shared file with points takes the fast path but the one whose prefix is unbound
    # (TCX) and the routes, waypoint-only and broken files without a <trkseg> (GPX)
    assert fast >= len(files) - (1 if kind == "tcx" else 6)


@pytest.mark.parametrize("variant", [
    {}, {"hr": False}, {"gps": False}, {"sample_interval_s": 5}, {"pause_s": 600.0}, {"sport": "cycling"},
    {"sport": "walking", "hr": False},
])
def test_the_synthetic_writers_variants_read_the_same(variant):
    run = SyntheticRun(T0, 8000.0, 2400, seed=3, **variant)
    data = write_tcx(run)
    assert _takes_fast_path(tcx.read_tcx, data)
    _same(tcx.read_tcx, data)
    if run.gps:
        data = write_gpx(run)
        assert _takes_fast_path(gpx.read_gpx, data)
        _same(gpx.read_gpx, data)


def test_chunks_are_cut_where_the_general_scanner_cuts_them(monkeypatch):
    """Sums depend on chunk bounds in their last bits: small chunks across laps, segments and activities."""
    monkeypatch.setattr(_xml, "CHUNK_POINTS", 7)
    monkeypatch.setattr(tcx, "CHUNK_POINTS", 7)
    monkeypatch.setattr(gpx, "CHUNK_POINTS", 7)
    for n_laps, per_lap in ((3, 20), (2, 7), (4, 3), (1, 14)):
        data = tcx_doc(_laps(n_laps, per_lap), activities=2)
        assert _takes_fast_path(tcx.read_tcx, data)
        _same(tcx.read_tcx, data)
    for n, per in ((2, 30), (3, 7), (1, 14), (5, 2)):
        data = gpx_doc(_segments(n, per))
        assert _takes_fast_path(gpx.read_gpx, data)
        _same(gpx.read_gpx, data)


def test_regions_are_read_in_slices_cut_at_a_point(monkeypatch):
    monkeypatch.setattr(_xml, "SLICE_BYTES", 700)
    data = tcx_doc(_laps(2, 40))
    assert _takes_fast_path(tcx.read_tcx, data)
    _same(tcx.read_tcx, data)
    data = gpx_doc(_segments(2, 40))
    assert _takes_fast_path(gpx.read_gpx, data)
    _same(gpx.read_gpx, data)


# ------------------------------------------------------------------ TCX shapes


ADVERSARIAL_TCX = {
    "comment with a fake trackpoint in a track": lambda: tcx_doc(_laps()).replace(
        b"<Track>\n", b"<Track>\n<!-- <Trackpoint><Time>2030-01-01T00:00:00Z</Time></Trackpoint> -->", 1),
    "comment naming Track outside the points": lambda: tcx_doc(_laps(), head="<!-- a <Track> -->\n"),
    "comment and instruction outside the points": lambda: tcx_doc(_laps(), head="<!-- by hand -->\n<?pi x?>\n"),
    "CDATA time": lambda: tcx_doc(_laps()).replace(
        b"<Time>2026-03-02T06:00:05Z", b"<Time><![CDATA[2026-03-02T06:00:05Z]]>"),
    "character reference in a value": lambda: tcx_doc(_laps()).replace(b"<Value>145<", b"<Value>1&#52;5<", 1),
    "entity reference in a time": lambda: tcx_doc(_laps()).replace(b"Z</Time>", b"&amp;</Time>", 1),
    "unknown element inside a point": lambda: tcx_doc(_laps()).replace(
        b"</Time>\n<Position>", b"</Time>\n<Foo>1</Foo><Position>", 1),
    "deep unknown extension": lambda: tcx_doc(_laps(ext="<Extensions><A><B><C>1</C></B></A></Extensions>")),
    "prefixed elements": lambda: tcx_doc(_laps(p="tc:"), p="tc:"),
    "mixed prefixes": lambda: tcx_doc(_laps(p="tc:"), p="tc:").replace(
        b"<tc:Time>2026-03-02T06:00:01Z</tc:Time>",
        b'<Time xmlns="http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2">2026-03-02T06:00:01Z</Time>'),
    "out-of-order times": lambda: tcx_doc([[tcx_point(s) for s in (0, 20, 10, 30, 25, 40)], [tcx_point(50)]]),
    "multi-activity": lambda: tcx_doc(_laps(2, 10), activities=3),
    "trackpoint directly in a lap": lambda: tcx_doc(_laps()).replace(
        b"<Track>", tcx_point(99).encode() + b"<Track>", 1),
    "track directly in an activity": lambda: tcx_doc(_laps()).replace(
        b"<Creator>", b"<Track>" + tcx_point(500).encode() + b"</Track><Creator>", 1),
    "text after a track": lambda: tcx_doc(_laps()).replace(b"</Track></Lap>", b"</Track>junk</Lap>", 1),
    "whitespace after a track": lambda: tcx_doc(_laps()).replace(b"</Track></Lap>", b"</Track>\n  </Lap>", 1),
    "text between points": lambda: tcx_doc(_laps()).replace(b"</Trackpoint>\n", b"</Trackpoint>x\n", 1),
    "two times in a point": lambda: tcx_doc(_laps()).replace(
        b"</Time>\n", b"</Time><Time>2026-03-02T06:00:00.5Z</Time>", 1),
    "point without time": lambda: tcx_doc(_laps()).replace(b"<Time>2026-03-02T06:00:03Z</Time>", b"", 1),
    "empty time": lambda: tcx_doc(_laps()).replace(b"<Time>2026-03-02T06:00:03Z</Time>", b"<Time></Time>", 1),
    "offset and odd times": lambda: tcx_doc(_laps()).replace(b"06:00:02Z", b"08:00:02+02:00").replace(
        b"06:00:04Z", b"2026-02-30T06:00:04Z").replace(b"06:00:06Z", b" 06:00:06.25Z "),
    "non-ASCII in a time": lambda: tcx_doc(_laps()).replace(b"06:00:04Z", "06:00:04\u00a0Z".encode()),
    "numbers in other spellings": lambda: tcx_doc(_laps()).replace(
        b"<AltitudeMeters>30.0", b"<AltitudeMeters> +3e1 ").replace(
        b"<AltitudeMeters>30.3", b"<AltitudeMeters>.5").replace(
        b"<AltitudeMeters>31.2", b"<AltitudeMeters>-1e999").replace(
        b"<DistanceMeters>6.20", b"<DistanceMeters>\n6.\n"),
    "odd numbers": lambda: tcx_doc(_laps()).replace(b"<AltitudeMeters>30.6", b"<AltitudeMeters>1_0").replace(
        b"<AltitudeMeters>30.9", b"<AltitudeMeters>nan").replace(b"<Value>14", b"<Value>0x14", 1),
    "cadence and run cadence": lambda: tcx_doc([
        [tcx_point(i, cad="<Cadence>80</Cadence>", ext="<Extensions><ns3:TPX><ns3:RunCadence>90</ns3:RunCadence>"
                   "</ns3:TPX></Extensions>") for i in range(10)],
        [tcx_point(10 + i, cad="<Cadence></Cadence>", ext="<Extensions><ns3:TPX><ns3:Speed>3</ns3:Speed>"
                   "<ns3:RunCadence>90</ns3:RunCadence></ns3:TPX></Extensions>") for i in range(10)],
        [tcx_point(20 + i, ext="<Extensions><ns3:TPX CadenceSensor=\"Footpod\"><ns3:RunCadence>8{}</ns3:RunCadence>"
                   "</ns3:TPX><ns3:LX/></Extensions>".format(i % 10)) for i in range(10)],
        [tcx_point(30 + i, ext="<Extensions><RunCadence>77</RunCadence><Speed>2</Speed></Extensions>")
         for i in range(10)],
    ]),
    "two run cadences": lambda: tcx_doc([[tcx_point(i, ext="<Extensions><ns3:TPX><ns3:RunCadence>90</ns3:RunCadence>"
                                          "<ns3:RunCadence>70</ns3:RunCadence></ns3:TPX></Extensions>")
                                          for i in range(10)]]),
    "no GPS, no heart rate, sensor state": lambda: tcx_doc(_laps(gps=False, hr=None, alt=None,
                                                                 cad="<SensorState>Present</SensorState>")),
    "self-closing and attributed elements": lambda: tcx_doc(_laps()).replace(
        b"<HeartRateBpm>", b'<HeartRateBpm xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        b'xsi:type="HeartRateInBeatsPerMinute_t">').replace(
        b"<Position><LatitudeDegrees>52.500</LatitudeDegrees><LongitudeDegrees>13.300</LongitudeDegrees></Position>",
        b"<Position/>", 1).replace(b"</HeartRateBpm>", b"</HeartRateBpm><Speed/><Note a='1'>x</Note>", 2),
    "empty track": lambda: tcx_doc([[], *_laps(1)]),
    "one point of another strict shape late": lambda: tcx_doc([[tcx_point(i) for i in range(30)] + [tcx_point(
        30, ext="<Extensions><RunCadence>77</RunCadence></Extensions>")]]),
    "an odd point late": lambda: tcx_doc([[tcx_point(i) for i in range(30)] + [tcx_point(30, ext="<Foo><A/><B/></Foo>")]]),
    "text before the last point": lambda: tcx_doc([[tcx_point(i) for i in range(30)] + ["junk" + tcx_point(30)]]),
    "many empty tracks": lambda: tcx_doc(_laps(2)).replace(b"<Track>\n", b"<Track></Track>" * 5000 + b"<Track>\n", 1),
    "no lap, no id": lambda: tcx_doc(_laps()).replace(b"<Id>2026-03-02T06:00:00Z</Id>", b"").replace(
        b' StartTime="2026-03-02T06:00:00Z"', b""),
    "undeclared sport": lambda: tcx_doc(_laps(), sport=""),
    "truncated in the points": lambda: tcx_doc(_laps())[:1500],
    "truncated after a track opens": lambda: tcx_doc(_laps()).split(b"<Track>")[0] + b"<Track>",
    "unbound prefix in a point": lambda: tcx_doc(_laps(ext="<Extensions><zz:TPX/></Extensions>")),
    "mismatched tag in a point": lambda: tcx_doc(_laps()).replace(b"</AltitudeMeters>", b"</Altitude>", 1),
    "entity declaration": lambda: b'<!DOCTYPE x [<!ENTITY a "b">]>' + tcx_doc(_laps()).split(b"?>", 1)[1],
    "processing instruction in a track": lambda: tcx_doc(_laps()).replace(b"<Track>\n", b"<Track>\n<?pi x?>", 1),
}


@pytest.mark.parametrize("case", sorted(ADVERSARIAL_TCX))
def test_tcx_adversarial_documents_read_the_same(case):
    _same(tcx.read_tcx, ADVERSARIAL_TCX[case]())


@pytest.mark.parametrize("case", [
    "comment and instruction outside the points", "prefixed elements", "mixed prefixes", "out-of-order times",
    "multi-activity", "track directly in an activity", "whitespace after a track", "empty time",
    "offset and odd times", "numbers in other spellings", "cadence and run cadence", "trackpoint directly in a lap",
    "no GPS, no heart rate, sensor state",
    "self-closing and attributed elements", "empty track", "many empty tracks", "no lap, no id",
    "one point of another strict shape late", "undeclared sport",
])
def test_tcx_shapes_meant_for_the_fast_path_take_it(case):
    assert _takes_fast_path(tcx.read_tcx, ADVERSARIAL_TCX[case]())


@pytest.mark.parametrize("case", [
    "comment with a fake trackpoint in a track", "comment naming Track outside the points", "CDATA time",
    "character reference in a value",
    "unknown element inside a point", "deep unknown extension", "odd numbers", "text after a track",
    "an odd point late", "text before the last point",
    "text between points", "two times in a point", "point without time", "non-ASCII in a time", "two run cadences",
    "truncated in the points", "truncated after a track opens", "unbound prefix in a point",
    "processing instruction in a track",
])
def test_tcx_shapes_the_fast_path_leaves_to_the_general_scanner(case):
    assert not _takes_fast_path(tcx.read_tcx, ADVERSARIAL_TCX[case]())


def test_the_nesting_limit_refuses_the_same_files():
    wrap = 0
    for depth_left in (8, 7, 6, 5, 4, 3):
        wrap = MAX_XML_DEPTH - depth_left
        data = tcx_doc(_laps(1, 5))
        head, rest = data.split(b"<Activities>", 1)
        deep = head + b"<w>" * wrap + b"<Activities>" + rest.replace(b"</TrainingCenterDatabase>",
                                                                    b"</w>" * wrap + b"</TrainingCenterDatabase>")
        general, fast = _both(tcx.read_tcx, deep)
        assert fast == general
    assert general[0] == "refused" and "nested more than" in general[1]


# ------------------------------------------------------------------ GPX shapes


ADVERSARIAL_GPX = {
    "comment with a fake point in a segment": lambda: gpx_doc(_segments()).replace(
        b"<trkseg>\n", b"<trkseg>\n<!-- <trkpt lat=\"1\" lon=\"2\"><time>2030-01-01T00:00:00Z</time></trkpt> -->", 1),
    "CDATA name": lambda: gpx_doc(_segments()).replace(
        b"<name>Morning run</name>", b"<name><![CDATA[Run & fun]]></name>"),
    "CDATA naming trkseg": lambda: gpx_doc(_segments()).replace(
        b"<name>Morning run</name>", b"<name><![CDATA[<trkseg>]]></name>"),
    "character reference in a value": lambda: gpx_doc(_segments()).replace(b"<gpxtpx:hr>143", b"<gpxtpx:hr>1&#52;3", 1),
    "lon before lat, single quotes": lambda: gpx_doc(_segments(attrs="lon='{lon}'  lat=\"{lat}\"")),
    "extra attribute": lambda: gpx_doc(_segments(attrs='lat="{lat}" lon="{lon}" x="1"')),
    "blank coordinate": lambda: gpx_doc(_segments()).replace(b'lat="48.0001000"', b'lat=" 48.0001000"'),
    "no time in some points": lambda: gpx_doc([[gpx_point(i, time=i % 3 != 0) for i in range(30)]]),
    "no time at all": lambda: gpx_doc(_segments(time=False)),
    "repeated ele, last one empty": lambda: gpx_doc(_segments(ele="<ele>{e}</ele><ele></ele>")),
    "repeated ele and time": lambda: gpx_doc(_segments(
        ele="<ele>1</ele><time>2020-01-01T00:00:00Z</time><ele>{e}</ele>")),
    "two hr in one extension": lambda: gpx_doc(_segments(
        ext="<extensions><gpxtpx:TrackPointExtension><gpxtpx:hr>{hr}</gpxtpx:hr><gpxtpx:hr>99</gpxtpx:hr>"
            "</gpxtpx:TrackPointExtension></extensions>")),
    "cad before hr, other leaves": lambda: gpx_doc(_segments(
        ext="<extensions><gpxtpx:TrackPointExtension><gpxtpx:atemp>20</gpxtpx:atemp><gpxtpx:cad>{cad}</gpxtpx:cad>"
            "<gpxtpx:hr>{hr}</gpxtpx:hr></gpxtpx:TrackPointExtension><o:acc xmlns:o=\"o\">3</o:acc></extensions>")),
    "hr directly under the point": lambda: gpx_doc(_segments(ext="<hr>{hr}</hr>")),
    "GPX 1.0 speed and course": lambda: gpx_doc(_segments(ext="<speed>3.1</speed><course>120</course><sat>7</sat>")),
    "self-closing points": lambda: gpx_doc([[f'<trkpt lat="{48 + i * 1e-4:.6f}" lon="11.0"/>' for i in range(9)]]),
    "route point in a segment": lambda: gpx_doc(_segments()).replace(
        b"</trkseg>", b'<rtept lat="1" lon="2"/></trkseg>', 1),
    "segment outside a track": lambda: gpx_doc(_segments()).replace(
        b"</trk>", b"</trk><foo><trkseg>" + gpx_point(999).encode() + b"</trkseg></foo>"),
    "points in a track without segment": lambda: gpx_doc(_segments(), trk_extra=gpx_point(500)),
    "empty segment": lambda: gpx_doc([[], *_segments(1)]),
    "text after a segment": lambda: gpx_doc(_segments()).replace(b"</trkseg>\n", b"</trkseg>x\n", 1),
    "odd numbers": lambda: gpx_doc(_segments(ele="<ele> +{e} </ele>")).replace(b"<gpxtpx:hr>14", b"<gpxtpx:hr>1e1", 3),
    "out-of-order times": lambda: gpx_doc([[gpx_point(i) for i in (0, 5, 3, 9, 1, 12)]]),
    "one point of another strict shape late": lambda: gpx_doc([[gpx_point(i) for i in range(30)] + [gpx_point(
        30, ele="<sat>7</sat><ele>{e}</ele>")]]),
    "an odd point late": lambda: gpx_doc([[gpx_point(i) for i in range(30)] + [gpx_point(30, ext="<hr>1</hr>")]]),
    "truncated": lambda: gpx_doc(_segments())[:2000],
    "unbound prefix in a point": lambda: gpx_doc(_segments()).replace(b"gpxtpx:hr>", b"zz:hr>", 2),
}


@pytest.mark.parametrize("case", sorted(ADVERSARIAL_GPX))
def test_gpx_adversarial_documents_read_the_same(case):
    _same(gpx.read_gpx, ADVERSARIAL_GPX[case]())


@pytest.mark.parametrize("case", [
    "CDATA name", "lon before lat, single quotes", "no time in some points", "no time at all",
    "repeated ele, last one empty", "repeated ele and time", "cad before hr, other leaves", "GPX 1.0 speed and course",
    "self-closing points", "segment outside a track", "points in a track without segment", "empty segment",
    "odd numbers", "out-of-order times", "one point of another strict shape late",
])
def test_gpx_shapes_meant_for_the_fast_path_take_it(case):
    assert _takes_fast_path(gpx.read_gpx, ADVERSARIAL_GPX[case]())


@pytest.mark.parametrize("case", [
    "comment with a fake point in a segment", "CDATA naming trkseg", "character reference in a value",
    "extra attribute", "blank coordinate", "two hr in one extension", "hr directly under the point",
    "route point in a segment", "text after a segment", "truncated", "unbound prefix in a point", "an odd point late",
])
def test_gpx_shapes_the_fast_path_leaves_to_the_general_scanner(case):
    assert not _takes_fast_path(gpx.read_gpx, ADVERSARIAL_GPX[case]())


def test_dtd_and_entities_are_refused_with_the_same_reason_on_both_paths():
    for read, doc in ((gpx.read_gpx, gpx_doc(_segments())), (tcx.read_tcx, tcx_doc(_laps()))):
        body = doc.split(b"?>", 1)[1]
        for bad in (b'<!DOCTYPE x [<!ENTITY a "b">]>' + body, b'<!DOCTYPE x SYSTEM "file:///etc/passwd">' + body):
            general, fast = _both(read, bad)
            assert fast == general == ("refused", "XML with a DTD or entities is refused")


# ------------------------------------------------------------------ regions proven well-formed skip the parser
#
# A region that the common shape takes whole, with only printable ASCII and no
# `&` or `]`, and whose prefixes are bound, is not fed to the parser (only its
# newlines are). Each case below says which way its regions go, and both paths
# must still give the same result or the same refusal (line included).


def _region_ways(monkeypatch, read, data: bytes) -> tuple[int, int]:
    """(regions proven, regions fed to the parser) on the fast path's read of ``data``."""
    ways = {True: 0, False: 0}
    real = _xml.proven

    def counted(*args, **kwargs):
        ok = real(*args, **kwargs)
        ways[ok] += 1
        return ok

    monkeypatch.setattr(_xml, "proven", counted)
    try:
        read(data)
    except ImportFormatError:
        pass
    return ways[True], ways[False]


def _garmin_tpx(s: float, p: str = "ns3:") -> str:
    return (f"<Extensions><{p}TPX><{p}Speed>3.1</{p}Speed><{p}RunCadence>{80 + int(s) % 5}</{p}RunCadence>"
            f"</{p}TPX></Extensions>\n")


def _tcx_with(odd: str, where: int = 25, **point) -> bytes:
    """A 3-lap TCX whose point ``where`` has ``odd`` spliced before its ``</Trackpoint>``-closing part."""
    laps = _laps(**point)
    lap, i = divmod(where, 20)
    laps[lap][i] = odd.format(point=laps[lap][i])
    return tcx_doc(laps)


PROOF_TCX = {
    # taken whole by the common shape: skipped
    "plain": (lambda: tcx_doc(_laps()), "proven"),
    "Garmin TPX extension": (lambda: tcx_doc([[tcx_point(i, ext=_garmin_tpx(i)) for i in range(20)]]), "proven"),
    "TPX with its own default namespace": (lambda: tcx_doc([[tcx_point(
        i, ext='<Extensions><TPX xmlns="http://www.garmin.com/xmlschemas/ActivityExtension/v2"><Speed>3.1</Speed>'
               "<RunCadence>82</RunCadence></TPX></Extensions>") for i in range(20)]]), "proven"),
    "TPX with a cadence sensor attribute": (lambda: tcx_doc([[tcx_point(
        i, ext='<Extensions><TPX xmlns="http://www.garmin.com/xmlschemas/ActivityExtension/v2" '
               'CadenceSensor="Footpod"><Speed>3.1</Speed><RunCadence>82</RunCadence></TPX></Extensions>')
        for i in range(20)]]), "proven"),
    "prefixed TPX, its children unprefixed": (lambda: tcx_doc([[tcx_point(
        i, ext="<Extensions><ns3:TPX><Speed>3.1</Speed><RunCadence>8</RunCadence></ns3:TPX></Extensions>")
        for i in range(20)]]), "proven"),
    "TPX attribute value with an entity": (lambda: tcx_doc([[tcx_point(
        i, ext='<Extensions><TPX CadenceSensor="Foot&amp;pod"><Speed>3.1</Speed></TPX></Extensions>')
        for i in range(20)]]), "fed"),
    "xsi:type heart rate": (lambda: tcx_doc([[tcx_point(i).replace(
        "<HeartRateBpm>", '<HeartRateBpm xsi:type="HeartRateInBeatsPerMinute_t">') for i in range(20)]],
        head="").replace(b"<TrainingCenterDatabase ",
                         b'<TrainingCenterDatabase xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '), "proven"),
    "error after a proven region keeps its line": (
        lambda: tcx_doc(_laps()).replace(b"</Activities>", b"</Activitiez>"), "proven"),
    # fed to the parser, which gives its own verdict
    "non-ASCII byte in a value the pattern skips": (
        lambda: _tcx_with("{point}").replace(b"<LatitudeDegrees>52.525", b"<LatitudeDegrees>52.5\xff"), "fed"),
    "valid UTF-8 in a value the pattern skips": (
        lambda: tcx_doc(_laps()).replace(b"<LatitudeDegrees>52.525", "<LatitudeDegrees>52.5é".encode()), "fed"),
    "form feed between tags": (lambda: tcx_doc(_laps()).replace(b"</Time>\n", b"</Time>\x0c", 1), "fed"),
    "]]> in a value the pattern skips": (
        lambda: tcx_doc(_laps()).replace(b"<LatitudeDegrees>52.525", b"<LatitudeDegrees>52.5]]>"), "fed"),
    "entity reference in a value the pattern skips": (
        lambda: tcx_doc(_laps()).replace(b"<LatitudeDegrees>52.525", b"<LatitudeDegrees>52.5&amp;"), "fed"),
    "unbound extension prefix": (
        lambda: tcx_doc([[tcx_point(i, ext=_garmin_tpx(i, "zz:")) for i in range(20)]]), "fed"),
    "xsi:type with xsi unbound": (lambda: tcx_doc([[tcx_point(i).replace(
        "<HeartRateBpm>", '<HeartRateBpm xsi:type="HeartRateInBeatsPerMinute_t">') for i in range(20)]]), "fed"),
    "extension prefix bound only inside the points": (lambda: tcx_doc([[tcx_point(i, ext=_garmin_tpx(i, "q:").replace(
        "<q:TPX>", '<q:TPX xmlns:q="http://www.garmin.com/xmlschemas/ActivityExtension/v2">')) for i in range(20)]]),
        "fed"),
    "encoding that is not ASCII's": (
        lambda: tcx_doc(_laps()).replace(b'encoding="UTF-8"', b'encoding="windows-1252"'), "fed"),
}


@pytest.mark.parametrize("case", sorted(PROOF_TCX))
def test_tcx_regions_skip_the_parser_only_when_proven(monkeypatch, case):
    make, way = PROOF_TCX[case]
    data = make()
    _same(tcx.read_tcx, data)
    proven_n, fed_n = _region_ways(monkeypatch, tcx.read_tcx, data)
    if way == "proven":
        assert proven_n and not fed_n
    else:  # the odd region at least goes through the parser
        assert proven_n < data.count(b"<Track>")


def test_tcx_refusals_inside_a_region_the_pattern_takes_stay_the_parsers():
    for bad, reason in ((b"\xff", "not well-formed (invalid token)"), (b"]]>", "not well-formed (invalid token)"),
                        (b"\x0c", "not well-formed (invalid token)")):
        data = tcx_doc(_laps()).replace(b"<LatitudeDegrees>52.525", b"<LatitudeDegrees>52.5" + bad, 1)
        general, fast = _both(tcx.read_tcx, data)
        assert fast == general
        assert general[0] == "refused" and general[1].endswith(reason), general
    data = tcx_doc([[tcx_point(i, ext=_garmin_tpx(i, "zz:")) for i in range(20)]])
    general, fast = _both(tcx.read_tcx, data)
    assert fast == general and general[1].endswith("unbound prefix")


def test_a_mismatched_end_tag_inside_a_point_is_the_parsers_refusal():
    for read, data in ((tcx.read_tcx, tcx_doc(_laps()).replace(b"</AltitudeMeters>", b"</AltitudeMeterz>", 1)),
                       (gpx.read_gpx, gpx_doc(_segments()).replace(b"</gpxtpx:hr>", b"</gpxtpx:hx>", 1))):
        general, fast = _both(read, data)
        assert fast == general
        assert general[0] == "refused" and "mismatched tag" in general[1]


def test_an_error_after_skipped_regions_is_reported_on_its_own_line(monkeypatch):
    data = gpx_doc(_segments(3, 200)).replace(b"</trk>", b"</trq>")
    line = data[: data.index(b"</trq>")].count(b"\n") + 1
    general, fast = _both(gpx.read_gpx, data)
    assert fast == general == ("refused", f"not well-formed XML at line {line}: mismatched tag")
    assert _region_ways(monkeypatch, gpx.read_gpx, data) == (3, 0)


PROOF_GPX = {
    "plain": (lambda: gpx_doc(_segments()), "proven"),
    "no extensions": (lambda: gpx_doc(_segments(ext=None)), "proven"),
    "non-ASCII byte in a skipped attribute": (
        lambda: gpx_doc(_segments()).replace(b"<trkpt ", b'<trkpt x="\xff" ', 1), "fed"),
    "valid UTF-8 in a time": (
        lambda: gpx_doc(_segments()).replace(b"<time>", "<time> ".encode() + "\u00a0".encode(), 1), "fed"),
    "unbound extension prefix": (lambda: gpx_doc(_segments()).replace(b"gpxtpx:", b"zz:"), "fed"),
    "comment in a segment": (
        lambda: gpx_doc(_segments()).replace(b"</trkpt>\n", b"</trkpt><!-- lap -->\n", 1), "fed"),
}


@pytest.mark.parametrize("case", sorted(PROOF_GPX))
def test_gpx_regions_skip_the_parser_only_when_proven(monkeypatch, case):
    make, way = PROOF_GPX[case]
    data = make()
    _same(gpx.read_gpx, data)
    proven_n, fed_n = _region_ways(monkeypatch, gpx.read_gpx, data)
    if way == "proven":
        assert proven_n and not fed_n
    else:  # the odd region at least goes through the parser
        assert proven_n < data.count(b"<trkseg>")


def test_ascii_compatible_encodings():
    assert _xml.ascii_compatible(b'<?xml version="1.0"?><a/>')
    assert _xml.ascii_compatible(b'\xef\xbb\xbf<?xml version="1.0" encoding="utf-8"?><a/>')
    assert _xml.ascii_compatible(b"<a/>")
    assert not _xml.ascii_compatible(b'<?xml version="1.0" encoding="cp037"?><a/>')
    assert not _xml.ascii_compatible(b'<?xml version="1.0" encoding=utf-8?><a/>')
    assert not _xml.ascii_compatible(b" <a/>")


def test_times_from_their_digits_are_the_texts_instants():
    """``times_us`` computes plain UTC times from their digits: the same instants as ``unix_us`` of
    the texts, and the text path for anything else (invalid dates, other shapes, mixed lengths)."""
    import numpy as np

    good = [b"2021-05-24T10:00:05Z", b"2024-02-29T23:59:59.999999Z", b"1000-01-01T00:00:00.5Z",
            b"9999-12-31T23:59:59.123Z", b"1969-12-31T23:59:59.25Z", b"2000-02-29T12:00:00.000Z"]
    odd = [b"2023-02-29T10:00:00Z", b"2100-02-29T00:00:00Z", b"2021-13-01T00:00:00Z", b"2021-00-10T00:00:00Z",
           b"2021-04-31T00:00:00Z", b"2021-05-24T24:00:00Z", b"2021-05-24T10:60:00Z", b"2021-05-24T10:00:60Z",
           b"0999-01-01T00:00:00Z", b"2021-05-24T10:00:00z", b"2021-05-24 10:00:00Z", b" 2021-05-24T10:00:00Z",
           b"2021-05-24T10:00:00+02:00", b"2021-05-24T10:00:00.1234567Z", b"2021-05-24T10:00:00.Z", b"",
           b"2021-05-24T10:00:00", b"2021-05-24T1a:00:00Z"]
    for text in good + odd:
        for group in ([text], [text, text], [text, good[0]], [good[1], text], [good[0], text, good[2]]):
            want = _xml.unix_us(_xml.time_texts(group))
            assert np.array_equal(_xml.times_us(group), want, equal_nan=True), group
    assert not np.isnan(_xml.times_us(good[:1] * 3)).any()


@pytest.mark.parametrize("newline", [b"\r", b"\r\n", b"\n"])
def test_errors_after_skipped_regions_keep_their_line_whatever_the_line_ends(monkeypatch, newline):
    # (a refusal on the fast path is read again by the general scanner, whose line is the one reported;
    # the parser still gets a skipped region's line breaks, as it counts them, so its own lines agree)
    data = gpx_doc(_segments(2, 50)).replace(b"\n", newline).replace(b"</trk>", b"</trq>")
    general, fast = _both(gpx.read_gpx, data)
    assert fast == general
    assert general[0] == "refused" and "mismatched tag" in general[1]
    assert _region_ways(monkeypatch, gpx.read_gpx, data) == (2, 0)
