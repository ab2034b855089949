"""The HTTP floor: a bare uvloop ``Protocol`` answering POSTs with a fixed JSON shape, no MCP logic.

It parses just enough HTTP/1.1 to find each request's body (``Content-Length``
only), answers ``initialize`` with a fixed result and an ``Mcp-Session-Id``,
notifications with ``202``, and ``tools/call`` with the sum of ``a`` and
``b``, on keep-alive connections. No validation, no sessions, no Host check:
nothing that serves MCP over HTTP correctly can be faster.

Run: ``python -m benchmarks.servers.floor_http --port N``.
"""

from __future__ import annotations

import argparse
import asyncio
import signal

import orjson

try:
    import uvloop
except ImportError:  # pragma: no cover - the floor is measured on uvloop where it exists
    uvloop = None  # type: ignore[assignment]

_INIT = {
    "protocolVersion": "2025-11-25",
    "capabilities": {"tools": {}},
    "serverInfo": {"name": "floor-http", "version": "0"},
}
_OK = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
_OK_SESSION = (
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nMcp-Session-Id: floor\r\nContent-Length: "
)
_ACCEPTED = b"HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n"


class FloorHttp(asyncio.Protocol):
    def __init__(self) -> None:
        self.buffer = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        buffer = self.buffer + data
        out: list[bytes] = []
        while True:
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                break
            head = buffer[:end].lower()
            length = 0
            start = head.find(b"content-length:")
            if start >= 0:
                line_end = head.find(b"\r\n", start)
                length = int(head[start + 15 : line_end if line_end >= 0 else len(head)])
            if len(buffer) < end + 4 + length:
                break
            body = buffer[end + 4 : end + 4 + length]
            buffer = buffer[end + 4 + length :]
            out.append(self.answer(body))
        self.buffer = buffer
        if out and self.transport is not None:
            self.transport.write(b"".join(out))

    @staticmethod
    def answer(body: bytes) -> bytes:
        msg = orjson.loads(body)
        if "id" not in msg:
            return _ACCEPTED
        prefix = _OK
        method = msg["method"]
        if method == "tools/call":
            args = msg["params"]["arguments"]
            result: object = {"content": [{"type": "text", "text": str(args["a"] + args["b"])}]}
        elif method == "initialize":
            result, prefix = _INIT, _OK_SESSION
        else:
            result = {}
        payload = orjson.dumps({"jsonrpc": "2.0", "id": msg["id"], "result": result})
        return b"".join((prefix, str(len(payload)).encode(), b"\r\n\r\n", payload))


async def main(port: int) -> None:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(FloorHttp, "127.0.0.1", port, backlog=2048)
    stop = asyncio.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()
    server.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=8000)
    port = parser.parse_args().port
    if uvloop is not None:
        uvloop.run(main(port))
    else:
        asyncio.run(main(port))
