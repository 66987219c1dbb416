"""Robustness benchmarks: incremental re-import, synthetic-file throughput vs bare parsers, huge-input memory.

Usage::

    python benchmarks/robustness_bench.py [--files 2000] [--skip-huge]

* generates N synthetic FIT/GPX/TCX files (some gzipped, 5 s sampling, 3-15 km) once into a temp dir;
* times the first import (default jobs) and the re-import of the unchanged folder (target < 2 s);
* throughput of runload's read_bytes per format vs bare fitparse / gpxpy on the same synthetic files
  (``benchmarks/import_bench.py`` covers the real files of ../shared/real-activities and fitfast);
* peak RSS (VmHWM) of importing a 500,000-point GPX and a 50 MB FIT in a fresh process;
* ``--kills N`` (default 20): N real ``runload import --jobs 2`` runs killed while their pool works,
  cycling SIGKILL, SIGTERM and SIGHUP; prints the orphans (workers alive 5 s after the kill; target 0),
  the slowest end-of-file seen by a reader of the output, and the exit codes. ``--kills-only`` skips
  everything else.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))


def make_folder(root: Path, n: int) -> int:
    """``n`` synthetic FIT/GPX/TCX files (one in ten gzipped); returns the bytes before gzip."""
    from runload_testing.synthetic import write_mixed_folder

    return write_mixed_folder(root, n)


def timed_import(folder: Path, db: Path, jobs=None, profile: bool = False):
    from runload.ingest import import_paths
    from runload.store import Store

    prof = cProfile.Profile() if profile else None
    start = time.perf_counter()
    if prof:
        prof.enable()
    with Store.open(db) as store:
        report = import_paths(store, [folder], athlete="bench", jobs=jobs)
    if prof:
        prof.disable()
    took = time.perf_counter() - start
    return took, report, prof


def throughput(n_per_format: int = 30) -> None:
    from runload.importers import read_bytes
    from runload_testing.synthetic import SyntheticRun, write_fit, write_gpx, write_tcx

    t0 = datetime(2021, 1, 1, 6, tzinfo=timezone.utc)
    runs = [SyntheticRun(t0 + timedelta(days=k), 10_000.0, 3_300.0, seed=k) for k in range(n_per_format)]  # 1 s
    files = {"fit": [write_fit(r) for r in runs], "gpx": [write_gpx(r) for r in runs],
             "tcx": [write_tcx(r) for r in runs]}
    print(f"\nThroughput on synthetic 10 km runs (1 s samples, {n_per_format} files per format):")
    print(f"  {'parser':<34} {'files/s':>9} {'MB/s':>8}")

    def line(label, fn, blobs):
        start = time.perf_counter()
        for b in blobs:
            fn(b)
        took = time.perf_counter() - start
        mb = sum(map(len, blobs)) / 1e6
        print(f"  {label:<34} {len(blobs) / took:9.1f} {mb / took:8.1f}")

    line("runload read_bytes  FIT", read_bytes, files["fit"])
    try:
        import fitparse

        line("bare fitparse (all messages) FIT", lambda b: list(fitparse.FitFile(io.BytesIO(b)).get_messages()),
             files["fit"][:5])
    except ImportError:
        print("  fitparse not installed")
    line("runload read_bytes  GPX", read_bytes, files["gpx"])
    import gpxpy

    line("bare gpxpy.parse GPX", lambda b: gpxpy.parse(b.decode()), files["gpx"])
    line("runload read_bytes  TCX", read_bytes, files["tcx"])
    from defusedxml import ElementTree as SafeET

    line("bare defusedxml fromstring TCX", SafeET.fromstring, files["tcx"])


def huge() -> None:
    driver = REPO / "tests" / "robustness" / "huge_inputs.py"
    print("\nHuge inputs (import in a fresh process, jobs=1; peak = VmHWM):")
    with tempfile.TemporaryDirectory() as tmp:
        for kind in ("gpx500k", "fit50mb"):
            proc = subprocess.run([sys.executable, str(driver), kind, tmp], capture_output=True, text=True)
            if proc.returncode:
                print(f"  {kind}: failed: {proc.stderr[-500:]}")
                continue
            r = json.loads(proc.stdout.strip().splitlines()[-1])
            print(f"  {kind:<8} input {r['input_mb']:6.1f} MB  import {r['seconds']:6.1f} s  "
                  f"peak RSS {r['peak_mb']:7.0f} MB  imported {r['imported']}")


def kills(n: int) -> int:
    """Kill ``n`` real imports while their pool runs; returns the orphan count."""
    import os
    import signal

    sys.path.insert(0, str(REPO))
    from tests.robustness.killcheck import kill_import

    runload = str(Path(sys.executable).with_name("runload"))
    signals = (signal.SIGKILL, signal.SIGTERM, signal.SIGHUP)
    orphans, workers, eofs, codes, no_eof = 0, 0, [], [], 0
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "watch"
        make_folder(folder, 400)  # the pool must still be busy when the signal comes
        env = dict(os.environ, PYTHONPATH=str(REPO / "src"))
        for i in range(n):
            signum = signals[i % len(signals)]
            db = Path(tmp) / f"kill{i}.db"
            env["RUNLOAD_DB"] = str(db)
            result = kill_import(runload, folder, db, signum, env)
            workers += len(result.workers)
            orphans += len(result.left)
            codes.append(f"{signum.name}:{result.returncode}")
            if result.eof_s is None:
                no_eof += 1
            else:
                eofs.append(result.eof_s)
    print(f"\nKilled imports ({n} runs, --jobs 2, SIGKILL/SIGTERM/SIGHUP in turn): {workers} workers seen, "
          f"orphans after 5 s: {orphans}; output pipe at EOF in {max(eofs) if eofs else float('nan'):.2f} s "
          f"at most, never: {no_eof}")
    print("  exit codes: " + ", ".join(sorted(set(codes))))
    return orphans


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--files", type=int, default=2000)
    ap.add_argument("--skip-huge", action="store_true")
    ap.add_argument("--profile", action="store_true", help="cProfile the re-import and print the top 15")
    ap.add_argument("--kills", type=int, default=20, help="killed imports to check for orphans (0: none)")
    ap.add_argument("--kills-only", action="store_true", help="only the killed-import check")
    args = ap.parse_args()
    if args.kills_only:
        sys.exit(1 if kills(args.kills) else 0)
    with tempfile.TemporaryDirectory() as tmp:
        folder, db = Path(tmp) / "watch", Path(tmp) / "runload.db"
        start = time.perf_counter()
        raw = make_folder(folder, args.files)
        print(f"Generated {args.files} synthetic files ({raw / 1e6:.0f} MB uncompressed) in "
              f"{time.perf_counter() - start:.1f} s")
        took, report, _ = timed_import(folder, db)
        print(f"First import (default jobs):      {took:7.2f} s  {args.files / took:8.0f} files/s  "
              f"imported {report.imported}, skipped {len(report.skipped)}")
        took2, report2, prof = timed_import(folder, db, profile=args.profile)
        verdict = "OK" if took2 < 2.0 else "SLOWER THAN THE 2 s TARGET"
        print(f"Re-import of the unchanged folder: {took2:7.2f} s  {args.files / took2:8.0f} files/s  "
              f"known {report2.known}, imported {report2.imported}  [{verdict}]")
        if prof:
            pstats.Stats(prof).sort_stats("cumulative").print_stats(15)
    throughput()
    if not args.skip_huge:
        huge()
    if args.kills:
        kills(args.kills)


if __name__ == "__main__":
    main()
