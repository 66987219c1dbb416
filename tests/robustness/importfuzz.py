"""Mutated files, loose and in zip wrappers, through the whole import (``import_paths``).

Used by tests/robustness/test_import_fuzz.py (a few hundred cases) and benchmarks/fuzz_bench.py
(10,000 and more). A case is one file written into a folder; cases go through the import in batches.
A *crash* is any exception that escapes ``import_paths`` (the batch would be lost); a bad file must
only ever be one line of the report.
"""

from __future__ import annotations

import gzip
import io
import random
import resource
import time
import warnings
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from runload.ingest import import_paths
from runload.store import Store

from .conftest import deadline, synthetic_bytes, two_session_fit

SHARED = Path(__file__).resolve().parents[3] / "shared" / "real-activities"
#: Real files up to this size join the seeds.
SEED_MAX_BYTES = 130_000
#: Wall-clock limit for one batch of cases [s].
BATCH_LIMIT_S = 120.0


def seeds() -> list[bytes]:
    """Genuine files: short synthetic FIT/GPX/TCX runs and the small shared real files."""
    out = [synthetic_bytes(i, fmt, km=1.0) for i, fmt in enumerate(("fit", "gpx", "tcx"))]
    out.append(synthetic_bytes(7, "fit", km=1.0, gz=True))
    out.append(two_session_fit(9))
    if SHARED.is_dir():
        for p in sorted(SHARED.iterdir()):
            if p.suffix.lower() not in (".md", ".csv") and p.stat().st_size <= SEED_MAX_BYTES:
                out.append(p.read_bytes())
    return out


def mutate(data: bytes, rng: random.Random) -> bytes:
    """One to four random edits: bit flips, overwritten runs, cuts, inserted or repeated chunks."""
    buf = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        if not buf:
            buf = bytearray(rng.randbytes(16))
        op = rng.randrange(6)
        at = rng.randrange(len(buf))
        if op == 0:
            buf[at] ^= 1 << rng.randrange(8)
        elif op == 1:
            n = rng.randint(1, 64)
            buf[at:at + n] = rng.randbytes(min(n, len(buf) - at))
        elif op == 2:
            del buf[at:]
        elif op == 3:
            buf[at:at] = rng.randbytes(rng.randint(1, 32))
        elif op == 4:
            n = rng.randint(1, 256)
            buf[at:at] = buf[at:at + n] * rng.randint(2, 20)
        else:
            buf[at] = rng.choice((0x00, 0xFF, 0x7F, 0x80))
    return bytes(buf)


_NAMES = ("a.fit", "run.gpx", "x/y/z.tcx", "", "\x00", "ü€.fit", "a\nb.fit", "\x1b[31m.fit", "../up.fit",
          "/abs.fit", "dir/", "activities.csv", "nested.zip", "C:evil.fit", "a" * 300)


def zip_wrap(payloads: list[bytes], rng: random.Random, depth: int = 0) -> bytes:
    """A zip of ``payloads`` with random compression methods and odd member names (maybe nested)."""
    buf = io.BytesIO()
    methods = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA)
    with zipfile.ZipFile(buf, "w") as zf, warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # duplicate member names are part of the test
        for i, payload in enumerate(payloads):
            name = rng.choice(_NAMES) if rng.random() < 0.3 else f"activities/{i}.{rng.choice(('fit', 'gpx', 'gz'))}"
            info = zipfile.ZipInfo(name or f"m{i}", date_time=(2026, 3, 2, 6, 0, 0))
            info.compress_type = rng.choice(methods)
            if depth < 2 and rng.random() < 0.15:
                payload = zip_wrap([payload], rng, depth + 1)
            zf.writestr(info, payload)
    data = buf.getvalue()
    if rng.random() < 0.2:  # a member header's name field cut to nothing or NUL (zipfile's IndexError)
        data = data.replace(b"activities/", b"\x00ctivities/", 1)
    return data


