"""In-memory :class:`~mcpcore.stores.sessions.SessionStore`: several endpoints in one process.

One endpoint alone needs no store (its session table is the whole truth, and
that path awaits nothing). This store is for endpoints in one process that
must share sessions as replicas would (embedding, tests of the routing), with
the same contract as the Redis store: records expire ``ttl`` seconds after
their last touch, and forwarded messages are delivered on the event loop, never
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
    """Session records in a dict, oldest-touched first, expired lazily (bounded by the TTL)."""

    def __init__(self) -> None:
        #: session id -> (record, monotonic deadline); least recently touched first.
        self._records: OrderedDict[str, tuple[SessionRecord, float]] = OrderedDict()
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
            del records[session_id]

    async def save(self, record: SessionRecord, ttl: float) -> None:
        self._expire()
        # A copy, as a shared store would hold: the caller's later edits are not saved by accident.
        self._records[record.session_id] = (copy.deepcopy(record), time.monotonic() + ttl)
        self._records.move_to_end(record.session_id)

    async def load(self, session_id: str) -> SessionRecord | None:
        self._expire()
        entry = self._records.get(session_id)
        return copy.deepcopy(entry[0]) if entry is not None else None

    async def touch(self, session_id: str, ttl: float) -> SessionRecord | None:
        self._expire()
        entry = self._records.get(session_id)
        if entry is None:
            return None
        self._records[session_id] = (entry[0], time.monotonic() + ttl)
        self._records.move_to_end(session_id)
        return copy.deepcopy(entry[0])

    async def delete(self, session_id: str) -> bool:
        return self._records.pop(session_id, None) is not None

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
