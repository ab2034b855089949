"""HTTP faults against a real server subprocess on a loopback port: kills, half-closes, stalls, churn.

Beside the stdio fault tests: clients killed mid-SSE-stream, half-closed
sockets, readers that stall on long SSE streams, and 10,000 connections
opened and dropped. After each, the server still serves, holds no more
connections, sessions or tasks than before, and its resident memory
(``/proc/PID/status`` VmRSS) is back within 5 MiB of where it was.

Every wait is a failure deadline. Where the test waits for the server to
notice something, it polls the server's own ``stats`` tool until the
condition holds (bounded), never a fixed sleep.
"""

from __future__ import annotations

import asyncio
import os
import select
import socket
import struct
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import pytest

from mcpcore.loop import run as run_loop
from tests.faults._raw import rss_kib
from tests.helpers import ROOT
from tests.transport.http_peer import (
    LEGACY,
    Peer,
    initialize_body,
    legacy_headers,
    modern_headers,
    modern_request,
)

DEADLINE = 20.0
RSS_SLACK_KIB = 5 * 1024

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="uses /proc")


class HttpServerProcess:
    """``tests.transport.hostile_server`` in a subprocess, on a free loopback port."""

    def __init__(self, loop: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.transport.hostile_server"],
            env={
                **os.environ,
                "MCPCORE_LOOP": loop,
                "PYTHONPATH": str(ROOT),
                "HOSTILE_STREAM_BUFFER": str(256 * 1024),
            },
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=ROOT,
        )
        assert self.process.stdout is not None
        ready, _, _ = select.select([self.process.stdout], [], [], DEADLINE)
        assert ready, "the server did not start"
        line = self.process.stdout.readline()
        assert line.startswith(b"PORT "), line
        self.port = int(line.split()[1])

    @property
    def rss_kib(self) -> int:
        return rss_kib(self.process.pid)

    def stop(self) -> bytes:
        self.process.terminate()
        try:
            _, stderr = self.process.communicate(timeout=DEADLINE)
        except subprocess.TimeoutExpired:
            self.process.kill()
            _, stderr = self.process.communicate()
        return stderr


@pytest.fixture
def served(loop_name: str) -> Iterator[HttpServerProcess]:
    server = HttpServerProcess(loop_name)
    try:
        yield server
    finally:
        stderr = server.stop()
        assert b"Traceback" not in stderr, stderr.decode(errors="replace")
        assert b"ERROR" not in stderr, stderr.decode(errors="replace")


def _run(body: Callable[[], Awaitable[None]]) -> None:
    """The client side runs on plain asyncio; the server under test runs on the parametrized loop."""
    run_loop(asyncio.wait_for(body(), 60), loop="asyncio")


async def _tool(port: int, name: str, arguments: dict[str, Any] | None = None) -> Any:
    peer = await Peer.connect(port)
    try:
        call = modern_request(1, "tools/call", {"name": name, "arguments": arguments or {}})
        response = await peer.request("POST", call, modern_headers("tools/call", name))
        assert response.status == 200, response.body
        return response.json()["result"]["structuredContent"]
    finally:
        peer.close()


async def _settled(port: int, baseline: dict[str, int]) -> dict[str, int]:
    """Poll ``stats`` until the server holds no more than ``baseline`` (bounded by DEADLINE)."""
    deadline = time.monotonic() + DEADLINE
    while True:
        stats = await _tool(port, "stats")
        if all(stats[key] <= baseline[key] for key in baseline):
            return stats
        assert time.monotonic() < deadline, (stats, baseline)
        await asyncio.sleep(0.05)


async def _baseline(
    server: HttpServerProcess, warm_up: Callable[[], Awaitable[None]]
) -> tuple[dict[str, int], int]:
    """Run the fault once first (the allocator's arenas reach their working size), then measure.

    Repeated runs plateau (10,000-connection churn, eight times over: within
    2 MiB on asyncio, 0.5 MiB on uvloop), so growth past the slack is a leak.
    """
    await warm_up()
    stats = await _tool(server.port, "stats")
    stats = await _settled(server.port, stats)
    return stats, server.rss_kib


