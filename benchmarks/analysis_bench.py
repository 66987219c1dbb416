"""Benchmark: ``analyze`` for 100 athletes × 5 years of synthetic daily running.

Run: ``.venv/bin/python benchmarks/analysis_bench.py [athletes] [years]``.
Data are generated in memory (not timed): 3–6 running days a week around a
per-athlete base volume with a weekly long run, build/recovery cycles, breaks
of 2–6 weeks, some double days, cross-training, 3–5 rotated shoes and, for one
athlete in five, per-run heart-rate histograms with configured HR_rest/HR_max
(so TRIMP and the PMC run too). Prints the total and per-athlete time.
"""

from __future__ import annotations

import sys
import time
from datetime import date

import numpy as np
import pandas as pd

from runload.analysis import analyze
from runload.config import Config

ZONES = ("Europe/Berlin", "America/New_York", "Australia/Sydney", "UTC", "Asia/Tokyo")


def make_athlete(rng: np.random.Generator, i: int, start: date, years: int, with_hr: bool):
    days = pd.date_range(start, periods=int(365.25 * years), freq="D")
    n = len(days)
    base_km = rng.uniform(15, 80)
    run_days = rng.integers(3, 7)
    # weekly pattern of running days, long run on Sunday
    pattern = np.zeros(7, dtype=bool)
    pattern[rng.choice(6, size=run_days - 1, replace=False)] = True
    pattern[6] = True
    ran = pattern[days.day_of_week]
    ran &= rng.random(n) > 0.08  # skipped days
    ran |= rng.random(n) < 0.03  # extra days
    cycle = 1.0 + 0.25 * np.sin(np.arange(n) / 28.0 * 2 * np.pi) * (rng.random() + 0.2)
    km = np.where(ran, base_km / run_days * cycle * rng.lognormal(0, 0.25, n), 0.0)
    km = np.where((days.day_of_week == 6) & ran, km * rng.uniform(1.5, 2.5), km)
    for _ in range(rng.integers(0, 4)):  # breaks
        b = rng.integers(0, n)
        km[b:b + rng.integers(14, 42)] = 0.0
    idx = np.flatnonzero(km > 0)
    doubles = idx[rng.random(idx.size) < 0.04]
    tz = ZONES[i % len(ZONES)]
    run_idx = np.r_[idx, doubles]
    hours = np.r_[rng.uniform(5.5, 9, idx.size), rng.uniform(17, 20, doubles.size)]
    dist_m = np.r_[km[idx], rng.uniform(4, 8, doubles.size)] * 1000.0
    local = days[run_idx] + pd.to_timedelta(hours, unit="h")
    start_utc = local.tz_localize(tz, nonexistent="shift_forward", ambiguous=False).tz_convert("UTC")
    m = run_idx.size
    shoes_n = int(rng.integers(3, 6))
    shoe_names = [f"shoe-{i}-{k}" for k in range(shoes_n)]
    shoe = rng.choice(np.array(shoe_names + [None], dtype=object), size=m, p=[0.6 / shoes_n] * shoes_n + [0.4])
    pace = rng.uniform(300, 400)
    moving = dist_m / 1000.0 * pace
    hr = None
    if with_hr:
        hr = []
        for s in moving:
            bpm = rng.normal(148, 10, 40).round().astype(int)
            hr.append(dict(zip(bpm.tolist(), [float(s) / 40.0] * 40)))
    acts = pd.DataFrame({
        "id": np.arange(m),
        "start_utc": start_utc,
        "utc_offset_s": np.nan,
        "sport": "running",
        "sub_sport": None,
        "distance_m": dist_m,
        "moving_s": moving,
        "elapsed_s": moving * 1.05,
        "avg_hr_bpm": np.nan,
        "max_hr_bpm": np.nan,
        "ascent_m": rng.uniform(0, 200, m),
        "name": "Run",
        "device": "bench",
        "source_format": "fit",
        "shoe": shoe,
        "hr_seconds_by_bpm": hr if hr is not None else [None] * m,
        "notes": [[] for _ in range(m)],
        "recovered": None,
    })
    # cross-training: about one ride a week
    rides = rng.choice(n, size=n // 7, replace=False)
    ride_utc = (days[rides] + pd.Timedelta(hours=18)).tz_localize(tz, nonexistent="shift_forward",
                                                                  ambiguous=False).tz_convert("UTC")
    acts = pd.concat([acts, pd.DataFrame({
        "id": np.arange(m, m + rides.size), "start_utc": ride_utc, "utc_offset_s": np.nan, "sport": "cycling",
        "distance_m": rng.uniform(15e3, 60e3, rides.size), "moving_s": 3600.0, "shoe": None,
        "hr_seconds_by_bpm": [None] * rides.size, "notes": [[] for _ in range(rides.size)],
    })], ignore_index=True).sort_values("start_utc", ignore_index=True)
    shoes = pd.DataFrame({
        "name": shoe_names,
        "start_distance_m": [0.0] * shoes_n,
        "check_at_m": [np.nan] * shoes_n,
        "retire_at_m": [np.nan] * shoes_n,
        "retired_on": [None] * shoes_n,
        "is_default": [k == 0 for k in range(shoes_n)],
    })
    return acts, shoes, tz


def main(athletes: int = 100, years: int = 5) -> None:
    rng = np.random.default_rng(20240101)
    start = date(2020, 1, 1)
    as_of = date(2020 + years, 1, 1)
    data = []
    overrides = {}
    for i in range(athletes):
        with_hr = i % 5 == 0
        data.append((f"athlete{i}",) + make_athlete(rng, i, start, years, with_hr))
        if with_hr:
            overrides[f"athlete{i}"] = {"hr_rest_bpm": 50.0, "hr_max_bpm": 190.0, "sex": "female"}
    from types import MappingProxyType

    import dataclasses
    cfg = dataclasses.replace(Config(), athletes=MappingProxyType({k: MappingProxyType(v) for k, v in overrides.items()}))
    runs = sum(int((a["sport"] == "running").sum()) for _, a, _, _ in data)
    analyze(data[0][1], data[0][2], data[0][0], tz=data[0][3], as_of=as_of, config=cfg)  # warm-up (imports)
    t0 = time.perf_counter()
    findings = 0
    for name, acts, shoes, tz in data:
        result = analyze(acts, shoes, name, tz=tz, as_of=as_of, config=cfg)
        findings += len(result.findings)
    total = time.perf_counter() - t0
    print(f"{athletes} athletes × {years} years, {runs} runs, {findings} findings")
    print(f"total {total:.3f} s, {1000 * total / athletes:.2f} ms per athlete")


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:]]
    main(*args)
