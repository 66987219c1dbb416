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


_job: dict = {}


def _run_item(index: int):
    job = _job
    path = job["store_path"]
    if path is None:
        return job["fn"](job["items"][index])
    if "store" not in job:  # once per worker: no process uses a connection made before the fork
        import gc

        from runload.store import Store

        job["store"] = Store.open(path, readonly=True, verify=False)  # the parent has just checked it
        # what the worker got through fork (modules, settings, the items) is never garbage: the collector
        # stops walking it again and again (a team report: 457 -> 416 ms of CPU an athlete)
        gc.freeze()
    return job["fn"](job["store"], job["items"][index])


def map_in_workers(fn, items, *, store_path=None, chunksize: int | None = None, jobs: int | None = None):
    """``fn(item)`` for each item, or ``fn(store, item)`` with ``store_path``: each worker opens that
    store read-only once. One forked worker per core; yields the results in the order of ``items``,
    each as soon as it and those before it are done.

    ``fn`` and ``items`` reach the workers through fork, so neither needs to pickle (a closure, settings
    holding a config); only an index goes out and the result comes back. The one home of the
    per-athlete parallelism of ``check --all``, ``summary --all`` and the team report.

    ``chunksize`` (items handed out at once) defaults to about a quarter of each worker's share, at
    most 16: cheap items (a check, a summary) then cost few round trips; an expensive one (a team
    report's athlete, 0.3–1 s) goes out alone (``chunksize=1``) so that no core idles at the end.
    """
    items = list(items)
    jobs = min(jobs or default_jobs(), len(items))
    if jobs < 2:  # one core (or one item): no fork, the same results in this process
        yield from _in_process(fn, items, store_path)
        return
    if _job:  # a worker's own work never forks again
        raise RuntimeError("map_in_workers is not re-entrant")
    _job.update(fn=fn, items=items, store_path=None if store_path is None else str(store_path))
    try:
        with _executor(jobs) as pool:
            if chunksize is None:
                chunksize = min(16, len(items) // (4 * jobs))
            yield from pool.map(_run_item, range(len(items)), chunksize=max(1, chunksize))
    finally:
        _job.clear()


def _in_process(fn, items: list, store_path):
    if store_path is None:
        for item in items:
            yield fn(item)
        return
    from runload.store import Store

    store = Store.open(store_path, readonly=True, verify=False)  # the caller has just checked it
    try:
        for item in items:
            yield fn(store, item)
    finally:
        store.close()


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


__all__ = ["default_jobs", "map_in_workers", "stop_pool", "PARENT_CHECK_S"]
