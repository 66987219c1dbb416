"""TCX (Garmin Training Center XML) -> :class:`runload.models.Activity`.

Parsed with ``defusedxml`` (no DTD, no entities) as a stream: each
``<Activity>`` element is summarised when it closes and then cleared, so memory
stays bounded for long files. Namespaces vary between writers, so elements are
matched on their local names.

One Activity per ``<Activity>`` element:

* distance [m] = Σ ``Lap/DistanceMeters``; moving [s] = Σ ``Lap/TotalTimeSeconds``
* start = first ``Lap@StartTime`` (else ``Activity/Id``)
* elapsed [s] = last ``Trackpoint/Time`` − start (else the moving time)
* avg HR [bpm] = ``Lap/AverageHeartRateBpm`` weighted by lap time (else the
  trackpoint mean); max HR = max ``Lap/MaximumHeartRateBpm`` (else trackpoints)
* ascent [m] = sum of positive trackpoint altitude steps
* device = ``Creator/Name``; sport = ``Activity@Sport`` (``Other`` counts as undeclared)
"""

from __future__ import annotations

import datetime as _dt

from defusedxml import ElementTree as SafeET

from runload.errors import ImportFormatError
from runload.models import Activity

from .sports import classify_undeclared, normalise_sport

MAX_TRACKPOINT_GAP_S = 30.0


def _local(tag) -> str:
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1].rsplit(":", 1)[-1]


def parse_time(text: str | None) -> _dt.datetime | None:
    """ISO-8601 -> aware UTC datetime; naive times are taken as UTC (TCX/GPX times are UTC)."""
    if not text:
        return None
    text = text.strip()
    try:
        value = _dt.datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=_dt.timezone.utc)
    return value.astimezone(_dt.timezone.utc)


def _float(text: str | None) -> float | None:
    if text is None:
        return None
    try:
        value = float(text.strip())
    except ValueError:
        return None
    return value if value == value and abs(value) != float("inf") else None


def _child(element, name: str):
    for child in element:
        if _local(child.tag) == name:
            return child
    return None


def _child_text(element, name: str) -> str | None:
    child = _child(element, name)
    return child.text if child is not None else None


def _hr_value(element, name: str) -> float | None:
    child = _child(element, name)
    if child is None:
        return None
    value = _child(child, "Value")
    return _float(value.text if value is not None else child.text)


