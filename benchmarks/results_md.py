"""RESULTS.md, written from one run's results: every sentence with a figure is computed here.

Nothing in this module is a measured number: prose that states figures is
built from the run's :class:`~benchmarks.macro.CompareRun` results, so the
file can never say something its own tables contradict.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from benchmarks.macro import CompareRun
from benchmarks.micro import format_micro
from benchmarks.peers import (
    FASTMCP,
    FLOOR,
    MCPCORE,
    MCPCORE_INLINE,
    MCPCORE_MIDDLEWARE,
    MCPCORE_THREAD,
    SDK_LOWLEVEL,
    TS_SDK,
)
from benchmarks.scaleout import MODERN
from benchmarks.targets import REDIS_P50_LIMIT, format_targets, micro_ns
from mcpcore.bench import format_table

if TYPE_CHECKING:
    from benchmarks.runner import Suite


def notes(run: CompareRun | None) -> list[str]:
    if run is None:
        return []
    found = [f"- {name}: skipped ({why})" for name, why in run.skipped.items()]
    found += [f"- {name}: FAILED ({why})" for name, why in run.failures.items()]
    for result in run.results:
        if result.errors:
            kinds = "; ".join(f"{count} x {text}" for text, count in result.error_samples.items())
            found.append(f"- {result.name}: {result.errors} errors ({kinds})")
    return found


def _us(value_ms: float) -> str:
    return f"{value_ms * 1000:.1f} us"


def _summary(suite: Suite) -> list[str]:
    """Sentences about this run's targets and the thread hop, from this run's figures."""
    found = suite.targets()
    measured = [t for t in found if t.status != "n/a"]
    misses = [t.goal for t in measured if t.status == "MISS"]
    lines = [f"In this run {len(measured) - len(misses)} of {len(measured)} measured targets pass."]
    if misses:
        lines[0] += " Missed: " + "; ".join(misses) + "."
    stdio = suite.stdio
    if stdio is not None:
        thread, inline, plain = (stdio.get(name, "c=1") for name in (MCPCORE_THREAD, MCPCORE_INLINE, MCPCORE))
        if thread and inline and plain:
            lines.append(
                "Sequentially, a plain `def` tool in a worker thread answers at p50"
                f" {_us(thread.latency_ms['p50'])}"
                f" against {_us(inline.latency_ms['p50'])} for the same tool inline and"
                f" {_us(plain.latency_ms['p50'])} as `async def`: the difference is the hand-off to the"
                " worker thread and back."
            )
        busy_thread, ts = stdio.get(MCPCORE_THREAD, "c=64"), stdio.get(TS_SDK, "c=64")
        if busy_thread and ts and ts.throughput_rps:
            lines.append(
                f"At 64 in flight the threaded tool does {busy_thread.throughput_rps:,.0f} req/s,"
                f" {busy_thread.throughput_rps / ts.throughput_rps:.2f}x the TypeScript SDK's"
                f" {ts.throughput_rps:,.0f}."
            )
    http = suite.http
    if http is not None:
        ours, floor = http.get(MCPCORE, "c=1"), http.get(FLOOR, "c=1")
        if ours and floor and floor.latency_ms["p50"]:
            lines.append(
                "Over HTTP with one client, mcpcore's `async def add` answers at p50"
                f" {_us(ours.latency_ms['p50'])},"
                f" {ours.latency_ms['p50'] / floor.latency_ms['p50']:.2f}x the floor's"
                f" {_us(floor.latency_ms['p50'])}; see the HTTP profile below for where the time goes."
            )
    lines += _exchange_sentence(suite.micro)
    return lines


def _exchange_sentence(micro: list[dict[str, Any]]) -> list[str]:
    """The servers' own Python per HTTP exchange, from ``benchmarks/bench_exchange.py`` in this run."""
    floor, plain, inline = (
        micro_ns(micro, prefix)
        for prefix in ("floor: POST", "mcpcore async def: legacy POST", "mcpcore inline:")
    )
    if floor is None or plain is None or inline is None:
        return []
    return [
        "With the socket taken away (`benchmarks/bench_exchange.py`: the same keep-alive POST fed to the"
        f" server's `Protocol` in process), one exchange costs the floor {floor / 1000:.1f} us of Python,"
        f" mcpcore's `async def add` {plain / 1000:.1f} us ({plain / floor:.1f}x) and the inline tool"
        f" {inline / 1000:.1f} us ({inline / floor:.1f}x): HTTP parsing, the Host check, the session, the"
        " router, argument validation and the SSE-framed answer, against a fixed reply. Over a socket the"
        " kernel's and the loop's work is added to both, and each server also runs with the caches the"
        " client left behind."
    ]


