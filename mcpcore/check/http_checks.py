"""HTTP-level checks of ``mcpcore check URL``: status codes, headers, sessions, Origin.

The battery's JSON-RPC checks already run over HTTP through the client
transport; these look at what only HTTP has, with hand-built requests
(:func:`_raw`), so that a server's answer is seen exactly as sent. Each check
is not applicable to a stdio target, and era-specific ones to a server that
does not speak that era.
"""

from __future__ import annotations

from typing import Any, Final

import orjson

from mcpcore import versions
from mcpcore.check.battery import Battery, Fail, NotApplicable, check
from mcpcore.client.http import HttpTransport
from mcpcore.wire.http11_client import InvalidResponse

__all__: list[str] = []

FOREIGN_ORIGIN: Final = "http://mcpcore-check.invalid"
_JSON: Final = ("content-type", "application/json")


class _Answer:
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


def _http_only(b: Battery) -> HttpTransport:
    if b.target.url is None:
        raise NotApplicable("an HTTP matter (the target is a stdio command)")
    return HttpTransport(b.target.url, headers=b.target.headers)


async def _raw(
    t: HttpTransport,
    method: str,
    extra: list[tuple[str, str]],
    body: Any = None,
    *,
    accept: str = "application/json, text/event-stream",
    stream: bool = False,
) -> _Answer:
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
            return _Answer(response.status, response.headers, b"")
        payload = await response.read()
        return _Answer(response.status, response.headers, payload)
    except (OSError, InvalidResponse) as exc:
        raise Fail(f"{method} failed at the HTTP level: {exc}") from None
    finally:
        t.pool.close()


def _initialize_body(version: str = versions.LATEST_LEGACY) -> dict[str, Any]:
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


async def _legacy_session(b: Battery, t: HttpTransport) -> tuple[str | None, str]:
    """Initialize by hand; return (session id or None, negotiated version)."""
    if not b.facts.legacy:
        raise NotApplicable("the server does not speak the legacy handshake")
    answer = await _raw(t, "POST", [], _initialize_body())
    if answer.status != 200:
        raise Fail(f"initialize answered HTTP {answer.status}", answer)
    version = b.facts.legacy_version or versions.LATEST_LEGACY
    session_id = answer.headers.get("mcp-session-id")
    headers = _legacy_headers(session_id, version)
    note = await _raw(t, "POST", headers, {"jsonrpc": "2.0", "method": "notifications/initialized"})
    if note.status not in (200, 202):
        raise Fail(f"notifications/initialized answered HTTP {note.status}", note)
    return session_id, version


def _legacy_headers(session_id: str | None, version: str) -> list[tuple[str, str]]:
    headers = [("mcp-protocol-version", version)] if version != versions.V2025_03_26 else []
    if session_id is not None:
        headers.append(("mcp-session-id", session_id))
    return headers


def _modern_body(method: str, request_id: int | None = 1, params: dict[str, Any] | None = None) -> Any:
    meta = {
        "io.modelcontextprotocol/protocolVersion": versions.LATEST_MODERN,
        "io.modelcontextprotocol/clientCapabilities": {},
        "io.modelcontextprotocol/clientInfo": {"name": "mcpcore-check", "version": "0.1.0"},
    }
    msg: dict[str, Any] = {"jsonrpc": "2.0", "method": method, "params": {**(params or {}), "_meta": meta}}
    if request_id is not None:
        msg["id"] = request_id
    return msg


def _modern_headers(method: str) -> list[tuple[str, str]]:
    return [("mcp-protocol-version", versions.LATEST_MODERN), ("mcp-method", method)]


def _modern_only(b: Battery) -> None:
    if not b.facts.modern:
        raise NotApplicable("not a 2026-07-28 server")


# ====================================================================== legacy


@check("http.legacy-notification-202", "a POSTed notification gets 202 Accepted with no body (legacy)")
async def _notification_202(b: Battery) -> str | None:
    t = _http_only(b)
    session_id, version = await _legacy_session(b, t)
    answer = await _raw(
        t,
        "POST",
        _legacy_headers(session_id, version),
        {"jsonrpc": "2.0", "method": "notifications/roots/list_changed"},
    )
    if answer.status != 202:
        raise Fail(f"expected 202, got {answer.status}", answer)
    if answer.body.strip():
        raise Fail("202 Accepted carried a body", answer)
    return None


