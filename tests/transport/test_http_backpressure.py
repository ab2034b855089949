"""Server-initiated messages respect backpressure: a stream whose client never reads is closed.

Both front ends, both loops, real loopback sockets. The stalled client has a
tiny receive buffer so that the kernel cannot absorb the flood; the server
must then hold at most ``max_stream_buffer_bytes`` for it and cut the
stream, and go on serving everyone (the stalled session included).
"""

from __future__ import annotations

import asyncio
import socket

import pytest

from mcpcore.transport.streamable import HttpOptions, StreamableHTTP
from tests.transport.fronts import FRONTS, serve_front
from tests.transport.hostile_server import build
from tests.transport.http_peer import (
    DEADLINE,
    LEGACY,
    Peer,
    legacy_headers,
    modern_headers,
    modern_request,
)
from tests.transport.test_http_hardening import _call, _open

FLOOD_COUNT = 4000
FLOOD_SIZE = 4096  # 16 MiB in all: far beyond any socket buffer
LIMIT = 64 * 1024


async def _stalled_peer(port: int) -> Peer:
    """A client with a 4 KiB receive buffer that will stop reading after the response head."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.setblocking(False)
    await asyncio.get_running_loop().sock_connect(sock, ("127.0.0.1", port))
    reader, writer = await asyncio.open_connection(sock=sock)
    return Peer(reader, writer, port)


async def _bytes_until_cut(peer: Peer) -> int:
    """Read what the server sent before it cut the stream (the cut is the failure deadline's subject)."""
    total = 0
    while True:
        try:
            data = await asyncio.wait_for(peer.reader.read(1 << 16), DEADLINE)
        except ConnectionResetError:
            return total
        if not data:
            return total
        total += len(data)


@pytest.mark.parametrize("front", FRONTS)
def test_a_get_stream_that_never_reads_is_closed_and_the_session_goes_on(front: str, loop_name: str) -> None:
    server, _ = build()

    async def body(port: int, endpoint: StreamableHTTP) -> None:
        peer = await Peer.connect(port)
        session_id = await _open(peer)
        stream_headers = {
            "Accept": "text/event-stream",
            "MCP-Protocol-Version": LEGACY,
            "Mcp-Session-Id": session_id,
        }
        stalled = await _stalled_peer(port)
        stalled.send_raw(stalled.request_bytes("GET", None, stream_headers))
        assert (await stalled.read_head())[0] == 200
        flood = _call(2, "flood_standalone", {"count": FLOOD_COUNT, "size": FLOOD_SIZE})
        answer = await peer.request("POST", flood, legacy_headers(session_id))
        assert answer.messages()[-1]["result"]["structuredContent"]["result"] == FLOOD_COUNT
        assert await _bytes_until_cut(stalled) < FLOOD_COUNT * FLOOD_SIZE
        stalled.close()
        # The session survives its stream: a new GET stream opens and carries messages again.
        listener = await Peer.connect(port)
        listener.send_raw(listener.request_bytes("GET", None, stream_headers))
        assert (await listener.read_head())[0] == 200
        small = _call(3, "flood_standalone", {"count": 1, "size": 10})
        assert (await peer.request("POST", small, legacy_headers(session_id))).status == 200
        assert b"xxxxxxxxxx" in await listener.read_chunk()
        listener.close()
        peer.close()

    options = HttpOptions(max_stream_buffer_bytes=LIMIT, keepalive_interval=0)
    serve_front(front, loop_name, server, options, body)


@pytest.mark.parametrize("front", FRONTS)
def test_a_request_stream_that_never_reads_is_closed_and_its_request_cancelled(
    front: str, loop_name: str
) -> None:
    server, _ = build()

    async def body(port: int, endpoint: StreamableHTTP) -> None:
        stalled = await _stalled_peer(port)
        flood = modern_request(
            1,
            "tools/call",
            {
                "name": "flood_progress",
                "arguments": {"count": FLOOD_COUNT, "size": FLOOD_SIZE},
                "_meta": {"progressToken": "p"},
            },
        )
        stalled.send_raw(stalled.request_bytes("POST", flood, modern_headers("tools/call", "flood_progress")))
        assert (await stalled.read_head())[0] == 200
        # Without reading a byte more: the server cuts the stream, which cancels the request.
        peer = await Peer.connect(port)
        outcome = modern_request(2, "tools/call", {"name": "flood_outcome", "arguments": {}})
        response = await peer.request("POST", outcome, modern_headers("tools/call", "flood_outcome"))
        assert response.json()["result"]["structuredContent"]["result"] == "cancelled"
        assert await _bytes_until_cut(stalled) < FLOOD_COUNT * FLOOD_SIZE
        stalled.close()
        peer.close()

    options = HttpOptions(max_stream_buffer_bytes=LIMIT, keepalive_interval=0)
    serve_front(front, loop_name, server, options, body)
