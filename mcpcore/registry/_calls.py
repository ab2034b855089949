"""Calling user functions the way the tool registry does, for resources, prompts and completers.

A registered function runs in one of three ways, fixed at registration:
``async def`` on the loop (its coroutine is handed to the router, which runs
it as a task), a plain function inline on the loop (``run="loop"``: no task at
all), or a plain function in mcpcore's worker threads (``run="thread"``, the
default for plain functions, because it may block). The threads are the
server's :class:`ThreadPool`, shared by its tools, resources and prompts.

:func:`invoke` returns either the finished value or a coroutine; :func:`then`
applies a conversion to whichever it got, so a handler stays synchronous when
the function is.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import os
import queue
import threading
import weakref
from collections.abc import Callable, Coroutine
from types import CoroutineType
from typing import Any, Final, Literal

from mcpcore.context import Context
from mcpcore.errors import INTERNAL_ERROR, RpcError
from mcpcore.registry.signature import ToolSignature, derive_signature

__all__ = [
    "DEFAULT_MAX_THREADS",
    "Job",
    "RunMode",
    "ThreadPool",
    "busy_threads",
    "invoke",
    "run_mode",
    "signature_of",
    "then",
]

RunMode = Literal["loop", "thread"]


def signature_of(fn: Callable[..., Any], what: str) -> ToolSignature:
    """Parameters, docs and the context parameter of ``fn`` (its return annotation is not compiled)."""
    try:
        return derive_signature(fn, output_schema={})
    except TypeError as exc:
        raise TypeError(f"{what}: {exc}") from None


def run_mode(signature: ToolSignature, run: RunMode | None, what: str) -> RunMode:
    """The effective run mode: ``loop`` for coroutines, ``thread`` for plain functions unless told."""
    mode: RunMode = run if run is not None else ("loop" if signature.is_async else "thread")
    if mode == "thread" and signature.is_async:
        raise ValueError(f"{what} is async: it runs on the loop, not in a thread")
    return mode


def invoke(
    fn: Callable[..., Any],
    kwargs: dict[str, Any],
    mode: RunMode,
    signature: ToolSignature,
    context: Context,
) -> Any:
    """Call ``fn``: its value (inline), or a coroutine (async function or thread hop)."""
    if signature.context_parameter is not None:
        kwargs = {**kwargs, signature.context_parameter: context}
    if signature.is_async or mode == "loop":
        return fn(**kwargs)
    return _in_thread(context.connection.server.threads, fn, kwargs)


#: Worker threads per server unless ``Server(max_threads=)`` says otherwise: ThreadPoolExecutor's own
#: default. Sync tools mostly wait on I/O (the GIL is released), so a few more threads than cores
#: keep the CPUs busy; CPU-bound tools gain nothing from more threads than cores; and the cap of 32
#: keeps a many-core machine from holding hundreds of idle stacks per server. At least 5, so that a
#: couple of hung tools on a one-core machine leave threads for everyone else.
DEFAULT_MAX_THREADS: Final = min(32, (os.cpu_count() or 1) + 4)

# Where a job stands; changed only under its pool's lock.
_QUEUED: Final = 0
_RUNNING: Final = 1
_HUNG: Final = 2  # running, but its caller's timeout has passed: nobody will wait for it any more
_DONE: Final = 3
_DROPPED: Final = 4  # abandoned before a thread picked it up: it never runs

#: Every pool alive in this process, for :func:`busy_threads` at exit (weak: a server may be dropped).
_POOLS: Final[weakref.WeakSet[ThreadPool]] = weakref.WeakSet()


class _Handoff:
    """Outcomes from the worker threads to one loop, in batches.

    Waking a loop from another thread costs a write to its self-pipe and a
    scheduled callback. With many calls finishing together, one wake-up
    drains every outcome that is ready instead of one wake-up per call.
    """

    __slots__ = ("_lock", "_ready", "_scheduled", "loop")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self._lock = threading.Lock()
        self._ready: list[tuple[asyncio.Future[Any], bool, Any]] = []
        self._scheduled = False

    def put(self, future: asyncio.Future[Any], ok: bool, value: Any) -> None:
        """From a worker thread: deliver ``value`` (or raise it, when not ``ok``) to ``future``."""
        with self._lock:
            self._ready.append((future, ok, value))
            if self._scheduled:
                return  # a drain is already on its way and will take this one too
            self._scheduled = True
        with contextlib.suppress(RuntimeError):  # a closed loop: nobody waits any more
            self.loop.call_soon_threadsafe(self._drain)

    def _drain(self) -> None:
        with self._lock:
            ready, self._ready = self._ready, []
            self._scheduled = False
        for future, ok, value in ready:
            if future.done():
                continue  # cancelled meanwhile
            if ok:
                future.set_result(value)
            else:
                future.set_exception(value)


class Job:
    """One call handed to the worker threads: what the thread runs, and where it stands.

    It replaces the ``functools.partial`` the hop needed anyway, so the
    accounting costs no extra allocation per call.
    """

    __slots__ = ("_context", "_fn", "_handoff", "_kwargs", "_pool", "_state", "future")

    def __init__(
        self, pool: ThreadPool, fn: Callable[..., Any], kwargs: dict[str, Any], handoff: _Handoff
    ) -> None:
        self._pool = pool
        self._handoff = handoff
        self._context = contextvars.copy_context()
        self._fn = fn
        self._kwargs = kwargs
        self._state = _QUEUED
        #: The call's outcome on the loop.
        self.future: asyncio.Future[Any] = handoff.loop.create_future()

    def __call__(self) -> None:
        """Run the function in a worker thread, with the caller's context variables; hand back the outcome."""
        pool = self._pool
        with pool.lock:
            pool.queued -= 1
            # Dropped after a timeout, or cancelled on the loop (a cancelled request) before a thread got
            # here: it never runs. (Reading the future's state from this thread is a plain field read.)
            skip = self._state == _DROPPED or self.future.cancelled()
            if not skip:
                self._state = _RUNNING
                pool.busy += 1
        if skip:
            self._handoff.put(self.future, True, None)  # nobody reads it; a waiter still gets its answer
            return
        ok = True
        value: Any
        try:
            value = self._context.run(self._fn, **self._kwargs)
        except BaseException as exc:  # the caller's await raises it, whatever it is
            ok, value = False, exc
        finally:
            with pool.lock:
                pool.busy -= 1
                if self._state == _HUNG:
                    pool.hung -= 1
                self._state = _DONE
        self._handoff.put(self.future, ok, value)

    def abandon(self) -> None:
        """Its caller stopped waiting (timeout): hung until it returns if running; never run if queued."""
        pool = self._pool
        with pool.lock:
            if self._state == _RUNNING:
                self._state = _HUNG
                pool.hung += 1
            elif self._state == _QUEUED:
                self._state = _DROPPED


