"""Import speed and memory: runload against bare decoders, every side timed the same way.

Usage::

    python benchmarks/import_bench.py [--work DIR] [--synthetic 200] [--mixed 2000] [--skip-fitparse] [--skip-mixed]

Prints, from ONE run of each measurement (the machine is shared and noisy, so
compare the ratios within one run, not figures across days):

1. **FIT set**: the FIT files of the two shared folders of real activity files
   next to the checkout (when present) plus ``--synthetic`` one-hour
   synthetic runs (1 s samples). Each side is a whole process started from
   scratch that reads the same files from disk (gunzipping ``.gz``), timed by
   its wall clock: ``runload import FOLDER --jobs 1`` (parse and store, into a
   fresh store), bare fitparse (every message), fitfast's full decode
   (``fitfast.parse``) and fitfast's session-only read
   (``fitfast.records(data, "session")``). MB are the decompressed FIT bytes.
   Then in-process, the files already in memory: runload's ``read_bytes`` against
   fitfast's full decode and session-only read.
2. **Peak RSS** of ``runload import`` of a 50 MB FIT (2.4 M records) as a child
   process (its own ``VmHWM``; ``ru_maxrss`` would count the forked parent too).
3. **2,000 mixed files** (a third each FIT, GPX, TCX; 5 s samples, 3-15 km, one
   in ten gzipped): the first import with ``--jobs 1`` and ``--jobs 2`` (whole
   process), and the re-import of the unchanged folder, in-process
   (``import_paths``, known files are skipped before they are read) and as a
   whole process.

Targets: FIT import >= 150x bare fitparse and >= 0.5x fitfast's session-only
read rate; 50 MB FIT <= 300 MB peak; 2,000 mixed files <= 5 s on one core;
re-import <= 0.2 s. Takes a few minutes (bare fitparse alone about 80 s);
``--skip-fitparse`` and ``--skip-mixed`` shorten it.
"""

from __future__ import annotations

import argparse
import gzip
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
sys.path.insert(0, str(REPO / "src"))

PYTHON = sys.executable
ENV = {**os.environ, "PYTHONPATH": str(REPO / "src") + os.pathsep + os.environ.get("PYTHONPATH", "")}

#: A bare decoder as a whole process: read every FIT file of a folder (gunzip .gz) and decode it.
DECODER_SCRIPT = textwrap.dedent(
    """
    import gzip, sys
    from pathlib import Path
    kind, folder = sys.argv[1], Path(sys.argv[2])
    if kind == "fitparse":
        import fitparse
        def decode(data):
            for _message in fitparse.FitFile(data, check_crc=False).get_messages():
                pass
    else:
        import fitfast
        if kind == "fitfast-parse":
            decode = fitfast.parse
        else:
            def decode(data):
                fitfast.records(data, "session")
    for path in sorted(folder.iterdir()):
        data = path.read_bytes()
        if data[:2] == b"\\x1f\\x8b":
            data = gzip.decompress(data)
        try:
            decode(data)
        except Exception:  # damaged files count up to the damage, as in runload
            pass
    """
)


def _gunzipped(data: bytes) -> bytes:
    return gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data


def build_fit_set(folder: Path, n_synthetic: int) -> tuple[int, int, int]:
    """Copy the shared real FIT files and write ``n_synthetic`` one-hour runs into ``folder``.

    Returns (real files, synthetic files, decompressed bytes).
    """
    from runload_testing.synthetic import SyntheticRun, write_fit

    folder.mkdir(parents=True, exist_ok=True)
    real = 0
    for shared in (SHARED / "real-activities", SHARED / "real-activities-2"):
        if not shared.is_dir():
            continue
        for path in sorted(shared.iterdir()):
            if path.name.lower().endswith((".fit", ".fit.gz")):
                shutil.copyfile(path, folder / f"{shared.name}__{path.name}")
                real += 1
    start = datetime(2025, 1, 1, 6, 0, tzinfo=timezone.utc)
    for i in range(n_synthetic):
        run = SyntheticRun(start + timedelta(days=i), 10_000 + 20 * i, 3600, sample_interval_s=1, seed=i)
        (folder / f"synthetic-{i:03d}.fit").write_bytes(write_fit(run))
    nbytes = sum(len(_gunzipped(p.read_bytes())) for p in folder.iterdir())
    os.sync()  # written out before anything is timed: the first timed command must not pay the writeback
    return real, n_synthetic, nbytes


