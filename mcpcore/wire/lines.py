"""Newline-delimited JSON framing (the stdio transport), sans I/O.

``LineFramer.feed(chunk)`` takes whatever bytes the pipe delivered and returns
the complete lines in it; a partial line waits in a buffer for the rest. It
never decodes JSON and never touches a file descriptor.

A line longer than ``max_frame_bytes`` is not buffered: the framer reports
:class:`FrameTooLarge` in its place (so the caller can answer with an error)
and throws the rest of that line away as it arrives. Memory use is therefore
bounded by ``max_frame_bytes`` whatever the peer sends.
"""

from __future__ import annotations

from typing import Final

__all__ = ["DEFAULT_MAX_FRAME_BYTES", "FrameTooLarge", "LineFramer"]

DEFAULT_MAX_FRAME_BYTES: Final = 8 * 1024 * 1024
_NEWLINE: Final = 10
_JSON_WHITESPACE: Final = b" \t\r\n"  # bytes.strip() would also drop VT and FF, which JSON refuses
_BLANK_START: Final = frozenset(_JSON_WHITESPACE)


class FrameTooLarge:
    """Stands in the frame list where a line over the size limit was dropped."""

    __slots__ = ("limit",)

    def __init__(self, limit: int) -> None:
        self.limit = limit

    def __repr__(self) -> str:
        return f"FrameTooLarge(limit={self.limit})"

    def __eq__(self, other: object) -> bool:
        return type(other) is FrameTooLarge and other.limit == self.limit

    def __hash__(self) -> int:
        return hash((FrameTooLarge, self.limit))


def _is_blank(line: bytes) -> bool:
    """True for lines holding only white space (CR of a CRLF included); they carry no message."""
    return not line or (line[0] in _BLANK_START and not line.strip(_JSON_WHITESPACE))


class LineFramer:
    """Splits a byte stream into lines, with a hard cap on line length.

    Returned frames may keep their trailing ``\\r``/``\\n``: JSON allows
    surrounding white space, so stripping would only cost a copy.
    """

    __slots__ = ("_buffer", "_discarding", "max_frame_bytes")

    def __init__(self, max_frame_bytes: int = DEFAULT_MAX_FRAME_BYTES) -> None:
        if max_frame_bytes < 1:
            raise ValueError("max_frame_bytes must be positive")
        self.max_frame_bytes = max_frame_bytes
        self._buffer = bytearray()
        self._discarding = False

    @property
    def buffered(self) -> int:
        """Bytes of an incomplete line held for the next chunk."""
        return len(self._buffer)

    def feed(self, data: bytes) -> list[bytes | FrameTooLarge]:
        """Return the frames completed by ``data``, in order."""
        if not self._buffer and not self._discarding:
            # Fast path: one whole line per chunk, the common case for request/response traffic.
            end = len(data) - 1
            if end >= 0 and data[end] == _NEWLINE and data.find(b"\n") == end:
                if end > self.max_frame_bytes:
                    return [FrameTooLarge(self.max_frame_bytes)]
                return [] if _is_blank(data) else [data]
            return self._split(data)
        return self._continue(data)

    def _continue(self, data: bytes) -> list[bytes | FrameTooLarge]:
        """Finish the line left over from earlier chunks, then split the rest."""
        newline = data.find(b"\n")
        if newline < 0:
            if not self._discarding:
                self._buffer += data
                if len(self._buffer) > self.max_frame_bytes:
                    self._buffer.clear()
                    self._discarding = True
                    return [FrameTooLarge(self.max_frame_bytes)]
            return []
        frames: list[bytes | FrameTooLarge] = []
        if self._discarding:
            self._discarding = False
        else:
            self._buffer += data[:newline]
            if len(self._buffer) > self.max_frame_bytes:
                frames.append(FrameTooLarge(self.max_frame_bytes))
            else:
                line = bytes(self._buffer)
                if not _is_blank(line):
                    frames.append(line)
            self._buffer.clear()
        frames.extend(self._split(data[newline + 1 :]))
        return frames

    def _split(self, data: bytes) -> list[bytes | FrameTooLarge]:
        """Split a chunk that starts at a line boundary; keep its unterminated tail."""
        lines = data.split(b"\n")
        tail = lines.pop()
        limit = self.max_frame_bytes
        frames: list[bytes | FrameTooLarge] = []
        for line in lines:
            if len(line) > limit:
                frames.append(FrameTooLarge(limit))
            elif not _is_blank(line):
                frames.append(line)
        if tail:
            if len(tail) > limit:
                frames.append(FrameTooLarge(self.max_frame_bytes))
                self._discarding = True
            else:
                self._buffer += tail
        return frames
