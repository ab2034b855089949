"""The request context over real pipes: server-to-client requests, logging, metadata, both eras.

Every test runs on uvloop and plain asyncio; every message is schema-checked.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.helpers import LEGACY_VERSION, modern_meta
from tests.schema_check import SchemaCheckedPeer


@pytest.fixture
def surface(loop_name: str) -> Iterator[SchemaCheckedPeer]:
    peer = SchemaCheckedPeer.spawn(["-m", "tests.servers.surface"], loop=loop_name)
    try:
        yield peer
    finally:
        peer.kill()


def text_of(reply: dict[str, Any]) -> str:
    return str(reply["result"]["content"][0]["text"])


def test_server_pings_the_client(surface: SchemaCheckedPeer) -> None:
    surface.initialize()
    request_id = surface.send_request("tools/call", {"name": "ask_ping", "arguments": {}})
    ping = surface.recv()
    assert ping["method"] == "ping" and "params" not in ping
    surface.send({"jsonrpc": "2.0", "id": ping["id"], "result": {}})
    assert text_of(surface.response(request_id)) == "pong"


def test_a_client_request_times_out_and_is_cancelled(surface: SchemaCheckedPeer) -> None:
    surface.initialize(capabilities={"sampling": {}})
    request_id = surface.send_request(
        "tools/call", {"name": "ask_sampling_with_timeout", "arguments": {"seconds": 0.2}}
    )
    asked = surface.recv()
    assert asked["method"] == "sampling/createMessage"
    cancelled = surface.recv()
    assert cancelled["method"] == "notifications/cancelled"
    assert cancelled["params"] == {"requestId": asked["id"], "reason": "timeout"}
    assert text_of(surface.response(request_id)).startswith("timeout: sampling/createMessage got no answer")
    # A late answer is tolerated and ignored.
    surface.send(
        {"jsonrpc": "2.0", "id": asked["id"], "result": {"role": "assistant", "content": {}, "model": "m"}}
    )
    assert surface.result("ping") == {}


def test_client_error_answers_reach_the_handler(surface: SchemaCheckedPeer) -> None:
    surface.initialize(capabilities={"sampling": {}})
    request_id = surface.send_request(
        "tools/call", {"name": "ask_sampling_with_timeout", "arguments": {"seconds": 5}}
    )
    asked = surface.recv()
    surface.send({"jsonrpc": "2.0", "id": asked["id"], "error": {"code": -1, "message": "user rejected"}})
    result = surface.response(request_id)["result"]
    assert result["isError"] is True and "user rejected" in result["content"][0]["text"]


def test_url_elicitation_needs_the_url_capability(surface: SchemaCheckedPeer) -> None:
    surface.initialize(capabilities={"elicitation": {}})
    refused = surface.call("ask_url")["result"]
    assert refused["isError"] is True and "url" in refused["content"][0]["text"]


def test_url_elicitation(surface: SchemaCheckedPeer) -> None:
    surface.initialize(capabilities={"elicitation": {"form": {}, "url": {}}})
    request_id = surface.send_request("tools/call", {"name": "ask_url", "arguments": {}})
    asked = surface.recv()
    assert asked["params"]["mode"] == "url" and asked["params"]["url"] == "https://example.com/login"
    assert asked["params"]["elicitationId"]
    surface.send({"jsonrpc": "2.0", "id": asked["id"], "result": {"action": "accept"}})
    assert text_of(surface.response(request_id)) == "accept"


def test_roots_refused_without_capability(surface: SchemaCheckedPeer) -> None:
    surface.initialize()
    assert text_of(surface.call("ask_roots")).startswith("refused:")


def test_roots(surface: SchemaCheckedPeer) -> None:
    surface.initialize(capabilities={"roots": {}})
    request_id = surface.send_request("tools/call", {"name": "ask_roots", "arguments": {}})
    asked = surface.recv()
    assert asked["method"] == "roots/list"
    surface.send({"jsonrpc": "2.0", "id": asked["id"], "result": {"roots": [{"uri": "file:///a"}]}})
    assert text_of(surface.response(request_id)) == "file:///a"


def test_pending_client_request_fails_when_the_connection_ends(surface: SchemaCheckedPeer) -> None:
    surface.initialize(capabilities={"sampling": {}})
    surface.send_request("tools/call", {"name": "ask_sampling_with_timeout", "arguments": {"seconds": 30}})
    assert surface.recv()["method"] == "sampling/createMessage"
    surface.close_stdin()
    assert surface.wait() == 0  # did not wait 30 s for the answer


@pytest.mark.parametrize(("level", "count"), [(None, 8), ("debug", 8), ("warning", 5), ("emergency", 1)])
def test_legacy_log_level_filter(surface: SchemaCheckedPeer, level: str | None, count: int) -> None:
    surface.initialize()
    if level is not None:
        assert surface.result("logging/setLevel", {"level": level}) == {}
    surface.call("log_every_level")
    logs = [n["params"] for n in surface.notifications if n["method"] == "notifications/message"]
    assert len(logs) == count
    assert all(log["logger"] == "surface" and log["data"] == {"level": log["level"]} for log in logs)


@pytest.mark.parametrize(("level", "count"), [(None, 0), ("notice", 6), ("critical", 3)])
def test_modern_log_level_is_per_request(surface: SchemaCheckedPeer, level: str | None, count: int) -> None:
    extra = {"io.modelcontextprotocol/logLevel": level} if level else {}
    surface.request("tools/call", {"name": "log_every_level", "arguments": {}, "_meta": modern_meta(**extra)})
    assert len(surface.notifications) == count


def test_context_describes_the_request(surface: SchemaCheckedPeer) -> None:
    surface.initialize(capabilities={"roots": {}, "sampling": {}})
    legacy = surface.request(
        "tools/call", {"name": "describe", "arguments": {}, "_meta": {"progressToken": 1}}
    )
    described = legacy["result"]["structuredContent"]
    assert described == {
        "id": legacy["id"],
        "method": "tools/call",
        "version": LEGACY_VERSION,
        "modern": False,
        "caps": ["roots", "sampling"],
        "meta_keys": ["progressToken"],
        "cancelled": False,
    }
    modern = surface.call("describe", _meta=modern_meta({"elicitation": {}}))["result"]["structuredContent"]
    assert (
        modern["modern"] is True and modern["version"] == "2026-07-28" and modern["caps"] == ["elicitation"]
    )


def test_modern_requests_never_get_server_requests(surface: SchemaCheckedPeer) -> None:
    reply = surface.call("ask_ping", _meta=modern_meta())
    assert reply["result"]["isError"] is True
    error = surface.call("ask_roots", _meta=modern_meta())["error"]
    assert error["code"] == -32021 and error["data"] == {"requiredCapabilities": {"roots": {}}}
    asked = surface.call("ask_roots", _meta=modern_meta({"roots": {}}))["result"]
    assert asked["resultType"] == "input_required"
    assert asked["inputRequests"] == {"roots": {"method": "roots/list", "params": {}}}
