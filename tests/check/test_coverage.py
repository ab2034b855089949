"""docs/check-coverage.md is generated from the requirement list and the check registry; it is never stale."""

from __future__ import annotations

import subprocess
import sys

from mcpcore.check.coverage import counts, render
from mcpcore.check.registry import CHECKS
from mcpcore.check.requirements import CLIENT, NOT_YET, REQUIREMENTS, UNOBSERVABLE
from tests.helpers import ROOT

COMMITTED = ROOT / "docs" / "check-coverage.md"


def test_the_committed_coverage_map_is_current() -> None:
    assert COMMITTED.read_text() == render(), (
        "docs/check-coverage.md is stale: python -m mcpcore.check.coverage > docs/check-coverage.md"
    )


def test_every_requirement_is_tested_or_says_why_not() -> None:
    registered = {spec.id for spec in CHECKS}
    for requirement in REQUIREMENTS:
        assert bool(requirement.checks) != bool(requirement.why_not), requirement
        assert requirement.why_not in ("", CLIENT, UNOBSERVABLE, NOT_YET), requirement
        assert set(requirement.checks) <= registered, requirement


def test_every_check_names_its_clause_and_the_readme_states_the_count() -> None:
    own = [s for s in CHECKS if s.fn is None or s.fn.__module__.startswith("mcpcore.check.checks.")]
    assert len(own) > 60
    for spec in own:
        assert spec.clause and spec.url.startswith("https://"), spec.id
    readme = (ROOT / "README.md").read_text()
    tested, testable = counts()["MUST"]
    assert f"tests {tested} of {testable} testable MUSTs" in readme
    tested, testable = counts()["SHOULD"]
    assert f"{tested} of {testable} testable SHOULDs" in readme


def test_the_cli_prints_the_same_map() -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "mcpcore", "check", "--coverage-map"],
        cwd=ROOT,
        capture_output=True,
        timeout=60,
        check=True,
    )
    assert completed.stdout.decode() == render()
