"""Build hostile GPX/TCX documents and read one in this process, reporting time and peak memory.

Run as a script by test_xml_attacks.py (one fresh process per attack so that the
peak RSS belongs to that attack alone)::

    python xml_attacks.py ATTACK FORMAT DB  ->  one JSON line on stdout
"""

from __future__ import annotations

import json
import resource
import sys
import time

PASSWD = "/etc/passwd"

GPX_OPEN = (b'<gpx version="1.1" creator="x" xmlns="http://www.topografix.com/GPX/1/1"><trk><type>running</type>'
            b"<trkseg>")
GPX_POINTS = b"".join(
    b'<trkpt lat="52.%04d" lon="13.%04d"><time>2026-03-02T06:%02d:%02dZ</time></trkpt>' % (i, i, i // 12, i % 12 * 5)
    for i in range(120)  # a point every 5 s, 13 m apart: a run at 9.4 km/h (the import refuses a 47 km/h "run")
)
GPX_CLOSE = b"</trkseg></trk></gpx>"
TCX_OPEN = (b'<TrainingCenterDatabase xmlns="http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2">'
            b'<Activities><Activity Sport="Running"><Id>2026-03-02T06:00:00Z</Id>'
            b'<Lap StartTime="2026-03-02T06:00:00Z"><TotalTimeSeconds>600</TotalTimeSeconds>'
            b"<DistanceMeters>2000</DistanceMeters><Track>")
TCX_POINTS = b"".join(
    b"<Trackpoint><Time>2026-03-02T06:%02d:%02dZ</Time><DistanceMeters>%d</DistanceMeters></Trackpoint>"
    % (i // 60, i % 60, i * 10)
    for i in range(120)
)
TCX_CLOSE = b"</Track></Lap></Activity></Activities></TrainingCenterDatabase>"


def _doc(fmt: str, prolog: bytes = b"", inner: bytes = b"", root_attr: bytes = b"") -> bytes:
    if fmt == "gpx":
        head = GPX_OPEN.replace(b'creator="x"', b'creator="x"' + root_attr)
        return b'<?xml version="1.0"?>\n' + prolog + head + inner + GPX_POINTS + GPX_CLOSE
    head = TCX_OPEN.replace(b"<TrainingCenterDatabase ", b"<TrainingCenterDatabase " + root_attr + b" ")
    return b'<?xml version="1.0"?>\n' + prolog + head + inner + TCX_POINTS + TCX_CLOSE


def build(attack: str, fmt: str) -> bytes:
    root = b"gpx" if fmt == "gpx" else b"TrainingCenterDatabase"
    if attack == "valid":
        return _doc(fmt)
    if attack == "billion_laughs":
        ents = [b'<!ENTITY lol0 "lol">']
        ents += [b'<!ENTITY lol%d "%s">' % (k, b"&lol%d;" % (k - 1) * 10) for k in range(1, 10)]
        prolog = b"<!DOCTYPE " + root + b" [" + b"".join(ents) + b"]>\n"
        inner = b"<name>&lol9;</name>" if fmt == "gpx" else b""
        doc = _doc(fmt, prolog, inner)
        return doc.replace(b"running", b"&lol9;") if fmt == "gpx" else doc.replace(b"Running", b"&lol9;")
    if attack == "quadratic_blowup":
        prolog = b"<!DOCTYPE " + root + b' [<!ENTITY a "' + b"A" * 50_000 + b'">]>\n'
        return _doc(fmt, prolog, b"<name>" + b"&a;" * 50_000 + b"</name>" if fmt == "gpx" else b"")
    if attack == "external_entity":
        prolog = b"<!DOCTYPE " + root + b' [<!ENTITY xxe SYSTEM "file://' + PASSWD.encode() + b'">]>\n'
        doc = _doc(fmt, prolog)
        return doc.replace(b"<type>running</type>", b"<name>&xxe;</name><type>running</type>") if fmt == "gpx" \
            else doc.replace(b"<Id>", b"<Notes>&xxe;</Notes><Id>")
    if attack == "external_dtd":
        return _doc(fmt, b"<!DOCTYPE " + root + b' SYSTEM "file://' + PASSWD.encode() + b'">\n')
    if attack == "parameter_entity":
        prolog = b"<!DOCTYPE " + root + b' [<!ENTITY % p SYSTEM "file://' + PASSWD.encode() + b'"> %p;]>\n'
        return _doc(fmt, prolog)
    if attack == "xinclude":
        inc = b'<xi:include xmlns:xi="http://www.w3.org/2001/XInclude" href="file://' + PASSWD.encode() \
            + b'" parse="text"/>'
        doc = _doc(fmt)
        return doc.replace(b"<type>running</type>", b"<name>" + inc + b"</name><type>running</type>") \
            if fmt == "gpx" else doc.replace(b"<Id>", b"<Notes>" + inc + b"</Notes><Id>")
    if attack == "deep_nesting":
        depth = 100_000
        return _doc(fmt, inner=b"<extensions>" * 0 + b"<x>" * depth + b"</x>" * depth)
    if attack == "deep_nesting_unclosed":
        return _doc(fmt, inner=b"<x>" * 100_000)[: -len(GPX_CLOSE if fmt == "gpx" else TCX_CLOSE)]
    if attack == "huge_attribute":
        return _doc(fmt, root_attr=b' junk="' + b"A" * (50 * 1024 * 1024) + b'"')
    if attack == "huge_text":
        return _doc(fmt, inner=b"<name>" + b"B" * (50 * 1024 * 1024) + b"</name>" if fmt == "gpx"
                    else b"<Notes>" + b"B" * (50 * 1024 * 1024) + b"</Notes>")
    raise SystemExit(f"unknown attack {attack}")


ATTACKS = ("billion_laughs", "quadratic_blowup", "external_entity", "external_dtd", "parameter_entity", "xinclude",
           "deep_nesting", "deep_nesting_unclosed", "huge_attribute", "huge_text")


def main(attack: str, fmt: str, db: str) -> None:
    from runload.errors import ImportFormatError
    from runload.importers import read_bytes

    data = build(attack, fmt)
    base_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    start = time.perf_counter()
    try:
        acts = read_bytes(data)
        outcome, reason = "activities", None
    except ImportFormatError as err:
        acts, outcome, reason = [], "refused", err.reason
    seconds = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    fields = []
    if acts:
        from runload.store import Store

        with Store.open(db) as store:
            aid = store.athlete_id("x", create=True)
            store.add_file(aid, acts, source_path="attack", content_hash="h", size=len(data), mtime=0.0)
        fields = [str(v) for a in acts for v in a.__dict__.values()]
    print(json.dumps({"attack": attack, "fmt": fmt, "outcome": outcome, "reason": reason, "seconds": seconds,
                      "input_mb": len(data) / 2**20, "base_mb": base_mb, "peak_mb": peak_mb,
                      "max_field_len": max((len(f) for f in fields), default=0)}))


if __name__ == "__main__":
    main(*sys.argv[1:4])
