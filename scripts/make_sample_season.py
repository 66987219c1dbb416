#!/usr/bin/env python
"""Write the bundled sample season into ``sample_activities/``.

Sixteen ISO weeks, 2026-W32 (Mon 2026-08-03) to 2026-W47 (Sun 2026-11-22),
no activity after Sat 2026-11-21, for two synthetic athletes:

- **alex** (Europe/Berlin): a watch folder of FIT, GPX, ``.fit.gz``,
  ``.gpx.gz`` and one TCX file, with planted load errors (weekly increase,
  week without rest / 9-day streak, shoe past 300 mi, treadmill run, bike
  ride, one run in two formats).
- **sam** (America/New_York): a Strava bulk-export zip with a single-run
  spike, a 23:30 run that is the next day in UTC, a walk and a ride.

The plan below is checked numerically against runload's default rules
(docs/method.md) before any file is written (the script stops with an AssertionError if the
season is not "clean except for the planted errors"), then
``EXPECTED.md`` and ``expected.json`` are written from the same numbers.

Deterministic: running it again rewrites identical bytes.

Usage::

    .venv/bin/python scripts/make_sample_season.py [--out sample_activities]
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import math
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np

from runload_testing.synthetic import SyntheticRun, gzip_bytes, write_fit, write_gpx, write_tcx
from runload.units import M_PER_MILE

FIRST_MONDAY = date(2026, 8, 3)
N_WEEKS = 16
LAST_SUNDAY = FIRST_MONDAY + timedelta(days=7 * N_WEEKS - 1)  # 2026-11-22
LAST_ACTIVITY_DAY = LAST_SUNDAY - timedelta(days=1)  # Sat 2026-11-21

# docs/method.md §12 defaults
MAX_WEEKLY_INCREASE = (11, 10)  # flag when 10*cur > 11*prev
MAX_CONSECUTIVE_RUN_DAYS = 6
MIN_REST_DAYS = 1
SHOE_CHECK_M = 482_803
SHOE_RETIRE_M = 804_672
MONOTONY_MAX = 2.0
ACWR_HIGH = 1.3
SPIKE_REFERENCE_PCT = 10
# Robustness margins: GPX distances come from the track (within ~0.15 % of
# the plan depending on the Earth radius a reader uses), so every "clean"
# value keeps clear of its threshold.
MARGIN_WEEKLY = 1.095
MARGIN_SPIKE = 1.095
MARGIN_ACWR = 0.01
MARGIN_SHOE_M = 1_000
GPX_TOLERANCE = 0.002  # relative, per GPX-sourced run


@dataclass
class Act:
    """One planned activity."""

    athlete: str
    local_date: date
    local_time: time
    distance_m: int
    kind: str = "run"  # run | treadmill | ride | walk
    fmt: str = "fit"  # fit | gpx | tcx | fit.gz | gpx.gz | tcx.gz
    pace_s_per_km: float = 340.0
    pause_s: int = 0
    gear: str | None = None
    name: str | None = None
    duplicate_as: str | None = None  # second format of the same run
    files: list[str] = field(default_factory=list)
    strava_id: int | None = None
    seed: int = 0
    start_utc: datetime | None = None
    tz: str = ""

    @property
    def counts(self) -> bool:
        return self.kind in ("run", "treadmill")

    @property
    def sport(self) -> str:
        return {"run": "running", "treadmill": "running", "ride": "cycling", "walk": "walking"}[self.kind]

    @property
    def moving_s(self) -> int:
        return int(round(self.distance_m / 1000 * self.pace_s_per_km))


# --------------------------------------------------------------------------
# The plan
# --------------------------------------------------------------------------

#: alex, km per day Mon..Sun, ISO weeks 32..47 (0 = rest day).
ALEX_WEEKS = [
    [12.0, 0, 7.2, 0, 8.1, 0, 13.0],  # W32
    [0, 8.4, 0, 9.0, 6.5, 0, 14.0],  # W33
    [0, 8.8, 6.0, 0, 10.2, 0, 15.0],  # W34 (ride on Sat)
    [0, 9.5, 0, 7.4, 8.3, 0, 16.0],  # W35
    [0, 9.6, 5.8, 0, 8.0, 4.6, 16.5],  # W36
    [0, 9.0, 0, 7.5, 6.0, 6.3, 15.5],  # W37 (Sat 09-12: FIT + GPX duplicate)
    [0, 7.5, 5.5, 0, 7.5, 0, 13.5],  # W38 recovery week
    [0, 8.5, 0, 7.5, 6.0, 0, 15.0],  # W39
    [0, 11.0, 8.2, 10.5, 0, 10.5, 17.8],  # W40 PLANTED +55 % (Wed treadmill)
    [0, 8.0, 0, 9.0, 6.6, 6.0, 17.5],  # W41
    [0, 8.5, 6.0, 0, 9.0, 0, 18.0],  # W42 (streak starts Sun 10-18)
    [3.5, 8.0, 4.0, 7.0, 3.5, 4.5, 14.0],  # W43 PLANTED no rest day (DST Sun 10-25)
    [5.0, 0, 8.5, 0, 9.0, 0, 16.0],  # W44 (streak ends Mon 10-26)
    [0, 9.0, 6.0, 0, 9.5, 0, 17.0],  # W45 (Fri late-evening run)
    [0, 9.0, 6.5, 0, 9.5, 5.0, 15.0],  # W46
    [0, 8.0, 6.0, 0, 7.0, 10.0, 0],  # W47 (nothing on Sun 11-22)
]

#: sam, km per day Mon..Sun.
SAM_WEEKS = [
    [10.0, 0, 6.0, 7.0, 0, 5.0, 10.8],  # W32
    [0, 7.0, 6.5, 0, 7.5, 5.0, 11.5],  # W33
    [0, 7.5, 0, 8.0, 6.0, 5.0, 12.2],  # W34
    [0, 8.0, 6.5, 0, 8.0, 0, 12.8],  # W35 (walk on Sat)
    [0, 7.0, 6.0, 0, 7.5, 4.0, 13.4],  # W36
    [0, 7.5, 6.5, 0, 7.0, 4.5, 14.0],  # W37
    [0, 8.0, 0, 7.0, 6.5, 5.0, 13.0],  # W38
    [0, 7.5, 6.5, 0, 7.5, 5.0, 14.0],  # W39
    [0, 8.0, 0, 7.5, 6.5, 5.5, 13.5],  # W40 (ride on Wed)
    [0, 8.0, 7.0, 0, 6.5, 6.0, 14.0],  # W41
    [0, 6.0, 5.0, 6.5, 0, 0, 24.0],  # W42 PLANTED spike Sun 10-18
    [0, 6.0, 5.5, 7.0, 6.0, 5.0, 12.0],  # W43
    [0, 7.0, 6.5, 5.0, 7.5, 0, 15.0],  # W44 (DST ends Sun 11-01; Fri run at 23:30)
    [0, 8.0, 6.5, 0, 7.0, 16.0, 5.0],  # W45 (Sun 11-08 run at 23:30 = Mon in UTC)
    [0, 8.0, 6.5, 0, 8.5, 0, 14.0],  # W46
    [0, 7.5, 6.0, 0, 7.0, 10.0, 0],  # W47
]

ALEX_TZ = "Europe/Berlin"
SAM_TZ = "America/New_York"


def _jitter_m(rng: np.random.Generator) -> int:
    return int(rng.integers(-60, 61))


def plan_alex() -> list[Act]:
    rng = np.random.default_rng(2026_08_03)
    acts: list[Act] = []
    for w, week in enumerate(ALEX_WEEKS):
        for d, km in enumerate(week):
            day = FIRST_MONDAY + timedelta(days=7 * w + d)
            if not km:
                continue
            long_run = d == 6 and km >= 12
            minute = int(rng.integers(0, 50))
            at = time(8, 40 + minute % 20) if long_run else time(6, 10 + minute)
            pace = float(rng.uniform(345, 356)) if long_run else float(rng.uniform(322, 342))
            pause = int(rng.choice([0, 0, 0, 35, 70, 140]))
            acts.append(
                Act("alex", day, at, int(round(km * 1000)) + _jitter_m(rng), pace_s_per_km=pace, pause_s=pause, tz=ALEX_TZ)
            )
    by_date = {a.local_date: a for a in acts}
    # Formats of a typical watch folder: mostly FIT, some GPX, a few gz, one TCX.
    special = {date(2026, 9, 12), date(2026, 9, 30)}
    ordinary = [a for a in acts if a.local_date not in special]
    for i, a in enumerate(ordinary):
        if i % 9 == 4:
            a.fmt = "gpx"
        elif i % 23 == 7:
            a.fmt = "fit.gz"
        elif i % 23 == 17:
            a.fmt = "gpx.gz"
    ordinary[31].fmt = "tcx"
    # Planted 4: treadmill run without GPS (FIT running/treadmill).
    treadmill = by_date[date(2026, 9, 30)]
    treadmill.kind, treadmill.pause_s = "treadmill", 0
    treadmill.local_time = time(18, 30)
    # Planted 6: the same run as FIT and GPX.
    by_date[date(2026, 9, 12)].duplicate_as = "gpx"
    # One late-evening run.
    by_date[date(2026, 11, 13)].local_time = time(22, 40)
    # Planted 5: a bike ride on a rest day.
    acts.append(Act("alex", date(2026, 8, 22), time(9, 15), 42_380, kind="ride", pace_s_per_km=140, tz=ALEX_TZ))
    for i, a in enumerate(sorted(acts, key=lambda a: (a.local_date, a.local_time))):
        a.seed = 1000 + i
    return sorted(acts, key=lambda a: (a.local_date, a.local_time))


def plan_sam() -> list[Act]:
    rng = np.random.default_rng(2026_08_04)
    acts: list[Act] = []
    for w, week in enumerate(SAM_WEEKS):
        for d, km in enumerate(week):
            day = FIRST_MONDAY + timedelta(days=7 * w + d)
            if not km:
                continue
            long_run = km >= 10 and d in (5, 6)
            minute = int(rng.integers(0, 45))
            at = time(7, minute) if long_run else time(17, 30 + minute % 25) if d in (1, 3) else time(6, 15 + minute)
            pace = float(rng.uniform(362, 378)) if long_run else float(rng.uniform(345, 365))
            gear = "Speedgoat 5" if long_run else "Kinvara 14"
            acts.append(
                Act("sam", day, at, int(round(km * 1000)) + _jitter_m(rng), pace_s_per_km=pace, gear=gear, tz=SAM_TZ)
            )
    by_date = {a.local_date: a for a in acts}
    # 23:30 local = next day in UTC; the Sunday one falls in the next ISO week in UTC.
    by_date[date(2026, 10, 30)].local_time = time(23, 30)
    by_date[date(2026, 11, 8)].local_time = time(23, 30)
    # the long run on the DST day (EST again from 02:00)
    by_date[date(2026, 11, 1)].local_time = time(8, 5)
    acts.append(Act("sam", date(2026, 9, 5), time(10, 20), 5_140, kind="walk", pace_s_per_km=690, tz=SAM_TZ))
    acts.append(Act("sam", date(2026, 10, 7), time(12, 5), 30_420, kind="ride", pace_s_per_km=150, gear="Allez Sprint", tz=SAM_TZ))
    acts.sort(key=lambda a: (a.local_date, a.local_time))
    formats = ["fit.gz", "fit.gz", "gpx.gz", "fit.gz", "tcx.gz", "fit.gz", "gpx.gz"]
    plain_gpx = {date(2026, 8, 12), date(2026, 9, 16), date(2026, 10, 21), date(2026, 11, 18)}
    for i, a in enumerate(acts):
        a.seed = 5000 + i
        a.strava_id = 15_310_000_000 + i * 7_919_573 + int(rng.integers(0, 9999))
        a.fmt = formats[i % len(formats)]
        if a.local_date in plain_gpx:
            a.fmt = "gpx"
        if a.kind == "ride":
            a.fmt = "fit.gz"
        if a.kind == "walk":
            a.fmt = "gpx.gz"
    return acts


def localize(acts: list[Act]) -> None:
    for a in acts:
        zone = ZoneInfo(a.tz)
        a.start_utc = datetime.combine(a.local_date, a.local_time, tzinfo=zone).astimezone(timezone.utc)


# --------------------------------------------------------------------------
# Checks (docs/method.md §12 defaults), computed from the plan in local dates
# --------------------------------------------------------------------------


def iso_week(d: date) -> str:
    y, w, _ = d.isocalendar()
    return f"{y}-W{w:02d}"


def analyse(acts: list[Act]) -> dict:
    runs = [a for a in acts if a.counts]
    days = [FIRST_MONDAY + timedelta(days=i) for i in range(7 * N_WEEKS)]
    daily = {d: 0 for d in days}
    for a in runs:
        daily[a.local_date] += a.distance_m
    weeks = []
    for w in range(N_WEEKS):
        mon = FIRST_MONDAY + timedelta(days=7 * w)
        loads = [daily[mon + timedelta(days=i)] for i in range(7)]
        week_runs = [a for a in runs if mon <= a.local_date <= mon + timedelta(days=6)]
        gpx_m = sum(a.distance_m for a in week_runs if "gpx" in a.fmt)
        mean = sum(loads) / 7
        sd = math.sqrt(sum((x - mean) ** 2 for x in loads) / 7)
        weeks.append(
            {
                "week": iso_week(mon),
                "monday": mon.isoformat(),
                "distance_m": sum(loads),
                "distance_tolerance_m": int(math.ceil(gpx_m * GPX_TOLERANCE)) + 2,
                "runs": len(week_runs),
                "run_days": sum(1 for x in loads if x > 0),
                "rest_days": sum(1 for x in loads if x == 0),
                "monotony": round(mean / sd, 4) if sd > 0 else None,
                "daily_km": [round(x / 1000, 3) for x in loads],
            }
        )
    # weekly increase over the highest of the previous 4 complete weeks (docs/method.md, "10% rule")
    increases = []
    for k in range(1, len(weeks)):
        cur = weeks[k]
        base = max(weeks[max(0, k - 4):k], key=lambda w: (w["distance_m"], w["monday"]))
        p, c = base["distance_m"], cur["distance_m"]
        if p == 0:
            continue
        increases.append((cur, c / p - 1, 10 * c > 11 * p, base))
    # streaks
    streaks = []
    start = None
    for d in days + [days[-1] + timedelta(days=1)]:
        if daily.get(d, 0) > 0:
            start = start or d
        elif start is not None:
            streaks.append((start, (d - start).days))
            start = None
    # ACWR coupled (7/28 by calendar days)
    series = [daily[d] for d in days]
    acwr = {}
    for t in range(27, len(days)):
        acute = sum(series[t - 6 : t + 1]) / 7
        chronic = sum(series[t - 27 : t + 1]) / 28
        if chronic > 0:
            acwr[days[t]] = acute / chronic
    # single-run spike (timestamp window [t - 30 d, t))
    spikes = []
    for a in runs:
        window = [b.distance_m for b in runs if a.start_utc - timedelta(days=30) <= b.start_utc < a.start_utc]
        if not window:
            continue
        m = max(window)
        spikes.append((a, m, 100 * (a.distance_m - m) / m, (a.start_utc - runs[0].start_utc) < timedelta(days=30)))
    # shoe: cumulative running distance in start order
    cum = 0
    crossing = None
    for a in sorted(runs, key=lambda a: a.start_utc):
        before = cum
        cum += a.distance_m
        if crossing is None and cum >= SHOE_CHECK_M:
            crossing = (a, before, cum)
    return {
        "weeks": weeks,
        "increases": increases,
        "streaks": streaks,
        "acwr": acwr,
        "spikes": spikes,
        "shoe_total_m": cum,
        "crossing": crossing,
        "runs": runs,
    }


def check_alex(res: dict) -> dict:
    weeks = res["weeks"]
    planted_inc = [w for w, r, flag, _ in res["increases"] if flag]
    assert [w["week"] for w in planted_inc] == ["2026-W40"], planted_inc
    w40 = next(i for i, w in enumerate(weeks) if w["week"] == "2026-W40")
    for w, ratio, flag, _ in res["increases"]:
        if w["week"] != "2026-W40":
            assert ratio + 1 <= MARGIN_WEEKLY, (w["week"], ratio)
    no_rest = [w["week"] for w in weeks if w["rest_days"] < MIN_REST_DAYS]
    assert no_rest == ["2026-W43"], no_rest
    long_streaks = [(s, n) for s, n in res["streaks"] if n > MAX_CONSECUTIVE_RUN_DAYS]
    assert long_streaks == [(date(2026, 10, 18), 9)], long_streaks
    for w in weeks:
        assert w["monotony"] is None or w["monotony"] <= MONOTONY_MAX - 0.05, w
    for a, m, pct, _ in res["spikes"]:
        assert a.distance_m <= MARGIN_SPIKE * m, (a.local_date, a.distance_m, m, pct)
    total = res["shoe_total_m"]
    assert 520_000 <= total <= 760_000 and total < SHOE_RETIRE_M, total
    a, before, after = res["crossing"]
    assert before <= SHOE_CHECK_M - MARGIN_SHOE_M and after >= SHOE_CHECK_M + MARGIN_SHOE_M, (a.local_date, before, after)
    above = _acwr_above(res)
    for d in above:
        assert 0 <= (d - date(2026, 9, 28)).days <= 13, d
    return {
        "weekly_increase": next((w, base) for w, _, flag, base in res["increases"] if flag),
        "crossing": res["crossing"],
        "acwr_above": above,
    }


def check_sam(res: dict) -> dict:
    weeks = res["weeks"]
    for w, ratio, flag, _ in res["increases"]:
        assert ratio + 1 <= MARGIN_WEEKLY, (w["week"], ratio)
    assert all(w["rest_days"] >= MIN_REST_DAYS for w in weeks)
    assert all(n <= MAX_CONSECUTIVE_RUN_DAYS for _, n in res["streaks"])
    for w in weeks:
        assert w["monotony"] is None or w["monotony"] <= MONOTONY_MAX - 0.05, w
    flagged = [(a, m, pct) for a, m, pct, _ in res["spikes"] if 10 * a.distance_m > 11 * m]
    assert [a.local_date for a, _, _ in flagged] == [date(2026, 10, 18)], flagged
    spike = flagged[0]
    assert 30 < spike[2] <= 100, spike  # moderate band
    for a, m, pct, _ in res["spikes"]:
        if a is not spike[0]:
            assert a.distance_m <= MARGIN_SPIKE * m, (a.local_date, a.distance_m, m)
    spike_week = next(i for i, w in enumerate(weeks) if w["week"] == "2026-W42")
    assert 10 * weeks[spike_week]["distance_m"] <= 11 * weeks[spike_week - 1]["distance_m"]
    for gear in ("Kinvara 14", "Speedgoat 5"):
        total = sum(a.distance_m for a in res["runs"] if a.gear == gear)
        assert total < SHOE_CHECK_M - MARGIN_SHOE_M, (gear, total)
    above = _acwr_above(res)
    for d in above:
        assert 0 <= (d - date(2026, 10, 18)).days <= 13, d
    # The Sunday 23:30 run: dated in UTC it would move into W46 and fake an increase.
    utc_weeks: dict[str, int] = {}
    for a in res["runs"]:
        utc_weeks[iso_week(a.start_utc.date())] = utc_weeks.get(iso_week(a.start_utc.date()), 0) + a.distance_m
    assert 10 * utc_weeks["2026-W46"] > 11 * utc_weeks["2026-W45"], utc_weeks
    return {"spike": spike, "acwr_above": above}


def _acwr_above(res: dict) -> list[date]:
    above = []
    for d, r in res["acwr"].items():
        assert abs(r - ACWR_HIGH) >= MARGIN_ACWR, (d, r)  # keep clear of the boundary
        if r > ACWR_HIGH:
            above.append(d)
    return above


def utc_assignment_differs(acts: list[Act]) -> list[str]:
    """Weeks whose totals change if runs were (wrongly) dated in UTC."""
    out = []
    for a in acts:
        if a.counts and a.start_utc.date() != a.local_date:
            out.append(f"{a.local_date} local = {a.start_utc.date()} UTC")
    return out


# --------------------------------------------------------------------------
# Files
# --------------------------------------------------------------------------


def _synthetic(a: Act, *, start_shift_s: int = 0, device: str | None = None, name: str | None = None) -> SyntheticRun:
    centre = {"alex": (52.5145, 13.3501, 36.0), "sam": (40.7812, -73.9665, 30.0)}[a.athlete]
    offset = int(a.start_utc.astimezone(ZoneInfo(a.tz)).utcoffset().total_seconds())
    return SyntheticRun(
        start_utc=a.start_utc + timedelta(seconds=start_shift_s),
        distance_m=float(a.distance_m),
        moving_s=a.moving_s,
        sport=a.sport,
        sub_sport="treadmill" if a.kind == "treadmill" else None,
        gps=a.kind != "treadmill",
        hr=a.kind != "walk",
        utc_offset_s=offset,
        name=name or a.name,
        device=device or {"alex": "runload synthetic watch", "sam": "runload synthetic watch 2"}[a.athlete],
        pause_s=a.pause_s,
        sample_interval_s=5,
        seed=a.seed,
        lat0=centre[0] + (0.004 if a.kind == "treadmill" else 0.0),
        lon0=centre[1],
        elevation0_m=centre[2],
        hr_base_bpm=118.0 if a.kind == "ride" else 128.0 + (a.seed % 9),
    )


def _encode(run: SyntheticRun, fmt: str) -> bytes:
    base = fmt.split(".")[0]
    data = {"fit": write_fit, "gpx": write_gpx, "tcx": write_tcx}[base](run)
    return gzip_bytes(data) if fmt.endswith(".gz") else data


def strava_name(a: Act) -> str:
    h = a.local_time.hour
    part = "Morning" if 5 <= h < 11 else "Lunch" if h < 14 else "Afternoon" if h < 17 else "Evening" if h < 21 else "Night"
    return f"{part} {dict(run='Run', treadmill='Run', ride='Ride', walk='Walk')[a.kind]}"


def write_alex(acts: list[Act], out: Path) -> None:
    folder = out / "alex"
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.iterdir():
        old.unlink()
    for a in acts:
        label = {"run": "run", "treadmill": "treadmill", "ride": "ride"}[a.kind]
        name = f"{a.local_date.isoformat()}-{label}.{a.fmt}"
        run = _synthetic(a, name=f"Berlin {'Cycling' if a.kind == 'ride' else 'Running'}")
        (folder / name).write_bytes(_encode(run, a.fmt))
        a.files.append(f"alex/{name}")
        if a.duplicate_as:
            dup = f"{a.local_date.isoformat()}-run.{a.duplicate_as}"
            run2 = _synthetic(a, start_shift_s=3, name="Berlin Running")
            (folder / dup).write_bytes(_encode(run2, a.duplicate_as))
            a.files.append(f"alex/{dup}")


STRAVA_HEADER = (
    "Activity ID,Activity Date,Activity Name,Activity Type,Activity Description,Elapsed Time,Distance,"
    "Max Heart Rate,Relative Effort,Commute,Activity Private Note,Activity Gear,Filename,Athlete Weight,"
    "Bike Weight,Elapsed Time,Moving Time,Distance,Max Speed,Average Speed,Elevation Gain,Elevation Loss,"
    "Elevation Low,Elevation High,Max Grade,Average Grade,Average Positive Grade,Average Negative Grade,"
    "Max Cadence,Average Cadence,Max Heart Rate,Average Heart Rate,Max Watts,Average Watts,Calories,"
    "Max Temperature,Average Temperature,Relative Effort,Total Work,Number of Runs,Uphill Time,Downhill Time,"
    "Other Time,Perceived Exertion,Type,Start Time,Weighted Average Power,Power Count,"
    "Prefer Perceived Exertion,Perceived Relative Effort,Commute,Total Weight Lifted,From Upload,"
    "Grade Adjusted Distance"
).split(",")


def _strava_date(dt: datetime) -> str:
    """Strava's activities.csv date: UTC, like ``Aug 3, 2026, 10:15:32 AM``."""
    dt = dt.astimezone(timezone.utc)
    hour = dt.hour % 12 or 12
    return f"{dt.strftime('%b')} {dt.day}, {dt.year}, {hour}:{dt.minute:02d}:{dt.second:02d} {'AM' if dt.hour < 12 else 'PM'}"


