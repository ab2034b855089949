"""The checks ``mcpcore check`` runs against a server, and the machinery to run them.

Each check is an ``async`` function that gets a :class:`Battery` (the target,
what was learned about the server, options) and spawns its own server
process with :meth:`Battery.probe`, so one check cannot disturb another. It
returns a short note on success and raises :class:`Fail` (with the offending
message) or :class:`NotApplicable` otherwise. Every message the server sends
during a check is validated against the schema of the version in use; a
check during which the server sent a schema-invalid message fails too.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any, Literal

from jsonschema.validators import validator_for

from mcpcore import versions
from mcpcore.check.probe import Probe, Recorder, Target, excerpt
from mcpcore.errors import RemoteProtocolError, RequestTimeoutError, RpcError

__all__ = ["CHECKS", "Battery", "Fail", "NotApplicable", "Outcome", "Status"]

Status = Literal["pass", "fail", "n/a"]
ToolPolicy = Literal["readonly", "all", "none"]

UNKNOWN_VERSION = "1999-01-01"
_SLOW_NAME = re.compile(r"sleep|slow|wait|delay", re.IGNORECASE)
_CAPABILITY_LISTS = (
    ("tools", "tools/list", "tools"),
    ("resources", "resources/list", "resources"),
    ("resources", "resources/templates/list", "resourceTemplates"),
    ("prompts", "prompts/list", "prompts"),
)


class Fail(Exception):
    """The server departed from the spec; ``evidence`` is the offending message."""

    def __init__(self, detail: str, evidence: Any = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.evidence = None if evidence is None else excerpt(evidence)


class NotApplicable(Exception):
    """The check does not apply to this server (a feature it does not offer)."""


@dataclass(slots=True)
class Outcome:
    id: str
    title: str
    status: Status
    detail: str = ""
    evidence: str | None = None
    seconds: float = 0.0


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


CheckFn = Callable[["Battery"], Coroutine[Any, Any, str | None]]


@dataclass(frozen=True, slots=True)
class CheckSpec:
    id: str
    title: str
    fn: CheckFn


CHECKS: list[CheckSpec] = []


def check(check_id: str, title: str) -> Callable[[CheckFn], CheckFn]:
    def register(fn: CheckFn) -> CheckFn:
        CHECKS.append(CheckSpec(check_id, title, fn))
        return fn

    return register


class Battery:
    """Runs the checks against one target and keeps their outcomes."""

    def __init__(
        self,
        target: Target,
        *,
        call_tools: ToolPolicy = "readonly",
        slow_tool: str | None = None,
        jobs: int = 4,
    ) -> None:
        self.target = target
        self.call_tools: ToolPolicy = call_tools
        self.slow_tool_override = slow_tool
        self.jobs = max(1, jobs)
        self.recorder = Recorder()
        self.facts = Facts()
        self.outcomes: list[Outcome] = []
        self.current = ""

    def probe(self, check_id: str) -> Probe:
        return Probe(self.target, self.recorder, check_id)

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
        facts = self.facts
        async with self.probe("setup") as probe:
            try:
                info = await probe.legacy()
                facts.legacy = True
                facts.legacy_version = info.protocol_version
                facts.legacy_capabilities = info.capabilities
                facts.server_info = info.info
            except Exception as exc:
                facts.legacy_error = _describe(exc)
        async with self.probe("setup") as probe:
            try:
                info = await probe.modern()
                facts.modern = versions.LATEST_MODERN in info.supported_versions
                facts.modern_capabilities = info.capabilities
                facts.supported_versions = info.supported_versions
                facts.server_info = facts.server_info or info.info
            except Exception as exc:
                facts.modern_error = _describe(exc)
        if not (facts.legacy or facts.modern):
            return
        if "tools" in facts.capabilities:
            probe = await self.connected("setup")
            try:
                facts.tools = await _walk(probe, "tools/list", "tools")
            except Exception:
                facts.tools = []
            finally:
                await probe.__aexit__(None, None, None)

    async def run(self, only: list[str] | None = None) -> list[Outcome]:
        await self.learn()
        specs = [spec for spec in CHECKS if not only or any(spec.id.startswith(prefix) for prefix in only)]
        semaphore = asyncio.Semaphore(self.jobs)
        results: dict[str, Outcome] = {}

        async def one(spec: CheckSpec) -> None:
            async with semaphore:
                results[spec.id] = await self._run_one(spec)

        await asyncio.gather(*(one(spec) for spec in specs))
        self.outcomes = [results[spec.id] for spec in specs]
        self.outcomes.extend(self._schema_outcomes())
        return self.outcomes

    async def _run_one(self, spec: CheckSpec) -> Outcome:
        started = time.monotonic()
        outcome = Outcome(spec.id, spec.title, "pass")
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
                outcome.status, outcome.detail, outcome.evidence = "fail", exc.detail, exc.evidence
            except NotApplicable as exc:
                outcome.status, outcome.detail = "n/a", str(exc)
            except asyncio.TimeoutError:
                outcome.status, outcome.detail = "fail", "the check did not finish in time (server stuck?)"
            except Exception as exc:
                outcome.status, outcome.detail = "fail", f"unexpected: {_describe(exc)}"
        bad = [v for v in self.recorder.violations if v.check == spec.id]
        if bad and outcome.status != "fail":
            outcome.status = "fail"
            outcome.detail = (
                f"{len(bad)} message(s) invalid against the {bad[0].version} schema: {bad[0].what}: "
                + ("; ".join(bad[0].problems[:3]))
            )
            outcome.evidence = bad[0].message
        outcome.seconds = time.monotonic() - started
        return outcome

    def _schema_outcomes(self) -> list[Outcome]:
        rows: list[Outcome] = []
        for version in versions.SUPPORTED_VERSIONS:
            count = self.recorder.validated.get(version, 0)
            bad = [v for v in self.recorder.violations if v.version == version]
            row = Outcome(f"schema.{version}", f"every message valid against the {version} schema", "pass")
            if count == 0:
                row.status, row.detail = "n/a", "no messages under this version"
            elif bad:
                row.status = "fail"
                row.detail = (
                    f"{len(bad)} of {count} messages invalid; first: [{bad[0].check}] {bad[0].what}: "
                    + ("; ".join(bad[0].problems[:3]))
                )
                row.evidence = bad[0].message
            else:
                row.detail = f"{count} messages validated"
            rows.append(row)
        rows.append(self._logging_outcome())
        stdout = Outcome("stdio.clean-stdout", "stdout carries only JSON-RPC messages", "pass")
        if self.target.is_http:
            stdout = Outcome(
                "http.json-bodies", "every response body and SSE event is a JSON-RPC message", "pass"
            )
        if self.recorder.not_json:
            check_id, problem = self.recorder.not_json[0]
            stdout.status = "fail"
            stdout.detail = (
                f"{len(self.recorder.not_json)} non-JSON {'body/event' if self.target.is_http else 'line'}(s)"
                f" {'' if self.target.is_http else 'on stdout'}; first in {check_id}: {problem}"
            )
        rows.append(stdout)
        return rows

    def _logging_outcome(self) -> Outcome:
        """Log notifications are gated by the ``logging`` capability of the era they were sent in."""
        row = Outcome("logging.capability", "log notifications only with the logging capability", "pass")
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
            row.status = "fail"
            row.detail = (
                f"{len(undeclared)} notifications/message without the logging capability; "
                f"first in {check_id} under {version}"
            )
            row.evidence = excerpt(msg)
        elif self.recorder.logs:
            row.detail = f"{len(self.recorder.logs)} log notification(s), capability declared"
        else:
            row.detail = "no log notifications seen"
        return row


def _stdio_only(b: Battery) -> None:
    if b.target.is_http:
        raise NotApplicable("a stdio matter (the target is an HTTP endpoint)")


def _describe(exc: BaseException) -> str:
    if isinstance(exc, RpcError):
        return f"error {exc.code}: {exc.message}"
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


# ====================================================================== helpers


async def _walk(probe: Probe, method: str, key: str, max_pages: int = 1000) -> list[Any]:
    items: list[Any] = []
    seen: set[str] = set()
    cursor: str | None = None
    for _ in range(max_pages):
        result = await probe.s.request(method, {"cursor": cursor} if cursor is not None else None)
        page = result.get(key)
        if type(page) is not list:
            raise Fail(f"{method} result has no {key!r} array", result)
        items.extend(page)
        cursor = result.get("nextCursor")
        if cursor is None:
            return items
        if type(cursor) is not str or cursor in seen:
            raise Fail(f"{method} pagination does not terminate: cursor {cursor!r} repeats", result)
        seen.add(cursor)
    raise Fail(f"{method} gave more than {max_pages} pages")


def _liveness(probe: Probe, request_id: int) -> dict[str, Any]:
    """The cheapest request the server must answer in the probe's era."""
    if probe.version in versions.MODERN_VERSIONS:
        return {
            "jsonrpc": "2.0",
            "id": request_id,
            "method": "server/discover",
            "params": probe.modern_params(),
        }
    return {"jsonrpc": "2.0", "id": request_id, "method": "ping"}


