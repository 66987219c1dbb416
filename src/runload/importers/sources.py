"""Find activity files: loose files, folders, zip exports (Strava, Garmin Connect).

Archives are recognised by content (``PK\\x03\\x04``) and read in memory,
member by member; nothing is ever extracted to disk. Nested zips (Garmin
Connect's ``UploadedFiles_*.zip``) are opened up to :data:`MAX_ARCHIVE_DEPTH`.

Archive safety (a refused member becomes a :class:`Source` with ``error`` set
and the walk continues):

* uncompressed member larger than :data:`MAX_MEMBER_BYTES`, or compressed more
  than :data:`MAX_COMPRESSION_RATIO`:1 (only checked for members above
  :data:`RATIO_CHECK_MIN_BYTES`: tiny files of repeated bytes compress that
  well harmlessly);
* more than :data:`MAX_ARCHIVE_TOTAL_BYTES` uncompressed in one archive;
* absolute names or names with ``..`` (``/`` or ``\\`` separated; never
  written to disk anyway, but reported), encrypted members, symbolic-link members;
* any other exception while a member is listed or read (a damaged deflate or LZMA
  stream, a name that strips to nothing): that member is refused, the rest goes on.

Loose files: anything that is not a regular file (a FIFO, a device such as
``/dev/zero``, a socket) is refused without being opened; a file larger than
:data:`MAX_FILE_BYTES` (``runload import --max-file-mb``) is refused before it is
read, and so is a FIT file (told by its header) over a quarter of that limit
(:func:`runload.limits.max_fit_bytes`: it is read whole, about four bytes of
memory a byte); a FIT archive member over it is refused once read. Labels are
made printable with :func:`runload.safetext.safe_label` (a file name that is
not UTF-8 or holds a newline is shown and stored escaped).

A Strava bulk export (zipped or unzipped) has ``activities.csv`` listing each
activity's ``Filename`` with its ``Activity Type``, ``Activity Name`` and
``Activity Gear``; these become the member's :class:`SourceHints`.
"""

from __future__ import annotations

import csv
import io
import json
import os
import stat
import zipfile
from dataclasses import replace
from pathlib import Path, PurePosixPath
from typing import Iterable, Iterator

from runload.errors import ImportFormatError
from runload.safetext import safe_label

from .base import Source, SourceHints

#: Largest loose file read [bytes] (zip archives are read member by member, see MAX_MEMBER_BYTES).
from runload.limits import FIT_MEMORY_PER_BYTE, MAX_FILE_BYTES, max_fit_bytes  # noqa: E402,F401  (re-exported)
#: How a refusal for size starts (such a file is tried again when the limit is raised).
TOO_LARGE = "file of "
MAX_MEMBER_BYTES = 200 * 1024 * 1024
MAX_COMPRESSION_RATIO = 100
RATIO_CHECK_MIN_BYTES = 1024 * 1024
MAX_ARCHIVE_TOTAL_BYTES = 4 * 1024 * 1024 * 1024
MAX_ARCHIVE_DEPTH = 3

#: Files in folders/archives with these suffixes are not activity files (skipped silently).
SKIP_SUFFIXES = frozenset(
    ".csv .json .md .txt .html .htm .xml.md .jpg .jpeg .png .gif .webp .heic .bmp .svg .pdf "
    ".mp4 .mov .avi .mp3 .doc .docx .xls .xlsx .odt .db .sqlite .log .py .js .css .ini .yaml .yml .toml".split()
)

_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
_STRAVA_CSV = "activities.csv"


def _skip_name(name: str) -> bool:
    base = name.replace("\\", "/").rsplit("/", 1)[-1]  # '..\\..\\x.fit' is x.fit, not a hidden file
    if not base or base.startswith(".") or base in ("Thumbs.db", "desktop.ini"):
        return True
    suffix = os.path.splitext(base.lower())[1]
    return suffix in SKIP_SUFFIXES


def _strava_hints(csv_bytes: bytes, base: SourceHints) -> dict[str, SourceHints]:
    """Map ``Filename`` (as written in activities.csv) -> hints from its row."""
    return _strava_rows(csv_bytes, base)[0]


