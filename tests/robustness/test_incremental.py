"""Acceptance 9: parallel import equals serial import; unchanged and renamed files are skipped before parsing."""

from __future__ import annotations

import shutil

import runload.ingest as ingest
from runload.store import Store

from .conftest import make_folder

COLUMNS = ("source_path", "session_index", "start_utc", "sport", "sub_sport", "distance_m", "moving_s", "elapsed_s",
           "avg_hr_bpm", "max_hr_bpm", "ascent_m", "device", "has_gps", "hr_seconds_by_bpm", "recovered", "notes",
           "content_hash")


def _table(db) -> list[tuple]:
    with Store.open(db, readonly=True) as store:
        return sorted(store.conn.execute(f"SELECT {', '.join(COLUMNS)} FROM activities").fetchall())


def test_jobs_n_equals_jobs_1(tmp_path):
    folder = tmp_path / "w"
    make_folder(folder, 40, two_session_every=9)
    (folder / "junk.fit").write_bytes(b"not a fit file at all")
    results = {}
    for jobs in (1, 2, 4):
        with Store.open(tmp_path / f"j{jobs}.db") as store:
            report = ingest.import_paths(store, [folder], athlete="ann", jobs=jobs)
        results[jobs] = (report.counts(), sorted(report.skipped), _table(tmp_path / f"j{jobs}.db"))
    assert results[1][2], "nothing imported"
    assert results[2] == results[1]
    assert results[4] == results[1]


class _Spy:
    def __init__(self, real):
        self.real, self.calls = real, []

    def __call__(self, data, hints=None):
        self.calls.append(len(data))
        return self.real(data, hints)


def test_reimport_skips_before_parsing_and_renamed_copy_by_hash(tmp_path, monkeypatch):
    folder = tmp_path / "w"
    expected = make_folder(folder, 30, two_session_every=7)
    (folder / "junk.gpx").write_bytes(b"<gpx><broken")
    spy = _Spy(ingest.read_bytes)
    monkeypatch.setattr(ingest, "read_bytes", spy)
    db = tmp_path / "s.db"
    with Store.open(db) as store:
        first = ingest.import_paths(store, [folder], athlete="ann", jobs=1)
        assert len(spy.calls) == len(expected) + 1
        assert first.imported == sum(expected.values()) and len(first.skipped) == 1

        spy.calls.clear()
        second = ingest.import_paths(store, [folder], athlete="ann", jobs=1)
        assert spy.calls == [], "an unchanged file was parsed again"
        assert second.imported == 0 and second.known == len(expected)
        # the bad file is remembered, not parsed again and not reported again (listed on request only)
        assert second.skipped == [] and len(second.known_skips) == 1

        # a renamed copy and a copy in another folder: recognised by content hash, not parsed
        name = sorted(expected)[3]
        shutil.copy(folder / name, folder / f"renamed_{name}")
        other = tmp_path / "other"
        other.mkdir()
        shutil.copy(folder / name, other / "copy.bin")
        spy.calls.clear()
        third = ingest.import_paths(store, [folder, other], athlete="ann", jobs=1)
        assert spy.calls == []
        assert third.imported == 0 and third.known == len(expected) + 2
        # the new names are logged, so the next run skips them by path + size + mtime without hashing
        logged = {r[0] for r in store.conn.execute("SELECT source_path FROM import_files")}
        assert str(folder / f"renamed_{name}") in logged and str(other / "copy.bin") in logged
        assert store.counts()["activities"] == sum(expected.values())

        # a changed file (new bytes under a known name) is parsed again
        spy.calls.clear()
        (folder / sorted(expected)[0]).write_bytes((folder / sorted(expected)[1]).read_bytes()[:-3] + b"xyz")
        ingest.import_paths(store, [folder], athlete="ann", jobs=1)
        assert len(spy.calls) == 1


def test_known_files_are_not_even_read(tmp_path, monkeypatch):
    """Skipping by path + size + mtime happens before the bytes are read (no hashing of unchanged files)."""
    folder = tmp_path / "w"
    expected = make_folder(folder, 12)
    db = tmp_path / "s.db"
    with Store.open(db) as store:
        ingest.import_paths(store, [folder], athlete="ann", jobs=1)
    import hashlib

    hashed = []
    real = hashlib.sha256
    monkeypatch.setattr(ingest.hashlib, "sha256", lambda data=b"": hashed.append(len(data)) or real(data))
    with Store.open(db) as store:
        report = ingest.import_paths(store, [folder], athlete="ann", jobs=1)
    assert hashed == [] and report.known == len(expected)
