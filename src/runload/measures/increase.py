"""Weekly increase over a baseline (docs/method.md §1): the table behind the 10 % rule.

``W_k`` = running distance of ISO week k (integer metres, C5). The baseline
``B_k`` is, by default, the highest *complete* week among the previous 4
(``weekly_increase_baseline = "max_4_weeks"``; fewer complete weeks: the
highest of those there are, at least one), or the previous complete week
(``"previous_week"``). A week touching a user-declared gap is neither compared
nor used in a baseline (status ``data_gap``). The change is ``W_k/B_k − 1``;
the rule flags ``W_k > (1 + r)·B_k`` (strict), compared exactly: with
``r = p/q`` the test is ``q·W_k > (q + p)·B_k``. A complete week more than
``weekly_increase_note_ratio`` (5 %) and at most ``r`` (10 %) above its
baseline is "within the 5–10% guideline": shown, not flagged.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from runload.config import Config

if TYPE_CHECKING:
    import pandas as pd

#: Weeks searched for the baseline per ``weekly_increase_baseline``.
BASELINE_WEEKS = {"max_4_weeks": 4, "previous_week": 1}
#: The words views show for a week in the guideline band.
GUIDELINE_TEXT = "within the 5–10% guideline"


def guideline_text(cfg: Config) -> str:
    """``"within the 5–10% guideline"`` with the configured numbers."""
    lo = f"{cfg.weekly_increase_note_ratio * 100:g}"
    hi = f"{cfg.max_weekly_increase_ratio * 100:g}"
    return f"within the {lo}–{hi}% guideline"


def _above(w: np.ndarray, b: np.ndarray, cfg: Config, name: str) -> np.ndarray:
    """Exact ``W > (1 + r)·B`` with ``r`` the config value ``name`` (q·W > (q + p)·B)."""
    frac = cfg.fraction(name)
    p, q = frac.numerator, frac.denominator
    if q + p < 2**20 and max(int(w.max(initial=0)), int(b.max(initial=0))) < 2**40:
        return w * q > b * (q + p)
    return np.array([int(x) * q > int(y) * (q + p) for x, y in zip(w, b)], dtype=bool)  # pragma: no cover


def increase_arrays(cur: np.ndarray, complete: np.ndarray, cfg: Config, flag_current: bool | None = None,
                    gap_week: np.ndarray | None = None, open_week: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """The columns of :func:`weekly_increase_table` as arrays.

    ``cur``: integer metres per week (consecutive ISO weeks); ``complete``: bool
    per week (C2); ``gap_week``: bool per week, the week holds a declared gap day;
    ``open_week``: bool per week, the week's last days have no data yet (after the
    newest activity): like the current week it is "so far", flagged early when its
    total already exceeds the allowance (totals only grow), never a baseline.
    Returns ``baseline_m`` (0 without one), ``baseline_pos`` (index of the
    baseline week, −1 without one), ``baseline_weeks`` (complete weeks the
    baseline was chosen from), ``previous_m`` (the previous complete week, 0
    without one), ``status``, ``change_ratio`` (NaN unless ok/provisional),
    ``flagged`` and ``within_guideline``.
    """
    if flag_current is None:
        flag_current = cfg.weekly_increase_flag_current_week
    cur = np.asarray(cur, dtype=np.int64)
    complete = np.asarray(complete, dtype=bool)
    n = len(cur)
    gap = np.zeros(n, dtype=bool) if gap_week is None else np.asarray(gap_week, dtype=bool)
    lags = BASELINE_WEEKS[cfg.weekly_increase_baseline]
    eligible = complete & ~gap
    k = np.arange(n)[:, None]
    idx = k - np.arange(1, lags + 1)[None, :]  # (n, lags): k-1, k-2, ...
    inside = idx >= 0
    safe = np.where(inside, idx, 0)
    usable = inside & eligible[safe]
    values = np.where(usable, cur[safe], -1)
    best = values.argmax(axis=1) if n else np.zeros(0, dtype=np.int64)  # first maximum = the most recent week
    baseline = values[np.arange(n), best] if n else np.zeros(0, dtype=np.int64)
    has_base = baseline >= 0
    baseline_pos = np.where(has_base, idx[np.arange(n), best] if n else best, -1)
    baseline = np.where(has_base, baseline, 0)
    window_gap = (inside & complete[safe] & gap[safe]).any(axis=1) if n else np.zeros(0, dtype=bool)

    is_last = np.arange(n) == n - 1
    if open_week is not None and n:
        is_last = is_last | np.asarray(open_week, dtype=bool)
    current = is_last & ~complete & bool(flag_current)
    compared = complete | current
    status = np.full(n, "insufficient_history", dtype=object)
    status[compared & has_base & (baseline == 0)] = "no_baseline"
    ok = compared & has_base & (baseline > 0) & ~gap
    status[compared & (gap | (~has_base & window_gap))] = "data_gap"
    status[ok & complete] = "ok"
    status[ok & current] = "provisional"
    with np.errstate(divide="ignore", invalid="ignore"):
        change = np.where(ok, cur / np.where(baseline > 0, baseline, 1) - 1.0, np.nan)
    flagged = ok & _above(cur, baseline, cfg, "max_weekly_increase_ratio")
    within = ok & complete & ~flagged & _above(cur, baseline, cfg, "weekly_increase_note_ratio")
    prev_complete = np.r_[False, complete[:-1]] if n else complete.copy()
    previous = np.where(prev_complete, np.r_[np.int64(0), cur[:-1]] if n else cur, 0)
    return {"baseline_m": baseline, "baseline_pos": baseline_pos, "baseline_weeks": usable.sum(axis=1),
            "previous_m": previous, "status": status, "change_ratio": change, "flagged": flagged,
            "within_guideline": within}


def weekly_increase_table(weekly: pd.DataFrame, cfg: Config, flag_current: bool | None = None,
                          gap_week: np.ndarray | None = None, open_week: np.ndarray | None = None) -> pd.DataFrame:
    """Change over the baseline for every week of a weekly frame.

    Parameters
    ----------
    weekly : DataFrame
        :func:`runload.tables.weekly` output (``iso_week``, ``distance_m`` [m], ``complete``).
    cfg : Config
        ``max_weekly_increase_ratio``, ``weekly_increase_baseline``,
        ``weekly_increase_note_ratio`` and ``weekly_increase_flag_current_week``.
    gap_week : bool array, optional
        The week holds a user-declared gap day.
    open_week : bool array, optional
        The week's last days have no data yet (see :func:`increase_arrays`).

    Returns
    -------
    DataFrame indexed like ``weekly`` with ``iso_week``, ``distance_int_m`` [m],
    ``baseline_m`` [m] (0 without a baseline), ``baseline_week`` (ISO label of
    the baseline week, None without one), ``previous_m`` [m] (the previous
    complete week, 0 without one), ``change_ratio`` (``W_k/B_k − 1``; NaN
    unless compared), ``status`` (``ok`` | ``no_baseline`` (baseline 0) |
    ``insufficient_history`` (no complete week to compare with, or the week
    itself is incomplete and not the current week) | ``provisional`` (the current
    week so far) | ``data_gap`` (the week holds a declared gap day, or every
    candidate baseline week does)), ``flagged``, ``within_guideline`` (a
    complete week above ``weekly_increase_note_ratio`` and not flagged: show it
    as :func:`guideline_text`) and ``complete``.
    """
    import pandas as pd

    cur = np.rint(weekly["distance_m"].to_numpy(float)).astype(np.int64)
    complete = weekly["complete"].to_numpy(bool)
    a = increase_arrays(cur, complete, cfg, flag_current, gap_week, open_week)
    labels = np.asarray(weekly["iso_week"].to_numpy(), dtype=object)
    pos = a["baseline_pos"]
    baseline_week = np.where(pos >= 0, labels[np.clip(pos, 0, None)] if len(labels) else labels, None)
    return pd.DataFrame(
        {
            "iso_week": weekly["iso_week"].to_numpy(),
            "distance_int_m": cur,
            "baseline_m": a["baseline_m"],
            "baseline_week": pd.Series(baseline_week, index=weekly.index, dtype=object),
            "previous_m": a["previous_m"],
            "change_ratio": a["change_ratio"],
            "status": a["status"],
            "flagged": a["flagged"],
            "within_guideline": a["within_guideline"],
            "complete": complete,
        },
        index=weekly.index,
    )


__all__ = ["increase_arrays", "weekly_increase_table", "guideline_text", "GUIDELINE_TEXT", "BASELINE_WEEKS"]
