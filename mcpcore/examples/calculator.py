"""The example server: the one the README shows, the benchmarks measure and the end-to-end tests drive.

Run it with ``python -m mcpcore.examples.calculator`` (stdio), or over Streamable HTTP
with ``python -m mcpcore.examples.calculator --http --port 8000`` (endpoint ``/mcp``).

* ``add`` is the benchmark tool: cheap and non-blocking, so it runs inline on
  the loop (``run="loop"``); its text content is exactly the decimal sum, as
  the peers' ``add`` tools answer, so benchmarks compare like with like.
* ``sleep`` is async, reports progress and can be cancelled.
* ``fib`` is CPU-bound and runs in a thread so the loop keeps serving.
* ``calc://constants`` is a resource, ``calc://fib/{n}`` a resource template,
  and ``explain`` a prompt whose ``operation`` argument has a completer, so
  the example exercises every server capability.
"""

from __future__ import annotations

import asyncio
import math

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


@server.resource(
    "calc://constants",
    name="constants",
    description="Mathematical constants as JSON.",
    mime_type="application/json",
    run="loop",
)
def constants() -> str:
    return f'{{"pi": {math.pi!r}, "e": {math.e!r}, "tau": {math.tau!r}}}'


def _complete_n(value: str) -> list[str]:
    return [str(n) for n in range(31) if str(n).startswith(value)]


@server.resource(
    "calc://fib/{n}",
    name="fibonacci",
    description="The n-th Fibonacci number (0 <= n <= 90).",
    mime_type="text/plain",
    run="loop",
    completions={"n": _complete_n},
)
def fib_resource(n: int) -> str:
    a, b = 0, 1
    for _ in range(max(0, min(n, 90))):
        a, b = b, a + b
    return str(a)


OPERATIONS = ("add", "subtract", "multiply", "divide", "fibonacci")


def _complete_operation(value: str) -> list[str]:
    return [op for op in OPERATIONS if op.startswith(value)]


@server.prompt(run="loop", completions={"operation": _complete_operation})
def explain(operation: str, a: str = "2", b: str = "3") -> str:
    """Ask the model to explain an arithmetic operation step by step.

    Args:
        operation: add, subtract, multiply, divide or fibonacci.
        a: The first operand.
        b: The second operand.
    """
    return f"Explain, step by step, how to {operation} {a} and {b}."


def main(argv: list[str] | None = None) -> None:
    """``python -m mcpcore.examples.calculator [--http [--host H] [--port N] [--stateless]]``."""
    import argparse

    parser = argparse.ArgumentParser(description="The mcpcore example calculator server.")
    parser.add_argument("--http", action="store_true", help="serve Streamable HTTP at /mcp instead of stdio")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--stateless", action="store_true", help="HTTP: no legacy sessions")
    args = parser.parse_args(argv)
    if args.http:
        server.run("http", host=args.host, port=args.port, stateless=args.stateless)
    else:
        server.run()


if __name__ == "__main__":
    main()
