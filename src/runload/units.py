"""Unit constants and converters. SI inside; conversion only at the edges.

1 mile = 1.609344 km exactly (docs/method.md §0 C7).
"""

from __future__ import annotations

import re

M_PER_KM = 1000.0
M_PER_MILE = 1609.344
FIT_EPOCH_UNIX_S = 631_065_600  # 1989-12-31T00:00:00Z in Unix seconds
#: FIT date_time values below 0x10000000 are seconds since device power-on,
#: not since the FIT epoch (FIT SDK profile, "date_time" type).
FIT_MIN_ABSOLUTE_S = 0x10000000
UNITS = ("km", "mi")


def m_to(distance_m: float, units: str) -> float:
    """Convert metres to ``units`` ("km" or "mi")."""
    if units == "km":
        return distance_m / M_PER_KM
    if units == "mi":
        return distance_m / M_PER_MILE
    raise ValueError(f"unknown distance unit {units!r}; use km or mi")


def to_m(value: float, units: str) -> float:
    """Convert a distance in ``units`` ("km", "mi" or "m") to metres."""
    if units == "km":
        return value * M_PER_KM
    if units == "mi":
        return value * M_PER_MILE
    if units == "m":
        return float(value)
    raise ValueError(f"unknown distance unit {units!r}; use m, km or mi")


_DIST_RE = re.compile(r"^\s*([0-9]+(?:\.[0-9]+)?)\s*(km|mi|m|miles?|kilometres?|kilometers?)?\s*$", re.I)


def parse_distance_m(text: str, default_units: str = "km") -> float:
    """Parse ``"120mi"``, ``"300 km"`` or ``"5000m"`` into metres.

    A bare number takes ``default_units``. Raises ``ValueError`` with a
    readable message on anything else.
    """
    m = _DIST_RE.match(str(text))
    if not m:
        raise ValueError(f"{text!r} is not a distance; write it like 120mi, 300km or 5000m")
    value = float(m.group(1))
    unit = (m.group(2) or default_units).lower()
    if unit.startswith("mile"):
        unit = "mi"
    elif unit.startswith("kilomet"):
        unit = "km"
    return to_m(value, unit)


def fmt_distance(distance_m: float | None, units: str, digits: int = 1) -> str:
    """Format metres as ``"12.3 km"`` / ``"7.6 mi"``; ``"–"`` for missing."""
    if distance_m is None:
        return "–"
    return f"{m_to(distance_m, units):.{digits}f} {units}"


def fmt_duration(seconds: float | None) -> str:
    """Format seconds as ``H:MM:SS``."""
    if seconds is None:
        return "–"
    s = int(round(seconds))
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"
