"""End to end, every server, through ``mcpcore bench --compare``: the suite is a user of the bench.

:func:`compare` builds one ``mcpcore bench --compare NAME=COMMAND …`` command
line for the servers of one transport, runs it, and reads its ``--json``
file back. Nothing here measures anything itself, so what ``make bench``
reports is what anyone gets by running the printed command.

Standalone: ``python -m benchmarks.macro [--http] [--rounds N] …`` prints the table.
"""

from __future__ import annotations

import argparse
import os
import shlex
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import orjson

from benchmarks.peers import ROOT, ServerSpec, servers
from mcpcore.bench import PhaseResult, format_table

#: Closed-loop levels per transport: 1 (sequential latency), then throughput levels.
STDIO_LEVELS = (1, 16, 64)
HTTP_LEVELS = (1, 16)


@dataclass
class CompareRun:
    """One ``mcpcore bench --compare`` run: its command, its medians, what failed or was skipped."""

    command: list[str]
    results: list[PhaseResult] = field(default_factory=list)
    failures: dict[str, str] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)

    def get(self, server: str, phase: str) -> PhaseResult | None:
        return next((r for r in self.results if r.server == server and r.phase == phase), None)

    def shown_command(self) -> str:
        """The command as a reader would type it: ``python`` for this interpreter, paths from the checkout."""
        text = shlex.join(["python" if part == sys.executable else part for part in self.command])
        return text.replace(sys.executable, "python").replace(f"{ROOT}/", "")


def compare(
    specs: Sequence[ServerSpec],
    *,
    http: bool,
    rounds: int = 3,
    requests: int = 20_000,
    seconds: float | None = 0.6,
    warmup: int = 200,
    levels: Sequence[int] | None = None,
    pin: bool = True,
    html: Path | None = None,
) -> CompareRun:
    """Run ``mcpcore bench --compare`` over the usable servers of one transport."""
    usable = [s for s in specs if (s.http if http else s.stdio) is not None and s.missing is None]
    skipped = {s.name: s.missing for s in specs if s.missing is not None}
    if http:
        skipped.update(
            {s.name: "no HTTP server in this suite" for s in specs if s.http is None and not s.missing}
        )
    levels = levels or (HTTP_LEVELS if http else STDIO_LEVELS)
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "results.json"
        command = [sys.executable, "-m", "mcpcore", "bench", "--rounds", str(rounds)]
        command += ["--concurrency", ",".join(map(str, levels)), "--requests", str(requests)]
        command += ["--warmup", str(warmup)]
        if seconds is not None:
            command += ["--duration", str(seconds)]
        if pin:
            command.append("--pin")
        shown = [*command, *(["--html", str(html)] if html else []), "--json", "FILE"]
        run = CompareRun(shown, skipped=skipped)
        if not usable:
            return run
        specs_args = [spec.compare_arg(http) for spec in usable]
        command += [*(["--html", str(html)] if html else []), "--json", str(out), "--compare", *specs_args]
        run.command = [*shown, "--compare", *specs_args]
        label = "HTTP" if http else "stdio"
        print(f"[{label}] {len(usable)} servers, {rounds} rounds", file=sys.stderr, flush=True)
        subprocess.run(
            command,
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            stdout=sys.stderr,
            check=False,
            timeout=3600,
        )
        if not out.exists():
            run.failures = {spec.name: "mcpcore bench wrote no results" for spec in usable}
            return run
        document = orjson.loads(out.read_bytes())
    run.results = [PhaseResult.from_json(entry) for entry in document["results"]]
    run.failures = dict(document.get("failures", {}))
    return run


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--http", action="store_true")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--seconds", type=float, default=0.6)
    parser.add_argument("--no-pin", action="store_true")
    args = parser.parse_args()
    run = compare(
        servers(),
        http=args.http,
        rounds=args.rounds,
        requests=args.requests,
        seconds=args.seconds,
        pin=not args.no_pin,
    )
    print(format_table(run.results, markdown=True))
    for name, why in {**run.skipped, **run.failures}.items():
        print(f"- {name}: {why}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
