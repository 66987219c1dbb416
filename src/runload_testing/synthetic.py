"""Synthetic activity files: real FIT, GPX and TCX bytes written from scratch.

Used by the bundled sample season (``scripts/make_sample_season.py``), the
tests, the fuzz tests and the robustness benchmarks. Nothing here reads a
file; every writer returns ``bytes`` and is deterministic: the same
:class:`SyntheticRun` (same ``seed``) always gives the same bytes.

The track is a smooth closed loop around ``(lat0, lon0)``, run at a slowly
varying pace; the sampled track length (haversine or gpxpy ``length_2d``)
matches ``distance_m`` to well within 0.3 %. Heart rate drifts slowly upwards
(about 130-165 bpm for a steady run) and elevation follows the loop.

The FIT writer follows the public FIT protocol (14-byte header with header
CRC, normal record headers, little-endian definition messages, CRC-16 file
trailer); it uses no Garmin SDK code.

Examples
--------
>>> from datetime import datetime, timedelta, timezone
from pathlib import Path
>>> run = SyntheticRun(datetime(2026, 8, 3, 5, 0, tzinfo=timezone.utc), 10_000, 3_300)
>>> write_fit(run)[8:12]
b'.FIT'
"""

from __future__ import annotations

import gzip
import math
import struct
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

import numpy as np

from runload.units import FIT_EPOCH_UNIX_S

__all__ = [
    "write_mixed_folder",
    "SyntheticRun",
    "samples",
    "write_fit",
    "write_gpx",
    "write_tcx",
    "gzip_bytes",
    "fit_crc16",
    "EARTH_RADIUS_M",
]

#: Mean Earth radius [m] (IUGG) used to turn metres into degrees. Haversine
#: implementations use 6 371 000-6 378 137 m and gpxpy's flat approximation
#: 6 366 707 m; the mean radius keeps every one within 0.12 %.
EARTH_RADIUS_M = 6_371_008.8

_SEMICIRCLES_PER_DEG = 2**31 / 180.0

# FIT profile enums (FIT SDK Profile.xlsx, "Types" sheet).
_FIT_SPORT = {
    "generic": 0,
    "running": 1,
    "cycling": 2,
    "transition": 3,
    "fitness_equipment": 4,
    "swimming": 5,
    "training": 10,
    "walking": 11,
    "rowing": 15,
    "hiking": 17,
}
_FIT_SUB_SPORT = {
    None: 0,
    "generic": 0,
    "treadmill": 1,
    "street": 2,
    "trail": 3,
    "track": 4,
    "spin": 5,
    "indoor_cycling": 6,
    "road": 7,
    "mountain": 8,
    "indoor_walking": 27,
    "indoor_running": 45,
    "gravel_cycling": 46,
    "virtual_activity": 58,
}
_GPX_TYPE = {"running": "running", "cycling": "cycling", "walking": "walking", "hiking": "hiking"}
_TCX_SPORT = {"running": "Running", "cycling": "Biking"}

# FIT base types: (code, numpy dtype, invalid value).
_ENUM, _UINT8, _UINT16, _SINT32, _UINT32, _STRING, _UINT32Z = 0x00, 0x02, 0x84, 0x85, 0x86, 0x07, 0x8C
_BASE = {
    _ENUM: ("u1", 0xFF),
    _UINT8: ("u1", 0xFF),
    _UINT16: ("<u2", 0xFFFF),
    _SINT32: ("<i4", 0x7FFFFFFF),
    _UINT32: ("<u4", 0xFFFFFFFF),
    _UINT32Z: ("<u4", 0),
}

# Global message numbers.
_MESG_FILE_ID, _MESG_DEVICE_INFO, _MESG_EVENT = 0, 23, 21
_MESG_RECORD, _MESG_LAP, _MESG_SESSION, _MESG_ACTIVITY = 20, 19, 18, 34
# event / event_type enum values.
_EVENT_TIMER, _EVENT_LAP, _EVENT_SESSION, _EVENT_ACTIVITY = 0, 9, 8, 26
_EVENT_TYPE_START, _EVENT_TYPE_STOP, _EVENT_TYPE_STOP_ALL = 0, 1, 4


