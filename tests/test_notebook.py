"""Execute notebooks/season_walkthrough.ipynb so it cannot rot."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "season_walkthrough.ipynb"


def test_season_walkthrough_runs():
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    if not (ROOT / "sample_activities" / "alex").is_dir():
        pytest.skip("sample_activities/alex is not present")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    client = nbclient.NotebookClient(nb, timeout=300, kernel_name="python3",
                                     resources={"metadata": {"path": str(ROOT)}})
    client.execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    text = "".join(o.get("text", "") for o in outputs if o.get("output_type") == "stream")
    # the sample season's planted results (sample_activities/expected.json)
    assert "74 files, 72 runs, other sports: {'cycling': 1}" in text
    assert "duplicates stored once: 1, skipped: 0" in text
    assert "5 findings" in text
    assert "flagged weeks: ['2026-W40']" in text
    assert "Pegasus 40: 666.0 km in 72 runs, status check" in text
    assert any("image/svg+xml" in o.get("data", {}) for o in outputs)
