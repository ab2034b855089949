"""Error codes and the exceptions that carry them.

There is exactly one exception that becomes a wire error on purpose:
:class:`RpcError`. Raise it from a handler and that code, message and data go
to the peer unchanged. Anything else a handler raises becomes ``-32603`` with a
generic message; its traceback goes to the log, never to the peer.

:class:`ProtocolError` is for the sans-I/O layers: ``RemoteProtocolError``
means the peer broke the protocol (answer it or drop the frame),
``LocalProtocolError`` means our own caller misused the API (a bug here).
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "CONNECTION_CLOSED",
    "HEADER_MISMATCH",
    "INTERNAL_ERROR",
    "INVALID_PARAMS",
    "INVALID_REQUEST",
    "METHOD_NOT_FOUND",
    "MISSING_CLIENT_CAPABILITY",
    "PARSE_ERROR",
    "RESOURCE_NOT_FOUND",
    "UNSUPPORTED_PROTOCOL_VERSION",
    "ConnectionClosedError",
    "LocalProtocolError",
    "ProtocolError",
    "RemoteProtocolError",
    "RequestTimeoutError",
    "RpcError",
]

# JSON-RPC 2.0
PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
INTERNAL_ERROR = -32603

# Implementation-defined (JSON-RPC reserves -32000..-32099 for servers). The TypeScript SDK uses
# -32000 for "connection closed" too: a request the server accepted but will never serve.
CONNECTION_CLOSED = -32000

# MCP
RESOURCE_NOT_FOUND = -32002  # legacy versions only; 2026-07-28 answers -32602
URL_ELICITATION_REQUIRED = -32042  # 2025-11-25 only
HEADER_MISMATCH = -32020  # 2026-07-28, HTTP
MISSING_CLIENT_CAPABILITY = -32021  # 2026-07-28
UNSUPPORTED_PROTOCOL_VERSION = -32022  # 2026-07-28


class RpcError(Exception):
    """A JSON-RPC error object, raised by a handler or received from the peer."""

    def __init__(self, code: int, message: str, data: Any = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.data = data

    def to_wire(self) -> dict[str, Any]:
        """The ``error`` member of a response."""
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.data is not None:
            error["data"] = self.data
        return error

    def __repr__(self) -> str:
        return f"RpcError({self.code}, {self.message!r}, data={self.data!r})"


class ProtocolError(Exception):
    """A message that cannot be processed under the protocol's rules."""


class RemoteProtocolError(ProtocolError):
    """The peer sent something the protocol forbids; ``error`` is what to answer."""

    def __init__(self, error: RpcError, request_id: int | str | None = None) -> None:
        super().__init__(error.message)
        self.error = error
        self.request_id = request_id


class LocalProtocolError(ProtocolError):
    """This side's caller misused the API (for example, sent on a closed connection)."""


class ConnectionClosedError(ConnectionError):
    """The connection ended while a request to the peer was still waiting for its answer."""


class RequestTimeoutError(TimeoutError):
    """The peer did not answer an outgoing request in time (a local error, not a wire code)."""
