"""The built-in HTTP/1.1 server: an asyncio ``Protocol`` (uvloop where available), no dependencies.

Bytes only move here; :class:`~mcpcore.transport.streamable.StreamableHTTP`
decides what they mean. Per TCP connection:

* :class:`~mcpcore.wire.http11.RequestParser` frames requests; pipelined
  requests wait in a bounded queue (``ServerLimits.max_pipelined``) and are
  answered strictly in order by one loop (no recursion at any depth). Past
  the bound reading pauses, and whatever one read brought beyond it stays in
  the parser as raw bytes until there is room: no request is refused or lost;
* a response is one ``transport.write`` (head and body joined); a stream
  (SSE) uses chunked transfer coding so the connection can be kept alive,
  and what it sends within one loop turn goes out in one write (head and
  first events; a final event and the last chunk);
* a malformed request gets its 4xx/5xx with a JSON-RPC error body and the
  connection is closed, the server keeps serving everyone else;
* a client that half-closes (sends FIN) gets the answers to everything it
  sent, then the connection closes (a FIN during an SSE stream is a disconnect);
* slowloris guard: a request must arrive completely within
  ``request_timeout`` seconds of its first byte (else 408 and close); an idle
  keep-alive connection is closed after ``keepalive_timeout`` seconds. One
  sweep timer per server checks every connection, so no timer is created per
  request.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import socket
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

import orjson

from mcpcore.transport.exchange import JSON_HEADERS, SSE_HEADERS, Headers
from mcpcore.transport.options import HttpOptions
from mcpcore.transport.streamable import StreamableHTTP
from mcpcore.wire.http11 import BadRequest, ExpectContinue, Request, RequestParser, status_line

if TYPE_CHECKING:
    from mcpcore.server import Server

__all__ = ["HttpServer", "ServerLimits", "serve_http", "start_http"]

_log = logging.getLogger("mcpcore.http")

_CONTINUE: Final = b"HTTP/1.1 100 Continue\r\n\r\n"
_CHUNKED: Final = b"transfer-encoding: chunked\r\n"
_CLOSE: Final = b"connection: close\r\n"
_END_CHUNKS: Final = b"0\r\n\r\n"
#: Stream bytes held for one write past which they are written at once (see _Exchange._hold).
_HOLD_BYTES: Final = 64 * 1024


@dataclass(slots=True)
class ServerLimits:
    """Connection-level limits of the built-in server."""

    #: Seconds a request may take to arrive completely once its first byte came (slowloris guard).
    request_timeout: float = 30.0
    #: Seconds an idle keep-alive connection stays open.
    keepalive_timeout: float = 75.0
    #: Concurrent TCP connections; past it new ones are closed at once.
    max_connections: int = 10_000
    #: Parsed pipelined requests queued per connection. Past it the connection stops reading and
    #: any further requests one read brought wait in the parser as raw bytes: none is refused.
    max_pipelined: int = 32


def _head(status: int, headers: Headers, keep_alive: bool) -> bytes:
    """A response head up to the ``content-length`` value (the length and body follow)."""
    parts = [status_line(status)]
    for name, value in headers:
        parts.append(b"%s: %s\r\n" % (name, value))
    if not keep_alive:
        parts.append(_CLOSE)
    parts.append(b"content-length: ")
    return b"".join(parts)


#: Heads of responses with constant headers (JSON, SSE or none), built once per status and keep-alive.
_HEADS: dict[tuple[int, int, bool], bytes] = {}


def _constant_head(status: int, headers: Headers, keep_alive: bool) -> bytes:
    key = (status, 0 if not headers else 1 if headers is JSON_HEADERS else 2, keep_alive)
    head = _HEADS.get(key)
    if head is None:
        head = _HEADS[key] = _head(status, headers, keep_alive)
    return head


class _Exchange:
    """One request's response on a TCP connection."""

    __slots__ = ("chunked", "closed", "held", "held_size", "keep_alive", "on_close", "protocol", "streaming")

    def __init__(self, protocol: HttpProtocol, keep_alive: bool, chunked: bool) -> None:
        self.protocol = protocol
        self.keep_alive = keep_alive
        self.chunked = chunked
        self.closed = False
        self.streaming = False
        self.on_close: Callable[[], None] | None = None
        #: Stream bytes written during this loop turn, not yet handed to the transport (see _hold).
        self.held: list[bytes] | None = None
        self.held_size = 0

    def respond(self, status: int, headers: Headers, body: bytes) -> None:
        if self.closed:
            return
        self.closed = True
        self.on_close = None
        transport = self.protocol.transport
        if transport is None:
            return
        if headers is JSON_HEADERS or headers is SSE_HEADERS or not headers:
            head = _constant_head(status, headers, self.keep_alive)
        else:
            head = _head(status, headers, self.keep_alive)
        transport.write(b"%s%d\r\n\r\n%s" % (head, len(body), body))
        self.protocol.response_done(self)

    def start_stream(self, status: int, headers: Headers) -> None:
        transport = self.protocol.transport
        if self.closed or transport is None:
            return
        self.streaming = True
        parts = [status_line(status)]
        for name, value in headers:
            parts.append(b"%s: %s\r\n" % (name, value))
        if self.chunked:
            parts.append(_CHUNKED)
        if not self.keep_alive:
            parts.append(_CLOSE)
        parts.append(b"\r\n")
        self._hold(b"".join(parts))

    def send(self, data: bytes) -> None:
        if self.closed or self.protocol.transport is None or not data:
            return
        self._hold(b"%x\r\n%s\r\n" % (len(data), data) if self.chunked else data)

    def _hold(self, data: bytes) -> None:
        """Coalesce a stream's writes within one loop turn: one ``transport.write`` at its end.

        A stream's head, the events sent with it, a final event and the
        terminating chunk usually come in one burst (a handler's reply ends its
        stream at once): one system call instead of one each. Held bytes are
        bounded (past ``_HOLD_BYTES`` they go at once), so backpressure, which
        reads the transport's buffer, still sees a client that stops reading.
        """
        held = self.held
        if held is None:
            self.held = [data]
            self.held_size = len(data)
            self.protocol.loop.call_soon(self.flush)
        else:
            held.append(data)
            self.held_size += len(data)
        if self.held_size >= _HOLD_BYTES:
            self.flush()

    def flush(self) -> None:
        """Hand the held bytes to the transport (at the end of the turn, or when a bound is hit)."""
        held, self.held = self.held, None
        transport = self.protocol.transport
        if held and transport is not None and not transport.is_closing():
            transport.write(b"".join(held))

    def end(self) -> None:
        if self.closed:
            return
        self.closed = True
        self.on_close = None
        if self.chunked:
            if self.held is None:
                self.held = []
            self.held.append(_END_CHUNKS)
        self.flush()
        self.protocol.response_done(self)

    def pending_bytes(self) -> int:
        transport = self.protocol.transport
        return 0 if transport is None else transport.get_write_buffer_size()

    def abort(self) -> None:
        self.held = None
        transport = self.protocol.transport
        if transport is not None:
            transport.abort()  # connection_lost follows and reports the client gone
        else:
            self.client_gone()

    def client_gone(self) -> None:
        self.held = None
        if self.closed:
            return
        self.closed = True
        callback, self.on_close = self.on_close, None
        if callback is not None:
            try:
                callback()
            except Exception:
                _log.exception("stream close callback failed")


