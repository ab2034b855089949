"""Replicas behind a real haproxy in plain round-robin: what needs no shared store already works.

One keep-alive client's requests reach every replica in turn (the balancer
tags each answer with ``X-Replica``), and a 2026-07-28 multi-round-trip call
completes even though its retry lands on another replica than its first
attempt, because the replicas share the ``requestState`` key.
"""

from __future__ import annotations

import http.client
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import orjson
import pytest

from tests.cluster.harness import Cluster
from tests.helpers import modern_meta

TOOL = "test_input_required_result_request_state"


@pytest.fixture
def cluster(loop_name: str) -> Iterator[Cluster]:
    with Cluster(3, loop=loop_name) as running:
        yield running


class KeepAliveClient:
    """One HTTP/1.1 connection to the balancer, reused for every request."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.path = parts.path
        self.connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=30)
        self.next_id = 0

    def post(self, method: str, params: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        """The replica that answered, and the JSON-RPC response."""
        self.next_id += 1
        body = orjson.dumps({"jsonrpc": "2.0", "id": self.next_id, "method": method, "params": params})
        headers = {
            "Content-Type": "application/json",
            "Accept": "application/json, text/event-stream",
            "MCP-Protocol-Version": "2026-07-28",
            "Mcp-Method": method,
        }
        if method == "tools/call":
            headers["Mcp-Name"] = params["name"]
        self.connection.request("POST", self.path, body=body, headers=headers)
        response = self.connection.getresponse()
        payload = response.read()
        assert response.status == 200, payload
        if response.getheader("Content-Type", "").startswith("text/event-stream"):
            payload = next(line[5:] for line in payload.splitlines() if line.startswith(b"data:"))
        return response.getheader("X-Replica", ""), orjson.loads(payload)

    def close(self) -> None:
        self.connection.close()


def test_one_keep_alive_client_is_spread_over_every_replica(cluster: Cluster) -> None:
    client = KeepAliveClient(cluster.url)
    try:
        served_by = [client.post("tools/list", {"_meta": modern_meta()})[0] for _ in range(6)]
    finally:
        client.close()
    assert set(served_by) == {"r0", "r1", "r2"}


def test_a_multi_round_trip_call_completes_across_replicas(cluster: Cluster) -> None:
    client = KeepAliveClient(cluster.url)
    meta = modern_meta({"elicitation": {}})
    answer = {"confirm": {"action": "accept", "content": {"ok": True}}}
    try:
        for _ in range(3):
            first_replica, first = client.post("tools/call", {"name": TOOL, "arguments": {}, "_meta": meta})
            state = first["result"]["requestState"]
            params = {
                "name": TOOL,
                "arguments": {},
                "_meta": meta,
                "inputResponses": answer,
                "requestState": state,
            }
            retry_replica, done = client.post("tools/call", params)
            assert retry_replica != first_replica  # round-robin: the retry went elsewhere
            assert "state-ok" in done["result"]["content"][0]["text"]
    finally:
        client.close()
