"""Choosing the event loop: uvloop where it exists, plain asyncio otherwise.

``MCPCORE_LOOP=asyncio`` (or ``uvloop``) in the environment overrides the
choice, which is how the test suite runs every end-to-end test on both.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Coroutine
from typing import Any, Literal, TypeVar

__all__ = ["LoopName", "loop_name", "new_event_loop", "run"]

T = TypeVar("T")
LoopName = Literal["uvloop", "asyncio"]


def _uvloop_available() -> bool:
    try:
        import uvloop  # noqa: F401
    except ImportError:
        return False
    return True


def loop_name(prefer: LoopName | None = None) -> LoopName:
    """The loop ``run`` will use: ``prefer``, else ``$MCPCORE_LOOP``, else uvloop when installed."""
    choice = prefer or os.environ.get("MCPCORE_LOOP") or None
    if choice not in (None, "uvloop", "asyncio"):
        raise ValueError(f"unknown event loop {choice!r} (expected 'uvloop' or 'asyncio')")
    if choice == "asyncio":
        return "asyncio"
    if _uvloop_available():
        return "uvloop"
    if choice == "uvloop":
        raise RuntimeError("uvloop was requested but is not installed")
    return "asyncio"


def new_event_loop(prefer: LoopName | None = None) -> asyncio.AbstractEventLoop:
    """A new loop of the chosen kind (see :func:`loop_name`)."""
    if loop_name(prefer) == "uvloop":
        import uvloop

        return uvloop.new_event_loop()
    return asyncio.new_event_loop()


def run(main: Coroutine[Any, Any, T], *, loop: LoopName | None = None) -> T:
    """Run ``main`` to completion on a new loop of the chosen kind, then close the loop.

    Unlike ``asyncio.run``, the tasks still pending at the end get a bounded
    time (``LEFTOVER_GRACE``) to unwind after being cancelled: a handler that
    swallows ``CancelledError`` must not keep the process alive for ever.
    """
    event_loop = new_event_loop(loop)
    try:
        return event_loop.run_until_complete(main)
    finally:
        try:
            _cancel_leftovers(event_loop)
            event_loop.run_until_complete(event_loop.shutdown_asyncgens())
        finally:
            event_loop.close()


#: Seconds tasks still pending when ``main`` returns get to finish after being cancelled.
LEFTOVER_GRACE = 1.0


def _cancel_leftovers(event_loop: asyncio.AbstractEventLoop) -> None:
    leftovers = asyncio.all_tasks(event_loop)
    if not leftovers:
        return
    for task in leftovers:
        task.cancel()
    _, stuck = event_loop.run_until_complete(asyncio.wait(leftovers, timeout=LEFTOVER_GRACE))
    if stuck:
        logging.getLogger("mcpcore.loop").error("%d task(s) ignored cancellation; abandoned", len(stuck))
