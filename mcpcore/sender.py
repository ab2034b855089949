"""What a server connection sends on its own initiative, and the write buffer it must respect.

:class:`Sender` is the outgoing half of a :class:`~mcpcore.router.Connection`
(which is one): the frames it writes to its :class:`~mcpcore.ports.Sink`,
notifications, and requests to the peer (sampling, elicitation, roots, ping)
correlated with their answers by a :class:`~mcpcore.correlator.Correlator`.
Its contract:

* every frame of a request being served goes to that request's
  :class:`~mcpcore.ports.Responder` when it has one (its HTTP POST's
  response), else to the sink; a request to the peer that is given up is
  cancelled on the same route;
* once :meth:`Sender.close` ran nothing more is written, no new request can
  be sent, and every request still waiting for the peer fails with
  :class:`~mcpcore.errors.ConnectionClosedError`;
* :meth:`Sender.notify` waits while the transport's write buffer is over its
  high-water mark (:meth:`Sender.pause_writing` / :meth:`Sender.resume_writing`,
  called by the transport); nothing else here waits.

Reading, dispatch and the in-flight bound are the router's; a subclass that
must react to the write buffer (the router stops taking requests while it is
full) overrides the two writing hooks and calls them here first.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from mcpcore import jsonrpc
from mcpcore.correlator import Correlator, Outgoing
from mcpcore.errors import ConnectionClosedError
from mcpcore.inbound import SERVER
from mcpcore.ports import Responder, Sink

__all__ = ["Sender"]

_log = logging.getLogger("mcpcore.router")  # the connection's logger, as before the split


class Sender:
    """Frames, notifications and requests a server sends to one peer."""

    def __init__(self, sink: Sink, *, first_request_id: int = 1) -> None:
        self._sink = sink
        #: Our requests to the peer (sampling, elicitation, roots, ping) waiting for answers.
        #: ``first_request_id``: where their ids start (a replica's own range; see mcpcore.stores.sessions).
        self._outgoing = Correlator(SERVER, first_id=first_request_id)
        self._writing_paused = False
        self._drained: asyncio.Event | None = None
        self.closed = False

    @property
    def writing_paused(self) -> bool:
        """The transport's write buffer is over its high-water mark."""
        return self._writing_paused

    def write(self, frame: bytes) -> None:
        """Send one frame unless the connection is closed."""
        if not self.closed:
            self._sink.write(frame)

    def send(self, frame: bytes, responder: Responder | None = None) -> None:
        """Send a frame on a request's behalf: to its responder if it has one, else to the sink."""
        if responder is not None:
            responder.message(frame)
        else:
            self.write(frame)

    def notify_nowait(
        self, method: str, params: dict[str, Any] | None = None, *, responder: Responder | None = None
    ) -> None:
        """Send a notification without waiting for the write buffer (for callers outside a task)."""
        self.send(jsonrpc.encode_notification(method, params), responder)

    async def notify(
        self, method: str, params: dict[str, Any] | None = None, *, responder: Responder | None = None
    ) -> None:
        """Send a notification, waiting while the transport's write buffer is full."""
        self.send(jsonrpc.encode_notification(method, params), responder)
        if self._writing_paused:
            await self._wait_writable()

    async def request(
        self,
        method: str,
        params: dict[str, Any] | None = None,
        *,
        timeout: float | None = None,
        responder: Responder | None = None,
        answer: str | None = None,
    ) -> Any:
        """Send a request to the peer and wait for its result.

        ``responder``: the request being served on whose behalf this is asked
        (its stream carries the question); ``answer``: the inbound results row
        its answer must match when not the method's own (``"CreateTaskResult"``
        for a task-augmented request). Raises ``RpcError`` for an error
        answer, :class:`RequestTimeoutError` after ``timeout`` seconds (the peer
        is sent ``notifications/cancelled``) and :class:`ConnectionClosedError`
        when the connection drops first.
        """
        if self.closed:
            raise ConnectionClosedError(f"cannot send {method}: the connection is closed")
        entry = self._outgoing.open(method, route=responder, answer=answer)
        self.send(jsonrpc.encode_request(entry.request_id, method, params), responder)
        return await self._outgoing.wait(entry, timeout, self._cancel_outgoing)

    def receive_response(self, msg: dict[str, Any], kind: int) -> None:
        """Hand the peer's (classified) response to the request it answers; one answering none is dropped."""
        if not self._outgoing.resolve(msg, kind):
            _log.debug("response to unknown or finished request %r", msg.get("id"))

    def _cancel_outgoing(self, entry: Outgoing, reason: str) -> None:
        """Tell the peer we gave up, on the route the request took (its HTTP POST stream, say)."""
        if not self.closed:
            frame = jsonrpc.encode_notification(
                "notifications/cancelled", {"requestId": entry.request_id, "reason": reason}
            )
            self.send(frame, entry.route)

    def pause_writing(self) -> None:
        """The transport's write buffer is over its high-water mark."""
        self._writing_paused = True

    def resume_writing(self) -> None:
        """The transport's write buffer drained below its low-water mark."""
        self._writing_paused = False
        if self._drained is not None:
            self._drained.set()
            self._drained = None

    async def _wait_writable(self) -> None:
        if self._drained is None:
            self._drained = asyncio.Event()
        await self._drained.wait()

    def close(self) -> None:
        """Mark the connection closed and fail every request still waiting for the peer."""
        if self.closed:
            return
        self.closed = True
        self._outgoing.close(lambda entry: f"{entry.method}: the connection closed before the peer answered")
        if self._drained is not None:
            self._drained.set()
