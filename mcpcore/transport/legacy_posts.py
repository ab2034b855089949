"""One legacy (2024-11-05..2025-11-25) POST as the router's responder.

Contract: every message a request causes (progress, logs, server-to-client
requests, its final response) lands on the POST that carried it, however
long the request waited in the router's backlog; nothing is recognised by
its bytes. A POST is answered exactly once: a whole response when the
request finished while its body was being fed or in the loop turn that
followed (an ``async def`` tool that never waits), else an SSE stream. Closing
the POST always gives back what it took: the session's open-POST count,
its resumable-stream entry, and (stateless mode) its throwaway connection.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mcpcore.errors import RpcError
from mcpcore.transport.exchange import JSON_HEADERS, SSE_HEADERS, Exchange, Headers, HttpRequestInfo
from mcpcore.transport.sse_stream import SseStream
from mcpcore.wire import sse

if TYPE_CHECKING:
    from mcpcore.transport.legacy_sessions import LegacyHttpSession

__all__ = ["RESUMABLE", "PostStream"]

#: POST streams that can be resumed by id (only with an event store).
RESUMABLE: dict[str, PostStream] = {}


class PostStream:
    """One legacy POST's :class:`~mcpcore.ports.Responder`: JSON once answered, or an SSE stream.

    A request answered while its body is being fed (the common, inline case)
    gets one whole response: an SSE body when the client accepts SSE (as the
    reference servers do; with resumability, a stream with event ids), else
    JSON. So does a request answered in the loop turn after the feed (the
    first step of an ``async def`` tool's task). Anything answered later goes
    out on an SSE stream opened at the end of that turn (in JSON mode: the
    response waits for the reply). A POST whose messages need no answer
    (notifications, responses) gets 202.
    """

    __slots__ = (
        "buffered",
        "exchange",
        "final",
        "finished",
        "http_request",
        "session",
        "session_header",
        "sse",
        "stream",
        "syncing",
    )

    def __init__(
        self, session: LegacyHttpSession, exchange: Exchange, sse: bool, http_request: HttpRequestInfo
    ) -> None:
        self.session = session
        self.exchange = exchange
        self.sse = sse
        #: Read by ``Context.access_token`` / ``Context.http_headers``.
        self.http_request = http_request
        #: Messages sent on the request's behalf before its stream opened.
        self.buffered: list[bytes] | None = None
        #: The final response, while it waits to go out whole.
        self.final: bytes | None = None
        self.finished = False
        self.syncing = False
        self.session_header: str | None = None
        self.stream: SseStream | None = None

    def feed(self, msg: Any) -> None:
        """Hand the decoded body to the session's connection with this POST as its responder.

        If the router raises (a bug, never a peer's doing), the POST is given
        up before the exception propagates, so nothing it counted stays counted.
        """
        session = self.session
        session.open_posts += 1
        self.syncing = True
        try:
            session.connection.receive_message(msg, self)
        except BaseException:
            # While syncing nothing has called _done yet (a reply only records itself).
            self.finished = True
            self.final = self.buffered = None
            self._done()
            raise
        finally:
            self.syncing = False
        if self.finished:
            self._respond_whole()
            return
        self.exchange.on_close = self._client_closed
        if self.sse:
            # Opened on the loop's next turn, not now: a task the router just started (an ``async
            # def`` tool) takes its first step before that, and one that finishes there is answered
            # whole, in one write, instead of head, event and end as three. A handler that waits
            # gets its stream (and, with an event store, its priming event) one turn later.
            self.session.loop.call_soon(self._open_late)

    def message(self, frame: bytes) -> None:
        """A message on the request's behalf: on this POST's stream while it is open, else standalone."""
        if self.finished or not self.sse:
            self.session.send_standalone(frame)
        elif self.stream is None:
            if self.buffered is None:
                self.buffered = []
            self.buffered.append(frame)
        else:
            self.stream.send_frame(frame)

    def reply(self, frame: bytes | None, error: RpcError | None) -> None:
        """The final response (None: there is none, e.g. cancelled or only notifications): end the POST."""
        if self.finished:
            return
        self.finished = True
        stream = self.stream
        if stream is None:
            self.final = frame
            if not self.syncing:  # else feed() answers once the router returns
                self._respond_whole()
            return
        if frame is not None:
            stream.send_frame(frame)
        self._done()
        stream.close()

    def _headers(self, base: Headers) -> Headers:
        if self.session_header:
            return [*base, (b"mcp-session-id", self.session_header.encode())]
        return base

    def _respond_whole(self) -> None:
        final = self.final
        messages = self.buffered
        self.final = self.buffered = None
        self._done()
        exchange = self.exchange
        if exchange.closed:
            return
        if messages is None:
            if final is None:
                exchange.respond(202, [], b"")
                return
            if not self.sse:
                exchange.respond(200, self._headers(JSON_HEADERS), final)
                return
            if self.session.endpoint.options.event_store is None:
                exchange.respond(200, self._headers(SSE_HEADERS), sse.encode_message(final))
                return
        resumable = self.sse and self.session.endpoint.options.event_store is not None
        frames = messages or []
        if final is not None:
            frames.append(final)
        if resumable:
            self._start_stream(frames)
            assert self.stream is not None
            self.stream.close()
            return
        body = b"".join([sse.encode_message(frame) for frame in frames])
        exchange.respond(200, self._headers(SSE_HEADERS), body)

    def _open_late(self) -> None:
        """Open the stream of a POST still unanswered one turn after its body was fed."""
        if not self.finished and self.stream is None and not self.exchange.closed:
            self._start_stream()

    def _start_stream(self, frames: list[bytes] | None = None) -> None:
        stream_id = self.session.stream_id("post")
        stream = SseStream(self.exchange, self.session.endpoint.options, stream_id)
        self.stream = stream
        if stream_id is not None:
            RESUMABLE[stream_id] = self
        stream.open(self._headers([]))
        pending = self.buffered if frames is None else frames
        self.buffered = None
        for frame in pending or ():
            stream.send_frame(frame)

    def reattach(self, stream: SseStream) -> None:
        """A client resumed this POST's stream with GET + Last-Event-ID: continue there."""
        self.stream = stream
        self.exchange = stream.exchange
        stream.exchange.on_close = self._client_closed

    def _done(self) -> None:
        self.session.open_posts -= 1
        stream = self.stream
        if stream is not None and stream.stream_id is not None:
            RESUMABLE.pop(stream.stream_id, None)
        if self.session.session_id == "":
            self.session.end_stateless()

    def _client_closed(self) -> None:
        # Legacy: a dropped stream is not a cancellation; the handler finishes, and with an
        # event store its messages wait for a resuming GET.
        stream = self.stream
        if stream is not None:
            stream.client_closed()
        # Without a stream the client never saw an event id, so nothing of this POST is resumable.
        if (stream is None or self.session.endpoint.options.event_store is None) and not self.finished:
            self.finished = True
            self._done()
