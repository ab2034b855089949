"""The spec's MUST/SHOULD requirements on a server, kept by hand, each joined to the checks that test it.

This list is the spec side of ``docs/check-coverage.md`` (:mod:`mcpcore.check.coverage`
renders it; the check side, levels and clauses come from the registry, so the map cannot
drift). A requirement names the checks that test it, or says why none can: ``CLIENT`` (a
duty of the client, and ``mcpcore check`` is the client), ``UNOBSERVABLE`` (nothing a
client sees tells whether it holds), or ``NOT_YET`` (testable from outside; no check yet).
Sources: the 2025-11-25 and 2026-07-28 specification pages (basic protocol, lifecycle,
transports, server features, utilities) and ``/work/shared/spec/CHECKLIST.md``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

__all__ = ["CLIENT", "NOT_YET", "REQUIREMENTS", "UNOBSERVABLE", "Requirement"]

CLIENT: Final = "a duty of the client (mcpcore check is the client)"
UNOBSERVABLE: Final = "not observable from outside the server"
NOT_YET: Final = "testable from outside; no check yet"

BOTH: Final = ("2025-11-25", "2026-07-28")
LEGACY: Final = ("2025-11-25",)
MODERN: Final = ("2026-07-28",)


@dataclass(frozen=True, slots=True)
class Requirement:
    area: str
    level: Literal["MUST", "SHOULD"]
    text: str
    checks: tuple[str, ...] = ()
    why_not: str = ""
    versions: tuple[str, ...] = BOTH

    @property
    def testable(self) -> bool:
        return self.why_not not in (CLIENT, UNOBSERVABLE)


R = Requirement

REQUIREMENTS: Final[tuple[Requirement, ...]] = (
    # ------------------------------------------------------------------ basic protocol
    R("basic", "MUST", "All messages follow JSON-RPC 2.0.", ("schema.2025-11-25", "schema.2026-07-28")),
    R(
        "basic",
        "MUST",
        "A request id is a string or an integer, never null (server-sent requests).",
        ("schema.2025-11-25", "schema.2026-07-28"),
    ),
    R(
        "basic",
        "MUST",
        "A requester does not reuse a request id in the session (server-sent requests).",
        why_not=NOT_YET,
    ),
    R(
        "basic",
        "MUST",
        "Responses include the same id as the request they answer.",
        ("jsonrpc.ids-echoed", "concurrency.pipelining", "jsonrpc.unknown-method"),
    ),
    R(
        "basic",
        "MUST",
        "A response carries result or error, not both; error codes are integers.",
        ("schema.2025-11-25", "schema.2026-07-28"),
    ),
    R(
        "basic",
        "MUST",
        "Notifications carry no id, and the receiver never answers one.",
        ("jsonrpc.notifications-unanswered",),
    ),
    R(
        "basic",
        "MUST",
        "Invalid JSON, invalid requests and unknown methods get the JSON-RPC errors "
        "-32700 / -32600 / -32601 (JSON-RPC 2.0, which MCP requires).",
        (
            "jsonrpc.parse-error",
            "jsonrpc.invalid-utf8",
            "jsonrpc.not-an-object",
            "jsonrpc.wrong-version",
            "jsonrpc.method-not-string",
            "jsonrpc.params-array",
            "jsonrpc.unknown-method",
        ),
    ),
    R("basic", "MUST", "_meta keys follow the reserved-prefix naming rules.", why_not=NOT_YET),
    R("basic", "MUST", "Implementations support JSON Schema 2020-12 (the default dialect).", why_not=NOT_YET),
    # ------------------------------------------------------------------ lifecycle
    R(
        "lifecycle",
        "MUST",
        "Initialization is the first interaction; the server answers initialize with "
        "its protocol version, capabilities and information.",
        ("lifecycle.initialize",),
        versions=LEGACY,
    ),
    R(
        "lifecycle",
        "MUST",
        "A server that supports the requested protocol version answers with that version.",
        (
            "lifecycle.version.2025-11-25",
            "lifecycle.version.2025-06-18",
            "lifecycle.version.2025-03-26",
            "lifecycle.version.2024-11-05",
        ),
        versions=LEGACY,
    ),
    R(
        "lifecycle",
        "MUST",
        "Otherwise the server answers with another version it supports.",
        ("lifecycle.unknown-version",),
        versions=LEGACY,
    ),
    R(
        "lifecycle",
        "MUST",
        "Both parties use only the capabilities that were negotiated.",
        ("logging.capability", "capabilities.lists"),
    ),
    R(
        "lifecycle",
        "SHOULD",
        "The server sends no requests other than pings and logging before notifications/initialized.",
        why_not=NOT_YET,
        versions=LEGACY,
    ),
    R(
        "lifecycle",
        "MUST",
        "The client sends initialize first, and notifications/initialized after it.",
        why_not=CLIENT,
        versions=LEGACY,
    ),
    R("lifecycle", "SHOULD", "Implementations set timeouts on the requests they send.", why_not=UNOBSERVABLE),
    R(
        "lifecycle",
        "MUST",
        "A 2026-07-28 server implements server/discover.",
        ("lifecycle.discover",),
        versions=MODERN,
    ),
    R(
        "lifecycle",
        "MUST",
        "A request in a version the server does not implement gets -32022 with data.supported.",
        ("lifecycle.modern-unsupported-version", "http.modern-bad-version"),
        versions=MODERN,
    ),
    R(
        "lifecycle",
        "MUST",
        "A request without the required _meta fields (protocolVersion, clientCapabilities) gets -32602.",
        ("lifecycle.modern-missing-meta",),
        versions=MODERN,
    ),
    R(
        "lifecycle",
        "MUST",
        "A request needing a client capability not declared on it gets -32021 with "
        "data.requiredCapabilities.",
        why_not=NOT_YET,
        versions=MODERN,
    ),
    R(
        "lifecycle",
        "SHOULD",
        "Servers put io.modelcontextprotocol/serverInfo in every result's _meta.",
        ("lifecycle.modern-server-info",),
        versions=MODERN,
    ),
    R(
        "lifecycle",
        "MUST",
        "Results include resultType.",
        ("lifecycle.modern-results", "schema.2026-07-28"),
        versions=MODERN,
    ),
    R(
        "lifecycle",
        "MUST",
        "Cacheable results (discover, the lists, resources/read) carry ttlMs and cacheScope.",
        ("lifecycle.modern-results",),
        versions=MODERN,
    ),
    R(
        "lifecycle",
        "MUST",
        "List results do not vary per connection (they may vary per authorization).",
        why_not=NOT_YET,
        versions=MODERN,
    ),
    R(
        "lifecycle",
        "SHOULD",
        "A modern-only server lists its supported versions in its error to initialize.",
        why_not=NOT_YET,
        versions=MODERN,
    ),
    # ------------------------------------------------------------------ transports: stdio
    R(
        "stdio",
        "MUST",
        "The server writes nothing to stdout that is not a valid MCP message; messages "
        "contain no embedded newlines.",
        ("stdio.clean-stdout",),
    ),
    R("stdio", "MUST", "Messages are UTF-8 encoded.", ("jsonrpc.invalid-utf8", "stdio.clean-stdout")),
    R(
        "stdio",
        "MUST",
        "The client writes nothing to the server's stdin that is not a valid MCP message.",
        why_not=CLIENT,
    ),
    R(
        "stdio",
        "SHOULD",
        "Shutdown: the client closes the server's stdin and waits for it to exit "
        "(stdio.eof-exit reports, as INFO, whether the server does exit on EOF).",
        why_not=CLIENT,
    ),
    # ------------------------------------------------------------------ transports: Streamable HTTP
    R(
        "http",
        "MUST",
        "Servers validate the Origin header; an invalid Origin gets 403 Forbidden.",
        ("http.origin",),
    ),
    R("http", "SHOULD", "Servers running locally bind only to localhost.", why_not=UNOBSERVABLE),
    R("http", "SHOULD", "Servers implement proper authentication for all connections.", why_not=UNOBSERVABLE),
    R(
        "http",
        "MUST",
        "The client POSTs every message, with Accept listing application/json and text/event-stream.",
        why_not=CLIENT,
    ),
    R(
        "http",
        "MUST",
        "An accepted notification or response gets 202 Accepted with no body.",
        ("http.legacy-notification-202", "http.modern-notification-202"),
    ),
    R(
        "http",
        "MUST",
        "A notification or response the server does not accept gets an HTTP error status.",
        why_not=NOT_YET,
    ),
    R(
        "http",
        "MUST",
        "A request is answered Content-Type text/event-stream or application/json.",
        ("http.legacy-content-type", "http.json-bodies"),
    ),
    R(
        "http",
        "SHOULD",
        "An SSE response stream starts with an event carrying an id and empty data "
        "(priming), and ends after the response.",
        why_not=NOT_YET,
        versions=LEGACY,
    ),
    R("http", "SHOULD", "A dropped connection is not read as a cancellation.", why_not=NOT_YET),
    R(
        "http",
        "MUST",
        "GET answers text/event-stream or 405 Method Not Allowed.",
        ("http.legacy-get-stream",),
        versions=LEGACY,
    ),
    R(
        "http",
        "MUST",
        "A 2026-07-28 client's GET and DELETE get 405 (no sessions, no standalone stream).",
        ("http.modern-get-405",),
        versions=MODERN,
    ),
    R(
        "http",
        "MUST",
        "The server sends no JSON-RPC response on the GET stream unless resuming.",
        why_not=NOT_YET,
        versions=LEGACY,
    ),
    R(
        "http",
        "SHOULD",
        "Session ids are globally unique and cryptographically secure.",
        why_not=UNOBSERVABLE,
        versions=LEGACY,
    ),
    R(
        "http",
        "MUST",
        "Session ids contain only visible ASCII (0x21-0x7E).",
        ("http.legacy-session-id",),
        versions=LEGACY,
    ),
    R(
        "http",
        "SHOULD",
        "A session server answers 400 to a request without Mcp-Session-Id.",
        ("http.legacy-missing-session",),
        versions=LEGACY,
    ),
    R(
        "http",
        "MUST",
        "A terminated (or unknown) session id gets 404 Not Found.",
        ("http.legacy-unknown-session", "http.legacy-delete"),
        versions=LEGACY,
    ),
    R(
        "http",
        "MUST",
        "An invalid or unsupported MCP-Protocol-Version header gets 400 Bad Request.",
        ("http.legacy-bad-protocol-version", "http.modern-bad-version"),
    ),
    R(
        "http",
        "SHOULD",
        "Without MCP-Protocol-Version the server assumes 2025-03-26.",
        ("http.legacy-no-protocol-version",),
        versions=LEGACY,
    ),
    R(
        "http",
        "MUST",
        "Mcp-Method and the other MCP headers agree with the body; a mismatch or a missing "
        "header gets 400 with -32020.",
        ("http.modern-header-mismatch", "http.modern-missing-headers"),
        versions=MODERN,
    ),
    R(
        "http",
        "MUST",
        "An unknown method gets HTTP 404 with -32601.",
        ("http.modern-unknown-method",),
        versions=MODERN,
    ),
    R(
        "http",
        "MUST",
        "SSE event ids are unique per session, and a resumed stream replays only its own messages.",
        why_not=NOT_YET,
        versions=LEGACY,
    ),
    # ------------------------------------------------------------------ utilities
    R(
        "ping",
        "MUST",
        "The receiver of a ping answers promptly with an empty result.",
        ("lifecycle.ping",),
        versions=LEGACY,
    ),
    R(
        "cancellation",
        "SHOULD",
        "The receiver of a cancellation stops the work and sends no response for it.",
        ("cancellation.no-response",),
    ),
    R(
        "cancellation",
        "SHOULD",
        "A cancellation for an unknown or finished request is ignored.",
        ("jsonrpc.notifications-unanswered",),
    ),
    R(
        "cancellation",
        "MUST",
        "Cancellations reference only requests issued in the same direction; the "
        "client never cancels initialize.",
        why_not=CLIENT,
    ),
    R(
        "progress",
        "MUST",
        "Progress notifications reference only tokens of active requests, and progress "
        "increases with each one.",
        ("progress.token",),
    ),
    R("pagination", "SHOULD", "An invalid cursor gets -32602.", ("pagination.invalid-cursor",)),
    R("pagination", "MUST", "Clients treat cursors as opaque and do not persist them.", why_not=CLIENT),
    R(
        "pagination",
        "SHOULD",
        "A list ends when nextCursor is absent (cursors do not repeat).",
        ("pagination.walk",),
    ),
    R(
        "logging",
        "MUST",
        "Servers that emit log notifications declare the logging capability.",
        ("logging.capability",),
    ),
    R(
        "logging",
        "MUST",
        "Log messages carry no credentials, secrets or personal data.",
        why_not=UNOBSERVABLE,
    ),
    R("completion", "MUST", "Completion results hold at most 100 values.", ("completion.complete",)),
    R(
        "completion",
        "MUST",
        "Servers that support completions declare the completions capability.",
        why_not=NOT_YET,
    ),
    # ------------------------------------------------------------------ server features
    R(
        "tools",
        "MUST",
        "Servers that support tools declare the tools capability, and tools/list answers.",
        ("capabilities.lists", "pagination.walk"),
    ),
    R(
        "tools",
        "SHOULD",
        "Tool names are 1-128 characters of A-Z a-z 0-9 _ - . and unique.",
        ("tools.names",),
        versions=LEGACY,
    ),
    R("tools", "MUST", "With an outputSchema, structuredContent conforms to it.", ("tools.call",)),
    R(
        "tools",
        "SHOULD",
        "A tool returning structuredContent also returns it serialized in a text block.",
        ("tools.call",),
    ),
    R("tools", "MUST", "Servers validate all tool inputs.", ("tools.invalid-arguments",)),
    R(
        "tools",
        "MUST",
        "Servers apply access control, rate-limit tool calls and sanitize outputs.",
        why_not=UNOBSERVABLE,
    ),
    R(
        "tools",
        "SHOULD",
        "A server that declared listChanged notifies when its tool list changes.",
        ("tools.list-changed",),
    ),
    R(
        "resources",
        "MUST",
        "Servers that support resources declare the resources capability, and the resource lists answer.",
        ("capabilities.lists", "pagination.walk"),
    ),
    R("resources", "MUST", "resources/read contents carry a uri and text or blob.", ("resources.read",)),
    R(
        "resources",
        "SHOULD",
        "An unknown resource gets -32002 (2025-11-25) or -32602 (2026-07-28).",
        ("resources.unknown",),
    ),
    R("resources", "MUST", "Servers validate resource URIs.", why_not=UNOBSERVABLE),
    R(
        "prompts",
        "MUST",
        "Servers that support prompts declare the prompts capability, and prompts/list answers.",
        ("capabilities.lists", "pagination.walk"),
    ),
    R(
        "prompts",
        "MUST",
        "prompts/get messages have a role (user or assistant) and a content object.",
        ("prompts.get",),
    ),
    R(
        "prompts",
        "SHOULD",
        "An unknown prompt or missing required arguments get -32602.",
        ("prompts.unknown",),
    ),
    R("prompts", "MUST", "Implementations validate prompt inputs and outputs.", why_not=UNOBSERVABLE),
)
