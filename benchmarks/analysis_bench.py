"""Benchmark: the rules (``runload check``) for 100 athletes × 5 years of synthetic daily running.

Run: ``.venv/bin/python benchmarks/analysis_bench.py [athletes] [years] [--no-store] [--full]``,
or ``... --scaling [N ...]`` for ``check --all`` as a whole process at 1, 10, 100 and 1,000
athletes × 5 years (wall time, peak RSS) and ``runload --help`` against ``import click``,
or ``... --reports [N [REPS]]`` for ``summary --all`` and ``report --all`` of N (100) athletes × 5 years
as whole processes, on one core and on two (wall time, peak RSS of the largest process).
Data are generated in memory (not timed): 3–6 running days a week around a
per-athlete base volume with a weekly long run, build/recovery cycles, breaks
of 2–6 weeks, some double days, cross-training, 3–5 rotated shoes and, for one
athlete in five, per-run heart-rate histograms with configured HR_rest/HR_max.

Figures printed (the acceptance target is each under 1 s for 100 × 5 years):

1. rules only: :func:`runload.analysis.check` on the in-memory frames (what
   ``runload check`` computes per athlete);
2. store-backed: the same athletes written once (not timed) into a temporary
   SQLite store through :class:`runload.store.Store` (``add_shoe``,
   ``add_file`` with :class:`runload.models.Activity` objects), then
   ``runload check --all --format json --as-of …`` through the real CLI, timed
   in-process (click ``CliRunner``, Python start-up and imports excluded) and
   as a ``subprocess`` (start-up included); ``--no-store`` skips this;
3. with ``--full``, the full :func:`runload.analysis.analyze` (display tables,
   PMC/TRIMP, shoe status) for the reporter.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from datetime import date, timezone
from pathlib import Path

import numpy as np
import pandas as pd

from runload.analysis import analyze, check
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


def write_store(path: Path, data, as_of: date) -> int:
    """Write the athletes into a new store through the Store API; returns the activities written."""
    from runload.models import Activity
    from runload.store import Store

    def opt(v):
        return None if v is None or (isinstance(v, float) and v != v) else v

    n = 0
    with Store.open(path) as store:
        for name, acts, shoes, tz in data:
            aid = store.athlete_id(name, create=True, tz=tz)
            for row in shoes.itertuples(index=False):
                store.add_shoe(name, row.name, start_distance_m=float(row.start_distance_m),
                               default=bool(row.is_default))
            activities = []
            for r in acts.itertuples(index=False):
                hr = r.hr_seconds_by_bpm if isinstance(r.hr_seconds_by_bpm, dict) else None
                activities.append(Activity(
                    start_utc=r.start_utc.floor("us").to_pydatetime().astimezone(timezone.utc), sport=r.sport,
                    source_format="fit", distance_m=opt(float(r.distance_m)), moving_s=opt(float(r.moving_s)),
                    elapsed_s=opt(float(r.elapsed_s)), ascent_m=opt(float(r.ascent_m)),
                    device="bench", name="Run" if r.sport == "running" else "Ride",
                    gear=r.shoe if isinstance(r.shoe, str) else None, hr_seconds_by_bpm=hr,
                ))
            # one file per athlete: activities of one file are never merged as duplicates
            store.add_file(aid, activities, source_path=f"/bench/{name}.fit", content_hash=f"bench-{name}")
            n += len(activities)
    return n


def store_figures(data, as_of: date, reps: int = 3) -> None:
    from click.testing import CliRunner

    from runload.cli import cli

    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.db"
        t0 = time.perf_counter()
        n = write_store(db, data, as_of)
        print(f"store: {n} activities written in {time.perf_counter() - t0:.1f} s (not timed below)")
        args = ["--db", str(db), "check", "--all", "--format", "json", "--as-of", as_of.isoformat()]
        (Path(tmp) / "empty.toml").write_text("")  # default thresholds, whatever the user's own config says
        env = {**os.environ, "RUNLOAD_CONFIG": str(Path(tmp) / "empty.toml")}
        runner = CliRunner()
        first = runner.invoke(cli, args, env=env)  # warm-up: imports, SQLite page cache
        assert first.exit_code == 0, first.output
        times = []
        for _ in range(reps):
            t0 = time.perf_counter()
            result = runner.invoke(cli, args, env=env)
            times.append(time.perf_counter() - t0)
            assert result.exit_code == 0, result.output
        import json
        found = len(json.loads(result.output))
        print(f"runload check --all --format json, in-process (CliRunner): median {sorted(times)[len(times) // 2]:.3f} s "
              f"of {', '.join(f'{t:.3f}' for t in times)}; {found} findings")
        exe = [sys.executable, "-m", "runload", *args]
        times = []
        for _ in range(reps):
            t0 = time.perf_counter()
            proc = subprocess.run(exe, env=env, capture_output=True, text=True)
            times.append(time.perf_counter() - t0)
            assert proc.returncode == 0, proc.stderr
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import runload.cli, runload.analysis"], env=env, check=True)
        startup = time.perf_counter() - t0
        print(f"runload check --all --format json, subprocess: median {sorted(times)[len(times) // 2]:.3f} s "
              f"of {', '.join(f'{t:.3f}' for t in times)} (Python start-up + imports alone: {startup:.3f} s)")


def _timed_process(cmd: list[str], env: dict) -> tuple[float, float, int, float]:
    """(wall seconds, peak RSS in MB, exit code, CPU seconds) of one whole process, measured by
    ``/usr/bin/time`` (a small parent: a child forked from this big benchmark process would count its
    pages too). CPU is user + system time of the process and the workers it waited for: on a shared
    machine it moves much less than the wall time."""
    t0 = time.perf_counter()
    proc = subprocess.run(["/usr/bin/time", "-f", "RUNLOAD_MAXRSS_KB=%M RUNLOAD_CPU_S=%U+%S", *cmd], env=env,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    wall = time.perf_counter() - t0
    kb, cpu = float("nan"), float("nan")
    for line in proc.stderr.splitlines():
        if line.startswith("RUNLOAD_MAXRSS_KB="):
            fields = dict(f.split("=", 1) for f in line.split())
            kb = int(fields["RUNLOAD_MAXRSS_KB"]) / 1024
            cpu = sum(float(x) for x in fields["RUNLOAD_CPU_S"].split("+"))
    return wall, kb, proc.returncode, cpu


def scaling(sizes=(1, 10, 100, 1000), years: int = 5, reps: int = 3) -> None:
    """``runload check --all`` as a whole process for 1, 10, 100 and 1,000 athletes × ``years``:
    median wall time and peak RSS (it must grow linearly, and memory must stay flat: athletes are
    streamed), then ``runload --help`` against ``python -c "import click"``."""
    import shutil
    import sqlite3

    rng = np.random.default_rng(7)
    start, as_of = date(2020, 1, 1), date(2020 + years, 1, 1)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        big = tmp / "all.db"
        t0 = time.perf_counter()
        data = [(f"athlete{i}",) + make_athlete(rng, i, start, years, i % 5 == 0) for i in range(max(sizes))]
        write_store(big, data, as_of)
        del data
        print(f"store of {max(sizes)} athletes × {years} years written in {time.perf_counter() - t0:.0f} s (not timed)")
        (tmp / "empty.toml").write_text("")
        env = {**os.environ, "RUNLOAD_CONFIG": str(tmp / "empty.toml")}
        print("athletes  median wall [s]  per athlete [ms]  peak RSS [MB]")
        for n in sizes:
            db = tmp / f"n{n}.db"
            shutil.copy(big, db)
            with sqlite3.connect(db) as conn:  # keep the first n athletes
                ids = [r[0] for r in conn.execute("SELECT id FROM athletes ORDER BY id")][n:]
                for table in [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]:
                    cols = [c[1] for c in conn.execute(f"PRAGMA table_info({table})")]
                    if "athlete_id" in cols and ids:
                        conn.execute(f"DELETE FROM {table} WHERE athlete_id IN ({','.join(map(str, ids))})")
                if ids:
                    conn.execute(f"DELETE FROM athletes WHERE id IN ({','.join(map(str, ids))})")
            cmd = [sys.executable, "-m", "runload", "--db", str(db), "check", "--all", "--format", "json",
                   "--as-of", as_of.isoformat()]
            _timed_process(cmd, env)  # warm-up: page cache
            runs = sorted(_timed_process(cmd, env) for _ in range(reps))
            wall, rss, code, _ = runs[len(runs) // 2]
            assert code == 0
            print(f"{n:>8}  {wall:>15.3f}  {1000 * wall / n:>16.2f}  {max(r[1] for r in runs):>13.0f}")
    helps = sorted(_timed_process([sys.executable, "-m", "runload", "--help"], os.environ)[0] for _ in range(7))
    clicks = sorted(_timed_process([sys.executable, "-c", "import click"], os.environ)[0] for _ in range(7))
    print(f"runload --help: median {helps[3]:.3f} s; python -c 'import click': median {clicks[3]:.3f} s "
          f"(ratio {helps[3] / clicks[3]:.1f}×, 7 runs each)")


def _bench_store(tmp: Path, athletes: int, years: int, seed: int = 7) -> tuple[Path, date]:
    """A store of ``athletes`` × ``years`` (the same athletes as :func:`scaling`), written once, not timed."""
    rng = np.random.default_rng(seed)
    start, as_of = date(2020, 1, 1), date(2020 + years, 1, 1)
    db = tmp / "bench.db"
    t0 = time.perf_counter()
    data = [(f"athlete{i}",) + make_athlete(rng, i, start, years, i % 5 == 0) for i in range(athletes)]
    write_store(db, data, as_of)
    print(f"store of {athletes} athletes × {years} years written in {time.perf_counter() - t0:.0f} s (not timed)")
    return db, as_of


def reports(athletes: int = 100, years: int = 5, reps: int = 3) -> None:
    """``runload summary --all`` and ``runload report --all`` as whole processes for ``athletes`` ×
    ``years``: best and median wall time of ``reps`` runs, CPU time and peak RSS, on one core (``taskset -c 0``:
    the report's worker processes share it) and on two. ``report`` writes a real file; its size is
    printed too (every chart is in it once, in the narrow
    layout the team page shows on every screen and on paper)."""
    import shutil

    cores = sorted(os.sched_getaffinity(0))
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        db, as_of = _bench_store(tmp, athletes, years)
        (tmp / "empty.toml").write_text("")
        env = {**os.environ, "RUNLOAD_CONFIG": str(tmp / "empty.toml")}
        base = [sys.executable, "-m", "runload", "--db", str(db)]
        out = tmp / "report.html"
        commands = [  # summary exits 7 when an athlete's week has no data (some are on a break): not a failure
            ("summary --all", ["summary", "--all", "--as-of", as_of.isoformat(), "--fail-on", "never"], (0, 7)),
            ("report --all", ["report", "--all", "--as-of", as_of.isoformat(), "--out", str(out)], (0,)),
        ]
        pinned = ["taskset", "-c", str(cores[0])] if shutil.which("taskset") else None
        print(f"{athletes} athletes × {years} years; {len(cores)} cores available")
        print("command          cores  best wall [s]  median wall [s]  min CPU [s]  peak RSS [MB]")
        for label, args, ok in commands:
            for n_cores, prefix in ((1, pinned), (len(cores), [])):
                if prefix is None:
                    continue
                cmd = [*prefix, *base, *args]
                runs = sorted(_timed_process(cmd, env) for _ in range(reps))
                assert all(r[2] in ok for r in runs), f"{label} failed: {[r[2] for r in runs]}"
                print(f"{label:<15}  {n_cores:>5}  {runs[0][0]:>13.2f}  {runs[len(runs) // 2][0]:>15.2f}  "
                      f"{min(r[3] for r in runs):>12.1f}  {max(r[1] for r in runs):>13.0f}")
        print(f"report size: {out.stat().st_size / 1e6:.1f} MB")


def main(athletes: int = 100, years: int = 5, store: bool = True, full: bool = False) -> None:
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
    print(f"{athletes} athletes × {years} years, {runs} runs")

    check(data[0][1], data[0][2], data[0][0], tz=data[0][3], as_of=as_of, config=cfg)  # warm-up (imports)
    t0 = time.perf_counter()
    findings = 0
    for name, acts, shoes, tz in data:
        findings += len(check(acts, shoes, name, tz=tz, as_of=as_of, config=cfg).findings)
    total = time.perf_counter() - t0
    print(f"rules only (check): total {total:.3f} s, {1000 * total / athletes:.2f} ms per athlete, {findings} findings")

    if full:
        analyze(data[0][1], data[0][2], data[0][0], tz=data[0][3], as_of=as_of, config=cfg)
        t0 = time.perf_counter()
        for name, acts, shoes, tz in data:
            analyze(acts, shoes, name, tz=tz, as_of=as_of, config=cfg)
        total = time.perf_counter() - t0
        print(f"full analyze (reporter): total {total:.3f} s, {1000 * total / athletes:.2f} ms per athlete")

    if store:
        store_figures(data, as_of)


if __name__ == "__main__":
    from _bytecode import compile_sources

    compile_sources()  # time runload as an installed program (see _bytecode.py)
    flags = {a for a in sys.argv[1:] if a.startswith("--")}
    args = [int(a) for a in sys.argv[1:] if not a.startswith("--")]
    if "--reports" in flags:
        reports(*args[:1], reps=args[1] if len(args) > 1 else 3)
    elif "--scaling" in flags:
        scaling(tuple(args) or (1, 10, 100, 1000))
    else:
        main(*args, store="--no-store" not in flags, full="--full" in flags)
