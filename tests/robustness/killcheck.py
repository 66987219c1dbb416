"""Kill a real ``runload import`` while its worker pool runs, then see what it leaves behind.

Used by tests/robustness/test_signals.py and benchmarks/robustness_bench.py.
"""

from __future__ import annotations

import os
import select
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path


def children(pid: int) -> list[int]:
    """Pids whose parent is ``pid`` (from /proc)."""
    out = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as fh:
                stat = fh.read()
        except OSError:
            continue
        # the command name (field 2) may hold spaces: the fields after its closing ')' are fixed
        fields = stat[stat.rindex(b")") + 2:].split()
        if int(fields[1]) == pid:
            out.append(int(entry))
    return out


def alive(pid: int) -> bool:
    """True while ``pid`` exists and is not a zombie."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            stat = fh.read()
    except OSError:
        return False
    return stat[stat.rindex(b")") + 2:].split()[0] != b"Z"


@dataclass
class KillResult:
    signum: int
    workers: list[int]
    """Worker pids seen before the kill."""
    left: list[int]
    """Workers still alive 5 s after the kill."""
    eof_s: float | None
    """Seconds until a reader of the command's stdout and stderr saw end-of-file (None: not within 5 s)."""
    returncode: int | None
    stderr: str


def kill_import(runload: str, folder: Path, db: Path, signum: int, env: dict, *, jobs: int = 2,
                wait_s: float = 5.0) -> KillResult:
    """Start ``runload import FOLDER --jobs N``, wait until its pool has workers, send ``signum``.

    The import must still be running when its workers appear (make the folder big enough).
    Whatever happens, every process started here is ended before returning.
    """
    proc = subprocess.Popen([runload, "import", str(folder), "--athlete", "kill", "--jobs", str(jobs)],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    workers: list[int] = []
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and proc.poll() is None:
            workers = children(proc.pid)
            if len(workers) >= jobs:
                break
            time.sleep(0.01)
        if proc.poll() is not None:
            raise AssertionError(f"the import ended before its pool ran (exit {proc.returncode})")
        time.sleep(0.15)  # let the workers get files in hand
        workers = sorted(set(workers) | set(children(proc.pid)))
        os.kill(proc.pid, signum)
        start = time.monotonic()
        eof_s, err = _read_to_eof(proc, start + wait_s)
        if eof_s is not None:
            eof_s -= start
        returncode = proc.wait(timeout=max(0.1, start + wait_s - time.monotonic() + 5))
        while time.monotonic() < start + wait_s and any(alive(p) for p in workers):
            time.sleep(0.05)
        left = [p for p in workers if alive(p)]
        return KillResult(signum, workers, left, eof_s, returncode, err.decode("utf-8", "replace"))
    finally:
        for pid in [proc.pid, *workers]:
            if alive(pid):
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        proc.wait(timeout=10)
        for stream in (proc.stdout, proc.stderr):
            stream.close()


def _read_to_eof(proc: subprocess.Popen, deadline: float) -> tuple[float | None, bytes]:
    """Read stdout and stderr until both are at end-of-file or ``deadline`` passes."""
    open_fds = {proc.stdout.fileno(): proc.stdout, proc.stderr.fileno(): proc.stderr}
    err = b""
    while open_fds:
        left = deadline - time.monotonic()
        if left <= 0:
            return None, err
        ready, _, _ = select.select(list(open_fds), [], [], left)
        for fd in ready:
            chunk = os.read(fd, 65536)
            if not chunk:
                del open_fds[fd]
            elif fd == proc.stderr.fileno():
                err += chunk
    return time.monotonic(), err
