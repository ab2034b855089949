"""``make bench``: the whole suite in one run, printed as tables and written to RESULTS.md with a plot.

1. micro benchmarks of each layer (framing, messages, dispatch, validation),
   each module in its own subprocess;
2. every server end to end over stdio (floor, mcpcore on uvloop and asyncio,
   the official Python SDK, FastMCP, the TypeScript SDK), interleaved rounds;
3. every HTTP-capable server over loopback, interleaved rounds, then 1,000
   concurrent keep-alive clients held on mcpcore;
4. the issue's targets, each as a ratio measured in this run, PASS or MISS.

Ratios are only ever taken between figures of the same run: the machine is
shared and absolute figures drift. ``--write`` (the default of ``make
bench``) stores benchmarks/RESULTS.md, benchmarks/results.svg and
benchmarks/results.json.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from benchmarks import bench_http, bench_stdio, plot, profile
from benchmarks.macro import Outcome
from benchmarks.micro import format_micro
from benchmarks.peers import (
    FASTMCP,
    FLOOR,
    MCPCORE,
    ROOT,
    SDK_LOWLEVEL,
    TS_SDK,
    ServerSpec,
    environment,
    servers,
)
from mcpcore.bench import BenchResult, HoldResult, format_table

HERE = Path(__file__).resolve().parent
RESULTS_MD = "RESULTS.md"
RESULTS_SVG = "results.svg"  # RESULTS.md and README.md refer to it by this name
RESULTS_JSON = "results.json"
MICRO_MODULES = ("bench_wire", "bench_jsonrpc", "bench_dispatch", "bench_validation")
HOLD_BOUND_KIB = 64.0  # "bounded memory": RSS growth per held client


@dataclass
class Suite:
    """Everything one run measured."""

    env: dict[str, str]
    config: dict[str, Any]
    micro: list[dict[str, Any]] = field(default_factory=list)
    micro_failures: dict[str, str] = field(default_factory=dict)
    stdio: Outcome = field(default_factory=Outcome)
    http: Outcome = field(default_factory=Outcome)
    hold: HoldResult | None = None
    hold_failure: str | None = None
    profiles: dict[str, str] = field(default_factory=dict)  # transport -> Markdown table
    seconds: float = 0.0


@dataclass
class Target:
    goal: str
    measured: str
    ratio: str
    status: str  # PASS, MISS or n/a


# ------------------------------------------------------------------ running


def run_micro(repeat: int, number: int | None) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """Each micro module in its own interpreter; JSON lines back."""
    rows: list[dict[str, Any]] = []
    failures: dict[str, str] = {}
    for module in MICRO_MODULES:
        print(f"[micro] {module}", file=sys.stderr, flush=True)
        argv = [sys.executable, "-m", f"benchmarks.{module}", "--repeat", str(repeat)]
        if number is not None:
            argv += ["--number", str(number)]
        done = subprocess.run(argv, cwd=ROOT, capture_output=True, timeout=600, check=False)
        if done.returncode != 0:
            lines = done.stderr.decode(errors="replace").strip().splitlines()
            failures[module] = lines[-1] if lines else f"exit status {done.returncode}"
            continue
        rows += [orjson.loads(line) for line in done.stdout.splitlines() if line.strip()]
    return rows, failures


def _select(specs: list[ServerSpec], only: str | None) -> list[ServerSpec]:
    if not only:
        return specs
    wanted = [word.strip().lower() for word in only.split(",") if word.strip()]
    return [spec for spec in specs if any(word in spec.name.lower() for word in wanted)]


def run_suite(args: argparse.Namespace) -> Suite:
    started = time.perf_counter()
    specs = _select(servers(install_node=not args.no_npm), args.only)
    suite = Suite(
        env=environment(),
        config={
            "rounds": args.rounds,
            "requests": args.requests,
            "seconds": args.seconds,
            "hold_clients": args.hold,
            "pinned": not args.no_pin,
        },
    )
    if not args.no_micro:
        suite.micro, suite.micro_failures = run_micro(args.repeat, args.number)
    if not args.no_stdio:
        suite.stdio = bench_stdio.run(
            specs,
            rounds=args.rounds,
            requests=args.requests,
            seconds=args.seconds,
            warmup=args.warmup,
            pin=not args.no_pin,
        )
    if not args.no_http:
        suite.http = bench_http.run(
            specs,
            rounds=args.rounds,
            requests=args.requests,
            seconds=args.seconds,
            warmup=args.warmup,
            pin=not args.no_pin,
        )
        target = next((spec for spec in specs if spec.name == MCPCORE), None)
        if args.hold and target is not None:
            print(f"[hold] {args.hold} clients on {target.name}", file=sys.stderr, flush=True)
            try:
                suite.hold = bench_http.hold(target, clients=args.hold)
            except Exception as exc:
                suite.hold_failure = f"{type(exc).__name__}: {exc}"
    if not args.no_profile and any(spec.name == MCPCORE for spec in specs):
        for transport, http in (("stdio", False), ("HTTP", True)):
            if (http and args.no_http) or (not http and args.no_stdio):
                continue
            print(f"[profile] mcpcore over {transport}", file=sys.stderr, flush=True)
            try:
                table, calls = profile.profile(http, requests=args.profile_requests, top=12)
                suite.profiles[transport] = f"{calls:,} calls of `add` driven.\n\n{table}"
            except Exception as exc:
                suite.profiles[transport] = f"_profiling failed: {type(exc).__name__}: {exc}_"
    suite.seconds = time.perf_counter() - started
    return suite


# ------------------------------------------------------------------ targets


def _by_name(results: Sequence[BenchResult]) -> dict[str, BenchResult]:
    return {result.name: result for result in results}


def _micro_ns(rows: Sequence[dict[str, Any]], case_prefix: str) -> float | None:
    for row in rows:
        if str(row["case"]).startswith(case_prefix):
            return float(row["ns"])
    return None


def _ratio_target(
    goal: str, ours: float | None, theirs: float | None, limit: float, *, at_most: bool
) -> Target:
    if ours is None or theirs is None or theirs <= 0:
        return Target(goal, "not measured in this run", "-", "n/a")
    ratio = ours / theirs
    passed = ratio <= limit if at_most else ratio >= limit
    return Target(goal, "", f"{ratio:.2f}x", "PASS" if passed else "MISS")


def targets(suite: Suite) -> list[Target]:
    """The issue's targets, each from figures of this run."""
    stdio, http = _by_name(suite.stdio.medians()), _by_name(suite.http.medians())
    ours, floor = stdio.get(MCPCORE), stdio.get(FLOOR)
    ts, sdk = stdio.get(TS_SDK), stdio.get(SDK_LOWLEVEL)
    found: list[Target] = []

    t = _ratio_target(
        "stdio sequential p50 within 1.5x of the floor",
        ours.p50_us if ours else None,
        floor.p50_us if floor else None,
        1.5,
        at_most=True,
    )
    if ours and floor:
        t.measured = f"{ours.p50_us:.1f} us vs floor {floor.p50_us:.1f} us"
    found.append(t)

    t = _ratio_target(
        "stdio, 64 in flight, at least the TypeScript SDK's throughput (validation on)",
        ours.throughput.get(64) if ours else None,
        ts.throughput.get(64) if ts else None,
        1.0,
        at_most=False,
    )
    if ours and ts:
        t.measured = f"{ours.throughput[64]:,.0f} vs {ts.throughput[64]:,.0f} req/s"
        if sdk:
            t.measured += f"; {ours.throughput[64] / sdk.throughput[64]:.0f}x the official Python SDK"
    found.append(t)

    h_ours, h_floor, h_sdk = http.get(MCPCORE), http.get(FLOOR), http.get(SDK_LOWLEVEL)
    t = _ratio_target(
        "HTTP, 1 client: p50 within 1.3x of the floor",
        h_ours.p50_us if h_ours else None,
        h_floor.p50_us if h_floor else None,
        1.3,
        at_most=True,
    )
    if h_ours and h_floor:
        t.measured = f"{h_ours.p50_us:.1f} us vs floor {h_floor.p50_us:.1f} us"
    found.append(t)

    t = _ratio_target(
        "HTTP, 16 clients: at least 3x the official Python SDK's throughput",
        h_ours.throughput.get(16) if h_ours else None,
        h_sdk.throughput.get(16) if h_sdk else None,
        3.0,
        at_most=False,
    )
    if h_ours and h_sdk:
        t.measured = f"{h_ours.throughput[16]:,.0f} vs {h_sdk.throughput[16]:,.0f} req/s"
    found.append(t)

    held = suite.hold
    if held is not None:
        good = held.errors == 0 and held.connected == held.clients and held.kib_per_client <= HOLD_BOUND_KIB
        found.append(
            Target(
                f"HTTP, {held.clients:,} concurrent keep-alive clients: zero errors, bounded memory",
                f"{held.connected:,} connected, {held.requests:,} calls, {held.errors} errors; RSS "
                f"{held.rss_before_mib:.1f} -> {held.rss_after_mib:.1f} MiB "
                f"({held.kib_per_client:.1f} KiB/client, bound {HOLD_BOUND_KIB:.0f})",
                "-",
                "PASS" if good else "MISS",
            )
        )
    else:
        why = suite.hold_failure or "not measured in this run"
        found.append(
            Target(
                "HTTP, 1,000 concurrent keep-alive clients",
                why,
                "-",
                "n/a" if not suite.hold_failure else "MISS",
            )
        )

    t = _ratio_target(
        "cold start (spawn -> initialize reply) within 1.5x of the floor",
        ours.cold_start_ms if ours else None,
        floor.cold_start_ms if floor else None,
        1.5,
        at_most=True,
    )
    if ours and floor:
        t.measured = f"{ours.cold_start_ms:.0f} ms vs floor {floor.cold_start_ms:.0f} ms"
    found.append(t)

    if ours:
        found.append(
            Target(
                "idle RSS under 30 MiB",
                f"{ours.rss_idle_mib:.1f} MiB after initialize",
                "-",
                "PASS" if ours.rss_idle_mib < 30 else "MISS",
            )
        )
    else:
        found.append(Target("idle RSS under 30 MiB", "not measured in this run", "-", "n/a"))

    one, many = _micro_ns(suite.micro, "tools/call add0"), _micro_ns(suite.micro, "tools/call add500")
    t = _ratio_target("no degradation with 1,000 registered tools (dispatch)", many, one, 1.2, at_most=True)
    if one and many:
        t.measured = f"{many:,.0f} ns with 1,000 tools vs {one:,.0f} ns with 1"
    found.append(t)
    return found