async def _expect_error(
    probe: Probe, raw: bytes, codes: tuple[int, ...], *, request_id: Any = None, what: str
) -> str:
    """Send ``raw``; the server must answer an error with one of ``codes`` and the right id."""
    probe.drain()
    probe.send_raw(raw)
    reply = await probe.next_message()
    while type(reply) is dict and "method" in reply:  # notifications (logs) may come first
        reply = await probe.next_message()
    if reply is None:
        raise Fail(f"no answer to {what}", raw)
    if type(reply) is not dict or "error" not in reply:
        raise Fail(f"{what} was not answered with an error", reply)
    code = reply["error"].get("code") if type(reply["error"]) is dict else None
    if code not in codes:
        raise Fail(f"{what}: expected error {' or '.join(map(str, codes))}, got {code}", reply)
    if reply.get("id", "missing") != request_id or type(reply.get("id")) is not type(request_id):
        raise Fail(
            f"{what}: the error's id should be {request_id!r}, got {reply.get('id', 'missing')!r}", reply
        )
    if not await probe.alive():
        raise Fail(f"the server stopped answering after {what}")
    return f"error {code}, server still serving"


def sample_arguments(schema: dict[str, Any]) -> Any:
    """A small value valid for ``schema`` (best effort; the caller validates it)."""
    return _sample(schema, schema, 0)


