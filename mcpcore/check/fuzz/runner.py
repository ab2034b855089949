"""Sending the cases to a server and judging what comes back.

One connection (one process for stdio) per protocol version, reused while
the server survives; after a crash or a hang the server is started again and
the restart counted. Each case is followed by a liveness request (``ping``,
or ``server/discover`` under 2026-07-28), whose answer marks the end of the
case: everything the server sends before it belongs to the case. The server
owes:

* a request: exactly one response, valid against the version's schema;
* a notification: nothing;
* afterwards: an answer to the liveness request (it keeps serving);
* no ERROR-level log line (or traceback) on stderr for the client's fault.

Each breach is a :class:`Finding` with the exact bytes sent, so that the
report can be replayed.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from mcpcore import versions
from mcpcore.check.fuzz.generate import Hints, templates
from mcpcore.check.fuzz.mutate import Case, cases_for
from mcpcore.check.probe import Probe, Recorder, Target

__all__ = ["KINDS", "Finding", "FuzzRun"]

#: Finding kinds, each reported as its own check ``fuzz.<kind>``.
KINDS: dict[str, str] = {
    "crash": "no fuzz case makes the server exit or drop the connection",
    "hang": "every fuzz request is answered and the server keeps answering",
    "double-answer": "no fuzz request is answered more than once",
    "answered-notification": "no fuzz notification is answered",
    "invalid-json": "every answer to a fuzz case is JSON",
    "invalid-response": "every answer to a fuzz case is valid against its version's schema",
    "error-log": "no ERROR-level log line on stderr for a client's malformed message",
}
#: Requests the server may hold open (a valid ``subscriptions/listen`` is a stream, not a call).
OPEN_ENDED = frozenset({"subscriptions/listen"})
#: A version stops after this many crashes or hangs (the rest of its cases would repeat them).
MAX_RESTARTS = 8
_ERROR_LOG = re.compile(rb"\b(ERROR|CRITICAL|FATAL)\b")
#: How often an HTTP case looks at the exchanges for an answer given as a status (no JSON-RPC body).
_HTTP_STEP = 0.05
_SLOW_TOOL = re.compile(r"sleep|slow|wait|delay|long", re.IGNORECASE)
_CHECK = "fuzz"
_PING_PREFIX = "fuzz-ping-"


@dataclass(frozen=True, slots=True)
class Finding:
    kind: str
    case: Case
    detail: str


@dataclass(slots=True)
class _Seen:
    """What arrived during one case (and where the recorder and stderr stood before it)."""

    not_json: int
    invalid: int
    stderr: bytes
    #: HTTP: exchanges already looked at (a refusal by status is an answer that never reaches the inbox).
    exchanges: int = 0
    #: HTTP: the statuses the case's POSTs got (reported with a missing answer: 202 says "a notification").
    statuses: list[int] = field(default_factory=list)
    answers: list[Any] = field(default_factory=list)
    alive: bool = False
    exited: bool = False


class FuzzRun:
    """Fuzz one target: ``count`` cases spread over the versions it speaks, deterministic by ``seed``."""

    def __init__(
        self,
        target: Target,
        *,
        legacy: bool,
        modern: bool,
        count: int,
        seed: int,
        tools: list[dict[str, Any]] | None = None,
        call_tools: str = "readonly",
    ) -> None:
        self.target = target
        self.count = count
        self.seed = seed
        self.versions = [v for v in versions.LEGACY_VERSIONS if legacy]
        self.versions += [versions.LATEST_MODERN] if modern else []
        self.hints = Hints(tools=_callable_tools(tools or [], call_tools))
        self.recorder = Recorder()
        self.findings: list[Finding] = []
        self.sent = 0
        self.restarts = 0
        self.skipped: list[str] = []
        #: Cases not sent: 2026-07-28 cancellations over HTTP (see _not_postable).
        self.unsent = 0
        self.case_timeout = min(target.timeout, 5.0)
        #: Ids of open-ended requests sent (their late answers belong to no later case).
        self._open_ended: set[int | str] = set()

    def cases(self, version: str) -> list[Case]:
        """This run's cases for ``version`` (the count split evenly, the first versions take the rest)."""
        share, extra = divmod(self.count, max(1, len(self.versions)))
        position = self.versions.index(version)
        first = position * share + min(position, extra)
        found = templates(version, "to-server", self.hints)
        if self.target.is_http:  # over HTTP an initialize opens another session: the http.* checks' matter
            found = [template for template in found if template.method != "initialize"]
        return cases_for(found, share + (1 if position < extra else 0), self.seed, first_index=first)

    async def run(self) -> list[Finding]:
        if self.versions:
            await self._learn_names(self.versions[-1])
        for version in self.versions:
            await self._run_version(version)
        return self.findings

    # ------------------------------------------------------------- connecting

    async def _open(self, version: str) -> Probe | None:
        probe = await Probe(self.target, self.recorder, _CHECK).__aenter__()
        if self.target.is_http:  # the cases index the exchanges: none may be dropped under the run
            probe.http.max_exchanges = 4 * self.count + 100
        try:
            if version in versions.MODERN_VERSIONS:
                await probe.modern(version)
            else:
                info = await probe.legacy(version)
                if info.protocol_version != version:
                    await probe.__aexit__(None, None, None)
                    return None
            probe.drain()
        except BaseException:
            await probe.__aexit__(None, None, None)
            raise
        return probe

    async def _learn_names(self, version: str) -> None:
        """Prompt names and resource URIs the server lists, so generated requests reach their handlers."""
        with contextlib.suppress(Exception):
            probe = await self._open(version)
            if probe is None:
                return
            try:
                for method, key, attr, out in (
                    ("prompts/list", "prompts", "name", self.hints.prompts),
                    ("resources/list", "resources", "uri", self.hints.resources),
                ):
                    with contextlib.suppress(Exception):
                        result = await probe.s.request(method)
                        items = result.get(key) if type(result) is dict else None
                        out.extend(
                            item[attr]
                            for item in (items or [])[:3]
                            if type(item) is dict and type(item.get(attr)) is str
                        )
            finally:
                await probe.__aexit__(None, None, None)

    async def _run_version(self, version: str) -> None:
        cases = self.cases(version)
        try:
            probe = await self._open(version)
        except Exception as exc:
            self.skipped.append(f"{version}: could not connect ({type(exc).__name__}: {exc})")
            return
        if probe is None:
            self.skipped.append(f"{version}: the server negotiated another version")
            return
        restarts = 0
        current: Probe | None = probe
        try:
            for case in cases:
                if self.target.is_http and version in versions.MODERN_VERSIONS and _not_postable(case):
                    self.unsent += 1
                    continue
                assert current is not None  # every path that leaves it None returns
                seen = await self._one(current, case)
                self.sent += 1
                if seen.alive:
                    continue
                await current.__aexit__(None, None, None)  # crashed or stuck: start it again
                current = None
                restarts += 1
                self.restarts += 1
                if restarts > MAX_RESTARTS:
                    self.skipped.append(f"{version}: stopped after {MAX_RESTARTS} restarts")
                    return
                try:
                    current = await self._open(version)
                except Exception as exc:
                    self.skipped.append(f"{version}: could not restart ({type(exc).__name__}: {exc})")
                    return
                if current is None:
                    return
        finally:
            if current is not None:
                await current.__aexit__(None, None, None)

    # ------------------------------------------------------------ one case

    async def _one(self, probe: Probe, case: Case) -> _Seen:
        probe.drain()
        seen = _Seen(len(self.recorder.not_json), len(self.recorder.violations), _stderr(probe))
        if self.target.is_http:
            seen.exchanges = len(probe.http.exchanges)
        exit_watch = _exit_watch(probe)
        try:
            probe.send_raw(case.data, request_id=case.request_id, method=case.method)
            expects_answer = case.is_request and case.method not in OPEN_ENDED
            if expects_answer:
                await self._collect(probe, seen, exit_watch, ping_id=None)
            ping_id = f"{_PING_PREFIX}{case.index}"
            if not seen.exited:
                probe.send(_liveness(probe, ping_id))
                await self._collect(probe, seen, exit_watch, ping_id=ping_id)
            if case.method in OPEN_ENDED and case.request_id is not None and seen.alive:
                self._open_ended.add(case.request_id)
                probe.send(_cancel(case.request_id))
            if not seen.alive and not seen.exited and self.target.is_http:
                seen.exited = not await _reachable(self.target)
        finally:
            if exit_watch is not None:
                exit_watch.cancel()
        self._judge(probe, case, seen, expects_answer=expects_answer)
        return seen

    async def _collect(
        self, probe: Probe, seen: _Seen, exit_watch: asyncio.Future[Any] | None, *, ping_id: str | None
    ) -> None:
        """Read until the case's first answer (no ``ping_id``) or the ping's answer, an exit or a timeout."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.case_timeout
        while (remaining := deadline - loop.time()) > 0:
            getter = asyncio.ensure_future(probe.inbox.get())
            waiting: set[asyncio.Future[Any]] = {getter}
            if exit_watch is not None:
                waiting.add(exit_watch)
            step = min(remaining, _HTTP_STEP) if self.target.is_http else remaining
            done, _ = await asyncio.wait(waiting, timeout=step, return_when=asyncio.FIRST_COMPLETED)
            if getter not in done:
                getter.cancel()
                if exit_watch is not None and exit_watch in done:
                    seen.exited = True
                    return
                if self.target.is_http:
                    _http_answers(probe, seen, ping_id)
                    if (ping_id is None and seen.answers) or seen.alive:
                        return
                    continue
                return
            for msg in _flatten(getter.result()):
                if type(msg) is not dict or "method" in msg:
                    continue  # server requests, notifications and garbage are judged elsewhere
                answer_id = msg.get("id")
                if ping_id is not None and answer_id == ping_id:
                    seen.alive = True
                elif type(answer_id) in (int, str) and answer_id in self._open_ended:
                    continue
                elif type(answer_id) is str and answer_id.startswith(_PING_PREFIX):
                    continue  # an earlier ping's body, late (over HTTP its status already said "alive")
                else:
                    seen.answers.append(msg)
            if (ping_id is None and seen.answers) or seen.alive:
                return

    def _judge(self, probe: Probe, case: Case, seen: _Seen, *, expects_answer: bool) -> None:
        def found(kind: str, detail: str) -> None:
            self.findings.append(Finding(kind, case, detail))

        if seen.exited:
            status = probe.stdio.returncode if not self.target.is_http else None
            tail = _stderr(probe).decode("utf-8", "replace").strip().splitlines()[-1:]
            how = f"exited with status {status}" if status is not None else "closed the connection"
            found("crash", f"the server {how}" + (f"; last stderr line: {tail[0][:300]}" if tail else ""))
        elif not seen.alive:
            if expects_answer and not seen.answers:
                found("hang", f"no answer within {self.case_timeout:g} s, and the ping after it got none")
            else:
                found("hang", f"the ping after this case got no answer within {self.case_timeout:g} s")
        elif expects_answer and not seen.answers:
            http = f"; HTTP {', '.join(map(str, seen.statuses))}, no JSON-RPC answer" if seen.statuses else ""
            found(
                "hang",
                f"the request got no answer within {self.case_timeout:g} s (ping still answered{http})",
            )
        if case.is_request and len(seen.answers) > 1:
            found("double-answer", f"{len(seen.answers)} answers: {_brief(seen.answers)}")
        if not case.is_request and seen.answers:
            found("answered-notification", f"answered with {_brief(seen.answers)}")
        if len(self.recorder.not_json) > seen.not_json:
            found("invalid-json", f"the server sent non-JSON: {self.recorder.not_json[seen.not_json][1]}")
        if len(self.recorder.violations) > seen.invalid:
            bad = self.recorder.violations[seen.invalid]
            found(
                "invalid-response",
                f"{bad.what} invalid against {bad.version}: {'; '.join(bad.problems[:3])}; got {bad.message}",
            )
        new_log = _new_tail(seen.stderr, _stderr(probe))
        if not seen.exited and (line := _error_line(new_log)):
            found("error-log", f"stderr: {line}")


def _callable_tools(tools: list[dict[str, Any]], policy: str) -> list[str]:
    """Tools whose real name the generator may use: per ``--call-tools``, never a slow-looking one."""
    names = []
    for tool in tools:
        name = tool.get("name")
        if type(name) is not str or _SLOW_TOOL.search(name) or policy == "none":
            continue
        annotations = tool.get("annotations")
        readonly = type(annotations) is dict and annotations.get("readOnlyHint") is True
        if policy == "all" or readonly:
            names.append(name)
    return names


def _liveness(probe: Probe, request_id: str) -> dict[str, Any]:
    if probe.version in versions.MODERN_VERSIONS:
        params = probe.modern_params()
        return {"jsonrpc": "2.0", "id": request_id, "method": "server/discover", "params": params}
    return {"jsonrpc": "2.0", "id": request_id, "method": "ping"}


def _not_postable(case: Case) -> bool:
    """2026-07-28 cases mcpcore's HTTP client does not POST, so there is no server behaviour to judge.

    There a cancellation is the closing of the request's stream: the transport never posts one.
    """
    return case.method == "notifications/cancelled"


def _http_answers(probe: Probe, seen: _Seen, ping_id: str | None) -> None:
    """Exchanges the server answered with a bare HTTP status: the ping's (any status), or a refusal."""
    exchanges = probe.http.exchanges
    for exchange in exchanges[seen.exchanges :]:
        if ping_id is not None and exchange.request_id == ping_id:
            seen.alive = True
        else:
            seen.statuses.append(exchange.status)
            if exchange.status >= 400:
                seen.answers.append({"http-status": exchange.status})
    seen.exchanges = len(exchanges)


