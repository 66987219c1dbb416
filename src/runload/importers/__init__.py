"""Read activity files (FIT, GPX, TCX; gzip-compressed or not; loose, in folders or zip exports).

Public API (used by ``runload.ingest``):

* :class:`SourceHints`, :class:`Source`
* :func:`iter_sources` -- files, folders and zip archives -> :class:`Source` objects
* :func:`read_bytes` -- one file's bytes -> ``list[Activity]``
* :func:`read_path` -- convenience for one path
* :func:`decoder_versions` / :data:`DECODERS` -- what decodes what (for the benchmark)

Formats are recognised by content, never by file name: FIT by the ``.FIT``
signature at bytes 8..12, XML by its root element (``gpx`` or
``TrainingCenterDatabase``). :func:`read_bytes` only ever raises
:class:`~runload.errors.ImportFormatError` (or its subclass
:class:`~runload.errors.NotAnActivity`), whatever the bytes.
"""

from __future__ import annotations

import math
import re
import zlib
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from runload.errors import ImportFormatError, NotAnActivity
from runload.models import Activity

from .sports import normalise_sport

from .base import (  # noqa: F401  (the shared limits, sources and XML checks, re-exported)
    MAX_DECOMPRESSED_BYTES, MAX_GZIP_LAYERS, MAX_XML_DEPTH, MAX_XML_TOKEN_BYTES, Source, SourceHints, XML_FEED_BYTES, _BLANK, _DELIMITED, _DTD, _ENCODING_DECL, _GZIP_MAGIC, _ROOT, _UNDECLARED_PREFIX, _XML_PROLOG, _check_other_xml, _normalise_xml, _too_deep, check_xml, gunzip_bounded, iter_xml, refuse_dtd, refuse_huge_tokens, sniff, xml_error_reason,
)


def _decode(data: bytes, hints: SourceHints) -> list[Activity]:
    layers = 0
    while data[:2] == _GZIP_MAGIC:
        if layers >= MAX_GZIP_LAYERS:
            raise ImportFormatError("gzip inside gzip more than twice; refused")
        data = gunzip_bounded(data)
        layers += 1
    if _BLANK.match(data):
        raise ImportFormatError("empty file" if layers == 0 else "empty file after gzip decompression")
    if layers == 0 and data.startswith(MANUAL_MAGIC):
        return read_manual(data)  # a manual activity of a Strava export (a row of activities.csv)
    if sniff(data) == "fit":
        if layers:  # a loose FIT file too large for memory is refused before it is read (see sources)
            too_large = fit_too_large(len(data), max_fit_bytes(),
                                      "decompress it and import the FIT file with --max-file-mb raised")
            if too_large:
                raise ImportFormatError(too_large)
        from .fit import read_fit

        return read_fit(data, tz=hints.tz)
    data = _normalise_xml(data)
    kind = sniff(data)
    if kind == "gpx":
        from .gpx import read_gpx

        return read_gpx(data)
    if kind == "tcx":
        from .tcx import read_tcx

        return read_tcx(data)
    if kind == "xml" or data.lstrip()[:1] == b"<":
        _check_other_xml(data)
    raise ImportFormatError("not a FIT, GPX or TCX file")


def apply_hints(activities: list[Activity], hints: SourceHints) -> list[Activity]:
    """Apply outside knowledge (Strava ``activities.csv``, the command line).

    * sport: replaces a sport the file leaves open (undeclared, ``unknown``, or the vague TCX ``Other``);
      in a single-activity file it also replaces ``other``; a sport the file declares otherwise is final;
    * name: the export's title wins over the file's own (the user may have renamed it: "ACTIVE LOG",
      "Move" are device defaults);
    * gear fills an empty gear.
    """
    out = []
    for activity in activities:
        changes = {}
        undeclared = [n for n in activity.notes if n.startswith(_UNDECLARED_PREFIX)]
        open_sport = bool(undeclared) or activity.sport in ("unknown",) or (
            activity.sport == "other" and activity.sub_sport is None)
        if hints.sport and open_sport:
            sport, sub_sport = normalise_sport(hints.sport)
            if sport:
                changes["sport"] = sport
                changes["sub_sport"] = sub_sport or activity.sub_sport
                changes["notes"] = tuple(n for n in activity.notes if not n.startswith(_UNDECLARED_PREFIX)) + (
                    f"sport from the export's activity list ({hints.sport})",
                )
        if hints.name and hints.name != activity.name:
            changes["name"] = hints.name
        if hints.gear and not activity.gear:
            changes["gear"] = hints.gear
        out.append(activity.with_(**changes) if changes else activity)
    return out


# --------------------------------------------------------------- plausibility at the door

#: Earliest start accepted (no consumer GPS watch or app recorded before; older dates are clock errors).
EARLIEST_START_UTC = datetime(1980, 1, 1, tzinfo=timezone.utc)
#: How far in the future a start may lie [s] (a watch clock a little ahead, time zones).
FUTURE_SLACK_S = 24 * 3600
#: Longest single activity accepted: distance [m] and duration [s] (multi-day ultras fit well inside).
MAX_ACTIVITY_DISTANCE_M = 5_000_000.0
MAX_ACTIVITY_DURATION_S = 21 * 24 * 3600.0
#: Moving time may exceed elapsed time by this much [s]: whole-second rounding of two clocks, left as is.
MOVING_ROUNDING_S = 1.0
#: The speed check needs this much distance [m]: on a few metres GPS jitter makes any speed.
SPEED_CHECK_MIN_DISTANCE_M = 500.0


def _when(act: Activity) -> str:
    try:
        return f"activity of {act.start_utc:%Y-%m-%d %H:%M} UTC"
    except (ValueError, OverflowError):
        return "activity"


