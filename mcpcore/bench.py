"""``mcpcore bench``: latency and throughput of any MCP server, over stdio or HTTP.

The clients are deliberately plain: blocking ``os.write``/``os.read`` on the
pipes for stdio, raw keep-alive sockets (multiplexed with :mod:`selectors`
when several clients run at once) for HTTP; no event loop, no framework. Their
own cost per request is a few microseconds, the same for every server
measured, so ratios between servers taken in one run are fair.

What it measures:

* **cold start**: spawn to the ``initialize`` response (when it spawns the server);
* **sequential latency**: one ``tools/call`` at a time, percentiles of the round trip;
* **throughput**: requests/s with N requests in flight on one pipe (stdio), or
  N keep-alive clients each with one request outstanding (HTTP);
* **server CPU per request** and **RSS**, from ``/proc`` (Linux).

Targets: ``mcpcore bench [options] -- command args…`` (stdio),
``mcpcore bench [options] URL`` (an HTTP server already running), or
``mcpcore bench [options] URL -- command args…`` (spawn the command, then
measure it over HTTP at URL, cold start included).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import select
import selectors
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import urlsplit

import orjson

__all__ = [
    "BenchResult",
    "HoldResult",
    "HttpBenchClient",
    "HttpResponse",
    "Placement",
    "ResponseReader",
    "StdioBenchClient",
    "bench_http",
    "bench_stdio",
    "format_table",
    "hold_http",
    "main",
    "median_result",
]

_CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
DEFAULT_VERSION = "2025-11-25"


# ------------------------------------------------------------------ process figures


def process_cpu_seconds(pid: int | None) -> float:
    """User + system CPU a process has used (Linux ``/proc``; 0 elsewhere or without a pid)."""
    if pid is None:
        return 0.0
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            fields = stat.read().rsplit(b")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS
    except (OSError, IndexError, ValueError):
        return 0.0


def process_rss_mib(pid: int | None) -> float:
    """Resident memory of a process in MiB (Linux ``/proc``; 0 elsewhere or without a pid)."""
    if pid is None:
        return 0.0
    try:
        with open(f"/proc/{pid}/status", "rb") as status:
            for line in status:
                if line.startswith(b"VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _stop(process: subprocess.Popen[bytes], grace: float = 3.0) -> None:
    """End a server we spawned: close its stdin (stdio servers exit on EOF), then terminate, then kill.

    Its figures are read by then; ``grace`` only bounds how long a slow
    shutdown (some HTTP stacks take seconds) may stretch the suite.
    """
    if process.stdin is not None:
        with contextlib.suppress(OSError):
            process.stdin.close()
    for action in (None, process.terminate, process.kill):
        if action is not None:
            action()
        try:
            process.wait(grace if action is not process.kill else 10)
            break
        except subprocess.TimeoutExpired:
            continue
    if process.stdout is not None:
        process.stdout.close()


class Placement:
    """Where the client and the server run while measuring (``pin=True``, Linux, two CPUs or more).

    On a small VM a wake-up across CPUs costs tens of microseconds, several
    times a fast server's whole round trip, and whether the scheduler puts
    the pair on one CPU or two changes from run to run. Pinning makes it a
    decision instead: latency is measured with client and server on the
    same CPU (the software's own cost), throughput with each on its own CPU
    (so pipelining can overlap them). Without pinning both float.
    """

    def __init__(self, pid: int | None, pin: bool) -> None:
        self.pid = pid
        allowed = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
        self.active = pin and pid is not None and len(allowed) >= 2
        self.allowed = set(allowed)
        self.client_cpu, self.server_cpu = (allowed[0], allowed[1]) if self.active else (-1, -1)

    def _server(self, cpus: set[int]) -> None:
        assert self.pid is not None
        try:
            threads = os.listdir(f"/proc/{self.pid}/task")
        except OSError:
            threads = [str(self.pid)]
        for thread in threads:  # affinity is per thread on Linux: node and uvicorn run several
            with contextlib.suppress(OSError):
                os.sched_setaffinity(int(thread), cpus)

    def together(self) -> None:
        if self.active:
            os.sched_setaffinity(0, {self.client_cpu})
            self._server({self.client_cpu})

    def apart(self) -> None:
        if self.active:
            os.sched_setaffinity(0, {self.client_cpu})
            self._server({self.server_cpu})

    def release(self) -> None:
        if self.active:
            os.sched_setaffinity(0, self.allowed)
            self._server(self.allowed)


# ------------------------------------------------------------------ stdio client


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
            chunk = os.read(self._in, 1 << 16)
            if not chunk:
                raise EOFError("the server closed stdout")
            self._buffer += chunk

    def read_response(self, timeout: float = 30.0) -> dict[str, Any]:
        """The next response, skipping notifications and server requests."""
        while True:
            message = self.read_message(timeout)
            if "method" not in message:
                return message

    def read_responses(self, timeout: float = 30.0) -> list[dict[str, Any]]:
        """Every whole response available now (waiting for at least one), notifications skipped.

        Pipelined runs answer a whole chunk's worth of responses with one
        write, so the client's own syscalls do not cap the fastest servers.
        """
        found: list[dict[str, Any]] = []
        while not found:
            if self._buffer.rfind(b"\n") < 0:
                if not select.select([self._in], [], [], timeout)[0]:
                    raise TimeoutError("the server sent nothing in time")
                chunk = os.read(self._in, 1 << 18)
                if not chunk:
                    raise EOFError("the server closed stdout")
                self._buffer += chunk
                if chunk.rfind(b"\n") < 0:
                    continue
            end = self._buffer.rfind(b"\n") + 1
            lines = bytes(self._buffer[:end]).split(b"\n")
            del self._buffer[:end]
            for line in lines:
                if line.strip():
                    message = orjson.loads(line)
                    if "method" not in message:
                        found.append(message)
        return found

    def cpu_seconds(self) -> float:
        """User + system CPU the server process has used (Linux; 0 elsewhere)."""
        return process_cpu_seconds(self.process.pid)

    def rss_mib(self) -> float:
        """Resident memory of the server process in MiB (Linux; 0 elsewhere)."""
        return process_rss_mib(self.process.pid)

    def close(self) -> None:
        _stop(self.process)


# ------------------------------------------------------------------ results


@dataclass
class BenchResult:
    """One server's figures (``throughput`` maps in-flight requests, or HTTP clients, to requests/s)."""

    name: str
    cold_start_ms: float
    p50_us: float
    p90_us: float
    p99_us: float
    max_us: float
    throughput: dict[int, float] = field(default_factory=dict)
    cpu_us_per_request: float = 0.0
    rss_idle_mib: float = 0.0
    rss_after_mib: float = 0.0
    transport: str = "stdio"
    samples: int = 0
    errors: int = 0

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (throughput keys as strings)."""
        data = asdict(self)
        data["throughput"] = {str(k): v for k, v in self.throughput.items()}
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> BenchResult:
        """The inverse of :meth:`to_json`."""
        values = dict(data)
        values["throughput"] = {int(k): float(v) for k, v in data.get("throughput", {}).items()}
        return cls(**values)


@dataclass
class HoldResult:
    """Many keep-alive HTTP clients held open at once against one server."""

    clients: int
    connected: int
    requests: int
    errors: int
    seconds: float
    rss_before_mib: float = 0.0
    rss_connected_mib: float = 0.0
    rss_after_mib: float = 0.0

    @property
    def throughput(self) -> float:
        return self.requests / self.seconds if self.seconds > 0 else 0.0

    @property
    def kib_per_client(self) -> float:
        grown = max(0.0, self.rss_after_mib - self.rss_before_mib)
        return grown * 1024 / max(self.connected, 1)


def _call(request_id: int, tool: str, a: int) -> bytes:
    return orjson.dumps(
        {
            "jsonrpc": "2.0",
            "id": request_id,
            "method": "tools/call",
            "params": {"name": tool, "arguments": {"a": a, "b": 1}},
        },
        option=orjson.OPT_APPEND_NEWLINE,
    )


def _initialize_frame(version: str) -> bytes:
    return orjson.dumps(
        {
            "jsonrpc": "2.0",
            "id": 0,
            "method": "initialize",
            "params": {
                "protocolVersion": version,
                "capabilities": {},
                "clientInfo": {"name": "mcpcore-bench", "version": "1"},
            },
        },
        option=orjson.OPT_APPEND_NEWLINE,
    )


_INITIALIZED = b'{"jsonrpc":"2.0","method":"notifications/initialized"}\n'


def _initialize(client: StdioBenchClient, version: str) -> None:
    client.send(_initialize_frame(version))
    reply = client.read_response(timeout=60)
    if "result" not in reply:
        raise RuntimeError(f"initialize failed: {reply}")
    client.send(_INITIALIZED)


def _answer_ok(reply: dict[str, Any] | None, expected: int) -> bool:
    """Whether a ``tools/call`` reply's first text content is the decimal ``expected``."""
    if not reply:
        return False
    result = reply.get("result")
    if not isinstance(result, dict) or result.get("isError"):
        return False
    content = result.get("content")
    return bool(content) and isinstance(content, list) and content[0].get("text") == str(expected)


def _check(reply: dict[str, Any] | None, expected: int) -> None:
    if not _answer_ok(reply, expected):
        raise RuntimeError(f"unexpected answer (wanted {expected}): {reply}")


def _percentile(ordered: list[float], fraction: float) -> float:
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


_PROGRESS_INTERVAL = 0.1  # seconds between redraws: drawing is a syscall, kept out of timed loops' way
_progress_state: dict[str, float | bool] = {}


def _progress(label: str, done: int, total: int) -> None:
    """A one-line progress bar on stderr, redrawn at most every 0.1 s (only on a terminal)."""
    if "tty" not in _progress_state:
        _progress_state["tty"] = sys.stderr.isatty()
        _progress_state["drawn"] = 0.0
    if not _progress_state["tty"]:
        return
    now = time.perf_counter()
    finished = done >= total
    if not finished and now - float(_progress_state["drawn"]) < _PROGRESS_INTERVAL:
        return
    _progress_state["drawn"] = now
    width = 30
    filled = width * done // max(total, 1)
    sys.stderr.write(f"\r\x1b[2K  {label:<40} [{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
    if finished:
        sys.stderr.write("\n")
    sys.stderr.flush()


class _Deadline:
    """A phase's optional time cap: measurement stops early once it has ``minimum`` samples."""

    __slots__ = ("end", "minimum")

    def __init__(self, seconds: float | None, minimum: int) -> None:
        self.end = None if seconds is None else time.perf_counter() + seconds
        self.minimum = minimum

    def over(self, done: int) -> bool:
        return self.end is not None and done >= self.minimum and time.perf_counter() > self.end


def _latency_figures(name: str, samples: list[float], cold_start_ms: float) -> BenchResult:
    """A result holding the latency percentiles of ``samples``; the caller fills in the rest."""
    samples.sort()
    return BenchResult(
        name=name,
        cold_start_ms=cold_start_ms,
        p50_us=_percentile(samples, 0.50),
        p90_us=_percentile(samples, 0.90),
        p99_us=_percentile(samples, 0.99),
        max_us=samples[-1],
        samples=len(samples),
    )


# ------------------------------------------------------------------ stdio bench


def bench_stdio(
    name: str,
    argv: Sequence[str],
    *,
    tool: str = "add",
    requests: int = 5000,
    inflight: Sequence[int] = (1, 16, 64),
    warmup: int = 500,
    version: str = DEFAULT_VERSION,
    env: dict[str, str] | None = None,
    phase_seconds: float | None = None,
    pin: bool = False,
) -> BenchResult:
    """Measure one stdio server; its ``tool`` must add integers ``a`` and ``b`` and answer the sum as text.

    ``phase_seconds`` caps each phase (sequential, then each in-flight level)
    so that slow servers do not dominate a suite's run time; ``requests`` is
    then the upper bound of the phase's count. ``pin``: see :class:`Placement`.
    """
    client = StdioBenchClient(argv, env)
    placement = Placement(client.process.pid, pin)
    try:
        _initialize(client, version)
        cold_start_ms = (time.perf_counter() - client.started) * 1000
        rss_idle = client.rss_mib()
        placement.together()
        for i in range(warmup):
            client.send(_call(i + 1, tool, i))
            _check(client.read_response(), i + 1)
        samples: list[float] = []
        next_id = warmup + 1
        cpu_before = client.cpu_seconds()
        total_requests = 0
        deadline = _Deadline(phase_seconds, min(requests, 200))
        for i in range(requests):
            frame = _call(next_id, tool, i)
            start = time.perf_counter_ns()
            client.send(frame)
            reply = client.read_response()
            samples.append((time.perf_counter_ns() - start) / 1000)
            _check(reply, i + 1)
            next_id += 1
            _progress(f"{name}: sequential", i, requests)
            if deadline.over(i + 1):
                break
        total_requests += len(samples)
        _progress(f"{name}: sequential", requests, requests)
        throughput: dict[int, float] = {}
        placement.apart()
        for depth in inflight:
            count = max(requests, depth * 50)
            done, seconds, next_id = _pipeline(
                client,
                name=name,
                tool=tool,
                depth=depth,
                count=count,
                next_id=next_id,
                phase_seconds=phase_seconds,
            )
            throughput[depth] = done / seconds
            total_requests += done
        result = _latency_figures(name, samples, cold_start_ms)
        result.throughput = throughput
        result.cpu_us_per_request = (client.cpu_seconds() - cpu_before) / total_requests * 1e6
        result.rss_idle_mib = rss_idle
        result.rss_after_mib = client.rss_mib()
        return result
    finally:
        placement.release()
        client.close()


def _pipeline(
    client: StdioBenchClient,
    *,
    name: str,
    tool: str,
    depth: int,
    count: int,
    next_id: int,
    phase_seconds: float | None,
) -> tuple[int, float, int]:
    """Keep ``depth`` requests in flight until ``count`` are answered (or time is up); (done, s, next id)."""
    expected: dict[int, int] = {}
    deadline = _Deadline(phase_seconds, min(count, depth * 20))
    start_s = time.perf_counter()
    sent = done = 0
    while True:
        frames: list[bytes] = []
        while len(expected) < depth and sent < count:
            expected[next_id] = sent + 1
            frames.append(_call(next_id, tool, sent))
            next_id += 1
            sent += 1
        if frames:
            client.send(b"".join(frames))
        if not expected:
            break
        for reply in client.read_responses():
            _check(reply, expected.pop(reply["id"]))
            done += 1
        _progress(f"{name}: {depth} in flight", done, count)
        if deadline.over(done):
            count = sent  # time is up: drain what is in flight
    seconds = time.perf_counter() - start_s
    _progress(f"{name}: {depth} in flight", count, count)
    return done, seconds, next_id


# ------------------------------------------------------------------ HTTP client


@dataclass
class HttpResponse:
    """One parsed HTTP/1.1 response (header names lower-cased)."""

    status: int
    headers: dict[str, str]
    body: bytes

    def message(self) -> dict[str, Any] | None:
        """The JSON-RPC response it carries: the JSON body, or the SSE event that is a response."""
        if not self.body:
            return None
        if "text/event-stream" in self.headers.get("content-type", ""):
            for event in self.body.replace(b"\r\n", b"\n").split(b"\n\n"):
                data = b"\n".join(
                    line[5:].lstrip(b" ") for line in event.split(b"\n") if line.startswith(b"data:")
                )
                if data:
                    message = orjson.loads(data)
                    if isinstance(message, dict) and "method" not in message:
                        return message
            return None
        loaded = orjson.loads(self.body)
        return loaded if isinstance(loaded, dict) else None


class ResponseReader:
    """A sans-I/O HTTP/1.1 response parser: ``feed(bytes)`` returns the responses completed so far.

    Handles ``Content-Length``, ``chunked`` and body-less statuses; a body
    delimited by the connection closing ends at :meth:`close`.
    """

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._head: tuple[int, dict[str, str]] | None = None
        self._length = -1  # body bytes still expected; -2: chunked; -3: until close
        self._chunks = bytearray()

    def feed(self, data: bytes) -> list[HttpResponse]:
        self._buffer += data
        done: list[HttpResponse] = []
        while True:
            response = self._next()
            if response is None:
                return done
            done.append(response)

    def close(self) -> HttpResponse | None:
        """The connection closed: a response delimited by the close is complete."""
        if self._head is not None and self._length == -3:
            status, headers = self._head
            self._head = None
            body, self._buffer = bytes(self._buffer), bytearray()
            return HttpResponse(status, headers, body)
        return None

    def _next(self) -> HttpResponse | None:
        if self._head is None and not self._read_head():
            return None
        assert self._head is not None
        if self._length >= 0:
            if len(self._buffer) < self._length:
                return None
            body = bytes(self._buffer[: self._length])
            del self._buffer[: self._length]
        elif self._length == -2:
            if not self._read_chunks():
                return None
            body, self._chunks = bytes(self._chunks), bytearray()
        else:
            return None
        status, headers = self._head
        self._head = None
        return HttpResponse(status, headers, body)

    def _read_head(self) -> bool:
        end = self._buffer.find(b"\r\n\r\n")
        if end < 0:
            return False
        lines = bytes(self._buffer[:end]).split(b"\r\n")
        del self._buffer[: end + 4]
        status = int(lines[0].split(b" ", 2)[1])
        headers: dict[str, str] = {}
        for line in lines[1:]:
            key, _, value = line.partition(b":")
            headers[key.strip().lower().decode("latin-1")] = value.strip().decode("latin-1")
        self._head = (status, headers)
        if "chunked" in headers.get("transfer-encoding", "").lower():
            self._length = -2
        elif "content-length" in headers:
            self._length = int(headers["content-length"])
        elif status in (204, 304) or 100 <= status < 200:
            self._length = 0
        else:
            self._length = -3
        return True

    def _read_chunks(self) -> bool:
        buffer = self._buffer
        while True:
            line_end = buffer.find(b"\r\n")
            if line_end < 0:
                return False
            size = int(bytes(buffer[:line_end]).split(b";")[0], 16)
            if size == 0:
                if buffer[line_end + 2 : line_end + 4] == b"\r\n":
                    del buffer[: line_end + 4]
                    return True
                trailer_end = buffer.find(b"\r\n\r\n", line_end)
                if trailer_end < 0:
                    return False
                del buffer[: trailer_end + 4]
                return True
            if len(buffer) < line_end + 2 + size + 2:
                return False
            self._chunks += buffer[line_end + 2 : line_end + 2 + size]
            del buffer[: line_end + 2 + size + 2]


class HttpBenchClient:
    """One keep-alive HTTP/1.1 connection on a raw socket, holding one MCP session."""

    def __init__(self, url: str, *, version: str = DEFAULT_VERSION, timeout: float = 30.0) -> None:
        parts = urlsplit(url)
        if parts.scheme != "http" or not parts.hostname:
            raise ValueError(f"an http:// URL is needed, not {url!r}")
        self.host = parts.hostname
        self.port = parts.port or 80
        self.path = parts.path or "/"
        self.version = version
        self.timeout = timeout
        self.session_id: str | None = None
        self.reader = ResponseReader()
        self.sock = socket.create_connection((self.host, self.port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._head = b""
        self._build_head()

    def _build_head(self) -> None:
        lines = [
            f"POST {self.path} HTTP/1.1",
            f"Host: {self.host}:{self.port}",
            "Content-Type: application/json",
            "Accept: application/json, text/event-stream",
            f"MCP-Protocol-Version: {self.version}",
        ]
        if self.session_id is not None:
            lines.append(f"Mcp-Session-Id: {self.session_id}")
        self._head = ("\r\n".join(lines) + "\r\nContent-Length: ").encode("latin-1")

    def request_bytes(self, body: bytes) -> bytes:
        return b"".join((self._head, str(len(body)).encode(), b"\r\n\r\n", body))

    def send(self, body: bytes) -> None:
        self.sock.sendall(self.request_bytes(body))

    def read(self) -> HttpResponse:
        """The next whole response (blocking)."""
        while True:
            chunk = self.sock.recv(1 << 16)
            if not chunk:
                final = self.reader.close()
                if final is not None:
                    return final
                raise EOFError("the server closed the connection")
            responses = self.reader.feed(chunk)
            if responses:
                if len(responses) > 1:
                    raise RuntimeError("more responses than requests")
                return responses[0]

    def post(self, body: bytes) -> HttpResponse:
        self.send(body)
        return self.read()

    def initialize(self) -> None:
        """Open a session: ``initialize`` (keeping ``Mcp-Session-Id``), then ``notifications/initialized``."""
        response = self.post(_initialize_frame(self.version))
        message = response.message()
        if response.status != 200 or not message or "result" not in message:
            raise RuntimeError(f"initialize failed: HTTP {response.status} {response.body[:300]!r}")
        self.session_id = response.headers.get("mcp-session-id")
        self._build_head()
        response = self.post(_INITIALIZED)
        if response.status >= 300:
            raise RuntimeError(f"notifications/initialized refused: HTTP {response.status}")

    def call(self, request_id: int, tool: str, a: int) -> dict[str, Any] | None:
        response = self.post(_call(request_id, tool, a))
        if response.status != 200:
            raise RuntimeError(f"tools/call got HTTP {response.status}: {response.body[:300]!r}")
        return response.message()

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.close()


def _connect_when_ready(
    url: str, version: str, deadline: float, process: subprocess.Popen[bytes] | None
) -> HttpBenchClient:
    """Retry connecting until the server listens (for cold start); fail if it exits first."""
    while True:
        try:
            return HttpBenchClient(url, version=version)
        except OSError:
            if process is not None and process.poll() is not None:
                raise RuntimeError(f"the server exited with status {process.returncode}") from None
            if time.perf_counter() > deadline:
                raise TimeoutError(f"nothing listens on {url}") from None
            time.sleep(0.002)


class _Concurrent:
    """Drives many clients at once, each with one request outstanding, on one selector."""

    def __init__(self, clients: Sequence[HttpBenchClient], tool: str, first_id: int) -> None:
        self.clients = list(clients)
        self.tool = tool
        self.next_id = first_id
        self.expected: dict[HttpBenchClient, int] = {}
        self.errors = 0

    def _send(self, client: HttpBenchClient, a: int) -> bool:
        try:
            client.send(_call(self.next_id, self.tool, a))
        except OSError:
            self.errors += 1
            return False
        self.next_id += 1
        self.expected[client] = a + 1
        return True

    def run(
        self, count: int, phase_seconds: float | None, label: str, *, timeout: float = 30.0
    ) -> tuple[int, float]:
        """Answer ``count`` requests (fewer if time is up); returns (answered correctly, seconds)."""
        selector = selectors.DefaultSelector()
        for client in self.clients:
            selector.register(client.sock, selectors.EVENT_READ, client)
        deadline = _Deadline(phase_seconds, min(count, len(self.clients) * 20))
        start = time.perf_counter()
        sent = ok = finished = 0
        for client in self.clients:
            if sent < count and self._send(client, sent):
                sent += 1
        try:
            while self.expected:
                events = selector.select(timeout)
                if not events:
                    self.errors += len(self.expected)
                    break
                for key, _ in events:
                    client = key.data
                    try:
                        chunk = client.sock.recv(1 << 16)
                    except OSError:
                        chunk = b""
                    if not chunk:
                        self.errors += 1 if client in self.expected else 0
                        self.expected.pop(client, None)
                        selector.unregister(client.sock)
                        continue
                    for response in client.reader.feed(chunk):
                        finished += 1
                        wanted = self.expected.pop(client, None)
                        good = wanted is not None and response.status == 200
                        if good and _answer_ok(response.message(), wanted or 0):
                            ok += 1
                        else:
                            self.errors += 1
                        _progress(label, finished, count)
                        if deadline.over(finished):
                            count = sent
                        if sent < count and self._send(client, sent):
                            sent += 1
        finally:
            selector.close()
        seconds = time.perf_counter() - start
        _progress(label, count, count)
        return ok, seconds


def bench_http(
    name: str,
    url: str,
    *,
    argv: Sequence[str] | None = None,
    env: dict[str, str] | None = None,
    pid: int | None = None,
    tool: str = "add",
    requests: int = 5000,
    clients: Sequence[int] = (1, 16),
    warmup: int = 300,
    version: str = DEFAULT_VERSION,
    phase_seconds: float | None = None,
    start_timeout: float = 60.0,
    pin: bool = False,
) -> BenchResult:
    """Measure one HTTP server at ``url``: spawn ``argv`` first when given (cold start measured).

    Sequential latency comes from one keep-alive client; throughput at each
    level of ``clients`` from that many keep-alive connections, each its own
    MCP session with one request outstanding. ``pin``: see :class:`Placement`
    (it needs the server's pid: spawned here, or given).
    """
    process: subprocess.Popen[bytes] | None = None
    started = time.perf_counter()
    if argv is not None:
        process = subprocess.Popen(
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=env,
        )
        pid = process.pid
    opened: list[HttpBenchClient] = []
    placement = Placement(pid, pin)
    try:
        first = _connect_when_ready(url, version, started + start_timeout, process)
        opened.append(first)
        first.initialize()
        cold_start_ms = (time.perf_counter() - started) * 1000 if process is not None else 0.0
        rss_idle = process_rss_mib(pid)
        placement.together()
        for i in range(warmup):
            _check(first.call(i + 1, tool, i), i + 1)
        next_id = warmup + 1
        cpu_before = process_cpu_seconds(pid)
        samples: list[float] = []
        deadline = _Deadline(phase_seconds, min(requests, 200))
        for i in range(requests):
            body = first.request_bytes(_call(next_id, tool, i))
            start = time.perf_counter_ns()
            first.sock.sendall(body)
            response = first.read()
            samples.append((time.perf_counter_ns() - start) / 1000)
            if response.status != 200:
                raise RuntimeError(f"tools/call got HTTP {response.status}: {response.body[:300]!r}")
            _check(response.message(), i + 1)
            next_id += 1
            _progress(f"{name}: sequential", i, requests)
            if deadline.over(i + 1):
                break
        _progress(f"{name}: sequential", requests, requests)
        total = len(samples)
        throughput: dict[int, float] = {}
        errors = 0
        placement.apart()
        for level in clients:
            while len(opened) < level:
                extra = HttpBenchClient(url, version=version)
                opened.append(extra)
                extra.initialize()
            driver = _Concurrent(opened[:level], tool, next_id)
            ok, seconds = driver.run(max(requests, level * 50), phase_seconds, f"{name}: {level} clients")
            next_id = driver.next_id
            throughput[level] = ok / seconds
            errors += driver.errors
            total += ok
        result = _latency_figures(name, samples, cold_start_ms)
        result.transport = "http"
        result.throughput = throughput
        result.errors = errors
        result.cpu_us_per_request = (process_cpu_seconds(pid) - cpu_before) / max(total, 1) * 1e6
        result.rss_idle_mib = rss_idle
        result.rss_after_mib = process_rss_mib(pid)
        return result
    finally:
        placement.release()
        for client in opened:
            client.close()
        if process is not None:
            _stop(process, grace=0.5)


def hold_http(
    url: str,
    *,
    clients: int = 1000,
    rounds: int = 3,
    pid: int | None = None,
    tool: str = "add",
    version: str = DEFAULT_VERSION,
    progress: Callable[[str, int, int], None] = _progress,
) -> HoldResult:
    """Open ``clients`` keep-alive connections (each its own session) and keep them all busy.

    Every client has one ``tools/call`` outstanding at all times for
    ``rounds`` requests each; failures to connect, HTTP errors, wrong answers
    and dropped connections all count as errors (never raised), and RSS is
    read before connecting, once all are connected and at the end.
    """
    rss_before = process_rss_mib(pid)
    opened: list[HttpBenchClient] = []
    errors = 0
    try:
        for index in range(clients):
            client = None
            try:
                client = HttpBenchClient(url, version=version)
                client.initialize()
                opened.append(client)
            except (OSError, RuntimeError, EOFError):
                errors += 1
                if client is not None:
                    client.close()
            if index % 100 == 0:
                progress("hold: connecting", index, clients)
        progress("hold: connecting", clients, clients)
        rss_connected = process_rss_mib(pid)
        driver = _Concurrent(opened, tool, 1)
        ok, seconds = driver.run(len(opened) * rounds, None, f"hold: {clients} clients")
        return HoldResult(
            clients=clients,
            connected=len(opened),
            requests=ok,
            errors=errors + driver.errors,
            seconds=seconds,
            rss_before_mib=rss_before,
            rss_connected_mib=rss_connected,
            rss_after_mib=process_rss_mib(pid),
        )
    finally:
        for client in opened:
            client.close()


# ------------------------------------------------------------------ reporting


def median_result(results: Sequence[BenchResult]) -> BenchResult:
    """Per-figure median of several runs of the same server (the machine is noisy)."""
    first = results[0]

    def med(values: Sequence[float]) -> float:
        return float(statistics.median(values))

    return BenchResult(
        name=first.name,
        cold_start_ms=med([r.cold_start_ms for r in results]),
        p50_us=med([r.p50_us for r in results]),
        p90_us=med([r.p90_us for r in results]),
        p99_us=med([r.p99_us for r in results]),
        max_us=med([r.max_us for r in results]),
        throughput={depth: med([r.throughput[depth] for r in results]) for depth in first.throughput},
        cpu_us_per_request=med([r.cpu_us_per_request for r in results]),
        rss_idle_mib=med([r.rss_idle_mib for r in results]),
        rss_after_mib=med([r.rss_after_mib for r in results]),
        transport=first.transport,
        samples=sum(r.samples for r in results),
        errors=sum(r.errors for r in results),
    )


def format_table(results: Sequence[BenchResult], baseline: str | None = None) -> str:
    """A Markdown table, one row per server; ``baseline`` adds a p50 ratio column against that row."""
    depths = sorted({depth for result in results for depth in result.throughput})
    base = next((r for r in results if r.name == baseline), None)
    unit = "clients" if results and results[0].transport == "http" else "in flight"
    header = ["server", "cold start ms", "p50 us", "p90 us", "p99 us", "max us"]
    header += [f"req/s, {d} {unit}" for d in depths] + ["CPU us/req", "RSS MiB"]
    if any(r.errors for r in results):
        header.append("errors")
    if base is not None:
        header.append(f"p50 / {base.name}")
    rows = [header, ["---"] * len(header)]
    for result in results:
        row = [
            result.name,
            f"{result.cold_start_ms:.0f}" if result.cold_start_ms else "-",
            f"{result.p50_us:.1f}",
            f"{result.p90_us:.1f}",
            f"{result.p99_us:.1f}",
            f"{result.max_us:.0f}",
        ]
        row += [f"{result.throughput[d]:,.0f}" if d in result.throughput else "-" for d in depths]
        row += [
            f"{result.cpu_us_per_request:.1f}" if result.cpu_us_per_request else "-",
            f"{result.rss_after_mib:.1f}" if result.rss_after_mib else "-",
        ]
        if "errors" in header:
            row.append(str(result.errors))
        if base is not None:
            row.append(f"{result.p50_us / base.p50_us:.2f}x")
        rows.append(row)
    return "\n".join("| " + " | ".join(row) + " |" for row in rows)


# ------------------------------------------------------------------ command line


def _levels(text: str) -> list[int]:
    return [int(level) for level in text.split(",") if level.strip()]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mcpcore bench",
        description="Measure an MCP server's add tool: mcpcore bench [options] [URL] [-- command args...]",
    )
    parser.add_argument("url", nargs="?", help="http:// URL of the MCP endpoint (omit for stdio)")
    parser.add_argument("--tool", default="add", help="tool adding integers a and b (default: add)")
    parser.add_argument("--requests", type=int, default=5000, help="requests per phase")
    parser.add_argument("--inflight", default="1,16,64", help="stdio: comma-separated in-flight levels")
    parser.add_argument("--clients", default="1,16", help="HTTP: comma-separated concurrent client counts")
    parser.add_argument("--pid", type=int, default=None, help="HTTP URL only: server pid for CPU and RSS")
    parser.add_argument("--seconds", type=float, default=None, help="cap each phase at this many seconds")
    parser.add_argument(
        "--pin",
        action="store_true",
        help="latency with client and server on one CPU, throughput on two (Linux; see Placement)",
    )
    parser.add_argument("--runs", type=int, default=1, help="runs; the median of each figure is reported")
    parser.add_argument("--protocol", default=DEFAULT_VERSION, help="protocol version to initialize with")
    parser.add_argument("--name", default=None, help="server name in the table")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``mcpcore bench [options] [URL] [-- command args…]``."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    command: list[str] = []
    if "--" in arguments:
        split = arguments.index("--")
        arguments, command = arguments[:split], arguments[split + 1 :]
    parser = build_parser()
    parsed = parser.parse_args(arguments)
    if not command and not parsed.url:
        parser.error("give a URL, or a server command after --")
    name = parsed.name or (" ".join(command) if command else parsed.url)[:40]
    runs: list[BenchResult] = []
    for _ in range(parsed.runs):
        if parsed.url:
            runs.append(
                bench_http(
                    name,
                    parsed.url,
                    argv=command or None,
                    pid=parsed.pid,
                    tool=parsed.tool,
                    requests=parsed.requests,
                    clients=_levels(parsed.clients),
                    version=parsed.protocol,
                    phase_seconds=parsed.seconds,
                    pin=parsed.pin,
                )
            )
        else:
            runs.append(
                bench_stdio(
                    name,
                    command,
                    tool=parsed.tool,
                    requests=parsed.requests,
                    inflight=_levels(parsed.inflight),
                    version=parsed.protocol,
                    phase_seconds=parsed.seconds,
                    pin=parsed.pin,
                )
            )
    result = median_result(runs)
    if parsed.json:
        print(orjson.dumps(result.to_json(), option=orjson.OPT_INDENT_2).decode())
    else:
        print(format_table([result]))
    return 0
