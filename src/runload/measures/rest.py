"""Rest days per ISO week and running streaks (docs/method.md §2): display measures;
the flags are :mod:`runload.rules.rest`."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import pandas as pd


def rest_days_table(ctx) -> pd.DataFrame:
    """Per ISO week of the log: ``iso_week``, ``days`` (in the log), ``rest_days``
    (days with zero running distance) and ``complete`` (C2)."""
    import pandas as pd

    daily = ctx.daily
    if daily.empty:
        return pd.DataFrame(
            {"iso_week": [], "days": [], "rest_days": [], "complete": []},
            index=pd.DatetimeIndex([], name="week_start"),
        )
    ran = ctx.run_day
    starts, mondays = ctx.week_bounds
    days = np.diff(np.r_[starts, len(ran)])
    run_days = np.add.reduceat(ran.astype(np.int64), starts)
    return pd.DataFrame(
        {
            "iso_week": ctx.weekly["iso_week"].to_numpy(),
            "days": days,
            "rest_days": days - run_days,
            "complete": ctx.weekly["complete"].to_numpy(bool),
        },
        index=mondays,
    )


def run_streaks(running: np.ndarray, min_length: int = 1) -> list[tuple[int, int]]:
    """Maximal runs of True in a boolean day array, as ``(start position, length)``,
    keeping those at least ``min_length`` long."""
    x = np.asarray(running, dtype=np.int8)
    if x.size == 0:
        return []
    d = np.diff(np.r_[np.int8(0), x, np.int8(0)])
    starts = np.flatnonzero(d == 1)
    lengths = np.flatnonzero(d == -1) - starts
    keep = lengths >= min_length
    return list(zip(starts[keep].tolist(), lengths[keep].tolist()))
