"""Client-hosted tasks (2025-11-25): the client runs a server's sampling or elicitation request as a task.

In 2025-11-25 either side may be the *receiver* of a task-augmented request.
A client that declares ``capabilities.tasks.requests.sampling.createMessage``
(or ``.elicitation.create``) lets the server add ``params.task {ttl?}`` to that
request; the client then answers at once with ``CreateTaskResult {task}``,
runs its handler in the background, and serves ``tasks/get``, ``tasks/result``
(blocks until terminal, then exactly what the request would have returned,
with ``_meta["io.modelcontextprotocol/related-task"]``), ``tasks/list`` and
``tasks/cancel`` (a terminal task: -32602) to the server.

The 2026-07-28 tasks extension (``io.modelcontextprotocol/tasks``) has no
client-hosted tasks: only ``tools/call`` is task-augmented there, and the
server asks the client through ``inputRequests`` instead. So this is legacy
only; a ``task`` field on a request of another era, or of a request type not
declared, is ignored and the request is served normally, as the spec says.

The table is the server's own :class:`~mcpcore.stores.memory.InMemoryTaskStore`
(one status machine, one set of bounds): at most ``max_tasks`` tasks, each
dropped ``ttl`` after its creation; at the bound an expired or the oldest
finished task goes first, and when every one still runs a new task-augmented
request is refused with -32603. The handler's work is an asyncio task of the
client's, cancelled with ``tasks/cancel`` or when the connection ends.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Callable, Coroutine
from typing import Any, Final

from mcpcore import versions
from mcpcore.errors import INTERNAL_ERROR, INVALID_PARAMS, RpcError
from mcpcore.registry.input_required import TASK_REQUESTS, hosts_tasks
from mcpcore.registry.pagination import Paginator
from mcpcore.registry.tasks import legacy_view, task_result
from mcpcore.stores.memory import InMemoryTaskStore
from mcpcore.stores.tasks import TERMINAL, TaskData, TaskLimits

__all__ = ["DEFAULT_MAX_CLIENT_TASKS", "ClientTasks"]

_log = logging.getLogger("mcpcore.client")

#: Client-hosted tasks kept at once (running or finished and not yet expired).
DEFAULT_MAX_CLIENT_TASKS: Final = 64
#: The one owner of a client's tasks: the server at the other end of this connection.
_OWNER: Final = "server"

Handler = Callable[[dict[str, Any]], Any]


class ClientTasks:
    """The client's task table and its ``tasks/*`` handlers (one per connection)."""

    def __init__(self, limits: TaskLimits | None = None) -> None:
        self.limits = limits if limits is not None else TaskLimits(max_tasks=DEFAULT_MAX_CLIENT_TASKS)
        self.store = InMemoryTaskStore(self.limits)
        self._paginator = Paginator(None)
        #: The running work, by task id (an entry leaves when its work ends).
        self._work: dict[str, asyncio.Task[None]] = {}

    # ------------------------------------------------------------ declaration

    @staticmethod
    def capability(methods: set[str] | frozenset[str]) -> dict[str, Any]:
        """The ``capabilities.tasks`` to declare for a client that handles ``methods``."""
        requests: dict[str, Any] = {}
        for method, (group, name) in TASK_REQUESTS.items():
            if method in methods:
                requests.setdefault(group, {})[name] = {}
        return {"list": {}, "cancel": {}, "requests": requests}

    def handlers(self) -> dict[str, Handler]:
        """The ``tasks/*`` requests a server sends the client."""
        return {
            "tasks/get": self.get,
            "tasks/result": self.result,
            "tasks/list": self.list,
            "tasks/cancel": self.cancel,
        }

    # --------------------------------------------------------------- creating

    def augmented(
        self, handler: Handler, method: str, version: str | None, capabilities: dict[str, Any]
    ) -> Handler:
        """The handler for a request carrying ``task``: ``handler`` as a task, or ``handler`` itself.

        A task only on 2025-11-25 and for a request type the client declared
        (the spec: a receiver that did not declare it "MUST process requests of
        that type normally, ignoring any task-augmentation metadata"). As a
        task, the wrapper answers ``CreateTaskResult`` and leaves the work running.
        """
        if version != versions.V2025_11_25 or not hosts_tasks(capabilities, method):
            return handler

        async def create(params: dict[str, Any]) -> dict[str, Any]:
            hint = params["task"]  # an object with an optional positive ttl: shape checked by mcpcore.inbound
            request = {key: value for key, value in params.items() if key != "task"}
            data = await self.store.create(_OWNER, ttl_ms=hint.get("ttl"))
            work = asyncio.get_running_loop().create_task(self._run(data.task_id, handler, request))
            self._work[data.task_id] = work
            work.add_done_callback(lambda _done: self._work.pop(data.task_id, None))
            return {"task": legacy_view(data)}

        return create

    async def _run(self, task_id: str, handler: Handler, params: dict[str, Any]) -> None:
        """The handler's work; its outcome goes to the table (the first terminal write wins)."""
        try:
            outcome = handler(params)
            if inspect.isawaitable(outcome):
                outcome = await outcome
        except asyncio.CancelledError:
            await self.store.transition(task_id, "cancelled", "Cancelled")
            raise
        except RpcError as exc:
            await self.store.transition(task_id, "failed", exc.message, error=exc.to_wire())
            return
        except Exception:
            _log.exception("client task %s failed", task_id)
            error = RpcError(INTERNAL_ERROR, "Internal error")
            await self.store.transition(task_id, "failed", error.message, error=error.to_wire())
            return
        if type(outcome) is not dict:
            _log.error("client task %s: the handler returned %s, not an object", task_id, type(outcome))
            error = RpcError(INTERNAL_ERROR, "Internal error")
            await self.store.transition(task_id, "failed", error.message, error=error.to_wire())
            return
        await self.store.transition(task_id, "completed", result=outcome)

    def close(self) -> None:
        """The connection ended: stop every task's work (nobody can read its result any more)."""
        for work in list(self._work.values()):
            work.cancel()

    # ----------------------------------------------------------- tasks/* served

    async def _lookup(self, params: dict[str, Any]) -> TaskData:
        task_id = params["taskId"]  # a string: shape checked by mcpcore.inbound
        data = await self.store.get(task_id, _OWNER)
        if data is None:
            raise RpcError(INVALID_PARAMS, f"Invalid params: unknown or expired task {task_id!r}")
        return data

    async def get(self, params: dict[str, Any]) -> dict[str, Any]:
        """``tasks/get``: the task's state."""
        return legacy_view(await self._lookup(params))

    async def list(self, params: dict[str, Any]) -> dict[str, Any]:
        """``tasks/list``: every task of this connection, paginated."""
        page, next_cursor = self._paginator.page(await self.store.list(_OWNER), params.get("cursor"))
        result: dict[str, Any] = {"tasks": [legacy_view(data) for data in page]}
        if next_cursor is not None:
            result["nextCursor"] = next_cursor
        return result

    async def cancel(self, params: dict[str, Any]) -> dict[str, Any]:
        """``tasks/cancel``: cancelled before the answer; a terminal task is -32602."""
        data = await self._lookup(params)
        cancelled = await self.store.transition(data.task_id, "cancelled", "Cancelled by the server")
        if cancelled is None:
            raise RpcError(
                INVALID_PARAMS,
                f"Invalid params: task {data.task_id!r} is already {data.status} and cannot be cancelled",
            )
        work = self._work.get(data.task_id)
        if work is not None:
            work.cancel()
        return legacy_view(cancelled)

    async def result(self, params: dict[str, Any]) -> dict[str, Any]:
        """``tasks/result``: wait until terminal, then exactly what the request would have returned."""
        data = await self._lookup(params)
        work = self._work.get(data.task_id)
        if work is not None and data.status not in TERMINAL:
            await asyncio.wait({work})
            data = await self._lookup(params)
        return task_result(data)


