"""The official Python SDK client over Streamable HTTP against the example server, both serving modes.

The calculator runs in a real subprocess, either on the built-in server
(``python -m mcpcore.examples.calculator --http``, on uvloop and on asyncio) or
as an ASGI app under uvicorn. The SDK connects in ``legacy`` mode (initialize
handshake, session id) and in ``auto`` mode (probes 2026-07-28 first, so it must
end up modern).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest

pytest.importorskip("mcp")

import anyio
import mcp_types as types
from mcp import Client

from tests.helpers import MODERN_VERSION, ROOT

pytestmark = pytest.mark.timeout(90)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_listening(process: subprocess.Popen[bytes], port: int) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        assert process.poll() is None, "server exited early"
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)  # start-up poll bounded by the deadline
    raise AssertionError("server did not start listening")


@pytest.fixture(params=["builtin-uvloop", "builtin-asyncio", "asgi-uvicorn"])
def http_url(request: pytest.FixtureRequest) -> Iterator[str]:
    port = _free_port()
    kind = str(request.param)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    if kind.startswith("builtin"):
        env["MCPCORE_LOOP"] = kind.split("-")[1]
        command = [sys.executable, "-m", "mcpcore.examples.calculator", "--http", "--port", str(port)]
    else:
        pytest.importorskip("uvicorn")
        command = [sys.executable, "-m", "uvicorn", "tests.e2e.asgi_calculator:app", "--port", str(port)]
        command += ["--log-level", "warning"]
    process = subprocess.Popen(command, cwd=ROOT, env=env)
    try:
        _wait_listening(process, port)
        yield f"http://127.0.0.1:{port}/mcp"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.mark.parametrize("mode", ["legacy", "auto"])
def test_sdk_client_calls_tools_over_http(http_url: str, mode: str) -> None:
    async def body() -> None:
        async with Client(http_url, mode=mode, read_timeout_seconds=20) as client:  # type: ignore[arg-type]
            if mode == "auto":
                assert client.protocol_version == MODERN_VERSION
            else:
                assert client.protocol_version == "2025-11-25"
            listing = await client.list_tools()
            assert [tool.name for tool in listing.tools] == ["add", "sleep", "fib"]
            result = await client.call_tool("add", {"a": 2, "b": 40})
            first = result.content[0]
            assert isinstance(first, types.TextContent)
            assert first.text == "42"
            progress: list[float] = []

            async def on_progress(value: float, total: float | None, message: str | None) -> None:
                progress.append(value)

            slept = await client.call_tool("sleep", {"seconds": 0.02}, progress_callback=on_progress)
            assert not slept.is_error
            assert progress == [1, 2, 3, 4]

    anyio.run(body)
