"""A raw pipe client for faults the line-reading peer cannot inject (never reading, closing stdout)."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

import orjson

from tests.helpers import LEGACY_VERSION, ROOT


def spawn(loop: str, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    environment = {**os.environ, "MCPCORE_LOOP": loop, "PYTHONPATH": str(ROOT), **(env or {})}
    return subprocess.Popen(
        [sys.executable, "-m", "tests.servers.faulty"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=environment,
        cwd=ROOT,
        bufsize=0,
    )


def initialize_frames() -> bytes:
    init = {
        "jsonrpc": "2.0",
        "id": "init",
        "method": "initialize",
        "params": {
            "protocolVersion": LEGACY_VERSION,
            "capabilities": {},
            "clientInfo": {"name": "t", "version": "0"},
        },
    }
    return orjson.dumps(init) + b'\n{"jsonrpc":"2.0","method":"notifications/initialized"}\n'


def call(request_id: int, tool: str, arguments: dict[str, Any]) -> bytes:
    return (
        orjson.dumps(
            {
                "jsonrpc": "2.0",
                "id": request_id,
                "method": "tools/call",
                "params": {"name": tool, "arguments": arguments},
            }
        )
        + b"\n"
    )


def rss_kib(pid: int) -> int:
    """Resident set size of a process (Linux /proc)."""
    with open(f"/proc/{pid}/status", "rb") as status:
        for line in status:
            if line.startswith(b"VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def read_to_eof(fd: int) -> list[bytes]:
    """Every line the server writes until it closes stdout (the last may be unterminated)."""
    chunks = []
    while chunk := os.read(fd, 1 << 20):
        chunks.append(chunk)
    return b"".join(chunks).splitlines(keepends=True)
