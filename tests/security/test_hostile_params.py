"""Hostile params over a real pipe: well-formed JSON-RPC with MCP params of the wrong shape.

The server is the conformance fixture (every feature: tools, resources,
templates, prompts, completion, logging, tasks, elicitation) in a real
subprocess, on both loops. After each hostile message it must still answer a
ping, must have answered each bad request with -32602 and its id, must have
answered no notification, and must not have logged anything at ERROR.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.helpers import MODERN_VERSION, StdioPeer, modern_meta

UNHASHABLE: list[Any] = [[1], {"x": [1]}, [], {}]


@pytest.fixture
def fixture_server(loop_name: str) -> Iterator[StdioPeer]:
    peer = StdioPeer.spawn(["-m", "mcpcore.examples.conformance"], loop=loop_name)
    try:
        peer.initialize(capabilities={"elicitation": {}, "sampling": {}, "roots": {}})
        yield peer
    finally:
        peer.kill()


def _still_serving(peer: StdioPeer) -> None:
    request_id = peer.send_request("ping")
    assert peer.response(request_id) == {"jsonrpc": "2.0", "id": request_id, "result": {}}
    assert b"ERROR" not in peer.stderr, peer.stderr.decode(errors="replace")


HOSTILE_NOTIFICATIONS: list[tuple[str, Any]] = [
    *[("notifications/cancelled", {"requestId": bad}) for bad in UNHASHABLE],
    ("notifications/cancelled", {"requestId": 1.5, "reason": ["why"]}),
    ("notifications/cancelled", [1]),
    ("notifications/cancelled", "x"),
    *[("notifications/progress", {"progressToken": bad, "progress": 1}) for bad in UNHASHABLE],
    ("notifications/progress", {"progressToken": 1, "progress": "half"}),
    ("notifications/initialized", {"_meta": []}),
    ("notifications/roots/list_changed", {"_meta": "x"}),
    ("notifications/unknown", {"_meta": {"progressToken": {}}}),
]


def test_every_hostile_notification_is_ignored_and_the_server_keeps_serving(
    fixture_server: StdioPeer,
) -> None:
    """One process for all cases (a process each would cost a second per case); each is checked alone."""
    for method, params in HOSTILE_NOTIFICATIONS:
        fixture_server.send({"jsonrpc": "2.0", "method": method, "params": params})
        _still_serving(fixture_server)
        assert fixture_server.stash == {}, (method, params)  # nothing answered the notification


HOSTILE_REQUESTS: list[tuple[str, Any]] = [
    *[("tools/call", {"name": bad}) for bad in UNHASHABLE],
    ("tools/call", {"name": "test_simple_text", "arguments": [1]}),
    ("tools/call", {"name": "test_simple_text", "_meta": {"progressToken": {"a": 1}}}),
    ("tools/call", {"name": "test_simple_text", "_meta": []}),
    ("tools/list", {"cursor": {"page": 2}}),
    ("tools/list", {"cursor": 7}),
    *[("resources/read", {"uri": bad}) for bad in UNHASHABLE],
    ("resources/subscribe", {"uri": ["test://static-text"]}),
    ("resources/subscribe", {"uri": ""}),
    ("resources/unsubscribe", {}),
    ("resources/templates/list", {"cursor": []}),
    *[("prompts/get", {"name": bad}) for bad in UNHASHABLE],
    ("prompts/get", {"name": "test_simple_prompt", "arguments": "x"}),
    ("completion/complete", {"ref": [], "argument": {"name": "x", "value": ""}}),
    ("completion/complete", {"ref": {"type": ["ref/prompt"]}, "argument": {"name": "x", "value": ""}}),
    ("completion/complete", {"ref": {"type": "ref/prompt", "name": {}}, "argument": {"name": "x"}}),
    ("completion/complete", {"ref": {"type": "ref/resource", "uri": 1}, "argument": {"name": "x"}}),
    ("completion/complete", {"ref": {"type": "ref/prompt", "name": "p"}, "argument": {"name": []}}),
    ("completion/complete", {"ref": {"type": "ref/prompt", "name": "p"}, "argument": "x"}),
    *[("logging/setLevel", {"level": bad}) for bad in [*UNHASHABLE, "loud", 3]],
    ("initialize", {"protocolVersion": ["2025-06-18"], "capabilities": {}}),
]


def test_every_hostile_request_gets_invalid_params_with_its_id(fixture_server: StdioPeer) -> None:
    for method, params in HOSTILE_REQUESTS:
        request_id = fixture_server.send_request(method, params)
        reply = fixture_server.response(request_id)
        assert reply["error"]["code"] == -32602, (method, params, reply)
        assert reply["error"]["message"].startswith("Invalid params"), reply
        _still_serving(fixture_server)


def test_a_hostile_task_id_gets_invalid_params(fixture_server: StdioPeer) -> None:
    """The fixture's session is 2025-11-25, where the tasks methods exist."""
    for bad_id in UNHASHABLE:
        for method in ("tasks/get", "tasks/result", "tasks/cancel"):
            reply = fixture_server.request(method, {"taskId": bad_id})
            assert reply["error"]["code"] == -32602, reply
    _still_serving(fixture_server)


def test_hostile_modern_requests_get_invalid_params(loop_name: str) -> None:
    """The same boundary serves the 2026-07-28 envelope (no handshake)."""
    peer = StdioPeer.spawn(["-m", "mcpcore.examples.conformance"], loop=loop_name)
    try:
        meta = modern_meta({"extensions": {"io.modelcontextprotocol/tasks": {}}})
        assert meta["io.modelcontextprotocol/protocolVersion"] == MODERN_VERSION
        cases: list[tuple[str, dict[str, Any]]] = [
            ("tools/call", {"name": {"n": 1}}),
            ("tools/call", {"name": "test_simple_text", "inputResponses": []}),
            ("tools/call", {"name": "test_simple_text", "requestState": {"s": 1}}),
            ("subscriptions/listen", {"notifications": []}),
            ("subscriptions/listen", {"notifications": {"toolsListChanged": "yes"}}),
            ("subscriptions/listen", {"notifications": {"resourceSubscriptions": [{}]}}),
            ("tasks/get", {"taskId": []}),
            ("tasks/update", {"taskId": "t", "inputResponses": "x"}),
        ]
        for method, params in cases:
            reply = peer.request(method, {**params, "_meta": meta})
            assert reply["error"]["code"] == -32602, (method, params, reply)
        _still_serving(peer)
    finally:
        peer.kill()


def test_a_malformed_answer_to_an_elicitation_fails_only_that_call(fixture_server: StdioPeer) -> None:
    """The server asked; the client's answer has the wrong shape: the tool sees a clear error."""
    call_id = fixture_server.send_request(
        "tools/call", {"name": "test_elicitation", "arguments": {"message": "who?"}}
    )
    question = fixture_server.recv()
    assert question["method"] == "elicitation/create"
    fixture_server.send({"jsonrpc": "2.0", "id": question["id"], "result": {"action": ["accept"]}})
    result = fixture_server.response(call_id)["result"]
    assert result["isError"] is True
    assert "malformed elicitation/create answer" in result["content"][0]["text"]
    _still_serving(fixture_server)


def test_a_response_with_a_hostile_id_is_dropped(fixture_server: StdioPeer) -> None:
    for bad_id in UNHASHABLE:
        fixture_server.send({"jsonrpc": "2.0", "id": bad_id, "result": {}})
        _still_serving(fixture_server)
        assert fixture_server.stash == {}
