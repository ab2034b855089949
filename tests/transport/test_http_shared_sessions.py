"""Legacy sessions in a shared store, served by two endpoints in one process as two replicas would be.

Whichever endpoint holds a session, the other serves it too; it stays bound
to the principal that created it (another token gets 404 everywhere), a
``DELETE`` on one ends it on the other, and a store that cannot be reached
gives a clear JSON-RPC error (503), never a hang, while stateless 2026-07-28
calls keep working.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest

from mcpcore.loop import run as run_loop
from mcpcore.stores.memory_sessions import InMemorySessionStore
from mcpcore.stores.redis_sessions import RedisSessionStore
from mcpcore.transport.http import start_http
from mcpcore.transport.streamable import HttpOptions
from tests.redis_server import free_port
from tests.transport.hostile_server import auth, build
from tests.transport.http_peer import (
    LEGACY,
    Peer,
    initialize_body,
    legacy_headers,
    modern_headers,
    modern_request,
)


def _ping(request_id: int) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": request_id, "method": "ping"}


def _with_token(headers: dict[str, str], token: str) -> dict[str, str]:
    return {**headers, "Authorization": f"Bearer {token}"}


def test_a_session_is_served_by_another_endpoint_bound_to_its_principal_and_deleted_for_both(
    loop_name: str,
) -> None:
    server, _ = build()
    options = HttpOptions(auth=auth(), session_store=InMemorySessionStore())

    async def main() -> None:
        first = await start_http(server, "127.0.0.1", 0, options=options)
        second = await start_http(server, "127.0.0.1", 0, options=options)
        try:
            one, two = await Peer.connect(first.port), await Peer.connect(second.port)
            opened = await one.request("POST", initialize_body(), _with_token(legacy_headers(), "alice"))
            assert opened.status == 200, opened.body
            session = opened.headers["mcp-session-id"]
            assert session not in second.endpoint.sessions

            served = await two.request("POST", _ping(2), _with_token(legacy_headers(session), "alice"))
            assert served.status == 200
            assert served.messages()[-1] == {"jsonrpc": "2.0", "id": 2, "result": {}}

            bodyless = {"MCP-Protocol-Version": LEGACY, "Mcp-Session-Id": session}
            stream = {**bodyless, "Accept": "text/event-stream"}
            for peer in (one, two):
                for method, payload, headers in (
                    ("POST", _ping(3), legacy_headers(session)),
                    ("GET", None, stream),
                    ("DELETE", None, bodyless),
                ):
                    response = await peer.request(method, payload, _with_token(headers, "bob"))
                    assert response.status == 404, (method, response.body)

            deleted = await two.request("DELETE", None, _with_token(bodyless, "alice"))
            assert deleted.status == 200
            for peer in (one, two):
                after = await peer.request("POST", _ping(4), _with_token(legacy_headers(session), "alice"))
                assert after.status == 404
            assert session not in first.endpoint.sessions  # the cached copy ended with it
            one.close()
            two.close()
        finally:
            await first.close()
            await second.close()

    run_loop(asyncio.wait_for(main(), 60), loop=loop_name)  # type: ignore[arg-type]


def test_an_unreachable_store_is_a_json_rpc_error_and_stateless_calls_still_work(loop_name: str) -> None:
    server, _ = build()
    store = RedisSessionStore.from_url(f"redis://127.0.0.1:{free_port()}/0")  # nothing listens there
    options = HttpOptions(session_store=store)

    async def main() -> None:
        http = await start_http(server, "127.0.0.1", 0, options=options)
        try:
            peer = await Peer.connect(http.port)
            initialize = await peer.request("POST", initialize_body(), legacy_headers())
            assert initialize.status == 503
            assert initialize.json()["error"]["message"].startswith("Service unavailable")
            assert initialize.json()["id"] == 1
            assert len(http.endpoint.sessions) == 0  # no half-made session stays behind
            named = await peer.request("POST", _ping(7), legacy_headers("some-session"))
            assert named.status == 503
            assert named.json()["id"] == 7
            modern = await peer.request("POST", modern_request(8, "tools/list"), modern_headers("tools/list"))
            assert modern.status == 200
            assert "tools" in modern.messages()[-1]["result"]
            peer.close()
        finally:
            await http.close()

    run_loop(asyncio.wait_for(main(), 60), loop=loop_name)  # type: ignore[arg-type]


def test_the_per_principal_cap_holds_across_replicas_and_evicts_the_oldest_everywhere(
    loop_name: str, redis_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Two endpoints, each with its own Redis connection, as two replicas: the cap is the fleet's."""
    server, _ = build()

    def options() -> HttpOptions:
        return HttpOptions(
            auth=auth(),
            session_store=RedisSessionStore.from_url(redis_url),
            max_sessions_per_principal=2,
        )

    async def main() -> None:
        first = await start_http(server, "127.0.0.1", 0, options=options())
        second = await start_http(server, "127.0.0.1", 0, options=options())
        try:
            one, two = await Peer.connect(first.port), await Peer.connect(second.port)

            async def open_on(peer: Peer, token: str) -> str:
                opened = await peer.request("POST", initialize_body(), _with_token(legacy_headers(), token))
                assert opened.status == 200, opened.body
                return opened.headers["mcp-session-id"]

            async def ping(peer: Peer, session: str, token: str) -> int:
                headers = _with_token(legacy_headers(session), token)
                return (await peer.request("POST", _ping(2), headers)).status

            oldest = await open_on(one, "alice")
            bobs = await open_on(one, "bob")
            assert await ping(two, oldest, "alice") == 200  # the second replica now holds a copy too
            middle = await open_on(two, "alice")
            assert await ping(one, middle, "alice") == 200  # now both replicas hold a copy of it
            assert await ping(one, oldest, "alice") == 200  # touched: now more recent than ``middle``
            with caplog.at_level(logging.INFO, logger="mcpcore.http"):
                newest = await open_on(one, "alice")  # alice's third
            assert "evicted 1 least recently used session" in caplog.text
            assert middle not in first.endpoint.sessions  # the evicting replica ended its copy at once
            assert middle in second.endpoint.sessions  # the other learns it at the next request:
            assert await ping(two, middle, "alice") == 404  # evicted on the replica that made it too
            assert await ping(one, middle, "alice") == 404
            assert middle not in second.endpoint.sessions  # the 404 ended the cached copy
            for peer in (one, two):
                assert await ping(peer, oldest, "alice") == 200
                assert await ping(peer, newest, "alice") == 200
                assert await ping(peer, bobs, "bob") == 200  # another principal's session is untouched
            one.close()
            two.close()
        finally:
            await first.close()
            await second.close()

    run_loop(asyncio.wait_for(main(), 60), loop=loop_name)  # type: ignore[arg-type]
