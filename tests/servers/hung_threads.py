"""A server with two worker threads and tools that hold them past their timeout until released.

``block`` waits on an event that only ``release`` sets, and its 1 s timeout
passes first: each call leaves a hung thread behind. The timeout is long
enough for the call to reach its thread before it expires (a call still
queued at its timeout is dropped, not hung); nothing waits for it to pass
except the answer itself.
"""

from __future__ import annotations

import asyncio
import threading

from mcpcore import Server

server = Server("hung-threads", version="0.0.1", max_threads=2, shutdown_grace=0.5)

#: Set by ``release``; until then every ``block`` call holds its thread.
_release = threading.Event()


@server.tool(timeout=1.0)
def block() -> str:
    """Holds a worker thread until ``release`` (a thread cannot be cancelled)."""
    _release.wait()
    return "released"


@server.tool()
def quick(value: int) -> int:
    """A thread tool that answers at once when it gets a thread."""
    return value


@server.tool(run="loop")
async def echo_async(value: int) -> int:
    """An async tool: it never needs a worker thread."""
    await asyncio.sleep(0)
    return value


@server.resource("mem://thread", run="thread")
def thread_resource() -> str:
    """A resource read in a worker thread: the same pool as the tools."""
    return "from a thread"


@server.tool(run="loop")
async def release() -> int:
    """Lets every ``block`` return, then answers once no thread counts as hung any more.

    A hung thread is counted until the function has returned, just after
    ``block`` itself returns, so this waits for the count to reach zero (on
    the loop; the caller's deadline bounds the wait) and answers the number of
    threads still busy.
    """
    _release.set()
    while server.threads.hung:
        await asyncio.sleep(0.001)
    return server.threads.busy


if __name__ == "__main__":
    server.run()
