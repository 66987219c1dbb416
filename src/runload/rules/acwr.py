"""Acute:chronic workload ratio (science.md §4). Evidence: contested; info only.

Daily loads ``L_t`` are running distance in integer metres, log start .. as_of,
rest days 0 (C3); every window divides by *calendar days*, zeros included.

* Rolling coupled: ``A_t = ΣL[t−6..t]/7``, ``C_t = ΣL[t−27..t]/28``.
* Rolling uncoupled (Lolli 2019; Windt & Gabbett 2019): ``C_t = ΣL[t−27..t−7]/21``.
  Identity ``ACWR_u = 3·ACWR_c/(4 − ACWR_c)`` whenever C > 0.
* EWMA (Williams et al. 2017): ``E_t = λL_t + (1−λ)E_{t−1}``, ``λ = 2/(N+1)``,
  seed ``E_0 = L_0`` (R package ACWR ``EWMA.R``); ratio Ea/Ec.

Statuses: ``insufficient_history`` for t < chronic − 1 (fewer than 28 days),
``undefined`` when the chronic load is 0, ``unstable`` (engineering default)
when the chronic window holds fewer than ``acwr_min_running_days`` running days,
else ``ok``. Bands (Gabbett 2016, coupled RA, team sports), labels
``low | typical | elevated | high``; the method is always named, because
uncoupled 1.5 ≈ coupled 1.33.
"""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pandas as pd

from runload.config import Config
from runload.findings import Finding
from runload.rules import rule
from runload.rules._text import message, num_above
from runload.rules.rest import run_streaks

SOURCE = "Gabbett 2016 bands (team sports); contested: Impellizzeri et al. 2020; inverse in runners: Nakaoka et al. 2021"
BAND_LABELS = ("low", "typical", "elevated", "high")
METHODS = ("coupled", "uncoupled", "ewma")


def _sums(loads: np.ndarray, length: int, lag: int = 0) -> np.ndarray:
    """ΣL[t−lag−length+1 .. t−lag] for every t (partial windows at the start)."""
    cs = np.r_[np.int64(0), np.cumsum(loads, dtype=np.int64)]
    t = np.arange(loads.size)
    hi = np.clip(t + 1 - lag, 0, None)
    lo = np.clip(t + 1 - lag - length, 0, None)
    return cs[hi] - cs[lo]


def ewma(loads: np.ndarray, n: int, seed: float | None = None) -> np.ndarray:
    """``E_t = λL_t + (1−λ)E_{t−1}`` with ``λ = 2/(n+1)``.

    ``seed=None`` seeds ``E_0 = L_0`` (R ACWR ``EWMA.R``); a number seeds
    ``E_{−1}`` (so ``seed=0`` gives ``E_0 = λL_0``).
    """
    lam = 2.0 / (n + 1.0)
    x = np.asarray(loads, dtype=float)
    if x.size == 0:
        return x
    if seed is None:
        return pd.Series(x).ewm(alpha=lam, adjust=False).mean().to_numpy()
    return pd.Series(np.r_[float(seed), x]).ewm(alpha=lam, adjust=False).mean().to_numpy()[1:]


def _frac(cfg: Config, name: str) -> tuple[int, int]:
    f = cfg.fraction(name)
    return f.numerator, f.denominator


def band_exact(num: np.ndarray, den: np.ndarray, cfg: Config) -> np.ndarray:
    """Band of ``num/den`` (integer arrays, den > 0) by exact cross-multiplication."""
    num = np.asarray(num, dtype=np.int64)
    den = np.asarray(den, dtype=np.int64)
    lp, lq = _frac(cfg, "acwr_low_below")
    ep, eq = _frac(cfg, "acwr_elevated_above")
    hp, hq = _frac(cfg, "acwr_high_from")
    low = num * lq < lp * den
    above = num * eq > ep * den
    high = num * hq >= hp * den
    idx = np.where(high, 3, np.where(above, 2, np.where(low, 0, 1)))
    return np.array(BAND_LABELS, dtype=object)[idx]


def band_float(ratio: np.ndarray, cfg: Config) -> np.ndarray:
    """Band of float ratios (EWMA, which is not a ratio of integers)."""
    r = np.asarray(ratio, dtype=float)
    idx = np.where(
        r >= cfg.acwr_high_from, 3, np.where(r > cfg.acwr_elevated_above, 2, np.where(r < cfg.acwr_low_below, 0, 1))
    )
    return np.array(BAND_LABELS, dtype=object)[idx]


