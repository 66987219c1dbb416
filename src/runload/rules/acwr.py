"""The ACWR flag (docs/method.md §4): episodes of the configured ratio above
``acwr_elevated_above``. Evidence: contested; info only. The series themselves
(all three methods, bands, statuses) are :mod:`runload.measures.acwr`.
"""

from __future__ import annotations

from datetime import timedelta

import numpy as np

from runload.config import Config
from runload.findings import Finding, new_finding
from runload.measures.acwr import (BAND_LABELS, METHODS, acwr_frame, band_exact, band_float, ewma,  # noqa: F401
                                   method_label, method_series, weekly_acwr)
from runload.measures.rest import run_streaks
from runload.rules._text import message, num_above, num_below
from runload.rules.registry import rule, severity as severity_of

SOURCE = "Gabbett 2016 bands (team sports); contested: Impellizzeri et al. 2020; inverse in runners: Nakaoka et al. 2021"


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


@rule("acwr", severity="info",
      params=("acwr_method", "acwr_acute_days", "acwr_chronic_days", "ewma_acute_n", "ewma_chronic_n",
              "acwr_low_below", "acwr_elevated_above", "acwr_high_from", "acwr_min_running_days"))
def acwr(ctx, cfg: Config) -> list[Finding]:
    """One info finding per episode of the configured ratio above ``acwr_elevated_above``.

    Only days with status ``ok`` count (``unstable`` ratios are shown, not flagged).
    Dated at the episode's first day; ``value`` = the peak ratio.
    """
    if ctx.n_days == 0:
        return []
    series = ctx.cached(("acwr_series", cfg, cfg.acwr_method),
                        lambda: method_series(ctx.daily_int_m, cfg, cfg.acwr_method,
                                              gap_days=ctx.gap_days if ctx.has_gaps else None))
    ratio = series["ratio"]
    band_idx = series["band_idx"]
    ok = series["status_code"] == 0
    thr = cfg.acwr_elevated_above
    if cfg.acwr_method == "ewma":
        above = ok & (ratio > thr)
    else:
        above = ok & (band_idx >= 2)  # elevated or high
    n = len(ratio)
    first = ctx.log_start
    label = method_label(cfg)
    severity = severity_of(cfg, "acwr")
    window = (f"last {cfg.acwr_acute_days} days vs last {cfg.acwr_chronic_days} days"
              if cfg.acwr_method != "uncoupled" else
              f"last {cfg.acwr_acute_days} days vs the {cfg.acwr_chronic_days - cfg.acwr_acute_days} days before")
    high_text = f", high from {cfg.acwr_high_from:g}"
    out = []
    for start, length in run_streaks(above):
        if length == 1:
            k = 0
            peak = float(ratio[start])
        else:
            seg = ratio[start:start + length]
            k = int(np.argmax(seg))
            peak = float(seg[k])
        peak_day = first + timedelta(days=start + k)
        d0 = first + timedelta(days=start)
        d1 = first + timedelta(days=start + length - 1)
        live = start + length == n
        band = BAND_LABELS[band_idx[start + k]]
        peak_text = num_above(peak, thr, True, 2)
        if band == "elevated":  # shown below the 'high' edge too (1.4996 reads 1.4996, not 1.50)
            peak_text = num_below(peak, cfg.acwr_high_from, peak_text)
        when = (f"On {d0.isoformat()}{' (the last day analysed)' if live else ''}" if length == 1 else
                f"From {d0.isoformat()} to {d1.isoformat()}{' (still going)' if live else ''}, peaking on "
                f"{peak_day.isoformat()}")
        text = message(
            f"{when}, {_phrase(cfg, peak_text, 'are' if live and length == 1 else 'were')} ({label}; band {band}: above {thr:g}"
            f"{high_text if band == 'high' else ''})",
            "The bands come from team sports (Gabbett 2016); the ratio as an injury predictor is contested "
            "(Impellizzeri et al. 2020), and in a cohort of runners higher ratios went with fewer injuries "
            "(Nakaoka et al. 2021)",
        )
        out.append(new_finding(
            rule="acwr", severity=severity, athlete=ctx.athlete, date=d0,
            period=f"{d0.isoformat()}..{d1.isoformat()}" + (" so far" if live else ""),
            value=peak, threshold=thr,
            window=window,
            method=label, message=text, source=SOURCE, status="provisional" if live else "ok", unit="ratio",
        ))
    return out
