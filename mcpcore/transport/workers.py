"""Pre-forked HTTP workers: every core busy on one machine (``--workers N``).

The parent becomes a supervisor and serves nothing: it binds the port, forks
``N`` worker processes that each run the built-in HTTP server on their own
event loop, restarts a worker that dies, and on SIGTERM or SIGINT drains
them all before exiting 0.

**Why ``os.fork`` and not multiprocessing's spawn/forkserver.** A spawned
child can only rebuild the server by re-importing a ``module:attribute``
spec, so ``server.run("http", workers=N)`` would break for a server defined
in ``__main__`` without a guard, in a file loaded by path, or assembled at
run time. A forked child simply has the server. Forking is safe here because
the parent never creates an event loop or a thread of its own: it imports
the application, binds, forks, and then only waits for signals with
``select``. Each child creates its own loop (uvloop or asyncio) after the
fork, so no loop state (libuv's least of all) is ever copied. Children start
in milliseconds, share the parent's memory copy-on-write, and inherit the
server's ``state_key``, random per process by default: a ``requestState``
sealed by one worker opens in any other. The one hazard is an application
that starts threads at import; those threads do not exist in the children, and
the supervisor says so. POSIX only: on Windows ``workers > 1`` raises.

**Sharing the port.** Where the kernel balances ``SO_REUSEPORT`` (Linux), each
worker binds its own listening socket to the port and the kernel spreads
new connections evenly across them. The parent binds one more socket to the
port without listening on it: it reserves the port (and picks it, for
``port=0``) across worker restarts, and never receives a connection.
Elsewhere the parent binds and listens once, and the children inherit that
socket and accept from its one queue. Either way, the parent drops its copy
when draining so the port stops accepting at once.

**Draining.** The parent forwards SIGTERM to every worker. A worker stops
accepting, gives in-flight requests the server's ``shutdown_grace``, runs
the lifespan exit and exits; a worker still alive ``DRAIN_MARGIN`` seconds past
the grace is killed. A second SIGTERM/SIGINT to the parent kills them at once.
Workers fork with SIGTERM and SIGINT blocked, and the HTTP server unblocks them
once its handlers are in place, so a drain signal that arrives while a worker
starts waits for it instead of killing it mid-lifespan.
"""

from __future__ import annotations

import contextlib
import logging
import os
import select
import signal
import socket
import sys
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from mcpcore.loop import LoopName

if TYPE_CHECKING:
    from mcpcore.server import Server

__all__ = ["DRAIN_MARGIN", "no_store_message", "reuse_port_available", "serve_workers"]

_log = logging.getLogger("mcpcore.workers")

#: Seconds past the server's ``shutdown_grace`` a draining worker gets (lifespan exit, cancellation).
DRAIN_MARGIN: Final = 10.0
#: Restart delays double from the first to the last for a worker that keeps dying young.
FIRST_BACKOFF: Final = 0.1
MAX_BACKOFF: Final = 10.0
#: A worker that ran this long before dying had been healthy: its restart delay starts over.
STABLE_AFTER: Final = 10.0

_STOP_SIGNALS: Final = (signal.SIGTERM, signal.SIGINT)


def reuse_port_available() -> bool:
    """Whether this kernel spreads connections across sockets listening on one port (``SO_REUSEPORT``).

    Linux only (3.9+): macOS and the BSDs accept the option, but there the most
    recently bound socket takes every connection, which would leave one worker busy.
    """
    if not sys.platform.startswith("linux") or not hasattr(socket, "SO_REUSEPORT"):
        return False
    with socket.socket() as probe:
        try:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        except OSError:
            return False
    return True


def no_store_message(workers: int, stateless: bool) -> str:
    """What several workers without a shared store can and cannot do (logged once by the parent)."""
    works = "2026-07-28 requests (stateless by design)"
    if stateless:
        works += " and legacy clients (stateless=True)"
    else:
        works += "; legacy clients only with stateless=True (--stateless)"
    return (
        f"{workers} workers and no shared store: each worker keeps its own state in memory, and the "
        "kernel spreads TCP connections across workers, so one client's requests reach different "
        f"workers. Works: {works}. Needs a shared store (Server(store='redis://...')): legacy "
        "sessions (Mcp-Session-Id), tasks/get and tasks/result across workers, resumability "
        "(Last-Event-ID), and resource subscriptions and list-change notifications across workers."
    )


@dataclass(slots=True)
class _Slot:
    """One worker position: the process filling it now, and how often it died young."""

    index: int
    pid: int | None = None
    started: float = 0.0
    failures: int = 0
    restart_at: float | None = None


def _describe(status: int) -> str:
    code = os.waitstatus_to_exitcode(status)
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = "?"
        return f"was killed by signal {-code} ({name})"
    return f"exited with status {code}"


