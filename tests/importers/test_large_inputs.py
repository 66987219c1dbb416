"""Large-input paths of the importers: the lean and column-wise FIT readers, XML token and depth limits."""

from __future__ import annotations

import gzip
import time
from datetime import datetime, timezone

import pytest

from runload.errors import ImportFormatError
from runload.importers import fit as fit_mod
from runload.importers import read_bytes
from runload_testing.synthetic import SyntheticRun, write_fit, write_gpx, write_tcx


def _read(data: bytes, path: str, monkeypatch) -> list:
    """Every field of every activity read by one FIT path: ``lean`` (read_fit's first try),
    ``columns`` / ``dicts`` (the full decode, record columns or a dict per record)."""
    monkeypatch.setattr(fit_mod, "COLUMNAR_MIN_BYTES", 0 if path == "columns" else 10**15)
    try:
        if path == "lean":
            acts = fit_mod._read_fit_lean(data)
            if acts is None:
                return ["not answered"]
        else:
            acts = fit_mod._read_fit_full(data)
        return [a.__dict__ for a in acts]
    except ImportFormatError as exc:
        return [exc.reason]


def _fit_inputs(*folders):
    for folder in folders:
        for path in sorted(folder.iterdir()):
            if path.name.lower().endswith((".fit", ".fit.gz")):
                data = path.read_bytes()
                yield path.name, gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data


def _assert_paths_agree(inputs, monkeypatch) -> int:
    """The lean reader, where it answers, gives exactly what both full decodes give; returns how often it answered."""
    answered = 0
    for name, data in inputs:
        full = _read(data, "dicts", monkeypatch)
        assert _read(data, "columns", monkeypatch) == full, name
        lean = _read(data, "lean", monkeypatch)
        if lean != ["not answered"]:
            assert lean == full, name
            answered += 1
    return answered


def test_fit_paths_identical_on_test_data(data_dir, monkeypatch):
    assert _assert_paths_agree(_fit_inputs(data_dir), monkeypatch) >= 1


def test_fit_paths_identical_on_every_real_file(real_dir, monkeypatch):
    """Every activity field (totals, HR histogram, cadence, notes, recovery text) is the same on all paths,
    on both shared folders; the lean reader answers nearly all of them itself."""
    folders = [real_dir] + [d for d in [real_dir.parent / "real-activities-2"] if d.is_dir()]
    inputs = list(_fit_inputs(*folders))
    answered = _assert_paths_agree(inputs, monkeypatch)
    # the full decode is left only compressed timestamps, compressed_speed_distance and odd layouts
    assert answered >= len(inputs) - 6, (answered, len(inputs))


