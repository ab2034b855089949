"""An in-memory server peer for ClientSession tests: it records what the client writes and scripts answers."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

import orjson

from mcpcore.client.session import ClientSession
from mcpcore.loop import run as run_loop

DEADLINE = 10.0
T = TypeVar("T")


def run(coro: Coroutine[Any, Any, T], loop_name: str) -> T:
    """Run a test coroutine on the named loop (uvloop or asyncio), under a failure deadline."""

    async def guarded() -> T:
        return await asyncio.wait_for(coro, 60)

    return run_loop(guarded(), loop=loop_name)  # type: ignore[arg-type]


class FakeServer:
    """The sink of a ClientSession: every frame the client writes lands in a queue, decoded."""

    def __init__(self) -> None:
        self.sent: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.session: ClientSession | None = None

    def write(self, data: bytes) -> None:
        assert data.endswith(b"\n") and data.count(b"\n") == 1
        self.sent.put_nowait(orjson.loads(data))

    async def next(self) -> dict[str, Any]:
        """The next message the client sent (fails the test if none comes in time)."""
        return await asyncio.wait_for(self.sent.get(), DEADLINE)

    def nothing_sent(self) -> bool:
        return self.sent.empty()

    def reply(self, request: dict[str, Any], result: Any) -> None:
        self.feed({"jsonrpc": "2.0", "id": request["id"], "result": result})

    def fail(self, request: dict[str, Any], code: int, message: str, data: Any = None) -> None:
        error: dict[str, Any] = {"code": code, "message": message}
        if data is not None:
            error["data"] = data
        self.feed({"jsonrpc": "2.0", "id": request["id"], "error": error})

    def feed(self, message: Any) -> None:
        assert self.session is not None
        self.session.receive_frame(orjson.dumps(message) + b"\n")


def attach(**options: Any) -> tuple[ClientSession, FakeServer]:
    server = FakeServer()
    session = ClientSession(server, **options)
    server.session = session
    return session, server
