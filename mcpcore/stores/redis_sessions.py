"""Redis :class:`~mcpcore.stores.sessions.SessionStore`: legacy sessions any replica can serve.

Keys (``prefix`` defaults to ``mcpcore:``):

* ``<prefix>session:<id>``: a hash of the record as JSON (``r``) and its
  principal (``p``, absent without one), with a TTL of the idle timeout,
  restarted by every touch. An abandoned session costs Redis memory for at
  most the idle timeout. The principal is a field of its own so that the
  scripts never parse a record (its client capabilities come from a peer);
* ``<prefix>sessions``: the fleet's sessions, a sorted set of id -> the
  session's expiry (Redis server time in microseconds, so replicas' clocks
  do not matter). Touching a session moves its expiry, so with one idle timeout
  across the fleet the lowest score is the least recently touched session:
  the one ``create`` evicts at ``max_sessions``;
* ``<prefix>sessions:principal:<principal>``: the same, for one principal's
  sessions (``max_sessions_per_principal``);
* ``<prefix>replicas``: one counter that numbers replicas as they join (a
  single integer, the only key without a TTL).

Each operation is one Lua script, so one round trip and atomic: ``touch`` is
HMGET + PEXPIRE + the index updates (every legacy request does it first, on
its critical path); ``create`` writes the record, trims expired index entries
(scores in the past), then evicts the oldest sessions over a cap (record and
index entries). ``delete`` and evictions remove a session from every index, so an index holds
at most the caps' worth of live sessions plus those expired since the last
``create``; each index key carries a TTL, extended (never shortened) on
every write to the idle timeout. The scripts touch keys they derive (an
evicted session's), so this store wants one Redis (or a primary with
replicas), not a Redis Cluster.

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

from mcpcore.stores.redis_client import Arg, RedisClient, RedisSubscriber, connect
from mcpcore.stores.sessions import MAX_REPLICA, Deliver, SessionRecord

__all__ = ["RedisSessionStore"]

_log = logging.getLogger("mcpcore.stores")

# Every script: KEYS = (record key, fleet index); ARGV[1] = prefix, ARGV[2] = session id.
_PRELUDE: Final = """
local prefix, id = ARGV[1], ARGV[2]
-- Microseconds, as a decimal string (Lua would write a number this large as 1.7e+15).
local function now_us()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000000 + tonumber(t[2])
end
local function us(n) return string.format('%.0f', n) end
-- A principal as a record's field holds it (false: none).
local function principal_index(principal)
  if principal then return prefix .. 'sessions:principal:' .. principal end
  return nil
end
local function index(key, deadline, member, ttl)
  redis.call('ZADD', key, us(deadline), member)
  if redis.call('PTTL', key) < ttl then redis.call('PEXPIRE', key, ttl) end
end
local function remember(principal, member, ttl)
  local deadline = now_us() + ttl * 1000
  index(KEYS[2], deadline, member, ttl)
  local mine = principal_index(principal)
  if mine then index(mine, deadline, member, ttl) end
end
local function forget(member)
  local key = prefix .. 'session:' .. member
  local principal = redis.call('HGET', key, 'p')
  redis.call('ZREM', KEYS[2], member)
  if redis.call('DEL', key) == 0 then return 0 end
  local mine = principal_index(principal)
  if mine then redis.call('ZREM', mine, member) end
  return 1
end
"""

# ARGV[3] = ttl ms, ARGV[4] = record, ARGV[5] = max sessions, ARGV[6] = max per principal,
# ARGV[7] = principal (absent: none).
_CREATE: Final = """
local ttl, data, principal = tonumber(ARGV[3]), ARGV[4], ARGV[7]
local now = now_us()
local evicted = {}
local function make_room(key, cap)
  redis.call('ZREMRANGEBYSCORE', key, '-inf', us(now))
  local over = redis.call('ZCARD', key) - cap + 1
  if over <= 0 then return end
  for _, member in ipairs(redis.call('ZRANGE', key, 0, over - 1)) do
    if member ~= id and forget(member) == 1 then evicted[#evicted + 1] = member end
  end
end
-- The record first: Redis refuses a script's first write when out of memory (later ones must
-- run, for atomicity), so a full Redis refuses the session before any other is evicted for it.
if principal then
  redis.call('HSET', KEYS[1], 'r', data, 'p', principal)
