"""Streamable HTTP, both eras, independent of how bytes reach us.

:class:`StreamableHTTP` takes one parsed HTTP request and an
:class:`Exchange` (the way to answer it: a whole response, or a stream) and
does everything MCP says about it. The built-in server
(:mod:`mcpcore.transport.http`) and the ASGI app
(:mod:`mcpcore.transport.asgi`) only move bytes.

Era per request (spec "dual-era"): a POST whose body carries the 2026-07-28
``_meta`` envelope, or whose ``MCP-Protocol-Version`` header names a modern
version, is served statelessly (:mod:`._modern`); anything else is legacy
Streamable HTTP with sessions (:mod:`._legacy`). A GET or DELETE that says it
is modern gets 405.

Routing outgoing frames: a legacy session is one
:class:`~mcpcore.router.Connection`. Each POST's decoded body is handed to it
with that POST's own :class:`~mcpcore.router.Responder` (:class:`_PostStream`
legacy, :class:`_ModernReply` modern), so every message a request causes
(progress, logs, server-to-client requests, the final response and its
error) lands on the POST that carried it, however long the request waited
in the router's backlog; nothing is recognised by its bytes. Frames that
belong to no request go to the session's standalone GET stream.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, Protocol

import orjson

from mcpcore import versions
from mcpcore.errors import (
    HEADER_MISMATCH,
    INTERNAL_ERROR,
    INVALID_PARAMS,
    INVALID_REQUEST,
    METHOD_NOT_FOUND,
    PARSE_ERROR,
    UNSUPPORTED_PROTOCOL_VERSION,
    RpcError,
)
from mcpcore.router import Connection
from mcpcore.session import META_PROTOCOL_VERSION, Envelope, Phase, read_modern_envelope
from mcpcore.transport.security import AuthFailure, BearerAuth, HostCheck
from mcpcore.wire import sse
from mcpcore.wire.http11 import Request
from mcpcore.wire.mcp_headers import ParamHeaders, check_headers, header_params

if TYPE_CHECKING:
    from mcpcore.server import Server

__all__ = ["EventStore", "Exchange", "HttpOptions", "InMemoryEventStore", "StreamableHTTP"]

_log = logging.getLogger("mcpcore.http")

Headers = list[tuple[bytes, bytes]]

JSON_HEADERS: Final = [(b"content-type", b"application/json")]
SSE_HEADERS: Final = [
    (b"content-type", b"text/event-stream"),
    (b"cache-control", b"no-cache"),
    (b"x-accel-buffering", b"no"),
]
#: Which JSON-RPC error codes a modern POST answers with which HTTP status (others: 200).
_MODERN_STATUS: Final[dict[int, int]] = {
    METHOD_NOT_FOUND: 404,
    PARSE_ERROR: 400,
    INVALID_REQUEST: 400,
    INVALID_PARAMS: 400,
    HEADER_MISMATCH: 400,
    -32021: 400,
    UNSUPPORTED_PROTOCOL_VERSION: 400,
}
_LEGACY_HEADER_VERSIONS: Final = frozenset(versions.LEGACY_VERSIONS)


class Exchange(Protocol):
    """One HTTP request's way back to its client (implemented by each server front end)."""

    #: The client went away (or the response ended); set by the transport.
    closed: bool
    #: Called once by the transport when the client disconnects before the response ends.
    on_close: Callable[[], None] | None

    def respond(self, status: int, headers: Headers, body: bytes) -> None:
        """Send a whole response."""

    def start_stream(self, status: int, headers: Headers) -> None:
        """Send a response head; the body follows with :meth:`send` and ends with :meth:`end`."""

    def send(self, data: bytes) -> None:
        """Send part of a streamed body."""

    def end(self) -> None:
        """Finish a streamed body."""


