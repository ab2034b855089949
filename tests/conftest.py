"""Shared fixtures: every end-to-end test runs on uvloop and on plain asyncio; a real Redis where needed."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from tests.helpers import StdioPeer
from tests.redis_server import RedisServer, start_redis

LOOPS = ["uvloop", "asyncio"]


@pytest.fixture(params=LOOPS)
def loop_name(request: pytest.FixtureRequest) -> str:
    """The event loop the server under test runs on (passed as MCPCORE_LOOP)."""
    return str(request.param)


@pytest.fixture
def calculator(loop_name: str) -> Iterator[StdioPeer]:
    """The example server in a real subprocess, not yet initialized."""
    peer = StdioPeer.spawn(["-m", "mcpcore.examples.calculator"], loop=loop_name)
    try:
        yield peer
    finally:
        peer.kill()


@pytest.fixture
def session(calculator: StdioPeer) -> StdioPeer:
    """The example server after a 2025-11-25 handshake."""
    calculator.initialize()
    return calculator


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    """One real redis-server for the test session (started on first use; tests/redis_server.py)."""
    server = start_redis()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def redis_url(redis_server: RedisServer) -> str:
    """The URL of an emptied database on the session's redis-server."""
    with socket.create_connection(("127.0.0.1", redis_server.port), timeout=5) as conn:
        conn.sendall(b"FLUSHALL\r\n")
        assert conn.recv(16).startswith(b"+OK")
    return redis_server.url()
