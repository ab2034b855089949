"""The store classes are public from ``mcpcore``, and naming them never imports ``redis``."""

from __future__ import annotations

import subprocess
import sys

import mcpcore
from mcpcore.stores import bus, events, memory, redis

NAMES = ("EventStore", "InMemoryBus", "InMemoryEventStore", "RedisBus", "RedisEventStore", "SubscriptionBus")


def test_store_names_are_exported() -> None:
    for name in NAMES:
        assert name in mcpcore.__all__
    assert mcpcore.EventStore is events.EventStore
    assert mcpcore.SubscriptionBus is bus.SubscriptionBus
    assert mcpcore.InMemoryEventStore is memory.InMemoryEventStore
    assert mcpcore.InMemoryBus is memory.InMemoryBus
    assert mcpcore.RedisEventStore is redis.RedisEventStore
    assert mcpcore.RedisBus is redis.RedisBus


def test_a_server_without_redis_configured_never_imports_it() -> None:
    code = (
        "import sys, mcpcore\n"
        "mcpcore.RedisBus, mcpcore.RedisEventStore\n"
        "server = mcpcore.Server('x')\n"
        "print(type(server.bus).__name__, 'redis' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.split() == ["InMemoryBus", "False"]
