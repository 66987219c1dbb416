"""GPX -> :class:`runload.models.Activity` (one per file, all tracks and segments).

One streaming expat pass (see :mod:`runload.importers._xml` for why expat and
how little Python runs per element; the points of each ``<trkseg>`` are
usually read by its fast path, with the same results); points are converted and summed with
NumPy every :data:`~runload.importers._xml.CHUNK_POINTS` points, so memory
does not grow with the file beyond the bytes themselves.

A track point without valid ``lat``/``lon`` or without a readable ``<time>``
is dropped (with a note) and the rest imported; a file where more than half
of the points with coordinates have no time is refused (a route with a few
stray times is not a recording that can be measured).

Totals over the kept points follow gpxpy 1.6's formulas (the test suite
compares them with gpxpy on real and generated files):

* distance [m] = Σ per segment of gpxpy ``length_2d`` (flat-earth steps,
  haversine for steps over 0.2°)
* moving [s] = gpxpy ``get_moving_data().moving_time``: the time of steps
  faster than 1 km/h (3-D steps when both elevations are non-zero)
* elapsed [s] = last timed point − first timed point, across all tracks and
  segments (the gaps between them are part of the activity; gpxpy's
  ``get_duration`` leaves them out)
* start = the first timed point; ascent = gpxpy ``get_uphill_downhill`` per
  segment (3-point smoothing)
* heart rate [bpm] and cadence [1/min] from the first ``hr`` / ``cad``
  element inside each point (Garmin TrackPointExtension, any prefix);
  cadence is averaged over the moving points (the second point of each
  moving step), as recorded
"""

from __future__ import annotations

import functools
import itertools
import math
import re

import numpy as np

from runload.errors import ImportFormatError
from runload.models import Activity

from . import _xml
from ._xml import CHUNK_POINTS, HeartRate, TooDeep, floats, unix_us
from .sports import classify_undeclared, normalise_sport

MAX_POINT_GAP_S = 30.0

# gpxpy.geo constants
_EARTH_RADIUS = 6378.137 * 1000
_ONE_DEGREE = (2 * math.pi * _EARTH_RADIUS) / 360
_STOPPED_SPEED_KMH = 1.0

_GPX, _METADATA, _TRK, _TRKSEG, _TRKPT, _NAME, _TYPE, _ELE, _TIME, _HR, _CAD, _RTEPT, _WPT = range(1, 14)
_CODES = {
    "gpx": _GPX, "metadata": _METADATA, "trk": _TRK, "trkseg": _TRKSEG, "trkpt": _TRKPT, "name": _NAME,
    "type": _TYPE, "ele": _ELE, "time": _TIME, "hr": _HR, "cad": _CAD, "rtept": _RTEPT, "wpt": _WPT,
}


class _Uphill:
    """gpxpy's ``calculate_uphill_downhill`` (uphill part) over elevations fed in pieces."""

    def __init__(self):
        self.pending = np.empty(0)  # [last finalised elevation, not yet finalised one] once started
        self.previous = None  # smoothed value of the last finalised elevation
        self.started = False
        self.total = 0.0

    def feed(self, ele: np.ndarray) -> None:
        if not ele.size:
            return
        p = np.concatenate((self.pending, ele))
        if not self.started:
            if p.size < 2:
                self.pending = p
                return
            smooth = np.empty(p.size - 1)
            smooth[0] = p[0]
            smooth[1:] = p[:-2] * 0.3 + p[1:-1] * 0.4 + p[2:] * 0.3
            self.started = True
        else:
            smooth = p[:-2] * 0.3 + p[1:-1] * 0.4 + p[2:] * 0.3
        seq = smooth if self.previous is None else np.concatenate(([self.previous], smooth))
        steps = np.diff(seq)
        self.total += float(steps[steps > 0].sum())
        self.previous = float(smooth[-1])
        self.pending = p[-2:]

    def finish(self) -> float:
        if self.started:
            step = float(self.pending[-1]) - self.previous
            if step > 0:
                self.total += step
        return self.total


