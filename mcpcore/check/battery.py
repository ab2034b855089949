"""The machinery that runs the registered checks against one target and keeps their outcomes.

Each check (``mcpcore/check/checks/<area>.py``) is an ``async`` function that
gets the :class:`Battery` (the target, what was learned about the server,
options) and spawns its own server process with :meth:`Battery.probe`, so one
check cannot disturb another. It returns a short note on success and raises
:class:`~mcpcore.check.registry.Fail` (with the offending message) or
:class:`~mcpcore.check.registry.NotApplicable` otherwise. A miss is graded by
the check's level (MUST -> fail, SHOULD -> warn, INFO -> info). Every message
the server sends during a check is validated against the schema of the version
in use; a schema-invalid message fails the check and the ``schema.<version>`` row.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any, Literal

from mcpcore import versions
from mcpcore.check.probe import Probe, Recorder, Target, excerpt
from mcpcore.check.registry import (
    CHECKS,
    CheckSpec,
    Fail,
    NotApplicable,
    Outcome,
    Status,
    check,
    select,
    spec_of,
)
from mcpcore.check.sample import sample_arguments
from mcpcore.errors import RpcError

__all__ = [
    "CHECKS",
    "Battery",
    "Facts",
    "Fail",
    "NotApplicable",
    "Outcome",
    "Status",
    "check",
    "describe",
    "sample_arguments",
]

ToolPolicy = Literal["readonly", "all", "none"]


@dataclass(slots=True)
class Facts:
    """What the first contact taught about the server."""

    legacy: bool = False
    legacy_version: str | None = None
    legacy_capabilities: dict[str, Any] = field(default_factory=dict)
    legacy_error: str = ""
    modern: bool = False
    modern_capabilities: dict[str, Any] = field(default_factory=dict)
    supported_versions: list[str] = field(default_factory=list)
    modern_error: str = ""
    server_info: dict[str, Any] | None = None
    tools: list[dict[str, Any]] = field(default_factory=list)

    @property
    def capabilities(self) -> dict[str, Any]:
        return self.legacy_capabilities if self.legacy else self.modern_capabilities


class Battery:
    """Runs the checks against one target and keeps their outcomes."""

    def __init__(
        self,
        target: Target,
        *,
        call_tools: ToolPolicy = "readonly",
        slow_tool: str | None = None,
        list_change_tool: str | None = None,
        jobs: int = 4,
        extras: dict[str, Any] | None = None,
    ) -> None:
        self.target = target
        #: Options of plug-in areas (the fuzzer's count and seed, ...), by name.
        self.extras: dict[str, Any] = dict(extras or {})
        self.call_tools: ToolPolicy = call_tools
        self.slow_tool_override = slow_tool
        #: The tool whose call changes the tool list (``tools.list-changed``), when not guessed.
        self.list_change_tool = list_change_tool
        self.jobs = max(1, jobs)
        self.recorder = Recorder()
        self.facts = Facts()
        self.outcomes: list[Outcome] = []
        #: The options the run was given, as command-line flags (the report's first line names them);
        #: ``None`` when the battery was not run from the command line.
        self.flags: list[str] | None = None
        #: The probes each check opened, so a failure can say why the server died.
        self._probes: dict[str, list[Probe]] = {}

    def probe(self, check_id: str) -> Probe:
        probe = Probe(self.target, self.recorder, check_id)
        self._probes.setdefault(check_id, []).append(probe)
        return probe

    async def connected(self, check_id: str) -> Probe:
        """A probe already connected in the server's preferred era (legacy when it speaks it)."""
        probe = await self.probe(check_id).__aenter__()
        try:
            if self.facts.legacy:
                await probe.legacy()
            else:
                await probe.modern()
            # Settle: whatever the handshake provoked arrives before this answer, so a raw check
            # that drains the inbox next sees only what answers its own bytes.
            await probe.alive()
            probe.drain()
        except BaseException:
            await probe.__aexit__(None, None, None)
            raise
        return probe

    # ------------------------------------------------------------ running

    async def learn(self) -> None:
        """First contact: which eras the server speaks, its capabilities and tools."""
        from mcpcore.check.checks.common import walk

        facts = self.facts
        async with self.probe("setup") as probe:
            try:
                info = await probe.legacy()
                facts.legacy = True
                facts.legacy_version = info.protocol_version
                facts.legacy_capabilities = info.capabilities
                facts.server_info = info.info
            except Exception as exc:
                facts.legacy_error = describe(exc)
        facts.legacy_error += _death(probe)
        async with self.probe("setup") as probe:
            try:
                info = await probe.modern()
                facts.modern = versions.LATEST_MODERN in info.supported_versions
                facts.modern_capabilities = info.capabilities
                facts.supported_versions = info.supported_versions
                facts.server_info = facts.server_info or info.info
            except Exception as exc:
                facts.modern_error = describe(exc)
        facts.modern_error += _death(probe)
        if not (facts.legacy or facts.modern):
            return
        if "tools" in facts.capabilities:
            probe = await self.connected("setup")
            try:
                facts.tools = await walk(probe, "tools/list", "tools")
            except Exception:
                facts.tools = []
            finally:
                await probe.__aexit__(None, None, None)

    async def run(
        self,
        only: list[str] | None = None,
        *,
        skip: list[str] | None = None,
        spec_version: str | None = None,
    ) -> list[Outcome]:
        """Run the selected checks (see :func:`~mcpcore.check.registry.select`)."""
        import mcpcore.check.checks  # noqa: F401  (registers every area's checks)

        await self.learn()
        specs = select(CHECKS, only=only, skip=skip, spec_version=spec_version)
        semaphore = asyncio.Semaphore(self.jobs)
        results: dict[str, Outcome] = {}

        async def one(spec: CheckSpec) -> None:
            async with semaphore:
                results[spec.id] = await self._run_one(spec)

        await asyncio.gather(*(one(spec) for spec in specs if spec.fn is not None))
        summaries = {o.id: o for o in self._summary_outcomes()}
        self.outcomes = [results[s.id] if s.fn is not None else summaries[s.id] for s in specs]
        return self.outcomes

    async def _run_one(self, spec: CheckSpec) -> Outcome:
        assert spec.fn is not None
        started = time.monotonic()
        outcome = Outcome.of(spec)
        if not (self.facts.legacy or self.facts.modern) and spec.id != "lifecycle.initialize":
            outcome.status, outcome.detail = (
                "n/a",
                "the server answered neither initialize nor server/discover",
            )
        else:
            try:
                note: str | None = await asyncio.wait_for(spec.fn(self), self.target.timeout * 6)
                outcome.detail = note or ""
            except Fail as exc:
                outcome.miss(exc.detail, exc.evidence, level=exc.level, clause=exc.clause)
            except NotApplicable as exc:
                outcome.status, outcome.detail = "n/a", str(exc)
            except asyncio.TimeoutError:
                outcome.miss("the check did not finish in time (server stuck?)")
            except Exception as exc:
                outcome.miss(f"unexpected: {describe(exc)}")
        bad = [v for v in self.recorder.violations if v.check == spec.id]
        if bad and outcome.status != "fail":
            outcome.level = "MUST"
            outcome.miss(
                f"{len(bad)} message(s) invalid against the {bad[0].version} schema: {bad[0].what}: "
                + ("; ".join(bad[0].problems[:3])),
                bad[0].message,
                clause="Every message conforms to the schema of the protocol version in use.",
            )
        if outcome.missed:
            outcome.detail += "".join(_death(p) for p in self._probes.get(spec.id, []))
        outcome.seconds = time.monotonic() - started
        return outcome

    # ------------------------------------------------------- whole-run checks

    def _summary_outcomes(self) -> list[Outcome]:
        rows: list[Outcome] = []
        for version in versions.SUPPORTED_VERSIONS:
            count = self.recorder.validated.get(version, 0)
            bad = [v for v in self.recorder.violations if v.version == version]
            row = Outcome.of(spec_of(f"schema.{version}"))
            if count == 0:
                row.status, row.detail = "n/a", "no messages under this version"
            elif bad:
                row.miss(
                    f"{len(bad)} of {count} messages invalid; first: [{bad[0].check}] {bad[0].what}: "
                    + ("; ".join(bad[0].problems[:3])),
                    bad[0].message,
                )
            else:
                row.detail = f"{count} messages validated"
            rows.append(row)
        rows.append(self._logging_outcome())
        rows.append(self._framing_outcome("stdio.clean-stdout", http=False))
        rows.append(self._framing_outcome("http.json-bodies", http=True))
        return rows

    def _framing_outcome(self, check_id: str, *, http: bool) -> Outcome:
        row = Outcome.of(spec_of(check_id))
        if http != self.target.is_http:
            row.status = "n/a"
            row.detail = "an HTTP matter" if http else "a stdio matter"
        elif self.recorder.not_json:
            where, problem = self.recorder.not_json[0]
            count = len(self.recorder.not_json)
            row.miss(
                f"{count} non-JSON body/event(s); first in {where}: {problem}"
                if http
                else f"{count} non-JSON line(s) on stdout; first in {where}: {problem}"
            )
        return row

    def _logging_outcome(self) -> Outcome:
        """Log notifications are gated by the ``logging`` capability of the era they were sent in."""
        row = Outcome.of(spec_of("logging.capability"))
        facts = self.facts
        undeclared = [
            (check_id, version, msg)
            for check_id, version, msg in self.recorder.logs
            if "logging"
            not in (
                facts.modern_capabilities
                if version in versions.MODERN_VERSIONS
                else facts.legacy_capabilities
            )
        ]
        if undeclared:
            check_id, version, msg = undeclared[0]
            row.miss(
                f"{len(undeclared)} notifications/message without the logging capability; "
                f"first in {check_id} under {version}",
                excerpt(msg),
            )
        elif self.recorder.logs:
            row.detail = f"{len(self.recorder.logs)} log notification(s), capability declared"
        else:
            row.detail = "no log notifications seen"
        return row


def _death(probe: Probe) -> str:
    """Why the server under ``probe`` died on its own, if it did: its exit status and last stderr lines."""
    died = probe.died
    return "" if died is None else f"; {died}"


def describe(exc: BaseException) -> str:
    if isinstance(exc, RpcError):
        return f"error {exc.code}: {exc.message}"
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
