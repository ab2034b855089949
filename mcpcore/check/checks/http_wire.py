"""Hand-built HTTP requests for the HTTP checks: a server's answer is seen exactly as sent.

The battery's JSON-RPC checks already run over HTTP through the client
transport; the ``http.*`` checks look at what only HTTP has (status codes,
headers, sessions, Origin) with :func:`raw`, one request on a fresh connection.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

import orjson

from mcpcore import versions
from mcpcore.check.registry import ALL_VERSIONS, Fail, NotApplicable
from mcpcore.client.http import HttpTransport
from mcpcore.wire.http11_client import InvalidResponse

if TYPE_CHECKING:
    from mcpcore.check.battery import Battery

TRANSPORTS: Final = "https://modelcontextprotocol.io/specification/2025-11-25/basic/transports"
MODERN_TRANSPORTS: Final = "https://modelcontextprotocol.io/specification/2026-07-28/basic/transports"
#: The versions with Streamable HTTP (2024-11-05 had HTTP+SSE, which these checks do not speak).
STREAMABLE: Final = tuple(v for v in ALL_VERSIONS if v != versions.V2024_11_05)
STREAMABLE_LEGACY: Final = tuple(v for v in STREAMABLE if v in versions.LEGACY_VERSIONS)
FOREIGN_ORIGIN: Final = "http://mcpcore-check.invalid"
_JSON: Final = ("content-type", "application/json")


class Answer:
    __slots__ = ("body", "headers", "status")

    def __init__(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.status = status
        self.headers = headers
        self.body = body

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").partition(";")[0].strip().lower()

    def json(self) -> Any:
        try:
            return orjson.loads(self.body)
        except orjson.JSONDecodeError:
            return None

    def error_code(self) -> Any:
        """The JSON-RPC error code in a JSON body or the first SSE event, if any."""
        doc = self.json()
        if doc is None and self.content_type == "text/event-stream":
            for line in self.body.split(b"\n"):
                if line.startswith(b"data:"):
                    try:
                        doc = orjson.loads(line[5:])
                    except orjson.JSONDecodeError:
                        doc = None
                    break
        error = doc.get("error") if type(doc) is dict else None
        return error.get("code") if type(error) is dict else None

    def __repr__(self) -> str:
        return f"HTTP {self.status} {self.content_type} {self.body[:300]!r}"


def http_only(b: Battery) -> HttpTransport:
    if b.target.url is None:
        raise NotApplicable("an HTTP matter (the target is a stdio command)")
    return HttpTransport(b.target.url, headers=b.target.headers)


async def raw(
    t: HttpTransport,
    method: str,
    extra: list[tuple[str, str]],
    body: Any = None,
    *,
    accept: str = "application/json, text/event-stream",
    stream: bool = False,
) -> Answer:
    """One hand-built request on a fresh connection; an event stream is read only up to its head."""
    headers = t.base_headers(accept)
    data = None
    if body is not None:
        data = body if type(body) is bytes else orjson.dumps(body)
        headers.append(_JSON)
    headers.extend(extra)
    try:
        response = await t.pool.open(method, t.target, headers, data)
        if stream and response.content_type == "text/event-stream":
            response.abort()
            return Answer(response.status, response.headers, b"")
        payload = await response.read()
        return Answer(response.status, response.headers, payload)
    except (OSError, InvalidResponse) as exc:
        raise Fail(f"{method} failed at the HTTP level: {exc}") from None
    finally:
        t.pool.close()


def initialize_body(version: str = versions.LATEST_LEGACY) -> dict[str, Any]:
    return {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {
            "protocolVersion": version,
            "capabilities": {},
            "clientInfo": {"name": "mcpcore-check", "version": "0.1.0"},
        },
    }


async def legacy_session(b: Battery, t: HttpTransport) -> tuple[str | None, str]:
    """Initialize by hand; return (session id or None, negotiated version)."""
    if not b.facts.legacy:
        raise NotApplicable("the server does not speak the legacy handshake")
    answer = await raw(t, "POST", [], initialize_body())
    if answer.status != 200:
        raise Fail(f"initialize answered HTTP {answer.status}", answer)
    version = b.facts.legacy_version or versions.LATEST_LEGACY
    session_id = answer.headers.get("mcp-session-id")
    headers = legacy_headers(session_id, version)
    note = await raw(t, "POST", headers, {"jsonrpc": "2.0", "method": "notifications/initialized"})
    if note.status not in (200, 202):
        raise Fail(f"notifications/initialized answered HTTP {note.status}", note)
    return session_id, version


def legacy_headers(session_id: str | None, version: str) -> list[tuple[str, str]]:
    headers = [("mcp-protocol-version", version)] if version != versions.V2025_03_26 else []
    if session_id is not None:
        headers.append(("mcp-session-id", session_id))
    return headers


def modern_body(method: str, request_id: int | None = 1, params: dict[str, Any] | None = None) -> Any:
    meta = {
        "io.modelcontextprotocol/protocolVersion": versions.LATEST_MODERN,
        "io.modelcontextprotocol/clientCapabilities": {},
        "io.modelcontextprotocol/clientInfo": {"name": "mcpcore-check", "version": "0.1.0"},
    }
    msg: dict[str, Any] = {"jsonrpc": "2.0", "method": method, "params": {**(params or {}), "_meta": meta}}
    if request_id is not None:
        msg["id"] = request_id
    return msg


def modern_headers(method: str) -> list[tuple[str, str]]:
    return [("mcp-protocol-version", versions.LATEST_MODERN), ("mcp-method", method)]


def modern_only(b: Battery) -> None:
    if not b.facts.modern:
        raise NotApplicable("not a 2026-07-28 server")
