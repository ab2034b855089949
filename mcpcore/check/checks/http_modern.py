"""Streamable HTTP in 2026-07-28: no sessions or GET stream, Mcp-Method headers, HTTP status per error."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mcpcore import versions
from mcpcore.check.checks.http_wire import (
    MODERN_TRANSPORTS,
    http_only,
    modern_body,
    modern_headers,
    modern_only,
    raw,
)
from mcpcore.check.registry import Fail, check

if TYPE_CHECKING:
    from mcpcore.check.battery import Battery


@check(
    "http.modern-get-405",
    "GET and DELETE from a 2026-07-28 client get 405",
    versions=versions.MODERN_VERSIONS,
    url=MODERN_TRANSPORTS,
    clause=(
        "A 2026-07-28 server has no standalone stream or session: GET and DELETE get 405 Method Not Allowed."
    ),
)
async def _modern_get(b: Battery) -> str | None:
    t = http_only(b)
    modern_only(b)
    version = [("mcp-protocol-version", versions.LATEST_MODERN)]
    got = await raw(t, "GET", version, accept="text/event-stream", stream=True)
    if got.status != 405:
        raise Fail(
            f"GET with MCP-Protocol-Version {versions.LATEST_MODERN}: expected 405, got {got.status}", got
        )
    deleted = await raw(t, "DELETE", version)
    if deleted.status != 405:
        raise Fail(f"DELETE: expected 405, got {deleted.status}", deleted)
    return None


@check(
    "http.modern-notification-202",
    "a 2026-07-28 notification gets 202 with no body",
    versions=versions.MODERN_VERSIONS,
    url=MODERN_TRANSPORTS,
    clause="An accepted notification MUST be answered 202 Accepted with no body.",
)
async def _modern_notification(b: Battery) -> str | None:
    t = http_only(b)
    modern_only(b)
    method = "notifications/mcpcore-check"
    answer = await raw(t, "POST", modern_headers(method), modern_body(method, None))
    if answer.status != 202 or answer.body.strip():
        raise Fail(f"expected 202 without a body, got {answer.status}", answer)
    return None


@check(
    "http.modern-unknown-method",
    "an unknown method gets HTTP 404 with -32601 (2026-07-28)",
    versions=versions.MODERN_VERSIONS,
    url=MODERN_TRANSPORTS,
    clause="An unknown method is answered HTTP 404 with a -32601 JSON-RPC error.",
)
async def _modern_unknown(b: Battery) -> str | None:
    t = http_only(b)
    modern_only(b)
    method = "mcpcore/check/no-such-method"
    answer = await raw(t, "POST", modern_headers(method), modern_body(method))
    if answer.status != 404 or answer.error_code() != -32601:
        raise Fail(f"expected 404 with -32601, got {answer.status} with {answer.error_code()}", answer)
    return None


@check(
    "http.modern-header-mismatch",
    "Mcp-Method disagreeing with the body gets 400 with -32020",
    versions=versions.MODERN_VERSIONS,
    url=MODERN_TRANSPORTS,
    clause="Mcp-Method disagreeing with the body is a HeaderMismatch: HTTP 400 with -32020.",
)
async def _modern_mismatch(b: Battery) -> str | None:
    t = http_only(b)
    modern_only(b)
    answer = await raw(t, "POST", modern_headers("tools/list"), modern_body("server/discover"))
    if answer.status != 400 or answer.error_code() != -32020:
        raise Fail(f"expected 400 with -32020, got {answer.status} with {answer.error_code()}", answer)
    return None


@check(
    "http.modern-missing-headers",
    "a 2026-07-28 POST without Mcp-Method gets 400 with -32020",
    versions=versions.MODERN_VERSIONS,
    url=MODERN_TRANSPORTS,
    clause="A POST missing the required MCP headers is a HeaderMismatch: HTTP 400 with -32020.",
)
async def _modern_missing(b: Battery) -> str | None:
    t = http_only(b)
    modern_only(b)
    headers = [("mcp-protocol-version", versions.LATEST_MODERN)]
    answer = await raw(t, "POST", headers, modern_body("server/discover"))
    if answer.status != 400 or answer.error_code() != -32020:
        raise Fail(f"expected 400 with -32020, got {answer.status} with {answer.error_code()}", answer)
    return None


@check(
    "http.modern-bad-version",
    "an unsupported version gets HTTP 400 with -32022",
    versions=versions.MODERN_VERSIONS,
    url=MODERN_TRANSPORTS,
    clause="An unsupported protocol version MUST get UnsupportedProtocolVersionError (-32022), HTTP 400.",
)
async def _modern_version(b: Battery) -> str | None:
    t = http_only(b)
    modern_only(b)
    body = modern_body("server/discover")
    body["params"]["_meta"]["io.modelcontextprotocol/protocolVersion"] = "2099-01-01"
    headers = [("mcp-protocol-version", "2099-01-01"), ("mcp-method", "server/discover")]
    answer = await raw(t, "POST", headers, body)
    if answer.status != 400 or answer.error_code() != -32022:
        raise Fail(f"expected 400 with -32022, got {answer.status} with {answer.error_code()}", answer)
    return None