class _Totals:
    """Sums over the kept points of every segment, fed chunk by chunk."""

    def __init__(self):
        self.length = 0.0
        self.moving = 0.0
        self.uphill = 0.0
        self.has_ele = False
        self.first_t = None
        self.first_text = None
        self.last_t = None
        self.min_t = math.inf
        self.max_t = -math.inf
        self.kept = 0
        self.untimed = 0
        self.no_coordinates = 0
        self.cadence_sum = 0.0
        self.cadence_n = 0
        self.hr = HeartRate(MAX_POINT_GAP_S)
        self._carry = None
        self._up = _Uphill()

    def add(self, lat_s, lon_s, ele_s, t_s, hr_s, cad_s, final: bool) -> None:
        """One chunk of one segment's points (texts); ``final`` closes the segment."""
        if lat_s:
            cols = (floats(lat_s), floats(lon_s), floats(ele_s), unix_us(t_s), floats(hr_s), floats(cad_s))
            self.add_columns(cols, t_s, final)
        elif final:
            self._segment(None, final)

    def add_columns(self, cols, t_s, final: bool) -> None:
        """One chunk of one segment's converted points (lat, lon, ele, t [µs], hr, cad; None for none)
        and their time texts or captured bytes (for the start as written)."""
        if cols is not None:
            lat, lon, ele, t, hr, cad = cols
            no_coordinates = np.isnan(lat) | np.isnan(lon)
            untimed = np.isnan(t) & ~no_coordinates
            self.no_coordinates += int(no_coordinates.sum())
            self.untimed += int(untimed.sum())
            keep = ~no_coordinates & ~untimed
            if self.first_text is None and keep.any():
                text = t_s[int(np.argmax(keep))]
                self.first_text = text.decode("ascii") if isinstance(text, bytes) else text
            if keep.all():
                keep = slice(None)
            cols = [lat[keep], lon[keep], ele[keep], t[keep], hr[keep], cad[keep]]
            self._segment(cols, final)
        elif final:
            self._segment(None, final)

    def _segment(self, cols, final: bool) -> None:
        if cols is not None and cols[0].size:
            self.kept += cols[0].size
            t_new = cols[3]
            if self.first_t is None:
                self.first_t = float(t_new[0])
            self.last_t = float(t_new[-1])
            self.min_t = min(self.min_t, float(t_new.min()))
            self.max_t = max(self.max_t, float(t_new.max()))
            ele_new = cols[2]
            if not self.has_ele and not np.isnan(ele_new).all():
                self.has_ele = True
            self._up.feed(ele_new[~np.isnan(ele_new)])
            if self._carry is not None:
                cols = [np.concatenate(([c], col)) for c, col in zip(self._carry, cols)]
            lat, lon, ele, t, hr, cad = cols
            if lat.size >= 2:
                self._steps(lat, lon, ele, t, cad)
            self.hr.add(t[:-1], hr[:-1], t[1:])
            self._carry = [col[-1] for col in cols]
        if final:
            if self._carry is not None:
                t, hr = self._carry[3], self._carry[4]
                self.hr.add(np.array([t]), np.array([hr]), np.array([np.nan]))
            self.uphill += self._up.finish()
            self._carry = None
            self._up = _Uphill()

    def _steps(self, lat, lon, ele, t, cad) -> None:
        """gpxpy's length_2d and moving time of consecutive points (``point.distance_2d(previous)``)."""
        lat1, lat2 = lat[1:], lat[:-1]
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
            d2 = np.where(far, _EARTH_RADIUS * 2 * np.arcsin(np.sqrt(a)), d2)
        self.length += float(d2.sum())
        e1, e2 = ele[1:], ele[:-1]
        with np.errstate(invalid="ignore", divide="ignore"):
            both = ~np.isnan(e1) & ~np.isnan(e2) & (e1 != 0) & (e2 != 0) & (e1 != e2) & ~far
            d3 = np.where(both, np.sqrt(d2 * d2 + (e1 - e2) ** 2), d2)
            seconds = (t[1:] - t[:-1]) / 1e6
            ok = (seconds > 0) & (d3 != 0)
            speed_kmh = np.where(ok, (d3 / 1000) / (seconds / 60**2), 0)
        moving = ok & (speed_kmh > _STOPPED_SPEED_KMH)
        self.moving += float(seconds[moving].sum())
        cadence = cad[1:][moving]
        cadence = cadence[~np.isnan(cadence)]
        self.cadence_sum += float(cadence.sum())
        self.cadence_n += int(cadence.size)


