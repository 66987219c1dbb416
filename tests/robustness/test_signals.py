"""Issue 11, item 1: whatever ends ``runload import`` (SIGKILL, SIGTERM, SIGHUP), its parse workers end
with it within 5 s, a pipe reading its output sees end-of-file, and SIGTERM/SIGHUP are handled like Ctrl-C."""

from __future__ import annotations

import signal
import sqlite3

import pytest

from .conftest import RUNLOAD, cli_env, make_folder
from .killcheck import kill_import

#: Enough files that the pool (``--jobs 2``) is still busy when the signal comes (about 1 s of parsing
#: on 2 idle cores; the kill comes 0.15 s after the workers appear).
N_FILES = 400


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    root = tmp_path_factory.mktemp("signals") / "watch"
    make_folder(root, N_FILES)
    return root


@pytest.mark.parametrize("signum", [signal.SIGKILL, signal.SIGTERM, signal.SIGHUP],
                         ids=["SIGKILL", "SIGTERM", "SIGHUP"])
def test_killed_import_leaves_no_worker_and_closes_its_pipes(folder, tmp_path, signum):
    db = tmp_path / "runload.db"
    result = kill_import(RUNLOAD, folder, db, signum, cli_env(db))
    assert len(result.workers) >= 2, "the pool was not running when the signal came"
    assert result.left == [], f"workers still running 5 s after {signum.name}: {result.left}"
    assert result.eof_s is not None, "a reader of the import's output did not see end-of-file within 5 s"
    if signum == signal.SIGKILL:
        assert result.returncode == -signal.SIGKILL
    else:
        assert result.returncode == 128 + signum
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        assert len(lines) == 1 and "whole files already imported are kept" in lines[0], result.stderr
        assert "Traceback" not in result.stderr
    # whole files only: every activity has its log row, and the store is intact
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        stored = {r[0] for r in conn.execute("SELECT source_path FROM activities")}
        logged = {r[0] for r in conn.execute("SELECT source_path FROM import_files WHERE outcome = 'imported'")}
        assert stored == logged
    finally:
        conn.close()
