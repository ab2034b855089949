"""``--workers N``: real pre-forked processes sharing one port, restarted when they die, drained on SIGTERM.

Each test starts a real supervisor (``mcpcore run ... --workers 2`` or
``server.run("http", workers=2)``) as a subprocess and talks to it over real
loopback TCP. Every wait is on an answer or a condition under a deadline.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from mcpcore.wire.sse import EventParser
from tests.client.peer import run
from tests.helpers import ROOT
from tests.transport.http_peer import Peer, modern_headers, modern_request

pytestmark = [
    pytest.mark.timeout(120),
    pytest.mark.skipif(not hasattr(os, "fork") or not Path("/proc").is_dir(), reason="POSIX with /proc"),
]

DEADLINE = 30.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Supervisor:
    """A supervisor subprocess, its stderr collected line by line."""

    def __init__(self, args: list[str], loop: str, env: dict[str, str] | None = None) -> None:
        environment = {**os.environ, "MCPCORE_LOOP": loop, "PYTHONPATH": str(ROOT), **(env or {})}
        self.process = subprocess.Popen(
            [sys.executable, "-W", "ignore", *args], cwd=ROOT, env=environment, stderr=subprocess.PIPE
        )
        self.lines: list[str] = []
        self.changed = threading.Condition()
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        assert self.process.stderr is not None
        for raw in self.process.stderr:
            with self.changed:
                self.lines.append(raw.decode("utf-8", "replace"))
                self.changed.notify_all()
        with self.changed:
            self.lines.append("")  # end of stderr
            self.changed.notify_all()

    def wait_for_line(self, pattern: str) -> re.Match[str]:
        """The first stderr line matching ``pattern`` (waits for it under the deadline)."""
        compiled = re.compile(pattern)
        with self.changed:
            found: list[re.Match[str]] = []

            def seen() -> bool:
                found[:] = [m for m in (compiled.search(line) for line in self.lines) if m]
                return bool(found) or (bool(self.lines) and self.lines[-1] == "")

            assert self.changed.wait_for(seen, DEADLINE), f"no stderr line matching {pattern!r}"
            assert found, f"stderr ended without {pattern!r}:\n{self.stderr()}"
            return found[0]

    def stderr(self) -> str:
        with self.changed:
            return "".join(self.lines)

    def children(self) -> set[int]:
        """The supervisor's live child processes (from /proc)."""
        found = set()
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            fields = stat.rsplit(")", 1)[1].split()
            if int(fields[1]) == self.process.pid and fields[0] != "Z":
                found.add(int(entry.name))
        return found

    def wait_children(self, condition: Callable[[set[int]], bool]) -> set[int]:
        deadline = time.monotonic() + DEADLINE
        while time.monotonic() < deadline:
            children = self.children()
            if condition(children):
                return children
            time.sleep(0.05)  # a condition poll bounded by the deadline
        raise AssertionError(f"children never matched: {self.children()}\n{self.stderr()}")

    def stop(self) -> None:
        workers = self.children()  # before the supervisor goes: its orphans are reparented
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)
        for pid in workers:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def wait_listening(port: int, supervisor: Supervisor) -> None:
    deadline = time.monotonic() + DEADLINE
    while time.monotonic() < deadline:
        assert supervisor.process.poll() is None, supervisor.stderr()
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)  # start-up poll bounded by the deadline
    raise AssertionError(f"nothing listened on {port}:\n{supervisor.stderr()}")


def wait_refused(port: int) -> None:
    """Until a new connection to ``port`` is refused: every worker stopped accepting."""
    deadline = time.monotonic() + DEADLINE
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
        except ConnectionRefusedError:
            return
        except ConnectionResetError:
            pass  # queued on a listener that was closing: reset, not refused yet; ask again
        time.sleep(0.05)  # a condition poll bounded by the deadline
    raise AssertionError(f"port {port} still accepts connections")


@pytest.fixture
def supervisors() -> Iterator[list[Supervisor]]:
    started: list[Supervisor] = []
    yield started
    for supervisor in started:
        supervisor.stop()


def workers_server(port: int, loop: str, started: list[Supervisor], *extra: str, **env: str) -> Supervisor:
    supervisor = Supervisor(["-m", "tests.servers.workers_server", str(port), *extra], loop, env)
    started.append(supervisor)
    wait_listening(port, supervisor)
    return supervisor


