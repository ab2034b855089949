"""Pluggable state stores: where the state that must outlive one process lives.

A single process keeps everything in memory (the default, and the fastest).
Several replicas behind a load balancer share it through a store: Redis ships
with mcpcore (``Server(store="redis://...")``, no extra package), and users can plug in another engine by
implementing the same small protocols.

Layout (one contract per file, implementations beside them):

* a contract module per concern states the protocol and its invariants;
* :mod:`mcpcore.stores.memory`: the in-memory implementations (today's behaviour);
* :mod:`mcpcore.stores.redis` (tasks), :mod:`~mcpcore.stores.redis_events`,
  :mod:`~mcpcore.stores.redis_bus`, :mod:`~mcpcore.stores.redis_sessions`: the
  Redis implementations, all on one in-house client
  (:mod:`~mcpcore.stores.redis_client` over the sans-I/O codec
  :mod:`~mcpcore.stores.resp`), imported only when a Redis store is configured.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mcpcore.stores.tasks import TaskLimits, TaskStore

if TYPE_CHECKING:  # pragma: no cover - typing only
    from mcpcore.stores.bus import SubscriptionBus
    from mcpcore.stores.events import EventStore
    from mcpcore.stores.sessions import SessionStore

__all__ = [
    "TaskStore",
    "is_redis_url",
    "open_bus",
    "open_event_store",
    "open_session_store",
    "open_task_store",
]

_REDIS_SCHEMES = ("redis", "rediss", "unix")


def is_redis_url(spec: str) -> bool:
    """Whether the ``store`` option names Redis (``redis://``, ``rediss://``, ``unix://``)."""
    return spec.partition("://")[0].lower() in _REDIS_SCHEMES


def open_task_store(spec: str | TaskStore | None, limits: TaskLimits, **options: Any) -> TaskStore:
    """The task store ``spec`` names: None (in-memory), ``redis://``/``rediss://`` URL, or a store object.

    The one place that turns the ``store`` option into stores, so the event
    store and the subscription bus can be opened from the same URL later.
    ``options`` go to the Redis store (e.g. ``lease_ms``).
    """
    if spec is None:
        from mcpcore.stores.memory import InMemoryTaskStore

        return InMemoryTaskStore(limits)
    if isinstance(spec, str):
        if not is_redis_url(spec):
            raise ValueError(f"unsupported store URL {spec!r} (expected redis://host:port/db)")
        from mcpcore.stores.redis import RedisTaskStore

        return RedisTaskStore.from_url(spec, limits, **options)
    return spec


def open_session_store(spec: object) -> SessionStore | None:
    """The legacy-session store the ``store`` option implies: Redis for a URL, else none (this process).

    A store *object* given as ``store`` is a task store; sessions then stay
    local unless ``HttpOptions(session_store=...)`` names one.
    """
    if isinstance(spec, str) and is_redis_url(spec):
        from mcpcore.stores.redis_sessions import RedisSessionStore

        return RedisSessionStore.from_url(spec)
    return None


def open_bus(spec: object, tasks: TaskStore | None = None) -> SubscriptionBus | None:
    """The subscription bus a ``redis://`` store URL implies; None otherwise (the in-memory bus stays).

    Given the Redis task store opened from the same URL, the bus publishes
    through its client: a task's status change and the notification that
    follows it share one connection (one fewer per process).
    """
    if isinstance(spec, str) and is_redis_url(spec):
        from mcpcore.stores.redis import RedisBus, RedisTaskStore

        if isinstance(tasks, RedisTaskStore):
            return RedisBus(tasks.client)
        return RedisBus(spec)
    return None


def open_event_store(spec: object) -> EventStore | None:
    """The shared resumability store a ``redis://`` store URL implies (None: as ``HttpOptions`` says).

    With replicas, a client whose stream broke reconnects with ``Last-Event-ID``
    wherever the balancer sends it, so a store URL turns resumability on.
    """
    if isinstance(spec, str) and is_redis_url(spec):
        from mcpcore.stores.redis import RedisEventStore

        return RedisEventStore(spec)
    return None
