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


#: Caps no test reaches unless it means to.
_NO_CAP = 1_000_000


async def _create(
    store: SessionStore,
    record: SessionRecord,
    ttl: float = 60,
    max_sessions: int = _NO_CAP,
    max_per_principal: int = _NO_CAP,
) -> list[str]:
    return await store.create(record, ttl, max_sessions=max_sessions, max_per_principal=max_per_principal)


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


def test_a_created_record_loads_whole_on_another_replica(kind: str, url: str | None) -> None:
    async def scenario(factory: Factory) -> SessionRecord | None:
        await _create(factory(), _record(), 60)
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
        await _create(first, _record(), 60)
        touched_before = await second.touch("s1", 60)
        deleted = await first.delete("s1")
        return touched_before, deleted, await second.load("s1"), await second.touch("s1", 60)

    assert _run(kind, url, scenario) == (_record(), True, None, None)


def test_an_untouched_record_expires_after_its_ttl(kind: str, url: str | None) -> None:
    async def scenario(factory: Factory) -> tuple[Any, Any]:
        store = factory()
        await _create(store, _record("short"), 0.2)
        await _create(store, _record("long"), 60)
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
        await _create(store, _record(), 0.5)
        touched = await store.touch("s1", 60)  # now it lives a minute, not half a second
        await asyncio.sleep(1.0)  # past the first TTL (not a race: the outcome does not depend on timing)
        return touched, await store.load("s1")

    touched, record = _run(kind, url, scenario)
    assert touched == _record()
    assert record is not None and record.session_id == "s1"


def test_save_rewrites_a_session_but_never_brings_back_a_deleted_one(kind: str, url: str | None) -> None:
    async def scenario(factory: Factory) -> tuple[bool, Any, bool, bool, Any]:
        first, second = factory(), factory()
        await _create(first, _record())
        changed = _record()
        changed.log_level = "debug"
        saved = await second.save(changed, 60)
        loaded = await first.load("s1")
        deleted = await first.delete("s1")
        return saved, loaded, deleted, await second.save(changed, 60), await second.load("s1")

    saved, loaded, deleted, saved_again, after = _run(kind, url, scenario)
    assert (saved, deleted, saved_again, after) == (True, True, False, None)
    assert loaded is not None and loaded.log_level == "debug"


def test_the_fleet_cap_evicts_the_least_recently_touched_session(kind: str, url: str | None) -> None:
    async def scenario(factory: Factory) -> tuple[list[str], list[str], Any, Any, Any]:
        first, second = factory(), factory()
        assert await _create(first, _record("old", "p1"), max_sessions=2) == []
        assert await _create(first, _record("idle", "p2"), max_sessions=2) == []
        assert await second.touch("old", 60) is not None  # the older session is in use: it stays
        evicted = await _create(second, _record("new", "p3"), max_sessions=2)
        # Sessions without a principal count against the fleet cap too.
        evicted_again = await _create(first, _record("anonymous", None), max_sessions=2)
        return (
            evicted,
            evicted_again,
            await first.touch("idle", 60),
            await first.load("new"),
            await second.load("anonymous"),
        )

    evicted, evicted_again, idle, new, anonymous = _run(kind, url, scenario)
    assert evicted == ["idle"]
    assert evicted_again == ["old"]  # touched before "new" was created: now the least recent
    assert idle is None  # every replica answers its next request with 404
    assert new == _record("new", "p3")
    assert anonymous == _record("anonymous", None)


def test_the_principal_cap_evicts_only_that_principals_least_recently_touched(
    kind: str, url: str | None
) -> None:
    async def scenario(factory: Factory) -> tuple[list[str], list[str], dict[str, bool]]:
        store, other = factory(), factory()
        caps = {"max_sessions": 100, "max_per_principal": 2}
        await _create(store, _record("bob-1", "bob"), **caps)  # the oldest of all: not alice's to evict
        await _create(store, _record("alice-1", "alice"), **caps)
        await _create(other, _record("alice-2", "alice"), **caps)
        await other.touch("alice-1", 60)
        evicted = await _create(other, _record("alice-3", "alice"), **caps)
        unbound = [await _create(store, _record(f"anon-{n}", None), **caps) for n in range(3)]
        alive = {
            name: await store.load(name) is not None
            for name in ("bob-1", "alice-1", "alice-2", "alice-3", "anon-0", "anon-1", "anon-2")
        }
        return evicted, [name for names in unbound for name in names], alive

    evicted, unbound_evicted, alive = _run(kind, url, scenario)
    assert evicted == ["alice-2"]
    assert unbound_evicted == []  # no per-principal cap without a principal
    assert alive == {
        "bob-1": True,
        "alice-1": True,
        "alice-2": False,
        "alice-3": True,
        "anon-0": True,
        "anon-1": True,
        "anon-2": True,
    }


def test_the_redis_indexes_stay_within_the_caps_and_forget_deleted_and_expired_sessions(
    redis_url: str,
) -> None:
    PRINCIPALS = ("alice", "bob", "carol")

    async def scenario() -> dict[str, Any]:
        store = RedisSessionStore.from_url(redis_url)
        client = admin_client(redis_url)

        async def cards() -> tuple[int, ...]:
            keys = ["sessions"] + [f"sessions:principal:{name}" for name in PRINCIPALS]
            return tuple([await client.zcard(f"mcpcore:{key}") for key in keys])

        try:
            seen: dict[str, Any] = {}
            for n in range(30):
                await _create(store, _record(f"s{n}", PRINCIPALS[n % 3]), 60, 5, 2)
            seen["capped"] = await cards()
            seen["records"] = len(await client.keys("mcpcore:session:*"))
            for key in await client.keys("mcpcore:session:*"):
                await store.delete(key.decode().rpartition(":")[2])
            seen["deleted"] = await cards()
            await _create(store, _record("short", "alice"), 0.2, 5, 2)
            deadline = time.monotonic() + 10
            while await store.load("short") is not None:  # expiry is the store's: poll, bounded
                assert time.monotonic() < deadline, "the record never expired"
                await asyncio.sleep(0.05)
            await _create(store, _record("later", "alice"), 60, 5, 2)
            seen["expired"] = await cards()
            return seen
        finally:
            await store.close()
            await client.aclose()

    seen = asyncio.run(scenario())
    fleet, *mine = seen["capped"]
    assert fleet == 5 == sum(mine) == seen["records"]  # 3 principals x 2 would be 6: the fleet cap bit
    assert max(mine) == 2
    assert seen["deleted"] == (0, 0, 0, 0)
    assert seen["expired"] == (1, 1, 0, 0)  # the expired entry was trimmed, not counted


def test_every_redis_key_carries_a_ttl(redis_url: str) -> None:
    async def scenario() -> tuple[int, int]:
        store = RedisSessionStore.from_url(redis_url)
        client = admin_client(redis_url)
        try:
            await _create(store, _record(), 60)
            await store.touch("s1", 30)
            return {key: await client.pttl(key) for key in await client.keys("*")}
        finally:
            await store.close()
            await client.aclose()

    ttls = asyncio.run(scenario())
    # The record and the two indexes of the caps; joining adds the replica counter, nothing per session.
    assert set(ttls) == {
        b"mcpcore:session:s1",
        b"mcpcore:sessions",
        b"mcpcore:sessions:principal:client\x00alice",
    }
    assert 0 < ttls[b"mcpcore:session:s1"] <= 30_000
    assert all(0 < pttl <= 60_000 for pttl in ttls.values())  # an index lives as long as its longest TTL


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
