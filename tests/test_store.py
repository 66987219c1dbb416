"""The store: idempotent files, cross-source dedup, shoes, damaged and foreign stores."""

from __future__ import annotations

import os
import sqlite3

import pytest

from runload.store import schema as store_mod
from runload.store import dedup as store_dedup
from runload.errors import NotFound, StoreError
from runload.store import Store
from tests.conftest import make_run


def add(store, acts, path="a.fit", digest="h1"):
    aid = store.athlete_id("alex", create=True, tz="Europe/Berlin")
    return store.add_file(aid, acts, source_path=path, content_hash=digest)


def test_same_file_twice_adds_nothing(tmp_store):
    first = add(tmp_store, [make_run("2026-09-12T06:00:00Z", 10.0)])
    again = add(tmp_store, [make_run("2026-09-12T06:00:00Z", 10.0)])
    assert len(first.added) == 1
    assert again.added == () and again.already == 1
    assert len(tmp_store.activities_frame("alex")) == 1


def test_a_batch_commits_whole_files_and_rolls_back_a_failing_one_alone(tmp_path):
    """Inside a batch each file is a savepoint: one that fails leaves no trace, the others commit; a batch
    left by an interruption still commits the files finished before it; other connections see nothing
    of a batch until it commits."""
    db = tmp_path / "r.db"
    with Store.open(db) as store:
        reader = sqlite3.connect(db)
        count = lambda: reader.execute("SELECT COUNT(*) FROM activities").fetchone()[0]  # noqa: E731
        with store.batch():
            add(store, [make_run("2026-09-01T06:00:00Z", 10.0)], "a.fit", "h1")
            with pytest.raises(ZeroDivisionError):
                with store.transaction() as conn:  # a file whose storing fails half-way
                    conn.execute("INSERT INTO athletes (name, created_utc) VALUES ('half', '2026-09-01T00:00:00Z')")
                    1 / 0
            add(store, [make_run("2026-09-02T06:00:00Z", 11.0)], "b.fit", "h2")
            assert count() == 0  # not committed yet
        assert count() == 2
        assert reader.execute("SELECT COUNT(*) FROM athletes WHERE name = 'half'").fetchone()[0] == 0
        with pytest.raises(KeyboardInterrupt):
            with store.batch():
                add(store, [make_run("2026-09-03T06:00:00Z", 12.0)], "c.fit", "h3")
                raise KeyboardInterrupt
        assert count() == 3  # the file finished before the interruption is kept
        reader.close()


def test_same_run_from_gpx_and_fit_is_stored_once_and_the_richer_kept(tmp_store):
    gpx = make_run("2026-09-12T06:00:05Z", 10.05, source_format="gpx")
    fit = make_run("2026-09-12T06:00:00Z", 10.0, source_format="fit", avg_hr_bpm=150.0)
    add(tmp_store, [gpx], "run.gpx", "g")
    result = add(tmp_store, [fit], "run.fit", "f")
    assert len(result.replaced) == 1  # FIT with heart rate replaces the GPX
    frame = tmp_store.activities_frame("alex")
    assert len(frame) == 1
    assert frame.loc[0, "source_format"] == "fit"
    assert frame.loc[0, "avg_hr_bpm"] == 150.0
    dups = tmp_store.duplicates_frame("alex")
    assert list(dups["source_path"]) == ["run.gpx"]
    # and the poorer one arriving second is a duplicate, not stored
    result = add(tmp_store, [make_run("2026-09-12T06:01:00Z", 9.8, source_format="gpx")], "copy.gpx", "c")
    assert len(result.duplicates) == 1 and not result.added


def test_two_real_runs_of_one_day_are_never_merged(tmp_store):
    add(tmp_store, [make_run("2026-09-12T06:00:00Z", 10.0)], "am.fit", "am")
    add(tmp_store, [make_run("2026-09-12T17:00:00Z", 10.0)], "pm.fit", "pm")
    # starts within 2 minutes but 20 % apart in distance: not the same recording
    add(tmp_store, [make_run("2026-09-12T06:01:30Z", 8.0, elapsed_s=600)], "x.fit", "x")
    assert len(tmp_store.activities_frame("alex")) == 3


