"""Shared fixtures: the shared real files, a temporary store, activity builders."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pandas as pd
import pytest

from runload.findings import Finding, check_message
from runload.models import Activity
from runload.store import Store

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "real-activities"
SAMPLES = ROOT / "sample_activities"


@pytest.fixture
def shared_dir() -> Path:
    """``../shared/real-activities``; the test is skipped where it is absent."""
    if not (SHARED / "truth.csv").exists():
        pytest.skip("../shared/real-activities is not present")
    return SHARED


@pytest.fixture
def tmp_store(tmp_path):
    store = Store.open(tmp_path / "runload.db")
    yield store
    store.close()


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory, monkeypatch):
    """Never touch the developer's own store or config."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    monkeypatch.delenv("RUNLOAD_DB", raising=False)
    monkeypatch.delenv("RUNLOAD_CONFIG", raising=False)


def make_run(start: str, km: float, **kw) -> Activity:
    """A running Activity starting at ``start`` (ISO, UTC unless it has an offset)."""
    ts = datetime.fromisoformat(start.replace("Z", "+00:00"))
    if ts.tzinfo is None:
        ts = ts.replace(tzinfo=timezone.utc)
    values = dict(
        start_utc=ts.astimezone(timezone.utc), sport="running", source_format="fit", distance_m=km * 1000.0,
        moving_s=km * 330.0, elapsed_s=km * 340.0,
    )
    values.update(kw)
    return Activity(**values)


def activities_frame(rows: list[tuple[str, float]] | list[Activity], sport: str = "running") -> pd.DataFrame:
    """A minimal activities frame as the store returns it, from (start ISO, km) pairs."""
    acts = [r if isinstance(r, Activity) else make_run(r[0], r[1]) for r in rows]
    return pd.DataFrame({
        "id": range(1, len(acts) + 1),
        "start_utc": pd.to_datetime([a.start_utc for a in acts], utc=True),
        "utc_offset_s": [float("nan") if a.utc_offset_s is None else a.utc_offset_s for a in acts],
        "sport": [a.sport for a in acts],
        "sub_sport": [a.sub_sport for a in acts],
        "distance_m": [a.distance_m for a in acts],
        "moving_s": [a.moving_s for a in acts],
        "elapsed_s": [a.elapsed_s for a in acts],
        "avg_hr_bpm": [a.avg_hr_bpm for a in acts],
        "max_hr_bpm": [a.max_hr_bpm for a in acts],
        "ascent_m": [a.ascent_m for a in acts],
        "shoe": [None] * len(acts),
        "hr_seconds_by_bpm": [a.hr_seconds_by_bpm for a in acts],
        "notes": [list(a.notes) for a in acts],
        "recovered": [a.recovered for a in acts],
    })


@pytest.fixture(autouse=True)
def scanned_messages(monkeypatch):
    """Record every Finding message; fail the test if one breaks the wording rules."""
    seen: list[str] = []
    original = Finding.__post_init__

    def recording(self):
        original(self)
        seen.append(self.message)

    monkeypatch.setattr(Finding, "__post_init__", recording)
    yield seen
    bad = {m: check_message(m) for m in seen if check_message(m)}
    assert not bad, f"messages break the wording rules: {bad}"