# ------------------------------------------------------------------ requestor (2026-07-28)

#: Bounds on the poll interval a server suggests (``pollIntervalMs``), in seconds.
_MIN_POLL_S: Final = 0.01
_MAX_POLL_S: Final = 5.0

#: Sends one ``tasks/*`` request (the session's, with the 2026-07-28 envelope) and returns its result.
Send = Callable[[str, dict[str, Any]], Coroutine[Any, Any, dict[str, Any]]]
#: Answers a task's ``inputRequests`` (the session's handlers): the ``inputResponses`` for them.
Answer = Callable[[dict[str, Any]], Coroutine[Any, Any, dict[str, Any]]]


async def follow(created: dict[str, Any], send: Send, answer: Answer) -> dict[str, Any]:
    """Drive a server's task (2026-07-28 ``CreateTaskResult``) to its end; return the tool's result.

    The extension's "Backwards Compatibility" note: a client "can transparently
    drive the polling flow internally and surface only the final, completed
    result". Polls ``tasks/get`` every ``pollIntervalMs`` (bounded to 10 ms ..
    5 s); answers each ``inputRequests`` key once, through ``tasks/update``; a
    ``failed`` task raises its JSON-RPC error, a ``cancelled`` one -32603. The
    caller bounds the whole wait (the request's timeout).
    """
    task_id = created["taskId"]  # the CreateTaskResult's shape: checked by mcpcore.inbound
    task = created
    answered: set[str] = set()
    while True:
        status = task.get("status")
        if status == "completed":
            result = task.get("result")
            if type(result) is not dict:
                raise RpcError(INTERNAL_ERROR, f"task {task_id!r} completed without a result object")
            return {key: value for key, value in result.items() if key != "resultType"}
        if status == "failed":
            error = task.get("error")
            if type(error) is dict and type(error.get("code")) is int:
                raise RpcError(error["code"], str(error.get("message", "")), error.get("data"))
            raise RpcError(INTERNAL_ERROR, f"task {task_id!r} failed without an error object")
        if status == "cancelled":
            raise RpcError(INTERNAL_ERROR, f"task {task_id!r} was cancelled")
        if status == "input_required":
            requests = task.get("inputRequests")
            pending = (
                {key: request for key, request in requests.items() if key not in answered}
                if type(requests) is dict
                else {}
            )
            if pending:
                responses = await answer(pending)
                answered.update(pending)
                await send("tasks/update", {"taskId": task_id, "inputResponses": responses})
        interval = task.get("pollIntervalMs")
        delay = interval / 1000 if type(interval) is int else 0.5
        await asyncio.sleep(min(max(delay, _MIN_POLL_S), _MAX_POLL_S))  # the protocol's own polling
        task = await send("tasks/get", {"taskId": task_id})
