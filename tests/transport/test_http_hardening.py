"""HTTP hardening against hostile peers, over real loopback sockets, on both loops and both front ends.

Pipelining at any depth, id reuse across 2026-07-28 POSTs, 400 for JSON
that is not JSON-RPC, 406 for a legacy Accept that allows nothing we send,
the session table's eviction and per-principal cap, sessions bound to their
principal, and what a tool sees of the HTTP request (``ctx.access_token``,
``ctx.http_headers``).
"""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
import pytest

from mcpcore.loop import run as run_loop
from mcpcore.transport.http import ServerLimits, start_http
from mcpcore.transport.streamable import HttpOptions, InMemoryEventStore, StreamableHTTP
from mcpcore.wire.http11 import Request, RequestParser
from tests.memory_peer import MemoryPeer
from tests.transport.fronts import FRONTS, serve_front
from tests.transport.hostile_server import auth, build
from tests.transport.http_peer import (
    DEADLINE,
    LEGACY,
    AwaitingStore,
    Peer,
    Response,
    initialize_body,
    legacy_headers,
    modern_headers,
    modern_request,
    serve_and_run,
)


def _call(request_id: int, name: str, arguments: dict[str, Any] | None = None) -> dict[str, Any]:
    params = {"name": name, "arguments": arguments or {}}
    return {"jsonrpc": "2.0", "id": request_id, "method": "tools/call", "params": params}


def _ping(request_id: int) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": request_id, "method": "ping"}


def _with_token(headers: dict[str, str], token: str | None) -> dict[str, str]:
    return headers if token is None else {**headers, "Authorization": f"Bearer {token}"}


async def _open(peer: Peer, token: str | None = None) -> str:
    response = await peer.request("POST", initialize_body(), _with_token(legacy_headers(), token))
    assert response.status == 200, response.body
    session_id = response.headers["mcp-session-id"]
    note = {"jsonrpc": "2.0", "method": "notifications/initialized"}
    assert (await peer.request("POST", note, _with_token(legacy_headers(session_id), token))).status == 202
    return session_id


async def _ping_status(peer: Peer, session_id: str, token: str | None = None) -> int:
    return (await peer.request("POST", _ping(5), _with_token(legacy_headers(session_id), token))).status


# ----------------------------------------------------------------- pipelining


def test_parser_hands_out_at_most_limit_requests_and_keeps_the_rest_unparsed() -> None:
    heads = [b"GET /%d HTTP/1.1\r\nHost: x\r\n\r\n" % i for i in range(100)]
    chunked = b"POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"
    data = b"".join(heads[:50]) + chunked + b"".join(heads[50:])
    parser = RequestParser()
    first = parser.feed(data, 32)
    assert [event.target for event in first if isinstance(event, Request)] == [f"/{i}" for i in range(32)]
    assert not parser.idle
    rest: list[Any] = []
    while batch := parser.feed(b"", 32):
        assert len(batch) <= 32
        rest += batch
    targets = [f"/{i}" for i in range(32, 50)] + ["/c"] + [f"/{i}" for i in range(50, 100)]
    assert [event.target for event in rest] == targets
    assert rest[18].body == b"abc"
    assert parser.idle
    nothing_yet = RequestParser()
    assert nothing_yet.feed(data, 0) == []
    assert len(nothing_yet.feed(b"")) == 101


@pytest.mark.parametrize("depth", [400, 3000])
def test_pings_pipelined_behind_a_slow_call_are_all_answered_in_order(loop_name: str, depth: int) -> None:
    """The RecursionError case: one write of a slow call and ``depth`` pings (far past the queue bound)."""
    server, _ = build()

    async def body(port: int) -> None:
        peer = await Peer.connect(port)
        session_id = await _open(peer)
        headers = legacy_headers(session_id, accept="application/json")
        data = [peer.request_bytes("POST", _call(0, "slow", {"seconds": 0.2, "value": 7}), headers)]
        data += [peer.request_bytes("POST", _ping(i), headers) for i in range(1, depth + 1)]
        peer.send_raw(b"".join(data))
        first = await peer.read_response()
        assert first.json()["result"]["structuredContent"]["result"] == 7
        for request_id in range(1, depth + 1):
            response = await peer.read_response()
            assert (response.status, response.json()) == (
                200,
                {"jsonrpc": "2.0", "id": request_id, "result": {}},
            )
        assert await _ping_status(peer, session_id) == 200  # the connection is still good
        peer.close()

    serve_and_run(loop_name, server, body)


