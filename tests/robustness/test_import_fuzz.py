"""Issue 11, done-when: mutated files, loose and in (nested, damaged) zip wrappers, through the whole import.
No case may end the import with an exception; each bad file is one line. ``benchmarks/fuzz_bench.py`` runs
10,000 and more; the normal suite runs RUNLOAD_IMPORT_FUZZ_CASES (default 250)."""

from __future__ import annotations

import os

from .importfuzz import run

CASES = int(os.environ.get("RUNLOAD_IMPORT_FUZZ_CASES", "250"))


def test_mutated_files_and_zips_never_stop_the_import(tmp_path, fuzz_seed):
    result = run(tmp_path, CASES, seed=fuzz_seed)
    assert result.cases == CASES
    assert result.crashes == [], result.crashes[:5]
    assert result.multi_line == [], result.multi_line[:5]
    assert result.kinds.get("zip", 0) >= CASES // 3  # the wrappers were exercised
    assert result.skipped > CASES // 4 and result.imported > 0  # both outcomes were reached
    assert result.slowest_s < 10, (result.slowest, result.slowest_s)