def format_targets(found: Sequence[Target]) -> str:
    lines = ["| target | measured (this run) | ratio | |", "| --- | --- | --- | --- |"]
    lines += [f"| {t.goal} | {t.measured} | {t.ratio} | **{t.status}** |" for t in found]
    return "\n".join(lines)


# ------------------------------------------------------------------ output


def _role(name: str, specs: Sequence[ServerSpec]) -> str:
    return next((spec.role for spec in specs if spec.name == name), "peer")


def make_plot(suite: Suite, specs: Sequence[ServerSpec]) -> str:
    stdio, http = suite.stdio.medians(), suite.http.medians()

    def bars(results: Sequence[BenchResult], value: str, level: int = 0) -> list[plot.Bar]:
        out = []
        for result in results:
            figure = result.p50_us if value == "p50" else result.throughput.get(level, 0.0)
            out.append(plot.Bar(result.name, figure, _role(result.name, specs)))
        return out

    latency = plot.Panel(
        "Sequential latency, p50 (lower is better)",
        "us",
        [("stdio", bars(stdio, "p50")), ("HTTP, 1 client", bars(http, "p50"))],
    )
    throughput = plot.Panel(
        "Throughput (higher is better)",
        "req/s",
        [("stdio, 64 in flight", bars(stdio, "tp", 64)), ("HTTP, 16 clients", bars(http, "tp", 16))],
    )
    caption = (
        f"mcpcore bench, add tool, medians of {suite.config['rounds']} interleaved rounds; "
        f"{suite.env['machine']}; {suite.env['python']}; {time.strftime('%Y-%m-%d')}"
    )
    return plot.render([latency, throughput], caption)


