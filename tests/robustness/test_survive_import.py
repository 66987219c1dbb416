"""Issue 11, item 2: every failure to read one source gives one line and the batch goes on."""

from __future__ import annotations

import io
import os
import signal
import zipfile
import zlib
from pathlib import Path

import pytest

from runload import ingest
from runload.ingest import import_paths
from runload.limits import FIT_MEMORY_PER_BYTE
from runload.store import Store

from .conftest import make_folder, max_rss_mb, synthetic_bytes

MAIN_PID = os.getpid()
CRASH_MARK = b"<!-- crash the reader -->"


def parse_or_die(data, hints):
    """Stands in for ingest._parse: a file holding CRASH_MARK kills the worker process parsing it (like the
    OOM killer or a segfault in a native decoder would); any other file is parsed as usual."""
    if CRASH_MARK in data and os.getpid() != MAIN_PID:
        os.kill(os.getpid(), signal.SIGKILL)
    return REAL_PARSE(data, hints)


REAL_PARSE = ingest._parse


def test_a_worker_that_dies_costs_only_its_file(tmp_path, monkeypatch):
    folder = tmp_path / "watch"
    expected = make_folder(folder, 24)
    bad = folder / "a00007.gpx"
    bad.write_bytes(bad.read_bytes() + CRASH_MARK)
    monkeypatch.setattr(ingest, "_parse", parse_or_die)
    with Store.open(tmp_path / "r.db") as store:
        report = import_paths(store, [folder], "ann", jobs=2)
        stored = store.activities_frame("ann", with_hr=False)
    assert [(Path(f).name, r) for f, r in report.skipped] == [("a00007.gpx", ingest.WORKER_DIED)]
    assert report.runs == len(expected) - 1 == len(stored)
    assert os.getpid() == MAIN_PID


def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def _corrupt_deflate(archive: bytes, member: bytes) -> bytes:
    """Overwrite the middle of ``member``'s compressed bytes: the CRC cannot catch it before zlib fails."""
    start = archive.index(b"PK\x03\x04")
    name_len, extra_len = int.from_bytes(archive[start + 26:start + 28], "little"), \
        int.from_bytes(archive[start + 28:start + 30], "little")
    data_at = start + 30 + name_len + extra_len
    out = bytearray(archive)
    for i in range(data_at + 2, data_at + 40):
        out[i] = 0xFF
    return bytes(out)


def test_damaged_zip_in_a_folder_of_good_files(tmp_path):
    folder = tmp_path / "watch"
    make_folder(folder, 2)
    good = _zip({"x/run1.fit": synthetic_bytes(10, "fit"), "x/run2.gpx": synthetic_bytes(11, "gpx")})
    damaged = _corrupt_deflate(good, b"")
    with pytest.raises(zlib.error):  # the premise: reading that member raises zlib.error, not BadZipFile
        zipfile.ZipFile(io.BytesIO(damaged)).read("x/run1.fit")
    (folder / "export.zip").write_bytes(damaged)
    with Store.open(tmp_path / "r.db") as store:
        report = import_paths(store, [folder], "ann", jobs=1)
    assert report.runs == 3  # the two loose files and the intact member
    assert len(report.skipped) == 1
    label, reason = report.skipped[0]
    assert label.endswith("export.zip!x/run1.fit") and "damaged" in reason and "\n" not in reason