@dataclass(slots=True)
class HttpOptions:
    """Everything configurable about the HTTP endpoint (every limit explicit)."""

    path: str = "/mcp"
    #: Legacy clients without sessions: any replica can serve any request.
    stateless: bool = False
    #: Legacy POSTs answer ``application/json`` even when the client accepts SSE.
    json_response: bool = False
    #: DNS-rebinding guard (``None``: no Host check; Origin must then match Host).
    allowed_hosts: tuple[str, ...] | None = ("localhost", "127.0.0.1", "[::1]")
    allowed_origins: tuple[str, ...] = ()
    auth: BearerAuth | None = None
    max_sessions: int = 10_000
    #: Seconds a legacy session may go unused before it is ended.
    session_idle_timeout: float = 3600.0
    #: Seconds between ``: keep-alive`` comments on open SSE streams.
    keepalive_interval: float = 15.0
    #: Messages held for a session whose standalone GET stream is not open.
    max_pending_messages: int = 256
    #: Resumability for legacy SSE streams (``None``: off).
    event_store: EventStore | None = None
    #: The ``retry`` (ms) sent in priming events when resumability is on.
    retry_ms: int = 1000
    #: Limits enforced by the front ends.
    max_body_bytes: int = 4 * 1024 * 1024
    max_head_bytes: int = 16 * 1024
    max_headers: int = 100


# ------------------------------------------------------------------ event store


class EventStore(Protocol):
    """Where legacy SSE events are kept for ``Last-Event-ID`` replay (pluggable; in-memory default)."""

    def store(self, stream_id: str, message: bytes) -> str:
        """Keep ``message``; return its event id (unique across streams, encoding the stream)."""

    def replay_after(self, last_event_id: str) -> tuple[str, list[tuple[str, bytes]]] | None:
        """The stream the id belongs to and the events after it, or ``None`` if unknown."""


class InMemoryEventStore:
    """A bounded in-memory event store: the oldest events fall off first."""

    def __init__(self, max_events: int = 10_000) -> None:
        if max_events < 1:
            raise ValueError("max_events must be at least 1")
        self.max_events = max_events
        self._events: deque[tuple[str, str, bytes]] = deque()
        self._counter = 0

    def store(self, stream_id: str, message: bytes) -> str:
        self._counter += 1
        event_id = f"{stream_id}_{self._counter}"
        self._events.append((event_id, stream_id, message))
        if len(self._events) > self.max_events:
            self._events.popleft()
        return event_id

    def replay_after(self, last_event_id: str) -> tuple[str, list[tuple[str, bytes]]] | None:
        stream_id, sep, _ = last_event_id.rpartition("_")
        if not sep:
            return None
        found = False
        replay: list[tuple[str, bytes]] = []
        for event_id, owner, message in self._events:
            if found:
                if owner == stream_id:
                    replay.append((event_id, message))
            elif event_id == last_event_id:
                found = True
        if not found:
            return None
        return stream_id, replay


# -------------------------------------------------------------------- helpers


def _error_body(request_id: Any, code: int, message: str, data: Any = None) -> bytes:
    error: dict[str, Any] = {"code": code, "message": message}
    if data is not None:
        error["data"] = data
    return orjson.dumps({"jsonrpc": "2.0", "id": request_id, "error": error})


def _reject(exchange: Exchange, status: int, code: int, message: str, request_id: Any = None) -> None:
    exchange.respond(status, JSON_HEADERS, _error_body(request_id, code, message))


def _accepts(headers: dict[str, str], media: str) -> bool:
    accept = headers.get("accept")
    if accept is None:
        return False
    return media in accept or "*/*" in accept


# ---------------------------------------------------------------- the endpoint


