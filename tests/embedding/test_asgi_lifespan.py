"""The server's lifespan under a real ASGI server (uvicorn): started with it, stopped with it."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator
from typing import Any

import pytest

from mcpcore import Client, Context, Server
from mcpcore.loop import run as run_loop

uvicorn = pytest.importorskip("uvicorn")


def _server(events: list[str], fail: bool = False) -> Server:
    @contextlib.asynccontextmanager
    async def lifespan(server: Server) -> AsyncIterator[str]:
        if fail:
            raise RuntimeError("no database")
        events.append("start")
        yield "ready"
        events.append("stop")

    server = Server("asgi-lifespan", lifespan=lifespan)

    @server.tool
    async def state(ctx: Context) -> str:
        return str(ctx.lifespan_state)

    return server


async def _uvicorn(app: Any) -> tuple[Any, asyncio.Task[None], int]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(app, log_level="critical", lifespan="on", loop="none")
    server = uvicorn.Server(config)
    serving = asyncio.get_running_loop().create_task(server.serve(sockets=[sock]))
    while not server.started and not serving.done():
        await asyncio.sleep(0.01)  # uvicorn offers no start event; bounded by the test timeout
    return server, serving, sock.getsockname()[1]


def test_uvicorn_runs_the_lifespan_around_serving(loop_name: str) -> None:
    events: list[str] = []
    server = _server(events)

    async def scenario() -> Any:
        runner, serving, port = await _uvicorn(server.asgi_app())
        try:
            assert events == ["start"]
            async with Client(f"http://127.0.0.1:{port}/mcp") as client:
                result = await client.call_tool("state", {})
        finally:
            runner.should_exit = True
            await serving
        return result["structuredContent"]

    assert run_loop(scenario(), loop=loop_name) == {"result": "ready"}  # type: ignore[arg-type]
    assert events == ["start", "stop"]


def test_a_failing_lifespan_answers_startup_failed(loop_name: str) -> None:
    """Driven through the ASGI lifespan protocol itself (uvicorn answers startup.failed with sys.exit)."""
    server = _server([], fail=True)
    sent: list[dict[str, Any]] = []

    async def scenario() -> None:
        inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        inbox.put_nowait({"type": "lifespan.startup"})

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        await asyncio.wait_for(server.asgi_app()({"type": "lifespan"}, inbox.get, send), 10)

    run_loop(scenario(), loop=loop_name)  # type: ignore[arg-type]
    assert [message["type"] for message in sent] == ["lifespan.startup.failed"]
    assert "no database" in sent[0]["message"]
