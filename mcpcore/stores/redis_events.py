"""Redis :class:`~mcpcore.stores.events.EventStore`: SSE resumability any replica can serve."""

from __future__ import annotations

import re

from mcpcore.stores.events import stream_of
from mcpcore.stores.redis_client import DEFAULT_TIMEOUT, RedisClient, connect

__all__ = ["RedisEventStore"]

_ENTRY_ID = re.compile(r"\d{1,20}-\d{1,20}")


class RedisEventStore:
    """:class:`~mcpcore.stores.events.EventStore` in Redis: one capped, expiring Redis stream per SSE stream.

    An event id is ``<stream id>_<Redis entry id>``, so any replica can find
    the stream and resume after the entry. Every ``XADD`` caps the stream at
    about ``max_events_per_stream`` entries (``MAXLEN ~``) and renews its
    ``ttl`` (seconds), in one round trip: Redis memory stays bounded by
    (live streams x the cap), and a stream nobody writes is gone after the TTL.
    ``client``: a :class:`~mcpcore.stores.redis_client.RedisClient` or a
    ``redis://`` URL (then every command gives up after ``timeout`` seconds,
    so a dead Redis never holds a stream or a resumption for ever).
    """

    def __init__(
        self,
        client: RedisClient | str,
        *,
        max_events_per_stream: int = 1000,
        ttl: float = 3600.0,
        prefix: str = "mcpcore:",
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        if max_events_per_stream < 1:
            raise ValueError("max_events_per_stream must be at least 1")
        if ttl <= 0:
            raise ValueError("ttl must be > 0 seconds")
        self.redis = connect(client, timeout=timeout) if isinstance(client, str) else client
        self.max_events_per_stream = max_events_per_stream
        self.ttl_ms = max(1, int(ttl * 1000))
        self.prefix = f"{prefix}events:"

    async def store(self, stream_id: str, message: bytes) -> str:
        key = self.prefix + stream_id
        entry_id, _ = await self.redis.pipeline(
            [
                ("XADD", key, "MAXLEN", "~", self.max_events_per_stream, "*", "m", message),
                ("PEXPIRE", key, self.ttl_ms),
            ]
        )
        return f"{stream_id}_{entry_id.decode()}"

    async def replay_after(self, last_event_id: str) -> tuple[str, list[tuple[str, bytes]]] | None:
        stream_id = stream_of(last_event_id)
        if stream_id is None:
            return None
        after = last_event_id[len(stream_id) + 1 :]
        if _ENTRY_ID.fullmatch(after) is None:
            return None
        key = self.prefix + stream_id
        seen, rest = await self.redis.pipeline(
            [("XRANGE", key, after, after, "COUNT", 1), ("XRANGE", key, "(" + after, "+")]
        )
        if not seen:
            return None  # never stored, trimmed, or expired: a gap must not be skipped silently
        return stream_id, [(f"{stream_id}_{entry.decode()}", _message(fields)) for entry, fields in rest]


def _message(fields: list[bytes]) -> bytes:
    """The ``m`` field of a stream entry's flat field/value list."""
    for n in range(0, len(fields) - 1, 2):
        if fields[n] == b"m":
            return fields[n + 1]
    raise KeyError("m")
