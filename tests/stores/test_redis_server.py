"""The test Redis is real: mcpcore's client reaches it, and another client (redis-py) sees the same keys."""

from __future__ import annotations

import asyncio

from mcpcore.stores.redis import connect
from tests.redis_server import admin_client


def test_connect_round_trips_a_key_with_a_ttl(redis_url: str) -> None:
    async def scenario() -> tuple[bytes | None, int, bytes | None]:
        client, admin = connect(redis_url), admin_client(redis_url)
        try:
            assert await client.call("SET", "mcpcore:test", b"value", "EX", 30) == "OK"
            return (
                await client.call("GET", "mcpcore:test"),
                await client.call("TTL", "mcpcore:test"),
                await admin.get("mcpcore:test"),
            )
        finally:
            await client.aclose()
            await admin.aclose()

    value, ttl, seen = asyncio.run(scenario())
    assert value == seen == b"value"
    assert 0 < ttl <= 30
