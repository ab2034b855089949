"""One fresh server process per check, with both a ClientSession and raw access to the wire.

A :class:`Probe` spawns the target, wraps it in a
:class:`~mcpcore.client.session.ClientSession` (so checks can use the real
client for the well-formed part of a scenario) and listens to every message
the server sends: each one goes to an inbox (for checks that send raw,
malformed bytes and read what comes back) and to the :class:`Recorder`, which
validates it against the schema of the version in use. Every response is also
stamped with its order of arrival (:meth:`Probe.arrival`), so checks about
concurrency and cancellation judge by which answer came first, never by how
long something took.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson

from mcpcore import jsonrpc, versions
from mcpcore.check.schema import schema_for
from mcpcore.client.http import HttpTransport
from mcpcore.client.session import ClientSession, ServerInfo
from mcpcore.client.stdio import StdioTransport
from mcpcore.errors import RemoteProtocolError
from mcpcore.wire.lines import FrameTooLarge

__all__ = ["Probe", "Recorder", "Target", "Violation"]


@dataclass(frozen=True, slots=True)
class Target:
    """What to check: a stdio command (argv) with its environment and working directory, or an HTTP URL."""

    command: Sequence[str] = ()
    env: Mapping[str, str] | None = None
    cwd: str | None = None
    #: Seconds to wait for any one answer before calling it missing.
    timeout: float = 10.0
    #: A Streamable HTTP endpoint (``http://host:port/path``) instead of a command.
    url: str | None = None
    #: Extra headers on every HTTP request (``Authorization``, …).
    headers: Mapping[str, str] | None = None

    @property
    def is_http(self) -> bool:
        return self.url is not None

    @property
    def label(self) -> str:
        return self.url if self.url is not None else " ".join(self.command)


@dataclass(slots=True)
class Violation:
    """A server message that failed its schema (or was not JSON at all)."""

    check: str
    version: str
    what: str
    problems: list[str]
    message: str


@dataclass(slots=True)
class Recorder:
    """Collects schema results for every message of every check."""

    validated: dict[str, int] = field(default_factory=dict)
    violations: list[Violation] = field(default_factory=list)
    not_json: list[tuple[str, str]] = field(default_factory=list)
    #: Every ``notifications/message`` the server sent: (check, version, message).
    logs: list[tuple[str, str, Any]] = field(default_factory=list)

    def record(
        self, check: str, version: str, *, what: str, definition: str | None, instance: Any, msg: Any
    ) -> None:
        if definition is None:
            return
        schema = schema_for(version)
        self.validated[version] = self.validated.get(version, 0) + 1
        problems = schema.errors(definition, instance)
        if problems:
            self.violations.append(
                Violation(check, version, f"{what} ({definition})", problems, excerpt(msg))
            )


def excerpt(msg: Any, limit: int = 400) -> str:
    """A short printable form of a message for reports."""
    if isinstance(msg, (bytes, bytearray)):
        text = bytes(msg).decode("utf-8", "replace")
    else:
        try:
            text = orjson.dumps(msg).decode()
        except TypeError:
            text = repr(msg)
    return text if len(text) <= limit else text[:limit] + "…"


class Probe:
    """A server process for one check."""

    def __init__(self, target: Target, recorder: Recorder, check: str) -> None:
        self.target = target
        self.recorder = recorder
        self.check = check
        self.transport: StdioTransport | HttpTransport | None = None
        self.session: ClientSession | None = None
        #: The version whose schema applies to what the server sends now.
        self.version = versions.LATEST_LEGACY
        self.inbox: asyncio.Queue[Any] = asyncio.Queue()
        self._raw_methods: dict[Any, str] = {}
        self._raw_ids = itertools.count(900_000)
        self._sequence = itertools.count()
        #: Order of arrival of each response, by (id type, id): the first response is 0.
        self._arrivals: dict[tuple[type, Any], int] = {}
        self._arrived = asyncio.Event()
        #: Why the server ended on its own (exit status, last stderr lines); ``None`` while it
        #: lives or when the probe ended it.
        self.died: str | None = None

    async def __aenter__(self) -> Probe:
        if self.target.url is not None:
            self.transport = HttpTransport(
                self.target.url, headers=self.target.headers, standalone_stream=False, connect_timeout=5.0
            )
        else:
            self.transport = await StdioTransport.spawn(
                self.target.command,
                env=self.target.env,
                cwd=self.target.cwd,
                stderr="capture",
                close_timeout=2.0,
            )
        self.session = ClientSession(
            self.transport,
            client_info={"name": "mcpcore-check", "version": "0.1.0"},
            timeout=self.target.timeout,
            cache=False,
        )
        self.session.observers.append(self._observe)
        self.transport.attach(self.session)
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self.transport is None:
            return
        if isinstance(self.transport, StdioTransport) and self.session is not None and self.session.closed:
            # The server closed its stdout before the probe was done with it: say why.
            self.died = _death_note(await self.transport.wait(2.0), self.stderr_tail)
        await self.transport.close()

    @property
    def s(self) -> ClientSession:
        assert self.session is not None
        return self.session

    # ------------------------------------------------------------ connecting

    async def legacy(self, version: str = versions.LATEST_LEGACY) -> ServerInfo:
        info = await self.s.initialize(version)
        self.version = info.protocol_version
        return info

    async def modern(self, version: str = versions.LATEST_MODERN) -> ServerInfo:
        self.version = version
        return await self.s.discover(version)

    # ------------------------------------------------------------- observing

    def _observe(self, msg: Any) -> None:
        sequence = next(self._sequence)
        if type(msg) is dict and "method" not in msg and type(msg.get("id")) in (str, int):
            self._arrivals.setdefault((type(msg["id"]), msg["id"]), sequence)
            self._arrived.set()
        self.inbox.put_nowait(msg)
        if isinstance(msg, (RemoteProtocolError, FrameTooLarge)):
            self.recorder.not_json.append((self.check, str(getattr(msg, "error", msg))))
            return
        for item in msg if type(msg) is list else [msg]:
            self._validate(item)

    def _validate(self, msg: Any) -> None:
        schema = schema_for(self.version)
        if type(msg) is not dict:
            self.recorder.record(
                self.check, self.version, what="message", definition="JSONRPCMessage", instance=msg, msg=msg
            )
            return
        method = msg.get("method")
        if type(method) is str:
            definition = schema.by_method.get(method)
            kind = "request" if "id" in msg else "notification"
            if method == "notifications/message":
                self.recorder.logs.append((self.check, self.version, msg))
            self.recorder.record(
                self.check,
                self.version,
                what=f"{kind} {method}",
                definition=definition,
                instance=msg,
                msg=msg,
            )
            return
        if "error" in msg:
            # JSON-RPC requires id null when the request's id could not be read; the pre-2025-11-25
            # schemas only allow string/integer ids, so the null is checked here, not by the schema.
            shaped = {**msg, "id": 0} if msg.get("id", 0) is None else msg
            self.recorder.record(
                self.check,
                self.version,
                what="error response",
                definition=schema.error_definition,
                instance=shaped,
                msg=msg,
            )
            return
        request_id = msg.get("id")
        answered = self.s.method_of(request_id) or self._raw_methods.get(request_id)
        if answered is None:
            return
        result = msg.get("result")
        definition = schema.result_definition(answered, result)
        self.recorder.record(
            self.check,
            self.version,
            what=f"{answered} result",
            definition=definition,
            instance=result,
            msg=msg,
        )

    # ------------------------------------------------------------------ raw

    def new_id(self) -> int:
        return next(self._raw_ids)

    def drain(self) -> None:
        """Forget what arrived so far (raw checks read only what answers their own bytes)."""
        while not self.inbox.empty():
            self.inbox.get_nowait()

    def send_raw(self, data: bytes, *, request_id: Any = None, method: str | None = None) -> None:
        if request_id is not None and method is not None:
            self._raw_methods[request_id] = method
        assert self.transport is not None
        self.transport.write(data)

    def send(self, message: Any, *, method: str | None = None) -> None:
        request_id = message.get("id") if type(message) is dict else None
        self.send_raw(jsonrpc.encode(message), request_id=request_id, method=method or _method(message))

    def modern_params(self, params: dict[str, Any] | None = None) -> dict[str, Any]:
        return {**(params or {}), "_meta": self.s.envelope(versions.LATEST_MODERN)}

    async def next_message(self, timeout: float | None = None) -> Any:
        """The next message the server sends, or ``None`` if it sends nothing in time."""
        try:
            return await asyncio.wait_for(self.inbox.get(), timeout or self.target.timeout)
        except asyncio.TimeoutError:
            return None

    async def answer_to(self, request_id: Any, timeout: float | None = None) -> dict[str, Any] | None:
        """The response whose id equals ``request_id`` (others are skipped), or ``None``."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + (timeout or self.target.timeout)
        while True:
            remaining = deadline - loop.time()
            if remaining <= 0:
                return None
            msg = await self.next_message(remaining)
            if msg is None:
                return None
            if type(msg) is dict and "method" not in msg and _same_id(msg.get("id"), request_id):
                return msg

    def arrival(self, request_id: str | int) -> int | None:
        """The order in which the response to ``request_id`` arrived (0 = first), or ``None``."""
        return self._arrivals.get((type(request_id), request_id))

    async def arrived(self, request_id: str | int, timeout: float | None = None) -> int | None:
        """Wait for the response to ``request_id`` (without taking it from the inbox); its order."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + (timeout or self.target.timeout)
        while (order := self.arrival(request_id)) is None:
            remaining = deadline - loop.time()
            if remaining <= 0:
                return None
            self._arrived.clear()
            try:
                await asyncio.wait_for(self._arrived.wait(), remaining)
            except asyncio.TimeoutError:
                return None
        return order

    async def alive(self) -> bool:
        """Does the server still answer (ping under legacy, server/discover under modern)?"""
        request_id = self.new_id()
        if self.version in versions.MODERN_VERSIONS:
            self.send(
                {
                    "jsonrpc": "2.0",
                    "id": request_id,
                    "method": "server/discover",
                    "params": self.modern_params(),
                }
            )
        else:
            self.send({"jsonrpc": "2.0", "id": request_id, "method": "ping"})
        reply = await self.answer_to(request_id)
        return reply is not None and "result" in reply

    @property
    def http(self) -> HttpTransport:
        """The HTTP transport (HTTP targets only)."""
        assert isinstance(self.transport, HttpTransport)
        return self.transport

    @property
    def stdio(self) -> StdioTransport:
        """The stdio transport (command targets only)."""
        assert isinstance(self.transport, StdioTransport)
        return self.transport

    @property
    def stderr_tail(self) -> str:
        if not isinstance(self.transport, StdioTransport):
            return ""
        with contextlib.suppress(Exception):
            return self.transport.stderr[-2000:].decode("utf-8", "replace")
        return ""


def _death_note(code: int | None, stderr: str) -> str:
    """A report line: the exit status and the last five non-blank lines of stderr."""
    status = f"server exit status {code}" if code is not None else "server closed stdout, still running"
    lines = [line.strip() for line in stderr.splitlines() if line.strip()][-5:]
    return status + ("; its stderr ends: " + " | ".join(lines) if lines else "; nothing on its stderr")


def _method(message: Any) -> str | None:
    return message.get("method") if type(message) is dict and type(message.get("method")) is str else None


def _same_id(got: Any, want: Any) -> bool:
    """Ids must come back exactly: same type and value (1 and 1.0, or 1 and "1", differ)."""
    return type(got) is type(want) and got == want
