"""RESP2, the Redis wire protocol, sans-I/O: commands to bytes, bytes to replies.

No sockets and no asyncio here: :func:`encode_command` turns a command into
bytes, and a :class:`RespParser` is fed whatever bytes arrived and hands back
the replies they complete. The asyncio client (:mod:`mcpcore.stores.redis_client`)
only moves those bytes.

Replies: a simple string is a ``str``, an error is a :class:`RedisReplyError`
*value* (the parser never raises it; the caller decides), an integer an
``int``, a bulk string ``bytes`` (``None`` for nil), an array a ``list``
(``None`` for nil), nested to at most :data:`MAX_DEPTH`. A reply split at any
byte boundary parses the same. Redis is trusted more than a peer, but a reply
is still bounded: a bulk string longer than ``max_bulk``, an array longer than
``max_elements``, a line longer than ``max_line`` or an unknown type byte is a
:class:`RespProtocolError` (the connection is unusable after it).
"""

from __future__ import annotations

from typing import Any, Final

__all__ = [
    "MAX_BULK",
    "MAX_DEPTH",
    "MAX_ELEMENTS",
    "MAX_LINE",
    "RedisError",
    "RedisReplyError",
    "RespParser",
    "RespProtocolError",
    "encode_command",
]

#: Default bounds of one reply (bulk bytes, array elements, header/simple line bytes, nesting).
MAX_BULK: Final = 64 * 1024 * 1024
MAX_ELEMENTS: Final = 1024 * 1024
MAX_LINE: Final = 64 * 1024
MAX_DEPTH: Final = 16


class RedisError(Exception):
    """Anything the Redis client reports (the stores map it to "store unavailable")."""


