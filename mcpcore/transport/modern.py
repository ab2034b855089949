"""2026-07-28 POSTs: stateless, one request per POST, each independent of every other.

Contract: a modern POST carries exactly one JSON-RPC request (or a
notification, answered 202) whose ``_meta`` envelope says everything; the
``MCP-Protocol-Version`` and ``Mcp-*`` parameter headers must agree with the
body (400 otherwise). The reply is JSON if it comes before anything else,
else an SSE stream; closing that stream cancels the request. Two POSTs are
never related, even on one keep-alive TCP connection: both may use id 1.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any, Final

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
from mcpcore.session import META_PROTOCOL_VERSION, read_modern_envelope
from mcpcore.transport.exchange import JSON_HEADERS, Exchange, HttpRequestInfo, accepts, error_body, reject
from mcpcore.transport.legacy_sessions import LEGACY_HEADER_VERSIONS
from mcpcore.transport.options import HttpOptions
from mcpcore.transport.sse_stream import SseStream
from mcpcore.wire.mcp_headers import ParamHeaders, check_headers, header_params

if TYPE_CHECKING:
    from mcpcore.server import Server

__all__ = ["ModernConnection", "ModernPosts", "is_modern"]

_log = logging.getLogger("mcpcore.http")

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


def is_modern(msg: Any, header_version: str | None) -> bool:
    """A POST is 2026-07-28 when its header names a modern version or its body carries the envelope."""
    if header_version is not None and header_version not in LEGACY_HEADER_VERSIONS:
        return True
    if type(msg) is not dict:
        return False
    params = msg.get("params")
    if type(params) is not dict:
        return False
    meta = params.get("_meta")
    return type(meta) is dict and META_PROTOCOL_VERSION in meta


def _envelope_error(params: Any) -> RpcError | None:
    try:
        read_modern_envelope(params if type(params) is dict else None)
    except RpcError as exc:
        return exc
    return None


class ModernPosts:
    """The endpoint's handling of modern POSTs (checks, then one router request per POST)."""

    def __init__(self, server: Server, options: HttpOptions) -> None:
        self.server = server
        self.options = options
        self._params_cache: dict[str, tuple[Any, ParamHeaders]] = {}
        #: POSTs whose reply did not come at once: shutdown gives them the grace, then cancels them.
        self.running: set[ModernConnection] = set()

    def post(
        self,
        headers: dict[str, str],
        msg: Any,
        exchange: Exchange,
        http_request: HttpRequestInfo,
    ) -> None:
        if type(msg) is not dict:
            reject(
                exchange, 400, INVALID_REQUEST, "Invalid request: a 2026-07-28 POST carries one JSON object"
            )
            return
        request_id = msg.get("id")
        if "method" not in msg:
            reject(
                exchange, 400, INVALID_REQUEST, "Invalid request: clients do not POST responses", request_id
            )
            return
        if not (accepts(headers, "application/json") and accepts(headers, "text/event-stream")):
            reject(
                exchange,
                406,
                INVALID_REQUEST,
                "Not acceptable: Accept must list application/json and text/event-stream",
                request_id,
            )
            return
        error = self._header_error(headers, msg)
        if error is None and "id" not in msg:
            error = _envelope_error(msg.get("params"))  # no router will read this one's envelope
        if error is not None:
            exchange.respond(400, JSON_HEADERS, error_body(request_id, error.code, error.message, error.data))
            return
        if "id" not in msg:
            exchange.respond(202, [], b"")  # no client notification means anything over HTTP in 2026-07-28
            return
        # A router connection of its own: no id, cancellation or state is shared with any other POST.
        ModernConnection(self.server, self.running).serve(msg, exchange, self.options, http_request)

    async def close(self, grace: float) -> None:
        """Let running requests finish within ``grace`` seconds, then cancel them (server shutdown).

        Listen streams end at once (their connection's shutdown ends them); the
        replies go out before the front end closes its connections.
        """
        running = list(self.running)
        await asyncio.gather(*(post.connection.shutdown(grace) for post in running), return_exceptions=True)

    def _header_error(self, headers: dict[str, str], msg: dict[str, Any]) -> RpcError | None:
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


class ModernConnection:
    """A router connection for one 2026-07-28 POST (about 2.5 µs to make).

    One per POST, whichever front end: a request id is that POST's alone, so
    two pipelined POSTs on one keep-alive connection may both use id 1 (a
    shared connection would still hold the first id while its reply goes out
    and the next POST is served). The request is fed with its own
    :class:`_ModernReply` as responder; the connection's sink only sees
    messages that belong to no request, which a stateless 2026-07-28
    exchange has nowhere to put.
    """

    __slots__ = ("connection", "running")

    def __init__(self, server: Server, running: set[ModernConnection]) -> None:
        self.connection = Connection(server, self, max_in_flight=server.max_in_flight)
        #: The endpoint's running POSTs: this one is in it while its reply is outstanding.
        self.running = running

    def write(self, data: bytes) -> None:
        _log.debug("2026-07-28: dropped a message that belongs to no request")

    def serve(
        self, msg: dict[str, Any], exchange: Exchange, options: HttpOptions, http_request: HttpRequestInfo
    ) -> None:
        reply = _ModernReply(self, msg["id"], exchange, options, http_request)
        self.connection.receive_message(msg, reply)
        if not reply.finished:
            exchange.on_close = reply.client_closed
            self.running.add(self)

    def cancel(self, request_id: Any) -> None:
        self.connection.receive_message(
            {"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": request_id}}
        )

    def close(self) -> None:
        self.connection.close()


class _ModernReply:
    """One modern POST's :class:`~mcpcore.ports.Responder`: JSON if the reply comes first, else SSE."""

    __slots__ = ("exchange", "finished", "http_request", "options", "owner", "request_id", "stream")

    def __init__(
        self,
        owner: ModernConnection,
        request_id: Any,
        exchange: Exchange,
        options: HttpOptions,
        http_request: HttpRequestInfo,
    ) -> None:
        self.owner = owner
        self.request_id = request_id
        self.exchange = exchange
        self.options = options
        #: Read by ``Context.access_token`` / ``Context.http_headers``.
        self.http_request = http_request
        self.finished = False
        self.stream: SseStream | None = None

    def message(self, frame: bytes) -> None:
        """Progress, logs, listen notifications: switch to SSE at the first one."""
        if self.finished or self.exchange.closed:
            return
        stream = self.stream
        if stream is None:
            # No stream id: modern streams are not resumable, so the event store is never used.
            stream = self.stream = SseStream(self.exchange, self.options, None)
            stream.open([])
            self.exchange.on_close = self.client_closed
        stream.send_frame(frame)

    def reply(self, frame: bytes | None, error: RpcError | None) -> None:
        if self.finished:
            return
        self.finished = True
        self.owner.running.discard(self.owner)
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
            reject(
                self.exchange, 503, INTERNAL_ERROR, "Service unavailable: request cancelled", self.request_id
            )

    def client_closed(self) -> None:
        """Closing a modern response stream cancels the request (spec: cancellation)."""
        if self.stream is not None:
            self.stream.client_closed()
        if not self.finished:
            self.finished = True
            self.owner.running.discard(self.owner)
            self.owner.cancel(self.request_id)
