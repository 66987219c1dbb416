"""Time zones, light enough for the command line's option checks (no pandas, no numpy).

The calendar itself (local dates, ISO weeks) is :mod:`runload.tables`.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from runload.errors import ConfigError


def check_timezone(tz: str | None) -> str | None:
    """Return ``tz`` if it is a known IANA zone (or None); raise ConfigError otherwise."""
    if tz is None or tz == "":
        return None
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"unknown time zone {tz!r}; use an IANA name such as Europe/Berlin or America/New_York"
        ) from None
    return tz


def today_in(tz: str | None) -> date:
    """Today's date in ``tz`` (the machine's local date without a zone)."""
    if tz:
        return datetime.now(ZoneInfo(tz)).date()
    return date.today()