def test_record_views_and_gathers_read_the_same_columns(real_dir, data_dir, monkeypatch):
    """The lean reader reads records as strided views (long runs) or by gathering offsets (many short
    pieces): forced either way, every real file gives the same time, heart-rate, distance and GPS columns."""
    import numpy as np

    folders = [data_dir, real_dir] + [d for d in [real_dir.parent / "real-activities-2"] if d.is_dir()]
    start = datetime(2026, 3, 2, 6, 0, tzinfo=timezone.utc)
    inputs = list(_fit_inputs(*folders)) + [("synthetic", write_fit(SyntheticRun(start, 9_000.0, 2400, seed=5)))]
    compared = 0
    for name, data in inputs:
        scan = fit_mod._scan_lean(data)
        if not scan.answerable or not scan.pieces:
            continue
        read = {}
        for way, threshold in (("views", 0), ("gathers", 10**12)):
            monkeypatch.setattr(fit_mod, "_VIEW_MIN_RECORDS_PER_PIECE", threshold)
            read[way] = fit_mod._records_from_scan(data, scan)
        for column in ("ts", "hr", "dist", "gps"):
            views, gathers = getattr(read["views"], column), getattr(read["gathers"], column)
            assert views.dtype == gathers.dtype and np.array_equal(views, gathers, equal_nan=True), (name, column)
        compared += 1
    assert compared >= 20


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_fit_paths_identical_on_synthetic_and_damaged(seed, monkeypatch):
    start = datetime(2026, 3, 2, 6, 0, tzinfo=timezone.utc)
    data = write_fit(SyntheticRun(start, 12_000.0, 3600, sample_interval_s=1, seed=seed))
    middle = len(data) // 2
    variants = [
        ("whole", data),
        ("cut", data[: len(data) * 2 // 3]),
        ("crc", data[:-2] + b"\0\0"),
        ("chained", data + data),
        ("trailing junk", data + b"\0junk"),
        ("overwritten", data[:middle] + b"\xff" * 7 + data[middle + 7 :]),
    ]
    answered = _assert_paths_agree(variants, monkeypatch)
    assert answered >= 4


def test_damaged_fit_is_decoded_once(monkeypatch):
    """A cut file with a wrong checksum: the lean reader finds both itself and asks fitfast for the summary only."""
    calls = []
    monkeypatch.setattr(
        fit_mod.fitfast, "parse", lambda data, *a, **k: calls.append(("parse", len(data))) or real_parse(data)
    )
    monkeypatch.setattr(fit_mod.fitfast, "records", lambda *a, **k: calls.append(("records",)) or {})
    start = datetime(2026, 3, 2, 6, 0, tzinfo=timezone.utc)
    whole = write_fit(SyntheticRun(start, 12_000.0, 3600, sample_interval_s=1, seed=5))
    (cut,) = read_bytes(whole[: len(whole) * 2 // 3])
    assert cut.recovered.startswith("file ends early") and "rebuilt from its records" in cut.recovered
    assert 7_000 < cut.distance_m < 8_500 and sum(cut.hr_seconds_by_bpm.values()) > 2_000
    assert len(calls) == 1 and calls[0][0] == "parse" and calls[0][1] < 2_000  # a few hundred bytes, not 50 kB
    calls.clear()
    (bad_crc,) = read_bytes(whole[:-1] + bytes([whole[-1] ^ 0x10]))
    assert "file checksum mismatch: the file may be damaged" in bad_crc.notes
    assert bad_crc.distance_m == pytest.approx(12_000.0, abs=0.01) and len(calls) == 1


real_parse = fit_mod.fitfast.parse


def test_damaged_fit_the_lean_reader_declines_is_decoded_once(data_dir, monkeypatch):
    """Compressed speed/distance needs fitfast's full decode; the scan already found the cut, so the
    repaired copy, its checksum written beforehand, is decoded once (it used to take three tries)."""
    data = (data_dir / "fitparse__compressed-speed-distance.fit").read_bytes()
    cut = data[: len(data) * 2 // 3]
    assert fit_mod._read_fit_lean(cut) is None
    calls = []
    monkeypatch.setattr(fit_mod.fitfast, "parse", lambda data, *a, **k: calls.append(len(data)) or real_parse(data))
    (act,) = read_bytes(cut)
    assert act.recovered.startswith("file ends early") and act.recovered.endswith("kept the 469 records before the cut")
    assert act.distance_m == 10248.67  # this watch writes its session first: it survives the cut
    assert len(calls) == 1
    assert [a.__dict__ for a in fit_mod._read_fit_full(cut)] == [act.__dict__]  # same as trying the bytes first


@pytest.mark.parametrize("size", [0, 1, 63, 64, 65, 1000, 1023, 1024, 4095, 4096, 4097, 65_537, 300_001])
def test_fast_crc_matches_the_byte_loop(size, monkeypatch):
    import numpy as np

    monkeypatch.setattr(fit_mod, "_CRC_BLOCK", 1 << 16)  # several blocks for the larger sizes
    data = np.random.default_rng(size).integers(0, 256, size, dtype=np.uint8).tobytes()
    for start in (0, 0x1234, 0xFFFF):
        assert fit_mod.fit_crc_fast(data, start) == fit_mod.fit_crc(data, start)


def test_select_messages_keeps_only_summaries(data_dir):
    import fitfast

    data = (data_dir / "fitparse__2013-02-06-12-11-14.fit").read_bytes()
    cut = fit_mod._select_messages(data, fit_mod._SUMMARY_MSGS)
    assert cut is not None and len(cut) < len(data)
    full = fit_mod._parse_fitfast(data)[0]  # this file needs fitfast's CRC quirk handled
    small = fitfast.parse(cut)  # the copy's header and file CRCs are valid as written
    assert "record" not in small and full["record"]
    for kind in ("file_id", "session", "lap", "activity"):
        assert small.get(kind) == full.get(kind), kind


# ------------------------------------------------------------------ XML


@pytest.mark.parametrize("fmt", ["gpx", "tcx"])
@pytest.mark.parametrize(
    "where, word",
    [("attribute", "attribute"), ("text", "text"), ("comment", "comment")],
)
def test_huge_xml_token_refused_quickly(fmt, where, word):
    big = b"A" * (5 * 1024 * 1024)
    start = datetime(2026, 3, 2, 6, 0, tzinfo=timezone.utc)
    doc = (write_gpx if fmt == "gpx" else write_tcx)(SyntheticRun(start, 2000.0, 600, sample_interval_s=5, seed=4))
    close = doc.rindex(b"</")
    if where == "attribute":
        i = doc.index(b">", doc.index(b"<gpx" if fmt == "gpx" else b"<TrainingCenterDatabase"))
        doc = doc[:i] + b' junk="' + big + b'"' + doc[i:]
    elif where == "text":
        doc = doc[:close] + b"<x>" + big + b"</x>" + doc[close:]
    else:
        doc = doc[:close] + b"<!-- " + (b"A" * 1000 + b"<") * 5300 + b" -->" + doc[close:]  # '<' inside
    t = time.perf_counter()
    with pytest.raises(ImportFormatError) as info:
        read_bytes(doc)
    assert time.perf_counter() - t < 1.0
    assert f"XML {word} longer than 4 MB" in info.value.reason


@pytest.mark.parametrize("fmt", ["gpx", "tcx"])
def test_depth_limit(fmt):
    start = datetime(2026, 3, 2, 6, 0, tzinfo=timezone.utc)
    doc = (write_gpx if fmt == "gpx" else write_tcx)(SyntheticRun(start, 2000.0, 600, sample_interval_s=5, seed=5))
    close = doc.rindex(b"</")
    ok = doc[:close] + b"<x>" * 900 + b"</x>" * 900 + doc[close:]
    assert read_bytes(ok)[0].sport == "running"
    deep = doc[:close] + b"<x>" * 1001 + b"</x>" * 1001 + doc[close:]
    with pytest.raises(ImportFormatError) as info:
        read_bytes(deep)
    assert info.value.reason == "XML nested more than 1000 levels deep: not an activity file"


def _interleaved_fit(big_endian: bool) -> bytes:
    """A FIT activity whose records take turns with two other messages (as HRV-recording watches
    write them), its record definition in either byte order."""
    import struct

    def definition(local, global_num, fields, big=False):
        order = ">" if big else "<"
        out = struct.pack(order + "BBBHB", 0x40 | local, 0, 1 if big else 0, global_num, len(fields))
        return out + b"".join(bytes(f) for f in fields)

    epoch = 631065600
    t0 = 1_700_000_000 - epoch
    body = definition(0, 0, [(0, 1, 0x00)]) + bytes([0, 4])  # file_id: type activity
    rec_order = ">" if big_endian else "<"
    body += definition(1, 20, [(253, 4, 0x86), (3, 1, 0x02), (5, 4, 0x86), (0, 4, 0x85)], big_endian)
    body += definition(2, 78, [(0, 2, 0x84)]) + definition(3, 233, [(0, 1, 0x02)])
    for i in range(600):
        hr = 0xFF if i % 50 == 7 else 120 + i % 40  # a few invalid heart rates
        lat = 0x7FFFFFFF if i < 10 else 600_000_000  # no position at first
        body += bytes([1]) + struct.pack(rec_order + "IBIi", t0 + i + (39 if i >= 300 else 0), hr, i * 280, lat)
        body += bytes([2]) + struct.pack("<H", 800) + bytes([3, 1])
    body += definition(4, 18, [(253, 4, 0x86), (2, 4, 0x86), (7, 4, 0x86), (8, 4, 0x86), (9, 4, 0x86), (5, 1, 0x00)])
    body += bytes([4]) + struct.pack("<IIIIIB", t0 + 640, t0, 640_000, 600_000, 167_720, 1)
    header = bytearray(struct.pack("<BBHI4s", 14, 0x20, 2132, len(body), b".FIT"))
    header += fit_mod.fit_crc(bytes(header)).to_bytes(2, "little")
    data = bytes(header) + body
    return data + fit_mod.fit_crc(data).to_bytes(2, "little")


@pytest.mark.parametrize("big_endian", [False, True])
def test_interleaved_records_are_read_as_cycles(big_endian, monkeypatch):
    data = _interleaved_fit(big_endian)
    scan = fit_mod._scan_lean(data)
    assert scan.answerable and scan.damage is None and len(scan.pieces) // 4 <= 2  # not one piece per record
    lean = _read(data, "lean", monkeypatch)
    assert lean == _read(data, "dicts", monkeypatch) == _read(data, "columns", monkeypatch)
    (act,) = lean
    assert act["distance_m"] == 1677.2 and act["has_gps"] and act["sport"] == "running"
    # 599 records have a next one, 12 of them an invalid heart rate; the 40 s pause counts 30 s
    assert sum(act["hr_seconds_by_bpm"].values()) == (599 - 12 - 1) * 1 + 30
    cut = data[: len(data) // 2]  # the cut falls inside the cycles
    assert _read(cut, "lean", monkeypatch) == _read(cut, "dicts", monkeypatch)
