"""The official Python SDK client (``mcp``) driving the example server over stdio.

Each test spawns ``python -m mcpcore.examples.calculator`` through the SDK's own
stdio transport and connects with ``Client(mode=...)``:

* ``legacy`` runs the ``initialize`` handshake (the SDK proposes its newest
  handshake-era version, 2025-11-25);
* ``auto`` probes ``server/discover`` with the 2026-07-28 per-request ``_meta``
  envelope and only falls back to ``initialize`` if the probe fails, so against
  mcpcore it must end up in the modern era.

Every test runs with the server on uvloop and on plain asyncio (``loop_name``).
Waits are bounded by deadlines (failure guards), never by sleeps.
"""

from __future__ import annotations

import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

pytest.importorskip("mcp")

import anyio
import mcp_types as types
from mcp import Client, MCPError, StdioServerParameters
from mcp.client.stdio import PROCESS_TERMINATION_TIMEOUT
from mcp_types.version import LATEST_HANDSHAKE_VERSION

from mcpcore import versions
from tests.helpers import MODERN_VERSION, ROOT

MODES = ["legacy", "auto"]
SERVER_MODULE = "mcpcore.examples.calculator"
INSTRUCTIONS = "Arithmetic tools for testing MCP clients."
#: Per-request deadline inside the SDK: a silent server fails the test, it does not hang it.
READ_TIMEOUT = 20.0

pytestmark = [pytest.mark.timeout(60), pytest.mark.parametrize("mode", MODES)]


def server_params(
    loop_name: str, *, command: str = sys.executable, args: list[str] | None = None
) -> StdioServerParameters:
    """How the SDK launches the example server (its env is merged over the SDK's safe defaults)."""
    return StdioServerParameters(
        command=command,
        args=args if args is not None else ["-m", SERVER_MODULE],
        env={"MCPCORE_LOOP": loop_name, "PYTHONPATH": str(ROOT)},
        cwd=ROOT,
    )


@asynccontextmanager
async def connect(mode: str, params: StdioServerParameters) -> AsyncIterator[Client]:
    """A connected SDK client; leaving the block closes stdin and waits for the server to exit."""
    async with Client(params, mode=mode, read_timeout_seconds=READ_TIMEOUT) as client:
        yield client


def run(test: Callable[[], Awaitable[None]]) -> None:
    """Run an async test body on the SDK's own runtime (anyio over asyncio)."""
    anyio.run(test)


def text_of(result: types.CallToolResult) -> str:
    first = result.content[0]
    assert isinstance(first, types.TextContent), first
    return first.text


# ------------------------------------------------------------------ connect


def test_connect_negotiates_the_expected_era(mode: str, loop_name: str) -> None:
    async def body() -> None:
        async with connect(mode, server_params(loop_name)) as client:
            session = client.session
            if mode == "legacy":
                assert session.initialize_result is not None
                assert session.discover_result is None
                assert client.protocol_version == LATEST_HANDSHAKE_VERSION
                assert client.protocol_version in versions.LEGACY_VERSIONS
                assert client.server_info is not None  # serverInfo is required in InitializeResult
                assert client.server_info.name == "calculator"
                assert client.server_info.version == "1.0.0"
            else:
                # The probe succeeded: the SDK adopted the DiscoverResult instead of falling back.
                assert session.discover_result is not None, "auto mode fell back to initialize"
                assert session.initialize_result is None
                assert client.protocol_version == MODERN_VERSION
                supported = session.discover_result.supported_versions
                assert MODERN_VERSION in supported
                assert set(versions.LEGACY_VERSIONS) <= set(supported)
                if client.server_info is not None:  # the `_meta` serverInfo stamp is optional
                    assert client.server_info.name == "calculator"
            assert client.server_capabilities.tools is not None
            assert client.instructions == INSTRUCTIONS

    run(body)


# -------------------------------------------------------------------- tools


