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


def test_calls_one_at_a_time_share_one_thread() -> None:
    """A thread starts only when the calls not yet done outnumber the threads: no thread per call."""

    async def scenario() -> list[str]:
        pool = ThreadPool(4)
        names = []
        for _ in range(20):
            job = pool.start(lambda: threading.current_thread().name, {})
            assert job is not None
            names.append(await job.future)
        assert pool.threads == 1 and (pool.busy, pool.queued) == (0, 0)
        return names

    assert set(asyncio.run(scenario())) == {"mcpcore-worker-1"}


def test_blocking_calls_run_side_by_side_up_to_max_threads() -> None:
    """Each call that blocks gets a thread of its own (up to the bound); the next one waits for a thread."""
    bound = 3
    gate = threading.Barrier(bound, timeout=DEADLINE)  # breaks (and the calls fail) unless all run at once
    release = threading.Event()
    order: list[str] = []

    def meet() -> str:
        gate.wait()
        release.wait(DEADLINE)
        return "met"

    def later() -> str:
        order.append("later")
        return "later"

    async def scenario() -> None:
        pool = ThreadPool(bound)
        jobs = [pool.start(meet, {}) for _ in range(bound)]
        extra = pool.start(later, {})  # every thread is busy: it waits in the queue
        assert all(job is not None for job in jobs) and extra is not None
        assert pool.threads == bound
        release.set()
        assert [await job.future for job in jobs if job is not None] == ["met"] * bound
        assert await extra.future == "later"
        assert pool.threads == bound and (pool.busy, pool.queued) == (0, 0)

    asyncio.run(scenario())
    assert order == ["later"]


def test_worker_threads_are_daemons() -> None:
    """A tool blocked for ever must not keep the interpreter from exiting (see Server.run)."""

    async def scenario() -> bool:
        pool = ThreadPool(1)
        job = pool.start(lambda: threading.current_thread().daemon, {})
        assert job is not None
        return bool(await job.future)

    assert asyncio.run(scenario())
