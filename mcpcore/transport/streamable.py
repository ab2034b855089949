"""Streamable HTTP, both eras, independent of how bytes reach us: the endpoint.

:class:`StreamableHTTP` takes one parsed HTTP request and an
:class:`~mcpcore.transport.exchange.Exchange` (the way to answer it: a whole
response, or a stream) and does everything MCP says about it. The built-in
server (:mod:`mcpcore.transport.http`) and the ASGI app
(:mod:`mcpcore.transport.asgi`) only move bytes.

This module is the front door (Host/Origin check, auth, path, method, era);
the rest lives along the seams a scaled-out deployment splits on:

* :mod:`.legacy_sessions`: sessions, the session table (eviction, principal
  binding, idle reaping); :mod:`.legacy_posts`: one legacy POST's responder;
* :mod:`.modern`: 2026-07-28 per-POST requests;
* :mod:`.sse_stream`: one SSE body with its backpressure bound;
* :mod:`mcpcore.stores.events`: ``Last-Event-ID`` storage; :mod:`.options`:
  :class:`HttpOptions`; :mod:`.exchange`: the front-end contract.

Era per request (spec "dual-era"): a POST whose body carries the 2026-07-28
``_meta`` envelope, or whose ``MCP-Protocol-Version`` header names a modern
version, is served statelessly; anything else is legacy Streamable HTTP with
sessions. A GET or DELETE that says it is modern gets 405.

Routing outgoing frames: a legacy session is one
:class:`~mcpcore.router.Connection`. Each POST's decoded body is handed to it
with that POST's own :class:`~mcpcore.ports.Responder`, so every message a
request causes lands on the POST that carried it; frames that belong to no
request go to the session's standalone GET stream.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from typing import TYPE_CHECKING, Any

import orjson

from mcpcore.errors import INTERNAL_ERROR, INVALID_REQUEST, PARSE_ERROR
from mcpcore.stores import open_event_store, open_session_store
from mcpcore.stores.events import EventStore
from mcpcore.stores.memory import InMemoryEventStore
from mcpcore.transport.exchange import (
    JSON_HEADERS,
    SSE_HEADERS,
    Exchange,
    Headers,
    HttpRequestInfo,
    accepts,
    error_body,
    principal_of,
    reject,
)
from mcpcore.transport.legacy_posts import PostStream
from mcpcore.transport.legacy_sessions import (
    LEGACY_HEADER_VERSIONS,
    LegacyHttpSession,
    SessionTable,
    replay_elsewhere,
)
from mcpcore.transport.legacy_sse import SseEndpoint
from mcpcore.transport.modern import ModernConnection, ModernPosts, is_modern
from mcpcore.transport.options import HttpOptions
from mcpcore.transport.security import AccessToken, AuthFailure, HostCheck
from mcpcore.transport.shared_sessions import SharedSessions
from mcpcore.wire.http11 import Request

if TYPE_CHECKING:
    from mcpcore.server import Server

__all__ = [
    "JSON_HEADERS",
    "SSE_HEADERS",
    "EventStore",
    "Exchange",
    "Headers",
    "HttpOptions",
    "InMemoryEventStore",
    "LegacyHttpSession",
    "ModernConnection",
    "StreamableHTTP",
]

_log = logging.getLogger("mcpcore.http")


def _is_jsonrpc(msg: Any) -> bool:
    """Whether a decoded body is shaped like a JSON-RPC message or batch at all.

    Only the envelope (``"jsonrpc": "2.0"`` and a method or an id); the
    router judges everything inside, answering with the request's id.
    """
    if type(msg) is list:
        return bool(msg) and any(_is_jsonrpc(item) for item in msg if type(item) is not list)
    return type(msg) is dict and msg.get("jsonrpc") == "2.0" and ("method" in msg or "id" in msg)


def _echoable_id(msg: Any) -> int | str | None:
    """The id to answer a malformed message with, when it has a usable one."""
    request_id = msg.get("id") if type(msg) is dict else None
    return request_id if type(request_id) is int or type(request_id) is str else None


class StreamableHTTP:
    """The MCP endpoint: one per server and front end; shared by all connections."""

    def __init__(self, server: Server, options: HttpOptions | None = None) -> None:
        self.server = server
        self.options = options or HttpOptions()
        self.host_check = HostCheck(self.options.allowed_hosts, self.options.allowed_origins)
        if self.options.event_store is None:
            event_store = open_event_store(server.store)
            if event_store is not None:  # replicas: a broken stream resumes on any of them
                self.options = dataclasses.replace(self.options, event_store=event_store)
        self.sessions = SessionTable(self)
        #: Sessions shared with other replicas through a store (None: this process alone).
        # Shared when HttpOptions names a store, or Server(store="redis://...") implies one.
        session_store = self.options.session_store
        if session_store is None:
            session_store = open_session_store(server.store)
        self.shared = (
            SharedSessions(self, session_store)
            if session_store is not None and not self.options.stateless
            else None
        )
        self.modern = ModernPosts(server, self.options)
        #: The 2024-11-05 HTTP+SSE transport beside the endpoint (``HttpOptions(sse=False)``: off).
        self.sse = SseEndpoint(server, self.options) if self.options.sse else None
        #: Paths the HTTP+SSE transport serves (empty without it): one set lookup per request.
        self._sse_paths = self.sse.paths if self.sse is not None else frozenset()

    # ------------------------------------------------------------------ entry

    def handle(self, request: Request, exchange: Exchange) -> None:
        """Answer one request (synchronously where possible; tasks where not)."""
        options = self.options
        path = request.path
        denied = self.host_check.check(request.headers)
        if denied is not None:
            reject(exchange, denied[0], INVALID_REQUEST, denied[1])
            return
        auth = options.auth
        on_sse = path in self._sse_paths
        if path != options.path and not on_sse:
            if auth is not None and path in auth.metadata_paths and request.method in ("GET", "HEAD"):
                exchange.respond(
                    200, [*JSON_HEADERS, (b"access-control-allow-origin", b"*")], auth.metadata_body
                )
                return
            exchange.respond(404, JSON_HEADERS, error_body(None, INVALID_REQUEST, "Not found"))
            return
        if auth is not None:
            asyncio.get_running_loop().create_task(self._handle_authenticated(request, exchange))
        elif not on_sse and request.method == "POST":
            self._post(request, exchange, None)  # the common case, without the dispatch below
        else:
            self._dispatch(request, exchange, None)

    async def _handle_authenticated(self, request: Request, exchange: Exchange) -> None:
        auth = self.options.auth
        assert auth is not None
        try:
            outcome = await auth.authenticate(request.headers)
            if exchange.closed:
                return
            if isinstance(outcome, AuthFailure):
                exchange.respond(outcome.status, list(outcome.headers), outcome.body)
                return
            self._dispatch(request, exchange, outcome)
        except Exception:
            # Our bug or the verifier's, never the peer's: the request still gets its answer.
            _log.exception("unhandled error serving %s %s", request.method, request.path)
            if not exchange.closed:
                reject(exchange, 500, INTERNAL_ERROR, "Internal error")

    def _dispatch(self, request: Request, exchange: Exchange, token: AccessToken | None) -> None:
        if self.sse is not None and self.sse.routes(request.path):
            self.sse.handle(request, exchange, HttpRequestInfo(request.headers, token), principal_of(token))
            return
        method = request.method
        if method == "POST":
            self._post(request, exchange, token)
        elif method == "GET":
            self._get(request, exchange, principal_of(token))
        elif method == "DELETE":
            self._delete(request, exchange, principal_of(token))
        else:
            exchange.respond(
                405,
                [*JSON_HEADERS, (b"allow", b"GET, POST, DELETE")],
                error_body(None, INVALID_REQUEST, f"Method not allowed: {method}"),
            )

    # ------------------------------------------------------------------- POST

    def _post(self, request: Request, exchange: Exchange, token: AccessToken | None) -> None:
        headers = request.headers
        content_type = headers.get("content-type", "")
        if not content_type.startswith("application/json"):
            reject(exchange, 415, INVALID_REQUEST, "Unsupported media type: expected application/json")
            return
        try:
            msg = orjson.loads(request.body)
        except orjson.JSONDecodeError as exc:
            reject(exchange, 400, PARSE_ERROR, f"Parse error: {exc}")
            return
        header_version = headers.get("mcp-protocol-version")
        http_request = HttpRequestInfo(headers, token)
        if is_modern(msg, header_version):
            self.modern.post(headers, msg, exchange, http_request)
        else:
            self._post_legacy(msg, exchange, header_version, http_request)

    def _post_legacy(
        self, msg: Any, exchange: Exchange, header_version: str | None, http_request: HttpRequestInfo
    ) -> None:
        """A legacy POST (``is_modern`` said so: no header naming a version outside the legacy ones)."""
        headers = http_request.headers
        takes_sse = accepts(headers, "text/event-stream")
        if "accept" in headers and not (takes_sse or accepts(headers, "application/json")):
            reject(
                exchange,
                406,
                INVALID_REQUEST,
                "Not acceptable: Accept must list application/json or text/event-stream",
            )
            return
        if not _is_jsonrpc(msg):
            reject(
                exchange,
                400,
                INVALID_REQUEST,
                "Invalid request: the body is not a JSON-RPC message",
                _echoable_id(msg),
            )
            return
        is_initialize = type(msg) is dict and msg.get("method") == "initialize"
        created: LegacyHttpSession | None = None
        shared = self.shared
        if shared is not None:
            session_id = headers.get("mcp-session-id")
            if session_id is None and not is_initialize:
                reject(exchange, 400, INVALID_REQUEST, "Bad request: missing Mcp-Session-Id header")
                return
            use_sse = takes_sse and not self.options.json_response
            shared.spawn(shared.post(msg, exchange, http_request, session_id, use_sse), exchange)
            return
        if self.options.stateless:
            session = LegacyHttpSession.stateless(self, header_version, initialized=not is_initialize)
        else:
            token = http_request.access_token
            principal = None if token is None else principal_of(token)
            session_id = headers.get("mcp-session-id")
            if session_id is None:
                if not is_initialize:
                    reject(exchange, 400, INVALID_REQUEST, "Bad request: missing Mcp-Session-Id header")
                    return
                opened = self.sessions.open(principal)
                if opened is None:
                    reject(exchange, 503, INVALID_REQUEST, "Service unavailable: too many sessions")
                    return
                session = created = opened
            else:
                found = self.sessions.get(session_id, principal)
                if found is None:
                    request_id = msg.get("id") if type(msg) is dict else None
                    reject(exchange, 404, INVALID_REQUEST, "Session not found", request_id)
                    return
                session = found
        use_sse = takes_sse and not self.options.json_response
        stream = PostStream(session, exchange, use_sse, http_request)
        if created is not None:
            stream.session_header = created.session_id
        try:
            stream.feed(msg)
        except BaseException:
            if created is not None:  # a session nobody ever learned the id of
                self.sessions.end(created)
            raise

    # -------------------------------------------------------------- GET/DELETE

    def _bodyless_session_id(self, request: Request, exchange: Exchange) -> str | None:
        """The session a GET or DELETE names (None: answered already, 405 or 400)."""
        headers = request.headers
        version = headers.get("mcp-protocol-version")
        if self.options.stateless or (version is not None and version not in LEGACY_HEADER_VERSIONS):
            exchange.respond(
                405,
                [*JSON_HEADERS, (b"allow", b"POST")],
                error_body(None, INVALID_REQUEST, "Method not allowed"),
            )
            return None
        session_id = headers.get("mcp-session-id")
        if session_id is None:
            reject(exchange, 400, INVALID_REQUEST, "Bad request: missing Mcp-Session-Id header")
        return session_id

    def _session_of_bodyless(
        self, request: Request, exchange: Exchange, principal: str | None
    ) -> LegacyHttpSession | None:
        session_id = self._bodyless_session_id(request, exchange)
        if session_id is None:
            return None
        session = self.sessions.get(session_id, principal)
        if session is None:
            reject(exchange, 404, INVALID_REQUEST, "Session not found")
        return session

    def _get(self, request: Request, exchange: Exchange, principal: str | None) -> None:
        if self.shared is not None:
            self.shared.spawn(self._get_shared(request, exchange, principal), exchange)
            return
        session_id = self._bodyless_session_id(request, exchange)
        if session_id is None:
            return
        session = self.sessions.get(session_id, principal)
        if session is not None:
            self._serve_get(request, exchange, session)
            return
        last_event_id = request.headers.get("last-event-id")
        store = self.options.event_store
        # With a shared event store the stream may have been written by another replica: replay it here.
        if last_event_id is None or store is None or isinstance(store, InMemoryEventStore):
            reject(exchange, 404, INVALID_REQUEST, "Session not found")
        elif not accepts(request.headers, "text/event-stream"):
            reject(exchange, 406, INVALID_REQUEST, "Not acceptable: Accept must list text/event-stream")
        else:
            replay_elsewhere(
                self.options, store, last_event_id, exchange, session_id=session_id, principal=principal
            )

    async def _find_shared(
        self, shared: SharedSessions, request: Request, exchange: Exchange, principal: str | None
    ) -> LegacyHttpSession | None:
        """The session a bodyless request names, loaded from the shared store (None: answered already)."""
        session_id = self._bodyless_session_id(request, exchange)
        if session_id is None:
            return None
        return await shared.find(session_id, principal, exchange)

    async def _get_shared(self, request: Request, exchange: Exchange, principal: str | None) -> None:
        shared = self.shared
        assert shared is not None
        session = await self._find_shared(shared, request, exchange, principal)
        if session is None:
            return
        if accepts(request.headers, "text/event-stream"):
            await shared.claim_stream(session)
        if not exchange.closed:
            self._serve_get(request, exchange, session)

    def _serve_get(self, request: Request, exchange: Exchange, session: LegacyHttpSession) -> None:
        if not accepts(request.headers, "text/event-stream"):
            reject(exchange, 406, INVALID_REQUEST, "Not acceptable: Accept must list text/event-stream")
            return
        last_event_id = request.headers.get("last-event-id")
        if last_event_id is not None and self.options.event_store is not None:
            session.resume(last_event_id, exchange)
            return
        session.open_standalone(exchange)

    def _delete(self, request: Request, exchange: Exchange, principal: str | None) -> None:
        if self.shared is not None:
            self.shared.spawn(self._delete_shared(request, exchange, principal), exchange)
            return
        session = self._session_of_bodyless(request, exchange, principal)
        if session is None:
            return
        self.sessions.end(session)
        exchange.respond(200, [], b"")

    async def _delete_shared(self, request: Request, exchange: Exchange, principal: str | None) -> None:
        shared = self.shared
        assert shared is not None
        session = await self._find_shared(shared, request, exchange, principal)
        if session is None:
            return
        try:
            await shared.delete(session)
        except Exception:
            _log.warning("session store unavailable: DELETE of a session failed", exc_info=True)
            if not exchange.closed:
                reject(exchange, 503, INTERNAL_ERROR, "Service unavailable: the session store failed")
            return
        if not exchange.closed:
            exchange.respond(200, [], b"")

    # --------------------------------------------------------------- sessions

    def end_session(self, session: LegacyHttpSession) -> None:
        """Terminate a session: later requests naming it get 404."""
        self.sessions.end(session)

    async def close(self, grace: float | None = None) -> None:
        """End every session and let running requests finish within ``grace`` (server shutdown)."""
        grace = self.server.shutdown_grace if grace is None else grace
        if self.shared is not None:
            self.shared.close()
        closing = [self.sessions.close(grace), self.modern.close(grace)]
        if self.sse is not None:
            closing.append(self.sse.close(grace))
        await asyncio.gather(*closing)  # one grace for all, not one after another
