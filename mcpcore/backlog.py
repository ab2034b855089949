"""Requests that arrived while a connection had no room for them, in arrival order.

A saturated connection (``max_in_flight`` handlers running, or the
transport's write buffer full) does not start new requests; it keeps each one
(a request, or a whole batch) here with its responder until room is made, and
the connection dispatches them first-in first-out. What the backlog itself
guarantees is that nothing held is left unanswered:

* :meth:`Backlog.drop`: a held request the peer cancelled is removed and,
  like any cancelled request, gets no response (its responder learns that
  none will come);
* :meth:`Backlog.refuse`: at shutdown every held request gets a
  connection-closed error (a held batch one array of them).

Bounding it is the connection's business: it stops reading once the backlog
is as long as its in-flight bound (see :meth:`mcpcore.router.Connection.receive_frame`).
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable
from typing import Any

from mcpcore import batch, jsonrpc
from mcpcore.errors import CONNECTION_CLOSED, RpcError
from mcpcore.ports import Responder

__all__ = ["Backlog"]

_log = logging.getLogger("mcpcore.router")  # the connection's logger, as before the split


class Backlog:
    """Held messages (a request dict or a batch list) with the responder each came with."""

    __slots__ = ("_held",)

    def __init__(self) -> None:
        self._held: deque[tuple[Any, Responder | None]] = deque()

    def __len__(self) -> int:
        return len(self._held)

    def hold(self, msg: Any, responder: Responder | None) -> None:
        self._held.append((msg, responder))

    def pop(self) -> tuple[Any, Responder | None]:
        """The oldest held message and its responder (the backlog must not be empty)."""
        return self._held.popleft()

    def drop(self, request_id: int | str) -> bool:
        """Remove a held request the peer cancelled: it gets no response, as if it had run."""
        for index, (msg, responder) in enumerate(self._held):
            if type(msg) is dict and msg.get("id") == request_id and type(msg.get("id")) is type(request_id):
                del self._held[index]
                if responder is not None:
                    responder.reply(None, None)
                _log.debug("cancelled request %r before it started", request_id)
                return True
        return False

    def refuse(self, write: Callable[[bytes], None]) -> None:
        """Answer every held request with a connection-closed error now: nothing is left unanswered.

        ``write`` sends a frame of a message that came without a responder.
        """
        held, self._held = self._held, deque()
        error = RpcError(CONNECTION_CLOSED, "Connection closed: the server is shutting down")
        for msg, responder in held:
            requests = msg if type(msg) is list else [msg]
            frames = [
                jsonrpc.encode_error(item["id"], error)
                for item in requests
                if type(item) is dict and "method" in item and jsonrpc.valid_id(item.get("id"))
            ]
            if type(msg) is list and frames:
                frames = [batch.join(frames)]
            if responder is not None:
                responder.reply(frames[0] if frames else None, error if frames else None)
            else:
                for frame in frames:
                    write(frame)
