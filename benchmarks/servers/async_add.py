"""mcpcore's ``add`` as an ``async def`` tool: the like-for-like server for the headline ratios.

Every peer in the suite runs an ordinary handler (an ``async`` function in
the SDKs, FastMCP and the TypeScript SDK). The calculator example's ``add``
runs inline on the loop (``run="loop"``), which no peer offers; comparing
it with their handlers would flatter mcpcore. This server is what a user
writing ``async def add`` gets, and it is the one the headline compares.

Run: ``python -m benchmarks.servers.async_add`` (stdio) or ``... --http --port N``.
"""

from __future__ import annotations

import sys

from mcpcore import Server

server = Server("async-add", version="1.0.0")


@server.tool()
async def add(a: int, b: int) -> int:
    """Add two integers (an ordinary async handler: the default placement, on the loop as a task)."""
    return a + b


if __name__ == "__main__":
    if "--http" in sys.argv:
        server.run("http", port=int(sys.argv[sys.argv.index("--port") + 1]))
    else:
        server.run()
