"""GPX -> :class:`runload.models.Activity` (one per file, all tracks and segments).

Totals follow gpxpy 1.6 exactly (truth.csv was made with it):

* distance [m] = Σ ``length_2d()`` over tracks
* moving [s] = ``get_moving_data().moving_time`` (1 km/h stop threshold, 3-D
  steps when both elevations are non-zero)
* elapsed [s] = ``get_duration()`` (sum of per-segment first-to-last times)
* start = ``get_time_bounds().start_time``; ascent = ``get_uphill_downhill()``
* HR [bpm] from the first ``hr`` element in each point's extensions (Garmin
  TrackPointExtension, any namespace prefix)

Files up to :data:`GPXPY_MAX_BYTES` go through gpxpy. gpxpy keeps the text,
an ElementTree DOM and its own point objects in memory: measured on a 24-hour
GPX with 500,000 points (103 MB) it peaked at 1.2 GB RSS and took 20 s. Larger
files are therefore streamed with ``defusedxml`` ``iterparse`` into NumPy
arrays and the same formulas are applied (:func:`_segment_totals`); the test
suite checks both paths agree on every real GPX file.

Security: input containing a DOCTYPE or ENTITY declaration is refused before
any parser sees it (gpxpy uses the standard library parser, which would expand
internal entities); so is any token longer than 4 MB or nesting deeper than
1,000 elements (see :func:`runload.importers.check_xml`).
"""

from __future__ import annotations

import calendar
import datetime as _dt
import math
from dataclasses import dataclass, field

import numpy as np

from runload.errors import ImportFormatError
from runload.models import Activity

from .sports import classify_undeclared, normalise_sport
from .tcx import parse_time

#: Larger GPX inputs [bytes] are streamed instead of loaded into gpxpy.
GPXPY_MAX_BYTES = 16 * 1024 * 1024
MAX_POINT_GAP_S = 30.0

# gpxpy.geo constants
_EARTH_RADIUS = 6378.137 * 1000
_ONE_DEGREE = (2 * math.pi * _EARTH_RADIUS) / 360
_STOPPED_SPEED_KMH = 1.0


@dataclass
class _Totals:
    length_2d: float = 0.0
    moving_s: float = 0.0
    duration_s: float | None = 0.0
    uphill_m: float = 0.0
    start: float | None = None  # Unix s
    points: int = 0
    timed_points: int = 0
    hr: list = field(default_factory=list)  # per segment arrays of (time, hr)


# ----------------------------------------------------------------- gpxpy path


def _hr_from_extensions(extensions) -> float | None:
    for element in extensions or ():
        for node in element.iter():
            tag = node.tag if isinstance(node.tag, str) else ""
            if tag.rsplit("}", 1)[-1].rsplit(":", 1)[-1] == "hr" and node.text:
                try:
                    return float(node.text)
                except ValueError:
                    return None
    return None


def _unix(time) -> float:
    """Unix seconds of a gpxpy time; naive times are UTC."""
    if time.tzinfo is None:
        return calendar.timegm(time.timetuple()) + time.microsecond / 1e6
    return time.timestamp()


def _read_with_gpxpy(data: bytes):
    import gpxpy
    import gpxpy.gpx

    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    try:
        gpx = gpxpy.parse(text)
    except gpxpy.gpx.GPXXMLSyntaxException as exc:
        from . import xml_error_reason

        raise ImportFormatError(xml_error_reason(exc.__cause__ or exc)) from None
    except gpxpy.gpx.GPXException as exc:
        raise ImportFormatError(f"invalid GPX ({str(exc)[:100]})") from None
    points = [p for track in gpx.tracks for segment in track.segments for p in segment.points]
    info = {
        "creator": gpx.creator,
        "name": (next((t.name for t in gpx.tracks if t.name), None) or gpx.name or "").strip() or None,
        "type": next((t.type for t in gpx.tracks if t.type), None),
        "points": len(points),
        "routes": sum(len(r.points) for r in gpx.routes),
        "waypoints": len(gpx.waypoints),
    }
    if not points or not any(p.time for p in points):
        return info, None, None
    bounds = gpx.get_time_bounds()
    moving = gpx.get_moving_data()
    totals = {
        "length_2d": gpx.length_2d(),
        "moving_s": moving.moving_time if moving else None,
        "duration_s": gpx.get_duration(),
        "uphill_m": gpx.get_uphill_downhill().uphill,
        "has_ele": any(p.elevation is not None for p in points),
        "start": bounds.start_time,
    }
    segments = []
    for track in gpx.tracks:
        for segment in track.segments:
            series = [
                (_unix(p.time), _hr_from_extensions(p.extensions)) for p in segment.points if p.time is not None
            ]
            segments.append(series)
    return info, totals, segments