def test_member_with_an_empty_name_and_a_bad_lzma_member(tmp_path):
    folder = tmp_path / "watch"
    make_folder(folder, 1)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("ok.fit", synthetic_bytes(20, "fit"))
        zf.writestr(zipfile.ZipInfo("bad.fit"), synthetic_bytes(21, "fit"), compress_type=zipfile.ZIP_LZMA)
    data = bytearray(buf.getvalue())
    at = data.index(b"bad.fit") + len(b"bad.fit") + 10  # inside the LZMA stream of bad.fit
    data[at:at + 30] = b"\xff" * 30
    (folder / "lzma.zip").write_bytes(bytes(data))
    empty = io.BytesIO()
    with zipfile.ZipFile(empty, "w") as zf:
        zf.writestr("placeholder", b"x")
    raw = empty.getvalue().replace(b"placeholder", b"\x00" * 11)  # zipfile cuts the name at NUL: ''
    with pytest.raises(IndexError):  # the premise: zipfile itself fails on such a member
        zipfile.ZipFile(io.BytesIO(raw)).infolist()[0].is_dir()
    (folder / "empty-name.zip").write_bytes(raw)
    with Store.open(tmp_path / "r.db") as store:
        report = import_paths(store, [folder], "ann", jobs=1)
    assert report.runs == 2  # the loose file and lzma.zip!ok.fit
    labels = [Path(f).name for f, _ in report.skipped]
    assert "lzma.zip!bad.fit" in labels and "empty-name.zip!" in labels
    for _f, reason in report.skipped:
        assert reason and "\n" not in reason


def test_latin1_file_name_is_stored_and_shown_escaped(tmp_path):
    folder = tmp_path / "watch"
    make_folder(folder, 2)
    latin1 = os.fsencode(folder) + b"/l\xe4uft.fit"  # 'läuft' in Latin-1: not UTF-8
    with open(latin1, "wb") as fh:
        fh.write(synthetic_bytes(30, "fit"))
    with Store.open(tmp_path / "r.db") as store:
        report = import_paths(store, [folder], "ann", jobs=1)
        assert report.runs == 3 and not report.skipped
        paths = set(store.activities_frame("ann", with_hr=False)["source_path"])
        assert str(folder / "l\\xe4uft.fit") in paths
        again = import_paths(store, [folder], "ann", jobs=1)  # known by path, size and mtime
    assert again.known == 3 and again.imported == 0


def test_fifo_and_device_are_skipped_without_being_opened(tmp_path):
    folder = tmp_path / "watch"
    make_folder(folder, 2)
    os.mkfifo(folder / "pipe.fit")  # opening it for reading would block forever
    with Store.open(tmp_path / "r.db") as store:
        report = import_paths(store, [folder, folder / "pipe.fit", "/dev/zero"], "ann", jobs=1)
    assert report.runs == 2
    reasons = {Path(f).name: r for f, r in report.skipped}
    assert set(reasons) == {"pipe.fit", "zero"}
    assert "not a regular file" in reasons["pipe.fit"] and "not a regular file" in reasons["zero"]


def test_file_over_the_size_cap_is_refused_before_it_is_read(tmp_path):
    folder = tmp_path / "watch"
    make_folder(folder, 2)
    big = folder / "huge.gpx"
    with open(big, "wb") as fh:  # sparse: 1 GB of zeros that costs no disk, and would cost 1 GB of memory
        fh.truncate(1024 ** 3)
    peak_before = max_rss_mb()
    with Store.open(tmp_path / "r.db") as store:
        report = import_paths(store, [folder], "ann", jobs=1)
    assert max_rss_mb() - peak_before < 200, "the oversized file was read"
    assert report.runs == 2
    ((label, reason),) = report.skipped
    assert label.endswith("huge.gpx")
    assert "1,074 MB" in reason and f"{ingest.MAX_FILE_BYTES // 2**20} MB" in reason and "--max-file-mb" in reason


def test_the_size_cap_can_be_raised(tmp_path):
    folder = tmp_path / "watch"
    make_folder(folder, 1)
    run = folder / "a00000.fit"
    size = run.stat().st_size
    with Store.open(tmp_path / "r.db") as store:
        low = import_paths(store, [folder], "ann", jobs=1, max_file_bytes=size - 1)
        assert low.runs == 0 and "limit" in low.skipped[0][1]
        # a FIT file may have a quarter of the limit (it is read whole, about four bytes of memory a byte)
        fit_low = import_paths(store, [folder], "ann", jobs=1, max_file_bytes=size * FIT_MEMORY_PER_BYTE - 1)
        assert fit_low.runs == 0 and "a FIT file may have" in fit_low.skipped[0][1]
        high = import_paths(store, [folder], "ann", jobs=1, max_file_bytes=size * FIT_MEMORY_PER_BYTE)
    assert high.runs == 1 and not high.skipped