def test_pipelined_modern_posts_may_both_use_id_1(loop_name: str) -> None:
    server, _ = build()

    async def body(port: int) -> None:
        peer = await Peer.connect(port)
        slow = modern_request(1, "tools/call", {"name": "slow", "arguments": {"seconds": 0.1, "value": 3}})
        again = modern_request(1, "tools/call", {"name": "slow", "arguments": {"seconds": 0.0, "value": 4}})
        peer.send_raw(
            peer.request_bytes("POST", slow, modern_headers("tools/call", "slow"))
            + peer.request_bytes("POST", again, modern_headers("tools/call", "slow"))
            + peer.request_bytes(
                "POST",
                modern_request(1, "tools/call", {"name": "whoami", "arguments": {}}),
                modern_headers("tools/call", "whoami"),
            )
        )
        results = [(await peer.read_response()).json() for _ in range(3)]
        assert [result["id"] for result in results] == [1, 1, 1]
        assert results[0]["result"]["structuredContent"]["result"] == 3
        assert results[1]["result"]["structuredContent"]["result"] == 4
        assert results[2]["result"]["structuredContent"]["http"] is True
        peer.close()

    serve_and_run(loop_name, server, body)


# ------------------------------------------------------------- 400 and 406


@pytest.mark.parametrize("front", FRONTS)
def test_json_that_is_not_jsonrpc_gets_400_and_an_unacceptable_accept_406(front: str, loop_name: str) -> None:
    server, _ = build()

    async def body(port: int, endpoint: StreamableHTTP) -> None:
        peer = await Peer.connect(port)
        session_id = await _open(peer)
        for junk in (
            42,
            "text",
            [],
            {},
            {"hello": "world"},
            [1, 2],
            {"jsonrpc": "1.0", "id": 3, "method": "ping"},
        ):
            response = await peer.request("POST", orjson.dumps(junk), legacy_headers(session_id))
            assert response.status == 400, junk
            assert response.json()["error"]["code"] == -32600
        wrong_version = {"jsonrpc": "1.0", "id": 3, "method": "ping"}
        assert (await peer.request("POST", wrong_version, legacy_headers(session_id))).json()["id"] == 3
        for accept in ("text/html", "application/json;q=0, text/html", "image/*"):
            response = await peer.request("POST", _ping(9), legacy_headers(session_id, accept=accept))
            assert response.status == 406, accept
            assert response.json()["error"]["code"] == -32600
        for accept in ("application/json", "text/event-stream", "*/*", "application/*", ""):
            headers = legacy_headers(session_id, accept=accept)
            if not accept:
                del headers["Accept"]  # no Accept header: anything goes
            response = await peer.request("POST", _ping(9), headers)
            assert response.status == 200, accept
            assert response.messages() == [{"jsonrpc": "2.0", "id": 9, "result": {}}]
        peer.close()

    serve_front(front, loop_name, server, HttpOptions(), body)


# ------------------------------------------------------------- session table


@pytest.mark.parametrize("front", FRONTS)
def test_full_session_table_evicts_the_least_recently_used_idle_session(front: str, loop_name: str) -> None:
    server, _ = build()

    async def body(port: int, endpoint: StreamableHTTP) -> None:
        peer = await Peer.connect(port)
        first, second, third = [await _open(peer) for _ in range(3)]
        assert await _ping_status(peer, first) == 200  # now `second` is the least recently used
        fourth = await _open(peer)
        assert len(endpoint.sessions) == 3
        assert await _ping_status(peer, second) == 404
        for session_id in (first, third, fourth):
            assert await _ping_status(peer, session_id) == 200
        # Every session busy: nothing may be evicted, so a new one is refused.
        holders = []
        for session_id in (first, third, fourth):
            holder = await Peer.connect(port)
            holder.send_raw(holder.request_bytes("POST", _call(7, "hold"), legacy_headers(session_id)))
            assert (await holder.read_head())[0] == 200  # the SSE head: the call is in flight
            holders.append(holder)
        refused = await peer.request("POST", initialize_body(), legacy_headers())
        assert refused.status == 503
        assert (await peer.request("POST", _call(8, "release"), legacy_headers(first))).status == 200
        for holder in holders:
            assert await holder.read_chunk()  # the held call's result event
            holder.close()
        assert len(endpoint.sessions) == 3
        fifth = await _open(peer)
        assert await _ping_status(peer, fifth) == 200
        peer.close()

    serve_front(front, loop_name, server, HttpOptions(max_sessions=3), body)


