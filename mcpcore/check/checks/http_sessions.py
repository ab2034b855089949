"""Streamable HTTP with sessions (2025-03-26 .. 2025-11-25): 202 for notifications, content types,
Mcp-Session-Id, 404 for unknown or ended sessions, the GET stream, MCP-Protocol-Version."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mcpcore import versions
from mcpcore.check.checks.http_wire import (
    STREAMABLE_LEGACY,
    TRANSPORTS,
    http_only,
    legacy_headers,
    legacy_session,
    raw,
)
from mcpcore.check.registry import Fail, NotApplicable, check

if TYPE_CHECKING:
    from mcpcore.check.battery import Battery


@check(
    "http.legacy-notification-202",
    "a POSTed notification gets 202 Accepted with no body (legacy)",
    versions=STREAMABLE_LEGACY,
    url=f"{TRANSPORTS}#sending-messages-to-the-server",
    clause=(
        "If the input is a JSON-RPC response or notification and the server accepts it, the server "
        "MUST return HTTP status code 202 Accepted with no body."
    ),
)
async def _notification_202(b: Battery) -> str | None:
    t = http_only(b)
    session_id, version = await legacy_session(b, t)
    answer = await raw(
        t,
        "POST",
        legacy_headers(session_id, version),
        {"jsonrpc": "2.0", "method": "notifications/roots/list_changed"},
    )
    if answer.status != 202:
        raise Fail(f"expected 202, got {answer.status}", answer)
    if answer.body.strip():
        raise Fail("202 Accepted carried a body", answer)
    return None


@check(
    "http.legacy-content-type",
    "a POSTed request is answered application/json or text/event-stream",
    versions=STREAMABLE_LEGACY,
    url=f"{TRANSPORTS}#sending-messages-to-the-server",
    clause=(
        "If the input is a JSON-RPC request, the server MUST either return Content-Type: "
        "text/event-stream or Content-Type: application/json."
    ),
)
async def _content_type(b: Battery) -> str | None:
    t = http_only(b)
    session_id, version = await legacy_session(b, t)
    answer = await raw(
        t, "POST", legacy_headers(session_id, version), {"jsonrpc": "2.0", "id": 2, "method": "ping"}
    )
    if answer.status != 200:
        raise Fail(f"ping answered HTTP {answer.status}", answer)
    if answer.content_type not in ("application/json", "text/event-stream"):
        raise Fail(f"ping answered with content-type {answer.content_type!r}", answer)
    return answer.content_type


@check(
    "http.legacy-session-id",
    "Mcp-Session-Id is visible ASCII when the server assigns one",
    versions=STREAMABLE_LEGACY,
    url=f"{TRANSPORTS}#session-management",
    clause="The session ID MUST only contain visible ASCII characters (ranging from 0x21 to 0x7E).",
)
async def _session_id(b: Battery) -> str | None:
    t = http_only(b)
    session_id, _ = await legacy_session(b, t)
    if session_id is None:
        raise NotApplicable("the server assigns no session id (stateless)")
    if not session_id or any(not 0x21 <= ord(c) <= 0x7E for c in session_id):
        raise Fail(f"session id {session_id!r} holds characters outside 0x21-0x7E")
    return f"{len(session_id)} characters"


@check(
    "http.legacy-missing-session",
    "a request without Mcp-Session-Id on a session server gets 400",
    level="SHOULD",
    versions=STREAMABLE_LEGACY,
    url=f"{TRANSPORTS}#session-management",
    clause=(
        "Servers that require a session ID SHOULD respond to requests without an Mcp-Session-Id "
        "header (other than initialization) with HTTP 400 Bad Request."
    ),
)
async def _missing_session(b: Battery) -> str | None:
    t = http_only(b)
    session_id, version = await legacy_session(b, t)
    if session_id is None:
        raise NotApplicable("the server assigns no session id (stateless)")
    answer = await raw(
        t, "POST", legacy_headers(None, version), {"jsonrpc": "2.0", "id": 2, "method": "ping"}
    )
    if answer.status != 400:
        raise Fail(f"expected 400 (SHOULD), got {answer.status}", answer)
    return None


@check(
    "http.legacy-unknown-session",
    "a request naming an unknown session gets 404",
    versions=STREAMABLE_LEGACY,
    url=f"{TRANSPORTS}#session-management",
    clause=(
        "Once a session has been terminated, the server MUST respond to requests containing that "
        "session ID with HTTP 404 Not Found (an ID the server never issued is no live session "
        "either)."
    ),
)
async def _unknown_session(b: Battery) -> str | None:
    t = http_only(b)
    session_id, version = await legacy_session(b, t)
    if session_id is None:
        raise NotApplicable("the server assigns no session id (stateless)")
    answer = await raw(
        t,
        "POST",
        legacy_headers("mcpcore-check-no-such-session", version),
        {"jsonrpc": "2.0", "id": 2, "method": "ping"},
    )
    if answer.status != 404:
        raise Fail(f"expected 404, got {answer.status}", answer)
    return None


@check(
    "http.legacy-delete",
    "DELETE ends the session (later requests get 404), or 405",
    versions=STREAMABLE_LEGACY,
    url=f"{TRANSPORTS}#session-management",
    clause="The server MAY answer DELETE with 405; a session it ended MUST get 404 Not Found afterwards.",
)
async def _delete(b: Battery) -> str | None:
    t = http_only(b)
    session_id, version = await legacy_session(b, t)
    if session_id is None:
        raise NotApplicable("the server assigns no session id (stateless)")
    headers = legacy_headers(session_id, version)
    answer = await raw(t, "DELETE", headers)
    if answer.status == 405:
        return "405: the server does not let clients end sessions"
    if answer.status not in (200, 202, 204):
        raise Fail(f"DELETE answered HTTP {answer.status}", answer)
    after = await raw(t, "POST", headers, {"jsonrpc": "2.0", "id": 3, "method": "ping"})
    if after.status != 404:
        raise Fail(f"a request on a deleted session got HTTP {after.status}, not 404", after)
    return f"DELETE {answer.status}, then 404"


@check(
    "http.legacy-get-stream",
    "GET opens a text/event-stream, or answers 405",
    versions=STREAMABLE_LEGACY,
    url=f"{TRANSPORTS}#listening-for-messages-from-the-server",
    clause=(
        "The server MUST either return Content-Type: text/event-stream in response to this HTTP "
        "GET, or else return HTTP 405 Method Not Allowed."
    ),
)
async def _get_stream(b: Battery) -> str | None:
    t = http_only(b)
    session_id, version = await legacy_session(b, t)
    answer = await raw(t, "GET", legacy_headers(session_id, version), accept="text/event-stream", stream=True)
    if answer.status == 405:
        return "405: no standalone stream"
    if answer.status != 200 or answer.content_type != "text/event-stream":
        raise Fail(f"GET answered HTTP {answer.status} {answer.content_type!r}", answer)
    return "200 text/event-stream"


@check(
    "http.legacy-bad-protocol-version",
    "an unsupported MCP-Protocol-Version header gets 400",
    versions=(versions.V2025_06_18, versions.V2025_11_25),
    url=f"{TRANSPORTS}#protocol-version-header",
    clause=(
        "If the server receives a request with an invalid or unsupported MCP-Protocol-Version, it "
        "MUST respond with 400 Bad Request."
    ),
)
async def _bad_version_header(b: Battery) -> str | None:
    t = http_only(b)
    session_id, _ = await legacy_session(b, t)
    headers = [("mcp-protocol-version", "1999-01-01")]
    if session_id is not None:
        headers.append(("mcp-session-id", session_id))
    answer = await raw(t, "POST", headers, {"jsonrpc": "2.0", "id": 2, "method": "ping"})
    if answer.status != 400:
        raise Fail(f"expected 400, got {answer.status}", answer)
    return None


@check(
    "http.legacy-no-protocol-version",
    "a request without MCP-Protocol-Version is still served",
    level="SHOULD",
    versions=(versions.V2025_06_18, versions.V2025_11_25),
    url=f"{TRANSPORTS}#protocol-version-header",
    clause=(
        "For backwards compatibility, if the server does not receive an MCP-Protocol-Version header, "
        "and has no other way to identify the version, the server SHOULD assume protocol version "
        "2025-03-26."
    ),
)
async def _no_version_header(b: Battery) -> str | None:
    t = http_only(b)
    session_id, _ = await legacy_session(b, t)
    headers = [("mcp-session-id", session_id)] if session_id is not None else []
    answer = await raw(t, "POST", headers, {"jsonrpc": "2.0", "id": 2, "method": "ping"})
    if answer.status != 200:
        raise Fail(f"a ping without MCP-Protocol-Version answered HTTP {answer.status}, not 200", answer)
    return None
