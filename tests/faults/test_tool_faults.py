"""Tools that raise, hang, ignore cancellation or return what the wire cannot carry.

Each fault is confined to its own request: the request is answered (or, when
cancelled, deliberately not) and the connection keeps serving.
"""

from __future__ import annotations

import queue
import signal

import pytest

from tests.helpers import StdioPeer

SHORT = 3.0  # seconds: a deadline for answers that come at once when things work


def _still_serving(peer: StdioPeer) -> None:
    assert peer.result("ping", None) == {}
    assert peer.call("echo", {"value": 41})["result"]["structuredContent"] == {"result": 41}


def test_a_raising_tool_is_an_error_result_and_the_server_keeps_serving(faulty: StdioPeer) -> None:
    result = faulty.call("raises", {"reason": "disk on fire"})["result"]
    assert result["isError"] is True
    assert "disk on fire" in result["content"][0]["text"]
    assert "Traceback" not in str(result)  # the peer gets the message, never the stack
    _still_serving(faulty)


def test_a_hanging_async_tool_is_cancelled_and_never_answered(faulty: StdioPeer) -> None:
    hung = faulty.send_request("tools/call", {"name": "hang_async", "arguments": {}})
    _still_serving(faulty)  # the read path never waits on a handler
    faulty.notify("notifications/cancelled", {"requestId": hung, "reason": "test"})
    _still_serving(faulty)
    faulty.close_stdin()
    assert faulty.wait() == 0
    assert faulty.recv_line() is None and hung not in faulty.stash


def test_a_tool_blocking_a_thread_does_not_block_the_loop(faulty: StdioPeer) -> None:
    blocked = faulty.send_request("tools/call", {"name": "hang_thread", "arguments": {}})
    _still_serving(faulty)
    assert faulty.call("release")["result"]["content"][0]["text"] == "ok"
    assert faulty.response(blocked)["result"]["content"][0]["text"] == "released"


def test_a_handler_that_swallows_cancellation_still_gets_no_response(faulty: StdioPeer) -> None:
    deaf = faulty.send_request("tools/call", {"name": "deaf", "arguments": {"seconds": 0.2}})
    _still_serving(faulty)
    faulty.notify("notifications/cancelled", {"requestId": deaf})
    # The handler finishes anyway ~0.4 s later; its answer must be dropped. A later request's answer
    # arriving after that point proves the dropped one would have been seen first.
    later = faulty.send_request("tools/call", {"name": "slow", "arguments": {"seconds": 0.6, "value": 7}})
    assert faulty.response(later)["result"]["structuredContent"] == {"result": 7}
    assert deaf not in faulty.stash
    _still_serving(faulty)


@pytest.mark.parametrize("tool", ["not_a_result", "deep_result"])
def test_a_result_that_cannot_be_serialized_is_an_error_answer(faulty: StdioPeer, tool: str) -> None:
    reply = faulty.call(tool)
    assert "error" in reply or reply["result"].get("isError") is True
    assert "Traceback" not in str(reply)
    _still_serving(faulty)


@pytest.mark.parametrize(
    "tool", ["huge_int", "unserializable_content_inline", "unserializable_content_async"]
)
def test_a_result_the_encoder_refuses_is_answered_and_the_connection_survives(
    faulty: StdioPeer, tool: str
) -> None:
    request_id = faulty.send_request("tools/call", {"name": tool, "arguments": {}})
    try:
        reply = faulty.response(request_id, timeout=SHORT)
    except (queue.Empty, EOFError):
        pytest.fail(f"{tool}: no answer within {SHORT} s")
    assert "error" in reply or reply["result"].get("isError") is True
    _still_serving(faulty)


def test_sigterm_ends_the_process_even_if_a_handler_swallows_cancellation(faulty: StdioPeer) -> None:
    faulty.send_request("tools/call", {"name": "deaf_forever", "arguments": {}})
    _still_serving(faulty)
    faulty.process.send_signal(signal.SIGTERM)
    assert faulty.wait(timeout=SHORT) == 0


def test_sigterm_ends_the_process_even_if_a_tool_thread_is_blocked(faulty: StdioPeer) -> None:
    faulty.send_request("tools/call", {"name": "hang_thread", "arguments": {}})
    _still_serving(faulty)
    faulty.process.send_signal(signal.SIGTERM)
    assert faulty.wait(timeout=SHORT) == 0
