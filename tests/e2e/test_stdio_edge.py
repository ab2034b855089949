"""Corner cases over real pipes: stray stdout writes, raising tools, typed arguments, content returns."""

from __future__ import annotations

import signal
from collections.abc import Iterator

import pytest

from tests.helpers import StdioPeer, modern_meta


@pytest.fixture
def edge(loop_name: str) -> Iterator[StdioPeer]:
    peer = StdioPeer.spawn(["-m", "tests.servers.edge"], loop=loop_name)
    try:
        peer.initialize()
        yield peer
    finally:
        peer.kill()


def test_print_and_fd1_writes_never_reach_the_protocol_stream(edge: StdioPeer) -> None:
    result = edge.call("chatty", {"message": "hello"})["result"]
    assert result["content"][0]["text"] == "hello"
    assert edge.result("ping") == {}  # the next line is a frame, not the tool's print
    edge.close_stdin()
    assert edge.wait() == 0
    assert b"print() from a tool: hello" in edge.stderr
    assert b"raw write to fd 1" in edge.stderr


def test_exception_becomes_an_error_result_with_its_message(edge: StdioPeer) -> None:
    result = edge.call("boom", {"reason": "disk on fire"})["result"]
    assert result == {
        "content": [{"type": "text", "text": "Error in tool boom: RuntimeError: disk on fire"}],
        "isError": True,
    }


def test_rpc_error_from_a_tool_goes_on_the_wire_as_raised(edge: StdioPeer) -> None:
    reply = edge.call("refuse")
    assert reply["error"] == {"code": -32099, "message": "refused on purpose", "data": {"why": "test"}}


def test_enum_dataclass_and_literal_arguments_are_converted(edge: StdioPeer) -> None:
    result = edge.call("describe", {"colour": "green", "point": {"x": 1.5, "y": -2}, "mode": "long"})[
        "result"
    ]
    assert result["structuredContent"] == {
        "colour": "green",
        "x": 1.5,
        "y": -2,
        "mode": "long",
        "types": ["Colour", "Point"],
    }
    rejected = edge.call("describe", {"colour": "blue", "point": {"x": 1, "y": 2}})["result"]
    assert rejected["isError"] and "'blue' is not one of" in rejected["content"][0]["text"]


def test_content_blocks_are_returned_as_given(edge: StdioPeer) -> None:
    result = edge.call("picture")["result"]
    assert result["content"] == [
        {"type": "text", "text": "a picture"},
        {"type": "image", "data": "iVBORw==", "mimeType": "image/png"},
    ]
    assert "structuredContent" not in result


def test_explicit_tool_result(edge: StdioPeer) -> None:
    assert edge.call("explicit")["result"] == {
        "content": [{"type": "text", "text": "custom failure"}],
        "isError": True,
    }


def test_output_that_breaks_the_output_schema_is_an_error_result(edge: StdioPeer) -> None:
    result = edge.call("liar")["result"]
    assert result["isError"] is True
    assert "outputSchema" in result["content"][0]["text"]


def test_blocking_sync_tool_runs_in_a_thread(edge: StdioPeer) -> None:
    blocked = edge.send_request("tools/call", {"name": "wait_for_gate", "arguments": {}})
    # If the blocking tool ran on the loop, release_gate could never run: the test would hit its deadline.
    assert edge.call("release_gate")["result"]["content"][0]["text"] == "released"
    assert edge.response(blocked)["result"]["content"][0]["text"] == "gate opened"


def test_context_reports_the_request(edge: StdioPeer) -> None:
    legacy = edge.request("tools/call", {"name": "meta_echo", "arguments": {}, "_meta": {"progressToken": 7}})
    assert legacy["result"]["structuredContent"] == {
        "request_id": legacy["id"],
        "version": "2025-11-25",
        "capabilities": {},
        "client": {"name": "t", "version": "0"},
        "progress_token": 7,
    }
    modern = edge.call("meta_echo", _meta=modern_meta({"roots": {}}))["result"]["structuredContent"]
    assert modern["version"] == "2026-07-28"
    assert modern["capabilities"] == {"roots": {}}
    assert modern["client"] == {"name": "tests", "version": "0"}


@pytest.mark.parametrize("tool", ["overrun", "overrun_in_thread"])
def test_a_tool_past_its_timeout_is_an_error_result(edge: StdioPeer, tool: str) -> None:
    result = edge.call(tool)["result"]
    assert result == {
        "content": [{"type": "text", "text": f"Error in tool {tool}: timed out after 0.2 s"}],
        "isError": True,
    }
    assert edge.result("ping") == {}


def test_a_tool_raising_timeout_error_is_not_mistaken_for_a_timeout(edge: StdioPeer) -> None:
    text = edge.call("raises_timeout_error")["result"]["content"][0]["text"]
    assert text == "Error in tool raises_timeout_error: TimeoutError: upstream took too long"


def test_shutdown_cancels_what_outlives_the_grace_period(loop_name: str) -> None:
    peer = StdioPeer.spawn(["-c", _SHORT_GRACE], loop=loop_name)
    try:
        peer.initialize()
        hung = peer.send_request("tools/call", {"name": "hang", "arguments": {}})
        assert peer.result("ping") == {}
        peer.process.send_signal(signal.SIGTERM)
        assert peer.wait() == 0
        assert peer.recv_line() is None  # the cancelled request got no response
        assert hung not in peer.stash
    finally:
        peer.kill()


_SHORT_GRACE = """
from tests.servers.edge import server
server.shutdown_grace = 0.2
server.run()
"""