else
  redis.call('HSET', KEYS[1], 'r', data)
end
redis.call('PEXPIRE', KEYS[1], ttl)
local mine = principal_index(principal)
if mine then make_room(mine, tonumber(ARGV[6])) end
make_room(KEYS[2], tonumber(ARGV[5]))
remember(principal, id, ttl)
return evicted
"""

# ARGV[3] = ttl ms, ARGV[4] = record (its principal never changes).
_SAVE: Final = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local ttl = tonumber(ARGV[3])
redis.call('HSET', KEYS[1], 'r', ARGV[4])
redis.call('PEXPIRE', KEYS[1], ttl)
remember(redis.call('HGET', KEYS[1], 'p'), id, ttl)
return 1
"""

# ARGV[3] = ttl ms.
_TOUCH: Final = """
local held = redis.call('HMGET', KEYS[1], 'r', 'p')
if not held[1] then return false end
local ttl = tonumber(ARGV[3])
redis.call('PEXPIRE', KEYS[1], ttl)
remember(held[2], id, ttl)
return held[1]
"""

_DELETE: Final = """
return forget(id)
"""

#: Seconds between attempts to resubscribe after the pub/sub connection failed.
_RESUBSCRIBE_DELAY: Final = 1.0


class RedisSessionStore:
    """Session records and answer routing in Redis (see the module docstring for the keys)."""

    def __init__(self, client: RedisClient, *, prefix: str = "mcpcore:") -> None:
        self._client = client
        self._prefix = prefix
        self._create = client.script(_PRELUDE + _CREATE)
        self._save = client.script(_PRELUDE + _SAVE)
        self._touch = client.script(_PRELUDE + _TOUCH)
        self._delete = client.script(_PRELUDE + _DELETE)
        self._reader: asyncio.Task[None] | None = None
        #: Publishes in flight (strong references until they finish).
        self._sending: set[asyncio.Task[Any]] = set()

    @classmethod
    def from_url(cls, url: str, *, prefix: str = "mcpcore:") -> RedisSessionStore:
        """A store on ``redis://host:port/db`` (the client connects on first use, in the running loop)."""
        return cls(connect(url), prefix=prefix)

    def _key(self, session_id: str) -> str:
        return f"{self._prefix}session:{session_id}"

    def _keys(self, session_id: str) -> tuple[str, str]:
        """What every script declares: the record's key and the fleet index (ARGV[1] is the prefix)."""
        return self._key(session_id), f"{self._prefix}sessions"

    def _channel(self, replica: int) -> str:
        return f"{self._prefix}replica:{replica}"

    async def create(
        self, record: SessionRecord, ttl: float, *, max_sessions: int, max_per_principal: int
    ) -> list[str]:
        args: list[Arg] = [
            self._prefix,
            record.session_id,
            _ms(ttl),
            record.to_json(),
            max_sessions,
            max_per_principal,
        ]
        if record.principal is not None:
            args.append(record.principal)
        evicted = await self._create(self._keys(record.session_id), args)
        return [session_id.decode(errors="replace") for session_id in evicted]

    async def save(self, record: SessionRecord, ttl: float) -> bool:
        keys = self._keys(record.session_id)
        return bool(await self._save(keys, (self._prefix, record.session_id, _ms(ttl), record.to_json())))

    async def load(self, session_id: str) -> SessionRecord | None:
        data = await self._client.call("HGET", self._key(session_id), "r")
        return SessionRecord.from_json(data) if data is not None else None

    async def touch(self, session_id: str, ttl: float) -> SessionRecord | None:
        data = await self._touch(self._keys(session_id), (self._prefix, session_id, _ms(ttl)))
        return SessionRecord.from_json(data) if data is not None else None

    async def delete(self, session_id: str) -> bool:
        return bool(await self._delete(self._keys(session_id), (self._prefix, session_id)))

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
