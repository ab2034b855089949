"""A server whose tools fail in every way a real tool can, for the fault-injection tests.

Each tool stands for one kind of bug in user code: results the wire cannot
carry, work that never ends (on the loop and in a thread), handlers that
swallow cancellation, and answers big enough to fill a pipe. The server must
answer or drop each one cleanly and keep serving everyone else.
"""

from __future__ import annotations

import asyncio
import os
import threading
from typing import Any

from mcpcore import Server, ToolResult

server = Server(
    "faulty",
    version="0.0.1",
    max_in_flight=int(os.environ.get("FAULTY_MAX_IN_FLIGHT", "1024")),
    shutdown_grace=float(os.environ.get("FAULTY_SHUTDOWN_GRACE", "5.0")),
)

#: Set by ``release`` so that thread-blocking tools can finish (the test process never waits on it).
_release = threading.Event()


def _deep(levels: int) -> dict[str, Any]:
    node: dict[str, Any] = {}
    for _ in range(levels):
        node = {"a": node}
    return node


@server.tool(run="loop")
def blob(size: int) -> str:
    """Answers ``size`` bytes of text inline: the backpressure tests fill the pipe with these."""
    return "x" * size


@server.tool(run="loop")
def echo(value: int) -> int:
    """Answers its argument: a cheap request whose answer proves which request it belongs to."""
    return value


@server.tool(run="loop")
def raises(reason: str) -> str:
    """Raises an ordinary exception: an isError result, never a dead connection."""
    raise RuntimeError(reason)


@server.tool(run="loop")
def huge_int() -> Any:
    """Returns an integer JSON can hold but orjson (64-bit) cannot serialize."""
    return 2**70


@server.tool(run="loop")
def unserializable_content_inline() -> ToolResult:
    """Returns a content block holding a Python object: the failure happens while encoding the reply."""
    return ToolResult(content=[{"type": "text", "text": object()}])  # type: ignore[dict-item]


@server.tool(run="loop")
async def unserializable_content_async() -> ToolResult:
    """The same, from a coroutine: the reply is encoded inside the handler's task."""
    await asyncio.sleep(0)
    return ToolResult(content=[{"type": "text", "text": 2**70}])


@server.tool(run="loop")
def deep_result() -> dict[str, Any]:
    """Nested deeper than orjson serializes (255 levels)."""
    return _deep(300)


@server.tool(run="loop")
def not_a_result() -> Any:
    """Returns something that is neither content nor JSON."""
    return object()


@server.tool(run="loop")
async def hang_async() -> str:
    """Never finishes on its own; cancellation ends it."""
    await asyncio.Event().wait()
    return "unreachable"


@server.tool(run="thread")
def hang_thread() -> str:
    """Blocks a worker thread until ``release`` (threads cannot be cancelled)."""
    _release.wait()
    return "released"


@server.tool(run="loop")
def release() -> str:
    """Lets every ``hang_thread`` return."""
    _release.set()
    return "ok"


@server.tool(run="loop")
async def deaf(seconds: float) -> str:
    """Swallows one cancellation and finishes anyway after ``seconds``: its answer must not be sent."""
    try:
        await asyncio.sleep(seconds)
    except asyncio.CancelledError:
        await asyncio.sleep(seconds)
    return "finished despite cancellation"


@server.tool(run="loop")
async def deaf_forever() -> str:
    """Swallows every cancellation, forever: shutdown must still end the process."""
    while True:
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            continue


@server.tool(run="loop")
async def slow(seconds: float, value: int) -> int:
    """Answers ``value`` after ``seconds``: a request that is in flight when the test acts."""
    await asyncio.sleep(seconds)
    return value


if __name__ == "__main__":
    server.run()