def _text(parts) -> str | None:
    """The text captured for one element (a list of pieces, or None)."""
    return "".join(parts).strip() or None if parts is not None else None


def _texts(column: list) -> list:
    return ["".join(parts).strip() or None if parts is not None else None for parts in column]


def _scan(data: bytes, *, fast: bool = True):
    """One expat pass: file facts and the totals of the kept points.

    The fast path where the document fits it, else (or on any doubt) the general scanner.
    """
    if fast and _xml.fast_eligible(data, b'trkseg'):
        try:
            spans = _xml.regions(data, b"trkseg")
            first = next(spans, None)
            if first is not None:
                return _scan_spans(data, itertools.chain((first,), spans))
        except (_xml.Fallback, ImportFormatError):
            pass  # the general scanner gives the answer, or the exact error
    return _scan_spans(data, None)


def _scan_spans(data: bytes, spans):
    """The general scanner; with ``spans`` (the content of every ``<trkseg>``), the fast path.

    On the fast path the parser's handlers are off inside the spans, whose strict
    track points are read by :func:`_point_pattern` and handed on as if the
    scanner had met them; :class:`~runload.importers._xml.Fallback` when the
    document turns out not to fit.
    """
    from .base import MAX_XML_DEPTH

    parser = _xml.make_parser()
    ends: list[str] = []
    stack = [0] * (MAX_XML_DEPTH + 2)
    cache, lookup = _xml.local_codes(_CODES)
    info = {"creator": None, "points": 0, "routes": 0, "waypoints": 0}
    names = {"name": None, "type": None, "metadata": None}  # first captured texts
    totals = _Totals()
    # the open segment's columns: lat and lon texts; ele, time, hr, cad captured texts
    c_lat, c_lon, c_ele, c_time, c_hr, c_cad = columns = ([], [], [], [], [], [])
    in_segment = False
    in_point = False
    point_depth = -1
    lat = lon = ele = time = hr = cad = None
    capturing = False
    starts = 0
    n_points = 0
    lat_append, lon_append, ele_append = c_lat.append, c_lon.append, c_ele.append
    time_append, hr_append, cad_append = c_time.append, c_hr.append, c_cad.append
    fast = spans is not None

    def emit(cols, final: bool):
        totals.add_columns(cols[:6] if cols is not None else None, cols[6] if cols is not None else None, final)

    chunker = _xml.Chunker(emit, _columns)

    def add(final: bool):
        if fast:
            chunker.flush(final)
            return
        totals.add(c_lat, c_lon, _texts(c_ele), _texts(c_time), _texts(c_hr), _texts(c_cad), final=final)
        for column in columns:
            column.clear()

    def close_segment():
        nonlocal in_segment, in_point
        if in_point:
            c_lat.append(lat), c_lon.append(lon), c_ele.append(ele), c_time.append(time)
            c_hr.append(hr), c_cad.append(cad)
            in_point = False
        if in_segment:
            add(final=True)
            in_segment = False

    def start(name, attrs):
        nonlocal starts, capturing, in_segment, in_point, point_depth, lat, lon, ele, time, hr, cad, n_points
        if capturing:
            parser.CharacterDataHandler = None
            capturing = False
        starts += 1
        closed = len(ends)
        depth = starts - closed
        if depth > MAX_XML_DEPTH:
            raise TooDeep
        if closed > 65_536:  # only the count of ends matters: keep the list short
            starts = depth
            ends.clear()
        code = cache.get(name)
        if code is None:
            code = lookup(name)
        if code == 0:
            stack[depth] = 0
            return
        parent = stack[depth - 1]
        if parent == _TRKPT:
            if code == _TIME:
                time = parts = []
            elif code == _ELE:
                ele = parts = []
            elif code == _HR and hr is None:
                hr = parts = []
            elif code == _CAD and cad is None:
                cad = parts = []
            else:
                stack[depth] = 0
                return
            parser.CharacterDataHandler = parts.append
            capturing = True
            stack[depth] = 0
            return
        if code == _TRKPT:
            if parent == _TRKSEG and in_segment:
                if fast:  # a track point outside every region: the document does not fit the fast path
                    raise _xml.Fallback
                if in_point:
                    lat_append(lat)
                    lon_append(lon)
                    ele_append(ele)
                    time_append(time)
                    hr_append(hr)
                    cad_append(cad)
                    if len(c_lat) >= CHUNK_POINTS:
                        add(final=False)
                in_point = True
                point_depth = depth
                n_points += 1
                lat = attrs.get("lat")
                lon = attrs.get("lon")
                ele = time = hr = cad = None
            else:
                code = 0
        elif code == _HR or code == _CAD:
            # inside the point's <extensions> (any element between)
            if in_point and depth > point_depth and stack[point_depth] == _TRKPT:
                if code == _HR and hr is None:
                    hr = parts = []
                elif code == _CAD and cad is None:
                    cad = parts = []
                else:
                    parts = None
                if parts is not None:
                    parser.CharacterDataHandler = parts.append
                    capturing = True
            code = 0
        elif code == _TRKSEG:
            if parent == _TRK:
                close_segment()
                in_segment = True
            else:
                code = 0
        elif code == _TRK:
            close_segment()
            if parent != _GPX:
                code = 0
        elif code == _NAME or code == _TYPE:
            key = "name" if code == _NAME else "type"
            if parent == _METADATA and code == _NAME:
                key = "metadata"
            elif parent != _TRK:
                key = None
            if key is not None and (names[key] is None or not _text(names[key])):
                names[key] = parts = []
                parser.CharacterDataHandler = parts.append
                capturing = True
            code = 0
        elif code == _RTEPT:
            info["routes"] += 1
            code = 0
        elif code == _WPT:
            if parent == _GPX:
                info["waypoints"] += 1
            code = 0
        elif code == _GPX:
            if depth == 1:
                info["creator"] = attrs.get("creator")
            else:
                code = 0
        elif code != _METADATA:
            code = 0
        stack[depth] = code

    def on_region(begin: int, end: int) -> None:
        nonlocal n_points
        depth = starts - len(ends)  # of the <trkseg> just opened
        if depth + _POINT_DEPTH > MAX_XML_DEPTH:
            raise _xml.Fallback  # the general scanner finds out whether a point really goes too deep
        live = stack[depth] == _TRKSEG
        proof: dict = {}
        for cols in _xml.point_rows(_point_patterns, _POINT_START, (b"TrackPointExtension",), data, begin, end,
                                     proof):
            if live:
                n_points += len(cols[0])
                chunker.add(cols)
        return proof

    def after_region() -> None:
        nonlocal capturing
        capturing = True

    parser.StartElementHandler = start
    parser.EndElementHandler = ends.append
    if fast:
        _xml.run_regions(parser, data, spans, on_region, after_region)
    else:
        _xml.run(parser, data)
    close_segment()
    info["points"] = n_points
    info["type"] = (_text(names["type"]) or "")[:200] or None
    info["name"] = (_text(names["name"]) or _text(names["metadata"]) or "")[:200] or None
    return info, totals