# ----------------------------------------------------------------- streaming path


def _segment_totals(lat, lon, ele, t):
    """gpxpy's length_2d, moving_time, duration and uphill for one segment (NumPy)."""
    n = len(lat)
    if n < 2:
        return 0.0, 0.0, 0.0, _uphill(ele)
    lat1, lat2 = lat[1:], lat[:-1]  # gpxpy: point.distance_2d(previous)
    lon1, lon2 = lon[1:], lon[:-1]
    far = (np.abs(lat1 - lat2) > 0.2) | (np.abs(lon1 - lon2) > 0.2)
    coef = np.cos(np.radians(lat1))
    x = lat1 - lat2
    y = (lon1 - lon2) * coef
    d2 = np.sqrt(x * x + y * y) * _ONE_DEGREE
    if far.any():
        r1, r2 = np.radians(lat1), np.radians(lat2)
        dlon = np.radians(lon1 - lon2)
        a = np.sin((r1 - r2) / 2) ** 2 + np.sin(dlon / 2) ** 2 * np.cos(r1) * np.cos(r2)
        hav = _EARTH_RADIUS * 2 * np.arcsin(np.sqrt(a))
        d2 = np.where(far, hav, d2)
    length = float(np.nansum(d2))
    e1, e2 = ele[1:], ele[:-1]
    with np.errstate(invalid="ignore"):
        both = ~np.isnan(e1) & ~np.isnan(e2) & (e1 != 0) & (e2 != 0) & (e1 != e2) & ~far
        d3 = np.where(both, np.sqrt(d2 * d2 + (e1 - e2) ** 2), d2)
        seconds = t[1:] - t[:-1]
        ok = ~np.isnan(seconds) & (seconds > 0) & (d3 != 0)
        speed_kmh = np.where(ok, (d3 / 1000) / np.where(ok, seconds, 1) * 3600, 0)
    moving = float(seconds[ok & (speed_kmh > _STOPPED_SPEED_KMH)].sum())
    first = t[0] if not np.isnan(t[0]) else t[1]
    last = t[-1] if not np.isnan(t[-1]) else t[-2]
    duration = None if (np.isnan(first) or np.isnan(last) or last < first) else float(last - first)
    return length, moving, duration, _uphill(ele)


def _uphill(ele) -> float:
    e = ele[~np.isnan(ele)]
    if e.size < 2:
        return 0.0
    s = e.copy()
    if e.size >= 3:
        s[1:-1] = e[:-2] * 0.3 + e[1:-1] * 0.4 + e[2:] * 0.3
    d = np.diff(s)
    return float(d[d > 0].sum())


def _local(tag) -> str:
    return tag.rsplit("}", 1)[-1].rsplit(":", 1)[-1] if isinstance(tag, str) else ""


