"""Resources through the real router, in memory: listing, reading, templates, errors, eras."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from mcpcore import Context, Server
from tests.memory_peer import MemoryPeer
from tests.schema_check import check


def make_server(page_size: int | None = None) -> Server:
    server = Server("res", page_size=page_size)

    @server.resource("mem://text", name="text", description="Some text.", mime_type="text/plain", run="loop")
    def text_resource() -> str:
        return "hello"

    @server.resource("mem://bytes", name="bytes", mime_type="application/octet-stream", size=3, run="loop")
    def bytes_resource() -> bytes:
        return b"\x00\x01\x02"

    @server.resource("mem://many", name="many", run="loop", ttl_ms=5000, cache_scope="public")
    def many() -> list[Any]:
        return ["a", {"uri": "mem://many/b", "blob": b"b", "mimeType": "x/y"}]

    @server.resource("mem://items/{item_id}{?verbose}", name="item", mime_type="application/json")
    async def item(item_id: int, ctx: Context, verbose: bool = False) -> str:
        await asyncio.sleep(0)
        return f'{{"id": {item_id}, "verbose": {str(verbose).lower()}, "method": "{ctx.method}"}}'

    return server


@pytest.fixture
def peer() -> MemoryPeer:
    peer = MemoryPeer(make_server())
    peer.initialize()
    return peer


def test_list_resources_and_templates(peer: MemoryPeer) -> None:
    listed = peer.result("resources/list")
    check("2025-11-25", "ListResourcesResult", listed)
    assert [r["uri"] for r in listed["resources"]] == ["mem://text", "mem://bytes", "mem://many"]
    assert listed["resources"][1]["size"] == 3
    templates = peer.result("resources/templates/list")
    check("2025-11-25", "ListResourceTemplatesResult", templates)
    assert templates["resourceTemplates"] == [
        {"uriTemplate": "mem://items/{item_id}{?verbose}", "name": "item", "mimeType": "application/json"}
    ]


def test_read_text_binary_and_several_items(peer: MemoryPeer) -> None:
    assert peer.result("resources/read", {"uri": "mem://text"})["contents"] == [
        {"uri": "mem://text", "mimeType": "text/plain", "text": "hello"}
    ]
    assert peer.result("resources/read", {"uri": "mem://bytes"})["contents"][0]["blob"] == "AAEC"
    many = peer.result("resources/read", {"uri": "mem://many"})
    check("2025-11-25", "ReadResourceResult", many)
    assert many["contents"] == [
        {"uri": "mem://many", "text": "a"},
        {"uri": "mem://many/b", "blob": "Yg==", "mimeType": "x/y"},
    ]


def test_template_variables_are_converted_and_passed(peer: MemoryPeer) -> None:
    contents = peer.result("resources/read", {"uri": "mem://items/42?verbose=true"})["contents"]
    assert contents[0]["text"] == '{"id": 42, "verbose": true, "method": "resources/read"}'
    assert contents[0]["uri"] == "mem://items/42?verbose=true"


@pytest.mark.parametrize("uri", ["mem://nothing", "mem://items/not-a-number"])
def test_not_found_by_era(peer: MemoryPeer, uri: str) -> None:
    legacy = peer.error("resources/read", {"uri": uri})
    assert legacy == {"code": -32002, "message": f"Resource not found: {uri}", "data": {"uri": uri}}
    modern = peer.error("resources/read", MemoryPeer.modern({"uri": uri}))
    assert modern["code"] == -32602 and modern["data"] == {"uri": uri}


def test_bad_uri_param_is_invalid_params(peer: MemoryPeer) -> None:
    assert peer.error("resources/read", {"uri": 5})["code"] == -32602


def test_modern_read_carries_per_resource_cache_hints(peer: MemoryPeer) -> None:
    default = peer.result("resources/read", MemoryPeer.modern({"uri": "mem://text"}))
    assert (default["ttlMs"], default["cacheScope"]) == (0, "private")
    custom = peer.result("resources/read", MemoryPeer.modern({"uri": "mem://many"}))
    check("2026-07-28", "ReadResourceResult", custom)
    assert (custom["ttlMs"], custom["cacheScope"]) == (5000, "public")


def test_older_versions_get_only_their_fields() -> None:
    server = Server("old")
    server.add_resource(lambda: "x", "mem://x", title="X", icons=[{"src": "https://x/i.png"}], run="loop")
    peer = MemoryPeer(server)
    peer.initialize("2024-11-05")
    assert peer.result("resources/list")["resources"] == [{"uri": "mem://x", "name": "<lambda>"}]


def test_pagination_with_empty_and_bad_cursors() -> None:
    peer = MemoryPeer(make_server(page_size=2))
    peer.initialize()
    first = peer.result("resources/list", {"cursor": ""})
    assert len(first["resources"]) == 2 and first["nextCursor"]
    second = peer.result("resources/list", {"cursor": first["nextCursor"]})
    assert [r["uri"] for r in second["resources"]] == ["mem://many"] and "nextCursor" not in second
    assert peer.error("resources/list", {"cursor": "garbage!"})["code"] == -32602


def test_list_changed_and_cache_invalidation() -> None:
    server = make_server()
    peer = MemoryPeer(server)
    peer.initialize()
    before = peer.result("resources/list")["resources"]
    server.add_resource(lambda: "new", "mem://new", run="loop")
    assert peer.frames[-1] == {"jsonrpc": "2.0", "method": "notifications/resources/list_changed"}
    assert len(peer.result("resources/list")["resources"]) == len(before) + 1
    server.remove_resource("mem://new")
    assert len(peer.result("resources/list")["resources"]) == len(before)


def test_registration_errors() -> None:
    server = Server("bad")
    server.add_resource(lambda: "x", "mem://x")
    with pytest.raises(ValueError, match="already registered"):
        server.add_resource(lambda: "x", "mem://x")
    with pytest.raises(ValueError, match="not variables"):
        server.add_resource(lambda other: "x", "mem://{id}")
    with pytest.raises(ValueError, match="no parameter"):
        server.add_resource(lambda: "x", "mem://{id}")
    with pytest.raises(ValueError):
        server.add_resource(lambda: "x", "mem://{bad")


def test_subscriptions_are_legacy_only(peer: MemoryPeer) -> None:
    assert peer.result("resources/subscribe", {"uri": "mem://text"}) == {}
    peer.server.resource_updated("mem://text")
    assert peer.frames[-1]["params"] == {"uri": "mem://text"}
    assert peer.result("resources/unsubscribe", {"uri": "mem://text"}) == {}
    assert peer.error("resources/subscribe", {})["code"] == -32602
    assert peer.error("resources/subscribe", MemoryPeer.modern({"uri": "mem://text"}))["code"] == -32601


def test_methods_are_not_found_without_resources() -> None:
    peer = MemoryPeer(Server("none"))
    peer.initialize()
    assert peer.error("resources/list")["code"] == -32601