# ------------------------------------------------------------------ the fast path (see _xml's docstring)

_P, _A = _xml.PREFIX, _xml.ATTRS
_NUM = rb"\s*+(" + _xml.NUM + rb"|)\s*+"
_OTHER = _xml.other_name(["gpx", "metadata", "trk", "trkseg", "trkpt", "ele", "time", "hr", "cad", "rtept", "wpt"])
_LEAF = _xml.leaf(_OTHER)
_LEAVES = rb"\s*+(?:" + _LEAF + rb"\s*+)*"
_CONT = b"<" + _P + _OTHER + _A + b">" + _LEAVES + rb"</[^<>]*+>"
_HR_EL = b"<" + _P + b"hr" + _A + b">" + _NUM + b"</" + _P + rb"hr\s*+>"
_CAD_EL = b"<" + _P + b"cad" + _A + b">" + _NUM + b"</" + _P + rb"cad\s*+>"
# one extension element with at most one hr and one cad, in either order: the general scanner takes the first
_HR_CONT = (b"<" + _P + _OTHER + _A + b">" + _LEAVES
            + b"(?:" + _HR_EL + _LEAVES + b"(?:" + _CAD_EL + _LEAVES + b")?|"
            + _CAD_EL + _LEAVES + b"(?:" + _HR_EL + _LEAVES
            + b")?)?" + rb"</[^<>]*+>")
