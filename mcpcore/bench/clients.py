"""The bench's clients: blocking, plain, and the same for every server measured.

* :class:`StdioBenchClient`: newline-delimited JSON on a subprocess's pipes,
  with ``os.write``/``os.read``; no event loop.
* :class:`HttpBenchClient`: one keep-alive HTTP/1.1 connection on a raw
  socket, framed by :mod:`mcpcore.wire.http11_client` (the engine's own
  response parser) and :mod:`mcpcore.wire.sse` for event-stream bodies.

mcpcore's asyncio client is not used in timed paths: an event loop's
scheduling per request would be part of every figure, and larger than a fast
server's whole round trip. These clients cost a few microseconds per
request, the same for every server, so ratios taken in one run are fair.
"""

from __future__ import annotations

import contextlib
import os
import select
import socket
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import orjson

from mcpcore import versions
from mcpcore.bench.procs import process_cpu_seconds, process_rss_mib, stop_process
from mcpcore.session import META_CLIENT_CAPABILITIES, META_CLIENT_INFO, META_PROTOCOL_VERSION
from mcpcore.wire.http11_client import Body, EndOfResponse, ResponseHead, ResponseParser, encode_request
from mcpcore.wire.mcp_headers import NAME_FIELDS, encode_value
from mcpcore.wire.sse import EventParser

__all__ = [
    "CLIENT_INFO",
    "DEFAULT_VERSION",
    "HttpBenchClient",
    "HttpResponse",
    "StdioBenchClient",
    "initialize_frame",
    "is_modern",
    "modern_meta",
]

DEFAULT_VERSION = versions.LATEST_LEGACY
CLIENT_INFO = {"name": "mcpcore-bench", "version": "1"}
INITIALIZED = b'{"jsonrpc":"2.0","method":"notifications/initialized"}\n'
#: Bytes asked of one ``read``: below glibc's mmap threshold (128 KiB), so the buffer is not mapped and
#: unmapped on every call (a 256 KiB read costs more than a fast server's whole answer).
READ_BYTES = 64 * 1024
#: The longest stdio line the bench buffers: a server that never ends a line fails, memory stays bounded.
MAX_LINE_BYTES = 64 * 1024 * 1024


def is_modern(version: str) -> bool:
    """Whether ``version`` is served statelessly (the 2026-07-28 era: no ``initialize``)."""
    return version in versions.MODERN_VERSIONS


def modern_meta(version: str) -> dict[str, Any]:
    """The per-request ``_meta`` envelope of the stateless era."""
    return {
        META_PROTOCOL_VERSION: version,
        META_CLIENT_CAPABILITIES: {},
        META_CLIENT_INFO: CLIENT_INFO,
    }


def initialize_frame(version: str, request_id: int = 0) -> bytes:
    """The legacy era's ``initialize`` request."""
    return orjson.dumps(
        {
            "jsonrpc": "2.0",
            "id": request_id,
            "method": "initialize",
            "params": {"protocolVersion": version, "capabilities": {}, "clientInfo": CLIENT_INFO},
        },
        option=orjson.OPT_APPEND_NEWLINE,
    )


# ------------------------------------------------------------------ stdio


