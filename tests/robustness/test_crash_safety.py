"""Acceptance 6: SIGKILL during ``runload import`` never leaves a damaged or half-written store, and the same
import run again completes it with nothing lost and nothing doubled."""

from __future__ import annotations

import random
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from .conftest import RUNLOAD, cli_env, make_folder, run_cli

N_FILES = 60


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    root = tmp_path_factory.mktemp("crash") / "watch"
    expected = make_folder(root, N_FILES, two_session_every=6)  # 10 two-session FIT files
    return root, expected


def check_store(db: Path, expected: dict[str, int]) -> int:
    """The store opens, passes integrity_check, and holds only whole files. Returns the activity count."""
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        if conn.execute("PRAGMA user_version").fetchone()[0] == 0:
            # killed while the new store's first migration ran: no table at all (what a fresh store looks
            # like; the next import creates them), never some tables without the others
            assert conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()[0] == 0
            return 0
        per_file = dict(conn.execute("SELECT source_path, COUNT(*) FROM activities GROUP BY source_path"))
        for path, n in per_file.items():
            assert n == expected[Path(path).name], f"{path}: {n} of {expected[Path(path).name]} sessions stored"
        # every stored file has its log row in the same transaction, and vice versa
        logged = {r[0] for r in conn.execute("SELECT source_path FROM import_files WHERE outcome = 'imported'")}
        assert logged == set(per_file), (logged ^ set(per_file))
        assert conn.execute("SELECT COUNT(*) FROM activities").fetchone()[0] == sum(per_file.values())
        dup = conn.execute(
            "SELECT content_hash, session_index, COUNT(*) FROM activities GROUP BY 1, 2 HAVING COUNT(*) > 1"
        ).fetchall()
        assert dup == []
        return sum(per_file.values())
    finally:
        conn.close()


def test_sigkill_at_random_points_then_resume(folder, tmp_path):
    root, expected = folder
    total = sum(expected.values())
    db = tmp_path / "runload.db"
    rng = random.Random(6)
    # kill at random points inside a full import, measured here (it takes about 0.5-1.5 s on 2 cores)
    t0 = time.perf_counter()
    assert run_cli(["import", str(root), "--athlete", "ann", "--jobs", "2"], tmp_path / "timing.db").returncode == 0
    full_s = time.perf_counter() - t0
    delays = sorted(rng.uniform(0.15 * full_s, 0.85 * full_s) for _ in range(5))
    counts, killed = [], 0
    for delay in delays:
        proc = subprocess.Popen([RUNLOAD, "import", str(root), "--athlete", "ann", "--jobs", "2"],
                                env=cli_env(db), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        time.sleep(delay)
        finished = proc.poll() is not None
        if not finished:
            proc.send_signal(signal.SIGKILL)
            killed += 1
        proc.wait(timeout=30)
        if db.exists():
            counts.append(check_store(db, expected))
        if finished:
            break
    assert killed >= 1, "the import always finished before the kill: the test proved nothing"
    assert all(c <= total for c in counts)
    proc = run_cli(["import", str(root), "--athlete", "ann"], db)
    assert proc.returncode == 0, proc.stderr
    assert check_store(db, expected) == total
    assert proc.stdout.count("Already in the store") <= 1
    # and once more: everything known, nothing doubled
    proc = run_cli(["import", str(root), "--athlete", "ann", "--format", "json"], db)
    assert proc.returncode == 0 and '"imported": 0' in proc.stdout
    assert check_store(db, expected) == total


def test_kill_while_parsing_in_worker_processes(folder, tmp_path):
    """Kill the whole process group (main + parse workers) mid-run: no orphan locks, resume is complete."""
    root, expected = folder
    total = sum(expected.values())
    db = tmp_path / "runload.db"
    proc = subprocess.Popen([RUNLOAD, "import", str(root), "--athlete", "ann", "--jobs", "2"], env=cli_env(db),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    time.sleep(1.0)
    if proc.poll() is None:
        import os

        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    if db.exists():
        check_store(db, expected)
    proc = run_cli(["import", str(root), "--athlete", "ann"], db)
    assert proc.returncode == 0, proc.stderr
    assert check_store(db, expected) == total
