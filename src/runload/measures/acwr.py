"""Acute:chronic workload ratio series (docs/method.md §4): a display measure; the flag is
:mod:`runload.rules.acwr`. Evidence: contested.

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
``data_gap`` when the chronic window (the last ``acwr_chronic_days`` days, for
every method) meets a user-declared gap day (C3: the ratio is None, never
flagged), else ``ok``. Bands (Gabbett 2016, coupled RA, team sports), labels
``low | typical | elevated | high``; the method is always named, because
uncoupled 1.5 ≈ coupled 1.33.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from runload.config import Config

if TYPE_CHECKING:
    import pandas as pd

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
    import pandas as pd

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
    return _BAND_LABELS[band_idx_exact(num, den, cfg)]


_BAND_LABELS = np.array(BAND_LABELS, dtype=object)


def band_idx_exact(num: np.ndarray, den: np.ndarray, cfg: Config) -> np.ndarray:
    """Index into :data:`BAND_LABELS` of :func:`band_exact`."""
    num = np.asarray(num, dtype=np.int64)
    den = np.asarray(den, dtype=np.int64)
    lp, lq = _frac(cfg, "acwr_low_below")
    ep, eq = _frac(cfg, "acwr_elevated_above")
    hp, hq = _frac(cfg, "acwr_high_from")
    low = num * lq < lp * den
    above = num * eq > ep * den
    high = num * hq >= hp * den
    return np.where(high, 3, np.where(above, 2, np.where(low, 0, 1)))


def band_float(ratio: np.ndarray, cfg: Config) -> np.ndarray:
    """Band of float ratios (EWMA, which is not a ratio of integers)."""
    return _BAND_LABELS[band_idx_float(ratio, cfg)]


def band_idx_float(ratio: np.ndarray, cfg: Config) -> np.ndarray:
    """Index into :data:`BAND_LABELS` of :func:`band_float`."""
    r = np.asarray(ratio, dtype=float)
    return np.where(
        r >= cfg.acwr_high_from, 3, np.where(r > cfg.acwr_elevated_above, 2, np.where(r < cfg.acwr_low_below, 0, 1))
    )


def acwr_frame(loads_m, cfg: Config, index: pd.DatetimeIndex | None = None,
               gap_days: np.ndarray | None = None) -> pd.DataFrame:
    """The full daily ACWR series by all three methods.

    Parameters
    ----------
    loads_m : array-like of int
        Daily running distance [m] (integer metres), contiguous days, first day = log start.
    cfg : Config
        Windows, EWMA spans, bands, ``acwr_min_running_days`` and ``acwr_method``.
    index : DatetimeIndex, optional
        Dates of the days (default 0..n−1).
    gap_days : bool array, optional
        Days in a user-declared gap; a ratio whose chronic window meets one is
        NaN with status ``data_gap``.

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
    import pandas as pd

    loads = np.asarray(loads_m, dtype=np.int64)
    n = loads.size
    base = _base_sums(loads, cfg, gap_days)
    cols: dict[str, object] = {"load_m": loads}
    co = method_series(loads, cfg, "coupled", base)
    cols["acute_m"] = co["acute_m"]
    cols["chronic_m"] = co["chronic_m"]
    cols["coupled"] = co["ratio"]
    cols["coupled_status"] = co["status"]
    cols["coupled_band"] = co["band"]
    un = method_series(loads, cfg, "uncoupled", base)
    cols["chronic_uncoupled_m"] = un["chronic_m"]
    cols["uncoupled"] = un["ratio"]
    cols["uncoupled_status"] = un["status"]
    cols["uncoupled_band"] = un["band"]
    ew = method_series(loads, cfg, "ewma", base)
    cols["ewma_acute_m"] = ew["acute_m"]
    cols["ewma_chronic_m"] = ew["chronic_m"]
    cols["ewma"] = ew["ratio"]
    cols["ewma_status"] = ew["status"]
    cols["ewma_band"] = ew["band"]
    cols["chronic_running_days"] = base["days_c"]
    m = cfg.acwr_method
    cols["method"] = np.full(n, m, dtype=object)
    cols["ratio"] = cols[m]
    cols["status"] = cols[f"{m}_status"]
    cols["band"] = cols[f"{m}_band"]
    return pd.DataFrame(cols, index=index if index is not None else pd.RangeIndex(n, name="day"))


_STATUS_NAMES = np.array(["ok", "unstable", "undefined", "insufficient_history", "data_gap"], dtype=object)


