"""The contract between an HTTP front end and the MCP endpoint, and the answers both share.

A front end (the built-in server, the ASGI app) turns one HTTP request into
an :class:`Exchange`: the only way the endpoint can answer it. The endpoint
never sees sockets; the front end never interprets MCP. Whatever the
endpoint needs to know about the peer's side of the pipe (how much it has
not yet read) is asked through this protocol too, so backpressure works the
same behind both front ends.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, Protocol

import orjson

if TYPE_CHECKING:
    from mcpcore.transport.security import AccessToken

__all__ = [
    "JSON_HEADERS",
    "SSE_HEADERS",
    "Exchange",
    "Headers",
    "HttpRequestInfo",
    "accepts",
    "error_body",
    "principal_of",
    "reject",
]

Headers = list[tuple[bytes, bytes]]

JSON_HEADERS: Final = [(b"content-type", b"application/json")]
SSE_HEADERS: Final = [
    (b"content-type", b"text/event-stream"),
    (b"cache-control", b"no-cache"),
    (b"x-accel-buffering", b"no"),
]


class Exchange(Protocol):
    """One HTTP request's way back to its client (implemented by each server front end)."""

    #: The client went away (or the response ended); set by the transport.
    closed: bool
    #: Called once by the transport when the client disconnects before the response ends.
    on_close: Callable[[], None] | None

    def respond(self, status: int, headers: Headers, body: bytes) -> None:
        """Send a whole response."""

    def start_stream(self, status: int, headers: Headers) -> None:
        """Send a response head; the body follows with :meth:`send` and ends with :meth:`end`."""

    def send(self, data: bytes) -> None:
        """Send part of a streamed body."""

    def end(self) -> None:
        """Finish a streamed body."""

    def pending_bytes(self) -> int:
        """Bytes written to this response that the client has not taken yet (backpressure)."""

    def abort(self) -> None:
        """Drop the client without finishing the response (a peer that stopped reading).

        The transport then calls :attr:`on_close`, exactly as if the client had gone.
        """


@dataclass(frozen=True, slots=True)
class HttpRequestInfo:
    """What a handler may know about the HTTP request that carried its MCP request.

    ``Context.access_token`` and ``Context.http_headers`` read it from the
    request's responder, so a tool can authorize per user.
    """

    headers: Mapping[str, str]
    access_token: AccessToken | None


def principal_of(token: AccessToken | None) -> str | None:
    """The identity sessions are bound to: the token's client and subject (``None``: no auth)."""
    return None if token is None else token.principal


def error_body(request_id: Any, code: int, message: str, data: Any = None) -> bytes:
    """A JSON-RPC error response body."""
    error: dict[str, Any] = {"code": code, "message": message}
    if data is not None:
        error["data"] = data
    return orjson.dumps({"jsonrpc": "2.0", "id": request_id, "error": error})


def reject(exchange: Exchange, status: int, code: int, message: str, request_id: Any = None) -> None:
    """Answer the whole exchange with an HTTP error status and a JSON-RPC error body."""
    exchange.respond(status, JSON_HEADERS, error_body(request_id, code, message))


#: Answers of :func:`accepts` by (Accept value, media): a client sends the same Accept on every
#: request. Bounded in entries and in key size (a peer cannot grow it past about 256 KiB).
_ACCEPTS: dict[tuple[str, str], bool] = {}
_ACCEPTS_MAX: Final = 256
_ACCEPT_CACHED_LENGTH: Final = 512


def accepts(headers: Mapping[str, str], media: str) -> bool:
    """Whether the request's ``Accept`` lists ``media`` (or ``*/*`` / ``type/*``), q=0 excluded.

    No ``Accept`` header counts as not listing it: callers decide what a
    missing header means for them.
    """
    accept = headers.get("accept")
    if accept is None:
        return False
    key = (accept, media)
    known = _ACCEPTS.get(key)
    if known is not None:
        return known
    listed = _lists(accept, media)
    if len(accept) <= _ACCEPT_CACHED_LENGTH:
        if len(_ACCEPTS) >= _ACCEPTS_MAX:
            _ACCEPTS.clear()
        _ACCEPTS[key] = listed
    return listed


def _lists(accept: str, media: str) -> bool:
    kind = media.partition("/")[0] + "/*"
    for item in accept.split(","):
        range_, _, params = item.partition(";")
        range_ = range_.strip().lower()
        if range_ not in (media, "*/*", kind):
            continue
        if _q_is_zero(params):
            continue
        return True
    return False


def _q_is_zero(params: str) -> bool:
    for param in params.split(";"):
        name, _, value = param.partition("=")
        if name.strip().lower() == "q":
            try:
                return float(value.strip()) == 0.0
            except ValueError:
                return False
    return False
