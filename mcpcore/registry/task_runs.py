"""The running side of tasks: the work of the tasks this process runs, beside the store's data.

A :class:`~mcpcore.stores.tasks.TaskStore` keeps what a task *is* (status,
result, input requests) where any replica can read it. What only the process
running a task can hold stays here: its asyncio task, the context it runs
with, the event its ``ask`` waits on, and the event ``tasks/result`` waits on.

* :class:`Runs` is this process's table of running tasks. While it is not
  empty it calls :meth:`TaskStore.heartbeat` every ``heartbeat_interval``
  (a shared store: renewing the leases that prove this process alive, and
  learning which tasks were cancelled or expired elsewhere, which it stops);
  an in-memory store is swept every :data:`LOCAL_SWEEP_S` for tasks that
  expired while running.
* :class:`TaskContext` is what a task-capable tool receives.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

from mcpcore.context import Context
from mcpcore.errors import RpcError
from mcpcore.registry.input_required import declared, missing_capability, required_capability
from mcpcore.stores.tasks import TaskStore

if TYPE_CHECKING:
    from mcpcore.registry.tasks import Tasks

__all__ = ["EXTENSION", "LOCAL_SWEEP_S", "META_RELATED_TASK", "Run", "Runs", "TaskContext"]

_log = logging.getLogger("mcpcore.tasks")

#: The 2026-07-28 extension identifier (capabilities ``extensions`` key).
EXTENSION: Final = "io.modelcontextprotocol/tasks"
#: The ``_meta`` key tying a message to the task it belongs to (2025-11-25).
META_RELATED_TASK: Final = "io.modelcontextprotocol/related-task"
#: How often an in-memory store's running tasks are checked for expiry (seconds).
LOCAL_SWEEP_S: Final = 5.0


def _current_task() -> asyncio.Task[Any] | None:
    try:
        return asyncio.current_task()
    except RuntimeError:
        return None


class Run:
    """One task this process runs: its work, its context, and what waits on it."""

    __slots__ = ("_answered", "_done", "context", "owner", "task_id", "worker")

    def __init__(
        self, task_id: str, owner: str, context: TaskContext, worker: asyncio.Task[Any] | None
    ) -> None:
        self.task_id = task_id
        self.owner = owner
        self.context = context
        #: The background work (cancelled with the task); kept here so it is strongly referenced.
        self.worker = worker
        self._answered: asyncio.Event | None = None
        self._done: asyncio.Event | None = None

    def wake(self) -> None:
        """Answers for this task reached the store: its ``ask`` collects them now."""
        if self._answered is not None:
            self._answered.set()

    async def answered(self, timeout: float | None) -> None:
        """Return when :meth:`wake` was called (or after ``timeout`` seconds, to poll the store)."""
        if self._answered is None:
            self._answered = asyncio.Event()
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._answered.wait(), timeout)
        self._answered.clear()

    async def finished(self) -> None:
        """Return once the work ended and its outcome is in the store."""
        if self._done is None:
            self._done = asyncio.Event()
        await self._done.wait()

    def stop(self) -> None:
        """Stop the work: its context reads as cancelled and its asyncio task is cancelled."""
        self.context.cancelled = True
        worker = self.worker
        if worker is not None and worker is not _current_task():
            worker.cancel()

    def ended(self) -> None:
        if self._done is not None:
            self._done.set()


class Runs:
    """The tasks this process runs, kept alive in the store (heartbeat) while there are any."""

    def __init__(self, store: TaskStore) -> None:
        self.store = store
        self._runs: dict[str, Run] = {}
        self._beat: asyncio.Task[None] | None = None

    def __len__(self) -> int:
        return len(self._runs)

    def get(self, task_id: str) -> Run | None:
        return self._runs.get(task_id)

    def add(self, run: Run) -> None:
        self._runs[run.task_id] = run
        if self._beat is None:
            self._beat = asyncio.get_running_loop().create_task(self._heartbeat())

    def ended(self, task_id: str) -> None:
        """The work of ``task_id`` ended and its outcome is stored: wake its waiters, forget it."""
        run = self._runs.pop(task_id, None)
        if run is not None:
            run.ended()

    def stop(self, task_id: str) -> None:
        run = self._runs.get(task_id)
        if run is not None:
            run.stop()

    def stop_owner(self, owner: str) -> None:
        for run in [run for run in self._runs.values() if run.owner == owner]:
            run.stop()

    async def _heartbeat(self) -> None:
        """Renew leases / sweep while tasks run; ends at the first tick with none (not per task)."""
        interval = self.store.heartbeat_interval or LOCAL_SWEEP_S
        try:
            while True:
                await asyncio.sleep(interval)
                if not self._runs:
                    return
                try:
                    stop = await self.store.heartbeat(list(self._runs))
                except RpcError:
                    continue  # the store is unreachable: the lease may lapse; readers then fail the task
                for task_id in stop:
                    self.stop(task_id)
        finally:
            self._beat = None

    async def ask(self, run: Run, requests: Mapping[str, dict[str, Any]]) -> dict[str, Any]:
        """Park the task in ``input_required`` until every request is answered; return the answers.

        Answers taken on this process wake the wait at once; a shared store is
        also polled every ``pollInterval``, for answers taken by another replica.
        """
        store = self.store
        wire = await store.ask(run.task_id, requests)
        if not wire:
            raise asyncio.CancelledError  # the task ended meanwhile (cancelled, expired)
        pending = {wire_key: key for key, wire_key in wire.items()}
        poll = None if store.heartbeat_interval is None else store.limits.poll_interval_ms / 1000
        answers: dict[str, Any] = {}
        while pending:
            await run.answered(poll)
            for wire_key, value in (await store.take_answers(run.task_id, list(pending))).items():
                answers[pending.pop(wire_key)] = value
        return answers


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

    __slots__ = ("_detached", "_tasks", "owner", "run")

    def __init__(self, base: Context, tasks: Tasks, owner: str) -> None:
        super().__init__(
            base.connection,
            base.request_id,
            base.method,
            base.params,
            base.envelope,
            responder=base.responder,
        )
        self._tasks = tasks
        #: The owner key the task is (or will be) stored under.
        self.owner = owner
        #: This process's handle on the running task (None before :meth:`detach`).
        self.run: Run | None = None
        self._detached: asyncio.Future[None] | None = None

    @property
    def task_id(self) -> str | None:
        """The task this call runs as (None before :meth:`detach`)."""
        return self.run.task_id if self.run is not None else None

    def adopt(self, run: Run) -> None:
        """From now on this is background work: the request it came with is answered already."""
        self.run = run
        if self.modern:
            self.responder = _DISCARD
        else:
            self.responder = None  # the connection's own stream (stdio, or the session's GET stream)

    def wait_detached(self, future: asyncio.Future[None]) -> None:
        """Resolve ``future`` when the tool detaches (``task_detach="manual"``)."""
        self._detached = future

    async def detach(self) -> None:
        """Become a task now: the client is answered with a CreateTaskResult and this keeps running.

        A no-op when already a task (every call of a ``task_detach="start"``
        tool, and every 2025-11-25 task).
        """
        if self.run is not None:
            return
        await self._tasks.create_for(self, None, _current_task())
        if self._detached is not None and not self._detached.done():
            self._detached.set_result(None)
        await asyncio.sleep(0)  # let the request answer before the tool goes on

    async def ask(
        self,
        requests: Mapping[str, dict[str, Any]],
        *,
        state: Any = None,
        timeout: float | None = None,
        task: bool | int = False,
    ) -> dict[str, Any]:
        run = self.run
        if run is None:
            return await super().ask(requests, state=state, timeout=timeout, task=task)
        if self.modern:
            capabilities = self.client_capabilities
            for request in requests.values():
                if not declared(capabilities, request):
                    _, needed = required_capability(request)
                    raise missing_capability(needed)
            return await self._tasks.runs.ask(run, requests)
        related = {META_RELATED_TASK: {"taskId": run.task_id}}
        tagged = {
            key: {**request, "params": {**(request.get("params") or {}), "_meta": related}}
            for key, request in requests.items()
        }
        await self._tasks.transition(run.task_id, "input_required")
        try:
            return await super().ask(tagged, state=state, timeout=timeout, task=task)
        finally:
            await self._tasks.transition(run.task_id, "working")  # refused unless input_required
