"""``mcpcore check``: a conformance battery for any MCP server.

Point it at a server command (stdio) and it runs the checks of
:mod:`mcpcore.check.battery`, each against a fresh server process, validating
every message the server sends against the JSON schema of the protocol
version in use, then prints a table (or JSON / JUnit XML). ``main`` is the
command-line entry; exit status 1 means at least one check failed.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys

from mcpcore.check import http_checks  # noqa: F401  (registers the http.* checks)
from mcpcore.check.battery import CHECKS, Battery, Outcome
from mcpcore.check.fuzz import fuzz_outcomes
from mcpcore.check.probe import Target
from mcpcore.check.report import summary, to_json, to_junit, to_table

__all__ = ["CHECKS", "Battery", "Outcome", "Target", "build_parser", "main", "run"]


async def run(target: Target, *, only: list[str] | None = None, **options: object) -> Battery:
    """Run the battery against ``target`` and return it (outcomes in ``battery.outcomes``)."""
    battery = Battery(target, **options)  # type: ignore[arg-type]
    await battery.run(only)
    return battery


def build_parser(parser: argparse.ArgumentParser | None = None) -> argparse.ArgumentParser:
    parser = parser or argparse.ArgumentParser(prog="mcpcore check")
    parser.add_argument("target", nargs=argparse.REMAINDER, help="-- command args (stdio) or an http(s) URL")
    parser.add_argument("--format", choices=["table", "json", "junit"], default="table")
    parser.add_argument("--output", "-o", help="write the report here instead of stdout")
    parser.add_argument("--junit", help="also write JUnit XML to this file")
    parser.add_argument("--json", dest="json_path", help="also write JSON to this file")
    parser.add_argument(
        "--call-tools",
        choices=["readonly", "all", "none"],
        default="readonly",
        help="which tools to call with generated arguments (default: those annotated readOnlyHint)",
    )
    parser.add_argument(
        "--slow-tool", help="NAME:PARAM of a tool that sleeps PARAM seconds (concurrency checks)"
    )
    parser.add_argument(
        "--only", action="append", help="run only checks whose id starts with this (repeatable)"
    )
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds to wait for any one answer")
    parser.add_argument("--jobs", type=int, default=4, help="checks run at the same time")
    parser.add_argument("--loop", choices=["uvloop", "asyncio"], default=None)
    parser.add_argument("--list", action="store_true", help="list the checks and exit")
    parser.add_argument(
        "--header", "-H", action="append", help="'Name: value' sent on every HTTP request (repeatable)"
    )
    parser.add_argument("--fuzz", action="store_true", help="add the fuzz.* checks (protocol-aware fuzzing)")
    parser.add_argument("--fuzz-count", type=int, default=300, help="fuzz cases to send (default 300)")
    parser.add_argument("--fuzz-seed", type=int, default=0, help="fuzz seed (same seed, same bytes)")
    return parser


def main(args: argparse.Namespace) -> int:
    from mcpcore.loop import run as run_loop

    # The battery provokes malformed traffic on purpose; the client's warnings about it are noise here.
    logging.getLogger("mcpcore.client").setLevel(logging.ERROR)
    if args.list:
        for spec in CHECKS:
            print(f"{spec.id:45} {spec.title}")
        return 0
    command = list(args.target)
    if command and command[0] == "--":
        command = command[1:]
    if not command:
        print("mcpcore check: give a server: mcpcore check -- command args", file=sys.stderr)
        return 2
    if len(command) == 1 and command[0].startswith(("http://", "https://")):
        headers = dict(_header(h) for h in args.header or [])
        target = Target(url=command[0], timeout=args.timeout, headers=headers or None)
    else:
        target = Target(command, timeout=args.timeout)
    options = {"call_tools": args.call_tools, "slow_tool": args.slow_tool, "jobs": args.jobs}
    fuzz = (args.fuzz_count, args.fuzz_seed) if args.fuzz else None
    battery = run_loop(_guarded(target, args.only, options, fuzz), loop=args.loop)
    render = {"table": lambda b: to_table(b).encode(), "json": to_json, "junit": to_junit}[args.format]
    report = render(battery)
    if args.output:
        with open(args.output, "wb") as out:
            out.write(report)
    else:
        sys.stdout.buffer.write(report)
        sys.stdout.flush()
    if args.junit:
        with open(args.junit, "wb") as out:
            out.write(to_junit(battery))
    if args.json_path:
        with open(args.json_path, "wb") as out:
            out.write(to_json(battery))
    return 1 if summary(battery.outcomes)["fail"] else 0


def _header(text: str) -> tuple[str, str]:
    name, sep, value = text.partition(":")
    if not sep or not name.strip():
        raise SystemExit(f"mcpcore check: --header wants 'Name: value', got {text!r}")
    return name.strip(), value.strip()


async def _guarded(
    target: Target, only: list[str] | None, options: dict[str, object], fuzz: tuple[int, int] | None = None
) -> Battery:
    battery = await asyncio.wait_for(run(target, only=only, **options), 600)
    if fuzz is not None:  # after the battery, on its facts; bounded by the cases, not by a global deadline
        battery.outcomes.extend(await fuzz_outcomes(battery, count=fuzz[0], seed=fuzz[1]))
    return battery
