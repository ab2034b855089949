"""Run every mutant (tests/check/mutants.py) through the official conformance suite, scenario by
scenario (``--scenario``), and through ``mcpcore check``; print the table of docs/conformance.md.

``python -m tests.check.official_mutants`` installs node 22 and the suite into ``.node/`` on first
use (as ``tests/conformance/run.py`` does), serves each mutant over HTTP on a free loopback port and
runs only the scenarios that test the broken rule, plus the same scenarios against the unbroken
example as a control. Over stdio, which the suite cannot test, the mutants run as stdio commands
under ``mcpcore check`` alone (``cancel-crash``, the fuzzer's fragile server, under ``--fuzz``).
Exit status 1, with a ``MUTANT ESCAPED`` line on stderr for each, when a mutant escapes a tool that
tests its rule, or when a control fails (``make conformance-mutants``; ``.ci/run`` runs it).
"""

from __future__ import annotations

import argparse
import collections
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from tests.check.mutants import MUTANTS, Mutant
from tests.conformance.run import NODE, free_port, install, suite_cli
from tests.e2e.test_client_http import serve

ROOT = Path(__file__).resolve().parents[2]
SUITE = "0.2.0-alpha.12"
HEADER = (
    "| mutant | rule broken | official suite (HTTP, `--scenario`) "
    "| mcpcore check, HTTP | mcpcore check, stdio |"
)


def official(url: str, scenario: str) -> collections.Counter[str]:
    """The statuses of one scenario's checks (``FAILURE``, ``WARNING``, ``SUCCESS`` ...)."""
    out = Path(tempfile.mkdtemp(prefix="mcpcore-mutant-"))
    command = [
        str(NODE),
        str(suite_cli(SUITE)),
        "server",
        "--url",
        url,
        "--scenario",
        scenario,
        "-o",
        str(out),
    ]
    subprocess.run(
        command, cwd=out, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, timeout=300, check=False
    )
    counts: collections.Counter[str] = collections.Counter()
    for checks_file in out.glob("*/checks.json"):
        for check in json.loads(checks_file.read_text()):
            counts[check["status"]] += 1
    return counts


def verdict(counts: collections.Counter[str]) -> str:
    if not counts:
        return "no result"
    bad = [f"{counts[s]} {s}" for s in ("FAILURE", "WARNING") if counts[s]]
    return ("**flagged** (" + ", ".join(bad) + ")") if bad else f"passed ({counts['SUCCESS']} SUCCESS)"


def mcpcore_check(target: list[str], checks: tuple[str, ...], fuzz_count: int = 0) -> dict[str, str]:
    # A generous --timeout: a server that answers costs nothing more, and a loaded machine (two
    # Python processes start per probe) must not read as a server that answers nothing.
    command = [sys.executable, "-m", "mcpcore", "check", "--json", "--timeout", "15", "--call-tools", "all"]
    for check_id in checks:
        command += ["--only", check_id]
    if fuzz_count:
        command += ["--fuzz", "--fuzz-count", str(fuzz_count), "--fuzz-seed", "0"]
    completed = subprocess.run([*command, *target], cwd=ROOT, capture_output=True, timeout=300, check=False)
    try:
        document = json.loads(completed.stdout)
    except json.JSONDecodeError:
        tail = completed.stderr.decode(errors="replace").strip().splitlines()[-3:]
        print(f"mcpcore check {' '.join(target)} wrote no JSON: {' | '.join(tail)}", file=sys.stderr)
        return dict.fromkeys(checks, "no report")
    return {row["id"]: row["status"] for row in document["checks"] if row["id"] in checks}


def flagged(statuses: dict[str, str], checks: tuple[str, ...]) -> bool:
    return bool(checks) and all(statuses.get(c) in ("fail", "warn") for c in checks)


def run_mutant(name: str, mutant: Mutant) -> tuple[str, list[str]]:
    """The mutant's table row, and how it escaped (empty: both tools caught it wherever they can)."""
    escapes: list[str] = []
    suite: dict[str, collections.Counter[str]] = {}
    http: dict[str, str] = {}
    if mutant.http:
        port = free_port()
        process = serve(["-m", "tests.check.mutants", name, "--port", str(port)], port, "asyncio")
        url = f"http://127.0.0.1:{port}/mcp"
        try:
            suite = {scenario: official(url, scenario) for scenario in mutant.scenarios}
            http = mcpcore_check([url], mutant.http_checks)
        finally:
            process.terminate()
            process.wait(10)
        if not flagged(http, mutant.http_checks):
            escapes.append(f"mcpcore check over HTTP: {http}")
    stdio: dict[str, str] = {}
    if mutant.stdio_checks:
        command = ["--", sys.executable, "-m", "tests.check.mutants", name]
        stdio = mcpcore_check(command, mutant.stdio_checks, mutant.fuzz_count)
        if not flagged(stdio, mutant.stdio_checks):
            escapes.append(f"mcpcore check over stdio: {stdio}")
    escapes += [
        f"official scenario {s}: {verdict(c)}" for s, c in suite.items() if not c["FAILURE"] + c["WARNING"]
    ]
    official_cell = "; ".join(f"`{s}`: {verdict(c)}" for s, c in suite.items()) or (
        "no scenario tests this rule" if mutant.http else "n/a (a stdio rule: the suite cannot drive stdio)"
    )
    http_cell = ", ".join(f"`{c}` {http.get(c, '?').upper()}" for c in mutant.http_checks)
    stdio_cell = ", ".join(f"`{c}` {stdio.get(c, '?').upper()}" for c in mutant.stdio_checks)
    row = (
        f"| `{name}` | {mutant.rule} | {official_cell} | {http_cell or 'n/a (a stdio rule)'} "
        f"| {stdio_cell or 'n/a (an HTTP rule)'} |"
    )
    return row, escapes


def controls(scenarios: set[str]) -> tuple[list[str], bool]:
    """The same scenarios against the unbroken example: each must pass, or the mutant proves nothing."""
    port = free_port()
    process = serve(["-m", "mcpcore.examples.conformance", "--port", str(port)], port, "asyncio")
    try:
        results = {s: official(f"http://127.0.0.1:{port}/mcp", s) for s in sorted(scenarios)}
    finally:
        process.terminate()
        process.wait(10)
    lines = [f"control `{s}` on the unbroken example: {verdict(c)}" for s, c in results.items()]
    return lines, all(c and not (c["FAILURE"] + c["WARNING"]) for c in results.values())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("names", nargs="*", help="mutants to run (default: all)")
    args = parser.parse_args(argv)
    install()
    names = args.names or sorted(MUTANTS)
    print(HEADER)
    print("|---|---|---|---|---|")
    escaped: dict[str, list[str]] = {}
    for name in names:
        row, escapes = run_mutant(name, MUTANTS[name])
        if escapes:
            escaped[name] = escapes
        print(row, flush=True)
    lines, controls_ok = controls({s for n in names for s in MUTANTS[n].scenarios})
    print()
    print("\n".join(lines))
    for name, escapes in escaped.items():
        for escape in escapes:
            print(f"MUTANT ESCAPED: {name}: {escape}", file=sys.stderr)
    if not controls_ok:
        print(
            "CONTROL FAILED: a scenario fails the unbroken example (its mutant proves nothing)",
            file=sys.stderr,
        )
    if escaped or not controls_ok:
        return 1
    print(f"all {len(names)} mutants caught by every tool that tests their rule")
    return 0


if __name__ == "__main__":
    sys.exit(main())
