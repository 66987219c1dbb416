"""The SQLite store: athletes, the activity log with its corrections, shoes, gaps and the import log."""

from __future__ import annotations

import json
import math
import os
import sqlite3
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable, Iterator

from runload.errors import ConfigError, NotFound, StoreError
from runload.models import Activity
from runload.safetext import safe_label
from runload.store import schema

if TYPE_CHECKING:
    import pandas as pd
from runload.store.connect import (
    _connect_readonly, _db_error_sentence, _foreign_tables, _looks_like_sqlite, conn_close_quietly, default_db_path,
)
from runload.store.dedup import _FORMAT_RANK, DEDUP_START_S, _score, _twin
from runload.store.rows import (
    _READABLE_START_UNIX, Columns, _activity_values, _column_array, _iso, _objects,
)

def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")




class _DryRun(Exception):
    """Rolls a transaction back after it has computed what it would change (``dry_run=True``)."""

    def __init__(self, result):
        super().__init__("dry run")
        self.result = result


def _shell_word(text: str) -> str:
    """``text`` as one word of a shell command (quoted when needed), for commands shown to the user."""
    import shlex

    return shlex.quote(text)


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
    stored_ids: tuple[int, ...] = ()
    """The id of each of ``stored`` (a replacement keeps the id of the record it replaced)."""


