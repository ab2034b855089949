"""How a legacy POST's answer is framed: whole when the handler is done within a turn, else a stream.

An ``async def`` tool that never waits finishes in its task's first step, on
the loop turn after its POST was read; its answer goes out as one whole SSE
body (a ``Content-Length``, no chunks). A handler that waits gets its stream
head (and, with an event store, the priming event that makes it resumable)
while it still runs. Both must be valid SSE for a real client.
"""

from __future__ import annotations

import asyncio
from typing import Any

from mcpcore import Context, Server
from mcpcore.client import Client
from mcpcore.stores.memory import InMemoryEventStore
from mcpcore.transport.streamable import HttpOptions
from mcpcore.wire.http11_client import Body, EndOfResponse, ResponseHead, ResponseParser
from mcpcore.wire.sse import EventParser
from tests.transport.http_peer import DEADLINE, Peer, legacy_headers, open_session, serve_and_run


def _build() -> tuple[Server, asyncio.Event]:
    """``async def`` tools: one that never waits, one that waits a turn, one that waits for the test."""
    server = Server("framing")
    release = asyncio.Event()

    @server.tool()
    async def add(a: int, b: int) -> int:
        """Done in its first step."""
        return a + b

    @server.tool()
    async def yields(a: int) -> int:
        """Waits one loop turn, so it is answered on a stream."""
        await asyncio.sleep(0)
        return a

    @server.tool()
    async def held(ctx: Context) -> str:
        """Reports progress, then waits until the test has seen the stream open."""
        await ctx.report_progress(1, 2)
        await release.wait()
        return "released"

    return server, release


def _call(request_id: int, name: str, arguments: dict[str, Any], **params: Any) -> dict[str, Any]:
    return {
        "jsonrpc": "2.0",
        "id": request_id,
        "method": "tools/call",
        "params": {"name": name, "arguments": arguments, **params},
    }


def test_an_async_tool_that_never_waits_is_one_whole_sse_body(loop_name: str) -> None:
    server, _ = _build()

    async def body(port: int) -> None:
        peer = await Peer.connect(port)
        session_id = await open_session(peer)
        response = await peer.request("POST", _call(2, "add", {"a": 2, "b": 3}), legacy_headers(session_id))
        assert response.status == 200
        assert response.headers["content-type"] == "text/event-stream"
        assert "transfer-encoding" not in response.headers
        assert int(response.headers["content-length"]) == len(response.body)
        (event,) = response.events()
        assert event.event == "message"
        assert response.messages() == [
            {
                "jsonrpc": "2.0",
                "id": 2,
                "result": {"content": [{"type": "text", "text": "5"}], "structuredContent": {"result": 5}},
            }
        ]
        peer.close()
        async with Client.http(f"http://127.0.0.1:{port}/mcp", mode="legacy") as client:
            result = await client.call_tool("add", {"a": 40, "b": 2})
            assert result["structuredContent"] == {"result": 42}

    serve_and_run(loop_name, server, body)


def test_with_an_event_store_a_whole_answer_is_still_resumable(loop_name: str) -> None:
    server, _ = _build()

    async def body(port: int) -> None:
        peer = await Peer.connect(port)
        session_id = await open_session(peer)
        response = await peer.request("POST", _call(2, "add", {"a": 1, "b": 1}), legacy_headers(session_id))
        events = response.events()
        assert all(event.id for event in events)  # the priming event, then the answer, each with an id
        assert events[0].data == "" and events[0].retry is not None
        assert response.messages()[-1]["result"]["structuredContent"] == {"result": 2}
        peer.close()

    serve_and_run(loop_name, server, body, options=HttpOptions(event_store=InMemoryEventStore()))


def test_a_handler_that_waits_streams_before_it_finishes(loop_name: str) -> None:
    server, release = _build()

    async def body(port: int) -> None:
        peer = await Peer.connect(port)
        session_id = await open_session(peer)
        request = _call(2, "held", {}, _meta={"progressToken": "tok"})
        peer.send_raw(peer.request_bytes("POST", request, legacy_headers(session_id)))
        status, headers = await peer.read_head()  # the handler is still waiting for ``release``
        assert status == 200
        assert headers["content-type"] == "text/event-stream"
        assert headers["transfer-encoding"] == "chunked"
        parser = EventParser()
        (progress,) = await peer.read_events(parser, 1)
        assert '"notifications/progress"' in progress.data
        release.set()
        (final,) = await peer.read_events(parser, 1)
        assert '"released"' in final.data
        assert await peer.read_chunk() == b""  # the stream ends with the answer
        peer.close()

    serve_and_run(loop_name, server, body)


def test_a_waiting_handler_gets_its_priming_event_before_it_finishes(loop_name: str) -> None:
    server, release = _build()

    async def body(port: int) -> None:
        peer = await Peer.connect(port)
        session_id = await open_session(peer)
        peer.send_raw(peer.request_bytes("POST", _call(2, "held", {}), legacy_headers(session_id)))
        status, _ = await peer.read_head()
        assert status == 200
        parser = EventParser()
        priming = parser.feed(await peer.read_chunk())
        assert priming and priming[0].id and priming[0].data == ""
        release.set()
        (final,) = await peer.read_events(parser, 1)
        assert final.id and '"released"' in final.data
        peer.close()

    serve_and_run(loop_name, server, body, options=HttpOptions(event_store=InMemoryEventStore()))


def test_a_stream_read_as_one_piece_is_a_valid_response(loop_name: str) -> None:
    """The server joins a stream's writes within a loop turn; the bytes must frame the same way.

    All the bytes of a streamed answer (head, priming event, final event,
    last chunk), fed to the client's parser at once, make one response.
    """
    server, _ = _build()

    async def body(port: int) -> None:
        peer = await Peer.connect(port)
        session_id = await open_session(peer)
        peer.send_raw(peer.request_bytes("POST", _call(2, "yields", {"a": 7}), legacy_headers(session_id)))
        raw = await asyncio.wait_for(peer.reader.readuntil(b"\r\n0\r\n\r\n"), DEADLINE)
        parser = ResponseParser()
        parser.expect("POST")
        events = parser.feed(raw)
        assert [type(event) for event in events if type(event) is not Body] == [ResponseHead, EndOfResponse]
        head = events[0]
        assert isinstance(head, ResponseHead) and head.headers["transfer-encoding"] == "chunked"
        data = b"".join(event.data for event in events if isinstance(event, Body))
        sse_events = EventParser().feed(data)
        assert [bool(event.id) for event in sse_events] == [True, True]  # priming, then the answer
        assert '"structuredContent":{"result":7}' in sse_events[-1].data
        peer.close()

    serve_and_run(loop_name, server, body, options=HttpOptions(event_store=InMemoryEventStore()))
