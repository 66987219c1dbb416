"""The dedup policy: when two records are one real activity, and which copy wins (no SQL here).

See docs/method.md §13, "Each activity once". The store asks these pure functions about the rows it
finds near a new record's start; they never touch the database.
"""

from __future__ import annotations

from runload.models import Activity

#: Two records are one activity when they start within this many seconds ...
DEDUP_START_S = 120
#: ... and their distances differ by at most this fraction of the longer one.
DEDUP_DISTANCE_RATIO = 0.03
#: Also one activity when they start within DEDUP_START_S, overlap in time by at
#: least this fraction of the shorter one and differ by at most
#: DEDUP_OVERLAP_DISTANCE_RATIO in distance: one person cannot record two real runs
#: that start together and run side by side (GPX geometry can be ~5 % longer than the
#: watch's own distance for the same run: see runpandas' twin files).
DEDUP_OVERLAP_RATIO = 0.95
DEDUP_OVERLAP_DISTANCE_RATIO = 0.08
#: Twins whose sport labels differ (a pool swim as FIT ``swimming`` and TCX ``Other``) or where one copy
#: has no distance (a watch's 0 m indoor ride and the app's file of the same session) are one activity
#: when they start within DEDUP_START_S and overlap in time by at least this fraction of the LONGER one.
DEDUP_CROSS_OVERLAP_RATIO = 0.95

_FORMAT_RANK = {"fit": 3, "tcx": 2, "gpx": 1}


def _score(act: Activity) -> tuple:
    """How good a copy is: intact before recovered, then with a distance, heart rate, format, GPS, fields.

    A recovered (cut, damaged) copy never replaces an intact one; among intact copies today's order holds.
    """
    fields = sum(v is not None for v in (act.distance_m, act.moving_s, act.elapsed_s, act.ascent_m, act.device))
    kept_s = (act.elapsed_s or act.moving_s or 0.0) if act.recovered else 0.0  # of two cut copies, the longer
    return (not act.recovered, bool(act.distance_m), act.avg_hr_bpm is not None,
            _FORMAT_RANK.get(act.source_format, 0), bool(act.has_gps), fields, kept_s)


def _same_activity(act: Activity, start: int, other_distance, other_start: int, other_duration) -> bool:
    """Two records of the SAME sport are one activity (start within DEDUP_START_S is checked by the caller)."""
    a, b = act.distance_m, other_distance
    if a and b:
        diff = abs(a - b)
        if diff <= DEDUP_DISTANCE_RATIO * max(a, b):
            return True
        duration = act.elapsed_s or act.moving_s
        if duration and other_duration and diff <= DEDUP_OVERLAP_DISTANCE_RATIO * max(a, b):
            end_a, end_b = start + duration, other_start + other_duration
            overlap = min(end_a, end_b) - max(start, other_start)
            return overlap >= DEDUP_OVERLAP_RATIO * min(duration, other_duration)
        return False
    # neither record has a distance (e.g. indoor sessions): same sport and start is enough
    return not a and not b


def _overlap_of_longer(start: int, duration, other_start: int, other_duration) -> float:
    """The time two records share, as a fraction of the longer one (0 when a duration is unknown)."""
    if not duration or not other_duration or duration <= 0 or other_duration <= 0:
        return 0.0
    shared = min(start + duration, other_start + other_duration) - max(start, other_start)
    return max(shared, 0.0) / max(duration, other_duration)


def _overlap_of_shorter(start: int, duration, other_start: int, other_duration) -> float:
    """The time two records share, as a fraction of the shorter one (0 when a duration is unknown)."""
    if not duration or not other_duration or duration <= 0 or other_duration <= 0:
        return 0.0
    shared = min(start + duration, other_start + other_duration) - max(start, other_start)
    return max(shared, 0.0) / min(duration, other_duration)


def _twin(act: Activity, start: int, row_sport: str, row_distance, row_start: int, row_duration,
          row_device) -> bool:
    """The dedup policy for records of DIFFERENT files (docs/method.md, "Each activity once"); pure.

    * same device (product, as the file names it) and same start second: one activity, whatever the
      distances (a recording cut short and its complete file; a re-export of the same file); also when
      they start within DEDUP_START_S and one lies (95 %) inside the other in time: one device does not
      record two activities at once (a cut copy rebuilt from its records starts a second later);
    * same sport: today's rules (:func:`_same_activity`);
    * sport labels differ, or one copy has no distance: one activity when the two overlap in time by at
      least :data:`DEDUP_CROSS_OVERLAP_RATIO` of the longer one.
    """
    if act.device and row_device == act.device:
        if row_start == start:
            return True
        # a copy rebuilt from its records starts at its first record, a second or so after the session:
        # one device cannot record two activities at once, so one lying inside the other is the same
        duration = act.elapsed_s or act.moving_s
        if _overlap_of_shorter(start, duration, row_start, row_duration) >= DEDUP_CROSS_OVERLAP_RATIO:
            return True
    if row_sport == act.sport and _same_activity(act, start, row_distance, row_start, row_duration):
        return True
    if row_sport != act.sport or not act.distance_m or not row_distance:
        duration = act.elapsed_s or act.moving_s
        return _overlap_of_longer(start, duration, row_start, row_duration) >= DEDUP_CROSS_OVERLAP_RATIO
    return False
