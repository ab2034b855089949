"""The session store contract: legacy ``Mcp-Session-Id`` sessions that any replica can serve.

A legacy (2024-11-05..2025-11-25) Streamable HTTP session is negotiated once,
by ``initialize``, and then every POST of the session may reach any replica
behind a plain round-robin balancer. So what the handshake fixed, and what
the client changed since, must live where every replica can read it: that
durable state is a :class:`SessionRecord`. Everything else about a session
(its router connection, its open POST and GET streams, the handlers running
for it) stays in the process that holds it and is rebuilt from the record
when another replica first sees the session.

The contract, for anyone plugging in another engine:

* ``create(record, ttl, max_sessions=..., max_per_principal=...)`` writes a
  new session's record; it lives ``ttl`` seconds (the endpoint's
  ``session_idle_timeout``) unless touched. The caps are the fleet's, not a
  replica's: when the store already holds ``max_sessions`` live sessions, it
  deletes the least recently touched ones to make room, and likewise, when
  the record's principal (not ``None``) already holds ``max_per_principal``,
  that principal's least recently touched ones (never another principal's).
  It returns the ids it evicted; the replicas that cached them learn it at
  their next ``touch`` (``None``, so 404), exactly as for a ``DELETE``. So an
  ``initialize`` flood, or one principal opening sessions through every
  replica, costs the store at most the caps, not everything sent within one
  idle timeout. Create and its evictions are one atomic step;
* ``save(record, ttl)`` rewrites an existing record whole (and restarts its
  idle clock); a session that no longer exists (deleted, expired, evicted)
  is not brought back: ``False``, nothing written;
* ``load(session_id)`` is the record, or ``None`` when it never existed,
  was deleted, or expired;
* ``touch(session_id, ttl)`` restarts the idle clock and returns the current
  record (``None``: deleted or expired, so the caller answers 404). The
  endpoint touches on every request of a shared session: idle expiry is
  exactly the store's TTL on every replica, and a replica's cached copy
  takes what another replica changed (a log level, a subscription) before
  it serves the request;
* ``touch`` and ``save`` keep the order in which sessions were last used,
  for the caps above;
* ``delete(session_id)`` ends the session for every replica (``DELETE``);
* every record expires: a store never holds a session longer than its TTL
  after its last touch, and whatever indexes it keeps for the caps forget
  deleted, evicted and expired sessions (they hold at most the caps' worth
  of live ones), so memory stays bounded however many clients initialize
  and vanish.

A client's *response* to a server-to-client request (elicitation, sampling,
roots) arrives as a new POST, perhaps at another replica than the one whose
handler is waiting for it. The store routes it back:

* ``join(deliver)`` registers this process and returns its replica number,
  unique in the fleet, >= 1 and below :data:`MAX_REPLICA`; the endpoint
  numbers its requests to clients from ``replica << 32``, so any replica can
  tell from an answer's id which replica waits for it;
* ``forward(replica, session_id, message)`` hands a message to that replica's
  ``deliver(session_id, message)``; it never blocks and never raises, and
  delivery is at most once (a replica that has gone has no waiter anyway).
  Messages are opaque to the store. The endpoint also forwards, the other
  way, what belongs to no POST (a list change, a resource update, a request
  outside any call) to the replica the record names as holding the session's
  GET stream.

Trust: only the endpoint writes records and forwards messages, after it has
checked the request's principal against the record. A record's principal
binds the session (issue 8): a request with another principal's token gets
404, exactly as for a session that does not exist.

Concurrency: a record is written whole, last writer wins. Two replicas
changing one session's log level or subscriptions at the same instant is a
client racing itself; the session stays consistent, with one of the values.

Implementations: :class:`mcpcore.stores.memory_sessions.InMemorySessionStore`
(endpoints in one process sharing sessions; the single-process default needs
no store at all) and :class:`mcpcore.stores.redis_sessions.RedisSessionStore`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final, Protocol

import orjson

__all__ = ["MAX_REPLICA", "REPLICA_SHIFT", "Deliver", "SessionRecord", "SessionStore", "replica_of"]

#: A replica's request ids to clients start at ``replica << REPLICA_SHIFT``.
REPLICA_SHIFT: Final = 32
#: Replica numbers stay below this, so every id stays a safe JSON integer (< 2**53) for clients.
MAX_REPLICA: Final = 1 << 20

#: Called with ``(session_id, message)`` for each message forwarded to this replica.
Deliver = Callable[[str, bytes], None]


def replica_of(request_id: object) -> int:
    """The replica that sent the request with this id (0: a process that needs no routing)."""
    if type(request_id) is not int or request_id <= 0:
        return 0
    return request_id >> REPLICA_SHIFT


@dataclass(slots=True)
class SessionRecord:
    """A legacy session's durable state: everything a replica needs to serve its next request."""

    session_id: str
    #: Who created it (the token's client and subject; ``None`` without auth).
    principal: str | None
    #: What ``initialize`` negotiated.
    protocol_version: str
    client_capabilities: dict[str, Any]
    client_info: dict[str, Any] | None
    #: Set by ``logging/setLevel`` (``None``: never set).
    log_level: str | None = None
    #: URIs subscribed with ``resources/subscribe``.
    subscriptions: list[str] = field(default_factory=list)
    #: Wall-clock seconds (``time.time()``): when ``initialize`` ran, and the last request.
    created: float = 0.0
    last_seen: float = 0.0
    #: The replica that holds the session's GET stream (0: none opened yet).
    stream_replica: int = 0

    def to_json(self) -> bytes:
        return orjson.dumps(
            {
                "id": self.session_id,
                "principal": self.principal,
                "version": self.protocol_version,
                "capabilities": self.client_capabilities,
                "clientInfo": self.client_info,
                "logLevel": self.log_level,
                "subscriptions": self.subscriptions,
                "created": self.created,
                "lastSeen": self.last_seen,
                "streamReplica": self.stream_replica,
            }
        )

    @classmethod
    def from_json(cls, data: bytes | str) -> SessionRecord:
        """The record a store holds (written by :meth:`to_json`; stores hold only what we wrote)."""
        raw = orjson.loads(data)
        return cls(
            session_id=raw["id"],
            principal=raw["principal"],
            protocol_version=raw["version"],
            client_capabilities=raw["capabilities"],
            client_info=raw["clientInfo"],
            log_level=raw["logLevel"],
            subscriptions=list(raw["subscriptions"]),
            created=raw["created"],
            last_seen=raw["lastSeen"],
            stream_replica=raw.get("streamReplica", 0),
        )


