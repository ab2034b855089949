"""``mcpcore check``: a conformance battery for any MCP server, built to sit in CI.

Point it at a server command (stdio) or a Streamable HTTP URL and it runs the
checks of :mod:`mcpcore.check.checks`, each against a fresh server process or
connection, validating every message the server sends against the JSON schema
of the protocol version in use, then prints a table (or JSON / JUnit XML).

Every check names the spec clause it tests and its level; the exit status
follows the levels: 1 when a MUST is missed (FAIL), with ``--strict`` also when
a SHOULD is (WARN), never for INFO. ``--expected-failures FILE`` records known
failures: they do not fail the run, and a listed check that passes does.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from pathlib import Path

import orjson

from mcpcore.check import checks as checks  # registers every area's checks
from mcpcore.check.battery import Battery
from mcpcore.check.fuzz import KINDS as FUZZ_KINDS
from mcpcore.check.fuzz import fuzz_outcomes
from mcpcore.check.probe import Target
from mcpcore.check.registry import CHECKS, CheckSpec, Fail, Level, NotApplicable, Outcome, check, select
from mcpcore.check.report import failed, to_json, to_junit, to_table

__all__ = [
    "CHECKS",
    "Battery",
    "CheckSpec",
    "Fail",
    "Level",
    "NotApplicable",
    "Outcome",
    "Target",
    "build_parser",
    "check",
    "load_expected_failures",
    "main",
    "run",
]


async def run(
    target: Target,
    *,
    only: list[str] | None = None,
    skip: list[str] | None = None,
    spec_version: str | None = None,
    expected_failures: list[str] | None = None,
    **options: object,
) -> Battery:
    """Run the battery against ``target`` and return it (outcomes in ``battery.outcomes``)."""
    battery = Battery(target, **options)  # type: ignore[arg-type]
    await battery.run(only, skip=skip, spec_version=spec_version)
    expected = set(expected_failures or ())
    for outcome in battery.outcomes:
        outcome.expected = outcome.id in expected
    return battery


def build_parser(parser: argparse.ArgumentParser | None = None) -> argparse.ArgumentParser:
    parser = parser or argparse.ArgumentParser(prog="mcpcore check")
    parser.add_argument("target", nargs=argparse.REMAINDER, help="-- command args (stdio) or an http(s) URL")
    parser.add_argument("--format", choices=["table", "json", "junit"], default="table")
    parser.add_argument("--output", "-o", help="write the report here instead of stdout")
    parser.add_argument("--junit", help="also write JUnit XML to this file")
    parser.add_argument(
        "--json",
        dest="json_path",
        metavar="FILE",
        nargs="?",
        const="-",
        help="JSON report: alone, print it to stdout (instead of the table); with FILE, also write it there",
    )
    parser.add_argument(
        "--strict", action="store_true", help="fail the run on WARN (a SHOULD missed) as well as on FAIL"
    )
    parser.add_argument(
        "--expected-failures",
        metavar="FILE",
        help="known failures: a JSON list of check ids (or the official suite's YAML, with PyYAML); "
        "they do not fail the run, and a listed check that passes does",
    )
    parser.add_argument(
        "--spec-version", metavar="V", help="run only the checks that protocol version V requires"
    )
    parser.add_argument(
        "--skip", action="append", metavar="CHECK_ID", help="skip this check (or id prefix ending in '.')"
    )
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
        "--list-change-tool",
        metavar="NAME",
        help="a tool whose call changes the tool list (tools.list-changed; else guessed by name)",
    )
    parser.add_argument(
        "--only", action="append", help="run only checks whose id starts with this (repeatable)"
    )
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds to wait for any one answer")
    parser.add_argument("--jobs", type=int, default=4, help="checks run at the same time")
    parser.add_argument("--loop", choices=["uvloop", "asyncio"], default=None)
    parser.add_argument("--list", action="store_true", help="list the checks with their levels and exit")
    parser.add_argument(
        "--coverage-map",
        action="store_true",
        help="print the map of the spec's MUST/SHOULD requirements to the checks (docs/check-coverage.md)",
    )
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
    command = list(args.target)
    if command and command[0] == "--":
        command = command[1:]
    json_path: str | None = args.json_path
    if json_path is not None and json_path.startswith(("http://", "https://")) and not command:
        command, json_path = [json_path], "-"  # `--json URL`: the URL is the target, not the file
    if args.spec_version is not None and args.spec_version not in _known_versions():
        print(f"mcpcore check: unknown --spec-version {args.spec_version!r}", file=sys.stderr)
        return 2
    if args.coverage_map:
        from mcpcore.check.coverage import render

        sys.stdout.write(render())
        return 0
    selected = select(CHECKS, only=args.only, skip=args.skip, spec_version=args.spec_version)
    if args.list:
        for spec in selected:
            print(f"{spec.id:45} {spec.level:6} {spec.title}")
        return 0
    if not command:
        print("mcpcore check: give a server: mcpcore check -- command args", file=sys.stderr)
        return 2
    expected: list[str] = []
    if args.expected_failures:
        try:
            expected = load_expected_failures(Path(args.expected_failures))
        except (OSError, ValueError) as exc:
            print(f"mcpcore check: --expected-failures: {exc}", file=sys.stderr)
            return 2
    if len(command) == 1 and command[0].startswith(("http://", "https://")):
        headers = dict(_header(h) for h in args.header or [])
        target = Target(url=command[0], timeout=args.timeout, headers=headers or None)
    else:
        target = Target(command, timeout=args.timeout)
    options: dict[str, object] = {
        "call_tools": args.call_tools,
        "slow_tool": args.slow_tool,
        "list_change_tool": args.list_change_tool,
        "jobs": args.jobs,
    }
    selection = {"only": args.only, "skip": args.skip, "spec_version": args.spec_version}
    fuzz = (args.fuzz_count, args.fuzz_seed) if args.fuzz else None
    battery = run_loop(_guarded(target, selection, expected, options, fuzz), loop=args.loop)
    battery.flags = _flags(args)
    strict = args.strict
    fmt = "json" if json_path == "-" and args.format == "table" else args.format
    report = {
        "table": lambda: to_table(battery, strict=strict).encode(),
        "json": lambda: to_json(battery, strict=strict),
        "junit": lambda: to_junit(battery, strict=strict),
    }[fmt]()
    if args.output:
        Path(args.output).write_bytes(report)
    else:
        sys.stdout.buffer.write(report)
        sys.stdout.flush()
    if args.junit:
        Path(args.junit).write_bytes(to_junit(battery, strict=strict))
    if json_path not in (None, "-"):
        Path(json_path).write_bytes(to_json(battery, strict=strict))
    stale = sorted(set(expected) - {o.id for o in battery.outcomes})
    if stale:
        print(f"mcpcore check: expected failures not run here: {', '.join(stale)}", file=sys.stderr)
    return 1 if failed(battery.outcomes, strict=strict) else 0


def _flags(args: argparse.Namespace) -> list[str]:
    """The options that shape the outcomes, as flags (defaults left out), for the report's first line."""
    flags: list[str] = []
    for prefix in args.only or []:
        flags += ["--only", prefix]
    for prefix in args.skip or []:
        flags += ["--skip", prefix]
    if args.spec_version:
        flags += ["--spec-version", args.spec_version]
    if args.call_tools != "readonly":
        flags += ["--call-tools", args.call_tools]
    if args.slow_tool:
        flags += ["--slow-tool", args.slow_tool]
    if args.list_change_tool:
        flags += ["--list-change-tool", args.list_change_tool]
    if args.timeout != 10.0:
        flags += ["--timeout", f"{args.timeout:g}"]
    if args.strict:
        flags.append("--strict")
    if args.expected_failures:
        flags += ["--expected-failures", args.expected_failures]
    if args.fuzz:
        flags += ["--fuzz", "--fuzz-count", str(args.fuzz_count), "--fuzz-seed", str(args.fuzz_seed)]
    return flags


