"""HTTP/1.1 request framing and response serialization, sans I/O.

Only what an MCP endpoint needs: :class:`RequestParser` turns the bytes a
client sends into whole :class:`Request` events (head and body together: MCP
bodies are small and bounded), pipelined requests included; the ``response_*``
functions build a response head in one ``bytes`` with precomputed status
lines.

Parsing is strict, because an ambiguity here is a request-smuggling hole:

* ``Content-Length`` and ``Transfer-Encoding`` together, several differing
  ``Content-Length`` values, a non-numeric length, or a transfer coding other
  than a lone ``chunked`` are rejected;
* header lines need ``CRLF``, a valid token name, no space before the colon
  and no obsolete line folding;
* the head, the number of header lines and the body each have a limit
  (431 / 431 / 413), and bad chunk framing is a 400.

A malformed request produces one :class:`BadRequest` event and the parser
stops: the only safe thing to do with the connection afterwards is to answer
and close it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from http import HTTPStatus
from typing import Final

__all__ = [
    "DEFAULT_MAX_BODY_BYTES",
    "DEFAULT_MAX_HEADERS",
    "DEFAULT_MAX_HEAD_BYTES",
    "TCHAR",
    "BadRequest",
    "ExpectContinue",
    "Request",
    "RequestParser",
    "response_head",
    "status_line",
    "take_chunk_size",
]

DEFAULT_MAX_HEAD_BYTES: Final = 16 * 1024
DEFAULT_MAX_HEADERS: Final = 100
DEFAULT_MAX_BODY_BYTES: Final = 4 * 1024 * 1024

#: Validity checks run in C: ``value.translate(None, ALLOWED)`` deletes the allowed bytes, so the
#: value is valid exactly when nothing is left.
#: RFC 9110 token characters (header names, methods); the HTTP client and the Mcp-* codec share them.
TCHAR: Final = b"!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
_VISIBLE: Final = bytes(range(0x21, 0x7F))
_HEXDIGITS: Final = b"0123456789abcdefABCDEF"
_MAX_CHUNK_LINE: Final = 1024
_TCHAR_COLON: Final = TCHAR + b":"
_REQUEST_LINE: Final = re.compile(r"([!#$%&'*+\-.^_`|~0-9A-Za-z]+) ([\x21-\x7e]+) HTTP/(1\.[01])")


@dataclass(slots=True)
class Request:
    """One complete request: head and body.

    ``headers`` maps lower-case names to values with surrounding whitespace
    removed; repeated headers are joined with ``", "`` (RFC 9110 §5.3).
    """

    method: str
    target: str
    http_version: str  # "1.1" or "1.0"
    headers: dict[str, str]
    body: bytes
    keep_alive: bool

    @property
    def path(self) -> str:
        """The target without its query string."""
        return self.target.partition("?")[0]


@dataclass(frozen=True, slots=True)
class BadRequest:
    """The client broke HTTP framing; answer ``status`` and close the connection."""

    status: int
    reason: str


@dataclass(frozen=True, slots=True)
class ExpectContinue:
    """A request head asked for ``100 Continue`` before sending its body."""


_HEAD: Final = 0
_BODY: Final = 1
_CHUNK_SIZE: Final = 2
_CHUNK_DATA: Final = 3
_TRAILERS: Final = 4
_DEAD: Final = 5


class _Malformed(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


class RequestParser:
    """Feed bytes, get :class:`Request` / :class:`ExpectContinue` / :class:`BadRequest` events."""

    __slots__ = (
        "_body",
        "_buffer",
        "_chunk_left",
        "_head",
        "_last",
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
        max_head_bytes: int = DEFAULT_MAX_HEAD_BYTES,
        max_headers: int = DEFAULT_MAX_HEADERS,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    ) -> None:
        if max_head_bytes < 64 or max_headers < 1 or max_body_bytes < 0:
            raise ValueError("HTTP limits must be positive (max_head_bytes >= 64)")
        self.max_head_bytes = max_head_bytes
        self.max_headers = max_headers
        self.max_body_bytes = max_body_bytes
        self._buffer = bytearray()
        self._scan_from = 0
        self._state = _HEAD
        self._head: Request | None = None
        self._body = bytearray()
        self._remaining = 0
        self._chunk_left = 0
        #: The last head parsed, as the bytes before and after its Content-Length digits, and what
        #: it parsed to: a keep-alive client repeats its head, so the next one costs two
        #: comparisons, not a parse.
        self._last: tuple[bytes, bytes, str, str, str, dict[str, str], bool, bool] | None = None

    @property
    def idle(self) -> bool:
        """No partial request is buffered (the connection may be closed without losing one)."""
        return self._state == _HEAD and not self._buffer

    @property
    def dead(self) -> bool:
        """A :class:`BadRequest` was produced; nothing more will be parsed."""
        return self._state == _DEAD

    def feed(self, data: bytes, limit: int | None = None) -> list[Request | BadRequest | ExpectContinue]:
        """Take the next bytes from the client; return the events they complete.

        With ``limit``, at most that many events are returned and the bytes
        after them stay buffered, unparsed: ``feed(b"", limit)`` parses on.
        This is how a server bounds its queue of pipelined requests without
        refusing any: what it cannot queue yet waits here as raw bytes (at
        most what one read brought), and the server stops reading meanwhile.
        """
        if self._state == _DEAD:
            return []
        events: list[Request | BadRequest | ExpectContinue] = []
        if limit is not None and limit <= 0:
            self._buffer += data
            return events
        cap = -1 if limit is None else limit
        try:
            if self._state == _HEAD and not self._buffer:
                data = self._whole_requests(data, events, cap)
            if data:
                self._buffer += data
            if self._buffer:
                while len(events) != cap and self._step(events):
                    pass
        except _Malformed as exc:
            self._state = _DEAD
            self._buffer.clear()
            events.append(BadRequest(exc.status, exc.reason))
        return events

    def _whole_requests(
        self, data: bytes, events: list[Request | BadRequest | ExpectContinue], cap: int
    ) -> bytes:
        """The common case, straight from ``data`` with no buffer copies: whole heads and whole
        ``Content-Length`` bodies. Returns what is left (a partial request, one that needs the
        state machine: chunked, ``Expect``, or any past ``cap`` events), for the buffered path."""
        position = 0
        size = len(data)
        while position < size and len(events) != cap:
            end = data.find(b"\r\n\r\n", position)
            if end < 0 or end + 4 - position > self.max_head_bytes:
                break  # partial (or oversized) head: the buffered path waits or refuses
            request, length, chunked, expect = self._read_head(data[position:end])
            body_end = end + 4 + length
            if chunked or expect or body_end > size:
                self._enter_body(request, length, chunked, expect and end + 4 == size, events)
                return data[end + 4 :]
            if length > self.max_body_bytes:
                raise _Malformed(413, f"body larger than the {self.max_body_bytes}-byte limit")
            request.body = data[end + 4 : body_end]
            events.append(request)
            position = body_end
        return data[position:] if position else data

    # ----------------------------------------------------------------- states

    def _step(self, events: list[Request | BadRequest | ExpectContinue]) -> bool:
        """Advance by one unit of framing; False when more bytes are needed."""
        state = self._state
        if state == _HEAD:
            return self._parse_head(events)
        if state == _BODY:
            buffer = self._buffer
            if len(buffer) < self._remaining:
                return False
            body = bytes(buffer[: self._remaining])
            del buffer[: self._remaining]
            self._finish(body, events)
            return True
        if state == _CHUNK_SIZE:
            return self._parse_chunk_size()
        if state == _CHUNK_DATA:
            return self._parse_chunk_data()
        if state == _TRAILERS:
            return self._parse_trailers(events)
        return False

    def _parse_head(self, events: list[Request | BadRequest | ExpectContinue]) -> bool:
        buffer = self._buffer
        if not buffer:
            return False
        end = buffer.find(b"\r\n\r\n", self._scan_from)
        if end < 0:
            if len(buffer) > self.max_head_bytes:
                raise _Malformed(431, "request head too large")
            self._scan_from = max(0, len(buffer) - 3)
            return False
        if end + 4 > self.max_head_bytes:
            raise _Malformed(431, "request head too large")
        head = bytes(buffer[:end])
        del buffer[: end + 4]
        self._scan_from = 0
        request, length, chunked, expect = self._read_head(head)
        self._enter_body(request, length, chunked, expect and len(buffer) == 0, events)
        return True

    def _enter_body(
        self,
        request: Request,
        length: int,
        chunked: bool,
        expect: bool,
        events: list[Request | BadRequest | ExpectContinue],
    ) -> None:
        """A head was read: the request is complete (no body) or the body's state begins."""
        if chunked:
            self._head = request
            self._body = bytearray()
            self._state = _CHUNK_SIZE
        elif length:
            if length > self.max_body_bytes:
                raise _Malformed(413, f"body larger than the {self.max_body_bytes}-byte limit")
            self._head = request
            self._remaining = length
            self._state = _BODY
        else:
            events.append(request)
            return
        if expect:
            events.append(ExpectContinue())

    def _read_head(self, head: bytes) -> tuple[Request, int, bool, bool]:
        last = self._last
        if last is not None:
            # The same head as last time but for the Content-Length digits: no parse, no scan.
            prefix, suffix = last[0], last[1]
            stop = len(head) - len(suffix)
            if stop > len(prefix) and head.startswith(prefix) and head.endswith(suffix):
                digits = head[len(prefix) : stop]
                if digits.isdigit() and len(digits) <= 18:
                    _, _, method, target, version, known, keep_alive, expect = last
                    headers = known.copy()
                    headers["content-length"] = digits.decode("ascii")
                    request = Request(method, target, version, headers, b"", keep_alive)
                    return request, int(digits), False, expect
        request, length, chunked, expect = self._parse_head_text(head)
        if not chunked:
            self._remember(head, request, expect)
        return request, length, chunked, expect

    def _remember(self, head: bytes, request: Request, expect: bool) -> None:
        """Cache a head with exactly one Content-Length line (no list) and no other framing header.

        Kept: the bytes before and after that line's digits. A later head that
        is those bytes around another run of digits is this head with another
        length (the suffix cannot start with a digit, so the runs cannot merge).
        """
        value = request.headers.get("content-length")
        if value is None or "," in value:
            return
        start = head.lower().find(b"\r\ncontent-length:")
        if start < 0:
            return
        begin = start + 17
        while head[begin : begin + 1] in (b" ", b"\t"):
            begin += 1
        self._last = (
            head[:begin],
            head[begin + len(value) :],
            request.method,
            request.target,
            request.http_version,
            request.headers.copy(),  # the request's own dict goes to the application
            request.keep_alive,
            expect,
        )

    def _parse_head_text(self, head: bytes) -> tuple[Request, int, bool, bool]:
        # Whole-head scans (in C) instead of per-line checks: every LF is part of a CRLF, no lone CR, no NUL.
        crlf = head.count(b"\r\n")
        if head.count(b"\n") != crlf or head.count(b"\r") != crlf or b"\x00" in head:
            raise _Malformed(400, "stray CR, LF or NUL in the request head")
        if crlf > self.max_headers:
            raise _Malformed(431, "too many header lines")
        lines = head.decode("latin-1").split("\r\n")
        matched = _REQUEST_LINE.fullmatch(lines[0])
        if matched is None:
            method, target, version = _request_line(lines[0].encode("latin-1"))  # raises the precise error
        else:
            method, target, version = matched.groups()
        headers: dict[str, str] = {}
        names: list[str] = []
        for index in range(1, len(lines)):
            name, sep, value = lines[index].partition(":")
            if not sep or not name:
                raise _Malformed(400, "malformed header line")
            names.append(name)
            headers[name.lower()] = value.strip(" \t")
        # Every name a token, checked at once: the names joined by ":" (itself no token character).
        if ":".join(names).encode("latin-1").translate(None, _TCHAR_COLON):
            raise _Malformed(400, "malformed header line")
        if len(headers) != len(names):
            headers = _joined(lines)
        length, chunked = _body_framing(headers)
        host = headers.get("host")
        if host is None:
            if version == "1.1":
                raise _Malformed(400, "HTTP/1.1 request without Host")
        elif "," in host:
            raise _Malformed(400, "several Host headers")
        connection = headers.get("connection")
        if version == "1.1":
            keep_alive = connection is None or "close" not in connection.lower()
        else:
            keep_alive = connection is not None and "keep-alive" in connection.lower()
        expect = version == "1.1" and "expect" in headers and headers["expect"].lower() == "100-continue"
        return Request(method, target, version, headers, b"", keep_alive), length, chunked, expect

    def _parse_chunk_size(self) -> bool:
        try:
            size = take_chunk_size(self._buffer)
        except ValueError as exc:
            raise _Malformed(400, str(exc)) from None
        if size is None:
            return False
        if size == 0:
            self._state = _TRAILERS
            return True
        if len(self._body) + size > self.max_body_bytes:
            raise _Malformed(413, f"body larger than the {self.max_body_bytes}-byte limit")
        self._chunk_left = size
        self._state = _CHUNK_DATA
        return True

    def _parse_chunk_data(self) -> bool:
        buffer = self._buffer
        need = self._chunk_left
        if len(buffer) < need + 2:
            return False
        if buffer[need : need + 2] != b"\r\n":
            raise _Malformed(400, "chunk data not followed by CRLF")
        self._body += buffer[:need]
        del buffer[: need + 2]
        self._state = _CHUNK_SIZE
        return True

    def _parse_trailers(self, events: list[Request | BadRequest | ExpectContinue]) -> bool:
        buffer = self._buffer
        if buffer[:2] == b"\r\n":
            del buffer[:2]
            self._finish(bytes(self._body), events)
            return True
        end = buffer.find(b"\r\n\r\n")
        if end < 0:
            if len(buffer) > self.max_head_bytes:
                raise _Malformed(431, "trailer section too large")
            return False
        del buffer[: end + 4]  # trailers are read and ignored: nothing in MCP uses them
        self._finish(bytes(self._body), events)
        return True

    def _finish(self, body: bytes, events: list[Request | BadRequest | ExpectContinue]) -> None:
        request = self._head
        assert request is not None
        request.body = body
        self._head = None
        self._body = bytearray()
        self._state = _HEAD
        events.append(request)


