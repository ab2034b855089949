"""MCP Apps (io.modelcontextprotocol/ui): ui:// views, tool links through _meta.ui, the client capability.

The example server (mcpcore.examples.weather_app) runs as a real subprocess
over stdio and over HTTP on both loops; the refusals are checked in process.
"""

from __future__ import annotations

import asyncio
import sys
from typing import Any

import pytest

from mcpcore import APP_MIME_TYPE, Context, Server, client_supports_apps
from mcpcore.client import Client
from mcpcore.client.apps import (
    UI_EXTENSION,
    UiResourceError,
    app_callable,
    model_visible,
    tool_ui,
    ui_resource_from,
)
from tests.client.peer import run
from tests.conftest import LOOPS
from tests.e2e.test_client_http import free_port, serve

pytestmark = pytest.mark.timeout(120)

VIEW = "ui://weather/dashboard"


async def host_session(client: Client) -> None:
    """What a host does: find the tool's view, read it, hide app-only tools, call the tool."""
    assert client.server_capabilities["extensions"][UI_EXTENSION] == {}
    tools = {tool["name"]: tool for tool in await client.list_tools()}
    assert tool_ui(tools["get_weather"]) == {"resourceUri": VIEW}
    assert tool_ui(tools["refresh_weather"]) == {"resourceUri": VIEW, "visibility": ["app"]}
    assert [name for name, tool in tools.items() if model_visible(tool)] == ["get_weather"]
    assert all(app_callable(tool) for tool in tools.values())
    view = await client.read_ui_resource(VIEW)
    assert view.html.startswith("<!DOCTYPE html>")
    assert view.ui == {"csp": {"connectDomains": ["https://api.open-meteo.com"]}, "prefersBorder": True}
    listed = {resource["uri"]: resource for resource in await client.list_resources()}
    assert listed[VIEW]["mimeType"] == APP_MIME_TYPE and listed[VIEW]["_meta"] == {"ui": view.ui}
    result = await client.call_tool("get_weather", {"location": "Oslo"})
    # The server saw the host's capability: no text-only note; the text content is there for every host.
    assert result["structuredContent"] == {"location": "Oslo", "temperature": 21, "conditions": "sunny"}
    assert result["content"][0]["type"] == "text"


@pytest.mark.parametrize("loop", LOOPS)
@pytest.mark.parametrize("mode", ["legacy", "modern"])
def test_a_host_over_stdio(loop: str, mode: str) -> None:
    async def scenario() -> None:
        command = [sys.executable, "-m", "mcpcore.examples.weather_app"]
        async with Client.stdio(command, mode=mode, apps=True) as client:
            await host_session(client)

    run(scenario(), loop)


@pytest.mark.parametrize("loop", LOOPS)
def test_a_host_over_http_and_a_text_only_client(loop: str) -> None:
    port = free_port()
    process = serve(["-m", "mcpcore.examples.weather_app", "--http", "--port", str(port)], port, loop)
    url = f"http://127.0.0.1:{port}/mcp"

    async def scenario() -> None:
        async with Client.http(url, mode="modern", apps=True) as client:
            await host_session(client)
        async with Client.http(url, mode="modern") as plain:  # no apps: the tool falls back to text
            result = await plain.call_tool("get_weather", {"location": "Oslo"})
            assert result["structuredContent"]["note"] == "text-only host"

    try:
        run(scenario(), loop)
    finally:
        process.terminate()
        process.wait(10)


def test_the_client_declares_the_extension_with_its_mime_types() -> None:
    seen: list[dict[str, Any]] = []
    server = Server("probe")

    @server.tool(run="loop")
    def probe(ctx: Context) -> str:
        seen.append(ctx.client_capabilities)
        return "ok"

    async def scenario() -> None:
        async with Client(server, mode="modern", apps=True) as client:
            await client.call_tool("probe", {})
        async with Client(server, mode="modern") as client:
            await client.call_tool("probe", {})

    asyncio.run(scenario())
    assert seen[0]["extensions"] == {UI_EXTENSION: {"mimeTypes": [APP_MIME_TYPE]}}
    assert client_supports_apps(seen[0]) and not client_supports_apps(seen[1])


@pytest.mark.parametrize(
    ("register", "message"),
    [
        (lambda s: s.ui_resource("https://example.com/view"), "starts with ui://"),
        (lambda s: s.ui_resource("ui://"), "starts with ui://"),
        (lambda s: s.ui_resource("ui://v", csp={"scriptDomains": []}), "ui csp keys"),
        (lambda s: s.ui_resource("ui://v", permissions=["usb"]), "ui permissions"),
        (lambda s: s.tool(ui="file:///v")(lambda: "x"), "starts with ui://"),
        (lambda s: s.tool(ui="ui://v", ui_visibility=["user"])(lambda: "x"), "visibility"),
        (lambda s: s.tool(ui_visibility=["app"])(lambda: "x"), "needs ui"),
    ],
)
def test_misdeclared_views_and_links_are_refused_at_registration(register: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        register(Server("bad"))


def test_no_view_no_extension() -> None:
    server = Server("plain")

    @server.tool
    def plain() -> str:
        return "x"

    assert "extensions" not in server.capabilities


@pytest.mark.parametrize(
    ("result", "uri", "message"),
    [
        ({"contents": [{"uri": "ui://v", "mimeType": "text/html", "text": "<p>"}]}, "ui://v", "mimeType"),
        ({"contents": [{"uri": "ui://v", "mimeType": APP_MIME_TYPE}]}, "ui://v", "neither text nor blob"),
        ({"contents": [{"uri": "ui://v", "mimeType": APP_MIME_TYPE, "blob": "%%"}]}, "ui://v", "base64"),
        ({"contents": []}, "ui://v", "no contents"),
        ({"contents": []}, "test://v", "ui:// resource"),
    ],
)
def test_reads_that_are_not_views_are_refused(result: dict[str, Any], uri: str, message: str) -> None:
    with pytest.raises(UiResourceError, match=message):
        ui_resource_from(result, uri)


def test_a_blob_view_and_the_deprecated_flat_link_are_read() -> None:
    view = ui_resource_from(
        {"contents": [{"uri": "ui://v", "mimeType": APP_MIME_TYPE, "blob": "PHA+aGk8L3A+"}]}, "ui://v"
    )
    assert (view.html, view.ui) == ("<p>hi</p>", {})
    assert tool_ui({"name": "t", "_meta": {"ui/resourceUri": "ui://v"}}) == {"resourceUri": "ui://v"}
    assert tool_ui({"name": "t"}) is None and model_visible({"name": "t"})
