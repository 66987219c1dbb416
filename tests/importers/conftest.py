"""Fixtures for the importer tests: the shared real files and the small copies in tests/data."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
REAL_DIR = REPO.parent / "shared" / "real-activities"
DATA_DIR = REPO / "tests" / "data"


def truth_rows() -> list[dict]:
    """Rows of ``truth.csv`` (empty when the shared folder is absent)."""
    path = REAL_DIR / "truth.csv"
    if not path.exists():
        return []
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture
def real_dir() -> Path:
    """``../shared/real-activities`` relative to the repo; skips cleanly when absent."""
    if not (REAL_DIR / "truth.csv").exists():
        pytest.skip("../shared/real-activities is not present")
    return REAL_DIR


@pytest.fixture
def data_dir() -> Path:
    return DATA_DIR
