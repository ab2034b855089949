"""Redis stores (``Server(store="redis://...")``): shared state for replicas behind a load balancer.

They speak to Redis through mcpcore's own asyncio client
(:mod:`mcpcore.stores.redis_client`, stdlib only), so a Redis store needs no
extra package. Every key a store writes carries a TTL or a length bound, so
Redis memory stays bounded. This module holds the task store and the shared
``requestState`` key; the event store and the subscription bus live in
:mod:`mcpcore.stores.redis_events` and :mod:`mcpcore.stores.redis_bus`
(re-exported here).
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Callable, Collection, Mapping
from typing import Any, Final

import orjson

from mcpcore.errors import INTERNAL_ERROR, RpcError
from mcpcore.stores.redis_bus import RedisBus
from mcpcore.stores.redis_client import DEFAULT_TIMEOUT, RedisClient, connect
from mcpcore.stores.redis_events import RedisEventStore
from mcpcore.stores.resp import RedisError
from mcpcore.stores.tasks import (
    DEFAULT_MAX_TTL_MS,
    TERMINAL,
    TRANSITIONS,
    WORKER_DIED,
    TaskData,
    TaskLimits,
    too_many_tasks,
)

__all__ = ["STATE_KEY", "RedisBus", "RedisEventStore", "RedisTaskStore", "connect", "shared_state_key"]

_log = logging.getLogger("mcpcore.stores.redis")

#: The one key without a TTL besides the replica counter: replicas that come and go must keep agreeing.
STATE_KEY: Final = "mcpcore:state-key"


async def shared_state_key(url: str, *, timeout: float = DEFAULT_TIMEOUT) -> bytes:
    """The ``requestState`` key every replica on this Redis uses: the first to ask makes it (``SET NX``).

    So replicas given a store and no ``--state-key`` still accept each
    other's ``requestState`` with no secret to distribute by hand.
    """
    client = connect(url, timeout=timeout)
    try:
        await client.call("SET", STATE_KEY, secrets.token_bytes(32), "NX")
        key = await client.call("GET", STATE_KEY)
    finally:
        await client.aclose()
    if not isinstance(key, bytes) or len(key) < 16:
        raise RuntimeError(f"{STATE_KEY} in Redis is not a key of at least 16 bytes")
    return key


# --- tasks ---------------------------------------------------------------------------------------
#: The status machine as two Lua functions, generated from the one in the contract (a single source
#: of truth). Comparisons, not tables: a table literal would be built again on every script call.
_LUA_TRANSITIONS: Final = (
    "local function terminal(s) return "
    + " or ".join(f"s == '{status}'" for status in sorted(TERMINAL))
    + " end\nlocal function allowed(s, t)\n"
    + "".join(
        f"  if s == '{status}' then return "
        + " or ".join(f"t == '{target}'" for target in sorted(targets))
        + " end\n"
        for status, targets in TRANSITIONS.items()
        if targets
    )
    + "  return false\nend\n"
)

#: KEYS: task, owner index, lease. ARGV: owner, wall, ttl, poll, key ttl ms, max tasks, lease ms,
#: index ttl ms, task key prefix, task id, score (creation in µs, kept increasing), lease prefix.
#: Returns 1, or 0 when full of running tasks.
_CREATE: Final = (
    _LUA_TRANSITIONS
    + """
local n = redis.call('ZCARD', KEYS[2])
local limit = tonumber(ARGV[6])
if n >= limit then
  local ids = redis.call('ZRANGE', KEYS[2], 0, -1)
  for _, id in ipairs(ids) do
    if redis.call('EXISTS', ARGV[9] .. id) == 0 then
      redis.call('ZREM', KEYS[2], id)
      n = n - 1
    end
  end
  if n >= limit then
    local evicted = false
    for _, id in ipairs(ids) do
      local s = redis.call('HGET', ARGV[9] .. id, 's')
      if s and (terminal(s) or redis.call('EXISTS', ARGV[12] .. id) == 0) then
        redis.call('DEL', ARGV[9] .. id)
        redis.call('ZREM', KEYS[2], id)
        evicted = true
        break
      end
    end
    if not evicted then return 0 end
  end
