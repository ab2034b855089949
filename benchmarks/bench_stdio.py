"""Macro: every server end to end over stdio, in one run (interleaved rounds, medians).

Standalone: ``python -m benchmarks.bench_stdio [--rounds N] [--requests N] [--seconds S]``;
``make bench`` runs it through :mod:`benchmarks.runner`.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from benchmarks.macro import Outcome, interleaved
from benchmarks.peers import FLOOR, ServerSpec, servers
from mcpcore.bench import BenchResult, bench_stdio, format_table

#: In-flight levels of the pipelined phases (one in flight is the sequential phase already).
INFLIGHT = (16, 64)


def run(
    specs: Sequence[ServerSpec],
    *,
    rounds: int = 3,
    requests: int = 3000,
    seconds: float | None = 1.0,
    warmup: int = 200,
    inflight: Sequence[int] = INFLIGHT,
    pin: bool = True,
) -> Outcome:
    usable = [spec for spec in specs if spec.stdio is not None and spec.missing is None]

    def measure(spec: ServerSpec) -> BenchResult:
        assert spec.stdio is not None
        return bench_stdio(
            spec.name,
            spec.stdio,
            requests=requests,
            inflight=inflight,
            warmup=warmup,
            env=spec.stdio_env(),
            phase_seconds=seconds,
            pin=pin,
        )

    outcome = interleaved(usable, rounds, measure, "stdio")
    outcome.skipped = {spec.name: spec.missing for spec in specs if spec.missing is not None}
    return outcome


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--seconds", type=float, default=1.0)
    args = parser.parse_args()
    outcome = run(servers(), rounds=args.rounds, requests=args.requests, seconds=args.seconds)
    print(format_table(outcome.medians(), baseline=FLOOR))
    for name, why in {**outcome.skipped, **outcome.failures}.items():
        print(f"- {name}: {why}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
