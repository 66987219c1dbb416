"""GPX and TCX import speed and memory, each side timed the same way (whole processes).

Usage::

    python benchmarks/xml_bench.py [--files 300] [--repeat 1] [--workdir DIR] [--memory] [--ten-million]

Writes ``--files`` generated 10 km runs with one point a second as GPX and as
TCX (``runload_testing.synthetic``; about 0.75 MB and 1.15 MB each), then runs every
side as its own process over the same files and prints MB/s (file bytes) and
the ratios:

* ``gpxpy``: ``gpxpy.parse(text).length_2d()`` of each GPX file (bare gpxpy);
* ``etree``: ``xml.etree.ElementTree.parse(path)`` of each file;
* ``runload read``: ``runload.importers.read_path`` of each file (parse only);
* ``runload import``: ``runload import FOLDER --jobs 1 --quiet`` into a fresh store
  (the whole command: start-up, reading, hashing, parsing, storing).

Each side is a fresh process timed from outside with ``time.perf_counter``;
with ``--repeat N`` every side runs N times and the fastest run is kept.
Peak RSS [MB] of each process comes from ``os.wait4``.

``--memory`` adds the peak RSS of the format's reader (``read_gpx``/``read_tcx`` of the
file's bytes) and of ``runload import --jobs 1``
on a 2-million-point GPX (188 MB: position, elevation and time per point) and
a 200 MB TCX (time, position, altitude, distance and heart rate per
trackpoint, 300 per lap), written point by point so that the writer stays small; ``--ten-million`` adds a
10-million-point GPX (about 0.95 GB; the file's bytes are held once, so the
figure to read is the peak minus the file size).
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
ENV = dict(os.environ, PYTHONPATH=str(REPO / "src") + os.pathsep + os.environ.get("PYTHONPATH", ""))

SIDES = {
    "gpxpy": (
        "import sys, gpxpy\n"
        "for p in sys.argv[1:]:\n"
        "    with open(p, encoding='utf-8') as f: gpxpy.parse(f.read()).length_2d()\n"
    ),
    "etree": (
        "import sys, xml.etree.ElementTree as ET\n"
        "for p in sys.argv[1:]: ET.parse(p)\n"
    ),
    "runload read": (
        "import sys\n"
        "from runload.importers import read_path\n"
        "for p in sys.argv[1:]: read_path(p)\n"
    ),
}


def _run(argv: list[str]) -> tuple[float, float]:
    """Run a process; return (wall seconds, peak RSS MB)."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _pid, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode(errors="replace")
    proc.stderr.close()
    if proc.returncode not in (0, 3):
        raise SystemExit(f"{argv[:4]} failed ({proc.returncode}): {err[-500:]}")
    return seconds, usage.ru_maxrss / 1024


def _side(name: str, files: list[Path]) -> list[str]:
    return [PYTHON, "-c", SIDES[name], *map(str, files)]


