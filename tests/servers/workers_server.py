"""A server for the --workers tests: which process answered, a call that waits to be released, a lifespan log.

``python -m tests.servers.workers_server PORT [shared]`` serves it with
``server.run("http", workers=2)`` (``shared``: through ``serve_workers`` with one
listening socket inherited from the parent instead of SO_REUSEPORT).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from collections.abc import AsyncIterator

from mcpcore import Context, Server


def _record(event: str) -> None:
    log = os.environ.get("WORKERS_LIFESPAN_LOG")
    if log:
        with open(log, "a", encoding="utf-8") as file:
            file.write(f"{event} {os.getpid()}\n")


@contextlib.asynccontextmanager
async def lifespan(server: Server) -> AsyncIterator[None]:
    _record("start")
    try:
        yield
    finally:
        _record("stop")


server = Server("workers", lifespan=lifespan, shutdown_grace=20.0)


@server.tool(run="loop")
def pid() -> int:
    """The id of the worker process that answered."""
    return os.getpid()


@server.tool
async def hold(release: str, ctx: Context) -> str:
    """Report that the call started, then wait until the file ``release`` exists (the test creates it)."""
    await ctx.report_progress(0, 1, f"holding in {os.getpid()}")
    while not os.path.exists(release):
        await asyncio.sleep(0.02)  # a condition poll inside the server, bounded by the test's deadline
    return "released"


if __name__ == "__main__":
    port = int(sys.argv[1])
    if sys.argv[2:] == ["shared"]:
        import logging

        from mcpcore.transport.workers import serve_workers

        logging.basicConfig(level=logging.WARNING)  # Server.run does this; serve_workers leaves it to us
        sys.exit(serve_workers(server, 2, port=port, reuse_port=False))
    server.run("http", workers=2, port=port)
