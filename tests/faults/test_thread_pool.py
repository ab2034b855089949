"""A server's worker threads are bounded, and tools hung past their timeout cannot starve them silently.

The server (tests/servers/hung_threads.py) runs in a real subprocess over real
pipes with ``max_threads=2``. Two ``block`` calls pass their timeout and keep
their threads; from then on a thread-tool call is answered at once with an
``isError`` result that says why, while async tools and ping carry on.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from mcpcore.errors import INTERNAL_ERROR
from tests.helpers import StdioPeer

SHORT = 3.0  # seconds: a deadline for answers that come at once when things work
REFUSAL = "all 2 worker threads are held by tool calls that passed their timeout; try again later"


@pytest.fixture
def hung(loop_name: str) -> Iterator[StdioPeer]:
    peer = StdioPeer.spawn(["-m", "tests.servers.hung_threads"], loop=loop_name)
    try:
        peer.initialize()
        yield peer
    finally:
        peer.kill()


def _hang_every_thread(peer: StdioPeer) -> None:
    first = peer.send_request("tools/call", {"name": "block", "arguments": {}})
    second = peer.send_request("tools/call", {"name": "block", "arguments": {}})
    for request_id in (first, second):
        assert peer.response(request_id)["result"] == {
            "content": [{"type": "text", "text": "Error in tool block: timed out after 1.0 s"}],
            "isError": True,
        }


def test_a_thread_tool_is_refused_at_once_when_every_thread_is_hung(hung: StdioPeer) -> None:
    assert hung.call("quick", {"value": 1})["result"]["structuredContent"] == {"result": 1}
    _hang_every_thread(hung)

    refused = hung.send_request("tools/call", {"name": "quick", "arguments": {"value": 2}})
    # "At once": answered while both threads are still blocked, not queued behind them.
    assert hung.response(refused, timeout=SHORT)["result"] == {
        "content": [{"type": "text", "text": f"Error in tool quick: {REFUSAL}"}],
        "isError": True,
    }
    assert hung.result("ping") == {}
    assert hung.call("echo_async", {"value": 3})["result"]["structuredContent"] == {"result": 3}

    assert hung.call("release")["result"]["structuredContent"] == {"result": 0}
    assert hung.call("quick", {"value": 4})["result"]["structuredContent"] == {"result": 4}
    assert hung.call("block")["result"]["content"][0]["text"] == "released"


def test_a_thread_resource_is_refused_with_an_error_when_every_thread_is_hung(hung: StdioPeer) -> None:
    _hang_every_thread(hung)
    reply = hung.request("resources/read", {"uri": "mem://thread"})
    assert reply["error"] == {"code": INTERNAL_ERROR, "message": f"Internal error: {REFUSAL}"}

    hung.call("release")
    contents = hung.result("resources/read", {"uri": "mem://thread"})["contents"]
    assert contents[0]["text"] == "from a thread"


def test_one_hung_thread_leaves_the_other_serving(hung: StdioPeer) -> None:
    blocked = hung.send_request("tools/call", {"name": "block", "arguments": {}})
    assert hung.response(blocked)["result"]["isError"] is True
    for value in range(5):  # more calls than threads: each one gets the thread that is not hung
        assert hung.call("quick", {"value": value})["result"]["structuredContent"] == {"result": value}
    hung.call("release")
