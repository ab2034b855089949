"""The server process, seen from outside: CPU and RSS from ``/proc``, stopping it, pinning it.

Figures come from Linux ``/proc`` (0 elsewhere): a stdio child's pid is
known; an HTTP server's is spawned by the bench or given with ``--pid``.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time

__all__ = ["Placement", "Progress", "process_cpu_seconds", "process_rss_mib", "stop_process"]

_CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


# ------------------------------------------------------------------ process figures


def process_cpu_seconds(pid: int | None) -> float:
    """User + system CPU a server has used: the process and its children (Linux ``/proc``; else 0).

    Children count, live or exited: a pre-forked server (``mcpcore run --workers N``,
    gunicorn, uvicorn ``--workers``) serves from its children, and a launcher
    (``npx``, ``uv run``) from its child. An exited child's CPU is in its
    parent's ``cutime``/``cstime`` once reaped; a live one's is read from its own stat.
    """
    if pid is None:
        return 0.0
    stats = _proc_stats()
    if pid not in stats:
        return 0.0
    children: dict[int, list[int]] = {}
    for child, (parent, _) in stats.items():
        children.setdefault(parent, []).append(child)
    total, pending = 0, [pid]
    while pending:
        current = pending.pop()
        total += stats[current][1]
        pending.extend(children.get(current, ()))
    return total / _CLOCK_TICKS


def _proc_stats() -> dict[int, tuple[int, int]]:
    """Every process's parent pid and CPU clock ticks, its reaped children's included."""
    stats: dict[int, tuple[int, int]] = {}
    try:
        entries = os.listdir("/proc")
    except OSError:
        return stats
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as stat:
                fields = stat.read().rsplit(b")", 1)[1].split()
            stats[int(entry)] = (int(fields[1]), sum(int(field) for field in fields[11:15]))
        except (OSError, IndexError, ValueError):
            continue
    return stats


def process_rss_mib(pid: int | None) -> float:
    """Resident memory of a process in MiB (Linux ``/proc``; 0 elsewhere or without a pid)."""
    if pid is None:
        return 0.0
    try:
        with open(f"/proc/{pid}/status", "rb") as status:
            for line in status:
                if line.startswith(b"VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def stop_process(process: subprocess.Popen[bytes], grace: float = 3.0) -> None:
    """End a server we spawned: close its stdin (stdio servers exit on EOF), then terminate, then kill.

    Its figures are read by then; ``grace`` only bounds how long a slow
    shutdown (some HTTP stacks take seconds) may stretch the suite.
    """
    if process.stdin is not None:
        with contextlib.suppress(OSError):
            process.stdin.close()
    for action in (None, process.terminate, process.kill):
        if action is not None:
            action()
        try:
            process.wait(grace if action is not process.kill else 10)
            break
        except subprocess.TimeoutExpired:
            continue
    if process.stdout is not None:
        process.stdout.close()


class Placement:
    """Where the client and the server run while measuring (``pin=True``, Linux, two CPUs or more).

    On a small VM a wake-up across CPUs costs tens of microseconds, several
    times a fast server's whole round trip, and whether the scheduler puts
    the pair on one CPU or two changes from run to run. Pinning makes it a
    decision instead: latency is measured with client and server on the
    same CPU (the software's own cost), throughput with each on its own CPU
    (so pipelining can overlap them). Without pinning both float.
    """

    def __init__(self, pid: int | None, pin: bool) -> None:
        self.pid = pid
        allowed = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
        self.active = pin and pid is not None and len(allowed) >= 2
        self.allowed = set(allowed)
        self.client_cpu, self.server_cpu = (allowed[0], allowed[1]) if self.active else (-1, -1)

    def _server(self, cpus: set[int]) -> None:
        assert self.pid is not None
        try:
            threads = os.listdir(f"/proc/{self.pid}/task")
        except OSError:
            threads = [str(self.pid)]
        for thread in threads:  # affinity is per thread on Linux: node and uvicorn run several
            with contextlib.suppress(OSError):
                os.sched_setaffinity(int(thread), cpus)

    def together(self) -> None:
        if self.active:
            os.sched_setaffinity(0, {self.client_cpu})
            self._server({self.client_cpu})

    def apart(self) -> None:
        if self.active:
            os.sched_setaffinity(0, {self.client_cpu})
            self._server({self.server_cpu})

    def release(self) -> None:
        if self.active:
            os.sched_setaffinity(0, self.allowed)
            self._server(self.allowed)


class Progress:
    """A one-line progress bar on stderr, redrawn at most every 0.1 s, and only on a terminal.

    Drawing is a syscall: the rate limit keeps it out of a timed loop's way,
    and a pipe or a log file gets nothing (CI logs stay readable).
    """

    INTERVAL = 0.1

    def __init__(self, enabled: bool | None = None) -> None:
        self.enabled = sys.stderr.isatty() if enabled is None else enabled
        self._drawn = 0.0

    def __call__(self, label: str, done: int, total: int) -> None:
        if not self.enabled:
            return
        now = time.perf_counter()
        finished = total > 0 and done >= total
        if not finished and now - self._drawn < self.INTERVAL:
            return
        self._drawn = now
        width = 30
        if total > 0:
            filled = width * min(done, total) // total
            bar = f"[{'#' * filled}{'.' * (width - filled)}] {done}/{total}"
        else:
            bar = f"{done} answered"
        sys.stderr.write(f"\r\x1b[2K  {label:<40} {bar}")
        if finished:
            sys.stderr.write("\n")
        sys.stderr.flush()

    def done(self) -> None:
        if self.enabled:
            sys.stderr.write("\r\x1b[2K")
            sys.stderr.flush()
