"""Import files, folders and export archives into a store.

The work per file: list sources → skip files known from an earlier import
(same path, size and mtime; or same content hash) before parsing → parse (in
worker processes when there are many) → store each file in one transaction with
cross-source dedup → log the outcome. A bad file is skipped with a one-line
reason and the batch goes on.
"""

from __future__ import annotations

import gc
import hashlib
import os
import stat
import zipfile
import zlib
from collections import Counter, deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, Iterable

from runload.errors import ImportFormatError, NotAnActivity, RunloadError
from runload.importers import Source, SourceHints, iter_sources, read_bytes
from runload.importers.sources import MAX_FILE_BYTES, TOO_LARGE, _skip_name
from runload.models import Activity
from runload.safetext import safe_label
from runload.store import Store
from runload.workers import _executor, default_jobs, stop_pool  # noqa: F401  (also used by the commands)

if TYPE_CHECKING:
    from concurrent.futures import Executor

#: Below this many files to parse, worker processes cost more than they save.
PARALLEL_MIN_FILES = 8

#: Why a file is skipped when the process parsing it died (twice: once in the pool, once alone).
WORKER_DIED = ("the process reading this file died (out of memory or a crash in a decoder), "
               "also when retried alone; skipped")


@dataclass
class FileOutcome:
    """What happened to one source file."""

    label: str
    outcome: str
    """``imported``, ``duplicate``, ``skipped``, ``not_activity`` or ``known``."""
    reason: str | None = None
    activities: tuple[Activity, ...] = ()


@dataclass
class ImportReport:
    """The summary of one import run (what ``runload import`` prints).

    Counts equal what the store holds: an activity stored in place of a poorer copy is listed under
    ``replaced`` and counted once (as new only when that copy came in this same import).
    """

    athlete: str
    files: int = 0
    runs: int = 0
    other_sports: Counter = field(default_factory=Counter)
    duplicates: list[tuple[str, str]] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    """Files skipped in THIS import for the first time (they set exit code 3)."""
    recovered: list[tuple[str, str]] = field(default_factory=list)
    known: int = 0
    replaced: list[tuple[str, str]] = field(default_factory=list)
    known_skips: list[tuple[str, str]] = field(default_factory=list)
    """Files skipped by an earlier import for the same reason: listed only on request."""
    unknown_sport: list[tuple[str, int, str]] = field(default_factory=list)
    """(file, activity id, what it is) of activities stored with sport ``unknown`` (not counted as running)."""
    runs_without_distance: list[tuple[str, int, str]] = field(default_factory=list)
    """(file, activity id, what it is) of runs kept without a distance (time and heart rate only)."""
    activity_files: int = 0
    """Sources that are FIT, GPX or TCX files (or were, in an earlier import), whatever became of them."""
    new_ids: dict = field(default_factory=dict)
    """id -> sport of every activity newly stored by this import (its final sport after replacements)."""

    @property
    def imported(self) -> int:
        """Activities newly stored (runs and other sports)."""
        return self.runs + sum(self.other_sports.values())

    def tally(self) -> None:
        """Recount ``runs`` and ``other_sports`` from the ids this import stored."""
        self.runs = sum(1 for sport in self.new_ids.values() if sport == "running")
        self.other_sports = Counter(sport for sport in self.new_ids.values() if sport != "running")

    @property
    def nothing_new(self) -> bool:
        """True when this import changed nothing and has nothing new to say."""
        return not (self.imported or self.replaced or self.duplicates or self.skipped or self.recovered
                    or self.unknown_sport or self.runs_without_distance)

    def counts(self) -> dict:
        return {
            "imported": self.imported,
            "duplicates": len(self.duplicates),
            "other_sports": sum(self.other_sports.values()),
            "skipped": len(self.skipped),
            "known": self.known + len(self.known_skips),
        }

    def to_json(self) -> dict:
        return {
            "athlete": self.athlete,
            "files": self.files,
            "imported": self.imported,
            "runs": self.runs,
            "other_sports": dict(sorted(self.other_sports.items())),
            "duplicates": [{"file": f, "duplicate_of": d} for f, d in self.duplicates],
            "replaced": [{"file": f, "replaced": d} for f, d in self.replaced],
            "recovered": [{"file": f, "note": r} for f, r in self.recovered],
            "sport_unknown": [{"file": f, "id": i, "activity": w} for f, i, w in self.unknown_sport],
            "runs_without_distance": [{"file": f, "id": i, "activity": w} for f, i, w in self.runs_without_distance],
            "skipped": [{"file": f, "reason": r} for f, r in self.skipped],
            "skipped_before": [{"file": f, "reason": r} for f, r in self.known_skips],
            "unchanged": self.known,
        }


