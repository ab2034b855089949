"""``mcpcore check`` in CI: the exit status follows the levels, ``--strict``, ``--expected-failures``,
``--json`` with and without a file, selection by ``--spec-version`` and ``--skip``, and a server that
dies saying why. Real subprocesses throughout (the CLI, and the servers it checks)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree

import orjson
import pytest

from mcpcore import __version__
from mcpcore.check import Target, run
from tests.check.test_battery import BROKEN, ENV
from tests.client.peer import run as run_on
from tests.helpers import ROOT

pytestmark = pytest.mark.timeout(240)


def check_cli(*args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "mcpcore", "check", "--timeout", "3", *args],
        env=ENV,
        cwd=ROOT,
        capture_output=True,
        timeout=180,
        check=False,
    )


def test_a_should_miss_warns_and_fails_only_under_strict(tmp_path: Path) -> None:
    """The broken server answers a cancelled request (a SHOULD): WARN, exit 0; --strict: exit 1."""
    junit = tmp_path / "out.xml"
    relaxed = check_cli("--only", "cancellation.", "--junit", str(junit), "--", *BROKEN)
    assert relaxed.returncode == 0, relaxed.stdout.decode()
    assert b"WARN  cancellation.no-response" in relaxed.stdout
    assert b"SHOULD: Receivers of cancellation notifications SHOULD" in relaxed.stdout
    case = ElementTree.parse(junit).getroot().find("testcase[@name='cancellation.no-response']")
    assert case is not None and case.find("failure") is None
    properties = {p.get("name"): p.get("value") for p in case.iter("property")}
    assert properties["level"] == "SHOULD" and properties["status"] == "warn"
    assert properties["url"].endswith("/basic/utilities/cancellation#behavior-requirements")
    system_out = case.find("system-out")
    assert system_out is not None and "WARN (SHOULD)" in (system_out.text or "")

    strict = check_cli("--strict", "--only", "cancellation.", "--junit", str(junit), "--", *BROKEN)
    assert strict.returncode == 1, strict.stdout.decode()
    case = ElementTree.parse(junit).getroot().find("testcase[@name='cancellation.no-response']")
    assert case is not None and case.find("failure") is not None


def test_expected_failures_excuse_listed_misses_and_fail_when_one_passes(tmp_path: Path) -> None:
    baseline = tmp_path / "baseline.json"
    baseline.write_bytes(orjson.dumps(["jsonrpc.parse-error"]))
    only = ("--only", "jsonrpc.parse-error", "--only", "jsonrpc.unknown-method")
    excused = check_cli(*only, "--expected-failures", str(baseline), "--", *BROKEN)
    assert excused.returncode == 0, excused.stdout.decode()
    assert b"[expected failure]" in excused.stdout

    baseline.write_bytes(orjson.dumps(["jsonrpc.parse-error", "jsonrpc.unknown-method"]))
    stale = check_cli(*only, "--expected-failures", str(baseline), "--format", "junit", "--", *BROKEN)
    assert stale.returncode == 1  # the baseline lists a check the server now passes
    suite = ElementTree.fromstring(stale.stdout)
    failing = {c.get("name") for c in suite if c.find("failure") is not None}
    assert failing == {"jsonrpc.unknown-method"}

    baseline.write_bytes(orjson.dumps(["jsonrpc.no-such-check"]))
    typo = check_cli(*only, "--expected-failures", str(baseline), "--", *BROKEN)
    assert typo.returncode == 2 and b"unknown check id" in typo.stderr


def test_expected_failures_in_the_official_suites_yaml_form(tmp_path: Path) -> None:
    baseline = tmp_path / "baseline.yml"
    baseline.write_text("server:\n  - jsonrpc.parse-error\n")
    completed = check_cli(
        "--only", "jsonrpc.parse-error", "--expected-failures", str(baseline), "--", *BROKEN
    )
    try:
        import yaml  # type: ignore[import-untyped]  # noqa: F401
    except ImportError:
        assert completed.returncode == 2 and b"PyYAML" in completed.stderr
    else:
        assert completed.returncode == 0, completed.stdout.decode()


def test_json_alone_prints_to_stdout_and_json_file_writes_the_file(tmp_path: Path) -> None:
    alone = check_cli("--only", "jsonrpc.parse-error", "--json", "--", *BROKEN)
    document = orjson.loads(alone.stdout)
    (row,) = document["checks"]
    assert row["id"] == "jsonrpc.parse-error" and row["status"] == "fail" and row["level"] == "MUST"
    assert row["clause"] and row["url"].startswith("https://") and "2025-11-25" in row["specVersions"]
    assert document["passed"] is False and alone.returncode == 1

    path = tmp_path / "report.json"
    to_file = check_cli("--only", "jsonrpc.parse-error", "--json", str(path), "--", *BROKEN)
    assert to_file.stdout.startswith(b"mcpcore check: ")  # the table still goes to stdout
    # The first line names the flags that shaped the outcomes: every report has the same head.
    first = to_file.stdout.decode().splitlines()[0]
    assert first.endswith(f"  (--only jsonrpc.parse-error --timeout 3; mcpcore {__version__})"), first
    assert document["flags"] == ["--only", "jsonrpc.parse-error", "--timeout", "3"]
    assert orjson.loads(path.read_bytes())["checks"][0]["id"] == "jsonrpc.parse-error"


def test_selection_by_spec_version_and_skip() -> None:
    modern = check_cli("--list", "--spec-version", "2026-07-28").stdout.decode()
    ids = {line.split()[0] for line in modern.splitlines()}
    assert {"lifecycle.discover", "http.modern-bad-version", "schema.2026-07-28", "tools.call"} <= ids
    assert not ids & {"lifecycle.ping", "lifecycle.initialize", "jsonrpc.batch", "schema.2025-11-25"}
    oldest = check_cli("--list", "--spec-version", "2025-03-26").stdout.decode()
    assert "jsonrpc.batch " in oldest and "http.legacy-bad-protocol-version" not in oldest

    skipped = check_cli("--list", "--skip", "http.", "--skip", "tools.call").stdout.decode()
    ids = {line.split()[0] for line in skipped.splitlines()}
    assert "tools.unknown-tool" in ids and "tools.call" not in ids
    assert not any(i.startswith("http.") for i in ids)
    assert check_cli("--list", "--spec-version", "1999-01-01").returncode == 2


def test_a_server_that_dies_at_import_says_why(loop_name: str) -> None:
    dead = Target([sys.executable, "-c", "import mcpcore_check_no_such_module"], env=ENV, timeout=3.0)
    battery = run_on(run(dead, only=["lifecycle.initialize"]), loop_name)
    (outcome,) = battery.outcomes
    assert outcome.status == "fail"
    assert "server exit status 1" in outcome.detail
    assert "ModuleNotFoundError: No module named 'mcpcore_check_no_such_module'" in outcome.detail
