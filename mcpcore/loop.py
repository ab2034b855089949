"""Choosing the event loop: uvloop where it exists, plain asyncio otherwise.

``MCPCORE_LOOP=asyncio`` (or ``uvloop``) in the environment overrides the
choice, which is how the test suite runs every end-to-end test on both.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Coroutine
from typing import Any, Literal, TypeVar

__all__ = ["LoopName", "loop_name", "run"]

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


def run(main: Coroutine[Any, Any, T], *, loop: LoopName | None = None) -> T:
    """Run ``main`` to completion on a new loop of the chosen kind."""
    if loop_name(loop) == "uvloop":
        import uvloop

        return uvloop.run(main)
    return asyncio.run(main)
