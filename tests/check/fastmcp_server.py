"""A small FastMCP server (the ``fastmcp`` package), for ``mcpcore check`` reports on a peer.

``python -m tests.check.fastmcp_server`` serves stdio;
``python -m tests.check.fastmcp_server --http PORT`` serves Streamable HTTP at ``/mcp``.
"""

from __future__ import annotations

import asyncio
import sys

from fastmcp import Context, FastMCP

server = FastMCP("fastmcp-check-server", instructions="FastMCP server for mcpcore check reports.")


@server.tool(annotations={"readOnlyHint": True})
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


@server.tool(annotations={"readOnlyHint": True})
async def sleep(seconds: float, ctx: Context) -> str:
    """Sleep, reporting progress four times."""
    for step in range(1, 5):
        await asyncio.sleep(seconds / 4)
        await ctx.report_progress(step, 4)
    return f"slept {seconds} s"


@server.resource("test://greeting", name="greeting", mime_type="text/plain")
def greeting() -> str:
    """A fixed text resource."""
    return "hello from FastMCP"


@server.resource("test://items/{item}")
def item(item: str) -> str:
    """A templated resource."""
    return f"item {item}"


@server.prompt()
def review(code: str) -> str:
    """Ask for a code review."""
    return f"Please review:\n{code}"


if __name__ == "__main__":
    if "--http" in sys.argv:
        port = int(sys.argv[sys.argv.index("--http") + 1])
        server.run("http", host="127.0.0.1", port=port, show_banner=False)
    else:
        server.run(show_banner=False)
