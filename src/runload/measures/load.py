"""Load units from heart rate and RPE, and the fitness–fatigue chart (docs/method.md §7, §8).

Measurement only: nothing here raises a flag.

* Banister TRIMP (Morton, Fitz-Clarke & Banister 1990), summed **per sample**
  from the seconds spent at each whole bpm: ``Σ Δt_min · x · a·e^(b·x)``,
  ``x = (HR − HR_rest)/(HR_max − HR_rest)`` clipped to [0, 1]. Men a = 0.64,
  b = 1.92; women a = 0.86, b = 1.67. Unknown sex: the men's coefficients
  (Banister's originals, GoldenCheetah's for everyone; the lower TRIMP), and the
  result says so. Unknown HR_rest/HR_max: no value, with the reason; never the
  200/60 Runalyze assumes.
* Edwards TRIMP (1993): minutes in %HRmax zones [50,60) … [90,100+] × 1…5.
* Lucia TRIMP (2003): minutes below VT1 × 1, VT1–VT2 × 2, above VT2 × 3.
* Session-RPE (Foster 2001): CR-10 RPE × minutes [AU].
* PMC: ``CTL_t = CTL_{t−1} + k_c(L_t − CTL_{t−1})`` (ATL likewise), seed 0,
  ``TSB_t = CTL_{t−1} − ATL_{t−1}``; k = 1/τ (tp, TrainingPeaks),
  1 − e^(−1/τ) (gc, GoldenCheetah ``PMCData.cpp``) or 2/(τ+1) (ewma, Runalyze
  ``TSB.php``). CTL is ``provisional`` for the first 42 days.
"""

from __future__ import annotations

import math
from itertools import chain
from typing import Mapping, NamedTuple, Sequence

import numpy as np
import pandas as pd

from runload.config import Config


class Measured(NamedTuple):
    """A value that may be missing: ``(value | None, status, note)`` (C6)."""

    value: float | None
    status: str
    note: str = ""


# ---- Banister TRIMP -------------------------------------------------------------

def trimp_coefficients(cfg: Config) -> tuple[float, float, str]:
    """``(a, b, note)`` for the athlete's sex (``note`` says which set and why)."""
    sex = cfg.sex if cfg.sex != "unknown" else cfg.trimp_unknown_sex_uses
    a, b = (cfg.trimp_male_a, cfg.trimp_male_b) if sex == "male" else (cfg.trimp_female_a, cfg.trimp_female_b)
    if cfg.sex == "unknown":
        note = (f"sex unknown: {'men' if sex == 'male' else 'women'}'s coefficients a={a:g}, b={b:g} used; "
                "set sex in the configuration")
    else:
        note = f"{'men' if sex == 'male' else 'women'}'s coefficients a={a:g}, b={b:g}"
    return a, b, note


def _x(hr_bpm, hr_rest_bpm: float, hr_max_bpm: float):
    return np.clip((np.asarray(hr_bpm, dtype=float) - hr_rest_bpm) / (hr_max_bpm - hr_rest_bpm), 0.0, 1.0)


def banister_weight(hr_bpm, hr_rest_bpm: float, hr_max_bpm: float, a: float, b: float):
    """TRIMP per minute at ``hr_bpm``: ``x·a·e^(b·x)``."""
    x = _x(hr_bpm, hr_rest_bpm, hr_max_bpm)
    return x * a * np.exp(b * x)


def banister_trimp(hr_seconds_by_bpm: Mapping[int, float], hr_rest_bpm: float, hr_max_bpm: float,
                   a: float, b: float) -> float:
    """Per-sample Banister TRIMP from seconds spent at each whole bpm."""
    if not hr_seconds_by_bpm:
        return 0.0
    bpm = np.fromiter(hr_seconds_by_bpm.keys(), dtype=float, count=len(hr_seconds_by_bpm))
    sec = np.fromiter(hr_seconds_by_bpm.values(), dtype=float, count=len(hr_seconds_by_bpm))
    return float(np.sum(sec / 60.0 * banister_weight(bpm, hr_rest_bpm, hr_max_bpm, a, b)))


