"""A real deployment on loopback: N replicas of the conformance fixture behind a real haproxy.

haproxy balances plain round-robin with no stickiness (no cookies, no
source hashing): in HTTP mode it picks a replica for every request, so two
requests of one client, even on one keep-alive connection, usually reach two
different replicas. That is the deployment issue 11 asks mcpcore to survive.
Every replica gets the same ``requestState`` key; a Redis URL, when given,
goes to each replica as ``--redis``.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from tests.redis_server import free_port, require_binary

ROOT = Path(__file__).resolve().parents[2]
STATE_KEY = "cluster-wide-request-state-key!!"

HAPROXY_CONFIG = """\
global
    maxconn 2000

defaults
    mode http
    timeout connect 5s
    timeout client 120s
    timeout server 120s
    # SSE streams (GET streams, listen streams, long POST streams) stay open.
    timeout tunnel 1h

frontend mcp
    bind 127.0.0.1:{port}
    default_backend replicas

backend replicas
    balance roundrobin
    # A replica that died: connections to it are retried on another, and health checks take it out.
    retries 3
    option redispatch
    default-server check inter 500ms fall 1 rise 2
    # Which replica answered, so tests can see the balancing is real.
    http-response set-header X-Replica %[srv_name]
{servers}
"""


def wait_listening(port: int, process: subprocess.Popen[bytes], what: str, timeout: float = 30.0) -> None:
    """Return once ``port`` accepts connections; fail if ``process`` exits first or time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with status {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)  # start-up poll bounded by the deadline, not a race
    raise RuntimeError(f"{what} did not listen on {port} within {timeout:.0f} s")


@dataclass
class Cluster:
    """The replicas and the balancer; ``url`` is the balancer's MCP endpoint."""

    replicas: int = 3
    redis_url: str | None = None
    loop: str = "uvloop"
    #: ``module:attribute`` served with ``mcpcore run`` instead of the conformance fixture.
    app: str | None = None
    ports: list[int] = field(default_factory=list)
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)
    balancer: subprocess.Popen[bytes] | None = None
    balancer_port: int = 0
    _config_dir: tempfile.TemporaryDirectory[str] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.balancer_port}/mcp"

    def replica_url(self, index: int) -> str:
        return f"http://127.0.0.1:{self.ports[index]}/mcp"

    def start(self) -> Cluster:
        haproxy = require_binary("haproxy")
        for _ in range(self.replicas):
            self.ports.append(free_port())
            self.processes.append(self._start_replica(self.ports[-1]))
        for port, process in zip(self.ports, self.processes, strict=True):
            wait_listening(port, process, f"replica on {port}")
        self.balancer_port = free_port()
        servers = "\n".join(f"    server r{i} 127.0.0.1:{port}" for i, port in enumerate(self.ports))
        self._config_dir = tempfile.TemporaryDirectory(prefix="mcpcore-haproxy-")
        config = Path(self._config_dir.name) / "haproxy.cfg"
        config.write_text(HAPROXY_CONFIG.format(port=self.balancer_port, servers=servers))
        self.balancer = subprocess.Popen(
            [haproxy, "-db", "-f", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        wait_listening(self.balancer_port, self.balancer, "haproxy")
        return self

    def _start_replica(self, port: int) -> subprocess.Popen[bytes]:
        if self.app is None:
            command = [sys.executable, "-m", "mcpcore.examples.conformance", "--port", str(port)]
        else:
            command = [sys.executable, "-m", "mcpcore", "run", self.app, "--http", "--port", str(port)]
        command += ["--state-key", STATE_KEY]
        if self.redis_url is not None:
            command += ["--redis", self.redis_url]
        env = {**os.environ, "PYTHONPATH": str(ROOT), "MCPCORE_LOOP": self.loop}
        return subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)

    def kill_replica(self, index: int) -> None:
        """SIGKILL one replica, as a crashed machine would go (no drain, no goodbye)."""
        self.processes[index].kill()
        self.processes[index].wait(timeout=10)

    def stop(self) -> None:
        for process in [*self.processes, *([self.balancer] if self.balancer else [])]:
            if process.poll() is None:
                process.terminate()
        for process in [*self.processes, *([self.balancer] if self.balancer else [])]:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if self._config_dir is not None:
            self._config_dir.cleanup()

    def __enter__(self) -> Cluster:
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc: object) -> None:
        self.stop()
