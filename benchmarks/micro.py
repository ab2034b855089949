"""Shared machinery of the micro benchmarks: cases, timing, JSON lines out.

Each ``bench_*.py`` module defines ``cases() -> list[Case]``; run as a script
it times them and prints one JSON object per case (the runner starts each
module in its own subprocess so that one module's garbage cannot slow
another's). Timing: ``timeit.Timer.autorange`` picks a loop count that runs
for at least 0.2 s, then the best of ``repeat`` such loops is kept (the
minimum is the figure least disturbed by other processes).
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


def time_case(case: Case, repeat: int = 5, number: int | None = None) -> float:
    """Nanoseconds per operation: best of ``repeat`` autoranged loops (or loops of ``number`` calls)."""
    timer = timeit.Timer(case.fn)
    if number is None:
        number, _ = timer.autorange()
    best = min(timer.repeat(repeat=repeat, number=number))
    return best / number / case.per_call * 1e9


def run(layer: str, cases: Sequence[Case], argv: Sequence[str] | None = None) -> list[dict[str, object]]:
    """Time every case and print JSON lines (or a table with ``--table``)."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--number", type=int, default=None, help="calls per loop (default: autorange)")
    parser.add_argument("--table", action="store_true")
    args = parser.parse_args(argv)
    rows: list[dict[str, object]] = []
    for case in cases:
        ns = time_case(case, args.repeat, args.number)
        row: dict[str, object] = {"layer": layer, "case": case.name, "ns": ns, "note": case.note}
        rows.append(row)
        if not args.table:
            sys.stdout.write(orjson.dumps(row).decode() + "\n")
            sys.stdout.flush()
    if args.table:
        print(format_micro(rows))
    return rows


def format_micro(rows: Sequence[dict[str, object]]) -> str:
    """A Markdown table of micro results."""
    lines = ["| layer | case | time per op | ops/s | note |", "| --- | --- | --- | --- | --- |"]
    for row in rows:
        ns = float(row["ns"])  # type: ignore[arg-type]
        shown = f"{ns:,.0f} ns" if ns < 10_000 else f"{ns / 1000:,.1f} us"
        lines.append(f"| {row['layer']} | {row['case']} | {shown} | {1e9 / ns:,.0f} | {row['note']} |")
    return "\n".join(lines)
