"""Acceptance 2: a FIT file cut short (battery died mid-run) keeps what was recorded before the cut."""

from __future__ import annotations

import pytest

from runload.importers import read_bytes
from runload.ingest import import_paths
from runload_testing.synthetic import samples, write_fit

from .conftest import run_cli, synthetic_run
from .fitwalk import walk

RECORD_LOCAL = 3  # runload_testing.synthetic writes records as local message 3


def _records_before(blob: bytes, cut: int) -> int:
    """How many record messages lie completely before byte ``cut``."""
    _headers, _defs, rows = walk(blob)
    rows = rows + [len(blob) - 2]
    complete = 0
    for off, nxt in zip(rows, rows[1:]):
        if blob[off] & 0x0F == RECORD_LOCAL and not blob[off] & 0x40 and nxt <= cut:
            complete += 1
    return complete


@pytest.fixture(scope="module")
def long_run():
    run = synthetic_run(3, 10.0, sample_interval_s=1, pause_s=0)
    return run, write_fit(run), samples(run)


@pytest.mark.parametrize("fraction", [0.25, 0.5, 0.75])
def test_cut_fit_keeps_the_part_before_the_cut(long_run, fraction):
    run, blob, s = long_run
    cut = int(len(blob) * fraction)
    kept = _records_before(blob, cut)
    assert kept > 0
    expected_m = float(s["distance_m"][kept - 1])
    (act,) = read_bytes(blob[:cut])
    assert act.start_utc == run.start_utc  # exact
    assert act.recovered, "a truncated file must say it was recovered"
    assert "\n" not in act.recovered
    # FIT distance is stored in cm: the rebuilt distance is the last complete record's, within 1 m
    assert act.distance_m == pytest.approx(expected_m, abs=1.0)
    full_m = float(s["distance_m"][-1])
    assert act.distance_m < full_m * (fraction + 0.02)
    elapsed_at_cut = float(s["timestamp_s"][kept - 1] - s["timestamp_s"][0])
    assert act.elapsed_s == pytest.approx(elapsed_at_cut, abs=2.0)


@pytest.mark.parametrize("fraction", [0.5])
def test_cut_fit_keeps_its_declared_sport(long_run, fraction):
    """No session/sport message before the cut: the sport comes from the laps (lap.sport = running)."""
    _run, blob, _s = long_run
    (act,) = read_bytes(blob[: int(len(blob) * fraction)])
    assert act.sport == "running"


def test_cut_fit_recovered_through_the_pipeline_and_cli(long_run, tmp_path):
    run, blob, _s = long_run
    folder = tmp_path / "watch"
    folder.mkdir()
    for fraction in (0.25, 0.5, 0.75):
        (folder / f"cut{int(fraction * 100)}.fit").write_bytes(blob[: int(len(blob) * fraction)])
    # the three cuts are the same run (same start): one stored, two duplicates / replaced; use separate stores
    db = tmp_path / "cli.db"
    single = tmp_path / "single"
    single.mkdir()
    (single / "battery_died.fit").write_bytes(blob[: len(blob) // 2])
    proc = run_cli(["import", str(single), "--athlete", "ann"], db)
    assert proc.returncode == 0, proc.stderr
    assert "Recovered from damaged files: 1" in proc.stdout
    line = proc.stdout.split("Recovered from damaged files: 1", 1)[1].strip().splitlines()[0]
    assert "battery_died.fit" in line and "kept the" in line

    from runload.store import Store

    with Store.open(db, readonly=True) as store:
        frame = store.activities_frame("ann")
    assert len(frame) == 1
    assert frame["recovered"].iloc[0]
    assert frame["start_utc"].iloc[0].to_pydatetime() == run.start_utc

    # library level: the report lists it too
    with Store.open(tmp_path / "lib.db") as store:
        report = import_paths(store, [folder / "cut50.fit"], athlete="ann", jobs=1)
    assert [f for f, _ in report.recovered] == [str(folder / "cut50.fit")]
