"""Many keep-alive HTTP clients held at once on one server (``make bench`` runs it on mcpcore).

Each client is its own MCP session with one call outstanding; what is
measured is that none fails and the server's memory per client stays small.
Standalone: ``python -m benchmarks.bench_http --hold 1000``.
"""

from __future__ import annotations

import argparse
import subprocess
import time

from benchmarks.peers import MCPCORE, ServerSpec, free_port, servers
from mcpcore.bench import HoldResult, hold_http
from mcpcore.bench.run import connect_when_ready


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
        connect_when_ready(url, "2025-11-25", time.perf_counter() + 60, process).close()
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
    parser.add_argument("--hold", type=int, default=1000, help="concurrent clients")
    args = parser.parse_args()
    target = next(spec for spec in servers(install_node=False) if spec.name == MCPCORE)
    held = hold(target, clients=args.hold)
    print(
        f"{held.connected}/{held.clients} clients, {held.requests} requests, {held.errors} errors, "
        f"{held.throughput:,.0f} req/s, RSS {held.rss_before_mib:.1f} -> {held.rss_after_mib:.1f} MiB"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
