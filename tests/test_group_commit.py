"""GroupCommit: many threads' items written together, each caller returning once its own is written."""
from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from line.worker import GroupCommit


def test_alone_a_thread_writes_its_item_at_once():
    written = []
    group = GroupCommit(written.append)
    group.add(1)
    group.add(2)
    assert written == [[1], [2]]


def test_items_arriving_during_a_write_go_together_in_the_next_one_and_each_add_waits_for_its_own():
    batches: list[list[int]] = []
    first_started = threading.Event()

    def write(items):
        batches.append(list(items))
        first_started.set()
        time.sleep(0.2)  # a slow commit: everyone else arrives meanwhile

    group = GroupCommit(write)
    returned_after_written: dict[int, bool] = {}

    def add(n):
        group.add(n)
        returned_after_written[n] = any(n in batch for batch in batches)

    with ThreadPoolExecutor(20) as pool:
        pool.submit(add, 0)
        first_started.wait(5)
        list(pool.map(add, range(1, 20)))
    assert batches[0] == [0]
    assert sorted(n for batch in batches for n in batch) == list(range(20))  # each once
    assert len(batches) <= 3
    assert all(returned_after_written.values()) and len(returned_after_written) == 20


def test_a_failed_write_raises_in_every_thread_whose_item_it_held_and_the_next_write_goes_on():
    calls = []

    def write(items):
        calls.append(list(items))
        if len(calls) == 1:
            raise RuntimeError("database away")

    group = GroupCommit(write)
    with pytest.raises(RuntimeError, match="database away"):
        group.add("a")
    group.add("b")
    assert calls == [["a"], ["b"]]
