"""Plain frozen data types shared by importers, store, tables, rules and reports.

Every quantity carries its unit in its name (``distance_m``, ``moving_s``).
Times are timezone-aware UTC ``datetime`` objects inside runload.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import datetime, timezone

#: Sports as runload names them. Importers map every file's own words onto these.
SPORTS = (
    "running",
    "cycling",
    "swimming",
    "walking",
    "hiking",
    "rowing",
    "transition",
    "fitness",
    "other",
    "unknown",
)

#: Sub-sports of running that count toward mileage (docs/method.md §0 C4: road, trail,
#: track, treadmill; plus indoor/virtual running on a treadmill-like device).
RUNNING_SUB_SPORTS = ("road", "trail", "track", "treadmill", "indoor", "virtual", "generic", "street")


@dataclass(frozen=True)
class Activity:
    """One activity as read from a file, before it is stored.

    A FIT file with several sessions (a triathlon) gives several ``Activity``
    objects; so does a TCX file with several ``<Activity>`` elements.
    """

    start_utc: datetime
    """Start time, timezone-aware UTC."""
    sport: str
    """One of :data:`SPORTS`."""
    source_format: str
    """``fit``, ``gpx`` or ``tcx``; ``manual`` for a manual activity of a Strava export (no file)."""
    sub_sport: str | None = None
    """Finer kind: ``treadmill``, ``trail``, ``track``, ``virtual``, ``indoor``, ``road`` ..."""
    distance_m: float | None = None
    """Distance [m] from the file's own totals (FIT session, TCX laps) or its track (GPX)."""
    moving_s: float | None = None
    """Timer / moving time [s]: pauses removed."""
    elapsed_s: float | None = None
    """Elapsed wall-clock time [s] from start to end, pauses included."""
    utc_offset_s: int | None = None
    """Local-time offset the file records [s east of UTC], when it records one."""
    avg_hr_bpm: float | None = None
    max_hr_bpm: float | None = None
    ascent_m: float | None = None
    """Total ascent [m]."""
    device: str | None = None
    """The recording device or app, as the file names it."""
    name: str | None = None
    """The activity's title (Strava activities.csv, GPX ``<name>``)."""
    gear: str | None = None
    """Gear (shoe) name when the file or export names one."""
    has_gps: bool = False
    avg_cadence_per_min: float | None = None
    """Average cadence as the file records it, per minute (FIT running: strides/min, i.e. half the
    step rate; cycling: revolutions/min; TCX/GPX cadence extensions likewise); None when not recorded."""
    hr_seconds_by_bpm: dict[int, float] | None = field(default=None, compare=False)
    """Seconds spent at each whole heart rate [bpm]: enough to compute any
    per-sample TRIMP later for any resting/maximum heart rate."""
    recovered: str | None = None
    """Set when the file was damaged and only part was read; says what was kept."""
    notes: tuple[str, ...] = ()
    """Data-quality notes (treadmill, no GPS, CRC mismatch, distance from device...)."""

    @property
    def is_run(self) -> bool:
        """True when this activity counts toward running mileage."""
        return self.sport == "running"

    def with_(self, **changes) -> "Activity":
        """A copy with some fields changed."""
        return dataclasses.replace(self, **changes)


def utc(dt: datetime) -> datetime:
    """Return ``dt`` as aware UTC; a naive datetime is taken to be UTC already."""
    if dt.tzinfo is None:
        return dt.replace(tzinfo=timezone.utc)
    return dt.astimezone(timezone.utc)
