"""Fixtures for the fault-injection tests: the faulty server over real pipes, on both loops."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.helpers import StdioPeer


@pytest.fixture
def faulty(loop_name: str) -> Iterator[StdioPeer]:
    """tests/servers/faulty.py in a subprocess, initialized, with a short shutdown grace."""
    peer = StdioPeer.spawn(
        ["-m", "tests.servers.faulty"], loop=loop_name, env={"FAULTY_SHUTDOWN_GRACE": "0.5"}
    )
    try:
        peer.initialize()
        yield peer
    finally:
        peer.kill()
