"""``make bench`` (first stage): the example server end to end over stdio, against the floor.

Runs each server several times, interleaved so that machine noise hits all of
them alike, and prints the per-figure medians as a Markdown table with each
server's p50 as a ratio of the floor's. ``--write`` also stores the table in
benchmarks/RESULTS.md between its markers.

The full suite (peers, HTTP, plots) is issue 5's; this is the first
end-to-end measurement the core engine ships with.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

from mcpcore import __version__
from mcpcore.bench import BenchResult, bench_stdio, format_table, median_result

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "RESULTS.md"
BEGIN, END = "<!-- stdio-first:begin -->", "<!-- stdio-first:end -->"


def servers() -> list[tuple[str, list[str], dict[str, str]]]:
    py = sys.executable
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return [
        ("floor (bare uvloop+orjson)", [py, "-m", "benchmarks.servers.floor"], env),
        ("mcpcore (uvloop)", [py, "-m", "mcpcore.examples.calculator"], {**env, "MCPCORE_LOOP": "uvloop"}),
        ("mcpcore (asyncio)", [py, "-m", "mcpcore.examples.calculator"], {**env, "MCPCORE_LOOP": "asyncio"}),
        (
            "mcpcore, add in a thread",
            [py, "-m", "benchmarks.servers.thread_add"],
            {**env, "MCPCORE_LOOP": "uvloop"},
        ),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=3, help="runs per server (median reported)")
    parser.add_argument("--requests", type=int, default=5000, help="sequential requests per run")
    parser.add_argument("--write", action="store_true", help="update benchmarks/RESULTS.md")
    args = parser.parse_args()
    runs: dict[str, list[BenchResult]] = {}
    for round_number in range(args.runs):
        for name, argv, env in servers():
            print(f"[run {round_number + 1}/{args.runs}] {name}", file=sys.stderr)
            result = bench_stdio(name, argv, requests=args.requests, inflight=(1, 16, 64), env=env)
            runs.setdefault(name, []).append(result)
    table = format_table([median_result(results) for results in runs.values()], baseline=servers()[0][0])
    stamp = (
        f"{time.strftime('%Y-%m-%d')}, mcpcore {__version__}, Python {platform.python_version()}, "
        f"{platform.machine()} x{os.cpu_count()}, median of {args.runs} interleaved runs, "
        f"{args.requests} sequential calls of `add` per run"
    )
    print(table)
    print(f"\n{stamp}")
    if args.write:
        block = f"{BEGIN}\n{table}\n\n_{stamp}_\n{END}"
        text = RESULTS.read_text() if RESULTS.exists() else ""
        if BEGIN in text and END in text:
            text = text.split(BEGIN)[0] + block + text.split(END, 1)[1]
        else:
            text += "\n" + block + "\n"
        RESULTS.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
