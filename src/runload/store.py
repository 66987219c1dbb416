"""The embedded store: one SQLite file through the standard library.

* Default location: ``$RUNLOAD_DB``, else ``$XDG_DATA_HOME/runload/runload.db``
  (``~/.local/share/runload/runload.db``); the CLI's ``--db PATH`` wins over both.
* Schema versioned with ``PRAGMA user_version`` and ordered migrations; a store
  written by a newer runload is refused, never touched.
* WAL journal: readers never see half an import; each imported file is one
  ``BEGIN IMMEDIATE`` transaction, so a crash loses at most the file in flight.
* Times are stored as ISO-8601 UTC text plus Unix seconds for range queries.
"""

from __future__ import annotations

import json
import os
import sqlite3
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np
import pandas as pd

from runload.errors import NotFound, StoreError
from runload.models import Activity
from runload.safetext import safe_label

#: Two records are one activity when they start within this many seconds ...
DEDUP_START_S = 120
#: ... and their distances differ by at most this fraction of the longer one.
DEDUP_DISTANCE_RATIO = 0.03
#: Also one activity when they start within DEDUP_START_S, overlap in time by at
#: least this fraction of the shorter one and differ by at most
#: DEDUP_OVERLAP_DISTANCE_RATIO in distance: one person cannot record two real runs
#: that start together and run side by side (GPX geometry can be ~5 % longer than the
#: watch's own distance for the same run: see runpandas' twin files).
DEDUP_OVERLAP_RATIO = 0.95
DEDUP_OVERLAP_DISTANCE_RATIO = 0.08

_FORMAT_RANK = {"fit": 3, "tcx": 2, "gpx": 1}


def default_db_path() -> Path:
    """The store used when neither ``--db`` nor ``RUNLOAD_DB`` is given."""
    env = os.environ.get("RUNLOAD_DB")
    if env:
        return Path(env).expanduser()
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return Path(base) / "runload" / "runload.db"


# --------------------------------------------------------------------------- schema

_M1 = """
        CREATE TABLE athletes (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            tz TEXT,
            created_utc TEXT NOT NULL
        );
        CREATE TABLE shoes (
            id INTEGER PRIMARY KEY,
            athlete_id INTEGER NOT NULL REFERENCES athletes(id),
            name TEXT NOT NULL,
            start_distance_m REAL NOT NULL DEFAULT 0,
            check_at_m REAL,
            retire_at_m REAL,
            retired_on TEXT,
            is_default INTEGER NOT NULL DEFAULT 0,
            created_utc TEXT NOT NULL,
            UNIQUE (athlete_id, name)
        );
        CREATE TABLE shoe_assignments (
            id INTEGER PRIMARY KEY,
            shoe_id INTEGER NOT NULL REFERENCES shoes(id),
            from_date TEXT NOT NULL,
            to_date TEXT
        );
        CREATE TABLE activities (
            id INTEGER PRIMARY KEY,
            athlete_id INTEGER NOT NULL REFERENCES athletes(id),
            start_utc TEXT NOT NULL,
            start_unix INTEGER NOT NULL,
            utc_offset_s INTEGER,
            sport TEXT NOT NULL,
            sub_sport TEXT,
            distance_m REAL,
            moving_s REAL,
            elapsed_s REAL,
            avg_hr_bpm REAL,
            max_hr_bpm REAL,
            ascent_m REAL,
            device TEXT,
            name TEXT,
            gear TEXT,
            has_gps INTEGER NOT NULL DEFAULT 0,
            hr_seconds_by_bpm TEXT,
            source_format TEXT NOT NULL,
            source_path TEXT NOT NULL,
            content_hash TEXT NOT NULL,
            session_index INTEGER NOT NULL DEFAULT 0,
            recovered TEXT,
            notes TEXT NOT NULL DEFAULT '[]',
            shoe_id INTEGER REFERENCES shoes(id),
            shoe_explicit INTEGER NOT NULL DEFAULT 0,
            imported_utc TEXT NOT NULL,
            UNIQUE (athlete_id, content_hash, session_index)
        );
        CREATE INDEX activities_by_start ON activities (athlete_id, start_unix);
        CREATE TABLE duplicates (
            id INTEGER PRIMARY KEY,
            athlete_id INTEGER NOT NULL REFERENCES athletes(id),
            activity_id INTEGER NOT NULL REFERENCES activities(id),
            source_path TEXT NOT NULL,
            content_hash TEXT NOT NULL,
            session_index INTEGER NOT NULL DEFAULT 0,
            source_format TEXT,
            distance_m REAL,
            start_utc TEXT,
            imported_utc TEXT NOT NULL,
            UNIQUE (athlete_id, content_hash, session_index)
        );
        CREATE TABLE imports (
            id INTEGER PRIMARY KEY,
            athlete_id INTEGER REFERENCES athletes(id),
            started_utc TEXT NOT NULL,
            finished_utc TEXT,
            paths TEXT NOT NULL,
            imported INTEGER NOT NULL DEFAULT 0,
            duplicates INTEGER NOT NULL DEFAULT 0,
            other_sports INTEGER NOT NULL DEFAULT 0,
            skipped INTEGER NOT NULL DEFAULT 0,
            known INTEGER NOT NULL DEFAULT 0
        );
        CREATE TABLE import_files (
            id INTEGER PRIMARY KEY,
            athlete_id INTEGER NOT NULL REFERENCES athletes(id),
            import_id INTEGER REFERENCES imports(id),
            source_path TEXT NOT NULL,
            size INTEGER,
            mtime REAL,
            content_hash TEXT,
            outcome TEXT NOT NULL,
            reason TEXT,
            logged_utc TEXT NOT NULL
        );
        CREATE INDEX import_files_by_path ON import_files (athlete_id, source_path);
        CREATE INDEX import_files_by_hash ON import_files (athlete_id, content_hash);
"""

