"""HTTP/1.1 for the client side, sans I/O: serialize requests, parse responses.

:func:`encode_request` builds one request (head and body) as one ``bytes``,
refusing header names or values that would let a caller inject a line.

:class:`ResponseParser` turns the bytes a server sends into events:
:class:`ResponseHead` (status, headers), then :class:`Body` chunks as they
arrive (a Server-Sent Events stream must be readable before it ends), then
:class:`EndOfResponse`. Body framing follows RFC 9112 §6.3:

* a response to ``HEAD``, and every ``1xx`` / ``204`` / ``304``, has no body;
* ``Transfer-Encoding`` ending in ``chunked`` is chunked; any other transfer
  coding, or neither header, means the body runs until the server closes
  (:meth:`ResponseParser.feed_eof` ends it);
* otherwise ``Content-Length`` (several differing values are refused).

Interim ``1xx`` responses (``100 Continue``, ``103 Early Hints``) are skipped;
``101 Switching Protocols`` is refused, since nothing here asks to upgrade.
The head, the number of header lines and the body each have a limit; a
response past one, or with broken framing, raises :class:`InvalidResponse`
and the parser stops (the connection must be closed).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Final

from mcpcore.wire.http11 import TCHAR, take_chunk_size

__all__ = [
    "DEFAULT_MAX_RESPONSE_BODY_BYTES",
    "DEFAULT_MAX_RESPONSE_HEADERS",
    "DEFAULT_MAX_RESPONSE_HEAD_BYTES",
    "Body",
    "EndOfResponse",
    "InvalidResponse",
    "ResponseEvent",
    "ResponseHead",
    "ResponseParser",
    "encode_request",
]

DEFAULT_MAX_RESPONSE_HEAD_BYTES: Final = 64 * 1024
DEFAULT_MAX_RESPONSE_HEADERS: Final = 200
DEFAULT_MAX_RESPONSE_BODY_BYTES: Final = 64 * 1024 * 1024


class InvalidResponse(Exception):
    """The server broke HTTP framing (or a limit); the connection cannot be reused."""


@dataclass(slots=True)
class ResponseHead:
    """A final response's status line and headers (lower-case names, repeated ones joined by ``", "``)."""

    status: int
    reason: str
    headers: dict[str, str]
    http_version: str
    #: The server will keep the connection open after this response (and its framing allows it).
    keep_alive: bool


@dataclass(frozen=True, slots=True)
class Body:
    """Some bytes of the current response's body."""

    data: bytes


@dataclass(frozen=True, slots=True)
class EndOfResponse:
    """The current response is complete; ``keep_alive`` says whether the connection can be reused."""

    keep_alive: bool


ResponseEvent = ResponseHead | Body | EndOfResponse

_HEAD: Final = 0
_LENGTH: Final = 1
_CHUNK_SIZE: Final = 2
_CHUNK_DATA: Final = 3
_TRAILERS: Final = 4
_UNTIL_CLOSE: Final = 5
_DONE: Final = 6  # read-until-close ended, or a failure: nothing more is parsed


def encode_request(
    method: str, target: str, headers: list[tuple[str, str]], body: bytes | None = None
) -> bytes:
    """One HTTP/1.1 request. ``Content-Length`` is added when there is a body; ``Host`` must be given."""
    if not method or method.encode("ascii").translate(None, TCHAR):
        raise ValueError(f"invalid HTTP method {method!r}")
    if not target or any(ord(c) <= 0x20 or ord(c) >= 0x7F for c in target):
        raise ValueError(f"invalid request target {target!r}")
    parts = [f"{method} {target} HTTP/1.1\r\n".encode("ascii")]
    for name, value in headers:
        raw_name = name.encode("ascii")
        if not raw_name or raw_name.translate(None, TCHAR):
            raise ValueError(f"invalid header name {name!r}")
        raw_value = value.encode("latin-1")
        if b"\r" in raw_value or b"\n" in raw_value or b"\x00" in raw_value:
            raise ValueError(f"header {name} holds a line break or NUL")
        parts.append(raw_name + b": " + raw_value.strip(b" \t") + b"\r\n")
    if body is not None:
        parts.append(b"content-length: %d\r\n\r\n" % len(body))
        parts.append(body)
    else:
        parts.append(b"\r\n")
    return b"".join(parts)