#: First line of the bytes that stand for a manual activity of a Strava export (a row without a file).
MANUAL_MAGIC = b"RUNLOAD-STRAVA-MANUAL-ACTIVITY\n"
#: ``Activity Date`` formats of Strava's activities.csv (UTC), English first.
_STRAVA_DATE_FORMATS = ("%b %d, %Y, %I:%M:%S %p", "%b %d, %Y %I:%M:%S %p", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%SZ",
                        "%d.%m.%Y, %H:%M:%S", "%d %b %Y, %H:%M:%S")


def _csv_number(text: str | None) -> float | None:
    text = (text or "").strip().replace(",", "")
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        return None


def _strava_rows(csv_bytes: bytes, base: SourceHints) -> tuple[dict[str, SourceHints], list[dict]]:
    """Read Strava's ``activities.csv``: hints per ``Filename`` and the manual rows (no file).

    The file repeats column names (``Elapsed Time``, ``Distance``): the first ``Distance`` is in the
    user's display unit (km or mi), a later one in metres, so columns are read by position: distance
    from the last ``Distance`` column when there are several (metres), else the only one taken as km.
    """
    try:
        text = csv_bytes.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = csv_bytes.decode("latin-1")
    hints: dict[str, SourceHints] = {}
    manual: list[dict] = []
    try:
        reader = csv.reader(io.StringIO(text))
        header = [h.strip() for h in next(reader, [])]
        where: dict[str, list[int]] = {}
        for i, name in enumerate(header):
            where.setdefault(name, []).append(i)

        def cell(row, name, last=False):
            idx = where.get(name)
            if not idx:
                return ""
            i = idx[-1] if last else idx[0]
            return row[i].strip() if i < len(row) else ""

        for row in reader:
            if not any(c.strip() for c in row):
                continue
            filename = cell(row, "Filename")
            sport = cell(row, "Activity Type") or base.sport
            name = cell(row, "Activity Name") or base.name
            gear = cell(row, "Activity Gear") or base.gear
            if filename:
                hints[filename.lstrip("/")] = replace(base, sport=sport, name=name, gear=gear)
                continue
            distances = where.get("Distance", [])
            distance_m = _csv_number(cell(row, "Distance", last=True))
            if distance_m is not None and len(distances) < 2:
                distance_m *= 1000.0
            elapsed = _csv_number(cell(row, "Elapsed Time", last=True)) or _csv_number(cell(row, "Elapsed Time"))
            manual.append({
                "id": cell(row, "Activity ID"), "date": cell(row, "Activity Date"), "type": sport or "",
                "name": name, "gear": gear, "distance_m": distance_m,
                "moving_s": _csv_number(cell(row, "Moving Time")), "elapsed_s": elapsed,
            })
    except csv.Error:
        return {}, []
    return hints, manual


def manual_payload(row: dict) -> bytes:
    """The bytes that stand for one manual activity (read back by :func:`read_manual`)."""
    return MANUAL_MAGIC + json.dumps(row, sort_keys=True, ensure_ascii=False).encode("utf-8")


