"""The per-request context: what a handler may know and do about the request it serves.

A tool (or any handler) asks for it by annotating a parameter with
:class:`Context`; the registry passes it in and leaves it out of the tool's
input schema. It is built for every request, so it is a slotted object that
does no work until a method is called.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from mcpcore.session import Envelope

if TYPE_CHECKING:
    from mcpcore.router import Connection

__all__ = ["Context"]

_log = logging.getLogger("mcpcore.context")


class Context:
    """One request as its handler sees it."""

    __slots__ = ("_last_progress", "cancelled", "connection", "envelope", "method", "params", "request_id")

    def __init__(
        self,
        connection: Connection,
        request_id: int | str | None,
        method: str,
        params: dict[str, Any],
        envelope: Envelope | None,
    ) -> None:
        self.connection = connection
        self.request_id = request_id
        self.method = method
        self.params = params
        self.envelope = envelope
        #: Set when the peer cancelled this request; the response will not be sent.
        self.cancelled = False
        self._last_progress: float | None = None

    @property
    def meta(self) -> dict[str, Any]:
        """The request's ``params._meta`` (empty when absent)."""
        meta = self.params.get("_meta")
        return meta if type(meta) is dict else {}

    @property
    def protocol_version(self) -> str | None:
        """The version this request is served under (negotiated, or from the modern envelope)."""
        return self.envelope.protocol_version if self.envelope is not None else None

    @property
    def client_capabilities(self) -> dict[str, Any]:
        """What the client declared it supports, for this request."""
        return self.envelope.client_capabilities if self.envelope is not None else {}

    @property
    def client_info(self) -> dict[str, Any] | None:
        """The client's self-reported name and version (for display and logs only)."""
        return self.envelope.client_info if self.envelope is not None else None

    @property
    def progress_token(self) -> int | str | None:
        """The token the client attached to ask for progress, if any."""
        token = self.meta.get("progressToken")
        return token if type(token) is str or type(token) is int else None

    async def report_progress(
        self, progress: float, total: float | None = None, message: str | None = None
    ) -> None:
        """Send ``notifications/progress`` if the client asked for progress on this request.

        The spec requires ``progress`` to increase with every notification; a
        value that does not is dropped (and logged) rather than sent.
        """
        token = self.progress_token
        if token is None or self.cancelled:
            return
        if self._last_progress is not None and progress <= self._last_progress:
            _log.warning("progress %r does not increase past %r; not sent", progress, self._last_progress)
            return
        self._last_progress = progress
        params: dict[str, Any] = {"progressToken": token, "progress": progress}
        if total is not None:
            params["total"] = total
        if message is not None and self.protocol_version != "2024-11-05":  # ``message`` arrived in 2025-03-26
            params["message"] = message
        await self.connection.notify("notifications/progress", params)