@check("http.legacy-content-type", "a POSTed request is answered application/json or text/event-stream")
async def _content_type(b: Battery) -> str | None:
    t = _http_only(b)
    session_id, version = await _legacy_session(b, t)
    answer = await _raw(
        t, "POST", _legacy_headers(session_id, version), {"jsonrpc": "2.0", "id": 2, "method": "ping"}
    )
    if answer.status != 200:
        raise Fail(f"ping answered HTTP {answer.status}", answer)
    if answer.content_type not in ("application/json", "text/event-stream"):
        raise Fail(f"ping answered with content-type {answer.content_type!r}", answer)
    return answer.content_type


@check("http.legacy-session-id", "Mcp-Session-Id is visible ASCII when the server assigns one")
async def _session_id(b: Battery) -> str | None:
    t = _http_only(b)
    session_id, _ = await _legacy_session(b, t)
    if session_id is None:
        raise NotApplicable("the server assigns no session id (stateless)")
    if not session_id or any(not 0x21 <= ord(c) <= 0x7E for c in session_id):
        raise Fail(f"session id {session_id!r} holds characters outside 0x21-0x7E")
    return f"{len(session_id)} characters"


@check("http.legacy-missing-session", "a request without Mcp-Session-Id on a session server gets 400")
async def _missing_session(b: Battery) -> str | None:
    t = _http_only(b)
    session_id, version = await _legacy_session(b, t)
    if session_id is None:
        raise NotApplicable("the server assigns no session id (stateless)")
    answer = await _raw(
        t, "POST", _legacy_headers(None, version), {"jsonrpc": "2.0", "id": 2, "method": "ping"}
    )
    if answer.status != 400:
        raise Fail(f"expected 400 (SHOULD), got {answer.status}", answer)
    return None


@check("http.legacy-unknown-session", "a request naming an unknown session gets 404")
async def _unknown_session(b: Battery) -> str | None:
    t = _http_only(b)
    session_id, version = await _legacy_session(b, t)
    if session_id is None:
        raise NotApplicable("the server assigns no session id (stateless)")
    answer = await _raw(
        t,
        "POST",
        _legacy_headers("mcpcore-check-no-such-session", version),
        {"jsonrpc": "2.0", "id": 2, "method": "ping"},
    )
    if answer.status != 404:
        raise Fail(f"expected 404, got {answer.status}", answer)
    return None


@check("http.legacy-delete", "DELETE ends the session (later requests get 404), or 405")
async def _delete(b: Battery) -> str | None:
    t = _http_only(b)
    session_id, version = await _legacy_session(b, t)
    if session_id is None:
        raise NotApplicable("the server assigns no session id (stateless)")
    headers = _legacy_headers(session_id, version)
    answer = await _raw(t, "DELETE", headers)
    if answer.status == 405:
        return "405: the server does not let clients end sessions"
    if answer.status not in (200, 202, 204):
        raise Fail(f"DELETE answered HTTP {answer.status}", answer)
    after = await _raw(t, "POST", headers, {"jsonrpc": "2.0", "id": 3, "method": "ping"})
    if after.status != 404:
        raise Fail(f"a request on a deleted session got HTTP {after.status}, not 404", after)
    return f"DELETE {answer.status}, then 404"


@check("http.legacy-get-stream", "GET opens a text/event-stream, or answers 405")
async def _get_stream(b: Battery) -> str | None:
    t = _http_only(b)
    session_id, version = await _legacy_session(b, t)
    answer = await _raw(
        t, "GET", _legacy_headers(session_id, version), accept="text/event-stream", stream=True
    )
    if answer.status == 405:
        return "405: no standalone stream"
    if answer.status != 200 or answer.content_type != "text/event-stream":
        raise Fail(f"GET answered HTTP {answer.status} {answer.content_type!r}", answer)
    return "200 text/event-stream"


@check("http.legacy-bad-protocol-version", "an unsupported MCP-Protocol-Version header gets 400")
async def _bad_version_header(b: Battery) -> str | None:
    t = _http_only(b)
    session_id, _ = await _legacy_session(b, t)
    headers = [("mcp-protocol-version", "1999-01-01")]
    if session_id is not None:
        headers.append(("mcp-session-id", session_id))
    answer = await _raw(t, "POST", headers, {"jsonrpc": "2.0", "id": 2, "method": "ping"})
    if answer.status != 400:
        raise Fail(f"expected 400, got {answer.status}", answer)
    return None


# ====================================================================== modern