def read_manual(data: bytes) -> list:
    """A manual activity of a Strava export (type, date, distance, times from activities.csv) -> [Activity]."""
    from datetime import datetime, timezone

    from runload.errors import ImportFormatError
    from runload.models import Activity

    from .sports import normalise_sport

    try:
        row = json.loads(data[len(MANUAL_MAGIC):].decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        raise ImportFormatError("unreadable manual activity row") from None
    start = None
    for fmt in _STRAVA_DATE_FORMATS:
        try:
            start = datetime.strptime(str(row.get("date", "")).strip(), fmt).replace(tzinfo=timezone.utc)
            break
        except ValueError:
            continue
    if start is None:
        raise ImportFormatError(f"manual activity with an unreadable date ({row.get('date')!r}) in activities.csv")
    sport, sub_sport = normalise_sport(row.get("type"))
    moving, elapsed = row.get("moving_s"), row.get("elapsed_s")
    return [Activity(
        start_utc=start, sport=sport or "unknown", sub_sport=sub_sport, source_format="manual",
        distance_m=row.get("distance_m"), moving_s=moving if moving is not None else elapsed,
        elapsed_s=elapsed if elapsed is not None else moving, name=row.get("name") or None,
        gear=row.get("gear") or None,
        notes=("manual activity: entered by hand on Strava (no file); type, date, distance and time from "
               "activities.csv",),
    )]


def _hint_for(strava: dict[str, SourceHints], key: str, used: set[str]) -> SourceHints | None:
    """The export's hints for a file, also when it was decompressed (``123.fit`` listed as ``123.fit.gz``)."""
    for candidate in (key, key + ".gz"):
        if candidate in strava:
            used.add(candidate)
            return strava[candidate]
    return None


def _export_leftovers(label_of, strava: dict[str, SourceHints], used: set[str], manual: list[tuple[str, dict]],
                      mtime) -> Iterator[Source]:
    """Sources for what an export's activities.csv lists beyond its files: manual rows, missing files."""
    for csv_label, row in manual:
        payload = manual_payload(row)
        yield Source(label=f"{csv_label}#activity {row.get('id') or row.get('date')}", size=len(payload),
                     mtime=mtime, read=lambda payload=payload: payload)
    for key, hint in strava.items():
        if key not in used:
            yield _refused(label_of(key), 0, None, hint,
                           f"listed in activities.csv ({hint.name or 'no name'}) but the file is not in the export")


# ------------------------------------------------------------------ archives


def _member_problem(info: zipfile.ZipInfo) -> str | None:
    name = info.filename
    parts = name.replace("\\", "/").split("/")
    if name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":") or ".." in parts:
        return "unsafe path in archive (absolute or with '..'); refused"
    if info.flag_bits & 0x1:
        return "encrypted archive member; refused"
    if stat.S_ISLNK(info.external_attr >> 16):
        return "symbolic link in archive; refused"
    if info.file_size > MAX_MEMBER_BYTES:
        return f"archive member expands to {info.file_size / 1e6:,.0f} MB (over {MAX_MEMBER_BYTES // 2**20} MB); refused"
    if info.file_size > RATIO_CHECK_MIN_BYTES and info.file_size > MAX_COMPRESSION_RATIO * max(info.compress_size, 1):
        return f"archive member compressed more than {MAX_COMPRESSION_RATIO}:1 (zip bomb?); refused"
    return None


def _read_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    with zf.open(info) as handle:
        data = handle.read(MAX_MEMBER_BYTES + 1)
    if len(data) > MAX_MEMBER_BYTES:
        raise OSError("archive member larger than declared")
    too_large = is_fit_head(data) and fit_too_large(len(data), max_fit_bytes(), "take it out of the archive")
    if too_large:
        raise ImportFormatError(too_large)
    return data


def _refused(label: str, size: int, mtime, hints: SourceHints, error: str) -> Source:
    def _no_read() -> bytes:
        raise OSError(f"{label}: {error}")

    return Source(label=label, size=size, mtime=mtime, read=_no_read, hints=hints, error=error)


def _iter_zip(label: str, zf: zipfile.ZipFile, hints: SourceHints, depth: int) -> Iterator[Source]:
    infos = zf.infolist()
    strava: dict[str, SourceHints] = {}
    manual: list[tuple[str, dict]] = []
    used: set[str] = set()
    csv_mtime = None
    for info in infos:
        if info.filename.rsplit("/", 1)[-1] == _STRAVA_CSV and _member_problem(info) is None:
            prefix = info.filename[: -len(_STRAVA_CSV)]
            try:
                named, rows = _strava_rows(_read_member(zf, info), hints)
            except Exception:  # noqa: BLE001 - a damaged activities.csv only loses its hints
                continue
            for name, hint in named.items():
                strava[prefix + name] = hint
            manual.extend((f"{label}!{info.filename}", row) for row in rows)
            csv_mtime = _zip_mtime(info)
    total = 0
    for info in sorted(infos, key=lambda i: i.filename):
        member_label = safe_label(f"{label}!{info.filename}")
        try:
            if info.is_dir() or _skip_name(info.filename) or "__MACOSX/" in info.filename:
                continue
            mtime = _zip_mtime(info)
            member_hints = _hint_for(strava, info.filename, used) or hints
            problem = _member_problem(info)
            if problem is None:
                total += info.file_size
                if total > MAX_ARCHIVE_TOTAL_BYTES:
                    problem = f"archive expands to more than {MAX_ARCHIVE_TOTAL_BYTES // 2**30} GB; rest refused"
            if problem:
                yield _refused(member_label, info.file_size, mtime, member_hints, problem)
                continue
            try:
                with zf.open(info) as handle:
                    head = handle.read(4)
            except Exception as exc:  # noqa: BLE001 - zlib.error, LZMAError, BadZipFile...: this member only
                yield _refused(member_label, info.file_size, mtime, member_hints,
                               f"damaged archive member ({_exc_text(exc)}); refused")
                continue
            if head in _ZIP_MAGIC:
                if depth >= MAX_ARCHIVE_DEPTH:
                    yield _refused(member_label, info.file_size, mtime, member_hints,
                                   "archives nested too deeply; refused")
                    continue
                try:
                    inner = zipfile.ZipFile(io.BytesIO(_read_member(zf, info)))
                except Exception as exc:  # noqa: BLE001 - a damaged inner archive: this member only
                    yield _refused(member_label, info.file_size, mtime, member_hints,
                                   f"damaged zip archive ({_exc_text(exc)})")
                    continue
                yield from _iter_zip(member_label, inner, member_hints, depth + 1)
                continue
        except Exception as exc:  # noqa: BLE001 - one odd member (an empty name...) must not end the archive
            yield _refused(member_label, getattr(info, "file_size", 0), None, hints,
                           f"unreadable archive member ({_exc_text(exc)})")
            continue
        yield Source(
            label=member_label,
            size=info.file_size,
            mtime=mtime,
            read=_member_reader(zf, info),
            hints=member_hints,
        )
    yield from _export_leftovers(lambda key: f"{label}!{key}", strava, used, manual, csv_mtime)


