"""What every part of the conformance fixture shares: the one :class:`~mcpcore.Server`, media, helpers.

Each part (:mod:`.tools`, :mod:`.modern`, :mod:`.tasks`, :mod:`.content`)
registers its handlers on :data:`server` when imported; the package's
``__init__`` imports them in the order the lists show them.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any, TypeVar

import orjson

from mcpcore import (
    ClientCapabilityError,
    ClientRequestError,
    ConnectionClosedError,
    Context,
    RequestTimeoutError,
    RpcError,
    Server,
)

#: A 1x1 red PNG.
PNG_BYTES = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg=="
)
PNG = base64.b64encode(PNG_BYTES).decode("ascii")
#: A minimal 44-byte PCM WAV header (no samples).
WAV = base64.b64encode(
    b"RIFF$\x00\x00\x00WAVEfmt \x10\x00\x00\x00\x01\x00\x01\x00D\xac\x00\x00"
    b"\x88X\x01\x00\x02\x00\x10\x00data\x00\x00\x00\x00"
).decode("ascii")

NO_ARGUMENTS: dict[str, Any] = {"type": "object", "properties": {}}

server = Server(
    "mcp-conformance-test-server",
    version="1.0.0",
    instructions="The MCP conformance fixture: every tool, resource and prompt the official suite calls.",
)


F = TypeVar("F", bound=Callable[..., Any])


def tool(name: str, description: str, **options: Any) -> Callable[[F], F]:
    """Register a no-argument tool unless a schema is given (the suite checks every description)."""
    options.setdefault("input_schema", NO_ARGUMENTS)
    return server.tool(name, description=description, **options)


def dump(value: Any) -> str:
    return orjson.dumps(value).decode()


def outcome(answer: dict[str, Any]) -> str:
    return f"action={answer.get('action')}, content={dump(answer.get('content', {}))}"


def legacy_failure(ctx: Context, exc: Exception) -> str:
    """A server-to-client request failed on a legacy connection: explain it in the result.

    On 2026-07-28 requests errors propagate (-32021 and friends are the protocol's answer).
    """
    if ctx.modern and isinstance(exc, RpcError):
        raise exc
    return f"The client request failed: {type(exc).__name__}: {exc}"


CLIENT_FAILURES = (
    ClientCapabilityError,
    ClientRequestError,
    RpcError,
    RequestTimeoutError,
    ConnectionClosedError,
)


def form(message: str, name: str, kind: str = "string") -> tuple[str, dict[str, Any]]:
    """An elicitation asking for one required field: ``(message, requested schema)``."""
    return message, {"type": "object", "properties": {name: {"type": kind}}, "required": [name]}


def field(answer: dict[str, Any], name: str) -> Any:
    """One field of an elicitation answer's content (None when the client sent none)."""
    content = answer.get("content")
    return content.get(name) if isinstance(content, dict) else None