class StreamableHTTP:
    """The MCP endpoint: one per server and front end; shared by all connections."""

    def __init__(self, server: Server, options: HttpOptions | None = None) -> None:
        self.server = server
        self.options = options or HttpOptions()
        self.host_check = HostCheck(self.options.allowed_hosts, self.options.allowed_origins)
        self.sessions: dict[str, LegacyHttpSession] = {}
        self._reaper: asyncio.TimerHandle | None = None
        self._closing = False
        self._params_cache: dict[str, tuple[Any, ParamHeaders]] = {}

    # ------------------------------------------------------------------ entry

    def handle(
        self, request: Request, exchange: Exchange, modern_connection: ModernConnection | None = None
    ) -> None:
        """Answer one request (synchronously where possible; tasks where not)."""
        options = self.options
        path = request.path
        headers = request.headers
        denied = self.host_check.check(headers)
        if denied is not None:
            _reject(exchange, denied[0], INVALID_REQUEST, denied[1])
            return
        auth = options.auth
        if path != options.path:
            if auth is not None and path in auth.metadata_paths and request.method in ("GET", "HEAD"):
                exchange.respond(
                    200, [*JSON_HEADERS, (b"access-control-allow-origin", b"*")], auth.metadata_body
                )
                return
            exchange.respond(404, JSON_HEADERS, _error_body(None, INVALID_REQUEST, "Not found"))
            return
        if auth is not None:
            asyncio.get_running_loop().create_task(
                self._handle_authenticated(request, exchange, modern_connection)
            )
            return
        self._dispatch(request, exchange, modern_connection)

    async def _handle_authenticated(
        self, request: Request, exchange: Exchange, modern_connection: ModernConnection | None
    ) -> None:
        auth = self.options.auth
        assert auth is not None
        outcome = await auth.authenticate(request.headers)
        if exchange.closed:
            return
        if isinstance(outcome, AuthFailure):
            exchange.respond(outcome.status, list(outcome.headers), outcome.body)
            return
        self._dispatch(request, exchange, modern_connection)

    def _dispatch(
        self, request: Request, exchange: Exchange, modern_connection: ModernConnection | None
    ) -> None:
        method = request.method
        if method == "POST":
            self._post(request, exchange, modern_connection)
        elif method == "GET":
            self._get(request, exchange)
        elif method == "DELETE":
            self._delete(request, exchange)
        else:
            exchange.respond(
                405,
                [*JSON_HEADERS, (b"allow", b"GET, POST, DELETE")],
                _error_body(None, INVALID_REQUEST, f"Method not allowed: {method}"),
            )

    # ------------------------------------------------------------------- POST

    def _post(self, request: Request, exchange: Exchange, modern_connection: ModernConnection | None) -> None:
        headers = request.headers
        content_type = headers.get("content-type", "")
        if not content_type.startswith("application/json"):
            _reject(exchange, 415, INVALID_REQUEST, "Unsupported media type: expected application/json")
            return
        try:
            msg = orjson.loads(request.body)
        except orjson.JSONDecodeError as exc:
            _reject(exchange, 400, PARSE_ERROR, f"Parse error: {exc}")
            return
        header_version = headers.get("mcp-protocol-version")
        if _is_modern(msg, header_version):
            self._post_modern(request, msg, exchange, modern_connection)
        else:
            self._post_legacy(request, msg, exchange, header_version)

    def _post_modern(
        self, request: Request, msg: Any, exchange: Exchange, modern_connection: ModernConnection | None
    ) -> None:
        headers = request.headers
        if type(msg) is not dict:
            _reject(
                exchange, 400, INVALID_REQUEST, "Invalid request: a 2026-07-28 POST carries one JSON object"
            )
            return
        request_id = msg.get("id")
        if "method" not in msg:
            _reject(
                exchange, 400, INVALID_REQUEST, "Invalid request: clients do not POST responses", request_id
            )
            return
        if not (_accepts(headers, "application/json") and _accepts(headers, "text/event-stream")):
            _reject(
                exchange,
                406,
                INVALID_REQUEST,
                "Not acceptable: Accept must list application/json and text/event-stream",
                request_id,
            )
            return
        error = self._modern_header_error(headers, msg)
        if error is None and "id" not in msg:
            error = _envelope_error(msg.get("params"))  # no router will read this one's envelope
        if error is not None:
            exchange.respond(
                400, JSON_HEADERS, _error_body(request_id, error.code, error.message, error.data)
            )
            return
        if "id" not in msg:
            exchange.respond(202, [], b"")  # no client notification means anything over HTTP in 2026-07-28
            return
        connection = modern_connection or ModernConnection(self.server)
        connection.serve(msg, exchange, self.options.keepalive_interval)

    def _modern_header_error(self, headers: dict[str, str], msg: dict[str, Any]) -> RpcError | None:
        """The header/body mismatch to answer, if any (an invalid envelope's own error comes first).

        The router reads the envelope anyway, so on the common path (versions
        agree, headers match) it is not read here: only when there is a
        mismatch to report does the envelope's validity decide which error wins.
        """
        header_version = headers.get("mcp-protocol-version")
        if header_version is None:
            return RpcError(HEADER_MISMATCH, "Header mismatch: missing MCP-Protocol-Version header")
        params = msg.get("params")
        meta = params.get("_meta") if type(params) is dict else None
        body_version = meta.get(META_PROTOCOL_VERSION) if type(meta) is dict else None
        if body_version == header_version:
            mismatch = check_headers(headers, msg, self._param_headers)
            if mismatch is None:
                return None  # the router answers an invalid envelope itself, with the same status
            return _envelope_error(params) or mismatch
        error = _envelope_error(params)
        if error is not None and error.code != UNSUPPORTED_PROTOCOL_VERSION:
            return error
        return RpcError(
            HEADER_MISMATCH,
            f"Header mismatch: MCP-Protocol-Version {header_version!r} does not match the body's "
            f"{body_version!r}",
        )

    def _param_headers(self, tool_name: str) -> ParamHeaders | None:
        """A tool's ``x-mcp-header`` parameters, computed once per input schema."""
        tool = self.server.tools.get(tool_name)
        if tool is None:
            return None
        schema = tool.definition.get("inputSchema")
        cached = self._params_cache.get(tool_name)
        if cached is not None and cached[0] is schema:
            return cached[1]
        declared = header_params(schema) if isinstance(schema, dict) else {}
        self._params_cache[tool_name] = (schema, declared)
        return declared

    def _post_legacy(
        self, request: Request, msg: Any, exchange: Exchange, header_version: str | None
    ) -> None:
        headers = request.headers
        if header_version is not None and header_version not in _LEGACY_HEADER_VERSIONS:
            _reject(
                exchange,
                400,
                INVALID_REQUEST,
                f"Bad request: unsupported MCP-Protocol-Version {header_version}",
            )
            return
        is_initialize = type(msg) is dict and msg.get("method") == "initialize"
        if self.options.stateless:
            session = LegacyHttpSession.stateless(self, header_version, initialized=not is_initialize)
        else:
            session_id = headers.get("mcp-session-id")
            if session_id is None:
                if not is_initialize:
                    _reject(exchange, 400, INVALID_REQUEST, "Bad request: missing Mcp-Session-Id header")
                    return
                if len(self.sessions) >= self.options.max_sessions:
                    _reject(exchange, 503, INVALID_REQUEST, "Service unavailable: too many sessions")
                    return
                session = self._new_session()
            else:
                found = self.sessions.get(session_id)
                if found is None:
                    _reject(
                        exchange,
                        404,
                        INVALID_REQUEST,
                        "Session not found",
                        msg.get("id") if type(msg) is dict else None,
                    )
                    return
                session = found
            session.touch()
        use_sse = not self.options.json_response and _accepts(headers, "text/event-stream")
        stream = _PostStream(session, exchange, use_sse)
        if is_initialize and not self.options.stateless:
            stream.session_header = session.session_id
        stream.feed(msg)

    def _new_session(self) -> LegacyHttpSession:
        session = LegacyHttpSession(self, secrets.token_urlsafe(24))
        self.sessions[session.session_id] = session
        self._schedule_reaper()
        return session

    # -------------------------------------------------------------- GET/DELETE

    def _era_of_bodyless(self, request: Request, exchange: Exchange) -> LegacyHttpSession | None:
        headers = request.headers
        version = headers.get("mcp-protocol-version")
        if self.options.stateless or (version is not None and version not in _LEGACY_HEADER_VERSIONS):
            exchange.respond(
                405,
                [*JSON_HEADERS, (b"allow", b"POST")],
                _error_body(None, INVALID_REQUEST, "Method not allowed"),
            )
            return None
        session_id = headers.get("mcp-session-id")
        if session_id is None:
            _reject(exchange, 400, INVALID_REQUEST, "Bad request: missing Mcp-Session-Id header")
            return None
        session = self.sessions.get(session_id)
        if session is None:
            _reject(exchange, 404, INVALID_REQUEST, "Session not found")
            return None
        session.touch()
        return session

    def _get(self, request: Request, exchange: Exchange) -> None:
        session = self._era_of_bodyless(request, exchange)
        if session is None:
            return
        if not _accepts(request.headers, "text/event-stream"):
            _reject(exchange, 406, INVALID_REQUEST, "Not acceptable: Accept must list text/event-stream")
            return
        last_event_id = request.headers.get("last-event-id")
        if last_event_id is not None and self.options.event_store is not None:
            session.resume(last_event_id, exchange)
            return
        session.open_standalone(exchange)

    def _delete(self, request: Request, exchange: Exchange) -> None:
        session = self._era_of_bodyless(request, exchange)
        if session is None:
            return
        self.end_session(session)
        exchange.respond(200, [], b"")

    # --------------------------------------------------------------- sessions

    def end_session(self, session: LegacyHttpSession) -> None:
        """Terminate a session: later requests naming it get 404."""
        self.sessions.pop(session.session_id, None)
        session.terminate()

    def _schedule_reaper(self) -> None:
        if self._reaper is None and not self._closing:
            interval = max(1.0, min(60.0, self.options.session_idle_timeout / 4))
            self._reaper = asyncio.get_running_loop().call_later(interval, self._reap)

    def _reap(self) -> None:
        self._reaper = None
        deadline = time.monotonic() - self.options.session_idle_timeout
        for session in list(self.sessions.values()):
            if session.last_used < deadline and session.idle:
                _log.info("session expired after %.0f s idle", self.options.session_idle_timeout)
                self.end_session(session)
        if self.sessions:
            self._schedule_reaper()

    async def close(self, grace: float | None = None) -> None:
        """End every session (server shutdown)."""
        self._closing = True
        if self._reaper is not None:
            self._reaper.cancel()
            self._reaper = None
        wait = self.server.shutdown_grace if grace is None else grace
        sessions = list(self.sessions.values())
        self.sessions.clear()
        await asyncio.gather(*(session.shutdown(wait) for session in sessions), return_exceptions=True)