def _notes(outcome: Outcome) -> list[str]:
    notes = [f"- {name}: skipped ({why})" for name, why in outcome.skipped.items()]
    notes += [f"- {name}: FAILED ({why})" for name, why in outcome.failures.items()]
    return notes


def report(suite: Suite) -> str:
    """RESULTS.md, whole."""
    found = targets(suite)
    stdio, http = suite.stdio.medians(), suite.http.medians()
    cfg = suite.config
    parts = [
        "# Benchmark results",
        "",
        "Written by `make bench` (`python -m benchmarks.runner --write`);"
        " every figure below comes from one run.",
        "The machine is shared and absolute figures drift: compare ratios within a run.",
        "",
        f"_{time.strftime('%Y-%m-%d %H:%M %Z')}; the whole suite took {suite.seconds:.0f} s._",
        "",
        "| | |",
        "| --- | --- |",
        *[f"| {key} | {value} |" for key, value in suite.env.items()],
        "",
        "## Targets (issue 5)",
        "",
        "mcpcore here is the calculator example (`python -m mcpcore.examples.calculator`) on uvloop.",
        "",
        format_targets(found),
        "",
        "The HTTP one-client latency target is the one that does not hold. Across runs the ratio has"
        " ranged from 1.28x to 1.71x (the floor itself moves between 28 and 110 us on this shared 2-core"
        ' VM). The profile below ("Where mcpcore\'s time goes", HTTP) shows where the rest is: per request'
        " about 9.7 us of Python in process against 3 us for the floor; of the difference, the router and"
        " `tools/call` take ~3.3 us (the same code stdio runs), the HTTP head parser ~1.5 us, and the"
        " Streamable HTTP session logic (session lookup, `Accept` negotiation, SSE-vs-JSON choice). The"
        " floor answers every POST with fixed bytes and parses nothing, so closing the gap means"
        " moving head parsing to C (httptools is a dependency we chose not to take) or trimming the"
        " session path further.",
        "",
        "![p50 latency and throughput per server](results.svg)",
        "",
        "## stdio",
        "",
        f"Medians of {cfg['rounds']} interleaved rounds. Each phase runs up to {cfg['requests']:,} calls of"
        f" `add` or {cfg['seconds']} s, whichever ends first. Cold start is spawn to the `initialize` reply;"
        " RSS is after the run; CPU is the server's user+system time per call."
        + (
            " Latency is measured with client and server pinned to one CPU (the software's own cost:"
            " a wake-up across CPUs costs this VM tens of microseconds and the scheduler's choice"
            " changes between runs), throughput with each on its own CPU."
            if cfg.get("pinned")
            else " Client and server were not pinned (`--no-pin`)."
        ),
        "",
        format_table(stdio, baseline=FLOOR) if stdio else "_not measured_",
        *(["", *_notes(suite.stdio)] if _notes(suite.stdio) else []),
        "",
        "## HTTP (Streamable HTTP, JSON responses, loopback)",
        "",
        "Raw-socket keep-alive HTTP/1.1 clients, each its own MCP session with one call outstanding."
        " Python peers serve with `json_response=True` on uvicorn. The floor is a bare uvloop `Protocol`"
        " answering POSTs with a fixed JSON shape.",
        "",
        format_table(http, baseline=FLOOR) if http else "_not measured_",
        *(["", *_notes(suite.http)] if _notes(suite.http) else []),
        "",
    ]
    held = suite.hold
    if held is not None:
        parts += [
            f"### {held.clients:,} concurrent keep-alive clients on mcpcore",
            "",
            "| clients connected | calls answered | errors | req/s | RSS idle MiB | RSS connected MiB |"
            " RSS after MiB | KiB per client |",
            "| --- | --- | --- | --- | --- | --- | --- | --- |",
            f"| {held.connected:,} | {held.requests:,} | {held.errors} | {held.throughput:,.0f} |"
            f" {held.rss_before_mib:.1f} | {held.rss_connected_mib:.1f} | {held.rss_after_mib:.1f} |"
            f" {held.kib_per_client:.1f} |",
            "",
        ]
    if suite.profiles:
        parts += [
            "## Where mcpcore's time goes",
            "",
            "The calculator under `cProfile` (`python -m benchmarks.profile [--http]`), driven by the same"
            " client: sequential calls, then 16 in flight (stdio) or 16 clients (HTTP). Functions with the"
            " most time of their own; cProfile inflates Python-level costs, so read the proportions, not"
            " the absolute figures. `runners.py(run)` is the event loop itself (C: polling and socket I/O).",
            "",
        ]
        for transport, table in suite.profiles.items():
            parts += [f"### {transport}", "", table, ""]
    parts += [
        "## Micro benchmarks (per layer, in process)",
        "",
        "Best of N `timeit` autoranged loops, per operation.",
        "",
        format_micro(suite.micro) if suite.micro else "_not measured_",
        *[f"- {module}: FAILED ({why})" for module, why in suite.micro_failures.items()],
        "",
        "## The servers",
        "",
        "Every server offers `add(a: int, b: int) -> int` and answers the decimal sum"
        " as its first text content.",
        "",
        "- **floor**: `benchmarks/servers/floor.py` (stdio) and `floor_http.py`:"
        " uvloop + orjson, no MCP logic.",
        "- **mcpcore**: `mcpcore/examples/calculator.py` (`add` runs inline on the loop,"
        " arguments validated),"
        " `MCPCORE_LOOP=uvloop` or `asyncio`; *add in a thread* is `benchmarks/servers/thread_add.py`"
        " (the default placement of a plain function).",
        f"- **{SDK_LOWLEVEL}**: `benchmarks/servers/sdk_lowlevel.py`, the low-level `Server` with"
        " `on_call_tool` (it checks the argument types itself, as the low-level API expects).",
        "- **mcp SDK (MCPServer)**: `benchmarks/servers/sdk_mcpserver.py`, the high-level API (stdio only).",
        f"- **{FASTMCP}**: `benchmarks/servers/fastmcp_add.py`.",
        f"- **{TS_SDK}**: `benchmarks/servers/ts_sdk_add.mjs`, `McpServer.registerTool` with a zod schema,"
        " installed by npm into `.bench/node/` (stdio only).",
        "",
    ]
    return "\n".join(parts)


