"""One SSE response body on an :class:`~mcpcore.transport.exchange.Exchange`.

Contract: the head goes out once, then events (with ids when an event store
is on), and ``: keep-alive`` comments while idle. Every write is bounded by
backpressure: when the client leaves more than
``HttpOptions.max_stream_buffer_bytes`` unread, the stream is aborted (the
transport then reports the client gone, so the request's owner cleans up as
for a disconnect). A client that never reads therefore costs at most that
many bytes, whatever the server has to tell it (``list_changed``, resource
updates, listen streams, GET streams, progress).

With an event store every event is stored before it is sent, so an event the
client saw can always be replayed. The in-memory store is called
synchronously (no await per event). A store that does I/O (Redis) is fed by
one task per stream, in order: events wait in a backlog bounded by the same
byte budget (past it the stream is aborted, as for a client that does not
read), and ``close`` ends the body only after the backlog is stored and sent.
A store error does not fail the request: that event goes out without an id
(not resumable), with a WARNING.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque

from mcpcore.stores.memory import InMemoryEventStore
from mcpcore.transport.exchange import SSE_HEADERS, Exchange, Headers
from mcpcore.transport.options import HttpOptions
from mcpcore.wire import sse

__all__ = ["SseStream"]

_log = logging.getLogger("mcpcore.http")


class SseStream:
    """An SSE response on an exchange: head once, then events, keep-alives while idle."""

    __slots__ = (
        "_backlog",
        "_backlog_bytes",
        "_closing",
        "_flushed",
        "_held",
        "_writer",
        "closed",
        "exchange",
        "keepalive",
        "options",
        "started",
        "stream_id",
    )

    def __init__(
        self, exchange: Exchange, options: HttpOptions, stream_id: str | None, *, held: bool = False
    ) -> None:
        self.exchange = exchange
        self.options = options
        self.stream_id = stream_id
        self.closed = False
        self.started = False
        self.keepalive: asyncio.TimerHandle | None = None
        #: Events waiting for an asynchronous store: (message, is the priming event).
        self._backlog: deque[tuple[bytes, bool]] = deque()
        self._backlog_bytes = 0
        self._writer: asyncio.Task[None] | None = None
        self._flushed: asyncio.Event | None = None
        #: Backlogged events wait (neither stored nor sent) until :meth:`release` (a resume's replay).
        self._held = held
        self._closing = False
        exchange.on_close = self.client_closed

    def open(self, extra_headers: Headers, *, prime: bool = True) -> None:
        self.started = True
        self.exchange.start_stream(200, [*SSE_HEADERS, *extra_headers])
        if prime and self.options.event_store is not None and self.stream_id is not None:
            self._stored(b"", prime=True)
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
        if store is None or self.stream_id is None:
            if not self.closed:
                self._write(sse.encode_message(frame))
        elif isinstance(store, InMemoryEventStore) and not self._backlog:
            # The common case, kept as cheap as before the store became async: no await, no task.
            event_id = store.store_nowait(self.stream_id, frame)
            if not self.closed:
                self._write(sse.encode_event(frame.rstrip(b"\n"), event_id=event_id, event="message"))
        else:
            self._stored(frame, prime=False)

    def _stored(self, frame: bytes, *, prime: bool) -> None:
        """Store the event, then send it with its id (even once the client left: it may resume)."""
        store = self.options.event_store
        assert store is not None and self.stream_id is not None
        if isinstance(store, InMemoryEventStore) and not self._backlog:
            self._send_event(frame, store.store_nowait(self.stream_id, frame), prime)
            return
        self._backlog.append((frame, prime))
        self._backlog_bytes += len(frame)
        if self._backlog_bytes > self.options.max_stream_buffer_bytes:
            _log.warning(
                "SSE stream closed: %d bytes waiting for the event store (limit %d)",
                self._backlog_bytes,
                self.options.max_stream_buffer_bytes,
            )
            self._backlog.clear()
            self._backlog_bytes = 0
            self.exchange.abort()
            return
        if self._writer is None and not self._held:
            self._writer = asyncio.get_running_loop().create_task(self._drain())

    def _send_event(self, frame: bytes, event_id: str, prime: bool) -> None:
        if self.closed:
            return
        if prime:
            self._write(sse.encode_event(b"", event_id=event_id, retry_ms=self.options.retry_ms))
        else:
            self._write(sse.encode_event(frame.rstrip(b"\n"), event_id=event_id, event="message"))

    async def _drain(self) -> None:
        """Store the backlog in order, sending each event once stored (one task per stream)."""
        store = self.options.event_store
        assert store is not None and self.stream_id is not None
        backlog = self._backlog
        try:
            while backlog:
                frame, prime = backlog[0]
                try:
                    event_id: str | None = await store.store(self.stream_id, frame)
                except Exception as exc:
                    # Degrade, do not fail the request: the message still goes out, without an id
                    # (so no client can count on replaying it).
                    _log.warning("event store failed (%r): sent an event without an id (not resumable)", exc)
                    event_id = None
                if backlog and backlog[0][0] is frame:
                    backlog.popleft()
                    self._backlog_bytes -= len(frame)
                if event_id is not None:
                    self._send_event(frame, event_id, prime)
                elif not prime and not self.closed:
                    self._write(sse.encode_message(frame))
        finally:
            self._writer = None
            flushed, self._flushed = self._flushed, None
            if flushed is not None:
                flushed.set()  # wakes every waiter: each holds this event
            if self._closing:
                self._end()

    async def flushed(self) -> None:
        """Wait until every event sent so far is stored."""
        while self._writer is not None:
            if self._flushed is None:
                self._flushed = asyncio.Event()
            await self._flushed.wait()

    def release(self) -> None:
        """Stop holding: store and send what waited (a resumed stream, once its replay is out)."""
        self._held = False
        if self._backlog and self._writer is None:
            self._writer = asyncio.get_running_loop().create_task(self._drain())
        elif self._closing and self._writer is None:
            self._end()

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
        """End the body, once what waits for the event store is stored and sent."""
        if self._closing:
            return
        self._closing = True
        if self._writer is None and not self._held:
            self._end()

    def _end(self) -> None:
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
