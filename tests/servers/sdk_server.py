"""A small server written with the official Python SDK (``mcp``), for interop tests of mcpcore's client.

Run with ``python -m tests.servers.sdk_server`` (stdio). It offers tools
(one with progress and logs, one slow and cancellable), a resource, a
resource template and a prompt, so the client's typed helpers all have
something real to talk to.
"""

from __future__ import annotations

import asyncio

from mcp.server import MCPServer
from mcp.server.mcpserver import Context

server = MCPServer("sdk-test-server", version="2.3.0", instructions="Official SDK server for interop tests.")


@server.tool()
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


@server.tool()
async def sleep(seconds: float, ctx: Context) -> str:
    """Sleep, reporting progress four times and logging once."""
    await ctx.info(f"sleeping {seconds} s")
    for step in range(1, 5):
        await asyncio.sleep(seconds / 4)
        await ctx.report_progress(step, 4, f"step {step}")
    return f"slept {seconds} s"


@server.resource("test://greeting", name="greeting", mime_type="text/plain")
def greeting() -> str:
    """A fixed text resource."""
    return "hello from the SDK"


@server.resource("test://items/{item}", name="item")
def item(item: str) -> str:
    """A templated resource."""
    return f"item {item}"


@server.prompt()
def review(code: str) -> str:
    """Ask for a code review."""
    return f"Please review:\n{code}"


if __name__ == "__main__":
    server.run()
