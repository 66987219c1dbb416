"""Long fuzz runs: mutated files through the whole import, and the parser properties.

Usage::

    python benchmarks/fuzz_bench.py [--cases 10000] [--seed N]
    python benchmarks/fuzz_bench.py --properties [--examples 500] [--max-bytes 2000000] [--seed-random]

Default: ``--cases`` mutated files (loose, gzipped, and in zip wrappers with every compression
method, odd member names, nesting and damage to the archive itself; see
tests/robustness/importfuzz.py) go through ``import_paths`` in batches of 100. Prints the cases,
the crashes (an exception out of the import: target 0), reasons that are not one line, the
slowest case and the peak memory of the process.

``--properties``: the 8 hypothesis properties of tests/robustness/test_fuzz.py x ``--examples``
cases plus the deterministic cut sweeps, over the real test files up to ``--max-bytes`` and the
synthetic files. ``--seed-random`` turns hypothesis' derandomization off.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PROPERTIES = 8


def import_fuzz(cases: int, seed: int) -> int:
    import tempfile

    sys.path.insert(0, str(REPO / "src"))
    sys.path.insert(0, str(REPO))
    from tests.robustness.importfuzz import run

    with tempfile.TemporaryDirectory() as tmp:
        # the FIT decoder's Rust panic hook prints each caught panic to stderr: count them instead
        err_path = Path(tmp) / "stderr.txt"
        saved = os.dup(2)
        with open(err_path, "wb") as err_file:
            os.dup2(err_file.fileno(), 2)
            try:
                r = run(Path(tmp) / "cases", cases, seed=seed)
            finally:
                os.dup2(saved, 2)
                os.close(saved)
        panics = err_path.read_text(errors="replace").count("panicked at")
    kinds = ", ".join(f"{k} {v:,}" for k, v in sorted(r.kinds.items()))
    print(f"fuzz_bench (import): {r.cases:,} cases ({kinds}) in {r.seconds:.0f} s, seed {seed}")
    print(f"  crashes: {len(r.crashes)}; reasons not on one line: {len(r.multi_line)}")
    for name, err in r.crashes[:10]:
        print(f"    {name}: {err}")
    print(f"  imported {r.imported:,} activities, skipped {r.skipped:,} files with a reason")
    print(f"  slowest case: {r.slowest_s:.2f} s ({Path(r.slowest.split('!')[0]).name})")
    print(f"  peak memory (max RSS of this process): {r.peak_rss_mb:.0f} MB")
    print(f"  decoder panics caught and turned into a skipped file: {panics:,}")
    return 1 if r.crashes or r.multi_line else 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", type=int, default=10_000, help="mutated files through the import")
    ap.add_argument("--seed", type=int, default=20260302)
    ap.add_argument("--properties", action="store_true", help="run the parser properties instead")
    ap.add_argument("--examples", type=int, default=500)
    ap.add_argument("--max-bytes", type=int, default=2_000_000)
    ap.add_argument("--seed-random", action="store_true")
    args = ap.parse_args()
    if not args.properties:
        return import_fuzz(args.cases, args.seed)
    env = dict(os.environ, RUNLOAD_FUZZ_EXAMPLES=str(args.examples), RUNLOAD_FUZZ_MAX_BYTES=str(args.max_bytes))
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(REPO / "tests/robustness/test_fuzz.py")]
    if args.seed_random:
        env["RUNLOAD_FUZZ_RANDOM"] = "1"
    start = time.perf_counter()
    proc = subprocess.run(cmd, env=env, cwd=REPO, stderr=subprocess.DEVNULL)
    took = time.perf_counter() - start
    print(f"fuzz_bench: {PROPERTIES} properties x {args.examples} cases (+ cut sweeps), files up to "
          f"{args.max_bytes:,} bytes: {took:.0f} s, {'PASS' if proc.returncode == 0 else 'FAIL'}")
    return proc.returncode


if __name__ == "__main__":
    sys.exit(main())