def _envelope_error(params: Any) -> RpcError | None:
    try:
        read_modern_envelope(params if type(params) is dict else None)
    except RpcError as exc:
        return exc
    return None


def _is_modern(msg: Any, header_version: str | None) -> bool:
    if header_version is not None and header_version not in _LEGACY_HEADER_VERSIONS:
        return True
    if type(msg) is not dict:
        return False
    params = msg.get("params")
    if type(params) is not dict:
        return False
    meta = params.get("_meta")
    return type(meta) is dict and META_PROTOCOL_VERSION in meta


# ------------------------------------------------------------ legacy sessions


class LegacyHttpSession:
    """One ``Mcp-Session-Id``: a router connection plus its standalone GET stream."""

    def __init__(self, endpoint: StreamableHTTP, session_id: str) -> None:
        self.endpoint = endpoint
        self.session_id = session_id
        # The connection's own sink carries only what belongs to no request: the standalone stream.
        self.connection = endpoint.server.connect(self)
        self.standalone: _SseStream | None = None
        self.pending: deque[bytes] = deque()
        self.open_posts = 0
        self.last_used = time.monotonic()
        self.terminated = False

    @classmethod
    def stateless(
        cls, endpoint: StreamableHTTP, version: str | None, *, initialized: bool
    ) -> LegacyHttpSession:
        """A throwaway session for one POST: no id, and (unless this is ``initialize``) already set up."""
        session = cls(endpoint, "")
        if initialized:
            legacy = session.connection.session
            chosen = version if version in _LEGACY_HEADER_VERSIONS else versions.LATEST_LEGACY
            legacy.envelope = Envelope(chosen, {}, None, modern=False)
            legacy.phase = Phase.READY
        return session

    def end_stateless(self) -> None:
        self.endpoint.server.disconnect(self.connection)

    @property
    def idle(self) -> bool:
        return self.open_posts == 0 and self.connection.in_flight == 0

    def touch(self) -> None:
        self.last_used = time.monotonic()

    def write(self, frame: bytes) -> None:
        """The session connection's sink (:class:`~mcpcore.router.Sink`): messages of no request."""
        self.send_standalone(frame)

    def send_standalone(self, frame: bytes) -> None:
        stream = self.standalone
        if stream is not None and not stream.closed:
            stream.send_frame(frame)
            return
        if self.session_id == "":
            _log.debug("stateless session: dropped a message with no stream to carry it")
            return
        self.pending.append(frame)
        if len(self.pending) > self.endpoint.options.max_pending_messages:
            self.pending.popleft()
            _log.warning("session message backlog full: dropped the oldest message")

    def open_standalone(self, exchange: Exchange) -> None:
        if self.standalone is not None and not self.standalone.closed:
            _reject(exchange, 409, INVALID_REQUEST, "Conflict: this session already has a GET stream open")
            return
        stream = _SseStream(exchange, self.endpoint.options, self._stream_id("get"))
        self.standalone = stream
        stream.open([(b"mcp-session-id", self.session_id.encode())])
        while self.pending and not stream.closed:
            stream.send_frame(self.pending.popleft())

    def _stream_id(self, kind: str) -> str | None:
        if self.endpoint.options.event_store is None:
            return None
        return f"{self.session_id[:8]}{kind}{secrets.token_hex(6)}"

    def resume(self, last_event_id: str, exchange: Exchange) -> None:
        store = self.endpoint.options.event_store
        assert store is not None
        found = store.replay_after(last_event_id)
        if found is None:
            _reject(exchange, 404, INVALID_REQUEST, "Unknown Last-Event-ID")
            return
        stream_id, events = found
        stream = _SseStream(exchange, self.endpoint.options, stream_id)
        stream.open([(b"mcp-session-id", self.session_id.encode())], prime=False)
        for event_id, message in events:
            stream.send_raw(sse.encode_event(message.rstrip(b"\n"), event_id=event_id, event="message"))
        resumed = _RESUMABLE.get(stream_id)
        if resumed is not None and not resumed.finished:
            resumed.reattach(stream)  # the POST's handler is still running: its stream continues here
        elif stream_id.startswith(self.session_id[:8] + "get"):
            if self.standalone is None or self.standalone.closed:
                self.standalone = stream
        else:
            stream.close()

    def terminate(self) -> None:
        self.terminated = True
        if self.standalone is not None:
            self.standalone.close()
        asyncio.get_running_loop().create_task(self.shutdown(0.0))

    async def shutdown(self, grace: float) -> None:
        if self.standalone is not None:
            self.standalone.close()
        await self.connection.shutdown(grace)
        self.endpoint.server.disconnect(self.connection)


