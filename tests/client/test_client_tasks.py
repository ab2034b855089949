"""Client-hosted tasks (2025-11-25): the client runs a server's sampling or elicitation request as a task.

Held to the 2025-11-25 tasks text ("basic/utilities/tasks"):

* "Clients declare if they support tasks, and if so, which client-side
  requests can be augmented with tasks" (``tasks.list``, ``tasks.cancel``,
  ``tasks.requests.sampling.createMessage``,
  ``tasks.requests.elicitation.create``).
* "Receivers that accept a task-augmented request MUST return a
  ``CreateTaskResult`` as the response."
* ``tasks/result`` on a non-terminal task "MUST block the response until the
  task reaches a terminal status", then "MUST return ... exactly what the
  underlying request would have returned", and "MUST include [the
  related-task] metadata in its response".
* "Receivers MUST reject cancellation requests for tasks already in a
  terminal status ... with error code -32602"; an unknown ``taskId``: -32602.
* "Receivers that do not declare the task capability for a request type MUST
  process requests of that type normally, ignoring any task-augmentation
  metadata if present."

The server side is mcpcore's own: ``ctx.sample(..., task=True)`` /
``ctx.elicit(..., task=True)`` create the task, then wait on ``tasks/result``.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from mcpcore import Client, Context, Server
from mcpcore.errors import INTERNAL_ERROR, INVALID_PARAMS, RpcError
from mcpcore.loop import run as run_loop
from mcpcore.stores.tasks import TaskLimits
from mcpcore.transport.http import start_http

RELATED = "io.modelcontextprotocol/related-task"
FORM = {"type": "object", "properties": {"ok": {"type": "boolean"}}}
DEADLINE = 30.0


def _sampled(text: str) -> dict[str, Any]:
    return {"role": "assistant", "content": {"type": "text", "text": text}, "model": "m"}


class Peer:
    """The client's side of the test: its handlers, what they saw, and what the server sent."""

    def __init__(self) -> None:
        self.release = asyncio.Event()
        self.seen: list[dict[str, Any]] = []
        self.server_sent: list[dict[str, Any]] = []

    async def sampling(self, params: dict[str, Any]) -> dict[str, Any]:
        self.seen.append(params)
        return _sampled("sampled")

    async def elicitation(self, params: dict[str, Any]) -> dict[str, Any]:
        self.seen.append(params)
        await self.release.wait()
        return {"action": "accept", "content": {"ok": True}}

    def observe(self, message: Any) -> None:
        if type(message) is dict and "method" in message and "id" in message:
            self.server_sent.append(message)

    def client(self, target: Server | None, **options: Any) -> Client:
        return Client(target, mode="legacy", sampling=self.sampling, elicitation=self.elicitation, **options)


def _server(release: asyncio.Event) -> Server:
    server = Server("requestor")

    @server.tool()
    async def summarise(ctx: Context) -> str:
        """Asks the client's model, as a client-hosted task."""
        answer = await ctx.sample("Summarise", 50, task=True)
        return str(answer["content"]["text"])

    @server.tool()
    async def drive(ctx: Context) -> dict[str, Any]:
        """Drives the client's tasks/* by hand and reports what it got (the spec's receiver rules)."""
        connection = ctx.connection
        report: dict[str, Any] = {}

        async def ask(method: str, params: dict[str, Any], answer: str | None = None) -> Any:
            try:
                return await connection.request(method, params, timeout=DEADLINE, answer=answer)
            except RpcError as exc:
                return {"error": exc.code}

        elicit = {"message": "OK?", "requestedSchema": FORM, "task": {"ttl": 60_000}}
        created = await ask("elicitation/create", elicit, "CreateTaskResult")
        task_id = created["task"]["taskId"]
        report["created"] = created["task"]
        report["get"] = await ask("tasks/get", {"taskId": task_id})
        report["list"] = await ask("tasks/list", {})
        report["cancel"] = await ask("tasks/cancel", {"taskId": task_id})
        report["cancel_again"] = await ask("tasks/cancel", {"taskId": task_id})
        report["result_of_cancelled"] = await ask("tasks/result", {"taskId": task_id})
        report["unknown"] = await ask("tasks/get", {"taskId": "no-such-task"})
        second = await ask("elicitation/create", elicit, "CreateTaskResult")
        waiting = asyncio.ensure_future(ask("tasks/result", {"taskId": second["task"]["taskId"]}))
        report["second_get"] = await ask("tasks/get", {"taskId": second["task"]["taskId"]})
        release.set()
        report["result"] = await waiting
        return report

    return server


def test_sample_as_a_task_runs_on_the_client_and_returns_its_result(loop_name: str) -> None:
    async def main() -> None:
        peer = Peer()
        async with peer.client(_server(peer.release), tasks=True) as client:
            assert client.session is not None
            client.session.observers.append(peer.observe)
            capabilities = client.session.capabilities["tasks"]
            assert capabilities == {
                "list": {},
                "cancel": {},
                "requests": {"sampling": {"createMessage": {}}, "elicitation": {"create": {}}},
            }
            result = await client.call_tool("summarise", {})
            assert result["content"][0]["text"] == "sampled"
            methods = [message["method"] for message in peer.server_sent]
            assert methods == ["sampling/createMessage", "tasks/result"]
            assert peer.server_sent[0]["params"]["task"] == {}
            assert "task" not in peer.seen[0]  # the handler sees the plain request

    run_loop(main(), loop=loop_name)  # type: ignore[arg-type]