def take_chunk_size(buffer: bytearray) -> int | None:
    """Consume one chunk-size line (RFC 9112 §7.1) from ``buffer``; None until it is complete.

    Extensions after ``;`` are ignored. Raises ``ValueError`` for a line
    that is not hex digits or is longer than any real one. Shared by the
    request parser here and the response parser in ``http11_client``.
    """
    end = buffer.find(b"\r\n")
    if end < 0:
        if len(buffer) > _MAX_CHUNK_LINE:
            raise ValueError("chunk size line too long")
        return None
    line = bytes(buffer[:end])
    del buffer[: end + 2]
    size_text = line.partition(b";")[0].rstrip(b" \t")
    if not size_text or size_text.translate(None, _HEXDIGITS) or len(size_text) > 16:
        raise ValueError("malformed chunk size")
    return int(size_text, 16)


def _request_line(line: bytes) -> tuple[str, str, str]:
    parts = line.split(b" ")
    if len(parts) != 3:
        raise _Malformed(400, "malformed request line")
    method, target, version = parts
    if not method or method.translate(None, TCHAR):
        raise _Malformed(400, "malformed method")
    if not target or target.translate(None, _VISIBLE):
        raise _Malformed(400, "malformed request target")
    if version == b"HTTP/1.1":
        text_version = "1.1"
    elif version == b"HTTP/1.0":
        text_version = "1.0"
    elif version.startswith(b"HTTP/"):
        raise _Malformed(505, "HTTP version not supported")
    else:
        raise _Malformed(400, "malformed HTTP version")
    return method.decode("ascii"), target.decode("latin-1"), text_version


