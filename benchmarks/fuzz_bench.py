"""Long fuzz run: the properties of tests/robustness/test_fuzz.py with thousands of cases, on every real file.

Usage::

    python benchmarks/fuzz_bench.py [--examples 500] [--max-bytes 2000000] [--seed-random]

8 hypothesis properties x ``--examples`` cases (default 500 -> 4,000 cases) plus the
deterministic cut sweeps, over all files of ../shared/real-activities up to
``--max-bytes`` and the synthetic files. Each case has the same 10 s deadline and
one-line-reason check as the normal suite. ``--seed-random`` turns hypothesis'
derandomization off (new cases every run; failures print a reproduction blob).
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


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--examples", type=int, default=500)
    ap.add_argument("--max-bytes", type=int, default=2_000_000)
    ap.add_argument("--seed-random", action="store_true")
    args = ap.parse_args()
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
