"""Acceptance 8: a damaged or foreign store at the CLI: one sentence on stderr, exit 1, no traceback,
the file unchanged. (tests/test_store.py covers the library.)"""

from __future__ import annotations

import hashlib
import os
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from runload.cli import cli
from runload.store import Store

from .conftest import make_folder, run_cli

COMMANDS = {
    "activities": ["activities", "--format", "json"],
    "weeks": ["weeks"],
    "import": ["import", "{folder}", "--athlete", "ann"],
}


@pytest.fixture(scope="module")
def good_store(tmp_path_factory) -> tuple[bytes, Path]:
    root = tmp_path_factory.mktemp("good")
    folder = root / "w"
    make_folder(folder, 40)
    db = root / "good.db"
    assert run_cli(["import", str(folder), "--athlete", "ann"], db).returncode == 0
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return db.read_bytes(), folder


def _digest(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


def _one_sentence(stderr: str, *words: str) -> None:
    assert "Traceback" not in stderr
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert lines[0].startswith("Error: ")
    assert "unexpected problem" not in lines[0], lines[0]
    for word in words:
        assert word in lines[0], (word, lines[0])


def _damaged_variants(good: bytes) -> dict[str, bytes]:
    pages = len(good) // 4096
    out = {
        "truncated": good[: len(good) // 2],
        "garbage_after_header": good[:100] + bytes((i * 131 + 7) % 256 for i in range(len(good) - 100)),
        "not_sqlite": b"this is my training diary, not a database\n" * 50,
    }
    for page in (1, pages // 2, pages - 1):  # a table root, a middle page, the last page
        g = bytearray(good)
        g[4096 * page : 4096 * (page + 1)] = b"\xa5" * 4096
        out[f"page{page}"] = bytes(g)
    return out


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_damaged_store(good_store, tmp_path, command):
    good, folder = good_store
    for name, data in _damaged_variants(good).items():
        db = tmp_path / f"{name}.db"
        db.write_bytes(data)
        before = _digest(db)
        args = [a.replace("{folder}", str(folder)) for a in COMMANDS[command]]
        result = _invoke(args, db)
        assert result.exit_code == 1, (name, result.stdout[:200], result.stderr)
        _one_sentence(result.stderr, str(db))
        assert _digest(db) == before, f"{name}: the store file was changed by {command}"


def _make_newer(db: Path) -> None:
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA user_version = 99")
    conn.commit()
    conn.close()


def _make_foreign(db: Path) -> None:
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE recipes (id INTEGER PRIMARY KEY, name TEXT)")
    conn.execute("INSERT INTO recipes (name) VALUES ('pancakes')")
    conn.commit()
    conn.close()


def _make_foreign_versioned(db: Path) -> None:
    _make_foreign(db)
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA user_version = 1")
    conn.commit()
    conn.close()


@pytest.mark.parametrize("command", sorted(COMMANDS))
@pytest.mark.parametrize("kind, word", [("newer", "newer runload"), ("foreign", "not a runload store"),
                                        ("foreign_versioned", "not a runload store")])
def test_newer_and_foreign_store(good_store, tmp_path, command, kind, word):
    good, folder = good_store
    db = tmp_path / f"{kind}.db"
    if kind == "newer":
        db.write_bytes(good)
        _make_newer(db)
    elif kind == "foreign":
        _make_foreign(db)
    else:
        _make_foreign_versioned(db)
    before = _digest(db)
    result = _invoke([a.replace("{folder}", str(folder)) for a in COMMANDS[command]], db)
    assert result.exit_code == 1, result.stderr
    _one_sentence(result.stderr, word)
    assert _digest(db) == before


@pytest.mark.parametrize("command", ["activities", "import"])
def test_damaged_store_real_process(good_store, tmp_path, command):
    """The same through a real process: exactly one line on the real stderr, exit 1, no traceback."""
    good, folder = good_store
    db = tmp_path / "half.db"
    db.write_bytes(good[: len(good) // 2])
    before = _digest(db)
    proc = run_cli([a.replace("{folder}", str(folder)) for a in COMMANDS[command]], db)
    assert proc.returncode == 1
    _one_sentence(proc.stderr, "damaged")
    assert _digest(db) == before


def _invoke(args: list[str], db: Path):
    result = CliRunner().invoke(cli, ["--db", str(db), *args], catch_exceptions=True)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


def test_read_only_store(good_store, tmp_path, monkeypatch):
    """Writing refuses a read-only store with one sentence; reading still works. As root (who may write
    anything) the read-only file is simulated by os.access saying so."""
    good, folder = good_store
    db = tmp_path / "ro.db"
    db.write_bytes(good)
    db.chmod(0o444)
    before = _digest(db)
    if os.geteuid() == 0:
        real_access = os.access
        monkeypatch.setattr(os, "access", lambda p, mode, **kw: False if (Path(p) == db and mode & os.W_OK)
                            else real_access(p, mode, **kw))
    result = _invoke(["import", str(folder), "--athlete", "ann"], db)
    assert result.exit_code == 1
    _one_sentence(result.stderr, "read-only")
    result = _invoke(["activities", "--format", "json"], db)
    assert result.exit_code == 0, result.stderr
    assert _digest(db) == before


def test_locked_store(good_store, tmp_path, monkeypatch):
    """Another process holds the write lock: import waits its busy timeout, then says so (exit 1)."""
    good, folder = good_store
    db = tmp_path / "locked.db"
    db.write_bytes(good)
    Store.open(db).close()  # WAL mode, as a real store
    monkeypatch.setitem(Store.open.__func__.__kwdefaults__, "timeout_s", 0.5)
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        before = _digest(db)
        result = _invoke(["import", str(folder), "--athlete", "ann"], db)
        assert result.exit_code == 1
        _one_sentence(result.stderr, "locked")
        assert _digest(db) == before
    finally:
        holder.execute("ROLLBACK")
        holder.close()
