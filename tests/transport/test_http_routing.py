"""Per-POST routing and resumability over real loopback sockets, on uvloop and asyncio.

Every message a request causes (progress, its result) must travel on the POST
that carried the request, even when the request waited in the router's
backlog and was started from another request's completion; a legacy SSE
stream dropped mid-request can be resumed with ``Last-Event-ID`` through the
event store, both after the handler finished (replay) and while it still runs
(the live stream continues on the GET).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
import pytest

from mcpcore import Context, Server
from mcpcore.loop import run as run_loop
from mcpcore.stores.events import EventStore
from mcpcore.transport.http import HttpServer, start_http
from mcpcore.transport.streamable import HttpOptions, InMemoryEventStore
from mcpcore.wire.sse import Event, EventParser
from tests.transport.http_peer import DEADLINE, AwaitingStore, Peer, legacy_headers, open_session


def _serve(
    loop_name: str, server: Server, body: Callable[[HttpServer], Awaitable[None]], options: HttpOptions
) -> None:
    async def main() -> None:
        http = await start_http(server, "127.0.0.1", 0, options=options)
        try:
            await asyncio.wait_for(body(http), 60)
        finally:
            await http.close()

    run_loop(main(), loop=loop_name)  # type: ignore[arg-type]


def _call(request_id: int, name: str, arguments: dict[str, Any], token: Any = None) -> dict[str, Any]:
    params: dict[str, Any] = {"name": name, "arguments": arguments}
    if token is not None:
        params["_meta"] = {"progressToken": token}
    return {"jsonrpc": "2.0", "id": request_id, "method": "tools/call", "params": params}


def _gated_server(max_in_flight: int) -> tuple[Server, asyncio.Event, list[int]]:
    """A server whose ``gated`` tool reports progress, waits for the gate, reports again and answers."""
    server = Server("routing-probe", max_in_flight=max_in_flight)
    started: list[int] = []
    gate = asyncio.Event()  # bound to a loop on first use (Python >= 3.10), so created here

    @server.tool()
    async def gated(n: int, ctx: Context) -> int:
        started.append(n)
        await ctx.report_progress(n, None, f"request {n} started")
        await gate.wait()
        await ctx.report_progress(n + 0.5, None, f"request {n} finishing")
        return n

    return server, gate, started


async def _read_head_and_events(peer: Peer, parser: EventParser, count: int) -> list[Any]:
    status, headers = await peer.read_head()
    assert (status, headers["content-type"]) == (200, "text/event-stream")
    return await peer.read_events(parser, count)


async def _rest_of_stream(peer: Peer, parser: EventParser) -> list[Event]:
    events: list[Event] = []
    while chunk := await peer.read_chunk():
        events += [event for event in parser.feed(chunk) if event.data]
    return events


def _data(events: list[Event]) -> list[Any]:
    return [orjson.loads(event.data) for event in events]


# --------------------------------------------------------------- held requests


def test_held_requests_answer_on_their_own_post(loop_name: str) -> None:
    """max_in_flight=1: three POSTs wait in the backlog; each one's progress and result stay on it."""
    server, gate, started = _gated_server(max_in_flight=1)

    async def body(http: HttpServer) -> None:
        control = await Peer.connect(http.port)
        session_id = await open_session(control)
        peers = [await Peer.connect(http.port) for _ in range(4)]
        parsers = [EventParser() for _ in peers]
        first = peers[0]
        first.send_raw(
            first.request_bytes("POST", _call(10, "gated", {"n": 10}, "t10"), legacy_headers(session_id))
        )
        assert [
            m["params"]["progressToken"] for m in _data(await _read_head_and_events(first, parsers[0], 1))
        ] == ["t10"]
        for index, peer in enumerate(peers[1:], start=1):
            request = _call(10 + index, "gated", {"n": 10 + index}, f"t{10 + index}")
            peer.send_raw(peer.request_bytes("POST", request, legacy_headers(session_id)))
        for peer in peers[1:]:
            status, headers = await peer.read_head()  # held, yet its stream is already open
            assert (status, headers["content-type"]) == (200, "text/event-stream")
        assert started == [10]  # the bound held the others back
        assert http.endpoint.sessions[session_id].connection.in_flight == 1
        gate.set()
        for index, (peer, parser) in enumerate(zip(peers, parsers, strict=True)):
            messages = _data(await _rest_of_stream(peer, parser))
            request_id = 10 + index
            results = [m for m in messages if "id" in m]
            progress = [m for m in messages if m.get("method") == "notifications/progress"]
            assert [m["id"] for m in results] == [request_id]
            assert results[0]["result"]["structuredContent"] == {"result": request_id}
            assert {m["params"]["progressToken"] for m in progress} == {f"t{request_id}"}
        assert sorted(started) == [10, 11, 12, 13]
        for peer in [control, *peers]:
            peer.close()

    _serve(loop_name, server, body, HttpOptions())


