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
come from :mod:`secrets` (they are bearer tokens on the stateless wire). The
store is bounded: at most ``max_tasks`` records; each expires ``ttl`` after
its creation (expired ones are dropped and their work cancelled).

A tool error is a *completed* task whose result has ``isError``; only a
protocol error (an :class:`~mcpcore.errors.RpcError` from the tool) makes a
task *failed*, carrying that error.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Callable, Coroutine, Mapping
from datetime import datetime, timezone
from types import CoroutineType
from typing import TYPE_CHECKING, Any, Final, Literal

from mcpcore import versions
from mcpcore.context import Context
from mcpcore.errors import (
    INTERNAL_ERROR,
    INVALID_PARAMS,
    METHOD_NOT_FOUND,
    MISSING_CLIENT_CAPABILITY,
    LocalProtocolError,
    RpcError,
)
from mcpcore.registry.input_required import (
    InputRequired,
    check_response,
    declared,
    missing_capability,
    required_capability,
)
from mcpcore.registry.pagination import Paginator
from mcpcore.router import Connection, Method

if TYPE_CHECKING:
    from mcpcore.registry.tools import Tool
    from mcpcore.server import Server

__all__ = [
    "EXTENSION",
    "META_RELATED_TASK",
    "TERMINAL",
    "TRANSITIONS",
    "InvalidTransition",
    "TaskContext",
    "TaskRecord",
    "TaskStatus",
    "TaskStore",
    "TaskSupport",
    "Tasks",
]

_log = logging.getLogger("mcpcore.tasks")

#: The 2026-07-28 extension identifier (capabilities ``extensions`` key).
EXTENSION: Final = "io.modelcontextprotocol/tasks"
#: The ``_meta`` key tying a message to the task it belongs to (2025-11-25).
META_RELATED_TASK: Final = "io.modelcontextprotocol/related-task"

TaskStatus = Literal["working", "input_required", "completed", "failed", "cancelled"]
TaskSupport = Literal["forbidden", "optional", "required"]
#: When a task-capable call becomes a task: before the tool runs, or when it calls ``ctx.detach()``.
DetachMode = Literal["start", "manual"]

TERMINAL: Final = frozenset({"completed", "failed", "cancelled"})
#: The status machine as data: which status may follow which.
TRANSITIONS: Final[dict[str, frozenset[str]]] = {
    "working": frozenset({"input_required", "completed", "failed", "cancelled"}),
    "input_required": frozenset({"working", "completed", "failed", "cancelled"}),
    "completed": frozenset(),
    "failed": frozenset(),
    "cancelled": frozenset(),
}

DEFAULT_MAX_TASKS: Final = 1000
DEFAULT_TTL_MS: Final = 3_600_000
DEFAULT_MAX_TTL_MS: Final = 86_400_000
DEFAULT_POLL_INTERVAL_MS: Final = 500

#: Owner of every 2026-07-28 task: the stateless wire has no connection to scope by, the id is the key.
MODERN_OWNER: Final[object] = object()


class InvalidTransition(LocalProtocolError):
    """A status change the machine does not allow (a bug in the caller, never the peer's fault)."""


def _iso(epoch: float) -> str:
    """RFC 3339 / ISO 8601 UTC with milliseconds, e.g. ``2025-11-25T10:30:00.000Z``."""
    return datetime.fromtimestamp(epoch, timezone.utc).isoformat(timespec="milliseconds")[:-6] + "Z"


class _Input:
    """One outstanding request a task made to its client (2026-07-28 ``inputRequests`` entry)."""

    __slots__ = ("future", "key", "request")

    def __init__(self, key: str, request: dict[str, Any], future: asyncio.Future[Any] | None) -> None:
        self.key = key  # the key the tool used (the wire key may differ: keys are unique per task)
        self.request = request
        self.future = future


