"""The official conformance suite's client scenarios against mcpcore's client (``make conformance-client``).

Uses node 22 and the suites from ``.node/`` (installed on first use by
``tests/conformance/run.py``'s ``install``) with
``python -m mcpcore.examples.conformance_client`` as the command, and runs:

* suite 0.1.16 ``client --suite core`` (the 2025-11-25 era): every scenario of
  :data:`CORE` must pass;
* suite 0.2.0-alpha.12 ``client --requirements 2026-07-28`` (the frozen
  2026-07-28 requirement set, run at that wire, plus the suite's unscored
  extension and added-after-release scenarios): every scenario of
  :data:`REQUIRED_2026` must pass, and so must every other scenario the run
  reports unless it is in :data:`EXPECTED_FAILURES`;
* the Skills extension's client scenarios (:data:`EXTENSION_SCENARIOS`, suite
  0.2.0-alpha.12), each run alone with ``--scenario``: every one must pass.

A scenario passes when its ``checks.json`` has only SUCCESS and INFO checks
(a WARNING or SKIPPED fails it, stricter than the suite's exit code), apart
from the few SKIPPED checks in :data:`STRUCTURAL_SKIPS` that no 2026-07-28
client can exercise. :data:`EXPECTED_FAILURES` is the explicit list of
scenarios known to fail: they are run and reported, never fail the run, and a
listed scenario that passes fails the run until it is taken off the list, so
the list only shrinks. ``--write-doc`` rewrites the client score tables of
``docs/conformance.md`` from the run.
"""

from __future__ import annotations

import argparse
import collections
import json
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from tests.conformance.run import NODE, ROOT, install, suite_cli

#: The OAuth client scenarios both suites require (0.1.16's core, alpha.12's 2026-07-28 set).
AUTH_BOTH = frozenset(
    {
        "auth/metadata-default",
        "auth/metadata-var1",
        "auth/metadata-var2",
        "auth/metadata-var3",
        "auth/basic-cimd",
        "auth/scope-from-www-authenticate",
        "auth/scope-from-scopes-supported",
        "auth/scope-omitted-when-undefined",
        "auth/scope-step-up",
        "auth/scope-retry-limit",
        "auth/token-endpoint-auth-basic",
        "auth/token-endpoint-auth-post",
        "auth/token-endpoint-auth-none",
        "auth/pre-registration",
    }
)
#: The client scenarios of suite 0.1.16's core suite; each must pass in full.
CORE = AUTH_BOTH | {"initialize", "tools_call", "elicitation-sep1034-client-defaults", "sse-retry"}
#: The 32 client scenarios alpha.12 requires for 2026-07-28 (``list --client --requirements 2026-07-28``).
REQUIRED_2026 = AUTH_BOTH | frozenset(
    {
        "tools_call",
        "request-metadata",
        "auth/resource-mismatch",
        "auth/offline-access-scope",
        "auth/offline-access-not-supported",
        "auth/authorization-server-migration",
        "auth/iss-supported",
        "auth/iss-not-advertised",
        "auth/iss-supported-missing",
        "auth/iss-wrong-issuer",
        "auth/iss-unexpected",
        "auth/iss-normalized",
        "auth/metadata-issuer-mismatch",
        "sep-2322-client-request-state",
        "http-standard-headers",
        "http-custom-headers",
        "http-invalid-tool-headers",
        "json-schema-ref-no-deref",
    }
)
#: The scenarios the same run reports without scoring them (extensions, added after the release); judged too.
UNSCORED_2026 = frozenset(
    {
        "auth/client-credentials-jwt",
        "auth/client-credentials-basic",
        "auth/enterprise-managed-authorization",
        "auth/dpop",
        "auth/dpop-nonce",
        "auth/wif-jwt-bearer",
        "json-schema-2020-12-preservation",
    }
)
#: Scenarios known to fail, with the reason; they never fail the run, and may only leave this list.
#: Empty since every scenario passes; a scenario that a new suite version adds and mcpcore cannot
#: pass yet goes here with its reason (e.g. ``"auth/dpop": "extension: DPoP proofs"``).
EXPECTED_FAILURES: dict[str, str] = {}
#: ``(scenario, check name)`` SKIPPED checks that no 2026-07-28 client can exercise: the 2026-07-28
#: wire has no ``initialize`` handshake, so the suite's Mcp-Method checks for it cannot run.
STRUCTURAL_SKIPS = frozenset(
    {
        ("http-standard-headers", "ClientMcpMethodHeader_initialize"),
        ("http-standard-headers", "ClientMcpMethodHeader_notifications_initialized"),
    }
)


