"""``make bench``: the whole suite in one run, printed as tables and written to RESULTS.md with a plot.

1. micro benchmarks of each layer (framing, messages, dispatch, validation),
   each module in its own subprocess;
2. every server end to end over stdio, then over HTTP, each as one
   ``mcpcore bench --compare`` run (interleaved rounds, medians, ratios to
   the floor): the suite uses the bench exactly as anyone can;
3. 1,000 concurrent keep-alive HTTP clients held on mcpcore, and a profile
   of where mcpcore's time goes;
4. scale-out (benchmarks/scaleout.py): 1 and 2 pre-forked workers, and the
   Redis store against the in-memory one (``--only-scaleout`` runs only this);
5. the issues' targets (benchmarks/targets.py), each a ratio measured in
   this run, PASS or MISS.

Every sentence with a figure in RESULTS.md is computed from this run's
results; nothing is written in by hand. ``--write`` (the default of ``make
bench``) stores benchmarks/RESULTS.md, results.svg, results.json and
report.html (the stdio comparison as ``mcpcore bench --html`` draws it).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from benchmarks import plot, profile, results_md, scaleout
from benchmarks.bench_http import hold
from benchmarks.macro import CompareRun, compare
from benchmarks.micro import format_micro
from benchmarks.peers import FLOOR, MCPCORE, ROOT, ServerSpec, environment, servers
from benchmarks.targets import format_targets, scaleout_targets, targets
from mcpcore.bench import HoldResult, PhaseResult, format_table

HERE = Path(__file__).resolve().parent
RESULTS_MD = "RESULTS.md"
RESULTS_SVG = "results.svg"  # RESULTS.md and README.md refer to it by this name
RESULTS_JSON = "results.json"
REPORT_HTML = "report.html"
MICRO_MODULES = ("bench_wire", "bench_jsonrpc", "bench_dispatch", "bench_exchange", "bench_validation")


@dataclass
class Suite:
    """Everything one run measured."""

    env: dict[str, str]
    config: dict[str, Any]
    micro: list[dict[str, Any]] = field(default_factory=list)
    micro_failures: dict[str, str] = field(default_factory=dict)
    stdio: CompareRun | None = None
    http: CompareRun | None = None
    hold: HoldResult | None = None
    hold_failure: str | None = None
    profiles: dict[str, str] = field(default_factory=dict)  # transport -> Markdown table
    scaleout: dict[str, Any] | None = None  # benchmarks/scaleout.py's summary
    seconds: float = 0.0

    def targets(self) -> list[Any]:
        found = targets(self.stdio, self.http, self.hold, self.hold_failure, self.micro)
        return found + scaleout_targets(self.scaleout)


def run_micro(repeat: int, number: int | None) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """Each micro module in its own interpreter; JSON lines back."""
    rows: list[dict[str, Any]] = []
    failures: dict[str, str] = {}
    for module in MICRO_MODULES:
        print(f"[micro] {module}", file=sys.stderr, flush=True)
        argv = [sys.executable, "-m", f"benchmarks.{module}", "--repeat", str(repeat)]
        if number is not None:
            argv += ["--number", str(number)]
        done = subprocess.run(argv, cwd=ROOT, capture_output=True, timeout=600, check=False)
        if done.returncode != 0:
            lines = done.stderr.decode(errors="replace").strip().splitlines()
            failures[module] = lines[-1] if lines else f"exit status {done.returncode}"
            continue
        rows += [orjson.loads(line) for line in done.stdout.splitlines() if line.strip()]
    return rows, failures


def _select(specs: list[ServerSpec], only: str | None) -> list[ServerSpec]:
    if not only:
        return specs
    wanted = [word.strip().lower() for word in only.split(",") if word.strip()]
    return [spec for spec in specs if any(word in spec.name.lower() for word in wanted)]


def run_suite(args: argparse.Namespace) -> Suite:
    started = time.perf_counter()
    if args.only_scaleout:
        args.no_micro = args.no_stdio = args.no_http = args.no_profile = True
    specs = _select(servers(install_node=not (args.no_npm or args.only_scaleout)), args.only)
    suite = Suite(
        env=environment(),
        config={
            "rounds": args.rounds,
            "requests": args.requests,
            "seconds": args.seconds,
            "warmup": args.warmup,
            "hold_clients": args.hold,
            "pinned": not args.no_pin,
        },
    )
    if not args.no_micro:
        suite.micro, suite.micro_failures = run_micro(args.repeat, args.number)
    common = {
        "rounds": args.rounds,
        "requests": args.requests,
        "seconds": args.seconds,
        "warmup": args.warmup,
        "pin": not args.no_pin,
    }
    if not args.no_stdio:
        html = args.out / REPORT_HTML if args.write else None
        suite.stdio = compare(specs, http=False, html=html, **common)
    if not args.no_http:
        suite.http = compare(specs, http=True, **common)
        target = next((spec for spec in specs if spec.name == MCPCORE), None)
        if args.hold and target is not None:
            print(f"[hold] {args.hold} clients on {target.name}", file=sys.stderr, flush=True)
            try:
                suite.hold = hold(target, clients=args.hold)
            except Exception as exc:
                suite.hold_failure = f"{type(exc).__name__}: {exc}"
    if not args.no_profile and any(spec.name == MCPCORE for spec in specs):
        for transport, http in (("stdio", False), ("HTTP", True)):
            if (http and args.no_http) or (not http and args.no_stdio):
                continue
            print(f"[profile] mcpcore over {transport}", file=sys.stderr, flush=True)
            try:
                table, calls = profile.profile(http, requests=args.profile_requests, top=12)
                suite.profiles[transport] = f"{calls:,} calls of `add` driven.\n\n{table}"
            except Exception as exc:
                suite.profiles[transport] = f"_profiling failed: {type(exc).__name__}: {exc}_"
    if not args.no_scaleout:
        suite.scaleout = scaleout.measure(scaleout.Config(rounds=args.scaleout_rounds))
    suite.seconds = time.perf_counter() - started
    return suite


def _role(name: str, specs: Sequence[ServerSpec]) -> str:
    return next((spec.role for spec in specs if spec.name == name), "peer")


def make_plot(suite: Suite, specs: Sequence[ServerSpec]) -> str:
    def bars(run: CompareRun | None, phase: str, latency: bool) -> list[plot.Bar]:
        chosen: list[PhaseResult] = [r for r in (run.results if run else []) if r.phase == phase]
        return [
            plot.Bar(
                r.server,
                r.latency_ms["p50"] * 1000 if latency else r.throughput_rps,
                _role(r.server, specs),
            )
            for r in chosen
        ]

    latency = plot.Panel(
        "Sequential latency, p50 (lower is better)",
        "us",
        [("stdio", bars(suite.stdio, "c=1", True)), ("HTTP, 1 client", bars(suite.http, "c=1", True))],
    )
    throughput = plot.Panel(
        "Throughput (higher is better)",
        "req/s",
        [
            ("stdio, 64 in flight", bars(suite.stdio, "c=64", False)),
            ("HTTP, 16 clients", bars(suite.http, "c=16", False)),
        ],
    )
    caption = (
        f"mcpcore bench --compare, add tool, medians of {suite.config['rounds']} interleaved rounds; "
        f"{suite.env['machine']}; {suite.env['python']}; {time.strftime('%Y-%m-%d')}"
    )
    return plot.render([latency, throughput], caption)


def terminal_summary(suite: Suite) -> str:
    blocks = []
    if suite.micro:
        blocks.append("Micro benchmarks\n" + format_micro(suite.micro))
    for label, run in (("stdio", suite.stdio), ("HTTP", suite.http)):
        if run is not None and run.results:
            blocks.append(f"{label}\n" + format_table(run.results, markdown=True))
    if suite.scaleout is not None:
        blocks.append("\n".join(results_md.scaleout_section(suite.scaleout)))
    blocks.append("Targets\n" + format_targets(suite.targets()))
    notes = results_md.notes(suite.stdio) + results_md.notes(suite.http)
    if notes:
        blocks.append("\n".join(dict.fromkeys(notes)))
    return "\n\n".join(blocks)


def to_json(suite: Suite) -> dict[str, Any]:
    def compared(run: CompareRun | None) -> dict[str, Any] | None:
        if run is None:
            return None
        return {
            "command": run.shown_command(),
            "results": [r.to_json(detail=False) for r in run.results],
            "failures": run.failures,
            "skipped": run.skipped,
        }

    held = suite.hold
    return {
        "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "environment": suite.env,
        "config": suite.config,
        "seconds": suite.seconds,
        "micro": suite.micro,
        "stdio": compared(suite.stdio),
        "http": compared(suite.http),
        "hold": None if held is None else {**held.__dict__, "kib_per_client": held.kib_per_client},
        "profiles": suite.profiles,
        "scaleout": suite.scaleout,
        "targets": [t.__dict__ for t in suite.targets()],
    }


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds per server (median)")
    parser.add_argument("--requests", type=int, default=20_000, help="calls per phase, at most")
    parser.add_argument("--seconds", type=float, default=0.6, help="time cap per phase")
    parser.add_argument("--warmup", type=int, default=200, help="calls before measuring")
    parser.add_argument("--repeat", type=int, default=7, help="micro: best of this many loops")
    parser.add_argument("--number", type=int, default=None, help="micro: fixed loop count (no autorange)")
    parser.add_argument(
        "--hold", type=int, default=1000, help="HTTP clients held at once on mcpcore (0: skip)"
    )
    parser.add_argument("--only", default=None, help="comma-separated parts of server names to run")
    parser.add_argument("--no-micro", action="store_true")
    parser.add_argument("--no-stdio", action="store_true")
    parser.add_argument("--no-http", action="store_true")
    parser.add_argument("--no-npm", action="store_true", help="never run npm (skip the TS SDK if absent)")
    parser.add_argument("--no-profile", action="store_true", help="skip profiling mcpcore")
    parser.add_argument("--profile-requests", type=int, default=10_000, help="calls per profiled phase")
    parser.add_argument("--no-scaleout", action="store_true", help="skip the scale-out section")
    parser.add_argument(
        "--only-scaleout", action="store_true", help="run only the scale-out section (workers, Redis)"
    )
    parser.add_argument(
        "--scaleout-rounds", type=int, default=scaleout.Config.rounds, help="scale-out: interleaved rounds"
    )
    parser.add_argument(
        "--no-pin",
        action="store_true",
        help="let the scheduler place client and servers (see mcpcore.bench.Placement)",
    )
    parser.add_argument(
        "--write", action="store_true", help="write RESULTS.md, results.svg, results.json, report.html"
    )
    parser.add_argument(
        "--out", type=Path, default=HERE, help="directory --write writes to (default: benchmarks/)"
    )
    parser.add_argument("--json", type=Path, default=None, help="also write the JSON results to this path")
    parser.add_argument(
        "--readme", type=Path, default=None, help="with --write: rewrite this README's speed table (markers)"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.only_scaleout and (args.write or args.readme):
        parser.error("--only-scaleout with --write would replace RESULTS.md with one section")
    if args.only_scaleout and args.no_scaleout:
        parser.error("--only-scaleout and --no-scaleout contradict each other")
    if args.write:
        args.out.mkdir(parents=True, exist_ok=True)
    suite = run_suite(args)
    print(terminal_summary(suite))
    data = orjson.dumps(to_json(suite), option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS)
    if args.json is not None:
        args.json.write_bytes(data)
    if args.write:
        specs = servers(install_node=False)
        out: Path = args.out
        (out / RESULTS_SVG).write_text(make_plot(suite, specs))
        previous = out / RESULTS_MD
        soak = results_md.soak_section(previous.read_text() if previous.exists() else "")
        previous.write_text(results_md.report(suite) + soak)
        (out / RESULTS_JSON).write_bytes(data + b"\n")
        written = f"{RESULTS_MD}, {RESULTS_SVG}, {RESULTS_JSON} and {REPORT_HTML} in {out}"
        if args.readme is not None:
            readme: Path = args.readme
            readme.write_text(results_md.update_readme(readme.read_text(), results_md.headline(suite)))
            written += f", and the speed table in {readme}"
        print(f"\nwrote {written}", file=sys.stderr)
    essential = {FLOOR, MCPCORE}
    failed = set(suite.stdio.failures if suite.stdio else {}) | set(suite.http.failures if suite.http else {})
    scaleout_failed = bool(suite.scaleout and suite.scaleout["failures"])
    return 1 if essential & failed or suite.micro_failures or scaleout_failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