def _exc_text(exc: BaseException) -> str:
    """An exception as a short single line (its type when it has no message)."""
    text = " ".join(str(exc).split())[:160]
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _member_reader(zf: zipfile.ZipFile, info: zipfile.ZipInfo):
    def read() -> bytes:
        return _read_member(zf, info)

    return read


def _zip_mtime(info: zipfile.ZipInfo) -> float | None:
    try:
        import datetime as _dt

        return _dt.datetime(*info.date_time).timestamp()
    except (ValueError, OverflowError):
        return None


# ------------------------------------------------------------------ files and folders


def _head(path: Path) -> bytes:
    """The first 12 bytes of a file: enough to tell a zip archive or a FIT file before reading it."""
    with open(path, "rb") as handle:
        return handle.read(12)


def is_fit_head(head: bytes) -> bool:
    """True for the start of a FIT file (a 12- or 14-byte header holding ``.FIT``)."""
    return len(head) >= 12 and head[0] in (12, 14) and head[8:12] == b".FIT"


def fit_too_large(size: int, limit: int, raise_with: str) -> str | None:
    """Why a FIT file of ``size`` bytes is refused under ``limit`` (see :func:`runload.limits.max_fit_bytes`)."""
    if size <= limit:
        return None
    return (f"{TOO_LARGE}{size / 1e6:,.0f} MB is over the {limit // 2**20} MB a FIT file may have (read whole, it "
            f"takes about {FIT_MEMORY_PER_BYTE} bytes of memory a byte); refused ({raise_with})")


def _bounded_reader(path: Path, limit: int):
    """Read ``path``, but never more than ``limit`` bytes (it may have grown since it was listed)."""

    def read() -> bytes:
        with open(path, "rb") as handle:
            # what the file holds now and one byte more, which tells a file that grew since: ``read(limit + 1)``
            # allocates the whole limit first (280 FIT files, 29 MB, took 22 ms that way, 4 ms this way)
            size = os.fstat(handle.fileno()).st_size
            data = handle.read(min(size, limit) + 1)
            if size < len(data) <= limit:
                data += handle.read(limit + 1 - len(data))
        if len(data) > limit:
            raise OSError(f"the file grew past the {limit // 2**20} MB limit while it was read")
        return data

    return read


def not_regular_reason(mode: int) -> str:
    kind = ("a FIFO (named pipe)" if stat.S_ISFIFO(mode) else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode)
            else "a socket" if stat.S_ISSOCK(mode) else "not a file")
    return f"not a regular file ({kind}); skipped without reading it"


