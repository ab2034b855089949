"""Scale-out costs (issue 11): pre-forked workers, and the Redis store against the in-memory one.

Two measurements, each in interleaved rounds of this one run, every figure
from ``mcpcore bench`` pointed at servers this module starts on loopback:

1. **Workers.** Stateless (2026-07-28) ``add`` calls from several keep-alive
   clients on ``mcpcore run mcpcore.examples.calculator:server --http
   --workers N`` for N = 1 and 2: throughput, and the server's CPU per call.
   The bench is given the supervisor's pid (``--pid``), and the CPU of a pid
   includes its workers' (see mcpcore/bench/procs.py). Nothing is pinned: the
   workers and the load generator share the machine's CPUs.
2. **Stores.** p50 latency of one client's sequential calls on
   benchmarks/servers/task_add.py in memory and with ``--redis`` (a
   ``redis-server`` started here on loopback): a legacy-session ``tools/call``,
   a 2026-07-28 ``tools/call`` that creates a task (the client declares the
   tasks extension), and a ``tasks/get`` reading a task created beforehand;
   beside them, each round, the p50 of a bare Redis round trip from
   mcpcore's own asyncio Redis client (the one the stores use): the floor
   under any call the store serves with one round trip.

Each round runs every server once, the order rotating between rounds; a ratio
is the median of the per-round ratios (two servers measured back to back see
the same machine, whatever drifts between rounds). Servers live for the whole
section, so each round also sees the state the earlier ones left (tasks kept).

Standalone: ``python -m benchmarks.scaleout [--rounds N]`` prints the tables.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson

from benchmarks.peers import ROOT, free_port
from mcpcore.bench import HttpBenchClient
from mcpcore.bench.clients import DEFAULT_VERSION
from mcpcore.bench.procs import stop_process
from mcpcore.bench.run import connect_when_ready

MODERN = "2026-07-28"
TASKS_EXTENSION = "io.modelcontextprotocol/tasks"
#: The ``_meta`` a client declaring the tasks extension adds to its requests (the rest is the bench's).
WITH_TASKS: dict[str, Any] = {
    "io.modelcontextprotocol/clientCapabilities": {"extensions": {TASKS_EXTENSION: {}}}
}
CALCULATOR = "mcpcore.examples.calculator:server"
TASK_SERVER = "benchmarks.servers.task_add:server"
WORKER_COUNTS = (1, 2)
MEMORY, REDIS = "in memory", "Redis"
ROUND_TRIP = "redis-round-trip"
START_TIMEOUT = 30.0


@dataclass(frozen=True)
class Probe:
    """One measured call: what ``mcpcore bench`` is told to send (``{task}``: the task id read)."""

    key: str
    label: str
    options: tuple[str, ...]


def _params(params: dict[str, Any]) -> str:
    return orjson.dumps({**params, "_meta": WITH_TASKS}).decode()


ADD_ONE = {"name": "add", "arguments": {"a": 1, "b": 1}}


PROBES = (
    Probe("legacy-call", f"legacy-session `tools/call` ({DEFAULT_VERSION})", ("--session", "reuse")),
    Probe(
        "task-call",
        f"{MODERN} `tools/call` creating a task",
        ("--protocol", MODERN, "--method", "tools/call", _params(ADD_ONE)),
    ),
    Probe(
        "tasks-get",
        f"{MODERN} `tasks/get` reading a task",
        ("--protocol", MODERN, "--method", "tasks/get", _params({"taskId": "{task}"})),
    ),
)


@dataclass
class Config:
    rounds: int = 5
    clients: int = 16  # workers: keep-alive clients, one call outstanding each
    throughput_seconds: float = 1.5
    latency_requests: int = 2000
    latency_seconds: float = 1.0
    warmup: int = 100
    round_trips: int = 2000  # bare Redis GETs per round (the floor under any store call)


# ------------------------------------------------------------------ servers


@dataclass
class Running:
    """A server this module started, and how to reach it."""

    process: subprocess.Popen[bytes]
    url: str
    port: int
    log: Any = None

    @property
    def pid(self) -> int:
        return self.process.pid

    def stop(self) -> None:
        stop_process(self.process, grace=5.0)
        if self.log is not None:
            self.log.close()


def _listening(port: int) -> int:
    """How many sockets listen on ``port`` (Linux ``/proc/net/tcp*``; -1 where unreadable)."""
    count, readable = 0, False
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as rows:
                readable = True
                for row in list(rows)[1:]:
                    fields = row.split()
                    if len(fields) > 3 and fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:
                        count += 1
        except OSError:
            continue
    return count if readable else -1


def start(argv: Sequence[str], *, listeners: int = 1) -> Running:
    """Spawn an HTTP server (``{port}`` in ``argv``); return once ``listeners`` sockets accept.

    With ``--workers N`` every worker binds its own socket and the kernel
    spreads connections over those that exist when a client connects: the
    clients must not connect before all N listen, or one worker gets them all.
    """
    port = free_port()
    log = tempfile.TemporaryFile()  # noqa: SIM115 - the server's stderr, closed by Running.stop
    process = subprocess.Popen(
        [part.replace("{port}", str(port)) for part in argv],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=log,
    )
    running = Running(process, f"http://127.0.0.1:{port}/mcp", port, log)
    try:
        deadline = time.perf_counter() + START_TIMEOUT
        connect_when_ready(running.url, DEFAULT_VERSION, deadline, process).close()
        while 0 <= _listening(port) < listeners:
            if process.poll() is not None or time.perf_counter() > deadline:
                raise RuntimeError(f"{listeners} listening sockets expected on port {port}")
            time.sleep(0.01)  # polling a starting server under a deadline
    except (OSError, RuntimeError):
        log.seek(0)
        tail = log.read().decode(errors="replace").strip().splitlines()[-3:]
        running.stop()
        raise RuntimeError(f"{shlex.join(argv)} did not start: {' | '.join(tail)}") from None
    return running


@contextlib.contextmanager
def redis_server() -> Iterator[str]:
    """A ``redis-server`` on a loopback port (tests/redis_server.py starts it); its URL."""
    from tests.redis_server import start_redis

    server = start_redis()
    try:
        yield server.url()
    finally:
        server.stop()


def round_trip(url: str, count: int) -> dict[str, Any]:
    """``count`` sequential ``GET``s of a missing key from mcpcore's Redis client on uvloop.

    The stores make their calls with this client; a store call that needs one
    round trip cannot cost less. Shaped like a bench result (``p50`` in ms).
    """
    from mcpcore.loop import run
    from mcpcore.stores.redis import connect

    async def main() -> list[float]:
        client = connect(url)
        try:
            await client.call("GET", "mcpcore:bench:nothing")
            times = []
            for _ in range(count):
                started = time.perf_counter()
                await client.call("GET", "mcpcore:bench:nothing")
                times.append(time.perf_counter() - started)
            return times
        finally:
            await client.aclose()

    times = run(main(), loop="uvloop")
    p50_ms = statistics.median(times) * 1000
    return {
        "throughput_rps": 0.0,
        "cpu_us_per_request": 0.0,
        "latency_ms": {"p50": p50_ms},
        "requests": count,
    }


def create_task(url: str) -> str:
    """Create one task on a task_add server (2026-07-28, tasks extension declared); its id."""
    client = HttpBenchClient(url, version=MODERN)
    try:
        params = orjson.loads(PROBES[1].options[-1])
        params["_meta"] = {
            "io.modelcontextprotocol/protocolVersion": MODERN,
            "io.modelcontextprotocol/clientInfo": {"name": "mcpcore-bench", "version": "0"},
            **params["_meta"],
        }
        body = orjson.dumps({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": params})
        message = client.post(body, "tools/call", "add").message() or {}
    finally:
        client.close()
    result = message.get("result") or {}
    if result.get("resultType") != "task" or not isinstance(result.get("taskId"), str):
        raise RuntimeError(f"a task-creating tools/call answered {str(message)[:200]}")
    return str(result["taskId"])


# ------------------------------------------------------------------ measuring


def bench_command(url: str, pid: int, options: Sequence[str]) -> list[str]:
    return [sys.executable, "-m", "mcpcore", "bench", url, "--pid", str(pid), *options, "--json"]


def bench(url: str, pid: int, options: Sequence[str]) -> dict[str, Any]:
    """One ``mcpcore bench`` run (one phase); its JSON result entry."""
    done = subprocess.run(
        bench_command(url, pid, options),
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        timeout=300,
        check=False,
    )
    try:
        document = orjson.loads(done.stdout)
        result: dict[str, Any] = document["results"][0]
    except (orjson.JSONDecodeError, KeyError, IndexError, TypeError):
        lines = done.stderr.decode(errors="replace").strip().splitlines()
        raise RuntimeError(lines[-1] if lines else f"mcpcore bench exit status {done.returncode}") from None
    if result.get("errors"):
        raise RuntimeError(f"{result['errors']} errors: {result.get('error_samples')}")
    return result


def throughput_options(config: Config) -> list[str]:
    return [
        "--session", "stateless", "--concurrency", str(config.clients), "--duration",
        str(config.throughput_seconds), "--requests", "10000000", "--warmup", str(config.warmup),
    ]  # fmt: skip


def latency_options(config: Config, probe: Probe, task: str) -> list[str]:
    load = ["--concurrency", "1", "--requests", str(config.latency_requests)]
    load += ["--duration", str(config.latency_seconds), "--warmup", str(config.warmup)]
    return [*load, *(option.replace("{task}", task) for option in probe.options)]


@dataclass
class Record:
    """One phase of one round: which group, which server, which call, what it measured."""

    round: int
    group: str  # "workers" or a probe key
    server: str  # "1", "2", MEMORY or REDIS
    figures: dict[str, float]
    body_types: dict[str, int] = field(default_factory=dict)  # how the HTTP answers came


def _figures(result: dict[str, Any]) -> dict[str, float]:
    return {
        "throughput_rps": float(result["throughput_rps"]),
        "cpu_us_per_request": float(result["cpu_us_per_request"]),
        "p50_ms": float(result["latency_ms"]["p50"]),
        "requests": float(result["requests"]),
    }


def _rotated(items: Sequence[str], number: int) -> list[str]:
    shift = number % len(items)
    return [*items[shift:], *items[:shift]]


@dataclass
class Section:
    """What the section measured: per-phase records, failures, and the commands shown."""

    config: Config
    records: list[Record] = field(default_factory=list)
    failures: dict[str, str] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    commands: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0

    def attempt(self, name: str, round_: int, group: str, server: str, call: Any) -> None:
        if name in self.failures:
            return
        print(f"[scaleout] round {round_ + 1}/{self.config.rounds}: {name}", file=sys.stderr, flush=True)
        try:
            result = call()
            bodies = {str(kind): int(count) for kind, count in result.get("body_types", {}).items()}
            self.records.append(Record(round_, group, server, _figures(result), bodies))
        except Exception as exc:
            self.failures[name] = f"{type(exc).__name__}: {exc}"


def _shown(argv: Sequence[str]) -> str:
    text = shlex.join(["python" if part == sys.executable else part for part in argv])
    return text.replace(f"{ROOT}/", "")


def measure_workers(section: Section) -> None:
    config = section.config
    argv = [sys.executable, "-m", "mcpcore", "run", CALCULATOR, "--http", "--port", "{port}", "--workers"]
    section.commands["workers server"] = _shown([*argv, "N"]).replace("'{port}'", "PORT")
    section.commands["workers bench"] = _shown(
        bench_command("http://127.0.0.1:PORT/mcp", 0, throughput_options(config))
    ).replace("--pid 0", "--pid SUPERVISOR_PID")
    running: dict[str, Running] = {}
    try:
        for count in WORKER_COUNTS:
            running[str(count)] = start([*argv, str(count)], listeners=count)
        for number in range(config.rounds):
            for name in _rotated(list(running), number):
                server = running[name]
                section.attempt(
                    f"{name} worker(s)", number, "workers", name,
                    lambda s=server: bench(s.url, s.pid, throughput_options(config)),
                )  # fmt: skip
    except RuntimeError as exc:
        section.failures["workers"] = str(exc)
    finally:
        for server in running.values():
            server.stop()


def measure_stores(section: Section) -> None:
    config = section.config
    if shutil.which("redis-server") is None:
        section.skipped["stores"] = "redis-server is not installed (`make servers` installs it)"
        return
    argv = [sys.executable, "-m", "mcpcore", "run", TASK_SERVER, "--http", "--port", "{port}"]
    section.commands["stores server"] = _shown(argv).replace("'{port}'", "PORT") + " [--redis URL]"
    section.commands["stores bench"] = "\n".join(
        _shown(
            bench_command("http://127.0.0.1:PORT/mcp", 0, latency_options(config, probe, "TASK_ID"))
        ).replace("--pid 0", "--pid PID")
        for probe in PROBES
    )
    running: dict[str, Running] = {}
    with contextlib.ExitStack() as stack:
        try:
            url = stack.enter_context(redis_server())
            running[MEMORY] = start(argv)
            running[REDIS] = start([*argv, "--redis", url])
            tasks = {name: create_task(server.url) for name, server in running.items()}
        except RuntimeError as exc:
            section.failures["stores"] = str(exc)
            return
        finally:
            for server in running.values():
                stack.callback(server.stop)
        for number in range(config.rounds):
            section.attempt(
                "Redis round trip", number, ROUND_TRIP, REDIS, lambda: round_trip(url, config.round_trips)
            )
            for probe in PROBES:
                for name in _rotated(list(running), number):
                    server = running[name]
                    options = latency_options(config, probe, tasks[name])
                    section.attempt(
                        f"{probe.key} ({name})", number, probe.key, name,
                        lambda s=server, o=options: bench(s.url, s.pid, o),
                    )  # fmt: skip


# ------------------------------------------------------------------ summarising (pure)


def _median(values: Sequence[float]) -> float | None:
    return statistics.median(values) if values else None


def _ratios(records: Sequence[Record], group: str, ours: str, base: str, key: str) -> list[float]:
    """Per round, ``ours``'s figure over ``base``'s (rounds where both were measured)."""
    by_round: dict[int, dict[str, float]] = {}
    for record in records:
        if record.group == group:
            by_round.setdefault(record.round, {})[record.server] = record.figures[key]
    return [row[ours] / row[base] for row in by_round.values() if row.get(base) and ours in row]


def _medians(records: Sequence[Record], group: str, server: str) -> dict[str, float] | None:
    chosen = [r.figures for r in records if r.group == group and r.server == server]
    if not chosen:
        return None
    summary = {key: statistics.median(f[key] for f in chosen) for key in chosen[0] if key != "requests"}
    summary["requests"] = sum(f["requests"] for f in chosen)
    summary["rounds"] = len(chosen)
    return summary


def _bodies(records: Sequence[Record], group: str, server: str) -> list[str]:
    """The media types the answers came as, most frequent first."""
    counts: dict[str, int] = {}
    for record in records:
        if record.group == group and record.server == server:
            for kind, count in record.body_types.items():
                counts[kind] = counts.get(kind, 0) + count
    return sorted(counts, key=counts.__getitem__, reverse=True)


def summarize(section: Section) -> dict[str, Any]:
    """The section as results.json holds it: medians per server, medians of per-round ratios."""
    records = section.records
    one, two = (str(count) for count in WORKER_COUNTS)
    workers = {name: _medians(records, "workers", name) for name in (one, two)}
    stores = []
    for probe in PROBES:
        ratios = _ratios(records, probe.key, REDIS, MEMORY, "p50_ms")
        stores.append(
            {
                "call": probe.key,
                "label": probe.label,
                "memory": _medians(records, probe.key, MEMORY),
                "redis": _medians(records, probe.key, REDIS),
                "p50_ratio": _median(ratios),
                "ratio_rounds": len(ratios),
                "answered_as": {name: _bodies(records, probe.key, name) for name in (MEMORY, REDIS)},
            }
        )
    trips = _medians(records, ROUND_TRIP, REDIS)
    cpu = _ratios(records, "workers", two, one, "cpu_us_per_request")
    rps = _ratios(records, "workers", two, one, "throughput_rps")
    return {
        "config": dict(section.config.__dict__),
        "cpus": os.cpu_count(),
        "seconds": round(section.seconds, 1),
        "workers": {name: figures for name, figures in workers.items() if figures is not None},
        "worker_ratios": {"cpu": _median(cpu), "throughput": _median(rps), "rounds": len(cpu)},
        "stores": stores,
        "redis_round_trip_ms": trips["p50_ms"] if trips else None,
        "commands": section.commands,
        "failures": section.failures,
        "skipped": section.skipped,
    }


def measure(config: Config | None = None) -> dict[str, Any]:
    """Run both measurements; the summary (results.json's ``scaleout``)."""
    section = Section(config or Config())
    started = time.perf_counter()
    measure_workers(section)
    measure_stores(section)
    section.seconds = time.perf_counter() - started
    print(f"[scaleout] took {section.seconds:.1f} s", file=sys.stderr, flush=True)
    return summarize(section)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=Config.rounds)
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    args = parser.parse_args(argv)
    data = measure(Config(rounds=args.rounds))
    if args.json:
        print(orjson.dumps(data, option=orjson.OPT_INDENT_2).decode())
    else:
        from benchmarks.results_md import scaleout_section
        from benchmarks.targets import format_targets, scaleout_targets

        print("\n".join(scaleout_section(data)))
        print(format_targets(scaleout_targets(data)))
    return 1 if data["failures"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