def test_the_client_serves_tasks_get_list_cancel_result_as_the_receiver(loop_name: str) -> None:
    async def main() -> None:
        peer = Peer()
        async with peer.client(_server(peer.release), tasks=True) as client:
            report = (await client.call_tool("drive", {}))["structuredContent"]
        created = report["created"]
        assert created["status"] == "working" and created["ttl"] == 60_000
        assert {"createdAt", "lastUpdatedAt", "pollInterval"} <= set(created)
        assert report["get"]["taskId"] == created["taskId"] and report["get"]["status"] == "working"
        assert [task["taskId"] for task in report["list"]["tasks"]] == [created["taskId"]]
        assert report["cancel"]["status"] == "cancelled"  # cancelled before the answer
        assert report["cancel_again"] == {"error": INVALID_PARAMS}  # terminal: -32602
        assert report["result_of_cancelled"] == {"error": INVALID_PARAMS}
        assert report["unknown"] == {"error": INVALID_PARAMS}
        assert report["second_get"]["status"] == "working"  # tasks/result blocked meanwhile
        # exactly what elicitation/create would have returned, with the related-task _meta
        second_id = report["result"]["_meta"][RELATED]["taskId"]
        assert second_id != created["taskId"]
        assert report["result"] == {
            "action": "accept",
            "content": {"ok": True},
            "_meta": {RELATED: {"taskId": second_id}},
        }

    run_loop(main(), loop=loop_name)  # type: ignore[arg-type]


def test_without_the_capability_the_task_field_is_ignored(loop_name: str) -> None:
    """Not declared: the request is served normally; ``ctx.sample(task=True)`` asks the usual way."""

    async def main() -> None:
        peer = Peer()
        async with peer.client(_server(peer.release)) as client:
            assert client.session is not None
            assert "tasks" not in client.session.capabilities
            client.session.observers.append(peer.observe)
            result = await client.call_tool("summarise", {})
            assert result["content"][0]["text"] == "sampled"
            assert [message["method"] for message in peer.server_sent] == ["sampling/createMessage"]
            assert "task" not in peer.server_sent[0]["params"]

    run_loop(main(), loop=loop_name)  # type: ignore[arg-type]


def test_the_task_table_is_bounded(loop_name: str) -> None:
    """At the bound with every task still running, a new task-augmented request is refused (-32603)."""
    server = Server("greedy")

    @server.tool()
    async def flood(ctx: Context) -> list[Any]:
        elicit = {"message": "OK?", "requestedSchema": FORM, "task": {}}
        outcomes: list[Any] = []
        for _ in range(3):
            try:
                created = await ctx.connection.request(
                    "elicitation/create", elicit, timeout=DEADLINE, answer="CreateTaskResult"
                )
                outcomes.append(created["task"]["status"])
            except RpcError as exc:
                outcomes.append(exc.code)
        return outcomes

    async def main() -> None:
        peer = Peer()
        async with peer.client(server, tasks=TaskLimits(max_tasks=2)) as client:
            result = await client.call_tool("flood", {})
            assert result["structuredContent"]["result"] == ["working", "working", INTERNAL_ERROR]
            peer.release.set()

    run_loop(main(), loop=loop_name)  # type: ignore[arg-type]


def test_client_hosted_sampling_over_real_http(loop_name: str) -> None:
    async def main() -> None:
        peer = Peer()
        http = await start_http(_server(peer.release), "127.0.0.1", 0)
        try:
            client = Client.http(
                f"http://127.0.0.1:{http.port}/mcp",
                mode="legacy",
                sampling=peer.sampling,
                elicitation=peer.elicitation,
                tasks=True,
            )
            async with client:
                assert client.session is not None
                client.session.observers.append(peer.observe)
                result = await client.call_tool("summarise", {})
                assert result["content"][0]["text"] == "sampled"
                methods = [message["method"] for message in peer.server_sent]
                assert methods == ["sampling/createMessage", "tasks/result"]
        finally:
            await http.close()

    run_loop(main(), loop=loop_name)  # type: ignore[arg-type]


# ------------------------------------------------------------ the client as requestor (2026-07-28)


def _task_server() -> Server:
    server = Server("tasks")

    @server.tool(task_support="optional")
    async def confirm(ctx: Context) -> str:
        answer = await ctx.elicit("Proceed?", FORM)
        return f"answered {answer['action']}"

    @server.tool(task_support="optional")
    async def broken(ctx: Context) -> str:
        raise RpcError(INVALID_PARAMS, "Invalid params: no such thing")

    return server


def test_a_modern_client_follows_a_servers_task_to_its_result(loop_name: str) -> None:
    """The extension: a client that declared it "MUST be prepared to handle either CallToolResult or
    CreateTaskResult"; mcpcore's client polls ``tasks/get``, answers ``inputRequests`` through
    ``tasks/update`` and returns the final result ("surface only the final, completed result")."""

    async def main() -> None:
        peer = Peer()
        peer.release.set()
        server = _task_server()
        async with Client(server, mode="modern", elicitation=peer.elicitation, tasks=True) as client:
            result = await client.call_tool("confirm", {})
            assert len(server.tasks.store) == 1  # it ran as a task
            assert result["content"][0]["text"] == "answered accept"
            assert "resultType" not in result and "taskId" not in result
            assert len(peer.seen) == 1  # the input request was answered once
            with pytest.raises(RpcError) as failed:
                await client.call_tool("broken", {})
            assert failed.value.code == INVALID_PARAMS  # the task's JSON-RPC error

    run_loop(main(), loop=loop_name)  # type: ignore[arg-type]


def test_without_declaring_tasks_the_server_answers_synchronously(loop_name: str) -> None:
    async def main() -> None:
        peer = Peer()
        peer.release.set()
        server = _task_server()
        async with Client(server, mode="modern", elicitation=peer.elicitation) as client:
            result = await client.call_tool("confirm", {})
            assert result["content"][0]["text"] == "answered accept"
            assert len(server.tasks.store) == 0

    run_loop(main(), loop=loop_name)  # type: ignore[arg-type]
