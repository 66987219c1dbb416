"""Single-session spike (Frandsen et al., BJSM 2025; docs/method.md §6).

For a run of distance ``D`` starting at ``t_s``, ``M`` is the longest run that
*started* in ``[t_s − 30 d, t_s)`` (a timestamp window, so earlier runs on the
same day count). The 30 days are local calendar days: the window opens at the
same wall-clock time 30 days earlier in the athlete's zone, so it is 719 or 721
hours across a DST change, not 720. ``spike_pct = 100·(D − M)/M``. Bands, compared exactly on
integer metres (C5): reference ≤ 10 % (regression included), small (10, 30],
moderate (30, 100], large > 100.

Garmin-RUNSAFE: 5 205 runners, 588 071 sessions, 1 820 injured runners; hazard
rate ratios small 1.64 (1.31–2.05), moderate 1.52 (1.16–2.00), large 2.28
(1.50–3.48). Observational; the HRRs are not monotonic, so no strict
dose–response is claimed.

User-declared gaps (C3): when the window before a run meets a gap day, the
baseline may be missing, so the run's status is ``data_gap`` and a finding, if
any, keeps its value but is info and says why.
"""

from __future__ import annotations

from datetime import date
from fractions import Fraction
from typing import TYPE_CHECKING

import numpy as np

from runload.config import Config
from runload.findings import Finding, Severity, new_finding
from runload.rules.registry import rule, severity as severity_of
from runload.rules._text import dist, dist_pair, message, num_above

if TYPE_CHECKING:
    import pandas as pd

SOURCE = "Frandsen et al. 2025"
BANDS = ("reference", "small", "moderate", "large")
#: Published hazard-rate ratios per band (Frandsen et al. 2025, Table), for the
#: published band edges 10/30/100 % only.
PUBLISHED_EDGES_PCT = (10.0, 30.0, 100.0)
PUBLISHED_HRR = {"small": "1.64", "moderate": "1.52", "large": "2.3"}