end
redis.call('HSET', KEYS[1], 'o', ARGV[1], 's', 'working', 'c', ARGV[2], 'u', ARGV[2],
  't', ARGV[3], 'p', ARGV[4], 'n', 0)
redis.call('PEXPIRE', KEYS[1], ARGV[5])
local score = tonumber(ARGV[11])
local last = redis.call('ZRANGE', KEYS[2], -1, -1, 'WITHSCORES')
if last[2] and tonumber(last[2]) >= score then score = tonumber(last[2]) + 1 end
redis.call('ZADD', KEYS[2], score, ARGV[10])
redis.call('PEXPIRE', KEYS[2], ARGV[8])
redis.call('SET', KEYS[3], '1', 'PX', ARGV[7])
return 1
"""
)

#: KEYS: task, lease. ARGV: wall, error JSON, message. The task's fields (failed first if its lease lapsed).
_READ: Final = """
local s = redis.call('HGET', KEYS[1], 's')
if not s then return nil end
if (s == 'working' or s == 'input_required') and redis.call('EXISTS', KEYS[2]) == 0 then
  redis.call('HSET', KEYS[1], 's', 'failed', 'm', ARGV[3], 'u', ARGV[1], 'e', ARGV[2], 'n', 0)
  for _, f in ipairs(redis.call('HKEYS', KEYS[1])) do
    local p = string.sub(f, 1, 2)
    if p == 'i:' or p == 'a:' then redis.call('HDEL', KEYS[1], f) end
  end
end
return redis.call('HGETALL', KEYS[1])
"""

#: KEYS: task, lease. ARGV: status, message, has message, wall, result JSON, error JSON.
_TRANSITION: Final = (
    _LUA_TRANSITIONS
    + """
local s = redis.call('HGET', KEYS[1], 's')
if not s or not allowed(s, ARGV[1]) then return nil end
redis.call('HSET', KEYS[1], 's', ARGV[1], 'u', ARGV[4])
if ARGV[3] == '1' then redis.call('HSET', KEYS[1], 'm', ARGV[2]) else redis.call('HDEL', KEYS[1], 'm') end
if terminal(ARGV[1]) then
  if ARGV[5] ~= '' then redis.call('HSET', KEYS[1], 'r', ARGV[5]) end
  if ARGV[6] ~= '' then redis.call('HSET', KEYS[1], 'e', ARGV[6]) end
  redis.call('HSET', KEYS[1], 'n', 0)
  for _, f in ipairs(redis.call('HKEYS', KEYS[1])) do
    local p = string.sub(f, 1, 2)
    if p == 'i:' or p == 'a:' then redis.call('HDEL', KEYS[1], f) end
  end
  redis.call('DEL', KEYS[2])
end
return redis.call('HGETALL', KEYS[1])
"""
)

#: KEYS: task. ARGV: wall, then key, request JSON pairs. Returns the wire keys in order ({} if terminal).
_ASK: Final = (
    _LUA_TRANSITIONS
    + """
local s = redis.call('HGET', KEYS[1], 's')
if not s or terminal(s) then return {} end
local wire = {}
for i = 2, #ARGV, 2 do
  local key, candidate, n = ARGV[i], ARGV[i], 1
  while redis.call('HEXISTS', KEYS[1], 'k:' .. candidate) == 1 do
    n = n + 1
    candidate = key .. '-' .. n
  end
  redis.call('HSET', KEYS[1], 'k:' .. candidate, 1, 'i:' .. candidate, ARGV[i + 1])
  redis.call('HINCRBY', KEYS[1], 'n', 1)
  table.insert(wire, candidate)
end
if s == 'working' then
  redis.call('HSET', KEYS[1], 's', 'input_required', 'u', ARGV[1])
  redis.call('HDEL', KEYS[1], 'm')
end
return wire
"""
)

#: KEYS: task. ARGV: wall, then wire key, response JSON pairs. Returns how many were taken.
_ANSWER: Final = """
local s = redis.call('HGET', KEYS[1], 's')
if not s then return 0 end
local taken = 0
for i = 2, #ARGV, 2 do
  if redis.call('HDEL', KEYS[1], 'i:' .. ARGV[i]) == 1 then
    redis.call('HSET', KEYS[1], 'a:' .. ARGV[i], ARGV[i + 1])
    taken = taken + 1
  end