def acwr_frame(loads_m, cfg: Config, index: pd.DatetimeIndex | None = None) -> pd.DataFrame:
    """The full daily ACWR series by all three methods.

    Parameters
    ----------
    loads_m : array-like of int
        Daily running distance [m] (integer metres), contiguous days, first day = log start.
    cfg : Config
        Windows, EWMA spans, bands, ``acwr_min_running_days`` and ``acwr_method``.
    index : DatetimeIndex, optional
        Dates of the days (default 0..n−1).

    Returns
    -------
    DataFrame with ``load_m``; ``acute_m``/``chronic_m`` (coupled averages [m/d]),
    ``coupled``, ``coupled_status``, ``coupled_band``; ``chronic_uncoupled_m``,
    ``uncoupled``, ``uncoupled_status``, ``uncoupled_band``; ``ewma_acute_m``,
    ``ewma_chronic_m``, ``ewma``, ``ewma_status``, ``ewma_band``;
    ``chronic_running_days``; and for the configured method ``method``,
    ``ratio``, ``status``, ``band``. Ratios are NaN (band None) unless the
    status is ``ok`` or ``unstable``.
    """
    loads = np.asarray(loads_m, dtype=np.int64)
    n = loads.size
    a, c = cfg.acwr_acute_days, cfg.acwr_chronic_days
    u = c - a
    t = np.arange(n)
    warm = t < c - 1
    ran = (loads > 0).astype(np.int64)

    s_a = _sums(loads, a)
    s_c = _sums(loads, c)
    s_u = _sums(loads, u, lag=a)
    days_c = _sums(ran, c)
    days_u = _sums(ran, u, lag=a)

    names = np.array(["ok", "unstable", "undefined", "insufficient_history"], dtype=object)

    def status(chronic_zero: np.ndarray, run_days: np.ndarray) -> np.ndarray:
        code = np.where(warm, 3, np.where(chronic_zero, 2, np.where(run_days < cfg.acwr_min_running_days, 1, 0)))
        return names[code]

    cols: dict[str, object] = {"load_m": loads}
    with np.errstate(divide="ignore", invalid="ignore"):
        # coupled: (S_a/a)/(S_c/c) = (S_a·c)/(S_c·a), exact bands on integers
        num_c, den_c = s_a * c, s_c * a
        st_c = status(s_c == 0, days_c)
        shown_c = (st_c == "ok") | (st_c == "unstable")
        safe_c = np.where(den_c == 0, 1, den_c)
        cols["acute_m"] = s_a / a
        cols["chronic_m"] = s_c / c
        cols["coupled"] = np.where(shown_c, num_c / safe_c, np.nan)
        cols["coupled_status"] = st_c
        cols["coupled_band"] = np.where(shown_c, band_exact(num_c, safe_c, cfg), None)

        num_u, den_u = s_a * u, s_u * a
        st_u = status(s_u == 0, days_u)
        shown_u = (st_u == "ok") | (st_u == "unstable")
        safe_u = np.where(den_u == 0, 1, den_u)
        cols["chronic_uncoupled_m"] = s_u / u
        cols["uncoupled"] = np.where(shown_u, num_u / safe_u, np.nan)
        cols["uncoupled_status"] = st_u
        cols["uncoupled_band"] = np.where(shown_u, band_exact(num_u, safe_u, cfg), None)

        ea = ewma(loads, cfg.ewma_acute_n)
        ec = ewma(loads, cfg.ewma_chronic_n)
        st_e = status(ec <= 0, days_c)
        shown_e = (st_e == "ok") | (st_e == "unstable")
        ratio_e = np.where(shown_e, ea / np.where(ec > 0, ec, 1.0), np.nan)
        cols["ewma_acute_m"] = ea
        cols["ewma_chronic_m"] = ec
        cols["ewma"] = ratio_e
        cols["ewma_status"] = st_e
        cols["ewma_band"] = np.where(shown_e, band_float(np.nan_to_num(ratio_e), cfg), None)
    cols["chronic_running_days"] = days_c
    m = cfg.acwr_method
    cols["method"] = np.full(n, m, dtype=object)
    cols["ratio"] = cols[m]
    cols["status"] = cols[f"{m}_status"]
    cols["band"] = cols[f"{m}_band"]
    return pd.DataFrame(cols, index=index if index is not None else pd.RangeIndex(n, name="day"))


def weekly_acwr(weekly: pd.DataFrame, chronic_weeks: int = 3) -> pd.DataFrame:
    """Frandsen's weekly form: this ISO week over the mean of the previous ``chronic_weeks``
    complete weeks (uncoupled on calendar weeks). Columns ``ratio`` and ``status``."""
    w = np.rint(weekly["distance_m"].to_numpy(float)).astype(np.int64)
    complete = weekly["complete"].to_numpy(bool)
    n = len(w)
    k = chronic_weeks
    ratio = np.full(n, np.nan)
    status = np.full(n, "insufficient_history", dtype=object)
    if n > k:
        cw = np.r_[0, np.cumsum(w)]
        cc = np.r_[0, np.cumsum(complete.astype(np.int64))]
        t = np.arange(k, n)
        base = cw[t] - cw[t - k]
        full = (cc[t] - cc[t - k]) == k
        ok = full & (base > 0)
        ratio[t[ok]] = k * w[t[ok]] / base[ok]
        status[t[full & (base == 0)]] = "undefined"
        status[t[ok]] = np.where(complete[t[ok]], "ok", "provisional")
    return pd.DataFrame({"iso_week": weekly["iso_week"].to_numpy(), "ratio": ratio, "status": status},
                        index=weekly.index)


