"""Shared fixtures: every end-to-end test runs on uvloop and on plain asyncio."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.helpers import StdioPeer

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
