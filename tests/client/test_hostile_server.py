"""The client role against a hostile server: every inbound value is checked before it is used.

A server may send anything: tokens and ids that cannot be dict keys, results
of the wrong shape, requests with missing params. The client must answer
each bad request with -32602 and its id, ignore each bad notification, fail
only the one request whose answer is malformed (with a clear error, never a
hang), keep working afterwards, and log nothing at ERROR.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest

from mcpcore.client.session import ClientSession
from mcpcore.errors import RemoteProtocolError
from tests.client.peer import FakeServer, attach, run
from tests.client.test_session import DISCOVER, connect_legacy

UNHASHABLE: list[Any] = [[1], {"x": [1]}, [], {}]


async def _still_working(session: ClientSession, server: FakeServer) -> None:
    """A round trip after the hostile message: the client still sends and resolves requests."""
    pending = asyncio.ensure_future(session.send_request("ping"))
    request = await server.next()
    assert request["method"] == "ping"
    server.reply(request, {})
    assert await pending == {}


def _no_errors_logged(caplog: pytest.LogCaptureFixture) -> None:
    errors = [record for record in caplog.records if record.levelno >= logging.ERROR]
    assert errors == [], [record.getMessage() for record in errors]


HOSTILE_NOTIFICATIONS: list[tuple[str, Any]] = [
    *[("notifications/progress", {"progressToken": bad, "progress": 1}) for bad in UNHASHABLE],
    ("notifications/progress", {"progressToken": 1, "progress": [1]}),
    *[("notifications/cancelled", {"requestId": bad}) for bad in UNHASHABLE],
    ("notifications/message", {"level": ["error"], "data": "x"}),
    ("notifications/message", {"level": "loud", "data": "x"}),
    ("notifications/resources/updated", {"uri": {}}),
    *[
        ("notifications/tools/list_changed", {"_meta": {"io.modelcontextprotocol/subscriptionId": bad}})
        for bad in UNHASHABLE
    ],
    ("notifications/subscriptions/acknowledged", {"notifications": []}),
    ("notifications/anything", {"_meta": "not an object"}),
]


def test_hostile_notifications_are_ignored(loop_name: str, caplog: pytest.LogCaptureFixture) -> None:
    async def scenario() -> None:
        seen: list[Any] = []
        session, server = attach(on_notification=lambda method, params: seen.append(method))
        await connect_legacy(session, server)
        for method, params in HOSTILE_NOTIFICATIONS:
            server.feed({"jsonrpc": "2.0", "method": method, "params": params})
            await _still_working(session, server)
            assert server.nothing_sent(), (method, params)  # a notification is never answered
        assert seen == []  # none reached a user callback

    run(scenario(), loop_name)
    _no_errors_logged(caplog)


HOSTILE_REQUESTS: list[tuple[str, Any]] = [
    ("sampling/createMessage", {}),
    ("sampling/createMessage", {"messages": "hi", "maxTokens": 5}),
    ("sampling/createMessage", {"messages": [], "maxTokens": "5"}),
    ("elicitation/create", {"message": ["?"]}),
    ("elicitation/create", {"message": "?", "requestedSchema": []}),
    ("elicitation/create", {"message": "?", "mode": "telepathy"}),
    ("ping", {"_meta": {"progressToken": []}}),
]


def test_hostile_requests_get_invalid_params(loop_name: str, caplog: pytest.LogCaptureFixture) -> None:
    async def scenario() -> None:
        called: list[Any] = []

        def handler(params: dict[str, Any]) -> dict[str, Any]:
            called.append(params)
            return {}

        session, server = attach(handlers={"sampling/createMessage": handler, "elicitation/create": handler})
        await connect_legacy(session, server)
        for number, (method, params) in enumerate(HOSTILE_REQUESTS, start=100):
            server.feed({"jsonrpc": "2.0", "id": number, "method": method, "params": params})
            reply = await server.next()
            assert reply["id"] == number and reply["error"]["code"] == -32602, (method, params, reply)
            await _still_working(session, server)
        assert called == []  # no handler saw a malformed request

    run(scenario(), loop_name)
    _no_errors_logged(caplog)


UNUSABLE_IDS: list[Any] = [*UNHASHABLE, 1.5, True]


def test_a_request_with_an_unusable_id_gets_invalid_request_with_id_null(
    loop_name: str, caplog: pytest.LogCaptureFixture
) -> None:
    """JSON-RPC §5: an Invalid Request whose id cannot be read is answered with id null, never dropped."""

    async def scenario() -> None:
        session, server = attach(handlers={"elicitation/create": lambda params: {"action": "decline"}})
        await connect_legacy(session, server)
        for bad in UNUSABLE_IDS:
            server.feed({"jsonrpc": "2.0", "id": bad, "method": "elicitation/create", "params": {}})
            reply = await server.next()
            assert reply["id"] is None and reply["error"]["code"] == -32600, (bad, reply)
            await _still_working(session, server)

    run(scenario(), loop_name)
    _no_errors_logged(caplog)


MALFORMED_RESULTS: list[tuple[str, Any]] = [
    ("tools/list", {"tools": "all of them"}),
    ("tools/list", {"tools": [{"name": 5}]}),
    ("tools/call", {"content": {"type": "text"}}),
    ("tools/call", {"content": [], "inputRequests": {"k": {"method": []}}}),
    ("resources/read", {"contents": [{"uri": []}]}),
    ("prompts/get", {"messages": "hello"}),
    ("completion/complete", {"completion": {"values": [1, 2]}}),
    ("ping", []),
    ("any/custom", "a string where an object belongs"),
]


@pytest.mark.parametrize(("method", "result"), MALFORMED_RESULTS, ids=[m for m, _ in MALFORMED_RESULTS])
def test_a_malformed_result_fails_only_its_own_request(
    loop_name: str, method: str, result: Any, caplog: pytest.LogCaptureFixture
) -> None:
    async def scenario() -> None:
        session, server = attach()
        await connect_legacy(session, server)
        pending = asyncio.ensure_future(session.send_request(method, {}))
        server.reply(await server.next(), result)
        with pytest.raises(RemoteProtocolError, match=f"malformed {method} answer"):
            await pending
        await _still_working(session, server)

    run(scenario(), loop_name)
    _no_errors_logged(caplog)


def test_a_malformed_handshake_answer_fails_connect_clearly(loop_name: str) -> None:
    async def scenario() -> None:
        session, server = attach()
        connecting = asyncio.ensure_future(session.connect("legacy"))
        server.reply(await server.next(), {"protocolVersion": ["2025-11-25"], "capabilities": {}})
        with pytest.raises(RemoteProtocolError, match="malformed initialize answer"):
            await connecting
        connecting = asyncio.ensure_future(session.connect("modern"))
        server.reply(await server.next(), {**DISCOVER, "supportedVersions": "2026-07-28"})
        with pytest.raises(RemoteProtocolError, match="malformed server/discover answer"):
            await connecting

    run(scenario(), loop_name)


def test_a_listen_stream_buffers_at_most_its_bound(loop_name: str) -> None:
    """A server that floods a stream nobody reads cannot grow the client's memory."""

    async def scenario() -> None:
        session, server = attach()
        connecting = asyncio.ensure_future(session.connect("modern"))
        server.reply(await server.next(), DISCOVER)
        await connecting
        opening = asyncio.ensure_future(session.listen({"toolsListChanged": True}, max_buffered=4))
        request = await server.next()
        meta = {"io.modelcontextprotocol/subscriptionId": request["id"]}
        ack = {"notifications": {"toolsListChanged": True}, "_meta": meta}
        server.feed({"jsonrpc": "2.0", "method": "notifications/subscriptions/acknowledged", "params": ack})
        subscription = await opening
        for _ in range(100):
            server.feed(
                {"jsonrpc": "2.0", "method": "notifications/tools/list_changed", "params": {"_meta": meta}}
            )
        assert subscription.dropped == 96
        server.feed(
            {"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": request["id"]}}
        )
        received = [item async for item in subscription]
        assert len(received) == 4

    run(scenario(), loop_name)