def load_expected_failures(path: Path) -> list[str]:
    """Check ids from a JSON list (or ``{"server": [...]}``), or from the official suite's YAML
    (``server: [ids]``) where PyYAML is importable. Ids unknown to the registry are an error: a
    typo would otherwise silently excuse nothing."""
    text = path.read_bytes()
    try:
        document = orjson.loads(text)
    except orjson.JSONDecodeError:
        document = _yaml(text, path)
    if type(document) is dict:
        document = document.get("server", [])
    if type(document) is not list or not all(type(item) is str for item in document):
        raise ValueError(f"{path}: want a list of check ids")
    known = {spec.id for spec in CHECKS} | {f"fuzz.{kind}" for kind in FUZZ_KINDS}
    unknown = [item for item in document if item not in known]
    if unknown:
        raise ValueError(f"{path}: unknown check id(s): {', '.join(unknown)}")
    return list(document)


def _yaml(text: bytes, path: Path) -> object:
    try:
        import yaml  # type: ignore[import-untyped]
    except ImportError:
        raise ValueError(f"{path} is not JSON (YAML needs PyYAML, which is not installed)") from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ValueError(f"{path}: neither JSON nor YAML: {exc}") from None


def _known_versions() -> tuple[str, ...]:
    from mcpcore import versions

    return tuple(versions.SUPPORTED_VERSIONS)


def _header(text: str) -> tuple[str, str]:
    name, sep, value = text.partition(":")
    if not sep or not name.strip():
        raise SystemExit(f"mcpcore check: --header wants 'Name: value', got {text!r}")
    return name.strip(), value.strip()


async def _guarded(
    target: Target,
    selection: dict[str, object],
    expected: list[str],
    options: dict[str, object],
    fuzz: tuple[int, int] | None = None,
) -> Battery:
    battery = await asyncio.wait_for(
        run(target, expected_failures=expected, **selection, **options),  # type: ignore[arg-type]
        600,
    )
    if fuzz is not None:  # after the battery, on its facts; bounded by the cases, not by a global deadline
        rows = await fuzz_outcomes(battery, count=fuzz[0], seed=fuzz[1])
        for row in rows:
            row.expected = row.id in expected
        battery.outcomes.extend(rows)
    return battery
