"""Where mcpcore's time goes: the calculator under ``cProfile`` while the bench client drives it.

The server runs as ``python -m cProfile -o FILE -m mcpcore.examples.calculator``
(stdio: it writes the profile when stdin closes; HTTP: on SIGINT, which the
server handles as a graceful stop). The table lists the functions with the
most time of their own, which is what the suite's targets need when a ratio
is missed. Standalone: ``python -m benchmarks.profile [--http] [--top N]``.
"""

from __future__ import annotations

import argparse
import io
import os
import pstats
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.peers import ROOT, free_port
from mcpcore.bench import HttpBenchClient, Settings, Target, add_call, run_target


def _stats_rows(path: Path, top: int) -> list[tuple[str, int, float, float]]:
    """(function, calls, own us per request-ish, cumulative s) for the ``top`` functions by own time."""
    stats = pstats.Stats(str(path), stream=io.StringIO())
    table = stats.stats  # type: ignore[attr-defined]
    rows = []
    for (filename, line, name), (_, calls, own, cumulative, _) in table.items():
        where = os.path.relpath(filename, ROOT) if filename.startswith(str(ROOT)) else Path(filename).name
        label = f"{where}:{line}({name})" if line else name
        rows.append((label, calls, own, cumulative))
    rows.sort(key=lambda row: row[2], reverse=True)
    return rows[:top]


def profile(http: bool, *, requests: int = 5000, top: int = 15) -> tuple[str, int]:
    """Profile one transport; returns a Markdown table and the number of calls driven."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "MCPCORE_LOOP": "uvloop"}
    # Sequential calls, then 16 in flight (stdio) or 16 clients (HTTP), no time cap.
    settings = Settings(lambda: [add_call()], concurrency=(1, 16), requests=requests, warmup_requests=100)
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "server.prof"
        argv = [sys.executable, "-m", "cProfile", "-o", str(out), "-m", "mcpcore.examples.calculator"]
        if http:
            port = free_port()
            url = f"http://127.0.0.1:{port}/mcp"
            process = subprocess.Popen(
                [*argv, "--http", "--port", str(port)],
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            try:
                deadline = time.monotonic() + 30
                while True:
                    try:
                        HttpBenchClient(url).close()
                        break
                    except OSError:
                        if process.poll() is not None or time.monotonic() > deadline:
                            raise RuntimeError("the profiled server did not start") from None
                        time.sleep(0.02)
                results = run_target(Target("profiled", url=url), settings)
            finally:
                process.send_signal(signal.SIGINT)
                process.wait(30)
        else:
            results = run_target(Target("profiled", argv, env=env), settings)
        calls = 100 + sum(result.requests + result.errors for result in results)
        rows = _stats_rows(out, top)
    lines = [
        "| function | calls | own time, us per tools/call | cumulative s |",
        "| --- | --- | --- | --- |",
    ]
    lines += [
        f"| `{label}` | {count:,} | {own / calls * 1e6:.2f} | {cumulative:.2f} |"
        for label, count, own, cumulative in rows
    ]
    return "\n".join(lines), calls


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--http", action="store_true")
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--top", type=int, default=20)
    args = parser.parse_args()
    table, calls = profile(args.http, requests=args.requests, top=args.top)
    print(f"{calls:,} tools/call driven\n\n{table}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
