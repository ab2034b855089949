"""A 2026-07-28 ``subscriptions/listen`` stream, as the client reads it.

The session hands each notification the server tags with the stream's
subscription id to :meth:`Subscription.deliver`; the application iterates.
The buffer between the two is bounded (``max_buffered``): a server that
floods a stream nobody reads drops its newest notifications (counted in
:attr:`Subscription.dropped` and logged), never grows the client's memory.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from typing import TYPE_CHECKING, Any, Final

from mcpcore.errors import INTERNAL_ERROR, ConnectionClosedError, RemoteProtocolError, RpcError

if TYPE_CHECKING:
    from mcpcore.client.session import ClientSession

__all__ = ["DEFAULT_MAX_BUFFERED", "Subscription"]

_log = logging.getLogger("mcpcore.client")

#: Notifications a listen stream holds for a slow reader before it drops the newest.
DEFAULT_MAX_BUFFERED: Final = 1024


class Subscription:
    """A ``subscriptions/listen`` stream: iterate for its notifications; ``close()`` cancels it."""

    def __init__(self, session: ClientSession, request_id: int | str, max_buffered: int) -> None:
        if max_buffered < 1:
            raise ValueError("max_buffered must be at least 1")
        self.session = session
        self.request_id = request_id
        self.max_buffered = max_buffered
        #: Notifications dropped because the reader was ``max_buffered`` behind.
        self.dropped = 0
        self._items: deque[dict[str, Any]] = deque()
        self._ended = False
        self._ready = asyncio.Event()
        #: The ``notifications`` the server agreed to send (from the acknowledgement).
        self.honoured: dict[str, Any] = {}
        #: How the stream ended: the server's ``SubscriptionsListenResult`` (a graceful end), the
        #: exception that ended it, or ``None`` while it is open or after the client closed it.
        self.outcome: dict[str, Any] | BaseException | None = None

    def deliver(self, item: dict[str, Any]) -> None:
        """A notification for this stream arrived (the session calls this)."""
        if self._ended:
            return
        if len(self._items) >= self.max_buffered:
            self.dropped += 1
            if self.dropped == 1 or self.dropped % 1000 == 0:
                _log.warning(
                    "listen stream %r: reader is %d behind; dropped %d notification(s)",
                    self.request_id,
                    self.max_buffered,
                    self.dropped,
                )
            return
        self._items.append(item)
        self._ready.set()

    def end(self) -> None:
        """No more notifications will come; the reader drains what is buffered, then stops."""
        self._ended = True
        self._ready.set()

    async def _next(self) -> dict[str, Any] | None:
        while not self._items:
            if self._ended:
                return None
            self._ready.clear()
            await self._ready.wait()
        return self._items.popleft()

    async def acknowledged(self, timeout: float | None) -> None:
        first = await asyncio.wait_for(self._next(), timeout)
        if first is None:
            raise ConnectionClosedError("the subscription ended before it was acknowledged")
        if first["method"] != "notifications/subscriptions/acknowledged":
            raise RemoteProtocolError(
                RpcError(
                    INTERNAL_ERROR, f"listen stream began with {first['method']}, not an acknowledgement"
                )
            )
        self.honoured = first["params"].get("notifications") or {}

    def __aiter__(self) -> Subscription:
        return self

    async def __anext__(self) -> dict[str, Any]:
        item = await self._next()
        if item is None:
            raise StopAsyncIteration
        return item

    def close(self) -> None:
        self.session.end_subscription(self.request_id)
        self._items.clear()
        self.end()

    async def __aenter__(self) -> Subscription:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.close()
