"""1,000 concurrent keep-alive clients on the built-in server, loopback only, on uvloop and asyncio.

Every client holds its own TCP connection and legacy session open at once and
has a request in flight at the same time as all the others; none may see an
error, and the server must hold exactly one protocol and one session per
client, releasing every connection once the clients close. (Memory per client
is measured by ``benchmarks/bench_http.py --hold``, where the server runs in
its own process.)
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from mcpcore import Context, Server
from mcpcore.loop import run as run_loop
from mcpcore.transport.http import start_http
from tests.transport.http_peer import DEADLINE, Peer, open_session

CLIENTS = 1000

pytestmark = pytest.mark.timeout(120)


def test_a_thousand_keep_alive_clients_are_served_at_once(loop_name: str) -> None:
    server = Server("many", max_in_flight=4)
    waiting: list[int] = []
    gate = asyncio.Event()

    @server.tool()
    async def rendezvous(n: int, ctx: Context) -> int:
        waiting.append(n)
        if len(waiting) == CLIENTS:
            gate.set()
        await gate.wait()  # every client's request is in flight at the same moment
        return n

    async def client(port: int, index: int) -> tuple[Peer, Any]:
        peer = await Peer.connect(port)
        session_id = await open_session(peer)
        call = {
            "jsonrpc": "2.0",
            "id": index,
            "method": "tools/call",
            "params": {"name": "rendezvous", "arguments": {"n": index}},
        }
        headers = {
            "Accept": "application/json",
            "MCP-Protocol-Version": "2025-11-25",
            "Mcp-Session-Id": session_id,
        }
        response = await peer.request("POST", call, headers)
        return peer, response

    async def main() -> None:
        http = await start_http(server, "127.0.0.1", 0)
        try:
            results = await asyncio.wait_for(
                asyncio.gather(*(client(http.port, index) for index in range(CLIENTS))), 90
            )
            assert len(http.protocols) == CLIENTS
            assert len(http.endpoint.sessions) == CLIENTS
            for index, (_, response) in enumerate(results):
                assert response.status == 200
                assert response.json()["result"]["structuredContent"] == {"result": index}
            assert sorted(waiting) == list(range(CLIENTS))
            for peer, _ in results:
                peer.close()
            loop = asyncio.get_running_loop()
            deadline = loop.time() + DEADLINE
            while http.protocols:
                assert loop.time() < deadline, f"{len(http.protocols)} connections were not released"
                await asyncio.sleep(0.01)
        finally:
            await http.close()

    run_loop(main(), loop=loop_name)  # type: ignore[arg-type]