class SessionStore(Protocol):
    """Where legacy sessions live so any replica can serve them (see the module docstring)."""

    async def create(
        self, record: SessionRecord, ttl: float, *, max_sessions: int, max_per_principal: int
    ) -> list[str]:
        """Write a new session's record within the fleet's caps; the ids of the sessions evicted for it.

        The least recently touched sessions go first: of the whole store when
        it holds ``max_sessions``, of the record's principal when that one
        holds ``max_per_principal`` (no per-principal cap for ``None``).
        """
        ...

    async def save(self, record: SessionRecord, ttl: float) -> bool:
        """Rewrite an existing record whole, restarting its idle clock; ``False`` (nothing written): gone."""
        ...

    async def load(self, session_id: str) -> SessionRecord | None:
        """The record, or ``None`` (never existed, deleted, or expired)."""
        ...

    async def touch(self, session_id: str, ttl: float) -> SessionRecord | None:
        """Restart the idle clock and return the record (``None``: the session no longer exists)."""
        ...

    async def delete(self, session_id: str) -> bool:
        """End the session for every replica; ``False`` if it did not exist."""
        ...

    async def join(self, deliver: Deliver) -> int:
        """Register this replica; its number (unique, ``1 <= n < MAX_REPLICA``) and where its messages go."""
        ...

    def forward(self, replica: int, session_id: str, message: bytes) -> None:
        """Hand ``message`` to ``replica``'s ``deliver``; never blocks or raises; at most once."""
        ...

    async def close(self) -> None:
        """Stop delivering and release connections."""
        ...