async def call(peer: Peer, request_id: int, tool: str, arguments: dict[str, Any]) -> Any:
    body = modern_request(request_id, "tools/call", {"name": tool, "arguments": arguments})
    response = await peer.request("POST", body, modern_headers("tools/call", tool))
    assert response.status == 200, response.body
    (message,) = response.messages()
    assert message["id"] == request_id
    return message["result"]["structuredContent"]["result"]


async def pid_over_new_connection(port: int) -> int:
    peer = await Peer.connect(port)
    try:
        return int(await call(peer, 1, "pid", {}))
    finally:
        peer.close()


async def pids_until(port: int, wanted: Callable[[set[int]], bool]) -> set[int]:
    """Worker pids answering calls on new TCP connections, until ``wanted`` holds (or the deadline passes).

    A worker that was just (re)started may not listen yet; until it does, the kernel sends every
    connection to the others, so this waits on the answers rather than counting tries.
    """
    seen: set[int] = set()
    deadline = time.monotonic() + DEADLINE
    while not wanted(seen) and time.monotonic() < deadline:
        seen.add(await pid_over_new_connection(port))
    return seen


def test_calculator_answers_many_stateless_calls_from_two_workers(
    loop_name: str, supervisors: list[Supervisor]
) -> None:
    port = free_port()
    args = ["-m", "mcpcore", "run", "mcpcore.examples.calculator:server", "--http", "--workers", "2"]
    supervisor = Supervisor([*args, "--port", str(port)], loop_name)
    supervisors.append(supervisor)
    wait_listening(port, supervisor)
    assert len(supervisor.wait_children(lambda c: len(c) == 2)) == 2

    async def client(index: int) -> list[int]:
        peer = await Peer.connect(port)
        try:
            return [await call(peer, n, "add", {"a": index, "b": n}) for n in range(25)]
        finally:
            peer.close()

    async def scenario() -> None:
        answers = await asyncio.gather(*(client(index) for index in range(8)))
        assert answers == [[index + n for n in range(25)] for index in range(8)]

    run(scenario(), loop_name)
    # The parent says once (not once per worker) which features need a shared store.
    supervisor.wait_for_line(r"2 workers and no shared store")
    message = supervisor.stderr()
    assert message.count("no shared store") == 1
    for feature in ("Mcp-Session-Id", "tasks/get", "Last-Event-ID", "subscriptions", "stateless=True"):
        assert feature in message


@pytest.mark.parametrize("mode", ["reuseport", "shared"])
def test_connections_reach_both_workers(loop_name: str, supervisors: list[Supervisor], mode: str) -> None:
    port = free_port()
    supervisor = workers_server(port, loop_name, supervisors, *(["shared"] if mode == "shared" else []))
    workers = supervisor.wait_children(lambda c: len(c) == 2)
    seen = run(pids_until(port, lambda s: len(s) >= 2), loop_name)
    assert seen == workers


def test_a_killed_worker_is_restarted_and_the_port_keeps_answering(
    loop_name: str, supervisors: list[Supervisor]
) -> None:
    port = free_port()
    supervisor = workers_server(port, loop_name, supervisors)
    before = supervisor.wait_children(lambda c: len(c) == 2)
    victim = min(before)
    os.kill(victim, signal.SIGKILL)
    supervisor.wait_for_line(rf"\(pid {victim}\) was killed by signal 9 \(SIGKILL\); restarting it")
    after = supervisor.wait_children(lambda c: len(c) == 2 and victim not in c)
    (replacement,) = after - before
    seen = run(pids_until(port, lambda s: replacement in s and len(s) == 2), loop_name)
    assert seen == after


