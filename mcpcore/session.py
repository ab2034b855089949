"""MCP lifecycle and version negotiation, sans I/O.

Two eras share one dispatch:

* **legacy** (2024-11-05 … 2025-11-25): an ``initialize`` handshake fixes the
  version and the client's capabilities for the whole connection;
  :class:`LegacySession` is that small state machine.
* **modern** (2026-07-28): no handshake. Every request carries its version,
  client capabilities and client info in ``params._meta``;
  :func:`read_modern_envelope` checks that envelope and returns it.

Nothing here awaits, writes or knows which transport it is on.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any, Final

from mcpcore import versions
from mcpcore.errors import INVALID_PARAMS, INVALID_REQUEST, UNSUPPORTED_PROTOCOL_VERSION, RpcError

__all__ = [
    "META_CLIENT_CAPABILITIES",
    "META_CLIENT_INFO",
    "META_LOG_LEVEL",
    "META_PROTOCOL_VERSION",
    "META_SERVER_INFO",
    "Envelope",
    "LegacySession",
    "Phase",
    "negotiate_version",
    "read_modern_envelope",
]

META_PROTOCOL_VERSION: Final = "io.modelcontextprotocol/protocolVersion"
META_CLIENT_CAPABILITIES: Final = "io.modelcontextprotocol/clientCapabilities"
META_CLIENT_INFO: Final = "io.modelcontextprotocol/clientInfo"
META_LOG_LEVEL: Final = "io.modelcontextprotocol/logLevel"
META_SERVER_INFO: Final = "io.modelcontextprotocol/serverInfo"

LOG_LEVELS: Final = ("debug", "info", "notice", "warning", "error", "critical", "alert", "emergency")


class Phase(enum.Enum):
    """Where a legacy connection is in its lifecycle."""

    NEW = "new"  # nothing but ping and initialize allowed
    INITIALIZED = "initialized"  # initialize answered; the client may now send requests
    READY = "ready"  # notifications/initialized received


@dataclass(frozen=True, slots=True)
class Envelope:
    """What a request says about its client: fixed per connection (legacy) or per request (modern)."""

    protocol_version: str
    client_capabilities: dict[str, Any]
    client_info: dict[str, Any] | None
    modern: bool
    log_level: str | None = None


def negotiate_version(requested: object) -> str:
    """Echo a supported legacy version, otherwise offer the newest legacy one (spec §lifecycle)."""
    if isinstance(requested, str) and requested in versions.LEGACY_VERSIONS:
        return requested
    return versions.LATEST_LEGACY


class LegacySession:
    """The ``initialize`` handshake of one connection (a stdio process or an HTTP session)."""

    __slots__ = ("envelope", "phase")

    def __init__(self) -> None:
        self.phase = Phase.NEW
        self.envelope: Envelope | None = None

    def initialize(self, params: dict[str, Any]) -> Envelope:
        """Take an ``initialize`` request's params; return the negotiated envelope.

        Raises ``RpcError`` for a second ``initialize`` or malformed params.
        """
        if self.phase is not Phase.NEW:
            raise RpcError(INVALID_REQUEST, "Invalid request: the session is already initialized")
        # The router checked the params' shape first (mcpcore.inbound); this is the lifecycle.
        capabilities = params.get("capabilities") or {}
        client_info = params.get("clientInfo")
        version = negotiate_version(params["protocolVersion"])
        self.envelope = Envelope(version, capabilities, client_info, modern=False)
        self.phase = Phase.INITIALIZED
        return self.envelope

    def restore(self, envelope: Envelope) -> None:
        """Take a handshake made elsewhere: by another replica of the session, or none (stateless)."""
        self.envelope = envelope
        self.phase = Phase.READY

    def initialized(self) -> None:
        """``notifications/initialized`` arrived (tolerated before, after or without requests)."""
        if self.phase is Phase.INITIALIZED:
            self.phase = Phase.READY

    @property
    def batches_allowed(self) -> bool:
        """Only a session that negotiated 2025-03-26 accepts JSON-RPC batches."""
        return self.envelope is not None and self.envelope.protocol_version in versions.BATCH_VERSIONS


def is_modern_request(params: dict[str, Any] | None) -> bool:
    """A request is modern when its ``_meta`` names a protocol version (the 2026-07-28 envelope)."""
    if params is None:
        return False
    meta = params.get("_meta")
    return type(meta) is dict and META_PROTOCOL_VERSION in meta


def read_modern_envelope(params: dict[str, Any] | None) -> Envelope:
    """Check a 2026-07-28 request's ``_meta`` envelope and return it.

    Missing required fields are -32602; a version this server does not serve
    statelessly is -32022 with ``supported`` and ``requested`` so the client
    can retry with a mutual version.
    """
    meta = params.get("_meta") if params is not None else None
    if type(meta) is not dict:
        raise RpcError(INVALID_PARAMS, 'Invalid params: missing "_meta" (the 2026-07-28 request envelope)')
    version = meta.get(META_PROTOCOL_VERSION)
    if type(version) is not str:
        raise RpcError(INVALID_PARAMS, f'Invalid params: "_meta" needs "{META_PROTOCOL_VERSION}" as a string')
    if version not in versions.MODERN_VERSIONS:
        raise RpcError(
            UNSUPPORTED_PROTOCOL_VERSION,
            f"Unsupported protocol version: {version}",
            {"supported": list(versions.SUPPORTED_VERSIONS), "requested": version},
        )
    capabilities = meta.get(META_CLIENT_CAPABILITIES)
    if type(capabilities) is not dict:
        raise RpcError(
            INVALID_PARAMS, f'Invalid params: "_meta" needs "{META_CLIENT_CAPABILITIES}" as an object'
        )
    client_info = meta.get(META_CLIENT_INFO)
    if client_info is not None and type(client_info) is not dict:
        raise RpcError(INVALID_PARAMS, f'Invalid params: "{META_CLIENT_INFO}" must be an object')
    log_level = meta.get(META_LOG_LEVEL)
    if log_level is not None and log_level not in LOG_LEVELS:
        raise RpcError(INVALID_PARAMS, f"Invalid params: unknown log level {log_level!r}")
    return Envelope(version, capabilities, client_info, modern=True, log_level=log_level)
