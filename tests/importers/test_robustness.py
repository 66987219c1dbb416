"""read_bytes raises only ImportFormatError, whatever the bytes (fuzz, truncation, junk)."""

from __future__ import annotations

import gzip
import zlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from runload.errors import ImportFormatError
from runload.importers import read_bytes


def _only_format_errors(data: bytes) -> None:
    try:
        read_bytes(data)
    except ImportFormatError as exc:
        assert exc.reason and "\n" not in exc.reason


@pytest.mark.parametrize(
    "data, reason",
    [
        (b"", "empty file"),
        (b"   \n", "empty file"),
        (b"hello world", "not a FIT, GPX or TCX file"),
        (b"<html><body>hi</body></html>", "not a FIT, GPX or TCX file (XML with root <html>)"),
        (b"<?xml version='1.0'?>\n<gpx><trk><trkseg>", "not well-formed XML at line 2: no element found"),
        (b"<?xml version='1.0'?><!DOCTYPE gpx [<!ENTITY a 'b'>]><gpx/>", "XML with a DTD or entities is refused"),
        (b"<gpx version='1.1'><rte><rtept lat='1' lon='2'/></rte></gpx>", "GPX has no track points (a route)"),
        (b"<TrainingCenterDatabase><Courses/></TrainingCenterDatabase>", "TCX file holds no activity (a course or workout file?)"),
        (gzip.compress(b""), "empty file after gzip decompression"),
        (b"\x1f\x8b\x08\x00garbage", "truncated gzip file"),
        (b"\x0e\x10\x00\x00\x00\x00\x00\x00.FIT\x00\x00", "truncated FIT file and no activity summary could be recovered"),
        (b"\x0e\x10\x00\x00\x00\x00\x00\x00.FIT\x00\x00\x00\x00", "FIT file holds no session, lap or record"),
    ],
)
def test_clear_reasons(data, reason):
    with pytest.raises(ImportFormatError) as info:
        read_bytes(data)
    assert info.value.reason == reason


def test_billion_laughs_refused():
    bomb = b"""<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]>
    <TrainingCenterDatabase>&lol2;</TrainingCenterDatabase>"""
    with pytest.raises(ImportFormatError, match="DTD or entities"):
        read_bytes(bomb)


def test_gzip_bomb_refused(monkeypatch):
    import runload.importers as importers

    monkeypatch.setattr(importers, "MAX_DECOMPRESSED_BYTES", 1000)
    monkeypatch.setattr(importers.gunzip_bounded, "__defaults__", (1000,))
    with pytest.raises(ImportFormatError, match="more than"):
        read_bytes(gzip.compress(b"\0" * 100_000))


def _small_files(data_dir):
    return [p.read_bytes() for p in sorted(data_dir.iterdir()) if p.suffix != ".md"]


def test_truncated_every_256_bytes(data_dir):
    for data in _small_files(data_dir):
        if data[:2] == b"\x1f\x8b":
            data = zlib.decompress(data, 31)
        for cut in range(0, len(data), 256):
            _only_format_errors(data[:cut])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2048))
def test_random_bytes(data):
    _only_format_errors(data)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(st.data())
def test_mutated_files(data_dir, data):
    files = _small_files(data_dir)
    original = bytearray(data.draw(st.sampled_from(files)))
    if original[:2] == b"\x1f\x8b":
        original = bytearray(zlib.decompress(bytes(original), 31))
    for _ in range(data.draw(st.integers(1, 8))):
        position = data.draw(st.integers(0, len(original) - 1))
        original[position] = data.draw(st.integers(0, 255))
    if data.draw(st.booleans()):
        original = original[: data.draw(st.integers(0, len(original)))]
    _only_format_errors(bytes(original))


def test_prefixed_fit_header_with_junk():
    header = bytes([14, 0x10, 0, 0]) + (10**6).to_bytes(4, "little") + b".FIT\0\0"
    for junk in (b"", b"\x40" * 10, bytes(range(256)) * 4):
        _only_format_errors(header + junk)
