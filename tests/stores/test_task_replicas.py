"""Tasks across replicas: two servers sharing one real redis-server, over real loopback HTTP.

A task created through replica A is read, answered and cancelled through
replica B; another principal (another bearer token) sees none of it; and a
replica killed while its task runs (a real subprocess, SIGKILL) leaves the task
failed with an error saying so, once its lease lapses. Every wait is a
condition polled under a deadline; no test depends on a sleep.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

from mcpcore import Client, Context, Server
from mcpcore.loop import run as run_loop
from mcpcore.stores.redis import RedisTaskStore
from mcpcore.stores.tasks import WORKER_DIED, TaskLimits
from mcpcore.transport.http import start_http
from mcpcore.transport.security import AccessToken, BearerAuth
from mcpcore.transport.streamable import HttpOptions
from tests.e2e.test_client_http import serve
from tests.redis_server import free_port
from tests.transport.http_peer import MODERN, Peer, modern_headers

EXT = "io.modelcontextprotocol/tasks"
RESOURCE = "http://127.0.0.1/mcp"
ALICE = "alice-token-8c1e"
BOB = "bob-token-42d9"
DEADLINE = 30.0
LEASE_MS = 300


async def _verify(token: str) -> AccessToken | None:
    tokens = {
        ALICE: AccessToken("app", frozenset(), None, (RESOURCE,), {"sub": "alice"}),
        BOB: AccessToken("app", frozenset(), None, (RESOURCE,), {"sub": "bob"}),
    }
    return tokens.get(token)


class Replica:
    """One server of the fleet, its tool's observable state kept on the test's side."""

    def __init__(self, store: str | RedisTaskStore) -> None:
        self.server = Server("replica", store=store)
        self.release = asyncio.Event()
        self.cancelled = asyncio.Event()

        @self.server.tool(task_support="optional")
        async def hold(ctx: Context) -> str:
            """Work until released; notes a cancellation."""
            try:
                await self.release.wait()
            except asyncio.CancelledError:
                self.cancelled.set()
                raise
            return "released"

        @self.server.tool(task_support="optional")
        async def quick(n: int) -> int:
            return n * 2

        @self.server.tool(task_support="optional")
        async def confirm(ctx: Context) -> str:
            schema = {"type": "object", "properties": {"ok": {"type": "boolean"}}}
            answer = await ctx.elicit("Proceed?", schema)
            return f"answered {answer['action']}"


class Caller:
    """A modern client speaking to one replica with one bearer token."""

    def __init__(self, peer: Peer, token: str | None) -> None:
        self.peer = peer
        self.token = token
        self.ids = 0

    async def call(self, method: str, params: dict[str, Any], name: str | None = None) -> dict[str, Any]:
        self.ids += 1
        meta = {
            "io.modelcontextprotocol/protocolVersion": MODERN,
            "io.modelcontextprotocol/clientCapabilities": {"elicitation": {}, "extensions": {EXT: {}}},
            "io.modelcontextprotocol/clientInfo": {"name": "t", "version": "0"},
        }
        body = {"jsonrpc": "2.0", "id": self.ids, "method": method, "params": {**params, "_meta": meta}}
        headers = modern_headers(method, name or params.get("taskId"))
        if self.token is not None:
            headers["Authorization"] = f"Bearer {self.token}"
        response = await self.peer.request("POST", body, headers)
        assert response.status in (200, 400), response.body  # a JSON-RPC error is a 400
        messages = response.messages()
        answer: dict[str, Any] = messages[-1]
        return answer

    async def result(self, method: str, params: dict[str, Any], name: str | None = None) -> dict[str, Any]:
        answer = await self.call(method, params, name)
        assert "result" in answer, answer
        result: dict[str, Any] = answer["result"]
        return result

    async def until(self, task_id: str, done: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
        """Poll ``tasks/get`` until ``done(task)``, under the deadline."""
        deadline = time.monotonic() + DEADLINE
        while True:
            task = await self.result("tasks/get", {"taskId": task_id})
            if done(task):
                return task
            assert time.monotonic() < deadline, f"task never reached the condition: {task}"
            await asyncio.sleep(0.02)


def two_replicas(loop_name: str, redis_url: str, body: Callable[..., Awaitable[None]]) -> None:
    options = HttpOptions(
        auth=BearerAuth(_verify, resource=RESOURCE, authorization_servers=["https://as.example"])
    )

    async def main() -> None:
        a = Replica(RedisTaskStore.from_url(redis_url, lease_ms=LEASE_MS))
        b = Replica(RedisTaskStore.from_url(redis_url, lease_ms=LEASE_MS))
        http_a = await start_http(a.server, "127.0.0.1", 0, options=options)
        http_b = await start_http(b.server, "127.0.0.1", 0, options=options)
        peers = [await Peer.connect(http_a.port) for _ in range(2)] + [
            await Peer.connect(http_b.port) for _ in range(2)
        ]
        try:
            await asyncio.wait_for(
                body(a, b, Caller(peers[0], ALICE), Caller(peers[2], ALICE), Caller(peers[3], BOB)), 120
            )
        finally:
            for peer in peers:
                peer.close()
            await http_a.close()
            await http_b.close()

    run_loop(main(), loop=loop_name)  # type: ignore[arg-type]


def test_a_task_created_on_one_replica_is_read_and_cancelled_on_another(
    loop_name: str, redis_url: str
) -> None:
    async def body(a: Replica, b: Replica, alice_a: Caller, alice_b: Caller, bob_b: Caller) -> None:
        created = await alice_a.result("tools/call", {"name": "hold", "arguments": {}}, "hold")
        assert created["resultType"] == "task" and created["status"] == "working"
        task_id = created["taskId"]
        seen = await alice_b.result("tasks/get", {"taskId": task_id})
        assert seen["status"] == "working" and seen["taskId"] == task_id
        # another principal, on the same replica: as if the task did not exist
        for method in ("tasks/get", "tasks/cancel"):
            refused = await bob_b.call(method, {"taskId": task_id})
            assert refused["error"]["code"] == -32602, refused
        ack = await alice_b.call("tasks/cancel", {"taskId": task_id})
        assert "error" not in ack, ack
        gone = await alice_a.until(task_id, lambda task: task["status"] == "cancelled")
        assert gone["statusMessage"] == "Cancelled by the client"
        await asyncio.wait_for(a.cancelled.wait(), DEADLINE)  # the work on A stopped (its heartbeat saw it)
        assert not b.cancelled.is_set()

    two_replicas(loop_name, redis_url, body)


def test_results_and_input_cross_replicas(loop_name: str, redis_url: str) -> None:
    async def body(a: Replica, b: Replica, alice_a: Caller, alice_b: Caller, bob_b: Caller) -> None:
        quick = await alice_a.result("tools/call", {"name": "quick", "arguments": {"n": 21}}, "quick")
        done = await alice_b.until(quick["taskId"], lambda task: task["status"] == "completed")
        assert done["result"]["structuredContent"] == {"result": 42}
        asking = await alice_a.result("tools/call", {"name": "confirm", "arguments": {}}, "confirm")
        waiting = await alice_b.until(asking["taskId"], lambda task: task["status"] == "input_required")
        (key,) = waiting["inputRequests"]
        assert waiting["inputRequests"][key]["method"] == "elicitation/create"
        refused = await bob_b.call("tasks/update", {"taskId": asking["taskId"], "inputResponses": {}})
        assert refused["error"]["code"] == -32602
        update = {
            "taskId": asking["taskId"],
            "inputResponses": {key: {"action": "accept", "content": {"ok": True}}},
        }
        await alice_b.result("tasks/update", update)
        answered = await alice_b.until(asking["taskId"], lambda task: task["status"] == "completed")
        assert answered["result"]["structuredContent"] == {"result": "answered accept"}

    two_replicas(loop_name, redis_url, body)


def test_a_killed_replicas_running_task_is_failed_within_the_lease(loop_name: str, redis_url: str) -> None:
    port = free_port()
    args = ["-m", "mcpcore.examples.conformance", "--port", str(port), "--redis", redis_url]
    doomed = serve([*args, "--lease-ms", str(LEASE_MS)], port, loop_name)

    async def main() -> None:
        survivor = Replica(redis_url)  # Server(store="redis://...")
        http = await start_http(survivor.server, "127.0.0.1", 0)
        to_doomed, to_survivor = await Peer.connect(port), await Peer.connect(http.port)
        try:
            call = {"name": "slow_compute", "arguments": {"seconds": 600, "label": "x"}}
            created = await Caller(to_doomed, None).result("tools/call", call, "slow_compute")
            task_id = created["taskId"]
            reader = Caller(to_survivor, None)
            assert (await reader.result("tasks/get", {"taskId": task_id}))["status"] == "working"
            doomed.kill()  # SIGKILL: no cleanup runs on that replica
            await asyncio.get_running_loop().run_in_executor(None, doomed.wait)
            failed = await reader.until(task_id, lambda task: task["status"] == "failed")
            assert failed["error"] == WORKER_DIED
            assert "worker running this task died" in failed["statusMessage"]
        finally:
            to_doomed.close()
            to_survivor.close()
            await http.close()

    try:
        run_loop(main(), loop=loop_name)  # type: ignore[arg-type]
    finally:
        if doomed.poll() is None:
            doomed.kill()
        doomed.wait(10)


def test_mcpcore_run_with_redis_shares_tasks(loop_name: str, redis_url: str) -> None:
    """``mcpcore run ... --redis URL``: a task finished by that process is read by another."""
    port = free_port()
    target = "mcpcore.examples.conformance:server"
    process = serve(
        ["-m", "mcpcore", "run", target, "--http", "--port", str(port), "--redis", redis_url], port, loop_name
    )

    async def main() -> None:
        other = Replica(redis_url)
        http = await start_http(other.server, "127.0.0.1", 0)
        to_cli, to_other = await Peer.connect(port), await Peer.connect(http.port)
        try:
            call = {"name": "slow_compute", "arguments": {"seconds": 0, "label": "shared"}}
            created = await Caller(to_cli, None).result("tools/call", call, "slow_compute")
            done = await Caller(to_other, None).until(
                created["taskId"], lambda task: task["status"] == "completed"
            )
            assert done["result"]["content"][0]["text"] == "Computed shared after 0 s"
        finally:
            to_cli.close()
            to_other.close()
            await http.close()

    try:
        run_loop(main(), loop=loop_name)  # type: ignore[arg-type]
    finally:
        process.terminate()
        process.wait(10)


def test_a_legacy_session_seen_by_two_replicas_shares_its_tasks(loop_name: str, redis_url: str) -> None:
    """2025-11-25 with a session every replica names the same way (``Tasks.connection_key``).

    ``tasks/list`` and ``tasks/get`` on B see the task A runs, and B's
    ``tasks/result`` waits for it by polling the store until A finishes it.
    """

    def legacy_replica() -> Replica:
        replica = Replica(RedisTaskStore.from_url(redis_url, TaskLimits(poll_interval_ms=20)))
        replica.server.tasks.connection_key = lambda connection: "session-7f3a"
        return replica

    async def main() -> None:
        a, b = legacy_replica(), legacy_replica()
        async with Client(a.server, mode="legacy") as on_a, Client(b.server, mode="legacy") as on_b:
            assert on_a.session is not None and on_b.session is not None
            created = await on_a.session.send_request(
                "tools/call", {"name": "hold", "arguments": {}, "task": {}}
            )
            task_id = created["task"]["taskId"]
            listed = await on_b.session.send_request("tasks/list", {})
            assert [task["taskId"] for task in listed["tasks"]] == [task_id]
            assert (await on_b.session.send_request("tasks/get", {"taskId": task_id}))["status"] == "working"
            waiting = asyncio.ensure_future(on_b.session.send_request("tasks/result", {"taskId": task_id}))
            await asyncio.sleep(0)
            assert not waiting.done()
            a.release.set()
            result = await asyncio.wait_for(waiting, DEADLINE)
            assert result["structuredContent"] == {"result": "released"}
            assert result["_meta"]["io.modelcontextprotocol/related-task"] == {"taskId": task_id}

    run_loop(main(), loop=loop_name)  # type: ignore[arg-type]