def _cancel(request_id: int | str) -> dict[str, Any]:
    """Close an open-ended request the case opened (one stream per case would pile up otherwise)."""
    params = {"requestId": request_id, "reason": "fuzz case done"}
    return {"jsonrpc": "2.0", "method": "notifications/cancelled", "params": params}


def _exit_watch(probe: Probe) -> asyncio.Future[Any] | None:
    if probe.target.is_http:
        return None
    return asyncio.ensure_future(probe.stdio.wait())


async def _reachable(target: Target) -> bool:
    """Does the HTTP target still accept connections (a server that stopped listening has crashed)?"""
    parts = urlsplit(target.url or "")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        _, writer = await asyncio.wait_for(asyncio.open_connection(parts.hostname, port), 5.0)
    except (OSError, asyncio.TimeoutError):
        return False
    writer.close()
    return True


def _flatten(msg: Any) -> list[Any]:
    return list(msg) if type(msg) is list else [msg]


def _brief(answers: list[Any]) -> str:
    from mcpcore.check.probe import excerpt

    return " ; ".join(excerpt(answer, 200) for answer in answers[:3])


def _stderr(probe: Probe) -> bytes:
    if probe.target.is_http or probe.transport is None:
        return b""
    with contextlib.suppress(Exception):
        return probe.stdio.stderr
    return b""


def _new_tail(before: bytes, after: bytes) -> bytes:
    """What ``after`` has beyond ``before`` (the capture keeps only a tail, so match on its end)."""
    if after.startswith(before):
        return after[len(before) :]
    anchor = before[-200:]
    at = after.rfind(anchor) if anchor else -1
    return after[at + len(anchor) :] if at >= 0 else after


def _error_line(log: bytes) -> str | None:
    for line in log.splitlines():
        if _ERROR_LOG.search(line):
            return line.decode("utf-8", "replace")[:300]
    return None
