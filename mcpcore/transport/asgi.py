"""The MCP endpoint as an ASGI 3 application (uvicorn, hypercorn, granian, Starlette/FastAPI mounts).

No ASGI framework is imported: the app speaks the ASGI message protocol
directly. It is a thin adapter around the same
:class:`~mcpcore.transport.streamable.StreamableHTTP` core the built-in server
uses: it reads the body (bounded by ``max_body_bytes``), hands the request to
the core with an :class:`_AsgiExchange`, and forwards what the core writes as
``http.response.start`` / ``http.response.body`` messages. A
``http.disconnect`` while a response is still open is the client closing the
stream (for a 2026-07-28 request: cancellation).

Mounted under a prefix (``Mount("/mcp", app=server.asgi_app(path="/"))``),
paths are matched relative to the mount's ``root_path``.

For several workers behind a load balancer (``uvicorn --workers 4``), use
``stateless=True``: legacy sessions live in one process's memory, so without
sticky routing only stateless mode lets any worker serve any request.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Awaitable, Callable, MutableMapping
from typing import TYPE_CHECKING, Any

import orjson

from mcpcore.server import LifespanError
from mcpcore.transport.exchange import Headers
from mcpcore.transport.options import HttpOptions
from mcpcore.transport.streamable import StreamableHTTP
from mcpcore.wire.http11 import Request

if TYPE_CHECKING:
    from mcpcore.server import Server

__all__ = ["AsgiApp"]

_log = logging.getLogger("mcpcore.asgi")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


class _AsgiExchange:
    """Collects what the core writes; the app coroutine forwards it to the ASGI server in order."""

    __slots__ = (
        "aborted",
        "closed",
        "done",
        "forwarder",
        "messages",
        "on_close",
        "sending",
        "unsent",
        "wake",
    )

    def __init__(self) -> None:
        self.closed = False
        self.done = False
        self.on_close: Callable[[], None] | None = None
        self.messages: deque[Message] = deque()
        #: Body bytes queued here that the ASGI server has not taken yet (backpressure).
        self.unsent = 0
        self.wake = asyncio.Event()
        self.aborted = False
        #: The forwarder is waiting in the ASGI server's ``send`` (the client is not taking bytes).
        self.sending = False
        #: The app coroutine forwarding this exchange (cancelled by :meth:`abort`).
        self.forwarder: asyncio.Task[Any] | None = None

    def _push(self, message: Message) -> None:
        self.messages.append(message)
        self.unsent += len(message.get("body", b""))
        self.wake.set()

    def taken(self, message: Message) -> None:
        """The forwarder handed ``message`` to the ASGI server."""
        self.unsent -= len(message.get("body", b""))

    def pending_bytes(self) -> int:
        # Queued bytes only count against the client while the ASGI server is holding our send
        # (its own backpressure); a burst the forwarder has not yet had a turn to pass on does not.
        return self.unsent if self.sending else 0

    def abort(self) -> None:
        """Give up on a client that stopped reading: the app returns without finishing the response,
        which makes the ASGI server drop the connection (even from inside a blocked ``send``)."""
        self.aborted = True
        self.messages.clear()
        self.unsent = 0
        self.client_gone()
        forwarder = self.forwarder
        if forwarder is not None and forwarder is not asyncio.current_task():
            forwarder.cancel()

    def respond(self, status: int, headers: Headers, body: bytes) -> None:
        if self.closed:
            return
        self.closed = self.done = True
        self.on_close = None
        self._push({"type": "http.response.start", "status": status, "headers": headers})
        self._push({"type": "http.response.body", "body": body, "more_body": False})

    def start_stream(self, status: int, headers: Headers) -> None:
        if not self.closed:
            self._push({"type": "http.response.start", "status": status, "headers": headers})

    def send(self, data: bytes) -> None:
        if not self.closed and data:
            self._push({"type": "http.response.body", "body": data, "more_body": True})

    def end(self) -> None:
        if self.closed:
            return
        self.closed = self.done = True
        self.on_close = None
        self._push({"type": "http.response.body", "body": b"", "more_body": False})

    def client_gone(self) -> None:
        if self.closed:
            return
        self.closed = self.done = True
        callback, self.on_close = self.on_close, None
        self.wake.set()
        if callback is not None:
            callback()


def _error(status: int, message: str) -> tuple[int, Headers, bytes]:
    body = orjson.dumps({"jsonrpc": "2.0", "id": None, "error": {"code": -32600, "message": message}})
    return status, [(b"content-type", b"application/json")], body


class AsgiApp:
    """``server.asgi_app()``: an ASGI 3 callable serving the MCP endpoint."""

    def __init__(self, server: Server, options: HttpOptions | None = None) -> None:
        self.server = server
        self.endpoint = StreamableHTTP(server, options)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "http":
            await self._http(scope, receive, send)
        elif kind == "lifespan":
            await self._lifespan(receive, send)
        # websocket and anything else: not ours; returning without a response closes it

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        """The ASGI lifespan runs the server's own (``Server(lifespan=)``) once per worker process."""
        running = contextlib.AsyncExitStack()
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    await running.enter_async_context(self.server.running())
                except LifespanError as exc:
                    _log.error("%s", exc, exc_info=exc.__cause__)
                    await send({"type": "lifespan.startup.failed", "message": str(exc)})
                    return
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                try:
                    await self.endpoint.close()
                finally:
                    await running.aclose()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        options = self.endpoint.options
        headers: dict[str, str] = {}
        for raw_name, raw_value in scope["headers"]:
            name = raw_name.decode("latin-1").lower()
            value = raw_value.decode("latin-1").strip(" \t")
            previous = headers.get(name)
            headers[name] = value if previous is None else f"{previous}, {value}"
        if "host" not in headers and scope.get("server"):
            host, port = scope["server"]
            headers["host"] = f"{host}:{port}"
        path = scope["path"]
        root = scope.get("root_path", "")
        if root and path.startswith(root):
            path = path[len(root) :] or "/"
        body = bytearray()
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            if len(body) > options.max_body_bytes:
                status, response_headers, payload = _error(413, "Payload too large")
                await send({"type": "http.response.start", "status": status, "headers": response_headers})
                await send({"type": "http.response.body", "body": payload})
                return
            if not message.get("more_body", False):
                break
        query = scope.get("query_string", b"")
        target = path + ("?" + query.decode("latin-1") if query else "")
        request = Request(
            scope["method"], target, scope.get("http_version", "1.1"), headers, bytes(body), True
        )
        exchange = _AsgiExchange()
        try:
            self.endpoint.handle(request, exchange)
        except Exception:
            _log.exception("unhandled error serving %s %s", request.method, path)
            if not exchange.closed:
                exchange.respond(*_error(500, "Internal error"))
        await self._forward(exchange, receive, send)

    async def _forward(self, exchange: _AsgiExchange, receive: Receive, send: Send) -> None:
        watcher: asyncio.Task[None] | None = None
        if not exchange.done:
            watcher = asyncio.get_running_loop().create_task(self._watch_disconnect(exchange, receive))
            exchange.forwarder = asyncio.current_task()
        try:
            while True:
                while exchange.messages:
                    message = exchange.messages.popleft()
                    exchange.taken(message)
                    exchange.sending = True
                    try:
                        await send(message)
                    except OSError:
                        exchange.client_gone()
                        return
                    finally:
                        exchange.sending = False
                if exchange.done and not exchange.messages:
                    return
                exchange.wake.clear()
                if not exchange.messages and not exchange.done:
                    await exchange.wake.wait()
        except asyncio.CancelledError:
            if not exchange.aborted:
                raise
            _log.info("response aborted: the client stopped reading")
        finally:
            exchange.forwarder = None
            if watcher is not None:
                watcher.cancel()
            if not exchange.done:
                exchange.client_gone()

    @staticmethod
    async def _watch_disconnect(exchange: _AsgiExchange, receive: Receive) -> None:
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                exchange.client_gone()
                return