#: POST streams that can be resumed by id (only with an event store).
_RESUMABLE: dict[str, _PostStream] = {}


class _SseStream:
    """An SSE response on an exchange: head once, then events, keep-alives while idle."""

    __slots__ = ("closed", "exchange", "keepalive", "options", "started", "stream_id")

    def __init__(self, exchange: Exchange, options: HttpOptions, stream_id: str | None) -> None:
        self.exchange = exchange
        self.options = options
        self.stream_id = stream_id
        self.closed = False
        self.started = False
        self.keepalive: asyncio.TimerHandle | None = None
        exchange.on_close = self._client_closed

    def open(self, extra_headers: Headers, *, prime: bool = True) -> None:
        self.started = True
        self.exchange.start_stream(200, [*SSE_HEADERS, *extra_headers])
        store = self.options.event_store
        if prime and store is not None and self.stream_id is not None:
            event_id = store.store(self.stream_id, b"")
            self.exchange.send(sse.encode_event(b"", event_id=event_id, retry_ms=self.options.retry_ms))
        self._arm()

    def _arm(self) -> None:
        interval = self.options.keepalive_interval
        if interval > 0 and not self.closed:
            self.keepalive = asyncio.get_running_loop().call_later(interval, self._ping)

    def _ping(self) -> None:
        self.keepalive = None
        if not self.closed:
            self.exchange.send(sse.KEEPALIVE)
            self._arm()

    def send_frame(self, frame: bytes) -> None:
        store = self.options.event_store
        if store is not None and self.stream_id is not None:
            event_id = store.store(self.stream_id, frame)
            if not self.closed:
                self.exchange.send(sse.encode_event(frame.rstrip(b"\n"), event_id=event_id, event="message"))
        elif not self.closed:
            self.exchange.send(sse.encode_message(frame))

    def send_raw(self, data: bytes) -> None:
        if not self.closed:
            self.exchange.send(data)

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        if self.keepalive is not None:
            self.keepalive.cancel()
            self.keepalive = None
        self.exchange.on_close = None
        self.exchange.end()

    def _client_closed(self) -> None:
        self.closed = True
        if self.keepalive is not None:
            self.keepalive.cancel()
            self.keepalive = None