def test_dedup_boundaries():
    run = make_run("2026-09-12T06:00:00Z", 10.0)
    start = int(run.start_utc.timestamp())
    # exactly 3 % apart: same; just over 3 % and no time overlap information: different
    assert store_dedup._same_activity(run, start, 10000 * 1.03, start, None)
    assert not store_dedup._same_activity(run, start, 10000 * 1.031, start, None)
    # 5 % apart but the two recordings overlap in time entirely (GPX geometry vs watch distance)
    assert store_dedup._same_activity(run, start, 10500, start + 6, run.elapsed_s)


def test_sessions_of_one_file_are_not_merged(tmp_store):
    a = make_run("2026-09-12T06:00:00Z", 0.0, sport="transition", distance_m=None)
    b = make_run("2026-09-12T06:01:00Z", 0.0, sport="transition", distance_m=None)
    result = add(tmp_store, [a, b], "tri.fit", "tri")
    assert len(result.added) == 2


def test_shoe_from_option_gear_and_default(tmp_store):
    aid = tmp_store.athlete_id("alex", create=True, tz="UTC")
    tmp_store.add_file(aid, [make_run("2026-09-01T06:00:00Z", 10)], source_path="1", content_hash="1",
                       shoe="Pegasus 40")
    tmp_store.add_file(aid, [make_run("2026-09-02T06:00:00Z", 10, gear="Kinvara 14")], source_path="2",
                       content_hash="2")
    tmp_store.add_shoe("alex", "Clifton 9", default=True)
    tmp_store.add_file(aid, [make_run("2026-09-03T06:00:00Z", 10)], source_path="3", content_hash="3")
    tmp_store.add_file(aid, [make_run("2026-09-03T16:00:00Z", 20, sport="cycling")], source_path="4",
                       content_hash="4")
    frame = tmp_store.activities_frame("alex")
    assert list(frame["shoe"]) == ["Pegasus 40", "Kinvara 14", "Clifton 9", None]
    assert set(tmp_store.shoes_frame("alex")["name"]) == {"Pegasus 40", "Kinvara 14", "Clifton 9"}


def test_assign_and_retire_shoe(tmp_store):
    aid = tmp_store.athlete_id("alex", create=True, tz="Europe/Berlin")
    for i, day in enumerate(["2026-09-01", "2026-09-10", "2026-09-20"]):
        tmp_store.add_file(aid, [make_run(f"{day}T06:00:00Z", 10)], source_path=day, content_hash=day)
    tmp_store.add_shoe("alex", "Trail")
    from datetime import date

    assert tmp_store.assign_shoe("alex", "Trail", date(2026, 9, 5), date(2026, 9, 15)) == 1
    assert list(tmp_store.activities_frame("alex")["shoe"]) == [None, "Trail", None]
    tmp_store.retire_shoe("alex", "Trail", date(2026, 9, 16))
    assert tmp_store.shoes_frame("alex").loc[0, "retired_on"] == date(2026, 9, 16)
    with pytest.raises(NotFound, match="no shoe named 'Nope'"):
        tmp_store.retire_shoe("alex", "Nope", date(2026, 9, 16))


def test_unknown_athlete_names_the_known_ones(tmp_store):
    tmp_store.athlete_id("alex", create=True)
    with pytest.raises(NotFound, match=r"no athlete named 'bob'.*alex"):
        tmp_store.activities_frame("bob")


def test_corrupt_store_is_refused_and_left_untouched(tmp_path):
    p = tmp_path / "runload.db"
    p.write_bytes(b"this is not a database, it is a shopping list\n" * 20)
    before = p.read_bytes()
    for readonly in (False, True):
        with pytest.raises(StoreError, match="not a runload store"):
            Store.open(p, readonly=readonly)
    assert p.read_bytes() == before