class TaskRecord:
    """One task: its status, timestamps, TTL, outcome, outstanding input, and the work running it."""

    __slots__ = (
        "_done",
        "_inputs",
        "_keys_used",
        "context",
        "created_at",
        "error",
        "expires_at",
        "on_change",
        "owner",
        "poll_interval_ms",
        "result",
        "runner",
        "status",
        "status_message",
        "task_id",
        "ttl_ms",
        "updated_at",
    )

    def __init__(
        self,
        task_id: str,
        owner: object,
        *,
        ttl_ms: int | None,
        poll_interval_ms: int,
        now: float,
        wall: float,
    ) -> None:
        self.task_id = task_id
        self.owner = owner
        self.status: str = "working"
        self.status_message: str | None = None
        self.created_at = wall
        self.updated_at = wall
        self.ttl_ms = ttl_ms
        self.poll_interval_ms = poll_interval_ms
        #: Monotonic deadline after which the store may drop the task (None: never).
        self.expires_at = None if ttl_ms is None else now + ttl_ms / 1000
        self.result: dict[str, Any] | None = None
        self.error: dict[str, Any] | None = None
        #: The background work (cancelled with the task); kept here so it is strongly referenced.
        self.runner: asyncio.Task[Any] | None = None
        #: The context the work runs with (its ``cancelled`` flag is set on cancel).
        self.context: Context | None = None
        #: Called after every status change (legacy status notifications).
        self.on_change: Callable[[TaskRecord], None] | None = None
        self._inputs: dict[str, _Input] = {}
        self._keys_used: set[str] = set()
        self._done: asyncio.Event | None = None

    # ------------------------------------------------------------ the machine

    @property
    def terminal(self) -> bool:
        return self.status in TERMINAL

    def transition(self, status: str, message: str | None = None, *, wall: float | None = None) -> None:
        """Move to ``status``; :class:`InvalidTransition` if the machine does not allow it."""
        if status not in TRANSITIONS[self.status]:
            raise InvalidTransition(f"task {self.task_id}: {self.status} -> {status} is not allowed")
        self.status = status
        self.status_message = message
        self.updated_at = time.time() if wall is None else wall
        if status in TERMINAL:
            self._finish()
        if self.on_change is not None:
            try:
                self.on_change(self)
            except Exception:
                _log.exception("task status callback failed")

    def complete(self, result: dict[str, Any]) -> bool:
        """Record the tool's result; False (and nothing changes) if the task was already terminal."""
        if self.terminal:
            return False
        self.result = result
        self.transition("completed")
        return True

    def fail(self, error: dict[str, Any], message: str | None = None) -> bool:
        """Record the protocol error the work ended with; False if already terminal."""
        if self.terminal:
            return False
        self.error = error
        self.transition("failed", message if message is not None else str(error.get("message", "")))
        return True

    def cancel(self, message: str = "Cancelled by the client") -> bool:
        """Cancel the task and its work; False if it was already terminal (cancellation is sticky)."""
        if self.terminal:
            return False
        self.transition("cancelled", message)
        if self.context is not None:
            self.context.cancelled = True
        runner = self.runner
        if runner is not None and runner is not _current_task():
            runner.cancel()
        return True

    def _finish(self) -> None:
        for item in self._inputs.values():
            if item.future is not None and not item.future.done():
                item.future.cancel()
        self._inputs.clear()
        if self._done is not None:
            self._done.set()

    async def wait(self) -> None:
        """Return once the task is terminal."""
        if self.terminal:
            return
        if self._done is None:
            self._done = asyncio.Event()
        await self._done.wait()

    # ------------------------------------------------------ input (2026-07-28)

    @property
    def input_requests(self) -> dict[str, dict[str, Any]]:
        """The outstanding requests by wire key (empty unless ``input_required``)."""
        return {key: item.request for key, item in self._inputs.items()}

    def _mint_key(self, key: str) -> str:
        """A wire key never used before in this task (the spec forbids reusing one)."""
        candidate, n = key, 1
        while candidate in self._keys_used:
            n += 1
            candidate = f"{key}-{n}"
        self._keys_used.add(candidate)
        return candidate

    async def ask(self, requests: Mapping[str, dict[str, Any]]) -> dict[str, Any]:
        """Park the task in ``input_required`` until the client answered every request; return the answers."""
        loop = asyncio.get_running_loop()
        waiting: dict[str, _Input] = {}
        for key, request in requests.items():
            item = _Input(key, request, loop.create_future())
            wire_key = self._mint_key(key)
            self._inputs[wire_key] = item
            waiting[wire_key] = item
        if self.status == "working":
            self.transition("input_required")
        try:
            answers = {item.key: await item.future for item in waiting.values()}  # type: ignore[misc]
        finally:
            for wire_key in waiting:
                self._inputs.pop(wire_key, None)
        return answers

    def answer(self, responses: Mapping[str, Any]) -> int:
        """Apply ``tasks/update`` answers; unknown or already answered keys are ignored.

        Every answer to an outstanding key is checked first (-32602 for a
        malformed one, and then none is applied). Returns how many were taken.
        Once nothing is outstanding the task is ``working`` again.
        """
        taken = [
            (item, check_response(key, item.request, responses[key]))
            for key, item in self._inputs.items()
            if key in responses
        ]
        for item, response in taken:
            if item.future is not None and not item.future.done():
                item.future.set_result(response)
        for key in [key for key, item in self._inputs.items() if item.future is None or item.future.done()]:
            del self._inputs[key]
        if taken and not self._inputs and self.status == "input_required":
            self.transition("working")
        return len(taken)

    # ----------------------------------------------------------------- views

    def legacy_view(self) -> dict[str, Any]:
        """The 2025-11-25 ``Task`` object."""
        view: dict[str, Any] = {
            "taskId": self.task_id,
            "status": self.status,
            "createdAt": _iso(self.created_at),
            "lastUpdatedAt": _iso(self.updated_at),
            "ttl": self.ttl_ms,
            "pollInterval": self.poll_interval_ms,
        }
        if self.status_message is not None:
            view["statusMessage"] = self.status_message
        return view

    def modern_view(self, *, detailed: bool) -> dict[str, Any]:
        """The extension's ``Task``; ``detailed`` adds ``inputRequests`` / ``result`` / ``error``."""
        view: dict[str, Any] = {
            "taskId": self.task_id,
            "status": self.status,
            "createdAt": _iso(self.created_at),
            "lastUpdatedAt": _iso(self.updated_at),
            "ttlMs": self.ttl_ms,
            "pollIntervalMs": self.poll_interval_ms,
        }
        if self.status_message is not None:
            view["statusMessage"] = self.status_message
        if detailed:
            if self.status == "input_required":
                view["inputRequests"] = self.input_requests
            elif self.status == "completed" and self.result is not None:
                view["result"] = {"resultType": "complete", **self.result}
            elif self.status == "failed" and self.error is not None:
                view["error"] = self.error
        return view


