"""Build a huge input and import it into a fresh store in this process; print peak RSS as one JSON line.

    python huge_inputs.py {gpx500k|fit50mb} WORKDIR
"""

from __future__ import annotations

import json
import resource
import sys
import time
from datetime import datetime, timezone
from pathlib import Path


def build(kind: str, path: Path) -> None:
    from runload_testing.synthetic import SyntheticRun, write_fit, write_gpx

    start = datetime(2026, 6, 27, 4, 0, tzinfo=timezone.utc)
    if kind == "gpx500k":
        # 500,000 track points: the synthetic writer samples whole seconds, so this "ultra" lasts 139 h
        # instead of 24 h; the point count (and ~120 MB of XML) is what stresses the importer.
        run = SyntheticRun(start, 500_000 * 1.6, 500_000 - 1, sample_interval_s=1, seed=1)
        path.write_bytes(write_gpx(run))
    elif kind == "fit50mb":
        n = 50 * 1024 * 1024 // 22  # ~22 bytes per record with GPS + HR
        run = SyntheticRun(start, n * 2.9, n, sample_interval_s=1, seed=2)
        path.write_bytes(write_fit(run))
    else:
        raise SystemExit(f"unknown kind {kind}")


def main(kind: str, workdir: str) -> None:
    work = Path(workdir)
    work.mkdir(parents=True, exist_ok=True)
    src = work / f"{kind}.{'gpx' if kind.startswith('gpx') else 'fit'}"
    if not src.exists():
        build(kind, src)
    for old in work.glob(f"{kind}.db*"):
        old.unlink()
    base_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    # the import in a fresh process; VmHWM (not ru_maxrss, which survives fork+exec) is its own peak
    import subprocess

    code = (
        "import json,resource,sys,time\n"
        "from runload.store import Store\nfrom runload.ingest import import_paths\n"
        "t=time.perf_counter()\n"
        f"s=Store.open({str(work / (kind + '.db'))!r})\n"
        f"r=import_paths(s,[{str(src)!r}],athlete='x',jobs=1)\n"
        "print(json.dumps({'seconds':time.perf_counter()-t,'imported':r.imported,'skipped':r.skipped,"
        "'distance_m':s.conn.execute('select distance_m from activities').fetchone(),"
        "'peak_mb':[int(l.split()[1]) for l in open('/proc/self/status') if l.startswith('VmHWM')][0]/1024}))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(proc.stderr[-3000:])
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    result.update(kind=kind, input_mb=src.stat().st_size / 2**20, builder_peak_mb=base_mb)
    print(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
