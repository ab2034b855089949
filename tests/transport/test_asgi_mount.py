"""The ASGI app mounted inside a Starlette application, served by uvicorn on loopback, both loops.

Starlette is a dev-only dependency (it comes with the official SDK); mcpcore
never imports it. The mount must see paths relative to its ``root_path``, and
the host application's own routes keep working beside it.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

starlette_applications = pytest.importorskip("starlette.applications")
starlette_routing = pytest.importorskip("starlette.routing")
starlette_responses = pytest.importorskip("starlette.responses")
uvicorn = pytest.importorskip("uvicorn")

from mcpcore.examples.calculator import server as calculator  # noqa: E402
from mcpcore.loop import run as run_loop  # noqa: E402
from tests.transport.http_peer import (  # noqa: E402
    Peer,
    initialize_body,
    legacy_headers,
    modern_headers,
    modern_request,
)


def _app() -> Any:
    async def health(request: Any) -> Any:
        return starlette_responses.PlainTextResponse("ok")

    return starlette_applications.Starlette(
        routes=[
            starlette_routing.Route("/health", health),
            starlette_routing.Mount("/mcp", app=calculator.asgi_app(path="/")),
        ]
    )


def _serve(loop_name: str, body: Callable[[int], Awaitable[None]]) -> None:
    async def main() -> None:
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        config = uvicorn.Config(_app(), log_level="warning", lifespan="off", loop="none")
        server = uvicorn.Server(config)
        serving = asyncio.get_running_loop().create_task(server.serve(sockets=[sock]))
        try:
            deadline = asyncio.get_running_loop().time() + 10
            while not server.started:
                assert asyncio.get_running_loop().time() < deadline, "uvicorn did not start"
                assert not serving.done(), "uvicorn exited"
                await asyncio.sleep(0.01)
            await asyncio.wait_for(body(port), 60)
        finally:
            server.should_exit = True
            await asyncio.wait_for(serving, 10)
            sock.close()

    run_loop(main(), loop=loop_name)  # type: ignore[arg-type]


def test_mounted_app_serves_both_eras_under_its_prefix(loop_name: str) -> None:
    async def body(port: int) -> None:
        peer = await Peer.connect(port)
        health = await peer.request("GET", None, {}, path="/health")
        assert (health.status, health.body) == (200, b"ok")

        response = await peer.request("POST", initialize_body(), legacy_headers(), path="/mcp/")
        assert response.status == 200
        session_id = response.headers["mcp-session-id"]
        assert response.messages()[0]["result"]["serverInfo"]["name"] == calculator.info["name"]
        note = {"jsonrpc": "2.0", "method": "notifications/initialized"}
        assert (await peer.request("POST", note, legacy_headers(session_id), path="/mcp/")).status == 202
        call = {
            "jsonrpc": "2.0",
            "id": 2,
            "method": "tools/call",
            "params": {"name": "add", "arguments": {"a": 5, "b": 6}},
        }
        response = await peer.request("POST", call, legacy_headers(session_id), path="/mcp/")
        assert response.messages()[0]["result"]["content"][0]["text"] == "11"

        modern = modern_request(3, "tools/call", {"name": "add", "arguments": {"a": 1, "b": 2}})
        response = await peer.request("POST", modern, modern_headers("tools/call", "add"), path="/mcp/")
        assert (response.status, response.json()["result"]["content"][0]["text"]) == (200, "3")

        # Inside the mount, paths other than the app's own are not the endpoint.
        response = await peer.request("POST", modern, modern_headers("tools/call", "add"), path="/mcp/other")
        assert response.status == 404
        assert (await peer.request("DELETE", None, legacy_headers(session_id), path="/mcp/")).status == 200
        peer.close()

    _serve(loop_name, body)
