"""A real ``redis-server`` on a loopback port, for the store and cluster tests.

The Debian package ``redis-server`` provides the binary (``make servers``
installs it where it is missing). Without it the tests that need Redis skip
locally and fail under ``CI=true``, so CI can never pass by skipping them.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from redis.asyncio import Redis


def admin_client(url: str) -> Redis:
    """An independent client (redis-py, from the dev extra) to inspect or upset what mcpcore's client wrote.

    The stores speak through mcpcore's own client; checking them with another
    implementation means a shared misunderstanding of RESP cannot hide a bug.
    """
    from redis.asyncio import Redis

    return Redis.from_url(url)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class RedisServer:
    """One running ``redis-server`` subprocess (no persistence, loopback only)."""

    process: subprocess.Popen[bytes]
    port: int

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:  # pragma: no cover - a stuck server
            self.process.kill()
            self.process.wait()


def require_binary(name: str) -> str:
    """The path of ``name``; skips the test locally, fails it under CI, when it is missing."""
    path = shutil.which(name)
    if path is None:
        message = f"{name} is not installed (Debian package; `make servers` installs it)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path


def start_redis(port: int | None = None) -> RedisServer:
    """Start ``redis-server`` on ``port`` (a free loopback one by default); wait until it answers."""
    binary = require_binary("redis-server")
    port = free_port() if port is None else port
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"redis-server exited with status {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as conn:
                conn.sendall(b"PING\r\n")
                if conn.recv(16).startswith(b"+PONG"):
                    return RedisServer(process, port)
        except OSError:
            time.sleep(0.05)  # polling a starting server, not racing a test
    process.kill()
    raise RuntimeError("redis-server did not start within 15 s")