def _joined(lines: list[str]) -> dict[str, str]:
    """Headers with repeated names joined by ``", "`` in order (RFC 9110 §5.3)."""
    headers: dict[str, str] = {}
    for index in range(1, len(lines)):
        name, _, value = lines[index].partition(":")
        value = value.strip(" \t")
        key = name.lower()
        previous = headers.get(key)
        headers[key] = value if previous is None else previous + ", " + value
    return headers


def _body_framing(headers: dict[str, str]) -> tuple[int, bool]:
    """Return (content length, chunked) under RFC 9112 §6.3, refusing anything ambiguous."""
    coding = headers.get("transfer-encoding")
    content_length = headers.get("content-length")
    if coding is not None:
        if content_length is not None:
            raise _Malformed(400, "both Content-Length and Transfer-Encoding")
        if coding.lower() != "chunked":
            raise _Malformed(501, "unsupported transfer coding")
        return 0, True
    if content_length is None:
        return 0, False
    digits = content_length
    if "," in digits:  # repeated, or a list: all must agree
        values = {part.strip(" \t") for part in digits.split(",")}
        if len(values) != 1:
            raise _Malformed(400, "conflicting Content-Length values")
        digits = values.pop()
    if not (digits.isascii() and digits.isdigit()) or len(digits) > 18:
        raise _Malformed(400, "malformed Content-Length")
    return int(digits), False


# ---------------------------------------------------------------- responses

_STATUS_LINES: Final[dict[int, bytes]] = {
    status.value: f"HTTP/1.1 {status.value} {status.phrase}\r\n".encode("ascii") for status in HTTPStatus
}


def status_line(status: int) -> bytes:
    """``HTTP/1.1 <status> <phrase>\\r\\n``, precomputed for every known status."""
    line = _STATUS_LINES.get(status)
    if line is None:
        line = f"HTTP/1.1 {status} Unknown\r\n".encode("ascii")
    return line


def response_head(status: int, headers: list[tuple[bytes, bytes]] | tuple[tuple[bytes, bytes], ...]) -> bytes:
    """A whole response head (status line, headers, blank line) as one ``bytes``."""
    parts = [status_line(status)]
    for name, value in headers:
        parts.append(name + b": " + value + b"\r\n")
    parts.append(b"\r\n")
    return b"".join(parts)
