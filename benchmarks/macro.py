"""Shared machinery of the end-to-end runs: interleaved rounds, failures kept as notes, medians."""

from __future__ import annotations

import sys
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from benchmarks.peers import ServerSpec
from mcpcore.bench import BenchResult, median_result


@dataclass
class Outcome:
    """Every run of every server in one transport, and what went wrong."""

    runs: dict[str, list[BenchResult]] = field(default_factory=dict)
    failures: dict[str, str] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)

    def medians(self) -> list[BenchResult]:
        return [median_result(results) for results in self.runs.values() if results]


def interleaved(
    specs: Sequence[ServerSpec],
    rounds: int,
    measure: Callable[[ServerSpec], BenchResult],
    label: str,
) -> Outcome:
    """Run ``measure`` on each server once per round, rotating the order so position bias cancels.

    A server that fails is measured no further and its error is kept; the
    others carry on.
    """
    outcome = Outcome()
    started = time.perf_counter()
    live = list(specs)
    for spec in live:
        outcome.runs[spec.name] = []
    for round_number in range(rounds):
        shift = round_number % max(len(live), 1)
        for spec in live[shift:] + live[:shift]:
            if spec.name in outcome.failures:
                continue
            elapsed = time.perf_counter() - started
            print(
                f"[{label} {round_number + 1}/{rounds}, {elapsed:.0f} s] {spec.name}",
                file=sys.stderr,
                flush=True,
            )
            try:
                outcome.runs[spec.name].append(measure(spec))
            except Exception as exc:
                detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()
                print(f"  {spec.name} failed: {detail}", file=sys.stderr)
                outcome.failures[spec.name] = detail
    for name in list(outcome.runs):
        if not outcome.runs[name]:
            del outcome.runs[name]
    return outcome
