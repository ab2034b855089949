"""The calculator's ``add`` with the default placement of a plain function: a worker thread.

Measured beside the example (where ``add`` runs inline with ``run="loop"``)
and the ``async def`` server to put a number on what the thread hop costs:
most people write tools as plain functions.

Run: ``python -m benchmarks.servers.thread_add`` (stdio) or ``... --http --port N``.
"""

from __future__ import annotations

import sys

from mcpcore import Server

server = Server("thread-add", version="1.0.0")


@server.tool()
def add(a: int, b: int) -> int:
    """Add two integers (in a worker thread: the default for a plain function)."""
    return a + b


if __name__ == "__main__":
    if "--http" in sys.argv:
        server.run("http", port=int(sys.argv[sys.argv.index("--port") + 1]))
    else:
        server.run()