def _current_task() -> asyncio.Task[Any] | None:
    try:
        return asyncio.current_task()
    except RuntimeError:
        return None


class TaskStore:
    """Every live task, bounded in number and lifetime; no I/O, so it is tested synchronously.

    ``max_tasks`` bounds the records kept at once. When it is reached,
    expired tasks go first, then the oldest terminal one; if every task is
    still running, creating another is refused (-32603), so a client cannot
    make the server hold unbounded work. ``default_ttl_ms`` applies when the
    client asks for none (2025-11-25) and always from 2026-07-28, where the
    server decides; a requested TTL is capped at ``max_ttl_ms``.
    ``clock`` (monotonic) and ``wall`` (epoch) are injectable for tests.
    """

    def __init__(
        self,
        *,
        max_tasks: int = DEFAULT_MAX_TASKS,
        default_ttl_ms: int | None = DEFAULT_TTL_MS,
        max_ttl_ms: int | None = DEFAULT_MAX_TTL_MS,
        poll_interval_ms: int = DEFAULT_POLL_INTERVAL_MS,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
    ) -> None:
        if max_tasks < 1:
            raise ValueError("max_tasks must be at least 1")
        for name, value in (("default_ttl_ms", default_ttl_ms), ("max_ttl_ms", max_ttl_ms)):
            if value is not None and value < 1:
                raise ValueError(f"{name} must be a positive number of milliseconds (or None: unlimited)")
        if poll_interval_ms < 1:
            raise ValueError("poll_interval_ms must be a positive number of milliseconds")
        if default_ttl_ms is not None and max_ttl_ms is not None and default_ttl_ms > max_ttl_ms:
            raise ValueError("default_ttl_ms must not exceed max_ttl_ms")
        self.max_tasks = max_tasks
        self.default_ttl_ms = default_ttl_ms
        self.max_ttl_ms = max_ttl_ms
        self.poll_interval_ms = poll_interval_ms
        self._clock = clock
        self._wall = wall
        #: Insertion (creation) order: the oldest first.
        self._tasks: dict[str, TaskRecord] = {}

    def __len__(self) -> int:
        return len(self._tasks)

    def ttl_for(self, requested: int | None) -> int | None:
        """The TTL a task gets when the client asked for ``requested`` ms (None: asked for nothing)."""
        if requested is None:
            return self.default_ttl_ms
        if self.max_ttl_ms is not None:
            return min(requested, self.max_ttl_ms)
        return requested

    def create(self, owner: object, *, ttl_ms: int | None = None) -> TaskRecord:
        """A new ``working`` task owned by ``owner``, readable at once (durable before it is announced)."""
        if len(self._tasks) >= self.max_tasks:
            self._make_room()
        task_id = secrets.token_urlsafe(16)
        while task_id in self._tasks:  # pragma: no cover - 128 random bits
            task_id = secrets.token_urlsafe(16)
        record = TaskRecord(
            task_id,
            owner,
            ttl_ms=self.ttl_for(ttl_ms),
            poll_interval_ms=self.poll_interval_ms,
            now=self._clock(),
            wall=self._wall(),
        )
        self._tasks[task_id] = record
        return record

    def _make_room(self) -> None:
        self.purge()
        if len(self._tasks) < self.max_tasks:
            return
        for task_id, record in self._tasks.items():
            if record.terminal:
                del self._tasks[task_id]
                return
        raise RpcError(
            INTERNAL_ERROR,
            f"Internal error: too many running tasks (the limit is {self.max_tasks}); try again later",
        )

    def get(self, task_id: object, owner: object) -> TaskRecord | None:
        """The task, if it exists, belongs to ``owner`` and has not expired."""
        record = self._tasks.get(task_id) if type(task_id) is str else None
        if record is None or record.owner is not owner:
            return None
        if record.expires_at is not None and record.expires_at <= self._clock():
            self._drop(record)
            return None
        return record

    def owned_by(self, owner: object) -> list[TaskRecord]:
        """``owner``'s live tasks, oldest first."""
        now = self._clock()
        return [
            record
            for record in self._tasks.values()
            if record.owner is owner and (record.expires_at is None or record.expires_at > now)
        ]

    def purge(self) -> int:
        """Drop every expired task (cancelling its work); returns how many."""
        now = self._clock()
        expired = [r for r in self._tasks.values() if r.expires_at is not None and r.expires_at <= now]
        for record in expired:
            self._drop(record)
        return len(expired)

    def forget(self, owner: object) -> None:
        """Cancel and drop every task of ``owner`` (its connection ended: nobody can read them)."""
        for record in [r for r in self._tasks.values() if r.owner is owner]:
            self._drop(record)

    def _drop(self, record: TaskRecord) -> None:
        self._tasks.pop(record.task_id, None)
        record.on_change = None
        record.cancel("Expired")