def _bodies(run: CompareRun) -> str:
    """How each server answered over HTTP, from the media types the bench saw."""
    parts = []
    for server in dict.fromkeys(r.server for r in run.results):
        kinds: dict[str, int] = {}
        for result in run.results:
            if result.server == server:
                for kind, count in result.body_types.items():
                    kinds[kind] = kinds.get(kind, 0) + count
        if kinds:
            ordered = sorted(kinds, key=kinds.__getitem__, reverse=True)
            parts.append(f"{server}: " + ", ".join(f"`{kind}`" for kind in ordered))
    return "; ".join(parts)


def _compare_section(title: str, run: CompareRun | None, description: str) -> list[str]:
    if run is None:
        return []
    lines = [f"## {title}", "", description, "", "```", run.shown_command(), "```", ""]
    lines.append(format_table(run.results, markdown=True) if run.results else "_not measured_")
    extra = notes(run)
    return [*lines, *(["", *extra] if extra else []), ""]


def report(suite: Suite) -> str:
    """RESULTS.md, whole."""
    cfg = suite.config
    placement = (
        " Latency (one in flight) is measured with client and server pinned to one CPU (the software's own"
        " cost: a wake-up across CPUs costs a small VM tens of microseconds, and the scheduler's choice"
        " changes between runs), throughput with each on its own CPU."
        if cfg.get("pinned")
        else " Client and server were not pinned (`--no-pin`)."
    )
    phases = (
        f"Medians of {cfg['rounds']} interleaved rounds; each phase runs up to {cfg['requests']:,} calls of"
        f" `add` or {cfg['seconds']} s, whichever ends first, after {cfg['warmup']} warm-up calls. Cold start"
        " is spawn to the first answer; RSS is after the phase; CPU is the server's user+system time per"
        " call; requests and errors are totals over the rounds. Ratios are to the floor in the same phase."
    )
    parts = [
        "# Benchmark results",
        "",
        "Written by `make bench` (`python -m benchmarks.runner --write`), which runs"
        " `mcpcore bench --compare` once per transport; every figure, and every sentence with a figure,"
        " below comes from that one run.",
        "The machine may be shared and absolute figures drift: compare ratios within a run.",
        "",
        f"_{time.strftime('%Y-%m-%d %H:%M %Z')}; the whole suite took {suite.seconds:.0f} s._",
        "",
        "| | |",
        "| --- | --- |",
        *[f"| {key} | {value} |" for key, value in suite.env.items()],
        "",
        "## Targets",
        "",
        f"The headline mcpcore row, **{MCPCORE}**, is `benchmarks/servers/async_add.py`: an `async def add`"
        " tool, like for like with the peers' ordinary handlers. The calculator example's inline tool"
        f' (**{MCPCORE_INLINE}**, `run="loop"`) and a plain `def` in a worker thread (**{MCPCORE_THREAD}**)'
        " are extra rows.",
        "",
        format_targets(suite.targets()),
        "",
        " ".join(_summary(suite)),
        "",
        "![p50 latency and throughput per server](results.svg)",
        "",
        "The stdio comparison as `mcpcore bench --html` draws it (latency distributions, latency over each"
        " phase, throughput): [report.html](report.html).",
        "",
        *_compare_section("stdio", suite.stdio, phases + placement),
    ]
    http = suite.http
    if http is not None:
        description = (
            phases + " Each client is a raw-socket keep-alive HTTP/1.1 connection holding its own MCP session"
            " (`--session reuse`) with one call outstanding. Python peers serve on uvicorn with"
            " `json_response=True`; the floor is a bare uvloop `Protocol` answering POSTs with fixed JSON."
        )
        bodies = _bodies(http)
        if bodies:
            description += f" Answers to `tools/call` came as: {bodies}."
        parts += _compare_section("HTTP (Streamable HTTP, loopback)", http, description)
    held = suite.hold
    if held is not None:
        parts += [
            f"### {held.clients:,} concurrent keep-alive clients on {MCPCORE}",
            "",
            "| clients connected | calls answered | errors | req/s | RSS idle MiB | RSS connected MiB |"
            " RSS after MiB | KiB per client |",
            "| --- | --- | --- | --- | --- | --- | --- | --- |",
            f"| {held.connected:,} | {held.requests:,} | {held.errors} | {held.throughput:,.0f} |"
            f" {held.rss_before_mib:.1f} | {held.rss_connected_mib:.1f} | {held.rss_after_mib:.1f} |"
            f" {held.kib_per_client:.1f} |",
            "",
        ]
    parts += scaleout_section(suite.scaleout)
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
        "Every server offers `add(a: int, b: int) -> int` and answers the decimal sum as its first text"
        " content; the bench checks every answer.",
        "",
        "- **floor**: `benchmarks/servers/floor.py` (stdio) and `floor_http.py`: uvloop + orjson,"
        " no MCP logic.",
        f"- **{MCPCORE}** (and on asyncio): `benchmarks/servers/async_add.py`, `async def add`.",
        f'- **{MCPCORE_INLINE}**: `mcpcore/examples/calculator.py`, `add` inline on the loop (`run="loop"`).',
        f"- **{MCPCORE_MIDDLEWARE}**: `benchmarks/servers/middleware_add.py`, the same inline `add` behind"
        " one pass-through middleware on `tools/call` (the middleware's cost; without one, the inline"
        " path is the calculator's).",
        f"- **{MCPCORE_THREAD}**: `benchmarks/servers/thread_add.py`, a plain `def add` in its default"
        " placement, a worker thread.",
        f"- **{SDK_LOWLEVEL}**: `benchmarks/servers/sdk_lowlevel.py`, the low-level `Server` with"
        " `on_call_tool` (it checks the argument types itself, as the low-level API expects).",
        "- **mcp SDK (MCPServer)**: `benchmarks/servers/sdk_mcpserver.py`, the high-level API (stdio only).",
        f"- **{FASTMCP}**: `benchmarks/servers/fastmcp_add.py`.",
        f"- **{TS_SDK}**: `benchmarks/servers/ts_sdk_add.mjs`, `McpServer.registerTool` with a zod schema,"
        " installed by npm into `.bench/node/` (stdio only).",
        "",
    ]
    return "\n".join(parts)