def _iter_file(path: Path, label: str, hints: SourceHints, max_file_bytes: int = MAX_FILE_BYTES) -> Iterator[Source]:
    try:
        st = path.stat()
        if not stat.S_ISREG(st.st_mode):  # never open a FIFO (blocks) or a device (/dev/zero never ends)
            yield _refused(label, 0, None, hints, not_regular_reason(st.st_mode))
            return
        head = _head(path)
    except OSError as exc:
        yield _refused(label, 0, None, hints, f"unreadable ({exc.strerror or exc})")
        return
    if head[:4] in _ZIP_MAGIC:
        try:
            zf = zipfile.ZipFile(path)
            # the ZipFile owns no open file between reads: a path is reopened per member
        except Exception as exc:  # noqa: BLE001 - BadZipFile, ValueError, EOFError, OverflowError...
            yield _refused(label, st.st_size, st.st_mtime, hints, f"damaged zip archive ({_exc_text(exc)})")
            return
        yield from _iter_zip(label, zf, hints, 1)
        return
    if st.st_size > max_file_bytes:
        yield _refused(label, st.st_size, st.st_mtime, hints,
                       f"{TOO_LARGE}{st.st_size / 1e6:,.0f} MB is over the {max_file_bytes // 2**20} MB limit; "
                       "refused (raise it with --max-file-mb)")
        return
    too_large = is_fit_head(head) and fit_too_large(st.st_size, max_fit_bytes(max_file_bytes),
                                                     "raise the file limit with --max-file-mb")
    if too_large:  # refused before it is read, like any file over the limit
        yield _refused(label, st.st_size, st.st_mtime, hints, too_large)
        return
    yield Source(label=label, size=st.st_size, mtime=st.st_mtime, read=_bounded_reader(path, max_file_bytes),
                 hints=hints)


def _iter_dir(root: Path, hints: SourceHints, max_file_bytes: int = MAX_FILE_BYTES) -> Iterator[Source]:
    strava: dict[str, SourceHints] = {}
    manual: list[tuple[str, dict]] = []
    used: set[str] = set()
    csv_mtime = [None]

    def walk(folder: Path) -> Iterator[Source]:
        csv_path = folder / _STRAVA_CSV
        if csv_path.is_file() and not csv_path.is_symlink():
            try:
                named, rows = _strava_rows(csv_path.read_bytes(), hints)
                csv_mtime[0] = csv_path.stat().st_mtime
            except OSError:
                named, rows = {}, []
            for name, hint in named.items():
                strava[str(PurePosixPath(*folder.relative_to(root).parts, name))] = hint
            manual.extend((str(csv_path), row) for row in rows)
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError as exc:
            yield _refused(safe_label(folder), 0, None, hints, f"unreadable folder ({exc.strerror or exc})")
            return
        for entry in entries:
            if entry.name.startswith("."):
                continue
            path = Path(entry.path)
            try:
                if entry.is_symlink():
                    yield _refused(safe_label(path), 0, None, hints, "symbolic link (not followed)")
                    continue
                if entry.is_dir(follow_symlinks=False):
                    yield from walk(path)
                    continue
                if _skip_name(entry.name):
                    continue
                if not entry.is_file(follow_symlinks=False):
                    yield _refused(safe_label(path), 0, None, hints,
                                   not_regular_reason(entry.stat(follow_symlinks=False).st_mode))
                    continue
            except OSError as exc:
                yield _refused(safe_label(path), 0, None, hints, f"unreadable ({exc.strerror or exc})")
                continue
            rel = PurePosixPath(*path.relative_to(root).parts)
            yield from _iter_file(path, safe_label(path), _hint_for(strava, str(rel), used) or hints, max_file_bytes)

    yield from walk(root)
    yield from _export_leftovers(lambda key: str(root / key), strava, used, manual, csv_mtime[0])


def iter_sources(paths: Iterable[str | os.PathLike], hints: SourceHints | None = None, *,
                 max_file_bytes: int = MAX_FILE_BYTES) -> Iterator[Source]:
    """Yield a :class:`Source` for every candidate activity file under ``paths``.

    Files are taken as given (recognised later by content); folders are walked
    recursively in sorted order, skipping hidden entries, symbolic links
    (reported) and obvious non-activity files (``.csv``, ``.json``, ``.jpg`` ...);
    zip archives (by content) are expanded in memory, see the module docstring.
    A loose file larger than ``max_file_bytes`` is refused before it is read.
    """
    hints = hints or SourceHints()
    for raw in paths:
        path = Path(raw)
        label = safe_label(raw)
        if path.is_dir():
            yield from _iter_dir(path, hints, max_file_bytes)
        elif path.exists():
            yield from _iter_file(path, label, hints, max_file_bytes)
        else:
            yield _refused(label, 0, None, hints, "no such file or folder")
