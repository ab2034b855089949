"""``mcpcore check URL``: the battery over Streamable HTTP, plus the HTTP-level checks.

mcpcore's example served over HTTP passes every check that applies (the
stdio-only ones are n/a), and the command line names the URL in its report.
"""

from __future__ import annotations

from pathlib import Path
from xml.etree import ElementTree

import pytest

from mcpcore.check import Target, run
from tests.check.test_battery import FIXED_LIST
from tests.client.peer import run as run_on
from tests.e2e.test_client_http import calculator_http  # noqa: F401  (module-scoped server fixture)

pytestmark = pytest.mark.timeout(240)

STDIO_ONLY = {"stdio.crlf", "stdio.eof-exit", "stdio.clean-stdout"}


def test_calculator_over_http_passes_every_check(calculator_http: tuple[str, str]) -> None:  # noqa: F811
    url, loop = calculator_http
    battery = run_on(run(Target(url=url), call_tools="all"), loop)
    outcomes = {o.id: o for o in battery.outcomes}
    failed = [(o.id, o.detail, o.evidence) for o in battery.outcomes if o.missed]
    assert failed == []
    not_applicable = {o.id for o in battery.outcomes if o.status == "n/a"}
    assert not_applicable == STDIO_ONLY | FIXED_LIST
    assert outcomes["http.origin"].status == "pass"
    assert outcomes["http.legacy-delete"].detail == "DELETE 200, then 404"
    assert outcomes["cancellation.no-response"].status == "pass"


def test_cli_reports_http_target(calculator_http: tuple[str, str], tmp_path: Path) -> None:  # noqa: F811
    import subprocess
    import sys

    from tests.helpers import ROOT

    url, _loop = calculator_http
    junit = tmp_path / "http.xml"
    completed = subprocess.run(
        [sys.executable, "-m", "mcpcore", "check", "--only", "http.", "--junit", str(junit), url],
        cwd=ROOT,
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout.decode()
    assert f"mcpcore check: {url}".encode() in completed.stdout
    assert b"0 failed" in completed.stdout
    suite = ElementTree.parse(junit).getroot()
    cases = {case.get("name"): case for case in suite.iter("testcase")}
    assert suite.get("failures") == "0" and "http.origin" in cases
    origin = {p.get("name"): p.get("value") for p in cases["http.origin"].iter("property")}
    assert origin["level"] == "MUST" and origin["status"] == "pass"


BROKEN_HTTP_FAILS = {
    "http.legacy-notification-202",  # a notification gets 200, not 202
    "http.legacy-unknown-session",  # an unknown session gets 400, not 404 ...
    "http.legacy-delete",  # ... and so does a deleted one
    "http.origin",  # the Origin header is ignored
}


@pytest.mark.parametrize("loop", ["uvloop", "asyncio"])
def test_broken_http_server_fails_exactly_the_http_checks_it_should(loop: str) -> None:
    from tests.e2e.test_client_http import free_port, serve

    port = free_port()
    process = serve(["tests/check/broken_http_server.py", str(port)], port, loop)
    try:
        battery = run_on(run(Target(url=f"http://127.0.0.1:{port}/mcp"), call_tools="all"), loop)
    finally:
        process.terminate()
        process.wait(10)
    failed = {o.id for o in battery.outcomes if o.status == "fail"}
    assert failed == BROKEN_HTTP_FAILS
    by_id = {o.id: o for o in battery.outcomes}
    assert by_id["http.legacy-unknown-session"].detail == "expected 404, got 400"
    assert by_id["resources.read"].status == by_id["prompts.get"].status == "pass"
