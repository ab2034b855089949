"""The server the HTTP hardening and HTTP fault tests attack, in process or as a real subprocess.

Its tools stand for what a hostile client makes a server do: wait (``slow``),
talk a lot on a request's own stream (``flood_progress``) or on the
session's GET stream (``flood_standalone``), and report who is asking
(``whoami``). ``stats`` reports what the tests count for leaks.

Run as ``python -m tests.transport.hostile_server`` it serves HTTP on a free
loopback port and prints ``PORT <n>`` once listening; ``HOSTILE_AUTH=1``
turns bearer auth on (tokens ``alice``, ``bob``: see :func:`verify`).
"""

from __future__ import annotations

import asyncio
import os
import sys
from typing import Any

from mcpcore import Context, Server
from mcpcore.loop import run as run_loop
from mcpcore.transport.http import HttpServer, serve_http
from mcpcore.transport.security import AccessToken, BearerAuth
from mcpcore.transport.streamable import HttpOptions

RESOURCE = "http://127.0.0.1/mcp"
TOKENS = {"alice": "client-a", "bob": "client-b"}


def build() -> tuple[Server, dict[str, Any]]:
    """A fresh server, and the slot ``stats`` reads the running endpoint from."""
    server = Server("hostile", version="0.0.1", shutdown_grace=0.5)
    state: dict[str, Any] = {"http": None}
    gate = asyncio.Event()

    @server.tool(run="loop")
    async def hold() -> str:
        """Stays in flight until ``release`` is called (keeps its session busy)."""
        await gate.wait()
        return "released"

    @server.tool(run="loop")
    def release() -> str:
        gate.set()
        return "ok"

    @server.tool(run="loop")
    async def slow(seconds: float, value: int) -> int:
        """Answers ``value`` after ``seconds``."""
        await asyncio.sleep(seconds)
        return value

    @server.tool(run="loop")
    async def flood_progress(ctx: Context, count: int, size: int) -> int:
        """``count`` progress notifications of ``size`` bytes each on the request's own stream.

        How it ended ("completed" or "cancelled") is put in ``state["flood_outcome"]`` (a future).
        """
        outcome = state.setdefault("flood_outcome", asyncio.get_running_loop().create_future())
        try:
            for index in range(count):
                await ctx.report_progress(index + 1, message="x" * size)
                await asyncio.sleep(0)
        except asyncio.CancelledError:
            if not outcome.done():  # concurrent floods: the first to end tells
                outcome.set_result("cancelled")
            raise
        if not outcome.done():
            outcome.set_result("completed")
        return count

    @server.tool(run="loop")
    async def flood_outcome() -> str:
        """How the last ``flood_progress`` ended (waits for it)."""
        outcome: asyncio.Future[str] = state.setdefault(
            "flood_outcome", asyncio.get_running_loop().create_future()
        )
        result = await outcome
        del state["flood_outcome"]
        return result

    @server.tool(run="loop")
    async def flood_standalone(ctx: Context, count: int, size: int) -> int:
        """``count`` log messages of ``size`` bytes that belong to no request (the GET stream's)."""
        for _ in range(count):
            await ctx.connection.notify("notifications/message", {"level": "info", "data": "x" * size})
            await asyncio.sleep(0)
        return count

    @server.tool(run="loop")
    def whoami(ctx: Context) -> dict[str, Any]:
        """The verified token's client and one request header, as the tool sees them."""
        token = ctx.access_token
        headers = ctx.http_headers
        return {
            "client": None if token is None else token.client_id,
            "agent": None if headers is None else headers.get("user-agent"),
            "http": headers is not None,
        }

    @server.tool(run="loop")
    def stats() -> dict[str, int]:
        """What leaks would show: router connections, sessions, TCP connections, tasks."""
        http: HttpServer | None = state["http"]
        return {
            "connections": len(server.connections),
            "sessions": 0 if http is None else len(http.endpoint.sessions),
            "protocols": 0 if http is None else len(http.protocols),
            "tasks": len(asyncio.all_tasks()),
        }

    return server, state


async def verify(token: str) -> AccessToken | None:
    client = TOKENS.get(token)
    if client is None:
        return None
    return AccessToken(client, frozenset(), None, (RESOURCE,), {"sub": token})


def auth() -> BearerAuth:
    return BearerAuth(verify, resource=RESOURCE, authorization_servers=["https://as.example.com"])


def main() -> None:
    server, state = build()
    options = HttpOptions(
        auth=auth() if os.environ.get("HOSTILE_AUTH") == "1" else None,
        max_stream_buffer_bytes=int(os.environ.get("HOSTILE_STREAM_BUFFER", str(256 * 1024))),
        keepalive_interval=0,
    )

    def ready(http: HttpServer) -> None:
        state["http"] = http
        sys.stdout.write(f"PORT {http.port}\n")
        sys.stdout.flush()

    run_loop(
        serve_http(server, "127.0.0.1", 0, options=options, ready=ready), loop=os.environ.get("MCPCORE_LOOP")
    )  # type: ignore[arg-type]


if __name__ == "__main__":
    main()