#: Skip reasons that mean "this is not a FIT, GPX or TCX file at all" (vs a damaged or odd one).
_NOT_ACTIVITY_FORMAT = ("not a FIT, GPX or TCX file", "empty file")


def _is_activity_format(reason: str | None) -> bool:
    return not (reason or "").startswith(_NOT_ACTIVITY_FORMAT)


def _describe(act: Activity) -> str:
    dist = f"{act.distance_m / 1000:.2f} km" if act.distance_m else "no distance"
    minutes = (act.moving_s or act.elapsed_s or 0) / 60
    return f"{act.start_utc:%Y-%m-%d %H:%M} UTC, {dist}, {minutes:.0f} min"


def _parse(data: bytes, hints: SourceHints) -> tuple[list[Activity] | None, str | None, bool]:
    """Worker: parse one file's bytes. Never raises."""
    try:
        return read_bytes(data, hints), None, False
    except NotAnActivity as err:
        return None, err.reason, True
    except ImportFormatError as err:
        return None, err.reason, False
    except RecursionError:
        return None, "the file is nested too deeply to read", False
    except MemoryError:
        return None, "the file is too large to read in the memory available", False
    except Exception as err:  # noqa: BLE001 - a per-file boundary: one bad file must not stop the batch
        return None, f"could not be read ({type(err).__name__}: {err})", False


def import_paths(
    store: Store,
    paths: Iterable[str | os.PathLike],
    athlete: str = "me",
    *,
    tz: str | None = None,
    shoe: str | None = None,
    jobs: int | None = None,
    progress: Callable[[str], None] | None = None,
    max_file_bytes: int = MAX_FILE_BYTES,
) -> ImportReport:
    """Import ``paths`` (files, folders, archives) for ``athlete``.

    Parameters
    ----------
    store : Store
        An open, writable store.
    paths : iterable of path
        Files (FIT/GPX/TCX, plain or gzip), folders (recursive) and zip exports.
    athlete : str
        Created on first use; ``tz`` (IANA zone) is stored with it.
    shoe : str, optional
        Shoe for every run in this import (created if new).
    jobs : int, optional
        Worker processes for parsing (default: all cores; 1 = in this process).
    progress : callable, optional
        Called with each file's label as it is handled.
    max_file_bytes : int
        A loose file larger than this is refused before it is read [bytes].
    """
    paths = [os.fspath(p) for p in paths]
    for p in paths:
        if not os.path.exists(p):
            raise RunloadError(f"{safe_label(p)}: no such file or folder")
    athlete_id = store.athlete_id(athlete, create=True, tz=tz)
    tz = tz or store.athlete_tz(athlete)
    report = ImportReport(athlete=athlete)
    import_id = store.begin_import(athlete_id, paths)
    jobs = default_jobs() if jobs is None else max(1, int(jobs))

    batch = _Batch(store, athlete_id, import_id, report, shoe, jobs, progress)
    try:
        _import_sources(store, paths, tz, athlete_id, import_id, report, progress, batch, max_file_bytes)
        batch.flush()
    except BaseException:
        batch.close(kill=True)  # Ctrl-C, SIGTERM, SIGHUP, a store error: workers end now
        raise
    batch.close()
    report.tally()  # once: recounting after every file cost O(files x activities)
    store.finish_import(import_id, report.counts())
    return report