def _problem(act: Activity, now: datetime) -> str | None:
    """Why an activity's own numbers cannot be true, or None (one short clause)."""
    from .sports import MAX_HUMAN_SPEED_KMH

    start = act.start_utc
    if start < EARLIEST_START_UTC:
        return f"starts on {start:%Y-%m-%d}, before 1980: the file's clock or date is wrong"
    if (start - now).total_seconds() > FUTURE_SLACK_S:
        return f"starts on {start:%Y-%m-%d}, more than a day in the future: the file's clock or date is wrong"
    for name, value, limit, unit in (
        ("distance", act.distance_m, MAX_ACTIVITY_DISTANCE_M, "m"),
        ("moving time", act.moving_s, MAX_ACTIVITY_DURATION_S, "s"),
        ("elapsed time", act.elapsed_s, MAX_ACTIVITY_DURATION_S, "s"),
    ):
        if value is None:
            continue
        if not math.isfinite(value):
            return f"its {name} is not a number ({value})"
        if value < 0:
            return f"its {name} is negative ({value:,.0f} {unit})"
        if value > limit:
            return f"its {name} is impossibly large ({value:,.0f} {unit})"
    # the longer of the two times: one broken timer field alone does not make a real run impossible
    duration = max(act.moving_s or 0.0, act.elapsed_s or 0.0)
    if not duration:
        return "it lasts 0 s (a header and at most one record)"
    if act.distance_m and act.distance_m >= SPEED_CHECK_MIN_DISTANCE_M:
        speed_kmh = act.distance_m / duration * 3.6
        limit = MAX_HUMAN_SPEED_KMH.get(act.sport, MAX_HUMAN_SPEED_KMH["unknown"])
        if speed_kmh > limit:
            return (f"its average speed {speed_kmh:,.0f} km/h is beyond any human's for {act.sport} "
                    f"(at most {limit:.0f} km/h): distance or times are wrong")
    return None


def check_plausible(activities: list[Activity], now: datetime | None = None) -> list[Activity]:
    """The plausibility door (docs/method.md, "Plausibility at the door").

    Raises :class:`ImportFormatError` with one line when any activity's numbers cannot be true, so a
    file is stored whole or not at all: a start before 1980 or more than a day ahead; a negative, NaN,
    infinite or impossibly large distance or duration; no duration at all; an average speed above
    :data:`~runload.importers.sports.MAX_HUMAN_SPEED_KMH` for its sport. Moving time above elapsed
    time is capped to the elapsed time with a note. Returns the (possibly capped) activities.
    """
    now = now or datetime.now(timezone.utc)
    out = []
    for act in activities:
        problem = _problem(act, now)
        if problem:
            raise ImportFormatError(f"implausible {_when(act)}: {problem}; not imported")
        if act.moving_s is not None and act.elapsed_s is not None \
                and act.moving_s > act.elapsed_s + MOVING_ROUNDING_S:
            act = act.with_(moving_s=act.elapsed_s, notes=act.notes + (
                f"moving time {act.moving_s:,.0f} s was longer than the elapsed time {act.elapsed_s:,.0f} s: "
                "capped to the elapsed time",))
        out.append(act)
    return out


def read_bytes(data: bytes, hints: SourceHints | None = None) -> list[Activity]:
    """Read one activity file's bytes (gzip or not) into activities.

    Raises :class:`ImportFormatError` (one-line ``reason``) or
    :class:`NotAnActivity`, and nothing else, for any input.
    """
    hints = hints or SourceHints()
    try:
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise ImportFormatError(f"expected bytes, got {type(data).__name__}")
        activities = _decode(bytes(data), hints)
        if not activities:
            raise ImportFormatError("no activity found in the file")
        return apply_hints(check_plausible(activities), hints)
    except ImportFormatError:
        raise
    except MemoryError:
        raise ImportFormatError("file too large to read in memory") from None
    except RecursionError:
        raise ImportFormatError("file nested too deeply to read") from None
    except (KeyboardInterrupt, SystemExit, GeneratorExit):
        raise
    except BaseException as exc:  # noqa: BLE001 - decoders must never crash an import (pyo3 panics too)
        text = str(exc).splitlines()[0][:120] if str(exc) else ""
        raise ImportFormatError(f"unreadable file ({type(exc).__name__}{': ' + text if text else ''})") from None


def read_path(path: str | Path, hints: SourceHints | None = None) -> list[Activity]:
    """Read one activity file from disk (see :func:`read_bytes`)."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise ImportFormatError(f"cannot read the file ({exc.strerror or exc})") from None
    return read_bytes(data, hints)


def decoder_versions() -> dict[str, str]:
    """Versions of the decoding libraries, for reports and the benchmark."""
    import defusedxml
    import gpxpy

    from .fit import decoder_versions as fit_versions

    versions = fit_versions()
    versions["gpxpy"] = getattr(gpxpy, "__version__", "?")
    versions["defusedxml"] = getattr(defusedxml, "__version__", "?")
    return versions


#: Which library decodes which format (default first).
DECODERS = {
    "fit": ("fitfast", "fitparse (fallback)"),
    "gpx": ("expat stream (gpxpy formulas)",),
    "tcx": ("expat stream",),
}

from .sources import MANUAL_MAGIC, fit_too_large, iter_sources, max_fit_bytes, read_manual  # noqa: E402

__all__ = [
    "DECODERS",
    "ImportFormatError",
    "NotAnActivity",
    "Source",
    "SourceHints",
    "decoder_versions",
    "iter_sources",
    "read_bytes",
    "read_path",
]
