"""GroupCommit: many coroutines' items written together, each caller returning once its own is written."""
from __future__ import annotations

import asyncio
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from line.worker import GroupCommit


def off_the_loop(pool: ThreadPoolExecutor):
    """How the sender runs a write: on a thread, so that the loop goes on meanwhile."""
    def run(fn, *args):
        return asyncio.get_running_loop().run_in_executor(pool, fn, *args)
    return run


def test_alone_an_item_is_written_at_once():
    written = []

    async def two_in_turn():
        with ThreadPoolExecutor(1) as pool:
            group = GroupCommit(written.append, off_the_loop(pool))
            await group.add(1)
            await group.add(2)

    asyncio.run(two_in_turn())
    assert written == [[1], [2]]


def test_items_arriving_during_a_write_go_together_in_the_next_one_and_each_add_waits_for_its_own():
    batches: list[list[int]] = []
    first_started = threading.Event()

    def write(items):
        batches.append(list(items))
        first_started.set()
        time.sleep(0.2)  # a slow commit: everyone else arrives meanwhile

    returned_after_written: dict[int, bool] = {}

    async def twenty():
        with ThreadPoolExecutor(2) as pool:
            group = GroupCommit(write, off_the_loop(pool))

            async def add(n):
                await group.add(n)
                returned_after_written[n] = any(n in batch for batch in batches)

            first = asyncio.ensure_future(add(0))
            await asyncio.get_running_loop().run_in_executor(pool, first_started.wait, 5)
            await asyncio.gather(first, *(add(n) for n in range(1, 20)))

    asyncio.run(twenty())
    assert batches[0] == [0]
    assert batches[1] == list(range(1, 20))  # everything that arrived during the first write, together
    assert sorted(n for batch in batches for n in batch) == list(range(20))  # each once
    assert all(returned_after_written.values()) and len(returned_after_written) == 20


def test_a_failed_write_raises_in_every_caller_whose_item_it_held_and_the_next_write_goes_on():
    calls = []

    def write(items):
        calls.append(list(items))
        if len(calls) == 1:
            raise RuntimeError("database away")

    async def after_a_failure():
        with ThreadPoolExecutor(1) as pool:
            group = GroupCommit(write, off_the_loop(pool))
            with pytest.raises(RuntimeError, match="database away"):
                await group.add("a")
            await group.add("b")

    asyncio.run(after_a_failure())
    assert calls == [["a"], ["b"]]