def test_held_requests_answer_on_their_own_post_in_json_mode(loop_name: str) -> None:
    """The same with JSON responses: each POST gets exactly its own result as application/json."""
    server, gate, started = _gated_server(max_in_flight=2)

    async def body(http: HttpServer) -> None:
        control = await Peer.connect(http.port)
        session_id = await open_session(control)
        connection = http.endpoint.sessions[session_id].connection
        peers = [await Peer.connect(http.port) for _ in range(5)]
        headers = legacy_headers(session_id, accept="application/json")
        for index, peer in enumerate(peers):
            peer.send_raw(peer.request_bytes("POST", _call(20 + index, "gated", {"n": 20 + index}), headers))
        loop = asyncio.get_running_loop()
        deadline = loop.time() + DEADLINE
        while len(started) < 2 or len(connection._backlog) < 3:
            assert loop.time() < deadline, "the server did not take every POST"
            await asyncio.sleep(0)
        assert connection.in_flight == 2
        gate.set()
        for index, peer in enumerate(peers):
            response = await peer.read_response()
            assert (response.status, response.headers["content-type"]) == (200, "application/json")
            assert response.json()["id"] == 20 + index
            assert response.json()["result"]["structuredContent"] == {"result": 20 + index}
        for peer in [control, *peers]:
            peer.close()

    _serve(loop_name, server, body, HttpOptions())


def test_cancelled_request_ends_its_post_without_a_response(loop_name: str) -> None:
    """notifications/cancelled on another POST: the cancelled POST's stream ends with no result."""
    server, _gate, _ = _gated_server(max_in_flight=8)

    async def body(http: HttpServer) -> None:
        control = await Peer.connect(http.port)
        session_id = await open_session(control)
        peer = await Peer.connect(http.port)
        parser = EventParser()
        peer.send_raw(
            peer.request_bytes("POST", _call(5, "gated", {"n": 5}, "t"), legacy_headers(session_id))
        )
        await _read_head_and_events(peer, parser, 1)
        cancel = {"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": 5}}
        assert (await control.request("POST", cancel, legacy_headers(session_id))).status == 202
        assert [m for m in _data(await _rest_of_stream(peer, parser)) if "id" in m] == []
        # The session keeps serving.
        ping = await control.request(
            "POST", {"jsonrpc": "2.0", "id": 6, "method": "ping"}, legacy_headers(session_id)
        )
        assert ping.messages() == [{"jsonrpc": "2.0", "id": 6, "result": {}}]
        control.close()
        peer.close()

    _serve(loop_name, server, body, HttpOptions())


# ---------------------------------------------------------------- resumability


@pytest.fixture(params=["in-memory", "awaiting"])
def event_store(request: pytest.FixtureRequest) -> EventStore:
    """Each resumability test runs on the synchronous fast path and on the awaiting path."""
    return InMemoryEventStore() if request.param == "in-memory" else AwaitingStore()


def test_dropped_stream_is_replayed_after_the_handler_finished(
    loop_name: str, event_store: EventStore
) -> None:
    server, gate, _ = _gated_server(max_in_flight=8)
    store = event_store

    async def body(http: HttpServer) -> None:
        control = await Peer.connect(http.port)
        session_id = await open_session(control)
        peer = await Peer.connect(http.port)
        parser = EventParser()
        peer.send_raw(
            peer.request_bytes("POST", _call(3, "gated", {"n": 3}, "p"), legacy_headers(session_id))
        )
        status, _ = await peer.read_head()
        assert status == 200
        (progress,) = await peer.read_events(parser, 1)
        assert progress.id is not None
        assert _data([progress])[0]["params"]["progress"] == 3
        peer.close()  # the client loses the stream; the handler keeps running
        session = http.endpoint.sessions[session_id]
        gate.set()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + DEADLINE
        while session.connection.in_flight:
            assert loop.time() < deadline, "the handler did not finish"
            await asyncio.sleep(0)
        resume = await Peer.connect(http.port)
        headers = {**legacy_headers(session_id), "Accept": "text/event-stream", "Last-Event-ID": progress.id}
        response = await resume.request("GET", None, headers)
        assert (response.status, response.headers["content-type"]) == (200, "text/event-stream")
        events = [event for event in response.events() if event.data]
        messages = _data(events)
        assert [m.get("method") for m in messages] == ["notifications/progress", None]
        assert messages[0]["params"]["progress"] == 3.5
        assert messages[1]["id"] == 3 and messages[1]["result"]["structuredContent"] == {"result": 3}
        assert all(event.id for event in events)
        unknown = await resume.request("GET", None, {**headers, "Last-Event-ID": "nosuchstream_1"})
        assert unknown.status == 404
        control.close()
        resume.close()

    _serve(loop_name, server, body, HttpOptions(event_store=store))