def method_label(cfg: Config, method: str | None = None) -> str:
    """``"rolling coupled 7/28 d"`` and friends."""
    m = method or cfg.acwr_method
    a, c = cfg.acwr_acute_days, cfg.acwr_chronic_days
    if m == "coupled":
        return f"rolling coupled {a}/{c} d"
    if m == "uncoupled":
        return f"rolling uncoupled {a}/{c - a} d (chronic days t−{c - 1}..t−{a})"
    la, lc = 2 / (cfg.ewma_acute_n + 1), 2 / (cfg.ewma_chronic_n + 1)
    return f"EWMA {cfg.ewma_acute_n}/{cfg.ewma_chronic_n} (λ {la:.3g}/{lc:.3g}, seed E0 = L0)"


def _span(days: int) -> str:
    return f"{days // 7}-week" if days % 7 == 0 else f"{days}-day"


def _phrase(cfg: Config, ratio_text: str, tense: str = "were") -> str:
    m = cfg.acwr_method
    a, c = cfg.acwr_acute_days, cfg.acwr_chronic_days
    if m == "coupled":
        return f"your last {a} days {tense} {ratio_text}× your {_span(c)} average"
    if m == "uncoupled":
        return f"your last {a} days {tense} {ratio_text}× your average of the {_span(c - a)} before them"
    return (f"your exponentially weighted {cfg.ewma_acute_n}-day load {'was' if tense == 'were' else 'is'} "
            f"{ratio_text}× your {cfg.ewma_chronic_n}-day one")


@rule("acwr")
def acwr(ctx, cfg: Config) -> list[Finding]:
    """One info finding per episode of the configured ratio above ``acwr_elevated_above``.

    Only days with status ``ok`` count (``unstable`` ratios are shown, not flagged).
    Dated at the episode's first day; ``value`` = the peak ratio.
    """
    if ctx.daily.empty:
        return []
    frame = ctx.cached(("acwr_frame", cfg), lambda: acwr_frame(ctx.daily_int_m, cfg, ctx.daily.index))
    ratio = frame["ratio"].to_numpy(float)
    bands = frame["band"].to_numpy()
    thr = cfg.acwr_elevated_above
    if cfg.acwr_method == "ewma":
        above = (frame["status"].to_numpy() == "ok") & (ratio > thr)
    else:
        above = (frame["status"].to_numpy() == "ok") & ((bands == "elevated") | (bands == "high"))
    n = len(frame)
    first = ctx.daily.index[0].date()
    label = method_label(cfg)
    out = []
    for start, length in run_streaks(above):
        seg = ratio[start:start + length]
        k = int(np.argmax(seg))
        peak = float(seg[k])
        peak_day = first + timedelta(days=start + k)
        d0 = first + timedelta(days=start)
        d1 = first + timedelta(days=start + length - 1)
        live = start + length == n
        band = bands[start + k]
        peak_text = num_above(peak, thr, True, 2)
        when = (f"On {d0.isoformat()}{' (the last day analysed)' if live else ''}" if length == 1 else
                f"From {d0.isoformat()} to {d1.isoformat()}{' (still going)' if live else ''}, peaking on "
                f"{peak_day.isoformat()}")
        text = message(
            f"{when}, {_phrase(cfg, peak_text, 'are' if live and length == 1 else 'were')} ({label}; band {band}: above {thr:g}"
            f"{f', high from {cfg.acwr_high_from:g}' if band == 'high' else ''})",
            "The bands come from team sports (Gabbett 2016); the ratio as an injury predictor is contested "
            "(Impellizzeri et al. 2020), and in a cohort of runners higher ratios went with fewer injuries "
            "(Nakaoka et al. 2021)",
        )
        out.append(Finding(
            rule="acwr", severity=cfg.severity("acwr"), athlete=ctx.athlete, date=d0,
            period=f"{d0.isoformat()}..{d1.isoformat()}" + (" so far" if live else ""),
            value=peak, threshold=thr,
            window=f"last {cfg.acwr_acute_days} days vs last {cfg.acwr_chronic_days} days"
            if cfg.acwr_method != "uncoupled" else
            f"last {cfg.acwr_acute_days} days vs the {cfg.acwr_chronic_days - cfg.acwr_acute_days} days before",
            method=label, message=text, source=SOURCE, status="provisional" if live else "ok", unit="ratio",
        ))
    return out
