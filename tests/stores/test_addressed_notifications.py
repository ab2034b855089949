"""Notifications for one connection (the task-status hook) travel on the bus to whoever holds it.

``server.subscriptions.address_of(connection)`` names a connection;
``notify_address(address, method, params)`` reaches it through the bus, on
this process or on another replica, and nobody else.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import orjson
import pytest

from mcpcore import RedisBus, Server
from tests.memory_peer import MemoryPeer

DEADLINE = 10.0


def test_an_addressed_notification_reaches_only_its_connection(caplog: pytest.LogCaptureFixture) -> None:
    server = Server("addressed")
    alice, bob = MemoryPeer(server), MemoryPeer(server)
    alice.initialize()
    bob.initialize()
    subscriptions = server.subscriptions
    address = subscriptions.address_of(alice.connection)
    assert subscriptions.address_of(alice.connection) == address  # stable
    assert subscriptions.address_of(bob.connection) != address
    status = {"taskId": "t1", "status": "completed"}
    subscriptions.notify_address(address, "notifications/tasks/status", status)
    assert [f for f in alice.frames if f.get("method") == "notifications/tasks/status"] == [
        {"jsonrpc": "2.0", "method": "notifications/tasks/status", "params": status}
    ]
    assert not [f for f in bob.frames if f.get("method") == "notifications/tasks/status"]
    server.disconnect(alice.connection)
    subscriptions.notify_address(address, "notifications/tasks/status", status)  # gone: nobody, no error
    with caplog.at_level(logging.WARNING, logger="mcpcore.server"):
        server.bus.publish("addressed", b"not json")
        server.bus.publish("addressed", b'["to"]')
        server.bus.publish("list_changed", b"\xff")
    assert sum("malformed" in record.getMessage() for record in caplog.records) == 3
    assert not [f for f in bob.frames if f.get("method") == "notifications/tasks/status"]


class Sink:
    """A connection's far end: what the server wrote, with a way to wait for it."""

    def __init__(self) -> None:
        self.frames: list[dict[str, Any]] = []
        self.arrived = asyncio.Event()

    def write(self, data: bytes) -> None:
        self.frames.append(orjson.loads(data))
        self.arrived.set()


def test_an_addressed_notification_crosses_replicas_through_redis(redis_url: str) -> None:
    async def scenario() -> None:
        replica_a = Server("a", bus=RedisBus(redis_url))
        replica_b = Server("b", bus=RedisBus(redis_url))
        async with replica_a.running(), replica_b.running():
            sink = Sink()
            connection = replica_b.connect(sink)
            address = replica_b.subscriptions.address_of(connection)
            replica_a.subscriptions.notify_address(address, "notifications/tasks/status", {"taskId": "t"})
            await asyncio.wait_for(sink.arrived.wait(), DEADLINE)
            assert sink.frames == [
                {"jsonrpc": "2.0", "method": "notifications/tasks/status", "params": {"taskId": "t"}}
            ]
            replica_b.disconnect(connection)

    asyncio.run(scenario())
