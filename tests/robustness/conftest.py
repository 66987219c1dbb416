"""Helpers for the robustness tests: time-limited parsing, synthetic folders, CLI runs, peak RSS."""

from __future__ import annotations

import faulthandler
import os
import resource
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from runload.errors import ImportFormatError
from runload.importers import read_bytes
from runload_testing.synthetic import SyntheticRun, gzip_bytes, write_fit, write_gpx, write_tcx

REPO = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
RUNLOAD = str(Path(sys.executable).with_name("runload"))

#: Wall-clock limit for one fuzz case [s]. A real file of < 1 MB parses in < 0.5 s.
CASE_LIMIT_S = 10.0


class CaseTimeout(KeyboardInterrupt):
    """Raised by the alarm. A KeyboardInterrupt subclass so that read_bytes' catch-all does not swallow it."""


@contextmanager
def deadline(seconds: float):
    """Fail the case if it runs longer than ``seconds``.

    ``setitimer`` interrupts Python code; if a native decoder were stuck without
    returning to Python, ``faulthandler`` kills the whole run with a traceback
    after ``2 * seconds + 5`` s instead of hanging CI forever.
    """

    def _alarm(signum, frame):
        raise CaseTimeout(f"case took more than {seconds} s")

    old = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    faulthandler.dump_traceback_later(2 * seconds + 5, exit=True)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
        faulthandler.cancel_dump_traceback_later()


def check_read(data: bytes, limit_s: float = CASE_LIMIT_S):
    """Feed ``data`` to read_bytes: it must return Activities or raise ImportFormatError with a one-line reason.

    Returns the list of activities, or the ImportFormatError.
    """
    from runload.models import Activity

    start = time.perf_counter()
    with deadline(limit_s):
        try:
            result = read_bytes(data)
        except ImportFormatError as err:
            result = err
    took = time.perf_counter() - start
    assert took < limit_s, f"read_bytes took {took:.1f} s"
    if isinstance(result, ImportFormatError):
        reason = result.reason
        assert isinstance(reason, str) and reason.strip(), f"empty reason for {data[:40]!r}"
        assert "\n" not in reason and "\r" not in reason, f"multi-line reason {reason!r}"
        assert len(reason) < 400, f"overlong reason {reason[:100]!r}..."
        return result
    assert isinstance(result, list) and result, "read_bytes returned an empty/non-list result"
    for act in result:
        assert isinstance(act, Activity)
        assert act.start_utc.tzinfo is not None
    return result


def max_rss_mb() -> float:
    """Peak RSS of this process so far [MB] (Linux reports ru_maxrss in kB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


# ------------------------------------------------------------------ synthetic files

T0 = datetime(2026, 3, 2, 6, 0, tzinfo=timezone.utc)


def synthetic_run(i: int, km: float = 5.0, **kw) -> SyntheticRun:
    """Run number ``i``: one per day from T0, distinct starts so nothing deduplicates."""
    values = dict(
        start_utc=T0 + timedelta(days=i, minutes=(i * 7) % 50),
        distance_m=km * 1000 + 37 * i,
        moving_s=km * 330 + 11 * i,
        seed=i,
        sample_interval_s=5,
    )
    values.update(kw)
    return SyntheticRun(**values)


def synthetic_bytes(i: int, fmt: str, km: float = 5.0, gz: bool = False, **kw) -> bytes:
    run = synthetic_run(i, km, **kw)
    data = {"fit": write_fit, "gpx": write_gpx, "tcx": write_tcx}[fmt](run)
    return gzip_bytes(data) if gz else data


def two_session_fit(i: int) -> bytes:
    """A FIT file with two complete activities (two chained FIT segments: run + ride).

    Chained FIT files (one header per segment) are what multi-sport watches write;
    runload reads each session as its own Activity.
    """
    a = write_fit(synthetic_run(i, 4.0))
    b = write_fit(synthetic_run(i, 12.0, sport="cycling", start_utc=T0 + timedelta(days=i, hours=3)))
    return a + b


def make_folder(root: Path, n: int, *, start: int = 0, two_session_every: int = 0) -> dict[str, int]:
    """Write ``n`` synthetic files (FIT/GPX/TCX, some gzipped) under ``root``.

    Returns {file name: activities it holds}.
    """
    root.mkdir(parents=True, exist_ok=True)
    expected = {}
    fmts = ("fit", "gpx", "tcx")
    for k in range(start, start + n):
        if two_session_every and k % two_session_every == 0:
            name = f"a{k:05d}_multi.fit"
            (root / name).write_bytes(two_session_fit(k))
            expected[name] = 2
            continue
        fmt = fmts[k % 3]
        gz = k % 5 == 4
        name = f"a{k:05d}.{fmt}" + (".gz" if gz else "")
        (root / name).write_bytes(synthetic_bytes(k, fmt, gz=gz))
        expected[name] = 1
    return expected


# ------------------------------------------------------------------ CLI

def cli_env(db: Path, **extra) -> dict:
    env = dict(os.environ)
    env["RUNLOAD_DB"] = str(db)
    env.pop("RUNLOAD_DEBUG", None)
    env.update(extra)
    return env


def run_cli(args: list[str], db: Path, timeout: float = 120, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([RUNLOAD, *args], env=cli_env(db), capture_output=True, text=True, timeout=timeout, **kw)


@pytest.fixture
def fuzz_seed() -> int:
    return int(os.environ.get("RUNLOAD_FUZZ_SEED", "20260302"))