def _sample(schema: Any, root: dict[str, Any], depth: int) -> Any:
    if type(schema) is not dict or depth > 8:
        return None
    ref = schema.get("$ref")
    if type(ref) is str and ref.startswith("#/"):
        node: Any = root
        for part in ref[2:].split("/"):
            node = node.get(part, {}) if type(node) is dict else {}
        return _sample(node, root, depth + 1)
    for key in ("const", "default"):
        if key in schema:
            return schema[key]
    if type(schema.get("enum")) is list and schema["enum"]:
        return schema["enum"][0]
    for key in ("anyOf", "oneOf", "allOf"):
        if type(schema.get(key)) is list and schema[key]:
            options = [s for s in schema[key] if not (type(s) is dict and s.get("type") == "null")]
            return _sample((options or schema[key])[0], root, depth + 1)
    kind = schema.get("type")
    if type(kind) is list:
        kind = next((k for k in kind if k != "null"), "null")
    if kind == "object" or (kind is None and "properties" in schema):
        properties = schema.get("properties") or {}
        return {
            name: _sample(properties.get(name, {}), root, depth + 1) for name in schema.get("required") or []
        }
    if kind == "array":
        count = int(schema.get("minItems", 0))
        return [_sample(schema.get("items", {}), root, depth + 1) for _ in range(count)]
    if kind == "string":
        return "x" * max(1, int(schema.get("minLength", 1)))
    if kind in ("integer", "number"):
        low = schema.get("minimum", schema.get("exclusiveMinimum", 0)) or 0
        value = max(0, low + (1 if "exclusiveMinimum" in schema else 0))
        high = schema.get("maximum")
        if high is not None and value > high:
            value = high
        return int(value) if kind == "integer" else value
    if kind == "boolean":
        return False
    return None


def _slow_tool(battery: Battery) -> tuple[str, dict[str, Any], float]:
    """A tool that takes a while (name:param from --slow-tool, else guessed), its arguments and duration."""
    override = battery.slow_tool_override
    for tool in battery.facts.tools:
        name = tool.get("name", "")
        schema = tool.get("inputSchema") or {}
        numeric = [
            key
            for key, prop in (schema.get("properties") or {}).items()
            if type(prop) is dict and prop.get("type") in ("number", "integer")
        ]
        if override is not None:
            wanted, _, param = override.partition(":")
            if name != wanted:
                continue
            numeric = [param] if param else numeric[:1]
        elif not _SLOW_NAME.search(name) or len(numeric) != 1 or len(schema.get("required") or []) > 1:
            continue
        param = numeric[0]
        value: float = 2000 if "ms" in param.lower() else 2
        return name, {param: value}, 2.0
    raise NotApplicable("no slow tool found (name it with --slow-tool NAME:PARAM)")


# ====================================================================== lifecycle


@check("lifecycle.initialize", "legacy initialize handshake (or a modern-only server)")
async def _initialize(b: Battery) -> str | None:
    f = b.facts
    if f.legacy:
        return f"negotiated {f.legacy_version}"
    if f.modern:
        raise NotApplicable(f"modern-only server; initialize answered: {f.legacy_error}")
    raise Fail(f"neither initialize ({f.legacy_error}) nor server/discover ({f.modern_error}) succeeded")


for _version in versions.LEGACY_VERSIONS:

    def _make(version: str) -> CheckFn:
        async def run(b: Battery) -> str | None:
            if not b.facts.legacy:
                raise NotApplicable("the server does not speak the legacy handshake")
            async with b.probe(f"lifecycle.version.{version}") as probe:
                info = await probe.legacy(version)
                if info.protocol_version != version:
                    raise NotApplicable(f"server offered {info.protocol_version} instead")
                if not await probe.alive():
                    raise Fail("ping unanswered after the handshake")
                listed = []
                for capability, method, key in _CAPABILITY_LISTS:
                    if capability in info.capabilities:
                        await _walk(probe, method, key)
                        listed.append(method)
            return f"speaks {version}; validated {', '.join(listed) or 'the handshake'}"

        return run

    check(f"lifecycle.version.{_version}", f"handshake and listings under {_version}")(_make(_version))


@check("lifecycle.unknown-version", "initialize with an unknown version gets a supported one (or an error)")
async def _unknown_version(b: Battery) -> str | None:
    if not b.facts.legacy:
        raise NotApplicable("legacy handshake not spoken")
    async with b.probe("lifecycle.unknown-version") as probe:
        request_id = probe.new_id()
        probe.send(
            {
                "jsonrpc": "2.0",
                "id": request_id,
                "method": "initialize",
                "params": {
                    "protocolVersion": UNKNOWN_VERSION,
                    "capabilities": {},
                    "clientInfo": {"name": "c", "version": "0"},
                },
            }
        )
        reply = await probe.answer_to(request_id)
        if reply is None:
            raise Fail("no answer to initialize with an unknown version")
        if "error" in reply:
            return f"refused with error {reply['error'].get('code')}"
        offered = (reply.get("result") or {}).get("protocolVersion")
        if offered == UNKNOWN_VERSION:
            raise Fail("the server echoed a version it cannot speak", reply)
        if offered not in versions.SUPPORTED_VERSIONS:
            raise Fail(f"the server offered an unknown version {offered!r}", reply)
        return f"offered {offered}"


