"""The import pipeline: bounded batches, parallel parsing, the progress count."""

from __future__ import annotations

import zipfile

from runload import ingest
from runload.ingest import count_files, import_paths
from runload.store import Store
from tests.conftest import SAMPLES


def test_small_batches_in_workers_give_the_same_store(tmp_path, monkeypatch):
    monkeypatch.setattr(ingest, "BATCH_FILES", 5)  # many flushes through one reused pool
    monkeypatch.setattr(ingest, "PARALLEL_MIN_FILES", 2)
    with Store.open(tmp_path / "a.db") as a, Store.open(tmp_path / "b.db") as b:
        ra = import_paths(a, [SAMPLES / "alex"], athlete="alex", tz="Europe/Berlin", jobs=2)
        rb = import_paths(b, [SAMPLES / "alex"], athlete="alex", tz="Europe/Berlin", jobs=1)
        assert ra.to_json() == rb.to_json()
        assert (ra.runs, sum(ra.other_sports.values()), len(ra.duplicates)) == (72, 1, 1)
        cols = ["start_utc", "sport", "distance_m", "moving_s", "source_path"]
        assert a.activities_frame("alex")[cols].equals(b.activities_frame("alex")[cols])


def test_batches_bound_the_bytes_held(tmp_path, monkeypatch):
    """Bytes waiting for the worker pool are bounded; with one job no file's bytes outlive its parse."""
    monkeypatch.setattr(ingest, "BATCH_BYTES", 200_000)
    monkeypatch.setattr(ingest, "PARALLEL_MIN_FILES", 2)
    held = []
    real_flush = ingest._Batch.flush

    def spy(self):
        held.append((self.jobs, self.nbytes, len(self.items)))
        real_flush(self)

    monkeypatch.setattr(ingest._Batch, "flush", spy)
    with Store.open(tmp_path / "a.db") as store:
        import_paths(store, [SAMPLES / "alex"], athlete="alex", jobs=2)
        import_paths(store, [SAMPLES / "alex"], athlete="bo", jobs=1)
    # a batch is flushed as soon as it reaches the bound: never more than one file over it
    biggest_file = max(p.stat().st_size for p in (SAMPLES / "alex").iterdir())
    pooled = [nbytes for jobs, nbytes, _n in held if jobs == 2]
    assert len(pooled) > 3 and max(pooled) < 200_000 + biggest_file
    assert all(nbytes == 0 and n == 0 for jobs, nbytes, n in held if jobs == 1)


def test_one_job_parses_each_file_before_the_next_is_read(tmp_path, monkeypatch):
    """With one job a file is parsed as soon as it is read (its bytes are let go), and the results are
    stored a batch at a time, in the order the files were found."""
    monkeypatch.setattr(ingest, "BATCH_FILES", 7)
    events = []
    real_parse, real_store = ingest._parse, ingest._store_one

    def parse(data, hints):
        events.append("parse")
        return real_parse(data, hints)

    def store_one(store, athlete_id, import_id, src, *args):
        events.append(("store", src.label))
        return real_store(store, athlete_id, import_id, src, *args)

    monkeypatch.setattr(ingest, "_parse", parse)
    monkeypatch.setattr(ingest, "_store_one", store_one)
    with Store.open(tmp_path / "a.db") as a, Store.open(tmp_path / "b.db") as b:
        one = import_paths(a, [SAMPLES / "alex"], athlete="alex", jobs=1)
        monkeypatch.setattr(ingest, "_parse", real_parse)
        monkeypatch.setattr(ingest, "_store_one", real_store)
        pooled = import_paths(b, [SAMPLES / "alex"], athlete="alex", jobs=2)
    runs = "".join("p" if e == "parse" else "s" for e in events)
    assert runs.startswith("ppppppp" + "sssssss" + "ppppppp")  # seven parsed, then those seven stored
    assert one.to_json() == pooled.to_json()


def test_count_files_for_the_progress_bar(tmp_path):
    assert count_files([SAMPLES / "alex"]) == len(list((SAMPLES / "alex").iterdir()))
    (tmp_path / "notes.md").write_text("not counted")
    (tmp_path / ".hidden.fit").write_bytes(b"x")
    (tmp_path / "a.fit").write_bytes(b"x")
    assert count_files([tmp_path]) == 1
    with zipfile.ZipFile(tmp_path / "export.zip", "w") as zf:
        zf.writestr("a.fit", b"x")
    assert count_files([tmp_path]) is None  # archive members are only known while reading


def test_an_in_process_import_pauses_the_cycle_collector_only_while_it_works(tmp_path, monkeypatch):
    """Batches are parsed and stored with the collector paused; afterwards it is as the caller left it."""
    import gc

    seen = []
    real_parse = ingest._parse

    def spy(data, hints):
        seen.append(gc.isenabled())
        return real_parse(data, hints)

    monkeypatch.setattr(ingest, "_parse", spy)
    with Store.open(tmp_path / "a.db") as store:
        report = import_paths(store, [SAMPLES / "alex"], athlete="alex", jobs=1)
        assert report.runs == 72 and seen and not any(seen)
        assert gc.isenabled()
        gc.disable()
        try:
            import_paths(store, [SAMPLES / "alex"], athlete="bo", jobs=1)
            assert not gc.isenabled()  # a caller's own choice is kept
        finally:
            gc.enable()


def test_the_program_runs_as_a_module_and_keeps_its_exit_codes(tmp_path):
    """``python -m runload`` is the console script's ``main``: the same output and exit codes."""
    import subprocess
    import sys

    env = {"RUNLOAD_DB": str(tmp_path / "r.db"), "RUNLOAD_CONFIG": str(tmp_path / "none.toml"), "PATH": ""}
    (tmp_path / "none.toml").write_text("")
    ok = subprocess.run([sys.executable, "-m", "runload", "import", str(SAMPLES / "alex"), "--athlete", "alex",
                         "--jobs", "1", "-q"], env=env, capture_output=True, text=True, timeout=120)
    assert ok.returncode == 0, ok.stderr
    usage = subprocess.run([sys.executable, "-m", "runload", "nonsense"], env=env, capture_output=True, text=True,
                           timeout=60)
    assert usage.returncode == 2 and "Usage: runload" in usage.stderr