README_START = "<!-- bench:headline (written by make bench; do not edit by hand) -->"
README_END = "<!-- /bench:headline -->"


def headline(suite: Suite) -> str:
    """The README's speed table: like for like, one row per server, from this run's medians."""
    rows = [
        "| server | cold start | stdio p50 | stdio, 64 in flight | HTTP p50, 1 client | HTTP, 16 clients |",
        "|---|---|---|---|---|---|",
    ]
    names = list(
        dict.fromkeys(r.server for run in (suite.stdio, suite.http) if run is not None for r in run.results)
    )

    def cell(run: CompareRun | None, server: str, phase: str, latency: bool) -> str:
        found = run.get(server, phase) if run is not None else None
        if found is None:
            return "-"
        return _us(found.latency_ms["p50"]) if latency else f"{found.throughput_rps:,.0f} req/s"

    for name in names:
        first = (suite.stdio.get(name, "c=1") if suite.stdio else None) or (
            suite.http.get(name, "c=1") if suite.http else None
        )
        cold = f"{first.cold_start_ms:.0f} ms" if first and first.cold_start_ms else "-"
        cells = [
            cold,
            cell(suite.stdio, name, "c=1", True),
            cell(suite.stdio, name, "c=64", False),
            cell(suite.http, name, "c=1", True),
            cell(suite.http, name, "c=16", False),
        ]
        label = f"**{name}**" if name == MCPCORE else name
        if name == MCPCORE:
            cells = [f"**{c}**" if c != "-" else c for c in cells]
        rows.append(f"| {label} | " + " | ".join(cells) + " |")
    when = time.strftime("%Y-%m-%d")
    caption = (
        f"_From `make bench` on {when}: {suite.env.get('machine', '?')}, {suite.env.get('python', '?')},"
        f" load average {suite.env.get('load average at start', '?')} at start; medians of"
        f" {suite.config['rounds']} interleaved rounds; `add(a, b)` on every server._"
    )
    return "\n".join([caption, "", *rows])


def update_readme(text: str, table: str) -> str:
    """``text`` with the part between the headline markers replaced (unchanged without markers)."""
    start, end = text.find(README_START), text.find(README_END)
    if start < 0 or end < start:
        return text
    return text[: start + len(README_START)] + "\n" + table + "\n" + text[end:]


def soak_section(text: str) -> str:
    """The soak run's block of an older RESULTS.md (``make soak`` writes it; ``make bench`` keeps it)."""
    from benchmarks.soak import BEGIN, END

    start, end = text.find(BEGIN), text.find(END)
    if start < 0 or end < start:
        return ""
    return "\n" + text[start : end + len(END)] + "\n"


def _store_cell(figures: dict[str, float] | None) -> str:
    return _us(figures["p50_ms"]) if figures else "-"


def _cpu_cell(figures: dict[str, float] | None) -> str:
    return f"{figures['cpu_us_per_request']:.0f} us" if figures else "-"