def _base_sums(loads: np.ndarray, cfg: Config, gap_days: np.ndarray | None = None) -> dict:
    a, c = cfg.acwr_acute_days, cfg.acwr_chronic_days
    u = c - a
    ran = (loads > 0).astype(np.int64)
    base = {
        "warm": np.arange(loads.size) < c - 1,
        "s_a": _sums(loads, a),
        "days_c": _sums(ran, c),
        "days_u": _sums(ran, u, lag=a),
        "gap": None,
    }
    if gap_days is not None:
        gap_days = np.asarray(gap_days, dtype=bool)
        if gap_days.any():
            base["gap"] = _sums(gap_days.astype(np.int64), c) > 0  # the chronic window meets a gap day
    return base


def method_series(loads: np.ndarray, cfg: Config, method: str, base: dict | None = None,
                  gap_days: np.ndarray | None = None) -> dict:
    """One method's columns of :func:`acwr_frame` as arrays: ``ratio``, ``status``,
    ``band``, ``acute_m`` and ``chronic_m`` (per-day averages or EWMAs).

    ``gap_days`` (bool per day, used when ``base`` is not given): days in a
    user-declared gap; a ratio whose chronic window meets one is ``data_gap``."""
    loads = np.asarray(loads, dtype=np.int64)
    if base is None:
        base = _base_sums(loads, cfg, gap_days)
    a, c = cfg.acwr_acute_days, cfg.acwr_chronic_days
    u = c - a
    warm = base["warm"]
    gap = base.get("gap")

    def status_code(chronic_zero: np.ndarray, run_days: np.ndarray) -> np.ndarray:
        code = np.where(warm, 3, np.where(chronic_zero, 2, np.where(run_days < cfg.acwr_min_running_days, 1, 0)))
        return code if gap is None else np.where(gap, 4, code)

    def done(acute, chronic, num, code, band_idx) -> dict:
        shown = code <= 1  # ok or unstable
        return {"acute_m": acute, "chronic_m": chronic, "ratio": np.where(shown, num, np.nan),
                "status": _STATUS_NAMES[code], "band": np.where(shown, _BAND_LABELS[band_idx], None),
                "status_code": code, "band_idx": np.where(shown, band_idx, -1)}

    with np.errstate(divide="ignore", invalid="ignore"):
        if method == "coupled":
            # (S_a/a)/(S_c/c) = (S_a·c)/(S_c·a), exact bands on integers
            s_a = base["s_a"]
            s_c = _sums(loads, c)
            num_c, den_c = s_a * c, s_c * a
            safe_c = np.where(den_c == 0, 1, den_c)
            return done(s_a / a, s_c / c, num_c / safe_c, status_code(s_c == 0, base["days_c"]),
                        band_idx_exact(num_c, safe_c, cfg))
        if method == "uncoupled":
            s_a = base["s_a"]
            s_u = _sums(loads, u, lag=a)
            num_u, den_u = s_a * u, s_u * a
            safe_u = np.where(den_u == 0, 1, den_u)
            return done(s_a / a, s_u / u, num_u / safe_u, status_code(s_u == 0, base["days_u"]),
                        band_idx_exact(num_u, safe_u, cfg))
        if method != "ewma":
            raise ValueError(f"unknown ACWR method {method!r}; use one of {', '.join(METHODS)}")
        ea = ewma(loads, cfg.ewma_acute_n)
        ec = ewma(loads, cfg.ewma_chronic_n)
        code = status_code(ec <= 0, base["days_c"])
        ratio_e = np.where(code <= 1, ea / np.where(ec > 0, ec, 1.0), np.nan)
        return done(ea, ec, ratio_e, code, band_idx_float(np.nan_to_num(ratio_e), cfg))


def weekly_acwr(weekly: pd.DataFrame, chronic_weeks: int = 3, gap_week: np.ndarray | None = None) -> pd.DataFrame:
    """Frandsen's weekly form: this ISO week over the mean of the previous ``chronic_weeks``
    complete weeks (uncoupled on calendar weeks). Columns ``ratio`` and ``status``.

    ``gap_week`` (bool per week): the week holds a user-declared gap day; a ratio
    using such a week is NaN with status ``data_gap``."""
    import pandas as pd

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
    if gap_week is not None and n:
        g = np.asarray(gap_week, dtype=bool)
        if g.any():
            cg = np.r_[0, np.cumsum(g.astype(np.int64))]
            t_all = np.arange(n)
            touched = (cg[t_all + 1] - cg[np.clip(t_all - k, 0, None)]) > 0
            ratio[touched] = np.nan
            status[touched] = "data_gap"
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
