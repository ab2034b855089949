"""The built-in HTTP server end to end over loopback sockets, on uvloop and asyncio.

Both eras on one endpoint, sessions, status codes, security checks, framing
errors, keep-alive, pipelining and the slowloris guard.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from mcpcore import Context, Server
from mcpcore.examples.calculator import server as calculator
from mcpcore.loop import run as run_loop
from mcpcore.transport.http import ServerLimits, start_http
from mcpcore.transport.streamable import HttpOptions
from mcpcore.wire.sse import EventParser
from tests.transport.http_peer import (
    ACCEPT_BOTH,
    LEGACY,
    Peer,
    initialize_body,
    legacy_headers,
    modern_headers,
    modern_request,
    open_session,
    serve_and_run,
)


def call(request_id: int, name: str, arguments: dict[str, Any], **params: Any) -> dict[str, Any]:
    return {
        "jsonrpc": "2.0",
        "id": request_id,
        "method": "tools/call",
        "params": {"name": name, "arguments": arguments, **params},
    }


# ------------------------------------------------------------------- legacy


def test_legacy_session_lifecycle(loop_name: str) -> None:
    async def body(port: int) -> None:
        peer = await Peer.connect(port)
        response = await peer.request("POST", initialize_body(), legacy_headers())
        assert response.status == 200
        assert response.headers["content-type"] == "text/event-stream"
        session_id = response.headers["mcp-session-id"]
        assert len(session_id) >= 32 and all(0x21 <= ord(c) <= 0x7E for c in session_id)
        (result,) = response.messages()
        assert result["result"]["protocolVersion"] == LEGACY
        note = {"jsonrpc": "2.0", "method": "notifications/initialized"}
        assert (await peer.request("POST", note, legacy_headers(session_id))).status == 202
        response = await peer.request("POST", call(2, "add", {"a": 2, "b": 3}), legacy_headers(session_id))
        assert response.messages()[0]["result"]["content"][0]["text"] == "5"
        # Any supported version header is accepted inside the session.
        headers = {**legacy_headers(session_id), "MCP-Protocol-Version": "2025-03-26"}
        response = await peer.request("POST", {"jsonrpc": "2.0", "id": 3, "method": "tools/list"}, headers)
        assert response.status == 200
        assert (await peer.request("DELETE", None, legacy_headers(session_id))).status == 200
        gone = await peer.request("POST", call(4, "add", {"a": 1, "b": 1}), legacy_headers(session_id))
        assert gone.status == 404
        assert gone.json()["error"]["code"] == -32600
        peer.close()

    serve_and_run(loop_name, calculator, body)


def test_legacy_json_response_when_sse_not_accepted(loop_name: str) -> None:
    async def body(port: int) -> None:
        peer = await Peer.connect(port)
        session_id = await open_session(peer)
        headers = legacy_headers(session_id, accept="application/json")
        response = await peer.request("POST", call(2, "add", {"a": 1, "b": 2}), headers)
        assert response.headers["content-type"] == "application/json"
        assert response.json()["result"]["content"][0]["text"] == "3"
        peer.close()

    serve_and_run(loop_name, calculator, body)


def test_legacy_session_errors(loop_name: str) -> None:
    async def body(port: int) -> None:
        peer = await Peer.connect(port)
        ping = {"jsonrpc": "2.0", "id": 1, "method": "ping"}
        assert (await peer.request("POST", ping, legacy_headers())).status == 400  # no session id
        assert (await peer.request("POST", ping, legacy_headers("nope"))).status == 404
        assert (await peer.request("GET", None, legacy_headers())).status == 400
        assert (await peer.request("DELETE", None, legacy_headers("nope"))).status == 404
        bad_version = {**legacy_headers(), "MCP-Protocol-Version": "1999-01-01"}
        assert (await peer.request("POST", initialize_body(), bad_version)).status == 400
        response = await peer.request("POST", b"{not json", legacy_headers())
        assert response.status == 400
        assert response.json()["error"]["code"] == -32700
        response = await peer.request(
            "POST", initialize_body(), {**legacy_headers(), "Content-Type": "text/plain"}
        )
        assert response.status == 415
        response = await peer.request("PUT", initialize_body(), legacy_headers())
        assert response.status == 405
        peer.close()

    serve_and_run(loop_name, calculator, body)


def test_legacy_progress_streams_before_the_result(loop_name: str) -> None:
    async def body(port: int) -> None:
        peer = await Peer.connect(port)
        session_id = await open_session(peer)
        request = call(2, "sleep", {"seconds": 0.04}, _meta={"progressToken": "tok"})
        response = await peer.request("POST", request, legacy_headers(session_id))
        assert response.headers["transfer-encoding"] == "chunked"
        messages = response.messages()
        assert [m.get("method") for m in messages[:-1]] == ["notifications/progress"] * 4
        assert all(m["params"]["progressToken"] == "tok" for m in messages[:-1])
        assert messages[-1]["id"] == 2 and "result" in messages[-1]
        peer.close()

    serve_and_run(loop_name, calculator, body)


def test_standalone_get_stream_opens_once_per_session(loop_name: str) -> None:
    async def body(port: int) -> None:
        peer = await Peer.connect(port)
        session_id = await open_session(peer)
        stream = await Peer.connect(port)
        stream.send_raw(
            stream.request_bytes("GET", None, {**legacy_headers(session_id), "Accept": "text/event-stream"})
        )
        status, headers = await stream.read_head()
        assert (status, headers["content-type"]) == (200, "text/event-stream")
        second = await peer.request(
            "GET", None, {**legacy_headers(session_id), "Accept": "text/event-stream"}
        )
        assert second.status == 409
        # Deleting the session ends the stream.
        assert (await peer.request("DELETE", None, legacy_headers(session_id))).status == 200
        while await stream.read_chunk():
            pass
        peer.close()
        stream.close()

    serve_and_run(loop_name, calculator, body)


def test_stateless_legacy_mode_needs_no_session(loop_name: str) -> None:
    async def body(port: int) -> None:
        peer = await Peer.connect(port)
        response = await peer.request("POST", initialize_body(), legacy_headers())
        assert response.status == 200
        assert "mcp-session-id" not in response.headers
        response = await peer.request("POST", call(2, "add", {"a": 4, "b": 4}), legacy_headers())
        assert response.messages()[0]["result"]["content"][0]["text"] == "8"
        assert (await peer.request("GET", None, legacy_headers())).status == 405
        peer.close()

    serve_and_run(loop_name, calculator, body, options=HttpOptions(stateless=True))


def test_legacy_batch_under_2025_03_26(loop_name: str) -> None:
    async def body(port: int) -> None:
        peer = await Peer.connect(port)
        response = await peer.request("POST", initialize_body(version="2025-03-26"), legacy_headers())
        session_id = response.headers["mcp-session-id"]
        batch = [call(2, "add", {"a": 1, "b": 1}), {"jsonrpc": "2.0", "id": 3, "method": "ping"}]
        headers = {**legacy_headers(session_id), "MCP-Protocol-Version": "2025-03-26"}
        response = await peer.request("POST", batch, headers)
        (array,) = response.messages()
        assert sorted(item["id"] for item in array) == [2, 3]
        peer.close()

    serve_and_run(loop_name, calculator, body)


# ------------------------------------------------------------------- modern


def test_modern_request_is_answered_with_json(loop_name: str) -> None:
    async def body(port: int) -> None:
        peer = await Peer.connect(port)
        request = modern_request(1, "tools/call", {"name": "add", "arguments": {"a": 20, "b": 22}})
        response = await peer.request("POST", request, modern_headers("tools/call", "add"))
        assert (response.status, response.headers["content-type"]) == (200, "application/json")
        result = response.json()["result"]
        assert result["resultType"] == "complete"
        assert result["content"][0]["text"] == "42"
        assert "mcp-session-id" not in response.headers
        peer.close()

    serve_and_run(loop_name, calculator, body)


def test_modern_status_codes(loop_name: str) -> None:
    async def body(port: int) -> None:
        peer = await Peer.connect(port)

        async def post(request: Any, headers: dict[str, str]) -> tuple[int, int | None]:
            response = await peer.request("POST", request, headers)
            error = response.json().get("error") if response.body else None
            return response.status, error["code"] if error else None

        add = modern_request(1, "tools/call", {"name": "add", "arguments": {"a": 1, "b": 1}})
        assert await post(add, modern_headers("tools/call", "other")) == (400, -32020)
        assert await post(add, modern_headers("tools/list")) == (400, -32020)
        no_version = {
            k: v for k, v in modern_headers("tools/call", "add").items() if k != "MCP-Protocol-Version"
        }
        assert await post(add, no_version) == (400, -32020)
        legacy_header = {**modern_headers("tools/call", "add"), "MCP-Protocol-Version": LEGACY}
        assert await post(add, legacy_header) == (400, -32020)
        unknown = modern_request(2, "no/such", {})
        assert await post(unknown, modern_headers("no/such")) == (404, -32601)
        removed = modern_request(3, "ping", {})
        assert await post(removed, modern_headers("ping")) == (404, -32601)
        missing_meta = {"jsonrpc": "2.0", "id": 4, "method": "tools/list", "params": {}}
        assert await post(missing_meta, modern_headers("tools/list")) == (400, -32602)
        future = modern_request(5, "tools/list")
        future["params"]["_meta"]["io.modelcontextprotocol/protocolVersion"] = "2099-01-01"
        assert await post(future, {**modern_headers("tools/list"), "MCP-Protocol-Version": "2099-01-01"}) == (
            400,
            -32022,
        )
        only_json = {**modern_headers("tools/list"), "Accept": "application/json"}
        assert (await peer.request("POST", modern_request(6, "tools/list"), only_json)).status == 406
        note = {
            "jsonrpc": "2.0",
            "method": "notifications/whatever",
            "params": modern_request(0, "x")["params"],
        }
        assert (await peer.request("POST", note, modern_headers("notifications/whatever"))).status == 202
        for method in ("GET", "DELETE"):
            response = await peer.request(
                method, None, {"MCP-Protocol-Version": "2026-07-28", "Accept": ACCEPT_BOTH}
            )
            assert response.status == 405
        peer.close()

    serve_and_run(loop_name, calculator, body)


def test_modern_progress_switches_to_sse(loop_name: str) -> None:
    async def body(port: int) -> None:
        peer = await Peer.connect(port)
        request = modern_request(
            7, "tools/call", {"name": "sleep", "arguments": {"seconds": 0.04}, "_meta": {"progressToken": 9}}
        )
        response = await peer.request("POST", request, modern_headers("tools/call", "sleep"))
        assert response.headers["content-type"] == "text/event-stream"
        messages = response.messages()
        assert [m.get("method") for m in messages[:-1]] == ["notifications/progress"] * 4
        assert messages[-1]["result"]["resultType"] == "complete"
        peer.close()

    serve_and_run(loop_name, calculator, body)


def test_closing_a_modern_stream_cancels_the_handler(loop_name: str) -> None:
    server = Server("cancel-probe")
    outcome: dict[str, Any] = {}
    started = asyncio.Event()
    finished = asyncio.Event()

    @server.tool()
    async def wait_forever(ctx: Context) -> str:
        await ctx.report_progress(1, None, "started")
        started.set()
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:
            outcome["cancelled"] = True
            finished.set()
            raise
        return "never"

    async def body(port: int) -> None:
        peer = await Peer.connect(port)
        request = modern_request(
            1, "tools/call", {"name": "wait_forever", "arguments": {}, "_meta": {"progressToken": 1}}
        )
        peer.send_raw(peer.request_bytes("POST", request, modern_headers("tools/call", "wait_forever")))
        status, _ = await peer.read_head()
        assert status == 200
        await peer.read_events(EventParser(), 1)
        await asyncio.wait_for(started.wait(), 10)
        peer.close()
        await asyncio.wait_for(finished.wait(), 10)
        assert outcome == {"cancelled": True}

    serve_and_run(loop_name, server, body)


# ---------------------------------------------------------------- security


def test_dns_rebinding_protection(loop_name: str) -> None:
    async def body(port: int) -> None:
        peer = await Peer.connect(port)
        response = await peer.request(
            "POST", initialize_body(), {**legacy_headers(), "Host": "evil.example.com"}
        )
        assert response.status == 421
        origin = {**legacy_headers(), "Origin": "http://evil.example.com"}
        assert (await peer.request("POST", initialize_body(), origin)).status == 403
        good = {**legacy_headers(), "Origin": f"http://localhost:{port}", "Host": f"localhost:{port}"}
        assert (await peer.request("POST", initialize_body(), good)).status == 200
        allowed = {**legacy_headers(), "Origin": "https://app.example"}
        assert (await peer.request("POST", initialize_body(), allowed)).status == 200
        peer.close()

    options = HttpOptions(allowed_origins=("https://app.example",))
    serve_and_run(loop_name, calculator, body, options=options)


# ---------------------------------------------------------------- framing


def test_malformed_head_gets_400_and_the_server_keeps_serving(loop_name: str) -> None:
    async def body(port: int) -> None:
        peer = await Peer.connect(port)
        peer.send_raw(b"POST /mcp HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab")
        response = await peer.read_response()
        assert response.status == 400
        assert response.headers["connection"] == "close"
        assert response.json()["error"]["code"] == -32600
        assert await peer.closed_by_server()
        other = await Peer.connect(port)
        assert (await other.request("POST", initialize_body(), legacy_headers())).status == 200
        other.close()

    serve_and_run(loop_name, calculator, body)


def test_oversized_body_and_head(loop_name: str) -> None:
    async def body(port: int) -> None:
        peer = await Peer.connect(port)
        peer.send_raw(b"POST /mcp HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n")
        assert (await peer.read_response()).status == 413
        peer = await Peer.connect(port)
        peer.send_raw(b"GET /mcp HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 3000 + b"\r\n\r\n")
        assert (await peer.read_response()).status == 431

    options = HttpOptions(max_body_bytes=4096, max_head_bytes=2048)
    serve_and_run(loop_name, calculator, body, options=options)


def test_keep_alive_and_pipelining_answer_in_order(loop_name: str) -> None:
    async def body(port: int) -> None:
        peer = await Peer.connect(port)
        session_id = await open_session(peer)
        headers = legacy_headers(session_id, accept="application/json")
        slow = peer.request_bytes("POST", call(10, "sleep", {"seconds": 0.05}), headers)
        fast = peer.request_bytes("POST", call(11, "add", {"a": 1, "b": 2}), headers)
        peer.send_raw(slow + fast)
        first = await peer.read_response()
        second = await peer.read_response()
        assert (first.json()["id"], second.json()["id"]) == (10, 11)
        for n in range(20):
            response = await peer.request("POST", call(100 + n, "add", {"a": n, "b": 0}), headers)
            assert response.json()["result"]["content"][0]["text"] == str(n)
        peer.close()

    serve_and_run(loop_name, calculator, body)


def test_trickled_request_times_out_with_408(loop_name: str) -> None:
    async def body(port: int) -> None:
        peer = await Peer.connect(port)
        peer.send_raw(b"POST /mcp HTTP/1.1\r\nHost: x\r\n")  # ...and never the rest
        response = await peer.read_response()
        assert response.status == 408
        assert await peer.closed_by_server()

    serve_and_run(loop_name, calculator, body, limits=ServerLimits(request_timeout=0.5))


def test_chunked_request_body_and_expect_continue(loop_name: str) -> None:
    async def body(port: int) -> None:
        peer = await Peer.connect(port)
        payload = (
            b'{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25",'
            b'"capabilities":{}}}'
        )
        head = (
            f"POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
            f"Accept: application/json\r\nTransfer-Encoding: chunked\r\nExpect: 100-continue\r\n\r\n"
        ).encode()
        peer.send_raw(head)
        interim = await asyncio.wait_for(peer.reader.readuntil(b"\r\n\r\n"), 10)
        assert interim == b"HTTP/1.1 100 Continue\r\n\r\n"
        peer.send_raw(b"%x\r\n%s\r\n0\r\n\r\n" % (len(payload), payload))
        response = await peer.read_response()
        assert response.status == 200
        assert response.json()["result"]["protocolVersion"] == "2025-11-25"
        peer.close()

    serve_and_run(loop_name, calculator, body)


# ----------------------------------------------------------------- shutdown


def _gated_server(grace: float) -> tuple[Server, asyncio.Event, asyncio.Event]:
    server = Server("gated", shutdown_grace=grace)
    started = asyncio.Event()
    gate = asyncio.Event()

    @server.tool
    async def gated() -> str:
        started.set()
        await gate.wait()
        return "through"

    return server, started, gate


def test_close_lets_a_running_modern_call_finish_within_the_grace(loop_name: str) -> None:
    """Shutdown (SIGTERM, a draining worker) stops accepting but answers the 2026-07-28 call in flight."""

    async def main() -> None:
        server, started, gate = _gated_server(grace=30.0)
        http = await start_http(server, "127.0.0.1", 0)
        port = http.port
        peer = await Peer.connect(port)
        peer.send_raw(
            peer.request_bytes(
                "POST",
                modern_request(4, "tools/call", {"name": "gated"}),
                modern_headers("tools/call", "gated"),
            )
        )
        await asyncio.wait_for(started.wait(), 10)
        closing = asyncio.ensure_future(http.close())
        while not http.closing:
            await asyncio.sleep(0)  # let close() begin: it stops accepting first
        with pytest.raises(OSError):
            await Peer.connect(port)
        gate.set()
        response = await peer.read_response()
        assert response.status == 200
        assert response.messages()[0]["result"]["structuredContent"] == {"result": "through"}
        await asyncio.wait_for(closing, 10)
        peer.close()

    run_loop(main(), loop=loop_name)  # type: ignore[arg-type]


def test_close_cancels_a_modern_call_still_running_past_the_grace(loop_name: str) -> None:
    async def main() -> None:
        server, started, _ = _gated_server(grace=0.05)
        http = await start_http(server, "127.0.0.1", 0)
        peer = await Peer.connect(http.port)
        peer.send_raw(
            peer.request_bytes(
                "POST",
                modern_request(5, "tools/call", {"name": "gated"}),
                modern_headers("tools/call", "gated"),
            )
        )
        await asyncio.wait_for(started.wait(), 10)
        await asyncio.wait_for(http.close(), 10)
        response = await peer.read_response()
        assert response.status == 503
        assert response.json()["id"] == 5
        peer.close()

    run_loop(main(), loop=loop_name)  # type: ignore[arg-type]