def scaleout_section(data: dict[str, Any] | None) -> list[str]:
    """RESULTS.md's scale-out section (issue 11) from benchmarks/scaleout.py's summary."""
    if data is None:
        return []
    cfg = data["config"]
    rounds = cfg["rounds"]
    lines = [
        "## Scale-out (issue 11)",
        "",
        f"`benchmarks/scaleout.py`, {rounds} interleaved rounds (the order of the servers rotates); a ratio"
        " is the median of the per-round ratios. Nothing is pinned: on this machine's"
        f" {data['cpus']} CPUs the servers and the load generator (`mcpcore bench`, one process) share the"
        f" CPUs. The section took {data['seconds']:.0f} s.",
        "",
        "### Pre-forked workers",
        "",
        f"Stateless ({MODERN}) `add` calls on the calculator from {cfg['clients']} keep-alive clients,"
        f" one call outstanding each, for {cfg['throughput_seconds']} s per round after {cfg['warmup']}"
        " warm-up calls. The bench is given the supervisor's pid; its CPU includes its workers'.",
        "",
        "```",
        data["commands"].get("workers server", ""),
        data["commands"].get("workers bench", ""),
        "```",
        "",
        "| workers | req/s | server CPU per call | p50 | calls (all rounds) |",
        "| --- | --- | --- | --- | --- |",
    ]
    for name, figures in data["workers"].items():
        lines.append(
            f"| {name} | {figures['throughput_rps']:,.0f} | {figures['cpu_us_per_request']:.1f} us |"
            f" {_us(figures['p50_ms'])} | {figures['requests']:,.0f} |"
        )
    ratios = data["worker_ratios"]
    if ratios.get("cpu") is not None and ratios.get("throughput") is not None:
        lines += [
            "",
            f"With 2 workers the server spent {ratios['cpu']:.2f}x the CPU per call of 1 worker and served"
            f" {ratios['throughput']:.2f}x its throughput (medians over {ratios['rounds']} rounds).",
        ]
    lines += [
        "",
        "### Redis store against in-memory",
        "",
        '`benchmarks/servers/task_add.py` (an `add` tool with `task_support="optional"`) served in memory'
        " and with `--redis` on a `redis-server` the bench starts on loopback. One client, sequential"
        f" calls: up to {cfg['latency_requests']:,} calls or {cfg['latency_seconds']} s per round after"
        f" {cfg['warmup']} warm-up calls. The task-creating call declares the tasks extension; `tasks/get`"
        " reads one task created before the rounds.",
        "",
        "```",
        data["commands"].get("stores server", ""),
        data["commands"].get("stores bench", ""),
        "```",
        "",
        "| call | in memory, p50 | Redis, p50 | Redis / in memory (median of rounds) |"
        " server CPU per call, in memory / Redis | answered as |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for row in data["stores"]:
        ratio = f"{row['p50_ratio']:.2f}x" if row["p50_ratio"] is not None else "-"
        cells = [row["label"], _store_cell(row["memory"]), _store_cell(row["redis"]), ratio]
        cells.append(f"{_cpu_cell(row['memory'])} / {_cpu_cell(row['redis'])}")
        answered = row.get("answered_as", {})
        kinds = [
            f"{name}: " + ", ".join(f"`{kind}`" for kind in answered[name])
            for name in answered
            if answered[name]
        ]
        lines.append("| " + " | ".join([*cells, "; ".join(kinds) or "-"]) + " |")
    legacy = next((row for row in data["stores"] if row["call"] == "legacy-call"), None)
    if legacy and legacy["p50_ratio"] is not None:
        lines += [
            "",
            f"The legacy-session call has no target: with Redis its p50 is {legacy['p50_ratio']:.2f}x the"
            " in-memory one.",
        ]
    trip = data.get("redis_round_trip_ms")
    task = next((row for row in data["stores"] if row["call"] == "task-call"), None)
    if task and task["memory"] and task["redis"]:
        memory, redis = task["memory"], task["redis"]
        lines += [
            "",
            f"On the task-creating call Redis added {_us(redis['p50_ms'] - memory['p50_ms'])} to the p50 and"
            f" {redis['cpu_us_per_request'] - memory['cpu_us_per_request']:.0f} us of server CPU per call.",
        ]
    if trip is not None and task and task["memory"]:
        allowed = (REDIS_P50_LIMIT - 1) * task["memory"]["p50_ms"]
        lines += [
            "",
            f"A bare Redis round trip (mcpcore's Redis client, `GET`, from the bench process) took p50"
            f" {_us(trip)} in this run. A {REDIS_P50_LIMIT}x target on the task-creating call leaves Redis"
            f" {_us(allowed)} over the in-memory p50, {allowed / trip:.2f}x one round trip.",
        ]
    lines += [f"- {name}: skipped ({why})" for name, why in data["skipped"].items()]
    lines += [f"- {name}: FAILED ({why})" for name, why in data["failures"].items()]
    return [*lines, ""]
