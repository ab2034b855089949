"""Run a test body against both HTTP front ends: the built-in server and the ASGI app under uvicorn.

Both serve the same :class:`~mcpcore.transport.streamable.StreamableHTTP`
core, so every endpoint-level defence is tested through each of them over
real loopback sockets.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Awaitable, Callable

import pytest

from mcpcore import Server
from mcpcore.loop import run as run_loop
from mcpcore.transport.asgi import AsgiApp
from mcpcore.transport.http import start_http
from mcpcore.transport.streamable import HttpOptions, StreamableHTTP

FRONTS = ["builtin", "asgi"]

Body = Callable[[int, StreamableHTTP], Awaitable[None]]


def serve_front(front: str, loop_name: str, server: Server, options: HttpOptions, body: Body) -> None:
    """Serve ``server`` on a free loopback port with ``front`` and run ``body(port, endpoint)``."""

    async def builtin() -> None:
        http = await start_http(server, "127.0.0.1", 0, options=options)
        try:
            await asyncio.wait_for(body(http.port, http.endpoint), 60)
        finally:
            await http.close()

    async def asgi() -> None:
        uvicorn = pytest.importorskip("uvicorn")
        app = AsgiApp(server, options)
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        config = uvicorn.Config(app, log_level="critical", lifespan="off", loop="none")
        userver = uvicorn.Server(config)
        serving = asyncio.get_running_loop().create_task(userver.serve(sockets=[sock]))
        try:
            deadline = asyncio.get_running_loop().time() + 10
            while not userver.started:  # a start-up deadline, not a timing assumption
                assert asyncio.get_running_loop().time() < deadline, "uvicorn did not start"
                assert not serving.done(), "uvicorn exited"
                await asyncio.sleep(0.01)
            await asyncio.wait_for(body(port, app.endpoint), 60)
        finally:
            userver.should_exit = True
            await asyncio.wait_for(serving, 10)
            await app.endpoint.close()
            sock.close()

    run_loop(builtin() if front == "builtin" else asgi(), loop=loop_name)  # type: ignore[arg-type]
