"""The in-memory transport: a client and a :class:`~mcpcore.Server` in one process, no pipe or socket.

``async with Client(server) as client`` uses it: the client's frames go to a
real :class:`~mcpcore.router.Connection` of the server, and the connection's
frames come back to the client's session. Both sides see exactly the bytes
they would on stdio, through the same router, inbound contract and
session code, so a unit test through this transport tests the real server.

Every hand-over is scheduled with ``loop.call_soon`` rather than made
inline: a frame is delivered after the writer returns, as with a real
transport, so neither side ever runs inside the other's call stack. The
server's lifespan runs around the connection unless the server is already
running (:meth:`~mcpcore.Server.running` counts its users).
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING, Any

from mcpcore.client.session import ClientSession

if TYPE_CHECKING:
    from mcpcore.router import Connection
    from mcpcore.server import Server

__all__ = ["MemoryTransport"]


class _ServerSide:
    """The connection's sink: frames the server writes, delivered to the client's session."""

    def __init__(self, transport: MemoryTransport) -> None:
        self._transport = transport

    def write(self, data: bytes) -> None:
        self._transport.deliver_to_client(data)


class MemoryTransport:
    """One in-process connection to ``server``; ``write`` is the client session's sink."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self._loop = asyncio.get_running_loop()
        self._session: ClientSession | None = None
        self._connection: Connection | None = None
        self._lifespan: contextlib.AsyncExitStack | None = None
        self.closed = False

    async def open(self) -> None:
        """Start the server's lifespan (if nothing runs it yet) and connect."""
        stack = contextlib.AsyncExitStack()
        await stack.enter_async_context(self.server.running())
        self._lifespan = stack
        self._connection = self.server.connect(_ServerSide(self))

    def attach(self, session: ClientSession) -> None:
        self._session = session

    # ------------------------------------------------------------------ sink

    def write(self, data: bytes) -> None:
        """A frame from the client, handed to the server's connection on the next loop turn."""
        if not self.closed and self._connection is not None:
            self._loop.call_soon(self._to_server, data)

    def _to_server(self, data: bytes) -> None:
        if not self.closed and self._connection is not None:
            self._connection.receive_frame(data)

    def deliver_to_client(self, data: bytes) -> None:
        """A frame from the server, handed to the client's session on the next loop turn."""
        if not self.closed:
            self._loop.call_soon(self._to_client, data)

    def _to_client(self, data: bytes) -> None:
        if not self.closed and self._session is not None:
            self._session.receive_frame(data)

    # --------------------------------------------------------------- closing

    async def close(self, grace: float | None = None) -> None:
        """Shut the server's side down as EOF on stdio would, then end the lifespan if it was ours."""
        if self.closed:
            return
        connection = self._connection
        if connection is not None:
            await connection.shutdown(self.server.shutdown_grace if grace is None else grace)
            self.server.disconnect(connection)
        self.closed = True
        if self._session is not None:
            self._session.connection_lost("the client closed the connection")
        if self._lifespan is not None:
            stack, self._lifespan = self._lifespan, None
            await stack.aclose()

    def __repr__(self) -> str:
        state: Any = "closed" if self.closed else "open"
        return f"<MemoryTransport {self.server.info.get('name')!r} {state}>"
