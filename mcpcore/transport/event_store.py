"""Resumability storage for legacy SSE streams (``Last-Event-ID`` replay).

The contract: an event id is unique across streams and encodes its stream
(``<stream id>_<counter>``), so a resuming GET names the stream by the last
event it saw. The endpoint binds stream ids to their session (the stream id
starts with the session id), so one session can never replay another's
events. The in-memory store is bounded: the oldest events fall off first.
"""

from __future__ import annotations

from collections import deque
from typing import Protocol

__all__ = ["EventStore", "InMemoryEventStore"]


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
