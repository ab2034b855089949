"""mcpcore's Client against real server subprocesses over stdio, in every era, on both loops.

The client runs in the test process on ``loop_name``; the server runs in a
child on the same loop kind (``MCPCORE_LOOP``). Two servers: mcpcore's own
example calculator, and a server written with the official Python SDK
(tests/servers/sdk_server.py) for the interop direction.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from typing import Any

import pytest

from mcpcore.client import Client
from mcpcore.errors import ConnectionClosedError, RequestTimeoutError
from tests.client.peer import run
from tests.helpers import ROOT

pytestmark = pytest.mark.timeout(90)

CALCULATOR = [sys.executable, "-m", "mcpcore.examples.calculator"]
SDK_SERVER = [sys.executable, "-W", "ignore", "-m", "tests.servers.sdk_server"]
MODES = ["legacy", "auto", "modern"]


def client_for(command: list[str], loop_name: str, **options: Any) -> Client:
    env = {**os.environ, "MCPCORE_LOOP": loop_name, "PYTHONPATH": str(ROOT)}
    return Client.stdio(command, env=env, cwd=ROOT, stderr="capture", **options)


@pytest.mark.parametrize("mode", MODES)
def test_calculator_tools_in_every_mode(loop_name: str, mode: str) -> None:
    async def scenario() -> None:
        async with client_for(CALCULATOR, loop_name, mode=mode) as client:
            assert client.era == ("legacy" if mode == "legacy" else "modern")
            assert client.server.info == {"name": "calculator", "version": "1.0.0"}
            assert "tools" in client.server_capabilities
            assert client.server.instructions == "Arithmetic tools for testing MCP clients."
            tools = await client.list_tools()
            assert [tool["name"] for tool in tools] == ["add", "sleep", "fib"]
            result = await client.call_tool("add", {"a": 2, "b": 40})
            assert result["content"] == [{"type": "text", "text": "42"}]
            assert result["structuredContent"] == {"result": 42}
            failed = await client.call_tool("fib", {"n": -1})
            assert failed["isError"] is True
        assert client.transport is not None and client.transport.returncode == 0

    run(scenario(), loop_name)


@pytest.mark.parametrize("mode", MODES)
def test_progress_callback_sees_every_step(loop_name: str, mode: str) -> None:
    async def scenario() -> None:
        seen: list[tuple[float, Any, Any]] = []
        async with client_for(CALCULATOR, loop_name, mode=mode) as client:
            result = await client.call_tool(
                "sleep", {"seconds": 0.04}, progress=lambda p, t, m: seen.append((p, t, m))
            )
            assert result["content"][0]["text"] == "slept 0.04 s"
        assert [step[0] for step in seen] == [1, 2, 3, 4]
        assert all(step[1] == 4 for step in seen)

    run(scenario(), loop_name)


@pytest.mark.parametrize("mode", MODES)
def test_timeout_cancels_on_the_server_and_the_connection_stays_usable(loop_name: str, mode: str) -> None:
    async def scenario() -> None:
        async with client_for(CALCULATOR, loop_name, mode=mode) as client:
            started = time.monotonic()
            with pytest.raises(RequestTimeoutError):
                await client.call_tool("sleep", {"seconds": 30}, timeout=0.2)
            assert time.monotonic() - started < 10
            assert (await client.call_tool("add", {"a": 1, "b": 1}))["content"][0]["text"] == "2"
        # The cancelled sleep did not hold up shutdown: stdin EOF ended the server cleanly.
        assert client.transport is not None and client.transport.returncode == 0

    run(scenario(), loop_name)


def test_pipelined_requests_are_answered_while_a_slow_one_runs(loop_name: str) -> None:
    async def scenario() -> None:
        async with client_for(CALCULATOR, loop_name, mode="auto") as client:
            slow = asyncio.ensure_future(client.call_tool("sleep", {"seconds": 2}))
            sums = await asyncio.gather(*(client.call_tool("add", {"a": i, "b": i}) for i in range(50)))
            assert [s["structuredContent"]["result"] for s in sums] == [2 * i for i in range(50)]
            assert not slow.done()  # the fast ones overtook it
            slow.cancel()

    run(scenario(), loop_name)


def test_server_death_fails_pending_requests_promptly(loop_name: str) -> None:
    async def scenario() -> None:
        async with client_for(CALCULATOR, loop_name, mode="legacy") as client:
            pending = asyncio.ensure_future(client.call_tool("sleep", {"seconds": 60}, timeout=None))
            await client.ping()
            assert client.transport is not None
            os.kill(client.transport.pid, 9)
            with pytest.raises(ConnectionClosedError):
                await asyncio.wait_for(pending, 10)
            with pytest.raises(ConnectionClosedError):
                await client.ping()

    run(scenario(), loop_name)


def test_spawning_a_missing_program_fails_cleanly(loop_name: str) -> None:
    async def scenario() -> None:
        with pytest.raises(OSError):
            async with client_for(["/nonexistent/mcp-server"], loop_name):
                pass

    run(scenario(), loop_name)


def test_a_server_that_exits_at_once_fails_connect_with_connection_closed(loop_name: str) -> None:
    async def scenario() -> None:
        with pytest.raises(ConnectionClosedError):
            async with client_for([sys.executable, "-c", "pass"], loop_name, mode="legacy"):
                pass

    run(scenario(), loop_name)


# ------------------------------------------------------------------ official SDK server


@pytest.mark.parametrize("mode", MODES)
def test_official_sdk_server_every_helper(loop_name: str, mode: str) -> None:
    pytest.importorskip("mcp")

    async def scenario() -> None:
        logs: list[dict[str, Any]] = []
        progress: list[float] = []
        async with client_for(
            SDK_SERVER, loop_name, mode=mode, on_log=logs.append, log_level="info"
        ) as client:
            assert client.era == ("legacy" if mode == "legacy" else "modern")
            assert client.server.info is not None and client.server.info["name"] == "sdk-test-server"
            assert [t["name"] for t in await client.list_tools()] == ["add", "sleep"]
            assert (await client.call_tool("add", {"a": 3, "b": 4}))["structuredContent"] == {"result": 7}
            slept = await client.call_tool(
                "sleep", {"seconds": 0.04}, progress=lambda p, t, m: progress.append(p)
            )
            assert slept["content"][0]["text"] == "slept 0.04 s"
            assert [r["uri"] for r in await client.list_resources()] == ["test://greeting"]
            assert [t["uriTemplate"] for t in await client.list_resource_templates()] == [
                "test://items/{item}"
            ]
            read = await client.read_resource("test://items/7")
            assert read["contents"][0]["text"] == "item 7"
            assert [p["name"] for p in await client.list_prompts()] == ["review"]
            prompt = await client.get_prompt("review", {"code": "x = 1"})
            assert "x = 1" in prompt["messages"][0]["content"]["text"]
            with pytest.raises(RequestTimeoutError):
                await client.call_tool("sleep", {"seconds": 30}, timeout=0.2)
            assert (await client.call_tool("add", {"a": 1, "b": 1}))["structuredContent"] == {"result": 2}
        assert progress == [1, 2, 3, 4]
        assert [entry["data"] for entry in logs] == ["sleeping 0.04 s", "sleeping 30.0 s"]

    run(scenario(), loop_name)