@pytest.mark.parametrize("front", FRONTS)
def test_one_principal_cannot_take_the_session_table(front: str, loop_name: str) -> None:
    server, _ = build()

    async def body(port: int, endpoint: StreamableHTTP) -> None:
        peer = await Peer.connect(port)
        alice_1 = await _open(peer, "alice")
        alice_2 = await _open(peer, "alice")
        bob_1 = await _open(peer, "bob")
        alice_3 = await _open(peer, "alice")  # evicts alice's least recently used, never bob's
        assert await _ping_status(peer, alice_1, "alice") == 404
        assert await _ping_status(peer, bob_1, "bob") == 200
        holders = []
        for session_id in (alice_2, alice_3):
            holder = await Peer.connect(port)
            headers = _with_token(legacy_headers(session_id), "alice")
            holder.send_raw(holder.request_bytes("POST", _call(7, "hold"), headers))
            assert (await holder.read_head())[0] == 200
            holders.append(holder)
        refused = await peer.request("POST", initialize_body(), _with_token(legacy_headers(), "alice"))
        assert refused.status == 503
        assert await _open(peer, "bob")  # another principal is not affected
        release = await peer.request("POST", _call(8, "release"), _with_token(legacy_headers(bob_1), "bob"))
        assert release.status == 200
        for holder in holders:
            assert await holder.read_chunk()
            holder.close()
        peer.close()

    options = HttpOptions(auth=auth(), max_sessions_per_principal=2)
    serve_front(front, loop_name, server, options, body)


@pytest.mark.parametrize("front", FRONTS)
def test_a_session_and_its_resumption_belong_to_the_principal_that_created_it(
    front: str, loop_name: str
) -> None:
    server, _ = build()

    async def body(port: int, endpoint: StreamableHTTP) -> None:
        peer = await Peer.connect(port)
        mine = await _open(peer, "alice")
        answered = await peer.request("POST", _ping(4), _with_token(legacy_headers(mine), "alice"))
        event_id = next(event.id for event in answered.events() if event.id)
        stream = {"Accept": "text/event-stream", "MCP-Protocol-Version": LEGACY, "Mcp-Session-Id": mine}
        for method, payload, headers in (
            ("POST", _ping(5), legacy_headers(mine)),
            ("GET", None, stream),
            ("GET", None, {**stream, "Last-Event-ID": event_id}),
            ("DELETE", None, {"MCP-Protocol-Version": LEGACY, "Mcp-Session-Id": mine}),
        ):
            response = await peer.request(method, payload, _with_token(headers, "bob"))
            assert response.status == 404, (method, headers)
        # Another of alice's own sessions cannot replay this one's stream either.
        other = await _open(peer, "alice")
        resumed = await peer.request(
            "GET", None, _with_token({**stream, "Mcp-Session-Id": other, "Last-Event-ID": event_id}, "alice")
        )
        assert resumed.status == 404
        assert await _ping_status(peer, mine, "alice") == 200
        peer.close()

    options = HttpOptions(auth=auth(), event_store=InMemoryEventStore())
    serve_front(front, loop_name, server, options, body)