class _Supervisor:
    def __init__(
        self,
        server: Server,
        workers: int,
        *,
        host: str,
        port: int,
        loop: LoopName | None,
        reuse_port: bool,
        http_options: dict[str, Any],
    ) -> None:
        self.server = server
        self.host = host
        self.loop = loop
        self.reuse_port = reuse_port
        self.http_options = http_options
        self.slots = [_Slot(index) for index in range(workers)]
        self.address: tuple[Any, ...] = ()
        self.family = socket.AF_INET
        self.parent_socket: socket.socket | None = None
        self.stopping = False
        self.drain_deadline = 0.0
        self.killed_stragglers = False
        self._bind(host, port)
        self.wake_read, self.wake_write = os.pipe()
        os.set_blocking(self.wake_read, False)
        os.set_blocking(self.wake_write, False)

    # -------------------------------------------------------------- sockets

    def _new_socket(self) -> socket.socket:
        sock = socket.socket(self.family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if self.reuse_port:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        return sock

    def _bind(self, host: str, port: int) -> None:
        """The parent's socket: a port reservation (SO_REUSEPORT) or the one listening socket."""
        family, _, _, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
        self.family = family
        sock = self._new_socket()
        try:
            sock.bind(address)
            if not self.reuse_port:
                sock.listen(2048)
        except BaseException:
            sock.close()
            raise
        self.parent_socket = sock
        self.address = sock.getsockname()  # the chosen port when port 0 was asked for

    def _worker_socket(self) -> socket.socket:
        if not self.reuse_port:
            assert self.parent_socket is not None
            return self.parent_socket  # inherited across fork; every worker accepts from its queue
        sock = self._new_socket()
        sock.bind(self.address)
        return sock  # the server listens on it

    # ---------------------------------------------------------------- run

    def run(self) -> int:
        path = self.http_options.get("path", "/mcp")
        host = self.address[0]
        shown = f"[{host}]" if ":" in host else host
        _log.info(
            "serving MCP on http://%s:%d%s with %d workers (%s; supervisor pid %d)",
            shown,
            self.address[1],
            path,
            len(self.slots),
            "SO_REUSEPORT" if self.reuse_port else "one shared listening socket",
            os.getpid(),
        )
        previous = {signum: signal.getsignal(signum) for signum in (*_STOP_SIGNALS, signal.SIGCHLD)}
        previous_wakeup = signal.set_wakeup_fd(self.wake_write)
        for signum in previous:
            signal.signal(signum, _wake_only)
        try:
            for slot in self.slots:
                self._spawn(slot)
            while self._alive() or not self.stopping:
                for number in self._wait(self._timeout()):
                    if number in _STOP_SIGNALS:
                        self._on_stop_signal(signal.Signals(number))
                self._reap()
                self._restart_due()
                if self.stopping and time.monotonic() >= self.drain_deadline:
                    self._kill_all(f"still running {self._drain_budget():.0f} s after the drain began")
        finally:
            self._kill_all("the supervisor is exiting")  # only on an error: normally none is left
            signal.set_wakeup_fd(previous_wakeup)
            for signum, handler in previous.items():
                signal.signal(signum, handler)
            self._close_parent_socket()
            os.close(self.wake_read)
            os.close(self.wake_write)
        _log.info("all workers have exited")
        return 1 if self.killed_stragglers else 0

    def _alive(self) -> list[_Slot]:
        return [slot for slot in self.slots if slot.pid is not None]

    def _timeout(self) -> float | None:
        now = time.monotonic()
        due = [slot.restart_at for slot in self.slots if slot.restart_at is not None]
        if self.stopping:
            due.append(self.drain_deadline)
        return max(0.0, min(due) - now) if due else None

    def _wait(self, timeout: float | None) -> list[int]:
        """Block until a signal arrives or ``timeout`` passes; the signal numbers that arrived."""
        with contextlib.suppress(InterruptedError):
            select.select([self.wake_read], [], [], timeout)
        try:
            return list(os.read(self.wake_read, 512))
        except BlockingIOError:
            return []

    def _drain_budget(self) -> float:
        return float(self.server.shutdown_grace) + DRAIN_MARGIN

    def _on_stop_signal(self, signum: signal.Signals) -> None:
        if self.stopping:
            self._kill_all(f"a second {signum.name} arrived")
            return
        self.stopping = True
        self.drain_deadline = time.monotonic() + self._drain_budget()
        self._close_parent_socket()  # the port stops accepting as soon as every worker closes its own
        alive = self._alive()
        _log.info("%s: draining %d worker(s)", signum.name, len(alive))
        for slot in self.slots:
            slot.restart_at = None
        for slot in alive:
            assert slot.pid is not None
            with contextlib.suppress(ProcessLookupError):
                os.kill(slot.pid, signal.SIGTERM)

    def _kill_all(self, why: str) -> None:
        alive = self._alive()
        if not alive:
            return
        _log.error("killing %d worker(s): %s", len(alive), why)
        self.killed_stragglers = True
        for slot in alive:
            assert slot.pid is not None
            with contextlib.suppress(ProcessLookupError):
                os.kill(slot.pid, signal.SIGKILL)
        for slot in alive:
            assert slot.pid is not None
            with contextlib.suppress(ChildProcessError):
                os.waitpid(slot.pid, 0)
            slot.pid = None

    def _close_parent_socket(self) -> None:
        if self.parent_socket is not None:
            self.parent_socket.close()
            self.parent_socket = None

    # ------------------------------------------------------------ workers

    def _reap(self) -> None:
        """Collect our workers that exited (by pid: the application may have children of its own)."""
        now = time.monotonic()
        for slot in self._alive():
            assert slot.pid is not None
            try:
                pid, status = os.waitpid(slot.pid, os.WNOHANG)
            except ChildProcessError:
                pid, status = slot.pid, 0
            if pid == 0:
                continue
            slot.pid = None
            if self.stopping:
                _log.info("worker %d (pid %d) %s", slot.index, pid, _describe(status))
                continue
            slot.failures = 1 if now - slot.started >= STABLE_AFTER else slot.failures + 1
            delay = min(FIRST_BACKOFF * 2 ** (slot.failures - 1), MAX_BACKOFF)
            slot.restart_at = now + delay
            _log.warning(
                "worker %d (pid %d) %s; restarting it in %.1f s", slot.index, pid, _describe(status), delay
            )

    def _restart_due(self) -> None:
        now = time.monotonic()
        for slot in self.slots:
            if slot.restart_at is not None and slot.restart_at <= now and not self.stopping:
                slot.restart_at = None
                self._spawn(slot)

    def _spawn(self, slot: _Slot) -> None:
        supervisor = os.getpid()
        blocked = set(_STOP_SIGNALS)
        old_mask = signal.pthread_sigmask(signal.SIG_BLOCK, blocked)
        try:
            pid = os.fork()
            if pid == 0:
                self._child(supervisor)  # never returns
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, old_mask)
        slot.pid = pid
        slot.started = time.monotonic()
        _log.info("worker %d started (pid %d)", slot.index, pid)

    def _child(self, supervisor: int) -> None:
        """The worker process: serve until drained, then leave without running the parent's code."""
        code = 1
        try:
            signal.set_wakeup_fd(-1)
            for signum in (*_STOP_SIGNALS, signal.SIGCHLD):
                signal.signal(signum, signal.SIG_DFL)  # still blocked: the HTTP server unblocks them
            _stop_with(supervisor)
            os.close(self.wake_read)
            os.close(self.wake_write)
            sock = self._worker_socket()
            if self.reuse_port:
                self._close_parent_socket()
            self.server.run("http", loop=self.loop, host=self.host, sock=sock, **self.http_options)
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        except BaseException:
            _log.exception("worker %d failed", os.getpid())
        finally:
            with contextlib.suppress(Exception):
                logging.shutdown()
                sys.stdout.flush()
                sys.stderr.flush()
            os._exit(code)


