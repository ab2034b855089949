"""The official Python SDK client, legacy mode, through haproxy round-robin over 3 replicas and Redis.

Its session (handshake, GET stream, DELETE on exit), a log level it sets, and
an elicitation answered from its callback all cross replicas.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

pytest.importorskip("mcp")

import anyio
import mcp_types as types
from mcp import Client

from tests.cluster.harness import Cluster

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def cluster(loop_name: str, redis_url: str) -> Iterator[Cluster]:
    with Cluster(3, redis_url=redis_url, loop=loop_name) as running:
        yield running


def test_the_sdk_client_in_legacy_mode_works_through_the_balancer(cluster: Cluster) -> None:
    async def body() -> None:
        logs: list[Any] = []

        async def on_log(params: types.LoggingMessageNotificationParams) -> None:
            logs.append(params.data)

        async def on_elicit(context: Any, params: Any) -> types.ElicitResult:
            answer = {"username": "ada", "email": "ada@example.com"}
            return types.ElicitResult(action="accept", content=answer)

        async with Client(
            cluster.url,
            mode="legacy",
            read_timeout_seconds=20,
            logging_callback=on_log,
            log_level="info",
            elicitation_callback=on_elicit,
        ) as client:
            listing = await client.list_tools()
            assert "test_simple_text" in [tool.name for tool in listing.tools]
            for _ in range(3):  # every replica in turn
                called = await client.call_tool("test_simple_text", {})
                assert not called.is_error
                elicited = await client.call_tool("test_elicitation", {"message": "Who are you?"})
                first = elicited.content[0]
                assert isinstance(first, types.TextContent)
                assert "accept" in first.text and "ada" in first.text
            logged = await client.call_tool("test_tool_with_logging", {})
            assert not logged.is_error
            with anyio.fail_after(10):
                while len(logs) < 3:
                    await anyio.sleep(0.01)
            assert logs == ["Tool execution started", "Tool processing data", "Tool execution completed"]

    anyio.run(body)
