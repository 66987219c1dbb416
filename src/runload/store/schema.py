"""The store's schema: ordered migrations (SQL scripts), each run once in its own transaction
together with its version bump (``PRAGMA user_version``)."""

from __future__ import annotations

import sqlite3


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

#: Schema 2: user-declared gaps (watch not worn, illness): days whose data are missing (docs/method.md §0 C3).
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

#: Schema 3: corrections by hand (issue "correct the log"). The imported values stay untouched in
#: ``activities``; ``corrections`` holds what the user changed (sport, distance, shoe, name, excluded,
#: deleted), keyed by the stored activity id, and :meth:`Store.activities_frame` applies it. ``changes``
#: records every change (time, command, old -> new). Additive only, so a schema-2 store keeps every row.
_M3 = """
        CREATE TABLE corrections (
            activity_id INTEGER PRIMARY KEY REFERENCES activities(id),
            athlete_id INTEGER NOT NULL REFERENCES athletes(id),
            sport TEXT,
            distance_m REAL,
            shoe_id INTEGER REFERENCES shoes(id),
            name TEXT,
            excluded INTEGER NOT NULL DEFAULT 0,
            exclude_reason TEXT,
            deleted INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX corrections_by_athlete ON corrections (athlete_id);
        CREATE TABLE changes (
            id INTEGER PRIMARY KEY,
            changed_utc TEXT NOT NULL,
            athlete_id INTEGER,
            activity_id INTEGER,
            command TEXT NOT NULL,
            field TEXT NOT NULL,
            old_value TEXT,
            new_value TEXT
        );
        CREATE INDEX changes_by_activity ON changes (activity_id);
        CREATE INDEX changes_by_athlete ON changes (athlete_id, id);
"""

#: Ordered migrations (SQL scripts); index i brings a store from version i to i + 1.
#: Each runs in its own transaction together with its version bump.
MIGRATIONS: tuple[str, ...] = (_M1, _M2, _M3)
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
