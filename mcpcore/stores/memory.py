"""In-memory stores: the single-process default, with no I/O behind their async methods."""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable, Iterable

from mcpcore.stores.bus import BusHandler
from mcpcore.stores.events import stream_of

__all__ = ["InMemoryBus", "InMemoryEventStore"]

_log = logging.getLogger("mcpcore.stores")

# --- tasks ---------------------------------------------------------------------------------------

# --- events, subscription bus --------------------------------------------------------------------


class InMemoryEventStore:
    """A bounded in-memory event store (:class:`~mcpcore.stores.events.EventStore`).

    The oldest events fall off first. Besides the async contract it offers
    the same operations synchronously (``store_nowait``,
    ``replay_after_nowait``): the endpoint uses them, so with this store a
    stream's write path has no await per event.
    """

    def __init__(self, max_events: int = 10_000) -> None:
        if max_events < 1:
            raise ValueError("max_events must be at least 1")
        self.max_events = max_events
        self._events: deque[tuple[str, str, bytes]] = deque()
        self._counter = 0

    def store_nowait(self, stream_id: str, message: bytes) -> str:
        self._counter += 1
        event_id = f"{stream_id}_{self._counter}"
        self._events.append((event_id, stream_id, message))
        if len(self._events) > self.max_events:
            self._events.popleft()
        return event_id

    def replay_after_nowait(self, last_event_id: str) -> tuple[str, list[tuple[str, bytes]]] | None:
        stream_id = stream_of(last_event_id)
        if stream_id is None:
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

    async def store(self, stream_id: str, message: bytes) -> str:
        return self.store_nowait(stream_id, message)

    async def replay_after(self, last_event_id: str) -> tuple[str, list[tuple[str, bytes]]] | None:
        return self.replay_after_nowait(last_event_id)


class InMemoryBus:
    """The in-process :class:`~mcpcore.stores.bus.SubscriptionBus`: ``publish`` calls the handlers at once.

    So a notification reaches local listeners before ``publish`` returns,
    exactly as direct calls would: one process needs no queue and no task.
    """

    def __init__(self) -> None:
        self._handlers: dict[str, list[BusHandler]] = {}

    def publish(self, topic: str, payload: bytes) -> None:
        for handler in tuple(self._handlers.get(topic, ())):
            try:
                handler(topic, payload)
            except Exception:  # one broken listener must not silence the others
                _log.exception("subscription bus handler failed on %s", topic)

    def subscribe(self, topics: Iterable[str], handler: BusHandler) -> Callable[[], None]:
        wanted = tuple(topics)
        for topic in wanted:
            self._handlers.setdefault(topic, []).append(handler)

        def unsubscribe() -> None:
            for topic in wanted:
                handlers = self._handlers.get(topic)
                if handlers is not None and handler in handlers:
                    handlers.remove(handler)

        return unsubscribe

    async def start(self) -> None:
        return None

    async def close(self) -> None:
        return None