class ResponseParser:
    """Feed the bytes of a connection, get :data:`ResponseEvent` objects.

    Call :meth:`expect` once per request sent (with its method), in order:
    a ``HEAD`` response has no body whatever its headers say.
    """

    __slots__ = (
        "_body_seen",
        "_buffer",
        "_keep_alive",
        "_methods",
        "_remaining",
        "_scan_from",
        "_state",
        "max_body_bytes",
        "max_head_bytes",
        "max_headers",
    )

    def __init__(
        self,
        *,
        max_head_bytes: int = DEFAULT_MAX_RESPONSE_HEAD_BYTES,
        max_headers: int = DEFAULT_MAX_RESPONSE_HEADERS,
        max_body_bytes: int | None = DEFAULT_MAX_RESPONSE_BODY_BYTES,
    ) -> None:
        if max_head_bytes < 64 or max_headers < 1 or (max_body_bytes is not None and max_body_bytes < 0):
            raise ValueError("HTTP limits must be positive (max_head_bytes >= 64)")
        self.max_head_bytes = max_head_bytes
        self.max_headers = max_headers
        #: Bytes allowed in one response body (``None``: unbounded, for long-lived event streams).
        self.max_body_bytes = max_body_bytes
        self._buffer = bytearray()
        self._scan_from = 0
        self._state = _HEAD
        self._methods: deque[str] = deque()
        self._remaining = 0
        self._body_seen = 0
        self._keep_alive = True

    def expect(self, method: str) -> None:
        """Note that a request with ``method`` was sent; its response comes after earlier ones."""
        self._methods.append(method.upper())

    @property
    def in_body(self) -> bool:
        """A response head was parsed and its body is not finished."""
        return self._state not in (_HEAD, _DONE)

    def feed(self, data: bytes) -> list[ResponseEvent]:
        """Take the next bytes from the server; return the events they complete."""
        if self._state == _DONE:
            if data:
                raise InvalidResponse("data after the end of a read-until-close response")
            return []
        self._buffer += data
        events: list[ResponseEvent] = []
        try:
            while self._step(events):
                pass
        except InvalidResponse:
            self._state = _DONE
            self._buffer.clear()
            raise
        return events

    def feed_eof(self) -> list[ResponseEvent]:
        """The server closed the connection: end a read-until-close body, or refuse a cut-off one."""
        state = self._state
        if state == _UNTIL_CLOSE:
            self._state = _DONE
            return [EndOfResponse(False)]
        if state == _DONE or (state == _HEAD and not self._buffer):
            self._state = _DONE
            return []
        self._state = _DONE
        raise InvalidResponse("the server closed the connection in the middle of a response")

    # ----------------------------------------------------------------- states

    def _step(self, events: list[ResponseEvent]) -> bool:
        state = self._state
        if state == _HEAD:
            return self._parse_head(events)
        if state == _LENGTH:
            return self._take_length(events)
        if state == _CHUNK_SIZE:
            return self._parse_chunk_size()
        if state == _CHUNK_DATA:
            return self._take_chunk(events)
        if state == _TRAILERS:
            return self._parse_trailers(events)
        if state == _UNTIL_CLOSE:
            if self._buffer:
                self._emit(bytes(self._buffer), events)
                self._buffer.clear()
            return False
        return False

    def _parse_head(self, events: list[ResponseEvent]) -> bool:
        buffer = self._buffer
        if not buffer:
            return False
        end = buffer.find(b"\r\n\r\n", self._scan_from)
        if end < 0:
            if len(buffer) > self.max_head_bytes:
                raise InvalidResponse("response head too large")
            self._scan_from = max(0, len(buffer) - 3)
            return False
        if end + 4 > self.max_head_bytes:
            raise InvalidResponse("response head too large")
        head = bytes(buffer[:end])
        del buffer[: end + 4]
        self._scan_from = 0
        response, content_length, chunked = self._read_head(head)
        if 100 <= response.status < 200:
            if response.status == 101:
                raise InvalidResponse("unexpected 101 Switching Protocols")
            return True  # interim response: the final one follows
        method = self._methods.popleft() if self._methods else "GET"
        self._keep_alive = response.keep_alive
        self._body_seen = 0
        events.append(response)
        if method == "HEAD" or response.status in (204, 304):
            self._end(events)
        elif chunked:
            self._state = _CHUNK_SIZE
        elif content_length is not None:
            if self.max_body_bytes is not None and content_length > self.max_body_bytes:
                raise InvalidResponse(f"response body larger than the {self.max_body_bytes}-byte limit")
            self._remaining = content_length
            if content_length == 0:
                self._end(events)
            else:
                self._state = _LENGTH
        else:
            self._keep_alive = False
            response.keep_alive = False
            self._state = _UNTIL_CLOSE
        return True

    def _read_head(self, head: bytes) -> tuple[ResponseHead, int | None, bool]:
        crlf = head.count(b"\r\n")
        if head.count(b"\n") != crlf or head.count(b"\r") != crlf or b"\x00" in head:
            raise InvalidResponse("stray CR, LF or NUL in the response head")
        if crlf > self.max_headers:
            raise InvalidResponse("too many header lines")
        lines = head.split(b"\r\n")
        status, reason, version = _status_line(lines[0])
        headers: dict[str, str] = {}
        lengths: list[bytes] = []
        for line in lines[1:]:
            name, sep, value = line.partition(b":")
            if not sep or not name or name.translate(None, TCHAR):
                raise InvalidResponse("malformed header line")
            key = name.lower().decode("ascii")
            value = value.strip(b" \t")
            text = value.decode("latin-1")
            headers[key] = headers[key] + ", " + text if key in headers else text
            if key == "content-length":
                lengths.append(value)
        connection = headers.get("connection", "").lower()
        if version == "1.1":
            keep_alive = "close" not in connection
        else:
            keep_alive = "keep-alive" in connection
        response = ResponseHead(status, reason, headers, version, keep_alive)
        coding = headers.get("transfer-encoding")
        if coding is not None:
            codings = [c.strip().lower() for c in coding.split(",")]
            if codings[-1] == "chunked":
                if len(codings) > 1:
                    raise InvalidResponse(f"unsupported transfer coding {coding!r}")
                return response, None, True
            return response, None, False  # read until close (RFC 9112 §6.3 rule 4)
        if not lengths:
            return response, None, False
        values = {part.strip(b" \t") for value in lengths for part in value.split(b",")}
        if len(values) != 1:
            raise InvalidResponse("conflicting Content-Length values")
        digits = values.pop()
        if not digits.isdigit() or len(digits) > 18:
            raise InvalidResponse("malformed Content-Length")
        return response, int(digits), False

    def _take_length(self, events: list[ResponseEvent]) -> bool:
        buffer = self._buffer
        if not buffer:
            return False
        take = min(len(buffer), self._remaining)
        self._emit(bytes(buffer[:take]), events)
        del buffer[:take]
        self._remaining -= take
        if self._remaining == 0:
            self._end(events)
            return True
        return False

    def _parse_chunk_size(self) -> bool:
        try:
            size = take_chunk_size(self._buffer)
        except ValueError as exc:
            raise InvalidResponse(str(exc)) from None
        if size is None:
            return False
        if size == 0:
            self._state = _TRAILERS
            return True
        self._remaining = size
        self._state = _CHUNK_DATA
        return True

    def _take_chunk(self, events: list[ResponseEvent]) -> bool:
        buffer = self._buffer
        remaining = self._remaining
        if remaining:
            if not buffer:
                return False
            take = min(len(buffer), remaining)
            self._emit(bytes(buffer[:take]), events)
            del buffer[:take]
            self._remaining = remaining = remaining - take
            if remaining:
                return False
        if len(buffer) < 2:
            return False
        if buffer[:2] != b"\r\n":
            raise InvalidResponse("chunk data not followed by CRLF")
        del buffer[:2]
        self._state = _CHUNK_SIZE
        return True

    def _parse_trailers(self, events: list[ResponseEvent]) -> bool:
        buffer = self._buffer
        if len(buffer) < 2:
            return False
        if buffer[:2] == b"\r\n":
            del buffer[:2]
            self._end(events)
            return True
        end = buffer.find(b"\r\n\r\n")
        if end < 0:
            if len(buffer) > self.max_head_bytes:
                raise InvalidResponse("trailer section too large")
            return False
        del buffer[: end + 4]  # trailers carry nothing MCP uses
        self._end(events)
        return True

    def _emit(self, data: bytes, events: list[ResponseEvent]) -> None:
        self._body_seen += len(data)
        if self.max_body_bytes is not None and self._body_seen > self.max_body_bytes:
            raise InvalidResponse(f"response body larger than the {self.max_body_bytes}-byte limit")
        if events and type(events[-1]) is Body:  # one event per feed for a body split across steps
            events[-1] = Body(events[-1].data + data)
        else:
            events.append(Body(data))

    def _end(self, events: list[ResponseEvent]) -> None:
        events.append(EndOfResponse(self._keep_alive))
        self._state = _HEAD if self._keep_alive else _DONE
        if self._state == _DONE:
            self._buffer.clear()  # whatever follows a closing response is not ours to read


def _status_line(line: bytes) -> tuple[int, str, str]:
    version, _, rest = line.partition(b" ")
    code, _, reason = rest.partition(b" ")
    if version == b"HTTP/1.1":
        text_version = "1.1"
    elif version == b"HTTP/1.0":
        text_version = "1.0"
    else:
        raise InvalidResponse(f"unsupported HTTP version in status line {line[:40]!r}")
    if len(code) != 3 or not code.isdigit():
        raise InvalidResponse(f"malformed status code in {line[:40]!r}")
    return int(code), reason.decode("latin-1"), text_version