@check("http.modern-get-405", "GET and DELETE from a 2026-07-28 client get 405")
async def _modern_get(b: Battery) -> str | None:
    t = _http_only(b)
    _modern_only(b)
    version = [("mcp-protocol-version", versions.LATEST_MODERN)]
    got = await _raw(t, "GET", version, accept="text/event-stream", stream=True)
    if got.status != 405:
        raise Fail(
            f"GET with MCP-Protocol-Version {versions.LATEST_MODERN}: expected 405, got {got.status}", got
        )
    deleted = await _raw(t, "DELETE", version)
    if deleted.status != 405:
        raise Fail(f"DELETE: expected 405, got {deleted.status}", deleted)
    return None


@check("http.modern-notification-202", "a 2026-07-28 notification gets 202 with no body")
async def _modern_notification(b: Battery) -> str | None:
    t = _http_only(b)
    _modern_only(b)
    method = "notifications/mcpcore-check"
    answer = await _raw(t, "POST", _modern_headers(method), _modern_body(method, None))
    if answer.status != 202 or answer.body.strip():
        raise Fail(f"expected 202 without a body, got {answer.status}", answer)
    return None


@check("http.modern-unknown-method", "an unknown method gets HTTP 404 with -32601 (2026-07-28)")
async def _modern_unknown(b: Battery) -> str | None:
    t = _http_only(b)
    _modern_only(b)
    method = "mcpcore/check/no-such-method"
    answer = await _raw(t, "POST", _modern_headers(method), _modern_body(method))
    if answer.status != 404 or answer.error_code() != -32601:
        raise Fail(f"expected 404 with -32601, got {answer.status} with {answer.error_code()}", answer)
    return None


@check("http.modern-header-mismatch", "Mcp-Method disagreeing with the body gets 400 with -32020")
async def _modern_mismatch(b: Battery) -> str | None:
    t = _http_only(b)
    _modern_only(b)
    answer = await _raw(t, "POST", _modern_headers("tools/list"), _modern_body("server/discover"))
    if answer.status != 400 or answer.error_code() != -32020:
        raise Fail(f"expected 400 with -32020, got {answer.status} with {answer.error_code()}", answer)
    return None


@check("http.modern-missing-headers", "a 2026-07-28 POST without Mcp-Method gets 400 with -32020")
async def _modern_missing(b: Battery) -> str | None:
    t = _http_only(b)
    _modern_only(b)
    headers = [("mcp-protocol-version", versions.LATEST_MODERN)]
    answer = await _raw(t, "POST", headers, _modern_body("server/discover"))
    if answer.status != 400 or answer.error_code() != -32020:
        raise Fail(f"expected 400 with -32020, got {answer.status} with {answer.error_code()}", answer)
    return None


@check("http.modern-bad-version", "an unsupported version gets HTTP 400 with -32022")
async def _modern_version(b: Battery) -> str | None:
    t = _http_only(b)
    _modern_only(b)
    body = _modern_body("server/discover")
    body["params"]["_meta"]["io.modelcontextprotocol/protocolVersion"] = "2099-01-01"
    headers = [("mcp-protocol-version", "2099-01-01"), ("mcp-method", "server/discover")]
    answer = await _raw(t, "POST", headers, body)
    if answer.status != 400 or answer.error_code() != -32022:
        raise Fail(f"expected 400 with -32022, got {answer.status} with {answer.error_code()}", answer)
    return None


# ====================================================================== both


@check("http.origin", "a request with a foreign Origin gets 403")
async def _origin(b: Battery) -> str | None:
    t = _http_only(b)
    origin = [("origin", FOREIGN_ORIGIN)]
    if b.facts.legacy:
        answer = await _raw(t, "POST", origin, _initialize_body())
    else:
        answer = await _raw(
            t, "POST", [*origin, *_modern_headers("server/discover")], _modern_body("server/discover")
        )
    if answer.status != 403:
        raise Fail(
            f"Origin {FOREIGN_ORIGIN} was answered HTTP {answer.status}, not 403 (DNS rebinding)", answer
        )
    return None


@check("http.accept", "a POST whose Accept lacks text/event-stream gets 406 (or is served as JSON)")
async def _accept(b: Battery) -> str | None:
    t = _http_only(b)
    if b.facts.legacy:
        answer = await _raw(t, "POST", [], _initialize_body(), accept="text/plain")
    else:
        answer = await _raw(
            t,
            "POST",
            _modern_headers("server/discover"),
            _modern_body("server/discover"),
            accept="text/plain",
        )
    if answer.status == 406:
        return "406"
    if answer.status == 200 and answer.content_type == "text/event-stream":
        raise Fail("answered with text/event-stream although the client did not accept it", answer)
    if answer.status >= 500:
        raise Fail(f"answered HTTP {answer.status}", answer)
    return f"HTTP {answer.status} {answer.content_type}"