@dataclass
class SyntheticRun:
    """Description of one synthetic activity.

    Only ``start_utc``, ``distance_m`` and ``moving_s`` are required; the
    rest have watch-like defaults. ``sport``/``sub_sport`` use the FIT
    profile names (``"running"``, ``"cycling"``, ``"walking"``;
    ``"treadmill"``, ``"trail"`` ...).
    """

    start_utc: datetime
    """Start time, timezone-aware."""
    distance_m: float
    """Distance [m]."""
    moving_s: float
    """Timer (moving) time [s]; rounded to whole seconds."""
    sport: str = "running"
    sub_sport: str | None = None
    gps: bool = True
    """Write positions. ``False`` for a treadmill run: distance only."""
    hr: bool = True
    """Write heart rate."""
    utc_offset_s: int | None = None
    """Local-time offset [s east of UTC]; FIT gets ``activity.local_timestamp``."""
    name: str | None = None
    """Activity title (GPX ``<trk><name>``)."""
    device: str = "runload synthetic watch"
    """Product name written into FIT ``file_id``/``device_info``, the GPX
    ``creator`` and the TCX ``Creator/Name``."""
    pause_s: float = 0
    """One pause [s] in the middle of the activity; elapsed = moving + pause."""
    sample_interval_s: float = 1.0
    """Seconds between samples (whole seconds, >= 1); 5 mimics smart recording."""
    seed: int = 0
    lat0: float = 52.5163
    """Centre of the loop [deg]."""
    lon0: float = 13.3777
    elevation0_m: float = 35.0
    """Mean elevation [m]."""
    lap_distance_m: float = 1000.0
    """Auto-lap distance [m] for FIT and TCX laps."""
    hr_base_bpm: float = 132.0
    """Heart rate at the start [bpm]; it drifts up by about 20 bpm."""

    def __post_init__(self) -> None:
        if self.start_utc.tzinfo is None:
            raise ValueError("start_utc must be timezone-aware")
        if not (self.distance_m >= 0 and math.isfinite(self.distance_m)):
            raise ValueError(f"distance_m must be >= 0, not {self.distance_m!r}")
        if not self.moving_s >= 1:
            raise ValueError(f"moving_s must be >= 1 s, not {self.moving_s!r}")
        if self.pause_s < 0:
            raise ValueError("pause_s must be >= 0")
        if round(self.sample_interval_s) < 1:
            raise ValueError("sample_interval_s must be at least 1 s")
        if self.sport not in _FIT_SPORT:
            raise ValueError(f"unknown sport {self.sport!r}; use one of {sorted(_FIT_SPORT)}")
        if self.sub_sport not in _FIT_SUB_SPORT:
            raise ValueError(f"unknown sub_sport {self.sub_sport!r}")

    @property
    def elapsed_s(self) -> int:
        """Elapsed time [s] = moving + pause, in whole seconds."""
        return int(round(self.moving_s)) + int(round(self.pause_s))

    @property
    def start_unix_s(self) -> int:
        return int(self.start_utc.astimezone(timezone.utc).timestamp())


# --------------------------------------------------------------------------
# Samples
# --------------------------------------------------------------------------