_OTHERS = rb"(?:(?:" + _LEAF + b"|" + _CONT + rb")\s*+)*"


@functools.lru_cache(maxsize=16)
def _point_patterns(prefix: bytes | None, ext: bytes = b"") -> tuple[re.Pattern, ...]:
    """The common shape under a literal ``prefix`` first (its ``TrackPointExtension`` under the literal
    prefix ``ext``), then any strict shape (on a generated 10 km run, 2,700 points: 4.3 ms, against
    7.6 ms for any strict shape and 9.3 ms under any prefix).

    The common shape is balanced by construction (literal tags and attributes, each end tag the
    literal of its start tag), so that a region it takes whole need not go through the parser
    (:func:`runload.importers._xml.proven`)."""
    if prefix is None:
        return (_lazy_point_pattern(None),)
    p, x = re.escape(prefix), re.escape(ext)
    common = re.compile(
        b"<" + p + rb"trkpt\s++lat=\"(" + _xml.NUM + rb")\"()\s++lon=\"(" + _xml.NUM + rb")\"()()()()()\s*+>\s*+"
        + b"(?:<" + p + b"ele>" + _NUM + b"</" + p + rb"ele>\s*+)?"
        + b"(?:<" + p + rb"time>([^<&]*+)</" + p + rb"time>\s*+)?"
        + b"(?:<" + p + rb"extensions>\s*+<" + x + rb"TrackPointExtension>\s*+"
        + b"(?:<" + x + b"hr>" + _NUM + b"</" + x + rb"hr>\s*+)?"
        + b"(?:<" + x + b"cad>" + _NUM + b"</" + x + rb"cad>\s*+)?()()"
        + b"</" + x + rb"TrackPointExtension>\s*+</" + p + rb"extensions>\s*+)?"
        + b"</" + p + rb"trkpt>"
        + _xml.NOT_STRICT
    )
    return common, _lazy_point_pattern(prefix)


@functools.lru_cache(maxsize=16)
def _lazy_point_pattern(prefix: bytes | None) -> _xml.Lazy:
    return _xml.Lazy(functools.partial(_point_pattern, prefix))


@functools.lru_cache(maxsize=16)
def _point_pattern(prefix: bytes | None) -> re.Pattern:
    """One strict track point, its GPX elements under ``prefix`` (any prefix for None), extensions under any.

    Groups: lat, lon (lat first, "" or ''), lon, lat (lon first), ele, time, hr, cad (hr first),
    cad, hr (cad first), not strict. ``ele`` and ``time`` may repeat (the last one counts, as
    for the general scanner); ``hr`` and ``cad`` may not.
    """
    p = _P if prefix is None else re.escape(prefix)
    value = b"""(?:"(""" + _xml.NUM + b""")"|'(""" + _xml.NUM + b""")')"""
    lat, lon = rb"lat\s*+=\s*+" + value, rb"lon\s*+=\s*+" + value
    child = (b"<" + p + b"ele" + _A + b">" + _NUM + b"</" + p + rb"ele\s*+>"
             + b"|<" + p + b"time" + _A + rb">([^<&]*+)</" + p + rb"time\s*+>"
             + b"|<" + p + b"extensions" + _A + rb">\s*+" + _OTHERS + b"(?:" + _HR_CONT + rb"\s*+" + _OTHERS
             + b")?</" + p + rb"extensions\s*+>"
             + b"|" + _LEAF)
    return re.compile(
        b"<" + p + rb"trkpt\s++(?:" + lat + rb"\s++" + lon + b"|" + lon + rb"\s++" + lat + rb")\s*+"
        + rb"(?:/>|>\s*+(?:(?:" + child + rb")\s*+)*"
        + b"</" + p + rb"trkpt\s*+>)"
        + _xml.NOT_STRICT
    )