def make_case(seed_files: list[bytes], rng: random.Random) -> tuple[str, bytes]:
    """One fuzz file: a mutated seed, loose, gzipped, or in a zip that may itself be mutated."""
    kind = rng.random()
    pick = rng.choice(seed_files)
    if kind < 0.45:
        return "loose", mutate(pick, rng)
    if kind < 0.55:
        return "gzip", mutate(gzip.compress(pick), rng) if rng.random() < 0.7 else gzip.compress(mutate(pick, rng))
    members = [mutate(rng.choice(seed_files), rng) if rng.random() < 0.5 else rng.choice(seed_files)
               for _ in range(rng.randint(1, 3))]
    archive = zip_wrap(members, rng)
    if rng.random() < 0.7:  # damage the archive itself: headers, deflate/LZMA/bzip2 streams, directory
        archive = mutate(archive, rng)
    return "zip", archive


@dataclass
class FuzzResult:
    cases: int = 0
    crashes: list[tuple[str, str]] = field(default_factory=list)
    """(file, exception) for every case that made the import raise."""
    multi_line: list[tuple[str, str]] = field(default_factory=list)
    slowest_s: float = 0.0
    slowest: str = ""
    imported: int = 0
    skipped: int = 0
    kinds: dict = field(default_factory=dict)
    peak_rss_mb: float = 0.0
    seconds: float = 0.0


def run(root: Path, n: int, seed: int = 20260302, batch: int = 100) -> FuzzResult:
    """Write and import ``n`` cases under ``root`` (batches of ``batch`` files, jobs=1)."""
    rng = random.Random(seed)
    seed_files = seeds()
    result = FuzzResult()
    start = time.perf_counter()
    db = root / "fuzz.db"
    for b in range(0, n, batch):
        folder = root / f"batch{b:06d}"
        folder.mkdir(parents=True)
        for i in range(b, min(n, b + batch)):
            kind, data = make_case(seed_files, rng)
            result.kinds[kind] = result.kinds.get(kind, 0) + 1
            (folder / f"case{i:06d}.{kind}").write_bytes(data)
        result.cases += min(n, b + batch) - b
        ticks = [time.perf_counter()]
        labels: list[str] = []

        def progress(label: str) -> None:
            ticks.append(time.perf_counter())
            labels.append(label)

        try:
            with deadline(BATCH_LIMIT_S), Store.open(db) as store:
                report = import_paths(store, [folder], "fuzz", jobs=1, progress=progress)
        except BaseException as err:  # noqa: BLE001 - what the fuzzing is looking for
            if isinstance(err, (SystemExit,)):
                raise
            result.crashes.extend(_find_crashers(root, folder, err))
            continue
        finally:
            for i in range(1, len(ticks)):
                if ticks[i] - ticks[i - 1] > result.slowest_s:
                    result.slowest_s, result.slowest = ticks[i] - ticks[i - 1], labels[i - 1]
        result.imported += report.imported
        result.skipped += len(report.skipped)
        for label, reason in report.skipped:
            if not reason or "\n" in reason or "\r" in reason:
                result.multi_line.append((label, reason))
        for p in folder.iterdir():  # keep the disk use flat
            p.unlink()
        folder.rmdir()
    result.seconds = time.perf_counter() - start
    result.peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    return result


def _find_crashers(root: Path, folder: Path, err: BaseException) -> list[tuple[str, str]]:
    """The files of a crashed batch that crash an import on their own."""
    out = []
    for p in sorted(folder.iterdir()):
        try:
            with deadline(BATCH_LIMIT_S), Store.open(root / "single.db") as store:
                import_paths(store, [p], "single", jobs=1)
        except BaseException as one:  # noqa: BLE001
            out.append((p.name, f"{type(one).__name__}: {one}"[:300]))
    return out or [(folder.name, f"{type(err).__name__}: {err}"[:300])]