#: Schema 2: user-declared gaps (watch not worn, illness): days whose data are missing (science.md C3).
#: Additive only, so a schema-1 store keeps every row.
_M2 = """
        CREATE TABLE gaps (
            id INTEGER PRIMARY KEY,
            athlete_id INTEGER NOT NULL REFERENCES athletes(id),
            from_date TEXT NOT NULL,
            to_date TEXT NOT NULL,
            reason TEXT,
            created_utc TEXT NOT NULL
        );
        CREATE INDEX gaps_by_athlete ON gaps (athlete_id, from_date);
"""

#: Ordered migrations (SQL scripts); index i brings a store from version i to i + 1.
#: Each runs in its own transaction together with its version bump.
MIGRATIONS: tuple[str, ...] = (_M1, _M2)
SCHEMA_VERSION = len(MIGRATIONS)


def _statements(script: str) -> list[str]:
    """The SQL statements of a migration script, one by one (so they run inside one transaction)."""
    out, buf = [], ""
    for line in script.splitlines(keepends=True):
        buf += line
        if sqlite3.complete_statement(buf):
            out.append(buf.strip())
            buf = ""
    if buf.strip():
        out.append(buf.strip())
    return out


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _iso(dt: datetime) -> str:
    return dt.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class StoredRef:
    """A short description of a stored activity, for "duplicate of ..." lines."""

    id: int
    start_utc: str
    sport: str
    distance_m: float | None
    source_path: str

    def describe(self) -> str:
        dist = f"{self.distance_m / 1000:.2f} km" if self.distance_m else "no distance"
        return f"{self.sport} {self.start_utc} ({dist}) from {self.source_path}"


@dataclass(frozen=True)
class StoreResult:
    """What :meth:`Store.add_file` did with one file's activities."""

    added: tuple[int, ...] = ()
    stored: tuple[Activity, ...] = ()
    """The activities newly stored or stored in place of a poorer record."""
    duplicates: tuple[tuple[Activity, StoredRef], ...] = ()
    replaced: tuple[tuple[Activity, StoredRef], ...] = ()
    already: int = 0


