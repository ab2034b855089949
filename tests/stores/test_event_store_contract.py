"""The EventStore contract, on every implementation: the in-memory default and Redis.

What a resuming client relies on: ids name their stream, a replay is exactly
the later events of that stream in order, and an unknown (or forgotten) id is
refused rather than silently skipping a gap. Both stores are bounded.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from mcpcore.stores.events import EventStore, stream_of
from mcpcore.stores.memory import InMemoryEventStore
from mcpcore.stores.redis import RedisEventStore
from tests.redis_server import admin_client

STORES = ["memory", "redis"]


@pytest.fixture(params=STORES)
def make_store(request: pytest.FixtureRequest) -> Iterator[tuple[str, str | None]]:
    """(kind, redis url): each test builds its store inside its own event loop."""
    url = request.getfixturevalue("redis_url") if request.param == "redis" else None
    yield str(request.param), url


def _store(kind: str, url: str | None, bound: int = 1000) -> EventStore:
    if kind == "memory":
        return InMemoryEventStore(max_events=bound)
    assert url is not None
    return RedisEventStore(url, max_events_per_stream=bound, ttl=60)


async def _close(store: EventStore) -> None:
    if isinstance(store, RedisEventStore):
        await store.redis.aclose()


def test_ids_name_their_stream_and_replay_is_the_rest_of_that_stream(
    make_store: tuple[str, str | None],
) -> None:
    async def scenario() -> None:
        store = _store(*make_store)
        try:
            prime = await store.store("sessApost1", b"")
            first = await store.store("sessApost1", b'{"n":1}\n')
            await store.store("sessBpost2", b'{"other":true}\n')  # interleaved: another stream
            second = await store.store("sessApost1", b'{"n":2}\n')
            third = await store.store("sessApost1", b'{"n":3}\n')
            assert len({prime, first, second, third}) == 4
            assert {stream_of(i) for i in (prime, first, second, third)} == {"sessApost1"}
            assert await store.replay_after(prime) == (
                "sessApost1",
                [(first, b'{"n":1}\n'), (second, b'{"n":2}\n'), (third, b'{"n":3}\n')],
            )
            assert await store.replay_after(second) == ("sessApost1", [(third, b'{"n":3}\n')])
            assert await store.replay_after(third) == ("sessApost1", [])
        finally:
            await _close(store)

    asyncio.run(scenario())


def test_unknown_and_malformed_ids_are_refused(make_store: tuple[str, str | None]) -> None:
    async def scenario() -> None:
        store = _store(*make_store)
        try:
            known = await store.store("sessApost1", b"x")
            suffix = known.rpartition("_")[2]
            assert await store.replay_after(f"sessBpost9_{suffix}") is None  # another stream's suffix
            assert await store.replay_after("nosuchstream_1") is None
            assert await store.replay_after("no-separator") is None
            assert await store.replay_after("_") is None
            assert await store.replay_after("sessApost1_") is None
            assert await store.replay_after("sessApost1_../../etc") is None
        finally:
            await _close(store)

    asyncio.run(scenario())


def test_the_store_is_bounded_and_forgets_the_oldest(make_store: tuple[str, str | None]) -> None:
    kind, url = make_store
    bound = 10

    async def scenario() -> None:
        store = _store(kind, url, bound)
        try:
            ids = [await store.store("s", b"%d" % i) for i in range(1000)]
            assert await store.replay_after(ids[0]) is None  # fell off: resumption past a gap fails
            replay = await store.replay_after(ids[-2])
            assert replay == ("s", [(ids[-1], b"999")])
            if isinstance(store, RedisEventStore):
                # MAXLEN ~ trims whole stream nodes (100 entries by default): bounded, not exact.
                client = admin_client(url or "")
                try:
                    key = store.prefix + "s"
                    assert await client.xlen(key) <= bound + 100
                    assert 0 < await client.pttl(key) <= 60_000  # every stream expires
                finally:
                    await client.aclose()
        finally:
            await _close(store)

    asyncio.run(scenario())


def test_a_redis_stream_written_by_one_client_is_replayed_by_another(redis_url: str) -> None:
    """Two replicas: each has its own connection; ids are meaningful to both."""

    async def scenario() -> None:
        writer = RedisEventStore(redis_url)
        reader = RedisEventStore(redis_url)
        try:
            first = await writer.store("sessApost1", b"a")
            second = await writer.store("sessApost1", b"b")
            assert await reader.replay_after(first) == ("sessApost1", [(second, b"b")])
        finally:
            await writer.redis.aclose()
            await reader.redis.aclose()

    asyncio.run(scenario())