def _import(folder: Path, db: Path) -> list[str]:
    if db.exists():
        db.unlink()
    for extra in (db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")):
        if extra.exists():
            extra.unlink()
    return [PYTHON, "-m", "runload", "--db", str(db), "import", str(folder), "--athlete", "bench",
            "--jobs", "1", "--quiet"]


def _best(argv_fn, repeat: int) -> tuple[float, float]:
    best, peak = math.inf, 0.0
    for _ in range(repeat):
        seconds, rss = _run(argv_fn())
        if seconds < best:
            best, peak = seconds, rss
    return best, peak


def _write_runs(workdir: Path, n: int) -> tuple[Path, Path]:
    from runload_testing.synthetic import SyntheticRun, write_gpx, write_tcx

    gpx_dir, tcx_dir = workdir / "gpx", workdir / "tcx"
    gpx_dir.mkdir(exist_ok=True)
    tcx_dir.mkdir(exist_ok=True)
    if len(list(gpx_dir.iterdir())) == n and len(list(tcx_dir.iterdir())) == n:
        return gpx_dir, tcx_dir
    start = datetime(2025, 1, 6, 6, 30, tzinfo=timezone.utc)
    for i in range(n):
        run = SyntheticRun(start + timedelta(days=i), 10_000.0, 2700 + (i % 7) * 60, sample_interval_s=1, seed=i)
        (gpx_dir / f"run{i:04d}.gpx").write_bytes(write_gpx(run))
        (tcx_dir / f"run{i:04d}.tcx").write_bytes(write_tcx(run))
    return gpx_dir, tcx_dir


def _write_big_gpx(path: Path, n_points: int) -> None:
    """``n_points`` points of ``lat``/``lon``, ``<ele>`` and ``<time>`` (about 94 bytes each: 2 million = 188 MB)."""
    start = datetime(2024, 5, 1, 6, 0, 0, tzinfo=timezone.utc)
    with open(path, "w", encoding="utf-8") as out:
        out.write(
            '<?xml version="1.0" encoding="UTF-8"?>\n<gpx creator="runload bench" version="1.1" '
            'xmlns="http://www.topografix.com/GPX/1/1">\n'
            "<trk><name>Long run</name><type>running</type><trkseg>\n"
        )
        for i in range(n_points):
            angle = i / 600.0
            t = start + timedelta(seconds=i)
            out.write(
                f'<trkpt lat="{48.0 + 0.01 * math.sin(angle):.7f}" lon="{11.0 + 0.015 * math.cos(angle):.7f}">'
                f"<ele>{500 + 20 * math.sin(i / 300.0):.1f}</ele><time>{t:%Y-%m-%dT%H:%M:%SZ}</time></trkpt>\n"
            )
        out.write("</trkseg></trk></gpx>\n")


def _write_big_tcx(path: Path, target_bytes: int) -> None:
    start = datetime(2024, 5, 1, 6, 0, 0, tzinfo=timezone.utc)
    with open(path, "w", encoding="utf-8") as out:
        out.write(
            '<?xml version="1.0" encoding="UTF-8"?>\n<TrainingCenterDatabase '
            'xmlns="http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2">\n<Activities>\n'
            f'<Activity Sport="Running"><Id>{start:%Y-%m-%dT%H:%M:%SZ}</Id>\n'
        )
        i = lap = 0
        while out.tell() < target_bytes:
            lap_start = start + timedelta(seconds=i)
            out.write(f'<Lap StartTime="{lap_start:%Y-%m-%dT%H:%M:%SZ}"><TotalTimeSeconds>300</TotalTimeSeconds>'
                      f"<DistanceMeters>1000</DistanceMeters><Track>\n")
            for _ in range(300):
                t = start + timedelta(seconds=i)
                out.write(
                    f"<Trackpoint><Time>{t:%Y-%m-%dT%H:%M:%S.000Z}</Time><Position>"
                    f"<LatitudeDegrees>{48.0 + 0.01 * math.sin(i / 600):.7f}</LatitudeDegrees>"
                    f"<LongitudeDegrees>{11.0 + 0.015 * math.cos(i / 600):.7f}</LongitudeDegrees></Position>"
                    f"<AltitudeMeters>{500 + 20 * math.sin(i / 300.0):.1f}</AltitudeMeters>"
                    f"<DistanceMeters>{i * 3.333:.2f}</DistanceMeters>"
                    f"<HeartRateBpm><Value>{120 + (i // 60) % 50}</Value></HeartRateBpm></Trackpoint>\n"
                )
                i += 1
            out.write("</Track></Lap>\n")
            lap += 1
        out.write("<Creator><Name>bench</Name></Creator></Activity>\n</Activities>\n</TrainingCenterDatabase>\n")


def _size_mb(paths) -> float:
    return sum(p.stat().st_size for p in paths) / 1e6


def _speed(workdir: Path, n: int, repeat: int) -> None:
    gpx_dir, tcx_dir = _write_runs(workdir, n)
    for fmt, folder in (("GPX", gpx_dir), ("TCX", tcx_dir)):
        files = sorted(folder.iterdir())
        mb = _size_mb(files)
        sides = ["gpxpy", "etree"] if fmt == "GPX" else ["etree"]
        results = {}
        for side in sides + ["runload read"]:
            results[side] = _best(lambda side=side: _side(side, files), repeat)
        results["runload import"] = _best(lambda: _import(folder, workdir / f"{fmt}.db"), repeat)
        print(f"\n{fmt}: {len(files)} files, {mb:.1f} MB (best of {repeat}, whole processes)")
        print(f"{'side':<16} {'seconds':>8} {'MB/s':>8} {'peak MB':>8}   import vs side")
        imp = results["runload import"][0]
        for side, (seconds, rss) in results.items():
            ratio = f"{seconds / imp:6.2f}x" if side != "runload import" else ""
            print(f"{side:<16} {seconds:8.2f} {mb / seconds:8.1f} {rss:8.0f}   {ratio}")


#: The format's reader alone on the file's bytes: ``read_path`` also checks plausibility, and refuses
#: these files (one "activity" of 2 million seconds), which would stop the measurement.
_READER = (
    "import sys\n"
    "from runload.importers.gpx import read_gpx\n"
    "from runload.importers.tcx import read_tcx\n"
    "p = sys.argv[1]\n"
    "data = open(p, 'rb').read()\n"
    "(read_gpx if p.endswith('.gpx') else read_tcx)(data)\n"
)


def _memory(workdir: Path, ten_million: bool) -> None:
    cases = [("2-million-point GPX", workdir / "big2m.gpx", lambda p: _write_big_gpx(p, 2_000_000)),
             ("200 MB TCX", workdir / "big200.tcx", lambda p: _write_big_tcx(p, 200 * 1024 * 1024))]
    if ten_million:
        cases.append(("10-million-point GPX", workdir / "big10m.gpx", lambda p: _write_big_gpx(p, 10_000_000)))
    print("\nPeak RSS of one big file (fresh process each)")
    print(f"{'file':<22} {'MB':>7} {'read s':>7} {'read peak':>10} {'import s':>9} {'import peak':>12}")
    for label, path, write in cases:
        if not path.exists():
            write(path)
        folder = workdir / f"only-{path.stem}"
        folder.mkdir(exist_ok=True)
        link = folder / path.name
        if not link.exists():
            os.link(path, link)
        read_s, read_rss = _run([PYTHON, "-c", _READER, str(path)])
        imp_s, imp_rss = _run(_import(folder, workdir / f"{path.stem}.db"))
        print(f"{label:<22} {path.stat().st_size / 1e6:7.0f} {read_s:7.1f} {read_rss:9.0f}M {imp_s:9.1f} "
              f"{imp_rss:11.0f}M")


def main(argv=None) -> int:
    from _bytecode import compile_sources

    compile_sources()  # time runload as an installed program (see _bytecode.py)
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=300, help="generated 10 km runs per format")
    parser.add_argument("--repeat", type=int, default=1, help="runs per side; the fastest is kept")
    parser.add_argument("--workdir", help="keep the generated files here (default: a temporary folder)")
    parser.add_argument("--memory", action="store_true", help="also the 2-million-point GPX and 200 MB TCX")
    parser.add_argument("--ten-million", action="store_true", help="also a 10-million-point GPX (~0.95 GB)")
    parser.add_argument("--no-speed", action="store_true", help="skip the speed comparison")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(REPO / "src"))
    workdir = Path(args.workdir) if args.workdir else Path(tempfile.mkdtemp(prefix="xml_bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        if not args.no_speed:
            _speed(workdir, args.files, args.repeat)
        if args.memory or args.ten_million:
            _memory(workdir, args.ten_million)
    finally:
        if not args.workdir:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
