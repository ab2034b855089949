"""Mutant servers: the conformance example with exactly one rule broken, for ``mcpcore check`` and the
official suite alike (issue 13, item 5).

``python -m tests.check.mutants NAME`` serves mutant NAME over stdio: a proxy process in front of
``python -m mcpcore.examples.conformance`` that rewrites what crosses it. ``... NAME --port N``
serves it over Streamable HTTP: the example's ASGI app under uvicorn, behind an ASGI middleware that
rewrites requests and responses the same way. Rewriting at the boundary keeps each mutant to the one
rule it breaks, and touches nothing inside mcpcore.

This is the one set of broken servers: ``mcpcore check``'s agreement tests, the official suite's
``--scenario`` runs and the fuzzer's fragile server (``cancel-crash``: an unhashable
``requestId`` in ``notifications/cancelled`` kills it) all use it.

Each :class:`Mutant` names the check ids that must flag it and the official scenario that tests the
same rule (``tests/check/test_mutants.py`` and ``tests/fuzz/test_protocol_check.py`` assert the
first; ``tests/check/official_mutants.py`` runs the second and prints the table of
docs/conformance.md).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import subprocess
import sys
import threading
import traceback
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from typing import Any

import orjson

Rewrite = Callable[[Any, "dict[Any, str]"], Any]
Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

CONFORMANCE = "mcpcore.examples.conformance"


@dataclass(frozen=True)
class Mutant:
    rule: str
    #: Check ids that must flag it over stdio (empty: an HTTP-only rule).
    stdio_checks: tuple[str, ...]
    #: Check ids that must flag it over HTTP.
    http_checks: tuple[str, ...]
    #: The official suite's scenarios for the same rule (empty: the suite has none).
    scenarios: tuple[str, ...]
    rewrite: Rewrite | None = None
    #: HTTP-level mutations (request headers in; status, for requests naming a session, and headers out).
    strip_request_headers: tuple[str, ...] = ()
    method_header_from_body: bool = False
    #: Every request's Host becomes the server's own address (the Host check never sees a foreign one).
    own_host: bool = False
    status_map: dict[int, int] = field(default_factory=dict)
    strip_response_headers: tuple[str, ...] = ()
    #: The example module the mutant is made of (it has a module-level ``server``).
    base: str = CONFORMANCE
    #: Called with each message into the server (stdio); an exception it raises kills the server.
    inbound: Callable[[Any], None] | None = None
    #: ``mcpcore check --fuzz`` options the flagging checks need (``fuzz.*`` ids only).
    fuzz_count: int = 0

    @property
    def http(self) -> bool:
        return bool(self.http_checks)


def _error_code(method: str | None, old: int | None, new: int) -> Rewrite:
    """Answers (to ``method``, or any) whose error code is ``old`` (or any) get ``new`` instead."""

    def rewrite(msg: Any, methods: dict[Any, str]) -> Any:
        error = msg.get("error") if type(msg) is dict else None
        if type(error) is not dict or (old is not None and error.get("code") != old):
            return msg
        if method is not None and methods.get(_key(msg.get("id"))) != method:
            return msg
        return {**msg, "error": {**error, "code": new}}

    return rewrite


def _result(methods_hit: tuple[str, ...], change: Callable[[dict[str, Any]], dict[str, Any]]) -> Rewrite:
    def rewrite(msg: Any, methods: dict[Any, str]) -> Any:
        result = msg.get("result") if type(msg) is dict else None
        if type(result) is not dict or methods.get(_key(msg.get("id"))) not in methods_hit:
            return msg
        return {**msg, "result": change(result)}

    return rewrite


def _drop_cache_hints(result: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in result.items() if k not in ("ttlMs", "cacheScope")}


def _wrong_structured(result: dict[str, Any]) -> dict[str, Any]:
    if "structuredContent" not in result:
        return result
    return {**result, "structuredContent": {"mcpcore-mutant": "not what the outputSchema says"}}


def _notification(method: str, change: Callable[[dict[str, Any]], dict[str, Any] | None]) -> Rewrite:
    """Notifications ``method`` out of the server get ``change``d (``None``: not sent at all)."""

    def rewrite(msg: Any, methods: dict[Any, str]) -> Any:
        if type(msg) is not dict or msg.get("method") != method:
            return msg
        return change(msg)

    return rewrite


def _without_token(msg: dict[str, Any]) -> dict[str, Any]:
    params = msg.get("params")
    if type(params) is not dict:
        return msg
    return {**msg, "params": {k: v for k, v in params.items() if k != "progressToken"}}


def _cancel_lookup(msg: Any) -> None:
    """The hostile-peers bug: a cancellation's ``requestId`` looked up in a dict as it arrives, so an
    unhashable one (``[1]``, ``{}``) raises ``TypeError``. mcpcore itself had it; the fuzzer exists
    to find this class of bug."""
    in_flight: dict[Any, str] = {}
    if type(msg) is dict and msg.get("method") == "notifications/cancelled" and "id" not in msg:
        params = msg.get("params")
        if type(params) is dict:
            in_flight.get(params.get("requestId"))


_LISTS = ("server/discover", "tools/list", "prompts/list", "resources/list", "resources/templates/list")

MUTANTS: dict[str, Mutant] = {
    "unknown-method-code": Mutant(
        "an unknown method gets -32603, not -32601",
        ("jsonrpc.unknown-method",),
        ("jsonrpc.unknown-method", "http.modern-unknown-method"),
        (),
        rewrite=_error_code(None, -32601, -32603),
    ),
    "resource-not-found": Mutant(
        "reading an unknown resource gets -32603, not -32002 / -32602",
        ("resources.unknown",),
        ("resources.unknown",),
        ("sep-2164-resource-not-found",),
        rewrite=_error_code("resources/read", None, -32603),
    ),
    "ping-not-empty": Mutant(
        "ping is answered with a non-empty result",
        ("lifecycle.ping",),
        ("lifecycle.ping",),
        ("ping",),
        rewrite=_result(("ping",), lambda result: {**result, "pong": True}),
    ),
    "no-cache-hints": Mutant(
        "2026-07-28 cacheable results lack ttlMs and cacheScope",
        ("lifecycle.modern-results",),
        ("lifecycle.modern-results",),
        ("caching",),
        rewrite=_result(_LISTS, _drop_cache_hints),
    ),
    "structured-content": Mutant(
        "structuredContent does not match the tool's outputSchema",
        ("tools.call",),
        ("tools.call",),
        (),
        rewrite=_result(("tools/call",), _wrong_structured),
        base="mcpcore.examples.calculator",  # the conformance example has no tool with an outputSchema
    ),
    "no-list-changed": Mutant(
        "no notifications/tools/list_changed after the tool list changes",
        ("tools.list-changed",),
        ("tools.list-changed",),
        ("server-stateless",),
        rewrite=_notification("notifications/tools/list_changed", lambda msg: None),
    ),
    "progress-without-token": Mutant(
        "notifications/progress without the request's progressToken",
        ("progress.token",),
        ("progress.token",),
        ("tools-call-with-progress",),
        rewrite=_notification("notifications/progress", _without_token),
    ),
    "cancel-crash": Mutant(
        "a notifications/cancelled with an unhashable requestId kills the server",
        ("fuzz.crash",),
        (),
        (),
        inbound=_cancel_lookup,
        base="mcpcore.examples.calculator",  # its fuzz run is clean, so the crash is the only finding
        fuzz_count=80,
    ),
    "origin": Mutant(
        "a foreign Origin or Host is served (no DNS-rebinding protection)",
        (),
        ("http.origin",),
        ("dns-rebinding-protection",),
        strip_request_headers=("origin",),
        own_host=True,
    ),
    "session-404": Mutant(
        "an unknown or ended session gets 400, not 404",
        (),
        ("http.legacy-unknown-session", "http.legacy-delete"),
        ("server-session-lifecycle",),
        status_map={404: 400},
    ),
    "header-mismatch": Mutant(
        "Mcp-Method disagreeing with the body is not refused (-32020)",
        (),
        ("http.modern-header-mismatch",),
        ("http-header-validation",),
        method_header_from_body=True,
    ),
}


def _key(request_id: Any) -> Any:
    return (type(request_id).__name__, request_id) if type(request_id) in (str, int) else None


def _note_methods(data: Any, methods: dict[Any, str]) -> None:
    for msg in data if type(data) is list else [data]:
        if type(msg) is dict and type(msg.get("method")) is str and _key(msg.get("id")) is not None:
            methods[_key(msg["id"])] = msg["method"]


def _apply(mutant: Mutant, data: Any, methods: dict[Any, str]) -> Any:
    if mutant.rewrite is None:
        return data
    if type(data) is list:
        kept = [mutant.rewrite(item, methods) for item in data]
        return [item for item in kept if item is not None] or None
    return mutant.rewrite(data, methods)


def rewrite_line(mutant: Mutant, line: bytes, methods: dict[Any, str]) -> bytes:
    """One newline-terminated frame out of the server, rewritten (unparseable lines pass unchanged;
    ``b""``: the mutant does not send it at all)."""
    try:
        data = orjson.loads(line)
    except orjson.JSONDecodeError:
        return line
    changed = _apply(mutant, data, methods)
    if changed is None:
        return b""
    return line if changed is data else orjson.dumps(changed) + b"\n"


# ---------------------------------------------------------------------------------------- stdio


def serve_stdio(mutant: Mutant) -> int:
    """A line proxy in front of the example server; exits when the server does."""
    child = subprocess.Popen(
        [sys.executable, "-m", mutant.base], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    assert child.stdin is not None and child.stdout is not None
    methods: dict[Any, str] = {}
    stdin = child.stdin

    def pump_in() -> None:
        try:
            for line in sys.stdin.buffer:
                with contextlib.suppress(orjson.JSONDecodeError):
                    message = orjson.loads(line)
                    _note_methods(message, methods)
                    if mutant.inbound is not None:
                        try:
                            mutant.inbound(message)
                        except Exception:
                            traceback.print_exc()  # the server dies of it, as a real one would
                            sys.stderr.flush()
                            os._exit(1)
                stdin.write(line)
                stdin.flush()
        except (BrokenPipeError, OSError):
            pass
        finally:
            with contextlib.suppress(OSError):
                stdin.close()

    threading.Thread(target=pump_in, daemon=True).start()
    for line in child.stdout:
        sys.stdout.buffer.write(rewrite_line(mutant, line, methods))
        sys.stdout.buffer.flush()
    return child.wait()


# ----------------------------------------------------------------------------------------- HTTP


class MutantApp:
    """ASGI middleware: the example's app with one mutant's rewrites on what goes in and out."""

    def __init__(self, app: Callable[[Scope, Receive, Send], Awaitable[None]], mutant: Mutant) -> None:
        self.app = app
        self.mutant = mutant

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        mutant = self.mutant
        body = bytearray()
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        methods: dict[Any, str] = {}
        try:
            parsed = orjson.loads(body) if body else None
        except orjson.JSONDecodeError:
            parsed = None
        _note_methods(parsed, methods)
        headers = [
            (n, v)
            for n, v in scope["headers"]
            if n.decode("latin-1").lower() not in mutant.strip_request_headers
        ]
        if mutant.method_header_from_body and type(parsed) is dict and type(parsed.get("method")) is str:
            headers = [(n, v) for n, v in headers if n.lower() != b"mcp-method"]
            headers.append((b"mcp-method", parsed["method"].encode()))
        if mutant.own_host and scope.get("server"):
            host, port = scope["server"]
            headers = [(n, v) for n, v in headers if n.lower() != b"host"]
            headers.append((b"host", f"{host}:{port}".encode()))
        names_session = any(n.lower() == b"mcp-session-id" for n, _ in headers)
        scope = {**scope, "headers": headers}
        delivered = False

        async def replay() -> Message:
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": bytes(body), "more_body": False}
            return await receive()

        held: list[Message] = []
        buffered = bytearray()

        async def mutate(message: Message) -> None:
            if message["type"] == "http.response.start":
                status = message["status"]
                if names_session:
                    status = mutant.status_map.get(status, status)
                out = [
                    (n, v)
                    for n, v in message.get("headers", [])
                    if n.lower().decode() not in mutant.strip_response_headers
                ]
                content_type = {n.lower(): v for n, v in out}.get(b"content-type", b"")
                message = {**message, "status": status, "headers": out}
                if mutant.rewrite is not None and content_type.startswith(b"application/json"):
                    held.append(message)  # the length changes: hold the head until the body is whole
                    return
                await send(message)
                return
            if message["type"] == "http.response.body" and mutant.rewrite is not None:
                if held:
                    buffered.extend(message.get("body", b""))
                    if message.get("more_body"):
                        return
                    new = rewrite_line(mutant, bytes(buffered), methods).rstrip(b"\n")
                    head = held.pop()
                    head["headers"] = [(n, v) for n, v in head["headers"] if n.lower() != b"content-length"]
                    head["headers"].append((b"content-length", str(len(new)).encode()))
                    await send(head)
                    await send({"type": "http.response.body", "body": new, "more_body": False})
                    return
                message = {**message, "body": _rewrite_sse(mutant, message.get("body", b""), methods)}
            await send(message)

        await self.app(scope, replay, mutate)


def _rewrite_sse(mutant: Mutant, chunk: bytes, methods: dict[Any, str]) -> bytes:
    lines = chunk.split(b"\n")
    for index, line in enumerate(lines):
        if line.startswith(b"data:"):
            payload = line[5:].strip()
            if payload:
                new = rewrite_line(mutant, payload, methods).rstrip(b"\n")
                # A comment in place of a dropped message: an event without data is never dispatched.
                lines[index] = b"data: " + new if new else b": dropped by the mutant"
    return b"\n".join(lines)


def serve_http(mutant: Mutant, port: int) -> None:
    import importlib

    import uvicorn

    server = importlib.import_module(mutant.base).server
    app = MutantApp(server.asgi_app(), mutant)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("name", choices=sorted(MUTANTS))
    parser.add_argument("--port", type=int, help="serve Streamable HTTP at /mcp on this port (else stdio)")
    args = parser.parse_args(argv)
    mutant = MUTANTS[args.name]
    if args.port is not None and mutant.inbound is not None:
        parser.error(f"{args.name} breaks a rule only over stdio")
    if args.port is not None:
        serve_http(mutant, args.port)
        return 0
    return serve_stdio(mutant)


if __name__ == "__main__":
    sys.exit(main())