def count_files(paths: Iterable[str | os.PathLike], limit: int = 200_000) -> int | None:
    """How many files an import of ``paths`` will handle, for a progress bar.

    Counts files in folders without reading them; None when an archive is
    involved (its members are only known while it is read) or past ``limit``.
    """
    total = 0
    stack = [os.fspath(p) for p in paths]
    while stack:
        path = stack.pop()
        if os.path.isdir(path) and not os.path.islink(path):
            try:
                with os.scandir(path) as entries:
                    for entry in entries:
                        if not _skip_name(entry.name):  # the same rule as iter_sources
                            stack.append(entry.path)
            except OSError:
                total += 1
            continue
        try:
            if stat.S_ISREG(os.stat(path).st_mode):  # never open a FIFO or a device
                with open(path, "rb") as fh:
                    if fh.read(4) == b"PK\x03\x04":
                        return None
        except OSError:
            pass
        total += 1
        if total > limit:
            return None
    return total


def _read_error_reason(err: Exception) -> str:
    """One line saying why a source's bytes could not be read (file error, damaged archive member...)."""
    if isinstance(err, ImportFormatError):
        return err.reason
    if isinstance(err, OSError):
        return f"cannot be read ({err.strerror or err})"
    if isinstance(err, MemoryError):
        return "the file is too large to read in the memory available"
    text = " ".join(str(err).split())[:160]
    if isinstance(err, (zipfile.BadZipFile, zlib.error, EOFError)):
        return f"damaged archive member ({text or type(err).__name__}); refused"
    return f"cannot be read ({type(err).__name__}{': ' + text if text else ''})"


def _import_sources(store, paths, tz, athlete_id, import_id, report, progress, batch,
                    max_file_bytes: int = MAX_FILE_BYTES) -> None:
    """Walk the sources: refuse, skip known files before reading or parsing, queue the rest."""
    for source in iter_sources(paths, SourceHints(tz=tz), max_file_bytes=max_file_bytes):
        report.files += 1
        if source.error:
            report.activity_files += 1
            if store.known_skip(athlete_id, source.label, source.error):
                report.known_skips.append((source.label, source.error))
            else:
                report.skipped.append((source.label, source.error))
                # a file refused for its size is looked at again next time (the limit may be raised)
                size = None if source.error.startswith(TOO_LARGE) else source.size
                store.log_file(athlete_id, import_id, source.label, size, source.mtime, None,
                               "skipped", source.error)
            _tick(progress, source.label)
            continue
        known = store.known_file(athlete_id, source.label, source.size, source.mtime)
        if known is not None and known[0] in ("imported", "duplicate", "known", "not_activity", "skipped"):
            _count_known(report, source.label, known[0], known[1])
            _tick(progress, source.label)
            continue
        try:
            data = source.read()
        except Exception as err:  # noqa: BLE001 - per-file boundary: a bad CRC / broken deflate in one zip member
            reason = _read_error_reason(err)
            report.activity_files += 1
            if store.known_skip(athlete_id, source.label, reason):
                report.known_skips.append((source.label, reason))
            else:
                report.skipped.append((source.label, reason))
                store.log_file(athlete_id, import_id, source.label, source.size, source.mtime, None, "skipped",
                               reason)
            _tick(progress, source.label)
            continue
        digest = hashlib.sha256(data).hexdigest()
        known = store.known_hash(athlete_id, digest)
        if known is not None:
            # same content seen before under this or another name: log the new name, do not parse again
            store.log_file(athlete_id, import_id, source.label, source.size, source.mtime, digest,
                           "known" if known[0] != "skipped" else "skipped", known[1])
            _count_known(report, source.label, known[0], known[1])
            _tick(progress, source.label)
            continue
        batch.add(source, data, digest)


def _count_known(report: ImportReport, label: str, outcome: str, reason: str | None) -> None:
    """A file handled by an earlier import: counted, and a skip remembered (not reported again)."""
    if outcome == "skipped":
        report.known_skips.append((label, reason or "skipped before"))
    else:
        report.known += 1
    if outcome != "skipped" or _is_activity_format(reason):
        report.activity_files += 1


