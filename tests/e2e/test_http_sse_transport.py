"""The 2024-11-05 HTTP+SSE transport, both sides, against real peers over loopback sockets.

* the official Python SDK's ``sse_client`` against mcpcore's built-in server and its ASGI app;
* mcpcore's ``Client("http://…/sse")`` against mcpcore, and against the SDK's own SSE server;
* the transport's edges on raw HTTP: unknown and foreign sessions (404), no session id (400),
  a full session table (503), the Host check, and a closed stream ending its session.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from mcpcore import Client, Context, Server
from mcpcore.loop import run as run_loop
from mcpcore.transport.http import start_http
from mcpcore.transport.options import HttpOptions
from tests.e2e.test_http_sdk_client import _free_port, _wait_listening
from tests.helpers import ROOT

pytestmark = pytest.mark.timeout(90)


def _spawn(command: list[str], port: int, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(command, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})})
    _wait_listening(process, port)
    return process


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()


@pytest.fixture(params=["builtin-uvloop", "builtin-asyncio", "asgi-uvicorn"])
def mcpcore_sse_url(request: pytest.FixtureRequest) -> Iterator[str]:
    port = _free_port()
    kind = str(request.param)
    if kind.startswith("builtin"):
        command = [sys.executable, "-m", "mcpcore.examples.calculator", "--http", "--port", str(port)]
        process = _spawn(command, port, {"MCPCORE_LOOP": kind.split("-")[1]})
    else:
        pytest.importorskip("uvicorn")
        command = [sys.executable, "-m", "uvicorn", "tests.e2e.asgi_calculator:app", "--port", str(port)]
        process = _spawn([*command, "--log-level", "warning"], port)
    try:
        yield f"http://127.0.0.1:{port}/sse"
    finally:
        _stop(process)


def test_the_official_sdk_sse_client_calls_mcpcore(mcpcore_sse_url: str) -> None:
    pytest.importorskip("mcp")
    import anyio
    from mcp.client.session import ClientSession
    from mcp.client.sse import sse_client

    async def body() -> tuple[str, list[str], str]:
        async with sse_client(mcpcore_sse_url) as streams, ClientSession(*streams[:2]) as session:
            initialized = await session.initialize()
            tools = await session.list_tools()
            result = await session.call_tool("add", {"a": 2, "b": 40})
            text = result.content[0]
            return initialized.protocol_version, [tool.name for tool in tools.tools], text.text  # type: ignore[union-attr]

    version, names, text = anyio.run(body)
    assert version == "2025-11-25"
    assert names == ["add", "sleep", "fib"]
    assert text == "42"


def test_mcpcore_client_over_sse_against_mcpcore(mcpcore_sse_url: str) -> None:
    async def body() -> tuple[str, Any]:
        async with Client(mcpcore_sse_url) as client:
            result = await client.call_tool("add", {"a": 1, "b": 2})
            return client.era, result["structuredContent"]

    assert asyncio.run(body()) == ("legacy", {"result": 3})


def test_mcpcore_client_over_sse_against_the_official_sdk_server() -> None:
    pytest.importorskip("mcp")
    port = _free_port()
    process = _spawn([sys.executable, "-m", "tests.client.sdk_http_server", str(port), "--sse"], port)
    try:

        async def body() -> tuple[list[str], Any]:
            async with Client(f"http://127.0.0.1:{port}/sse") as client:
                names = [tool["name"] for tool in await client.list_tools()]
                return names, (await client.call_tool("add", {"a": 20, "b": 22}))["content"][0]["text"]

        names, text = asyncio.run(body())
    finally:
        _stop(process)
    assert "add" in names
    assert text == "42"


# ------------------------------------------------------------------ raw edges


async def _raw(port: int, request: bytes, *, read_until: bytes = b"\r\n\r\n") -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(request)
    await writer.drain()
    data = await asyncio.wait_for(reader.readuntil(read_until), 10)
    writer.close()
    return data


def _post(
    port: int, session_id: str | None, body: bytes = b'{"jsonrpc":"2.0","id":1,"method":"ping"}'
) -> bytes:
    query = f"?session_id={session_id}" if session_id is not None else ""
    return (
        f"POST /messages/{query} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode() + body


def test_the_transports_edges_on_raw_http(loop_name: str) -> None:
    server = Server("edges")

    async def scenario() -> dict[str, Any]:
        http = await start_http(server, "127.0.0.1", 0, options=HttpOptions(max_sessions=1))
        port = http.port
        seen: dict[str, Any] = {}
        try:
            get = f"GET /sse HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAccept: text/event-stream\r\n\r\n".encode()
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(get)
            head_and_event = await asyncio.wait_for(reader.readuntil(b"session_id="), 10)
            session_id = (await asyncio.wait_for(reader.readuntil(b"\n"), 10)).strip().decode()
            seen["endpoint"] = b"event: endpoint" in head_and_event
            seen["accepted"] = (await _raw(port, _post(port, session_id))).split(b"\r\n")[0]
            seen["answered"] = b'"id":1' in await asyncio.wait_for(reader.readuntil(b'"result":{}}'), 10)
            seen["unknown"] = (await _raw(port, _post(port, "0" * 32))).split(b"\r\n")[0]
            seen["missing"] = (await _raw(port, _post(port, None))).split(b"\r\n")[0]
            seen["full"] = (await _raw(port, get)).split(b"\r\n")[0]
            foreign = get.replace(b"Host: 127.0.0.1", b"Host: evil.example")
            seen["foreign host"] = (await _raw(port, foreign)).split(b"\r\n")[0]
            writer.close()  # closing the stream ends the session
            for _ in range(500):
                if not http.endpoint.sse.sessions:  # type: ignore[union-attr]
                    break
                await asyncio.sleep(0.01)  # the close is noticed on the next loop turns; bounded
            seen["after close"] = (await _raw(port, _post(port, session_id))).split(b"\r\n")[0]
        finally:
            await http.close()
        return seen

    seen = run_loop(scenario(), loop=loop_name)  # type: ignore[arg-type]
    assert seen == {
        "endpoint": True,
        "accepted": b"HTTP/1.1 202 Accepted",
        "answered": True,
        "unknown": b"HTTP/1.1 404 Not Found",
        "missing": b"HTTP/1.1 400 Bad Request",
        "full": b"HTTP/1.1 503 Service Unavailable",
        "foreign host": b"HTTP/1.1 421 Misdirected Request",
        "after close": b"HTTP/1.1 404 Not Found",
    }


def _as(token: str, request: bytes) -> bytes:
    """The same request with a bearer token."""
    return request.replace(b"\r\n\r\n", f"\r\nAuthorization: Bearer {token}\r\n\r\n".encode(), 1)


def test_an_sse_session_is_bound_to_its_principal_and_tools_see_the_token(loop_name: str) -> None:
    from tests.transport.hostile_server import TOKENS, auth

    alice, bob = list(TOKENS)[:2]
    server = Server("bound")

    @server.tool(run="loop")
    def whoami(ctx: Context) -> str:
        assert ctx.access_token is not None
        return str(ctx.access_token.client_id)

    async def scenario() -> dict[str, Any]:
        http = await start_http(server, "127.0.0.1", 0, options=HttpOptions(auth=auth()))
        port = http.port
        seen: dict[str, Any] = {}
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(_as(alice, f"GET /sse HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode()))
            await asyncio.wait_for(reader.readuntil(b"session_id="), 10)
            session_id = (await asyncio.wait_for(reader.readuntil(b"\n"), 10)).strip().decode()
            seen["bob"] = (await _raw(port, _as(bob, _post(port, session_id)))).split(b"\r\n")[0]
            seen["no token"] = (await _raw(port, _post(port, session_id))).split(b"\r\n")[0]
            init = (
                b'{"jsonrpc":"2.0","id":6,"method":"initialize","params":{"protocolVersion":"2024-11-05",'
                b'"capabilities":{},"clientInfo":{"name":"t","version":"0"}}}'
            )
            call = b'{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"whoami","arguments":{}}}'
            for body in (init, call):
                await _raw(port, _as(alice, _post(port, session_id, body)))
            await asyncio.wait_for(reader.readuntil(b'"id":7'), 10)
            seen["seen by the tool"] = (await asyncio.wait_for(reader.readuntil(b"\n"), 10)).decode()
            writer.close()
        finally:
            await http.close()
        return seen

    seen = run_loop(scenario(), loop=loop_name)  # type: ignore[arg-type]
    assert seen["bob"] == b"HTTP/1.1 404 Not Found"
    assert seen["no token"] == b"HTTP/1.1 401 Unauthorized"
    assert TOKENS[alice] in seen["seen by the tool"], seen