def build_mixed(root: Path, n: int) -> int:
    """``n`` synthetic FIT/GPX/TCX files (one in ten gzipped); returns the bytes before gzip."""
    from runload_testing.synthetic import write_mixed_folder

    nbytes = write_mixed_folder(root, n)
    os.sync()  # written out before anything is timed
    return nbytes


def run_process(args: list[str], env: dict | None = None, ok=(0,)) -> tuple[float, int, int]:
    """Run a child process to its end; returns (wall seconds, its peak RSS in MB, exit code)."""
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(args, env=env or ENV, stdout=subprocess.DEVNULL, stderr=err)
        _pid, status, usage = os.wait4(proc.pid, 0)  # this child's own rusage
        took = time.perf_counter() - start
        proc.returncode = code = os.waitstatus_to_exitcode(status)
        if code not in ok:
            err.seek(0)
            print(f"  ! {' '.join(args[:5])} ... exited {code}: {err.read().decode(errors='replace').strip()[-300:]}")
    return took, usage.ru_maxrss // 1024, code


#: Runs the CLI in this child as the ``runload`` console script does (``runload.cli:main``) and writes the
#: child's own peak RSS (Linux VmHWM) to the file named first: a child's ru_maxrss also counts the parent
#: it was forked from.
CLI_SCRIPT = textwrap.dedent(
    """
    import sys
    out = sys.argv.pop(1)
    sys.argv[0] = "runload"
    try:
        from runload.cli import main
        main()
    finally:
        with open("/proc/self/status") as status, open(out, "w") as handle:
            handle.write(next(l.split()[1] for l in status if l.startswith("VmHWM")))
    """
)


def runload_import(paths: list[Path], db: Path, jobs: int | None) -> tuple[float, int, int]:
    """``runload import`` as a whole process into ``db``; exit 3 (some files skipped) is a success here.

    Returns (wall seconds, peak RSS of the importing process in MB, exit code).
    """
    env = {**ENV, "RUNLOAD_DB": str(db)}
    with tempfile.NamedTemporaryFile("r", suffix=".hwm") as hwm:
        args = [PYTHON, "-c", CLI_SCRIPT, hwm.name, "import", *map(str, paths), "--athlete", "bench", "-q"]
        if jobs:
            args += ["--jobs", str(jobs)]
        took, _rss, code = run_process(args, env, ok=(0, 3))
        text = hwm.read().strip()
    return took, int(text) // 1024 if text else -1, code


def _fresh(db: Path) -> Path:
    for suffix in ("", "-wal", "-shm"):
        Path(str(db) + suffix).unlink(missing_ok=True)
    return db


def line(label: str, seconds: float, nbytes: int | None = None, ref: float | None = None, ref_label: str = "") -> None:
    rate = f"{nbytes / 1e6 / seconds:8.1f} MB/s" if nbytes else " " * 13
    ratio = f"  {ref / seconds:7.2f}x {ref_label}" if ref else ""
    print(f"  {label:<52} {seconds:8.3f} s {rate}{ratio}")


def fit_section(work: Path, n_synthetic: int, skip_fitparse: bool) -> None:
    folder = work / "fitset"
    if folder.exists():
        shutil.rmtree(folder)
    real, synthetic, nbytes = build_fit_set(folder, n_synthetic)
    print(f"1. FIT set: {real} shared real FIT files + {synthetic} one-hour synthetic runs, "
          f"{nbytes / 1e6:.1f} MB decompressed\n   whole processes, one run each, wall clock:")
    t_python, _rss, _rc = run_process([PYTHON, "-c", "pass"])
    t_runload, _rss, _rc = runload_import([folder], _fresh(work / "fit.db"), 1)
    t_parse, _rss, _rc = run_process([PYTHON, "-c", DECODER_SCRIPT, "fitfast-parse", str(folder)])
    t_session, _rss, _rc = run_process([PYTHON, "-c", DECODER_SCRIPT, "fitfast-session", str(folder)])
    t_fitparse = None
    if not skip_fitparse:
        t_fitparse, _rss, _rc = run_process([PYTHON, "-c", DECODER_SCRIPT, "fitparse", str(folder)])
    line("python -c pass (start-up alone)", t_python)
    if t_fitparse:
        line("bare fitparse, every message", t_fitparse, nbytes)
    line("fitfast full decode (fitfast.parse)", t_parse, nbytes)
    line("fitfast session-only read (records 'session')", t_session, nbytes)
    line("runload import --jobs 1 (parse + store)", t_runload, nbytes)
    if t_fitparse:
        print(f"  runload import vs bare fitparse: {t_fitparse / t_runload:.1f}x (target >= 150x)")
    print(f"  runload import vs fitfast full decode: {t_parse / t_runload:.2f}x; "
          f"vs fitfast session-only read: {t_session / t_runload:.2f}x")

    import fitfast

    from runload.importers import read_bytes

    files = [p.read_bytes() for p in sorted(folder.iterdir())]
    plain = [_gunzipped(d) for d in files]

    def timed(fn, items) -> float:
        start = time.perf_counter()
        for data in items:
            try:
                fn(data)
            except Exception:  # noqa: BLE001 - unreadable files are part of the set
                pass
        return time.perf_counter() - start

    timed(read_bytes, files[:3])  # imports and first-call set-up, outside the clock
    print("   in-process, files already in memory, one run each:")
    s_parse = timed(fitfast.parse, plain)
    s_session = timed(lambda d: fitfast.records(d, "session"), plain)
    s_read = timed(read_bytes, files)
    line("fitfast full decode (fitfast.parse)", s_parse, nbytes)
    line("fitfast session-only read", s_session, nbytes)
    line("runload read_bytes (FIT reader)", s_read, nbytes)
    print(f"  runload's reader vs fitfast session-only read: {s_session / s_read:.2f}x (target >= 0.5x); "
          f"vs fitfast full decode: {s_parse / s_read:.2f}x\n")


