"""Acceptance 1: fuzzing read_bytes with mutated real files, synthetic files and random bytes.

Every case must end in a list of Activity objects or ImportFormatError with a
non-empty one-line reason: never another exception, never a hang (each case runs
under a SIGALRM deadline, see conftest.deadline), never unbounded memory (the
peak RSS of the test process may grow by at most FUZZ_RSS_GROWTH_MB over a test).

The normal suite runs a few hundred derandomized cases (hypothesis
``derandomize=True``: the same cases every run). ``RUNLOAD_FUZZ_EXAMPLES=N``
scales every property up; ``benchmarks/fuzz_bench.py`` runs thousands.
"""

from __future__ import annotations

import gzip
import os
import struct
import zlib
from functools import lru_cache
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from runload.errors import ImportFormatError
from runload_testing.synthetic import fit_crc16

from .conftest import check_read, max_rss_mb, synthetic_bytes, two_session_fit
from .fitwalk import walk

SHARED = Path(__file__).resolve().parents[3] / "shared" / "real-activities"
#: Scale: examples per property in the normal suite (x 8 properties + parametrized sweeps ~ 400 cases).
EXAMPLES = int(os.environ.get("RUNLOAD_FUZZ_EXAMPLES", "40"))
#: Allowed growth of this process's peak RSS over one fuzz property [MB].
FUZZ_RSS_GROWTH_MB = 400
#: Real files small enough to fuzz quickly in the normal suite (the big ones run in fuzz_bench).
NORMAL_MAX_BYTES = int(os.environ.get("RUNLOAD_FUZZ_MAX_BYTES", "130000"))

FUZZ = settings(
    max_examples=EXAMPLES,
    derandomize=not os.environ.get("RUNLOAD_FUZZ_RANDOM"),
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
    print_blob=True,
)


@lru_cache(maxsize=None)
def real_files(max_bytes: int = NORMAL_MAX_BYTES) -> tuple[tuple[str, bytes], ...]:
    if not (SHARED / "truth.csv").exists():
        return ()
    out = []
    for p in sorted(SHARED.iterdir()):
        if p.suffix.lower() in (".md", ".csv") or p.stat().st_size > max_bytes:
            continue
        out.append((p.name, p.read_bytes()))
    return tuple(out)


def _decompressed(data: bytes) -> bytes:
    return gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data


@lru_cache(maxsize=None)
def synthetic_files() -> tuple[tuple[str, bytes], ...]:
    """Small genuine files (short runs, 5 s sampling): fast to fuzz."""
    out = []
    for i, fmt in enumerate(("fit", "gpx", "tcx")):
        out.append((f"syn{i}.{fmt}", synthetic_bytes(i, fmt, km=1.0)))
    out.append(("syn.fit.gz", synthetic_bytes(7, "fit", km=1.0, gz=True)))
    out.append(("syn_multi.fit", two_session_fit(9)))
    return tuple(out)


def corpus() -> tuple[tuple[str, bytes], ...]:
    return real_files() + synthetic_files()


def fit_corpus() -> tuple[tuple[str, bytes], ...]:
    return tuple((n, _decompressed(d)) for n, d in corpus() if _decompressed(d)[8:12] == b".FIT")


@pytest.fixture(autouse=True)
def _rss_guard():
    before = max_rss_mb()
    yield
    grown = max_rss_mb() - before
    assert grown < FUZZ_RSS_GROWTH_MB, f"peak RSS grew by {grown:.0f} MB during the fuzz test"


def _corpus_or_skip(items):
    if not items:
        pytest.skip("no files to fuzz")
    return items


# ------------------------------------------------------------------ mutations of whole files


@FUZZ
@given(st.data())
def test_bit_flips(data):
    name, raw = data.draw(st.sampled_from(_corpus_or_skip(corpus())), label="file")
    blob = bytearray(_decompressed(raw) if data.draw(st.booleans(), label="decompress") else raw)
    for _ in range(data.draw(st.integers(1, 16), label="flips")):
        i = data.draw(st.integers(0, len(blob) - 1))
        blob[i] ^= 1 << data.draw(st.integers(0, 7))
    check_read(bytes(blob))