def _alive(pid: int) -> bool:
    """Whether ``pid`` is a live process (not gone, not a zombie)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux-only")
def test_workers_stop_when_their_supervisor_is_killed(loop_name: str, supervisors: list[Supervisor]) -> None:
    """A supervisor SIGKILLed with no chance to drain leaves no worker serving the port on its own."""
    port = free_port()
    supervisor = workers_server(port, loop_name, supervisors)
    workers = supervisor.wait_children(lambda c: len(c) == 2)
    supervisor.process.kill()
    supervisor.process.wait(10)
    deadline = time.monotonic() + DEADLINE
    while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.05)  # a condition poll bounded by the deadline
    assert not any(_alive(pid) for pid in workers), "a worker outlived its supervisor"
    wait_refused(port)


def test_a_worker_crash_loop_backs_off(loop_name: str, supervisors: list[Supervisor], tmp_path: Path) -> None:
    """A worker whose lifespan fails at every start is restarted with growing delays, and logged each time."""
    port = free_port()
    env = {"LIFESPAN_FAIL": "1", "LIFESPAN_LOG": str(tmp_path / "log")}
    args = ["-m", "mcpcore", "run", "tests.servers.lifespan_server:server", "--http", "--workers", "2"]
    supervisor = Supervisor([*args, "--port", str(port)], loop_name, env)
    supervisors.append(supervisor)
    delays = [
        float(
            supervisor.wait_for_line(
                rf"worker {slot} \(pid \d+\) exited with status 1; restarting it in "
                rf"({delay:.1f}) s"
            ).group(1)
        )
        for slot in (0, 1)
        for delay in (0.1, 0.2, 0.4)
    ]
    assert delays == [0.1, 0.2, 0.4] * 2
    supervisor.process.send_signal(signal.SIGTERM)
    assert supervisor.process.wait(DEADLINE) == 0


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_stop_signal_drains_in_flight_calls_then_everything_exits_0(
    loop_name: str, supervisors: list[Supervisor], tmp_path: Path, signum: signal.Signals
) -> None:
    port = free_port()
    lifespan_log = tmp_path / "lifespan"
    release = tmp_path / "release"
    supervisor = workers_server(port, loop_name, supervisors, WORKERS_LIFESPAN_LOG=str(lifespan_log))
    workers = supervisor.wait_children(lambda c: len(c) == 2)

    async def scenario() -> None:
        peer = await Peer.connect(port)
        body = modern_request(7, "tools/call", {"name": "hold", "arguments": {"release": str(release)}})
        body["params"]["_meta"]["progressToken"] = "t"
        peer.send_raw(peer.request_bytes("POST", body, modern_headers("tools/call", "hold")))
        status, headers = await peer.read_head()
        assert (status, headers["content-type"]) == (200, "text/event-stream")
        events = await peer.read_events(EventParser(), 1)  # the progress: the call is running in a worker
        assert "holding in" in events[0].data
        supervisor.process.send_signal(signum)
        await asyncio.get_running_loop().run_in_executor(None, wait_refused, port)  # no worker accepts now
        release.write_text("go")
        body_rest = bytearray()
        while chunk := await peer.read_chunk():
            body_rest += chunk
        (answer,) = [event for event in EventParser().feed(bytes(body_rest)) if event.data]
        assert '"released"' in answer.data and '"id":7' in answer.data
        assert await peer.closed_by_server()

    run(scenario(), loop_name)
    assert supervisor.process.wait(DEADLINE) == 0
    assert not [pid for pid in workers if Path(f"/proc/{pid}").exists()]
    events = sorted(lifespan_log.read_text().split("\n"))
    assert sorted(e for e in events if e) == sorted(
        f"{e} {pid}" for pid in workers for e in ("start", "stop")
    )


def test_port_0_picks_a_port_and_logs_it(loop_name: str, supervisors: list[Supervisor]) -> None:
    args = ["-m", "mcpcore", "run", "mcpcore.examples.calculator:server", "--http", "--workers", "2"]
    supervisor = Supervisor([*args, "--port", "0"], loop_name)
    supervisors.append(supervisor)
    port = int(
        supervisor.wait_for_line(r"serving MCP on http://127\.0\.0\.1:(\d+)/mcp with 2 workers").group(1)
    )
    assert port != 0
    wait_listening(port, supervisor)

    async def scenario() -> None:
        peer = await Peer.connect(port)
        try:
            assert await call(peer, 1, "add", {"a": 2, "b": 40}) == 42
        finally:
            peer.close()

    run(scenario(), loop_name)
    supervisor.process.send_signal(signal.SIGTERM)
    assert supervisor.process.wait(DEADLINE) == 0


def test_workers_need_http() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mcpcore", "run", "mcpcore.examples.calculator:server", "--workers", "2"],
        cwd=ROOT,
        capture_output=True,
        timeout=DEADLINE,
        check=False,
    )
    assert result.returncode != 0
    assert b"--workers goes with --http" in result.stderr


def test_the_no_store_message_says_what_works_with_and_without_stateless() -> None:
    from mcpcore.transport.workers import no_store_message

    sessions = no_store_message(4, stateless=False)
    assert sessions.startswith("4 workers and no shared store")
    assert "legacy clients only with stateless=True (--stateless)" in sessions
    stateless = no_store_message(2, stateless=True)
    assert "and legacy clients (stateless=True)" in stateless
    for message in (sessions, stateless):
        assert "Needs a shared store" in message and "tasks/get" in message
