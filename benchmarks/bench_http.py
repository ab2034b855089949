"""Macro: every HTTP-capable server over loopback (1 client sequential, 16 clients), plus 1,000 clients.

Peers serve Streamable HTTP with JSON responses (the Python ones on uvicorn);
each client is a raw-socket keep-alive HTTP/1.1 connection holding its own
MCP session. Standalone: ``python -m benchmarks.bench_http [--rounds N]``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from collections.abc import Sequence

from benchmarks.macro import Outcome, interleaved
from benchmarks.peers import FLOOR, MCPCORE, ServerSpec, free_port, servers
from mcpcore.bench import BenchResult, HoldResult, HttpBenchClient, bench_http, format_table, hold_http

CLIENTS = (1, 16)


def run(
    specs: Sequence[ServerSpec],
    *,
    rounds: int = 3,
    requests: int = 3000,
    seconds: float | None = 1.0,
    warmup: int = 200,
    clients: Sequence[int] = CLIENTS,
    pin: bool = True,
) -> Outcome:
    usable = [spec for spec in specs if spec.http is not None and spec.missing is None]

    def measure(spec: ServerSpec) -> BenchResult:
        port = free_port()
        return bench_http(
            spec.name,
            f"http://127.0.0.1:{port}/mcp",
            argv=spec.http_argv(port),
            env=spec.stdio_env(),
            requests=requests,
            clients=clients,
            warmup=warmup,
            phase_seconds=seconds,
            pin=pin,
        )

    outcome = interleaved(usable, rounds, measure, "http")
    outcome.skipped = {spec.name: spec.missing for spec in specs if spec.missing is not None}
    outcome.skipped.update(
        {
            spec.name: "no HTTP server in this suite"
            for spec in specs
            if spec.http is None and not spec.missing
        }
    )
    return outcome


def hold(spec: ServerSpec, *, clients: int = 1000, rounds: int = 3) -> HoldResult:
    """Start ``spec`` over HTTP and hold ``clients`` keep-alive clients on it."""
    port = free_port()
    url = f"http://127.0.0.1:{port}/mcp"
    process = subprocess.Popen(
        spec.http_argv(port),
        env=spec.stdio_env(),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                HttpBenchClient(url).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"{spec.name} did not start listening") from None
                time.sleep(0.01)
        time.sleep(0.2)  # let the probe connection's teardown settle before the idle RSS reading
        return hold_http(url, clients=clients, rounds=rounds, pid=process.pid)
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--seconds", type=float, default=1.0)
    parser.add_argument(
        "--hold", type=int, default=1000, help="concurrent clients for the hold test (0: skip)"
    )
    args = parser.parse_args()
    specs = servers()
    outcome = run(specs, rounds=args.rounds, requests=args.requests, seconds=args.seconds)
    print(format_table(outcome.medians(), baseline=FLOOR))
    for name, why in {**outcome.skipped, **outcome.failures}.items():
        print(f"- {name}: {why}")
    if args.hold:
        target = next(spec for spec in specs if spec.name == MCPCORE)
        held = hold(target, clients=args.hold)
        print(
            f"{held.connected}/{held.clients} clients, {held.requests} requests, {held.errors} errors, "
            f"{held.throughput:,.0f} req/s, RSS {held.rss_before_mib:.1f} -> {held.rss_after_mib:.1f} MiB",
            file=sys.stdout,
        )
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    raise SystemExit(main())
