"""In-memory :class:`~mcpcore.stores.sessions.SessionStore`: several endpoints in one process.

One endpoint alone needs no store (its session table is the whole truth, and
that path awaits nothing). This store is for endpoints in one process that
must share sessions as replicas would (embedding, tests of the routing), with
the same contract as the Redis store: records expire ``ttl`` seconds after
their last touch, ``create`` enforces the caps across those endpoints, and
forwarded messages are delivered on the event loop, never
inside ``forward``.
"""

from __future__ import annotations

import asyncio
import copy
import logging
import time
from collections import OrderedDict

from mcpcore.stores.sessions import MAX_REPLICA, Deliver, SessionRecord

__all__ = ["InMemorySessionStore"]

_log = logging.getLogger("mcpcore.stores")


class InMemorySessionStore:
    """Session records in a dict, oldest-touched first, expired lazily (bounded by the TTL).

    The same order, per principal, serves the per-principal cap: the caps
    evict from the front of these dicts, so ``create`` costs O(1) per session
    it evicts.
    """

    def __init__(self) -> None:
        #: session id -> (record, monotonic deadline); least recently touched first.
        self._records: OrderedDict[str, tuple[SessionRecord, float]] = OrderedDict()
        #: principal -> its session ids, least recently touched first (no entry for ``None``).
        self._by_principal: dict[str, OrderedDict[str, None]] = {}
        self._replicas: dict[int, Deliver] = {}
        self._next_replica = 1

    def __len__(self) -> int:
        self._expire()
        return len(self._records)

    def _expire(self) -> None:
        """Drop expired records from the front (touch order, so the first live one ends the sweep)."""
        now = time.monotonic()
        records = self._records
        while records:
            session_id, (_record, deadline) = next(iter(records.items()))
            if deadline > now:
                return
            self._drop(session_id)

    def _put(self, record: SessionRecord, ttl: float) -> None:
        """Hold ``record`` (a copy the store owns) as the most recently touched."""
        session_id = record.session_id
        self._records[session_id] = (record, time.monotonic() + ttl)
        self._records.move_to_end(session_id)
        if record.principal is not None:
            mine = self._by_principal.setdefault(record.principal, OrderedDict())
            mine[session_id] = None
            mine.move_to_end(session_id)

    def _drop(self, session_id: str) -> bool:
        entry = self._records.pop(session_id, None)
        if entry is None:
            return False
        principal = entry[0].principal
        if principal is not None:
            mine = self._by_principal[principal]
            del mine[session_id]
            if not mine:
                del self._by_principal[principal]
        return True

    async def create(
        self, record: SessionRecord, ttl: float, *, max_sessions: int, max_per_principal: int
    ) -> list[str]:
        self._expire()
        self._drop(record.session_id)
        evicted: list[str] = []
        mine = self._by_principal.get(record.principal) if record.principal is not None else None
        while mine and len(mine) >= max_per_principal:
            evicted.append(next(iter(mine)))
            self._drop(evicted[-1])  # may empty ``mine`` (then the loop ends: it is falsy)
        while self._records and len(self._records) >= max_sessions:
            evicted.append(next(iter(self._records)))
            self._drop(evicted[-1])
        # A copy, as a shared store would hold: the caller's later edits are not saved by accident.
        self._put(copy.deepcopy(record), ttl)
        return evicted

    async def save(self, record: SessionRecord, ttl: float) -> bool:
        self._expire()
        if not self._drop(record.session_id):
            return False
        self._put(copy.deepcopy(record), ttl)
        return True

    async def load(self, session_id: str) -> SessionRecord | None:
        self._expire()
        entry = self._records.get(session_id)
        return copy.deepcopy(entry[0]) if entry is not None else None

    async def touch(self, session_id: str, ttl: float) -> SessionRecord | None:
        self._expire()
        entry = self._records.get(session_id)
        if entry is None:
            return None
        self._put(entry[0], ttl)
        return copy.deepcopy(entry[0])

    async def delete(self, session_id: str) -> bool:
        return self._drop(session_id)

    async def join(self, deliver: Deliver) -> int:
        replica = self._next_replica
        self._next_replica = replica % (MAX_REPLICA - 1) + 1
        self._replicas[replica] = deliver
        return replica

    def forward(self, replica: int, session_id: str, message: bytes) -> None:
        deliver = self._replicas.get(replica)
        if deliver is None:
            _log.debug("forwarded message for replica %d dropped: no such replica", replica)
            return
        asyncio.get_running_loop().call_soon(deliver, session_id, message)

    async def close(self) -> None:
        self._replicas.clear()
