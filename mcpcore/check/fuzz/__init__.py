"""``mcpcore check --fuzz``: protocol-aware fuzzing of any MCP server.

The generator (:mod:`.generate`) walks each version's shipped JSON schema for
the messages a server receives; :mod:`.mutate` turns each into hostile
variants, deterministic by seed; :mod:`.runner` sends them over one
connection per version and judges the answers. :func:`fuzz_outcomes` turns the
findings into battery rows (``fuzz.crash``, ``fuzz.hang``, ...), so the exit
status, ``--junit`` and every report format treat them as any other check.
"""

from __future__ import annotations

import shlex
import time
from collections import Counter
from collections.abc import Sequence

from mcpcore.check.battery import Battery
from mcpcore.check.fuzz.generate import Hints, Template, templates
from mcpcore.check.fuzz.mutate import Case, cases_for, encode, mutations
from mcpcore.check.fuzz.runner import KINDS, Finding, FuzzRun
from mcpcore.check.registry import Level, Outcome

__all__ = [
    "CLAUSES",
    "KINDS",
    "Case",
    "Finding",
    "FuzzRun",
    "Hints",
    "Template",
    "cases_for",
    "encode",
    "fuzz_outcomes",
    "mutations",
    "replay_command",
    "templates",
]

DEFAULT_COUNT = 300

_JSONRPC = "https://www.jsonrpc.org/specification"
_SPEC = "https://modelcontextprotocol.io/specification/2025-11-25"
#: The level, section and clause of each finding kind, as every check carries them: a row of the
#: same report format as the rest of the battery. An ERROR log is no breach of any clause (INFO).
CLAUSES: dict[str, tuple[Level, str, str]] = {
    "crash": (
        "MUST",
        f"{_JSONRPC}#response_object",
        "When a rpc call is made, the Server MUST reply with a Response; a server that exits on a "
        "client's message answers nothing after it.",
    ),
    "hang": (
        "MUST",
        f"{_JSONRPC}#response_object",
        "When a rpc call is made, the Server MUST reply with a Response (an invalid one gets an error "
        "response: -32600, -32602 ...).",
    ),
    "double-answer": (
        "MUST",
        f"{_SPEC}/basic#responses",
        "Responses are sent in reply to requests and MUST include the same ID as the request they "
        "correspond to: one response per request.",
    ),
    "answered-notification": (
        "MUST",
        f"{_SPEC}/basic#notifications",
        "Notifications MUST NOT include an ID; the receiver MUST NOT send a response (JSON-RPC: the "
        "Server MUST NOT reply to a Notification).",
    ),
    "invalid-json": (
        "MUST",
        f"{_SPEC}/basic/transports#stdio",
        "Messages are JSON-RPC, UTF-8 encoded; the server MUST NOT write anything to its stdout that "
        "is not a valid MCP message.",
    ),
    "invalid-response": (
        "MUST",
        f"{_SPEC}/basic",
        "Every message conforms to the schema of the protocol version in use.",
    ),
    "error-log": (
        "INFO",
        f"{_SPEC}/server/utilities/logging",
        "No clause: an ERROR-level log line for a client's malformed message is noise an operator "
        "has to investigate (interop advice).",
    ),
}
#: Findings listed per row (the rest are counted).
_LISTED = 5
#: Bytes of a case quoted in full; longer ones are cut (the seed replays them exactly).
_QUOTED = 600


async def fuzz_outcomes(battery: Battery, *, count: int = DEFAULT_COUNT, seed: int = 0) -> list[Outcome]:
    """Fuzz the battery's target (after :meth:`Battery.learn`) and return one row per finding kind."""
    facts = battery.facts
    started = time.monotonic()
    run = FuzzRun(
        battery.target,
        legacy=facts.legacy,
        modern=facts.modern,
        count=count,
        seed=seed,
        tools=facts.tools,
        call_tools=battery.call_tools,
    )
    if not run.versions:
        rows = [_row(kind) for kind in KINDS]
        for row in rows:
            row.status, row.detail = "n/a", "the server speaks no era"
        return rows
    findings = await run.run()
    seconds = time.monotonic() - started
    rows = []
    for kind in KINDS:
        mine = [f for f in findings if f.kind == kind]
        row = _row(kind)
        row.seconds = seconds / len(KINDS)
        if mine:
            row.miss(
                f"{len(mine)} of {run.sent} cases ({_by_mutation(mine)}): "
                + "; ".join(
                    f"#{f.case.index} {f.case.version} {f.case.description}: {f.detail}"
                    for f in mine[:_LISTED]
                ),
                evidence(mine[0], battery.target.command, battery.target.url, count, seed),
            )
        else:
            row.detail = f"{run.sent} cases, none"
        rows.append(row)
    rows[0].detail += _run_notes(run, seed)  # said once, on the first row
    return rows


def _row(kind: str) -> Outcome:
    level, url, clause = CLAUSES[kind]
    return Outcome(f"fuzz.{kind}", KINDS[kind], "pass", level=level, url=url, clause=clause)


def _by_mutation(findings: list[Finding]) -> str:
    """How many findings each kind of change produced, most first (the method and version left out)."""
    counts = Counter(f.case.description[len(f.case.method) + 1 :] for f in findings)
    shown = [f"{label}: {n}" for label, n in counts.most_common(_LISTED)]
    if len(counts) > _LISTED:
        shown.append(f"{len(counts) - _LISTED} more kinds")
    return "; ".join(shown)


def _run_notes(run: FuzzRun, seed: int) -> str:
    notes = f" ({' '.join(run.versions)}; seed {seed}; {run.restarts} restarts"
    if run.unsent:
        notes += f"; {run.unsent} HTTP cancels unsent"  # 2026-07-28: closing the stream is cancelling
    if run.skipped:
        notes += "; " + "; ".join(run.skipped)
    return notes + ")"


def evidence(finding: Finding, command: Sequence[str], url: str | None, count: int, seed: int) -> str:
    """The exact bytes of the case and how to replay it."""
    data = finding.case.data
    text = data.decode("utf-8", "replace").rstrip("\n")
    if len(text) > _QUOTED:
        text = f"{text[:_QUOTED]}… ({len(data)} bytes)"
    return f"{text}  replay: {replay_command(finding.case, command, url, count, seed)}"


def replay_command(case: Case, command: Sequence[str], url: str | None, count: int, seed: int) -> str:
    """One shell line that sends the case again: piped into a stdio server when short, else by seed."""
    target = url if url is not None else "-- " + shlex.join(command)
    again = f"mcpcore check --only fuzz --fuzz --fuzz-count {count} --fuzz-seed {seed} {target}"
    if url is not None or len(case.data) > _QUOTED:
        return again
    lines = [encode(message, {}).decode().strip() for message in _handshake(case.version)]
    lines.append(case.data.decode().strip())
    return f"printf '%s\\n' {' '.join(shlex.quote(line) for line in lines)} | {shlex.join(command)}"


def _handshake(version: str) -> list[dict[str, object]]:
    from mcpcore import versions

    if version in versions.MODERN_VERSIONS:
        return []
    return [
        {
            "jsonrpc": "2.0",
            "id": 0,
            "method": "initialize",
            "params": {
                "protocolVersion": version,
                "capabilities": {},
                "clientInfo": {"name": "replay", "version": "0"},
            },
        },
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
    ]
