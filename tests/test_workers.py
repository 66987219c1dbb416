"""The one per-athlete worker map (``runload.workers.map_in_workers``): order, closures, the store,
one core, and no worker left behind."""

from __future__ import annotations

import multiprocessing
import os
import threading

import pytest

from runload.workers import map_in_workers
from tests.report.helpers import ALERT_WEEK, STEADY, WARNING_WEEK, make_store


def test_results_come_back_in_order_from_other_processes_and_closures_need_not_pickle():
    lock = threading.Lock()  # a closure over an unpicklable object: it reaches the workers by fork
    seen = list(map_in_workers(lambda n: (n * n, os.getpid(), lock is not None), range(40), jobs=2))
    assert [r[0] for r in seen] == [n * n for n in range(40)]
    assert all(r[2] for r in seen)
    assert os.getpid() not in {r[1] for r in seen}  # every item ran in a worker
    assert multiprocessing.active_children() == []


def test_each_worker_reads_the_store_it_was_given_and_one_core_gives_the_same(tmp_path):
    db = make_store(tmp_path / "s.db", {"alex": WARNING_WEEK, "sam": STEADY, "kim": ALERT_WEEK, "lee": STEADY})
    names = ["lee", "alex", "kim", "sam", "alex"]

    def runs(store, name):
        return name, len(store.activity_columns(name, columns=("id",)))

    parallel = list(map_in_workers(runs, names, store_path=db, jobs=2))
    alone = list(map_in_workers(runs, names, store_path=db, jobs=1))
    assert parallel == alone and [n for n, _ in parallel] == names
    assert all(count > 0 for _, count in parallel)
    assert multiprocessing.active_children() == []


def test_an_error_in_a_worker_reaches_the_caller_and_the_workers_end():
    def boom(n):
        if n == 3:
            raise ValueError("item 3")
        return n

    with pytest.raises(ValueError, match="item 3"):
        list(map_in_workers(boom, range(8), jobs=2))
    assert multiprocessing.active_children() == []
    assert list(map_in_workers(lambda n: n + 1, range(3), jobs=2)) == [1, 2, 3]  # usable again
