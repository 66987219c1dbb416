"""Rows and frames: an :class:`~runload.models.Activity` as stored values, and stored values read back
defensively as numpy columns (:class:`Columns`) and DataFrames (no value that passed the door can make a
read command fail)."""

from __future__ import annotations

import json
import math
from datetime import datetime, timezone

from runload.models import Activity

def _iso(dt: datetime) -> str:
    return dt.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


_NUMERIC_COLUMNS = ("utc_offset_s", "distance_m", "moving_s", "elapsed_s", "avg_hr_bpm", "max_hr_bpm", "ascent_m",
                    "check_at_m", "retire_at_m")
#: Columns that cannot be negative: a negative or non-finite stored value reads as missing (NaN).
_NON_NEGATIVE_COLUMNS = ("distance_m", "moving_s", "elapsed_s", "avg_hr_bpm", "max_hr_bpm")
#: Largest values a read takes as true: the import's own limits (runload.importers, "plausibility at the door").
_READ_LIMITS = {"distance_m": 5_000_000.0, "moving_s": 21 * 24 * 3600.0, "elapsed_s": 21 * 24 * 3600.0}
#: Start times [Unix s] a read can hold (pandas' nanosecond range is 1677-09-22 .. 2262-04-11).
_READABLE_START_UNIX = (-9_000_000_000, 9_000_000_000)
_REQUIRED_TEXT_COLUMNS = ("sport", "source_format", "source_path")


class Columns:
    """Columns of equal length by name, as numpy arrays: a stored table read without pandas.

    What the rules read (``runload check`` never loads pandas, whose import alone costs ~0.2 s a
    command); it reads like a DataFrame where they need it (``len``, ``in``, ``[name]``,
    ``columns``), and :meth:`to_frame` gives the DataFrame the store's ``*_frame`` methods return.
    Times are ``datetime64``, optional values NaN (numbers) or None (objects).
    """

    __slots__ = ("_data", "_n")

    def __init__(self, data: dict, n: int):
        self._data = data
        self._n = n

    def __len__(self) -> int:
        return self._n

    def __contains__(self, name) -> bool:
        return name in self._data

    def __getitem__(self, name: str):
        return self._data[name]

    @property
    def columns(self) -> list[str]:
        return list(self._data)

    def to_frame(self):
        """The same table as a DataFrame (``start_utc`` as datetime64[ns, UTC], text as Series)."""
        import pandas as pd

        return pd.DataFrame({c: _frame_column(c, v) for c, v in self._data.items()}, columns=self.columns)


def _objects(values) -> "np.ndarray":
    """A 1-D object array of ``values`` (lists and dicts stay single cells)."""
    import numpy as np

    return np.fromiter(values, dtype=object, count=len(values))


def _column_array(name: str, values: tuple):
    """One stored column as a numpy array, read defensively: a value not of its column's type (a
    store edited by hand) is coerced the way ``pd.to_numeric(errors="coerce")`` does."""
    import numpy as np

    if name == "id":
        return np.array(values, dtype=np.int64)
    if name == "start_utc":  # read from the integer start_unix column: same instant, no text parsing
        return np.array(values, dtype=np.int64).astype("datetime64[s]")
    if name in _NUMERIC_COLUMNS:
        try:
            column = np.array(values, dtype=np.float64)  # None -> NaN
        except (TypeError, ValueError, OverflowError):
            import pandas as pd  # only for a store edited by hand

            column = pd.to_numeric(pd.Series(values, dtype=object), errors="coerce").astype("float64").to_numpy()
        bad = ~np.isfinite(column)
        if name in _NON_NEGATIVE_COLUMNS:
            with np.errstate(invalid="ignore"):
                bad |= column < 0
                if name in _READ_LIMITS:  # 1e300 m written before the check at import would hide every flag
                    bad |= column > _READ_LIMITS[name]
        if bad.any():
            column = np.where(bad, np.nan, column)
        return column
    if name in ("has_gps", "excluded", "corrected", "is_default"):
        return np.array([bool(v) for v in values], dtype=bool)
    if name in _REQUIRED_TEXT_COLUMNS:
        if set(map(type, values)) <= {str}:  # as runload wrote them (one C-level pass)
            return _objects(values)
        return _objects([v if isinstance(v, str) else str(v) for v in values])
    if name == "hr_seconds_by_bpm":
        return _objects([_hr_histogram(h) for h in values])
    if name == "notes":
        return _objects([[] if n == "[]" else _notes_list(n) for n in values])
    # optional text: None, not NaN, when missing (plain truth tests stay right)
    if set(map(type, values)) <= {str, type(None)}:
        return _objects(values)
    return _objects([v if isinstance(v, str) else None for v in values])


def _frame_column(name: str, array):
    """A column of :meth:`Columns.to_frame` (the shape :meth:`Store.activities_frame` has always had)."""
    import numpy as np
    import pandas as pd

    if array.dtype.kind == "M":
        return pd.to_datetime(array.astype("datetime64[s]").astype(np.int64), unit="s", utc=True).as_unit("ns")
    if array.dtype == object:
        return pd.Series(array, dtype="str" if name in _REQUIRED_TEXT_COLUMNS else object)
    return array


def _hr_histogram(text) -> dict | None:
    """A stored heart-rate histogram; None for a missing or unreadable one (never an exception).

    Read for every run of an athlete with heart rate by every report and summary: ``math.isfinite``
    on each float, not NumPy's: a histogram of 40 bins reads in 11 µs instead of 28 µs, and the
    activities of the 100 × 5 years benchmark store in 0.84 s of CPU instead of 1.10 s.
    """
    if not isinstance(text, str) or not text:
        return None
    try:
        hist = {int(k): float(v) for k, v in json.loads(text).items()}
    except (ValueError, TypeError, AttributeError, OverflowError):
        return None
    return {k: v for k, v in hist.items() if 0 < k < 300 and v > 0 and math.isfinite(v)} or None


def _notes_list(text) -> list:
    """Stored notes; [] for missing or unreadable ones (never an exception)."""
    if not isinstance(text, str) or not text:
        return []
    try:
        notes = json.loads(text)
    except ValueError:
        return [text]
    return [str(n) for n in notes] if isinstance(notes, list) else [str(notes)]


def _activity_values(act: Activity) -> tuple:
    hr = json.dumps({str(k): round(v, 3) for k, v in sorted(act.hr_seconds_by_bpm.items())}) \
        if act.hr_seconds_by_bpm else None
    return (
        _iso(act.start_utc), int(act.start_utc.timestamp()), act.utc_offset_s, act.sport, act.sub_sport,
        act.distance_m, act.moving_s, act.elapsed_s, act.avg_hr_bpm, act.max_hr_bpm, act.ascent_m,
        act.device, act.name, act.gear, int(bool(act.has_gps)), hr, act.source_format,
    )