def _summarise(activity_el) -> Activity | None:
    declared = activity_el.get("Sport")
    laps = [child for child in activity_el if _local(child.tag) == "Lap"]
    distance = 0.0
    have_distance = False
    moving = 0.0
    have_moving = False
    hr_weighted = 0.0
    hr_weight = 0.0
    lap_max_hr = None
    start = None
    points: list[tuple[_dt.datetime, float | None, bool, float | None]] = []
    for lap in laps:
        lap_start = parse_time(lap.get("StartTime"))
        if start is None and lap_start is not None:
            start = lap_start
        lap_distance = _float(_child_text(lap, "DistanceMeters"))
        if lap_distance is not None:
            distance += lap_distance
            have_distance = True
        lap_time = _float(_child_text(lap, "TotalTimeSeconds"))
        if lap_time is not None:
            moving += lap_time
            have_moving = True
        avg = _hr_value(lap, "AverageHeartRateBpm")
        if avg and lap_time:
            hr_weighted += avg * lap_time
            hr_weight += lap_time
        mx = _hr_value(lap, "MaximumHeartRateBpm")
        if mx and (lap_max_hr is None or mx > lap_max_hr):
            lap_max_hr = mx
        for track in lap:
            if _local(track.tag) != "Track":
                continue
            for point in track:
                if _local(point.tag) != "Trackpoint":
                    continue
                time = None
                hr = None
                gps = False
                altitude = None
                for child in point:
                    name = _local(child.tag)
                    if name == "Time":
                        time = parse_time(child.text)
                    elif name == "HeartRateBpm":
                        value = _child(child, "Value")
                        hr = _float(value.text if value is not None else child.text)
                    elif name == "Position":
                        gps = True
                    elif name == "AltitudeMeters":
                        altitude = _float(child.text)
                if time is not None:
                    points.append((time, hr, gps, altitude))
    if start is None:
        start = parse_time(_child_text(activity_el, "Id"))
    if start is None and points:
        start = points[0][0]
    if start is None:
        return None
    points.sort(key=lambda p: p[0])
    hist: dict[int, float] = {}
    hr_values = []
    ascent = 0.0
    have_altitude = False
    previous_altitude = None
    for i, (time, hr, _gps, altitude) in enumerate(points):
        if hr:
            hr_values.append(hr)
            if i + 1 < len(points):
                gap = (points[i + 1][0] - time).total_seconds()
                if gap > 0:
                    bpm = int(round(hr))
                    hist[bpm] = hist.get(bpm, 0.0) + min(gap, MAX_TRACKPOINT_GAP_S)
        if altitude is not None:
            have_altitude = True
            if previous_altitude is not None and altitude > previous_altitude:
                ascent += altitude - previous_altitude
            previous_altitude = altitude
    avg_hr = hr_weighted / hr_weight if hr_weight else (sum(hr_values) / len(hr_values) if hr_values else None)
    max_hr = lap_max_hr or (max(hr_values) if hr_values else None)
    elapsed = (points[-1][0] - start).total_seconds() if points else (moving if have_moving else None)
    creator = _child(activity_el, "Creator")
    device = None
    if creator is not None:
        device = (_child_text(creator, "Name") or "").strip() or None
    dist = distance if have_distance else None
    notes = []
    sport, sub_sport = normalise_sport(declared)
    if sport is None or sport == "other" and (declared or "").strip().lower() == "other":
        sport, note = classify_undeclared(dist, moving if have_moving else None)
        notes.append(note if note != "sport not declared; taken as other"
                     else f"sport not declared (TCX Sport={declared or 'none'})")
    has_gps = any(p[2] for p in points)
    if sport == "running" and dist and not has_gps:
        notes.append("no GPS: distance from the watch")
    return Activity(
        start_utc=start,
        sport=sport,
        source_format="tcx",
        sub_sport=sub_sport,
        distance_m=dist,
        moving_s=moving if have_moving else None,
        elapsed_s=elapsed,
        avg_hr_bpm=avg_hr,
        max_hr_bpm=max_hr,
        ascent_m=ascent if have_altitude else None,
        device=device,
        has_gps=has_gps,
        hr_seconds_by_bpm=hist or None,
        notes=tuple(notes),
    )


def read_tcx(data: bytes) -> list[Activity]:
    """Read a TCX document's bytes. Raises ImportFormatError on malformed or empty files."""
    from . import check_xml, iter_xml, xml_error_reason

    check_xml(data)
    activities = []
    skipped = 0
    try:
        stack_depth = 0
        for event, element in iter_xml(data):
            name = _local(element.tag)
            if name != "Activity":
                continue
            if event == "start":
                stack_depth += 1
                continue
            stack_depth -= 1
            if stack_depth:
                continue
            summary = _summarise(element)
            if summary is None:
                skipped += 1
            else:
                activities.append(summary)
            element.clear()
    except SafeET.ParseError as exc:
        raise ImportFormatError(xml_error_reason(exc)) from None
    except ValueError as exc:  # defusedxml DTDForbidden / EntitiesForbidden
        if "DTD" in type(exc).__name__ or "Entit" in type(exc).__name__:
            raise ImportFormatError("XML with a DTD or entities is refused") from None
        raise
    if not activities:
        if skipped:
            raise ImportFormatError("TCX activity without any time (no lap start, Id or trackpoint time)")
        raise ImportFormatError("TCX file holds no activity (a course or workout file?)")
    return activities
