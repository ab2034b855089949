"""The subscription bus contract: server events fanned out to every replica's listeners.

What travels on it: ``list_changed`` of tools, resources and prompts, a
resource's ``updated``, and notifications addressed to one session or
connection (``notifications/tasks/status``). Whichever replica a change
happens on, every replica hears it and hands it to its own listeners:
2026-07-28 ``subscriptions/listen`` streams, legacy GET streams, subscribed
legacy sessions. The bus is *the* fan-out path, also in one process: the
server publishes, and only what arrives from the bus reaches a listener.

The contract, for anyone plugging in another engine (NATS, Postgres
``LISTEN``):

* ``publish(topic, payload)`` never blocks and never raises: an in-process
  bus delivers at once, a shared one queues (bounded: it drops the oldest
  message, with a WARNING, when the backend cannot keep up) and sends in
  order;
* ``subscribe(topics, handler)`` calls ``handler(topic, payload)`` for every
  message on those topics, published by any process, this one included, on
  the subscriber's event loop; it returns the function that unsubscribes;
* ``start()`` connects (idempotent; a shared bus reconnects by itself after a
  failure), ``close()`` disconnects;
* payloads are opaque bytes; delivery is at most once (a listener that was
  not connected when a message went out does not get it, as with one
  process).

A handler runs synchronously and must not block; each listener's own
stream bounds what it buffers (``HttpOptions.max_stream_buffer_bytes``), so a
slow listener costs a bounded amount whatever the bus carries.

Implementations: :class:`mcpcore.stores.memory.InMemoryBus` (the default:
direct calls, exactly the single-process behaviour) and
:class:`mcpcore.stores.redis.RedisBus` (Redis pub/sub, one subscriber
connection per process).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Protocol

__all__ = ["BusHandler", "HandlerTable", "SubscriptionBus"]

_log = logging.getLogger("mcpcore.stores")

#: Called with (topic, payload) for each message.
BusHandler = Callable[[str, bytes], None]


class SubscriptionBus(Protocol):
    """Publish/subscribe between the server's replicas (pluggable; in-process default)."""

    def publish(self, topic: str, payload: bytes) -> None:
        """Send ``payload`` to every subscriber of ``topic`` in every process; never blocks."""
        ...

    def subscribe(self, topics: Iterable[str], handler: BusHandler) -> Callable[[], None]:
        """Call ``handler(topic, payload)`` for each message on ``topics``; returns the unsubscribe."""
        ...

    async def start(self) -> None:
        """Connect and begin receiving (idempotent)."""
        ...

    async def close(self) -> None:
        """Stop receiving and disconnect."""
        ...


class HandlerTable:
    """Who listens to which topic, in this process: the local half every bus implementation shares."""

    __slots__ = ("_handlers",)

    def __init__(self) -> None:
        self._handlers: dict[str, list[BusHandler]] = {}

    def subscribe(self, topics: Iterable[str], handler: BusHandler) -> Callable[[], None]:
        """Add ``handler`` for ``topics``; returns the function that removes it again."""
        wanted = tuple(topics)
        for topic in wanted:
            self._handlers.setdefault(topic, []).append(handler)

        def unsubscribe() -> None:
            for topic in wanted:
                handlers = self._handlers.get(topic)
                if handlers is not None and handler in handlers:
                    handlers.remove(handler)

        return unsubscribe

    def deliver(self, topic: str, payload: bytes) -> None:
        """Call every handler of ``topic``; one that raises is logged and the others still run."""
        for handler in tuple(self._handlers.get(topic, ())):
            try:
                handler(topic, payload)
            except Exception:  # one broken listener must not silence the others
                _log.exception("subscription bus handler failed on %s", topic)