end
if taken > 0 and redis.call('HINCRBY', KEYS[1], 'n', -taken) <= 0 and s == 'input_required' then
  redis.call('HSET', KEYS[1], 's', 'working', 'u', ARGV[1])
  redis.call('HDEL', KEYS[1], 'm')
end
return taken
"""

#: KEYS: task. ARGV: wire keys. Returns key, answer JSON pairs, removing them.
_TAKE: Final = """
local out = {}
for _, key in ipairs(ARGV) do
  local value = redis.call('HGET', KEYS[1], 'a:' .. key)
  if value then
    redis.call('HDEL', KEYS[1], 'a:' .. key)
    table.insert(out, key)
    table.insert(out, value)
  end
end
return out
"""

#: KEYS: task, lease. ARGV: lease ms. 1: keep running (lease renewed); 0: stop (gone or terminal).
_HEARTBEAT: Final = (
    _LUA_TRANSITIONS
    + """
local s = redis.call('HGET', KEYS[1], 's')
if not s or terminal(s) then
  redis.call('DEL', KEYS[2])
  return 0
end
redis.call('SET', KEYS[2], '1', 'PX', ARGV[1])
return 1
"""
)

DEFAULT_LEASE_MS: Final = 15_000


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


#: The hash fields every task has or may have; any other field is a prefixed one (``i:``, ``a:``, ``k:``).
_PLAIN_FIELDS: Final = frozenset({b"o", b"s", b"m", b"c", b"u", b"t", b"p", b"r", b"e", b"n"})


def _decode(task_id: str, flat: list[Any]) -> TaskData:
    """A task from HGETALL's flat field/value list (see the field names in :class:`RedisTaskStore`)."""
    fields: dict[bytes, bytes] = dict(zip(flat[::2], flat[1::2], strict=True))
    ttl = fields.get(b"t")
    message = fields.get(b"m")
    data = TaskData(
        task_id,
        fields[b"o"].decode(),
        fields[b"s"].decode(),
        float(fields[b"c"]),
        float(fields[b"u"]),
        int(ttl) if ttl else None,
        int(fields[b"p"]),
        None if message is None else message.decode(),
    )
    result = fields.get(b"r")
    if result is not None:
        data.result = orjson.loads(result)
    error = fields.get(b"e")
    if error is not None:
        data.error = orjson.loads(error)
    if not _PLAIN_FIELDS.issuperset(fields):
        for name, value in fields.items():
            prefix, key = name[:2], name[2:].decode()
            if prefix == b"i:":
                data.input_requests[key] = orjson.loads(value)
            elif prefix == b"a:":
                data.answers[key] = orjson.loads(value)
            elif prefix == b"k:":
                data.keys_used.add(key)
    return data


