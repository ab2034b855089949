"""mcpcore's Client over Streamable HTTP against real servers on loopback, both eras, both loops.

Two servers: mcpcore's example calculator (``--http``) and the official Python
SDK's server over streamable HTTP (tests/client/sdk_http_server.py). Each runs
once per loop kind; the client runs in the test process on the same loop kind.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import pytest

from mcpcore.client import Client, HttpTransport
from mcpcore.errors import ConnectionClosedError, RequestTimeoutError
from tests.client.peer import run
from tests.conftest import LOOPS
from tests.helpers import ROOT

pytestmark = pytest.mark.timeout(90)

MODES = ["legacy", "auto", "modern"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def serve(args: list[str], port: int, loop: str) -> subprocess.Popen[bytes]:
    """Start a server subprocess and wait (under a deadline) until it accepts connections."""
    env = {**os.environ, "MCPCORE_LOOP": loop, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(
        [sys.executable, "-W", "ignore", *args], cwd=ROOT, env=env, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert process.poll() is None, f"server {args} exited with {process.returncode}"
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return process
        except OSError:
            time.sleep(0.05)  # start-up poll bounded by the deadline
    process.kill()
    raise AssertionError(f"server {args} did not listen within 30 s")


@pytest.fixture(scope="module", params=LOOPS)
def calculator_http(request: pytest.FixtureRequest) -> Iterator[tuple[str, str]]:
    loop = str(request.param)
    port = free_port()
    process = serve(["-m", "mcpcore.examples.calculator", "--http", "--port", str(port)], port, loop)
    try:
        yield f"http://127.0.0.1:{port}/mcp", loop
    finally:
        process.terminate()
        process.wait(10)


@pytest.fixture(scope="module", params=LOOPS)
def sdk_http(request: pytest.FixtureRequest) -> Iterator[tuple[str, str]]:
    loop = str(request.param)
    port = free_port()
    process = serve(["-m", "tests.client.sdk_http_server", str(port)], port, loop)
    try:
        yield f"http://127.0.0.1:{port}/mcp", loop
    finally:
        process.terminate()
        process.wait(10)


@pytest.mark.parametrize("mode", MODES)
def test_calculator_over_http_in_every_mode(calculator_http: tuple[str, str], mode: str) -> None:
    url, loop = calculator_http

    async def scenario() -> None:
        steps: list[Any] = []
        async with Client.http(url, mode=mode) as client:
            assert client.era == ("legacy" if mode == "legacy" else "modern")
            assert client.server.info == {"name": "calculator", "version": "1.0.0"}
            transport = client.transport
            assert isinstance(transport, HttpTransport)
            assert (transport.session_id is not None) == (mode == "legacy")
            assert [t["name"] for t in await client.list_tools()] == ["add", "sleep", "fib"]
            result = await client.call_tool("add", {"a": 2, "b": 40})
            assert result["structuredContent"] == {"result": 42}
            assert (await client.call_tool("fib", {"n": -1}))["isError"] is True
            slept = await client.call_tool("sleep", {"seconds": 0.05}, progress=lambda *a: steps.append(a))
            assert slept["structuredContent"] == {"result": "slept 0.05 s"}
            # Concurrent requests share a few keep-alive connections instead of one each.
            many = await asyncio.gather(*(client.call_tool("add", {"a": i, "b": 1}) for i in range(20)))
            assert [r["structuredContent"]["result"] for r in many] == [i + 1 for i in range(20)]
            assert transport.pool.connections_opened <= 22
        assert [s[0] for s in steps] == [1, 2, 3, 4]

    run(scenario(), loop)


def test_modern_timeout_closes_the_stream_and_the_server_keeps_serving(
    calculator_http: tuple[str, str],
) -> None:
    url, loop = calculator_http

    async def scenario() -> None:
        async with Client.http(url, mode="modern") as client:
            started = time.monotonic()
            with pytest.raises(RequestTimeoutError):
                await client.call_tool("sleep", {"seconds": 5}, timeout=0.3)
            assert time.monotonic() - started < 2.5
            transport = client.transport
            assert isinstance(transport, HttpTransport)
            # 2026-07-28 cancels by closing the stream: no notifications/cancelled was POSTed.
            assert all(e.method != "notifications/cancelled" for e in transport.exchanges)
            assert (await client.call_tool("add", {"a": 1, "b": 1}))["structuredContent"] == {"result": 2}

    run(scenario(), loop)


def test_legacy_session_deleted_by_the_server_is_reinitialized(calculator_http: tuple[str, str]) -> None:
    url, loop = calculator_http

    async def scenario() -> None:
        async with Client.http(url, mode="legacy") as client:
            transport = client.transport
            assert isinstance(transport, HttpTransport) and transport.session_id is not None
            old = transport.session_id
            headers = [*transport.base_headers(), ("mcp-session-id", old)]
            gone = await transport.pool.open("DELETE", transport.target, headers)
            await gone.read()
            assert gone.status in (200, 204)
            result = await client.call_tool("add", {"a": 3, "b": 4})
            assert result["structuredContent"] == {"result": 7}
            assert transport.session_id not in (None, old)
            statuses = [(e.method, e.status) for e in transport.exchanges]
            assert ("tools/call", 404) in statuses and statuses.count(("initialize", 200)) == 2

    run(scenario(), loop)


def test_close_deletes_the_legacy_session(calculator_http: tuple[str, str]) -> None:
    url, loop = calculator_http

    async def scenario() -> None:
        client = Client.http(url, mode="legacy")
        async with client:
            transport = client.transport
            assert isinstance(transport, HttpTransport)
            session_id = transport.session_id
        assert session_id is not None
        probe = HttpTransport(url)
        headers = [
            *probe.base_headers(),
            ("content-type", "application/json"),
            ("mcp-session-id", session_id),
        ]
        response = await probe.pool.open(
            "POST", probe.target, headers, b'{"jsonrpc":"2.0","id":1,"method":"ping"}'
        )
        await response.read()
        probe.pool.close()
        assert response.status == 404

    run(scenario(), loop)


@pytest.mark.parametrize("mode", ["legacy", "auto"])
def test_connection_refused_fails_at_once(loop_name: str, mode: str) -> None:
    async def scenario() -> None:
        started = time.monotonic()
        with pytest.raises(ConnectionClosedError):
            async with Client.http(f"http://127.0.0.1:{free_port()}/mcp", mode=mode):
                pass
        assert time.monotonic() - started < 3

    run(scenario(), loop_name)


@pytest.mark.parametrize("mode", ["legacy", "auto"])
def test_official_sdk_server_over_http(sdk_http: tuple[str, str], mode: str) -> None:
    url, loop = sdk_http

    async def scenario() -> None:
        logs: list[dict[str, Any]] = []
        steps: list[Any] = []
        async with Client.http(url, mode=mode, on_log=logs.append) as client:
            assert client.server.info is not None and client.server.info["name"] == "sdk-test-server"
            assert [t["name"] for t in await client.list_tools()] == ["add", "sleep"]
            assert (await client.call_tool("add", {"a": 1, "b": 2}))["structuredContent"] == {"result": 3}
            slept = await client.call_tool("sleep", {"seconds": 0.05}, progress=lambda *a: steps.append(a))
            assert slept["content"][0]["text"] == "slept 0.05 s"
            read = await client.read_resource("test://greeting")
            assert read["contents"][0]["text"] == "hello from the SDK"
            prompt = await client.get_prompt("review", {"code": "x = 1"})
            assert prompt["messages"][0]["content"]["text"] == "Please review:\nx = 1"
            with pytest.raises(RequestTimeoutError):
                await client.call_tool("sleep", {"seconds": 5}, timeout=0.2)
            assert (await client.call_tool("add", {"a": 2, "b": 2}))["structuredContent"] == {"result": 4}
        assert [s[0] for s in steps] == [1, 2, 3, 4]
        if mode == "legacy":
            assert logs and logs[0]["data"] == "sleeping 0.05 s"

    run(scenario(), loop)
