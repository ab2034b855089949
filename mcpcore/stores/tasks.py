"""The task store contract: what a store must keep about tasks, and the few async methods that keep it.

A task is a tool call that answered at once with a handle and finishes in the
background (:mod:`mcpcore.registry.tasks` serves both protocol eras on top of
this). The store holds **data only**: the work itself (the asyncio task, the
futures a task waits on for its client's answers) stays in the process that
runs it (:mod:`mcpcore.registry.task_runs`). So a store can be shared by
replicas: a task created on one is read, cancelled and answered on any other.

What a store keeps per task (:class:`TaskData`): its id; its **owner** (a
string key: ``"m:<principal>"`` on the 2026-07-28 wire, ``"c:<connection>"``
for a 2025-11-25 connection); its status and status message; created and
last-updated times; its TTL and suggested poll interval; its result or error
once terminal; the input requests it waits on and the answers not yet taken by
its runner.

Invariants every implementation keeps (the contract tests in
``tests/stores/test_task_store.py`` run against each):

* **Owner isolation.** :meth:`TaskStore.get`, :meth:`~TaskStore.list` and
  :meth:`~TaskStore.answer` see a task only with its owner's key; any other
  key gets None / nothing, exactly as for an unknown id.
* **The status machine.** Statuses move along :data:`TRANSITIONS` only and
  never leave a terminal one, even when two replicas race (a cancel against a
  completion: the first write wins, the other is refused).
* **TTL.** A task is dropped ``ttl_ms`` after its creation. A shared store puts
  a TTL on every key it writes, so its memory is bounded with no sweeper.
* **Caps.** At most :attr:`TaskLimits.max_tasks` tasks (per owner in a shared
  store, where a fleet-wide count would need a lock): at the bound, expired
  ones go first, then the oldest terminal one; if every one is still running,
  :meth:`~TaskStore.create` refuses with -32603.
* **Dead runners.** A store shared by processes (``heartbeat_interval`` not
  None) gives each running task a lease its runner renews through
  :meth:`~TaskStore.heartbeat`; a reader that finds a non-terminal task whose
  lease lapsed marks it failed with :data:`WORKER_DIED`, so no task stays
  "working" for ever after its process died.
* **Cross-process cancel.** Cancelling is a terminal transition in the store;
  the runner learns it from its next :meth:`~TaskStore.heartbeat` (the ids it
  must stop) and stops the work. No pub/sub is needed, and a cancel is never
  lost while a runner is briefly unreachable.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Literal, Protocol

from mcpcore.errors import INTERNAL_ERROR, LocalProtocolError, RpcError

__all__ = [
    "DEFAULT_MAX_TASKS",
    "DEFAULT_MAX_TTL_MS",
    "DEFAULT_POLL_INTERVAL_MS",
    "DEFAULT_TTL_MS",
    "TERMINAL",
    "TRANSITIONS",
    "WORKER_DIED",
    "InvalidTransition",
    "TaskData",
    "TaskLimits",
    "TaskStatus",
    "TaskStore",
    "too_many_tasks",
    "wire_key",
]

TaskStatus = Literal["working", "input_required", "completed", "failed", "cancelled"]

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

#: The error a task gets when the process running it died (its lease lapsed).
WORKER_DIED: Final[dict[str, Any]] = {
    "code": INTERNAL_ERROR,
    "message": "Internal error: the worker running this task died before it finished",
}


class InvalidTransition(LocalProtocolError):
    """A status change the machine does not allow (a bug in the caller, never the peer's fault)."""


def too_many_tasks(limit: int) -> RpcError:
    """The answer to a create at the bound with every task still running."""
    return RpcError(
        INTERNAL_ERROR, f"Internal error: too many running tasks (the limit is {limit}); try again later"
    )


def wire_key(key: str, used: set[str]) -> str:
    """A wire key for ``key`` never used before in the task (adds it to ``used``)."""
    candidate, n = key, 1
    while candidate in used:
        n += 1
        candidate = f"{key}-{n}"
    used.add(candidate)
    return candidate


@dataclass(slots=True)
class TaskData:
    """One task as a store keeps it. Readers treat it as a snapshot and never mutate it."""

    task_id: str
    owner: str
    status: str
    created_at: float  #: epoch seconds
    updated_at: float  #: epoch seconds
    ttl_ms: int | None
    poll_interval_ms: int
    status_message: str | None = None
    result: dict[str, Any] | None = None
    error: dict[str, Any] | None = None
    #: Outstanding requests to the client by wire key (empty unless ``input_required``).
    input_requests: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: Answers taken by ``tasks/update`` that the runner has not collected yet, by wire key.
    answers: dict[str, Any] = field(default_factory=dict)
    #: Every wire key this task ever used (the spec forbids reusing one).
    keys_used: set[str] = field(default_factory=set)

    @property
    def terminal(self) -> bool:
        return self.status in TERMINAL


@dataclass(frozen=True, slots=True)
class TaskLimits:
    """The bounds a store enforces, the same for every implementation (see ``Server(max_tasks=...)``)."""

    max_tasks: int = DEFAULT_MAX_TASKS
    default_ttl_ms: int | None = DEFAULT_TTL_MS
    max_ttl_ms: int | None = DEFAULT_MAX_TTL_MS
    poll_interval_ms: int = DEFAULT_POLL_INTERVAL_MS

    def __post_init__(self) -> None:
        if self.max_tasks < 1:
            raise ValueError("max_tasks must be at least 1")
        for name, value in (("default_ttl_ms", self.default_ttl_ms), ("max_ttl_ms", self.max_ttl_ms)):
            if value is not None and value < 1:
                raise ValueError(f"{name} must be a positive number of milliseconds (or None: unlimited)")
        if self.poll_interval_ms < 1:
            raise ValueError("poll_interval_ms must be a positive number of milliseconds")
        if (
            self.default_ttl_ms is not None
            and self.max_ttl_ms is not None
            and self.default_ttl_ms > self.max_ttl_ms
        ):
            raise ValueError("default_ttl_ms must not exceed max_ttl_ms")

    def ttl_for(self, requested: int | None) -> int | None:
        """The TTL a task gets when the client asked for ``requested`` ms (None: asked for nothing)."""
        if requested is None:
            return self.default_ttl_ms
        if self.max_ttl_ms is not None:
            return min(requested, self.max_ttl_ms)
        return requested


class TaskStore(Protocol):
    """Where tasks live. Every method is async because a shared store does I/O.

    Implementations: :class:`~mcpcore.stores.memory.InMemoryTaskStore` (one
    process, the default) and :class:`~mcpcore.stores.redis.RedisTaskStore`.
    Methods taking a ``task_id`` without an ``owner`` are called by the runner
    of that task (the server itself), never with an id a peer chose.
    """

    #: The bounds this store enforces.
    limits: TaskLimits
    #: Seconds between the runner's :meth:`heartbeat` calls; None when the store is one process's own.
    heartbeat_interval: float | None
    #: True only if no method ever suspends (no I/O): the server then runs store calls inline,
    #: without an asyncio task per request. A store that sets it and suspends fails loudly.
    synchronous: bool

    async def create(self, owner: str, *, ttl_ms: int | None = None) -> TaskData:
        """A new ``working`` task of ``owner`` (TTL from :meth:`TaskLimits.ttl_for`), readable at once.

        Raises :func:`too_many_tasks` when the bound is reached and nothing can be evicted.
        """
        ...

    async def get(self, task_id: str, owner: str) -> TaskData | None:
        """The task if it exists, belongs to ``owner`` and has not expired (a dead runner's: failed)."""
        ...

    async def list(self, owner: str) -> list[TaskData]:
        """``owner``'s live tasks, oldest first."""
        ...

    async def transition(
        self,
        task_id: str,
        status: str,
        message: str | None = None,
        *,
        result: dict[str, Any] | None = None,
        error: dict[str, Any] | None = None,
    ) -> TaskData | None:
        """Move the task to ``status`` (with its result or error), atomically.

        Returns the updated task, or None when it is gone or the machine
        refuses the step (e.g. it is terminal already: the first terminal
        write wins). A terminal status clears the outstanding input requests.
        """
        ...

    async def ask(self, task_id: str, requests: Mapping[str, dict[str, Any]]) -> dict[str, str]:
        """Add input requests (status becomes ``input_required``); returns each key's wire key.

        Wire keys are never reused within a task: ``key``, then ``key-2``, ...
        """
        ...

    async def answer(self, task_id: str, responses: Mapping[str, Any]) -> int:
        """Take answers to outstanding wire keys (others are ignored); returns how many were taken.

        The caller has checked each answer against its request. Once nothing
        is outstanding an ``input_required`` task is ``working`` again.
        """
        ...

    async def take_answers(self, task_id: str, wire_keys: Collection[str]) -> dict[str, Any]:
        """Remove and return the answers waiting for ``wire_keys`` (the runner collects them)."""
        ...

    async def heartbeat(self, task_ids: Collection[str]) -> set[str]:
        """Renew the leases of tasks this process runs; returns those whose work must stop.

        A task must stop when the store no longer has it or it became terminal
        elsewhere (a cancel from another replica, or its lease lapsed).
        """
        ...

    async def forget(self, owner: str) -> None:
        """Drop every task of ``owner`` (a 2025-11-25 connection ended: nobody can read them again)."""
        ...

    async def close(self) -> None:
        """Release connections (a no-op for the in-memory store)."""
        ...