def memory_section(work: Path) -> None:
    from runload_testing.synthetic import SyntheticRun, write_fit

    big = work / "big50.fit"
    if not big.exists():
        n = 50 * 1024 * 1024 // 22  # ~22 bytes per record with GPS + HR
        start = datetime(2026, 6, 27, 4, 0, tzinfo=timezone.utc)
        big.write_bytes(write_fit(SyntheticRun(start, n * 2.9, n, sample_interval_s=1, seed=2)))
        os.sync()
    took, rss, rc = runload_import([big], _fresh(work / "big.db"), 1)
    print(f"2. 50 MB FIT ({big.stat().st_size / 1e6:.1f} MB), runload import --jobs 1 as a child process (its VmHWM):")
    print(f"  {'peak RSS':<52} {rss:8d} MB (target <= 300 MB), {took:.2f} s, exit {rc}\n")


def mixed_section(work: Path, n: int) -> None:
    folder = work / f"mixed{n}"
    if not folder.exists():
        build_mixed(folder, n)
    size = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
    print(f"3. {n:,} mixed files (FIT/GPX/TCX, {size / 1e6:.0f} MB as stored), whole processes, one run each:")
    t1, _rss, _rc = runload_import([folder], _fresh(work / "mixed1.db"), 1)
    line("first import --jobs 1", t1, size)
    t2, _rss, _rc = runload_import([folder], _fresh(work / "mixed2.db"), 2)
    line("first import --jobs 2", t2, size)
    t3, _rss, _rc = runload_import([folder], work / "mixed2.db", None)
    line("re-import of the unchanged folder (whole process)", t3)

    from runload.ingest import import_paths
    from runload.store import Store

    with Store.open(work / "mixed2.db") as store:
        start = time.perf_counter()
        report = import_paths(store, [folder], athlete="bench")
        took = time.perf_counter() - start
    line(f"re-import in-process ({report.known:,} known files skipped)", took)
    print("  targets: first import <= 5 s on one core; re-import <= 0.2 s\n")


def main(argv=None) -> int:
    from _bytecode import compile_sources

    compile_sources()  # time runload as an installed program (see _bytecode.py)
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--work", help="folder for generated files and stores (default: a temporary folder)")
    parser.add_argument("--synthetic", type=int, default=200, help="one-hour synthetic FIT runs in the FIT set")
    parser.add_argument("--mixed", type=int, default=2000, help="files in the mixed-format import")
    parser.add_argument("--skip-fitparse", action="store_true", help="leave out bare fitparse (slow: about a minute)")
    parser.add_argument("--skip-mixed", action="store_true")
    args = parser.parse_args(argv)

    from runload.importers import decoder_versions

    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores; "
          + ", ".join(f"{k} {v}" for k, v in decoder_versions().items()) + "\n")
    with tempfile.TemporaryDirectory(prefix="runload-bench-") as tmp:
        work = Path(args.work) if args.work else Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        fit_section(work, args.synthetic, args.skip_fitparse)
        memory_section(work)
        if not args.skip_mixed:
            mixed_section(work, args.mixed)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