def test_on_a_replica_without_the_session_a_stream_replays_only_for_its_session_and_principal(
    loop_name: str,
) -> None:
    """A shared event store: replica B, which never saw the session, checks the binding from the id."""
    shared = AwaitingStore()
    options = HttpOptions(auth=auth(), event_store=shared)

    async def scenario() -> None:
        replica_a = await start_http(build()[0], "127.0.0.1", 0, options=options)
        replica_b = await start_http(build()[0], "127.0.0.1", 0, options=options)
        try:
            on_a = await Peer.connect(replica_a.port)
            mine = await _open(on_a, "alice")
            other = await _open(on_a, "alice")
            answered = await on_a.request("POST", _ping(4), _with_token(legacy_headers(mine), "alice"))
            events = [event for event in answered.events() if event.id]
            stream = {"Accept": "text/event-stream", "MCP-Protocol-Version": LEGACY, "Mcp-Session-Id": mine}
            resume = {**stream, "Last-Event-ID": events[0].id}
            on_b = await Peer.connect(replica_b.port)
            replayed = await on_b.request("GET", None, _with_token(resume, "alice"))
            assert replayed.status == 200
            assert [event.id for event in replayed.events() if event.data] == [e.id for e in events[1:]]
            for token, headers in (
                ("bob", resume),  # another principal, with the right session id
                ("alice", {**resume, "Mcp-Session-Id": other}),  # alice's other session
                (None, resume),  # no token at all: 401 before anything else
            ):
                refused = await on_b.request("GET", None, _with_token(headers, token))
                assert refused.status in ((401,) if token is None else (404,)), (token, headers)
            on_a.close()
            on_b.close()
        finally:
            await replica_a.close()
            await replica_b.close()

    run_loop(asyncio.wait_for(scenario(), 60), loop=loop_name)  # type: ignore[arg-type]


# ---------------------------------------------------------------- context


@pytest.mark.parametrize("front", FRONTS)
def test_a_tool_sees_the_verified_token_and_the_request_headers(front: str, loop_name: str) -> None:
    server, _ = build()

    def result(response: Response) -> Any:
        return response.messages()[-1]["result"]["structuredContent"]

    async def body(port: int, endpoint: StreamableHTTP) -> None:
        peer = await Peer.connect(port)
        session_id = await _open(peer, "bob")
        headers = _with_token({**legacy_headers(session_id), "User-Agent": "agent-7"}, "bob")
        legacy = await peer.request("POST", _call(2, "whoami"), headers)
        assert result(legacy) == {"client": "client-b", "agent": "agent-7", "http": True}
        modern = await peer.request(
            "POST",
            modern_request(3, "tools/call", {"name": "whoami", "arguments": {}}),
            _with_token({**modern_headers("tools/call", "whoami"), "User-Agent": "agent-8"}, "alice"),
        )
        assert result(modern) == {"client": "client-a", "agent": "agent-8", "http": True}
        peer.close()

    serve_front(front, loop_name, server, HttpOptions(auth=auth()), body)


def test_without_auth_the_token_is_none_and_on_stdio_the_headers_are_too(loop_name: str) -> None:
    server, _ = build()

    async def body(port: int) -> None:
        peer = await Peer.connect(port)
        session_id = await _open(peer)
        response = await peer.request("POST", _call(2, "whoami"), legacy_headers(session_id))
        assert response.messages()[-1]["result"]["structuredContent"] == {
            "client": None,
            "agent": None,
            "http": True,
        }
        peer.close()

    serve_and_run(loop_name, server, body)
    memory = MemoryPeer(build()[0])
    memory.initialize()
    answer = memory.request("tools/call", {"name": "whoami", "arguments": {}})
    assert answer["result"]["structuredContent"] == {"client": None, "agent": None, "http": False}


# ------------------------------------------------------------------ idle limits


def test_idle_sessions_are_reaped_and_idle_connections_closed(loop_name: str) -> None:
    server, _ = build()

    async def body(port: int) -> None:
        peer = await Peer.connect(port)
        session_id = await _open(peer)
        assert await peer.closed_by_server()  # keepalive_timeout: the idle connection is closed
        peer.close()
        deadline = asyncio.get_running_loop().time() + DEADLINE
        while True:  # the reaper runs once a second; a failure deadline bounds the wait
            probe = await Peer.connect(port)
            status = await _ping_status(probe, session_id)
            probe.close()
            if status == 404:
                break
            assert status == 200 and asyncio.get_running_loop().time() < deadline
            # A probe uses the session: wait past its idle timeout plus one reaper period, so the
            # reaper finds it idle before the next probe, however late this loop ran.
            await asyncio.sleep(1.6)

    options = HttpOptions(session_idle_timeout=0.5)
    serve_and_run(loop_name, server, body, options=options, limits=ServerLimits(keepalive_timeout=0.5))
