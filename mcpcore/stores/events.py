"""The event store contract: what a legacy SSE stream needs kept for ``Last-Event-ID`` resumption.

Legacy Streamable HTTP (2025-03-26..2025-11-25) lets a client that lost an
SSE stream reconnect with ``GET`` and ``Last-Event-ID`` and receive what it
missed. The endpoint stores every event of a resumable stream *before* it
sends it, so an event a client has seen is always replayable (on any replica,
with a shared store).

The contract, for anyone plugging in another engine:

* an event id is unique across streams and names its stream: it is
  ``<stream id>_<suffix>`` with no ``_`` in the suffix (:func:`stream_of`
  reads it back), so a resuming GET names the stream by the last event it saw;
* ``store`` keeps a message (``b""`` is the priming event) and returns its id;
  ids of one stream sort in the order they were stored;
* ``replay_after`` returns the events stored on that stream after the given
  one, oldest first, or ``None`` when the id is unknown (never stored, or
  already fallen off: resumption past a gap must fail rather than skip);
* a store is bounded: it forgets old events (by count, and for shared stores
  by time) so its memory never grows with traffic.

The endpoint binds streams to sessions: a stream id starts with its session
id, and a resumption is refused (404) unless the stream belongs to the
session (and principal) asking, *before* the store is consulted. So one
session can never replay another's events, whichever store holds them.

Implementations: :class:`mcpcore.stores.memory.InMemoryEventStore` (the
default, bounded by count) and :class:`mcpcore.stores.redis.RedisEventStore`
(one capped Redis stream per SSE stream, with a TTL).
"""

from __future__ import annotations

from typing import Protocol

__all__ = ["EventStore", "stream_of"]


def stream_of(event_id: str) -> str | None:
    """The stream an event id belongs to (``None``: not an event id of this contract)."""
    stream_id, sep, suffix = event_id.rpartition("_")
    if not sep or not stream_id or not suffix:
        return None
    return stream_id


class EventStore(Protocol):
    """Where legacy SSE events are kept for ``Last-Event-ID`` replay (pluggable; in-memory default)."""

    async def store(self, stream_id: str, message: bytes) -> str:
        """Keep ``message`` on ``stream_id``; return its event id (``<stream id>_<suffix>``)."""
        ...

    async def replay_after(self, last_event_id: str) -> tuple[str, list[tuple[str, bytes]]] | None:
        """The stream the id belongs to and its events after it (oldest first), or ``None`` if unknown."""
        ...
