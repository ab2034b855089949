"""A server whose timing is known, for the bench's self-check (tests/benchmarks/test_bench_selfcheck.py).

* ``nap(ms)`` sleeps ``ms`` milliseconds without blocking the loop: a bench
  must report that time at p50.
* ``stall(ms, at)`` answers at once, except that call number ``at`` (counted
  from 1 in this process) blocks the whole event loop for ``ms``
  milliseconds: every call in flight or due meanwhile waits, as when a
  server pauses for garbage collection or a synchronous library call.
* ``fail()`` answers with an ``isError`` result.
* ``die(at)`` answers at once, except that call number ``at`` ends the process.

Run: ``python tests/benchmarks/sleepy_server.py [--http --port N]``.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time

from mcpcore import Server

server = Server("sleepy", version="1.0.0")
_calls = [0]


@server.tool()
async def nap(ms: float) -> str:
    """Sleep ``ms`` milliseconds on the loop (other calls carry on)."""
    await asyncio.sleep(ms / 1000)
    return "ok"


@server.tool(run="loop")
def stall(ms: float, at: int) -> str:
    """Block the whole server for ``ms`` milliseconds on call number ``at``; otherwise answer at once."""
    _calls[0] += 1
    if _calls[0] == at:
        time.sleep(ms / 1000)
    return "ok"


@server.tool(run="loop")
def fail() -> str:
    """A tool-level failure: the result has ``isError: true``."""
    raise ValueError("this tool always fails")


@server.tool(run="loop")
def die(at: int) -> str:
    """Exit the whole process, without answering, on call number ``at``."""
    _calls[0] += 1
    if _calls[0] == at:
        os._exit(3)
    return "ok"


if __name__ == "__main__":
    if "--http" in sys.argv:
        server.run("http", port=int(sys.argv[sys.argv.index("--port") + 1]))
    else:
        server.run()