def _read_streaming(data: bytes):
    from defusedxml import ElementTree as SafeET

    from . import iter_xml, xml_error_reason

    info = {"creator": None, "name": None, "type": None, "points": 0, "routes": 0, "waypoints": 0}
    segments = []  # list of (lat, lon, ele, t, hr) python lists
    current = None
    seg_element = None
    depth_names: list[str] = []
    metadata_name = None
    try:
        for event, element in iter_xml(data):
            name = _local(element.tag)
            if event == "start":
                depth_names.append(name)
                if name == "gpx" and len(depth_names) == 1:
                    info["creator"] = element.get("creator")
                elif name == "trkseg":
                    current = ([], [], [], [], [])
                    segments.append(current)
                    seg_element = element
                continue
            depth_names.pop()
            parent = depth_names[-1] if depth_names else ""
            if name == "trkpt" and current is not None:
                lat_s, lon_s = element.get("lat"), element.get("lon")
                ele = time = hr = None
                for child in element.iter():
                    child_name = _local(child.tag)
                    if child_name == "ele" and ele is None and child.text:
                        ele = _to_float(child.text)
                    elif child_name == "time" and time is None and child.text:
                        time = parse_time(child.text)
                    elif child_name == "hr" and hr is None and child.text:
                        hr = _to_float(child.text)
                lat, lon = _to_float(lat_s), _to_float(lon_s)
                if lat is None or lon is None:
                    raise ImportFormatError("GPX track point without valid lat/lon")
                current[0].append(lat)
                current[1].append(lon)
                current[2].append(np.nan if ele is None else ele)
                current[3].append(np.nan if time is None else time.timestamp())
                current[4].append(hr)
                info["points"] += 1
                element.clear()
                if seg_element is not None and len(seg_element) and seg_element[-1] is element:
                    del seg_element[-1]
            elif name == "rtept":
                info["routes"] += 1
                element.clear()
            elif name == "wpt" and parent == "gpx":
                info["waypoints"] += 1
                element.clear()
            elif parent == "trk" and name in ("name", "type"):
                if not info[name] and element.text and element.text.strip():
                    info[name] = element.text.strip()
            elif parent == "metadata" and name == "name" and not metadata_name:
                metadata_name = (element.text or "").strip() or None
            elif name == "trkseg":
                current = None
                seg_element = None
    except SafeET.ParseError as exc:
        raise ImportFormatError(xml_error_reason(exc)) from None
    except ValueError as exc:
        if "DTD" in type(exc).__name__ or "Entit" in type(exc).__name__:
            raise ImportFormatError("XML with a DTD or entities is refused") from None
        raise
    info["name"] = info["name"] or metadata_name
    all_times = [t for seg in segments for t in seg[3] if not math.isnan(t)]
    if not info["points"] or not all_times:
        return info, None, None
    length = moving = uphill = 0.0
    duration = 0.0
    series = []
    has_ele = False
    for lat, lon, ele, t, hr in segments:
        lat_a, lon_a = np.asarray(lat, float), np.asarray(lon, float)
        ele_a, t_a = np.asarray(ele, float), np.asarray(t, float)
        has_ele = has_ele or bool((~np.isnan(ele_a)).any())
        seg_length, seg_moving, seg_duration, seg_uphill = _segment_totals(lat_a, lon_a, ele_a, t_a)
        length += seg_length
        moving += seg_moving
        uphill += seg_uphill
        if duration is not None:
            duration = None if seg_duration is None else duration + seg_duration
        series.append([(tt, h) for tt, h in zip(t, hr) if not math.isnan(tt)])
    first_time = next(t for seg in segments for t in seg[3] if not math.isnan(t))
    totals = {
        "length_2d": length,
        "moving_s": moving,
        "duration_s": duration,
        "uphill_m": uphill,
        "has_ele": has_ele,
        "start": _dt.datetime.fromtimestamp(first_time, tz=_dt.timezone.utc),
    }
    return info, totals, series


def _to_float(text):
    try:
        value = float(text)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


# ----------------------------------------------------------------- public


def read_gpx(data: bytes, stream: bool | None = None) -> list[Activity]:
    """Read a GPX document's bytes into one Activity.

    ``stream`` forces (True) or forbids (False) the streaming reader; by
    default files larger than :data:`GPXPY_MAX_BYTES` are streamed.
    """
    from . import check_xml, check_xml_depth

    check_xml(data)
    if stream is None:
        stream = len(data) > GPXPY_MAX_BYTES
    if not stream:
        check_xml_depth(data)
    info, totals, segments = _read_streaming(data) if stream else _read_with_gpxpy(data)
    if totals is None:
        if not info["points"]:
            what = " (a route)" if info["routes"] else " (waypoints only)" if info["waypoints"] else ""
            raise ImportFormatError(f"GPX has no track points{what}")
        raise ImportFormatError("GPX has no timestamps (a planned route, not a recording)")
    start = totals["start"]
    if start.tzinfo is None:
        start = start.replace(tzinfo=_dt.timezone.utc)
    start = start.astimezone(_dt.timezone.utc)
    hist: dict[int, float] = {}
    hr_values = []
    for series in segments:
        for i, (time, hr) in enumerate(series):
            if not hr:
                continue
            hr_values.append(hr)
            if i + 1 < len(series):
                gap = series[i + 1][0] - time
                if gap > 0:
                    bpm = int(round(hr))
                    hist[bpm] = hist.get(bpm, 0.0) + min(gap, MAX_POINT_GAP_S)
    distance = totals["length_2d"]
    moving = totals["moving_s"]
    notes = []
    sport, sub_sport = normalise_sport(info["type"])
    if sport is None:
        sport, note = classify_undeclared(distance, moving, name=info["name"])
        notes.append(note)
    return [
        Activity(
            start_utc=start,
            sport=sport,
            source_format="gpx",
            sub_sport=sub_sport,
            distance_m=distance,
            moving_s=moving,
            elapsed_s=totals["duration_s"],
            avg_hr_bpm=sum(hr_values) / len(hr_values) if hr_values else None,
            max_hr_bpm=max(hr_values) if hr_values else None,
            ascent_m=totals["uphill_m"] if totals["has_ele"] else None,
            device=(info["creator"] or "").strip() or None,
            name=info["name"],
            has_gps=True,
            hr_seconds_by_bpm=hist or None,
            notes=tuple(notes),
        )
    ]
