"""In-memory stores: the single-process default, with no I/O behind their async methods."""

from __future__ import annotations

import logging
import secrets
import time
from collections import deque
from collections.abc import Callable, Collection, Iterable, Mapping
from typing import Any

from mcpcore.stores.bus import BusHandler, HandlerTable
from mcpcore.stores.events import stream_of
from mcpcore.stores.tasks import TERMINAL, TRANSITIONS, TaskData, TaskLimits, too_many_tasks, wire_key

__all__ = ["InMemoryBus", "InMemoryEventStore", "InMemoryTaskStore"]

_log = logging.getLogger("mcpcore.stores")

# --- tasks ---------------------------------------------------------------------------------------


class InMemoryTaskStore:
    """Tasks in one process's memory (the default): a dict in creation order, no I/O, no await inside.

    Implements :class:`~mcpcore.stores.tasks.TaskStore`. Readers get the live
    record (no copy, so reading is free); the contract says they never mutate
    it. ``clock`` (monotonic, for expiry) and ``wall`` (epoch, for the
    timestamps clients see) are injectable for tests.
    """

    heartbeat_interval: float | None = None  # one process: nobody else can run or cancel its tasks
    synchronous = True  # no I/O: the handlers run these calls inline, as fast as before they were async

    def __init__(
        self,
        limits: TaskLimits | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self.limits = limits if limits is not None else TaskLimits()
        self._clock = clock
        self._wall = wall
        #: Insertion (creation) order: the oldest first.
        self._tasks: dict[str, TaskData] = {}
        #: Monotonic expiry per task id (absent: never).
        self._expires: dict[str, float] = {}

    def __len__(self) -> int:
        return len(self._tasks)

    async def create(self, owner: str, *, ttl_ms: int | None = None) -> TaskData:
        if len(self._tasks) >= self.limits.max_tasks:
            self._make_room()
        task_id = secrets.token_urlsafe(16)
        while task_id in self._tasks:  # pragma: no cover - 128 random bits
            task_id = secrets.token_urlsafe(16)
        ttl = self.limits.ttl_for(ttl_ms)
        wall = self._wall()
        data = TaskData(task_id, owner, "working", wall, wall, ttl, self.limits.poll_interval_ms)
        self._tasks[task_id] = data
        if ttl is not None:
            self._expires[task_id] = self._clock() + ttl / 1000
        return data

    def _make_room(self) -> None:
        self.purge()
        if len(self._tasks) < self.limits.max_tasks:
            return
        for task_id, data in self._tasks.items():
            if data.status in TERMINAL:
                self._drop(task_id)
                return
        raise too_many_tasks(self.limits.max_tasks)

    def _live(self, task_id: str) -> TaskData | None:
        data = self._tasks.get(task_id)
        if data is not None:
            expires = self._expires.get(task_id)
            if expires is not None and expires <= self._clock():
                self._drop(task_id)
                return None
        return data

    async def get(self, task_id: str, owner: str) -> TaskData | None:
        data = self._live(task_id) if type(task_id) is str else None
        return data if data is not None and data.owner == owner else None

    async def list(self, owner: str) -> list[TaskData]:
        now = self._clock()
        expires = self._expires
        return [
            data
            for task_id, data in self._tasks.items()
            if data.owner == owner and expires.get(task_id, now + 1) > now
        ]

    async def transition(
        self,
        task_id: str,
        status: str,
        message: str | None = None,
        *,
        result: dict[str, Any] | None = None,
        error: dict[str, Any] | None = None,
    ) -> TaskData | None:
        data = self._live(task_id)
        if data is None or status not in TRANSITIONS[data.status]:
            return None
        data.status = status
        data.status_message = message
        data.updated_at = self._wall()
        if status in TERMINAL:
            data.result = result
            data.error = error
            data.input_requests = {}
            data.answers = {}
        return data

    async def ask(self, task_id: str, requests: Mapping[str, dict[str, Any]]) -> dict[str, str]:
        data = self._live(task_id)
        if data is None or data.status in TERMINAL:
            return {}
        keys = {key: wire_key(key, data.keys_used) for key in requests}
        for key, request in requests.items():
            data.input_requests[keys[key]] = request
        if data.status == "working":
            data.status = "input_required"
            data.status_message = None
            data.updated_at = self._wall()
        return keys

    async def answer(self, task_id: str, responses: Mapping[str, Any]) -> int:
        data = self._live(task_id)
        if data is None:
            return 0
        taken = [key for key in data.input_requests if key in responses]
        for key in taken:
            del data.input_requests[key]
            data.answers[key] = responses[key]
        if taken and not data.input_requests and data.status == "input_required":
            data.status = "working"
            data.status_message = None
            data.updated_at = self._wall()
        return len(taken)

    async def take_answers(self, task_id: str, wire_keys: Collection[str]) -> dict[str, Any]:
        data = self._tasks.get(task_id)
        if data is None:
            return {}
        return {key: data.answers.pop(key) for key in wire_keys if key in data.answers}

    async def heartbeat(self, task_ids: Collection[str]) -> set[str]:
        return {task_id for task_id in task_ids if (data := self._live(task_id)) is None or data.terminal}

    async def forget(self, owner: str) -> None:
        for task_id in [task_id for task_id, data in self._tasks.items() if data.owner == owner]:
            self._drop(task_id)

    async def close(self) -> None:
        pass

    def purge(self) -> int:
        """Drop every expired task; returns how many (their runners learn it: the ids are gone)."""
        now = self._clock()
        expired = [task_id for task_id, expires in self._expires.items() if expires <= now]
        for task_id in expired:
            self._drop(task_id)
        return len(expired)

    def _drop(self, task_id: str) -> None:
        self._tasks.pop(task_id, None)
        self._expires.pop(task_id, None)


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
        self._handlers = HandlerTable()

    def publish(self, topic: str, payload: bytes) -> None:
        self._handlers.deliver(topic, payload)

    def subscribe(self, topics: Iterable[str], handler: BusHandler) -> Callable[[], None]:
        return self._handlers.subscribe(topics, handler)

    async def start(self) -> None:
        return None

    async def close(self) -> None:
        return None
