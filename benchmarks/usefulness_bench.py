"""Benchmark: are the flags useful? Careful runners should rarely be warned; reckless ones always.

Run: ``.venv/bin/python benchmarks/usefulness_bench.py [runner_years] [--seed N] [--quick]``.

Generated runners (in memory, seeded), each simulated for 8 lead-in weeks plus one
measured year (52 weeks), in five time zones (DST changes included):

* **careful**: 4–6 runs a week on a fixed weekly pattern with at least one rest day,
  a long run on Sunday; every week at most +9 % over the highest of the previous 4
  weeks (never above +10 % of the 4-week maximum), a cutback week (65–80 %) every
  4th week, volume held once it reaches the runner's ceiling; the long run within
  +9 % of the longest run of the previous 30 days, other runs shorter.
* **reckless**: the same runner with injected errors in the measured year: four
  weeks of +30–60 % over the 4-week maximum, four runs of 2× the longest run of the
  previous 30 days, and four 10-day running streaks.

Every runner goes through :func:`runload.analysis.check` day by day (``as_of``
stepping over the measured year, in process). A finding is counted once (a
current-week flag and the complete-week flag it becomes are one finding) with the
severity it has on the last day; counted when its date lies in the measured year.

Printed per group: warnings, alerts and infos per runner-year; items per
runner-year once repeated weekly flags are grouped into episodes; and, for the
reckless group, each kind of injected error found or missed with its delay in
days (the day it happens: the day the week's total first exceeds +10 % of its
baseline, the day of the long run, the 7th running day of the streak). For
comparison, the careful group is also checked once with the classic
previous-week baseline (``weekly_increase_baseline = "previous_week"``).

Targets: careful runners at most 1 warning a year; every injected error found on
the day it happens.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd

from runload.analysis import check
from runload.config import Config
from runload.episodes import EPISODE_RULES, group_episodes

ZONES = ("Europe/Berlin", "America/New_York", "Australia/Sydney", "UTC", "Asia/Tokyo")
LEAD_IN_WEEKS = 8
MEASURED_WEEKS = 52
WINDOW_DAYS = 30


@dataclass
class Injected:
    kind: str  # jump | spike | streak
    day: date  # the day the error happens
    key: tuple  # what to look for among the findings
    found_on: date | None = None


@dataclass
class Runner:
    name: str
    tz: str
    start: date
    runs: list = field(default_factory=list)  # (local datetime, distance_m int)
    injected: list = field(default_factory=list)

    @property
    def measured_start(self) -> date:
        return self.start + timedelta(weeks=LEAD_IN_WEEKS)

    @property
    def end(self) -> date:
        return self.start + timedelta(weeks=LEAD_IN_WEEKS + MEASURED_WEEKS, days=-1)

    def frame(self) -> pd.DataFrame:
        local = pd.DatetimeIndex([t for t, _ in self.runs])
        utc = local.tz_localize(self.tz, nonexistent="shift_forward", ambiguous=False).tz_convert("UTC")
        n = len(self.runs)
        return pd.DataFrame({
            "id": np.arange(n), "start_utc": utc, "utc_offset_s": np.nan, "sport": "running", "sub_sport": None,
            "distance_m": np.array([m for _, m in self.runs], dtype=float), "shoe": None,
        }).sort_values("start_utc", ignore_index=True)


def _longest_before(runs: list, t: datetime) -> int:
    """Longest run that started in [t − 30 d, t) (local wall-clock time, as the spike rule)."""
    lo = t - timedelta(days=WINDOW_DAYS)
    return max((m for s, m in runs if lo <= s < t), default=0)


def make_runner(rng: np.random.Generator, i: int, reckless: bool) -> Runner:
    start = date(2024, 1, 1) + timedelta(weeks=int(rng.integers(0, 80)))  # a Monday
    r = Runner(name=f"{'reckless' if reckless else 'careful'}-{i:02d}", tz=ZONES[i % len(ZONES)], start=start)
    n_runs = int(rng.integers(4, 7))  # 4-6 runs: at least one rest day a week
    pattern = sorted(rng.choice(6, size=n_runs - 1, replace=False).tolist()) + [6]  # long run on Sunday
    volume0 = rng.uniform(20_000, 50_000)
    ceiling = volume0 * rng.uniform(1.3, 1.8)
    hour = rng.uniform(6, 8)
    weeks = LEAD_IN_WEEKS + MEASURED_WEEKS
    jumps = spikes = streaks = set()
    if reckless:  # injected errors in the measured year, never in a cutback week, never two in one week
        jumps = {LEAD_IN_WEEKS + 4 + 12 * k + int(rng.integers(0, 2)) for k in range(4)}
        spikes = {LEAD_IN_WEEKS + 8 + 12 * k for k in range(4)}
        streaks = {LEAD_IN_WEEKS + 10 + 12 * k for k in range(4)}
        jumps = {w + 1 if w % 4 == 3 else w for w in jumps}
    totals: list[int] = []
    extra_days: set[int] = set()
    for w in range(weeks):
        monday = start + timedelta(weeks=w)
        best4 = max(totals[-4:]) if totals else volume0
        if w == 0:
            volume = volume0
        elif w in jumps:
            volume = best4 * rng.uniform(1.3, 1.6)
        elif w % 4 == 3:
            volume = best4 * rng.uniform(0.65, 0.8)  # cutback week
        elif best4 >= ceiling:
            volume = best4 * rng.uniform(0.9, 1.0)
        else:
            volume = best4 * rng.uniform(1.0, 1.09)  # never above +10 % of the 4-week maximum
        days = list(pattern)
        if w in streaks:  # run every day from this Tuesday for 10 days (into next week)
            extra_days.update(range(w * 7 + 1, w * 7 + 11))
        when = {d: datetime.combine(monday + timedelta(days=d), datetime.min.time()) + timedelta(hours=hour + rng.uniform(-0.5, 0.5))
                for d in range(7)}
        longest = _longest_before(r.runs, when[6]) or None
        long_m = 0.3 * volume
        if longest:
            long_m = min(long_m, 1.09 * longest)
        if w in spikes and longest:
            long_m = 2 * longest  # 2x the month's longest
        weights = rng.uniform(0.85, 1.15, len(days) - 1)
        others = (volume - long_m) * weights / weights.sum()  # the week adds up to the planned volume
        cap = long_m if not longest else min(long_m, 1.09 * longest)
        week_runs = []
        for d, m in zip(days[:-1], others):
            t = when[d]
            lim = 1.09 * (_longest_before(r.runs, t) or cap)
            week_runs.append((t, int(min(m, cap, lim))))
        week_runs.append((when[6], int(long_m)))
        for day_no in sorted(extra_days):
            if w * 7 <= day_no < w * 7 + 7 and day_no - w * 7 not in days:
                t = when[day_no - w * 7]
                week_runs.append((t, int(min(others.min(), 6_000))))
        week_runs.sort()
        total = sum(m for _, m in week_runs)
        if reckless and w in jumps:  # the day the week's total first exceeds +10 % of its baseline
            base = max(totals[-4:])
            cum = 0
            for t, m in week_runs:
                cum += m
                if 10 * cum > 11 * base:
                    r.injected.append(Injected("jump", t.date(), ("weekly_increase", monday)))
                    break
        if reckless and w in spikes and longest:
            r.injected.append(Injected("spike", when[6].date(), ("run_spike", when[6].date())))
        r.runs.extend(week_runs)
        totals.append(total)
    if reckless:  # the streaks: the 7th consecutive running day
        ran = {t.date() for t, _ in r.runs}
        for w in sorted(streaks):
            first = start + timedelta(days=w * 7 + 1)
            s0 = first
            while s0 - timedelta(days=1) in ran:
                s0 -= timedelta(days=1)
            r.injected.append(Injected("streak", s0 + timedelta(days=6), ("run_streak", s0)))
    return r


def make_daily_runner(rng: np.random.Generator, i: int) -> Runner:
    """Seven even runs a week at a steady volume: one habit (no rest day, a streak, high monotony)."""
    start = date(2024, 1, 1) + timedelta(weeks=int(rng.integers(0, 80)))
    r = Runner(name=f"daily-{i:02d}", tz=ZONES[i % len(ZONES)], start=start)
    per_day = rng.uniform(4_000, 10_000)
    for k in range(7 * (LEAD_IN_WEEKS + MEASURED_WEEKS)):
        t = datetime.combine(start + timedelta(days=k), datetime.min.time()) + timedelta(hours=7)
        r.runs.append((t, int(per_day * rng.uniform(0.95, 1.05))))
    return r


def _key(f) -> tuple:
    if f.rule in ("run_streak", "acwr"):
        return (f.rule, f.date)
    return (f.rule, f.date, f.period.split(" so far")[0])


def step_through(r: Runner, cfg: Config, every_day: bool = True):
    """``({finding key: last finding}, {key: first as_of seen})`` over the measured year."""
    acts = r.frame()
    last: dict = {}
    first_seen: dict = {}
    days = ([r.measured_start + timedelta(days=k) for k in range(7 * MEASURED_WEEKS)] if every_day else [r.end])
    for as_of in days:
        for f in check(acts, None, r.name, tz=r.tz, as_of=as_of, config=cfg).findings:
            k = _key(f)
            last[k] = f
            first_seen.setdefault(k, as_of)
    return last, first_seen


def tally(runners, cfg: Config, every_day: bool = True):
    counts = Counter()
    rules = Counter()
    delays: dict[str, list] = {"jump": [], "spike": [], "streak": []}
    missed = Counter()
    for r in runners:
        last, first_seen = step_through(r, cfg, every_day)
        inside = [f for f in last.values() if r.measured_start <= f.date <= r.end]
        for f in inside:
            counts[f.severity.value] += 1
            rules[(f.rule, f.severity.value)] += 1
        episodes = group_episodes(inside)
        counts["items"] += len(episodes) + sum(1 for f in inside if f.rule not in EPISODE_RULES)
        for inj in r.injected:
            hit = [first_seen[k] for k in first_seen if k[:2] == inj.key[:2]]
            if not hit:
                missed[inj.kind] += 1
                continue
            delays[inj.kind].append((min(hit) - inj.day).days)
    return counts, rules, delays, missed


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("runner_years", nargs="?", type=int, default=30)
    p.add_argument("--seed", type=int, default=12)
    p.add_argument("--quick", action="store_true", help="check once on the last day instead of every day")
    a = p.parse_args(argv)
    rng = np.random.default_rng(a.seed)
    n = a.runner_years
    careful = [make_runner(rng, i, reckless=False) for i in range(n)]
    reckless = [make_runner(rng, i, reckless=True) for i in range(n)]
    cfg = Config()
    print(f"usefulness: {n} careful and {n} reckless runner-years, check stepped "
          f"{'once' if a.quick else 'every day'} over each measured year (seed {a.seed})")
    for label, group in (("careful", careful), ("reckless", reckless)):
        t0 = time.perf_counter()
        counts, rules, delays, missed = tally(group, cfg, every_day=not a.quick)
        dt = time.perf_counter() - t0
        print(f"\n{label}: per runner-year  warnings {counts['warning'] / n:.2f}  alerts {counts['alert'] / n:.2f}  "
              f"infos {counts['info'] / n:.2f}  items after episodes {counts['items'] / n:.2f}   ({dt:.0f} s)")
        for (rule, sev), c in sorted(rules.items()):
            print(f"    {rule:18s} {sev:8s} {c / n:6.2f} a year")
        if label == "reckless":
            for kind in ("jump", "spike", "streak"):
                d = delays[kind]
                total = len(d) + missed[kind]
                same_day = sum(1 for x in d if x == 0)
                print(f"  injected {kind:6s}: {len(d)}/{total} found ({same_day} on the day it happens), "
                      f"{missed[kind]} missed, delay days min/median/max "
                      + (f"{min(d)}/{int(np.median(d))}/{max(d)}" if d else "-"))
    daily = [make_daily_runner(rng, i) for i in range(n)]
    counts, rules, _, _ = tally(daily, cfg, every_day=False)
    print(f"\nseven even runs a week (checked once): infos {counts['info'] / n:.2f} a year, "
          f"items after episodes {counts['items'] / n:.2f} a year")
    counts, rules, _, _ = tally(careful, Config(weekly_increase_baseline="previous_week"), every_day=False)
    print(f"\ncareful with weekly_increase_baseline = \"previous_week\" (checked once): warnings "
          f"{counts['warning'] / n:.2f} a year (weekly_increase {rules[('weekly_increase', 'warning')] / n:.2f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