async def _check_recovered(server: HttpServerProcess, baseline: dict[str, int], rss_before: int) -> None:
    await _settled(server.port, baseline)
    assert (await _tool(server.port, "slow", {"seconds": 0, "value": 9}))["result"] == 9  # still serves
    rss_after = server.rss_kib
    assert rss_after - rss_before <= RSS_SLACK_KIB, (rss_before, rss_after)


def _kill(peer: Peer) -> None:
    """Drop the connection the way a killed process does: RST, no FIN."""
    sock = peer.writer.get_extra_info("socket")
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    peer.writer.transport.abort()


async def _open_session(port: int) -> str:
    peer = await Peer.connect(port)
    response = await peer.request("POST", initialize_body(), legacy_headers())
    session_id = response.headers["mcp-session-id"]
    note = {"jsonrpc": "2.0", "method": "notifications/initialized"}
    assert (await peer.request("POST", note, legacy_headers(session_id))).status == 202
    peer.close()
    return session_id


async def _delete_session(port: int, session_id: str) -> None:
    peer = await Peer.connect(port)
    response = await peer.request(
        "DELETE", None, {"MCP-Protocol-Version": LEGACY, "Mcp-Session-Id": session_id}
    )
    assert response.status == 200
    peer.close()


def _stream_headers(session_id: str) -> dict[str, str]:
    return {"Accept": "text/event-stream", "MCP-Protocol-Version": LEGACY, "Mcp-Session-Id": session_id}


def _flood_call(count: int, size: int) -> dict[str, Any]:
    arguments = {"count": count, "size": size}
    return modern_request(
        1, "tools/call", {"name": "flood_progress", "arguments": arguments, "_meta": {"progressToken": "p"}}
    )


# ------------------------------------------------------------------------------- kills


def test_clients_killed_mid_sse_stream(served: HttpServerProcess) -> None:
    port = served.port

    async def kill_streams(clients: int) -> None:
        sessions = [await _open_session(port) for _ in range(clients)]
        peers = []
        for session_id in sessions:  # a legacy GET stream and a modern request stream, each mid-body
            listener = await Peer.connect(port)
            listener.send_raw(listener.request_bytes("GET", None, _stream_headers(session_id)))
            assert (await listener.read_head())[0] == 200
            streamer = await Peer.connect(port)
            flood = _flood_call(100_000, 512)
            streamer.send_raw(
                streamer.request_bytes("POST", flood, modern_headers("tools/call", "flood_progress"))
            )
            assert (await streamer.read_head())[0] == 200
            assert await streamer.read_chunk()  # the stream is flowing
            peers += [listener, streamer]
        for peer in peers:
            _kill(peer)
        for session_id in sessions:  # the sessions outlive their streams: a new GET stream opens
            listener = await Peer.connect(port)
            listener.send_raw(listener.request_bytes("GET", None, _stream_headers(session_id)))
            assert (await listener.read_head())[0] == 200
            _kill(listener)
            await _delete_session(port, session_id)

    async def body() -> None:
        baseline, rss_before = await _baseline(served, lambda: kill_streams(50))
        await kill_streams(100)
        await _check_recovered(served, baseline, rss_before)

    _run(body)


# ------------------------------------------------------------------------ half-closes


def test_half_closed_sockets_get_their_answers_then_the_connection_closes(served: HttpServerProcess) -> None:
    port = served.port

    async def half_close(clients: int) -> None:
        async def answered() -> None:
            peer = await Peer.connect(port)
            for value in range(3):
                call = modern_request(
                    value, "tools/call", {"name": "slow", "arguments": {"seconds": 0.05, "value": value}}
                )
                peer.send_raw(peer.request_bytes("POST", call, modern_headers("tools/call", "slow")))
            peer.writer.write_eof()  # done sending, still reading
            values = [
                (await peer.read_response()).json()["result"]["structuredContent"]["result"] for _ in range(3)
            ]
            assert values == [0, 1, 2]
            assert await peer.closed_by_server()
            peer.close()

        async def partial() -> None:
            peer = await Peer.connect(port)
            peer.send_raw(b"POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Le")
            peer.writer.write_eof()  # a request that can never complete: closed at once
            assert await peer.closed_by_server()
            peer.close()

        await asyncio.gather(*[answered() for _ in range(clients)], *[partial() for _ in range(clients)])

    async def body() -> None:
        baseline, rss_before = await _baseline(served, lambda: half_close(100))
        await half_close(200)
        await _check_recovered(served, baseline, rss_before)

    _run(body)