def banister_trimp_average(minutes: float, hr_avg_bpm: float, hr_rest_bpm: float, hr_max_bpm: float,
                           a: float, b: float) -> float:
    """Session-average Banister TRIMP (for comparison; the per-sample sum is preferred)."""
    return float(minutes * banister_weight(hr_avg_bpm, hr_rest_bpm, hr_max_bpm, a, b))


def trimp_for_activity(hr_seconds_by_bpm: Mapping[int, float] | None, cfg: Config) -> Measured:
    """Banister TRIMP of one activity with the athlete's configured heart rates.

    ``(None, "undefined", reason)`` when HR_rest/HR_max are unknown or the
    activity has no heart-rate samples.
    """
    if cfg.hr_rest_bpm is None or cfg.hr_max_bpm is None:
        return Measured(None, "undefined", "no TRIMP: resting and maximum heart rate unknown; set hr_rest_bpm "
                                           "and hr_max_bpm for this athlete (no 60/200 default is assumed)")
    if not hr_seconds_by_bpm:
        return Measured(None, "undefined", "no heart-rate samples in this activity")
    a, b, note = trimp_coefficients(cfg)
    return Measured(banister_trimp(hr_seconds_by_bpm, cfg.hr_rest_bpm, cfg.hr_max_bpm, a, b), "ok",
                    "per-sample Banister TRIMP; " + note)


def trimp_per_run(runs: pd.DataFrame, cfg: Config) -> tuple[np.ndarray | None, str]:
    """Banister TRIMP per run (NaN where a run has no HR samples), or ``(None, reason)``."""
    if cfg.hr_rest_bpm is None or cfg.hr_max_bpm is None:
        return None, trimp_for_activity(None, cfg).note
    a, b, note = trimp_coefficients(cfg)
    bpm = np.arange(0, 301, dtype=float)
    weight = banister_weight(bpm, cfg.hr_rest_bpm, cfg.hr_max_bpm, a, b) / 60.0  # per second
    hists = runs["hr_seconds_by_bpm"].tolist() if "hr_seconds_by_bpm" in runs else [None] * len(runs)
    sizes = np.fromiter((len(h) if h else 0 for h in hists), dtype=np.int64, count=len(hists))
    out = np.full(len(runs), np.nan)
    if sizes.sum():
        # all histograms at once: one flat array of bpm and seconds, summed per run
        keys = np.fromiter(chain.from_iterable(h.keys() for h in hists if h), dtype=np.int64, count=int(sizes.sum()))
        secs = np.fromiter(chain.from_iterable(h.values() for h in hists if h), dtype=float, count=int(sizes.sum()))
        per_sample = secs * weight[np.clip(keys, 0, 300)]
        has = sizes > 0
        starts = np.r_[0, np.cumsum(sizes[has])[:-1]]
        out[has] = np.add.reduceat(per_sample, starts)
    return out, "per-sample Banister TRIMP; " + note


# ---- Edwards, Lucia, sRPE --------------------------------------------------------

EDWARDS_ZONES_PCT = (50, 60, 70, 80, 90)


def edwards_trimp(minutes_by_zone: Sequence[float]) -> float:
    """Edwards TRIMP: minutes in the five %HRmax zones (50–60 … 90–100+) weighted 1…5."""
    if len(minutes_by_zone) != 5:
        raise ValueError("Edwards TRIMP needs minutes for exactly 5 zones (50-60, 60-70, 70-80, 80-90, 90-100% HRmax)")
    return float(sum((i + 1) * float(m) for i, m in enumerate(minutes_by_zone)))


