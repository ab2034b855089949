"""Request/response correlation for both roles: ids out, answers in, nothing left hanging.

A server asks its client (sampling, elicitation, roots, ping) and a client asks
its server; both need the same bookkeeping, so both use one
:class:`Correlator`:

* each outgoing request gets a fresh integer id and a future;
* an answer resolves exactly the future its id names, once; a result is first
  checked against the method's shape in the role's inbound contract
  (:mod:`mcpcore.inbound`), so a malformed answer fails that one request with
  a clear error instead of reaching the code that awaited it;
* a deadline or a cancelled waiter abandons the request: the owner is called
  back to tell the peer (``notifications/cancelled``), on the route the request
  itself took (an HTTP request's own stream, for one), and the waiter gets
  :class:`~mcpcore.errors.RequestTimeoutError` or its cancellation;
* closing fails every waiter at once with
  :class:`~mcpcore.errors.ConnectionClosedError`.

It never writes: sending the request and the cancellation is the owner's
business, so the same class serves a stdio pipe, an HTTP POST and a test list.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mcpcore import jsonrpc
from mcpcore.errors import (
    INTERNAL_ERROR,
    ConnectionClosedError,
    RemoteProtocolError,
    RequestTimeoutError,
    RpcError,
)
from mcpcore.inbound import Contract

__all__ = ["Correlator", "Outgoing"]


@dataclass(slots=True)
class Outgoing:
    """One request sent to the peer and not answered yet."""

    request_id: int
    method: str
    future: asyncio.Future[Any]
    #: How the request left (a server's per-request responder); its cancellation goes the same way.
    route: Any = None
    #: The results-table row its answer is checked against, when not ``method``'s own (a
    #: task-augmented request is answered with a ``CreateTaskResult``).
    answer: str | None = None


#: Called when a waiter gives up on a request: ``(request, reason)``; the owner tells the peer.
Abandon = Callable[[Outgoing, str], None]


class Correlator:
    """The requests one side of a connection is waiting on, checked against ``contract`` when answered."""

    __slots__ = ("_contract", "_ids", "_pending")

    def __init__(self, contract: Contract, *, first_id: int = 1) -> None:
        self._contract = contract
        self._pending: dict[int | str, Outgoing] = {}
        #: ``first_id``: replicas number from distinct ranges, so an answer's id names its replica.
        self._ids = itertools.count(first_id)

    def __len__(self) -> int:
        return len(self._pending)

    def __contains__(self, request_id: object) -> bool:
        return jsonrpc.valid_id(request_id) and request_id in self._pending

    def open(self, method: str, *, route: Any = None, answer: str | None = None) -> Outgoing:
        """Register a new request (the caller sends it with ``request_id``)."""
        future = asyncio.get_running_loop().create_future()
        entry = Outgoing(next(self._ids), method, future, route, answer)
        self._pending[entry.request_id] = entry
        return entry

    def method_of(self, request_id: object) -> str | None:
        """The method of a request still waiting, for any value a peer put in an ``id``."""
        if not jsonrpc.valid_id(request_id):
            return None
        entry = self._pending.get(request_id)
        return entry.method if entry is not None else None

    async def wait(self, entry: Outgoing, timeout: float | None, abandon: Abandon) -> Any:
        """The answer to ``entry``: its result, or the peer's error raised as :class:`RpcError`."""
        try:
            if timeout is None:
                return await entry.future
            try:
                return await asyncio.wait_for(entry.future, timeout)
            except asyncio.TimeoutError:
                if self._pending.pop(entry.request_id, None) is not None:
                    abandon(entry, "timeout")
                raise RequestTimeoutError(f"{entry.method} got no answer within {timeout} s") from None
        except asyncio.CancelledError:
            if self._pending.pop(entry.request_id, None) is not None:
                abandon(entry, "cancelled")
            raise
        finally:
            self._pending.pop(entry.request_id, None)

    def resolve(self, msg: dict[str, Any], kind: int) -> bool:
        """Settle the request a classified response answers; ``False`` when it answers none of ours."""
        request_id = msg.get("id")
        entry = self._pending.pop(request_id, None) if jsonrpc.valid_id(request_id) else None
        if entry is None or entry.future.done():
            return False
        if kind == jsonrpc.ERROR_RESPONSE:
            error = msg["error"]
            entry.future.set_exception(
                RpcError(error["code"], str(error.get("message", "")), error.get("data"))
            )
            return True
        result = msg["result"]
        problem = self._contract.result_problem(entry.answer or entry.method, result)
        if problem is None:
            entry.future.set_result(result)
        else:
            # The offending result rides along as the error's data, for diagnostics (mcpcore check).
            error = RpcError(INTERNAL_ERROR, f"malformed {entry.method} answer: {problem}", result)
            entry.future.set_exception(RemoteProtocolError(error))
        return True

    def take(self, request_id: object) -> Outgoing | None:
        """Stop waiting for a request without settling it (the owner cancels it)."""
        if not jsonrpc.valid_id(request_id):
            return None
        return self._pending.pop(request_id, None)

    def fail(self, request_id: object, exc: BaseException) -> bool:
        """Fail one request with ``exc`` (its answer can never come); ``False`` if it was not waiting."""
        entry = self.take(request_id)
        if entry is None or entry.future.done():
            return False
        entry.future.set_exception(exc)
        return True

    def close(self, reason: Callable[[Outgoing], str]) -> None:
        """Fail every waiting request with :class:`ConnectionClosedError` (``reason`` words each)."""
        pending, self._pending = self._pending, {}
        for entry in pending.values():
            if not entry.future.done():
                entry.future.set_exception(ConnectionClosedError(reason(entry)))
