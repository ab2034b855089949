"""``add`` inline (``run="loop"``) behind one pass-through middleware: what a middleware costs.

Compared with the calculator's inline ``add`` (no middleware) in the same run: a server without
middleware keeps its inline fast path (no task; ``tests/embedding/test_middleware.py`` checks the
handler is the bare one), and one with a middleware on ``tools/call`` pays for the chain and the task
it needs, which is the difference between the two rows.

Run: ``python -m benchmarks.servers.middleware_add`` (stdio) or ``... --http --port N``.
"""

from __future__ import annotations

import sys
from typing import Any

from mcpcore import Context, Server
from mcpcore.middleware import CallNext

server = Server("middleware-add", version="1.0.0")


@server.middleware(methods=["tools/call"])
async def passthrough(ctx: Context, call_next: CallNext) -> Any:
    """The cheapest middleware there is: it only calls on."""
    return await call_next(ctx)


@server.tool(run="loop")
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


if __name__ == "__main__":
    if "--http" in sys.argv:
        server.run("http", port=int(sys.argv[sys.argv.index("--port") + 1]))
    else:
        server.run()
