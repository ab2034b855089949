"""2026-07-28 task status notifications on ``subscriptions/listen`` (the tasks extension).

The conformance suite (alpha.12) SKIPs ``tasks-status-notifications``
unconditionally ("pending subscriptions/listen rewrite"), so these tests hold
mcpcore to the extension's text (``io.modelcontextprotocol/tasks``, "Task
Status Notifications"):

    "To begin listening for task status notifications, clients send a
    ``subscriptions/listen`` request to the server including a list of task IDs
    the client is interested in" (``notifications.taskIds``). "In its
    acknowledgement notification, the server includes the list of task IDs it
    has agreed to send task status notifications for, if any."

    "If a client requests task status notifications but does not declare the
    ``io.modelcontextprotocol/tasks`` extension capability, the server MUST
    return a JSON-RPC error specifying the missing capabilities."

    "Each notification carries a complete ``DetailedTask`` for the current
    status, identical to what ``tasks/get`` would have returned at that moment."
    (method ``notifications/tasks``)

One mechanism for both eras: a status change is published on the server's
subscription bus, and the replica holding the follower (a legacy
connection, or a listen stream of the task's owner) sends it. Owner isolation:
a principal never hears about another's task, even holding its id.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from mcpcore import Client, Context, Server
from mcpcore.errors import MISSING_CLIENT_CAPABILITY, RpcError
from mcpcore.loop import run as run_loop
from mcpcore.transport.http import start_http
from mcpcore.transport.security import AccessToken, BearerAuth
from mcpcore.transport.streamable import HttpOptions

EXT = "io.modelcontextprotocol/tasks"
WITH_TASKS = {"extensions": {EXT: {}}}
RESOURCE = "http://127.0.0.1/mcp"
ALICE = "alice-token-5b0c"
BOB = "bob-token-913e"
DEADLINE = 30.0


def _server(name: str, release: asyncio.Event, store: str | None = None) -> Server:
    server = Server(name, store=store)

    @server.tool(task_support="optional")
    async def hold(ctx: Context) -> str:
        """Work until released."""
        await release.wait()
        return "released"

    @server.tool()
    def noop() -> str:
        return "ok"

    return server


async def _next(stream: Any) -> dict[str, Any]:
    item: dict[str, Any] = await asyncio.wait_for(stream.__anext__(), DEADLINE)
    return item


async def _start_task(client: Client) -> str:
    """``tools/call`` of ``hold``: a ``CreateTaskResult`` (sent as is: one request, no retry logic)."""
    session = client.session
    assert session is not None and session.server is not None
    version = session.server.protocol_version
    created = await session.send_request(
        "tools/call", {"name": "hold", "arguments": {}}, modern_version=version
    )
    assert created["resultType"] == "task"
    task_id: str = created["taskId"]
    return task_id


def _strip(params: dict[str, Any]) -> dict[str, Any]:
    """A notification's params without the stream's ``_meta`` (to compare with ``tasks/get``)."""
    return {key: value for key, value in params.items() if key != "_meta"}


def _as_got(task: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in task.items() if key not in ("resultType", "_meta")}


def test_a_listen_stream_gets_its_tasks_status_in_one_process(loop_name: str) -> None:
    async def main() -> None:
        release = asyncio.Event()
        server = _server("one", release)
        async with Client(server, mode="modern", capabilities=WITH_TASKS) as client:
            task_id = await _start_task(client)
            stream = await client.listen(task_ids=[task_id, "no-such-task"])
            # only a task of the requester's is agreed to
            assert stream.honoured == {"taskIds": [task_id]}
            first = await _next(stream)  # the current state, right after the acknowledgement
            assert first["method"] == "notifications/tasks"
            assert _strip(first["params"]) == _as_got(await client.request("tasks/get", {"taskId": task_id}))
            release.set()
            done = await _next(stream)
            assert done["method"] == "notifications/tasks"
            assert done["params"]["status"] == "completed"
            # identical to what tasks/get answers now (result inlined)
            assert _strip(done["params"]) == _as_got(await client.request("tasks/get", {"taskId": task_id}))
            assert done["params"]["result"]["content"][0]["text"] == "released"
            # a finished task is still agreed to, and its final state sent at once
            late = await client.listen(task_ids=[task_id])
            assert late.honoured == {"taskIds": [task_id]}
            assert (await _next(late))["params"]["status"] == "completed"
            late.close()
            stream.close()

    run_loop(main(), loop=loop_name)  # type: ignore[arg-type]


def test_asking_for_task_ids_without_the_extension_is_32021(loop_name: str) -> None:
    async def main() -> None:
        server = _server("one", asyncio.Event())
        async with Client(server, mode="modern") as client:
            with pytest.raises(RpcError) as refused:
                await client.request("subscriptions/listen", {"notifications": {"taskIds": ["t"]}})
            assert refused.value.code == MISSING_CLIENT_CAPABILITY
            assert refused.value.data == {"requiredCapabilities": {"extensions": {EXT: {}}}}

    run_loop(main(), loop=loop_name)  # type: ignore[arg-type]


def test_legacy_status_notifications_still_reach_their_connection(loop_name: str) -> None:
    """2025-11-25: ``notifications/tasks/status`` (the ``Task``) on the connection that made it."""

    async def main() -> None:
        release = asyncio.Event()
        server = _server("legacy", release)
        seen: list[dict[str, Any]] = []
        finished = asyncio.Event()

        def on_notification(method: str, params: dict[str, Any]) -> None:
            if method == "notifications/tasks/status":
                seen.append(params)
                if params["status"] == "completed":
                    finished.set()

        async with (
            Client(server, mode="legacy", on_notification=on_notification) as owner,
            Client(server, mode="legacy", on_notification=on_notification) as other,
        ):
            assert owner.session is not None and other.session is not None
            call = {"name": "hold", "arguments": {}, "task": {}}
            created = await owner.session.send_request("tools/call", call)
            release.set()
            await asyncio.wait_for(finished.wait(), DEADLINE)
            assert seen[-1]["taskId"] == created["task"]["taskId"]
            assert "ttl" in seen[-1] and "ttlMs" not in seen[-1]  # the legacy Task shape

    run_loop(main(), loop=loop_name)  # type: ignore[arg-type]


async def _verify(token: str) -> AccessToken | None:
    tokens = {
        ALICE: AccessToken("app", frozenset(), None, (RESOURCE,), {"sub": "alice"}),
        BOB: AccessToken("app", frozenset(), None, (RESOURCE,), {"sub": "bob"}),
    }
    return tokens.get(token)


def test_status_crosses_replicas_to_the_owner_only(loop_name: str, redis_url: str) -> None:
    """Task on replica A, listen streams on replica B (one real redis-server, real HTTP).

    Alice's stream on B hears her task finish on A; Bob, holding the id, is
    agreed nothing and hears nothing (his next notification is a later
    ``tools/list_changed``, published after the task's status by the same
    replica, so the bus would have carried the status first).
    """

    async def main() -> None:
        release = asyncio.Event()
        options = HttpOptions(
            auth=BearerAuth(_verify, resource=RESOURCE, authorization_servers=["https://as.example"])
        )
        a, b = _server("a", release, redis_url), _server("b", release, redis_url)
        async with a.running(), b.running():
            http_a = await start_http(a, "127.0.0.1", 0, options=options)
            http_b = await start_http(b, "127.0.0.1", 0, options=options)

            def client(port: int, token: str) -> Client:
                return Client.http(
                    f"http://127.0.0.1:{port}/mcp",
                    headers={"Authorization": f"Bearer {token}"},
                    mode="modern",
                    capabilities=WITH_TASKS,
                )

            try:
                async with (
                    client(http_a.port, ALICE) as alice_a,
                    client(http_b.port, ALICE) as alice_b,
                    client(http_b.port, BOB) as bob_b,
                ):
                    task_id = await _start_task(alice_a)
                    alice_stream = await alice_b.listen(task_ids=[task_id])
                    bob_stream = await bob_b.listen(tools=True, task_ids=[task_id])
                    assert alice_stream.honoured == {"taskIds": [task_id]}
                    assert bob_stream.honoured == {"toolsListChanged": True}  # not his task
                    assert (await _next(alice_stream))["params"]["status"] == "working"
                    release.set()
                    done = await _next(alice_stream)
                    assert done["method"] == "notifications/tasks"
                    assert done["params"]["status"] == "completed"
                    got = await alice_b.request("tasks/get", {"taskId": task_id})
                    assert _strip(done["params"]) == _as_got(got)
                    a.notify_list_changed("tools")
                    after = await _next(bob_stream)
                    assert after["method"] == "notifications/tools/list_changed"
                    alice_stream.close()
                    bob_stream.close()
            finally:
                await http_a.close()
                await http_b.close()

    run_loop(main(), loop=loop_name)  # type: ignore[arg-type]


def test_a_legacy_status_change_on_one_replica_reaches_the_session_on_another(
    loop_name: str, redis_url: str
) -> None:
    """2025-11-25 across replicas: the same mechanism (the bus, by the connection's address).

    A session both replicas name alike (``Tasks.connection_key``) creates a task
    through replica A and cancels it through replica B; the status change made
    on B reaches the session's connection on A as ``notifications/tasks/status``.
    """

    async def main() -> None:
        release = asyncio.Event()
        a, b = _server("a", release, redis_url), _server("b", release, redis_url)
        for replica in (a, b):
            replica.tasks.connection_key = lambda connection: "session-c41f9e"
        heard: list[dict[str, Any]] = []
        cancelled = asyncio.Event()

        def on_a(method: str, params: dict[str, Any]) -> None:
            if method == "notifications/tasks/status":
                heard.append(params)
                if params["status"] == "cancelled":
                    cancelled.set()

        async with (
            Client(a, mode="legacy", on_notification=on_a) as via_a,
            Client(b, mode="legacy") as via_b,
        ):
            assert via_a.session is not None and via_b.session is not None
            created = await via_a.session.send_request(
                "tools/call", {"name": "hold", "arguments": {}, "task": {}}
            )
            task_id = created["task"]["taskId"]
            answer = await via_b.session.send_request("tasks/cancel", {"taskId": task_id})
            assert answer["status"] == "cancelled"
            await asyncio.wait_for(cancelled.wait(), DEADLINE)
            assert heard[-1]["taskId"] == task_id
            release.set()

    run_loop(main(), loop=loop_name)  # type: ignore[arg-type]