def _tick(progress, label) -> None:
    if progress is not None:
        progress(label)


#: A batch is parsed when it holds this many files or bytes (bounds the memory of big imports).
BATCH_FILES = 256
BATCH_BYTES = 256 * 1024 * 1024


#: Files parsed in this process are stored this many under one commit, each whole in a savepoint of its
#: own (:meth:`runload.store.Store.batch`): a crash loses at most these, never half of one.
COMMIT_FILES = 16

#: Marks a file to be parsed in a process of its own.
_ALONE = object()


class _Batch:
    """Files read and hashed, parsed (here or in worker processes) and stored in order, a batch at a time.

    With one job each file is parsed as soon as it is read and its bytes are let go; the batch's results
    are stored together when it is full. Parsing and storing no longer take turns file by file (measured
    on 280 FIT files: the whole import 5-7 % faster, likely because their working sets stop alternating
    in the CPU caches), and the memory of one file's bytes is reused for the next (peak 78 -> 55 MB,
    a third fewer page faults). With more jobs, the bytes wait in the batch for the worker pool.
    """

    def __init__(self, store, athlete_id, import_id, report, shoe, jobs, progress):
        self.store, self.athlete_id, self.import_id = store, athlete_id, import_id
        self.report, self.shoe, self.jobs, self.progress = report, shoe, jobs, progress
        self.items: list[tuple[Source, bytes, str]] = []  # read, waiting for the pool
        self.parsed: list[tuple[Source, str, tuple]] = []  # parsed here, waiting to be stored
        self.nbytes = 0
        self.pool: Executor | None = None
        self.collector = _CollectorPause()

    def add(self, source: Source, data: bytes, digest: str) -> None:
        if self.jobs == 1:
            self._parse_here(source, data, digest)
            if len(self.parsed) >= BATCH_FILES:
                self.flush()
            return
        self.items.append((source, data, digest))
        self.nbytes += len(data)
        if len(self.items) >= BATCH_FILES or self.nbytes >= BATCH_BYTES:
            self.flush()

    def _parse_here(self, source: Source, data: bytes, digest: str) -> None:
        self.collector.pause()
        self.parsed.append((source, digest, _parse(data, source.hints)))
        _tick(self.progress, source.label)

    def flush(self) -> None:
        items, self.items, self.nbytes = self.items, [], 0
        if self.jobs > 1 and (len(items) >= PARALLEL_MIN_FILES or self.pool is not None):
            window: deque = deque()
            for item in items:
                window.append((item, self._submit(item, window)))
                if len(window) >= self.jobs * 4:
                    self._store(*window.popleft())
            while window:
                self._store(*window.popleft())
        else:
            for source, data, digest in items:  # too few for the pool: parsed here
                self._parse_here(source, data, digest)
        del items
        parsed, self.parsed = self.parsed, []
        try:
            for start in range(0, len(parsed), COMMIT_FILES):
                with self.store.batch():  # each file whole on its own (a savepoint), one commit for several
                    for source, digest, result in parsed[start : start + COMMIT_FILES]:
                        _store_one(self.store, self.athlete_id, self.import_id, source, digest, result,
                                   self.report, self.shoe)
        finally:
            del parsed  # freed by reference counting, before any collection looks at them
            self.collector.resume()

    def _submit(self, item, window: deque):
        """Queue ``item`` in the pool; a pool found broken is drained and replaced first."""
        from concurrent.futures.process import BrokenProcessPool

        for _ in range(2):
            if self.pool is None:
                self.pool = _executor(self.jobs)
            try:
                future = self.pool.submit(_parse, item[1], item[0].hints)
                future.runload_pool = self.pool  # type: ignore[attr-defined]
                return future
            except BrokenProcessPool:
                while window:  # their futures fail too: each is retried alone
                    self._store(*window.popleft())
                self._drop_pool()
        return _ALONE  # pragma: no cover - a fresh pool refused work

    def _parsed(self, item, future):
        if future is _ALONE:
            return self._alone(item)
        from concurrent.futures.process import BrokenProcessPool

        try:
            return future.result()
        except BrokenProcessPool:
            # a worker died (OOM killer, a crash in a native decoder): which file killed it is
            # unknown, so every file whose result was lost is parsed again, each in a process of its own
            if getattr(future, "runload_pool", None) is self.pool:  # not a fresh pool made since
                self._drop_pool()
            return self._alone(item)

    def _alone(self, item):
        """Parse one file in a pool of its own: if it kills that worker too, it is skipped with a reason."""
        from concurrent.futures.process import BrokenProcessPool

        pool = _executor(1)
        try:
            return pool.submit(_parse, item[1], item[0].hints).result()
        except BrokenProcessPool:
            return None, WORKER_DIED, False
        finally:
            stop_pool(pool)

    def _drop_pool(self) -> None:
        if self.pool is not None:
            stop_pool(self.pool, kill=True)
            self.pool = None

    def _store(self, item, future) -> None:
        src, data, digest = item
        parsed = self._parsed(item, future)
        _store_one(self.store, self.athlete_id, self.import_id, src, digest, parsed, self.report, self.shoe)
        _tick(self.progress, src.label)

    def close(self, kill: bool = False) -> None:
        self.collector.resume()
        if self.pool is not None:
            pool, self.pool = self.pool, None
            stop_pool(pool, kill=kill)


