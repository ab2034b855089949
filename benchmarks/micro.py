"""Shared machinery of the micro benchmarks: cases, timing, JSON lines out.

Each ``bench_*.py`` module defines ``cases() -> list[Case]``; run as a script
it times them and prints one JSON object per case (the runner starts each
module in its own subprocess so that one module's garbage cannot slow
another's). Timing: a loop count is picked (1-2-5 steps, like
``timeit.Timer.autorange``) so that one loop lasts at least 50 ms, then the
best of ``repeat`` such loops is kept (the minimum is the figure least
disturbed by other processes), the loops of all cases of a module interleaved.
"""

from __future__ import annotations

import argparse
import sys
import timeit
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import orjson


@dataclass
class Case:
    """One micro benchmark: ``fn()`` does ``per_call`` operations of what ``name`` says."""

    name: str
    fn: Callable[[], object]
    per_call: int = 1
    note: str = ""


#: Seconds one timed loop lasts at least (timeit's own autorange uses 0.2 s; shorter loops and more
#: of them keep ``make bench`` quick while the minimum still filters out other processes' bursts).
LOOP_SECONDS = 0.05


def _autorange(timer: timeit.Timer) -> int:
    """The smallest 1-2-5 loop count whose loop lasts at least LOOP_SECONDS."""
    scale = 1
    while True:
        for factor in (1, 2, 5):
            number = scale * factor
            if timer.timeit(number) >= LOOP_SECONDS:
                return number
        scale *= 10


def time_cases(cases: Sequence[Case], repeat: int = 5, number: int | None = None) -> list[float]:
    """Nanoseconds per operation of each case: the best of ``repeat`` loops.

    Loop counts come from ``autorange`` (or ``number``); then the loops of
    all cases are interleaved, round after round, so a burst of load from
    another process hits every case alike instead of one case's whole run.
    """
    timers = [timeit.Timer(case.fn) for case in cases]
    numbers = [number or _autorange(timer) for timer in timers]
    best = [float("inf")] * len(cases)
    for _ in range(repeat):
        for index, timer in enumerate(timers):
            best[index] = min(best[index], timer.timeit(numbers[index]))
    return [best[i] / numbers[i] / cases[i].per_call * 1e9 for i in range(len(cases))]


def run(layer: str, cases: Sequence[Case], argv: Sequence[str] | None = None) -> list[dict[str, object]]:
    """Time every case and print JSON lines (or a table with ``--table``)."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--number", type=int, default=None, help="calls per loop (default: autorange)")
    parser.add_argument("--table", action="store_true")
    args = parser.parse_args(argv)
    rows: list[dict[str, object]] = [
        {"layer": layer, "case": case.name, "ns": ns, "note": case.note}
        for case, ns in zip(cases, time_cases(cases, args.repeat, args.number), strict=True)
    ]
    if args.table:
        print(format_micro(rows))
    else:
        for row in rows:
            sys.stdout.write(orjson.dumps(row).decode() + "\n")
    return rows


def format_micro(rows: Sequence[dict[str, object]]) -> str:
    """A Markdown table of micro results."""
    lines = ["| layer | case | time per op | ops/s | note |", "| --- | --- | --- | --- | --- |"]
    for row in rows:
        ns = float(row["ns"])  # type: ignore[arg-type]
        shown = f"{ns:,.0f} ns" if ns < 10_000 else f"{ns / 1000:,.1f} us"
        lines.append(f"| {row['layer']} | {row['case']} | {shown} | {1e9 / ns:,.0f} | {row['note']} |")
    return "\n".join(lines)