class RedisTaskStore:
    """Tasks shared by every replica through one Redis (standalone, or one hash slot).

    Implements :class:`~mcpcore.stores.tasks.TaskStore`. Keys (``prefix``
    defaults to ``mcpcore:``), every one with a TTL:

    * ``{prefix}task:{id}``: a hash; ``o`` owner, ``s`` status, ``m`` message,
      ``c``/``u`` created/updated (epoch seconds), ``t`` TTL ms, ``p`` poll
      interval ms, ``r``/``e`` result/error (orjson bytes), ``i:{key}`` an
      outstanding input request, ``a:{key}`` an answer not yet collected,
      ``k:{key}`` a wire key used once, ``n`` how many are outstanding. Its TTL
      is the task's (a task with no TTL gets ``unbounded_ttl_ms``, and reports it).
    * ``{prefix}lease:{id}``: present while the runner is alive; renewed by
      :meth:`heartbeat` every ``lease_ms / 3`` and expiring ``lease_ms`` after
      the last renewal. A reader that finds a non-terminal task without it
      marks the task failed (:data:`~mcpcore.stores.tasks.WORKER_DIED`).
    * ``{prefix}owner:{owner}``: a sorted set of the owner's task ids by
      creation time, at most ``max_tasks`` members (the cap is per owner),
      expiring with the longest-lived task it can hold.

    Every change is one Lua script (one round trip, atomic against other
    replicas). A Redis error answers -32603 "task store unavailable" (never a
    hang: the client's timeout bounds each call).
    """

    synchronous = False

    def __init__(
        self,
        client: RedisClient,
        limits: TaskLimits | None = None,
        *,
        prefix: str = "mcpcore:",
        lease_ms: int = DEFAULT_LEASE_MS,
        unbounded_ttl_ms: int = DEFAULT_MAX_TTL_MS,
        wall: Callable[[], float] = time.time,
    ) -> None:
        if lease_ms < 3:
            raise ValueError("lease_ms must be at least 3 milliseconds")
        self.client = client
        self.limits = limits if limits is not None else TaskLimits()
        self.prefix = prefix
        self.lease_ms = lease_ms
        self.unbounded_ttl_ms = unbounded_ttl_ms
        self.heartbeat_interval: float | None = lease_ms / 3000
        self._wall = wall
        self._errors: tuple[type[BaseException], ...] = (RedisError, OSError)
        self._create = client.script(_CREATE)
        self._read = client.script(_READ)
        self._transition = client.script(_TRANSITION)
        self._ask = client.script(_ASK)
        self._answer = client.script(_ANSWER)
        self._take = client.script(_TAKE)
        self._heartbeat = client.script(_HEARTBEAT)
        self._died = orjson.dumps(WORKER_DIED)

    @classmethod
    def from_url(cls, url: str, limits: TaskLimits | None = None, **options: Any) -> RedisTaskStore:
        """A store on ``redis://host:port/db`` (commands time out after 5 s, so nothing hangs)."""
        client = connect(url)
        return cls(client, limits, **options)

    def _task(self, task_id: str) -> str:
        return f"{self.prefix}task:{task_id}"

    def _lease(self, task_id: str) -> str:
        return f"{self.prefix}lease:{task_id}"

    def _index(self, owner: str) -> str:
        return f"{self.prefix}owner:{owner}"

    def _unavailable(self, exc: BaseException) -> RpcError:
        _log.warning("task store unavailable: %s", exc)
        return RpcError(INTERNAL_ERROR, "Internal error: the task store is unavailable; try again later")

    async def create(self, owner: str, *, ttl_ms: int | None = None) -> TaskData:
        ttl = self.limits.ttl_for(ttl_ms) or self.unbounded_ttl_ms
        task_id = secrets.token_urlsafe(16)
        wall = self._wall()
        index_ttl = max(ttl, self.limits.max_ttl_ms or 0, self.limits.default_ttl_ms or 0)
        try:
            created = await self._create(
                [self._task(task_id), self._index(owner), self._lease(task_id)],
                [
                    owner,
                    repr(wall),
                    ttl,
                    self.limits.poll_interval_ms,
                    ttl,
                    self.limits.max_tasks,
                    self.lease_ms,
                    index_ttl,
                    self._task(""),
                    task_id,
                    int(wall * 1_000_000),
                    self._lease(""),
                ],
            )
        except self._errors as exc:
            raise self._unavailable(exc) from exc
        if not created:
            raise too_many_tasks(self.limits.max_tasks)
        return TaskData(task_id, owner, "working", wall, wall, ttl, self.limits.poll_interval_ms)

    async def _fetch(self, task_id: str) -> TaskData | None:
        """The task as stored, failed first if its runner's lease lapsed.

        The common read is plain: ``HGETALL`` and ``EXISTS`` of the lease in one
        write (no script for Redis to run). Only a non-terminal task found
        without its lease goes through :data:`_READ`, which checks again and
        marks it failed atomically (another replica may have finished it meanwhile).
        """
        task, lease = self._task(task_id), self._lease(task_id)
        try:
            flat, leased = await self.client.pipeline([("HGETALL", task), ("EXISTS", lease)])
        except self._errors as exc:
            raise self._unavailable(exc) from exc
        if not flat:
            return None
        data = _decode(task_id, flat)
        if leased or data.terminal:
            return data
        try:
            flat = await self._read([task, lease], [repr(self._wall()), self._died, WORKER_DIED["message"]])
        except self._errors as exc:
            raise self._unavailable(exc) from exc
        return None if not flat else _decode(task_id, flat)

    async def get(self, task_id: str, owner: str) -> TaskData | None:
        if type(task_id) is not str:
            return None
        data = await self._fetch(task_id)
        return data if data is not None and data.owner == owner else None

    async def list(self, owner: str) -> list[TaskData]:
        index = self._index(owner)
        try:
            ids = [_text(member) for member in await self.client.call("ZRANGE", index, 0, -1)]
        except self._errors as exc:
            raise self._unavailable(exc) from exc
        if not ids:
            return []
        args = [repr(self._wall()), self._died, WORKER_DIED["message"]]
        try:
            rows = await self._read.many(
                [([self._task(task_id), self._lease(task_id)], args) for task_id in ids]
            )
            found: list[TaskData] = []
            gone: list[str] = []
            for task_id, flat in zip(ids, rows, strict=True):
                data = _decode(task_id, flat) if flat else None
                if data is None:
                    gone.append(task_id)
                elif data.owner == owner:
                    found.append(data)
            if gone:
                await self.client.call("ZREM", index, *gone)
        except self._errors as exc:
            raise self._unavailable(exc) from exc
        return found

    async def transition(
        self,
        task_id: str,
        status: str,
        message: str | None = None,
        *,
        result: dict[str, Any] | None = None,
        error: dict[str, Any] | None = None,
    ) -> TaskData | None:
        try:
            flat = await self._transition(
                [self._task(task_id), self._lease(task_id)],
                [
                    status,
                    message or "",
                    "0" if message is None else "1",
                    repr(self._wall()),
                    b"" if result is None else orjson.dumps(result),
                    b"" if error is None else orjson.dumps(error),
                ],
            )
        except self._errors as exc:
            raise self._unavailable(exc) from exc
        return None if not flat else _decode(task_id, flat)

    async def ask(self, task_id: str, requests: Mapping[str, dict[str, Any]]) -> dict[str, str]:
        args: list[Any] = [repr(self._wall())]
        for key, request in requests.items():
            args += [key, orjson.dumps(request)]
        try:
            wire = await self._ask([self._task(task_id)], args)
        except self._errors as exc:
            raise self._unavailable(exc) from exc
        return dict(zip(requests, (_text(key) for key in wire), strict=True)) if wire else {}

    async def answer(self, task_id: str, responses: Mapping[str, Any]) -> int:
        args: list[Any] = [repr(self._wall())]
        for key, response in responses.items():
            args += [key, orjson.dumps(response)]
        try:
            return int(await self._answer([self._task(task_id)], args))
        except self._errors as exc:
            raise self._unavailable(exc) from exc

    async def take_answers(self, task_id: str, wire_keys: Collection[str]) -> dict[str, Any]:
        if not wire_keys:
            return {}
        try:
            flat = await self._take([self._task(task_id)], list(wire_keys))
        except self._errors as exc:
            raise self._unavailable(exc) from exc
        return {_text(flat[i]): orjson.loads(flat[i + 1]) for i in range(0, len(flat), 2)}

    async def heartbeat(self, task_ids: Collection[str]) -> set[str]:
        ids = list(task_ids)
        if not ids:
            return set()
        try:
            alive = await self._heartbeat.many(
                [([self._task(task_id), self._lease(task_id)], [self.lease_ms]) for task_id in ids]
            )
        except self._errors as exc:
            raise self._unavailable(exc) from exc
        return {task_id for task_id, keep in zip(ids, alive, strict=True) if not keep}

    async def forget(self, owner: str) -> None:
        index = self._index(owner)
        try:
            ids = [_text(member) for member in await self.client.call("ZRANGE", index, 0, -1)]
            keys = [self._task(task_id) for task_id in ids] + [self._lease(task_id) for task_id in ids]
            await self.client.call("DEL", index, *keys)
        except self._errors as exc:
            raise self._unavailable(exc) from exc

    async def close(self) -> None:
        await self.client.aclose()
