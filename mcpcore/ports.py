"""What a :class:`~mcpcore.router.Connection` is plugged into, on either side.

The connection is the seam between the sans-I/O layers and asyncio, and these
are the only shapes it knows of its neighbours:

* the transport side, which a transport (or a test) implements: a
  :class:`Sink` for the connection's own frames, a :class:`Responder` per
  request when that request's messages travel apart (an HTTP POST's
  response), and :class:`FlowControl` to stop and restart reading;
* the server side: the method table maps a method name to a :class:`Method`,
  whose :data:`Handler` is called with the request's params and its
  :class:`~mcpcore.context.Context`.

They live apart from the router so that a transport author finds the whole
contract in one short file; :mod:`mcpcore.router` re-exports every name.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from mcpcore.context import Context
from mcpcore.errors import RpcError

__all__ = ["FlowControl", "Handler", "Method", "Responder", "Sink"]

#: A method handler: ``(params, context) -> result``, or a coroutine producing the result.
Handler = Callable[[dict[str, Any], Context], Any]


class Sink(Protocol):
    """Where a connection's outgoing frames go (a transport, an HTTP response, a test list)."""

    def write(self, data: bytes) -> None: ...


class Responder(Protocol):
    """Where one request's own messages go when they must not share the connection's sink.

    Streamable HTTP answers each POST on that POST's response: the transport
    passes a responder with the frame, and every message the request causes
    (progress, logs, requests to the client on its behalf, and its final
    response) is handed to it instead of the connection's sink, with what the
    transport needs to know (final or not, and the error, for the status code).
    """

    def message(self, frame: bytes) -> None:
        """A notification or server-to-client request sent on the request's behalf."""

    def reply(self, frame: bytes | None, error: RpcError | None) -> None:
        """The final response (``error`` set for an error response), or None: none will come (cancelled)."""


class FlowControl(Protocol):
    """How a connection asks its transport to stop and restart reading."""

    def pause_reading(self) -> None: ...

    def resume_reading(self) -> None: ...


@dataclass(frozen=True, slots=True)
class Method:
    """One entry of the server's method table."""

    handler: Handler
    #: Server capability that must be declared for the method to exist (else -32601).
    capability: str | None = None
    #: Served to legacy (handshake) requests.
    legacy: bool = True
    #: Served to modern (2026-07-28 envelope) requests.
    modern: bool = True
    #: Legacy requests need a completed ``initialize`` first.
    needs_session: bool = True
