"""Tasks: a tool call that answers at once with a handle and finishes in the background.

Two wire forms share one store and one status machine:

* **2025-11-25** (experimental, in core). The client asks for a task by adding
  ``params.task {ttl?}`` to ``tools/call``; the answer is
  ``CreateTaskResult {task}``. ``tasks/get`` polls, ``tasks/result`` blocks
  until the task is terminal and returns the tool's own result (or its error),
  ``tasks/list`` pages through the connection's tasks, ``tasks/cancel`` cancels
  (a terminal task: -32602). A tool declares ``execution.taskSupport``:
  ``forbidden`` (the default), ``optional`` or ``required``; a call against
  that declaration is -32601. Server-to-client requests made by a running
  task carry ``_meta["io.modelcontextprotocol/related-task"]``, and status
  changes are pushed as ``notifications/tasks/status``.
* **2026-07-28** (the ``io.modelcontextprotocol/tasks`` extension). The client
  declares the extension in each request's capabilities and the *server*
  decides: a task-capable tool answers with a flat ``CreateTaskResult``
  (``resultType: "task"``, ``taskId``, ``status``, ``ttlMs``,
  ``pollIntervalMs``). ``tasks/get`` inlines ``result``/``error`` once
  terminal and ``inputRequests`` while the task waits for the client, which
  answers through ``tasks/update``; ``tasks/cancel`` is an idempotent ack.
  Without the extension a task-capable tool runs synchronously, and a
  ``required`` one is -32021.

Statuses move ``working -> input_required <-> working -> completed | failed |
cancelled`` and never leave a terminal status (:data:`TRANSITIONS`). Task ids
come from :mod:`secrets` (they are bearer tokens on the stateless wire).

The data lives in a :class:`~mcpcore.stores.tasks.TaskStore` (in memory by
default; Redis with ``Server(store="redis://...")``, so any replica answers
for any task); the work lives where it runs (:mod:`mcpcore.registry.task_runs`).
Tasks are bound to an owner key: on 2026-07-28 the request's principal (the
bearer token's client and subject; one shared key without auth, where the
unguessable id is the capability), on 2025-11-25 the connection.

A tool error is a *completed* task whose result has ``isError``; only a
protocol error (an :class:`~mcpcore.errors.RpcError` from the tool) makes a
task *failed*, carrying that error.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Callable, Coroutine, Mapping
from datetime import datetime, timezone
from types import CoroutineType
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from mcpcore import versions
from mcpcore.context import Context
from mcpcore.errors import (
    INTERNAL_ERROR,
    INVALID_PARAMS,
    METHOD_NOT_FOUND,
    MISSING_CLIENT_CAPABILITY,
    RpcError,
)
from mcpcore.registry.input_required import InputRequired, check_response
from mcpcore.registry.pagination import Paginator
from mcpcore.registry.task_runs import EXTENSION, META_RELATED_TASK, Run, Runs, TaskContext
from mcpcore.router import Connection, Method
from mcpcore.stores.tasks import (
    DEFAULT_MAX_TASKS,
    DEFAULT_MAX_TTL_MS,
    DEFAULT_POLL_INTERVAL_MS,
    DEFAULT_TTL_MS,
    TERMINAL,
    TRANSITIONS,
    InvalidTransition,
    TaskData,
    TaskStatus,
    TaskStore,
)

if TYPE_CHECKING:
    from mcpcore.registry.tools import Tool
    from mcpcore.server import Server

__all__ = [
    "DEFAULT_MAX_TASKS",
    "DEFAULT_MAX_TTL_MS",
    "DEFAULT_POLL_INTERVAL_MS",
    "DEFAULT_TTL_MS",
    "EXTENSION",
    "LEGACY_STATUS",
    "META_RELATED_TASK",
    "STATUS",
    "TERMINAL",
    "TRANSITIONS",
    "InvalidTransition",
    "TaskContext",
    "TaskStatus",
    "TaskSupport",
    "Tasks",
    "declares_extension",
    "legacy_view",
    "missing_extension",
    "modern_view",
    "task_result",
]

_log = logging.getLogger("mcpcore.tasks")

T = TypeVar("T")
#: The status notification of 2025-11-25 (params: ``Task``) and of the 2026-07-28 extension
#: (params: ``DetailedTask``, on a ``subscriptions/listen`` stream that asked for the task).
LEGACY_STATUS = "notifications/tasks/status"
STATUS = "notifications/tasks"
TaskSupport = Literal["forbidden", "optional", "required"]
#: When a task-capable call becomes a task: before the tool runs, or when it calls ``ctx.detach()``.
DetachMode = Literal["start", "manual"]


def _iso(epoch: float) -> str:
    """RFC 3339 / ISO 8601 UTC with milliseconds, e.g. ``2025-11-25T10:30:00.000Z``."""
    return datetime.fromtimestamp(epoch, timezone.utc).isoformat(timespec="milliseconds")[:-6] + "Z"


def task_result(data: TaskData) -> dict[str, Any]:
    """What ``tasks/result`` answers for a terminal task, in both roles (server, and client-hosted tasks).

    The request's own result with the related-task ``_meta``; a failed task
    raises its JSON-RPC error, a cancelled one -32602 (it has no result).
    """
    related = {META_RELATED_TASK: {"taskId": data.task_id}}
    if data.status == "completed" and data.result is not None:
        meta = data.result.get("_meta")
        return {**data.result, "_meta": {**meta, **related} if type(meta) is dict else related}
    if data.status == "failed" and data.error is not None:
        error = data.error
        raise RpcError(int(error["code"]), str(error.get("message", "")), error.get("data"))
    raise RpcError(INVALID_PARAMS, f"Invalid params: task {data.task_id!r} was cancelled; it has no result")


def legacy_view(data: TaskData) -> dict[str, Any]:
    """The 2025-11-25 ``Task`` object."""
    view: dict[str, Any] = {
        "taskId": data.task_id,
        "status": data.status,
        "createdAt": _iso(data.created_at),
        "lastUpdatedAt": _iso(data.updated_at),
        "ttl": data.ttl_ms,
        "pollInterval": data.poll_interval_ms,
    }
    if data.status_message is not None:
        view["statusMessage"] = data.status_message
    return view


def modern_view(data: TaskData, *, detailed: bool) -> dict[str, Any]:
    """The extension's ``Task``; ``detailed`` adds ``inputRequests`` / ``result`` / ``error``."""
    view: dict[str, Any] = {
        "taskId": data.task_id,
        "status": data.status,
        "createdAt": _iso(data.created_at),
        "lastUpdatedAt": _iso(data.updated_at),
        "ttlMs": data.ttl_ms,
        "pollIntervalMs": data.poll_interval_ms,
    }
    if data.status_message is not None:
        view["statusMessage"] = data.status_message
    if detailed:
        if data.status == "input_required":
            view["inputRequests"] = dict(data.input_requests)
        elif data.status == "completed" and data.result is not None:
            view["result"] = {"resultType": "complete", **data.result}
        elif data.status == "failed" and data.error is not None:
            view["error"] = data.error
    return view


