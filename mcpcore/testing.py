"""Testing helpers, and the pytest plugin that pytest loads from the ``pytest11`` entry point.

The way to unit-test a server is to connect a client to it in process::

    async def test_add(mcp_client):
        async with mcp_client(server) as client:
            result = await client.call_tool("add", {"a": 1, "b": 2})
        assert result["structuredContent"] == {"result": 3}

``mcp_client(server, **options)`` is :class:`~mcpcore.Client` with the
server as its target (every ``Client`` option applies: ``mode="legacy"``,
``sampling=...``, ...). No subprocess, pipe, socket or thread is involved,
yet every message crosses the real router, inbound contract and session
code, in either protocol era. Async tests need an async test runner
(pytest-asyncio, anyio's plugin), or run the body with :func:`asyncio.run`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

import pytest

if TYPE_CHECKING:
    from mcpcore.client import Client
    from mcpcore.server import Server

__all__ = ["ClientFactory", "mcp_client"]


class ClientFactory(Protocol):
    """``mcp_client(server, **client_options)``: an in-process :class:`~mcpcore.Client`."""

    def __call__(self, server: Server, /, **options: Any) -> Client: ...


def _connect(server: Server, /, **options: Any) -> Client:
    from mcpcore.client import Client

    return Client(server, **options)


@pytest.fixture
def mcp_client() -> ClientFactory:
    """A factory of in-process clients: ``async with mcp_client(server) as client: ...``."""
    return _connect