@FUZZ
@given(st.data())
def test_truncated_anywhere(data):
    name, raw = data.draw(st.sampled_from(_corpus_or_skip(corpus())), label="file")
    blob = _decompressed(raw)
    cut = data.draw(st.integers(0, len(blob)), label="cut")
    check_read(blob[:cut])
    if raw[:2] == b"\x1f\x8b":
        check_read(raw[: cut * len(raw) // max(len(blob), 1)])  # a truncated gzip stream too


@FUZZ
@given(st.data())
def test_byte_runs_overwritten_inserted_deleted(data):
    name, raw = data.draw(st.sampled_from(_corpus_or_skip(corpus())), label="file")
    blob = bytearray(_decompressed(raw))
    at = data.draw(st.integers(0, len(blob)), label="at")
    junk = data.draw(st.binary(min_size=1, max_size=64), label="junk")
    op = data.draw(st.sampled_from(["overwrite", "insert", "delete", "duplicate"]), label="op")
    if op == "overwrite":
        blob[at : at + len(junk)] = junk
    elif op == "insert":
        blob[at:at] = junk
    elif op == "delete":
        del blob[at : at + len(junk) * 16]
    else:
        blob[at:at] = blob[at : at + len(junk) * 16]
    check_read(bytes(blob))


# ------------------------------------------------------------------ FIT framing: headers and definitions


def _fix_header_crc(blob: bytearray, at: int = 0) -> None:
    if blob[at] >= 14 and len(blob) >= at + 14:
        struct.pack_into("<H", blob, at + 12, fit_crc16(bytes(blob[at : at + 12])))


@FUZZ
@given(st.data())
def test_fit_header_wrong_lengths(data):
    name, blob = data.draw(st.sampled_from(_corpus_or_skip(fit_corpus())), label="file")
    blob = bytearray(blob)
    headers, _defs, _rows = walk(bytes(blob))
    at = data.draw(st.sampled_from(headers or [0]), label="header")
    what = data.draw(st.sampled_from(["data_size", "header_size", "protocol", "signature", "crc"]), label="field")
    if what == "data_size":
        value = data.draw(st.one_of(st.integers(0, 2**32 - 1), st.sampled_from([0, 1, 2**31, 2**32 - 1])))
        struct.pack_into("<I", blob, at + 4, value)
    elif what == "header_size":
        blob[at] = data.draw(st.integers(0, 255))
    elif what == "protocol":
        blob[at + 1] = data.draw(st.integers(0, 255))
    elif what == "signature":
        blob[at + 8 + data.draw(st.integers(0, 3))] ^= 0xFF
    else:
        struct.pack_into("<H", blob, at + 12, data.draw(st.integers(0, 0xFFFF)))
    if what != "crc" and data.draw(st.booleans(), label="fix header crc"):
        _fix_header_crc(blob, at)  # so the decoder trusts the lie
    check_read(bytes(blob))


@FUZZ
@given(st.data())
def test_fit_definition_messages_lie(data):
    name, blob = data.draw(st.sampled_from(_corpus_or_skip(fit_corpus())), label="file")
    blob = bytearray(blob)
    _headers, defs, _rows = walk(bytes(blob))
    if not defs:
        return
    d = data.draw(st.sampled_from(defs), label="definition")
    what = data.draw(st.sampled_from(["field_size", "n_fields", "base_type", "global", "arch", "local", "header"]),
                     label="what")
    if what == "field_size" and d.n_fields:
        k = data.draw(st.integers(0, d.n_fields - 1))
        blob[d.field_offset(k) + 1] = data.draw(st.sampled_from([0, 1, 3, 7, 255, data.draw(st.integers(0, 255))]))
    elif what == "n_fields":
        blob[d.offset + 5] = data.draw(st.integers(0, 255))
    elif what == "base_type" and d.n_fields:
        k = data.draw(st.integers(0, d.n_fields - 1))
        blob[d.field_offset(k) + 2] = data.draw(st.integers(0, 255))
    elif what == "global":
        struct.pack_into("<H", blob, d.offset + 3, data.draw(st.integers(0, 0xFFFF)))
    elif what == "arch":
        blob[d.offset + 2] = data.draw(st.integers(0, 255))
    elif what == "local":
        blob[d.offset] = 0x40 | (blob[d.offset] & 0x20) | data.draw(st.integers(0, 15))
    else:
        blob[d.offset] = data.draw(st.integers(0, 255))
    check_read(bytes(blob))


@FUZZ
@given(st.data())
def test_swapped_and_spliced_headers(data):
    files = _corpus_or_skip(corpus())
    (_n1, a), (_n2, b) = data.draw(st.sampled_from(files)), data.draw(st.sampled_from(files))
    a, b = _decompressed(a), _decompressed(b)
    how = data.draw(st.sampled_from(["swap14", "head_tail", "fit_header_on_other", "double_header"]), label="how")
    if how == "swap14":
        blob = b[:14] + a[14:]
    elif how == "head_tail":
        blob = a[: data.draw(st.integers(0, len(a)))] + b[data.draw(st.integers(0, len(b))) :]
    elif how == "fit_header_on_other":
        header = bytearray(struct.pack("<BBHI4s", 14, 0x20, 2132, len(b), b".FIT"))
        header += struct.pack("<H", fit_crc16(bytes(header)))
        blob = bytes(header) + b
    else:
        blob = a[:14] + a
    check_read(blob)


# ------------------------------------------------------------------ gzip


@FUZZ
@given(st.data())
def test_gzip_wrapped_garbage(data):
    how = data.draw(st.sampled_from(["random", "truncated_file", "bad_crc", "nested", "multi_member", "cut_stream"]),
                    label="how")
    if how == "random":
        blob = gzip.compress(data.draw(st.binary(max_size=4096)))
    elif how == "truncated_file":
        _name, raw = data.draw(st.sampled_from(_corpus_or_skip(corpus())))
        plain = _decompressed(raw)
        blob = gzip.compress(plain[: data.draw(st.integers(0, len(plain)))])
    elif how == "bad_crc":
        blob = bytearray(gzip.compress(synthetic_files()[0][1]))
        blob[-8 + data.draw(st.integers(0, 7))] ^= 0xFF
        blob = bytes(blob)
    elif how == "nested":
        blob = data.draw(st.binary(max_size=256))
        for _ in range(data.draw(st.integers(1, 5))):
            blob = gzip.compress(blob)
    elif how == "multi_member":
        blob = gzip.compress(synthetic_files()[0][1]) + gzip.compress(data.draw(st.binary(max_size=512)))
    else:
        raw = gzip.compress(synthetic_files()[1][1])
        blob = raw[: data.draw(st.integers(0, len(raw)))]
    check_read(blob)


# ------------------------------------------------------------------ random bytes for every format

_PREFIXES = {
    "none": b"",
    "fit": struct.pack("<BBHI4s", 12, 0x10, 100, 2000, b".FIT"),
    "fit14": struct.pack("<BBHI4sH", 14, 0x20, 2132, 5000, b".FIT", 0),
    "gpx": b"<?xml version='1.0'?><gpx version='1.1' xmlns='http://www.topografix.com/GPX/1/1'><trk><trkseg>",
    "tcx": b"<TrainingCenterDatabase><Activities><Activity Sport='Running'><Id>2020-01-01T00:00:00Z</Id><Lap",
    "bom16": "\ufeff<gpx>".encode("utf-16-le"),
    "gzip": b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03",
}


@FUZZ
@given(st.sampled_from(sorted(_PREFIXES)), st.binary(max_size=2048))
def test_random_bytes_every_format(prefix, tail):
    check_read(_PREFIXES[prefix] + tail)


@FUZZ
@given(st.data())
def test_random_fit_messages_behind_a_valid_header(data):
    """A correct header + CRC framing around random records: the decoder walks arbitrary message streams."""
    body = data.draw(st.binary(min_size=1, max_size=1024), label="body")
    header = bytearray(struct.pack("<BBHI4s", 14, 0x20, 2132, len(body), b".FIT"))
    header += struct.pack("<H", fit_crc16(bytes(header)))
    blob = bytes(header) + body
    check_read(blob + struct.pack("<H", fit_crc16(blob)))


# ------------------------------------------------------------------ deterministic sweeps


@pytest.mark.parametrize("name", [n for n, _ in synthetic_files()])
def test_synthetic_cut_at_every_region(name):
    """Cut each small synthetic file at 64 evenly spaced points plus every header/definition boundary."""
    raw = dict(synthetic_files())[name]
    blob = _decompressed(raw)
    cuts = {len(blob) * k // 64 for k in range(65)}
    if blob[8:12] == b".FIT":
        headers, defs, rows = walk(blob)
        for d in defs:
            cuts.update({d.offset, d.offset + 1, d.offset + 5, d.offset + d.size - 1, d.offset + d.size})
        cuts.update(h + k for h in headers for k in (1, 8, 12, 13, 14))
    for cut in sorted(cuts):
        check_read(blob[:cut])


def test_real_files_cut_at_every_region(shared_dir):
    """Cut every small real file at 11 evenly spaced points (gzip ones inside the stream too)."""
    n = 0
    for _name, raw in real_files():
        blob = _decompressed(raw)
        for k in range(1, 12):
            check_read(blob[: len(blob) * k // 16])
            n += 1
        if raw[:2] == b"\x1f\x8b":
            check_read(raw[: len(raw) // 2])
    assert n > 100, n