class Store:
    """An open runload store. Use :meth:`open`; close with :meth:`close` or ``with``."""

    def __init__(self, conn: sqlite3.Connection, path: Path, readonly: bool):
        self.conn = conn
        self._in_batch = False  # inside :meth:`batch`: each transaction is a savepoint of its one transaction
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
        if version > schema.SCHEMA_VERSION:
            conn.close()
            raise StoreError(
                f"the store {p} was written by a newer runload (schema {version}; this version reads up to "
                f"{schema.SCHEMA_VERSION}); upgrade runload — the store was not changed"
            )
        store = cls(conn, p, readonly)
        try:
            if not readonly:
                # refuse a foreign database before anything writes: switching it to WAL changes its header
                if version > 0:
                    store._check_tables()
                elif _foreign_tables(conn):
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
            elif version < schema.SCHEMA_VERSION:
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
        if version == schema.SCHEMA_VERSION:
            return
        if version > 0:
            self._check_tables()
        elif _foreign_tables(self.conn):
            raise StoreError(
                f"{self.path} is an SQLite database but not a runload store; it was left untouched, "
                "point --db at another file"
            )
        for i in range(version, schema.SCHEMA_VERSION):
            try:
                # the version is read again under the write lock: another process may have migrated
                # while this one waited, and a migration must run exactly once
                self.conn.execute("BEGIN IMMEDIATE")
                current = self.conn.execute("PRAGMA user_version").fetchone()[0]
                if current > i:
                    self.conn.execute("COMMIT")
                    continue
                for statement in schema._statements(schema.MIGRATIONS[i]):
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
        expected = schema._expected_columns(min(max(version, 1), schema.SCHEMA_VERSION))
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
        """``BEGIN IMMEDIATE`` … ``COMMIT``; rolled back on any exception.

        Inside :meth:`batch` it is a savepoint of the batch's transaction: rolled back alone on an
        exception, committed with the batch.
        """
        if self.readonly:
            raise StoreError(f"the store {self.path} was opened read-only")
        if self._in_batch:
            with self._savepoint():
                yield self.conn
            return
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as err:
            raise StoreError(_db_error_sentence(self.path, err)) from None
        with self._writes(undo=self._rollback, finish=lambda: self._commit(quiet=False)):
            yield self.conn

    @contextmanager
    def _writes(self, undo: Callable[[], None], finish: Callable[[], None]) -> Iterator[None]:
        """A block of writes: ``finish()`` after it, ``undo()`` on any exception (a database error, such as
        a full disk or a damaged page, becomes one sentence)."""
        try:
            yield
        except sqlite3.DatabaseError as err:
            undo()
            raise StoreError(_db_error_sentence(self.path, err)) from None
        except BaseException:
            undo()
            raise
        finish()

    @contextmanager
    def batch(self) -> Iterator[None]:
        """One transaction around several :meth:`transaction` blocks (an import's files), each a savepoint.

        A block that fails is rolled back alone, as it would be on its own. When the batch is left by an
        exception (Ctrl-C, SIGTERM, a store error), the blocks finished before it are still committed, so
        what was whole stays; a crash loses the batch's blocks, never half of one. One commit for several
        files instead of one each (measured: 4 % of the 280-file FIT import, batches of 16). The write
        lock is held for the whole batch: callers keep it short, with nothing slow inside.
        """
        if self.readonly:
            raise StoreError(f"the store {self.path} was opened read-only")
        if self._in_batch:
            yield
            return
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as err:
            raise StoreError(_db_error_sentence(self.path, err)) from None
        self._in_batch = True
        try:
            yield
        except BaseException:
            self._in_batch = False
            self._commit(quiet=True)  # keep the whole blocks; the exception says what went wrong
            raise
        self._in_batch = False
        self._commit(quiet=False)

    @contextmanager
    def _savepoint(self) -> Iterator[None]:
        self.conn.execute("SAVEPOINT block")
        with self._writes(undo=self._rollback_savepoint, finish=lambda: self.conn.execute("RELEASE block")):
            yield

    def _rollback_savepoint(self) -> None:
        """Undo the current block (nothing to do when SQLite has already ended the transaction)."""
        try:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK TO block")
                self.conn.execute("RELEASE block")
        except sqlite3.DatabaseError:
            pass

    def _commit(self, quiet: bool) -> None:
        """COMMIT the open transaction; when that fails, roll back and (unless ``quiet``) say why. ``quiet``
        (leaving on an exception) also accepts that SQLite has already ended the transaction itself."""
        if quiet and not self.conn.in_transaction:
            return
        try:
            self.conn.execute("COMMIT")
        except sqlite3.DatabaseError as err:
            self._rollback()
            if not quiet:
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
        """The id of athlete ``name``; created when ``create`` (then ``tz`` is stored).

        An existing athlete without a zone takes ``tz``; one whose stored zone differs is
        refused with :class:`ConfigError` (the zone changes only through :meth:`set_tz`).
        """
        row = self.conn.execute("SELECT id, tz FROM athletes WHERE name = ?", (name,)).fetchone()
        if row:
            if tz and row[1] and row[1] != tz and create:
                raise ConfigError(
                    f"{name}'s time zone is {row[1]}, not {tz}; nothing was changed — to change the zone run "
                    f"'runload athletes set-tz {_shell_word(name)} {tz}'"
                )
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
                      (SELECT COUNT(*) FROM activities x LEFT JOIN corrections c ON c.activity_id = x.id
                       WHERE x.athlete_id = a.id AND COALESCE(c.deleted, 0) = 0),
                      (SELECT COUNT(*) FROM activities x LEFT JOIN corrections c ON c.activity_id = x.id
                       WHERE x.athlete_id = a.id AND COALESCE(c.sport, x.sport) = 'running'
                       AND COALESCE(c.deleted, 0) = 0 AND COALESCE(c.excluded, 0) = 0)
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

    def known_skip(self, athlete_id: int, source_path: str, reason: str) -> bool:
        """True when an earlier import skipped this path for the same reason (it is not reported again)."""
        return self.conn.execute(
            """SELECT 1 FROM import_files WHERE athlete_id = ? AND source_path = ? AND outcome = 'skipped'
               AND reason = ? LIMIT 1""",
            (athlete_id, source_path, reason),
        ).fetchone() is not None

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

        An activity that matches a stored one (see :func:`_twin`: same device and start
        second; or same sport, starts within 2 min and distances within 3 %, or the two
        overlap in time almost entirely; or, across sport labels or without a distance,
        an overlap of 95 % of the longer one) is not stored again: the better copy is kept
        (intact before recovered, then with a distance, heart rate, FIT > TCX > GPX, GPS,
        more fields) in place, under the stored record's id, and the other is logged as a
        duplicate. Two activities of one file are never merged with each other, unless
        the file repeats a session (same sport, same start second).
        """
        source_path = safe_label(source_path)
        added: list[int] = []
        stored: list[Activity] = []
        dups: list[tuple[Activity, StoredRef]] = []
        replaced: list[tuple[Activity, StoredRef]] = []
        stored_ids: list[int] = []
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
                        stored_ids.append(ref.id)
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
                stored_ids.append(cur.lastrowid)
            outcome = "imported" if added or replaced else ("duplicate" if dups else "known")
            self.log_file(athlete_id, import_id, source_path, size, mtime, content_hash, outcome,
                          None if outcome != "duplicate" else dups[0][1].describe(), conn=conn)
        return StoreResult(tuple(added), tuple(stored), tuple(dups), tuple(replaced), already, tuple(stored_ids))

    def _find_duplicate(self, conn, athlete_id: int, act: Activity, content_hash: str) -> StoredRef | None:
        start = int(act.start_utc.timestamp())
        rows = conn.execute(
            """SELECT id, start_utc, sport, distance_m, source_path, start_unix, elapsed_s, moving_s, content_hash,
                      device
               FROM activities WHERE athlete_id = ? AND start_unix BETWEEN ? AND ?""",
            (athlete_id, start - DEDUP_START_S, start + DEDUP_START_S),
        ).fetchall()
        best = None
        for row in rows:
            if row[8] == content_hash:
                # another session of the same file is a different activity, unless it repeats one
                # (a chained FIT holding the same session twice): same sport, same start second
                same = row[5] == start and row[2] == act.sport
            else:
                same = _twin(act, start, row[2], row[3], row[5], row[6] or row[7], row[9])
            if same:
                gap = (abs(row[5] - start), row[2] != act.sport)
                if best is None or gap < best[0]:
                    best = (gap, StoredRef(row[0], row[1], row[2], row[3], row[4]))
        return best[1] if best else None

    def _score_row(self, conn, activity_id: int) -> tuple:
        row = conn.execute(
            """SELECT source_format, avg_hr_bpm, has_gps, distance_m, moving_s, elapsed_s, ascent_m, device, recovered
               FROM activities WHERE id = ?""",
            (activity_id,),
        ).fetchone()
        fields = sum(v is not None for v in row[3:8])
        kept_s = (row[5] or row[4] or 0.0) if row[8] else 0.0
        return (not row[8], bool(row[3]), row[1] is not None, _FORMAT_RANK.get(row[0], 0), bool(row[2]), fields,
                kept_s)

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
            before = _shoe_values(conn, athlete_id, name)
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
            self._log(conn, athlete_id, None, "shoes default" if default else "shoes add", "shoe", before,
                      _shoe_values(conn, athlete_id, name))

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

        See :meth:`reassign_shoe` (which also says from which shoes they moved).
        """
        return sum(self.reassign_shoe(athlete, name, from_date, to_date).values())

    def reassign_shoe(self, athlete: str, name: str, from_date: date, to_date: date | None = None, *,
                      command: str = "shoes assign") -> dict[str | None, int]:
        """Move every run on local dates ``from_date``..``to_date`` to shoe ``name``, whatever set its
        shoe before (``--shoe``, the file's gear, an earlier assignment, a correction), and remember
        the period for later imports. Returns ``{previous shoe name or None: runs moved}``; runs already
        on the shoe are not counted. One transaction; every move is in the change log."""
        athlete_id = self.athlete_id(athlete)
        sid = self._shoe_id(athlete_id, name)
        tz = self.athlete_tz(athlete)
        frame = self.activities_frame(athlete, with_hr=False, include_excluded=True,
                                      columns=("id", "start_utc", "utc_offset_s", "sport", "shoe"))
        moved: dict[str | None, int] = {}
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
                for i, before in zip(frame.loc[mask, "id"], frame.loc[mask, "shoe"]):
                    if before == name:
                        continue
                    conn.execute("UPDATE activities SET shoe_id = ?, shoe_explicit = 1 WHERE id = ?", (sid, int(i)))
                    conn.execute("UPDATE corrections SET shoe_id = NULL WHERE activity_id = ?", (int(i),))
                    self._log(conn, athlete_id, int(i), command, "shoe", before, name)
                    moved[before] = moved.get(before, 0) + 1
        return moved

    def retire_shoe(self, athlete: str, name: str, on: date) -> None:
        athlete_id = self.athlete_id(athlete)
        sid = self._shoe_id(athlete_id, name)
        with self.transaction() as conn:
            before = _shoe_values(conn, athlete_id, name)
            conn.execute("UPDATE shoes SET retired_on = ?, is_default = 0 WHERE id = ?", (on.isoformat(), sid))
            self._log(conn, athlete_id, None, "shoes retire", "shoe", before, _shoe_values(conn, athlete_id, name))

    def shoes_frame(self, athlete: str) -> pd.DataFrame:
        """The athlete's shoes: name, start_distance_m, check_at_m, retire_at_m, retired_on, is_default."""
        return self.shoe_columns(athlete).to_frame()

    def shoe_columns(self, athlete: str) -> Columns:
        """:meth:`shoes_frame` as numpy columns (no pandas)."""
        import numpy as np

        athlete_id = self.athlete_id(athlete)
        rows = self.conn.execute(
            """SELECT name, start_distance_m, check_at_m, retire_at_m, retired_on, is_default
               FROM shoes WHERE athlete_id = ? ORDER BY name""",
            (athlete_id,),
        ).fetchall()
        names, start, check_at, retire_at, retired, default = (list(c) for c in zip(*rows)) if rows else ([],) * 6
        # built column by column: a DataFrame of rows converted afterwards costs ms per athlete
        return Columns({
            "name": _objects(names),
            "start_distance_m": np.array(start, dtype=np.float64),
            "check_at_m": _column_array("check_at_m", check_at),
            "retire_at_m": _column_array("retire_at_m", retire_at),
            "retired_on": _objects([date.fromisoformat(v) if v else None for v in retired]),
            "is_default": _column_array("is_default", default),
        }, len(rows))

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
            self._log(conn, athlete_id, None, "gaps add", "gap", None,
                      {"id": cur.lastrowid, "from": from_date.isoformat(), "to": to_date.isoformat(), "reason": reason})
            return cur.lastrowid

    def remove_gap(self, athlete: str, gap_id: int) -> None:
        """Delete gap ``gap_id`` of ``athlete``; :class:`NotFound` when the athlete has no such gap."""
        athlete_id = self.athlete_id(athlete)
        with self.transaction() as conn:
            gap = conn.execute("SELECT from_date, to_date, reason FROM gaps WHERE id = ? AND athlete_id = ?",
                               (int(gap_id), athlete_id)).fetchone()
            cur = conn.execute("DELETE FROM gaps WHERE id = ? AND athlete_id = ?", (int(gap_id), athlete_id))
            if gap:
                self._log(conn, athlete_id, None, f"gaps remove {int(gap_id)}", "gap",
                          {"id": int(gap_id), "from": gap[0], "to": gap[1], "reason": gap[2]}, None)
        if cur.rowcount == 0:
            known = [str(r[0]) for r in self.conn.execute(
                "SELECT id FROM gaps WHERE athlete_id = ? ORDER BY id", (athlete_id,))]
            raise NotFound(f"{athlete} has no gap with id {gap_id} (gap ids: {', '.join(known) or 'none yet'}); "
                           "see 'runload gaps list'")

    def gaps_frame(self, athlete: str) -> pd.DataFrame:
        """The athlete's declared gaps, oldest first: ``id``, ``from_date``, ``to_date``
        (``datetime.date``, inclusive) and ``reason`` (None when not given)."""
        return self.gap_columns(athlete).to_frame()

    def gap_columns(self, athlete: str) -> Columns:
        """:meth:`gaps_frame` as numpy columns (no pandas)."""
        athlete_id = self.athlete_id(athlete)
        rows = self.conn.execute(
            "SELECT id, from_date, to_date, reason FROM gaps WHERE athlete_id = ? ORDER BY from_date, id",
            (athlete_id,),
        ).fetchall()
        return Columns({
            "id": _column_array("id", [r[0] for r in rows]),
            "from_date": _objects([date.fromisoformat(r[1]) for r in rows]),
            "to_date": _objects([date.fromisoformat(r[2]) for r in rows]),
            "reason": _column_array("reason", [r[3] for r in rows]),
        }, len(rows))

    # ------------------------------------------------------------------ corrections by hand
    #: What ``runload activities set`` may correct: the name of the change-log field for each.
    CORRECTABLE = ("sport", "distance_m", "shoe", "name")

    def _log(self, conn, athlete_id: int | None, activity_id: int | None, command: str, field: str,
             old, new) -> None:
        """Record one change (old -> new, as JSON) in the change log, inside the caller's transaction."""
        conn.execute(
            """INSERT INTO changes (changed_utc, athlete_id, activity_id, command, field, old_value, new_value)
               VALUES (?, ?, ?, ?, ?, ?, ?)""",
            (_now(), athlete_id, activity_id, command, field,
             json.dumps(old, ensure_ascii=False, default=str), json.dumps(new, ensure_ascii=False, default=str)),
        )

    def _effective(self, conn, activity_id: int, *, deleted_ok: bool = False) -> dict:
        """One stored activity with its corrections applied (and the imported values under ``original``).

        Raises :class:`NotFound` for an unknown id, and for a deleted one unless ``deleted_ok``.
        """
        row = conn.execute(
            """SELECT x.id, x.athlete_id, a.name, x.sport, x.distance_m, x.name, so.name, x.start_utc,
                      c.sport, c.distance_m, sc.name, c.name, COALESCE(c.excluded, 0), c.exclude_reason,
                      COALESCE(c.deleted, 0), x.source_path
               FROM activities x JOIN athletes a ON a.id = x.athlete_id
               LEFT JOIN corrections c ON c.activity_id = x.id
               LEFT JOIN shoes so ON so.id = x.shoe_id LEFT JOIN shoes sc ON sc.id = c.shoe_id
               WHERE x.id = ?""",
            (int(activity_id),),
        ).fetchone()
        if row is None:
            raise NotFound(f"no activity with id {activity_id}; 'runload activities' lists the ids")
        if row[14] and not deleted_ok:
            raise NotFound(f"activity {activity_id} was deleted; bring it back with "
                           f"'runload activities restore {activity_id}'")
        original = {"sport": row[3], "distance_m": row[4], "name": row[5], "shoe": row[6]}
        corrected = {"sport": row[8], "distance_m": row[9], "name": row[11], "shoe": row[10]}
        return {
            "id": row[0], "athlete_id": row[1], "athlete": row[2], "start_utc": row[7], "source_path": row[15],
            "original": original, "corrected": {k: v for k, v in corrected.items() if v is not None},
            "values": {k: corrected[k] if corrected[k] is not None else original[k] for k in original},
            "excluded": bool(row[12]), "exclude_reason": row[13], "deleted": bool(row[14]),
        }

    def _ensure_correction(self, conn, athlete_id: int, activity_id: int) -> None:
        conn.execute("INSERT OR IGNORE INTO corrections (activity_id, athlete_id) VALUES (?, ?)",
                     (activity_id, athlete_id))

    def exclude_activities(self, ids: Iterable[int], reason: str | None = None, *, exclude: bool = True,
                           command: str = "activities exclude") -> tuple[list[int], list[int]]:
        """Exclude (or, with ``exclude=False``, include again) activities by id: an excluded activity
        stays stored and listed but counts nowhere. All ids are checked first; nothing changes when
        one is unknown. Returns (ids changed, ids already in that state)."""
        reason = reason.strip() if isinstance(reason, str) and reason.strip() else None
        changed, already = [], []
        with self.transaction() as conn:
            acts = [self._effective(conn, i) for i in dict.fromkeys(int(i) for i in ids)]
            for act in acts:
                if act["excluded"] == exclude:
                    already.append(act["id"])
                    continue
                self._ensure_correction(conn, act["athlete_id"], act["id"])
                conn.execute("UPDATE corrections SET excluded = ?, exclude_reason = ? WHERE activity_id = ?",
                             (int(exclude), reason if exclude else None, act["id"]))
                self._log(conn, act["athlete_id"], act["id"], command, "excluded", act["excluded"], exclude)
                if exclude and reason:
                    self._log(conn, act["athlete_id"], act["id"], command, "exclude_reason", None, reason)
                changed.append(act["id"])
        return changed, already

    def delete_activities(self, ids: Iterable[int], *, delete: bool = True,
                          command: str = "activities delete") -> list[dict]:
        """Delete (or, with ``delete=False``, restore) activities by id.

        A deleted activity leaves every table, listing and rule, but its record stays in the store as
        a tombstone: its file stays known and a twin from another source is recognised as the same
        run, so no re-import brings it back; :meth:`delete_activities` with ``delete=False`` does.
        Returns the activities changed (id, start_utc, sport, distance_m, source_path)."""
        out = []
        with self.transaction() as conn:
            acts = [self._effective(conn, i, deleted_ok=True) for i in dict.fromkeys(int(i) for i in ids)]
            for act in acts:
                if act["deleted"] == delete:
                    if delete:
                        raise NotFound(f"activity {act['id']} is deleted already")
                    continue
                self._ensure_correction(conn, act["athlete_id"], act["id"])
                conn.execute("UPDATE corrections SET deleted = ? WHERE activity_id = ?", (int(delete), act["id"]))
                self._log(conn, act["athlete_id"], act["id"], command, "deleted", not delete, delete)
                out.append({"id": act["id"], "start_utc": act["start_utc"], "sport": act["values"]["sport"],
                            "distance_m": act["values"]["distance_m"], "source_path": act["source_path"]})
        return out

    def correct_activity(self, activity_id: int, *, sport: str | None = None, distance_m: float | None = None,
                         shoe: str | None = None, name: str | None = None,
                         command: str = "activities set") -> list[tuple[str, object, object]]:
        """Correct one activity's sport, distance, shoe or name; the imported values stay stored.

        A corrected sport beats sport recognition (also after a re-import of a twin). A value equal to
        the imported one removes the correction. Returns ``(field, old, new)`` for each value that
        changed; raises :class:`ConfigError` for a bad sport or distance and :class:`NotFound` for an
        unknown id or shoe, with nothing changed."""
        from runload.models import SPORTS

        if sport is not None and sport not in SPORTS:
            raise ConfigError(f"{sport!r} is not a sport runload knows; use one of: {', '.join(SPORTS)}")
        if distance_m is not None and not (math.isfinite(distance_m) and 0 < distance_m < 1_000_000):
            raise ConfigError(f"a distance of {distance_m} m is not plausible; give a positive distance "
                              "such as 10.2km")
        if name is not None and not name.strip():
            raise ConfigError("the name is empty; give the activity a name such as 'Long run'")
        done = []
        with self.transaction() as conn:
            act = self._effective(conn, activity_id)
            wanted = {"sport": sport, "distance_m": distance_m, "name": name.strip() if name else None, "shoe": shoe}
            shoe_id = self._shoe_id(act["athlete_id"], shoe) if shoe is not None else None
            self._ensure_correction(conn, act["athlete_id"], act["id"])
            columns = {"sport": "sport", "distance_m": "distance_m", "name": "name", "shoe": "shoe_id"}
            for field in self.CORRECTABLE:
                new = wanted[field]
                if new is None or new == act["values"][field]:
                    continue
                stored = shoe_id if field == "shoe" else new
                if new == act["original"][field]:
                    stored = None  # back to the imported value: no correction left
                conn.execute(f"UPDATE corrections SET {columns[field]} = ? WHERE activity_id = ?",
                             (stored, act["id"]))
                self._log(conn, act["athlete_id"], act["id"], command, field, act["values"][field], new)
                done.append((field, act["values"][field], new))
        return done

    def activity_detail(self, activity_id: int) -> dict:
        """Everything about one activity (also a deleted one): its values with corrections applied,
        the imported values, its file, notes, the duplicate records dropped for it, and its changes."""
        act = self._effective(self.conn, activity_id, deleted_ok=True)
        row = self.conn.execute(
            """SELECT utc_offset_s, sub_sport, moving_s, elapsed_s, avg_hr_bpm, max_hr_bpm, ascent_m, device, gear,
                      has_gps, source_format, content_hash, session_index, recovered, notes, imported_utc
               FROM activities WHERE id = ?""",
            (act["id"],),
        ).fetchone()
        keys = ("utc_offset_s", "sub_sport", "moving_s", "elapsed_s", "avg_hr_bpm", "max_hr_bpm", "ascent_m",
                "device", "gear", "has_gps", "source_format", "content_hash", "session_index", "recovered",
                "notes", "imported_utc")
        act.update(dict(zip(keys, row)))
        found = self.conn.execute(
            "SELECT MIN(import_id) FROM import_files WHERE athlete_id = ? AND content_hash = ? AND outcome = 'imported'",
            (act["athlete_id"], act["content_hash"])).fetchone()
        act["import_id"] = found[0] if found else None
        act["has_gps"] = bool(act["has_gps"])
        act["notes"] = json.loads(act["notes"]) if act["notes"] else []
        act["tz"] = self.conn.execute("SELECT tz FROM athletes WHERE id = ?", (act["athlete_id"],)).fetchone()[0]
        act["duplicates"] = [
            {"source_path": r[0], "source_format": r[1], "distance_m": r[2], "start_utc": r[3]}
            for r in self.conn.execute(
                "SELECT source_path, source_format, distance_m, start_utc FROM duplicates WHERE activity_id = ? "
                "ORDER BY id", (act["id"],))
        ]
        act["changes"] = self.changes(activity_id=act["id"])
        return act

    def changes(self, *, athlete: str | None = None, activity_id: int | None = None,
                limit: int | None = None) -> list[dict]:
        """The change log, newest first: id, changed_utc, athlete, activity_id, command, field, old, new."""
        where, args = [], []
        if athlete is not None:
            where.append("c.athlete_id = ?")
            args.append(self.athlete_id(athlete))
        if activity_id is not None:
            where.append("c.activity_id = ?")
            args.append(int(activity_id))
        sql = ("SELECT c.id, c.changed_utc, a.name, c.activity_id, c.command, c.field, c.old_value, c.new_value "
               "FROM changes c LEFT JOIN athletes a ON a.id = c.athlete_id"
               + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY c.id DESC")
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        return [
            {"id": r[0], "changed_utc": r[1], "athlete": r[2], "activity_id": r[3], "command": r[4],
             "field": r[5], "old": json.loads(r[6]) if r[6] is not None else None,
             "new": json.loads(r[7]) if r[7] is not None else None}
            for r in self.conn.execute(sql, args)
        ]

    # ------------------------------------------------------------------ imports: list and undo
    def imports(self, athlete: str | None = None) -> list[dict]:
        """The import log, oldest first, with the activities each import added that are still stored."""
        args: list = []
        where = ""
        if athlete is not None:
            where = " WHERE i.athlete_id = ?"
            args.append(self.athlete_id(athlete))
        rows = self.conn.execute(
            f"""SELECT i.id, a.name, i.started_utc, i.finished_utc, i.paths, i.imported, i.duplicates,
                       i.other_sports, i.skipped, i.known
                FROM imports i LEFT JOIN athletes a ON a.id = i.athlete_id{where} ORDER BY i.id""",
            args,
        ).fetchall()
        return [
            {"id": r[0], "athlete": r[1], "started_utc": r[2], "finished_utc": r[3], "paths": json.loads(r[4]),
             "imported": r[5], "duplicates": r[6], "other_sports": r[7], "skipped": r[8], "unchanged": r[9]}
            for r in rows
        ]

    @staticmethod
    def _added_by_import(conn, athlete_id: int, import_id: int) -> list[int]:
        """The ids of the stored activities that import ``import_id`` added.

        An activity was added by the earliest import that logged one of its files as imported: the file
        it holds now, or the earlier copy it replaced (kept in ``duplicates``). So a record that a later
        import replaced with a richer copy still belongs to the import that first brought it."""
        return [r[0] for r in conn.execute(
            """SELECT x.id FROM activities x WHERE x.athlete_id = ? AND (
                   SELECT MIN(f.import_id) FROM import_files f
                   WHERE f.athlete_id = x.athlete_id AND f.outcome = 'imported' AND (
                       f.content_hash = x.content_hash OR f.content_hash IN (
                           SELECT d.content_hash FROM duplicates d WHERE d.activity_id = x.id))
               ) = ? ORDER BY x.id""",
            (athlete_id, import_id))]

    def undo_import(self, import_id: int, *, dry_run: bool = False, command: str = "imports undo") -> dict:
        """Remove what import ``import_id`` added: its activities (with their corrections), the duplicate
        records its files left, the shoes it created that no other activity uses, and its file log, so
        its files can be imported again. An earlier record this import replaced with a richer copy stays
        (counted under ``kept_replaced``). With ``dry_run`` nothing changes. One transaction."""
        row = self.conn.execute("SELECT athlete_id, started_utc, finished_utc, paths FROM imports WHERE id = ?",
                                (int(import_id),)).fetchone()
        if row is None:
            known = [str(r[0]) for r in self.conn.execute("SELECT id FROM imports ORDER BY id")]
            raise NotFound(f"no import with id {import_id} (import ids: {', '.join(known) or 'none yet'}); "
                           "see 'runload imports'")
        athlete_id, started, finished, paths = row
        try:
            with self.transaction() as conn:
                acts = self._added_by_import(conn, athlete_id, int(import_id))
                marks = ",".join("?" * len(acts))
                hashes = [r[0] for r in conn.execute(
                    "SELECT DISTINCT content_hash FROM import_files WHERE import_id = ? AND content_hash IS NOT NULL "
                    "AND outcome IN ('imported', 'duplicate')", (import_id,))]
                hmarks = ",".join("?" * len(hashes))
                kept_replaced = conn.execute(
                    f"SELECT COUNT(*) FROM activities WHERE athlete_id = ? AND content_hash IN ({hmarks})",
                    (athlete_id, *hashes)).fetchone()[0] - len(acts) if hashes else 0
                # files of other imports that were dropped as duplicates of these activities: forget them too,
                # so they can be imported again now that the activity they duplicated is gone
                orphan_hashes = [r[0] for r in conn.execute(
                    f"SELECT DISTINCT content_hash FROM duplicates WHERE activity_id IN ({marks})", acts)] if acts else []
                shoe_ids = [r[0] for r in conn.execute(
                    "SELECT id FROM shoes WHERE athlete_id = ? AND created_utc >= ? AND created_utc <= ?",
                    (athlete_id, started, finished or _now()))]
                files = conn.execute("SELECT COUNT(*) FROM import_files WHERE import_id = ?", (import_id,)).fetchone()[0]
                if acts:
                    conn.execute(f"DELETE FROM duplicates WHERE activity_id IN ({marks})", acts)
                    conn.execute(f"DELETE FROM corrections WHERE activity_id IN ({marks})", acts)
                    conn.execute(f"DELETE FROM changes WHERE activity_id IN ({marks})", acts)
                    conn.execute(f"DELETE FROM activities WHERE id IN ({marks})", acts)
                if hashes:
                    conn.execute(f"DELETE FROM duplicates WHERE athlete_id = ? AND content_hash IN ({hmarks})",
                                 (athlete_id, *hashes))
                if orphan_hashes:
                    omarks = ",".join("?" * len(orphan_hashes))
                    conn.execute(f"DELETE FROM import_files WHERE athlete_id = ? AND content_hash IN ({omarks})",
                                 (athlete_id, *orphan_hashes))
                conn.execute("DELETE FROM import_files WHERE import_id = ?", (import_id,))
                removed_shoes = []
                for sid in shoe_ids:
                    used = conn.execute(
                        "SELECT (SELECT COUNT(*) FROM activities WHERE shoe_id = ?) + "
                        "(SELECT COUNT(*) FROM corrections WHERE shoe_id = ?) + "
                        "(SELECT COUNT(*) FROM shoe_assignments WHERE shoe_id = ?)", (sid, sid, sid)).fetchone()[0]
                    if not used:
                        removed_shoes.append(conn.execute("SELECT name FROM shoes WHERE id = ?", (sid,)).fetchone()[0])
                        conn.execute("DELETE FROM shoes WHERE id = ?", (sid,))
                conn.execute("DELETE FROM imports WHERE id = ?", (import_id,))
                summary = {"import_id": int(import_id), "paths": json.loads(paths), "activities": len(acts),
                           "activity_ids": acts, "files": files, "shoes": removed_shoes,
                           "kept_replaced": kept_replaced, "forgotten_duplicate_files": len(orphan_hashes)}
                self._log(conn, athlete_id, None, command, "import", summary, None)
                if dry_run:
                    raise _DryRun(summary)
        except _DryRun as dry:
            return dry.result
        return summary

    # ------------------------------------------------------------------ athletes: rename, remove, zone
    def rename_athlete(self, old: str, new: str, *, command: str = "athletes rename") -> None:
        """Rename athlete ``old`` to ``new``; :class:`ConfigError` when ``new`` is empty or taken."""
        new = new.strip()
        if not new:
            raise ConfigError("the new name is empty; give a name such as 'alex'")
        with self.transaction() as conn:
            athlete_id = self.athlete_id(old)
            if new != old and conn.execute("SELECT 1 FROM athletes WHERE name = ?", (new,)).fetchone():
                raise ConfigError(f"the name {new!r} is taken by another athlete; choose another name")
            if new != old:
                conn.execute("UPDATE athletes SET name = ? WHERE id = ?", (new, athlete_id))
                self._log(conn, athlete_id, None, command, "athlete", old, new)

    def remove_athlete(self, name: str, *, dry_run: bool = False, command: str = "athletes remove") -> dict:
        """Remove athlete ``name`` and everything that is theirs (activities, corrections, duplicates,
        shoes and their assignments, gaps, imports and their file log, change log). Returns the counts
        removed; with ``dry_run`` nothing changes."""
        try:
            with self.transaction() as conn:
                athlete_id = self.athlete_id(name)
                counts = {}
                for table in ("activities", "shoes", "gaps", "imports", "corrections", "duplicates", "import_files",
                              "changes"):
                    counts[table] = conn.execute(f"SELECT COUNT(*) FROM {table} WHERE athlete_id = ?",
                                                 (athlete_id,)).fetchone()[0]
                conn.execute("DELETE FROM changes WHERE athlete_id = ?", (athlete_id,))
                conn.execute("DELETE FROM corrections WHERE athlete_id = ?", (athlete_id,))
                conn.execute("DELETE FROM duplicates WHERE athlete_id = ?", (athlete_id,))
                conn.execute("DELETE FROM activities WHERE athlete_id = ?", (athlete_id,))
                conn.execute("DELETE FROM shoe_assignments WHERE shoe_id IN (SELECT id FROM shoes WHERE athlete_id = ?)",
                             (athlete_id,))
                conn.execute("DELETE FROM shoes WHERE athlete_id = ?", (athlete_id,))
                conn.execute("DELETE FROM gaps WHERE athlete_id = ?", (athlete_id,))
                conn.execute("DELETE FROM import_files WHERE athlete_id = ?", (athlete_id,))
                conn.execute("DELETE FROM imports WHERE athlete_id = ?", (athlete_id,))
                conn.execute("DELETE FROM athletes WHERE id = ?", (athlete_id,))
                # the removal itself is logged without the athlete's id: no row of theirs remains
                self._log(conn, None, None, command, "athlete", name, None)
                if dry_run:
                    raise _DryRun(counts)
        except _DryRun as dry:
            return dry.result
        return counts

    def set_tz(self, name: str, tz: str, *, dry_run: bool = False, command: str = "athletes set-tz") -> dict:
        """Set athlete ``name``'s time zone (an IANA name). Returns the old zone and how many stored
        activities change their local date; with ``dry_run`` nothing changes."""
        from runload.tables import local_dates
        from runload.zones import check_timezone

        check_timezone(tz)
        old = self.athlete_tz(name)
        frame = self.activities_frame(name, with_hr=False, include_excluded=True,
                                      columns=("id", "start_utc", "utc_offset_s"))
        moved = int((local_dates(frame, old) != local_dates(frame, tz)).sum()) if not frame.empty else 0
        result = {"athlete": name, "old_tz": old, "new_tz": tz, "activities": len(frame), "date_changes": moved}
        if dry_run or old == tz:
            return result
        with self.transaction() as conn:
            athlete_id = self.athlete_id(name)
            conn.execute("UPDATE athletes SET tz = ? WHERE id = ?", (tz, athlete_id))
            self._log(conn, athlete_id, None, command, "tz", old, tz)
        return result

    # ------------------------------------------------------------------ reading
    ACTIVITY_COLUMNS = (
        "id", "start_utc", "utc_offset_s", "sport", "sub_sport", "distance_m", "moving_s", "elapsed_s",
        "avg_hr_bpm", "max_hr_bpm", "ascent_m", "device", "name", "gear", "has_gps", "hr_seconds_by_bpm",
        "source_format", "source_path", "recovered", "notes", "shoe",
    )

    #: The SQL expression of each column of :meth:`activities_frame`.
    _ACTIVITY_SQL = {
        "id": "x.id", "start_utc": "x.start_unix", "utc_offset_s": "x.utc_offset_s",
        "sport": "COALESCE(c.sport, x.sport)",
        "sub_sport": "CASE WHEN c.sport IS NULL THEN x.sub_sport END",  # a corrected sport drops the sub-sport
        "distance_m": "COALESCE(c.distance_m, x.distance_m)", "moving_s": "x.moving_s",
        "elapsed_s": "x.elapsed_s", "avg_hr_bpm": "x.avg_hr_bpm", "max_hr_bpm": "x.max_hr_bpm",
        "ascent_m": "x.ascent_m", "device": "x.device", "name": "COALESCE(c.name, x.name)", "gear": "x.gear",
        "has_gps": "x.has_gps", "hr_seconds_by_bpm": "x.hr_seconds_by_bpm", "source_format": "x.source_format",
        "source_path": "x.source_path", "recovered": "x.recovered", "notes": "x.notes", "shoe": "s.name",
        # not in ACTIVITY_COLUMNS (ask for them by name): the state set by hand
        "excluded": "COALESCE(c.excluded, 0)", "exclude_reason": "c.exclude_reason",
        "corrected": "(c.sport IS NOT NULL OR c.distance_m IS NOT NULL OR c.shoe_id IS NOT NULL OR c.name IS NOT NULL)",
    }

    def activities_frame(self, athlete: str, *, with_hr: bool = True, columns: Iterable[str] | None = None,
                         sports: Iterable[str] | None = None, include_excluded: bool = False) -> pd.DataFrame:
        """All counted activities of ``athlete``, oldest first, as a DataFrame.

        Corrections made by hand are applied (sport, distance, shoe, name); deleted activities are
        left out, and so are excluded ones unless ``include_excluded`` (for listings, which mark them).
        Every table, rule, shoe total, report and summary reads activities through this method or
        :meth:`activity_columns` (the same values as numpy arrays, without pandas).

        ``start_utc`` is datetime64[ns, UTC]; numeric columns are float64 with NaN
        for missing values; optional text is None when missing; ``hr_seconds_by_bpm``
        is a dict (or None; always None without ``with_hr``); ``notes`` a list.
        ``columns`` selects a subset of :attr:`ACTIVITY_COLUMNS` and ``sports`` keeps only
        those sports (both faster for big logs).
        """
        table = self.activity_columns(athlete, with_hr=with_hr, columns=columns, sports=sports,
                                      include_excluded=include_excluded)
        try:
            return table.to_frame()
        except (ValueError, TypeError, AttributeError, OverflowError) as err:  # a value no runload wrote
            raise self._unreadable(err) from None

    def activity_columns(self, athlete: str, *, with_hr: bool = True, columns: Iterable[str] | None = None,
                         sports: Iterable[str] | None = None, include_excluded: bool = False) -> Columns:
        """:meth:`activities_frame` as numpy columns (:class:`~runload.store.rows.Columns`; ``start_utc``
        is datetime64[s] UTC): what the rules read, without loading pandas."""
        athlete_id = self.athlete_id(athlete)
        cols = list(columns) if columns is not None else list(self.ACTIVITY_COLUMNS)
        unknown = [c for c in cols if c not in self._ACTIVITY_SQL]
        if unknown:
            raise ValueError(f"unknown activity columns: {', '.join(unknown)}")
        select = ", ".join(
            "NULL" if c == "hr_seconds_by_bpm" and not with_hr else self._ACTIVITY_SQL[c] for c in cols
        )
        join = " LEFT JOIN corrections c ON c.activity_id = x.id"
        if "shoe" in cols:
            join += " LEFT JOIN shoes s ON s.id = COALESCE(c.shoe_id, x.shoe_id)"
        # a start pandas cannot hold (a store written before the plausibility check at import, or edited by
        # hand) must not make every read command fail: such rows are left out of the frame
        where, args = "x.athlete_id = ? AND x.start_unix BETWEEN ? AND ?", [athlete_id, *_READABLE_START_UNIX]
        where += (" AND (c.activity_id IS NULL OR c.deleted = 0)" if include_excluded
                  else " AND (c.activity_id IS NULL OR (c.deleted = 0 AND c.excluded = 0))")
        if sports is not None:
            sports = list(sports)
            where += f" AND COALESCE(c.sport, x.sport) IN ({', '.join('?' * len(sports))})"
            args += sports
        rows = self.conn.execute(
            f"SELECT {select} FROM activities x{join} WHERE {where} ORDER BY x.start_unix, x.id", args
        ).fetchall()
        values = list(zip(*rows)) if rows else [()] * len(cols)
        try:
            return Columns({c: _column_array(c, v) for c, v in zip(cols, values)}, len(rows))
        except (ValueError, TypeError, AttributeError, OverflowError) as err:  # a value no runload wrote
            raise self._unreadable(err) from None

    def _unreadable(self, err: Exception) -> StoreError:
        return StoreError(
            f"the store {self.path} is damaged (a stored activity value cannot be read: "
            f"{' '.join(str(err).split())[:80]}); restore a backup or use another --db"
        )

    def duplicates_frame(self, athlete: str) -> pd.DataFrame:
        """Records dropped as duplicates, with the stored activity they duplicate."""
        import numpy as np  # noqa: F401  (the frames load pandas only when read)
        import pandas as pd

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
        import numpy as np  # noqa: F401  (the frames load pandas only when read)
        import pandas as pd

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


def _local_day(conn, athlete_id: int, start_utc: datetime, utc_offset_s: int | None) -> str:
    tz = conn.execute("SELECT tz FROM athletes WHERE id = ?", (athlete_id,)).fetchone()[0]
    if tz:
        from zoneinfo import ZoneInfo

        return start_utc.astimezone(ZoneInfo(tz)).date().isoformat()
    from datetime import timedelta

    return (start_utc + timedelta(seconds=utc_offset_s or 0)).date().isoformat()


def _shoe_values(conn, athlete_id: int, name: str) -> dict | None:
    """A shoe's stored values for the change log (None when there is no such shoe)."""
    row = conn.execute("SELECT name, start_distance_m, check_at_m, retire_at_m, retired_on, is_default FROM shoes "
                       "WHERE athlete_id = ? AND name = ?", (athlete_id, name.strip())).fetchone()
    keys = ("name", "start_distance_m", "check_at_m", "retire_at_m", "retired_on", "default")
    return dict(zip(keys, row[:5] + (bool(row[5]),))) if row else None