class Store:
    """An open runload store. Use :meth:`open`; close with :meth:`close` or ``with``."""

    def __init__(self, conn: sqlite3.Connection, path: Path, readonly: bool):
        self.conn = conn
        self.path = path
        self.readonly = readonly

    # ------------------------------------------------------------------ opening
    @classmethod
    def open(cls, path: str | os.PathLike | None = None, *, readonly: bool = False, create: bool = True,
             timeout_s: float = 60.0, verify: bool = True) -> "Store":
        """Open (and, unless ``readonly``, create or migrate) the store at ``path``.

        Raises :class:`StoreError` with one sentence for a missing, corrupt,
        read-only, locked or newer-schema store; the file is never overwritten.
        """
        p = Path(path).expanduser() if path is not None else default_db_path()
        if p.exists() and p.is_dir():
            raise StoreError(f"{p} is a folder, not a runload store; give a file path with --db")
        if readonly or not create:
            if not p.exists():
                raise StoreError(f"no runload store at {p}; import activities first with 'runload import PATH'")
        if readonly and p.exists() and not _looks_like_sqlite(p):
            raise StoreError(f"{p} is not a runload store (not an SQLite database); point --db at another file")
        if not readonly:
            if p.exists() and not _looks_like_sqlite(p):
                raise StoreError(
                    f"{p} is not a runload store (not an SQLite database); it was left untouched, "
                    "point --db at another file"
                )
            try:
                p.parent.mkdir(parents=True, exist_ok=True)
            except OSError as err:
                raise StoreError(f"cannot create the folder for the store {p}: {err.strerror}") from None
            if p.exists() and not os.access(p, os.W_OK):
                raise StoreError(f"the store {p} is read-only; make it writable or use another --db")
            if not p.exists() and not os.access(p.parent, os.W_OK):
                raise StoreError(f"cannot create the store {p}: its folder is not writable")
        try:
            if readonly:
                conn = _connect_readonly(p, timeout_s)
            else:
                conn = sqlite3.connect(p, timeout=timeout_s, isolation_level=None, check_same_thread=False)
            conn.execute(f"PRAGMA busy_timeout = {int(timeout_s * 1000)}")
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            # A damaged page may sit where no query of this command looks (an index, the import log, the
            # free list): find it before anything writes, so a damaged store is refused and left untouched
            # instead of being written into or failing later with a raw DatabaseError.
            # verify=False only for a reader whose caller has just checked the same file (parallel workers)
            problem = conn.execute("PRAGMA quick_check(1)").fetchone()[0] if version and verify else "ok"
        except sqlite3.DatabaseError as err:
            conn_close_quietly(locals().get("conn"))
            raise StoreError(_db_error_sentence(p, err)) from None
        if problem != "ok":
            conn.close()
            raise StoreError(
                f"the store {p} is damaged ({' '.join(str(problem).split())[:120]}); it was left untouched — "
                "restore a backup or use another --db"
            )
        if version > SCHEMA_VERSION:
            conn.close()
            raise StoreError(
                f"the store {p} was written by a newer runload (schema {version}; this version reads up to "
                f"{SCHEMA_VERSION}); upgrade runload — the store was not changed"
            )
        store = cls(conn, p, readonly)
        try:
            if not readonly:
                # refuse a foreign database before anything writes: switching it to WAL changes its header
                if version > 0:
                    store._check_tables()
                elif conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()[0]:
                    raise StoreError(
                        f"{p} is an SQLite database but not a runload store; it was left untouched, "
                        "point --db at another file"
                    )
                try:
                    conn.execute("PRAGMA journal_mode = WAL")
                except sqlite3.OperationalError:
                    pass  # e.g. on a file system without shared memory; rollback journal still atomic
                conn.execute("PRAGMA synchronous = NORMAL")
                conn.execute("PRAGMA foreign_keys = ON")
                store._migrate(version)
            elif version == 0:
                foreign = conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()[0]
                conn.close()
                if foreign:
                    raise StoreError(
                        f"{p} is an SQLite database but not a runload store; it was left untouched, "
                        "point --db at another file"
                    )
                raise StoreError(f"{p} is empty, not a runload store yet; import activities first")
            elif version < SCHEMA_VERSION:
                store._check_tables()  # a foreign database is named as such, not as an old store
                conn.close()
                raise StoreError(
                    f"the store {p} has an older schema ({version}); open it once with a writing command "
                    "such as 'runload import' to migrate it"
                )
            store._check_tables()
        except sqlite3.DatabaseError as err:
            conn.close()
            raise StoreError(_db_error_sentence(p, err)) from None
        except StoreError:
            conn_close_quietly(conn)
            raise
        return store

    def _migrate(self, version: int) -> None:
        if version == SCHEMA_VERSION:
            return
        if version > 0:
            self._check_tables()
        elif self.conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()[0]:
            raise StoreError(
                f"{self.path} is an SQLite database but not a runload store; it was left untouched, "
                "point --db at another file"
            )
        for i in range(version, SCHEMA_VERSION):
            try:
                # the version is read again under the write lock: another process may have migrated
                # while this one waited, and a migration must run exactly once
                self.conn.execute("BEGIN IMMEDIATE")
                current = self.conn.execute("PRAGMA user_version").fetchone()[0]
                if current > i:
                    self.conn.execute("COMMIT")
                    continue
                for statement in _statements(MIGRATIONS[i]):
                    self.conn.execute(statement)
                self.conn.execute(f"PRAGMA user_version = {i + 1}")
                self.conn.execute("COMMIT")
            except sqlite3.DatabaseError:
                if self.conn.in_transaction:
                    self.conn.execute("ROLLBACK")
                raise

    def _check_tables(self) -> None:
        """Refuse (before anything writes) a database that lacks a table or column its schema version implies."""
        version = self.conn.execute("PRAGMA user_version").fetchone()[0]
        names = {r[0] for r in self.conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        expected = _expected_columns(min(max(version, 1), SCHEMA_VERSION))
        ok = set(expected) <= names
        for table, columns in expected.items() if ok else ():
            have = {r[1] for r in self.conn.execute(f"PRAGMA table_info({table})")}
            if not columns <= have:
                ok = False
                break
        if not ok:
            raise StoreError(
                f"{self.path} is an SQLite database but not a runload store; it was left untouched, "
                "point --db at another file"
            )

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """``BEGIN IMMEDIATE`` … ``COMMIT``; rolled back on any exception."""
        if self.readonly:
            raise StoreError(f"the store {self.path} was opened read-only")
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as err:
            raise StoreError(_db_error_sentence(self.path, err)) from None
        try:
            yield self.conn
        except sqlite3.DatabaseError as err:  # a full disk, a damaged page...: one sentence
            self._rollback()
            raise StoreError(_db_error_sentence(self.path, err)) from None
        except BaseException:
            self._rollback()
            raise
        else:
            try:
                self.conn.execute("COMMIT")
            except sqlite3.DatabaseError as err:
                self._rollback()
                raise StoreError(_db_error_sentence(self.path, err)) from None

    def _rollback(self) -> None:
        """Roll back if a transaction is still open (SQLite ends one itself on a full disk)."""
        try:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
        except sqlite3.DatabaseError:
            pass

    # ------------------------------------------------------------------ athletes
    def athlete_id(self, name: str, *, create: bool = False, tz: str | None = None) -> int:
        """The id of athlete ``name``; created when ``create`` (then ``tz`` is stored)."""
        row = self.conn.execute("SELECT id, tz FROM athletes WHERE name = ?", (name,)).fetchone()
        if row:
            if tz and row[1] != tz and create:
                with self.transaction():
                    self.conn.execute("UPDATE athletes SET tz = ? WHERE id = ?", (tz, row[0]))
            return row[0]
        if not create:
            known = ", ".join(self.athlete_names()) or "none yet"
            raise NotFound(f"no athlete named {name!r} in the store (athletes: {known})")
        with self.transaction():
            # another process may have created the same athlete since the SELECT above
            self.conn.execute(
                "INSERT OR IGNORE INTO athletes (name, tz, created_utc) VALUES (?, ?, ?)", (name, tz, _now())
            )
            return self.conn.execute("SELECT id FROM athletes WHERE name = ?", (name,)).fetchone()[0]

    def athlete_names(self) -> list[str]:
        return [r[0] for r in self.conn.execute("SELECT name FROM athletes ORDER BY name")]

    def athletes(self) -> list[dict]:
        """All athletes with their time zone and activity counts."""
        rows = self.conn.execute(
            """SELECT a.name, a.tz,
                      (SELECT COUNT(*) FROM activities x WHERE x.athlete_id = a.id),
                      (SELECT COUNT(*) FROM activities x WHERE x.athlete_id = a.id AND x.sport = 'running')
               FROM athletes a ORDER BY a.name"""
        ).fetchall()
        return [{"name": r[0], "tz": r[1], "activities": r[2], "runs": r[3]} for r in rows]

    def athlete_tz(self, name: str) -> str | None:
        row = self.conn.execute("SELECT tz FROM athletes WHERE name = ?", (name,)).fetchone()
        if row is None:
            raise NotFound(f"no athlete named {name!r} in the store")
        return row[0]

    # ------------------------------------------------------------------ import log
    def known_file(self, athlete_id: int, source_path: str, size: int | None, mtime: float | None):
        """The last log row for this path when its size and mtime are unchanged, else None."""
        if size is None or mtime is None:
            return None
        source_path = safe_label(source_path)
        row = self.conn.execute(
            """SELECT outcome, reason, content_hash FROM import_files
               WHERE athlete_id = ? AND source_path = ? AND size = ? AND mtime = ?
               ORDER BY id DESC LIMIT 1""",
            (athlete_id, source_path, size, mtime),
        ).fetchone()
        return row

    def known_hash(self, athlete_id: int, content_hash: str):
        """How a file with this content was handled before, or None."""
        row = self.conn.execute(
            """SELECT outcome, reason FROM import_files
               WHERE athlete_id = ? AND content_hash = ? AND outcome IN ('imported', 'duplicate', 'skipped')
               ORDER BY id DESC LIMIT 1""",
            (athlete_id, content_hash),
        ).fetchone()
        if row:
            return row
        if self.conn.execute(
            "SELECT 1 FROM activities WHERE athlete_id = ? AND content_hash = ? LIMIT 1", (athlete_id, content_hash)
        ).fetchone():
            return ("imported", None)
        return None

    def begin_import(self, athlete_id: int, paths: list[str]) -> int:
        with self.transaction():
            cur = self.conn.execute(
                "INSERT INTO imports (athlete_id, started_utc, paths) VALUES (?, ?, ?)",
                (athlete_id, _now(), json.dumps(paths)),
            )
            return cur.lastrowid

    def finish_import(self, import_id: int, counts: dict) -> None:
        with self.transaction():
            self.conn.execute(
                """UPDATE imports SET finished_utc = ?, imported = ?, duplicates = ?, other_sports = ?,
                   skipped = ?, known = ? WHERE id = ?""",
                (
                    _now(), counts.get("imported", 0), counts.get("duplicates", 0),
                    counts.get("other_sports", 0), counts.get("skipped", 0), counts.get("known", 0), import_id,
                ),
            )

    def log_file(self, athlete_id: int, import_id: int | None, source_path: str, size, mtime, content_hash,
                 outcome: str, reason: str | None = None, *, conn: sqlite3.Connection | None = None) -> None:
        """Record what happened to one file (used for incremental re-import)."""
        source_path = safe_label(source_path)
        sql = """INSERT INTO import_files (athlete_id, import_id, source_path, size, mtime, content_hash,
                 outcome, reason, logged_utc) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"""
        args = (athlete_id, import_id, source_path, size, mtime, content_hash, outcome, reason, _now())
        if conn is not None:
            conn.execute(sql, args)
        else:
            with self.transaction() as c:
                c.execute(sql, args)

    # ------------------------------------------------------------------ activities
    def add_file(
        self,
        athlete_id: int,
        activities: list[Activity],
        *,
        source_path: str,
        content_hash: str,
        size: int | None = None,
        mtime: float | None = None,
        import_id: int | None = None,
        shoe: str | None = None,
    ) -> StoreResult:
        """Store one file's activities in ONE transaction, with cross-source dedup.

        An activity that matches a stored one (same sport; starts within 2 min and
        distances within 3 %, or the two overlap in time almost entirely) is not
        stored again: the richer record is kept (FIT > TCX > GPX, then heart rate,
        GPS, more fields) and the other is logged as a duplicate. Two activities of
        one file are never merged with each other.
        """
        source_path = safe_label(source_path)
        added: list[int] = []
        stored: list[Activity] = []
        dups: list[tuple[Activity, StoredRef]] = []
        replaced: list[tuple[Activity, StoredRef]] = []
        already = 0
        with self.transaction() as conn:
            for index, act in enumerate(activities):
                if conn.execute(
                    "SELECT 1 FROM activities WHERE athlete_id=? AND content_hash=? AND session_index=?",
                    (athlete_id, content_hash, index),
                ).fetchone() or conn.execute(
                    "SELECT 1 FROM duplicates WHERE athlete_id=? AND content_hash=? AND session_index=?",
                    (athlete_id, content_hash, index),
                ).fetchone():
                    already += 1
                    continue
                match = self._find_duplicate(conn, athlete_id, act, content_hash)
                if match is not None:
                    ref = match
                    stored_score = self._score_row(conn, ref.id)
                    if _score(act) > stored_score:
                        self._replace(conn, athlete_id, ref.id, act, source_path, content_hash, index)
                        replaced.append((act, ref))
                        stored.append(act)
                    else:
                        conn.execute(
                            """INSERT INTO duplicates (athlete_id, activity_id, source_path, content_hash,
                               session_index, source_format, distance_m, start_utc, imported_utc)
                               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                            (athlete_id, ref.id, source_path, content_hash, index, act.source_format,
                             act.distance_m, _iso(act.start_utc), _now()),
                        )
                        dups.append((act, ref))
                    continue
                shoe_id, explicit = self._shoe_for(conn, athlete_id, act, shoe)
                cur = conn.execute(
                    """INSERT INTO activities (athlete_id, start_utc, start_unix, utc_offset_s, sport, sub_sport,
                       distance_m, moving_s, elapsed_s, avg_hr_bpm, max_hr_bpm, ascent_m, device, name, gear,
                       has_gps, hr_seconds_by_bpm, source_format, source_path, content_hash, session_index,
                       recovered, notes, shoe_id, shoe_explicit, imported_utc)
                       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                    (athlete_id, *_activity_values(act), source_path, content_hash, index,
                     act.recovered, json.dumps(list(act.notes)), shoe_id, explicit, _now()),
                )
                added.append(cur.lastrowid)
                stored.append(act)
            outcome = "imported" if added or replaced else ("duplicate" if dups else "known")
            self.log_file(athlete_id, import_id, source_path, size, mtime, content_hash, outcome,
                          None if outcome != "duplicate" else dups[0][1].describe(), conn=conn)
        return StoreResult(tuple(added), tuple(stored), tuple(dups), tuple(replaced), already)

    def _find_duplicate(self, conn, athlete_id: int, act: Activity, content_hash: str) -> StoredRef | None:
        start = int(act.start_utc.timestamp())
        rows = conn.execute(
            """SELECT id, start_utc, sport, distance_m, source_path, start_unix, elapsed_s, moving_s, content_hash
               FROM activities WHERE athlete_id = ? AND start_unix BETWEEN ? AND ? AND sport = ?""",
            (athlete_id, start - DEDUP_START_S, start + DEDUP_START_S, act.sport),
        ).fetchall()
        best = None
        for row in rows:
            if row[8] == content_hash:
                continue  # another session of the same file is a different activity
            if _same_activity(act, start, row[3], row[5], row[6] or row[7]):
                gap = abs(row[5] - start)
                if best is None or gap < best[0]:
                    best = (gap, StoredRef(row[0], row[1], row[2], row[3], row[4]))
        return best[1] if best else None

    def _score_row(self, conn, activity_id: int) -> tuple:
        row = conn.execute(
            """SELECT source_format, avg_hr_bpm, has_gps, distance_m, moving_s, elapsed_s, ascent_m, device
               FROM activities WHERE id = ?""",
            (activity_id,),
        ).fetchone()
        fields = sum(v is not None for v in row[3:])
        return (row[1] is not None, _FORMAT_RANK.get(row[0], 0), bool(row[2]), fields)

    def _replace(self, conn, athlete_id, activity_id, act, source_path, content_hash, index) -> None:
        old = conn.execute(
            "SELECT source_path, content_hash, session_index, source_format, distance_m, start_utc "
            "FROM activities WHERE id = ?",
            (activity_id,),
        ).fetchone()
        conn.execute(
            """INSERT INTO duplicates (athlete_id, activity_id, source_path, content_hash, session_index,
               source_format, distance_m, start_utc, imported_utc) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            (athlete_id, activity_id, old[0], old[1], old[2], old[3], old[4], old[5], _now()),
        )
        conn.execute(
            """UPDATE activities SET start_utc=?, start_unix=?, utc_offset_s=?, sport=?, sub_sport=?, distance_m=?,
               moving_s=?, elapsed_s=?, avg_hr_bpm=?, max_hr_bpm=?, ascent_m=?, device=?, name=COALESCE(name, ?),
               gear=COALESCE(gear, ?), has_gps=?, hr_seconds_by_bpm=?, source_format=?, source_path=?,
               content_hash=?, session_index=?, recovered=?, notes=? WHERE id=?""",
            (*_activity_values(act), source_path, content_hash, index, act.recovered,
             json.dumps(list(act.notes)), activity_id),
        )

    # ------------------------------------------------------------------ shoes
    def _shoe_for(self, conn, athlete_id: int, act: Activity, shoe: str | None) -> tuple[int | None, int]:
        """Shoe for a new activity: --shoe, then the file's gear, then an assignment, then the default."""
        if not act.is_run:
            return None, 0
        if shoe:
            return self._ensure_shoe(conn, athlete_id, shoe), 1
        if act.gear:
            return self._ensure_shoe(conn, athlete_id, act.gear), 1
        return self._assigned_shoe(conn, athlete_id, act), 0

    def _assigned_shoe(self, conn, athlete_id: int, act: Activity) -> int | None:
        day = _local_day(conn, athlete_id, act.start_utc, act.utc_offset_s)
        row = conn.execute(
            """SELECT s.id FROM shoe_assignments a JOIN shoes s ON s.id = a.shoe_id
               WHERE s.athlete_id = ? AND a.from_date <= ? AND (a.to_date IS NULL OR a.to_date >= ?)
               ORDER BY a.id DESC LIMIT 1""",
            (athlete_id, day, day),
        ).fetchone()
        if row:
            return row[0]
        row = conn.execute("SELECT id FROM shoes WHERE athlete_id = ? AND is_default = 1", (athlete_id,)).fetchone()
        return row[0] if row else None

    def _ensure_shoe(self, conn, athlete_id: int, name: str) -> int:
        name = safe_label(name.strip())  # a gear name from a file may hold escape sequences
        row = conn.execute("SELECT id FROM shoes WHERE athlete_id = ? AND name = ?", (athlete_id, name)).fetchone()
        if row:
            return row[0]
        cur = conn.execute(
            "INSERT INTO shoes (athlete_id, name, created_utc) VALUES (?, ?, ?)", (athlete_id, name, _now())
        )
        return cur.lastrowid

    def add_shoe(self, athlete: str, name: str, *, start_distance_m: float = 0.0, check_at_m: float | None = None,
                 retire_at_m: float | None = None, default: bool = False, tz: str | None = None) -> None:
        """Create a shoe (or update its limits when it exists already)."""
        athlete_id = self.athlete_id(athlete, create=True, tz=tz)
        with self.transaction() as conn:
            sid = self._ensure_shoe(conn, athlete_id, name)
            conn.execute(
                """UPDATE shoes SET start_distance_m = ?, check_at_m = COALESCE(?, check_at_m),
                   retire_at_m = COALESCE(?, retire_at_m) WHERE id = ?""",
                (start_distance_m, check_at_m, retire_at_m, sid),
            )
            if default:
                conn.execute("UPDATE shoes SET is_default = 0 WHERE athlete_id = ?", (athlete_id,))
                conn.execute("UPDATE shoes SET is_default = 1 WHERE id = ?", (sid,))
                conn.execute(
                    "UPDATE activities SET shoe_id = ? WHERE athlete_id = ? AND sport = 'running' AND shoe_id IS NULL",
                    (sid, athlete_id),
                )

    def _shoe_id(self, athlete_id: int, name: str) -> int:
        row = self.conn.execute(
            "SELECT id FROM shoes WHERE athlete_id = ? AND name = ?", (athlete_id, name)
        ).fetchone()
        if not row:
            known = [r[0] for r in self.conn.execute("SELECT name FROM shoes WHERE athlete_id=? ORDER BY name",
                                                     (athlete_id,))]
            raise NotFound(f"no shoe named {name!r} (shoes: {', '.join(known) or 'none yet'}); add it with "
                           "'runload shoes add'")
        return row[0]

    def assign_shoe(self, athlete: str, name: str, from_date: date, to_date: date | None = None) -> int:
        """Give runs on local dates ``from_date``..``to_date`` this shoe; returns how many runs changed.

        Runs whose shoe was set explicitly (``--shoe`` or the file's gear) keep it.
        """
        athlete_id = self.athlete_id(athlete)
        sid = self._shoe_id(athlete_id, name)
        tz = self.athlete_tz(athlete)
        frame = self.activities_frame(athlete)
        changed = 0
        with self.transaction() as conn:
            conn.execute(
                "INSERT INTO shoe_assignments (shoe_id, from_date, to_date) VALUES (?, ?, ?)",
                (sid, from_date.isoformat(), to_date.isoformat() if to_date else None),
            )
            if not frame.empty:
                from runload.tables import local_dates

                days = local_dates(frame, tz).dt.date
                mask = (frame["sport"] == "running") & (days >= from_date)
                if to_date:
                    mask &= days <= to_date
                ids = [int(i) for i in frame.loc[mask, "id"]]
                for i in ids:
                    cur = conn.execute(
                        "UPDATE activities SET shoe_id = ? WHERE id = ? AND shoe_explicit = 0", (sid, i)
                    )
                    changed += cur.rowcount
        return changed

    def retire_shoe(self, athlete: str, name: str, on: date) -> None:
        athlete_id = self.athlete_id(athlete)
        sid = self._shoe_id(athlete_id, name)
        with self.transaction() as conn:
            conn.execute("UPDATE shoes SET retired_on = ?, is_default = 0 WHERE id = ?", (on.isoformat(), sid))

    def shoes_frame(self, athlete: str) -> pd.DataFrame:
        """The athlete's shoes: name, start_distance_m, check_at_m, retire_at_m, retired_on, is_default."""
        athlete_id = self.athlete_id(athlete)
        rows = self.conn.execute(
            """SELECT name, start_distance_m, check_at_m, retire_at_m, retired_on, is_default
               FROM shoes WHERE athlete_id = ? ORDER BY name""",
            (athlete_id,),
        ).fetchall()
        names, start, check_at, retire_at, retired, default = (list(c) for c in zip(*rows)) if rows else ([],) * 6
        # built column by column: a DataFrame of rows converted afterwards costs ms per athlete
        return pd.DataFrame({
            "name": pd.Series(names, dtype=object),
            "start_distance_m": np.array(start, dtype=np.float64),
            "check_at_m": _activity_column("check_at_m", check_at),
            "retire_at_m": _activity_column("retire_at_m", retire_at),
            "retired_on": pd.Series([date.fromisoformat(v) if v else None for v in retired], dtype=object),
            "is_default": np.array([bool(v) for v in default], dtype=bool),
        })

    # ------------------------------------------------------------------ gaps
    def add_gap(self, athlete: str, from_date: date, to_date: date, reason: str | None = None) -> int:
        """Declare the local dates ``from_date``..``to_date`` (inclusive) of ``athlete`` missing
        (watch not worn, illness); returns the gap's id. Raises ValueError when ``to_date`` is
        before ``from_date``."""
        if to_date < from_date:
            raise ValueError(f"the gap ends ({to_date.isoformat()}) before it starts ({from_date.isoformat()})")
        athlete_id = self.athlete_id(athlete)
        reason = reason.strip() if isinstance(reason, str) and reason.strip() else None
        with self.transaction() as conn:
            cur = conn.execute(
                "INSERT INTO gaps (athlete_id, from_date, to_date, reason, created_utc) VALUES (?, ?, ?, ?, ?)",
                (athlete_id, from_date.isoformat(), to_date.isoformat(), reason, _now()),
            )
            return cur.lastrowid

    def remove_gap(self, athlete: str, gap_id: int) -> None:
        """Delete gap ``gap_id`` of ``athlete``; :class:`NotFound` when the athlete has no such gap."""
        athlete_id = self.athlete_id(athlete)
        with self.transaction() as conn:
            cur = conn.execute("DELETE FROM gaps WHERE id = ? AND athlete_id = ?", (int(gap_id), athlete_id))
        if cur.rowcount == 0:
            known = [str(r[0]) for r in self.conn.execute(
                "SELECT id FROM gaps WHERE athlete_id = ? ORDER BY id", (athlete_id,))]
            raise NotFound(f"{athlete} has no gap with id {gap_id} (gap ids: {', '.join(known) or 'none yet'}); "
                           "see 'runload gaps list'")

    def gaps_frame(self, athlete: str) -> pd.DataFrame:
        """The athlete's declared gaps, oldest first: ``id``, ``from_date``, ``to_date``
        (``datetime.date``, inclusive) and ``reason`` (None when not given)."""
        athlete_id = self.athlete_id(athlete)
        rows = self.conn.execute(
            "SELECT id, from_date, to_date, reason FROM gaps WHERE athlete_id = ? ORDER BY from_date, id",
            (athlete_id,),
        ).fetchall()
        return pd.DataFrame({
            "id": np.array([r[0] for r in rows], dtype=np.int64),
            "from_date": pd.Series([date.fromisoformat(r[1]) for r in rows], dtype=object),
            "to_date": pd.Series([date.fromisoformat(r[2]) for r in rows], dtype=object),
            "reason": pd.Series([r[3] if isinstance(r[3], str) else None for r in rows], dtype=object),
        })

    # ------------------------------------------------------------------ reading
    ACTIVITY_COLUMNS = (
        "id", "start_utc", "utc_offset_s", "sport", "sub_sport", "distance_m", "moving_s", "elapsed_s",
        "avg_hr_bpm", "max_hr_bpm", "ascent_m", "device", "name", "gear", "has_gps", "hr_seconds_by_bpm",
        "source_format", "source_path", "recovered", "notes", "shoe",
    )

    #: The SQL expression of each column of :meth:`activities_frame`.
    _ACTIVITY_SQL = {
        "id": "x.id", "start_utc": "x.start_unix", "utc_offset_s": "x.utc_offset_s", "sport": "x.sport",
        "sub_sport": "x.sub_sport", "distance_m": "x.distance_m", "moving_s": "x.moving_s",
        "elapsed_s": "x.elapsed_s", "avg_hr_bpm": "x.avg_hr_bpm", "max_hr_bpm": "x.max_hr_bpm",
        "ascent_m": "x.ascent_m", "device": "x.device", "name": "x.name", "gear": "x.gear",
        "has_gps": "x.has_gps", "hr_seconds_by_bpm": "x.hr_seconds_by_bpm", "source_format": "x.source_format",
        "source_path": "x.source_path", "recovered": "x.recovered", "notes": "x.notes", "shoe": "s.name",
    }

    def activities_frame(self, athlete: str, *, with_hr: bool = True, columns: Iterable[str] | None = None,
                         sports: Iterable[str] | None = None) -> pd.DataFrame:
        """All stored activities of ``athlete``, oldest first, as a DataFrame.

        ``start_utc`` is datetime64[ns, UTC]; numeric columns are float64 with NaN
        for missing values; optional text is None when missing; ``hr_seconds_by_bpm``
        is a dict (or None; always None without ``with_hr``); ``notes`` a list.
        ``columns`` selects a subset of :attr:`ACTIVITY_COLUMNS` and ``sports`` keeps only
        those sports (both faster for big logs).
        """
        athlete_id = self.athlete_id(athlete)
        cols = list(columns) if columns is not None else list(self.ACTIVITY_COLUMNS)
        unknown = [c for c in cols if c not in self._ACTIVITY_SQL]
        if unknown:
            raise ValueError(f"unknown activity columns: {', '.join(unknown)}")
        select = ", ".join(
            "NULL" if c == "hr_seconds_by_bpm" and not with_hr else self._ACTIVITY_SQL[c] for c in cols
        )
        join = " LEFT JOIN shoes s ON s.id = x.shoe_id" if "shoe" in cols else ""
        where, args = "x.athlete_id = ?", [athlete_id]
        if sports is not None:
            sports = list(sports)
            where += f" AND x.sport IN ({', '.join('?' * len(sports))})"
            args += sports
        rows = self.conn.execute(
            f"SELECT {select} FROM activities x{join} WHERE {where} ORDER BY x.start_unix, x.id", args
        ).fetchall()
        values = list(zip(*rows)) if rows else [()] * len(cols)
        try:
            return pd.DataFrame({c: _activity_column(c, v) for c, v in zip(cols, values)}, columns=cols)
        except (ValueError, TypeError, AttributeError, OverflowError) as err:  # a value no runload wrote
            raise StoreError(
                f"the store {self.path} is damaged (a stored activity value cannot be read: "
                f"{' '.join(str(err).split())[:80]}); restore a backup or use another --db"
            ) from None

    def duplicates_frame(self, athlete: str) -> pd.DataFrame:
        """Records dropped as duplicates, with the stored activity they duplicate."""
        athlete_id = self.athlete_id(athlete)
        rows = self.conn.execute(
            """SELECT d.source_path, d.source_format, d.start_utc, d.distance_m, a.id, a.source_path, a.start_utc
               FROM duplicates d JOIN activities a ON a.id = d.activity_id
               WHERE d.athlete_id = ? ORDER BY d.start_utc""",
            (athlete_id,),
        ).fetchall()
        return pd.DataFrame(rows, columns=["source_path", "source_format", "start_utc", "distance_m",
                                           "activity_id", "kept_path", "kept_start_utc"])

    def skipped_files(self, athlete: str) -> pd.DataFrame:
        """Files the latest import of each path skipped, with the reason."""
        athlete_id = self.athlete_id(athlete)
        rows = self.conn.execute(
            """SELECT f.source_path, f.reason, f.logged_utc FROM import_files f
               WHERE f.athlete_id = ? AND f.outcome = 'skipped' AND f.id = (
                   SELECT MAX(g.id) FROM import_files g WHERE g.athlete_id = f.athlete_id
                   AND g.source_path = f.source_path)
               ORDER BY f.source_path""",
            (athlete_id,),
        ).fetchall()
        return pd.DataFrame(rows, columns=["source_path", "reason", "logged_utc"])

    def counts(self) -> dict:
        c = self.conn
        return {
            "athletes": c.execute("SELECT COUNT(*) FROM athletes").fetchone()[0],
            "activities": c.execute("SELECT COUNT(*) FROM activities").fetchone()[0],
            "duplicates": c.execute("SELECT COUNT(*) FROM duplicates").fetchone()[0],
        }


# --------------------------------------------------------------------------- helpers

_NUMERIC_COLUMNS = ("utc_offset_s", "distance_m", "moving_s", "elapsed_s", "avg_hr_bpm", "max_hr_bpm", "ascent_m",
                    "check_at_m", "retire_at_m")
_REQUIRED_TEXT_COLUMNS = ("sport", "source_format", "source_path")


def _activity_column(name: str, values: tuple):
    """One column of :meth:`Store.activities_frame` from the fetched values.

    Built column by column (several times faster than a DataFrame of rows
    converted afterwards); a value not of its column's type (a store edited by
    hand) is coerced the way ``pd.to_numeric(errors="coerce")`` does.
    """
    if name == "id":
        return np.array(values, dtype=np.int64)
    if name == "start_utc":  # read from the integer start_unix column: same instant, no text parsing
        return pd.to_datetime(np.array(values, dtype=np.int64), unit="s", utc=True).as_unit("ns")
    if name in _NUMERIC_COLUMNS:
        try:
            return np.array(values, dtype=np.float64)  # None -> NaN
        except (TypeError, ValueError):
            return pd.to_numeric(pd.Series(values, dtype=object), errors="coerce").astype("float64").to_numpy()
    if name == "has_gps":
        return np.array([bool(v) for v in values], dtype=bool)
    if name in _REQUIRED_TEXT_COLUMNS:
        return pd.Series([v if isinstance(v, str) else str(v) for v in values], dtype="str")
    if name == "hr_seconds_by_bpm":
        return pd.Series([{int(k): float(v) for k, v in json.loads(h).items()} if isinstance(h, str) and h else None
                          for h in values], dtype=object)
    if name == "notes":
        return pd.Series([[] if n == "[]" else (json.loads(n) if isinstance(n, str) and n else []) for n in values],
                         dtype=object)
    # optional text: None, not NaN, when missing (plain truth tests stay right)
    return pd.Series([v if isinstance(v, str) else None for v in values], dtype=object)


def _activity_values(act: Activity) -> tuple:
    hr = json.dumps({str(k): round(v, 3) for k, v in sorted(act.hr_seconds_by_bpm.items())}) \
        if act.hr_seconds_by_bpm else None
    return (
        _iso(act.start_utc), int(act.start_utc.timestamp()), act.utc_offset_s, act.sport, act.sub_sport,
        act.distance_m, act.moving_s, act.elapsed_s, act.avg_hr_bpm, act.max_hr_bpm, act.ascent_m,
        act.device, act.name, act.gear, int(bool(act.has_gps)), hr, act.source_format,
    )


def _score(act: Activity) -> tuple:
    fields = sum(v is not None for v in (act.distance_m, act.moving_s, act.elapsed_s, act.ascent_m, act.device))
    return (act.avg_hr_bpm is not None, _FORMAT_RANK.get(act.source_format, 0), bool(act.has_gps), fields)


def _same_activity(act: Activity, start: int, other_distance, other_start: int, other_duration) -> bool:
    a, b = act.distance_m, other_distance
    if a and b:
        diff = abs(a - b)
        if diff <= DEDUP_DISTANCE_RATIO * max(a, b):
            return True
        duration = act.elapsed_s or act.moving_s
        if duration and other_duration and diff <= DEDUP_OVERLAP_DISTANCE_RATIO * max(a, b):
            end_a, end_b = start + duration, other_start + other_duration
            overlap = min(end_a, end_b) - max(start, other_start)
            return overlap >= DEDUP_OVERLAP_RATIO * min(duration, other_duration)
        return False
    # neither record has a distance (e.g. indoor sessions): same sport and start is enough
    return not a and not b


def _local_day(conn, athlete_id: int, start_utc: datetime, utc_offset_s: int | None) -> str:
    tz = conn.execute("SELECT tz FROM athletes WHERE id = ?", (athlete_id,)).fetchone()[0]
    if tz:
        from zoneinfo import ZoneInfo

        return start_utc.astimezone(ZoneInfo(tz)).date().isoformat()
    from datetime import timedelta

    return (start_utc + timedelta(seconds=utc_offset_s or 0)).date().isoformat()


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


_EXPECTED: dict[int, dict[str, set[str]]] = {}


def _expected_columns(version: int) -> dict[str, set[str]]:
    """{table: columns} of a runload store at schema ``version`` (built from the migrations in memory)."""
    if version not in _EXPECTED:
        mem = sqlite3.connect(":memory:")
        try:
            for script in MIGRATIONS[:version]:
                mem.executescript(script)
            tables = [r[0] for r in mem.execute("SELECT name FROM sqlite_master WHERE type='table'")]
            _EXPECTED[version] = {t: {r[1] for r in mem.execute(f"PRAGMA table_info({t})")} for t in tables}
        finally:
            mem.close()
    return _EXPECTED[version]


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
