"""A replica killed mid-request loses no acknowledged event: the client resumes on another replica.

Three replicas behind haproxy share a real Redis. A legacy client's tool call
streams progress events (each stored in Redis before it is sent) from one
replica; that replica is SIGKILLed mid-call. The client reconnects through the
balancer with ``Last-Event-ID``, lands on a live replica, and gets every event
it had not yet seen.
"""

from __future__ import annotations

import http.client
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import orjson
import pytest

from tests.cluster.harness import Cluster

VERSION = "2025-06-18"
STEPS = 3


@pytest.fixture
def cluster(loop_name: str, redis_url: str) -> Iterator[Cluster]:
    with Cluster(3, redis_url=redis_url, loop=loop_name, app="tests.servers.stalling:server") as running:
        yield running


def _events(response: http.client.HTTPResponse, count: int) -> list[tuple[str, dict[str, Any]]]:
    """The next ``count`` SSE events that carry a message, as (event id, message)."""
    events: list[tuple[str, dict[str, Any]]] = []
    event_id = ""
    while len(events) < count:
        line = response.readline()
        assert line, f"the stream ended after {events}"
        if line.startswith(b"id:"):
            event_id = line[3:].strip().decode()
        elif line.startswith(b"data:") and line[5:].strip():
            events.append((event_id, orjson.loads(line[5:])))
    return events


def test_a_client_resumes_on_another_replica_after_the_one_streaming_dies(cluster: Cluster) -> None:
    parts = urlsplit(cluster.url)
    headers = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}
    connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=30)
    init = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {
            "protocolVersion": VERSION,
            "capabilities": {},
            "clientInfo": {"name": "t", "version": "0"},
        },
    }
    connection.request("POST", parts.path, body=orjson.dumps(init), headers=headers)
    opened = connection.getresponse()
    opened.read()
    session = opened.getheader("Mcp-Session-Id")
    assert opened.status == 200 and session
    headers = {**headers, "Mcp-Session-Id": session, "MCP-Protocol-Version": VERSION}
    connection.request(
        "POST", parts.path, body=b'{"jsonrpc":"2.0","method":"notifications/initialized"}', headers=headers
    )
    connection.getresponse().read()

    call = {
        "jsonrpc": "2.0",
        "id": 2,
        "method": "tools/call",
        "params": {"name": "stall", "arguments": {"steps": STEPS}, "_meta": {"progressToken": "p"}},
    }
    streaming = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=30)
    streaming.request("POST", parts.path, body=orjson.dumps(call), headers=headers)
    stream = streaming.getresponse()
    assert stream.status == 200
    first, *missed = _events(stream, STEPS)
    assert all(message["method"] == "notifications/progress" for _, message in [first, *missed])
    assert all(event_id for event_id, _ in [first, *missed])  # every event was stored, so it has an id

    cluster.kill_replica(int(stream.getheader("X-Replica", "r?")[1:]))
    streaming.close()

    # The client saw only the first event; it resumes after it, wherever the balancer sends it.
    resume = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=30)
    get_headers = {
        "Accept": "text/event-stream",
        "Mcp-Session-Id": session,
        "MCP-Protocol-Version": VERSION,
        "Last-Event-ID": first[0],
    }
    resume.request("GET", parts.path, headers=get_headers)
    replay = resume.getresponse()
    assert replay.status == 200, replay.read()
    assert replay.getheader("X-Replica") != stream.getheader("X-Replica")
    assert _events(replay, len(missed)) == missed
    resume.close()