def edwards_minutes_by_zone(hr_seconds_by_bpm: Mapping[int, float], hr_max_bpm: float) -> list[float]:
    """Minutes in each Edwards zone from seconds per bpm (below 50 % HRmax counts nowhere)."""
    zones = [0.0] * 5
    for bpm, sec in hr_seconds_by_bpm.items():
        pct = 100.0 * bpm / hr_max_bpm
        if pct < EDWARDS_ZONES_PCT[0]:
            continue
        zones[min(4, int((pct - 50.0) // 10))] += sec / 60.0
    return zones


def lucia_trimp(min_below_vt1: float, min_vt1_to_vt2: float, min_above_vt2: float) -> float:
    """Lucia TRIMP: minutes below VT1 × 1, between VT1 and VT2 × 2, above VT2 × 3."""
    return float(min_below_vt1 + 2 * min_vt1_to_vt2 + 3 * min_above_vt2)


def session_rpe(minutes: float, rpe_cr10: float) -> float:
    """Session-RPE load [AU] (Foster 2001): CR-10 rating × minutes."""
    if not 0 <= rpe_cr10 <= 10:
        raise ValueError(f"RPE must be on the CR-10 scale 0..10, got {rpe_cr10}")
    return float(minutes * rpe_cr10)


# ---- PMC -------------------------------------------------------------------------

def pmc_k(tau_days: float, variant: str) -> float:
    """Daily update factor k for time constant τ."""
    if variant == "tp":
        return 1.0 / tau_days
    if variant == "gc":
        return 1.0 - math.exp(-1.0 / tau_days)
    if variant == "ewma":
        return 2.0 / (tau_days + 1.0)
    raise ValueError(f"unknown PMC variant {variant!r}; use tp, gc or ewma")


def pmc(loads, ctl_days: float = 42.0, atl_days: float = 7.0, variant: str = "tp",
        index: pd.DatetimeIndex | None = None) -> pd.DataFrame:
    """Fitness (CTL), fatigue (ATL) and form (TSB) per day, seed 0.

    Returns columns ``load``, ``ctl``, ``atl``, ``tsb`` (``CTL_{t−1} − ATL_{t−1}``,
    0 on day 0) and ``provisional`` (True for the first ``ctl_days`` days).
    """
    x = np.asarray(loads, dtype=float)
    kc, ka = pmc_k(ctl_days, variant), pmc_k(atl_days, variant)
    padded = pd.Series(np.r_[0.0, x])
    ctl = padded.ewm(alpha=kc, adjust=False).mean().to_numpy()
    atl = padded.ewm(alpha=ka, adjust=False).mean().to_numpy()
    out = pd.DataFrame(index=index if index is not None else pd.RangeIndex(x.size, name="day"))
    out["load"] = x
    out["ctl"] = ctl[1:]
    out["atl"] = atl[1:]
    out["tsb"] = ctl[:-1] - atl[:-1]
    out["provisional"] = np.arange(x.size) < ctl_days
    return out


def pmc_for(ctx, cfg: Config) -> tuple[pd.DataFrame | None, str]:
    """The athlete's PMC on daily Banister TRIMP, or ``(None, reason)``.

    Needs HR_rest and HR_max. If some runs have no heart-rate samples the whole
    series uses distance [km] instead and the label says so (C4: never mix units).
    """
    if ctx.daily.empty:
        return None, "no runs"
    trimp, note = trimp_per_run(ctx.runs, cfg)
    if trimp is None:
        return None, note
    variant_note = f"τ {cfg.pmc_ctl_days:g}/{cfg.pmc_atl_days:g} d, {cfg.pmc_variant}"
    missing = int(np.isnan(trimp).sum())
    if missing:
        loads = ctx.daily_int_m / 1000.0
        label = (f"distance [km] as a fallback ({missing} of {len(trimp)} runs have no heart-rate samples); "
                 f"not TSS; {variant_note}")
    else:
        days = pd.to_datetime(ctx.runs["local_date"])
        per_day = pd.Series(trimp, index=days).groupby(level=0).sum()
        loads = per_day.reindex(ctx.daily.index, fill_value=0.0).to_numpy(float)
        label = f"Banister TRIMP ({note}); {variant_note}"
    frame = pmc(loads, cfg.pmc_ctl_days, cfg.pmc_atl_days, cfg.pmc_variant, ctx.daily.index)
    frame.attrs["load_unit"] = label
    return frame, label
