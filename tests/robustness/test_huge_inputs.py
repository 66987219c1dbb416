"""Acceptance 5: huge inputs import with bounded memory (peak RSS of a fresh import process, from VmHWM).

Slow (each ~20-30 s): run with ``pytest -m slow tests/robustness``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from . import huge_inputs

#: Bound on the import process's peak RSS [MB].
PEAK_MB_BOUND = 1536


def _run(kind: str, tmp_path: Path) -> dict:
    proc = subprocess.run([sys.executable, huge_inputs.__file__, kind, str(tmp_path)], capture_output=True,
                          text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_ultra_gpx_500k_points(tmp_path):
    result = _run("gpx500k", tmp_path)
    assert result["imported"] == 1 and not result["skipped"], result
    assert result["peak_mb"] < PEAK_MB_BOUND, result  # measured ~395 MB for 120 MB of GPX


@pytest.mark.slow
def test_fit_50mb(tmp_path):
    result = _run("fit50mb", tmp_path)
    assert result["imported"] == 1 and not result["skipped"], result
    assert result["peak_mb"] < PEAK_MB_BOUND, result
