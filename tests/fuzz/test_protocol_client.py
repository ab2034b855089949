"""Protocol-aware fuzzing, client role: a hostile server against mcpcore's ClientSession.

The hostile server sits at the session's sans-I/O seam: it feeds frames with
``receive_frame`` and reads what the client writes to its sink. For every
version it sends (1) every server request and notification of the schema,
mutated field by field, and (2) mutated responses to the client's own
requests. The invariants:

* each server request is answered exactly once, with a schema-valid response
  (a request whose id is not a string or integer may go unanswered: there is
  no id to answer to, and a client must not bounce errors at a server);
* a notification gets nothing back;
* a bad response fails that one request with a clear error (an ``RpcError``,
  a protocol error, or the request's timeout when the id was mangled), never
  a stray ``TypeError`` and never a hang;
* the client keeps working: a round trip of its own after every case;
* nothing is logged at ERROR.
"""

from __future__ import annotations

import asyncio
import logging
import random
from typing import Any

import orjson
import pytest

from mcpcore import versions
from mcpcore.check.fuzz.generate import RESPONSE_ID, response_template, templates
from mcpcore.check.fuzz.mutate import cases_for, encode, plan
from mcpcore.check.schema import schema_for
from mcpcore.client.session import ClientSession
from mcpcore.errors import ProtocolError, RequestTimeoutError, RpcError
from tests.fuzz._protocol import COUNT, SEED, run_on

pytestmark = pytest.mark.timeout(600)

#: A bound for answers that come at once (everything here is in-process): reached only by a bug.
ANSWER_TIMEOUT = 5.0
#: The client's per-request timeout: a response with a mangled id never matches, so this ends the request.
REQUEST_TIMEOUT = 0.2
#: Client requests whose responses are fuzzed.
CLIENT_METHODS = ("tools/list", "tools/call", "resources/read", "prompts/get", "completion/complete", "ping")


class HostileServer:
    """The client's sink: every frame the client writes, decoded, with a wake-up for readers."""

    def __init__(self) -> None:
        self.written: list[dict[str, Any]] = []
        self.session: ClientSession | None = None
        self._changed = asyncio.Event()

    def write(self, data: bytes) -> None:
        for line in data.splitlines():
            if line.strip():
                self.written.append(orjson.loads(line))
        self._changed.set()

    async def wait_for(
        self, start: int, wanted: Any, timeout: float = ANSWER_TIMEOUT
    ) -> dict[str, Any] | None:
        """The first message written at or after ``start`` that satisfies ``wanted``, or None in time."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        position = start
        while True:
            while position < len(self.written):
                message = self.written[position]
                position += 1
                if wanted(message):
                    return message
            self._changed.clear()
            remaining = deadline - loop.time()
            if remaining <= 0:
                return None
            try:
                await asyncio.wait_for(self._changed.wait(), remaining)
            except asyncio.TimeoutError:
                return None


def _handlers() -> dict[str, Any]:
    async def sample(params: dict[str, Any]) -> dict[str, Any]:
        return {"role": "assistant", "content": {"type": "text", "text": "ok"}, "model": "fuzz"}

    async def elicit(params: dict[str, Any]) -> dict[str, Any]:
        return {"action": "decline"}

    async def roots(params: dict[str, Any]) -> dict[str, Any]:
        return {"roots": []}

    return {"sampling/createMessage": sample, "elicitation/create": elicit, "roots/list": roots}


def _is_request(method: str) -> Any:
    return lambda message: message.get("method") == method and "id" in message


async def _answer_own(server: HostileServer, start: int, method: str, data: bytes) -> None:
    """Answer the client's next ``method`` request with ``data`` (its id put in place of the placeholder)."""
    request = await server.wait_for(start, _is_request(method))
    assert request is not None, f"the client never sent {method}"
    return_id = orjson.dumps(request["id"])
    return_frame = data.replace(orjson.dumps(RESPONSE_ID), return_id).rstrip(b"\n")
    assert server.session is not None
    server.session.receive_frame(return_frame)  # an exception here fails the test: it would kill the loop


async def _connect(version: str) -> tuple[ClientSession, HostileServer]:
    server = HostileServer()
    session = ClientSession(server, handlers=_handlers(), timeout=REQUEST_TIMEOUT, cache=False)
    server.session = session
    method = "server/discover" if version in versions.MODERN_VERSIONS else "initialize"
    task = asyncio.ensure_future(
        session.discover(version) if method == "server/discover" else session.initialize(version)
    )
    valid = encode(response_template(version, method).full, {})
    await _answer_own(server, 0, method, valid)
    info = await asyncio.wait_for(task, ANSWER_TIMEOUT)
    assert info.protocol_version == version
    return session, server


