"""The 2024-11-05 HTTP+SSE transport, which older clients still speak beside Streamable HTTP.

Contract (spec 2024-11-05, "HTTP with SSE"; paths as the Python SDK's ``sse_app``):

* ``GET /sse`` opens a session: an SSE stream whose first event is
  ``endpoint``, naming where to POST (``messages/?session_id=ID``, relative
  to the stream's URL so that it stays right under any mount point). Every
  message the server sends in that session is a ``message`` event on it.
* ``POST /messages/?session_id=ID`` carries one client message (or batch)
  and is answered ``202 Accepted`` at once; the answer comes on the stream.
* Closing the stream ends the session: its running requests are cancelled.

A session is one router :class:`~mcpcore.router.Connection`, exactly as on
stdio, so the boundary, backpressure and limits are the same. It is bound to
the principal whose token opened it (another token's POST gets 404), counted
against ``max_sessions`` and ``max_sessions_per_principal`` (an open stream
is never idle, so nothing is evicted: a full table answers 503), and its
stream is cut, like any SSE stream, when the client leaves more than
``max_stream_buffer_bytes`` unread. Host/Origin checks and bearer auth run
before this module is reached (:mod:`.streamable`).
"""

from __future__ import annotations

import asyncio
import logging
import posixpath
import secrets
from collections import Counter
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

import orjson

from mcpcore.errors import INVALID_REQUEST, PARSE_ERROR, RpcError
from mcpcore.transport.exchange import JSON_HEADERS, Exchange, HttpRequestInfo, accepts, error_body, reject
from mcpcore.transport.sse_stream import SseStream
from mcpcore.wire import sse

if TYPE_CHECKING:
    from mcpcore.router import Connection
    from mcpcore.server import Server
    from mcpcore.transport.options import HttpOptions
    from mcpcore.wire.http11 import Request

__all__ = ["SseEndpoint", "SseSession"]

_log = logging.getLogger("mcpcore.http")


class SseSession:
    """One HTTP+SSE session: its stream, its router connection and who opened it."""

    __slots__ = ("connection", "principal", "session_id", "stream")

    def __init__(self, session_id: str, principal: str | None, stream: SseStream) -> None:
        self.session_id = session_id
        self.principal = principal
        self.stream = stream
        self.connection: Connection | None = None

    def write(self, frame: bytes) -> None:
        """The connection's sink: every message of the session is an event on its stream."""
        self.stream.send_frame(frame)


class _Post:
    """The responder of one POST: what it causes goes to the session's stream; ``ctx`` sees the request."""

    __slots__ = ("http_request", "session")

    def __init__(self, session: SseSession, http_request: HttpRequestInfo) -> None:
        self.session = session
        self.http_request = http_request

    def message(self, frame: bytes) -> None:
        self.session.write(frame)

    def reply(self, frame: bytes | None, error: RpcError | None) -> None:
        if frame is not None:
            self.session.write(frame)


class SseEndpoint:
    """``GET sse_path`` and ``POST sse_messages_path``, for one :class:`StreamableHTTP` endpoint."""

    def __init__(self, server: Server, options: HttpOptions) -> None:
        self.server = server
        self.options = options
        self.sessions: dict[str, SseSession] = {}
        self._per_principal: Counter[str] = Counter()
        relative = posixpath.relpath(options.sse_messages_path, posixpath.dirname(options.sse_path))
        if options.sse_messages_path.endswith("/") and not relative.endswith("/"):
            relative += "/"
        #: What the ``endpoint`` event announces, before the session id.
        self.announce = f"{relative}?session_id="
        #: The paths this transport serves (the endpoint tests every request's path against them).
        self.paths = frozenset((options.sse_path, options.sse_messages_path))

    def routes(self, path: str) -> bool:
        return path in self.paths

    def handle(
        self, request: Request, exchange: Exchange, http_request: HttpRequestInfo, principal: str | None
    ) -> None:
        if request.path == self.options.sse_path and request.method == "GET":
            self._open(request, exchange, principal)
        elif request.path == self.options.sse_messages_path and request.method == "POST":
            self._post(request, exchange, http_request, principal)
        else:
            allowed = b"GET" if request.path == self.options.sse_path else b"POST"
            exchange.respond(
                405,
                [*JSON_HEADERS, (b"allow", allowed)],
                error_body(None, INVALID_REQUEST, f"Method not allowed: {request.method}"),
            )

    # ------------------------------------------------------------------- GET

    def _open(self, request: Request, exchange: Exchange, principal: str | None) -> None:
        if "accept" in request.headers and not accepts(request.headers, "text/event-stream"):
            reject(exchange, 406, INVALID_REQUEST, "Not acceptable: Accept must list text/event-stream")
            return
        options = self.options
        if len(self.sessions) >= options.max_sessions or (
            principal is not None and self._per_principal[principal] >= options.max_sessions_per_principal
        ):
            reject(exchange, 503, INVALID_REQUEST, "Service unavailable: too many sessions")
            return
        session_id = secrets.token_hex(16)
        stream = SseStream(exchange, options, None)
        session = SseSession(session_id, principal, stream)
        exchange.on_close = lambda: self._closed(session)
        stream.open([])
        stream.send_raw(sse.encode_event((self.announce + session_id).encode(), event="endpoint"))
        session.connection = self.server.connect(session)
        self.sessions[session_id] = session
        if principal is not None:
            self._per_principal[principal] += 1

    def _closed(self, session: SseSession) -> None:
        """The client closed the stream (or it was cut for not reading): end the session."""
        session.stream.client_closed()
        self._end(session)

    def _end(self, session: SseSession) -> None:
        if self.sessions.pop(session.session_id, None) is None:
            return
        if session.principal is not None:
            self._per_principal[session.principal] -= 1
            if self._per_principal[session.principal] <= 0:
                del self._per_principal[session.principal]
        connection = session.connection
        if connection is not None:
            self.server.disconnect(connection)
            asyncio.get_running_loop().create_task(connection.shutdown(0.0))

    # ------------------------------------------------------------------ POST

    def _post(
        self, request: Request, exchange: Exchange, http_request: HttpRequestInfo, principal: str | None
    ) -> None:
        query = parse_qs(urlsplit(request.target).query)
        ids = query.get("session_id")
        session_id = ids[0] if ids else None
        if session_id is None:
            reject(exchange, 400, INVALID_REQUEST, "Bad request: session_id is required")
            return
        session = self.sessions.get(session_id)
        if session is None or session.principal != principal or session.connection is None:
            reject(exchange, 404, INVALID_REQUEST, "Session not found")
            return
        if not request.headers.get("content-type", "").startswith("application/json"):
            reject(exchange, 415, INVALID_REQUEST, "Unsupported media type: expected application/json")
            return
        try:
            msg: Any = orjson.loads(request.body)
        except orjson.JSONDecodeError as exc:
            reject(exchange, 400, PARSE_ERROR, f"Parse error: {exc}")
            return
        exchange.respond(202, [(b"content-type", b"text/plain")], b"Accepted")
        session.connection.receive_message(msg, _Post(session, http_request))

    # -------------------------------------------------------------- shutdown

    async def close(self, grace: float) -> None:
        """End every session: running requests get ``grace`` seconds, then every stream closes."""
        sessions = list(self.sessions.values())
        connections = [session.connection for session in sessions if session.connection is not None]
        if connections:
            await asyncio.gather(*(connection.shutdown(grace) for connection in connections))
        for session in sessions:
            session.stream.close()
            self._end(session)
