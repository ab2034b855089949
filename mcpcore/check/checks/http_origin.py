"""HTTP in every era: Origin validation (DNS rebinding) and Accept negotiation."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mcpcore import versions
from mcpcore.check.checks.http_wire import (
    FOREIGN_ORIGIN,
    STREAMABLE,
    TRANSPORTS,
    http_only,
    initialize_body,
    modern_body,
    modern_headers,
    raw,
)
from mcpcore.check.registry import Fail, check

if TYPE_CHECKING:
    from mcpcore.check.battery import Battery


@check(
    "http.origin",
    "a request with a foreign Origin gets 403",
    versions=(versions.V2025_11_25, *versions.MODERN_VERSIONS),
    url=f"{TRANSPORTS}#security-warning",
    clause=(
        "Servers MUST validate the Origin header on all incoming connections; if the Origin header "
        "is present and invalid, servers MUST respond with HTTP 403 Forbidden."
    ),
)
async def _origin(b: Battery) -> str | None:
    t = http_only(b)
    origin = [("origin", FOREIGN_ORIGIN)]
    if b.facts.legacy:
        answer = await raw(t, "POST", origin, initialize_body())
    else:
        answer = await raw(
            t, "POST", [*origin, *modern_headers("server/discover")], modern_body("server/discover")
        )
    if answer.status != 403:
        raise Fail(
            f"Origin {FOREIGN_ORIGIN} was answered HTTP {answer.status}, not 403 (DNS rebinding)", answer
        )
    return None


@check(
    "http.accept",
    "a POST whose Accept lacks text/event-stream gets 406 (or is served as JSON)",
    level="INFO",
    versions=STREAMABLE,
    url=f"{TRANSPORTS}#sending-messages-to-the-server",
    clause=(
        "The client MUST list application/json and text/event-stream in Accept (a client duty): "
        "answering 406, or plain JSON, when it does not is interop advice."
    ),
)
async def _accept(b: Battery) -> str | None:
    t = http_only(b)
    if b.facts.legacy:
        answer = await raw(t, "POST", [], initialize_body(), accept="text/plain")
    else:
        answer = await raw(
            t,
            "POST",
            modern_headers("server/discover"),
            modern_body("server/discover"),
            accept="text/plain",
        )
    if answer.status == 406:
        return "406"
    if answer.status == 200 and answer.content_type == "text/event-stream":
        raise Fail("answered with text/event-stream although the client did not accept it", answer)
    if answer.status >= 500:
        raise Fail(f"answered HTTP {answer.status}", answer)
    return f"HTTP {answer.status} {answer.content_type}"
