"""One SSE response body on an :class:`~mcpcore.transport.exchange.Exchange`.

Contract: the head goes out once, then events (with ids when an event store
is on), and ``: keep-alive`` comments while idle. Every write is bounded by
backpressure: when the client leaves more than
``HttpOptions.max_stream_buffer_bytes`` unread, the stream is aborted (the
transport then reports the client gone, so the request's owner cleans up as
for a disconnect). A client that never reads therefore costs at most that
many bytes, whatever the server has to tell it (``list_changed``, resource
updates, listen streams, GET streams, progress).
"""

from __future__ import annotations

import asyncio
import logging

from mcpcore.transport.exchange import SSE_HEADERS, Exchange, Headers
from mcpcore.transport.options import HttpOptions
from mcpcore.wire import sse

__all__ = ["SseStream"]

_log = logging.getLogger("mcpcore.http")


class SseStream:
    """An SSE response on an exchange: head once, then events, keep-alives while idle."""

    __slots__ = ("closed", "exchange", "keepalive", "options", "started", "stream_id")

    def __init__(self, exchange: Exchange, options: HttpOptions, stream_id: str | None) -> None:
        self.exchange = exchange
        self.options = options
        self.stream_id = stream_id
        self.closed = False
        self.started = False
        self.keepalive: asyncio.TimerHandle | None = None
        exchange.on_close = self.client_closed

    def open(self, extra_headers: Headers, *, prime: bool = True) -> None:
        self.started = True
        self.exchange.start_stream(200, [*SSE_HEADERS, *extra_headers])
        store = self.options.event_store
        if prime and store is not None and self.stream_id is not None:
            event_id = store.store(self.stream_id, b"")
            self._write(sse.encode_event(b"", event_id=event_id, retry_ms=self.options.retry_ms))
        self._arm()

    def _arm(self) -> None:
        interval = self.options.keepalive_interval
        if interval > 0 and not self.closed:
            self.keepalive = asyncio.get_running_loop().call_later(interval, self._ping)

    def _ping(self) -> None:
        self.keepalive = None
        if not self.closed:
            self._write(sse.KEEPALIVE)
            self._arm()

    def send_frame(self, frame: bytes) -> None:
        store = self.options.event_store
        if store is not None and self.stream_id is not None:
            event_id = store.store(self.stream_id, frame)
            if not self.closed:
                self._write(sse.encode_event(frame.rstrip(b"\n"), event_id=event_id, event="message"))
        elif not self.closed:
            self._write(sse.encode_message(frame))

    def send_raw(self, data: bytes) -> None:
        if not self.closed:
            self._write(data)

    def _write(self, data: bytes) -> None:
        exchange = self.exchange
        exchange.send(data)
        unread = exchange.pending_bytes()
        if unread > self.options.max_stream_buffer_bytes:
            # A peer fault, not ours: INFO. The abort reports the client gone (on_close) at once.
            _log.info(
                "SSE stream closed: the client left %d bytes unread (limit %d)",
                unread,
                self.options.max_stream_buffer_bytes,
            )
            exchange.abort()

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        self._disarm()
        self.exchange.on_close = None
        self.exchange.end()

    def client_closed(self) -> None:
        """The client went away (or was dropped for not reading): stop writing, stop pinging."""
        self.closed = True
        self._disarm()

    def _disarm(self) -> None:
        if self.keepalive is not None:
            self.keepalive.cancel()
            self.keepalive = None
