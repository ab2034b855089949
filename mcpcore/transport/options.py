"""Everything configurable about the Streamable HTTP endpoint, in one dataclass.

Every limit that protects the server from a peer is an explicit field here
(or in :class:`~mcpcore.transport.http.ServerLimits` for the built-in
server's TCP connections), with the default SECURITY.md documents.
"""

from __future__ import annotations

from dataclasses import dataclass

from mcpcore.stores.events import EventStore
from mcpcore.stores.sessions import SessionStore
from mcpcore.transport.security import BearerAuth

__all__ = ["HttpOptions"]


@dataclass(slots=True)
class HttpOptions:
    """Everything configurable about the HTTP endpoint (every limit explicit)."""

    path: str = "/mcp"
    #: Also serve the 2024-11-05 HTTP+SSE transport (``GET sse_path``, ``POST sse_messages_path``).
    sse: bool = True
    sse_path: str = "/sse"
    sse_messages_path: str = "/messages/"
    #: Legacy clients without sessions: any replica can serve any request.
    stateless: bool = False
    #: Legacy POSTs answer ``application/json`` even when the client accepts SSE.
    json_response: bool = False
    #: DNS-rebinding guard (``None``: no Host check; Origin must then match Host).
    allowed_hosts: tuple[str, ...] | None = ("localhost", "127.0.0.1", "[::1]")
    allowed_origins: tuple[str, ...] = ()
    auth: BearerAuth | None = None
    #: Legacy sessions at once. At the limit a new ``initialize`` evicts the least recently used
    #: idle session; only when every session is busy is it refused (503).
    max_sessions: int = 10_000
    #: With ``auth``: legacy sessions one principal (token client + subject) may hold. Past it the
    #: principal's own least recently used idle session is evicted, else the initialize gets 503.
    #: With a ``session_store`` both caps also bound the whole fleet: the store evicts the least
    #: recently used session, whichever replica holds it (:meth:`SessionStore.create`).
    max_sessions_per_principal: int = 100
    #: Seconds a legacy session may go unused before it is ended.
    session_idle_timeout: float = 3600.0
    #: Where legacy sessions live so that any replica behind a load balancer can serve any of
    #: their requests (e.g. :class:`~mcpcore.stores.redis_sessions.RedisSessionStore`). ``None``:
    #: this process alone holds them (the default; nothing is awaited per request).
    session_store: SessionStore | None = None
    #: Seconds between ``: keep-alive`` comments on open SSE streams.
    keepalive_interval: float = 15.0
    #: Messages held for a session whose standalone GET stream is not open (oldest dropped first;
    #: also held to ``max_stream_buffer_bytes`` in all).
    max_pending_messages: int = 256
    #: Bytes a client may leave unread on one SSE stream; past it the stream is closed, so a
    #: client that never reads cannot make the server buffer without bound.
    max_stream_buffer_bytes: int = 1024 * 1024
    #: Resumability for legacy SSE streams (``None``: off).
    event_store: EventStore | None = None
    #: The ``retry`` (ms) sent in priming events when resumability is on.
    retry_ms: int = 1000
    #: Limits enforced by the front ends.
    max_body_bytes: int = 4 * 1024 * 1024
    max_head_bytes: int = 16 * 1024
    max_headers: int = 100
