"""JSON-RPC batches on a connection: which are refused, and how their answers are gathered.

A batch (accepted only under protocol 2025-03-26) is one array of messages
answered by one array of responses. Its requests may finish in any order,
some as tasks long after the array was read, so the answers are collected in
a :class:`Batch` and sent together once the array was read to the end
(:meth:`Batch.seal`) and the last outstanding request has finished
(:meth:`Batch.finish_one`). A batch of notifications and responses only
gets no answer at all.

:func:`join` is the one place an array frame is built from single frames,
also for the errors a backlogged batch gets at shutdown
(:mod:`mcpcore.backlog`).

This module knows nothing of the connection: a batch writes through the
callable it is given, or to the responder of the request that carried it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mcpcore.errors import INVALID_REQUEST, RpcError
from mcpcore.ports import Responder

__all__ = ["Batch", "join", "refusal"]


def join(frames: list[bytes]) -> bytes:
    """One array frame of newline-terminated single frames (each was encoded on its own)."""
    return b"[" + b",".join(frame[:-1] for frame in frames) + b"]\n"


def refusal(items: list[Any], *, allowed: bool, max_in_flight: int) -> RpcError | None:
    """Why the whole batch is refused (answered once, with id null), or None to serve its items."""
    if not allowed:
        return RpcError(
            INVALID_REQUEST, "Invalid request: JSON-RPC batches are accepted only under protocol 2025-03-26"
        )
    if not items:
        return RpcError(INVALID_REQUEST, "Invalid request: empty batch")
    if len(items) > max_in_flight:
        # Every item may start a handler: a batch must not get round the in-flight bound.
        message = f"Invalid request: a batch of {len(items)} messages exceeds max_in_flight ({max_in_flight})"
        return RpcError(INVALID_REQUEST, message)
    return None


class Batch:
    """Collects the response frames of one JSON-RPC batch and sends them as one array.

    The connection appends each answer to :attr:`frames`, counts the requests
    still running as tasks in :attr:`outstanding` (each calls
    :meth:`finish_one` when it ends) and calls :meth:`seal` once every item
    was dispatched; the array goes out when both are done.
    """

    __slots__ = ("frames", "outstanding", "responder", "sealed", "write")

    def __init__(self, write: Callable[[bytes], None], responder: Responder | None) -> None:
        #: Where the array goes without a responder (the connection's own write).
        self.write = write
        self.responder = responder
        self.frames: list[bytes] = []
        self.outstanding = 0
        self.sealed = False

    def seal(self) -> None:
        """Every item was dispatched: send the array now if no request is still running."""
        self.sealed = True
        self.flush()

    def finish_one(self) -> None:
        """One request that ran as a task has ended (its answer, if any, is in :attr:`frames`)."""
        self.outstanding -= 1
        self.flush()

    def flush(self) -> None:
        if self.sealed and self.outstanding == 0:
            frames, self.frames = self.frames, []
            array = join(frames) if frames else None
            if self.responder is not None:
                self.responder.reply(array, None)  # None: all notifications, no answer at all
            elif array is not None:
                self.write(array)
