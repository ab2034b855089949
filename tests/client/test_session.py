"""ClientSession against an in-memory server: correlation, timeouts, eras, server requests, MRTR, cache.

Every test runs on uvloop and on asyncio (``loop_name``). The fake server is a
queue of what the client wrote; waits are failure deadlines, never sleeps.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from mcpcore import versions
from mcpcore.client import Client, PaginationError
from mcpcore.client.session import ClientSession
from mcpcore.errors import ConnectionClosedError, RemoteProtocolError, RequestTimeoutError, RpcError
from mcpcore.session import META_CLIENT_CAPABILITIES, META_PROTOCOL_VERSION
from tests.client.peer import FakeServer, attach, run

#: The smallest valid sampling/createMessage params (the client checks shapes before its handler runs).
SAMPLING = {"messages": [], "maxTokens": 16}

DISCOVER = {
    "supportedVersions": ["2026-07-28", "2025-11-25"],
    "capabilities": {"tools": {}},
    "ttlMs": 0,
    "cacheScope": "public",
    "resultType": "complete",
    "_meta": {"io.modelcontextprotocol/serverInfo": {"name": "fake", "version": "1"}},
}
INIT = {
    "protocolVersion": "2025-11-25",
    "capabilities": {"tools": {}},
    "serverInfo": {"name": "fake", "version": "1"},
}


async def connect_modern(session: ClientSession, server: FakeServer) -> None:
    task = asyncio.ensure_future(session.connect("modern"))
    server.reply(await server.next(), DISCOVER)
    await task


async def connect_legacy(session: ClientSession, server: FakeServer) -> None:
    task = asyncio.ensure_future(session.connect("legacy"))
    server.reply(await server.next(), INIT)
    await task
    assert (await server.next())["method"] == "notifications/initialized"


def test_responses_out_of_order_resolve_their_own_requests(loop_name: str) -> None:
    async def scenario() -> None:
        session, server = attach()
        first = asyncio.ensure_future(session.send_request("a"))
        second = asyncio.ensure_future(session.send_request("b"))
        req_a, req_b = await server.next(), await server.next()
        assert req_a["id"] != req_b["id"]
        server.reply(req_b, {"who": "b"})
        server.reply(req_a, {"who": "a"})
        assert await first == {"who": "a"}
        assert await second == {"who": "b"}
        assert session.pending == 0

    run(scenario(), loop_name)


def test_error_answer_raises_rpc_error_with_code_and_data(loop_name: str) -> None:
    async def scenario() -> None:
        session, server = attach()
        call = asyncio.ensure_future(session.send_request("x"))
        server.fail(await server.next(), -32602, "bad", {"why": 1})
        with pytest.raises(RpcError) as info:
            await call
        assert (info.value.code, info.value.message, info.value.data) == (-32602, "bad", {"why": 1})

    run(scenario(), loop_name)


def test_timeout_sends_cancelled_and_ignores_the_late_answer(loop_name: str) -> None:
    async def scenario() -> None:
        session, server = attach()
        call = asyncio.ensure_future(session.send_request("slow", timeout=0.05))
        request = await server.next()
        with pytest.raises(RequestTimeoutError):
            await call
        cancelled = await server.next()
        assert cancelled["method"] == "notifications/cancelled"
        assert cancelled["params"]["requestId"] == request["id"]
        assert "id" not in cancelled
        server.reply(request, {})  # late: must be tolerated
        assert session.pending == 0

    run(scenario(), loop_name)


def test_caller_cancellation_sends_cancelled(loop_name: str) -> None:
    async def scenario() -> None:
        session, server = attach()
        call = asyncio.ensure_future(session.send_request("slow"))
        request = await server.next()
        call.cancel()
        with pytest.raises(asyncio.CancelledError):
            await call
        cancelled = await server.next()
        assert cancelled["params"]["requestId"] == request["id"]

    run(scenario(), loop_name)


def test_initialize_is_never_cancelled(loop_name: str) -> None:
    async def scenario() -> None:
        session, server = attach()
        with pytest.raises(RequestTimeoutError):
            await session.send_request("initialize", {}, timeout=0.05)
        await server.next()
        assert server.nothing_sent()

    run(scenario(), loop_name)


def test_connection_lost_fails_every_pending_request_at_once(loop_name: str) -> None:
    async def scenario() -> None:
        session, server = attach()
        calls = [asyncio.ensure_future(session.send_request(f"m{i}", timeout=None)) for i in range(3)]
        for _ in calls:
            await server.next()
        session.connection_lost("the server went away")
        for call in calls:
            with pytest.raises(ConnectionClosedError, match="went away"):
                await asyncio.wait_for(call, 1)
        with pytest.raises(ConnectionClosedError):
            await session.send_request("after")

    run(scenario(), loop_name)


def test_progress_goes_to_the_callback_of_its_request(loop_name: str) -> None:
    async def scenario() -> None:
        session, server = attach()
        seen: list[tuple[Any, Any, Any]] = []
        call = asyncio.ensure_future(session.send_request("work", progress=lambda *a: seen.append(a)))
        request = await server.next()
        token = request["params"]["_meta"]["progressToken"]
        server.feed(
            {
                "jsonrpc": "2.0",
                "method": "notifications/progress",
                "params": {"progressToken": token, "progress": 1, "total": 2, "message": "half"},
            }
        )
        server.feed(
            {
                "jsonrpc": "2.0",
                "method": "notifications/progress",
                "params": {"progressToken": "other", "progress": 9},
            }
        )
        server.reply(request, {})
        await call
        assert seen == [(1, 2, "half")]

    run(scenario(), loop_name)


def test_log_and_other_notifications_reach_their_callbacks(loop_name: str) -> None:
    async def scenario() -> None:
        logs: list[dict[str, Any]] = []
        others: list[str] = []
        _session, server = attach(on_log=logs.append, on_notification=lambda m, p: others.append(m))
        server.feed(
            {"jsonrpc": "2.0", "method": "notifications/message", "params": {"level": "info", "data": "hi"}}
        )
        server.feed({"jsonrpc": "2.0", "method": "notifications/tools/list_changed"})
        assert logs == [{"level": "info", "data": "hi"}]
        assert others == ["notifications/tools/list_changed"]

    run(scenario(), loop_name)


# ------------------------------------------------------------------ eras


def test_legacy_connect_handshakes_and_sends_initialized(loop_name: str) -> None:
    async def scenario() -> None:
        session, server = attach(handlers={"roots/list": lambda p: {"roots": []}})
        task = asyncio.ensure_future(session.connect("legacy"))
        request = await server.next()
        assert request["method"] == "initialize"
        assert request["params"]["protocolVersion"] == versions.LATEST_LEGACY
        assert request["params"]["capabilities"] == {"roots": {"listChanged": True}}
        server.reply(request, INIT)
        info = await task
        assert (info.era, info.protocol_version, info.info) == (
            "legacy",
            "2025-11-25",
            {"name": "fake", "version": "1"},
        )
        assert (await server.next())["method"] == "notifications/initialized"

    run(scenario(), loop_name)


def test_legacy_connect_refuses_a_version_it_does_not_speak(loop_name: str) -> None:
    async def scenario() -> None:
        session, server = attach()
        task = asyncio.ensure_future(session.connect("legacy"))
        server.reply(await server.next(), {**INIT, "protocolVersion": "1999-01-01"})
        with pytest.raises(Exception, match="1999-01-01"):
            await task

    run(scenario(), loop_name)


def test_auto_connect_takes_a_discover_result_as_modern(loop_name: str) -> None:
    async def scenario() -> None:
        session, server = attach()
        task = asyncio.ensure_future(session.connect("auto"))
        request = await server.next()
        assert request["method"] == "server/discover"
        assert request["params"]["_meta"][META_PROTOCOL_VERSION] == "2026-07-28"
        assert request["params"]["_meta"][META_CLIENT_CAPABILITIES] == {}
        server.reply(request, DISCOVER)
        info = await task
        assert (info.era, info.protocol_version, info.info) == (
            "modern",
            "2026-07-28",
            {"name": "fake", "version": "1"},
        )

    run(scenario(), loop_name)


@pytest.mark.parametrize(
    "answer",
    [
        pytest.param({"code": -32601, "message": "Method not found"}, id="method-not-found"),
        pytest.param({"code": -32600, "message": "not initialized"}, id="invalid-request"),
        pytest.param({"code": -32602, "message": "bad"}, id="invalid-params"),
        pytest.param(
            {"code": -32022, "message": "v", "data": {"supported": ["2025-06-18"]}}, id="legacy-only-32022"
        ),
        pytest.param(None, id="timeout"),
    ],
)
def test_auto_connect_falls_back_to_initialize(loop_name: str, answer: dict[str, Any] | None) -> None:
    async def scenario() -> None:
        session, server = attach()
        task = asyncio.ensure_future(session.connect("auto", discover_timeout=0.1))
        probe = await server.next()
        if answer is not None:
            server.feed({"jsonrpc": "2.0", "id": probe["id"], "error": answer})
        else:
            assert (await server.next())["method"] == "notifications/cancelled"
        initialize = await server.next()
        assert initialize["method"] == "initialize"
        server.reply(initialize, INIT)
        assert (await task).era == "legacy"

    run(scenario(), loop_name)


def test_auto_connect_retries_discover_with_the_mutual_modern_version(loop_name: str) -> None:
    async def scenario() -> None:
        session, server = attach()
        task = asyncio.ensure_future(session.connect("auto", version="2099-01-01"))
        probe = await server.next()
        server.fail(probe, -32022, "Unsupported", {"supported": ["2026-07-28"], "requested": "2099-01-01"})
        retry = await server.next()
        assert retry["method"] == "server/discover" and retry["id"] != probe["id"]
        assert retry["params"]["_meta"][META_PROTOCOL_VERSION] == "2026-07-28"
        server.reply(retry, DISCOVER)
        assert (await task).protocol_version == "2026-07-28"

    run(scenario(), loop_name)


def test_modern_requests_carry_the_envelope(loop_name: str) -> None:
    async def scenario() -> None:
        session, server = attach(log_level="debug")
        await connect_modern(session, server)
        call = asyncio.ensure_future(session.request("tools/list"))
        request = await server.next()
        meta = request["params"]["_meta"]
        assert meta[META_PROTOCOL_VERSION] == "2026-07-28"
        assert meta["io.modelcontextprotocol/logLevel"] == "debug"
        assert meta["io.modelcontextprotocol/clientInfo"]["name"] == "mcpcore-client"
        server.reply(request, {"tools": [], "resultType": "complete", "ttlMs": 0, "cacheScope": "public"})
        assert (await call)["tools"] == []

    run(scenario(), loop_name)


def test_unknown_result_type_is_rejected(loop_name: str) -> None:
    async def scenario() -> None:
        session, server = attach()
        await connect_modern(session, server)
        call = asyncio.ensure_future(session.request("tools/call", {"name": "x"}))
        server.reply(await server.next(), {"resultType": "mystery"})
        with pytest.raises(RemoteProtocolError, match="mystery"):
            await call

    run(scenario(), loop_name)


# ---------------------------------------------------- server -> client


def test_server_ping_is_answered_and_undeclared_features_are_method_not_found(loop_name: str) -> None:
    async def scenario() -> None:
        _session, server = attach()
        server.feed({"jsonrpc": "2.0", "id": "s1", "method": "ping"})
        assert await server.next() == {"jsonrpc": "2.0", "id": "s1", "result": {}}
        server.feed({"jsonrpc": "2.0", "id": 7, "method": "sampling/createMessage", "params": SAMPLING})
        answer = await server.next()
        assert answer["id"] == 7 and answer["error"]["code"] == -32601

    run(scenario(), loop_name)


def test_server_requests_run_concurrently_and_can_be_cancelled(loop_name: str) -> None:
    async def scenario() -> None:
        gate = asyncio.Event()

        async def sampling(params: dict[str, Any]) -> dict[str, Any]:
            await gate.wait()
            return {"role": "assistant", "content": {"type": "text", "text": "ok"}, "model": "m"}

        _session, server = attach(handlers={"sampling/createMessage": sampling})
        server.feed({"jsonrpc": "2.0", "id": 1, "method": "sampling/createMessage", "params": SAMPLING})
        server.feed({"jsonrpc": "2.0", "id": 2, "method": "sampling/createMessage", "params": SAMPLING})
        server.feed({"jsonrpc": "2.0", "id": 3, "method": "ping"})
        assert (await server.next())["id"] == 3  # not blocked behind the slow handlers
        server.feed({"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": 1}})
        gate.set()
        answer = await server.next()
        assert answer["id"] == 2 and answer["result"]["model"] == "m"
        await asyncio.sleep(0)
        assert server.nothing_sent()  # the cancelled request got no answer

    run(scenario(), loop_name)


def test_failing_handler_becomes_internal_error_without_traceback(loop_name: str) -> None:
    async def scenario() -> None:
        def roots(params: dict[str, Any]) -> Any:
            raise RuntimeError("secret detail")

        _session, server = attach(handlers={"roots/list": roots})
        server.feed({"jsonrpc": "2.0", "id": 1, "method": "roots/list"})
        answer = await server.next()
        assert answer["error"] == {"code": -32603, "message": "Internal error"}

    run(scenario(), loop_name)


def test_input_required_is_fulfilled_and_retried_with_a_new_id(loop_name: str) -> None:
    async def scenario() -> None:
        asked: list[dict[str, Any]] = []

        def elicit(params: dict[str, Any]) -> dict[str, Any]:
            asked.append(params)
            return {"action": "accept", "content": {"ok": True}}

        session, server = attach(handlers={"elicitation/create": elicit})
        await connect_modern(session, server)
        call = asyncio.ensure_future(session.request("tools/call", {"name": "t", "arguments": {"a": 1}}))
        first = await server.next()
        assert first["params"]["_meta"][META_CLIENT_CAPABILITIES] == {"elicitation": {}}
        server.reply(
            first,
            {
                "resultType": "input_required",
                "inputRequests": {"q": {"method": "elicitation/create", "params": {"message": "ok?"}}},
                "requestState": "opaque-state",
            },
        )
        retry = await server.next()
        assert retry["id"] != first["id"]
        assert retry["params"]["arguments"] == {"a": 1}
        assert retry["params"]["inputResponses"] == {"q": {"action": "accept", "content": {"ok": True}}}
        assert retry["params"]["requestState"] == "opaque-state"
        server.reply(retry, {"resultType": "complete", "content": []})
        assert (await call)["content"] == []
        assert asked == [{"message": "ok?"}]

    run(scenario(), loop_name)


def test_input_required_for_an_undeclared_feature_fails_clearly(loop_name: str) -> None:
    async def scenario() -> None:
        session, server = attach()
        await connect_modern(session, server)
        call = asyncio.ensure_future(session.request("tools/call", {"name": "t"}))
        server.reply(
            await server.next(),
            {"resultType": "input_required", "inputRequests": {"q": {"method": "sampling/createMessage"}}},
        )
        with pytest.raises(RpcError, match="sampling"):
            await call

    run(scenario(), loop_name)


# ------------------------------------------------------------------ cache


def test_cacheable_result_is_reused_until_list_changed(loop_name: str) -> None:
    async def scenario() -> None:
        session, server = attach()
        await connect_modern(session, server)
        listing = {
            "tools": [{"name": "a"}],
            "resultType": "complete",
            "ttlMs": 60_000,
            "cacheScope": "public",
        }
        call = asyncio.ensure_future(session.request("tools/list"))
        server.reply(await server.next(), listing)
        assert await call == listing
        assert await session.request("tools/list") == listing  # from the cache: nothing sent
        assert server.nothing_sent()
        server.feed({"jsonrpc": "2.0", "method": "notifications/tools/list_changed"})
        call = asyncio.ensure_future(session.request("tools/list"))
        server.reply(await server.next(), {**listing, "tools": []})
        assert (await call)["tools"] == []

    run(scenario(), loop_name)


def test_zero_ttl_is_never_cached(loop_name: str) -> None:
    async def scenario() -> None:
        session, server = attach()
        await connect_modern(session, server)
        for _ in range(2):
            call = asyncio.ensure_future(session.request("tools/list"))
            server.reply(
                await server.next(),
                {"tools": [], "resultType": "complete", "ttlMs": 0, "cacheScope": "public"},
            )
            await call

    run(scenario(), loop_name)


# ------------------------------------------------------------- pagination


def _client_on(session: ClientSession) -> Client:
    client = Client(max_pages=5)
    client.session = session
    return client


def test_list_walks_every_page(loop_name: str) -> None:
    async def scenario() -> None:
        session, server = attach()
        await connect_legacy(session, server)
        client = _client_on(session)
        walk = asyncio.ensure_future(client.list_tools())
        first = await server.next()
        assert "cursor" not in (first.get("params") or {})
        server.reply(first, {"tools": [{"name": "a"}], "nextCursor": ""})  # "" is a cursor, not the end
        second = await server.next()
        assert second["params"]["cursor"] == ""
        server.reply(second, {"tools": [{"name": "b"}]})
        assert [tool["name"] for tool in await walk] == ["a", "b"]

    run(scenario(), loop_name)


def test_repeating_cursor_is_a_pagination_error(loop_name: str) -> None:
    async def scenario() -> None:
        session, server = attach()
        await connect_legacy(session, server)
        walk = asyncio.ensure_future(_client_on(session).list_tools())
        for _ in range(2):
            server.reply(await server.next(), {"tools": [], "nextCursor": "same"})
        with pytest.raises(PaginationError):
            await walk

    run(scenario(), loop_name)


# ----------------------------------------------------------- subscriptions


def test_listen_acknowledges_routes_and_cancels(loop_name: str) -> None:
    async def scenario() -> None:
        session, server = attach()
        await connect_modern(session, server)
        listening = asyncio.ensure_future(session.listen({"toolsListChanged": True}))
        request = await server.next()
        assert request["method"] == "subscriptions/listen"
        sub_meta = {"io.modelcontextprotocol/subscriptionId": request["id"]}
        server.feed(
            {
                "jsonrpc": "2.0",
                "method": "notifications/subscriptions/acknowledged",
                "params": {"notifications": {"toolsListChanged": True}, "_meta": sub_meta},
            }
        )
        subscription = await listening
        assert subscription.honoured == {"toolsListChanged": True}
        server.feed(
            {"jsonrpc": "2.0", "method": "notifications/tools/list_changed", "params": {"_meta": sub_meta}}
        )
        assert (await anext_(subscription))["method"] == "notifications/tools/list_changed"
        subscription.close()
        cancelled = await server.next()
        assert (
            cancelled["method"] == "notifications/cancelled"
            and cancelled["params"]["requestId"] == request["id"]
        )

    run(scenario(), loop_name)


async def anext_(subscription: Any) -> Any:
    return await asyncio.wait_for(subscription.__anext__(), 5)
