"""Security defaults that SECURITY.md claims, each proved (or, where missing, shown failing).

Driven in-process through the router with a list sink: these are about what
the engine does with hostile input, not about a transport.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Iterator
from typing import Any

import orjson
import pytest

from mcpcore import Server
from mcpcore.errors import INTERNAL_ERROR

_INIT = orjson.dumps(
    {
        "jsonrpc": "2.0",
        "id": 0,
        "method": "initialize",
        "params": {
            "protocolVersion": "2025-11-25",
            "capabilities": {},
            "clientInfo": {"name": "s", "version": "1"},
        },
    }
)


class _Sink:
    def __init__(self) -> None:
        self.frames: list[bytes] = []

    def write(self, data: bytes) -> None:
        self.frames.append(data)


def _exchange(server: Server, *messages: dict[str, Any] | bytes) -> list[dict[str, Any]]:
    """Initialize, send ``messages`` (dicts or raw frames), let handlers finish; return the replies."""

    async def run() -> list[bytes]:
        sink = _Sink()
        connection = server.connect(sink)
        connection.receive_frame(_INIT)
        for message in messages:
            connection.receive_frame(message if type(message) is bytes else orjson.dumps(message))
        for _ in range(2000):
            if not connection.in_flight:
                break
            await asyncio.sleep(0.005)
        server.disconnect(connection)
        return sink.frames

    return [orjson.loads(frame) for frame in asyncio.run(run())[1:]]


def _call(request_id: int, name: str, arguments: Any) -> dict[str, Any]:
    return {
        "jsonrpc": "2.0",
        "id": request_id,
        "method": "tools/call",
        "params": {"name": name, "arguments": arguments},
    }


def test_an_internal_error_tells_the_peer_nothing_about_the_failure() -> None:
    server = Server("s")

    def broken(params: dict[str, Any], context: Any) -> Any:
        raise KeyError("/etc/secret-path token=hunter2")

    server.methods["custom/broken"] = type(server.methods["ping"])(broken)
    [reply] = _exchange(server, {"jsonrpc": "2.0", "id": 1, "method": "custom/broken"})
    assert reply["error"] == {"code": INTERNAL_ERROR, "message": "Internal error"}


def test_a_failing_tool_reports_its_message_but_no_traceback() -> None:
    server = Server("s")

    @server.tool(run="loop")
    def explode() -> str:
        raise RuntimeError("bad input")

    [reply] = _exchange(server, _call(1, "explode", {}))
    text = reply["result"]["content"][0]["text"]
    assert reply["result"]["isError"] is True and "bad input" in text
    assert "Traceback" not in text and ".py" not in text


def test_deeply_nested_arguments_cost_bounded_work_and_get_an_answer() -> None:
    """Nesting is capped at 1024 by the JSON decoder; a recursive schema validates that in bounded time."""
    server = Server("s")

    @server.tool(
        run="loop",
        input_schema={
            "type": "object",
            "properties": {"tree": {"$ref": "#/$defs/t"}},
            "$defs": {"t": {"type": "array", "items": {"$ref": "#/$defs/t"}}},
        },
    )
    def count(tree: Any) -> int:
        return 1

    # Built by hand: orjson itself refuses to *encode* more than 255 levels.
    deep = b"[" * 1000 + b"]" * 1000
    frame = (
        b'{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"count","arguments":{"tree":%s}}}'
        % deep
    )
    replies = _exchange(server, frame, {"jsonrpc": "2.0", "id": 2, "method": "ping"})
    assert [reply["id"] for reply in replies] == [1, 2]
    assert replies[1]["result"] == {}


@pytest.fixture
def listener() -> Iterator[tuple[int, list[bytes]]]:
    """A loopback TCP listener that records every connection attempt (the network a $ref would reach)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    sock.settimeout(0.2)
    seen: list[bytes] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = sock.accept()
            except OSError:
                continue
            with conn:
                conn.settimeout(1)
                try:
                    seen.append(conn.recv(4096))
                except OSError:
                    seen.append(b"")
                body = b'{"type": "integer"}'
                conn.sendall(b"HTTP/1.0 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield sock.getsockname()[1], seen
    finally:
        stop.set()
        thread.join(2)
        sock.close()


def test_a_schema_ref_to_a_network_url_is_refused_and_never_fetched(
    listener: tuple[int, list[bytes]],
) -> None:
    port, seen = listener
    server = Server("s")
    schema = {"type": "object", "properties": {"x": {"$ref": f"http://127.0.0.1:{port}/schema.json"}}}

    def use(x: Any) -> str:
        return "ran"

    with pytest.raises(ValueError, match="points outside the schema"):
        server.add_tool(use, run="loop", input_schema=schema)
    assert seen == [], f"the validator fetched {seen[0][:60]!r}"


def test_a_ref_to_an_id_inside_the_schema_still_resolves() -> None:
    server = Server("s")
    schema = {
        "type": "object",
        "properties": {"x": {"$ref": "https://example.com/int.json"}},
        "$defs": {"int": {"$id": "https://example.com/int.json", "type": "integer"}},
    }

    def use(x: Any) -> str:
        return "ran"

    server.add_tool(use, run="loop", input_schema=schema)
    replies = _exchange(server, _call(1, "use", {"x": "nope"}), _call(2, "use", {"x": 3}))
    assert "'nope' is not of type 'integer'" in str(replies[0])
    assert "ran" in str(replies[1])


def test_a_simple_template_variable_never_carries_a_path_traversal() -> None:
    server = Server("s")
    received: list[str] = []

    @server.resource("files://docs/{name}", run="loop")
    def doc(name: str) -> str:
        received.append(name)
        return "content"

    _exchange(
        server,
        {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "resources/read",
            "params": {"uri": "files://docs/..%2F..%2Fetc%2Fpasswd"},
        },
    )
    assert all("/" not in name and ".." not in name for name in received), received