# ----------------------------------------------------------------------------- stalls


async def _stalled(port: int) -> Peer:
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.setblocking(False)
    await asyncio.get_running_loop().sock_connect(sock, ("127.0.0.1", port))
    reader, writer = await asyncio.open_connection(sock=sock)
    return Peer(reader, writer, port)


def test_readers_that_stall_on_long_sse_streams_are_cut_off(served: HttpServerProcess) -> None:
    port = served.port

    async def stall(clients: int) -> None:
        session_id = await _open_session(port)
        stalled = []
        for _ in range(clients):
            peer = await _stalled(port)
            flood = _flood_call(4000, 4096)  # 16 MiB each, never read
            peer.send_raw(peer.request_bytes("POST", flood, modern_headers("tools/call", "flood_progress")))
            assert (await peer.read_head())[0] == 200
            stalled.append(peer)
        listener = await _stalled(port)
        listener.send_raw(listener.request_bytes("GET", None, _stream_headers(session_id)))
        assert (await listener.read_head())[0] == 200
        flooded = await _tool_legacy(port, session_id, "flood_standalone", {"count": 4000, "size": 4096})
        assert flooded == 4000
        for peer in [*stalled, listener]:  # each was cut by the server: it ends, short of the flood
            assert await _bytes_until_cut(peer) < 4000 * 4096
            peer.close()
        await _delete_session(port, session_id)

    async def body() -> None:
        baseline, rss_before = await _baseline(served, lambda: stall(10))
        await stall(20)
        await _check_recovered(served, baseline, rss_before)

    _run(body)


async def _tool_legacy(port: int, session_id: str, name: str, arguments: dict[str, Any]) -> Any:
    peer = await Peer.connect(port)
    call = {
        "jsonrpc": "2.0",
        "id": 2,
        "method": "tools/call",
        "params": {"name": name, "arguments": arguments},
    }
    response = await peer.request("POST", call, legacy_headers(session_id))
    peer.close()
    return response.messages()[-1]["result"]["structuredContent"]["result"]


async def _bytes_until_cut(peer: Peer) -> int:
    total = 0
    while True:
        try:
            data = await asyncio.wait_for(peer.reader.read(1 << 16), DEADLINE)
        except ConnectionResetError:
            return total
        if not data:
            return total
        total += len(data)


# ------------------------------------------------------------------------------ churn


def test_ten_thousand_connections_opened_and_dropped(served: HttpServerProcess) -> None:
    port = served.port
    call = modern_request(1, "tools/call", {"name": "slow", "arguments": {"seconds": 0, "value": 1}})
    whole = Peer(None, None, port).request_bytes("POST", call, modern_headers("tools/call", "slow"))  # type: ignore[arg-type]

    async def one(index: int) -> None:
        loop = asyncio.get_running_loop()
        sock = socket.socket()
        sock.setblocking(False)
        try:
            await loop.sock_connect(sock, ("127.0.0.1", port))
            kind = index % 4
            if kind == 1:
                await loop.sock_sendall(sock, whole[:40])  # a partial head, then gone
            elif kind == 2:
                await loop.sock_sendall(sock, whole)  # a whole request, gone before the answer (RST)
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            elif kind == 3:
                await loop.sock_sendall(sock, whole)  # a whole request, answer read, then gone
                data = b""
                while b'"result":1' not in data:
                    chunk = await asyncio.wait_for(loop.sock_recv(sock, 65536), DEADLINE)
                    assert chunk, data
                    data += chunk
        finally:
            sock.close()

    async def churn(connections: int, batch: int = 500) -> None:
        for start in range(0, connections, batch):
            await asyncio.gather(*[one(index) for index in range(start, min(connections, start + batch))])

    async def body() -> None:
        baseline, rss_before = await _baseline(served, lambda: churn(10_000))
        await churn(10_000)
        await _check_recovered(served, baseline, rss_before)

    _run(body)
