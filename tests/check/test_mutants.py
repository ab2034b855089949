"""Each mutant server (tests/check/mutants.py) breaks one rule; ``mcpcore check`` flags it with the
expected check ids, over stdio and over Streamable HTTP, and passes what the mutant did not break.
The fuzzer's mutant (``cancel-crash``) is judged in tests/fuzz/test_protocol_check.py."""

from __future__ import annotations

import sys

import pytest

from mcpcore.check import Target, run
from tests.check.mutants import MUTANTS
from tests.check.test_battery import ENV
from tests.client.peer import run as run_on
from tests.e2e.test_client_http import free_port, serve
from tests.helpers import ROOT

pytestmark = pytest.mark.timeout(240)

#: Mutants flagged only by the fuzzer: tests/fuzz/test_protocol_check.py judges them, row by row.
FUZZ_ONLY = sorted(n for n, m in MUTANTS.items() if m.stdio_checks and m.stdio_checks[0].startswith("fuzz."))
STDIO = sorted(n for n, m in MUTANTS.items() if m.stdio_checks and n not in FUZZ_ONLY)
HTTP = sorted(name for name, mutant in MUTANTS.items() if mutant.http)


def test_every_mutant_is_flagged_by_some_check() -> None:
    for name, mutant in MUTANTS.items():
        assert mutant.stdio_checks or mutant.http_checks, name
        assert not any(c.startswith("fuzz.") for c in mutant.stdio_checks) or mutant.fuzz_count, name
    assert FUZZ_ONLY == ["cancel-crash"]


@pytest.mark.parametrize("name", STDIO)
def test_stdio_mutant_is_flagged_by_the_expected_checks(name: str, loop_name: str) -> None:
    mutant = MUTANTS[name]
    target = Target([sys.executable, "-m", "tests.check.mutants", name], env=ENV, cwd=str(ROOT), timeout=5.0)
    only = [*mutant.stdio_checks, "jsonrpc.ids-echoed"]  # plus one check the mutant leaves alone
    battery = run_on(run(target, only=only, call_tools="all"), loop_name)
    by_id = {o.id: o for o in battery.outcomes}
    for check_id in mutant.stdio_checks:
        assert by_id[check_id].status in ("fail", "warn"), (check_id, by_id[check_id].detail)
    assert by_id["jsonrpc.ids-echoed"].status == "pass"


@pytest.mark.parametrize("name", HTTP)
def test_http_mutant_is_flagged_by_the_expected_checks(name: str, loop_name: str) -> None:
    mutant = MUTANTS[name]
    port = free_port()
    process = serve(["-m", "tests.check.mutants", name, "--port", str(port)], port, loop_name)
    try:
        target = Target(url=f"http://127.0.0.1:{port}/mcp", timeout=5.0)
        only = [*mutant.http_checks, "http.legacy-content-type"]
        battery = run_on(run(target, only=only, call_tools="all"), loop_name)
    finally:
        process.terminate()
        process.wait(10)
    by_id = {o.id: o for o in battery.outcomes}
    for check_id in mutant.http_checks:
        assert by_id[check_id].status in ("fail", "warn"), (check_id, by_id[check_id].detail)
    assert by_id["http.legacy-content-type"].status == "pass"


def test_the_unbroken_example_passes_the_new_checks_and_a_named_trigger_is_used(loop_name: str) -> None:
    """The control for no-list-changed and progress-without-token: the example passes both checks.
    ``--list-change-tool`` replaces the guess: a tool that changes nothing leaves the SHOULD unmet."""
    command = [sys.executable, "-m", "mcpcore.examples.conformance"]
    target = Target(command, env=ENV, cwd=str(ROOT), timeout=5.0)
    only = ["tools.list-changed", "progress.token"]
    battery = run_on(run(target, only=only, call_tools="all"), loop_name)
    by_id = {o.id: o for o in battery.outcomes}
    assert by_id["tools.list-changed"].status == "pass", by_id["tools.list-changed"].detail
    assert "legacy" in by_id["tools.list-changed"].detail and "listen" in by_id["tools.list-changed"].detail
    assert by_id["progress.token"].status == "pass", by_id["progress.token"].detail

    named = run(target, only=["tools.list-changed"], call_tools="all", list_change_tool="test_simple_text")
    (outcome,) = run_on(named, loop_name).outcomes
    assert outcome.status == "warn" and "test_simple_text" in outcome.detail, outcome.detail