@check("lifecycle.ping", "ping answered with an empty result (legacy)")
async def _ping(b: Battery) -> str | None:
    if not b.facts.legacy:
        raise NotApplicable("ping does not exist in 2026-07-28")
    async with b.probe("lifecycle.ping") as probe:
        await probe.legacy()
        result = await probe.s.request("ping")
        if result not in ({}, {"_meta": result.get("_meta")}):
            raise Fail("ping result is not empty", result)
    return None


@check("lifecycle.discover", "server/discover (2026-07-28)")
async def _discover(b: Battery) -> str | None:
    f = b.facts
    if not f.modern:
        raise NotApplicable(f"legacy-only server; server/discover: {f.modern_error or f.supported_versions}")
    return f"supports {', '.join(f.supported_versions)}"


@check(
    "lifecycle.modern-unsupported-version",
    "a request in an unknown modern version gets -32022 with supported",
)
async def _modern_unsupported(b: Battery) -> str | None:
    if not b.facts.modern:
        raise NotApplicable("not a 2026-07-28 server")
    async with b.probe("lifecycle.modern-unsupported-version") as probe:
        probe.version = versions.LATEST_MODERN
        request_id = probe.new_id()
        meta = {**probe.s.envelope(), "io.modelcontextprotocol/protocolVersion": "2099-01-01"}
        probe.send(
            {"jsonrpc": "2.0", "id": request_id, "method": "server/discover", "params": {"_meta": meta}}
        )
        reply = await probe.answer_to(request_id)
        if reply is None or "error" not in reply:
            raise Fail("expected error -32022", reply)
        error = reply["error"]
        if error.get("code") != -32022:
            raise Fail(f"expected error -32022, got {error.get('code')}", reply)
        data = error.get("data")
        if type(data) is not dict or type(data.get("supported")) is not list:
            raise Fail("-32022 must carry data.supported", reply)
        return f"supported: {data['supported']}"


@check("lifecycle.modern-missing-meta", "a modern request without clientCapabilities gets -32602")
async def _modern_missing(b: Battery) -> str | None:
    if not b.facts.modern:
        raise NotApplicable("not a 2026-07-28 server")
    async with b.probe("lifecycle.modern-missing-meta") as probe:
        probe.version = versions.LATEST_MODERN
        request_id = probe.new_id()
        meta = {"io.modelcontextprotocol/protocolVersion": versions.LATEST_MODERN}
        probe.send(
            {"jsonrpc": "2.0", "id": request_id, "method": "server/discover", "params": {"_meta": meta}}
        )
        reply = await probe.answer_to(request_id)
        if reply is None or "error" not in reply or reply["error"].get("code") != -32602:
            raise Fail("expected error -32602", reply)
    return None


@check("lifecycle.modern-results", "2026-07-28 results carry resultType (and cache hints where cacheable)")
async def _modern_results(b: Battery) -> str | None:
    if not b.facts.modern:
        raise NotApplicable("not a 2026-07-28 server")
    async with b.probe("lifecycle.modern-results") as probe:
        info = await probe.modern()
        checked = ["server/discover"]
        for capability, method, _key in _CAPABILITY_LISTS:
            if capability not in info.capabilities:
                continue
            result = await probe.s.send_request(method, {}, modern_version=versions.LATEST_MODERN)
            if result.get("resultType") != "complete":
                raise Fail(f"{method} result lacks resultType 'complete'", result)
            if "ttlMs" not in result or "cacheScope" not in result:
                raise Fail(f"{method} is cacheable but lacks ttlMs/cacheScope", result)
            checked.append(method)
    return ", ".join(checked)


# ====================================================================== JSON-RPC


def _jsonrpc_check(
    check_id: str, title: str, raw: bytes, codes: tuple[int, ...], request_id: Any = None
) -> None:
    async def run(b: Battery) -> str | None:
        probe = await b.connected(check_id)
        try:
            return await _expect_error(probe, raw, codes, request_id=request_id, what=title)
        finally:
            await probe.__aexit__(None, None, None)

    check(check_id, title)(run)


_jsonrpc_check(
    "jsonrpc.parse-error",
    "invalid JSON gets -32700 with id null",
    b'{"jsonrpc": "2.0", "id": 1,\n',
    (-32700,),
)
_jsonrpc_check(
    "jsonrpc.invalid-utf8",
    "invalid UTF-8 gets -32700 with id null",
    b'{"jsonrpc":"2.0","id":5,"method":"ping","params":{"x":"\xff\xfe"}}\n',
    (-32700,),
)
_jsonrpc_check("jsonrpc.not-an-object", "a JSON value that is not an object gets -32600", b"42\n", (-32600,))
_jsonrpc_check(
    "jsonrpc.wrong-version",
    'jsonrpc other than "2.0" gets -32600',
    b'{"jsonrpc":"1.0","id":7,"method":"ping"}\n',
    (-32600,),
    7,
)
_jsonrpc_check(
    "jsonrpc.null-id",
    "a request with id null gets -32600",
    b'{"jsonrpc":"2.0","id":null,"method":"ping"}\n',
    (-32600,),
)
_jsonrpc_check(
    "jsonrpc.method-not-string",
    "a non-string method gets -32600",
    b'{"jsonrpc":"2.0","id":8,"method":5}\n',
    (-32600,),
    8,
)
_jsonrpc_check(
    "jsonrpc.params-array",
    "positional (array) params are refused",
    b'{"jsonrpc":"2.0","id":9,"method":"tools/list","params":[]}\n',
    (-32600, -32602),
    9,
)
_jsonrpc_check(
    "jsonrpc.unknown-method",
    "an unknown method gets -32601 with the same id",
    b'{"jsonrpc":"2.0","id":"u-1","method":"mcpcore/check/no-such-method"}\n',
    (-32601,),
    "u-1",
)