class _CollectorPause:
    """The cycle collector paused (as :mod:`timeit` does) while a batch is parsed and stored, then resumed.

    A batch makes many short-lived objects (a decoder's dicts, NumPy arrays, activities) and almost no
    cycles: reference counting frees them when the batch is done, so no collection need walk them, nor
    every long-lived object of the process with them (measured on the 280-file FIT import: 38 collections
    took 10 ms, one of them 3.6 ms, after the parse). A caller's own choice (collector off) is kept.
    """

    def __init__(self):
        self.paused = False
        self.was_enabled = False

    def pause(self) -> None:
        if not self.paused:
            self.paused, self.was_enabled = True, gc.isenabled()
            gc.disable()

    def resume(self) -> None:
        if self.paused:
            self.paused = False
            if self.was_enabled:
                gc.enable()


def _store_one(store, athlete_id, import_id, src: Source, digest: str, parsed, report: ImportReport, shoe) -> None:
    activities, reason, not_activity = parsed
    if activities is None:
        outcome = "not_activity" if not_activity else "skipped"
        if not_activity or _is_activity_format(reason):
            report.activity_files += 1
        report.skipped.append((src.label, reason))
        store.log_file(athlete_id, import_id, src.label, src.size, src.mtime, digest, outcome, reason)
        return
    report.activity_files += 1
    result = store.add_file(
        athlete_id, activities, source_path=src.label, content_hash=digest, size=src.size, mtime=src.mtime,
        import_id=import_id, shoe=shoe,
    )
    for _act, ref in result.duplicates:
        report.duplicates.append((src.label, ref.describe()))
    for _act, ref in result.replaced:
        report.replaced.append((src.label, ref.describe()))
    added = set(result.added)
    for act, aid in zip(result.stored, result.stored_ids or (None,) * len(result.stored)):
        if aid in added or aid in report.new_ids:
            report.new_ids[aid] = act.sport
        # a replacement supersedes what this import said about the record it replaced
        report.unknown_sport[:] = [u for u in report.unknown_sport if u[1] != aid]
        report.runs_without_distance[:] = [u for u in report.runs_without_distance if u[1] != aid]
        if act.sport == "unknown":
            report.unknown_sport.append((src.label, aid, _describe(act)))
        elif act.is_run and not act.distance_m:
            report.runs_without_distance.append((src.label, aid, _describe(act)))
        if act.recovered:
            report.recovered.append((src.label, act.recovered))
    if not result.stored and not result.duplicates:
        report.known += 1