def write_sam(acts: list[Act], out: Path) -> None:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(STRAVA_HEADER)
    entries: list[tuple[str, bytes]] = []
    for a in acts:
        path = f"activities/{a.strava_id}.{a.fmt}"
        run = _synthetic(a, name=strava_name(a))
        entries.append((path, _encode(run, a.fmt)))
        a.files.append(f"sam_strava_export.zip:{path}")
        elapsed = a.moving_s + a.pause_s
        kind = dict(run="Run", treadmill="Run", ride="Ride", walk="Walk")[a.kind]
        row = {i: "" for i in range(len(STRAVA_HEADER))}
        max_hr = "" if a.kind == "walk" else f"{150 + a.seed % 20}.0"
        row.update(
            {
                0: str(a.strava_id), 1: _strava_date(a.start_utc), 2: strava_name(a), 3: kind,
                5: str(elapsed), 6: f"{a.distance_m / 1000:.2f}", 7: max_hr, 9: "false",
                11: a.gear or "", 12: path, 15: f"{elapsed:.1f}", 16: f"{a.moving_s:.1f}",
                17: f"{a.distance_m:.1f}", 19: f"{a.distance_m / a.moving_s:.3f}", 30: max_hr,
                44: "", 50: "0", 52: "1",
            }
        )  # fmt: skip
        writer.writerow([row[i] for i in range(len(STRAVA_HEADER))])
    target = out / "sam_strava_export.zip"
    with zipfile.ZipFile(target, "w") as zf:
        for path, data in [("activities.csv", buf.getvalue().encode("utf-8")), *entries]:
            info = zipfile.ZipInfo(path, date_time=(2026, 11, 22, 12, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, data, compresslevel=9)


# --------------------------------------------------------------------------
# Verification of the written files
# --------------------------------------------------------------------------


def verify_files(out: Path, acts: list[Act]) -> dict[str, int]:
    """Decode every file with every reader we have; return counts per format."""
    import gzip
    import xml.etree.ElementTree as ET

    import fitfast
    import fitparse
    import gpxpy

    counts: dict[str, int] = {}
    zf = zipfile.ZipFile(out / "sam_strava_export.zip")

    def read(ref: str) -> bytes:
        if ref.startswith("sam_strava_export.zip:"):
            return zf.read(ref.split(":", 1)[1])
        return (out / ref).read_bytes()

    for a in acts:
        for ref in a.files:
            data = read(ref)
            if ref.endswith(".gz"):
                data = gzip.decompress(data)
            base = ref.removesuffix(".gz").rsplit(".", 1)[1]
            counts[base] = counts.get(base, 0) + 1
            if base == "fit":
                ff = fitfast.parse(data)
                fp = list(fitparse.FitFile(io.BytesIO(data)).get_messages("session"))
                s = ff["session"][0]
                assert abs(s["total_distance"] - a.distance_m) < 0.02, ref
                assert fp[0].get_value("total_distance") == s["total_distance"], ref
                assert s["start_time"] == int(a.start_utc.timestamp()), ref
                assert s["sport"] == a.sport and fp[0].get_value("sport") == a.sport, ref
                assert s["sub_sport"] == ("treadmill" if a.kind == "treadmill" else "generic"), ref
            elif base == "gpx":
                g = gpxpy.parse(data.decode("utf-8"))
                length = g.length_2d()
                assert abs(length / a.distance_m - 1) < GPX_TOLERANCE, (ref, length)
                start = g.get_time_bounds().start_time
                assert abs((start - a.start_utc).total_seconds()) <= 5, ref
            else:
                root = ET.fromstring(data)
                ns = {"t": "http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2"}
                total = sum(float(x.text) for x in root.findall(".//t:Lap/t:DistanceMeters", ns))
                assert abs(total - a.distance_m) < 0.1, ref
    return counts


# --------------------------------------------------------------------------
# Expected results
# --------------------------------------------------------------------------


def km(m: float) -> str:
    return f"{m / 1000:.2f} km"


def activity_rows(acts: list[Act]) -> list[dict]:
    return [
        {
            "local_date": a.local_date.isoformat(),
            "start_local": datetime.combine(a.local_date, a.local_time).isoformat(),
            "start_utc": a.start_utc.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "sport": a.sport,
            "sub_sport": "treadmill" if a.kind == "treadmill" else None,
            "distance_m": a.distance_m,
            "moving_s": a.moving_s,
            "elapsed_s": a.moving_s + a.pause_s,
            "gps": a.kind != "treadmill",
            "gear": a.gear,
            "files": a.files,
        }
        for a in acts
    ]


def build_expected(alex: list[Act], sam: list[Act], ra: dict, rs: dict, ca: dict, cs: dict) -> dict:
    cur, prev = ca["weekly_increase"]
    cross, before, after = ca["crossing"]
    spike_run, spike_max, spike_pct = cs["spike"]
    spike_prev = next(
        b for b in rs["runs"] if b.distance_m == spike_max and spike_run.start_utc - timedelta(days=30) <= b.start_utc < spike_run.start_utc
    )

    def weeks(res):
        rows = []
        for w in res["weeks"]:
            row = {k: w[k] for k in ("week", "monday", "distance_m", "distance_tolerance_m", "runs", "run_days", "rest_days", "monotony")}
            row["complete"] = w["week"] != "2026-W47"
            rows.append(row)
        return rows

    def counts(acts):
        files = sum(len(a.files) for a in acts)
        return {
            "files": files,
            "activities_stored": len(acts),
            "runs": sum(a.counts for a in acts),
            "treadmill_runs": sum(a.kind == "treadmill" for a in acts),
            "other_sports": sum(not a.counts for a in acts),
            "duplicates": files - len(acts),
        }

    return {
        "generated_by": "scripts/make_sample_season.py",
        "note": (
            "Synthetic data. distance_m are the planned distances: exact for FIT/TCX totals and the Strava CSV; "
            "a GPX file's distance comes from its track and may differ by up to 0.2 % (distance_tolerance_m per week). "
            "Weeks are ISO weeks in the athlete's local time zone; W47 is complete only if as_of >= 2026-11-22 "
            "(it has no activity on Sunday 2026-11-22 either way)."
        ),
        "season": {
            "first_monday": FIRST_MONDAY.isoformat(),
            "last_sunday": LAST_SUNDAY.isoformat(),
            "last_activity_date": LAST_ACTIVITY_DAY.isoformat(),
        },
        "thresholds": {
            "max_weekly_increase_ratio": 0.10,
            "min_rest_days_per_week": MIN_REST_DAYS,
            "max_consecutive_run_days": MAX_CONSECUTIVE_RUN_DAYS,
            "shoe_check_distance_m": SHOE_CHECK_M,
            "shoe_retire_distance_m": SHOE_RETIRE_M,
            "monotony_max": MONOTONY_MAX,
            "acwr_coupled_high": ACWR_HIGH,
            "spike_reference_pct": SPIKE_REFERENCE_PCT,
        },
        "athletes": {
            "alex": {
                "timezone": ALEX_TZ,
                "source": "sample_activities/alex",
                "import": 'runload import sample_activities/alex --athlete alex --tz Europe/Berlin --shoe "Pegasus 40"',
                "counts": counts(alex),
                "running_distance_m": ra["shoe_total_m"],
                "shoes": {"Pegasus 40": {"distance_m": ra["shoe_total_m"], "status": "check"}},
                "weeks": weeks(ra),
                "findings": [
                    {
                        "rule": "weekly_increase",
                        "date": cur["monday"],
                        "week": cur["week"],
                        "value": round(cur["distance_m"] / prev["distance_m"] - 1, 4),
                        "threshold": 0.10,
                        "distance_m": cur["distance_m"],
                        "previous_distance_m": prev["distance_m"],
                        "baseline_week": prev["week"],
                    },
                    {"rule": "week_without_rest", "date": "2026-10-19", "week": "2026-W43", "value": 0, "threshold": MIN_REST_DAYS},
                    {
                        "rule": "run_streak",
                        "date": "2026-10-18",
                        "end_date": "2026-10-26",
                        "value": 9,
                        "threshold": MAX_CONSECUTIVE_RUN_DAYS,
                    },
                    {
                        "rule": "shoe_wear",
                        "date": cross.local_date.isoformat(),
                        "shoe": "Pegasus 40",
                        "value": after,
                        "previous_value": before,
                        "threshold": SHOE_CHECK_M,
                        "season_total_m": ra["shoe_total_m"],
                    },
                ],
                "acwr_coupled_above_1_3": [d.isoformat() for d in ca["acwr_above"]],
                "acwr_coupled_max": _acwr_max(ra),
                "activities": activity_rows(alex),
            },
            "sam": {
                "timezone": SAM_TZ,
                "source": "sample_activities/sam_strava_export.zip",
                "import": "runload import sample_activities/sam_strava_export.zip --athlete sam --tz America/New_York",
                "counts": counts(sam),
                "running_distance_m": rs["shoe_total_m"],
                "shoes": {
                    g: {"distance_m": sum(a.distance_m for a in rs["runs"] if a.gear == g), "status": "ok"}
                    for g in ("Kinvara 14", "Speedgoat 5")
                },
                "weeks": weeks(rs),
                "findings": [
                    {
                        "rule": "run_spike",
                        "date": spike_run.local_date.isoformat(),
                        "value": round(spike_pct, 2),
                        "threshold": SPIKE_REFERENCE_PCT,
                        "band": "moderate",
                        "distance_m": spike_run.distance_m,
                        "longest_previous_30d_m": spike_max,
                        "longest_previous_30d_date": spike_prev.local_date.isoformat(),
                    }
                ],
                "acwr_coupled_above_1_3": [d.isoformat() for d in cs["acwr_above"]],
                "acwr_coupled_max": _acwr_max(rs),
                "local_vs_utc_dates": utc_assignment_differs(sam),
                "activities": activity_rows(sam),
            },
        },
    }


def _acwr_max(res: dict) -> dict:
    d, r = max(res["acwr"].items(), key=lambda kv: kv[1])
    return {"date": d.isoformat(), "value": round(r, 4)}


def expected_md(exp: dict) -> str:
    A, S = exp["athletes"]["alex"], exp["athletes"]["sam"]
    fa = {f["rule"]: f for f in A["findings"]}
    fs = S["findings"][0]
    lines = [
        "# Sample season: what the analyzer should find",
        "",
        "Synthetic data written by `scripts/make_sample_season.py` (see README.md). Sixteen ISO weeks,",
        "2026-W32 (Mon 2026-08-03) to 2026-W47 (Sun 2026-11-22); no activity after Sat 2026-11-21.",
        "Thresholds are runload's defaults ([docs/method.md](../docs/method.md) §12). Distances below are the",
        "planned ones; a GPX file's distance comes from its track and may differ by up to 0.2 %.",
        "",
        "```sh",
        A["import"],
        S["import"],
        "```",
        "",
    ]
    for who, X in (("alex", A), ("sam", S)):
        c = X["counts"]
        lines += [
            f"## {who} ({X['timezone']})",
            "",
            f"Source: `{X['source']}`. {c['files']} files, {c['activities_stored']} activities stored "
            f"({c['runs']} runs incl. {c['treadmill_runs']} treadmill, {c['other_sports']} other sports, "
            f"{c['duplicates']} duplicate file(s) stored once). Running total {km(X['running_distance_m'])}.",
            "",
            "| ISO week | Monday | running km | runs | rest days | monotony | daily km Mon..Sun |",
            "|---|---|---:|---:|---:|---:|---|",
        ]
        for w in X["weeks"]:
            raw = next(r for r in (alex_res if who == "alex" else sam_res)["weeks"] if r["week"] == w["week"])
            daily = " ".join(f"{x:g}" if x else "–" for x in raw["daily_km"])
            mono = f"{w['monotony']:.2f}" if w["monotony"] is not None else "–"
            lines.append(
                f"| {w['week']}{'' if w['complete'] else ' (partial until 11-22)'} | {w['monday']} | "
                f"{w['distance_m'] / 1000:.2f} | {w['runs']} | {w['rest_days']} | {mono} | {daily} |"
            )
        lines.append("")
    inc = fa["weekly_increase"]
    cross = fa["shoe_wear"]
    lines += [
        "## Planted findings",
        "",
        "Each rule is explained, with its formula, edge rules and sources, in [docs/method.md](../docs/method.md): "
        "weekly_increase §1, week_without_rest and run_streak §2, shoe_wear §3, run_spike §6.",
        "",
        "### alex",
        "",
        f"1. **weekly_increase**: {inc['week']} (Mon {inc['date']}) ran {km(inc['distance_m'])} after "
        f"{km(inc['previous_distance_m'])} in {inc['baseline_week']}, the highest of the previous 4 complete weeks: "
        f"{inc['distance_m']}/{inc['previous_distance_m']} − 1 = "
        f"+{inc['value'] * 100:.2f} % > +10 % (10·{inc['distance_m']} = {10 * inc['distance_m']} > 11·{inc['previous_distance_m']} = "
        f"{11 * inc['previous_distance_m']}). Every other week rises by at most +9.5 % over its baseline.",
        "2. **week_without_rest** and **run_streak**: alex ran every day from Sun 2026-10-18 to Mon 2026-10-26 "
        "(9 consecutive days > 6 allowed), so ISO week 2026-W43 (Mon 10-19 .. Sun 10-25, the day Berlin leaves "
        "summer time) has 0 rest days (minimum 1). Monotony that week stays "
        f"{next(w['monotony'] for w in A['weeks'] if w['week'] == '2026-W43'):.2f} (≤ 2.0) because the distances vary.",
        f"3. **shoe_wear** (Pegasus 40, every alex run imported with `--shoe`): the run of {cross['date']} takes the shoe "
        f"from {km(cross['previous_value'])} to {km(cross['value'])}, past 300 mi = 482.803 km. Season total "
        f"{km(cross['season_total_m'])} = {cross['season_total_m'] / M_PER_MILE:.1f} mi: \"check wear\", below 500 mi "
        "(804.672 km). The ride and the duplicate GPX file do not count.",
        "4. **Treadmill run** `alex/2026-09-30-treadmill.fit` (FIT running/treadmill, no positions, distance in "
        "records and session): counted as a run, no flag.",
        "5. **Bike ride** `alex/2026-08-22-ride.fit` (FIT cycling, 42.38 km, on a rest day): stored, never counted; "
        "Sat 2026-08-22 stays a rest day.",
        "6. **Duplicate**: `alex/2026-09-12-run.fit` and `alex/2026-09-12-run.gpx` are the same run (GPX starts 3 s "
        "later, distances within 0.2 %): stored once.",
        "",
        "### sam",
        "",
        f"7. **run_spike**: Sun {fs['date']}, {km(fs['distance_m'])}; the longest run that started in the previous "
        f"30 days was {km(fs['longest_previous_30d_m'])} ({fs['longest_previous_30d_date']}): "
        f"100·({fs['distance_m']} − {fs['longest_previous_30d_m']})/{fs['longest_previous_30d_m']} = "
        f"+{fs['value']:.2f} %, band \"moderate\" (> 30 to ≤ 100 %; Frandsen 2025 HRR 1.52). The week "
        f"2026-W42 totals {km(next(w['distance_m'] for w in S['weeks'] if w['week'] == '2026-W42'))} after "
        f"{km(next(w['distance_m'] for w in S['weeks'] if w['week'] == '2026-W41'))}, so no weekly_increase flag.",
        "",
        "sam's Walk (2026-09-05) and Ride (2026-10-07) are stored, not counted. Two runs start at 23:30 local "
        "and fall on the next day in UTC: " + "; ".join(S["local_vs_utc_dates"]) + ". The Sunday one "
        "belongs to 2026-W45 only when dated in local time: dated in UTC it would move 5 km into 2026-W46 and "
        "make that week look like an increase of more than 10 %. US summer time ends on Sun 2026-11-01 "
        "(sam's long run that day starts 08:05 EST = 13:05 UTC).",
        "",
        "## Acute:chronic workload ratio (info only)",
        "",
        "Rolling coupled 7/28 days, divided by calendar days (docs/method.md §4), from 2026-08-30 (day 28) on.",
        "",
        f"- alex: above 1.3 on {', '.join(A['acwr_coupled_above_1_3']) or 'no date'} (after the planted +{inc['value'] * 100:.0f} % week); "
        f"maximum {A['acwr_coupled_max']['value']:.3f} on {A['acwr_coupled_max']['date']}.",
        f"- sam: above 1.3 on {', '.join(S['acwr_coupled_above_1_3']) or 'no date'}; maximum "
        f"{S['acwr_coupled_max']['value']:.3f} on {S['acwr_coupled_max']['date']}.",
        "",
        "## Everything else is clean",
        "",
        "Checked by the script before writing: every other complete week rises ≤ +9.5 % (10·cur ≤ 11·prev with margin); "
        "every other week has ≥ 1 rest day; no other streak of 7+ running days; no other run more than 9.5 % "
        "longer than the longest run of the previous 30 days (the first 30 days included); Foster monotony "
        "(population SD, zeros included) ≤ 1.95 in every week; both of sam's shoes stay under 300 mi.",
        "",
    ]
    return "\n".join(lines)


README = """# Sample activities (synthetic)

Everything in this folder is **synthetic**: no real person ran these runs. The
files are written from scratch by `scripts/make_sample_season.py` with
`runload_testing.synthetic` (real FIT, GPX and TCX encoders), so they can be shipped
and changed freely.

- `alex/`: a watch folder (FIT, GPX, `.fit.gz`, `.gpx.gz`, one TCX), Europe/Berlin.
- `sam_strava_export.zip`: a Strava-style bulk export (`activities.csv` plus
  `activities/<id>.fit.gz|.gpx.gz|.tcx.gz|.gpx`), America/New_York.
- `EXPECTED.md`: weekly totals and the planted load errors, to check by hand.
- `expected.json`: the same, machine-readable, for tests.

Try it:

```sh
runload import sample_activities/alex --athlete alex --tz Europe/Berlin --shoe "Pegasus 40"
runload import sample_activities/sam_strava_export.zip --athlete sam --tz America/New_York
```

Regenerate (deterministic: the bytes do not change):

```sh
.venv/bin/python scripts/make_sample_season.py
```

The script checks the whole season against runload's default rules before
writing and stops if anything other than the planted errors would be flagged.
The rules, their thresholds and their sources are explained in
[docs/method.md](../docs/method.md).
"""

alex_res: dict = {}
sam_res: dict = {}


def main(argv: list[str] | None = None) -> None:
    global alex_res, sam_res
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parents[1] / "sample_activities")
    args = parser.parse_args(argv)
    out: Path = args.out

    alex, sam = plan_alex(), plan_sam()
    localize(alex)
    localize(sam)
    alex_res, sam_res = analyse(alex), analyse(sam)
    ca, cs = check_alex(alex_res), check_sam(sam_res)

    out.mkdir(parents=True, exist_ok=True)
    write_alex(alex, out)
    write_sam(sam, out)
    counts = verify_files(out, alex + sam)
    exp = build_expected(alex, sam, alex_res, sam_res, ca, cs)
    (out / "expected.json").write_text(json.dumps(exp, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    (out / "EXPECTED.md").write_text(expected_md(exp), encoding="utf-8")
    (out / "README.md").write_text(README, encoding="utf-8")
    size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    print(f"wrote {out} ({size / 1e6:.2f} MB); decoded files per format: {counts}")


if __name__ == "__main__":
    main()
