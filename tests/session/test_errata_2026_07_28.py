"""The errata to 2026-07-28 since its release, one test (or two) each, quoting the clause.

The clauses come from the published schema (``tests/schemas/2026-07-28/schema.json``,
the same file as the shipped ``mcpcore/check/schemas/2026-07-28.json``) and the
published pages at modelcontextprotocol.io/specification/2026-07-28. The server
side runs a real :class:`~mcpcore.Server` connection fed with frames (no I/O);
the client side runs a real :class:`~mcpcore.client.session.ClientSession`
against the scripted peer of ``tests/client/peer.py``. Every message checked
against a schema definition is checked against the published schema.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import orjson

from mcpcore import Server
from mcpcore.client.subscription import Subscription
from mcpcore.router import Connection
from tests.client.peer import attach, run
from tests.client.test_session import connect_modern
from tests.helpers import modern_meta
from tests.schema_check import check

V = "2026-07-28"
SUBSCRIPTION_ID = "io.modelcontextprotocol/subscriptionId"
SERVER_INFO = "io.modelcontextprotocol/serverInfo"
TASKS = "io.modelcontextprotocol/tasks"
ROOT = Path(__file__).resolve().parents[2]
DEADLINE = 10.0


class Wire:
    """The server connection's sink: every frame it writes, decoded, in order."""

    def __init__(self) -> None:
        self.messages: asyncio.Queue[dict[str, Any]] = asyncio.Queue()

    def write(self, data: bytes) -> None:
        for line in data.splitlines():
            if line.strip():
                self.messages.put_nowait(orjson.loads(line))

    async def next(self) -> dict[str, Any]:
        return await asyncio.wait_for(self.messages.get(), DEADLINE)

    async def answer(self, request_id: Any, seen: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        """The response to ``request_id``; anything before it goes to ``seen``."""
        while True:
            message = await self.next()
            if message.get("id") == request_id and "method" not in message:
                return message
            if seen is not None:
                seen.append(message)


class Peer:
    """A client written by hand: sends frames to a real server connection."""

    def __init__(self, connection: Connection, wire: Wire) -> None:
        self.connection = connection
        self.wire = wire
        self._ids = iter(range(1, 1_000_000))

    def send(self, method: str, params: dict[str, Any]) -> int:
        request_id = next(self._ids)
        frame = {"jsonrpc": "2.0", "id": request_id, "method": method, "params": params}
        self.connection.receive_frame(orjson.dumps(frame) + b"\n")
        return request_id

    async def call(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        return await self.wire.answer(self.send(method, params))


def errata_server() -> Server:
    server = Server("errata-server", "1.2.3", page_size=2)

    # registered out of alphabetical order on purpose: the order is registration order
    @server.tool()
    def zeta() -> str:
        return "z"

    @server.tool()
    def alpha() -> str:
        return "a"

    @server.tool()
    def mid() -> str:
        return "m"

    @server.tool(run="loop")
    def change_tools() -> str:
        server.notify_list_changed("tools")
        return "changed"

    @server.tool(task_support="optional")
    async def background() -> str:
        return "done"

    return server


@asynccontextmanager
async def serving(server: Server) -> AsyncIterator[Peer]:
    async with server.running():
        wire = Wire()
        connection = server.connect(wire)
        try:
            yield Peer(connection, wire)
        finally:
            await connection.shutdown(1.0)
            server.disconnect(connection)


# ------------------------------------------------ subscriptions/listen envelope, MetaObject rename


def test_the_meta_objects_carry_their_renamed_names_in_the_shipped_schema() -> None:
    """Schema: ``MetaObject`` ("Represents the contents of a `_meta` field"), extended by
    ``RequestMetaObject``, ``ResultMetaObject`` and ``NotificationMetaObject`` ("Extends
    {@link MetaObject} ... All key naming rules from `MetaObject` apply")."""
    shipped = json.loads((ROOT / "mcpcore" / "check" / "schemas" / f"{V}.json").read_text())
    published = json.loads((ROOT / "tests" / "schemas" / V / "schema.json").read_text())
    assert shipped == published
    defs = shipped["$defs"]
    for name in ("MetaObject", "RequestMetaObject", "ResultMetaObject", "NotificationMetaObject"):
        assert name in defs
    assert defs["SubscriptionsListenRequestParams"]["properties"]["_meta"] == {
        "$ref": "#/$defs/RequestMetaObject"
    }
    assert defs["NotificationMetaObject"]["properties"][SUBSCRIPTION_ID]


def test_listen_requires_the_request_envelope(loop_name: str) -> None:
    """Schema, ``SubscriptionsListenRequestParams``: ``"required": ["_meta", "notifications"]``,
    ``_meta`` being a ``RequestMetaObject`` (protocolVersion and clientCapabilities required)."""

    async def scenario() -> None:
        async with serving(errata_server()) as peer:
            refused = await peer.call("subscriptions/listen", {"notifications": {"toolsListChanged": True}})
            assert refused["error"]["code"] == -32602
            check(V, "JSONRPCErrorResponse", refused)

    run(scenario(), loop_name)


def test_the_client_sends_listen_in_the_envelope(loop_name: str) -> None:
    """The same clause, client side: mcpcore's listen request is a valid ``SubscriptionsListenRequest``."""

    async def scenario() -> None:
        session, server = attach()
        await connect_modern(session, server)
        listening = asyncio.ensure_future(session.listen({"toolsListChanged": True}))
        request = await server.next()
        check(V, "SubscriptionsListenRequest", request)
        meta = {SUBSCRIPTION_ID: request["id"]}
        server.feed(
            {
                "jsonrpc": "2.0",
                "method": "notifications/subscriptions/acknowledged",
                "params": {"notifications": {"toolsListChanged": True}, "_meta": meta},
            }
        )
        (await listening).close()

    run(scenario(), loop_name)


# ------------------------------------------------------ subscriptionId = the listen request's id


def test_every_listen_notification_carries_the_listen_requests_id(loop_name: str) -> None:
    """``NotificationMetaObject``: "The server MUST include this key on every notification delivered
    via a subscriptions/listen stream ... The value is the JSON-RPC ID of the `subscriptions/listen`
    request that opened the stream." """

    async def scenario() -> None:
        async with serving(errata_server()) as peer:
            listen_id = peer.send(
                "subscriptions/listen", {"notifications": {"toolsListChanged": True}, "_meta": modern_meta()}
            )
            ack = await peer.wire.next()
            assert ack["method"] == "notifications/subscriptions/acknowledged"
            check(V, "SubscriptionsAcknowledgedNotification", ack)
            assert ack["params"]["_meta"][SUBSCRIPTION_ID] == listen_id
            seen: list[dict[str, Any]] = []
            call_id = peer.send(
                "tools/call", {"name": "change_tools", "arguments": {}, "_meta": modern_meta()}
            )
            await peer.wire.answer(call_id, seen)
            while not any(m.get("method") == "notifications/tools/list_changed" for m in seen):
                seen.append(await peer.wire.next())
            changed = next(m for m in seen if m.get("method") == "notifications/tools/list_changed")
            assert changed["params"]["_meta"][SUBSCRIPTION_ID] == listen_id

    run(scenario(), loop_name)


# ------------------------------------------------------------------- graceful listen completion


def test_the_server_ends_a_listen_stream_with_a_result(loop_name: str) -> None:
    """``SubscriptionsListenResult``: "signalling that the subscription has ended gracefully (for
    example, during server shutdown)"; its ``_meta`` requires ``subscriptionId``, which "equals this
    response's `id`"."""

    async def scenario() -> None:
        server = errata_server()
        async with server.running():
            wire = Wire()
            connection = server.connect(wire)
            peer = Peer(connection, wire)
            listen_id = peer.send(
                "subscriptions/listen", {"notifications": {"toolsListChanged": True}, "_meta": modern_meta()}
            )
            assert (await wire.next())["method"] == "notifications/subscriptions/acknowledged"
            await connection.shutdown(1.0)
            final = await wire.answer(listen_id)
            server.disconnect(connection)
        check(V, "SubscriptionsListenResultResponse", final)
        assert final["result"]["resultType"] == "complete"
        assert final["result"]["_meta"][SUBSCRIPTION_ID] == listen_id == final["id"]

    run(scenario(), loop_name)


def test_the_client_ends_the_stream_on_the_listen_result(loop_name: str) -> None:
    """The same clause, client side: the result ends the stream; the reader drains what was
    delivered, then stops, and :attr:`Subscription.outcome` is the result."""

    async def scenario() -> None:
        session, server = attach()
        await connect_modern(session, server)
        listening = asyncio.ensure_future(session.listen({"toolsListChanged": True}))
        request = await server.next()
        meta = {SUBSCRIPTION_ID: request["id"]}
        server.feed(
            {
                "jsonrpc": "2.0",
                "method": "notifications/subscriptions/acknowledged",
                "params": {"notifications": {"toolsListChanged": True}, "_meta": meta},
            }
        )
        subscription: Subscription = await listening
        server.feed(
            {"jsonrpc": "2.0", "method": "notifications/tools/list_changed", "params": {"_meta": meta}}
        )
        result = {"resultType": "complete", "_meta": meta}
        server.reply(request, result)
        received = [item["method"] async for item in subscription]
        assert received == ["notifications/tools/list_changed"]
        assert subscription.outcome == result

    run(scenario(), loop_name)


# --------------------------------------------------------------------------- clientInfo optional


def test_a_request_without_client_info_is_served(loop_name: str) -> None:
    """``RequestMetaObject``: "required": [clientCapabilities, protocolVersion]; clientInfo: "Clients
    SHOULD include this field on every request unless specifically configured not to do so." """

    async def scenario() -> None:
        async with serving(errata_server()) as peer:
            meta = modern_meta()
            del meta["io.modelcontextprotocol/clientInfo"]
            answer = await peer.call("tools/call", {"name": "alpha", "arguments": {}, "_meta": meta})
            assert answer["result"]["content"][0]["text"] == "a"

    run(scenario(), loop_name)


# ---------------------------------------------------- serverInfo in result _meta, not DiscoverResult


def test_server_info_rides_in_result_meta_and_not_in_discover_result(loop_name: str) -> None:
    """``ResultMetaObject``: serverInfo "Identifies the server software producing the response.
    Servers SHOULD include this field on every response"; ``DiscoverResult`` has no ``serverInfo``
    member (supportedVersions, capabilities, instructions, cache hints, resultType, _meta)."""

    async def scenario() -> None:
        async with serving(errata_server()) as peer:
            discovered = await peer.call("server/discover", {"_meta": modern_meta()})
            check(V, "DiscoverResultResponse", discovered)
            assert "serverInfo" not in discovered["result"]
            assert discovered["result"]["_meta"][SERVER_INFO] == {"name": "errata-server", "version": "1.2.3"}
            listed = await peer.call("tools/list", {"_meta": modern_meta()})
            assert listed["result"]["_meta"][SERVER_INFO]["name"] == "errata-server"

    run(scenario(), loop_name)


# ------------------------------------------------------------- the tasks capability error, -32021


def test_task_methods_from_a_client_without_the_extension_are_minus_32021(loop_name: str) -> None:
    """Tasks extension, error handling: "Missing required client capabilities ... Servers MUST
    return this error for non-declaring clients issuing `tasks/get`, `tasks/update`, and
    `tasks/cancel` requests"; in 2026-07-28 that error is ``MissingRequiredClientCapabilityError``,
    code -32021 with ``data.requiredCapabilities``."""

    async def scenario() -> None:
        async with serving(errata_server()) as peer:
            for method in ("tasks/get", "tasks/update", "tasks/cancel"):
                params: dict[str, Any] = {"taskId": "no-such-task", "_meta": modern_meta()}
                if method == "tasks/update":
                    params["inputResponses"] = {}
                refused = await peer.call(method, params)
                assert refused["error"]["code"] == -32021, (method, refused)
                check(V, "MissingRequiredClientCapabilityError", refused)
                assert TASKS in refused["error"]["data"]["requiredCapabilities"]["extensions"]

    run(scenario(), loop_name)


# ------------------------------------------------------------------ tools in a deterministic order


def test_tools_are_listed_in_a_deterministic_order(loop_name: str) -> None:
    """Tools page: "Servers SHOULD return tools in a deterministic order (i.e., the same ordering
    across requests when the underlying set of tools has not changed)." Here: registration order,
    the same on every listing and across pages."""

    async def scenario() -> None:
        async with serving(errata_server()) as peer:

            async def walk() -> list[str]:
                names: list[str] = []
                cursor: str | None = None
                while True:
                    params: dict[str, Any] = {"_meta": modern_meta()}
                    if cursor is not None:
                        params["cursor"] = cursor
                    page = (await peer.call("tools/list", params))["result"]
                    names += [tool["name"] for tool in page["tools"]]
                    cursor = page.get("nextCursor")
                    if cursor is None:
                        return names

            first, second = await walk(), await walk()
            assert first == second == ["zeta", "alpha", "mid", "change_tools", "background"]

    run(scenario(), loop_name)
