"""A deliberately simple, synchronous stdio peer for end-to-end tests.

It spawns a real server process and talks to it through real pipes. A reader
thread turns stdout lines into a queue, so every wait has a deadline (a
failure guard, not a timing assumption) and no test sleeps.
"""

from __future__ import annotations

import contextlib
import os
import queue
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import orjson

ROOT = Path(__file__).resolve().parent.parent
DEADLINE = 20.0
LEGACY_VERSION = "2025-11-25"
MODERN_VERSION = "2026-07-28"


def modern_meta(capabilities: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    """The 2026-07-28 request envelope."""
    meta: dict[str, Any] = {
        "io.modelcontextprotocol/protocolVersion": MODERN_VERSION,
        "io.modelcontextprotocol/clientCapabilities": capabilities or {},
        "io.modelcontextprotocol/clientInfo": {"name": "tests", "version": "0"},
    }
    meta.update(extra)
    return meta


class StdioPeer:
    """The client end of a server subprocess's stdio."""

    def __init__(self, process: subprocess.Popen[bytes]) -> None:
        self.process = process
        self.lines: queue.Queue[bytes | None] = queue.Queue()
        self.notifications: list[dict[str, Any]] = []
        self.stash: dict[Any, dict[str, Any]] = {}
        self.stderr = bytearray()
        self._next_id = 1000
        threading.Thread(target=self._pump_stdout, daemon=True).start()
        self._stderr_pump = threading.Thread(target=self._pump_stderr, daemon=True)
        self._stderr_pump.start()

    @classmethod
    def spawn(cls, args: list[str], *, loop: str = "uvloop", env: dict[str, str] | None = None) -> StdioPeer:
        environment = {**os.environ, "MCPCORE_LOOP": loop, "PYTHONPATH": str(ROOT), **(env or {})}
        process = subprocess.Popen(
            [sys.executable, *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=environment,
            cwd=ROOT,
        )
        return cls(process)

    def _pump_stdout(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def _pump_stderr(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.stderr += line

    # ------------------------------------------------------------------ sending

    def send_raw(self, data: bytes) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(data)
        self.process.stdin.flush()

    def send(self, message: Any) -> None:
        self.send_raw(orjson.dumps(message) + b"\n")

    def new_id(self) -> int:
        self._next_id += 1
        return self._next_id

    def send_request(self, method: str, params: dict[str, Any] | None = None, request_id: Any = None) -> Any:
        if request_id is None:
            request_id = self.new_id()
        message: dict[str, Any] = {"jsonrpc": "2.0", "id": request_id, "method": method}
        if params is not None:
            message["params"] = params
        self.send(message)
        return request_id

    def notify(self, method: str, params: dict[str, Any] | None = None) -> None:
        message: dict[str, Any] = {"jsonrpc": "2.0", "method": method}
        if params is not None:
            message["params"] = params
        self.send(message)

    # ---------------------------------------------------------------- receiving

    def recv_line(self, timeout: float = DEADLINE) -> bytes | None:
        """The next stdout line (None at EOF); raises queue.Empty past the deadline."""
        return self.lines.get(timeout=timeout)

    def recv(self, timeout: float = DEADLINE) -> Any:
        line = self.recv_line(timeout)
        if line is None:
            raise EOFError(f"server closed stdout; stderr:\n{self.stderr.decode(errors='replace')}")
        assert line.endswith(b"\n") and line.count(b"\n") == 1, line
        return orjson.loads(line)

    def response(self, request_id: Any, timeout: float = DEADLINE) -> dict[str, Any]:
        """Read until the response to ``request_id``; other messages are kept for later."""
        if request_id in self.stash:
            return self.stash.pop(request_id)
        while True:
            message = self.recv(timeout)
            if "method" in message and "id" not in message:
                self.notifications.append(message)
            elif message.get("id") == request_id and "method" not in message:
                return dict(message)
            else:
                self.stash[message.get("id")] = message

    def request(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        return self.response(self.send_request(method, params))

    def result(self, method: str, params: dict[str, Any] | None = None) -> Any:
        reply = self.request(method, params)
        assert "result" in reply, reply
        return reply["result"]

    def initialize(self, version: str = LEGACY_VERSION, capabilities: dict[str, Any] | None = None) -> Any:
        result = self.result(
            "initialize",
            {
                "protocolVersion": version,
                "capabilities": capabilities or {},
                "clientInfo": {"name": "t", "version": "0"},
            },
        )
        self.notify("notifications/initialized")
        return result

    def call(self, name: str, arguments: dict[str, Any] | None = None, **params: Any) -> dict[str, Any]:
        return self.request("tools/call", {"name": name, "arguments": arguments or {}, **params})

    # ------------------------------------------------------------------ closing

    def close_stdin(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()

    def wait(self, timeout: float = DEADLINE) -> int:
        """The exit status, once the process has exited and all of its stderr has been read."""
        status = self.process.wait(timeout)
        self._stderr_pump.join(timeout)
        return status

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        for stream in (self.process.stdin, self.process.stdout, self.process.stderr):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()
