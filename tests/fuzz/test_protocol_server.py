"""Protocol-aware fuzzing, server role: mcpcore's own servers against every version's hostile messages.

Each run walks the version schemas for every client request and notification
(:mod:`mcpcore.check.fuzz`), mutates them field by field and sends them to a
real server subprocess: the example calculator (tools, resources, prompts,
completion) and the surface test server (tools that call back into the client),
under every legacy version via ``initialize`` and under the 2026-07-28
envelope, on uvloop and on plain asyncio; the calculator over Streamable HTTP too.
The invariants (each a finding kind of :data:`mcpcore.check.fuzz.KINDS`): every
request gets exactly one schema-valid answer, notifications get none, the
server keeps answering ping, and it logs no ERROR for the client's fault.
"""

from __future__ import annotations

import pytest

from mcpcore import versions
from mcpcore.check import Target
from mcpcore.check.fuzz import FuzzRun
from tests.e2e.test_client_http import calculator_http  # noqa: F401  (module-scoped server fixture)
from tests.fuzz._protocol import COUNT, SEED, TIMEOUT, describe, run_on, stdio_target

pytestmark = pytest.mark.timeout(900)

SERVERS = {
    "calculator": ["-m", "mcpcore.examples.calculator"],
    "surface": ["-m", "tests.servers.surface"],
}


def _fuzz(target: Target, tools: list[dict[str, object]] | None = None) -> FuzzRun:
    return FuzzRun(target, legacy=True, modern=True, count=COUNT, seed=SEED, tools=tools, call_tools="all")


async def _tools(target: Target) -> list[dict[str, object]]:
    """The server's tools, so that generated tools/call requests name real ones."""
    from mcpcore.check.probe import Probe, Recorder

    async with Probe(target, Recorder(), "setup") as probe:
        await probe.legacy()
        result = await probe.s.request("tools/list")
        return list(result["tools"])


@pytest.mark.parametrize("server", sorted(SERVERS))
def test_stdio_server_survives_every_version_fuzzed(server: str, loop_name: str) -> None:
    target = stdio_target(SERVERS[server], loop_name)

    async def scenario() -> FuzzRun:
        run = _fuzz(target, await _tools(target))
        await run.run()
        return run

    run = run_on(scenario(), loop_name)
    assert run.versions == [*versions.LEGACY_VERSIONS, versions.LATEST_MODERN]
    assert run.sent == COUNT, run.skipped
    assert run.findings == [], describe(run.findings)
    assert run.restarts == 0


def test_http_server_survives_every_version_fuzzed(calculator_http: tuple[str, str]) -> None:  # noqa: F811
    url, loop = calculator_http
    target = Target(url=url, timeout=TIMEOUT)

    async def scenario() -> FuzzRun:
        run = _fuzz(target, await _tools(target))
        await run.run()
        return run

    run = run_on(scenario(), loop)
    assert run.sent + run.unsent == COUNT, run.skipped
    assert run.findings == [], describe(run.findings)