async def _round_trip(session: ClientSession, server: HostileServer, version: str) -> None:
    """The client still works: one request of its own, answered validly, returns."""
    method = "server/discover" if version in versions.MODERN_VERSIONS else "ping"
    start = len(server.written)
    task = asyncio.ensure_future(session.request(method))
    await _answer_own(server, start, method, encode(response_template(version, method).full, {}))
    result = await asyncio.wait_for(task, ANSWER_TIMEOUT)
    assert type(result) is dict


def _check_answer(version: str, method: str, answer: dict[str, Any]) -> list[str]:
    schema = schema_for(version)
    if "error" in answer:
        shaped = {**answer, "id": 0} if answer.get("id") is None else answer
        return schema.errors(schema.error_definition, shaped)
    definition = schema.result_definition(method, answer.get("result"))
    return schema.errors(definition, answer.get("result")) if definition else []


async def _server_messages(version: str, problems: list[str]) -> int:
    """Mutated server requests and notifications; returns how many were sent."""
    session, server = await _connect(version)
    cases = cases_for(templates(version, "to-client"), COUNT // len(versions.SUPPORTED_VERSIONS), SEED)
    for case in cases:
        start = len(server.written)
        where = f"{version} #{case.index} {case.description}: {case.data[:300]!r}"
        try:
            session.receive_frame(case.data.rstrip(b"\n"))
        except Exception as exc:  # what would kill a transport's read loop
            problems.append(f"receive_frame raised {type(exc).__name__}: {exc}: {where}")
            continue
        if case.is_request:
            echo = case.request_id
            answer = await server.wait_for(
                start,
                lambda m, echo=echo: "method" not in m and (m.get("id") == echo or m.get("id") is None),
                ANSWER_TIMEOUT if echo is not None else 0,
            )
            if answer is None and echo is not None:
                problems.append(f"unanswered: {where}")
            elif answer is not None:
                problems.extend(
                    f"invalid answer ({p}): {where}" for p in _check_answer(version, case.method, answer)
                )
        await _round_trip(session, server, version)
        answers = [m for m in server.written[start:] if "method" not in m]
        if len(answers) > (1 if case.is_request else 0):
            problems.append(f"{len(answers)} answers {answers[:3]}: {where}")
    return len(cases)


async def _responses(version: str, problems: list[str]) -> int:
    """Mutated responses to the client's own requests; returns how many were sent."""
    session, server = await _connect(version)
    schema = schema_for(version)
    methods = [m for m in CLIENT_METHODS if m in schema.by_method]
    share = COUNT // len(versions.SUPPORTED_VERSIONS)
    rng = random.Random(f"mcpcore-fuzz-client:{SEED}:{version}")
    plans = [(m, plan(response_template(version, m), random.Random(rng.random()), "result")) for m in methods]
    sent = 0
    while sent < share:
        for method, steps in plans:
            step = next(steps, None)
            if step is None or sent >= share:
                continue
            description, message, raw = step
            sent += 1
            where = f"{version} response to {method} {description}"
            start = len(server.written)
            task = asyncio.ensure_future(session.request(method, {}))
            await _answer_own(server, start, method, encode(message, raw))
            try:
                await asyncio.wait_for(task, ANSWER_TIMEOUT)
            except (RpcError, ProtocolError):
                pass  # a clear refusal of a bad result
            except RequestTimeoutError:
                if not description.startswith("id "):
                    problems.append(f"timed out though the id was right: {where}")
            except asyncio.TimeoutError:
                problems.append(f"hung: {where}")
            except Exception as exc:
                problems.append(f"{type(exc).__name__}: {exc}: {where}")
            await _round_trip(session, server, version)
    return sent


@pytest.mark.parametrize("version", versions.SUPPORTED_VERSIONS)
def test_client_survives_hostile_server(
    version: str, loop_name: str, caplog: pytest.LogCaptureFixture
) -> None:
    problems: list[str] = []

    async def scenario() -> tuple[int, int]:
        return await _server_messages(version, problems), await _responses(version, problems)

    with caplog.at_level(logging.WARNING, logger="mcpcore"):
        sent = run_on(scenario(), loop_name)
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert sent[0] > 0 and sent[1] > 0
    assert problems == [], f"seed {SEED}:\n" + "\n".join(problems[:20])
    assert errors == [], f"seed {SEED}: ERROR logs: {errors[:10]}"
