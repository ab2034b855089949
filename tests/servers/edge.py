"""A server with misbehaving and corner-case tools, for end-to-end tests."""

from __future__ import annotations

import asyncio
import os
import sys
import threading
from dataclasses import dataclass
from enum import Enum
from typing import Literal

from mcpcore import Context, RpcError, Server, ToolResult, image, text

server = Server("edge", version="0.0.1", max_in_flight=int(os.environ.get("EDGE_MAX_IN_FLIGHT", "1024")))

gate = threading.Event()


@server.tool(run="loop")
def chatty(message: str) -> str:
    """Prints to stdout and writes to fd 1: neither may reach the protocol stream."""
    print("print() from a tool:", message)
    os.write(1, b"raw write to fd 1\n")
    sys.stdout.flush()
    return message


@server.tool(run="loop")
def boom(reason: str = "kaboom") -> str:
    """Always raises."""
    raise RuntimeError(reason)


@server.tool(run="loop")
def refuse() -> str:
    """Raises an explicit protocol error."""
    raise RpcError(-32099, "refused on purpose", {"why": "test"})


class Colour(Enum):
    RED = "red"
    GREEN = "green"


@dataclass
class Point:
    x: float
    y: float


@server.tool(run="loop")
def describe(colour: Colour, point: Point, mode: Literal["short", "long"] = "short") -> dict[str, object]:
    """Takes an enum, a dataclass and a literal; returns what it received."""
    return {
        "colour": colour.value,
        "x": point.x,
        "y": point.y,
        "mode": mode,
        "types": [type(colour).__name__, type(point).__name__],
    }


@server.tool(run="loop")
def picture() -> list[object]:
    """Returns content blocks directly."""
    return [text("a picture"), image(b"\x89PNG", "image/png")]


@server.tool(run="loop")
def explicit() -> ToolResult:
    """Returns an explicit result with isError."""
    return ToolResult(content=[text("custom failure")], is_error=True)


@server.tool(run="loop")
def liar() -> int:
    """Claims to return an int, returns a string."""
    return "not an int"  # type: ignore[return-value]


@server.tool()
def wait_for_gate() -> str:
    """Blocks a worker thread until release_gate runs (proves sync tools run off the loop)."""
    if not gate.wait(30):
        return "gate never opened"
    return "gate opened"


@server.tool(run="loop")
def release_gate() -> str:
    """Opens the gate wait_for_gate blocks on."""
    gate.set()
    return "released"


@server.tool()
async def hang(ctx: Context) -> str:
    """Never finishes on its own; only cancellation ends it."""
    await asyncio.Event().wait()
    return "unreachable"


@server.tool()
async def sleep_briefly() -> str:
    """Sleeps a quarter of a second: long next to a ping, short for a test."""
    await asyncio.sleep(0.25)
    return "slept"


@server.tool(timeout=0.2)
async def overrun() -> str:
    """Takes far longer than its 0.2 s timeout."""
    await asyncio.sleep(30)
    return "unreachable"


@server.tool(timeout=0.2)
def overrun_in_thread() -> str:
    """A sync tool past its timeout (its thread finishes on its own, later)."""
    gate.wait(1)
    return "late"


@server.tool(timeout=5)
async def raises_timeout_error() -> str:
    """Raises TimeoutError itself, well within its timeout: not to be reported as a timeout."""
    raise TimeoutError("upstream took too long")


@server.tool()
async def stubborn(seconds: float) -> str:
    """Ignores cancellation for a while (shutdown must still end)."""
    try:
        await asyncio.sleep(seconds)
    except asyncio.CancelledError:
        await asyncio.sleep(0.1)
        raise
    return "done"


@server.tool()
async def meta_echo(ctx: Context) -> dict[str, object]:
    """Reports what the context knows about the request."""
    return {
        "request_id": ctx.request_id,
        "version": ctx.protocol_version,
        "capabilities": ctx.client_capabilities,
        "client": ctx.client_info,
        "progress_token": ctx.progress_token,
    }


if __name__ == "__main__":
    server.run()