# ============================================================ the request side


class _Discard:
    """Where a 2026-07-28 background task's own messages go: nowhere (its request is answered)."""

    def message(self, frame: bytes) -> None:
        pass

    def reply(self, frame: bytes | None, error: RpcError | None) -> None:
        pass


_DISCARD: Final = _Discard()


class TaskContext(Context):
    """The context a task-capable tool receives: a :class:`Context` that knows its task.

    Asking the client (``ask``/``elicit``/``sample``/``list_roots``) from a
    running task parks it in ``input_required``: 2026-07-28 surfaces the
    requests on ``tasks/get`` and waits for ``tasks/update``; 2025-11-25 sends
    them as server-to-client requests tagged with the related-task ``_meta``.
    A tool registered with ``task_detach="manual"`` runs as an ordinary call
    (multi-round-trip input included) until it awaits :meth:`detach`.
    """

    __slots__ = ("_detached", "_tasks", "task")

    def __init__(self, base: Context, tasks: Tasks, task: TaskRecord | None) -> None:
        super().__init__(
            base.connection,
            base.request_id,
            base.method,
            base.params,
            base.envelope,
            responder=base.responder,
        )
        self._tasks = tasks
        self.task = task
        self._detached: asyncio.Future[None] | None = None
        if task is not None:
            self._adopt(task)

    @property
    def task_id(self) -> str | None:
        """The task this call runs as (None before :meth:`detach`)."""
        return self.task.task_id if self.task is not None else None

    def _adopt(self, task: TaskRecord) -> None:
        """From now on this is background work: the request it came with is answered already."""
        self.task = task
        task.context = self
        if self.modern:
            self.responder = _DISCARD
        else:
            self.responder = None  # the connection's own stream (stdio, or the session's GET stream)

    async def detach(self) -> None:
        """Become a task now: the client is answered with a CreateTaskResult and this keeps running.

        A no-op when already a task (every call of a ``task_detach="start"``
        tool, and every 2025-11-25 task).
        """
        if self.task is not None:
            return
        record = self._tasks.create_record(self, None)
        record.runner = asyncio.current_task()
        self._adopt(record)
        if self._detached is not None and not self._detached.done():
            self._detached.set_result(None)
        await asyncio.sleep(0)  # let the request answer before the tool goes on

    async def ask(
        self,
        requests: Mapping[str, dict[str, Any]],
        *,
        state: Any = None,
        timeout: float | None = None,
    ) -> dict[str, Any]:
        task = self.task
        if task is None:
            return await super().ask(requests, state=state, timeout=timeout)
        if self.modern:
            capabilities = self.client_capabilities
            for request in requests.values():
                if not declared(capabilities, request):
                    _, needed = required_capability(request)
                    raise missing_capability(needed)
            return await task.ask(requests)
        related = {META_RELATED_TASK: {"taskId": task.task_id}}
        tagged = {
            key: {**request, "params": {**(request.get("params") or {}), "_meta": related}}
            for key, request in requests.items()
        }
        if task.status == "working":
            task.transition("input_required")
        try:
            return await super().ask(tagged, state=state, timeout=timeout)
        finally:
            if task.status == "input_required":
                task.transition("working")