class _PostStream:
    """One legacy POST's :class:`~mcpcore.router.Responder`: JSON once answered, or an SSE stream.

    A request answered while its body is being fed (the common, inline case)
    gets one whole response: an SSE body when the client accepts SSE (as the
    reference servers do; with resumability, a stream with event ids), else
    JSON. Anything answered later goes out on an SSE stream opened as soon as
    the feed returns unanswered (in JSON mode: the response waits for the
    reply). A POST whose messages need no answer (notifications, responses)
    gets 202.
    """

    __slots__ = (
        "buffered",
        "exchange",
        "final",
        "finished",
        "session",
        "session_header",
        "sse",
        "stream",
        "syncing",
    )

    def __init__(self, session: LegacyHttpSession, exchange: Exchange, sse: bool) -> None:
        self.session = session
        self.exchange = exchange
        self.sse = sse
        #: Messages sent on the request's behalf before its stream opened.
        self.buffered: list[bytes] | None = None
        #: The final response, while it waits to go out whole.
        self.final: bytes | None = None
        self.finished = False
        self.syncing = False
        self.session_header: str | None = None
        self.stream: _SseStream | None = None

    def feed(self, msg: Any) -> None:
        """Hand the decoded body to the session's connection with this POST as its responder."""
        session = self.session
        session.open_posts += 1
        self.syncing = True
        try:
            session.connection.receive_message(msg, self)
        finally:
            self.syncing = False
        if self.finished:
            self._respond_whole()
            return
        if self.sse:
            self._start_stream()
        self.exchange.on_close = self._client_closed

    def message(self, frame: bytes) -> None:
        """A message on the request's behalf: on this POST's stream while it is open, else standalone."""
        if self.finished or not self.sse:
            self.session.send_standalone(frame)
        elif self.stream is None:
            if self.buffered is None:
                self.buffered = []
            self.buffered.append(frame)
        else:
            self.stream.send_frame(frame)

    def reply(self, frame: bytes | None, error: RpcError | None) -> None:
        """The final response (None: there is none, e.g. cancelled or only notifications): end the POST."""
        if self.finished:
            return
        self.finished = True
        stream = self.stream
        if stream is None:
            self.final = frame
            if not self.syncing:  # else feed() answers once the router returns
                self._respond_whole()
            return
        if frame is not None:
            stream.send_frame(frame)
        self._done()
        stream.close()

    def _headers(self, base: Headers) -> Headers:
        if self.session_header:
            return [*base, (b"mcp-session-id", self.session_header.encode())]
        return base

    def _respond_whole(self) -> None:
        final = self.final
        messages = self.buffered
        self.final = self.buffered = None
        self._done()
        exchange = self.exchange
        if exchange.closed:
            return
        if messages is None:
            if final is None:
                exchange.respond(202, [], b"")
                return
            if not self.sse:
                exchange.respond(200, self._headers(JSON_HEADERS), final)
                return
            if self.session.endpoint.options.event_store is None:
                exchange.respond(200, self._headers(SSE_HEADERS), sse.encode_message(final))
                return
        resumable = self.sse and self.session.endpoint.options.event_store is not None
        frames = messages or []
        if final is not None:
            frames.append(final)
        if resumable:
            self._start_stream(frames)
            assert self.stream is not None
            self.stream.close()
            return
        body = b"".join([sse.encode_message(frame) for frame in frames])
        exchange.respond(200, self._headers(SSE_HEADERS), body)

    def _start_stream(self, frames: list[bytes] | None = None) -> None:
        stream_id = self.session._stream_id("post")
        stream = _SseStream(self.exchange, self.session.endpoint.options, stream_id)
        self.stream = stream
        if stream_id is not None:
            _RESUMABLE[stream_id] = self
        stream.open(self._headers([]))
        pending = self.buffered if frames is None else frames
        self.buffered = None
        for frame in pending or ():
            stream.send_frame(frame)

    def reattach(self, stream: _SseStream) -> None:
        """A client resumed this POST's stream with GET + Last-Event-ID: continue there."""
        self.stream = stream
        self.exchange = stream.exchange
        stream.exchange.on_close = self._client_closed

    def _done(self) -> None:
        self.session.open_posts -= 1
        stream = self.stream
        if stream is not None and stream.stream_id is not None:
            _RESUMABLE.pop(stream.stream_id, None)
        if self.session.session_id == "":
            self.session.end_stateless()

    def _client_closed(self) -> None:
        # Legacy: a dropped stream is not a cancellation; the handler finishes, and with an
        # event store its messages wait for a resuming GET.
        if self.stream is not None:
            self.stream._client_closed()
        if self.session.endpoint.options.event_store is None and not self.finished:
            self.finished = True
            self._done()


