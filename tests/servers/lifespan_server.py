"""A server whose lifespan writes its events to $LIFESPAN_LOG (and fails at startup if $LIFESPAN_FAIL)."""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator

from mcpcore import Context, Server


def _record(event: str) -> None:
    with open(os.environ["LIFESPAN_LOG"], "a", encoding="utf-8") as log:
        log.write(event + "\n")


@contextlib.asynccontextmanager
async def lifespan(server: Server) -> AsyncIterator[dict[str, str]]:
    if os.environ.get("LIFESPAN_FAIL"):
        raise ConnectionRefusedError("the database is not there")
    _record("start")
    try:
        yield {"db": "open"}
    finally:
        _record("stop")


server = Server("lifespan", lifespan=lifespan, shutdown_grace=0.5)


@server.tool
async def db_state(ctx: Context) -> str:
    return str(ctx.lifespan_state["db"])


if __name__ == "__main__":
    server.run()
