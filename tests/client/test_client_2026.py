"""The 2026-07-28 client obligations the official suite's client scenarios check, one test each.

Each test drives a real :class:`~mcpcore.client.session.ClientSession` against
the scripted in-memory peer and asserts what went on the wire.
"""

from __future__ import annotations

import asyncio
from typing import Any

from mcpcore.client import Client
from mcpcore.client.http import HttpTransport
from mcpcore.session import META_PROTOCOL_VERSION
from tests.client.peer import attach, run
from tests.client.test_session import DISCOVER, connect_modern

ELICIT = {
    "method": "elicitation/create",
    "params": {"message": "ok?", "requestedSchema": {"type": "object", "properties": {}}},
}


def _accept(params: dict[str, Any]) -> dict[str, Any]:
    return {"action": "accept", "content": {}}


def test_discover_retries_once_even_when_the_refused_version_is_listed(loop_name: str) -> None:
    """SEP-2575: on -32022 the client retries with a version from ``supported`` (one retry, bounded)."""

    async def scenario() -> None:
        session, server = attach()
        task = asyncio.ensure_future(session.connect("modern"))
        probe = await server.next()
        server.fail(probe, -32022, "Unsupported", {"supported": ["2026-07-28"], "requested": "2026-07-28"})
        retry = await server.next()
        assert retry["method"] == "server/discover" and retry["id"] != probe["id"]
        assert retry["params"]["_meta"][META_PROTOCOL_VERSION] == "2026-07-28"
        server.reply(retry, DISCOVER)
        assert (await task).protocol_version == "2026-07-28"

    run(scenario(), loop_name)


def test_a_second_refusal_is_raised_not_retried(loop_name: str) -> None:
    async def scenario() -> None:
        session, server = attach()
        task = asyncio.ensure_future(session.connect("modern"))
        for _ in range(2):
            request = await server.next()
            server.fail(request, -32022, "Unsupported", {"supported": ["2026-07-28"]})
        try:
            await task
        except Exception as exc:  # the RpcError of the second refusal
            assert getattr(exc, "code", None) == -32022
        else:
            raise AssertionError("a second -32022 must not be retried")
        assert server.nothing_sent()

    run(scenario(), loop_name)


def test_request_state_stays_with_its_own_request(loop_name: str) -> None:
    """SEP-2322: requestState is echoed exactly, only on the retry of the request that got it."""

    async def scenario() -> None:
        session, server = attach(handlers={"elicitation/create": _accept})
        await connect_modern(session, server)
        first = asyncio.ensure_future(session.request("tools/call", {"name": "stateful", "arguments": {}}))
        call = await server.next()
        server.reply(
            call,
            {"resultType": "input_required", "inputRequests": {"c": ELICIT}, "requestState": "s-1"},
        )
        retry = await server.next()
        # before the retry is answered, an unrelated call goes out: no state of the other flow on it
        other = asyncio.ensure_future(session.request("tools/call", {"name": "plain", "arguments": {}}))
        unrelated = await server.next()
        assert unrelated["params"]["name"] == "plain"
        assert "requestState" not in unrelated["params"] and "inputResponses" not in unrelated["params"]
        assert retry["params"]["requestState"] == "s-1" and retry["id"] != call["id"]
        assert retry["params"]["inputResponses"] == {"c": {"action": "accept", "content": {}}}
        server.reply(unrelated, {"content": []})  # no resultType: complete
        server.reply(retry, {"resultType": "complete", "content": []})
        assert (await other)["content"] == [] and (await first)["resultType"] == "complete"

    run(scenario(), loop_name)


def test_a_round_without_request_state_sends_none_back(loop_name: str) -> None:
    async def scenario() -> None:
        session, server = attach(handlers={"elicitation/create": _accept})
        await connect_modern(session, server)
        call = asyncio.ensure_future(
            session.request("tools/call", {"name": "t", "arguments": {}, "requestState": "stale"})
        )
        server.reply(await server.next(), {"resultType": "input_required", "inputRequests": {"c": ELICIT}})
        retry = await server.next()
        assert "requestState" not in retry["params"]
        server.reply(retry, {"resultType": "complete", "content": []})
        await call

    run(scenario(), loop_name)


def test_list_tools_excludes_tools_with_invalid_header_annotations(loop_name: str) -> None:
    """Transport, custom headers: an invalid x-mcp-header excludes that tool, and only that tool."""

    async def scenario() -> None:
        session, server = attach()
        await connect_modern(session, server)
        client = Client()
        client.session = session
        client.transport = HttpTransport("http://127.0.0.1:9/mcp")  # never connects: the rule is HTTP's
        listing = asyncio.ensure_future(client.list_tools())
        good = {"type": "object", "properties": {"region": {"type": "string", "x-mcp-header": "Region"}}}
        bad = {"type": "object", "properties": {"score": {"type": "number", "x-mcp-header": "Score"}}}
        server.reply(
            await server.next(),
            {
                "tools": [{"name": "ok", "inputSchema": good}, {"name": "bad", "inputSchema": bad}],
                "resultType": "complete",
                "ttlMs": 0,
                "cacheScope": "private",
            },
        )
        assert [tool["name"] for tool in await listing] == ["ok"]
        paging = asyncio.ensure_future(client.list_tools_page())
        tools = [{"name": "ok", "inputSchema": good}, {"name": "bad", "inputSchema": bad}]
        page = {"tools": tools, "resultType": "complete", "ttlMs": 0, "cacheScope": "private"}
        server.reply(await server.next(), page)
        assert [tool["name"] for tool in (await paging)["tools"]] == ["ok"]
        assert len(page["tools"]) == 2  # the result as received is left alone

    run(scenario(), loop_name)


def test_schemas_reach_the_caller_exactly_as_received(loop_name: str) -> None:
    """SEP-1613/SEP-2106: 2020-12 keywords survive the client untouched."""
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "$defs": {"address": {"$anchor": "addr", "type": "object"}},
        "properties": {"a": {"$ref": "#addr"}},
        "allOf": [{"required": ["a"]}],
        "anyOf": [{"type": "object"}],
        "if": {"properties": {"a": {"const": 1}}},
        "then": {"required": ["a"]},
        "else": {},
        "additionalProperties": False,
    }

    async def scenario() -> None:
        session, server = attach()
        await connect_modern(session, server)
        client = Client()
        client.session = session
        listing = asyncio.ensure_future(client.list_tools())
        tools = [{"name": "rich", "inputSchema": schema}]
        server.reply(
            await server.next(),
            {"tools": tools, "resultType": "complete", "ttlMs": 0, "cacheScope": "private"},
        )
        assert (await listing)[0]["inputSchema"] == schema

    run(scenario(), loop_name)
