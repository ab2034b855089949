"""``mcpcore check URL``: the battery over Streamable HTTP, plus the HTTP-level checks.

mcpcore's example served over HTTP passes every check that applies (the
stdio-only ones are n/a), and the command line names the URL in its report.
"""

from __future__ import annotations

import pytest

from mcpcore.check import Target, run
from tests.client.peer import run as run_on
from tests.e2e.test_client_http import calculator_http  # noqa: F401  (module-scoped server fixture)

pytestmark = pytest.mark.timeout(240)

STDIO_ONLY = {"stdio.crlf", "stdio.eof-exit"}


def test_calculator_over_http_passes_every_check(calculator_http: tuple[str, str]) -> None:  # noqa: F811
    url, loop = calculator_http
    battery = run_on(run(Target(url=url), call_tools="all"), loop)
    outcomes = {o.id: o for o in battery.outcomes}
    failed = [(o.id, o.detail, o.evidence) for o in battery.outcomes if o.status == "fail"]
    assert failed == []
    not_applicable = {o.id for o in battery.outcomes if o.status == "n/a"}
    assert not_applicable == STDIO_ONLY
    assert outcomes["http.origin"].status == "pass"
    assert outcomes["http.legacy-delete"].detail == "DELETE 200, then 404"
    assert outcomes["cancellation.no-response"].status == "pass"


def test_cli_reports_http_target(calculator_http: tuple[str, str]) -> None:  # noqa: F811
    import subprocess
    import sys

    from tests.helpers import ROOT

    url, _loop = calculator_http
    completed = subprocess.run(
        [sys.executable, "-m", "mcpcore", "check", "--only", "http.", url],
        cwd=ROOT,
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout.decode()
    assert f"mcpcore check: {url}".encode() in completed.stdout
    assert b"0 failed" in completed.stdout