def samples(run: SyntheticRun) -> dict[str, np.ndarray | None]:
    """Sample arrays for ``run`` (vectorised; 86 400 points take milliseconds).

    Returns a dict of equal-length arrays:

    - ``timestamp_s``: Unix time [s] (int64), ``elapsed_s``: seconds since the
      start, pause included (int64);
    - ``distance_m``: cumulative distance [m], 0 at the start, ``run.distance_m``
      at the end; ``speed_mps`` [m/s];
    - ``lat_deg``, ``lon_deg`` (``None`` when ``run.gps`` is false);
    - ``elevation_m`` [m]; ``hr_bpm`` (int, ``None`` when ``run.hr`` is false).

    The pause (if any) sits between two consecutive samples in the middle:
    a time gap with no movement.
    """
    rng = np.random.default_rng(run.seed)
    interval = int(round(run.sample_interval_s))
    moving = int(round(run.moving_s))
    t_mov = np.arange(0, moving, interval, dtype=np.int64)
    if t_mov[-1] != moving:
        t_mov = np.append(t_mov, np.int64(moving))
    n = t_mov.size
    pause = int(round(run.pause_s))
    elapsed = t_mov.copy()
    pause_index = 0
    if pause > 0 and n >= 2:
        pause_index = n // 2
        elapsed[pause_index:] += pause

    # Pace: smooth relative speed variations, rescaled to the exact distance.
    ph = rng.uniform(0, 2 * np.pi, 3)
    p1, p2 = rng.uniform(480, 900), rng.uniform(90, 180)
    t_mid = (t_mov[1:] + t_mov[:-1]) * 0.5
    rel = 1 + 0.05 * np.sin(2 * np.pi * t_mid / p1 + ph[0]) + 0.02 * np.sin(2 * np.pi * t_mid / p2 + ph[1])
    step = rel * np.diff(t_mov)
    dist = np.concatenate(([0.0], np.cumsum(step)))
    if dist[-1] > 0:
        dist *= run.distance_m / dist[-1]
    dist[-1] = run.distance_m
    dt = np.diff(t_mov).astype(float)
    seg_speed = np.diff(dist) / dt
    speed = np.concatenate(([seg_speed[0]], seg_speed)) if n > 1 else np.zeros(1)

    mean_speed = run.distance_m / moving
    loop_m = float(np.clip(mean_speed * 900.0, 1500.0, 20000.0)) * rng.uniform(0.85, 1.15)
    frac = np.mod(dist, loop_m) / loop_m  # position along the loop, 0..1

    out: dict[str, np.ndarray | None] = {
        "timestamp_s": run.start_unix_s + elapsed,
        "elapsed_s": elapsed,
        "distance_m": dist,
        "speed_mps": speed,
        "lat_deg": None,
        "lon_deg": None,
    }
    if run.gps:
        x, y = _loop_xy(frac, loop_m, rng)
        lat0 = math.radians(run.lat0)
        out["lat_deg"] = run.lat0 + np.degrees(y / EARTH_RADIUS_M)
        out["lon_deg"] = run.lon0 + np.degrees(x / (EARTH_RADIUS_M * math.cos(lat0)))
        ph_e = rng.uniform(0, 2 * np.pi, 2)
        amp = rng.uniform(4.0, 10.0)
        ele = run.elevation0_m + amp * np.sin(2 * np.pi * frac + ph_e[0]) + 0.3 * amp * np.sin(4 * np.pi * frac + ph_e[1])
    else:
        ele = np.full(n, float(run.elevation0_m))
    out["elevation_m"] = np.round(ele * 5) / 5  # FIT altitude resolution, 0.2 m

    if run.hr:
        t = t_mov.astype(float)
        drift = 20.0 * (1 - np.exp(-t / 1800.0)) + 6.0 * t / max(t[-1], 1.0)
        wave = 3.0 * np.sin(2 * np.pi * t / rng.uniform(300, 600) + ph[2])
        effort = 25.0 * (speed / max(mean_speed, 1e-9) - 1)
        hr = run.hr_base_bpm + drift + wave + effort
        out["hr_bpm"] = np.clip(np.round(hr), 60, 200).astype(np.int64)
    else:
        out["hr_bpm"] = None
    out["pause_index"] = np.int64(pause_index)  # type: ignore[assignment]
    return out


