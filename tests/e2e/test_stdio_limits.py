"""The in-flight bound, over real pipes: requests wait, cancellations and pings-after-room get through."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.helpers import StdioPeer


@pytest.fixture
def bounded(loop_name: str) -> Iterator[StdioPeer]:
    """The edge server with at most two requests in flight."""
    peer = StdioPeer.spawn(["-m", "tests.servers.edge"], loop=loop_name, env={"EDGE_MAX_IN_FLIGHT": "2"})
    try:
        peer.initialize()
        yield peer
    finally:
        peer.kill()


def test_requests_beyond_the_bound_wait_for_room(bounded: StdioPeer) -> None:
    first = bounded.send_request("tools/call", {"name": "sleep_briefly", "arguments": {}})
    second = bounded.send_request("tools/call", {"name": "sleep_briefly", "arguments": {}})
    ping = bounded.send_request("ping")
    # Without the bound the ping would be answered at once, long before either sleep ends.
    order = [bounded.recv()["id"] for _ in range(3)]
    assert order.index(ping) > min(order.index(first), order.index(second))


def test_cancellation_gets_through_while_requests_wait(bounded: StdioPeer) -> None:
    hang1 = bounded.send_request("tools/call", {"name": "hang", "arguments": {}})
    hang2 = bounded.send_request("tools/call", {"name": "hang", "arguments": {}})
    ping = bounded.send_request("ping")  # held: two handlers already run
    bounded.notify("notifications/cancelled", {"requestId": hang1})
    assert bounded.recv() == {"jsonrpc": "2.0", "id": ping, "result": {}}
    bounded.notify("notifications/cancelled", {"requestId": hang2})
    final = bounded.send_request("ping")
    assert bounded.recv()["id"] == final  # nothing was ever sent for the cancelled hangs


def test_a_batch_larger_than_the_in_flight_bound_is_refused(loop_name: str) -> None:
    peer = StdioPeer.spawn(["-m", "tests.servers.edge"], loop=loop_name, env={"EDGE_MAX_IN_FLIGHT": "2"})
    try:
        peer.initialize("2025-03-26")
        peer.send([{"jsonrpc": "2.0", "id": i, "method": "ping"} for i in range(3)])
        reply = peer.recv()
        assert reply["id"] is None and reply["error"]["code"] == -32600
        assert "exceeds max_in_flight" in reply["error"]["message"]
        peer.send([{"jsonrpc": "2.0", "id": i, "method": "ping"} for i in range(2)])
        assert sorted(r["id"] for r in peer.recv()) == [0, 1]
    finally:
        peer.kill()
