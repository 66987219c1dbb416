"""Finding, recognising and connecting to a store file, and its errors as one sentence."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

def default_db_path() -> Path:
    """The store used when neither ``--db`` nor ``RUNLOAD_DB`` is given."""
    env = os.environ.get("RUNLOAD_DB")
    if env:
        return Path(env).expanduser()
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return Path(base) / "runload" / "runload.db"


def _foreign_tables(conn) -> bool:
    """True when the database holds tables but no runload schema version. Read again now: another
    process may have created the store since this one first looked (its first migration writes the
    tables and the version in one transaction, so tables without a version are someone else's)."""
    if not conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()[0]:
        return False
    return conn.execute("PRAGMA user_version").fetchone()[0] == 0


def _looks_like_sqlite(p: Path) -> bool:
    try:
        if p.stat().st_size == 0:
            return True
        with open(p, "rb") as fh:
            return fh.read(16) == b"SQLite format 3\x00"
    except OSError:
        return False


def _connect_readonly(p: Path, timeout_s: float) -> sqlite3.Connection:
    """A read-only connection; on a read-only file system or folder (no -shm file can be made)
    the file is opened as immutable: nothing can write it there anyway."""
    uri = f"file:{_uri_path(p)}?mode=ro"
    if not os.access(p.parent, os.W_OK) or not os.access(p, os.W_OK):
        uri += "&immutable=1"
    conn = sqlite3.connect(uri, uri=True, timeout=timeout_s, isolation_level=None, check_same_thread=False)
    try:
        conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
    except sqlite3.OperationalError as err:
        if "immutable" in uri or not ("unable to open" in str(err) or "readonly" in str(err)):
            raise
        conn.close()
        conn = sqlite3.connect(uri + "&immutable=1", uri=True, timeout=timeout_s, isolation_level=None,
                               check_same_thread=False)
    return conn


def _uri_path(p: Path) -> str:
    from urllib.parse import quote

    return quote(str(p.absolute()))




def _db_error_sentence(p: Path, err: Exception) -> str:
    text = str(err)
    if "disk is full" in text or "database or disk is full" in text:
        return (f"the disk holding the store {p} is full (or a file-size limit was reached); free some space and "
                "run the command again — whole files already imported are kept")
    if "disk I/O error" in text:
        return (f"the store {p} could not be written (disk I/O error: the disk may be full, failing or "
                "removed); free space or check the disk, then run the command again")
    if "locked" in text or "busy" in text:
        return f"the store {p} is locked by another runload process; try again when it has finished"
    if "readonly" in text or "read-only" in text:
        return f"the store {p} is read-only; make it writable or use another --db"
    if "not a database" in text or "malformed" in text or "corrupt" in text or "no such table" in text \
            or "no such column" in text or "Could not decode" in text:
        return f"the store {p} is damaged ({text}); it was left untouched — restore a backup or use another --db"
    if "unable to open" in text:
        return f"cannot open the store {p}; check the path and its permissions"
    return f"the store {p} could not be used: {text}"


def conn_close_quietly(conn) -> None:
    """Close a connection that may be half-open (used on error paths)."""
    if conn is not None:
        try:
            conn.close()
        except sqlite3.Error:
            pass
