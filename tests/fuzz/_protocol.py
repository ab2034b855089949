"""Shared set-up of the protocol fuzz tests: how many cases, which seed, how to start a server.

``MCPCORE_FUZZ_EXAMPLES`` (the same knob as the Hypothesis fuzzers, see
:mod:`tests.fuzz._support`) sets the cases per run: a CI-sized default, many
more under ``make fuzz``. The seed is fixed unless ``MCPCORE_FUZZ_RANDOM`` is
set; every failure message names the seed, so a random run's finding replays.
"""

from __future__ import annotations

import asyncio
import os
import random
import sys
from collections.abc import Coroutine
from typing import Any, TypeVar

from mcpcore.check import Target
from mcpcore.check.fuzz import Finding
from mcpcore.loop import run as run_loop
from tests.fuzz._support import EXAMPLES
from tests.helpers import ROOT

T = TypeVar("T")

#: Cases per server and loop (150 by default: every message of every version, several mutations each).
COUNT = EXAMPLES
SEED = random.randrange(2**32) if os.environ.get("MCPCORE_FUZZ_RANDOM") else 0
#: A generous per-answer bound: a busy CI machine is slow, not broken.
TIMEOUT = 10.0


def stdio_target(args: list[str], loop: str) -> Target:
    """A server under test as a real subprocess on ``loop``."""
    env = {**os.environ, "MCPCORE_LOOP": loop, "PYTHONPATH": str(ROOT)}
    return Target([sys.executable, *args], env=env, cwd=str(ROOT), timeout=TIMEOUT)


def run_on(coro: Coroutine[Any, Any, T], loop: str, deadline: float = 600) -> T:
    """Run ``coro`` on the named loop under a deadline (a stuck run fails instead of hanging CI)."""

    async def guarded() -> T:
        return await asyncio.wait_for(coro, deadline)

    return run_loop(guarded(), loop=loop)  # type: ignore[arg-type]


def describe(findings: list[Finding]) -> str:
    """A failure message that replays: seed, case index, the bytes sent and what happened."""
    lines = [f"{len(findings)} finding(s) with seed {SEED}, {COUNT} cases:"]
    for finding in findings[:20]:
        sent = finding.case.data[:400].decode("utf-8", "replace").rstrip()
        lines.append(
            f"  [{finding.kind}] #{finding.case.index} {finding.case.version} {finding.case.description}"
        )
        lines.append(f"      {finding.detail[:400]}")
        lines.append(f"      sent: {sent}")
    return "\n".join(lines)
