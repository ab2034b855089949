"""Fixtures for the cluster tests: one real redis-server per test session, a clean database per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.redis_server import RedisServer, start_redis
from tests.stores.conftest import redis_url

__all__ = ["redis_server", "redis_url"]


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    server = start_redis()
    try:
        yield server
    finally:
        server.stop()
