"""Session ids over real loopback HTTP: random, URL-safe, long enough, never reused."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time

from mcpcore.bench import HttpBenchClient
from tests.helpers import ROOT


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_session_ids_are_random_url_safe_and_never_reused(loop_name: str) -> None:
    port = _free_port()
    url = f"http://127.0.0.1:{port}/mcp"
    process = subprocess.Popen(
        [sys.executable, "-m", "mcpcore.examples.calculator", "--http", "--port", str(port)],
        env={**os.environ, "MCPCORE_LOOP": loop_name, "PYTHONPATH": str(ROOT)},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 20
        while True:  # a failure deadline for start-up, not a timing assumption
            try:
                HttpBenchClient(url).close()
                break
            except OSError:
                assert process.poll() is None and time.monotonic() < deadline, "server did not start"
                time.sleep(0.01)
        ids = []
        for _ in range(50):
            client = HttpBenchClient(url, version="2025-11-25")
            client.initialize()
            ids.append(client.session_id)
            client.close()
        assert len(set(ids)) == len(ids)
        for session_id in ids:
            assert session_id is not None and re.fullmatch(r"[A-Za-z0-9_-]{32,}", session_id), session_id
    finally:
        process.terminate()
        process.wait(10)
