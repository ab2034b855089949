"""Server-Sent Events, sans I/O: encode events (server side) and parse a stream (client side).

An MCP message is compact JSON without raw newlines, so the common event is
``data: <json>\\n\\n`` built with one join; ``id:`` (for resumability),
``event:`` and ``retry:`` are added when asked. Comments (``: …``) keep idle
streams alive through proxies.

:class:`EventParser` follows the WHATWG parsing rules: ``\\r\\n``, ``\\r``
and ``\\n`` all end a line; ``data`` lines join with ``\\n``; an event is
dispatched on a blank line; a ``retry`` that is not all digits is ignored; an
``id`` containing NUL is ignored; the last event id persists across events.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

__all__ = ["DEFAULT_MAX_EVENT_BYTES", "Event", "EventParser", "encode_comment", "encode_event"]

DEFAULT_MAX_EVENT_BYTES: Final = 16 * 1024 * 1024

KEEPALIVE: Final = b": keep-alive\n\n"


def encode_event(
    data: bytes,
    *,
    event_id: str | None = None,
    event: str | None = None,
    retry_ms: int | None = None,
) -> bytes:
    """One SSE event. ``data`` may hold newlines (each line becomes its own ``data:`` field)."""
    parts: list[bytes] = []
    if event is not None:
        _check_field(event)
        parts.append(b"event: " + event.encode() + b"\n")
    if event_id is not None:
        _check_field(event_id)
        parts.append(b"id: " + event_id.encode() + b"\n")
    if retry_ms is not None:
        if retry_ms < 0:
            raise ValueError("retry must be >= 0")
        parts.append(b"retry: %d\n" % retry_ms)
    if data.endswith(b"\n"):
        data = data[:-1]
    if b"\n" in data or b"\r" in data:
        for line in data.replace(b"\r\n", b"\n").replace(b"\r", b"\n").split(b"\n"):
            parts.append(b"data: " + line + b"\n")
    else:
        parts.append(b"data: " + data + b"\n")
    parts.append(b"\n")
    return b"".join(parts)


def encode_message(frame: bytes) -> bytes:
    """The hot path: a JSON-RPC frame (compact, maybe newline-terminated) as an anonymous event."""
    if frame.endswith(b"\n"):
        return b"event: message\ndata: " + frame + b"\n"
    return b"event: message\ndata: " + frame + b"\n\n"


def encode_comment(text: str = "") -> bytes:
    """A comment line (ignored by clients; used for keep-alives)."""
    _check_field(text)
    return b": " + text.encode() + b"\n\n"


def _check_field(value: str) -> None:
    if "\n" in value or "\r" in value:
        raise ValueError("SSE field values cannot contain line breaks")


@dataclass(frozen=True, slots=True)
class Event:
    """One dispatched SSE event."""

    data: str
    event: str = "message"
    id: str | None = None
    retry: int | None = None


class EventTooLarge(ValueError):
    """The stream buffered more than the limit without completing an event."""


class EventParser:
    """Feed bytes of an SSE stream, get :class:`Event` objects."""

    __slots__ = ("_buffer", "_data", "_event", "_pending_cr", "_retry", "last_event_id", "max_event_bytes")

    def __init__(self, *, max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES) -> None:
        self.max_event_bytes = max_event_bytes
        self._buffer = bytearray()
        self._pending_cr = False
        self._data: list[str] = []
        self._event = ""
        self._retry: int | None = None
        self.last_event_id: str | None = None

    def feed(self, chunk: bytes) -> list[Event]:
        """Return the events this chunk completes."""
        events: list[Event] = []
        if not chunk:
            return events  # nothing to see, and a pending CR must stay pending (its LF may follow)
        buffer = self._buffer
        if self._pending_cr and chunk.startswith(b"\n"):
            chunk = chunk[1:]
        self._pending_cr = False
        buffer += chunk
        start = 0
        size = len(buffer)
        while start < size:
            cr = buffer.find(b"\r", start)
            lf = buffer.find(b"\n", start)
            if cr < 0 and lf < 0:
                break
            if cr >= 0 and (lf < 0 or cr < lf):
                end, skip = cr, 1
                if cr + 1 < size:
                    if buffer[cr + 1] == 0x0A:
                        skip = 2
                else:
                    self._pending_cr = True
            else:
                end, skip = lf, 1
            self._line(bytes(buffer[start:end]), events)
            start = end + skip
        del buffer[:start]
        if len(buffer) + sum(len(part) for part in self._data) > self.max_event_bytes:
            raise EventTooLarge(f"SSE event larger than {self.max_event_bytes} bytes")
        return events

    def _line(self, raw: bytes, events: list[Event]) -> None:
        if not raw:
            self._dispatch(events)
            return
        line = raw.decode("utf-8", "replace")
        if line.startswith(":"):
            return
        name, colon, value = line.partition(":")
        if colon and value.startswith(" "):
            value = value[1:]
        if name == "data":
            self._data.append(value)
        elif name == "event":
            self._event = value
        elif name == "id":
            if "\x00" not in value:
                self.last_event_id = value
        elif name == "retry" and value.isascii() and value.isdigit():
            self._retry = int(value)

    def _dispatch(self, events: list[Event]) -> None:
        if not self._data:
            # An event with no data is not dispatched, but its id and retry still count.
            if self._retry is not None:
                events.append(Event("", self._event or "message", self.last_event_id, self._retry))
            self._event = ""
            self._retry = None
            return
        events.append(Event("\n".join(self._data), self._event or "message", self.last_event_id, self._retry))
        self._data = []
        self._event = ""
        self._retry = None
