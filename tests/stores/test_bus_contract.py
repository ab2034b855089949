"""The SubscriptionBus contract, on the in-memory bus and on Redis pub/sub.

A subscriber hears every message of its topics (its own process's included)
and nothing else; unsubscribing stops it; a shared bus is heard by every
process, survives losing its Redis connection, and queues a bounded number of
messages while it cannot send.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator

import pytest

from mcpcore import Server
from mcpcore.stores.bus import SubscriptionBus
from mcpcore.stores.memory import InMemoryBus
from mcpcore.stores.redis import RedisBus, RedisTaskStore
from tests.redis_server import admin_client, free_port, start_redis

DEADLINE = 10.0


class Inbox:
    """What a handler received, with a way to wait for a count (bounded by DEADLINE)."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, bytes]] = []
        self._changed = asyncio.Event()

    def __call__(self, topic: str, payload: bytes) -> None:
        self.messages.append((topic, payload))
        self._changed.set()

    async def wait_for(self, count: int) -> list[tuple[str, bytes]]:
        async def until() -> None:
            while len(self.messages) < count:
                self._changed.clear()
                await self._changed.wait()

        await asyncio.wait_for(until(), DEADLINE)
        return self.messages


@pytest.fixture(params=["memory", "redis"])
def bus_kind(request: pytest.FixtureRequest) -> Iterator[tuple[str, str | None]]:
    url = request.getfixturevalue("redis_url") if request.param == "redis" else None
    yield str(request.param), url


def _bus(kind: str, url: str | None) -> SubscriptionBus:
    return InMemoryBus() if kind == "memory" else RedisBus(url or "")


def test_a_subscriber_hears_its_topics_in_order_and_nothing_else(bus_kind: tuple[str, str | None]) -> None:
    async def scenario() -> None:
        bus = _bus(*bus_kind)
        await bus.start()
        try:
            inbox, other = Inbox(), Inbox()
            bus.subscribe(["list_changed", "resource_updated"], inbox)
            bus.subscribe(["addressed"], other)
            bus.publish("list_changed", b"tools")
            bus.publish("elsewhere", b"nobody listens")
            bus.publish("resource_updated", b"demo://a")
            bus.publish("list_changed", b"prompts")
            assert await inbox.wait_for(3) == [
                ("list_changed", b"tools"),
                ("resource_updated", b"demo://a"),
                ("list_changed", b"prompts"),
            ]
            bus.publish("addressed", b"x")  # sent after the others: once it is here, they were handled
            assert await other.wait_for(1) == [("addressed", b"x")]
            assert len(inbox.messages) == 3
        finally:
            await bus.close()

    asyncio.run(scenario())


def test_unsubscribe_stops_delivery_and_a_failing_handler_does_not_stop_others(
    bus_kind: tuple[str, str | None],
) -> None:
    async def scenario() -> None:
        bus = _bus(*bus_kind)
        await bus.start()
        try:
            gone, stays = Inbox(), Inbox()

            def broken(topic: str, payload: bytes) -> None:
                raise RuntimeError("a listener's bug")

            unsubscribe = bus.subscribe(["t"], gone)
            bus.subscribe(["t"], broken)
            bus.subscribe(["t"], stays)
            unsubscribe()
            bus.publish("t", b"1")
            assert await stays.wait_for(1) == [("t", b"1")]
            assert gone.messages == []
        finally:
            await bus.close()

    asyncio.run(scenario())


def test_the_in_memory_bus_delivers_before_publish_returns() -> None:
    """One process: no queue, no task, so listeners hear a change exactly as before the bus."""
    bus = InMemoryBus()
    heard: list[tuple[str, bytes]] = []
    bus.subscribe(["t"], lambda topic, payload: heard.append((topic, payload)))
    bus.publish("t", b"now")
    assert heard == [("t", b"now")]


def test_every_redis_bus_hears_every_other(redis_url: str) -> None:
    async def scenario() -> None:
        replica_a, replica_b = RedisBus(redis_url), RedisBus(redis_url)
        await replica_a.start()
        await replica_b.start()
        try:
            heard_a, heard_b = Inbox(), Inbox()
            replica_a.subscribe(["list_changed"], heard_a)
            replica_b.subscribe(["list_changed"], heard_b)
            replica_a.publish("list_changed", b"tools")
            assert await heard_b.wait_for(1) == [("list_changed", b"tools")]
            assert await heard_a.wait_for(1) == [("list_changed", b"tools")]
        finally:
            await replica_a.close()
            await replica_b.close()

    asyncio.run(scenario())


def test_the_redis_bus_resubscribes_after_losing_its_connection(redis_url: str) -> None:
    async def scenario() -> None:
        bus = RedisBus(redis_url)
        admin = admin_client(redis_url)
        await bus.start()
        try:
            inbox = Inbox()
            bus.subscribe(["t"], inbox)
            killed = await admin.execute_command("CLIENT", "KILL", "TYPE", "pubsub")
            assert killed >= 1
            # Publish until the resubscribed reader hears one (each try is bounded by the inbox wait).
            loop = asyncio.get_running_loop()
            deadline = loop.time() + DEADLINE
            while not inbox.messages:
                assert loop.time() < deadline, "the bus never resubscribed"
                bus.publish("t", b"after")
                try:
                    await asyncio.wait_for(inbox.wait_for(1), 0.2)
                except asyncio.TimeoutError:
                    continue
            assert set(inbox.messages) == {("t", b"after")}
        finally:
            await bus.close()
            await admin.aclose()

    asyncio.run(scenario())


def test_the_redis_bus_queue_is_bounded_and_delivers_once_redis_is_back(
    redis_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Redis is down: at most ``max_queued`` messages wait (the oldest dropped, said); then they go out."""
    port = free_port()

    async def scenario() -> None:
        bus = RedisBus(f"redis://127.0.0.1:{port}/0", max_queued=2, max_backoff=0.2)
        inbox = Inbox()
        bus.subscribe(["t"], inbox)
        bus.publish("t", b"before start")  # not serving yet: nobody could hear it, nothing is queued
        await bus.start(timeout=0.1)  # nothing listens on the port yet
        revived = None
        try:
            with caplog.at_level(logging.WARNING, logger="mcpcore.stores"):
                for n in range(5):
                    bus.publish("t", b"%d" % n)
            assert sum("dropped the oldest" in r.getMessage() for r in caplog.records) == 3
            revived = await asyncio.to_thread(start_redis, port)
            assert await inbox.wait_for(2) == [("t", b"3"), ("t", b"4")]
        finally:
            await bus.close()
            if revived is not None:
                revived.stop()

    asyncio.run(scenario())


def test_a_store_url_gives_a_bus_that_publishes_through_the_task_stores_client(redis_url: str) -> None:
    """One URL, one command connection per process: the bus does not open a second one to publish."""
    server = Server("shared", store=redis_url)
    assert isinstance(server.bus, RedisBus) and isinstance(server.tasks.store, RedisTaskStore)
    assert server.bus.redis is server.tasks.store.client
    server.use_store(redis_url)
    assert isinstance(server.bus, RedisBus) and isinstance(server.tasks.store, RedisTaskStore)
    assert server.bus.redis is server.tasks.store.client
