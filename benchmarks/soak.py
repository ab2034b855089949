"""Soak: a million requests over stdio and a long HTTP run with session churn, with memory watched.

``make soak`` (``python -m benchmarks.soak --write``) runs the example
calculator server in a subprocess and drives it with the raw pipe/socket
clients of :mod:`mcpcore.bench`:

* **stdio**: ``--requests`` ``tools/call`` requests (default one million),
  ``--depth`` of them in flight at a time, every answer checked;
* **HTTP**: ``--sessions`` sessions opened one after another (``initialize``,
  ``--calls`` calls, ``DELETE``), ``--clients`` of them alive at once, so the
  server creates and forgets sessions all the time.

Each run reports requests served, errors (any wrong or missing answer, any
refused request) and the server's RSS once warm, at the end and at its peak.
It fails (exit status 1) unless errors are zero and RSS at the end is within
``--rss-bound`` MiB of the warm figure: a leak of even a few bytes per request
shows over a million requests. ``--write`` puts the figures into
``benchmarks/RESULTS.md`` between the soak markers.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import orjson

from mcpcore.bench import HttpBenchClient, StdioBenchClient

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "RESULTS.md"
BEGIN = "<!-- soak:begin -->"
END = "<!-- soak:end -->"
PROTOCOL = "2025-11-25"


@dataclass
class SoakResult:
    """One soak run's figures."""

    name: str
    requests: int = 0
    errors: int = 0
    seconds: float = 0.0
    rss_warm_mib: float = 0.0
    rss_end_mib: float = 0.0
    rss_peak_mib: float = 0.0
    notes: list[str] = field(default_factory=list)

    @property
    def rss_growth_mib(self) -> float:
        return self.rss_end_mib - self.rss_warm_mib

    def ok(self, bound_mib: float) -> bool:
        return self.requests > 0 and self.errors == 0 and self.rss_growth_mib <= bound_mib


