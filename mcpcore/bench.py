"""``mcpcore bench``: latency and throughput of any stdio MCP server.

The client is deliberately plain: blocking ``os.write``/``os.read`` on the
pipes, no event loop, no framework. Its own cost per request is a few
microseconds, the same for every server measured, so ratios between servers
taken in one run are fair.

What it measures, after spawning the server:

* **cold start**: spawn to the ``initialize`` response;
* **sequential latency**: one ``tools/call`` at a time, percentiles of the round trip;
* **pipelined throughput**: requests/s with N requests kept in flight;
* **server CPU per request** and **RSS**, from ``/proc`` (Linux).
"""

from __future__ import annotations

import argparse
import os
import select
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import orjson

__all__ = ["BenchResult", "StdioBenchClient", "bench_stdio", "main"]

_CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


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

    def cpu_seconds(self) -> float:
        """User + system CPU the server process has used (Linux; 0 elsewhere)."""
        try:
            with open(f"/proc/{self.process.pid}/stat", "rb") as stat:
                fields = stat.read().rsplit(b")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS
        except OSError:
            return 0.0

    def rss_mib(self) -> float:
        """Resident memory of the server process in MiB (Linux; 0 elsewhere)."""
        try:
            with open(f"/proc/{self.process.pid}/status", "rb") as status:
                for line in status:
                    if line.startswith(b"VmRSS:"):
                        return int(line.split()[1]) / 1024
        except OSError:
            pass
        return 0.0

    def close(self) -> None:
        assert self.process.stdin is not None
        try:
            self.process.stdin.close()
            self.process.wait(5)
        except (OSError, subprocess.TimeoutExpired):
            self.process.kill()
            self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()


@dataclass
class BenchResult:
    """One server's figures."""

    name: str
    cold_start_ms: float
    p50_us: float
    p90_us: float
    p99_us: float
    max_us: float
    throughput: dict[int, float] = field(default_factory=dict)  # in-flight -> requests/s
    cpu_us_per_request: float = 0.0
    rss_idle_mib: float = 0.0
    rss_after_mib: float = 0.0


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


def _initialize(client: StdioBenchClient, version: str) -> None:
    client.send(
        orjson.dumps(
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
    )
    reply = client.read_response(timeout=60)
    if "result" not in reply:
        raise RuntimeError(f"initialize failed: {reply}")
    client.send(b'{"jsonrpc":"2.0","method":"notifications/initialized"}\n')


def _check(reply: dict[str, Any], expected: int) -> None:
    result = reply.get("result")
    if not result or result.get("isError") or result["content"][0].get("text") != str(expected):
        raise RuntimeError(f"unexpected answer (wanted {expected}): {reply}")


def _percentile(ordered: list[float], fraction: float) -> float:
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def _progress(label: str, done: int, total: int) -> None:
    if sys.stderr.isatty():
        width = 30
        filled = width * done // max(total, 1)
        sys.stderr.write(f"\r  {label:<34} [{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
        if done >= total:
            sys.stderr.write("\n")
        sys.stderr.flush()


def bench_stdio(
    name: str,
    argv: Sequence[str],
    *,
    tool: str = "add",
    requests: int = 5000,
    inflight: Sequence[int] = (1, 16, 64),
    warmup: int = 500,
    version: str = "2025-11-25",
    env: dict[str, str] | None = None,
) -> BenchResult:
    """Measure one server; its ``tool`` must add integers ``a`` and ``b`` and answer the sum as text."""
    client = StdioBenchClient(argv, env)
    try:
        _initialize(client, version)
        cold_start_ms = (time.perf_counter() - client.started) * 1000
        rss_idle = client.rss_mib()
        for i in range(warmup):
            client.send(_call(i + 1, tool, i))
            _check(client.read_response(), i + 1)
        samples: list[float] = []
        next_id = warmup + 1
        cpu_before = client.cpu_seconds()
        total_requests = 0
        for i in range(requests):
            frame = _call(next_id, tool, i)
            start = time.perf_counter_ns()
            client.send(frame)
            reply = client.read_response()
            samples.append((time.perf_counter_ns() - start) / 1000)
            _check(reply, i + 1)
            next_id += 1
            if i % 500 == 0:
                _progress(f"{name}: sequential", i, requests)
        total_requests += requests
        _progress(f"{name}: sequential", requests, requests)
        throughput: dict[int, float] = {}
        for depth in inflight:
            count = max(requests, depth * 50)
            expected: dict[int, int] = {}
            start_s = time.perf_counter()
            sent = 0
            while sent < min(depth, count):
                expected[next_id] = sent + 1
                client.send(_call(next_id, tool, sent))
                next_id += 1
                sent += 1
            for done in range(count):
                reply = client.read_response()
                _check(reply, expected.pop(reply["id"]))
                if sent < count:
                    expected[next_id] = sent + 1
                    client.send(_call(next_id, tool, sent))
                    next_id += 1
                    sent += 1
                if done % 1000 == 0:
                    _progress(f"{name}: {depth} in flight", done, count)
            throughput[depth] = count / (time.perf_counter() - start_s)
            total_requests += count
            _progress(f"{name}: {depth} in flight", count, count)
        cpu_us = (client.cpu_seconds() - cpu_before) / total_requests * 1e6
        samples.sort()
        return BenchResult(
            name=name,
            cold_start_ms=cold_start_ms,
            p50_us=_percentile(samples, 0.50),
            p90_us=_percentile(samples, 0.90),
            p99_us=_percentile(samples, 0.99),
            max_us=samples[-1],
            throughput=throughput,
            cpu_us_per_request=cpu_us,
            rss_idle_mib=rss_idle,
            rss_after_mib=client.rss_mib(),
        )
    finally:
        client.close()


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
    )


def format_table(results: Sequence[BenchResult], baseline: str | None = None) -> str:
    """A Markdown table, one row per server; ``baseline`` adds a p50 ratio column against that row."""
    depths = sorted({depth for result in results for depth in result.throughput})
    base = next((r for r in results if r.name == baseline), None)
    header = ["server", "cold start ms", "p50 us", "p90 us", "p99 us", "max us"]
    header += [f"req/s @{d}" for d in depths] + ["CPU us/req", "RSS MiB"]
    if base is not None:
        header.append(f"p50 / {base.name}")
    rows = [header, ["---"] * len(header)]
    for result in results:
        row = [
            result.name,
            f"{result.cold_start_ms:.0f}",
            f"{result.p50_us:.1f}",
            f"{result.p90_us:.1f}",
            f"{result.p99_us:.1f}",
            f"{result.max_us:.0f}",
        ]
        row += [f"{result.throughput.get(d, 0):,.0f}" for d in depths]
        row += [f"{result.cpu_us_per_request:.1f}", f"{result.rss_after_mib:.1f}"]
        if base is not None:
            row.append(f"{result.p50_us / base.p50_us:.2f}x")
        rows.append(row)
    return "\n".join("| " + " | ".join(row) + " |" for row in rows)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``mcpcore bench [options] -- command args…``."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    if "--" not in arguments:
        print("usage: mcpcore bench [options] -- command [args...]", file=sys.stderr)
        return 2
    split = arguments.index("--")
    options, command = arguments[:split], arguments[split + 1 :]
    parser = argparse.ArgumentParser(prog="mcpcore bench")
    parser.add_argument("--tool", default="add", help="tool adding integers a and b (default: add)")
    parser.add_argument("--requests", type=int, default=5000, help="sequential requests per run")
    parser.add_argument("--inflight", default="1,16,64", help="comma-separated in-flight levels")
    parser.add_argument("--runs", type=int, default=1, help="runs; the median of each figure is reported")
    parser.add_argument("--protocol", default="2025-11-25", help="protocol version to initialize with")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parsed = parser.parse_args(options)
    if not command:
        parser.error("no server command after --")
    inflight = [int(level) for level in parsed.inflight.split(",") if level]
    runs = [
        bench_stdio(
            " ".join(command)[:40],
            command,
            tool=parsed.tool,
            requests=parsed.requests,
            inflight=inflight,
            version=parsed.protocol,
        )
        for _ in range(parsed.runs)
    ]
    result = median_result(runs)
    if parsed.json:
        print(orjson.dumps(asdict(result), option=orjson.OPT_NON_STR_KEYS | orjson.OPT_INDENT_2).decode())
    else:
        print(format_table([result]))
    return 0
