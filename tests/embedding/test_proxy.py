"""``mcpcore.proxy``: a server that forwards to another one, across transports and eras."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from typing import Any

import pytest

from mcpcore import Client, proxy
from mcpcore.loop import run as run_loop
from tests.e2e.test_http_sdk_client import _free_port, _wait_listening
from tests.helpers import ROOT

CALCULATOR = [sys.executable, "-m", "mcpcore.examples.calculator"]
FIXTURE = [sys.executable, "-m", "mcpcore.examples.conformance"]


@pytest.mark.parametrize("downstream", ["legacy", "modern"])
def test_a_stdio_server_behind_the_proxy_answers_in_either_era(loop_name: str, downstream: str) -> None:
    bridge = proxy(CALCULATOR)

    async def scenario() -> dict[str, Any]:
        async with Client(bridge, mode=downstream) as client:  # type: ignore[arg-type]
            progress: list[float] = []
            slept = await client.call_tool(
                "sleep", {"seconds": 0.01}, progress=lambda value, total, message: progress.append(value)
            )
            return {
                "era": client.era,
                "tools": [tool["name"] for tool in await client.list_tools()],
                "add": (await client.call_tool("add", {"a": 2, "b": 3}))["structuredContent"],
                "slept": slept.get("isError", False),
                "progress": progress,
                "bad": await client.call_tool("add", {"a": "two", "b": 3}),
            }

    seen = run_loop(scenario(), loop=loop_name)  # type: ignore[arg-type]
    assert seen["era"] == downstream
    assert seen["tools"] == ["add", "sleep", "fib"]
    assert seen["add"] == {"result": 5}
    assert seen["slept"] is False and seen["progress"] == [1, 2, 3, 4]  # progress flows back
    assert seen["bad"]["isError"] is True  # the upstream's own answer, passed through


def test_list_changes_upstream_reach_the_proxys_clients(loop_name: str) -> None:
    bridge = proxy(FIXTURE)
    seen: list[str] = []

    async def scenario() -> None:
        client = Client(bridge, mode="legacy", on_notification=lambda method, params: seen.append(method))
        async with client:
            await client.call_tool("test_trigger_tool_change", {})
            for _ in range(200):
                if "notifications/tools/list_changed" in seen:
                    return
                await client.ping()  # each round trip lets the relayed notification arrive first
        raise AssertionError(f"no list_changed relayed: {seen}")

    run_loop(scenario(), loop=loop_name)  # type: ignore[arg-type]


def test_mcpcore_run_proxy_serves_a_stdio_server_over_http() -> None:
    port = _free_port()
    command = [
        sys.executable,
        "-m",
        "mcpcore",
        "run",
        "--proxy",
        "--http",
        "--port",
        str(port),
        "--",
        *CALCULATOR,
    ]
    process = subprocess.Popen(command, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        _wait_listening(process, port)

        async def body() -> Any:
            async with Client(f"http://127.0.0.1:{port}/mcp") as client:
                return (await client.call_tool("add", {"a": 40, "b": 2}))["structuredContent"]

        assert asyncio.run(body()) == {"result": 42}
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def test_mcpcore_run_proxy_says_what_it_needs() -> None:
    for args in (
        ["run", "--proxy"],
        ["run", "--proxy", "http://127.0.0.1:9/mcp", "--", "cmd"],
        ["run", "--", "cmd"],
    ):
        done = subprocess.run(
            [sys.executable, "-m", "mcpcore", *args], cwd=ROOT, capture_output=True, timeout=30, check=False
        )
        assert done.returncode != 0
        assert done.stderr.startswith(b"mcpcore: "), done.stderr