def _rss_mib(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/status", "rb") as status:
            for line in status:
                if line.startswith(b"VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def _call(request_id: int, a: int) -> bytes:
    return orjson.dumps(
        {
            "jsonrpc": "2.0",
            "id": request_id,
            "method": "tools/call",
            "params": {"name": "add", "arguments": {"a": a, "b": 1}},
        },
        option=orjson.OPT_APPEND_NEWLINE,
    )


def _answer_ok(reply: dict[str, object], expected: int) -> bool:
    result = reply.get("result")
    if type(result) is not dict or result.get("isError"):
        return False
    content = result.get("content")
    return type(content) is list and bool(content) and content[0].get("text") == str(expected)


def _server_env(loop: str) -> dict[str, str]:
    return {**os.environ, "MCPCORE_LOOP": loop, "PYTHONPATH": str(ROOT)}


def _progress(label: str, done: int, total: int) -> None:
    if sys.stderr.isatty():
        sys.stderr.write(f"\r  {label}: {done:,}/{total:,}")
        if done >= total:
            sys.stderr.write("\n")
        sys.stderr.flush()


# ----------------------------------------------------------------------- stdio


def soak_stdio(requests: int, depth: int, loop: str, warmup: int = 20_000) -> SoakResult:
    """``requests`` calls, ``depth`` in flight, each batch of ``depth`` written in one go."""
    result = SoakResult(f"stdio ({loop})")
    warmup = -(-warmup // depth) * depth  # whole batches, so the measured part starts on a batch boundary
    client = StdioBenchClient([sys.executable, "-m", "mcpcore.examples.calculator"], _server_env(loop))
    pid = client.process.pid
    try:
        client.send(
            orjson.dumps(
                {
                    "jsonrpc": "2.0",
                    "id": 0,
                    "method": "initialize",
                    "params": {
                        "protocolVersion": PROTOCOL,
                        "capabilities": {},
                        "clientInfo": {"name": "soak", "version": "1"},
                    },
                },
                option=orjson.OPT_APPEND_NEWLINE,
            )
        )
        if "result" not in client.read_response(timeout=60):
            raise RuntimeError("initialize failed")
        client.send(b'{"jsonrpc":"2.0","method":"notifications/initialized"}\n')
        total = warmup + requests
        start = 0.0
        next_id = 1
        while next_id <= total:
            if next_id > warmup and start == 0.0:
                result.rss_warm_mib = result.rss_peak_mib = _rss_mib(pid)
                start = time.perf_counter()
            batch = min(depth, total - next_id + 1)
            expected = {next_id + i: (next_id + i) % 100_000 + 1 for i in range(batch)}
            client.send(b"".join(_call(i, (i) % 100_000) for i in expected))
            for _ in range(batch):
                reply = client.read_response()
                want = expected.pop(reply.get("id"), None)  # type: ignore[arg-type]
                if want is None or not _answer_ok(reply, want):
                    result.errors += 1
            result.errors += len(expected)
            if next_id > warmup:
                result.requests += batch
            next_id += batch
            if next_id % 100_000 < depth:
                result.rss_peak_mib = max(result.rss_peak_mib, _rss_mib(pid))
                _progress(result.name, result.requests, requests)
        result.seconds = time.perf_counter() - start
        result.rss_end_mib = _rss_mib(pid)
        result.rss_peak_mib = max(result.rss_peak_mib, result.rss_end_mib)
        _progress(result.name, requests, requests)
    finally:
        client.close()
    return result


# ------------------------------------------------------------------------ HTTP


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _delete_session(client: HttpBenchClient) -> int:
    return client.delete()


def _open_session(url: str) -> HttpBenchClient:
    client = HttpBenchClient(url, version=PROTOCOL)
    client.initialize()
    return client


def soak_http(sessions: int, calls: int, clients: int, loop: str, warmup: int = 200) -> SoakResult:
    """Open ``sessions`` sessions, ``clients`` alive at a time, each making ``calls`` calls, then DELETE."""
    result = SoakResult(f"HTTP ({loop}), session churn")
    port = _free_port()
    url = f"http://127.0.0.1:{port}/mcp"
    process = subprocess.Popen(
        [sys.executable, "-m", "mcpcore.examples.calculator", "--http", "--port", str(port)],
        env=_server_env(loop),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                HttpBenchClient(url).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    stderr = process.stderr.read().decode(errors="replace") if process.stderr else ""
                    raise RuntimeError(f"the HTTP server did not start: {stderr[-500:]}") from None
                time.sleep(0.01)
        total = warmup + sessions
        alive: list[HttpBenchClient] = []
        start = 0.0
        request_id = 0
        for number in range(total):
            if number == warmup:
                result.rss_warm_mib = result.rss_peak_mib = _rss_mib(process.pid)
                start = time.perf_counter()
            measured = number >= warmup
            try:
                client = _open_session(url)
            except (OSError, RuntimeError, EOFError):
                result.errors += measured
                continue
            alive.append(client)
            for session in alive:
                for _ in range(max(1, calls // clients)):
                    request_id += 1
                    a = request_id % 100_000
                    try:
                        reply = session.call(request_id, "add", a)
                        ok = reply is not None and _answer_ok(reply, a + 1)
                    except (OSError, RuntimeError, EOFError):
                        ok = False
                    result.requests += measured
                    result.errors += measured and not ok
            if len(alive) >= clients:
                oldest = alive.pop(0)
                try:
                    status = _delete_session(oldest)
                    result.errors += measured and status >= 300
                except (OSError, RuntimeError, EOFError):
                    result.errors += measured
                oldest.close()
            if number % 500 == 0:
                result.rss_peak_mib = max(result.rss_peak_mib, _rss_mib(process.pid))
                _progress(result.name, max(0, number - warmup), sessions)
        for client in alive:
            try:
                _delete_session(client)
            except (OSError, RuntimeError, EOFError):
                result.errors += 1
            client.close()
        result.seconds = time.perf_counter() - start
        result.rss_end_mib = _rss_mib(process.pid)
        result.rss_peak_mib = max(result.rss_peak_mib, result.rss_end_mib)
        result.notes.append(
            f"HTTP ({loop}): {sessions:,} sessions opened and deleted, {clients} alive at a time, "
            f"{calls} calls each"
        )
        _progress(result.name, sessions, sessions)
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    return result


# --------------------------------------------------------------------- report


def format_report(results: list[SoakResult], bound_mib: float, command: str) -> str:
    rows = [
        "| run | requests | errors | seconds | req/s | RSS warm MiB | RSS end MiB | growth MiB | peak MiB "
        "| verdict |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for r in results:
        rate = r.requests / r.seconds if r.seconds else 0.0
        verdict = "ok" if r.ok(bound_mib) else "FAIL"
        rows.append(
            f"| {r.name} | {r.requests:,} | {r.errors} | {r.seconds:.1f} | {rate:,.0f} "
            f"| {r.rss_warm_mib:.1f} "
            f"| {r.rss_end_mib:.1f} | {r.rss_growth_mib:+.1f} | {r.rss_peak_mib:.1f} | {verdict} |"
        )
    notes = [note for r in results for note in r.notes]
    stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    lines = [
        "## Soak",
        "",
        f"Written by `make soak` (`{command}`) on {stamp}; {platform.python_implementation()} "
        f"{platform.python_version()}, {os.cpu_count()} CPUs. A run passes with zero errors and RSS at the "
        f"end within {bound_mib:g} MiB of RSS once warm (the figure after a warm-up, so that caches and "
        "allocator pools are already full).",
        "",
        *rows,
    ]
    if notes:
        lines += ["", *[f"- {note}" for note in notes]]
    return "\n".join(lines) + "\n"


def write_results(section: str) -> None:
    """Replace the text between the soak markers in RESULTS.md (append the markers if absent)."""
    text = RESULTS.read_text() if RESULTS.exists() else "# Benchmark results\n"
    block = f"{BEGIN}\n{section}{END}"
    if BEGIN in text and END in text:
        text = re.sub(re.escape(BEGIN) + r".*?" + re.escape(END), lambda _: block, text, flags=re.DOTALL)
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    RESULTS.write_text(text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.soak", description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=1_000_000, help="stdio requests (after warm-up)")
    parser.add_argument("--depth", type=int, default=64, help="stdio requests in flight")
    parser.add_argument("--sessions", type=int, default=20_000, help="HTTP sessions to open and delete")
    parser.add_argument("--calls", type=int, default=10, help="calls per HTTP session")
    parser.add_argument("--clients", type=int, default=8, help="HTTP sessions alive at once")
    parser.add_argument("--loops", default="uvloop,asyncio", help="comma-separated event loops to soak on")
    parser.add_argument("--rss-bound", type=float, default=8.0, help="allowed RSS growth, MiB")
    parser.add_argument("--skip-http", action="store_true", help="stdio only")
    parser.add_argument("--write", action="store_true", help="write the figures into benchmarks/RESULTS.md")
    args = parser.parse_args(argv)

    results: list[SoakResult] = []
    for loop in [name for name in args.loops.split(",") if name]:
        results.append(soak_stdio(args.requests, args.depth, loop))
        if not args.skip_http:
            try:
                results.append(soak_http(args.sessions, args.calls, args.clients, loop))
            except RuntimeError as exc:
                failed = SoakResult(f"HTTP ({loop}), session churn", errors=1)
                failed.notes.append(f"HTTP soak could not run: {exc}")
                results.append(failed)
    command = "python -m benchmarks.soak " + " ".join(argv if argv is not None else sys.argv[1:])
    report = format_report(results, args.rss_bound, command.strip())
    print(report)
    if args.write:
        write_results(report)
    return 0 if all(r.ok(args.rss_bound) for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