def test_resumed_stream_continues_live_while_the_handler_runs(
    loop_name: str, event_store: EventStore
) -> None:
    server, gate, _ = _gated_server(max_in_flight=8)

    async def body(http: HttpServer) -> None:
        control = await Peer.connect(http.port)
        session_id = await open_session(control)
        peer = await Peer.connect(http.port)
        parser = EventParser()
        peer.send_raw(
            peer.request_bytes("POST", _call(4, "gated", {"n": 4}, "p"), legacy_headers(session_id))
        )
        await peer.read_head()
        (progress,) = await peer.read_events(parser, 1)
        peer.close()
        resume = await Peer.connect(http.port)
        headers = {**legacy_headers(session_id), "Accept": "text/event-stream", "Last-Event-ID": progress.id}
        resume.send_raw(resume.request_bytes("GET", None, headers))
        status, _ = await resume.read_head()
        assert status == 200
        gate.set()  # only now: what follows is sent live on the resumed stream
        messages = _data(await _rest_of_stream(resume, EventParser()))
        assert [m.get("method") for m in messages] == ["notifications/progress", None]
        assert messages[1]["id"] == 4
        control.close()
        resume.close()

    _serve(loop_name, server, body, HttpOptions(event_store=event_store))


def test_event_store_is_bounded() -> None:
    store = InMemoryEventStore(max_events=3)
    ids = [store.store_nowait("s", b"%d" % i) for i in range(5)]
    assert store.replay_after_nowait(ids[0]) is None  # fell off
    assert store.replay_after_nowait(ids[2]) == ("s", [(ids[3], b"3"), (ids[4], b"4")])
    other = store.store_nowait("t", b"x")
    assert store.replay_after_nowait(ids[3]) == ("s", [(ids[4], b"4")])  # other streams are not replayed
    assert store.replay_after_nowait(other) == ("t", [])


class BreakableStore(AwaitingStore):
    """An event store whose backend goes down: once ``broken``, every call raises, as a lost Redis would."""

    broken = False

    async def store(self, stream_id: str, message: bytes) -> str:
        if self.broken:
            raise ConnectionError("the store is unreachable")
        return await super().store(stream_id, message)

    async def replay_after(self, last_event_id: str) -> tuple[str, list[tuple[str, bytes]]] | None:
        if self.broken:
            raise ConnectionError("the store is unreachable")
        return await super().replay_after(last_event_id)


def test_a_failing_event_store_degrades_to_unresumable_events_and_refuses_resumption(
    loop_name: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Nothing hangs and no request fails: unstored events go out without ids; a resume gets 503."""
    server, gate, _ = _gated_server(max_in_flight=8)
    store = BreakableStore()

    async def body(http: HttpServer) -> None:
        control = await Peer.connect(http.port)
        session_id = await open_session(control)
        store.broken = True
        gate.set()
        response = await control.request("POST", _call(5, "gated", {"n": 5}, "p"), legacy_headers(session_id))
        assert response.status == 200
        events = [event for event in response.events() if event.data]
        assert [orjson.loads(event.data).get("id") for event in events] == [None, None, 5]
        assert all(event.id is None for event in events)  # none was stored: none claims to be
        headers = {
            **legacy_headers(session_id),
            "Accept": "text/event-stream",
            "Last-Event-ID": f"{session_id}postabc_1",
        }
        assert (await control.request("GET", None, headers)).status == 503
        control.close()

    with caplog.at_level("WARNING", logger="mcpcore.http"):
        _serve(loop_name, server, body, HttpOptions(event_store=store))
    assert any("event store failed" in record.getMessage() for record in caplog.records)
    assert any("resumption failed" in record.getMessage() for record in caplog.records)


def test_events_waiting_for_a_slow_event_store_are_bounded(
    loop_name: str, caplog: pytest.LogCaptureFixture
) -> None:
    """A store that stops answering cannot make a stream buffer without bound: past the budget it is cut."""
    server = Server("flood")
    stuck = asyncio.Event()

    class StuckStore(BreakableStore):
        async def store(self, stream_id: str, message: bytes) -> str:
            if self.broken:
                await stuck.wait()
            return await super().store(stream_id, message)

    store = StuckStore()

    @server.tool()
    async def flood(count: int, ctx: Context) -> int:
        for step in range(count):
            await ctx.report_progress(step, count, "x" * 100)
        return count

    async def body(http: HttpServer) -> None:
        control = await Peer.connect(http.port)
        session_id = await open_session(control)
        store.broken = True
        peer = await Peer.connect(http.port)
        peer.send_raw(
            peer.request_bytes("POST", _call(6, "flood", {"count": 200}, "p"), legacy_headers(session_id))
        )
        received = await asyncio.wait_for(peer.reader.read(), DEADLINE)  # ends: the stream was cut
        assert b"event: message" not in received
        stuck.set()
        store.broken = False
        ping = {"jsonrpc": "2.0", "id": 7, "method": "ping"}
        assert (await control.request("POST", ping, legacy_headers(session_id))).status == 200
        control.close()

    with caplog.at_level("WARNING", logger="mcpcore.http"):
        _serve(loop_name, server, body, HttpOptions(event_store=store, max_stream_buffer_bytes=4096))
    assert any("waiting for the event store" in record.getMessage() for record in caplog.records)
