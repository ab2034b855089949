"""The test Redis is real: a client from the redis extra reaches it and keys round-trip."""

from __future__ import annotations

import asyncio

from mcpcore.stores.redis import connect


def test_connect_round_trips_a_key_with_a_ttl(redis_url: str) -> None:
    async def scenario() -> tuple[bytes | None, int]:
        client = connect(redis_url)
        try:
            await client.set("mcpcore:test", b"value", ex=30)
            return await client.get("mcpcore:test"), await client.ttl("mcpcore:test")
        finally:
            await client.aclose()

    value, ttl = asyncio.run(scenario())
    assert value == b"value"
    assert 0 < ttl <= 30
