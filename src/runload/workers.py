"""Worker processes that end with their parent: the one pool behind ``import --jobs``, ``check --all``
and the team report.

Whatever ends the parent (Ctrl-C, SIGTERM, SIGHUP, SIGKILL), its workers end with it and hold none of its
output streams (see :func:`_worker_init`). multiprocessing and concurrent.futures load only when a pool is
made: a command that works in one process (``import --jobs 1``, ``check`` for a few athletes) does not pay
their ~15 ms import.
"""

from __future__ import annotations

import os
import signal
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from concurrent.futures import Executor


def default_jobs() -> int:
    return max(1, os.cpu_count() or 1)


#: prctl(2) option: the signal the kernel sends this process when its parent dies (Linux).
_PR_SET_PDEATHSIG = 1
#: How often a worker checks that its parent is still alive [s] (where prctl is missing).
PARENT_CHECK_S = 0.5


def _watch_parent(parent_pid: int) -> None:
    while True:
        time.sleep(PARENT_CHECK_S)
        if os.getppid() != parent_pid:
            os._exit(1)


def _worker_init(parent_pid: int) -> None:
    """Run once in each worker: end with the parent, whatever kills it, and hold none of its streams.

    * ``prctl(PR_SET_PDEATHSIG, SIGKILL)``: the kernel kills the worker when the parent dies
      (also by SIGKILL); a thread that polls the parent pid covers systems without prctl;
    * stdin, stdout and stderr point to /dev/null, so a pipe reading the command's output sees
      end-of-file as soon as the command itself is gone;
    * SIGTERM and SIGHUP get their default action back (a forked worker inherits the CLI's
      handlers); SIGINT (Ctrl-C reaches the whole process group) is ignored: the parent
      stops the pool.
    """
    import ctypes
    import threading

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):  # pragma: no cover - not Linux
        pass
    if os.getppid() != parent_pid:  # the parent died before prctl took effect
        os._exit(1)
    threading.Thread(target=_watch_parent, args=(parent_pid,), daemon=True).start()
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        null = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(null, fd)
        os.close(null)
    except OSError:  # pragma: no cover
        pass


def _executor(jobs: int) -> Executor:
    """A pool of ``jobs`` worker processes that end with this process (see :func:`_worker_init`)."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    try:
        ctx = multiprocessing.get_context("fork")
    except ValueError:  # pragma: no cover - platforms without fork
        ctx = multiprocessing.get_context()
    return ProcessPoolExecutor(max_workers=jobs, mp_context=ctx, initializer=_worker_init,
                               initargs=(os.getpid(),))


def stop_pool(pool: Executor, *, kill: bool = False) -> None:
    """Shut ``pool`` down; with ``kill`` (interrupted, terminated) end its workers now instead of
    letting them finish the files in hand."""
    if kill:
        for proc in list((getattr(pool, "_processes", None) or {}).values()):
            try:
                proc.kill()
            except (OSError, AttributeError):
                pass
    pool.shutdown(wait=True, cancel_futures=True)


__all__ = ["default_jobs", "stop_pool", "PARENT_CHECK_S"]
