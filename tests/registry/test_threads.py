"""A server's worker threads: how busy and hung calls are counted, in-process.

The end-to-end behaviour (refusals over a real pipe) is in
tests/faults/test_thread_pool.py; these pin the accounting it rests on.
"""

from __future__ import annotations

import asyncio
import threading

import pytest

from mcpcore import Server
from mcpcore.registry._calls import ThreadPool, busy_threads

DEADLINE = 10.0


@pytest.mark.parametrize("bad", [0, -1, 1.5])
def test_max_threads_must_be_a_positive_int(bad: object) -> None:
    with pytest.raises(ValueError, match="max_threads"):
        Server("s", max_threads=bad)  # type: ignore[arg-type]


def test_each_server_has_its_own_pool() -> None:
    first, second = Server("a", max_threads=3), Server("b")
    assert first.threads is not second.threads
    assert first.threads.max_threads == 3


def test_a_call_abandoned_past_its_timeout_counts_as_hung_until_it_returns() -> None:
    started, release = threading.Event(), threading.Event()

    def blocking() -> str:
        started.set()
        release.wait(DEADLINE)
        return "done"

    async def scenario() -> None:
        pool = ThreadPool(1)
        job = pool.start(blocking, {})
        assert job is not None
        assert await asyncio.to_thread(started.wait, DEADLINE)
        assert pool.busy == 1 and busy_threads() >= 1
        job.abandon()
        assert pool.hung == 1
        assert pool.start(blocking, {}) is None  # the only thread is hung: refused, not queued
        release.set()
        assert await job.future == "done"
        assert (pool.busy, pool.hung) == (0, 0)
        again = pool.start(lambda: "again", {})
        assert again is not None and await again.future == "again"

    asyncio.run(scenario())


def test_a_call_abandoned_while_queued_never_runs_and_is_not_hung() -> None:
    started, release = threading.Event(), threading.Event()
    ran: list[str] = []

    def blocking() -> None:
        started.set()
        release.wait(DEADLINE)

    def record() -> None:
        ran.append("ran")

    async def scenario() -> None:
        pool = ThreadPool(1)
        first = pool.start(blocking, {})
        queued = pool.start(record, {})  # behind `first` on the one thread
        assert first is not None and queued is not None
        assert await asyncio.to_thread(started.wait, DEADLINE)
        queued.abandon()
        assert pool.hung == 0
        release.set()
        await first.future
        assert await queued.future is None  # the thread picked it up and skipped it

    asyncio.run(scenario())
    assert ran == []
