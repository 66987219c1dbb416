"""Builders for rule tests: activities frames from daily kilometres, and contexts.

Named ``loadfixtures`` (not ``helpers``) so it cannot clash with other test folders' modules.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from runload.config import Config
from runload.rules.context import build_context

#: science.md fixture D35: 35 days from Mon 2024-01-01; weeks 1-4 [6,0,8,0,6,0,10] km, week 5 [6,0,8,0,6,0,25].
D35_KM = [6, 0, 8, 0, 6, 0, 10] * 4 + [6, 0, 8, 0, 6, 0, 25]
D35_START = date(2024, 1, 1)

COLUMNS = ("id", "start_utc", "utc_offset_s", "sport", "sub_sport", "distance_m", "moving_s", "elapsed_s",
           "avg_hr_bpm", "max_hr_bpm", "ascent_m", "name", "device", "source_format", "shoe",
           "hr_seconds_by_bpm", "notes", "recovered")


def activity(start_local: datetime, distance_km: float, tz: str = "UTC", sport: str = "running",
             shoe: str | None = None, hr: dict | None = None, id: int = 0) -> dict:
    """One activity row starting at the naive local time ``start_local`` in ``tz``."""
    aware = start_local.replace(tzinfo=ZoneInfo(tz))
    utc = pd.Timestamp(aware).tz_convert("UTC")
    return {
        "id": id, "start_utc": utc, "utc_offset_s": aware.utcoffset().total_seconds(), "sport": sport,
        "sub_sport": None, "distance_m": distance_km * 1000.0, "moving_s": distance_km * 330.0,
        "elapsed_s": distance_km * 340.0, "avg_hr_bpm": np.nan, "max_hr_bpm": np.nan, "ascent_m": 10.0,
        "name": "Run", "device": "test", "source_format": "fit", "shoe": shoe, "hr_seconds_by_bpm": hr,
        "notes": [], "recovered": None,
    }


def frame(rows: list[dict]) -> pd.DataFrame:
    """An activities frame with the store's columns and dtypes."""
    if not rows:
        out = pd.DataFrame({c: pd.Series(dtype=object) for c in COLUMNS})
        out["start_utc"] = pd.Series(dtype="datetime64[ns, UTC]")
        return out
    out = pd.DataFrame(rows, columns=list(COLUMNS))
    out["start_utc"] = pd.to_datetime(out["start_utc"], utc=True).astype("datetime64[ns, UTC]")
    out["id"] = np.arange(len(out))
    return out


def daily_runs(km_per_day, start: date = D35_START, hour: int = 7, tz: str = "UTC", shoe: str | None = None,
               minute: int = 0) -> pd.DataFrame:
    """One run per day with km > 0, at ``hour:minute`` local time, days from ``start``."""
    rows = []
    for i, km in enumerate(km_per_day):
        if km:
            d = start + timedelta(days=i)
            rows.append(activity(datetime(d.year, d.month, d.day, hour, minute), km, tz=tz, shoe=shoe, id=i))
    return frame(rows)


def weeks_on_mondays(week_km, start: date = D35_START) -> pd.DataFrame:
    """One run per ISO week (on its Monday) of ``week_km[k]`` km."""
    km = []
    for w in week_km:
        km += [w, 0, 0, 0, 0, 0, 0]
    return daily_runs(km, start)


def ctx_for(activities: pd.DataFrame, as_of: date | None = None, cfg: Config | None = None, tz: str | None = "UTC",
            shoes: pd.DataFrame | None = None, athlete: str = "test"):
    cfg = cfg or Config()
    if as_of is None:
        if len(activities):
            as_of = pd.to_datetime(activities["start_utc"]).max().tz_convert(tz or "UTC").date()
        else:
            as_of = D35_START
    # the fixtures describe complete logs: every day up to as_of without a run is a rest day
    return build_context(activities, shoes, athlete, cfg, tz=tz, as_of=as_of, data_end=as_of)


def d35_ctx(cfg: Config | None = None):
    """Context of fixture D35, as_of = t 34 = Sun 2024-02-04."""
    return ctx_for(daily_runs(D35_KM), as_of=date(2024, 2, 4), cfg=cfg)


def shoes_frame(*rows: dict) -> pd.DataFrame:
    base = {"start_distance_m": 0.0, "check_at_m": np.nan, "retire_at_m": np.nan, "retired_on": None,
            "is_default": False}
    return pd.DataFrame([{**base, **r} for r in rows])
