"""``mcpcore run --http --allowed-host NAME``: a server behind a balancer accepts the name clients use.

The DNS-rebinding guard accepts only loopback Host names by default, so a
replica reached as ``mcp.example.com`` through a load balancer needs the name
allowed; any other name is still refused.
"""

from __future__ import annotations

import http.client
import os
import subprocess
import sys
from collections.abc import Iterator

import orjson
import pytest

from tests.cluster.harness import ROOT, wait_listening
from tests.helpers import modern_meta
from tests.redis_server import free_port


@pytest.fixture
def port(loop_name: str) -> Iterator[int]:
    port = free_port()
    command = [sys.executable, "-m", "mcpcore", "run", "mcpcore.examples.calculator:server", "--http"]
    command += ["--port", str(port), "--allowed-host", "mcp.example.com", "--allowed-host", "mcp.internal"]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "MCPCORE_LOOP": loop_name}
    process = subprocess.Popen(command, cwd=ROOT, env=env, stderr=subprocess.DEVNULL)
    try:
        wait_listening(port, process, "mcpcore run")
        yield port
    finally:
        process.terminate()
        process.wait(timeout=15)


def _discover(port: int, host: str) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        body = orjson.dumps(
            {"jsonrpc": "2.0", "id": 1, "method": "server/discover", "params": {"_meta": modern_meta()}}
        )
        headers = {
            "Host": host,
            "Content-Type": "application/json",
            "Accept": "application/json, text/event-stream",
            "MCP-Protocol-Version": "2026-07-28",
            "Mcp-Method": "server/discover",
        }
        connection.request("POST", "/mcp", body=body, headers=headers)
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def test_the_allowed_names_are_served_and_others_refused(port: int) -> None:
    assert _discover(port, "mcp.example.com") == 200
    assert _discover(port, f"mcp.internal:{port}") == 200
    assert _discover(port, "evil.example") != 200
