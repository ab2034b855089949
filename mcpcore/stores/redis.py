"""Redis stores (``pip install mcpcore[redis]``): shared state for replicas behind a load balancer.

This is the only module that imports ``redis``, and it does so when a Redis
store is first configured, so the core install never needs it. Every key a
store writes carries a TTL or a length bound, so Redis memory stays bounded.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections import deque
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from mcpcore.stores.bus import BusHandler
from mcpcore.stores.events import stream_of

if TYPE_CHECKING:  # pragma: no cover - typing only
    from redis.asyncio import Redis

__all__ = ["RedisBus", "RedisEventStore", "connect"]

_log = logging.getLogger("mcpcore.stores")


def connect(url: str, **options: Any) -> Redis:
    """An asyncio Redis client for ``url`` (``redis://host:port/db``); fails clearly without the extra."""
    try:
        from redis.asyncio import Redis
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise RuntimeError(
            f"a Redis store ({url}) needs the redis extra: pip install 'mcpcore[redis]'"
        ) from exc
    return Redis.from_url(url, **options)


# --- tasks ---------------------------------------------------------------------------------------

# --- events, subscription bus --------------------------------------------------------------------


_ENTRY_ID = re.compile(r"\d{1,20}-\d{1,20}")


def _client(client: Redis | str) -> Redis:
    return connect(client) if isinstance(client, str) else client


class RedisEventStore:
    """:class:`~mcpcore.stores.events.EventStore` in Redis: one capped, expiring Redis stream per SSE stream.

    An event id is ``<stream id>_<Redis entry id>``, so any replica can find
    the stream and resume after the entry. Every ``XADD`` caps the stream at
    about ``max_events_per_stream`` entries (``MAXLEN ~``) and renews its
    ``ttl`` (seconds), in one round trip: Redis memory stays bounded by
    (live streams x the cap), and a stream nobody writes is gone after the TTL.
    ``client``: a ``redis.asyncio.Redis`` or a ``redis://`` URL (then every
    command gives up after ``timeout`` seconds, so a dead Redis never holds a
    stream or a resumption for ever).
    """

    def __init__(
        self,
        client: Redis | str,
        *,
        max_events_per_stream: int = 1000,
        ttl: float = 3600.0,
        prefix: str = "mcpcore:",
        timeout: float = 5.0,
    ) -> None:
        if max_events_per_stream < 1:
            raise ValueError("max_events_per_stream must be at least 1")
        if ttl <= 0:
            raise ValueError("ttl must be > 0 seconds")
        self.redis = (
            connect(client, socket_timeout=timeout, socket_connect_timeout=timeout)
            if isinstance(client, str)
            else client
        )
        self.max_events_per_stream = max_events_per_stream
        self.ttl_ms = max(1, int(ttl * 1000))
        self.prefix = f"{prefix}events:"

    async def store(self, stream_id: str, message: bytes) -> str:
        key = self.prefix + stream_id
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.xadd(key, {b"m": message}, maxlen=self.max_events_per_stream, approximate=True)
            pipe.pexpire(key, self.ttl_ms)
            entry_id, _ = await pipe.execute()
        return f"{stream_id}_{entry_id.decode()}"

    async def replay_after(self, last_event_id: str) -> tuple[str, list[tuple[str, bytes]]] | None:
        stream_id = stream_of(last_event_id)
        if stream_id is None:
            return None
        after = last_event_id[len(stream_id) + 1 :]
        if _ENTRY_ID.fullmatch(after) is None:
            return None
        key = self.prefix + stream_id
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.xrange(key, after, after, count=1)
            pipe.xrange(key, "(" + after, "+")
            seen, rest = await pipe.execute()
        if not seen:
            return None  # never stored, trimmed, or expired: a gap must not be skipped silently
        return stream_id, [(f"{stream_id}_{entry.decode()}", fields[b"m"]) for entry, fields in rest]


class RedisBus:
    """:class:`~mcpcore.stores.bus.SubscriptionBus` over Redis pub/sub.

    One subscriber connection per process (a pattern subscription to
    ``<prefix>bus:*``; topics are told apart locally), re-established after
    a failure with a capped backoff. ``publish`` never blocks: messages wait
    in a queue of at most ``max_queued`` (the oldest dropped with a WARNING
    when Redis cannot keep up or is down) and one task sends them in order.
    Before :meth:`start` (and after :meth:`close`) nothing is published, as
    in one process where nobody listens before the server serves.
    Every process hears its own messages through Redis, so a local listener
    and a remote one get the same thing the same way.
    ``client``: a ``redis.asyncio.Redis`` or a ``redis://`` URL.
    """

    def __init__(
        self,
        client: Redis | str,
        *,
        prefix: str = "mcpcore:",
        max_queued: int = 10_000,
        max_backoff: float = 5.0,
    ) -> None:
        if max_queued < 1:
            raise ValueError("max_queued must be at least 1")
        self.redis = _client(client)
        self.channel_prefix = f"{prefix}bus:"
        self.max_queued = max_queued
        self.max_backoff = max_backoff
        self._handlers: dict[str, list[BusHandler]] = {}
        self._outgoing: deque[tuple[str, bytes]] = deque()
        self._wakeup: asyncio.Event | None = None
        self._subscribed: asyncio.Event | None = None
        self._tasks: list[asyncio.Task[None]] = []

    # ------------------------------------------------------------ contract

    def publish(self, topic: str, payload: bytes) -> None:
        if not self._tasks:
            # Not serving (e.g. tools registered at import): no listener here yet, and other
            # replicas must not hear a burst of stale changes whenever one starts.
            _log.debug("subscription bus not started: dropped a %s message", topic)
            return
        outgoing = self._outgoing
        outgoing.append((topic, payload))
        if len(outgoing) > self.max_queued:
            outgoing.popleft()
            _log.warning(
                "subscription bus: %d messages queued for Redis, dropped the oldest", self.max_queued
            )
        if self._wakeup is not None:
            self._wakeup.set()

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

    async def start(self, timeout: float = 5.0) -> None:
        """Start the reader and the writer; wait (at most ``timeout`` s) until the subscription holds."""
        if self._tasks:
            return
        self._wakeup = asyncio.Event()
        self._subscribed = asyncio.Event()
        loop = asyncio.get_running_loop()
        self._tasks = [loop.create_task(self._read()), loop.create_task(self._write())]
        if self._outgoing:
            self._wakeup.set()
        try:
            await asyncio.wait_for(self._subscribed.wait(), timeout)
        except asyncio.TimeoutError:
            _log.warning("subscription bus: Redis not reachable yet; retrying in the background")

    async def close(self) -> None:
        tasks, self._tasks = self._tasks, []
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._wakeup = self._subscribed = None

    # ------------------------------------------------------------ tasks

    def _deliver(self, channel: bytes, payload: bytes) -> None:
        topic = channel.decode(errors="replace")[len(self.channel_prefix) :]
        for handler in tuple(self._handlers.get(topic, ())):
            try:
                handler(topic, payload)
            except Exception:  # one broken listener must not silence the others
                _log.exception("subscription bus handler failed on %s", topic)

    async def _read(self) -> None:
        delay = 0.05
        while True:
            pubsub = self.redis.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.psubscribe(self.channel_prefix + "*")
                assert self._subscribed is not None
                self._subscribed.set()
                delay = 0.05
                async for message in pubsub.listen():
                    if message.get("type") == "pmessage":
                        self._deliver(message["channel"], message["data"])
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                _log.warning("subscription bus: lost Redis (%s); resubscribing in %.2f s", exc, delay)
            finally:
                with contextlib.suppress(Exception):
                    await pubsub.aclose()  # type: ignore[no-untyped-call]
            await asyncio.sleep(delay)
            delay = min(delay * 2, self.max_backoff)

    async def _write(self) -> None:
        wakeup, subscribed = self._wakeup, self._subscribed
        assert wakeup is not None and subscribed is not None
        # Not before this process listens: what it publishes is for its own listeners too.
        await subscribed.wait()
        outgoing = self._outgoing
        delay = 0.05
        while True:
            if not outgoing:
                wakeup.clear()
                await wakeup.wait()
                continue
            topic, payload = outgoing[0]
            try:
                await self.redis.publish(self.channel_prefix + topic, payload)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                _log.warning("subscription bus: publish failed (%s); retrying in %.2f s", exc, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.max_backoff)
                continue
            delay = 0.05
            if outgoing and outgoing[0] == (topic, payload):
                outgoing.popleft()
