"""Micro: one whole HTTP exchange in process, the floor's and mcpcore's, with the socket taken away.

Over loopback with one client, a call's latency is the kernel's and the
event loop's work (which the floor and mcpcore share) plus each server's
own Python. This module measures that Python alone: the same keep-alive
``POST`` of ``tools/call`` bytes is fed to the server's ``Protocol``
(``data_received``) and the answer collected from a transport that only
keeps what is written. mcpcore's side is the real stack: HTTP/1.1 parsing,
the Host check, the session, the JSON-RPC router, argument validation, the
tool and the SSE-framed answer. An ``async def`` tool is answered after
loop turns, so every case runs inside a running loop, 100 calls per timed
operation, each waiting for its answer before the next is fed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

import orjson

from benchmarks.micro import Case, run
from benchmarks.servers.async_add import server as async_add
from benchmarks.servers.floor_http import FloorHttp
from mcpcore import Server
from mcpcore.examples.calculator import server as calculator
from mcpcore.transport.http import HttpProtocol, HttpServer, ServerLimits
from mcpcore.transport.options import HttpOptions
from mcpcore.transport.streamable import StreamableHTTP

try:
    import uvloop
except ImportError:  # pragma: no cover - uvloop is a runtime dependency
    uvloop = None  # type: ignore[assignment]

#: Calls per timed operation (the loop's own entry and exit are spread over them).
CALLS = 100


class _Collecting(asyncio.Transport):
    """A transport that keeps what is written: no socket, no kernel."""

    def __init__(self) -> None:
        super().__init__()
        self.written: list[bytes] = []

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.written.append(bytes(data))

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return default

    def is_closing(self) -> bool:
        return False

    def close(self) -> None:
        pass

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass

    def get_write_buffer_size(self) -> int:
        return 0


def _post(message: dict[str, Any], session_id: bytes | None = None) -> bytes:
    """A keep-alive POST as the bench client sends it."""
    body = orjson.dumps(message)
    lines = [
        b"POST /mcp HTTP/1.1",
        b"Host: 127.0.0.1:8000",
        b"Content-Type: application/json",
        b"Accept: application/json, text/event-stream",
        b"MCP-Protocol-Version: 2025-11-25",
    ]
    if session_id is not None:
        lines.append(b"Mcp-Session-Id: " + session_id)
    lines.append(b"Content-Length: %d" % len(body))
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


def _call(index: int, session_id: bytes | None) -> bytes:
    params = {"name": "add", "arguments": {"a": index, "b": 1}}
    return _post({"jsonrpc": "2.0", "id": index, "method": "tools/call", "params": params}, session_id)


async def _answer(protocol: asyncio.Protocol, transport: _Collecting, data: bytes) -> bytes:
    """Feed one request; the first write that follows is its answer (a loop turn at a time)."""
    protocol.data_received(data)
    written = transport.written
    while not written:
        await asyncio.sleep(0)
    answer = written[0]
    written.clear()
    return answer


async def _open_floor() -> tuple[asyncio.Protocol, _Collecting, bytes | None]:
    protocol, transport = FloorHttp(), _Collecting()
    protocol.connection_made(transport)
    return protocol, transport, None


async def _open_mcpcore(server: Server) -> tuple[asyncio.Protocol, _Collecting, bytes | None]:
    """A connection with an initialized legacy session, as ``--session reuse`` holds one."""
    http = HttpServer(StreamableHTTP(server, HttpOptions()), ServerLimits())
    protocol, transport = HttpProtocol(http), _Collecting()
    protocol.connection_made(transport)
    client = {"name": "bench", "version": "1"}
    init = {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": client}
    head = await _answer(
        protocol, transport, _post({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": init})
    )
    session_id = next(
        line.split(b":", 1)[1].strip()
        for line in head.split(b"\r\n\r\n", 1)[0].split(b"\r\n")
        if line.lower().startswith(b"mcp-session-id:")
    )
    await _answer(
        protocol, transport, _post({"jsonrpc": "2.0", "method": "notifications/initialized"}, session_id)
    )
    return protocol, transport, session_id


def _exchanges(
    loop: asyncio.AbstractEventLoop,
    opening: Coroutine[Any, Any, tuple[asyncio.Protocol, _Collecting, bytes | None]],
) -> Callable[[], object]:
    """``CALLS`` exchanges on one connection per operation; the first answer is checked once."""
    protocol, transport, session_id = loop.run_until_complete(opening)
    requests = [_call(index, session_id) for index in range(1, CALLS + 1)]

    async def exchanges() -> None:
        for data in requests:
            await _answer(protocol, transport, data)

    first = loop.run_until_complete(_answer(protocol, transport, requests[0]))
    assert first.startswith(b"HTTP/1.1 200") and b'"text":"2"' in first, first

    def once() -> object:
        return loop.run_until_complete(exchanges())

    return once


def cases() -> list[Case]:
    loop = uvloop.new_event_loop() if uvloop is not None else asyncio.new_event_loop()
    return [
        Case("floor: POST tools/call answered", _exchanges(loop, _open_floor()), per_call=CALLS),
        Case(
            "mcpcore async def: legacy POST tools/call answered",
            _exchanges(loop, _open_mcpcore(async_add)),
            per_call=CALLS,
            note="SSE body; async def add",
        ),
        Case(
            "mcpcore inline: legacy POST tools/call answered",
            _exchanges(loop, _open_mcpcore(calculator)),
            per_call=CALLS,
            note='SSE body; run="loop"',
        ),
    ]


if __name__ == "__main__":
    run("http exchange", cases())
