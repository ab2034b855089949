"""Redis :class:`~mcpcore.stores.sessions.SessionStore`: legacy sessions any replica can serve.

Keys (``prefix`` defaults to ``mcpcore:``):

* ``<prefix>session:<id>``: the record as JSON, with a TTL of the idle
  timeout, restarted by every touch (one ``GETEX``, Redis >= 6.2). An abandoned session
  costs Redis memory for at most the idle timeout;
* ``<prefix>replicas``: one counter that numbers replicas as they join (a
  single integer, the only key without a TTL).

Routing a client's answer back to the replica that waits for it uses Redis
pub/sub on one channel per replica, ``<prefix>replica:<n>``, read by one
subscriber connection per process. (The subscription bus, when it lands in
:mod:`mcpcore.stores`, can carry these messages instead: it is the same
publish/subscribe shape.)
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Final

from mcpcore.stores.redis_client import RedisClient, RedisSubscriber, connect
from mcpcore.stores.sessions import MAX_REPLICA, Deliver, SessionRecord

__all__ = ["RedisSessionStore"]

_log = logging.getLogger("mcpcore.stores")

#: Seconds between attempts to resubscribe after the pub/sub connection failed.
_RESUBSCRIBE_DELAY: Final = 1.0


class RedisSessionStore:
    """Session records and answer routing in Redis (see the module docstring for the keys)."""

    def __init__(self, client: RedisClient, *, prefix: str = "mcpcore:") -> None:
        self._client = client
        self._prefix = prefix
        self._reader: asyncio.Task[None] | None = None
        #: Publishes in flight (strong references until they finish).
        self._sending: set[asyncio.Task[Any]] = set()

    @classmethod
    def from_url(cls, url: str, *, prefix: str = "mcpcore:") -> RedisSessionStore:
        """A store on ``redis://host:port/db`` (the client connects on first use, in the running loop)."""
        return cls(connect(url), prefix=prefix)

    def _key(self, session_id: str) -> str:
        return f"{self._prefix}session:{session_id}"

    def _channel(self, replica: int) -> str:
        return f"{self._prefix}replica:{replica}"

    async def save(self, record: SessionRecord, ttl: float) -> None:
        await self._client.call("SET", self._key(record.session_id), record.to_json(), "PX", _ms(ttl))

    async def load(self, session_id: str) -> SessionRecord | None:
        data = await self._client.call("GET", self._key(session_id))
        return SessionRecord.from_json(data) if data is not None else None

    async def touch(self, session_id: str, ttl: float) -> SessionRecord | None:
        data = await self._client.call("GETEX", self._key(session_id), "PX", _ms(ttl))
        return SessionRecord.from_json(data) if data is not None else None

    async def delete(self, session_id: str) -> bool:
        return bool(await self._client.call("DEL", self._key(session_id)))

    async def join(self, deliver: Deliver) -> int:
        count = int(await self._client.call("INCR", f"{self._prefix}replicas"))
        replica = (count - 1) % (MAX_REPLICA - 1) + 1
        subscriber = self._subscriber(deliver)
        await subscriber.subscribe(self._channel(replica))
        self._reader = asyncio.get_running_loop().create_task(self._read(subscriber, replica, deliver))
        return replica

    def _subscriber(self, deliver: Deliver) -> RedisSubscriber:
        def on_message(channel: bytes, data: bytes) -> None:
            session_id, _, body = data.partition(b"\x00")
            try:
                deliver(session_id.decode(errors="replace"), body)
            except Exception:
                _log.exception("delivering a forwarded message failed")

        return RedisSubscriber(self._client.config, on_message)

    async def _read(self, subscriber: RedisSubscriber, replica: int, deliver: Deliver) -> None:
        """Keep this replica's channel subscribed: resubscribe (after a pause) when the connection is lost."""
        try:
            while True:
                lost = await subscriber.wait_closed()
                _log.warning("session routing: Redis pub/sub failed (%s); resubscribing", lost)
                await subscriber.aclose()
                await asyncio.sleep(_RESUBSCRIBE_DELAY)
                subscriber = self._subscriber(deliver)
                try:
                    await subscriber.subscribe(self._channel(replica))
                except Exception as again:
                    _log.warning("session routing: resubscribing failed (%s)", again)
        finally:
            await subscriber.aclose()

    def forward(self, replica: int, session_id: str, message: bytes) -> None:
        payload = session_id.encode() + b"\x00" + message
        task = asyncio.get_running_loop().create_task(self._publish(self._channel(replica), payload))
        self._sending.add(task)
        task.add_done_callback(self._sending.discard)

    async def _publish(self, channel: str, payload: bytes) -> None:
        try:
            await self._client.call("PUBLISH", channel, payload)
        except Exception as exc:
            _log.warning("session routing: a forwarded message was lost (%s)", exc)

    async def close(self) -> None:
        reader, self._reader = self._reader, None
        if reader is not None:
            reader.cancel()
            await asyncio.gather(reader, return_exceptions=True)
        if self._sending:
            await asyncio.gather(*self._sending, return_exceptions=True)
        await self._client.aclose()


def _ms(seconds: float) -> int:
    return max(1, int(seconds * 1000))
