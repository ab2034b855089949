"""Calling user functions the way the tool registry does, for resources, prompts and completers.

A registered function runs in one of three ways, fixed at registration:
``async def`` on the loop (its coroutine is handed to the router, which runs
it as a task), a plain function inline on the loop (``run="loop"``: no task at
all), or a plain function in the loop's default thread pool (``run="thread"``,
the default for plain functions, because it may block).

:func:`invoke` returns either the finished value or a coroutine; :func:`then`
applies a conversion to whichever it got, so a handler stays synchronous when
the function is.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
from collections.abc import Callable, Coroutine
from types import CoroutineType
from typing import Any, Literal

from mcpcore.context import Context
from mcpcore.registry.signature import ToolSignature, derive_signature

__all__ = ["RunMode", "invoke", "run_mode", "signature_of", "then"]

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


async def _in_thread(fn: Callable[..., Any], kwargs: dict[str, Any]) -> Any:
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(None, functools.partial(contextvars.copy_context().run, fn, **kwargs))


def then(outcome: Any, convert: Callable[[Any], Any]) -> Any:
    """``convert(outcome)`` now, or a coroutine doing it once ``outcome`` (a coroutine) finishes."""
    if type(outcome) is CoroutineType or asyncio.iscoroutine(outcome):
        return _then(outcome, convert)
    return convert(outcome)


async def _then(coro: Coroutine[Any, Any, Any], convert: Callable[[Any], Any]) -> Any:
    return convert(await coro)