def test_damaged_sqlite_is_refused(tmp_path):
    p = tmp_path / "runload.db"
    Store.open(p).close()
    data = bytearray(p.read_bytes())
    data[100:4096] = b"\xff" * (4096 - 100)
    p.write_bytes(bytes(data))
    with pytest.raises(StoreError):
        s = Store.open(p)
        s.activities_frame("x")


def test_foreign_sqlite_is_refused(tmp_path):
    p = tmp_path / "other.db"
    conn = sqlite3.connect(p)
    conn.execute("CREATE TABLE recipes (name TEXT)")
    conn.execute("PRAGMA user_version = 0")
    conn.commit()
    conn.close()
    with pytest.raises(StoreError, match="not a runload store"):
        Store.open(p)
    assert sqlite3.connect(p).execute("SELECT name FROM sqlite_master").fetchall() == [("recipes",)]


def test_newer_schema_is_refused_and_not_changed(tmp_path):
    p = tmp_path / "runload.db"
    Store.open(p).close()
    conn = sqlite3.connect(p)
    conn.execute(f"PRAGMA user_version = {store_mod.SCHEMA_VERSION + 5}")
    conn.commit()
    conn.close()
    before = p.read_bytes()
    with pytest.raises(StoreError, match="newer runload"):
        Store.open(p)
    assert p.read_bytes() == before


def test_older_schema_migrates_forward(tmp_path, monkeypatch):
    p = tmp_path / "runload.db"
    s = Store.open(p)
    aid = s.athlete_id("alex", create=True)
    s.add_file(aid, [make_run("2026-09-01T06:00:00Z", 10)], source_path="1", content_hash="1")
    s.close()

    m_next = "CREATE TABLE gaps_test (athlete_id INTEGER, from_date TEXT);"
    monkeypatch.setattr(store_mod, "MIGRATIONS", store_mod.MIGRATIONS + (m_next,))
    monkeypatch.setattr(store_mod, "SCHEMA_VERSION", len(store_mod.MIGRATIONS))
    with pytest.raises(StoreError, match="older schema"):
        Store.open(p, readonly=True)
    s = Store.open(p)
    assert s.conn.execute("PRAGMA user_version").fetchone()[0] == store_mod.SCHEMA_VERSION
    assert len(s.activities_frame("alex")) == 1  # nothing lost
    s.close()


def test_read_only_store_is_a_clear_error(tmp_path, monkeypatch):
    p = tmp_path / "runload.db"
    Store.open(p).close()
    p.chmod(0o444)
    if os.geteuid() == 0:  # root may write anyway; make the check see what a user would
        real_access = os.access
        monkeypatch.setattr(__import__("os"), "access",
                            lambda path, mode: False if (mode & os.W_OK and str(path) == str(p)) else
                            real_access(path, mode))
    with pytest.raises(StoreError, match="read-only"):
        Store.open(p)
    Store.open(p, readonly=True).close()  # reading still works


def test_read_only_open_of_missing_store(tmp_path):
    with pytest.raises(StoreError, match="no runload store"):
        Store.open(tmp_path / "missing.db", readonly=True)


def test_locked_store_is_a_clear_error(tmp_path):
    p = tmp_path / "runload.db"
    s1 = Store.open(p)
    s1.conn.execute("BEGIN IMMEDIATE")
    s2 = Store.open(p, timeout_s=0.2)
    with pytest.raises(StoreError, match="locked by another runload process"):
        s2.athlete_id("alex", create=True)
    s1.conn.execute("ROLLBACK")
    s1.close()
    s2.close()


# ---- gaps (schema 2) ----------------------------------------------------------------------------

