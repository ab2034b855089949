"""The example server: the one the README shows, the benchmarks measure and the end-to-end tests drive.

Run it with ``python -m mcpcore.examples.calculator`` (stdio).

* ``add`` is the benchmark tool: cheap and non-blocking, so it runs inline on
  the loop (``run="loop"``); its text content is exactly the decimal sum, as
  the peers' ``add`` tools answer, so benchmarks compare like with like.
* ``sleep`` is async, reports progress and can be cancelled.
* ``fib`` is CPU-bound and runs in a thread so the loop keeps serving.
"""

from __future__ import annotations

import asyncio

from mcpcore import Context, Server

server = Server("calculator", version="1.0.0", instructions="Arithmetic tools for testing MCP clients.")


@server.tool(run="loop", annotations={"readOnlyHint": True, "idempotentHint": True, "openWorldHint": False})
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


@server.tool(annotations={"readOnlyHint": True, "openWorldHint": False})
async def sleep(seconds: float, ctx: Context) -> str:
    """Sleep for a while, reporting progress four times; cancellable.

    Args:
        seconds: How long to sleep, in seconds.
    """
    steps = 4
    for step in range(1, steps + 1):
        await asyncio.sleep(seconds / steps)
        await ctx.report_progress(step, steps, f"slept {step}/{steps}")
    return f"slept {seconds} s"


@server.tool(run="thread", annotations={"readOnlyHint": True, "idempotentHint": True, "openWorldHint": False})
def fib(n: int) -> int:
    """The n-th Fibonacci number, computed the slow way (CPU-bound, runs off the loop).

    Args:
        n: Which Fibonacci number (0-based); keep it under about 35.
    """
    if n < 0:
        raise ValueError("n must be >= 0")
    return n if n < 2 else _fib(n - 1) + _fib(n - 2)


def _fib(n: int) -> int:
    return n if n < 2 else _fib(n - 1) + _fib(n - 2)


if __name__ == "__main__":
    server.run()