#: Extension client scenarios of 0.2.0-alpha.12 (Skills, SEP-2640), each run alone and judged in full.
EXTENSION_SCENARIOS = (
    "sep-2640-client-no-prefetch",
    "sep-2640-client-verify-digest",
    "sep-2640-client-verify-size",
    "sep-2640-client-verify-frontmatter",
)


@dataclass
class Run:
    """One suite invocation: what it runs, what it requires, and what it found."""

    label: str
    version: str
    selector: list[str]
    required: frozenset[str]
    retry_selector: list[str] = field(default_factory=list)
    #: Scenarios run one by one (``--scenario``) instead of ``selector``.
    one_by_one: tuple[str, ...] = ()
    results: dict[str, collections.Counter[str]] = field(default_factory=dict)
    failures: dict[str, list[str]] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0


def run_suite(
    version: str, selector: list[str]
) -> tuple[dict[str, collections.Counter[str]], dict[str, list[str]]]:
    """Run the suite's client command for ``selector``; per-scenario status counts and problems."""
    out = Path(tempfile.mkdtemp(prefix="mcpcore-conformance-client-"))
    command = f"{sys.executable} -m mcpcore.examples.conformance_client"
    subprocess.run(
        [str(NODE), str(suite_cli(version)), "client", "--command", command, *selector, "-o", str(out)],
        cwd=ROOT,
        check=False,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
        timeout=600,
    )
    results: dict[str, collections.Counter[str]] = {}
    failures: dict[str, list[str]] = {}
    for checks_file in sorted(out.glob("**/checks.json")):
        name = str(checks_file.parent.relative_to(out)).rsplit("-", 6)[0]
        counts = results.setdefault(name, collections.Counter())
        for check in json.loads(checks_file.read_text()):
            status = check["status"]
            if status == "SKIPPED" and (name, check.get("name")) in STRUCTURAL_SKIPS:
                status = "SKIPPED (structural)"
            counts[status] += 1
            if status not in ("SUCCESS", "INFO", "SKIPPED (structural)"):
                detail = check.get("errorMessage") or check.get("description") or ""
                failures.setdefault(name, []).append(f"{status} {check['id']}: {detail[:200]}")
    return results, failures


def passed(counts: collections.Counter[str]) -> bool:
    return counts["SUCCESS"] > 0 and set(counts) <= {"SUCCESS", "INFO", "SKIPPED (structural)"}


def execute(run: Run) -> None:
    """Run the suite, then each failed required scenario once more alone (the suite starts all at once)."""
    started = time.monotonic()
    if run.one_by_one:
        for scenario in run.one_by_one:
            results, failures = run_suite(run.version, ["--scenario", scenario])
            run.results.update(results)
            run.failures.update(failures)
        run.seconds = time.monotonic() - started
        return
    run.results, run.failures = run_suite(run.version, run.selector)
    for name in sorted(n for n in run.results if n not in EXPECTED_FAILURES and not passed(run.results[n])):
        alone, alone_failures = run_suite(run.version, ["--scenario", name, *run.retry_selector])
        if name in alone and passed(alone[name]):
            run.notes[name] = (
                "failed under the parallel suite ("
                + "; ".join(run.failures.get(name, []))
                + "), passed alone"
            )
            run.results[name], run.failures[name] = alone[name], alone_failures.get(name, [])
    run.seconds = time.monotonic() - started


