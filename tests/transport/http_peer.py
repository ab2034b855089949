"""A small raw HTTP/1.1 client over real loopback sockets, for driving the server byte for byte.

Every read has a deadline (a failure guard, never a timing assumption).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import orjson

from mcpcore import Server
from mcpcore.loop import run as run_loop
from mcpcore.stores.memory import InMemoryEventStore
from mcpcore.transport.http import ServerLimits, start_http
from mcpcore.transport.streamable import HttpOptions
from mcpcore.wire.sse import Event, EventParser

DEADLINE = 10.0
ACCEPT_BOTH = "application/json, text/event-stream"
LEGACY = "2025-11-25"
MODERN = "2026-07-28"


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return orjson.loads(self.body)

    def events(self) -> list[Event]:
        return EventParser().feed(self.body)

    def messages(self) -> list[Any]:
        """The JSON-RPC messages of the body, whether it is one JSON value or an SSE stream."""
        if self.headers.get("content-type") == "application/json":
            return [self.json()]
        return [orjson.loads(event.data) for event in self.events() if event.data]


class Peer:
    """One TCP connection to the server."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, port: int) -> None:
        self.reader = reader
        self.writer = writer
        self.port = port

    @classmethod
    async def connect(cls, port: int) -> Peer:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        return cls(reader, writer, port)

    def close(self) -> None:
        self.writer.close()

    def send_raw(self, data: bytes) -> None:
        self.writer.write(data)

    def request_bytes(
        self, method: str, body: Any = None, headers: dict[str, str] | None = None, path: str = "/mcp"
    ) -> bytes:
        payload = b"" if body is None else body if isinstance(body, bytes) else orjson.dumps(body)
        all_headers = {"Host": f"127.0.0.1:{self.port}"}
        if body is not None:
            all_headers["Content-Type"] = "application/json"
            all_headers["Content-Length"] = str(len(payload))
        all_headers.update(headers or {})
        head = f"{method} {path} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in all_headers.items())
        return head.encode("latin-1") + b"\r\n" + payload

    async def request(
        self, method: str, body: Any = None, headers: dict[str, str] | None = None, path: str = "/mcp"
    ) -> Response:
        self.send_raw(self.request_bytes(method, body, headers, path))
        return await self.read_response()

    async def read_head(self) -> tuple[int, dict[str, str]]:
        head = await asyncio.wait_for(self.reader.readuntil(b"\r\n\r\n"), DEADLINE)
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ")[1])
        headers: dict[str, str] = {}
        for line in lines[1:]:
            if line:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
        return status, headers

    async def read_chunk(self) -> bytes:
        """One chunk of a chunked body (b"" at the end)."""
        size_line = await asyncio.wait_for(self.reader.readuntil(b"\r\n"), DEADLINE)
        size = int(size_line.split(b";")[0], 16)
        data = await asyncio.wait_for(self.reader.readexactly(size + 2), DEADLINE)
        return data[:-2]

    async def read_response(self) -> Response:
        status, headers = await self.read_head()
        if headers.get("transfer-encoding") == "chunked":
            body = bytearray()
            while chunk := await self.read_chunk():
                body += chunk
            return Response(status, headers, bytes(body))
        length = int(headers.get("content-length", "0"))
        body = await asyncio.wait_for(self.reader.readexactly(length), DEADLINE)
        return Response(status, headers, body)

    async def read_events(self, parser: EventParser, count: int) -> list[Event]:
        """Read chunks of an open SSE stream until ``count`` events with data arrived."""
        events: list[Event] = []
        while len(events) < count:
            chunk = await self.read_chunk()
            assert chunk, "stream ended early"
            events += [event for event in parser.feed(chunk) if event.data]
        return events

    async def closed_by_server(self) -> bool:
        data = await asyncio.wait_for(self.reader.read(65536), DEADLINE)
        return data == b""


class AwaitingStore:
    """An event store that really awaits, as a shared one doing I/O would (the endpoint's async path).

    One instance shared by two endpoints stands for a shared store (Redis) between two replicas.
    """

    def __init__(self) -> None:
        self.inner = InMemoryEventStore()

    async def store(self, stream_id: str, message: bytes) -> str:
        await asyncio.sleep(0)
        return self.inner.store_nowait(stream_id, message)

    async def replay_after(self, last_event_id: str) -> tuple[str, list[tuple[str, bytes]]] | None:
        await asyncio.sleep(0)
        return self.inner.replay_after_nowait(last_event_id)


def legacy_headers(session_id: str | None = None, accept: str = ACCEPT_BOTH) -> dict[str, str]:
    headers = {"Accept": accept, "MCP-Protocol-Version": LEGACY}
    if session_id is not None:
        headers["Mcp-Session-Id"] = session_id
    return headers


def initialize_body(request_id: int = 1, version: str = LEGACY) -> dict[str, Any]:
    return {
        "jsonrpc": "2.0",
        "id": request_id,
        "method": "initialize",
        "params": {
            "protocolVersion": version,
            "capabilities": {},
            "clientInfo": {"name": "t", "version": "0"},
        },
    }


def modern_request(request_id: int, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
    body_params = dict(params or {})
    body_params["_meta"] = {
        "io.modelcontextprotocol/protocolVersion": MODERN,
        "io.modelcontextprotocol/clientCapabilities": {},
        "io.modelcontextprotocol/clientInfo": {"name": "t", "version": "0"},
        **body_params.get("_meta", {}),
    }
    return {"jsonrpc": "2.0", "id": request_id, "method": method, "params": body_params}


def modern_headers(method: str, name: str | None = None) -> dict[str, str]:
    headers = {"Accept": ACCEPT_BOTH, "MCP-Protocol-Version": MODERN, "Mcp-Method": method}
    if name is not None:
        headers["Mcp-Name"] = name
    return headers


async def open_session(peer: Peer) -> str:
    response = await peer.request("POST", initialize_body(), legacy_headers())
    assert response.status == 200
    session_id = response.headers["mcp-session-id"]
    note = {"jsonrpc": "2.0", "method": "notifications/initialized"}
    assert (await peer.request("POST", note, legacy_headers(session_id))).status == 202
    return session_id


def serve_and_run(
    loop_name: str,
    server: Server,
    body: Callable[[int], Awaitable[None]],
    *,
    options: HttpOptions | None = None,
    limits: ServerLimits | None = None,
) -> None:
    """Start the built-in server on a free loopback port, run ``body(port)``, shut down."""

    async def main() -> None:
        http = await start_http(server, "127.0.0.1", 0, options=options, limits=limits)
        try:
            await asyncio.wait_for(body(http.port), 60)
        finally:
            await http.close()

    run_loop(main(), loop=loop_name)  # type: ignore[arg-type]