class ThreadPool:
    """One server's worker threads (``Server(max_threads=)``), counting the busy and the hung.

    A thread cannot be stopped, so a tool past its timeout keeps its thread
    until it returns on its own. Such threads are counted as *hung*; once every
    thread is hung, :meth:`start` refuses at once (the caller answers an error)
    instead of queueing work that no thread may ever pick up.

    The threads are mcpcore's own, not the loop's default executor: closing a
    loop joins its default executor's threads, so one tool blocked for ever
    would keep the process from ever exiting. They are daemon threads for the
    same reason; :func:`busy_threads` lets the process's entry point see one
    still running and say so when it exits.

    Nor are they a :class:`~concurrent.futures.ThreadPoolExecutor`: its
    ``submit`` makes a ``concurrent.futures.Future`` (with a condition
    variable) and a work item per call, and takes a semaphore, all of which
    the loop-side :class:`Job` and its asyncio future already cover. Here a
    call is one ``SimpleQueue.put`` (C) and one uncontended lock; a thread is
    started only when the queued and running calls outnumber the threads.
    """

    def __init__(self, max_threads: int = DEFAULT_MAX_THREADS) -> None:
        if type(max_threads) is not int or max_threads < 1:
            raise ValueError("max_threads must be an int >= 1")
        self.max_threads = max_threads
        #: Threads running a function now (hung ones included).
        self.busy = 0
        #: Threads running a function whose caller's timeout has passed.
        self.hung = 0
        #: Calls handed over that no thread has picked up yet.
        self.queued = 0
        #: Worker threads started (they live as long as the process; idle ones wait on the queue).
        self.threads = 0
        self.lock = threading.Lock()
        self._queue: queue.SimpleQueue[Job] = queue.SimpleQueue()
        self._handoff: _Handoff | None = None
        _POOLS.add(self)

    def refusal(self) -> str:
        """What a refused caller is told."""
        return (
            f"all {self.max_threads} worker threads are held by tool calls that passed their timeout; "
            "try again later"
        )

    def start(self, fn: Callable[..., Any], kwargs: dict[str, Any]) -> Job | None:
        """Queue ``fn(**kwargs)`` for a worker thread; None (refused) when every thread is hung."""
        if self.hung >= self.max_threads:
            return None
        loop = asyncio.get_running_loop()
        handoff = self._handoff
        if handoff is None or handoff.loop is not loop:
            handoff = self._handoff = _Handoff(loop)
        job = Job(self, fn, kwargs, handoff)
        number = 0
        with self.lock:
            self.queued += 1
            # Every call not yet done needs a thread of its own (threads only for servers that use them).
            spawn = self.busy + self.queued > self.threads and self.threads < self.max_threads
            if spawn:
                self.threads += 1
                number = self.threads
        self._queue.put(job)
        if spawn:
            name = f"mcpcore-worker-{number}"
            try:
                threading.Thread(target=_work, args=(self._queue,), name=name, daemon=True).start()
            except RuntimeError:  # the system has no thread left: the started ones serve the queue
                with self.lock:
                    self.threads -= 1
                if number == 1:
                    raise
        return job


def _work(jobs: queue.SimpleQueue[Job]) -> None:
    """A worker thread: run calls as they come, for as long as the process lives."""
    while True:
        job = jobs.get()
        job()
        del job  # let the call's arguments and outcome go while this thread waits for the next


def busy_threads() -> int:
    """Worker threads still running a function, in every server of this process.

    They cannot be stopped, only abandoned at exit.
    """
    return sum(pool.busy for pool in list(_POOLS))


async def _in_thread(pool: ThreadPool, fn: Callable[..., Any], kwargs: dict[str, Any]) -> Any:
    job = pool.start(fn, kwargs)
    if job is None:
        raise RpcError(INTERNAL_ERROR, f"Internal error: {pool.refusal()}")
    return await job.future


def then(outcome: Any, convert: Callable[[Any], Any]) -> Any:
    """``convert(outcome)`` now, or a coroutine doing it once ``outcome`` (a coroutine) finishes."""
    if type(outcome) is CoroutineType or asyncio.iscoroutine(outcome):
        return _then(outcome, convert)
    return convert(outcome)


async def _then(coro: Coroutine[Any, Any, Any], convert: Callable[[Any], Any]) -> Any:
    return convert(await coro)
