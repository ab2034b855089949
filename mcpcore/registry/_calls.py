"""Calling user functions the way the tool registry does, for resources, prompts and completers.

A registered function runs in one of three ways, fixed at registration:
``async def`` on the loop (its coroutine is handed to the router, which runs
it as a task), a plain function inline on the loop (``run="loop"``: no task at
all), or a plain function in mcpcore's worker threads (``run="thread"``, the
default for plain functions, because it may block).

The workers are mcpcore's own pool, not the loop's default executor: closing a
loop joins its default executor's threads, so one tool blocked for ever would
keep the process from ever exiting. :func:`busy_workers` lets the process's
entry point see such a thread and exit anyway once shutdown is done.

:func:`invoke` returns either the finished value or a coroutine; :func:`then`
applies a conversion to whichever it got, so a handler stays synchronous when
the function is.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import os
import threading
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from types import CoroutineType
from typing import Any, Literal

from mcpcore.context import Context
from mcpcore.registry.signature import ToolSignature, derive_signature

__all__ = ["RunMode", "busy_workers", "in_thread", "invoke", "run_mode", "signature_of", "then"]

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
    return _in_thread(fn, kwargs)


class _Workers:
    """mcpcore's worker threads, created on first use, counting the calls still running."""

    def __init__(self) -> None:
        self.executor: ThreadPoolExecutor | None = None
        self.busy = 0
        self.lock = threading.Lock()

    def run(self, call: Callable[[], Any]) -> Any:
        with self.lock:
            self.busy += 1
        try:
            return call()
        finally:
            with self.lock:
                self.busy -= 1

    def submit(self, call: Callable[[], Any]) -> asyncio.Future[Any]:
        if self.executor is None:
            size = min(32, (os.cpu_count() or 1) + 4)
            self.executor = ThreadPoolExecutor(size, thread_name_prefix="mcpcore-worker")
        return asyncio.get_running_loop().run_in_executor(self.executor, self.run, call)


_WORKERS = _Workers()


def in_thread(fn: Callable[..., Any], kwargs: dict[str, Any]) -> asyncio.Future[Any]:
    """Start ``fn(**kwargs)`` in a worker thread (with the caller's context variables)."""
    return _WORKERS.submit(functools.partial(contextvars.copy_context().run, fn, **kwargs))


def busy_workers() -> int:
    """Worker threads still running a function (they cannot be stopped, only abandoned at exit)."""
    return _WORKERS.busy


async def _in_thread(fn: Callable[..., Any], kwargs: dict[str, Any]) -> Any:
    return await in_thread(fn, kwargs)


def then(outcome: Any, convert: Callable[[Any], Any]) -> Any:
    """``convert(outcome)`` now, or a coroutine doing it once ``outcome`` (a coroutine) finishes."""
    if type(outcome) is CoroutineType or asyncio.iscoroutine(outcome):
        return _then(outcome, convert)
    return convert(outcome)


async def _then(coro: Coroutine[Any, Any, Any], convert: Callable[[Any], Any]) -> Any:
    return convert(await coro)
