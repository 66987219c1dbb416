"""Large-input paths of the importers: column-wise FIT reading, XML token and depth limits."""

from __future__ import annotations

import gzip
import time
from datetime import datetime, timezone

import pytest

from runload.errors import ImportFormatError
from runload.importers import fit as fit_mod
from runload.importers import read_bytes
from runload_testing.synthetic import SyntheticRun, write_fit, write_gpx, write_tcx


def _read(data: bytes, columnar: bool, monkeypatch) -> list:
    monkeypatch.setattr(fit_mod, "COLUMNAR_MIN_BYTES", 0 if columnar else 10**15)
    try:
        return [a.__dict__ for a in read_bytes(data)]
    except ImportFormatError as exc:
        return [exc.reason]


def _fit_inputs(real_dir_or_none, data_dir):
    paths = [p for p in sorted(data_dir.iterdir()) if p.name.endswith((".fit", ".fit.gz"))]
    if real_dir_or_none is not None:
        paths += [p for p in sorted(real_dir_or_none.iterdir()) if p.name.lower().endswith((".fit", ".fit.gz"))]
    for path in paths:
        data = path.read_bytes()
        yield path.name, gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data


def test_columnar_fit_identical_on_test_data(data_dir, monkeypatch):
    for name, data in _fit_inputs(None, data_dir):
        assert _read(data, True, monkeypatch) == _read(data, False, monkeypatch), name


def test_columnar_fit_identical_on_every_real_file(real_dir, data_dir, monkeypatch):
    """Every activity field (totals, HR histogram, notes, recovery text) is the same on both paths."""
    for name, data in _fit_inputs(real_dir, data_dir):
        assert _read(data, True, monkeypatch) == _read(data, False, monkeypatch), name


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_columnar_fit_identical_on_synthetic_and_damaged(seed, monkeypatch):
    start = datetime(2026, 3, 2, 6, 0, tzinfo=timezone.utc)
    data = write_fit(SyntheticRun(start, 12_000.0, 3600, sample_interval_s=1, seed=seed))
    for variant in (data, data[: len(data) * 2 // 3], data[:-2] + b"\0\0", data + data):
        assert _read(variant, True, monkeypatch) == _read(variant, False, monkeypatch)


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
