"""One server, start to finish: spawn or connect, open sessions, warm up, run each phase, read its figures.

:func:`run_target` is what ``mcpcore bench`` does for one server, and what
``--compare`` does for each server in each round. Phases run in the order
given: closed-loop levels (``--concurrency 1,16,64``), or open-loop rates
(``--rate 500,1000``). With one in flight, client and server share a CPU
when pinned (the software's own cost); otherwise each has its own (see
:class:`~mcpcore.bench.procs.Placement`).
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from mcpcore.bench.clients import (
    HttpBenchClient,
    StdioBenchClient,
    initialize_frame,
    is_modern,
    modern_meta,
)
from mcpcore.bench.load import HttpLink, Link, StdioLink, drive
from mcpcore.bench.procs import (
    Placement,
    Progress,
    process_cpu_seconds,
    process_rss_mib,
    stop_process,
)
from mcpcore.bench.results import TIMELINE_STEP_S, PhaseResult
from mcpcore.bench.workload import Call, Workload

__all__ = ["SESSION_MODES", "HoldResult", "Settings", "Target", "hold_http", "run_target"]

SESSION_MODES = ("reuse", "per-call", "stateless")


@dataclass
class Settings:
    """How to load a server: the same for every server of a comparison."""

    calls: Callable[[], Sequence[Call]]
    concurrency: Sequence[int] = (1,)
    rates: Sequence[float] = ()
    requests: int | None = 5000
    duration: float | None = None
    warmup_requests: int = 200
    warmup_seconds: float | None = None
    session: str = "reuse"
    protocol: str = "2025-11-25"
    timeout: float = 30.0
    start_timeout: float = 60.0
    pin: bool = False
    seed: int = 0
    progress: Progress = field(default_factory=lambda: Progress(False))

    def workload(self) -> Workload:
        """A fresh workload (counters from the start, the same random sequence for every server)."""
        meta = modern_meta(self.protocol) if is_modern(self.protocol) else None
        return Workload(self.calls(), seed=self.seed, meta=meta)

    def phases(self) -> list[tuple[str, int, float | None]]:
        """``(label, concurrency, rate)`` for each phase."""
        if self.rates:
            cap = max(self.concurrency)
            return [(f"r={rate:g}/s", cap, rate) for rate in self.rates]
        return [(f"c={level}", level, None) for level in self.concurrency]


@dataclass
class Target:
    """A server: a stdio command, an HTTP URL, or a command to spawn and then reach at a URL."""

    name: str
    argv: list[str] | None = None
    url: str | None = None
    pid: int | None = None
    env: dict[str, str] | None = None

    @property
    def transport(self) -> str:
        return "http" if self.url else "stdio"


def run_target(target: Target, settings: Settings) -> list[PhaseResult]:
    """Every phase of ``settings`` against ``target``; raises when the server cannot be reached."""
    if target.url:
        return _run_http(target, settings)
    if not target.argv:
        raise ValueError(f"{target.name}: a command or a URL is needed")
    return _run_stdio(target, settings)


def _phases(
    target: Target,
    settings: Settings,
    *,
    links_for: Callable[[int], Sequence[Link]],
    pid: int | None,
    placement: Placement,
    cold_start_ms: float,
    rss_idle: float,
) -> list[PhaseResult]:
    workload = settings.workload()
    label = f"{target.name}: warmup"
    next_id = 1
    if settings.warmup_requests or settings.warmup_seconds:
        level = min(settings.concurrency)
        _, next_id = drive(
            links_for(level),
            workload,
            concurrency=level,
            requests=settings.warmup_requests or None,
            duration=settings.warmup_seconds,
            timeout=settings.timeout,
            progress=_reporter(settings.progress, label, settings.warmup_requests),
        )
    results: list[PhaseResult] = []
    for phase, level, rate in settings.phases():
        if level == 1:
            placement.together()
        else:
            placement.apart()
        cpu_before = process_cpu_seconds(pid)
        label = f"{target.name}: {phase}"
        links = links_for(level)
        for link in links:
            if isinstance(link, HttpLink):
                link.body_types.clear()
        total = settings.requests if settings.requests and not rate else 0
        outcome, next_id = drive(
            links,
            workload,
            concurrency=level,
            rate=rate,
            requests=None if rate else settings.requests,
            duration=settings.duration,
            timeout=settings.timeout,
            first_id=next_id,
            progress=_reporter(settings.progress, label, total),
        )
        settings.progress(label, total, total)
        answered = outcome.ok + outcome.errors
        timeline = [outcome.bins[i].to_json(i * TIMELINE_STEP_S) for i in sorted(outcome.bins)]
        body_types: dict[str, int] = {}
        for link in links:
            if isinstance(link, HttpLink):
                for kind, count in link.body_types.items():
                    body_types[kind] = body_types.get(kind, 0) + count
        results.append(
            PhaseResult(
                server=target.name,
                phase=phase,
                transport=target.transport,
                mode="open" if rate else "closed",
                concurrency=level,
                rate=rate,
                requests=outcome.ok,
                errors=outcome.errors,
                duration_s=outcome.seconds,
                histogram=outcome.histogram,
                timeline=timeline,
                error_samples=outcome.error_samples,
                session=settings.session if target.transport == "http" else "-",
                protocol=settings.protocol,
                workload=workload.describe(),
                cold_start_ms=cold_start_ms,
                cpu_us_per_request=(process_cpu_seconds(pid) - cpu_before) / max(answered, 1) * 1e6,
                rss_idle_mib=rss_idle,
                rss_mib=process_rss_mib(pid),
                body_types=body_types,
            )
        )
    return results


def _reporter(progress: Progress, label: str, total: int) -> Callable[[int], None]:
    def report(done: int) -> None:
        progress(label, done, total)

    return report


# ------------------------------------------------------------------ stdio


def _run_stdio(target: Target, settings: Settings) -> list[PhaseResult]:
    assert target.argv is not None
    client = StdioBenchClient(target.argv, target.env)
    placement = Placement(client.process.pid, settings.pin)
    try:
        if is_modern(settings.protocol):
            client.send(settings.workload().frame(0, "tools/list", {}))  # any answer means it is up
            client.read_response(timeout=settings.start_timeout)
        else:
            client.send(initialize_frame(settings.protocol))
            reply = client.read_response(timeout=settings.start_timeout)
            if "result" not in reply:
                raise RuntimeError(f"initialize failed: {reply}")
            client.send(b'{"jsonrpc":"2.0","method":"notifications/initialized"}\n')
        cold_start_ms = (time.perf_counter() - client.started) * 1000
        rss_idle = client.rss_mib()
        capacity = max(settings.concurrency)

        def links_for(level: int) -> list[Link]:
            return [StdioLink(client, capacity)]

        return _phases(
            target,
            settings,
            links_for=links_for,
            pid=client.process.pid,
            placement=placement,
            cold_start_ms=cold_start_ms,
            rss_idle=rss_idle,
        )
    finally:
        placement.release()
        client.close()


# ------------------------------------------------------------------ HTTP


def _spawn(argv: Sequence[str], env: dict[str, str] | None) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        list(argv),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )


def connect_when_ready(
    url: str, version: str, deadline: float, process: subprocess.Popen[bytes] | None = None
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


def _open(client: HttpBenchClient, session: str) -> HttpBenchClient:
    if session == "reuse":
        client.initialize()
    return client


def _run_http(target: Target, settings: Settings) -> list[PhaseResult]:
    assert target.url is not None
    if settings.session not in SESSION_MODES:
        raise ValueError(f"--session must be one of {', '.join(SESSION_MODES)}")
    if (settings.session == "stateless") != is_modern(settings.protocol):
        raise ValueError("--session stateless goes with a 2026-07-28 --protocol, and only with it")
    process: subprocess.Popen[bytes] | None = None
    started = time.perf_counter()
    pid = target.pid
    if target.argv:
        process = _spawn(target.argv, target.env)
        pid = process.pid
    placement = Placement(pid, settings.pin)
    opened: list[HttpLink] = []
    url = target.url
    try:
        first = connect_when_ready(url, settings.protocol, started + settings.start_timeout, process)
        if settings.session == "stateless":
            first.post(settings.workload().frame(0, "tools/list", {}), "tools/list")
        else:
            first.initialize()
            if settings.session == "per-call":
                first.delete()
        cold_start_ms = (time.perf_counter() - started) * 1000 if process is not None else 0.0
        rss_idle = process_rss_mib(pid)
        opened.append(HttpLink(first, settings.session))

        def links_for(level: int) -> list[Link]:
            while len(opened) < level:
                client = HttpBenchClient(url, version=settings.protocol, timeout=settings.timeout)
                opened.append(HttpLink(_open(client, settings.session), settings.session))
            return list(opened[:level])

        return _phases(
            target,
            settings,
            links_for=links_for,
            pid=pid,
            placement=placement,
            cold_start_ms=cold_start_ms,
            rss_idle=rss_idle,
        )
    finally:
        placement.release()
        for link in opened:
            link.client.close()
        if process is not None:
            stop_process(process, grace=0.5)


# ------------------------------------------------------------------ many clients held


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


def hold_http(
    url: str,
    *,
    clients: int = 1000,
    rounds: int = 3,
    pid: int | None = None,
    calls: Callable[[], Sequence[Call]] | None = None,
    version: str = "2025-11-25",
    progress: Callable[[str, int, int], None] | None = None,
) -> HoldResult:
    """Open ``clients`` keep-alive connections (each its own session) and keep them all busy.

    Every client has one call outstanding at all times, ``rounds`` calls
    each; failures to connect, HTTP errors, wrong answers and dropped
    connections are counted as errors (never raised). RSS is read before
    connecting, once all are connected, and at the end.
    """
    from mcpcore.bench.workload import add_call

    report = progress or Progress()
    rss_before = process_rss_mib(pid)
    opened: list[HttpLink] = []
    errors = 0
    try:
        for index in range(clients):
            client = None
            try:
                client = HttpBenchClient(url, version=version)
                client.initialize()
                opened.append(HttpLink(client, "reuse"))
            except (OSError, RuntimeError, EOFError, ValueError):
                errors += 1
                if client is not None:
                    client.close()
            if index % 100 == 0:
                report("hold: connecting", index, clients)
        report("hold: connecting", clients, clients)
        rss_connected = process_rss_mib(pid)
        outcome = None
        if opened:
            workload = Workload(list(calls()) if calls else [add_call()])
            outcome, _ = drive(
                list[Any](opened), workload, concurrency=len(opened), requests=len(opened) * rounds
            )
        return HoldResult(
            clients=clients,
            connected=len(opened),
            requests=outcome.ok if outcome else 0,
            errors=errors + (outcome.errors if outcome else 0),
            seconds=outcome.seconds if outcome else 0.0,
            rss_before_mib=rss_before,
            rss_connected_mib=rss_connected,
            rss_after_mib=process_rss_mib(pid),
        )
    finally:
        for link in opened:
            link.client.close()