def _stop_with(supervisor: int) -> None:
    """Make this worker drain and exit when its supervisor dies, even by SIGKILL (Linux).

    Otherwise a supervisor killed without a chance to drain leaves its workers
    serving the port with nobody to restart or stop them. The kernel delivers
    SIGTERM (``PR_SET_PDEATHSIG``; still blocked here, so it waits until the
    HTTP server can drain); a supervisor gone before that was set means exit now.
    Elsewhere the supervisor's SIGTERM is the only stop.
    """
    if sys.platform.startswith("linux"):
        import ctypes

        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, int(signal.SIGTERM))
    if os.getppid() != supervisor:
        os._exit(0)


#: ``prctl`` option: the signal a process gets when its parent dies (linux/prctl.h).
_PR_SET_PDEATHSIG = 1


def _wake_only(signum: int, frame: object) -> None:
    """The handler that makes a signal write its number to the wakeup pipe; the loop does the rest."""


def serve_workers(
    server: Server,
    workers: int,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    loop: LoopName | None = None,
    reuse_port: bool | None = None,
    **http_options: Any,
) -> int:
    """Serve ``server`` over HTTP from ``workers`` forked processes until SIGTERM/SIGINT; the exit status.

    ``reuse_port``: ``None`` uses ``SO_REUSEPORT`` where the kernel balances it (Linux);
    ``False`` shares one listening socket bound by the parent. Returns 0 once
    every worker drained, 1 if one had to be killed. Call it from the main
    thread of a process that runs no event loop (``Server.run`` does).
    """
    if not hasattr(os, "fork"):
        raise RuntimeError("workers > 1 needs os.fork (POSIX); run one process per core behind a balancer")
    if workers < 1:
        raise ValueError("workers must be >= 1")
    if threading.current_thread() is not threading.main_thread():
        raise RuntimeError("serve_workers must run in the main thread (it handles SIGTERM and SIGINT)")
    if threading.active_count() > 1:
        _log.warning(
            "%d threads are running in the supervisor: forked workers will not have them",
            threading.active_count() - 1,
        )
    if workers > 1 and server.store is None and http_options.get("session_store") is None:
        _log.warning("%s", no_store_message(workers, bool(http_options.get("stateless", False))))
    if _log.level == logging.NOTSET:
        _log.setLevel(logging.INFO)  # where the port, the workers and their restarts are shown
    use_reuse_port = reuse_port_available() if reuse_port is None else reuse_port
    supervisor = _Supervisor(
        server, workers, host=host, port=port, loop=loop, reuse_port=use_reuse_port, http_options=http_options
    )
    return supervisor.run()