def _declares_extension(capabilities: Mapping[str, Any]) -> bool:
    extensions = capabilities.get("extensions")
    return type(extensions) is dict and type(extensions.get(EXTENSION)) is dict


def _missing_extension() -> RpcError:
    return RpcError(
        MISSING_CLIENT_CAPABILITY,
        f"Missing required client capability: extension {EXTENSION}",
        {"requiredCapabilities": {"extensions": {EXTENSION: {}}}},
    )


class Tasks:
    """The server's task surface: the ``tools/call`` hook and the ``tasks/*`` methods, both eras.

    Nothing is offered until a task-capable tool is registered (:meth:`enable`):
    then 2025-11-25 sessions see the ``tasks`` capability and 2026-07-28
    ``server/discover`` lists the extension.
    """

    def __init__(self, server: Server, store: TaskStore, *, page_size: int | None = None) -> None:
        self.server = server
        self.store = store
        self._paginator = Paginator(page_size)
        self.enabled = False

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
            "tasks/get": Method(self.get),
            "tasks/cancel": Method(self.cancel),
            "tasks/result": Method(self.result, modern=False),
            "tasks/list": Method(self.list, modern=False),
            "tasks/update": Method(self.update, legacy=False),
        }

    def forget(self, connection: Connection) -> None:
        """A connection ended: its 2025-11-25 tasks can never be read again, so they stop."""
        self.store.forget(connection)

    # -------------------------------------------------------- tools/call hook

    def dispatch(self, tool: Tool, params: dict[str, Any], context: Context) -> Any:
        """Decide how a ``tools/call`` runs: None (as usual), a CreateTaskResult, or a coroutine.

        Called by the tool registry only for task-capable tools or calls
        carrying ``params.task``, so ordinary calls never come here.
        """
        if type(context) is TaskContext or not self.enabled:
            return None  # already running as a task, or no task surface offered
        support = tool.task_support
        if context.modern:
            if support is None:
                return None  # a legacy ``task`` hint never promotes a sync tool
            if not _declares_extension(context.client_capabilities):
                if support == "required":
                    raise _missing_extension()
                return None
            if tool.task_detach == "manual":
                return self._until_detached(params, context)
            return self._created(self._start(params, context, None), context)
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
        return self._created(self._start(params, context, ttl), context)

    def create_record(self, context: Context, ttl_ms: int | None) -> TaskRecord:
        """A new task for a call served under ``context`` (scoped to its connection on 2025-11-25)."""
        owner = MODERN_OWNER if context.modern else context.connection
        record = self.store.create(owner, ttl_ms=ttl_ms)
        if not context.modern:
            record.on_change = self._notify_status
        return record

    def _start(self, params: dict[str, Any], context: Context, ttl_ms: int | None) -> TaskRecord:
        record = self.create_record(context, ttl_ms)
        task_context = TaskContext(context, self, record)
        record.runner = asyncio.get_running_loop().create_task(self._drive(params, task_context))
        return record

    def _created(self, record: TaskRecord, context: Context) -> dict[str, Any]:
        if context.modern:
            return {"resultType": "task", **record.modern_view(detailed=False)}
        return {"task": record.legacy_view()}

    async def _until_detached(self, params: dict[str, Any], context: Context) -> Any:
        """Run a ``task_detach="manual"`` tool until it detaches (a task), returns or asks (MRTR)."""
        loop = asyncio.get_running_loop()
        task_context = TaskContext(context, self, None)
        detached: asyncio.Future[None] = loop.create_future()
        task_context._detached = detached
        runner = loop.create_task(self._drive(params, task_context))
        try:
            await asyncio.wait({runner, detached}, return_when=asyncio.FIRST_COMPLETED)
        except asyncio.CancelledError:
            if task_context.task is None:
                runner.cancel()
            raise
        if task_context.task is not None:
            return self._created(task_context.task, context)
        detached.cancel()
        return runner.result()

    async def _drive(self, params: dict[str, Any], context: TaskContext) -> Any:
        """Run the tool; once it is a task, its outcome goes to the task instead of the request."""
        try:
            outcome = self.server.tools.call_tool(params, context)
            if type(outcome) is CoroutineType or asyncio.iscoroutine(outcome):
                outcome = await outcome
        except asyncio.CancelledError:
            if context.task is not None:
                context.task.cancel()
            raise
        except InputRequired:
            if context.task is None:
                raise
            context.task.fail(
                RpcError(
                    INTERNAL_ERROR, "Internal error: a running task asked for input the wrong way"
                ).to_wire()
            )
            return None
        except RpcError as exc:
            if context.task is None:
                raise
            context.task.fail(exc.to_wire())
            return None
        except Exception:
            if context.task is None:
                raise
            _log.exception("task %s failed", context.task.task_id)
            context.task.fail(RpcError(INTERNAL_ERROR, "Internal error").to_wire())
            return None
        if context.task is None:
            return outcome
        context.task.complete(outcome if type(outcome) is dict else {"content": []})
        return None

    def _notify_status(self, record: TaskRecord) -> None:
        owner = record.owner
        if isinstance(owner, Connection) and not owner.closed:
            owner.notify_nowait("notifications/tasks/status", record.legacy_view())

    # --------------------------------------------------------- tasks/* methods

    def _gate(self, context: Context) -> None:
        """Whether this request may use tasks at all (-32601 / -32021 otherwise)."""
        if not self.enabled:
            raise RpcError(METHOD_NOT_FOUND, f"Method not found: {context.method} (tasks are not offered)")
        if context.modern:
            if not _declares_extension(context.client_capabilities):
                raise _missing_extension()
        elif context.protocol_version != versions.V2025_11_25:
            raise RpcError(METHOD_NOT_FOUND, f"Method not found: {context.method}")

    def _lookup(self, params: dict[str, Any], context: Context) -> TaskRecord:
        self._gate(context)
        task_id: str = params["taskId"]  # shape checked by mcpcore.inbound
        owner = MODERN_OWNER if context.modern else context.connection
        record = self.store.get(task_id, owner)
        if record is None:
            raise RpcError(INVALID_PARAMS, f"Invalid params: unknown or expired task {task_id!r}")
        return record

    def get(self, params: dict[str, Any], context: Context) -> dict[str, Any]:
        """``tasks/get``: the task's state (2026-07-28: with its result, error or input requests)."""
        record = self._lookup(params, context)
        if context.modern:
            return record.modern_view(detailed=True)
        return record.legacy_view()

    def cancel(self, params: dict[str, Any], context: Context) -> dict[str, Any]:
        """``tasks/cancel``: 2025-11-25 answers the cancelled task (-32602 if terminal); 2026-07-28 acks."""
        record = self._lookup(params, context)
        if context.modern:
            record.cancel()
            return {}
        if not record.cancel():
            raise RpcError(
                INVALID_PARAMS,
                f"Invalid params: task {record.task_id!r} is already {record.status} and cannot be cancelled",
            )
        return record.legacy_view()

    def update(self, params: dict[str, Any], context: Context) -> dict[str, Any]:
        """``tasks/update`` (2026-07-28): answers to the task's ``inputRequests``; an empty ack."""
        record = self._lookup(params, context)
        record.answer(params["inputResponses"])  # an object: shape checked by mcpcore.inbound
        return {}

    def list(self, params: dict[str, Any], context: Context) -> dict[str, Any]:
        """``tasks/list`` (2025-11-25): this connection's tasks, paginated."""
        self._gate(context)
        page, next_cursor = self._paginator.page(
            self.store.owned_by(context.connection), params.get("cursor")
        )
        result: dict[str, Any] = {"tasks": [record.legacy_view() for record in page]}
        if next_cursor is not None:
            result["nextCursor"] = next_cursor
        return result

    def result(self, params: dict[str, Any], context: Context) -> Coroutine[Any, Any, dict[str, Any]]:
        """``tasks/result`` (2025-11-25): wait until terminal, then the tool's own answer."""
        record = self._lookup(params, context)
        return self._result(record)

    async def _result(self, record: TaskRecord) -> dict[str, Any]:
        await record.wait()
        related = {META_RELATED_TASK: {"taskId": record.task_id}}
        if record.status == "completed" and record.result is not None:
            meta = record.result.get("_meta")
            return {**record.result, "_meta": {**meta, **related} if type(meta) is dict else related}
        if record.status == "failed" and record.error is not None:
            error = record.error
            data = error.get("data")
            raise RpcError(int(error["code"]), str(error.get("message", "")), data)
        raise RpcError(
            INVALID_PARAMS, f"Invalid params: task {record.task_id!r} was cancelled; it has no result"
        )
