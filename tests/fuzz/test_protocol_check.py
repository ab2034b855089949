"""``mcpcore check --fuzz``: findings are battery rows, named by message, with bytes to replay.

The fragile test server is the ``cancel-crash`` mutant of ``tests/check/mutants.py`` (the one set
of broken servers ``mcpcore check``, the official suite and the fuzzer share): mcpcore's calculator,
right in every respect but one, since an unhashable ``requestId`` in ``notifications/cancelled``
kills it. The fuzzer must find exactly that, as a ``fuzz.crash`` FAIL naming the
message, with the exact bytes and a replay command, and the command line must
exit 1 for it. mcpcore's calculator must come out clean.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from mcpcore.check import Battery, Target, run
from mcpcore.check.fuzz import KINDS, fuzz_outcomes
from tests.check.mutants import MUTANTS
from tests.fuzz._protocol import run_on, stdio_target
from tests.helpers import ROOT

pytestmark = pytest.mark.timeout(600)

FRAGILE = ["-m", "tests.check.mutants", "cancel-crash"]
#: Enough cases to reach the unhashable requestId under most versions (the mutant's own count).
FRAGILE_COUNT = MUTANTS["cancel-crash"].fuzz_count


async def _fuzzed(target: Target, count: int) -> tuple[Battery, list[object]]:
    battery = await run(target, only=["fuzz"])
    rows = await fuzz_outcomes(battery, count=count, seed=0)
    return battery, list(rows)


def test_fragile_server_crash_is_found_and_named(loop_name: str) -> None:
    target = stdio_target(FRAGILE, loop_name)
    _, rows = run_on(_fuzzed(target, FRAGILE_COUNT), loop_name)
    by_id = {row.id: row for row in rows}  # type: ignore[attr-defined]
    assert set(by_id) == {f"fuzz.{kind}" for kind in KINDS}
    crash = by_id["fuzz.crash"]
    assert crash.status == "fail"
    assert "notifications/cancelled params/requestId = [1] (unhashable)" in crash.detail
    assert "exited" in crash.detail
    assert '"method":"notifications/cancelled"' in crash.evidence
    assert '"requestId":[1]' in crash.evidence
    assert "replay: printf" in crash.evidence and "tests.check.mutants cancel-crash" in crash.evidence
    others = {
        row_id: row.detail for row_id, row in by_id.items() if row.status != "pass" and row_id != "fuzz.crash"
    }
    assert others == {}


def test_cli_fuzz_fails_with_the_message_and_exit_status_1() -> None:
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "mcpcore",
            "check",
            "--only",
            "fuzz",
            "--fuzz",
            "--fuzz-count",
            str(FRAGILE_COUNT),
            "--fuzz-seed",
            "0",
            "--",
            sys.executable,
            *FRAGILE,
        ],
        cwd=ROOT,
        capture_output=True,
        timeout=300,
        check=False,
    )
    out = completed.stdout.decode()
    assert completed.returncode == 1, out + completed.stderr.decode()
    assert "FAIL  fuzz.crash" in out
    assert '"requestId":[1]' in out
    assert "PASS  fuzz.hang" in out


def test_a_fuzz_finding_can_be_an_expected_failure(tmp_path: Path) -> None:
    """Baselines apply to fuzz rows as to any check: a listed fuzz.crash does not fail the run."""
    expected = tmp_path / "expected.json"
    expected.write_text('["fuzz.crash"]')
    command = [sys.executable, "-m", "mcpcore", "check", "--only", "fuzz", "--fuzz"]
    command += ["--fuzz-count", str(FRAGILE_COUNT), "--expected-failures", str(expected)]
    command += ["--", sys.executable, *FRAGILE]
    completed = subprocess.run(command, cwd=ROOT, capture_output=True, timeout=300, check=False)
    out = completed.stdout.decode()
    assert completed.returncode == 0, out + completed.stderr.decode()
    assert "fuzz.crash" in out and "[expected failure]" in out


def test_calculator_has_no_fuzz_finding(loop_name: str) -> None:
    target = stdio_target(["-m", "mcpcore.examples.calculator"], loop_name)
    battery, rows = run_on(_fuzzed(target, 150), loop_name)
    assert battery.facts.legacy and battery.facts.modern
    failed = [(row.id, row.detail, row.evidence) for row in rows if row.status != "pass"]  # type: ignore[attr-defined]
    assert failed == []