@check("jsonrpc.ids-echoed", "ids come back exactly (strings, 0, large integers)")
async def _ids(b: Battery) -> str | None:
    probe = await b.connected("jsonrpc.ids-echoed")
    try:
        for request_id in ('s-\u00e9\u2028"q', 0, 2**53 - 1, "1"):
            probe.drain()
            probe.send(_liveness(probe, request_id))  # type: ignore[arg-type]
            reply = await probe.answer_to(request_id)
            if reply is None:
                raise Fail(f"no answer with id {request_id!r} (exact type and value)")
    finally:
        await probe.__aexit__(None, None, None)
    return None


@check(
    "jsonrpc.notifications-unanswered", "notifications (even unknown or malformed ones) are never answered"
)
async def _notifications(b: Battery) -> str | None:
    probe = await b.connected("jsonrpc.notifications-unanswered")
    try:
        probe.drain()
        probe.send_raw(b'{"jsonrpc":"2.0","method":"notifications/mcpcore-check-unknown"}\n')
        probe.send_raw(b'{"jsonrpc":"2.0","method":"ping"}\n')
        probe.send_raw(
            b'{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":424242}}\n'
        )
        request_id = probe.new_id()
        probe.send(_liveness(probe, request_id))
        while True:
            reply = await probe.next_message()
            if reply is None:
                raise Fail("the server stopped answering after notifications")
            if type(reply) is dict and "method" in reply:
                continue
            if type(reply) is dict and reply.get("id") == request_id:
                return None
            raise Fail("the server answered a notification", reply)
    finally:
        await probe.__aexit__(None, None, None)


@check("jsonrpc.batch", "batches refused unless 2025-03-26 (then answered as an array)")
async def _batch(b: Battery) -> str | None:
    if not b.facts.legacy:
        raise NotApplicable("batches are a legacy matter")
    probe = await b.connected("jsonrpc.batch")
    try:
        if probe.version in versions.BATCH_VERSIONS:
            raise NotApplicable("negotiated 2025-03-26")
        probe.drain()
        probe.send_raw(b'[{"jsonrpc":"2.0","id":31,"method":"ping"}]\n')
        reply = await probe.next_message()
        if type(reply) is list:
            raise Fail(f"a batch was answered under {probe.version}, which has no batches", reply)
        if reply is None:
            raise Fail(f"a batch under {probe.version} got no answer (expected one -32600 error)")
        if type(reply) is not dict or "error" not in reply:
            raise Fail("a batch was not answered with an error", reply)
    finally:
        await probe.__aexit__(None, None, None)
    async with b.probe("jsonrpc.batch") as probe:
        info = await probe.legacy(versions.V2025_03_26)
        if info.protocol_version != versions.V2025_03_26:
            return f"refused under {b.facts.legacy_version}; 2025-03-26 not spoken"
        await probe.alive()
        probe.drain()
        probe.send_raw(
            b'[{"jsonrpc":"2.0","id":41,"method":"ping"},{"jsonrpc":"2.0","id":42,"method":"ping"}]\n'
        )
        got: list[Any] = []
        while len(got) < 2:
            reply = await probe.next_message()
            if reply is None:
                raise Fail("a 2025-03-26 batch was not answered", got)
            got.extend(reply if type(reply) is list else [reply])
        if {r.get("id") for r in got if type(r) is dict} != {41, 42}:
            raise Fail("a 2025-03-26 batch got the wrong answers", got)
    return "refused outside 2025-03-26, answered under it"


@check("stdio.crlf", "a request ending in CRLF is accepted")
async def _crlf(b: Battery) -> str | None:
    _stdio_only(b)
    probe = await b.connected("stdio.crlf")
    try:
        request_id = probe.new_id()
        from mcpcore import jsonrpc

        probe.send_raw(jsonrpc.encode(_liveness(probe, request_id))[:-1] + b"\r\n")
        reply = await probe.answer_to(request_id)
        if reply is None or "result" not in reply:
            raise Fail("no result for a CRLF-terminated request", reply)
    finally:
        await probe.__aexit__(None, None, None)
    return None


# ====================================================================== capabilities


@check("capabilities.lists", "list methods answer when declared, -32601 when not")
async def _lists(b: Battery) -> str | None:
    probe = await b.connected("capabilities.lists")
    notes = []
    try:
        declared = probe.s.server.capabilities if probe.s.server else {}
        for capability, method, _key in (*_CAPABILITY_LISTS, ("logging", "logging/setLevel", "")):
            if method == "logging/setLevel" and probe.version in versions.MODERN_VERSIONS:
                continue
            params = {"level": "info"} if method == "logging/setLevel" else {}
            try:
                await probe.s.request(method, params)
                answered = True
            except RpcError as exc:
                if capability in declared:
                    raise Fail(
                        f"{capability} is declared but {method} failed: {exc.code} {exc.message}"
                    ) from None
                if exc.code != -32601:
                    raise Fail(
                        f"{method} without the {capability} capability: expected -32601, got {exc.code}"
                    ) from None
                answered = False
            if answered and capability not in declared:
                raise Fail(f"{method} answered although the {capability} capability is not declared")
            notes.append(f"{method}: {'ok' if answered else '-32601'}")
    finally:
        await probe.__aexit__(None, None, None)
    return "; ".join(notes)