class HttpProtocol(asyncio.Protocol):
    """One TCP connection to the built-in server."""

    def __init__(self, owner: HttpServer) -> None:
        self.owner = owner
        self.endpoint = owner.endpoint
        options = owner.endpoint.options
        self.parser = RequestParser(
            max_head_bytes=options.max_head_bytes,
            max_headers=options.max_headers,
            max_body_bytes=options.max_body_bytes,
        )
        self.transport: asyncio.Transport | None = None
        #: Asked once (on Python 3.11 each ``get_running_loop`` is a ``getpid`` system call).
        self.loop = asyncio.get_running_loop()
        self.current: _Exchange | None = None
        #: Parsed requests waiting their turn (and a framing error, answered in its turn); bounded.
        self.queue: deque[Request | BadRequest] = deque()
        self.max_pipelined = owner.limits.max_pipelined
        #: The parser may hold complete requests not yet queued (see :meth:`_parse`).
        self.parser_backlog = False
        self.draining = False
        #: The client half-closed (``eof_received``): close once everything it sent is answered.
        self.peer_done = False
        self.reading_paused = False
        self.writing_paused = False
        #: monotonic time when a partial request started arriving (None: none pending).
        self.partial_since: float | None = None
        #: monotonic time since the connection has had nothing to do (None: busy).
        self.idle_since: float | None = time.monotonic()

    # -------------------------------------------------------------- asyncio

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        owner = self.owner
        if len(owner.protocols) >= owner.limits.max_connections:
            _log.warning("connection limit (%d) reached: refusing a connection", owner.limits.max_connections)
            transport.close()
            self.transport = None
            return
        owner.protocols.add(self)
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def connection_lost(self, exc: Exception | None) -> None:
        self.owner.protocols.discard(self)
        self.transport = None
        self.queue.clear()
        current, self.current = self.current, None
        if current is not None:
            current.client_gone()

    def data_received(self, data: bytes) -> None:
        self._parse(data)
        self._drain()

    def _parse(self, data: bytes) -> None:
        """Queue what ``data`` completes, never more than the queue's room (the rest waits unparsed)."""
        room = self.max_pipelined - len(self.queue)
        events = self.parser.feed(data, room)
        #: The parser may hold more complete requests than it returned: read no more until they are in.
        self.parser_backlog = len(events) >= room
        queue = self.queue
        for event in events:
            if isinstance(event, ExpectContinue):
                if self.current is None and not queue and self.transport is not None:
                    self.transport.write(_CONTINUE)
            else:
                queue.append(event)
        if len(queue) >= self.max_pipelined or self.parser_backlog:
            self._pause_reading()

    def _drain(self) -> None:
        """Serve queued requests in order, each once the previous one's response is done.

        A loop, not recursion: a response that completes inside ``_serve``
        (the common, inline case) calls :meth:`response_done`, which comes back
        here and returns at once; this loop then takes the next request. So
        the pipeline may be any depth. Serving pauses while the transport's
        write buffer is full (``pause_writing``) and resumes with it.
        """
        if self.draining:
            return
        self.draining = True
        try:
            queue = self.queue
            while self.transport is not None and not self.writing_paused:
                if self.parser_backlog and len(queue) <= self.max_pipelined // 2:
                    self._parse(b"")
                if self.current is not None or not queue:
                    break
                event = queue.popleft()
                if isinstance(event, BadRequest):
                    self._bad_request(event)  # in its turn: every request before it was answered
                    return
                self._serve(event)
        finally:
            self.draining = False
        self._after_serving()

    def _after_serving(self) -> None:
        """What follows serving: close a half-closed client that had every answer, else note
        idleness, read again once the queue has room, and clock a partial request."""
        if self.current is None and not self.queue:
            if self.peer_done and not self.parser_backlog and self.transport is not None:
                self.transport.close()  # a half-closed client has had every answer
                return
            self.idle_since = time.monotonic()
        if self.reading_paused and len(self.queue) <= self.max_pipelined // 2 and not self.parser_backlog:
            self._resume_reading()
        if self.partial_since is not None or (self.current is None and not self.parser.idle):
            self._track_partial()  # else there is nothing to clock (a response pending stops the clock)

    def _track_partial(self) -> None:
        """Run the slowloris clock only while a partial request is all the connection waits for."""
        if self.parser.idle or self.current is not None or self.queue or self.parser_backlog:
            self.partial_since = None
        elif self.partial_since is None:
            self.partial_since = time.monotonic()

    def eof_received(self) -> bool | None:
        """The client half-closed: it sent all it will. Answer what it sent, then close.

        Returning True keeps our half open for the answers; with nothing left
        to answer (or only a partial request, which can never complete) the
        connection closes now. A FIN during an open SSE stream is how clients
        close streams, so it ends the connection as a disconnect would.
        """
        self.peer_done = True
        current = self.current
        if current is not None and current.streaming:
            return None  # a client leaving an SSE stream is gone (for 2026-07-28: cancellation)
        if current is None and not self.queue and not self.parser_backlog:
            return None
        return True

    def pause_writing(self) -> None:
        self.writing_paused = True
        self._pause_reading()

    def resume_writing(self) -> None:
        self.writing_paused = False
        self._drain()  # serves what waited, and resumes reading only if the queue has room

    # ------------------------------------------------------------- requests

    def _serve(self, request: Request) -> None:
        self.idle_since = None
        keep_alive = request.keep_alive and not self.owner.closing
        exchange = _Exchange(self, keep_alive, chunked=request.http_version == "1.1")
        self.current = exchange
        try:
            self.endpoint.handle(request, exchange)
        except Exception:
            _log.exception("unhandled error serving %s %s", request.method, request.path)
            if not exchange.closed:
                exchange.keep_alive = False
                exchange.respond(
                    500,
                    JSON_HEADERS,
                    orjson.dumps(
                        {"jsonrpc": "2.0", "id": None, "error": {"code": -32603, "message": "Internal error"}}
                    ),
                )

    def response_done(self, exchange: _Exchange) -> None:
        if exchange is not self.current:
            return
        self.current = None
        transport = self.transport
        if transport is None:
            return
        if not exchange.keep_alive:
            self.queue.clear()
            transport.close()
            return
        if self.draining:
            return  # the loop in _drain that served this request takes the next
        if self.queue or self.parser_backlog:
            self._drain()
        else:
            self._after_serving()  # nothing queued (a keep-alive client's usual state): no loop to run

    def _bad_request(self, event: BadRequest) -> None:
        body = orjson.dumps(
            {
                "jsonrpc": "2.0",
                "id": None,
                "error": {"code": -32600, "message": f"Bad request: {event.reason}"},
            }
        )
        self._fail(event.status, body)

    def _fail(self, status: int, body: bytes) -> None:
        transport = self.transport
        if transport is None:
            return
        if self.current is None:
            head = b"%scontent-type: application/json\r\ncontent-length: %d\r\nconnection: close\r\n\r\n" % (
                status_line(status),
                len(body),
            )
            transport.write(head + body)
        transport.close()

    def _pause_reading(self) -> None:
        if not self.reading_paused and self.transport is not None:
            self.reading_paused = True
            self.transport.pause_reading()

    def _resume_reading(self) -> None:
        if self.reading_paused and not self.writing_paused and self.transport is not None:
            self.reading_paused = False
            self.transport.resume_reading()

    # ---------------------------------------------------------------- sweep

    def sweep(self, now: float, limits: ServerLimits) -> None:
        """Close connections that trickle a request or idle too long (called by the server's timer)."""
        if self.partial_since is not None and now - self.partial_since > limits.request_timeout:
            _log.info("request not received within %.0f s: closing", limits.request_timeout)
            body = orjson.dumps(
                {"jsonrpc": "2.0", "id": None, "error": {"code": -32600, "message": "Request timeout"}}
            )
            self.partial_since = None
            self._fail(408, body)
        elif (
            self.idle_since is not None
            and self.current is None
            and now - self.idle_since > limits.keepalive_timeout
            and self.transport is not None
        ):
            self.transport.close()