def _loop_xy(frac: np.ndarray, loop_m: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """East/north offsets [m] of points at fraction ``frac`` along a closed
    wobbly loop of perimeter ``loop_m`` that starts and ends at the centre's
    south side (parametrised by arc length)."""
    theta = np.linspace(0, 2 * np.pi, 4097)
    a, b = rng.uniform(0.08, 0.18), rng.uniform(0.03, 0.08)
    pa, pb = rng.uniform(0, 2 * np.pi, 2)
    r = 1 + a * np.sin(2 * theta + pa) + b * np.sin(3 * theta + pb)
    r = r / r[0]
    rot = rng.uniform(0, 2 * np.pi)
    direction = 1 if rng.random() < 0.5 else -1
    px = r * np.sin(direction * theta + rot) - math.sin(rot)
    py = -r * np.cos(direction * theta + rot) + math.cos(rot)
    arc = np.concatenate(([0.0], np.cumsum(np.hypot(np.diff(px), np.diff(py)))))
    scale = loop_m / arc[-1]
    s = frac * arc[-1]
    return np.interp(s, arc, px) * scale, np.interp(s, arc, py) * scale


def _laps(run: SyntheticRun, dist: np.ndarray) -> list[tuple[int, int]]:
    """Lap boundaries as sample index pairs ``(first, last)``, inclusive; the
    last sample of one lap is the first of the next."""
    n = dist.size
    if n < 2 or run.lap_distance_m <= 0:
        return [(0, n - 1)]
    marks = np.arange(run.lap_distance_m, dist[-1], run.lap_distance_m)
    ends = np.unique(np.searchsorted(dist, marks, side="left"))
    ends = ends[(ends > 0) & (ends < n - 1)]
    bounds = [0, *ends.tolist(), n - 1]
    return [(bounds[i], bounds[i + 1]) for i in range(len(bounds) - 1)]


# --------------------------------------------------------------------------
# FIT
# --------------------------------------------------------------------------

_CRC_TABLE = np.zeros(256, dtype=np.uint32)
for _i in range(256):
    _c = _i
    for _ in range(8):
        _c = (_c >> 1) ^ 0xA001 if _c & 1 else _c >> 1
    _CRC_TABLE[_i] = _c
del _i, _c


def fit_crc16(data: bytes, crc: int = 0) -> int:
    """FIT CRC-16 (CRC-16/ARC: reflected polynomial 0xA001, initial 0).

    Equivalent to the nibble-table routine in the FIT protocol document.
    Large inputs are processed as thousands of chunks in parallel with numpy
    and combined using the linearity of the CRC, so 50 MB takes well under a
    second.
    """
    buf = np.frombuffer(data, dtype=np.uint8)
    table = _CRC_TABLE
    if buf.size < 4096:
        for byte in buf.tolist():
            crc = (crc >> 8) ^ int(table[(crc ^ byte) & 0xFF])
        return crc
    # Feed the prefix state in as the first chunk's state: CRC(prefix||data)
    # equals advance(crc, len(data)) ^ CRC0(data), where CRC0 starts from 0.
    n = buf.size
    chunks = max(1, min(8192, int(math.sqrt(n))))
    length = -(-n // chunks)
    padded = np.zeros(chunks * length, dtype=np.uint8)
    padded[chunks * length - n :] = buf  # leading zeros leave a 0 state unchanged
    cols = padded.reshape(chunks, length).T.copy()
    state = np.zeros(chunks, dtype=np.uint32)
    for j in range(length):
        state = (state >> 8) ^ table[(state ^ cols[j]) & 0xFF]
    adv_chunk = _advance_tables(length)
    total = 0
    for value in state.tolist():
        total = int(adv_chunk[0][total & 0xFF] ^ adv_chunk[1][total >> 8]) ^ value
    if crc:
        adv_all = _advance_tables(n)
        total ^= int(adv_all[0][crc & 0xFF] ^ adv_all[1][crc >> 8])
    return total


def _advance_tables(nbytes: int) -> tuple[np.ndarray, np.ndarray]:
    """Tables mapping a CRC state's low/high byte to its state after feeding
    ``nbytes`` zero bytes (a linear map over GF(2))."""
    basis = (np.uint32(1) << np.arange(16, dtype=np.uint32)).astype(np.uint32)
    for _ in range(nbytes):
        basis = (basis >> 8) ^ _CRC_TABLE[basis & 0xFF]
    values = np.arange(256, dtype=np.uint32)
    lo = np.zeros(256, dtype=np.uint32)
    hi = np.zeros(256, dtype=np.uint32)
    for bit in range(8):
        on = ((values >> bit) & 1).astype(bool)
        lo[on] ^= basis[bit]
        hi[on] ^= basis[bit + 8]
    return lo, hi


class _FitMessage:
    """One local message type: a definition plus a packer for data rows."""

    def __init__(self, local: int, global_num: int, fields: list[tuple[int, int, int]]):
        # fields: (field number, base type, size in bytes); strings give size.
        self.local = local
        self.fields = fields
        dtype_fields = [("header", "u1")]
        for num, base, size in fields:
            dtype_fields.append((f"f{num}", f"S{size}" if base == _STRING else _BASE[base][0]))
        self.dtype = np.dtype(dtype_fields)
        self.definition = struct.pack("<BBBHB", 0x40 | local, 0, 0, global_num, len(fields)) + b"".join(
            struct.pack("<BBB", num, size if base == _STRING else self.dtype[f"f{num}"].itemsize, base)
            for num, base, size in fields
        )

    def row(self, **values) -> bytes:
        """One data message; missing fields get the FIT invalid value."""
        rec = np.zeros(1, dtype=self.dtype)
        rec["header"] = self.local
        for num, base, _size in self.fields:
            key = f"f{num}"
            if key in values and values[key] is not None:
                value = values[key]
                if base == _STRING and not isinstance(value, bytes):
                    value = str(value).encode("utf-8")
            elif base == _STRING:
                value = b""
            else:
                value = _BASE[base][1]
            rec[key] = value
        return rec.tobytes()


def _fit_time(unix_s: float) -> int:
    return int(round(unix_s)) - FIT_EPOCH_UNIX_S


def _u(value: float, scale: float, base: int) -> int:
    """Scale and clip a value into an unsigned FIT field (invalid excluded)."""
    top = _BASE[base][1] - 1
    return int(min(max(round(value * scale), 0), top))


def write_fit(run: SyntheticRun) -> bytes:
    """A FIT activity file for ``run`` (protocol 2.0, profile 21.xx).

    Messages: file_id, device_info, event (timer start), records with
    interleaved auto-lap ``lap`` messages and timer stop/start events around
    the pause, event (timer stop_all), session, activity. Records carry
    timestamp, position (semicircles, GPS runs only), distance, speed,
    heart rate (when ``run.hr``) and altitude.
    """
    s = samples(run)
    ts = s["timestamp_s"]
    dist = s["distance_m"]
    n = ts.size
    sport = _FIT_SPORT[run.sport]
    sub_sport = _FIT_SUB_SPORT[run.sub_sport]
    serial = 3_900_000_000 + (run.seed % 1_000_000)
    name = run.device.encode("utf-8")[:60]
    str_size = len(name) + 1

    file_id = _FitMessage(
        0, _MESG_FILE_ID, [(0, _ENUM, 1), (1, _UINT16, 2), (2, _UINT16, 2), (3, _UINT32Z, 4), (4, _UINT32, 4), (8, _STRING, str_size)]
    )
    device_info = _FitMessage(
        1,
        _MESG_DEVICE_INFO,
        [(253, _UINT32, 4), (0, _UINT8, 1), (2, _UINT16, 2), (3, _UINT32Z, 4), (4, _UINT16, 2), (5, _UINT16, 2), (27, _STRING, str_size)],
    )
    event = _FitMessage(2, _MESG_EVENT, [(253, _UINT32, 4), (0, _ENUM, 1), (1, _ENUM, 1), (4, _UINT8, 1)])
    rec_fields = [(253, _UINT32, 4)]
    if run.gps:
        rec_fields += [(0, _SINT32, 4), (1, _SINT32, 4)]
    rec_fields += [(5, _UINT32, 4), (6, _UINT16, 2), (2, _UINT16, 2)]
    if run.hr:
        rec_fields += [(3, _UINT8, 1)]
    record = _FitMessage(3, _MESG_RECORD, rec_fields)
    summary_fields = [
        (254, _UINT16, 2), (253, _UINT32, 4), (0, _ENUM, 1), (1, _ENUM, 1), (2, _UINT32, 4),
        (3, _SINT32, 4), (4, _SINT32, 4), (7, _UINT32, 4), (8, _UINT32, 4), (9, _UINT32, 4),
        (11, _UINT16, 2),
    ]  # fmt: skip
    lap = _FitMessage(
        4,
        _MESG_LAP,
        summary_fields
        + [(13, _UINT16, 2), (14, _UINT16, 2), (15, _UINT8, 1), (16, _UINT8, 1), (21, _UINT16, 2), (22, _UINT16, 2), (24, _ENUM, 1), (25, _ENUM, 1), (39, _ENUM, 1)],
    )
    session = _FitMessage(
        5,
        _MESG_SESSION,
        summary_fields
        + [(5, _ENUM, 1), (6, _ENUM, 1), (14, _UINT16, 2), (15, _UINT16, 2), (16, _UINT8, 1), (17, _UINT8, 1), (22, _UINT16, 2), (23, _UINT16, 2), (25, _UINT16, 2), (26, _UINT16, 2), (28, _ENUM, 1)],
    )
    act_fields = [(253, _UINT32, 4), (0, _UINT32, 4), (1, _UINT16, 2), (2, _ENUM, 1), (3, _ENUM, 1), (4, _ENUM, 1), (6, _UINT8, 1)]
    if run.utc_offset_s is not None:
        act_fields.append((5, _UINT32, 4))
    activity = _FitMessage(6, _MESG_ACTIVITY, act_fields)

    # Vectorised record rows.
    rows = np.zeros(n, dtype=record.dtype)
    rows["header"] = record.local
    rows["f253"] = ts - FIT_EPOCH_UNIX_S
    if run.gps:
        rows["f0"] = np.round(s["lat_deg"] * _SEMICIRCLES_PER_DEG).astype(np.int32)
        rows["f1"] = np.round(s["lon_deg"] * _SEMICIRCLES_PER_DEG).astype(np.int32)
    rows["f5"] = np.round(dist * 100).astype(np.uint32)
    rows["f6"] = np.clip(np.round(s["speed_mps"] * 1000), 0, 0xFFFE).astype(np.uint16)
    rows["f2"] = np.clip(np.round((s["elevation_m"] + 500) * 5), 0, 0xFFFE).astype(np.uint16)
    if run.hr:
        rows["f3"] = s["hr_bpm"].astype(np.uint8)
    rec_bytes = rows.tobytes()
    size = record.dtype.itemsize

    ele = s["elevation_m"]
    hr = s["hr_bpm"]
    pause_index = int(s["pause_index"])
    start, end = int(ts[0]), int(ts[-1])

    def summary(a: int, b: int) -> dict:
        """Fields shared by lap and session for samples a..b (inclusive)."""
        elapsed = float(ts[b] - ts[a])
        timer = elapsed - (float(run.pause_s) if a < pause_index <= b and pause_index else 0.0)
        d = float(dist[b] - dist[a])
        e = np.diff(ele[a : b + 1])
        out = {
            "f253": _fit_time(ts[b]),
            "f2": _fit_time(ts[a]),
            "f7": _u(elapsed, 1000, _UINT32),
            "f8": _u(timer, 1000, _UINT32),
            "f9": _u(d, 100, _UINT32),
            "f11": _u(d / 1000 * 65, 1, _UINT16),
            "asc": _u(e[e > 0].sum(), 1, _UINT16),
            "desc": _u(-e[e < 0].sum(), 1, _UINT16),
            "avg_speed": _u(d / timer if timer > 0 else 0, 1000, _UINT16),
            "max_speed": _u(float(s["speed_mps"][a : b + 1].max()), 1000, _UINT16),
        }
        if run.gps:
            out["f3"] = int(rows["f0"][a])
            out["f4"] = int(rows["f1"][a])
        if hr is not None:
            out["avg_hr"] = int(round(float(hr[a : b + 1].mean())))
            out["max_hr"] = int(hr[a : b + 1].max())
        return out

    parts: list[bytes] = [
        file_id.definition,
        file_id.row(f0=4, f1=255, f2=1, f3=serial, f4=_fit_time(start), f8=name),
        device_info.definition,
        device_info.row(f253=_fit_time(start), f0=0, f2=255, f3=serial, f4=1, f5=1234, f27=name),
        event.definition,
        event.row(f253=_fit_time(start), f0=_EVENT_TIMER, f1=_EVENT_TYPE_START, f4=0),
        record.definition,
        lap.definition,
    ]
    laps = _laps(run, dist)
    for index, (a, b) in enumerate(laps):
        first = a if index == 0 else a + 1  # the boundary sample belongs to the earlier lap
        if first <= pause_index <= b and pause_index > 0 and first < pause_index:
            parts.append(rec_bytes[first * size : pause_index * size])
            parts.append(event.row(f253=_fit_time(ts[pause_index - 1]), f0=_EVENT_TIMER, f1=_EVENT_TYPE_STOP, f4=0))
            parts.append(event.row(f253=_fit_time(ts[pause_index]), f0=_EVENT_TIMER, f1=_EVENT_TYPE_START, f4=0))
            parts.append(rec_bytes[pause_index * size : (b + 1) * size])
        else:
            if first == pause_index and pause_index > 0:
                parts.append(event.row(f253=_fit_time(ts[pause_index - 1]), f0=_EVENT_TIMER, f1=_EVENT_TYPE_STOP, f4=0))
                parts.append(event.row(f253=_fit_time(ts[pause_index]), f0=_EVENT_TIMER, f1=_EVENT_TYPE_START, f4=0))
            parts.append(rec_bytes[first * size : (b + 1) * size])
        sm = summary(a, b)
        parts.append(
            lap.row(
                f254=index, f0=_EVENT_LAP, f1=_EVENT_TYPE_STOP, f13=sm["avg_speed"], f14=sm["max_speed"],
                f15=sm.get("avg_hr"), f16=sm.get("max_hr"), f21=sm["asc"], f22=sm["desc"],
                f24=7 if index == len(laps) - 1 else 2, f25=sport, f39=sub_sport,
                **{k: v for k, v in sm.items() if k.startswith("f")},
            )
        )  # fmt: skip
    parts.append(event.row(f253=_fit_time(end), f0=_EVENT_TIMER, f1=_EVENT_TYPE_STOP_ALL, f4=0))
    sm = summary(0, n - 1)
    sm["f8"] = _u(float(int(round(run.moving_s))), 1000, _UINT32)
    parts += [
        session.definition,
        session.row(
            f254=0, f0=_EVENT_SESSION, f1=_EVENT_TYPE_STOP, f5=sport, f6=sub_sport, f14=sm["avg_speed"],
            f15=sm["max_speed"], f16=sm.get("avg_hr"), f17=sm.get("max_hr"), f22=sm["asc"], f23=sm["desc"],
            f25=0, f26=len(laps), f28=0, **{k: v for k, v in sm.items() if k.startswith("f")},
        ),
        activity.definition,
        activity.row(
            f253=_fit_time(end), f0=sm["f8"], f1=1, f2=0, f3=_EVENT_ACTIVITY, f4=_EVENT_TYPE_STOP, f6=0,
            f5=None if run.utc_offset_s is None else _fit_time(end) + int(run.utc_offset_s),
        ),
    ]  # fmt: skip
    body = b"".join(parts)
    header = struct.pack("<BBHI4s", 14, 0x20, 2132, len(body), b".FIT")
    header += struct.pack("<H", fit_crc16(header))
    data = header + body
    return data + struct.pack("<H", fit_crc16(data))


# --------------------------------------------------------------------------
# GPX and TCX
# --------------------------------------------------------------------------


def _iso_times(unix_s: np.ndarray, millis: bool = False) -> list[str]:
    text = np.datetime_as_string(unix_s.astype("datetime64[s]"), unit="s")
    suffix = ".000Z" if millis else "Z"
    return [t + suffix for t in text.tolist()]


def write_gpx(run: SyntheticRun) -> bytes:
    """A GPX 1.1 track for ``run``: ``<trk>`` with name and type, one segment
    (the pause is a time gap), ``<ele>``, ``<time>`` and Garmin
    TrackPointExtension v1 heart rate per point. Raises ``ValueError`` when
    ``run.gps`` is false (GPX needs positions)."""
    if not run.gps:
        raise ValueError("a GPX track needs positions; this run has gps=False")
    s = samples(run)
    times = _iso_times(s["timestamp_s"])
    lat = s["lat_deg"].tolist()
    lon = s["lon_deg"].tolist()
    ele = s["elevation_m"].tolist()
    name = run.name or f"{run.sport.capitalize()}"
    gpx_type = _GPX_TYPE.get(run.sport, run.sport)
    head = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<gpx creator={quoteattr(run.device)} version=\"1.1\" "
        'xmlns="http://www.topografix.com/GPX/1/1" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        'xmlns:gpxtpx="http://www.garmin.com/xmlschemas/TrackPointExtension/v1" '
        'xsi:schemaLocation="http://www.topografix.com/GPX/1/1 http://www.topografix.com/GPX/1/1/gpx.xsd '
        'http://www.garmin.com/xmlschemas/TrackPointExtension/v1 '
        'http://www.garmin.com/xmlschemas/TrackPointExtensionv1.xsd">\n'
        f" <metadata>\n  <time>{times[0]}</time>\n </metadata>\n"
        f" <trk>\n  <name>{escape(name)}</name>\n  <type>{escape(gpx_type)}</type>\n  <trkseg>\n"
    )
    if s["hr_bpm"] is not None:
        hr = s["hr_bpm"].tolist()
        points = [
            f'   <trkpt lat="{la:.7f}" lon="{lo:.7f}">\n    <ele>{e:.1f}</ele>\n    <time>{t}</time>\n'
            f"    <extensions>\n     <gpxtpx:TrackPointExtension>\n      <gpxtpx:hr>{h}</gpxtpx:hr>\n"
            "     </gpxtpx:TrackPointExtension>\n    </extensions>\n   </trkpt>\n"
            for la, lo, e, t, h in zip(lat, lon, ele, times, hr)
        ]
    else:
        points = [
            f'   <trkpt lat="{la:.7f}" lon="{lo:.7f}">\n    <ele>{e:.1f}</ele>\n    <time>{t}</time>\n   </trkpt>\n'
            for la, lo, e, t in zip(lat, lon, ele, times)
        ]
    return (head + "".join(points) + "  </trkseg>\n </trk>\n</gpx>\n").encode("utf-8")


def write_tcx(run: SyntheticRun) -> bytes:
    """A TrainingCenterDatabase v2 file for ``run``: one Activity (Sport
    Running/Biking/Other) with auto-laps (StartTime, TotalTimeSeconds,
    DistanceMeters, Calories, average/maximum heart rate) and trackpoints
    (Time, Position when GPS, AltitudeMeters, DistanceMeters, HeartRateBpm),
    and a Creator device name."""
    s = samples(run)
    ts = s["timestamp_s"]
    times = _iso_times(ts, millis=True)
    dist = s["distance_m"]
    hr = s["hr_bpm"]
    pause_index = int(s["pause_index"])
    sport = _TCX_SPORT.get(run.sport, "Other")
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<TrainingCenterDatabase xmlns="http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        'xsi:schemaLocation="http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2 '
        'http://www.garmin.com/xmlschemas/TrainingCenterDatabasev2.xsd">\n'
        f' <Activities>\n  <Activity Sport="{sport}">\n   <Id>{times[0]}</Id>\n'
    ]
    laps = _laps(run, dist)
    lat = s["lat_deg"]
    lon = s["lon_deg"]
    ele = s["elevation_m"]
    for index, (a, b) in enumerate(laps):
        first = a if index == 0 else a + 1
        elapsed = float(ts[b] - ts[a])
        timer = elapsed - (float(run.pause_s) if a < pause_index <= b and pause_index else 0.0)
        d = float(dist[b] - dist[a])
        out.append(
            f'   <Lap StartTime="{times[a]}">\n'
            f"    <TotalTimeSeconds>{timer:.1f}</TotalTimeSeconds>\n"
            f"    <DistanceMeters>{d:.2f}</DistanceMeters>\n"
            f"    <MaximumSpeed>{float(s['speed_mps'][a:b + 1].max()):.3f}</MaximumSpeed>\n"
            f"    <Calories>{int(round(d / 1000 * 65))}</Calories>\n"
        )
        if hr is not None:
            out.append(
                f"    <AverageHeartRateBpm>\n     <Value>{int(round(float(hr[a:b + 1].mean())))}</Value>\n    </AverageHeartRateBpm>\n"
                f"    <MaximumHeartRateBpm>\n     <Value>{int(hr[a:b + 1].max())}</Value>\n    </MaximumHeartRateBpm>\n"
            )
        trigger = "Manual" if index == len(laps) - 1 else "Distance"
        out.append(f"    <Intensity>Active</Intensity>\n    <TriggerMethod>{trigger}</TriggerMethod>\n    <Track>\n")
        for i in range(first, b + 1):
            pos = ""
            if lat is not None:
                pos = (
                    f"      <Position>\n       <LatitudeDegrees>{lat[i]:.7f}</LatitudeDegrees>\n"
                    f"       <LongitudeDegrees>{lon[i]:.7f}</LongitudeDegrees>\n      </Position>\n"
                )
            hr_xml = f"      <HeartRateBpm>\n       <Value>{int(hr[i])}</Value>\n      </HeartRateBpm>\n" if hr is not None else ""
            out.append(
                f"     <Trackpoint>\n      <Time>{times[i]}</Time>\n{pos}"
                f"      <AltitudeMeters>{ele[i]:.1f}</AltitudeMeters>\n"
                f"      <DistanceMeters>{dist[i]:.2f}</DistanceMeters>\n{hr_xml}     </Trackpoint>\n"
            )
        out.append("    </Track>\n   </Lap>\n")
    out.append(
        '   <Creator xsi:type="Device_t">\n'
        f"    <Name>{escape(run.device)}</Name>\n    <UnitId>{3_900_000_000 + run.seed % 1_000_000}</UnitId>\n"
        "    <ProductID>1</ProductID>\n    <Version>\n     <VersionMajor>12</VersionMajor>\n"
        "     <VersionMinor>34</VersionMinor>\n     <BuildMajor>0</BuildMajor>\n     <BuildMinor>0</BuildMinor>\n"
        "    </Version>\n   </Creator>\n  </Activity>\n </Activities>\n</TrainingCenterDatabase>\n"
    )
    return "".join(out).encode("utf-8")