def range_max(values: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """``max(values[lo[i]:hi[i]])`` for every i (sparse table, O(n log n)); -1 where empty.

    ``values`` must be non-negative integers.
    """
    values = np.asarray(values, dtype=np.int64)
    lo = np.asarray(lo, dtype=np.int64)
    hi = np.asarray(hi, dtype=np.int64)
    out = np.full(lo.shape, -1, dtype=np.int64)
    length = hi - lo
    has = length > 0
    if not has.any():
        return out
    levels = [values]
    k = 1
    while (1 << k) <= values.size:
        prev = levels[-1]
        half = 1 << (k - 1)
        levels.append(np.maximum(prev[:-half], prev[half:]))
        k += 1
    lev = np.zeros(lo.shape, dtype=np.int64)
    lev[has] = np.floor(np.log2(length[has])).astype(np.int64)
    for k in np.flatnonzero(np.bincount(lev[has])):  # the levels used (np.unique would import numpy.ma)
        sel = has & (lev == k)
        table = levels[k]
        out[sel] = np.maximum(table[lo[sel]], table[hi[sel] - (1 << int(k))])
    return out


def _exceeds_pct(d: np.ndarray, m: np.ndarray, pct: float) -> np.ndarray:
    """Exact ``100·(D − M) > pct·M`` on integer metres (``pct`` as a decimal Fraction)."""
    f = Fraction(repr(float(pct))).limit_denominator(10**6)
    a, b = f.numerator, f.denominator
    return 100 * b * (d - m) > a * m


def _band_of_shown(d: int, m: int, edges) -> int:
    """Band index of shown distances ``d`` over ``m`` (same scale), as a runner would work it out;
    ``edges``: the band edges [%] as (numerator, denominator) pairs."""
    if m <= 0:
        return len(edges)
    return sum(1 for p, q in edges if 100 * q * (d - m) > p * m)


def window_gap(start_local: np.ndarray, cfg: Config, gap_lo: np.ndarray, gap_hi: np.ndarray) -> np.ndarray:
    """Bool per run: its window ``[start − w d, start)`` (local time) meets a declared gap day
    (``gap_lo``/``gap_hi``: merged day-number intervals, see :func:`runload.tables.gap_intervals`)."""
    from runload.tables import gaps_touch

    start_local = np.asarray(start_local, dtype=np.int64)
    if gap_lo.size == 0:
        return np.zeros(start_local.shape, dtype=bool)
    window_ns = np.int64(cfg.spike_window_days) * _NS_PER_DAY
    return gaps_touch(gap_lo, gap_hi, (start_local - window_ns) // _NS_PER_DAY, (start_local - 1) // _NS_PER_DAY)


_NS_PER_DAY = np.int64(86_400 * 10**9)
_EPOCH = date(1970, 1, 1)


def spike_arrays(t: np.ndarray, d: np.ndarray, start_local: np.ndarray, cfg: Config,
                 log0_ns: int | None = None, gap: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """The columns of :func:`spike_table` as arrays, from per-run UTC start [ns],
    integer distance [m], naive local start [ns] and the log's first midnight [ns].

    ``band_idx`` indexes :data:`BANDS` and counts only where ``valid`` (a baseline > 0).
    ``days_since_previous`` counts calendar days between the local dates of the
    previous run and this one.
    ``gap`` (bool per run, see :func:`window_gap`): the window meets a declared
    gap, so ``status`` is ``data_gap`` there (``base_status`` keeps the status
    without the gap; values are kept).
    """
    n = len(d)
    window_ns = np.int64(cfg.spike_window_days) * 86_400 * 10**9
    start_local = np.asarray(start_local, dtype=np.int64)
    # window start in local wall-clock time (calendar days, DST-safe); runs are in UTC order and
    # their local times rise with it except inside a DST fall-back hour, hence the running maximum
    lo = np.searchsorted(np.maximum.accumulate(start_local), start_local - window_ns, side="left")
    hi = np.searchsorted(t, t, side="left")
    lo = np.minimum(lo, hi)
    m = range_max(d, lo, hi)
    has_base = m >= 0
    if log0_ns is not None:
        covered = start_local - window_ns >= log0_ns
    else:
        covered = np.ones(n, dtype=bool)
    status = np.full(n, "ok", dtype=object)
    status[~covered] = "insufficient_history"
    status[~has_base & covered] = "no_baseline"
    status[has_base & (m == 0)] = "undefined"
    base_status = status
    if gap is not None and gap.any():
        status = status.copy()
        status[gap] = "data_gap"
    else:
        gap = np.zeros(n, dtype=bool)
    valid = has_base & (m > 0)
    mm = np.where(valid, m, 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        pct = np.where(valid, 100.0 * (d - mm) / mm, np.nan)
    small = _exceeds_pct(d, mm, cfg.spike_small_above_pct)
    moderate = _exceeds_pct(d, mm, cfg.spike_moderate_above_pct)
    large = _exceeds_pct(d, mm, cfg.spike_large_above_pct)
    band_idx = small.astype(int) + moderate.astype(int) + large.astype(int)
    # calendar days between the local dates of the previous run and this one
    day_no = start_local // _NS_PER_DAY
    prev_day = np.where(hi > 0, day_no[np.maximum(hi - 1, 0)], 0)
    days_prev = np.where(hi > 0, (day_no - prev_day).astype(float), np.nan)
    return {"baseline_m": m, "spike_pct": pct, "status": status, "valid": valid, "band_idx": band_idx,
            "days_since_previous": days_prev, "has_previous": hi > 0, "gap": gap, "base_status": base_status}


def spike_table(runs: pd.DataFrame, cfg: Config, log_start=None, gaps=None) -> pd.DataFrame:
    """Spike of every run against the longest run of the previous window.

    Parameters
    ----------
    runs : DataFrame
        Runs oldest first with ``start_utc``, ``local_date``, ``distance_int_m``
        and ``start_local`` (see :class:`~runload.rules.context.LoadContext`).
    cfg : Config
        ``spike_window_days`` and the band edges.
    log_start : date, optional
        First day of the log; earlier windows are ``insufficient_history``.
    gaps : optional
        User-declared gaps (as :func:`runload.tables.gap_intervals` takes);
        runs whose window meets one are ``data_gap``.

    Returns
    -------
    DataFrame (same row order) with ``distance_int_m`` [m], ``baseline_m`` [m]
    (-1 when none), ``spike_pct`` [%] (NaN without a baseline), ``band``
    (reference | small | moderate | large | None), ``status`` (ok |
    no_baseline | insufficient_history | undefined | data_gap) and ``days_since_previous``
    [d] (NaN for the first run).
    """
    import pandas as pd

    n = len(runs)
    if n == 0:
        return pd.DataFrame(
            {"distance_int_m": [], "baseline_m": [], "spike_pct": [], "band": [], "status": [],
             "days_since_previous": []}
        )
    t = pd.DatetimeIndex(pd.to_datetime(runs["start_utc"], utc=True)).as_unit("ns").asi8
    d = runs["distance_int_m"].to_numpy(np.int64)
    start_local = pd.DatetimeIndex(pd.to_datetime(runs["start_local"])).as_unit("ns").asi8
    log0 = pd.Timestamp(log_start).as_unit("ns").value if log_start is not None else None
    gap = None
    if gaps is not None:
        from runload.tables import gap_intervals

        gap = window_gap(start_local, cfg, *gap_intervals(gaps))
    a = spike_arrays(t, d, start_local, cfg, log0, gap)
    m, pct, status, days_prev = a["baseline_m"], a["spike_pct"], a["status"], a["days_since_previous"]
    band = np.where(a["valid"], np.array(BANDS, dtype=object)[a["band_idx"]], None)
    return pd.DataFrame(
        {
            "distance_int_m": d,
            "baseline_m": m,
            "spike_pct": pct,
            "band": band,
            "status": status,
            "days_since_previous": days_prev,
        },
        index=runs.index,
    )


def _evidence_sentence(band: str, cfg: Config) -> str:
    edges = (cfg.spike_small_above_pct, cfg.spike_moderate_above_pct, cfg.spike_large_above_pct)
    s, mo, la = (f"{e:g}" for e in edges)
    if tuple(map(float, edges)) == PUBLISHED_EDGES_PCT:
        span = {"small": f"{s}–{mo}% longer", "moderate": f"{mo}–{la}% longer", "large": f"more than {la}% longer"}[band]
        return (
            f"In a cohort of 5 205 runners, runs {span} were associated with about {PUBLISHED_HRR[band]}× "
            "the overuse-injury rate (Frandsen 2025)"
        )
    lower = {"small": s, "moderate": mo, "large": la}[band]
    return (
        f"Your configured '{band}' band starts above {lower}%; in a cohort of 5 205 runners, runs more than "
        f"{PUBLISHED_EDGES_PCT[0]:g}% longer than the previous 30-day longest were associated with higher "
        "overuse-injury rates (Frandsen 2025)"
    )


@rule("run_spike", severity="warning",
      severities={"small": "warning", "moderate": "warning", "large": "alert", "no_baseline": "info"},
      params=("spike_window_days", "spike_small_above_pct", "spike_moderate_above_pct", "spike_large_above_pct"))
def run_spike(ctx, cfg: Config) -> list[Finding]:
    """Flag runs longer than the longest run of the previous ``spike_window_days`` by more than the small band."""
    if not len(ctx.run_order):
        return []
    d = ctx.run_int_m
    log0 = ctx.start_no * 86_400 * 10**9 if ctx.log_start is not None else None
    gap = window_gap(ctx.run_local_ns, cfg, ctx.gap_lo, ctx.gap_hi) if ctx.gap_lo.size else None
    a = spike_arrays(ctx.run_utc_ns, d, ctx.run_local_ns, cfg, log0, gap)
    w = cfg.spike_window_days
    thresholds = {
        "small": cfg.spike_small_above_pct,
        "moderate": cfg.spike_moderate_above_pct,
        "large": cfg.spike_large_above_pct,
    }
    method = f"single run vs the longest run that started in the previous {w} days"
    window = f"previous {w} days (timestamp window [start − {w} d, start))"
    out = []
    flagged = a["valid"] & (a["band_idx"] > 0)
    no_base = (a["base_status"] == "no_baseline") & a["has_previous"]
    pick = np.flatnonzero(flagged | no_base)
    if not pick.size:
        return out
    evidence: dict = {}
    severities: dict = {}
    edges = [(f.numerator, f.denominator) for f in
             (Fraction(repr(float(e))).limit_denominator(10**6) for e in thresholds.values())]
    no_base_severity = severity_of(cfg, "run_spike", "no_baseline") if no_base.any() else None
    units = cfg.units
    for local, st, dm, bm, gap_, pct_, bi, in_gap in zip(
            ctx.run_local_ns[pick].astype("datetime64[ns]").astype("datetime64[us]").tolist(),
            a["base_status"][pick].tolist(), d[pick].tolist(), a["baseline_m"][pick].tolist(),
            a["days_since_previous"][pick].tolist(), a["spike_pct"][pick].tolist(), a["band_idx"][pick].tolist(),
            a["gap"][pick].tolist()):
        row = {"status": st, "distance_int_m": dm, "baseline_m": bm, "days_since_previous": gap_,
               "spike_pct": pct_, "band": BANDS[bi]}
        day = local.date()
        period = f"run on {day.isoformat()} at {local.strftime('%H:%M')}"
        gap_text = ""
        if in_gap:
            lo_no = (local.date() - _EPOCH).days - w
            hi_no = (local.date() - _EPOCH).days
            spans = ", ".join(a0.isoformat() if a0 == b0 else f"{a0.isoformat()} to {b0.isoformat()}"
                              for a0, b0 in ctx.gaps_between(lo_no, hi_no))
            gap_text = (f"Provisional: the previous {w} days include a declared gap ({spans}) with no data, so "
                        + ("a run in it may be missing" if row["status"] == "no_baseline" else
                           "a longer earlier run may be missing from the baseline"))
        if row["status"] == "no_baseline":
            gap = float(row["days_since_previous"])
            text = message(
                f"First run in {w}+ days (the previous run was {gap:.0f} days earlier), so there is no longest "
                f"run in the previous {w} days to compare this {dist(row['distance_int_m'], units)} with: "
                "start short",
                f"Frandsen 2025 compares each run with the longest run of the previous {w} days",
                gap_text,
            )
            out.append(new_finding(
                rule="run_spike", severity=Severity.INFO if in_gap else no_base_severity, athlete=ctx.athlete,
                date=day, period=period, value=gap, threshold=w, window=window, method=method,
                message=text, source=SOURCE, status="data_gap" if in_gap else "no_baseline", unit="d",
            ))
            continue
        band = row["band"]
        pct = float(row["spike_pct"])
        provisional = row["status"] == "insufficient_history"
        run_text, base_text = dist_pair(row["distance_int_m"], row["baseline_m"], units,
                                        lambda x, y, b=bi: _band_of_shown(x, y, edges) == b)
        text = message(
            f"This run ({run_text}) was {num_above(pct, thresholds[band], True, 0)}% "
            f"longer than your longest run in the previous {w} days ({base_text}): "
            f"a {band} spike (more than {thresholds[band]:g}%)",
            evidence.get(band) or evidence.setdefault(band, _evidence_sentence(band, cfg)),
            gap_text or ("Provisional: your log starts less than "
                         f"{w} days before this run, so a longer earlier run may be missing" if provisional else ""),
        )
        if provisional or in_gap:  # the baseline may be incomplete: never alarming (lead's decision)
            severity = Severity.INFO
        else:
            severity = severities.get(band) or severities.setdefault(band, severity_of(cfg, "run_spike", band))
        out.append(new_finding(
            rule="run_spike", severity=severity, athlete=ctx.athlete,
            date=day, period=period, value=pct, threshold=thresholds[band], window=window, method=method,
            message=text, source=SOURCE,
            status="data_gap" if in_gap else ("insufficient_history" if provisional else "ok"), unit="%",
        ))
    return out