@check("pagination.walk", "every paginated list terminates")
async def _pagination(b: Battery) -> str | None:
    probe = await b.connected("pagination.walk")
    notes = []
    try:
        declared = probe.s.server.capabilities if probe.s.server else {}
        for capability, method, key in _CAPABILITY_LISTS:
            if capability in declared:
                items = await _walk(probe, method, key)
                notes.append(f"{method}: {len(items)}")
    finally:
        await probe.__aexit__(None, None, None)
    if not notes:
        raise NotApplicable("no list capability declared")
    return ", ".join(notes)


@check("pagination.invalid-cursor", "an invalid cursor gets -32602")
async def _bad_cursor(b: Battery) -> str | None:
    if "tools" not in b.facts.capabilities:
        raise NotApplicable("no tools capability")
    probe = await b.connected("pagination.invalid-cursor")
    try:
        try:
            result = await probe.s.request("tools/list", {"cursor": "mcpcore-check-not-a-cursor!!"})
        except RpcError as exc:
            if exc.code != -32602:
                raise Fail(f"expected -32602, got {exc.code} {exc.message}") from None
            return None
        raise Fail("an invalid cursor was accepted", result)
    finally:
        await probe.__aexit__(None, None, None)


# ====================================================================== tools


def _may_call(b: Battery, tool: dict[str, Any]) -> bool:
    if b.call_tools == "all":
        return True
    if b.call_tools == "none":
        return False
    return bool((tool.get("annotations") or {}).get("readOnlyHint"))


@check("tools.call", "tools called with generated valid arguments give well-formed results")
async def _tools_call(b: Battery) -> str | None:
    if "tools" not in b.facts.capabilities:
        raise NotApplicable("no tools capability")
    if not b.facts.tools:
        raise NotApplicable("the server lists no tools")
    called, skipped = [], []
    probe = await b.connected("tools.call")
    try:
        for tool in b.facts.tools:
            name = tool.get("name")
            schema = tool.get("inputSchema") or {"type": "object"}
            if not _may_call(b, tool):
                skipped.append(f"{name} (not read-only)")
                continue
            arguments = sample_arguments(schema)
            try:
                valid = validator_for(schema)(schema).is_valid(arguments)
            except Exception:
                valid = False
            if not valid:
                skipped.append(f"{name} (could not generate arguments)")
                continue
            try:
                result = await probe.s.request(
                    "tools/call", {"name": name, "arguments": arguments}, timeout=b.target.timeout
                )
            except RequestTimeoutError:
                raise Fail(
                    f"tools/call {name} with {arguments} got no answer within {b.target.timeout} s"
                ) from None
            except RpcError as exc:
                raise Fail(
                    f"tools/call {name} with valid arguments {arguments} failed: {exc.code} {exc.message}"
                ) from None
            except RemoteProtocolError as exc:  # the client's inbound contract refused the result
                raise Fail(f"tools/call {name}: {exc.error.message}", exc.error.data) from None
            output_schema = tool.get("outputSchema")
            if output_schema and not result.get("isError"):
                if "structuredContent" not in result:
                    raise Fail(f"tools/call {name}: outputSchema declared but no structuredContent", result)
                problems = [
                    e.message
                    for e in validator_for(output_schema)(output_schema).iter_errors(
                        result["structuredContent"]
                    )
                ]
                if problems:
                    raise Fail(
                        f"tools/call {name}: structuredContent does not match outputSchema: {problems[0]}",
                        result,
                    )
            called.append(str(name))
    finally:
        await probe.__aexit__(None, None, None)
    if not called:
        raise NotApplicable("no tool called: " + ", ".join(skipped) + " (use --call-tools all)")
    return f"called {', '.join(called)}" + (f"; skipped {', '.join(skipped)}" if skipped else "")


@check("tools.unknown-tool", "calling an unknown tool gets -32602")
async def _unknown_tool(b: Battery) -> str | None:
    if "tools" not in b.facts.capabilities:
        raise NotApplicable("no tools capability")
    probe = await b.connected("tools.unknown-tool")
    try:
        try:
            result = await probe.s.request(
                "tools/call", {"name": "mcpcore-check-no-such-tool", "arguments": {}}
            )
        except RpcError as exc:
            if exc.code != -32602:
                raise Fail(f"expected -32602, got {exc.code} {exc.message}") from None
            return None
        raise Fail("an unknown tool was answered with a result", result)
    finally:
        await probe.__aexit__(None, None, None)