class HttpServer:
    """A listening built-in server (use :func:`start_http`)."""

    def __init__(self, endpoint: StreamableHTTP, limits: ServerLimits) -> None:
        self.endpoint = endpoint
        self.limits = limits
        self.protocols: set[HttpProtocol] = set()
        self.closing = False
        self.server: asyncio.Server | None = None
        self._sweeper: asyncio.TimerHandle | None = None

    @property
    def port(self) -> int:
        assert self.server is not None
        return int(self.server.sockets[0].getsockname()[1])

    @property
    def host(self) -> str:
        assert self.server is not None
        return str(self.server.sockets[0].getsockname()[0])

    def _sweep(self) -> None:
        now = time.monotonic()
        for protocol in list(self.protocols):
            protocol.sweep(now, self.limits)
        self._arm_sweep()

    def _arm_sweep(self) -> None:
        if not self.closing:
            self._sweeper = asyncio.get_running_loop().call_later(1.0, self._sweep)

    async def close(self) -> None:
        """Stop accepting, end sessions (running handlers get the server's grace), close connections."""
        if self.closing:
            return
        self.closing = True
        if self._sweeper is not None:
            self._sweeper.cancel()
        if self.server is not None:
            self.server.close()
        await self.endpoint.close()
        for protocol in list(self.protocols):
            if protocol.transport is not None:
                if protocol.current is not None:
                    protocol.current.client_gone()
                protocol.transport.close()
        if self.server is not None:
            await self.server.wait_closed()