def test_gaps_add_list_remove(tmp_store):
    from datetime import date

    add(tmp_store, [make_run("2026-09-12T06:00:00Z", 10.0)])
    g1 = tmp_store.add_gap("alex", date(2026, 9, 20), date(2026, 9, 27), "flu")
    g2 = tmp_store.add_gap("alex", date(2026, 9, 1), date(2026, 9, 1), "  ")
    frame = tmp_store.gaps_frame("alex")
    assert list(frame.columns) == ["id", "from_date", "to_date", "reason"]
    assert frame["id"].tolist() == [g2, g1]  # oldest first
    assert frame["from_date"].tolist() == [date(2026, 9, 1), date(2026, 9, 20)]
    assert type(frame["to_date"].iloc[0]) is date
    assert frame["reason"].tolist() == [None, "flu"]
    with pytest.raises(ValueError, match="before it starts"):
        tmp_store.add_gap("alex", date(2026, 9, 5), date(2026, 9, 4))
    tmp_store.remove_gap("alex", g2)
    assert tmp_store.gaps_frame("alex")["id"].tolist() == [g1]
    with pytest.raises(NotFound, match=f"no gap with id {g2}"):
        tmp_store.remove_gap("alex", g2)
    other = tmp_store.athlete_id("kim", create=True)
    assert other and tmp_store.gaps_frame("kim").empty
    with pytest.raises(NotFound):  # another athlete's gap is not this athlete's
        tmp_store.remove_gap("kim", g1)
    with pytest.raises(NotFound):
        tmp_store.add_gap("nobody", date(2026, 9, 1), date(2026, 9, 2))


def test_schema_1_store_migrates_to_2_keeping_all_data(tmp_path):
    from datetime import date

    assert store_mod.SCHEMA_VERSION == 3 and len(store_mod.MIGRATIONS) == 3
    p = tmp_path / "v1.db"
    # a real schema-1 file: only MIGRATIONS[0], as runload 1 wrote it, with data in every table we read
    conn = sqlite3.connect(p)
    conn.executescript(f"BEGIN;\n{store_mod.MIGRATIONS[0]}\nPRAGMA user_version = 1;\nCOMMIT;")
    conn.execute("INSERT INTO athletes (id, name, tz, created_utc) VALUES (1, 'alex', 'Europe/Berlin', 'x')")
    conn.execute("INSERT INTO shoes (id, athlete_id, name, start_distance_m, is_default, created_utc) "
                 "VALUES (1, 1, 'Pegasus', 1000, 1, 'x')")
    conn.execute(
        """INSERT INTO activities (athlete_id, start_utc, start_unix, utc_offset_s, sport, distance_m, moving_s,
           source_format, source_path, content_hash, shoe_id, imported_utc)
           VALUES (1, '2026-09-12T06:00:00Z', 1789192800, 7200, 'running', 10000, 3300, 'fit', 'a.fit', 'h1', 1, 'x')""")
    conn.commit()
    conn.close()
    with pytest.raises(StoreError, match="older schema"):
        Store.open(p, readonly=True)
    with Store.open(p) as s:
        assert s.conn.execute("PRAGMA user_version").fetchone()[0] == store_mod.SCHEMA_VERSION
        frame = s.activities_frame("alex")
        assert len(frame) == 1 and frame.loc[0, "distance_m"] == 10000.0 and frame.loc[0, "shoe"] == "Pegasus"
        assert s.shoes_frame("alex")["is_default"].tolist() == [True]
        assert s.gaps_frame("alex").empty
        gid = s.add_gap("alex", date(2026, 9, 1), date(2026, 9, 3), "watch broken")
    with Store.open(p, readonly=True) as s:  # reopening does not migrate again
        assert s.gaps_frame("alex")["id"].tolist() == [gid]
        assert s.athlete_tz("alex") == "Europe/Berlin"


def test_two_processes_migrating_at_once_run_each_migration_once(tmp_path):
    p = tmp_path / "v1.db"
    conn = sqlite3.connect(p)
    conn.executescript(f"BEGIN;\n{store_mod.MIGRATIONS[0]}\nPRAGMA user_version = 1;\nCOMMIT;")
    conn.close()
    first = Store.open(p)
    # a second opener that read version 1 before the first migrated must not run migration 2 again
    second = Store(sqlite3.connect(p, isolation_level=None), p, False)
    second._migrate(1)
    assert second.conn.execute("PRAGMA user_version").fetchone()[0] == store_mod.SCHEMA_VERSION
    first.close()
    second.close()