# ------------------------------------------------------------------- modern


class ModernConnection:
    """A router connection for 2026-07-28 POSTs: one request at a time, each on its own exchange.

    The built-in server keeps one per TCP connection (HTTP/1.1 serves one
    request at a time); the ASGI app makes one per request. Each request is
    fed with its own :class:`_ModernReply` as responder; the connection's
    sink only sees messages that belong to no request, which a stateless
    2026-07-28 exchange has nowhere to put.
    """

    __slots__ = ("connection",)

    def __init__(self, server: Server) -> None:
        self.connection = Connection(server, self, max_in_flight=server.max_in_flight)

    def write(self, data: bytes) -> None:
        _log.debug("2026-07-28: dropped a message that belongs to no request")

    def serve(self, msg: dict[str, Any], exchange: Exchange, keepalive: float) -> None:
        reply = _ModernReply(self, msg["id"], exchange, keepalive)
        self.connection.receive_message(msg, reply)
        if not reply.finished:
            exchange.on_close = reply.client_closed

    def cancel(self, request_id: Any) -> None:
        self.connection.receive_message(
            {"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": request_id}}
        )

    def close(self) -> None:
        self.connection.close()


class _ModernReply:
    """One modern POST's :class:`~mcpcore.router.Responder`: JSON if the reply comes first, else SSE."""

    __slots__ = ("exchange", "finished", "keepalive", "owner", "request_id", "stream")

    def __init__(
        self, owner: ModernConnection, request_id: Any, exchange: Exchange, keepalive: float
    ) -> None:
        self.owner = owner
        self.request_id = request_id
        self.exchange = exchange
        self.finished = False
        self.stream: _SseStream | None = None
        self.keepalive = keepalive

    def message(self, frame: bytes) -> None:
        """Progress, logs, listen notifications: switch to SSE at the first one."""
        if self.finished or self.exchange.closed:
            return
        stream = self.stream
        if stream is None:
            stream = self.stream = _SseStream(self.exchange, _modern_stream_options(self.keepalive), None)
            stream.open([])
            self.exchange.on_close = self.client_closed
        stream.send_frame(frame)

    def reply(self, frame: bytes | None, error: RpcError | None) -> None:
        if self.finished:
            return
        self.finished = True
        stream = self.stream
        if stream is not None:
            if frame is not None:
                stream.send_frame(frame)
            stream.close()
        elif self.exchange.closed:
            return
        elif frame is not None:
            status = 200 if error is None else _MODERN_STATUS.get(error.code, 200)
            self.exchange.respond(status, JSON_HEADERS, frame)
        else:  # cancelled by the server (shutdown): the client must not wait for an answer
            _reject(
                self.exchange, 503, INTERNAL_ERROR, "Service unavailable: request cancelled", self.request_id
            )

    def client_closed(self) -> None:
        """Closing a modern response stream cancels the request (spec: cancellation)."""
        if self.stream is not None:
            self.stream._client_closed()
        if not self.finished:
            self.finished = True
            self.owner.cancel(self.request_id)


_MODERN_OPTIONS: dict[float, HttpOptions] = {}


def _modern_stream_options(keepalive: float) -> HttpOptions:
    options = _MODERN_OPTIONS.get(keepalive)
    if options is None:
        options = _MODERN_OPTIONS[keepalive] = HttpOptions(keepalive_interval=keepalive)
    return options