def terminal_summary(suite: Suite) -> str:
    stdio, http = suite.stdio.medians(), suite.http.medians()
    blocks = []
    if suite.micro:
        blocks.append("Micro benchmarks\n" + format_micro(suite.micro))
    if stdio:
        blocks.append("stdio\n" + format_table(stdio, baseline=FLOOR))
    if http:
        blocks.append("HTTP\n" + format_table(http, baseline=FLOOR))
    blocks.append("Targets\n" + format_targets(targets(suite)))
    notes = _notes(suite.stdio) + _notes(suite.http)
    if notes:
        blocks.append("\n".join(dict.fromkeys(notes)))
    return "\n\n".join(blocks)


def to_json(suite: Suite) -> dict[str, Any]:
    def outcome(o: Outcome) -> dict[str, Any]:
        return {
            "medians": [r.to_json() for r in o.medians()],
            "runs": {name: [r.to_json() for r in runs] for name, runs in o.runs.items()},
            "failures": o.failures,
            "skipped": o.skipped,
        }

    held = suite.hold
    return {
        "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "environment": suite.env,
        "config": suite.config,
        "seconds": suite.seconds,
        "micro": suite.micro,
        "stdio": outcome(suite.stdio),
        "http": outcome(suite.http),
        "hold": None if held is None else {**held.__dict__, "kib_per_client": held.kib_per_client},
        "profiles": suite.profiles,
        "targets": [t.__dict__ for t in targets(suite)],
    }


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds per server (median)")
    parser.add_argument("--requests", type=int, default=2000, help="calls per phase, at most")
    parser.add_argument("--seconds", type=float, default=0.6, help="time cap per phase")
    parser.add_argument("--warmup", type=int, default=200, help="calls before measuring")
    parser.add_argument("--repeat", type=int, default=7, help="micro: best of this many loops")
    parser.add_argument("--number", type=int, default=None, help="micro: fixed loop count (no autorange)")
    parser.add_argument(
        "--hold", type=int, default=1000, help="HTTP clients held at once on mcpcore (0: skip)"
    )
    parser.add_argument("--only", default=None, help="comma-separated parts of server names to run")
    parser.add_argument("--no-micro", action="store_true")
    parser.add_argument("--no-stdio", action="store_true")
    parser.add_argument("--no-http", action="store_true")
    parser.add_argument("--no-npm", action="store_true", help="never run npm (skip the TS SDK if absent)")
    parser.add_argument("--no-profile", action="store_true", help="skip profiling mcpcore")
    parser.add_argument("--profile-requests", type=int, default=10_000, help="calls per profiled phase")
    parser.add_argument(
        "--no-pin",
        action="store_true",
        help="let the scheduler place client and servers (see bench.Placement)",
    )
    parser.add_argument("--write", action="store_true", help="write RESULTS.md, results.svg, results.json")
    parser.add_argument(
        "--out", type=Path, default=HERE, help="directory --write writes to (default: benchmarks/)"
    )
    parser.add_argument("--json", type=Path, default=None, help="also write the JSON results to this path")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    suite = run_suite(args)
    print(terminal_summary(suite))
    data = orjson.dumps(to_json(suite), option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS)
    if args.json is not None:
        args.json.write_bytes(data)
    if args.write:
        specs = servers(install_node=False)
        out: Path = args.out
        out.mkdir(parents=True, exist_ok=True)
        (out / RESULTS_SVG).write_text(make_plot(suite, specs))
        (out / RESULTS_MD).write_text(report(suite))
        (out / RESULTS_JSON).write_bytes(data + b"\n")
        print(f"\nwrote {RESULTS_MD}, {RESULTS_SVG} and {RESULTS_JSON} in {out}", file=sys.stderr)
    essential = {FLOOR, MCPCORE}
    broken = essential & (set(suite.stdio.failures) | set(suite.http.failures))
    return 1 if broken or suite.micro_failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