def test_list_tools(mode: str, loop_name: str) -> None:
    async def body() -> None:
        async with connect(mode, server_params(loop_name)) as client:
            listing = await client.list_tools()
            assert [tool.name for tool in listing.tools] == ["add", "sleep", "fib"]
            assert listing.next_cursor is None
            tools = {tool.name: tool for tool in listing.tools}
            add = tools["add"].input_schema
            assert add["type"] == "object"
            assert sorted(add["required"]) == ["a", "b"]
            assert add["properties"]["a"]["type"] == "integer"
            assert add["properties"]["b"]["type"] == "integer"
            assert tools["add"].description == "Add two integers."
            assert tools["sleep"].input_schema["required"] == ["seconds"]
            assert tools["fib"].input_schema["required"] == ["n"]

    run(body)


def test_call_add(mode: str, loop_name: str) -> None:
    async def body() -> None:
        async with connect(mode, server_params(loop_name)) as client:
            # call_tool also checks structuredContent against add's outputSchema (listing first if needed).
            result = await client.call_tool("add", {"a": 2, "b": 3})
            assert not result.is_error
            assert text_of(result) == "5"
            assert result.structured_content == {"result": 5}

    run(body)


def test_tool_exception_is_an_error_result_not_a_protocol_error(mode: str, loop_name: str) -> None:
    async def body() -> None:
        async with connect(mode, server_params(loop_name)) as client:
            result = await client.call_tool("fib", {"n": -1})
            assert result.is_error is True
            assert "n must be >= 0" in text_of(result)
            # The connection is still healthy afterwards.
            assert text_of(await client.call_tool("fib", {"n": 10})) == "55"

    run(body)


def test_progress_reaches_the_callback(mode: str, loop_name: str) -> None:
    async def body() -> None:
        updates: list[tuple[float, float | None, str | None]] = []
        all_four = anyio.Event()

        async def on_progress(progress: float, total: float | None, message: str | None) -> None:
            updates.append((progress, total, message))
            if len(updates) == 4:
                all_four.set()

        async with connect(mode, server_params(loop_name)) as client:
            result = await client.call_tool("sleep", {"seconds": 0.2}, progress_callback=on_progress)
            assert not result.is_error
            assert text_of(result) == "slept 0.2 s"
            # The SDK runs progress callbacks as tasks, so the last one may land just after the result.
            with anyio.fail_after(5):
                await all_four.wait()
        assert [progress for progress, _, _ in updates] == [1.0, 2.0, 3.0, 4.0]
        assert all(total == 4.0 for _, total, _ in updates)
        assert [message for _, _, message in updates] == [f"slept {step}/4" for step in range(1, 5)]

    run(body)


def test_unknown_tool_is_a_protocol_error(mode: str, loop_name: str) -> None:
    async def body() -> None:
        async with connect(mode, server_params(loop_name)) as client:
            with pytest.raises(MCPError) as caught:
                await client.call_tool("no_such_tool", {})
            assert caught.value.code == types.INVALID_PARAMS  # -32602
            assert "no_such_tool" in caught.value.message
            # The connection is still healthy afterwards.
            assert text_of(await client.call_tool("add", {"a": 1, "b": 1})) == "2"

    run(body)


# ----------------------------------------------------------------- shutdown


def test_leaving_the_client_stops_the_server_cleanly(mode: str, loop_name: str, tmp_path: Path) -> None:
    """Closing stdin makes the server exit 0 by itself, inside the SDK's grace period.

    A shell wrapper records the server's exit status. Had the SDK needed to
    escalate, it would have SIGTERMed the whole process group, wrapper
    included, so no status file would exist.
    """
    status_file = tmp_path / "exit-status"
    params = server_params(
        loop_name,
        command="/bin/sh",
        args=["-c", '"$0" -m "$1"; echo $? > "$2"', sys.executable, SERVER_MODULE, str(status_file)],
    )

    async def body() -> float:
        async with connect(mode, params) as client:
            assert text_of(await client.call_tool("add", {"a": 20, "b": 22})) == "42"
            started = time.monotonic()
        return time.monotonic() - started

    elapsed = anyio.run(body)
    assert status_file.exists(), "the server did not exit on stdin EOF; the SDK had to kill it"
    assert status_file.read_text().strip() == "0"
    assert elapsed < PROCESS_TERMINATION_TIMEOUT
