"""An endpoint whose Redis store refuses writes: the answer that needed the write is never sent.

The answer to ``initialize`` (or ``logging/setLevel``) must not reach the
client before the store holds the new state, since the client's next request
may reach another replica. When the write fails the client gets 503 with a
JSON-RPC error instead, and a session that was never recorded is not kept.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from mcpcore.loop import run as run_loop
from mcpcore.stores.redis_sessions import RedisSessionStore
from mcpcore.transport.http import start_http
from mcpcore.transport.streamable import HttpOptions
from tests.redis_server import admin_client
from tests.transport.hostile_server import build
from tests.transport.http_peer import Peer, initialize_body, legacy_headers


@pytest.fixture
def full_redis(redis_url: str) -> Iterator[str]:
    """The URL of a Redis that refuses writes that need memory (restored after the test)."""
    yield redis_url

    async def restore() -> None:
        client = admin_client(redis_url)
        try:
            await client.config_set("maxmemory", 0)
        finally:
            await client.aclose()

    asyncio.run(restore())


def test_a_refused_record_write_answers_503_and_keeps_no_session(loop_name: str, full_redis: str) -> None:
    server, _ = build()
    options = HttpOptions(session_store=RedisSessionStore.from_url(full_redis))

    async def main() -> None:
        http = await start_http(server, "127.0.0.1", 0, options=options)
        admin = admin_client(full_redis)
        try:
            peer = await Peer.connect(http.port)
            first = await peer.request("POST", initialize_body(), legacy_headers())
            assert first.status == 200  # the store works: the replica joined and recorded it
            assert len(http.endpoint.sessions) == 1
            await admin.config_set("maxmemory-policy", "noeviction")
            await admin.config_set("maxmemory", 1)  # now every write that needs memory is refused
            refused = await peer.request("POST", initialize_body(7), legacy_headers())
            assert refused.status == 503
            assert refused.json()["id"] == 7
            assert refused.json()["error"]["message"].startswith("Service unavailable")
            assert "mcp-session-id" not in refused.headers
            assert len(http.endpoint.sessions) == 1  # the unrecorded session is gone
            peer.close()
        finally:
            await admin.config_set("maxmemory", 0)
            await admin.aclose()
            await http.close()

    run_loop(asyncio.wait_for(main(), 60), loop=loop_name)  # type: ignore[arg-type]
