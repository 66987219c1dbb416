"""Build small stores for report tests through the real Store API."""

from __future__ import annotations

import hashlib
from pathlib import Path

from runload.store import Store
from tests.conftest import make_run

XSS = "<script>alert(1)</script>"

#: ISO 2024-W01 = Mon 2024-01-01 .. Sun 2024-01-07; W02 = 2024-01-08 .. 2024-01-14.
STEADY = [("2024-01-01T07:00:00Z", 10), ("2024-01-03T07:00:00Z", 10), ("2024-01-05T07:00:00Z", 10),
          ("2024-01-08T07:00:00Z", 10), ("2024-01-10T07:00:00Z", 10), ("2024-01-12T07:00:00Z", 10)]
#: W02 is 35 km after 30 km: +16.7 % > 10 % -> weekly_increase warning; no run spike.
WARNING_WEEK = STEADY[:3] + [("2024-01-08T07:00:00Z", 10), ("2024-01-10T07:00:00Z", 10),
                             ("2024-01-12T07:00:00Z", 10), ("2024-01-13T07:00:00Z", 5)]
#: Five weeks of 10 km runs from Mon 2023-11-27 (more than 30 days of history, so the spike is not
#: provisional), then W02 2024 holds a 25 km run: +150 % over the 30-day longest -> run_spike alert.
#: W01 repeats the 30 km of the weeks before, so W02 (35 km, +16.7 %) is a weekly_increase warning too.
HISTORY = [(f"{day}T07:00:00Z", 10) for day in (
    "2023-11-27", "2023-11-29", "2023-12-01", "2023-12-04", "2023-12-06", "2023-12-08", "2023-12-11",
    "2023-12-13", "2023-12-15", "2023-12-18", "2023-12-20", "2023-12-22", "2023-12-25", "2023-12-27",
    "2023-12-29")]
ALERT_WEEK = HISTORY + STEADY[:3] + [("2024-01-08T07:00:00Z", 10), ("2024-01-13T07:00:00Z", 25)]


def add_runs(store: Store, athlete: str, runs, *, tz: str = "Europe/Berlin", shoe: str | None = None,
             **kw) -> None:
    aid = store.athlete_id(athlete, create=True, tz=tz)
    for i, (start, km) in enumerate(runs):
        act = make_run(start, km, **kw)
        digest = hashlib.sha256(f"{athlete}{start}{km}{i}".encode()).hexdigest()
        store.add_file(aid, [act], source_path=f"/data/{athlete}/{start[:10]}.fit", content_hash=digest, shoe=shoe)


def make_store(path: Path, athletes: dict[str, list], **kw) -> Path:
    with Store.open(path) as store:
        for name, runs in athletes.items():
            add_runs(store, name, runs, **kw)
    return path


def xss_store(path: Path) -> Path:
    """An athlete, activity, shoe, note and skipped file all named ``<script>alert(1)</script>``."""
    with Store.open(path) as store:
        aid = store.athlete_id(XSS, create=True, tz="Europe/Berlin")
        for i, (start, km) in enumerate(WARNING_WEEK):
            act = make_run(start, km, name=XSS, sub_sport="treadmill" if i == 0 else None,
                           notes=(XSS,), recovered=XSS if i == 1 else None)
            store.add_file(aid, [act], source_path=f"/data/{XSS}/{i}.fit", content_hash=f"x{i}", shoe=XSS)
        store.log_file(aid, None, f"/data/{XSS}.fit", 10, 1.0, "bad", "skipped", reason=XSS)
        add_runs(store, "bo", STEADY)
    return path
