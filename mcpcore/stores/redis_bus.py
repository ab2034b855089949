"""Redis :class:`~mcpcore.stores.bus.SubscriptionBus`: change notifications every replica hears."""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable, Iterable

from mcpcore.stores.bus import BusHandler, HandlerTable
from mcpcore.stores.redis_client import RedisClient, RedisSubscriber, connect

__all__ = ["RedisBus"]

_log = logging.getLogger("mcpcore.stores.redis")


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
    ``client``: a :class:`~mcpcore.stores.redis_client.RedisClient` or a
    ``redis://`` URL (the subscriber connection uses the client's address).
    """

    def __init__(
        self,
        client: RedisClient | str,
        *,
        prefix: str = "mcpcore:",
        max_queued: int = 10_000,
        max_backoff: float = 5.0,
    ) -> None:
        if max_queued < 1:
            raise ValueError("max_queued must be at least 1")
        self.redis = connect(client) if isinstance(client, str) else client
        self._owns_client = isinstance(client, str)
        self.channel_prefix = f"{prefix}bus:"
        self.max_queued = max_queued
        self.max_backoff = max_backoff
        self._handlers = HandlerTable()
        self._outgoing: deque[tuple[str, bytes]] = deque()
        self._wakeup: asyncio.Event | None = None
        self._subscribed: asyncio.Event | None = None
        self._tasks: list[asyncio.Task[None]] = []
        #: Set by :meth:`close`: the reader and writer stop at their next turn even if a
        #: cancellation was swallowed on the way (a server's shutdown must never hang on them).
        self._closing = False

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
        return self._handlers.subscribe(topics, handler)

    async def start(self, timeout: float = 5.0) -> None:
        """Start the reader and the writer; wait (at most ``timeout`` s) until the subscription holds."""
        if self._tasks:
            return
        self._closing = False
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
        self._closing = True
        if self._wakeup is not None:
            self._wakeup.set()
        tasks, self._tasks = self._tasks, []
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._wakeup = self._subscribed = None
        if self._owns_client:
            await self.redis.aclose()  # made from a URL here; it reconnects if started again

    # ------------------------------------------------------------ tasks

    def _deliver(self, channel: bytes, payload: bytes) -> None:
        topic = channel.decode(errors="replace")[len(self.channel_prefix) :]
        self._handlers.deliver(topic, payload)

    async def _read(self) -> None:
        delay = 0.05
        while not self._closing:
            subscriber = RedisSubscriber(self.redis.config, self._deliver)
            try:
                await subscriber.psubscribe(self.channel_prefix + "*")
                assert self._subscribed is not None
                self._subscribed.set()
                delay = 0.05
                lost = await subscriber.wait_closed()
                _log.warning("subscription bus: %s; resubscribing in %.2f s", lost, delay)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                _log.warning("subscription bus: lost Redis (%s); resubscribing in %.2f s", exc, delay)
            finally:
                await subscriber.aclose()
            await asyncio.sleep(delay)
            delay = min(delay * 2, self.max_backoff)

    async def _write(self) -> None:
        wakeup, subscribed = self._wakeup, self._subscribed
        assert wakeup is not None and subscribed is not None
        # Not before this process listens: what it publishes is for its own listeners too.
        await subscribed.wait()
        outgoing = self._outgoing
        delay = 0.05
        while not self._closing:
            if not outgoing:
                wakeup.clear()
                await wakeup.wait()
                continue
            topic, payload = outgoing[0]
            try:
                await self.redis.call("PUBLISH", self.channel_prefix + topic, payload)
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
