"""Acceptance 4: hostile zip archives. Each bad member is refused with a reason, the good members of the
same archive import, and nothing is written outside the store."""

from __future__ import annotations

import os
import resource
import time
from pathlib import Path

import pytest

from runload.ingest import import_paths
from runload.store import Store

from .conftest import max_rss_mb, synthetic_bytes
from .zipcraft import build, deflated, stored, zeros_bomb


def _tree(root: Path) -> dict[str, int]:
    return {str(p.relative_to(root)): p.stat().st_size for p in root.rglob("*") if p.is_file() or p.is_symlink()}


def _nested(top: int, bottom: int) -> bytes:
    """The zip of nesting level ``top``: ``lvl{top}.tcx`` and ``nest{top+1}.zip``, down to level ``bottom``."""
    inner = build([deflated(f"lvl{bottom}.tcx", synthetic_bytes(20 + bottom, "tcx"))])
    for lvl in range(bottom - 1, top - 1, -1):
        inner = build([deflated(f"lvl{lvl}.tcx", synthetic_bytes(20 + lvl, "tcx")), stored(f"nest{lvl + 1}.zip", inner)])
    return inner


def hostile_export() -> tuple[bytes, set[str], dict[str, str]]:
    """(archive bytes, names of the good members, {bad member: word its reason must contain})."""
    bad_crc = deflated("lying_crc.fit", synthetic_bytes(3, "fit"))
    bad_crc.crc ^= 0x1
    lying_size = deflated("lying_size.fit", synthetic_bytes(4, "fit"))
    lying_size.size = 100  # declares 100 bytes, holds a whole file
    bomb_lie = zeros_bomb("bomb_lying.fit", 300)
    bomb_lie.size = 4096  # declares 4 kB: only the ratio/size read guard can stop it
    broken_deflate = deflated("broken_deflate.fit", synthetic_bytes(8, "fit"))
    broken_deflate.payload = broken_deflate.payload[:200] + b"\xff" * 64 + broken_deflate.payload[264:]
    members = [
        deflated("good/run1.fit", synthetic_bytes(1, "fit")),
        stored("good/run2.gpx", synthetic_bytes(2, "gpx")),
        deflated("good/run3.tcx.gz", synthetic_bytes(5, "tcx", gz=True)),
        zeros_bomb("bomb.fit", 1024),  # 1 GB of zeros, ~1 MB compressed
        deflated("../../evil.fit", synthetic_bytes(9, "fit")),
        deflated("/tmp/evil_abs.fit", synthetic_bytes(10, "fit")),
        deflated("sub\\..\\..\\evil_win.fit", synthetic_bytes(11, "fit")),
        deflated("..\\..\\evil_back.fit", synthetic_bytes(13, "fit")),  # was skipped silently as "hidden"
        stored("link.fit", b"/etc/passwd", external_attr=0o120777 << 16),
        deflated("encrypted.fit", synthetic_bytes(12, "fit"), flags=0x1),
        bad_crc,
        lying_size,
        bomb_lie,
        broken_deflate,
        stored("nest2.zip", _nested(2, 5)),  # export.zip is level 1; levels 2, 3 read, 4 and 5 refused
    ]
    good = {"good/run1.fit", "good/run2.gpx", "good/run3.tcx.gz", "lvl2.tcx", "lvl3.tcx"}
    bad = {
        "bomb.fit": "refused",
        "../../evil.fit": "unsafe path",
        "/tmp/evil_abs.fit": "unsafe path",
        "sub\\..\\..\\evil_win.fit": "unsafe path",
        "..\\..\\evil_back.fit": "unsafe path",
        "link.fit": "symbolic link",
        "encrypted.fit": "encrypted",
        "lying_crc.fit": "",
        "lying_size.fit": "",
        "bomb_lying.fit": "",
        "broken_deflate.fit": "",
        "nest4.zip": "nested too deeply",
    }
    return build(members), good, bad


def test_hostile_export_zip(tmp_path, monkeypatch):
    work = tmp_path / "a" / "b" / "c"  # '../../evil.fit' relative to the cwd would land in tmp_path/a
    work.mkdir(parents=True)
    monkeypatch.chdir(work)
    data, good, bad = hostile_export()
    (tmp_path / "export.zip").write_bytes(data)
    db = tmp_path / "store" / "runload.db"
    before = _tree(tmp_path)
    rss_before = max_rss_mb()
    start = time.perf_counter()
    with Store.open(db) as store:
        report = import_paths(store, [tmp_path / "export.zip"], athlete="x", jobs=1)
        stored_paths = {r[0] for r in store.conn.execute("SELECT source_path FROM activities")}
    took = time.perf_counter() - start
    # good members of the same archive imported (levels 2-3 of the nest too: depth <= 3)
    names = {p.split("!")[-1] for p in stored_paths}
    assert names == good, names
    assert report.imported == len(good)
    # every bad member refused with a one-line reason that says why
    skipped = {f.split("!")[-1]: why for f, why in report.skipped}
    assert set(skipped) == set(bad), {k: v for k, v in skipped.items() if k not in bad} or set(bad) - set(skipped)
    for name, word in bad.items():
        assert skipped[name] and "\n" not in skipped[name]
        assert word in skipped[name], (name, skipped[name])
    # nothing written outside the store; nothing created in the cwd or above it
    after = _tree(tmp_path)
    new = {p for p in after if p not in before}
    assert all(p.startswith("store/") for p in new), new
    assert not list(tmp_path.parent.glob("evil*")) and not Path("/tmp/evil_abs.fit").exists()
    # a 1 GB bomb is never inflated: quick, and the process's peak RSS stays small
    assert took < 20
    assert max_rss_mb() - rss_before < 300


def test_cli_imports_good_members_and_exits_3(tmp_path):
    from .conftest import run_cli

    data, good, bad = hostile_export()
    (tmp_path / "export.zip").write_bytes(data)
    proc = run_cli(["import", str(tmp_path / "export.zip"), "--athlete", "x", "--jobs", "2"], tmp_path / "s.db")
    assert proc.returncode == 3, proc.stderr
    assert "Traceback" not in proc.stderr
    assert f"Imported {len(good)} activities" in proc.stdout
    assert f"Skipped: {len(bad)} files" in proc.stdout


def test_archive_ratio_limit_in_a_folder(tmp_path):
    """A ratio bomb of modest absolute size (150 MB of zeros < the member limit) is refused by the ratio check."""
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "small_bomb.zip").write_bytes(
        build([zeros_bomb("zeros.gpx", 150), deflated("ok.fit", synthetic_bytes(30, "fit"))])
    )
    with Store.open(tmp_path / "s.db") as store:
        report = import_paths(store, [tmp_path / "in"], athlete="x", jobs=1)
    assert report.imported == 1
    ((label, why),) = report.skipped
    assert label.endswith("!zeros.gpx") and "compressed more than" in why