def judge(run: Run) -> bool:
    """Print the run's table; True when every scenario passed that is not an expected failure."""
    ok = True
    totals: collections.Counter[str] = collections.Counter()
    print(f"\n== {run.label} ({run.seconds:.0f} s)")
    for name in sorted(run.results):
        counts = run.results[name]
        totals.update(counts)
        good = passed(counts)
        if name in EXPECTED_FAILURES:
            mark = "PASS (remove it from EXPECTED_FAILURES)" if good else "xfail"
            ok = ok and not good
        else:
            mark = "PASS" if good else "FAIL"
            ok = ok and good
        line = f"{mark}  {name}: " + ", ".join(f"{c} {s}" for s, c in sorted(counts.items()))
        print(line + (f"  ({run.notes[name]})" if name in run.notes else ""))
        if not good:
            for problem in run.failures.get(name, []):
                print(f"        {problem}")
    for name in sorted(run.required - set(run.results)):
        print(f"FAIL  {name}: no result")
        ok = False
    scored = [n for n in run.results if n not in EXPECTED_FAILURES]
    print(
        f"   {sum(passed(run.results[n]) for n in scored)}/{len(scored)} scenarios pass "
        f"(+{len(run.results) - len(scored)} expected failures); checks: "
        + ", ".join(f"{c} {s}" for s, c in sorted(totals.items()))
    )
    return ok


BEGIN = "<!-- client-scores:begin (written by tests/client/run_conformance_client.py --write-doc) -->"
END = "<!-- client-scores:end -->"


def doc_tables(runs: list[Run]) -> str:
    lines = [BEGIN, ""]
    for run in runs:
        totals: collections.Counter[str] = collections.Counter()
        for counts in run.results.values():
            totals.update(counts)
        scored = [n for n in run.results if n not in EXPECTED_FAILURES]
        lines.append(
            f"**{run.label}: {sum(passed(run.results[n]) for n in scored)} of {len(scored)} scenarios pass"
            + (
                f", {len(run.results) - len(scored)} expected failures"
                if len(scored) < len(run.results)
                else ""
            )
            + " (checks: "
            + ", ".join(f"{c} {s}" for s, c in sorted(totals.items()))
            + f"; {run.seconds:.0f} s).**"
        )
        lines += ["", "| Scenario | Result | Checks |", "|---|---|---|"]
        for name in sorted(run.results):
            counts = run.results[name]
            result = (
                "pass" if passed(counts) else ("expected failure" if name in EXPECTED_FAILURES else "FAIL")
            )
            checks = ", ".join(f"{c} {s}" for s, c in sorted(counts.items()))
            lines.append(f"| `{name}` | {result} | {checks} |")
        lines.append("")
    lines.append(END)
    return "\n".join(lines)


def write_doc(runs: list[Run]) -> None:
    path = ROOT / "docs" / "conformance.md"
    text = path.read_text()
    pattern = re.compile(re.escape(BEGIN) + ".*?" + re.escape(END), re.S)
    if not pattern.search(text):
        raise SystemExit(f"{path}: the markers {BEGIN!r} ... {END!r} are missing")
    path.write_text(pattern.sub(lambda _m: doc_tables(runs), text))
    print(f"\nwrote the client score tables into {path}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=("core", "2026", "extensions"), help="run one of the suites")
    parser.add_argument("--write-doc", action="store_true", help="rewrite the tables in docs/conformance.md")
    args = parser.parse_args()
    install()
    runs = []
    if args.only in (None, "core"):
        runs.append(Run("0.1.16 client --suite core", "0.1.16", ["--suite", "core"], CORE))
    if args.only in (None, "2026"):
        runs.append(
            Run(
                "0.2.0-alpha.12 client --requirements 2026-07-28",
                "0.2.0-alpha.12",
                ["--requirements", "2026-07-28"],
                REQUIRED_2026 | UNSCORED_2026,
                retry_selector=["--spec-version", "2026-07-28", "--force"],
            )
        )
    if args.only in (None, "extensions"):
        runs.append(
            Run(
                "0.2.0-alpha.12 client --scenario sep-2640-* (Skills extension)",
                "0.2.0-alpha.12",
                [],
                frozenset(EXTENSION_SCENARIOS),
                one_by_one=EXTENSION_SCENARIOS,
            )
        )
    ok = True
    for run in runs:
        execute(run)
        ok = judge(run) and ok
    if args.write_doc:
        write_doc(runs)
    print("\nconformance-client:", "PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