def gzip_bytes(data: bytes) -> bytes:
    """Gzip ``data`` reproducibly: fixed mtime 0, no file name, level 9."""
    return gzip.compress(data, compresslevel=9, mtime=0)


def write_mixed_folder(root: Path, n: int) -> int:
    """``n`` synthetic activity files under ``root`` (a third each FIT, GPX, TCX, one in ten gzipped,
    700 to a year folder), as the import benchmarks use them; returns the bytes before gzip."""
    writers = {"fit": write_fit, "gpx": write_gpx, "tcx": write_tcx}
    t0 = datetime(2020, 1, 1, 6, 0, tzinfo=timezone.utc)
    total = 0
    for k in range(n):
        fmt = ("fit", "gpx", "tcx")[k % 3]
        km = 3 + (k * 7) % 13
        run = SyntheticRun(t0 + timedelta(hours=13 * k), km * 1000.0, km * 320.0, seed=k, sample_interval_s=5)
        data = writers[fmt](run)
        gz = k % 10 == 9
        sub = Path(root) / f"y{2020 + k // 700}"
        sub.mkdir(parents=True, exist_ok=True)
        (sub / f"act{k:05d}.{fmt}{'.gz' if gz else ''}").write_bytes(gzip_bytes(data) if gz else data)
        total += len(data)
    return total
