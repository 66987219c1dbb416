"""Import speed: bare decoders vs runload's importers vs a full import into a store.

Usage::

    python benchmarks/import_bench.py [FOLDER] [--repeat N]

FOLDER defaults to ``../shared/real-activities`` (relative to the repo). Prints
files/s and MB/s (MB of file bytes as stored) for

* bare fitparse parsing of the FIT files (all messages),
* bare fitfast parsing of the FIT files,
* gpxpy parsing of the GPX files,
* ``runload.importers.read_bytes`` per format,
* the full ``runload.ingest.import_paths`` into a fresh temporary SQLite store
  (single process and default worker count),

and the ratios against bare fitparse. The best of ``--repeat`` runs is kept
(except for fitparse, which is slow and run once).
"""

from __future__ import annotations

import argparse
import gzip
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))


def _load(folder: Path) -> dict[str, list[tuple[str, bytes, bytes]]]:
    """Files by format: (name, bytes as stored, decompressed bytes)."""
    from runload.importers import sniff

    groups: dict[str, list] = {"fit": [], "gpx": [], "tcx": [], "other": []}
    for path in sorted(folder.iterdir()):
        if not path.is_file() or path.suffix.lower() in (".md", ".csv"):
            continue
        raw = path.read_bytes()
        data = gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw
        kind = sniff(data.lstrip(b"\xef\xbb\xbf"))
        groups[kind if kind in groups else "other"].append((path.name, raw, data))
    return groups


def _time(fn, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def _line(label: str, n_files: int, n_bytes: int, seconds: float, base: float | None = None) -> None:
    ratio = f"{base / seconds:7.1f}x" if base else "        "
    print(f"{label:<44} {n_files:4d} files {seconds:8.3f} s {n_files / seconds:9.1f} files/s "
          f"{n_bytes / 1e6 / seconds:8.2f} MB/s {ratio}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", nargs="?", default=str(REPO.parent / "shared" / "real-activities"))
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement; the best is kept")
    args = parser.parse_args(argv)
    folder = Path(args.folder)
    if not folder.is_dir():
        print(f"no such folder: {folder}", file=sys.stderr)
        return 2

    import fitfast
    import fitparse
    import gpxpy

    from runload.errors import ImportFormatError
    from runload.importers import decoder_versions, read_bytes

    groups = _load(folder)
    fits, gpxs, tcxs = groups["fit"], groups["gpx"], groups["tcx"]
    all_files = fits + gpxs + tcxs + groups["other"]
    size = {k: sum(len(raw) for _n, raw, _d in v) for k, v in groups.items()}
    total_bytes = sum(size.values())
    print(f"folder: {folder}")
    print("versions: " + ", ".join(f"{k} {v}" for k, v in decoder_versions().items()))
    print(f"files: {len(fits)} FIT ({size['fit'] / 1e6:.2f} MB), {len(gpxs)} GPX, {len(tcxs)} TCX, "
          f"{len(groups['other'])} other; {total_bytes / 1e6:.2f} MB as stored\n")

    def bare_fitparse():
        for _name, _raw, data in fits:
            try:
                for _message in fitparse.FitFile(data, check_crc=False).get_messages():
                    pass
            except Exception:  # noqa: BLE001 - damaged files count up to the damage
                pass

    def bare_fitfast():
        for _name, _raw, data in fits:
            try:
                fitfast.parse(data)
            except Exception:  # noqa: BLE001
                pass

    def bare_gpxpy():
        for _name, _raw, data in gpxs:
            try:
                gpxpy.parse(data.decode("utf-8"))
            except Exception:  # noqa: BLE001
                pass

    def runload_read(files):
        def run():
            for _name, raw, _data in files:
                try:
                    read_bytes(raw)
                except ImportFormatError:
                    pass
        return run

    t_fitparse = _time(bare_fitparse, 1)
    _line("bare fitparse (all messages)", len(fits), size["fit"], t_fitparse)
    t_fitfast = _time(bare_fitfast, args.repeat)
    _line("bare fitfast.parse", len(fits), size["fit"], t_fitfast, t_fitparse)
    if gpxs:
        _line("bare gpxpy.parse", len(gpxs), size["gpx"], _time(bare_gpxpy, args.repeat))
    t_read_fit = _time(runload_read(fits), args.repeat)
    _line("runload read_bytes FIT", len(fits), size["fit"], t_read_fit, t_fitparse)
    if gpxs:
        _line("runload read_bytes GPX", len(gpxs), size["gpx"], _time(runload_read(gpxs), args.repeat))
    if tcxs:
        _line("runload read_bytes TCX", len(tcxs), size["tcx"], _time(runload_read(tcxs), args.repeat))
    _line("runload read_bytes all files", len(all_files), total_bytes, _time(runload_read(all_files), args.repeat))

    # Full import into a fresh store: FIT files only (vs bare fitparse), then the whole folder.
    try:
        from runload.ingest import import_paths
        from runload.store import Store
    except ImportError as exc:
        print(f"\nfull import skipped: runload.ingest / runload.store not available ({exc})")
        return 0

    def full_import(paths, jobs):
        best = float("inf")
        for _ in range(args.repeat):
            with tempfile.TemporaryDirectory() as tmp:
                store = Store.open(Path(tmp) / "bench.db")
                try:
                    start = time.perf_counter()
                    import_paths(store, paths, athlete="bench", jobs=jobs)
                    best = min(best, time.perf_counter() - start)
                finally:
                    store.close()
        return best

    try:
        fit_paths = [folder / name for name, _raw, _data in fits]
        print()
        t_full_fit_1 = full_import(fit_paths, 1)
        _line("full import, FIT files, 1 process", len(fits), size["fit"], t_full_fit_1, t_fitparse)
        t_full_fit = full_import(fit_paths, None)
        _line("full import, FIT files, default jobs", len(fits), size["fit"], t_full_fit, t_fitparse)
        t_full_all = full_import([folder], 1)
        _line("full import, whole folder, 1 process", len(all_files), total_bytes, t_full_all)
        t_full_all_jobs = full_import([folder], None)
        _line("full import, whole folder, default jobs", len(all_files), total_bytes, t_full_all_jobs)
        print(f"\nratio full import (FIT, 1 process) vs bare fitparse: {t_fitparse / t_full_fit_1:.1f}x "
              f"(criterion >= 20x: {'met' if t_fitparse / t_full_fit_1 >= 20 else 'NOT met'})")
    except Exception as exc:  # noqa: BLE001 - the lead's store/ingest may be mid-change
        print(f"\nfull import failed: {type(exc).__name__}: {exc}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