async def start_http(
    server: Server,
    host: str = "127.0.0.1",
    port: int = 8000,
    *,
    options: HttpOptions | None = None,
    limits: ServerLimits | None = None,
    sock: socket.socket | None = None,
) -> HttpServer:
    """Start serving ``server`` over HTTP (inside a running loop); returns once listening."""
    options = options or HttpOptions()
    if options.allowed_hosts == HttpOptions().allowed_hosts and host not in ("127.0.0.1", "localhost", "::1"):
        _log.warning(
            "listening on %s with the loopback Host allow-list: set allowed_hosts to the names clients use",
            host,
        )
    await server.bus.start()  # idempotent; a shared bus must hear other replicas before we serve
    endpoint = StreamableHTTP(server, options)
    http = HttpServer(endpoint, limits or ServerLimits())
    loop = asyncio.get_running_loop()
    if sock is not None:
        http.server = await loop.create_server(lambda: HttpProtocol(http), sock=sock, backlog=2048)
    else:
        http.server = await loop.create_server(lambda: HttpProtocol(http), host, port, backlog=2048)
    http._arm_sweep()
    return http


async def serve_http(
    server: Server,
    host: str = "127.0.0.1",
    port: int = 8000,
    *,
    options: HttpOptions | None = None,
    limits: ServerLimits | None = None,
    ready: Callable[[HttpServer], Any] | None = None,
    sock: socket.socket | None = None,
) -> None:
    """Serve until SIGINT/SIGTERM, then shut down gracefully (``sock``: a bound socket to listen on)."""
    http = await start_http(server, host, port, options=options, limits=limits, sock=sock)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(signum, stop.set)
    if hasattr(signal, "pthread_sigmask"):
        # A pre-forked worker (transport.workers) starts with both blocked, so a drain signal that came
        # while it started waits for the handlers above instead of killing it; elsewhere a no-op.
        signal.pthread_sigmask(signal.SIG_UNBLOCK, (signal.SIGINT, signal.SIGTERM))
    _log.info("serving MCP on http://%s:%d%s", http.host, http.port, http.endpoint.options.path)
    if ready is not None:
        ready(http)
    try:
        await stop.wait()
    finally:
        await http.close()
