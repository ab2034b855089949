"""The backlog of a saturated connection: cancellable while it waits, answered at shutdown.

Driven through the real router over an in-memory sink: the connection is
sans-I/O above the transport, so frames in and frames out are the whole
contract. ``max_in_flight=1`` makes the second request wait in the backlog.
"""

from __future__ import annotations

import asyncio
import contextvars
from typing import Any

import orjson
import pytest

from mcpcore import Server
from mcpcore.errors import CONNECTION_CLOSED, RequestTimeoutError
from mcpcore.loop import run as run_loop
from mcpcore.router import Connection


class _Sink:
    def __init__(self) -> None:
        self.frames: list[Any] = []
        self.arrived = asyncio.Event()

    def write(self, data: bytes) -> None:
        self.frames.append(orjson.loads(data))
        self.arrived.set()

    async def answer_to(self, request_id: Any) -> dict[str, Any]:
        async def wait() -> dict[str, Any]:
            while True:
                for frame in self.frames:
                    if frame.get("id") == request_id and "method" not in frame:
                        return dict(frame)
                self.arrived.clear()
                await self.arrived.wait()

        return await asyncio.wait_for(wait(), 10)

    def answered(self, request_id: Any) -> bool:
        return any(frame.get("id") == request_id and "method" not in frame for frame in self.frames)


def _gated_server() -> tuple[Server, asyncio.Event]:
    gate = asyncio.Event()
    server = Server("backlog", max_in_flight=1, shutdown_grace=0.0)

    @server.tool()
    async def wait() -> str:
        await gate.wait()
        return "done"

    return server, gate


def _send(connection: Connection, message: dict[str, Any]) -> None:
    connection.receive_frame(orjson.dumps({"jsonrpc": "2.0", **message}))


def _initialize(connection: Connection, sink: _Sink) -> None:
    params = {
        "protocolVersion": "2025-11-25",
        "capabilities": {},
        "clientInfo": {"name": "t", "version": "0"},
    }
    _send(connection, {"id": "init", "method": "initialize", "params": params})
    _send(connection, {"method": "notifications/initialized"})
    assert sink.answered("init")


def test_cancelling_a_backlogged_request_removes_it(loop_name: str) -> None:
    async def scenario() -> None:
        server, gate = _gated_server()
        sink = _Sink()
        connection = server.connect(sink)
        _initialize(connection, sink)
        _send(connection, {"id": 1, "method": "tools/call", "params": {"name": "wait"}})
        _send(connection, {"id": 2, "method": "tools/call", "params": {"name": "wait"}})
        _send(connection, {"method": "notifications/cancelled", "params": {"requestId": 2}})
        gate.set()
        assert (await sink.answer_to(1))["result"]["content"][0]["text"] == "done"
        _send(connection, {"id": 3, "method": "ping"})
        assert (await sink.answer_to(3))["result"] == {}
        assert not sink.answered(2)  # cancelled before it ran: it never runs and is never answered
        assert connection.in_flight == 0

    run_loop(scenario(), loop=loop_name)  # type: ignore[arg-type]


def test_shutdown_answers_every_backlogged_request(loop_name: str) -> None:
    async def scenario() -> None:
        server, _gate = _gated_server()
        sink = _Sink()
        connection = server.connect(sink)
        _initialize(connection, sink)
        _send(connection, {"id": 1, "method": "tools/call", "params": {"name": "wait"}})
        for request_id in (2, "three", 4):
            _send(connection, {"id": request_id, "method": "tools/call", "params": {"name": "wait"}})
        await connection.shutdown(0.0)
        for request_id in (2, "three", 4):
            error = (await sink.answer_to(request_id))["error"]
            assert error["code"] == CONNECTION_CLOSED
            assert "shutting down" in error["message"]
        assert not sink.answered(1)  # it was running and was cancelled: no response, as for any cancel

    run_loop(scenario(), loop=loop_name)  # type: ignore[arg-type]


def test_a_cancellation_for_our_request_goes_to_the_responder_that_carried_it(loop_name: str) -> None:
    """An outgoing request made on behalf of a POST is cancelled on that POST's stream, not the sink."""

    class Route:
        def __init__(self) -> None:
            self.messages: list[Any] = []
            self.replies: list[Any] = []

        def message(self, frame: bytes) -> None:
            self.messages.append(orjson.loads(frame))

        def reply(self, frame: bytes | None, error: object) -> None:
            self.replies.append(frame)

    async def scenario() -> None:
        server = Server("route")
        sink = _Sink()
        connection = server.connect(sink)
        route = Route()
        with pytest.raises(RequestTimeoutError):  # nobody answers: the deadline is the only way out
            await connection.request("roots/list", None, timeout=0.01, responder=route)
        sent, cancel = route.messages
        assert sent["method"] == "roots/list"
        assert cancel["method"] == "notifications/cancelled"
        assert cancel["params"]["requestId"] == sent["id"]
        assert sink.frames == []

    run_loop(scenario(), loop=loop_name)  # type: ignore[arg-type]


def test_a_request_cancelled_before_its_task_ran_still_leaves_the_in_flight_table(loop_name: str) -> None:
    """Request and cancellation in one read: the task never runs its code, yet the slot is freed.

    With ``max_in_flight=1`` a leaked slot would hold the next request in the backlog for ever.
    """

    async def scenario() -> None:
        server, gate = _gated_server()
        sink = _Sink()
        connection = server.connect(sink)
        _initialize(connection, sink)
        frames = [
            orjson.dumps({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "wait"}}),
            orjson.dumps({"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": 1}}),
            orjson.dumps({"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "wait"}}),
        ]
        connection.receive_frames(frames)  # one chunk: 1 starts, is cancelled at once; 2 waits for room
        gate.set()
        assert (await sink.answer_to(2))["result"]["content"][0]["text"] == "done"
        assert not sink.answered(1)
        assert connection.in_flight == 0

    run_loop(scenario(), loop=loop_name)  # type: ignore[arg-type]


def test_a_request_from_the_backlog_does_not_see_the_context_variables_of_the_one_before(
    loop_name: str,
) -> None:
    """Room made by an ending request is used outside that request's task and its context variables."""
    seen: list[str | None] = []
    request_tag: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_tag", default=None)

    async def scenario() -> None:
        server = Server("isolation", max_in_flight=1, shutdown_grace=0.0)
        gate = asyncio.Event()

        @server.tool()
        async def tag(name: str) -> str:
            seen.append(request_tag.get())
            request_tag.set(name)
            await gate.wait()
            return name

        sink = _Sink()
        connection = server.connect(sink)
        _initialize(connection, sink)
        for request_id in (1, 2):
            params = {"name": "tag", "arguments": {"name": f"r{request_id}"}}
            _send(connection, {"id": request_id, "method": "tools/call", "params": params})
        gate.set()
        assert (await sink.answer_to(2))["result"]["content"][0]["text"] == "r2"

    run_loop(scenario(), loop=loop_name)  # type: ignore[arg-type]
    assert seen == [None, None]