@check("tools.invalid-arguments", "invalid arguments: isError result (2025-11-25+) or -32602 (earlier)")
async def _invalid_arguments(b: Battery) -> str | None:
    tool = next((t for t in b.facts.tools if (t.get("inputSchema") or {}).get("required")), None)
    if tool is None:
        raise NotApplicable("no tool with required arguments")
    if not _may_call(b, tool):
        raise NotApplicable(f"{tool.get('name')} is not read-only (use --call-tools all)")
    probe = await b.connected("tools.invalid-arguments")
    try:
        try:
            result = await probe.s.request("tools/call", {"name": tool["name"], "arguments": {}})
        except RpcError as exc:
            if exc.code != -32602:
                raise Fail(f"expected an isError result or -32602, got {exc.code} {exc.message}") from None
            if probe.version in versions.TOOL_INPUT_ERRORS_AS_RESULTS:
                raise Fail(
                    f"under {probe.version} invalid arguments should be an isError result, not -32602"
                ) from None
            return f"-32602 under {probe.version}"
        if result.get("isError") is not True:
            raise Fail("missing required arguments were accepted", result)
    finally:
        await probe.__aexit__(None, None, None)
    return f"isError under {probe.version}"


# ====================================================================== resources, prompts, completion

#: How many listed resources / prompts the battery reads back (the first ones listed).
MAX_READS = 5
_TEMPLATE_VARIABLE = re.compile(r"\{[+#./;?&]?([A-Za-z0-9_]+)")


def _declared(b: Battery, capability: str) -> None:
    if capability not in b.facts.capabilities:
        raise NotApplicable(f"no {capability} capability")


@check("resources.read", "listed resources read back with well-formed contents")
async def _resources_read(b: Battery) -> str | None:
    _declared(b, "resources")
    probe = await b.connected("resources.read")
    try:
        resources = await _walk(probe, "resources/list", "resources")
        listed = [r for r in resources if type(r) is dict and type(r.get("uri")) is str]
        if not listed:
            raise NotApplicable("the server lists no resources")
        for resource in listed[:MAX_READS]:
            uri = resource["uri"]
            try:
                result = await probe.s.request("resources/read", {"uri": uri}, timeout=b.target.timeout)
            except RpcError as exc:
                raise Fail(f"resources/read of the listed {uri!r} failed: {exc.code} {exc.message}") from None
            except RequestTimeoutError:
                raise Fail(f"resources/read {uri!r} got no answer within {b.target.timeout} s") from None
            contents = result.get("contents")
            if type(contents) is not list or not contents:
                raise Fail(f"resources/read {uri!r}: no contents", result)
            for item in contents:
                if type(item) is not dict or type(item.get("uri")) is not str:
                    raise Fail(f"resources/read {uri!r}: a content item without a uri", result)
                if type(item.get("text")) is not str and type(item.get("blob")) is not str:
                    raise Fail(f"resources/read {uri!r}: a content item with neither text nor blob", result)
    finally:
        await probe.__aexit__(None, None, None)
    return f"read {min(len(listed), MAX_READS)} of {len(listed)}"


def _prompt_arguments(prompt: dict[str, Any]) -> dict[str, str]:
    """Values for a prompt's required arguments (prompt arguments are strings)."""
    arguments = prompt.get("arguments") or []
    return {
        a["name"]: "mcpcore-check"
        for a in arguments
        if type(a) is dict and type(a.get("name")) is str and a.get("required")
    }


@check("prompts.get", "listed prompts render with their required arguments")
async def _prompts_get(b: Battery) -> str | None:
    _declared(b, "prompts")
    probe = await b.connected("prompts.get")
    rendered, refused = [], []
    try:
        prompts = await _walk(probe, "prompts/list", "prompts")
        listed = [p for p in prompts if type(p) is dict and type(p.get("name")) is str]
        if not listed:
            raise NotApplicable("the server lists no prompts")
        for prompt in listed[:MAX_READS]:
            name, arguments = prompt["name"], _prompt_arguments(prompt)
            params: dict[str, Any] = {"name": name}
            if arguments:
                params["arguments"] = arguments
            try:
                result = await probe.s.request("prompts/get", params, timeout=b.target.timeout)
            except RpcError as exc:
                if arguments and exc.code == -32602:
                    refused.append(name)  # the sample values may not suit it: a -32602 is a fair answer
                    continue
                raise Fail(f"prompts/get {name} with {arguments} failed: {exc.code} {exc.message}") from None
            except RequestTimeoutError:
                raise Fail(f"prompts/get {name} got no answer within {b.target.timeout} s") from None
            messages = result.get("messages")
            if type(messages) is not list:
                raise Fail(f"prompts/get {name}: messages is not an array", result)
            for message in messages:
                if (
                    type(message) is not dict
                    or message.get("role") not in ("user", "assistant")
                    or type(message.get("content")) is not dict
                ):
                    raise Fail(f"prompts/get {name}: a malformed message", result)
            rendered.append(name)
    finally:
        await probe.__aexit__(None, None, None)
    note = f"rendered {', '.join(rendered) or 'none'}"
    return note + (f"; -32602 for sample arguments: {', '.join(refused)}" if refused else "")