def test_numpy_columns_hold_the_frames_values_and_give_the_same_findings(tmp_store):
    """activity_columns / shoe_columns / gap_columns (what ``runload check`` reads, without pandas)
    hold the values of the ``*_frame`` methods, and the rules find the same on either."""
    from datetime import date

    import numpy as np

    from runload.analysis import check
    from runload.ingest import import_paths
    from tests.conftest import SAMPLES

    import_paths(tmp_store, [SAMPLES / "alex"], athlete="alex", tz="Europe/Berlin", jobs=1)
    tmp_store.add_shoe("alex", "Pegasus", start_distance_m=400_000.0, default=True)
    tmp_store.add_shoe("alex", "Old pair", check_at_m=100_000.0)
    tmp_store.retire_shoe("alex", "Old pair", date(2026, 9, 1))
    tmp_store.add_gap("alex", date(2026, 9, 14), date(2026, 9, 20), "flu")
    first = int(tmp_store.activities_frame("alex")["id"].iloc[0])
    tmp_store.correct_activity(first, distance_m=21_097.5)  # corrections apply to both
    for columns, frame in ((tmp_store.activity_columns("alex"), tmp_store.activities_frame("alex")),
                           (tmp_store.shoe_columns("alex"), tmp_store.shoes_frame("alex")),
                           (tmp_store.gap_columns("alex"), tmp_store.gaps_frame("alex"))):
        assert columns.columns == list(frame.columns) and len(columns) == len(frame) > 0
        for name in columns.columns:
            got, want = columns[name], frame[name]
            if got.dtype.kind == "M":
                assert np.array_equal(got.astype("datetime64[s]").astype(np.int64),
                                      want.dt.tz_convert(None).to_numpy().astype("datetime64[s]").astype(np.int64))
            elif got.dtype.kind == "f":
                assert np.array_equal(got, want.to_numpy(float), equal_nan=True), name
            else:
                assert got.tolist() == want.tolist(), name
    as_of = date(2026, 11, 21)
    on_columns = check(tmp_store.activity_columns("alex"), tmp_store.shoe_columns("alex"), "alex",
                       tz="Europe/Berlin", as_of=as_of, gaps=tmp_store.gap_columns("alex"))
    on_frames = check(tmp_store.activities_frame("alex"), tmp_store.shoes_frame("alex"), "alex",
                      tz="Europe/Berlin", as_of=as_of, gaps=tmp_store.gaps_frame("alex"))
    assert on_columns.findings and [f.to_json() for f in on_columns.findings] == [
        f.to_json() for f in on_frames.findings]
    assert {f.rule for f in on_columns.findings} >= {"weekly_increase", "shoe_wear"}


def test_stored_heart_rate_histograms_read_back_without_impossible_bins(tmp_store):
    """A histogram written by hand (or by an older runload) keeps only 1–299 bpm bins with a finite,
    positive time; an unreadable one reads as no heart rate, never as an error."""
    tmp_store.add_file(tmp_store.athlete_id("me", create=True), [make_run("2024-03-01T06:00Z", 10.0),
                                                                 make_run("2024-03-02T06:00Z", 10.0)],
                       source_path="/x/hr.fit", content_hash="hr")
    ids = list(tmp_store.activities_frame("me")["id"])
    tmp_store.conn.execute("UPDATE activities SET hr_seconds_by_bpm = ? WHERE id = ?",
                           ('{"150": 60.5, "0": 5, "151": NaN, "152": Infinity, "153": -1, "400": 3, "154": 0}',
                            ids[0]))
    tmp_store.conn.execute("UPDATE activities SET hr_seconds_by_bpm = ? WHERE id = ?", ('{"x": 1}', ids[1]))
    frame = tmp_store.activities_frame("me")
    assert frame["hr_seconds_by_bpm"].tolist() == [{150: 60.5}, None]
