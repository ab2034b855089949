"""Pluggable state stores: where the state that must outlive one process lives.

A single process keeps everything in memory (the default, and the fastest).
Several replicas behind a load balancer share it through a store: Redis ships
with ``pip install mcpcore[redis]``, and users can plug in another engine by
implementing the same small protocols.

Layout (one contract per file, implementations beside them):

* a contract module per concern states the protocol and its invariants;
* :mod:`mcpcore.stores.memory`: the in-memory implementations (today's behaviour);
* :mod:`mcpcore.stores.redis`: the Redis implementations, and the one place
  that imports ``redis`` (only when a Redis store is configured).
"""

from __future__ import annotations

from typing import Any

from mcpcore.stores.tasks import TaskLimits, TaskStore

__all__ = ["TaskStore", "open_task_store"]


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
        scheme = spec.partition("://")[0].lower()
        if scheme not in ("redis", "rediss", "unix"):
            raise ValueError(f"unsupported store URL {spec!r} (expected redis://host:port/db)")
        from mcpcore.stores.redis import RedisTaskStore

        return RedisTaskStore.from_url(spec, limits, **options)
    return spec