_POINT_START = re.compile(b"<(" + _P + rb")trkpt[\s>]")
#: Levels below <trkseg> that a strict point reaches (trkpt > extensions > TrackPointExtension > hr).
_POINT_DEPTH = 4


def _columns(cols) -> tuple:
    """Converted point columns (as :meth:`_Totals.add` converts texts) and the time captures (ASCII bytes once
    :func:`~runload.importers._xml.times_us` took them), of strict-point captures."""
    lat_a, lat_b, lon_a, lon_b, lon_c, lon_d, lat_c, lat_d, ele, time, hr_a, cad_a, cad_b, hr_b, _ = cols
    num = _xml.num_column
    return (num(_xml.pick(lat_a, lat_b, lat_c, lat_d)), num(_xml.pick(lon_a, lon_b, lon_c, lon_d)), num(ele),
            _xml.times_us(time), num(_xml.pick(hr_a, hr_b)), num(_xml.pick(cad_a, cad_b)), time)


def read_gpx(data: bytes, fast: bool = True) -> list[Activity]:
    """Read a GPX document's bytes into one Activity (raises ImportFormatError with a one-line reason).

    ``fast=False`` forces the general scanner (the fast path's oracle in the tests).
    """
    from .base import check_xml

    check_xml(data)
    info, totals = _scan(data, fast=fast)
    with_coordinates = totals.kept + totals.untimed
    if not info["points"]:
        what = " (a route)" if info["routes"] else " (waypoints only)" if info["waypoints"] else ""
        raise ImportFormatError(f"GPX has no track points{what}")
    if not with_coordinates:
        raise ImportFormatError(f"GPX has {info['points']:,} track points but none with valid coordinates")
    if not totals.kept:
        raise ImportFormatError("GPX has no timestamps (a planned route, not a recording)")
    if totals.untimed * 2 > with_coordinates:
        raise ImportFormatError(
            f"GPX has {totals.untimed:,} of {with_coordinates:,} track points without a time: "
            "too few timed points to measure the activity"
        )
    start = _xml.parse_time(totals.first_text)
    elapsed = (totals.last_t - totals.first_t) / 1e6
    if elapsed < 0:  # points out of time order
        elapsed = (totals.max_t - totals.min_t) / 1e6
    notes = []
    if totals.untimed:
        notes.append(f"dropped {totals.untimed:,} track point(s) without a time")
    if totals.no_coordinates:
        notes.append(f"dropped {totals.no_coordinates:,} track point(s) without valid coordinates")
    cadence = totals.cadence_sum / totals.cadence_n if totals.cadence_n else None
    name = info["name"]
    sport, sub_sport = normalise_sport(info["type"])
    if sport is None:
        sport, note = classify_undeclared(totals.length, totals.moving, name=name, avg_cadence_per_min=cadence)
        notes.insert(0, note)
    hr = totals.hr
    return [
        Activity(
            start_utc=start,
            sport=sport,
            source_format="gpx",
            sub_sport=sub_sport,
            distance_m=totals.length,
            moving_s=totals.moving,
            elapsed_s=elapsed,
            avg_hr_bpm=hr.mean,
            max_hr_bpm=hr.max,
            ascent_m=totals.uphill if totals.has_ele else None,
            device=(info["creator"] or "").strip()[:200] or None,
            name=name,
            has_gps=True,
            avg_cadence_per_min=cadence,
            hr_seconds_by_bpm=hr.histogram(),
            notes=tuple(notes),
        )
    ]