class StdioBenchClient:
    """A blocking newline-delimited JSON client on a server subprocess's pipes."""

    def __init__(self, argv: Sequence[str], env: dict[str, str] | None = None) -> None:
        self.started = time.perf_counter()
        self.process = subprocess.Popen(
            list(argv),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=env,
            bufsize=0,
        )
        assert self.process.stdin is not None and self.process.stdout is not None
        self._out = self.process.stdin.fileno()
        self._in = self.process.stdout.fileno()
        self._buffer = bytearray()
        #: ``perf_counter_ns`` right after the last :meth:`read_available` read returned.
        self.read_at = 0

    def fileno(self) -> int:
        return self._in

    def send(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            view = view[os.write(self._out, view) :]

    def read_message(self, timeout: float = 30.0) -> dict[str, Any]:
        """The next JSON message from stdout."""
        deadline = time.monotonic() + timeout
        while True:
            newline = self._buffer.find(b"\n")
            if newline >= 0:
                line = bytes(self._buffer[: newline + 1])
                del self._buffer[: newline + 1]
                if line.strip():
                    message: dict[str, Any] = orjson.loads(line)
                    return message
                continue
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([self._in], [], [], remaining)[0]:
                raise TimeoutError("the server sent nothing in time")
            chunk = os.read(self._in, READ_BYTES)
            if not chunk:
                raise EOFError("the server closed stdout")
            self._buffer += chunk

    def read_response(self, timeout: float = 30.0) -> dict[str, Any]:
        """The next response, answering server requests with "method not found" and skipping notifications."""
        while True:
            message = self.read_message(timeout)
            if "method" not in message:
                return message
            self.refuse(message)

    def refuse(self, message: dict[str, Any]) -> None:
        """Answer a server-to-client request (the bench offers no client features), so it never hangs."""
        if "id" in message:
            error = {"code": -32601, "message": "the bench client offers no features"}
            self.send(
                orjson.dumps(
                    {"jsonrpc": "2.0", "id": message["id"], "error": error}, option=orjson.OPT_APPEND_NEWLINE
                )
            )

    def read_available(self) -> list[dict[str, Any]]:
        """Every whole response readable now with one ``read`` (may be none); EOF raises.

        Pipelined runs get many responses per read, so the client's own
        syscalls do not cap the fastest servers.
        """
        chunk = os.read(self._in, READ_BYTES)
        self.read_at = time.perf_counter_ns()  # when the bytes arrived, before the client parses them
        if not chunk:
            raise EOFError("the server closed stdout")
        self._buffer += chunk
        end = self._buffer.rfind(b"\n") + 1
        if end == 0:
            if len(self._buffer) > MAX_LINE_BYTES:
                raise ValueError(f"a line longer than {MAX_LINE_BYTES} bytes")  # a broken server, not memory
            return []
        lines = bytes(self._buffer[:end]).split(b"\n")
        del self._buffer[:end]
        found: list[dict[str, Any]] = []
        for line in lines:
            if line.strip():
                try:
                    message = orjson.loads(line)
                except orjson.JSONDecodeError:
                    continue  # not JSON: no request can be matched to it; its call times out as an error
                if not isinstance(message, dict):
                    continue
                if "method" in message:
                    self.refuse(message)
                else:
                    found.append(message)
        return found

    def cpu_seconds(self) -> float:
        """User + system CPU the server process has used (Linux; 0 elsewhere)."""
        return process_cpu_seconds(self.process.pid)

    def rss_mib(self) -> float:
        """Resident memory of the server process in MiB (Linux; 0 elsewhere)."""
        return process_rss_mib(self.process.pid)

    def close(self) -> None:
        stop_process(self.process)


# ------------------------------------------------------------------ HTTP


@dataclass
class HttpResponse:
    """One whole HTTP response (header names lower-cased)."""

    status: int
    headers: dict[str, str]
    body: bytes = b""
    _chunks: list[bytes] = field(default_factory=list, repr=False)

    def message(self) -> dict[str, Any] | None:
        """The JSON-RPC response it carries: the JSON body, or the SSE event that is a response."""
        if not self.body:
            return None
        if "text/event-stream" in self.headers.get("content-type", ""):
            for event in EventParser().feed(self.body + b"\n\n"):
                if not event.data:
                    continue
                message = orjson.loads(event.data)
                if isinstance(message, dict) and "method" not in message:
                    return message
            return None
        loaded = orjson.loads(self.body)
        return loaded if isinstance(loaded, dict) else None


class HttpBenchClient:
    """One keep-alive HTTP/1.1 connection on a raw socket, holding at most one MCP session.

    Request heads are built with :func:`~mcpcore.wire.http11_client.encode_request`
    once per distinct header set and cached; only ``Content-Length`` and the
    body change per request, so building one costs little.
    """

    def __init__(
        self,
        url: str,
        *,
        version: str = DEFAULT_VERSION,
        timeout: float = 30.0,
        headers: Sequence[tuple[str, str]] = (),
    ) -> None:
        parts = urlsplit(url)
        if parts.scheme != "http" or not parts.hostname:
            raise ValueError(f"an http:// URL is needed, not {url!r}")
        self.host = parts.hostname
        self.port = parts.port or 80
        self.path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        self.version = version
        self.timeout = timeout
        self.extra_headers = list(headers)
        self.session_id: str | None = None
        self.parser = ResponseParser()
        self.sock = socket.create_connection((self.host, self.port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._heads: dict[tuple[str, str, str | None], bytes] = {}
        self._current: HttpResponse | None = None

    def fileno(self) -> int:
        return self.sock.fileno()

    # ------------------------------------------------------------------ requests

    def _head(self, method: str, rpc_method: str, name: str | None) -> bytes:
        key = (method, rpc_method, name)
        head = self._heads.get(key)
        if head is None:
            host = f"{self.host}:{self.port}"
            headers = [("host", host), *self.extra_headers]
            if method == "POST":
                headers += [
                    ("content-type", "application/json"),
                    ("accept", "application/json, text/event-stream"),
                ]
            if is_modern(self.version):
                headers += [("mcp-protocol-version", self.version), ("mcp-method", rpc_method)]
                if name is not None:
                    headers.append(("mcp-name", encode_value(name)))
            else:
                if rpc_method != "initialize":
                    headers.append(("mcp-protocol-version", self.version))
                if self.session_id is not None:
                    headers.append(("mcp-session-id", self.session_id))
            head = encode_request(method, self.path, headers)[:-2]  # without the blank line
            self._heads[key] = head
        return head

    def request_bytes(self, body: bytes, rpc_method: str = "tools/call", name: str | None = None) -> bytes:
        """A POST carrying ``body`` (the headers of ``rpc_method``, and ``name`` in the modern era)."""
        self.parser.expect("POST")
        return b"%scontent-length: %d\r\n\r\n%s" % (self._head("POST", rpc_method, name), len(body), body)

    def delete_bytes(self) -> bytes:
        """A DELETE ending this connection's legacy session."""
        self.parser.expect("DELETE")
        return self._head("DELETE", "", None) + b"\r\n"

    def send(self, body: bytes, rpc_method: str = "tools/call", name: str | None = None) -> None:
        self.sock.sendall(self.request_bytes(body, rpc_method, name))

    def set_session(self, session_id: str | None) -> None:
        """Use ``session_id`` on later requests (cached heads are rebuilt)."""
        self.session_id = session_id
        self._heads.clear()

    # ------------------------------------------------------------------ responses

    def feed(self, data: bytes) -> list[HttpResponse]:
        """Parse bytes from the socket; the responses they complete (``b""``: the peer closed)."""
        events = self.parser.feed(data) if data else self.parser.feed_eof()
        done: list[HttpResponse] = []
        for event in events:
            if type(event) is ResponseHead:
                self._current = HttpResponse(event.status, event.headers)
            elif type(event) is Body and self._current is not None:
                self._current._chunks.append(event.data)
            elif type(event) is EndOfResponse and self._current is not None:
                response, self._current = self._current, None
                response.body = b"".join(response._chunks)
                response._chunks.clear()
                done.append(response)
        return done

    def read(self) -> HttpResponse:
        """The next whole response (blocking)."""
        while True:
            chunk = self.sock.recv(1 << 16)
            responses = self.feed(chunk)
            if responses:
                if len(responses) > 1:
                    raise RuntimeError("more responses than requests")
                return responses[0]
            if not chunk:
                raise EOFError("the server closed the connection")

    def post(self, body: bytes, rpc_method: str = "tools/call", name: str | None = None) -> HttpResponse:
        self.send(body, rpc_method, name)
        return self.read()

    def initialize(self) -> None:
        """Open a legacy session: ``initialize`` (keeping ``Mcp-Session-Id``), then ``initialized``."""
        response = self.post(initialize_frame(self.version), "initialize")
        message = response.message()
        if response.status != 200 or not message or "result" not in message:
            raise RuntimeError(f"initialize failed: HTTP {response.status} {response.body[:300]!r}")
        self.set_session(response.headers.get("mcp-session-id"))
        response = self.post(INITIALIZED, "notifications/initialized")
        if response.status >= 300:
            raise RuntimeError(f"notifications/initialized refused: HTTP {response.status}")

    def delete(self) -> int:
        """End the session with DELETE; the status (a server without DELETE answers 405)."""
        self.sock.sendall(self.delete_bytes())
        status = self.read().status
        self.set_session(None)
        return status

    def call(self, request_id: int, tool: str, a: int) -> dict[str, Any] | None:
        """``tool(a, b=1)``, the suite's ``add`` call, answered (blocking)."""
        body: dict[str, Any] = {
            "jsonrpc": "2.0",
            "id": request_id,
            "method": "tools/call",
            "params": {"name": tool, "arguments": {"a": a, "b": 1}},
        }
        if is_modern(self.version):
            body["params"]["_meta"] = modern_meta(self.version)
        response = self.post(orjson.dumps(body), "tools/call", tool)
        if response.status != 200:
            raise RuntimeError(f"tools/call got HTTP {response.status}: {response.body[:300]!r}")
        return response.message()

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.close()


def header_name(method: str, params: Any) -> str | None:
    """The ``Mcp-Name`` value of a modern request (the tool, prompt or resource it names)."""
    field_name = NAME_FIELDS.get(method)
    if field_name is None or not isinstance(params, dict):
        return None
    value = params.get(field_name)
    return value if isinstance(value, str) else None
