"""The SessionStore contract, held by both stores: the in-memory one and Redis (a real redis-server)."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from mcpcore.stores.memory_sessions import InMemorySessionStore
from mcpcore.stores.redis_sessions import RedisSessionStore
from mcpcore.stores.sessions import MAX_REPLICA, REPLICA_SHIFT, SessionRecord, SessionStore, replica_of
from tests.redis_server import admin_client

#: Builds a store; every store it builds shares one backing (as replicas share one Redis).
Factory = Callable[[], SessionStore]


def _record(session_id: str = "s1", principal: str | None = "client\x00alice") -> SessionRecord:
    return SessionRecord(
        session_id=session_id,
        principal=principal,
        protocol_version="2025-06-18",
        client_capabilities={"elicitation": {}, "sampling": {}},
        client_info={"name": "test", "version": "1.0"},
        log_level="warning",
        subscriptions=["test://a", "test://b"],
        created=1000.0,
        last_seen=1001.0,
    )


def _run(kind: str, redis_url: str | None, scenario: Callable[[Factory], Awaitable[Any]]) -> Any:
    """Run ``scenario`` with a factory of stores of ``kind`` sharing one backing; close them after."""

    async def main() -> Any:
        made: list[SessionStore] = []
        memory = InMemorySessionStore()

        def factory() -> SessionStore:
            store: SessionStore
            if kind == "memory":
                store = memory
            else:
                assert redis_url is not None
                store = RedisSessionStore.from_url(redis_url)
            made.append(store)
            return store

        try:
            return await scenario(factory)
        finally:
            for store in made:
                await store.close()

    return asyncio.run(main())


@pytest.fixture(params=["memory", "redis"])
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def url(kind: str, request: pytest.FixtureRequest) -> str | None:
    """The Redis URL for the redis stores (an emptied database); None for memory."""
    return str(request.getfixturevalue("redis_url")) if kind == "redis" else None


def test_a_saved_record_loads_whole_on_another_replica(kind: str, url: str | None) -> None:
    async def scenario(factory: Factory) -> SessionRecord | None:
        await factory().save(_record(), 60)
        return await factory().load("s1")

    assert _run(kind, url, scenario) == _record()


def test_an_unknown_session_loads_as_none_and_does_not_touch(kind: str, url: str | None) -> None:
    async def scenario(factory: Factory) -> tuple[Any, Any, bool]:
        store = factory()
        return await store.load("nope"), await store.touch("nope", 60), await store.delete("nope")

    assert _run(kind, url, scenario) == (None, None, False)


def test_delete_ends_the_session_for_every_replica(kind: str, url: str | None) -> None:
    async def scenario(factory: Factory) -> tuple[Any, bool, Any, Any]:
        first, second = factory(), factory()
        await first.save(_record(), 60)
        touched_before = await second.touch("s1", 60)
        deleted = await first.delete("s1")
        return touched_before, deleted, await second.load("s1"), await second.touch("s1", 60)

    assert _run(kind, url, scenario) == (_record(), True, None, None)


def test_an_untouched_record_expires_after_its_ttl(kind: str, url: str | None) -> None:
    async def scenario(factory: Factory) -> tuple[Any, Any]:
        store = factory()
        await store.save(_record("short"), 0.2)
        await store.save(_record("long"), 60)
        deadline = time.monotonic() + 10
        while await store.load("short") is not None:  # expiry is the store's: poll, bounded
            assert time.monotonic() < deadline, "the record never expired"
            await asyncio.sleep(0.05)
        return await store.load("short"), await store.load("long")

    short, long = _run(kind, url, scenario)
    assert short is None
    assert long == _record("long")


def test_touch_restarts_the_idle_clock(kind: str, url: str | None) -> None:
    async def scenario(factory: Factory) -> tuple[Any, Any]:
        store = factory()
        await store.save(_record(), 0.5)
        touched = await store.touch("s1", 60)  # now it lives a minute, not half a second
        await asyncio.sleep(1.0)  # past the first TTL (not a race: the outcome does not depend on timing)
        return touched, await store.load("s1")

    touched, record = _run(kind, url, scenario)
    assert touched == _record()
    assert record is not None and record.session_id == "s1"


def test_every_redis_key_carries_a_ttl(redis_url: str) -> None:
    async def scenario() -> tuple[int, int]:
        store = RedisSessionStore.from_url(redis_url)
        client = admin_client(redis_url)
        try:
            await store.save(_record(), 60)
            await store.touch("s1", 30)
            return await client.pttl("mcpcore:session:s1"), await client.dbsize()
        finally:
            await store.close()
            await client.aclose()

    pttl, keys = asyncio.run(scenario())
    assert 0 < pttl <= 30_000
    assert keys == 1  # only the record: joining adds the replica counter, nothing per session


def test_replicas_get_distinct_numbers_and_forwarded_messages_reach_the_named_one(
    kind: str, url: str | None
) -> None:
    async def scenario(factory: Factory) -> tuple[int, int, list[tuple[str, bytes]], list[Any]]:
        got: dict[int, list[tuple[str, bytes]]] = {}
        arrived = asyncio.Event()

        def deliverer(index: int) -> Callable[[str, bytes], None]:
            def deliver(session_id: str, message: bytes) -> None:
                got.setdefault(index, []).append((session_id, message))
                arrived.set()

            return deliver

        first, second = factory(), factory()
        one = await first.join(deliverer(1))
        two = await second.join(deliverer(2))
        first.forward(two, "s1", b'{"jsonrpc":"2.0","id":1,"result":{}}')
        await asyncio.wait_for(arrived.wait(), 10)
        return one, two, got.get(2, []), got.get(1, [])

    one, two, at_second, at_first = _run(kind, url, scenario)
    assert one != two
    assert 1 <= one < MAX_REPLICA and 1 <= two < MAX_REPLICA
    assert at_second == [("s1", b'{"jsonrpc":"2.0","id":1,"result":{}}')]
    assert at_first == []


def test_an_id_names_the_replica_that_sent_it() -> None:
    assert replica_of((7 << REPLICA_SHIFT) + 3) == 7
    assert replica_of(3) == 0  # a single process numbers from 1: nothing to route
    assert replica_of("7") == 0
    assert replica_of(True) == 0
    assert ((MAX_REPLICA - 1) << REPLICA_SHIFT) + 2**32 - 1 < 2**53  # safe JSON integers for clients


def test_the_stores_are_public_and_importing_them_does_not_import_redis() -> None:
    code = (
        "import sys, mcpcore\n"
        "names = [mcpcore.SessionStore, mcpcore.SessionRecord, mcpcore.InMemorySessionStore,"
        " mcpcore.RedisSessionStore]\n"
        "print(all(n.__name__ in mcpcore.__all__ for n in names), 'redis' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.split() == ["True", "False"]
