"""A small HTTP/1.1 client: asyncio ``Protocol`` connections, kept alive and reused.

Only what an MCP client needs, on the sans-I/O
:mod:`mcpcore.wire.http11_client`: :meth:`HttpPool.open` sends one request
and returns a :class:`HttpResponse` as soon as its head arrives; the body is
then read whole (:meth:`HttpResponse.read`) or handed to a callback chunk by
chunk as it arrives (:meth:`HttpResponse.stream`, for event streams).
:meth:`HttpResponse.abort` drops the connection, which is how a 2026-07-28
client cancels a request.

One request at a time per connection (no pipelining); a finished
keep-alive connection goes back to the pool. A request written to a pooled
connection that the server had already closed, and that got no byte back, is
sent once more on a fresh connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl as _ssl
from collections.abc import Callable
from typing import Final

from mcpcore.wire.http11_client import (
    DEFAULT_MAX_RESPONSE_BODY_BYTES,
    Body,
    EndOfResponse,
    InvalidResponse,
    ResponseHead,
    ResponseParser,
    encode_request,
)

__all__ = ["HttpPool", "HttpResponse", "ResponseTooLarge"]

DEFAULT_MAX_IDLE: Final = 16


class ResponseTooLarge(InvalidResponse):
    """A body read whole exceeded its limit."""


class HttpResponse:
    """One response: its head now, its body read whole or streamed."""

    def __init__(self, conn: _Connection) -> None:
        self._conn = conn
        self.head: asyncio.Future[ResponseHead] = asyncio.get_running_loop().create_future()
        self.done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._buffer = bytearray()
        self._sink: Callable[[bytes], None] | None = None
        self.received_any = False

    # Filled in once the head arrived.
    @property
    def status(self) -> int:
        return self.head.result().status

    @property
    def headers(self) -> dict[str, str]:
        return self.head.result().headers

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").partition(";")[0].strip().lower()

    # ----------------------------------------------------- called by the connection

    def _on_head(self, head: ResponseHead) -> None:
        self.received_any = True
        if not self.head.done():
            self.head.set_result(head)

    def _on_data(self, data: bytes) -> None:
        self.received_any = True
        if self._sink is not None:
            self._sink(data)
        else:
            self._buffer += data

    def _on_end(self) -> None:
        if not self.done.done():
            self.done.set_result(None)

    def _fail(self, exc: BaseException) -> None:
        for future in (self.head, self.done):
            if not future.done():
                future.set_exception(exc)
        # Nobody may await ``done``; mark its exception retrieved so asyncio does not warn.
        if self.done.done() and not self.done.cancelled():
            self.done.exception()

    # ------------------------------------------------------------------ reading

    async def read(self, limit: int | None = DEFAULT_MAX_RESPONSE_BODY_BYTES) -> bytes:
        """The whole body (waits for its end)."""
        await self.done
        if limit is not None and len(self._buffer) > limit:
            raise ResponseTooLarge(f"response body larger than {limit} bytes")
        return bytes(self._buffer)

    def stream(self, sink: Callable[[bytes], None]) -> None:
        """Hand every body chunk to ``sink`` from now on (buffered ones first); ``done`` marks the end."""
        self._conn.unbounded()
        self._sink = sink
        if self._buffer:
            data = bytes(self._buffer)
            self._buffer.clear()
            sink(data)

    def abort(self) -> None:
        """Drop the connection (the server sees the client go away)."""
        self._conn.abort()
        self._fail(ConnectionAbortedError("the client closed the response"))


class _Connection(asyncio.Protocol):
    def __init__(self, pool: HttpPool) -> None:
        self.pool = pool
        self.parser = ResponseParser(max_body_bytes=pool.max_body_bytes)
        self.transport: asyncio.Transport | None = None
        self.response: HttpResponse | None = None
        self.closed = False
        self.used = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def send(self, data: bytes, method: str) -> HttpResponse:
        assert self.transport is not None
        self.used = True
        response = HttpResponse(self)
        self.response = response
        self.parser.expect(method)
        self.parser.max_body_bytes = self.pool.max_body_bytes
        self.transport.write(data)
        return response

    def unbounded(self) -> None:
        self.parser.max_body_bytes = None

    def data_received(self, data: bytes) -> None:
        try:
            events = self.parser.feed(data)
        except InvalidResponse as exc:
            self._broken(exc)
            return
        self._dispatch(events)

    def _dispatch(self, events: list[ResponseHead | Body | EndOfResponse]) -> None:
        for event in events:
            response = self.response
            if response is None:
                self._broken(InvalidResponse("a response nobody asked for"))
                return
            if type(event) is Body:
                response._on_data(event.data)
            elif type(event) is ResponseHead:
                response._on_head(event)
            else:
                self.response = None
                response._on_end()
                if event.keep_alive and not self.closed:  # type: ignore[union-attr]
                    self.pool._release(self)
                else:
                    self.abort()

    def _broken(self, exc: BaseException) -> None:
        response, self.response = self.response, None
        self.abort()
        if response is not None:
            response._fail(exc)

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self.pool._forget(self)
        try:
            events = self.parser.feed_eof()
        except InvalidResponse as error:
            self._broken(error)
            return
        self._dispatch(events)
        response, self.response = self.response, None
        if response is not None:
            response._fail(ConnectionResetError(f"the server closed the connection ({exc or 'EOF'})"))

    def abort(self) -> None:
        if not self.closed:
            self.closed = True
            self.pool._forget(self)
            if self.transport is not None:
                self.transport.abort()


class HttpPool:
    """Keep-alive connections to one ``host:port`` (plain TCP, or TLS when ``ssl`` is given)."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        ssl: _ssl.SSLContext | bool | None = None,
        max_idle: int = DEFAULT_MAX_IDLE,
        connect_timeout: float = 10.0,
        max_body_bytes: int | None = DEFAULT_MAX_RESPONSE_BODY_BYTES,
    ) -> None:
        if max_idle < 0:
            raise ValueError("max_idle must be >= 0")
        self.host = host
        self.port = port
        self.ssl = ssl
        self.max_idle = max_idle
        self.connect_timeout = connect_timeout
        self.max_body_bytes = max_body_bytes
        self._idle: list[_Connection] = []
        self._all: set[_Connection] = set()
        self.connections_opened = 0

    async def _connect(self) -> _Connection:
        loop = asyncio.get_running_loop()
        _, conn = await asyncio.wait_for(
            loop.create_connection(
                lambda: _Connection(self),
                self.host,
                self.port,
                ssl=self.ssl or None,
                server_hostname=self.host if self.ssl else None,
            ),
            self.connect_timeout,
        )
        self.connections_opened += 1
        self._all.add(conn)
        return conn

    def _release(self, conn: _Connection) -> None:
        if len(self._idle) < self.max_idle and not conn.closed:
            self._idle.append(conn)
        else:
            conn.abort()

    def _forget(self, conn: _Connection) -> None:
        self._all.discard(conn)
        with contextlib.suppress(ValueError):
            self._idle.remove(conn)

    async def open(
        self,
        method: str,
        target: str,
        headers: list[tuple[str, str]],
        body: bytes | None = None,
        *,
        on_sent: Callable[[HttpResponse], None] | None = None,
    ) -> HttpResponse:
        """Send a request; return once the response head arrived (raises ``OSError`` / ``InvalidResponse``).

        ``on_sent`` gets the response as soon as the request is written, so it
        can be aborted before its head arrives.
        """
        data = encode_request(method, target, headers, body)
        while self._idle:
            conn = self._idle.pop()
            if conn.closed:
                continue
            response = conn.send(data, method)
            if on_sent is not None:
                on_sent(response)
            try:
                await response.head
                return response
            except (ConnectionResetError, InvalidResponse):
                if response.received_any:
                    raise
                # The server closed an idle connection as we reused it: try a fresh one.
        conn = await self._connect()
        response = conn.send(data, method)
        if on_sent is not None:
            on_sent(response)
        await response.head
        return response

    def close(self) -> None:
        """Drop every connection, idle or busy."""
        for conn in list(self._all):
            conn._broken(ConnectionAbortedError("the HTTP client closed"))
        self._idle.clear()