async def _completion_ref(probe: Probe, b: Battery) -> tuple[dict[str, Any], str] | None:
    """A reference with an argument to complete: a prompt argument, else a template variable."""
    capabilities = b.facts.capabilities
    if "prompts" in capabilities:
        for prompt in await _walk(probe, "prompts/list", "prompts"):
            for argument in (prompt.get("arguments") or []) if type(prompt) is dict else []:
                if type(argument) is dict and type(argument.get("name")) is str:
                    return {"type": "ref/prompt", "name": prompt["name"]}, argument["name"]
    if "resources" in capabilities:
        for template in await _walk(probe, "resources/templates/list", "resourceTemplates"):
            uri = template.get("uriTemplate") if type(template) is dict else None
            found = _TEMPLATE_VARIABLE.search(uri) if type(uri) is str else None
            if found:
                return {"type": "ref/resource", "uri": uri}, found.group(1)
    return None


@check("completion.complete", "completion/complete answers for a prompt argument or template variable")
async def _completion(b: Battery) -> str | None:
    _declared(b, "completions")
    probe = await b.connected("completion.complete")
    try:
        found = await _completion_ref(probe, b)
        if found is None:
            raise NotApplicable("no prompt argument or template variable to complete")
        ref, argument = found
        params = {"ref": ref, "argument": {"name": argument, "value": ""}}
        try:
            result = await probe.s.request("completion/complete", params, timeout=b.target.timeout)
        except RpcError as exc:
            raise Fail(f"completion/complete {ref} {argument!r} failed: {exc.code} {exc.message}") from None
        completion = result.get("completion")
        values = completion.get("values") if type(completion) is dict else None
        if type(values) is not list or not all(type(v) is str for v in values):
            raise Fail("completion/complete: completion.values is not an array of strings", result)
        if len(values) > 100:
            raise Fail(f"completion/complete: {len(values)} values (at most 100 allowed)", result)
    finally:
        await probe.__aexit__(None, None, None)
    return f"{len(values)} value(s) for {ref['type']} argument {argument!r}"


# ====================================================================== concurrency


@check("concurrency.pipelining", "32 requests written at once are all answered, ids matched")
async def _pipelining(b: Battery) -> str | None:
    probe = await b.connected("concurrency.pipelining")
    try:
        from mcpcore import jsonrpc

        ids = [probe.new_id() for _ in range(32)]
        probe.drain()
        probe.send_raw(b"".join(jsonrpc.encode(_liveness(probe, i)) for i in ids))
        seen: set[Any] = set()
        while len(seen) < len(ids):
            reply = await probe.next_message()
            if reply is None:
                raise Fail(f"only {len(seen)} of {len(ids)} pipelined requests answered")
            if type(reply) is dict and "id" in reply and "method" not in reply:
                if reply["id"] not in ids or reply["id"] in seen:
                    raise Fail("an answer with an unexpected or repeated id", reply)
                seen.add(reply["id"])
    finally:
        await probe.__aexit__(None, None, None)
    return None


@check("concurrency.slow-request", "a second request is answered while a slow one runs")
async def _concurrency(b: Battery) -> str | None:
    name, arguments, duration = _slow_tool(b)
    probe = await b.connected("concurrency.slow-request")
    try:
        slow = asyncio.ensure_future(probe.s.request("tools/call", {"name": name, "arguments": arguments}))
        await asyncio.sleep(0.1)  # let the slow call start (not a race guard: ordering is checked below)
        started = time.monotonic()
        request_id = probe.new_id()
        probe.send(_liveness(probe, request_id))
        reply = await probe.answer_to(request_id, duration * 3)
        quick = time.monotonic() - started
        if reply is None:
            raise Fail("no answer to the second request")
        if slow.done():
            raise Fail(f"the second request was answered only after {name} finished ({quick:.2f} s)")
        await asyncio.wait_for(slow, duration * 5)
    finally:
        await probe.__aexit__(None, None, None)
    return f"answered in {quick * 1000:.0f} ms while {name} ran"


@check("cancellation.no-response", "a cancelled request gets no response and the server keeps serving")
async def _cancellation(b: Battery) -> str | None:
    name, arguments, duration = _slow_tool(b)
    probe = await b.connected("cancellation.no-response")
    try:
        request_id = probe.new_id()
        params: dict[str, Any] = {"name": name, "arguments": arguments}
        if probe.version in versions.MODERN_VERSIONS:
            params = probe.modern_params(params)
        probe.drain()
        probe.send({"jsonrpc": "2.0", "id": request_id, "method": "tools/call", "params": params})
        await asyncio.sleep(0.1)
        probe.send(
            {
                "jsonrpc": "2.0",
                "method": "notifications/cancelled",
                "params": {"requestId": request_id, "reason": "check"},
            }
        )
        answers = await probe.responses_within(duration + 1.0)
        late = [a for a in answers if type(a) is dict and a.get("id") == request_id]
        if late:
            raise Fail("the cancelled request was answered anyway", late[0])
        if not await probe.alive():
            raise Fail("the server stopped answering after a cancellation")
    finally:
        await probe.__aexit__(None, None, None)
    return None


# ====================================================================== stdio


@check("stdio.eof-exit", "the server exits promptly when its stdin closes")
async def _eof(b: Battery) -> str | None:
    _stdio_only(b)
    async with b.probe("stdio.eof-exit") as probe:
        if b.facts.legacy:
            await probe.legacy()
        else:
            await probe.modern()
        started = time.monotonic()
        probe.stdio.close_stdin()
        code = await probe.stdio.wait(5.0)
        if code is None:
            raise Fail("still running 5 s after stdin closed")
        return f"exited with status {code} after {(time.monotonic() - started) * 1000:.0f} ms"