class RedisReplyError(RedisError):
    """An error reply from Redis (``-ERR ...``, ``-NOSCRIPT ...``): a value the parser returns."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class RespProtocolError(RedisError, ValueError):
    """Bytes that are not RESP2, or a reply over a bound: the connection cannot be trusted any more."""


def encode_command(*args: bytes | str | int | float) -> bytes:
    """A command as a RESP array of bulk strings (``str`` as UTF-8, numbers in decimal)."""
    parts = [b"*%d\r\n" % len(args)]
    append = parts.append
    for arg in args:
        kind = type(arg)
        if kind is bytes:
            value: bytes = arg  # type: ignore[assignment]
        elif kind is str:
            value = arg.encode()  # type: ignore[union-attr]
        elif kind is int:
            value = b"%d" % arg  # type: ignore[str-format]
        elif kind is float:
            value = repr(arg).encode()
        elif isinstance(arg, (bytearray, memoryview)):
            value = bytes(arg)
        else:
            raise TypeError(f"a Redis argument must be bytes, str, int or float, not {kind.__name__}")
        append(b"$%d\r\n%s\r\n" % (len(value), value))
    return b"".join(parts)


class _Incomplete(Exception):
    """More bytes are needed; ``need``: the buffer length (from the reply's start) worth retrying at."""

    def __init__(self, need: int) -> None:
        self.need = need


_CRLF: Final = b"\r\n"


class RespParser:
    """Incremental RESP2 reply parser: :meth:`feed` bytes, get the replies they complete, in order.

    Bytes of an unfinished reply wait as a list of chunks and are joined only
    once enough arrived to finish what stopped the last attempt (e.g. a long
    bulk string), so a large reply in many chunks is not re-copied per chunk.
    """

    def __init__(
        self,
        *,
        max_bulk: int = MAX_BULK,
        max_elements: int = MAX_ELEMENTS,
        max_line: int = MAX_LINE,
    ) -> None:
        self.max_bulk = max_bulk
        self.max_elements = max_elements
        self.max_line = max_line
        self._pending: list[bytes] = []
        self._pending_len = 0
        self._need = 0

    def feed(self, data: bytes) -> list[Any]:
        """The replies ``data`` completes (maybe none). Raises :class:`RespProtocolError` on bad bytes."""
        if self._pending:
            self._pending.append(data)
            self._pending_len += len(data)
            if self._pending_len < self._need:
                return []
            buf = b"".join(self._pending)
            self._pending.clear()
        else:
            buf = bytes(data)
        replies: list[Any] = []
        pos = 0
        size = len(buf)
        parse = self._parse
        while pos < size:
            try:
                reply, pos_after = parse(buf, pos, 0)
            except _Incomplete as incomplete:
                rest = buf[pos:]
                self._pending = [rest]
                self._pending_len = len(rest)
                self._need = incomplete.need - pos
                return replies
            replies.append(reply)
            pos = pos_after
        self._pending_len = 0
        return replies

    def _line_end(self, buf: bytes, pos: int) -> int:
        end = buf.find(_CRLF, pos)
        if end < 0:
            if len(buf) - pos > self.max_line:
                raise RespProtocolError(f"a RESP line longer than {self.max_line} bytes")
            raise _Incomplete(len(buf) + 1)
        if end - pos > self.max_line:
            raise RespProtocolError(f"a RESP line longer than {self.max_line} bytes")
        return end

    def _parse(self, buf: bytes, pos: int, depth: int) -> tuple[Any, int]:
        end = self._line_end(buf, pos)
        kind = buf[pos]
        if kind == 36:  # $ bulk string
            return self._bulk(buf, end, _number(buf, pos + 1, end))
        if kind == 42:  # * array
            count = _number(buf, pos + 1, end)
            if count < 0:
                if count != -1:
                    raise RespProtocolError(f"an array of length {count}")
                return None, end + 2
            if count > self.max_elements:
                raise RespProtocolError(f"an array of {count} elements (more than {self.max_elements})")
            if depth >= MAX_DEPTH:
                raise RespProtocolError(f"arrays nested deeper than {MAX_DEPTH}")
            pos = end + 2
            if count and pos < len(buf) and buf[pos] == 36:
                flat = self._flat(buf, pos, count)
                if flat is not None:
                    return flat
            items: list[Any] = []
            append = items.append
            size = len(buf)
            find = buf.find
            max_bulk = self.max_bulk + 2
            for _ in range(count):
                # Fast path for the common element: a whole bulk string of a plain length.
                if pos < size and buf[pos] == 36:
                    end = find(_CRLF, pos)
                    if 1 < end - pos <= 11:
                        digits = buf[pos + 1 : end]
                        if digits.isdigit():
                            stop = end + 2 + int(digits)
                            if stop + 2 <= size and buf[stop : stop + 2] == _CRLF and stop - end <= max_bulk:
                                append(buf[end + 2 : stop])
                                pos = stop + 2
                                continue
                item, pos = self._parse(buf, pos, depth + 1)
                append(item)
            return items, pos
        if kind == 58:  # : integer
            return _number(buf, pos + 1, end), end + 2
        if kind == 43:  # + simple string
            return buf[pos + 1 : end].decode("utf-8", "replace"), end + 2
        if kind == 45:  # - error
            return RedisReplyError(buf[pos + 1 : end].decode("utf-8", "replace")), end + 2
        raise RespProtocolError(f"unknown RESP type byte {bytes([kind])!r}")

    def _flat(self, buf: bytes, pos: int, count: int) -> tuple[list[bytes], int] | None:
        """An array of ``count`` bulk strings at ``pos`` in one ``split`` (None: not that simple, or cut).

        The common reply (``HGETALL``, ``ZRANGE``) parsed at C speed: every
        header must read exactly ``$<length of the next part>``, so a value
        holding CRLF, a nil, a nested array or a short buffer falls back to
        the general parser.
        """
        parts = buf[pos:].split(_CRLF, 2 * count)
        if len(parts) <= 2 * count:
            return None
        values = parts[1 : 2 * count : 2]
        if parts[0 : 2 * count : 2] != [b"$%d" % len(value) for value in values]:
            return None
        if len(buf) - pos > self.max_bulk and max(map(len, values)) > self.max_bulk:
            return None
        return values, len(buf) - len(parts[-1])

    def _bulk(self, buf: bytes, end: int, length: int) -> tuple[bytes | None, int]:
        """The bulk string whose ``$<length>`` header line ends at ``end``."""
        if length < 0:
            if length != -1:
                raise RespProtocolError(f"a bulk string of length {length}")
            return None, end + 2
        if length > self.max_bulk:
            raise RespProtocolError(f"a bulk string of {length} bytes (more than {self.max_bulk})")
        start = end + 2
        stop = start + length
        if len(buf) < stop + 2:
            raise _Incomplete(stop + 2)
        if buf[stop : stop + 2] != _CRLF:
            raise RespProtocolError("a bulk string not followed by CRLF")
        return buf[start:stop], stop + 2


def _number(buf: bytes, start: int, end: int) -> int:
    """The decimal integer in ``buf[start:end]`` (at most 20 characters: RESP integers are 64-bit)."""
    if 0 < end - start <= 20:
        try:
            value = int(buf[start:end])
        except ValueError:
            pass
        else:
            first = buf[start]
            if 48 <= first <= 57 or (first == 45 and end - start > 1 and 48 <= buf[start + 1] <= 57):
                return value  # digits or a minus then digits (int() alone would take "+1", " 1", "1_0")
    raise RespProtocolError(f"not a RESP integer: {buf[start:end][:32]!r}")
