"""Acceptance 7: two imports into one store at once, and a reader in a loop during an import (WAL)."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import time

from .conftest import RUNLOAD, cli_env, make_folder, run_cli


def test_two_imports_with_overlapping_folders(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    exp_a = make_folder(a, 30, start=0, two_session_every=7)
    exp_b = make_folder(b, 30, start=15, two_session_every=7)  # files 15..29 in both folders, same bytes
    expected = {**exp_a, **exp_b}
    total = sum(expected.values())
    db = tmp_path / "runload.db"
    procs = [
        subprocess.Popen([RUNLOAD, "import", str(folder), "--athlete", "ann", "--jobs", "1", "--format", "json"],
                         env=cli_env(db), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for folder in (a, b)
    ]
    outs = [p.communicate(timeout=120) for p in procs]
    for p, (out, err) in zip(procs, outs):
        assert p.returncode == 0, err
        assert "Traceback" not in err
    conn = sqlite3.connect(db)
    rows = conn.execute("SELECT source_path, content_hash, session_index FROM activities").fetchall()
    assert len(rows) == total
    # every activity stored once, whichever process got there first; the other saw it as known/duplicate
    assert len({(h, i) for _p, h, i in rows}) == total
    assert {p.rsplit("/", 1)[-1] for p, _h, _i in rows} == set(expected)
    reports = [json.loads(out) for out, _err in outs]
    assert sum(r["imported"] for r in reports) == total


def test_reader_never_sees_half_a_file(tmp_path):
    root = tmp_path / "w"
    expected = make_folder(root, 60, two_session_every=3)  # 20 two-session FIT files
    multi = {n for n, k in expected.items() if k == 2}
    db = tmp_path / "runload.db"
    # create the store and the athlete first, so the reader has something to open from the start
    seed = tmp_path / "seed"
    make_folder(seed, 1, start=200)  # distinct from the 60 files below, and not in the future
    assert run_cli(["import", str(seed), "--athlete", "ann", "--tz", "UTC"], db).returncode == 0

    writer = subprocess.Popen([RUNLOAD, "import", str(root), "--athlete", "ann", "--jobs", "2"], env=cli_env(db),
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    seen, loops = set(), 0
    try:
        while True:
            done = writer.poll() is not None
            for args in (["activities", "--format", "json"], ["weeks", "--format", "json"]):
                proc = run_cli(args, db, timeout=60)
                assert proc.returncode == 0, proc.stderr
                assert proc.stderr == ""
                data = json.loads(proc.stdout)
                if args[0] == "activities":
                    per_file: dict[str, int] = {}
                    for row in data:
                        name = row["source"].rsplit("/", 1)[-1]
                        per_file[name] = per_file.get(name, 0) + 1
                    half = [n for n in multi if per_file.get(n) == 1]
                    assert not half, f"reader saw half of {half}"
                    seen.add(len(data))
            loops += 1
            if done:
                break
    finally:
        if writer.poll() is None:
            writer.kill()
        writer.wait()
    assert writer.returncode == 0, writer.stderr.read()
    assert max(seen) == sum(expected.values()) + 1
    assert loops >= 2


def test_reader_during_long_write_transaction(tmp_path):
    """A reader is not blocked by an open write transaction (WAL): it sees the last committed state."""
    root = tmp_path / "w"
    make_folder(root, 3)
    db = tmp_path / "runload.db"
    assert run_cli(["import", str(root), "--athlete", "ann"], db).returncode == 0
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("BEGIN IMMEDIATE")
    conn.execute("DELETE FROM activities")
    try:
        start = time.perf_counter()
        proc = run_cli(["activities", "--format", "json"], db)
        assert proc.returncode == 0, proc.stderr
        assert len(json.loads(proc.stdout)) == 3
        assert time.perf_counter() - start < 10
    finally:
        conn.execute("ROLLBACK")
        conn.close()