def declares_extension(capabilities: Mapping[str, Any]) -> bool:
    """Whether a 2026-07-28 request declared the tasks extension in its capabilities."""
    extensions = capabilities.get("extensions")
    return type(extensions) is dict and type(extensions.get(EXTENSION)) is dict


def missing_extension() -> RpcError:
    """-32021: the request needs the tasks extension its capabilities lack."""
    return RpcError(
        MISSING_CLIENT_CAPABILITY,
        f"Missing required client capability: extension {EXTENSION}",
        {"requiredCapabilities": {"extensions": {EXTENSION: {}}}},
    )


def _inline(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a synchronous store's coroutine to its end now (it never suspends: no task is needed)."""
    try:
        coroutine.send(None)
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]
    coroutine.close()
    raise RuntimeError("a task store declared synchronous suspended")


def _unknown(task_id: Any) -> RpcError:
    return RpcError(INVALID_PARAMS, f"Invalid params: unknown or expired task {task_id!r}")


class Tasks:
    """The server's task surface: the ``tools/call`` hook and the ``tasks/*`` methods, both eras.

    Nothing is offered until a task-capable tool is registered (:meth:`enable`):
    then 2025-11-25 sessions see the ``tasks`` capability and 2026-07-28
    ``server/discover`` lists the extension.
    """

    def __init__(self, server: Server, store: TaskStore, *, page_size: int | None = None) -> None:
        self.server = server
        self.store = store
        #: The tasks this process runs.
        self.runs = Runs(store)
        self._paginator = Paginator(page_size)
        self.enabled = False
        #: Called with every status change made here (an observer: delivery itself is below, in
        #: :meth:`_changed`, through the server's subscription bus).
        self.on_status: Callable[[TaskData], None] | None = None
        #: How a 2025-11-25 connection is named on every replica (e.g. its shared session's id):
        #: unguessable and bound to the session's principal, as a session id is. The connection is
        #: then addressed under that name on the bus, and its tasks outlive it (another replica may
        #: carry the session on). None: the connection's own random bus address
        #: (``Subscriptions.address_of``), so its tasks are served by this replica only.
        self.connection_key: Callable[[Connection], str] | None = None
        #: 2025-11-25 owner keys, one per connection (``"c:"`` + its bus address).
        self._owner_keys: weakref.WeakKeyDictionary[Connection, str] = weakref.WeakKeyDictionary()
        self._background: set[asyncio.Task[Any]] = set()

    def use_store(self, store: TaskStore) -> None:
        """Serve tasks from ``store`` from now on (before any task exists: tasks are not migrated)."""
        if len(self.runs):
            raise RuntimeError("cannot change the task store while tasks run")
        self.store = store
        self.runs = Runs(store)

    # ----------------------------------------------------------- declaration

    def enable(self) -> None:
        """Declare the legacy ``tasks`` capability and the 2026-07-28 extension (sticky)."""
        if self.enabled:
            return
        self.enabled = True
        capabilities = dict(self.server.capabilities)
        capabilities["tasks"] = {"list": {}, "cancel": {}, "requests": {"tools": {"call": {}}}}
        capabilities["extensions"] = {**capabilities.get("extensions", {}), EXTENSION: {}}
        self.server.capabilities = capabilities

    def methods(self) -> dict[str, Method]:
        """The ``tasks/*`` entries of the server's method table."""
        return {
            "tasks/get": Method(self._soon(self.get)),
            "tasks/cancel": Method(self._soon(self.cancel)),
            "tasks/result": Method(self.result, modern=False),
            "tasks/list": Method(self._soon(self.list), modern=False),
            "tasks/update": Method(self._soon(self.update), legacy=False),
        }

    def _soon(
        self, handler: Callable[[dict[str, Any], Context], Coroutine[Any, Any, T]]
    ) -> Callable[[dict[str, Any], Context], T | Coroutine[Any, Any, T]]:
        """``handler`` answered inline when the store is synchronous, else as a coroutine (a task)."""

        def entry(params: dict[str, Any], context: Context) -> T | Coroutine[Any, Any, T]:
            coroutine = handler(params, context)
            return _inline(coroutine) if self.store.synchronous else coroutine

        entry.__name__ = entry.__qualname__ = handler.__name__
        entry.__doc__ = handler.__doc__
        return entry

    # ----------------------------------------------------------------- owners

    def owner_of(self, context: Context, *, create: bool = True) -> str | None:
        """The owner key of ``context``'s tasks: its principal (2026-07-28) or its connection.

        The same principal yields the same key on every replica, so another
        replica serves its tasks and nobody else's.
        """
        if context.modern:
            token = context.access_token
            return "m:" + ("" if token is None else token.principal)
        connection = context.connection
        key = self._owner_keys.get(connection)
        if key is None:
            subscriptions = self.server.subscriptions
            name = self.connection_key
            if name is not None:
                address = name(connection)  # the same on every replica: its tasks may live elsewhere
                subscriptions.bind_address(connection, address)
            elif not create:
                return None  # this connection never made a task
            else:
                address = subscriptions.address_of(connection)  # random: this replica only
            key = "c:" + address
            if create:
                self._owner_keys[connection] = key
        return key

    def forget(self, connection: Connection) -> None:
        """A connection ended: its 2025-11-25 tasks can never be read again, so they stop.

        With :attr:`connection_key` set the session may go on through another
        replica, so its tasks are left to run and to expire with their TTL.
        """
        key = self._owner_keys.pop(connection, None)
        if key is None or self.connection_key is not None:
            return
        self.runs.stop_owner(key)
        if self.store.synchronous:
            _inline(self.store.forget(key))
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # no loop any more: the store's TTL drops them
            return
        cleanup = loop.create_task(self._forget(key))
        self._background.add(cleanup)
        cleanup.add_done_callback(self._background.discard)

    async def _forget(self, key: str) -> None:
        try:
            await self.store.forget(key)
        except RpcError:
            _log.warning("could not drop the tasks of a closed connection (their TTL will)")

    # -------------------------------------------------------- tools/call hook

    def dispatch(self, tool: Tool, params: dict[str, Any], context: Context) -> Any:
        """Decide how a ``tools/call`` runs: None (as usual), or a coroutine answering it.

        Called by the tool registry only for task-capable tools or calls
        carrying ``params.task``, so ordinary calls never come here.
        """
        if type(context) is TaskContext or not self.enabled:
            return None  # already running as a task, or no task surface offered
        support = tool.task_support
        if context.modern:
            if support is None:
                return None  # a legacy ``task`` hint never promotes a sync tool
            if not declares_extension(context.client_capabilities):
                if support == "required":
                    raise missing_extension()
                return None
            if tool.task_detach == "manual":
                return self._until_detached(params, context)
            return self._begin(params, context, None)
        if context.protocol_version != versions.V2025_11_25:
            return None  # tasks exist from 2025-11-25 on; earlier sessions run everything directly
        hint = params.get("task")
        if hint is None:
            if support == "required":
                raise RpcError(
                    METHOD_NOT_FOUND,
                    f"Method not found: tool {tool.name} must be called as a task "
                    '(its execution.taskSupport is "required")',
                )
            return None
        if support is None:
            raise RpcError(
                METHOD_NOT_FOUND, f"Method not found: tool {tool.name} does not support task-augmented calls"
            )
        ttl = hint.get("ttl")  # a positive integer or None: shape checked by mcpcore.inbound
        return self._begin(params, context, ttl)

    def _begin(self, params: dict[str, Any], context: Context, ttl_ms: int | None) -> Any:
        """The CreateTaskResult now (a synchronous store), or a coroutine making it."""
        starting = self._start(params, context, ttl_ms)
        return _inline(starting) if self.store.synchronous else starting

    async def create_for(
        self, context: TaskContext, ttl_ms: int | None, worker: asyncio.Task[Any] | None
    ) -> TaskData:
        """Store a new task for ``context`` (durable before it is announced) and adopt it as running here."""
        data = await self.store.create(context.owner, ttl_ms=ttl_ms)
        run = Run(data.task_id, context.owner, context, worker)
        context.adopt(run)
        self.runs.add(run)
        return data

    async def _start(self, params: dict[str, Any], context: Context, ttl_ms: int | None) -> dict[str, Any]:
        owner = self.owner_of(context)
        assert owner is not None
        task_context = TaskContext(context, self, owner)
        data = await self.create_for(task_context, ttl_ms, None)
        run = task_context.run
        assert run is not None
        run.worker = asyncio.get_running_loop().create_task(self._drive(params, task_context))
        return self._created(data, context)

    def _created(self, data: TaskData, context: Context) -> dict[str, Any]:
        if context.modern:
            return {"resultType": "task", **modern_view(data, detailed=False)}
        return {"task": legacy_view(data)}

    async def _until_detached(self, params: dict[str, Any], context: Context) -> Any:
        """Run a ``task_detach="manual"`` tool until it detaches (a task), returns or asks (MRTR)."""
        loop = asyncio.get_running_loop()
        owner = self.owner_of(context)
        assert owner is not None
        task_context = TaskContext(context, self, owner)
        detached: asyncio.Future[None] = loop.create_future()
        task_context.wait_detached(detached)
        runner = loop.create_task(self._drive(params, task_context))
        try:
            await asyncio.wait({runner, detached}, return_when=asyncio.FIRST_COMPLETED)
        except asyncio.CancelledError:
            if task_context.run is None:
                runner.cancel()
            raise
        run = task_context.run
        if run is not None:
            data = await self.store.get(run.task_id, owner)
            if data is None:
                raise _unknown(run.task_id)
            return self._created(data, context)
        detached.cancel()
        return runner.result()

    async def _drive(self, params: dict[str, Any], context: TaskContext) -> Any:
        """Run the tool; once it is a task, its outcome goes to the store instead of the request."""
        try:
            outcome = self.server.tools.call_tool(params, context)
            if type(outcome) is CoroutineType or asyncio.iscoroutine(outcome):
                outcome = await outcome
        except asyncio.CancelledError:
            if context.run is not None:
                await self._settle(context.run, "cancelled", "Cancelled")
            raise
        except InputRequired:
            if context.run is None:
                raise
            error = RpcError(INTERNAL_ERROR, "Internal error: a running task asked for input the wrong way")
            await self._settle(context.run, "failed", error=error.to_wire())
            return None
        except RpcError as exc:
            if context.run is None:
                raise
            await self._settle(context.run, "failed", error=exc.to_wire())
            return None
        except Exception:
            if context.run is None:
                raise
            _log.exception("task %s failed", context.run.task_id)
            error = RpcError(INTERNAL_ERROR, "Internal error")
            await self._settle(context.run, "failed", error=error.to_wire())
            return None
        if context.run is None:
            return outcome
        result = outcome if type(outcome) is dict else {"content": []}
        await self._settle(context.run, "completed", result=result)
        return None

    async def _settle(
        self,
        run: Run,
        status: TaskStatus,
        message: str | None = None,
        *,
        result: dict[str, Any] | None = None,
        error: dict[str, Any] | None = None,
    ) -> None:
        """Store the work's outcome (the first terminal write wins), then wake whoever waits on it."""
        if status == "failed" and message is None and error is not None:
            message = str(error.get("message", ""))
        try:
            await self.transition(run.task_id, status, message, result=result, error=error)
        except RpcError:
            _log.warning("task %s: could not store its outcome (its lease will lapse: failed)", run.task_id)
        finally:
            self.runs.ended(run.task_id)

    async def transition(
        self,
        task_id: str,
        status: TaskStatus,
        message: str | None = None,
        *,
        result: dict[str, Any] | None = None,
        error: dict[str, Any] | None = None,
    ) -> TaskData | None:
        """Change a task's status in the store and tell whoever follows it; None if refused."""
        data = await self.store.transition(task_id, status, message, result=result, error=error)
        if data is not None:
            self._changed(data)
        return data

    def _changed(self, data: TaskData) -> None:
        """A status changed here: tell whoever follows the task, on whichever replica holds them.

        One path for both eras, through the server's subscription bus: a
        2025-11-25 owner is a connection's bus address and gets
        ``notifications/tasks/status`` (the ``Task``); a 2026-07-28 owner is a
        principal, and its ``subscriptions/listen`` streams that asked for this
        ``taskId`` get ``notifications/tasks`` (the ``DetailedTask``, as
        ``tasks/get`` would answer now).
        """
        hook = self.on_status
        if hook is not None:
            try:
                hook(data)
            except Exception:
                _log.exception("task status hook failed")
        subscriptions = self.server.subscriptions
        if data.owner.startswith("c:"):
            subscriptions.notify_address(data.owner[2:], LEGACY_STATUS, legacy_view(data))
        else:
            subscriptions.notify_task(data.owner, data.task_id, STATUS, modern_view(data, detailed=True))

    # --------------------------------------------------------- tasks/* methods

    def _gate(self, context: Context) -> None:
        """Whether this request may use tasks at all (-32601 / -32021 otherwise)."""
        if not self.enabled:
            raise RpcError(METHOD_NOT_FOUND, f"Method not found: {context.method} (tasks are not offered)")
        if context.modern:
            if not declares_extension(context.client_capabilities):
                raise missing_extension()
        elif context.protocol_version != versions.V2025_11_25:
            raise RpcError(METHOD_NOT_FOUND, f"Method not found: {context.method}")

    async def _lookup(self, params: dict[str, Any], context: Context) -> TaskData:
        self._gate(context)
        task_id: str = params["taskId"]  # shape checked by mcpcore.inbound
        owner = self.owner_of(context, create=False)
        data = None if owner is None else await self.store.get(task_id, owner)
        if data is None:
            raise _unknown(task_id)
        return data

    async def get(self, params: dict[str, Any], context: Context) -> dict[str, Any]:
        """``tasks/get``: the task's state (2026-07-28: with its result, error or input requests)."""
        data = await self._lookup(params, context)
        if context.modern:
            return modern_view(data, detailed=True)
        return legacy_view(data)

    async def cancel(self, params: dict[str, Any], context: Context) -> dict[str, Any]:
        """``tasks/cancel``: 2025-11-25 answers the cancelled task (-32602 if terminal); 2026-07-28 acks.

        The store's status is the truth at once on every replica; the work
        stops here now, or on the replica running it at its next heartbeat.
        """
        data = await self._lookup(params, context)
        cancelled = await self.transition(data.task_id, "cancelled", "Cancelled by the client")
        if cancelled is not None:
            self.runs.stop(data.task_id)
        if context.modern:
            return {}
        if cancelled is None:
            now = await self.store.get(data.task_id, data.owner)
            status = now.status if now is not None else data.status
            raise RpcError(
                INVALID_PARAMS,
                f"Invalid params: task {data.task_id!r} is already {status} and cannot be cancelled",
            )
        return legacy_view(cancelled)

    async def update(self, params: dict[str, Any], context: Context) -> dict[str, Any]:
        """``tasks/update`` (2026-07-28): answers to the task's ``inputRequests``; an empty ack.

        Every answer to an outstanding key is checked first (-32602 for a
        malformed one, and then none is applied); unknown keys are ignored.
        """
        data = await self._lookup(params, context)
        responses = params["inputResponses"]  # an object: shape checked by mcpcore.inbound
        checked = {
            key: check_response(key, request, responses[key])
            for key, request in data.input_requests.items()
            if key in responses
        }
        if checked and await self.store.answer(data.task_id, checked):
            run = self.runs.get(data.task_id)
            if run is not None:
                run.wake()
        return {}

    async def list(self, params: dict[str, Any], context: Context) -> dict[str, Any]:
        """``tasks/list`` (2025-11-25): this connection's tasks, paginated."""
        self._gate(context)
        owner = self.owner_of(context, create=False)
        tasks = [] if owner is None else await self.store.list(owner)
        page, next_cursor = self._paginator.page(tasks, params.get("cursor"))
        result: dict[str, Any] = {"tasks": [legacy_view(data) for data in page]}
        if next_cursor is not None:
            result["nextCursor"] = next_cursor
        return result

    async def result(self, params: dict[str, Any], context: Context) -> dict[str, Any]:
        """``tasks/result`` (2025-11-25): wait until terminal, then the tool's own answer.

        Waits on the work when it runs here; otherwise polls the store every
        ``pollInterval``. The wait is bounded: the task expires with its TTL,
        and a task whose runner died is failed once its lease lapses.
        """
        data = await self._lookup(params, context)
        while data.status not in TERMINAL:
            run = self.runs.get(data.task_id)
            if run is not None:
                await run.finished()
            else:
                await asyncio.sleep(data.poll_interval_ms / 1000)
            found = await self.store.get(data.task_id, data.owner)
            if found is None:
                raise _unknown(data.task_id)
            data = found
        return task_result(data)
