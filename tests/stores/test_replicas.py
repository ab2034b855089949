"""Two real replicas (separate processes on loopback ports) sharing one real Redis.

What a fleet behind a round-robin balancer needs from the event store and the
subscription bus: a legacy stream written on replica A is resumed with
``Last-Event-ID`` on replica B, and only by its own session; a change made on
A reaches a 2026-07-28 ``subscriptions/listen`` stream held on B. Every test
runs on uvloop and asyncio (the replicas' loop).
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import orjson
import pytest

from mcpcore.loop import run as run_loop
from mcpcore.wire.sse import EventParser
from tests.redis_server import free_port
from tests.transport.http_peer import (
    Peer,
    legacy_headers,
    modern_headers,
    modern_request,
    open_session,
)


class Replica:
    """One ``tests.servers.replica`` process on its own port."""

    def __init__(self, redis_url: str, loop_name: str) -> None:
        self.port = free_port()
        env = {**os.environ, "MCPCORE_LOOP": loop_name}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.servers.replica", redis_url, str(self.port)],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )

    def wait_ready(self) -> None:
        deadline = time.monotonic() + 30
        while True:
            assert self.process.poll() is None, (
                self.process.stderr.read().decode() if self.process.stderr else ""
            )
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                assert time.monotonic() < deadline, "the replica never listened"
                time.sleep(0.05)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:  # pragma: no cover - a stuck replica
            self.process.kill()
            self.process.wait()
        if self.process.stderr is not None:
            self.process.stderr.close()


@pytest.fixture
def replicas(redis_url: str, loop_name: str) -> Iterator[tuple[Replica, Replica]]:
    pair = (Replica(redis_url, loop_name), Replica(redis_url, loop_name))
    try:
        for replica in pair:
            replica.wait_ready()
        yield pair
    finally:
        for replica in pair:
            replica.stop()


def _call(request_id: int, name: str, arguments: dict[str, Any], token: Any = None) -> dict[str, Any]:
    params: dict[str, Any] = {"name": name, "arguments": arguments}
    if token is not None:
        params["_meta"] = {"progressToken": token}
    return {"jsonrpc": "2.0", "id": request_id, "method": "tools/call", "params": params}


def test_a_stream_written_on_one_replica_is_resumed_on_another(
    replicas: tuple[Replica, Replica], loop_name: str
) -> None:
    replica_a, replica_b = replicas

    async def scenario() -> None:
        on_a = await Peer.connect(replica_a.port)
        session_id = await open_session(on_a)
        response = await on_a.request(
            "POST", _call(7, "chatty", {"steps": 3}, "tok"), legacy_headers(session_id)
        )
        assert response.status == 200
        events = [event for event in response.events() if event.data]
        assert [orjson.loads(e.data).get("method") for e in events] == [
            "notifications/progress",
            "notifications/progress",
            "notifications/progress",
            None,
        ]
        assert all(event.id for event in events)
        # The client saw only the first progress event, then lost the stream; it resumes on B.
        on_b = await Peer.connect(replica_b.port)
        resume = {**legacy_headers(session_id), "Accept": "text/event-stream", "Last-Event-ID": events[0].id}
        resumed = await on_b.request("GET", None, resume)
        assert (resumed.status, resumed.headers["content-type"]) == (200, "text/event-stream")
        replayed = [event for event in resumed.events() if event.data]
        assert [event.id for event in replayed] == [event.id for event in events[1:]]
        messages = [orjson.loads(event.data) for event in replayed]
        assert [m["params"]["progress"] for m in messages[:2]] == [2, 3]
        assert messages[2]["id"] == 7 and messages[2]["result"]["structuredContent"] == {"result": 3}
        # Another session, though it exists, cannot replay this stream on any replica.
        other_session = await open_session(on_a)
        for port in (replica_a.port, replica_b.port):
            peer = await Peer.connect(port)
            stolen = await peer.request("GET", None, {**resume, "Mcp-Session-Id": other_session})
            assert stolen.status == 404
            peer.close()
        unknown = await on_b.request("GET", None, {**resume, "Last-Event-ID": f"{session_id}post00_1-0"})
        assert unknown.status == 404
        on_a.close()
        on_b.close()

    run_loop(asyncio.wait_for(scenario(), 60), loop=loop_name)  # type: ignore[arg-type]


def test_a_change_on_one_replica_reaches_a_listen_stream_on_another(
    replicas: tuple[Replica, Replica], loop_name: str
) -> None:
    replica_a, replica_b = replicas

    async def scenario() -> None:
        listener = await Peer.connect(replica_b.port)
        listen = modern_request(
            1,
            "subscriptions/listen",
            {"notifications": {"toolsListChanged": True, "resourceSubscriptions": ["demo://item"]}},
        )
        listener.send_raw(listener.request_bytes("POST", listen, modern_headers("subscriptions/listen")))
        status, headers = await listener.read_head()
        assert (status, headers["content-type"]) == (200, "text/event-stream")
        parser = EventParser()
        (ack,) = await listener.read_events(parser, 1)
        assert orjson.loads(ack.data)["method"] == "notifications/subscriptions/acknowledged"
        on_a = await Peer.connect(replica_a.port)
        call = modern_request(2, "tools/call", {"name": "touch", "arguments": {"uri": "demo://item"}})
        answer = await on_a.request("POST", call, modern_headers("tools/call", "touch"))
        assert answer.status == 200
        assert answer.json()["result"]["structuredContent"] == {"result": "touched"}
        heard = [orjson.loads(event.data) for event in await listener.read_events(parser, 2)]
        assert [(m["method"], m.get("params", {}).get("uri")) for m in heard] == [
            ("notifications/resources/updated", "demo://item"),
            ("notifications/tools/list_changed", None),
        ]
        assert all(m["params"]["_meta"]["io.modelcontextprotocol/subscriptionId"] == 1 for m in heard)
        listener.close()
        on_a.close()

    run_loop(asyncio.wait_for(scenario(), 60), loop=loop_name)  # type: ignore[arg-type]


def test_a_change_on_one_replica_reaches_a_legacy_session_on_another(
    replicas: tuple[Replica, Replica], loop_name: str
) -> None:
    replica_a, replica_b = replicas

    async def scenario() -> None:
        control = await Peer.connect(replica_b.port)
        session_id = await open_session(control)
        subscribe = {
            "jsonrpc": "2.0",
            "id": 2,
            "method": "resources/subscribe",
            "params": {"uri": "demo://item"},
        }
        assert (await control.request("POST", subscribe, legacy_headers(session_id))).status == 200
        stream = await Peer.connect(replica_b.port)
        stream.send_raw(
            stream.request_bytes("GET", None, {**legacy_headers(session_id), "Accept": "text/event-stream"})
        )
        status, _ = await stream.read_head()
        assert status == 200
        on_a = await Peer.connect(replica_a.port)
        call = modern_request(3, "tools/call", {"name": "touch", "arguments": {"uri": "demo://item"}})
        assert (await on_a.request("POST", call, modern_headers("tools/call", "touch"))).status == 200
        heard = [orjson.loads(event.data) for event in await stream.read_events(EventParser(), 2)]
        assert [(m["method"], m.get("params", {}).get("uri")) for m in heard] == [
            ("notifications/resources/updated", "demo://item"),
            ("notifications/tools/list_changed", None),
        ]
        for peer in (control, stream, on_a):
            peer.close()

    run_loop(asyncio.wait_for(scenario(), 60), loop=loop_name)  # type: ignore[arg-type]
