"""Issue 11, item 5: the store refuses a foreign database before any write (also from read commands),
creates a new athlete safely under concurrency, and a full disk and a read-only mount each get their
own sentence; read commands work on a read-only store."""

from __future__ import annotations

import hashlib
import resource
import shutil
import sqlite3
import subprocess
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner

from runload.cli import cli
from runload.store import Store

from .conftest import RUNLOAD, cli_env, make_folder, run_cli


def _digest(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


def _one_sentence(stderr: str, *words: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: "), stderr
    assert "unexpected problem" not in lines[0] and "Traceback" not in stderr and "rollback" not in lines[0]
    for word in words:
        assert word in lines[0], (word, lines[0])
    return lines[0]


@pytest.mark.parametrize("version", [0, 1])
@pytest.mark.parametrize("command", [["weeks"], ["activities"], ["check"], ["import", "{folder}"]])
def test_foreign_database_with_athletes_and_activities_tables_is_never_modified(tmp_path, version, command):
    """Somebody else's SQLite file that happens to have ``athletes`` and ``activities`` tables."""
    db = tmp_path / "other.db"
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE athletes (id INTEGER PRIMARY KEY, name TEXT)")
    conn.execute("CREATE TABLE activities (id INTEGER PRIMARY KEY, what TEXT)")
    conn.execute("INSERT INTO athletes (name) VALUES ('someone')")
    conn.execute(f"PRAGMA user_version = {version}")
    conn.commit()
    conn.close()
    before = _digest(db)
    folder = tmp_path / "w"
    make_folder(folder, 1)
    result = CliRunner().invoke(cli, ["--db", str(db), *[a.replace("{folder}", str(folder)) for a in command]])
    assert result.exit_code == 1
    _one_sentence(result.stderr, "not a runload store")
    assert _digest(db) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["other.db", "w"]  # no -wal, no -shm


def test_two_processes_creating_the_same_new_athlete(tmp_path):
    """Many connections create the same new athlete at the same moment: one row, one id, no error."""
    db = tmp_path / "r.db"
    Store.open(db).close()
    for round_ in range(15):
        name = f"new{round_}"
        barrier = threading.Barrier(4)
        ids, errors = [], []

        def create():
            try:
                with Store.open(db) as store:
                    barrier.wait()
                    ids.append(store.athlete_id(name, create=True, tz="UTC"))
            except Exception as err:  # noqa: BLE001 - collected and asserted below
                errors.append(err)

        threads = [threading.Thread(target=create) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        assert len(set(ids)) == 1 and len(ids) == 4
    with Store.open(db, readonly=True) as store:
        assert len(store.athlete_names()) == 15


def test_two_cli_imports_of_a_new_athlete_at_once(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    make_folder(a, 3, start=0)
    make_folder(b, 3, start=10)
    db = tmp_path / "r.db"
    Store.open(db).close()
    procs = [subprocess.Popen([RUNLOAD, "import", str(f), "--athlete", "newbie", "--jobs", "1"], env=cli_env(db),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for f in (a, b)]
    outs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT COUNT(*) FROM athletes").fetchone()[0] == 1
    assert conn.execute("SELECT COUNT(*) FROM activities").fetchone()[0] == 6
    conn.close()


def test_full_disk_is_one_sentence_and_keeps_whole_files(tmp_path):
    """A file-size limit (RLIMIT_FSIZE) stands in for a full disk: SQLite's writes fail part way. Files
    stored before it are kept (an import commits every few files, each file whole), none half-written."""
    folder = tmp_path / "w"
    expected = make_folder(folder, 160)
    db = tmp_path / "r.db"
    Store.open(db).close()
    limit = db.stat().st_size + 96 * 1024

    def small_files():
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    proc = subprocess.run([RUNLOAD, "import", str(folder), "--athlete", "ann", "--jobs", "1"], env=cli_env(db),
                          capture_output=True, text=True, timeout=120, preexec_fn=small_files)
    assert proc.returncode == 1, (proc.stdout, proc.stderr)
    line = _one_sentence(proc.stderr, str(db))
    assert "full" in line or "disk" in line
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        stored = conn.execute("SELECT COUNT(*) FROM activities").fetchone()[0]
    finally:
        conn.close()
    assert 0 < stored < len(expected)
    again = run_cli(["import", str(folder), "--athlete", "ann"], db)  # with room again: the rest comes in
    assert again.returncode == 0, again.stderr
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT COUNT(*) FROM activities").fetchone()[0] == len(expected)
    conn.close()


@pytest.fixture
def read_only_mount(tmp_path):
    """A folder holding a store, bind-mounted read-only (needs root and mount; skipped otherwise)."""
    src, mnt = tmp_path / "src", tmp_path / "ro"
    src.mkdir()
    mnt.mkdir()
    folder = tmp_path / "w"
    make_folder(folder, 6)
    assert run_cli(["import", str(folder), "--athlete", "ann"], src / "r.db").returncode == 0
    if shutil.which("mount") is None:
        pytest.skip("no mount command")
    ok = subprocess.run(["mount", "--bind", str(src), str(mnt)], capture_output=True).returncode == 0
    if not ok:
        pytest.skip("cannot bind-mount here (not root?)")
    try:
        if subprocess.run(["mount", "-o", "remount,ro,bind", str(mnt)], capture_output=True).returncode != 0:
            pytest.skip("cannot remount read-only here")
        yield mnt / "r.db", folder
    finally:
        subprocess.run(["umount", str(mnt)], capture_output=True, check=False)


def test_read_commands_work_on_a_read_only_mount(read_only_mount):
    db, folder = read_only_mount
    before = _digest(db)
    for args in (["weeks"], ["activities", "--format", "json"], ["check"], ["athletes"]):
        proc = run_cli(args, db)
        assert proc.returncode in (0, 4, 5), (args, proc.stderr)
        assert "Error" not in proc.stderr
    weeks = run_cli(["weeks", "--format", "json"], db)
    assert '"runs": ' in weeks.stdout
    proc = run_cli(["import", str(folder), "--athlete", "ann"], db)
    assert proc.returncode == 1
    _one_sentence(proc.stderr, "read-only")
    assert _digest(db) == before


@pytest.mark.parametrize("damage", ["bad_json", "bad_utf8"])
@pytest.mark.parametrize("command", [["weeks"], ["activities"], ["check"], ["summary"], ["athletes"]])
def test_damaged_values_inside_a_sound_store_are_one_sentence(tmp_path, damage, command):
    """Damage that SQLite's page checks cannot see: a value no runload wrote."""
    folder = tmp_path / "w"
    make_folder(folder, 4)
    db = tmp_path / "r.db"
    from runload.ingest import import_paths

    with Store.open(db) as store:
        import_paths(store, [folder], "ann", jobs=1)
    conn = sqlite3.connect(db)
    if damage == "bad_json":
        conn.execute("""UPDATE activities SET hr_seconds_by_bpm = '{"H43": 1.0}'""")
    else:
        conn.execute("UPDATE athletes SET name = CAST(X'616EBC6E' AS TEXT)")  # 'an\xbcn': not UTF-8
    conn.commit()
    conn.close()
    result = CliRunner().invoke(cli, ["--db", str(db), *command])
    if result.exit_code in (0, 7):  # this command never reads the damaged value, or reads it defensively
        return
    assert result.exit_code == 1
    line = _one_sentence(result.stderr, str(db))
    assert "is damaged" in line.replace(str(db), "<db>"), line


def test_damaged_values_are_found_by_some_command(tmp_path):
    """The premise of the test above: each damage is met by at least one read command."""
    folder = tmp_path / "w"
    make_folder(folder, 4)
    for damage, sql in (("json", """UPDATE activities SET hr_seconds_by_bpm = '{"H43": 1.0}'"""),
                        ("utf8", "UPDATE athletes SET name = CAST(X'616EBC6E' AS TEXT)")):
        db = tmp_path / f"{damage}.db"
        from runload.ingest import import_paths

        with Store.open(db) as store:
            import_paths(store, [folder], "ann", jobs=1)
        conn = sqlite3.connect(db)
        conn.execute(sql)
        conn.commit()
        conn.close()
        codes = [CliRunner().invoke(cli, ["--db", str(db), c]).exit_code for c in ("weeks", "summary", "athletes")]
        if damage == "json":  # heart-rate histograms are read defensively: a bad one is left out, nothing fails
            assert 1 not in codes, (damage, codes)
        else:
            assert 1 in codes, (damage, codes)
