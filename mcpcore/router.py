"""One connection's dispatch: frames in, handler tasks, frames out.

:class:`Connection` is the seam between the sans-I/O layers and asyncio. A
transport hands it whole frames (``receive_frames``) and gives it a
:class:`Sink` to write to; the connection decodes each frame, applies the
lifecycle and envelope rules (:mod:`mcpcore.session`), looks the method up in
the server's table and calls the handler.

* A handler that returns a plain value is answered at once, with no task:
  that is how cheap tools stay within microseconds of a bare responder.
* A handler that returns a coroutine runs as its own task, kept in the
  in-flight table so that ``notifications/cancelled`` can cancel it. The read
  path never awaits a handler, so ``ping`` is answered while a slow tool runs.
* When ``max_in_flight`` tasks are running, the connection stops taking
  frames (the rest wait in a backlog) and asks the transport to stop reading;
  it does the same while the transport's write buffer is full.

This module is the only place where a handler's exception becomes a wire
error: :class:`~mcpcore.errors.RpcError` as raised, anything else as -32603
with the traceback logged and never sent.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import sys
from collections.abc import Callable, Coroutine
from types import CoroutineType
from typing import TYPE_CHECKING, Any, Final

import orjson

from mcpcore import jsonrpc
from mcpcore.backlog import Backlog
from mcpcore.batch import Batch
from mcpcore.batch import refusal as batch_refusal
from mcpcore.context import Context
from mcpcore.errors import (
    INTERNAL_ERROR,
    INVALID_PARAMS,
    INVALID_REQUEST,
    METHOD_NOT_FOUND,
    RemoteProtocolError,
    RpcError,
)
from mcpcore.inbound import SERVER
from mcpcore.ports import FlowControl, Handler, Method, Responder, Sink
from mcpcore.registry.input_required import InputRequired, input_required_result
from mcpcore.sender import Sender
from mcpcore.session import Envelope, LegacySession, is_modern_request, read_modern_envelope
from mcpcore.wire.lines import FrameTooLarge

if TYPE_CHECKING:
    from mcpcore.server import Server

__all__ = ["DEFAULT_MAX_IN_FLIGHT", "Connection", "FlowControl", "Handler", "Method", "Responder", "Sink"]

_log = logging.getLogger("mcpcore.router")

DEFAULT_MAX_IN_FLIGHT: Final = 1024
#: Seconds cancelled handlers get to unwind at shutdown before they are abandoned.
CANCEL_GRACE: Final = 1.0


class _Running:
    """A request whose handler runs as a task: what settling it needs once the task ends."""

    __slots__ = ("batch", "context", "dispatch_context", "task")

    def __init__(
        self,
        task: asyncio.Task[None],
        context: Context,
        batch: Batch | None,
        dispatch_context: contextvars.Context,
    ) -> None:
        self.task = task
        self.context = context
        self.batch = batch
        #: The context variables the request was dispatched in (not its task's): backlog dispatch runs there.
        self.dispatch_context = dispatch_context


class Connection(Sender):
    """The server side of one MCP connection, independent of the transport.

    What it sends on its own initiative (notifications, requests to the peer,
    :meth:`write`, :meth:`close`) is its :class:`~mcpcore.sender.Sender` half.
    """

    def __init__(
        self,
        server: Server,
        sink: Sink,
        flow: FlowControl | None = None,
        *,
        max_in_flight: int = DEFAULT_MAX_IN_FLIGHT,
        first_request_id: int = 1,
    ) -> None:
        if max_in_flight < 1:
            raise ValueError("max_in_flight must be at least 1")
        super().__init__(sink, first_request_id=first_request_id)
        self.server = server
        self.session = LegacySession()
        self.max_in_flight = max_in_flight
        self._flow = flow
        self._methods = server.methods
        self._in_flight: dict[int | str, _Running] = {}
        #: Decoded requests waiting for room (see :meth:`receive_frame`).
        self._backlog = Backlog()
        #: At the bound: new requests wait in the backlog.
        self._saturated = False
        #: The transport was asked to stop reading.
        self._reading_paused = False
        self._idle: asyncio.Event | None = None
        #: Called at the start of :meth:`shutdown` (e.g. to end open ``subscriptions/listen`` streams).
        self.on_shutdown: list[Callable[[], None]] = []

    # ------------------------------------------------------------------ input

    def receive_frames(self, frames: list[bytes | FrameTooLarge]) -> None:
        """Process frames in order (see :meth:`receive_frame`)."""
        for frame in frames:
            self.receive_frame(frame)

    def receive_frame(self, frame: bytes | FrameTooLarge, responder: Responder | None = None) -> None:
        """Decode one frame and dispatch it (bad input is answered, never raised).

        ``responder`` (see :class:`Responder`) receives everything this frame's
        request causes; without one it all goes to the connection's sink.

        While the connection is saturated (``max_in_flight`` handlers running,
        or the transport's write buffer full) new requests wait in a backlog,
        but notifications and responses are still processed: a cancellation
        or the answer a running handler waits for must never queue behind the
        requests it would make room for. Once the backlog holds
        ``max_in_flight`` requests the transport stops reading altogether.
        """
        if type(frame) is FrameTooLarge:
            message = f"Invalid request: message larger than the {frame.limit}-byte limit"
            self._reply_error(None, RpcError(INVALID_REQUEST, message), None, responder)
            return
        try:
            msg = jsonrpc.decode(frame)  # type: ignore[arg-type]
        except RemoteProtocolError as exc:
            self._reply_error(None, exc.error, None, responder)
            return
        self.receive_message(msg, responder)

    def receive_message(self, msg: Any, responder: Responder | None = None) -> None:
        """Dispatch one already-decoded message (a transport that had to parse the body already).

        Nothing a peer sends escapes from here: its faults are answered or
        ignored below, through the inbound contract. This guard is the last
        resort for a fault of our own (a bug, or a user's notification
        handler), so that even then the connection keeps serving.
        """
        try:
            if self._saturated and (
                type(msg) is list or (type(msg) is dict and "id" in msg and "method" in msg)
            ):
                self._hold(msg, responder)
            elif type(msg) is list:
                self._receive_batch(msg, responder)
            else:
                self._receive_message(msg, None, responder)
        except Exception:
            _log.exception("internal error while dispatching a message; the connection keeps serving")

    def _hold(self, msg: Any, responder: Responder | None) -> None:
        """Keep a request for later; stop reading once the backlog is as long as the in-flight bound."""
        self._backlog.hold(msg, responder)
        if len(self._backlog) >= self.max_in_flight and not self._reading_paused:
            self._reading_paused = True
            if self._flow is not None:
                self._flow.pause_reading()

    def _dispatch_held(self, msg: Any, responder: Responder | None) -> None:
        if type(msg) is list:
            self._receive_batch(msg, responder)
        else:
            self._receive_message(msg, None, responder)

    def _receive_message(self, msg: Any, batch: Batch | None, responder: Responder | None) -> None:
        try:
            kind = jsonrpc.classify(msg)
        except RemoteProtocolError as exc:
            if jsonrpc.is_notification_envelope(msg):
                # A notification whose params are broken is ignored: the peer asked for no answer.
                # (An envelope that is not JSON-RPC at all is an Invalid Request, answered with id null.)
                _log.debug("ignored a malformed %s notification: %s", msg["method"], exc.error.message)
                if batch is None and responder is not None:
                    responder.reply(None, None)
            elif type(msg) is dict and "method" not in msg and ("result" in msg or "error" in msg):
                _log.debug("dropped a malformed response from the peer: %s", exc.error.message)
                if batch is None and responder is not None:
                    responder.reply(None, None)
            else:
                self._reply_error(exc.request_id, exc.error, batch, responder)
            return
        if kind == jsonrpc.REQUEST:
            self._on_request(msg, batch, responder)
            return
        if kind == jsonrpc.NOTIFICATION:
            self._on_notification(msg)
        else:
            self.receive_response(msg, kind)
        if batch is None and responder is not None:
            responder.reply(None, None)  # nothing to answer: the transport may end the exchange

    def _receive_batch(self, items: list[Any], responder: Responder | None) -> None:
        refused = batch_refusal(items, allowed=self.session.batches_allowed, max_in_flight=self.max_in_flight)
        if refused is not None:
            self._reply_error(None, refused, None, responder)
            return
        batch = Batch(self.write, responder)
        for item in items:
            if type(item) is dict and item.get("method") == "initialize":
                request_id = item.get("id")
                self._reply_error(
                    request_id if jsonrpc.valid_id(request_id) else None,
                    RpcError(INVALID_REQUEST, "Invalid request: initialize must not be part of a batch"),
                    batch,
                )
                continue
            self._receive_message(item, batch, responder)
        batch.seal()

    # --------------------------------------------------------------- requests

    def _on_request(self, msg: dict[str, Any], batch: Batch | None, responder: Responder | None) -> None:
        request_id: int | str = msg["id"]
        method: str = msg["method"]
        params = msg.get("params")
        if params is None:
            params = {}
        if request_id in self._in_flight:
            self._reply_error(
                request_id,
                RpcError(INVALID_REQUEST, f"Invalid request: id {request_id!r} is already in use"),
                batch,
                responder,
            )
            return
        spec = self._methods.get(method)
        try:
            envelope = self._envelope_for(method, params, spec)
            assert spec is not None
            problem = SERVER.request_problem(method, params)
            if problem is not None:
                raise RpcError(INVALID_PARAMS, f"Invalid params: {problem}")
            context = Context(self, request_id, method, params, envelope, responder=responder)
            outcome = spec.handler(params, context)
        except InputRequired as exc:
            self._reply_input_required(context, exc, batch)
            return
        except RpcError as exc:
            self._reply_error(request_id, exc, batch, responder)
            return
        except Exception:
            _log.exception("handler for %s failed", method)
            self._reply_error(request_id, RpcError(INTERNAL_ERROR, "Internal error"), batch, responder)
            return
        if type(outcome) is CoroutineType:
            self._start_task(context, outcome, batch)
        else:
            self._reply_result(context, outcome, batch)

    def _envelope_for(self, method: str, params: dict[str, Any], spec: Method | None) -> Envelope | None:
        """Apply the era, lifecycle and capability rules; return the request's envelope."""
        envelope: Envelope | None
        if is_modern_request(params):
            envelope = read_modern_envelope(params)
            if spec is None or not spec.modern:
                raise RpcError(METHOD_NOT_FOUND, f"Method not found: {method}")
        elif spec is not None and not spec.legacy:
            envelope = read_modern_envelope(params)  # raises: a modern-only method without the envelope
        elif spec is None:
            raise RpcError(METHOD_NOT_FOUND, f"Method not found: {method}")
        else:
            envelope = self.session.envelope
            if envelope is None and spec.needs_session:
                raise RpcError(
                    INVALID_REQUEST, f"Invalid request: {method} before initialize (send initialize first)"
                )
        if spec.capability is not None and spec.capability not in self.server.capabilities:
            raise RpcError(
                METHOD_NOT_FOUND, f"Method not found: {method} (capability {spec.capability!r} not offered)"
            )
        return envelope

    def _start_task(self, context: Context, coro: Coroutine[Any, Any, Any], batch: Batch | None) -> None:
        """Run the handler as its own task; the task settles its request itself (see :meth:`_settle`).

        From Python 3.12 the task is eager (``asyncio.eager_task_factory``): it
        takes its first step at once, as the current task with its own copy of
        the context variables, so a handler that finishes without suspending
        (most ``async def`` tools) is answered within the read that brought it,
        with no loop turn and no in-flight entry. One that suspends goes on as
        an ordinary task. Older Pythons have no public eager task.
        """
        loop = asyncio.get_running_loop()
        if sys.version_info >= (3, 12):
            task = asyncio.eager_task_factory(loop, self._run(context, coro, batch))
            if task.done():
                return  # answered in its first step: it never was in flight
        else:
            task = loop.create_task(self._run(context, coro, batch))
        request_id = context.request_id
        assert request_id is not None
        self._in_flight[request_id] = _Running(task, context, batch, contextvars.copy_context())
        if batch is not None:
            batch.outstanding += 1
        if len(self._in_flight) >= self.max_in_flight:
            self._update_reading()

    async def _run(self, context: Context, coro: Coroutine[Any, Any, Any], batch: Batch | None) -> None:
        try:
            try:
                result = await coro
            except asyncio.CancelledError:
                self._abandon(context, batch)  # cancelled by the peer or by shutdown: no response either way
                return
            except InputRequired as exc:
                if not context.cancelled:
                    self._reply_input_required(context, exc, batch)
                    return
            except RpcError as exc:
                if not context.cancelled:
                    self._reply_error(context.request_id, exc, batch, context.responder)
                    return
            except Exception:
                _log.exception("handler for %s failed", context.method)
                if not context.cancelled:
                    self._reply_error(
                        context.request_id,
                        RpcError(INTERNAL_ERROR, "Internal error"),
                        batch,
                        context.responder,
                    )
                    return
            else:
                if not context.cancelled:
                    self._reply_result(context, result, batch)
                    return
            self._abandon(context, batch)
        finally:
            self._settle(context)

    def _abandon(self, context: Context, batch: Batch | None) -> None:
        """A cancelled request gets no response; its responder still learns that none will come."""
        if batch is None and context.responder is not None:
            context.responder.reply(None, None)

    def _settle(self, context: Context) -> None:
        """The request's task is ending: take it off the in-flight table, make room, note idleness.

        The task does this itself, last thing, instead of through a done
        callback: a callback per request costs a scheduled handle and a loop
        turn on the hottest path. A task cancelled before its first step never
        runs its coroutine, so :meth:`_cancel` adds a done callback for that
        case; whichever comes second finds the entry gone and does nothing.
        Serving the backlog is scheduled in the context the request was
        dispatched in, never the ending task's: one request's context
        variables must not leak into the next one's handler.
        """
        request_id = context.request_id
        assert request_id is not None
        running = self._in_flight.get(request_id)
        if running is None or running.context is not context:
            return  # settled already (or the id is reused by a newer request)
        del self._in_flight[request_id]
        if running.batch is not None:
            running.batch.finish_one()
        if self._saturated:
            asyncio.get_running_loop().call_soon(self._update_reading, context=running.dispatch_context)
        if not self._in_flight and self._idle is not None:
            self._idle.set()

    def _cancel(self, running: _Running) -> None:
        """Cancel a request's task; settle it when it ends even if it never got to run."""
        context = running.context
        running.task.cancel()
        running.task.add_done_callback(lambda _task: self._settle(context))

    # ---------------------------------------------------------- notifications

    def _on_notification(self, msg: dict[str, Any]) -> None:
        method: str = msg["method"]
        params = msg.get("params")
        if params is None:
            params = {}
        problem = SERVER.notification_problem(method, params)
        if problem is not None:
            _log.debug("ignored %s from the peer: %s", method, problem)
            return
        if method == "notifications/cancelled":
            self._on_cancelled(params)
        elif method == "notifications/initialized":
            self.session.initialized()
        else:
            handler = self.server.notification_handlers.get(method)
            if handler is None:
                _log.debug("ignored notification %s", method)
                return
            try:
                handler(params, self)
            except Exception:
                _log.exception("notification handler for %s failed", method)

    def _on_cancelled(self, params: dict[str, Any]) -> None:
        """Cancel the named request, running or still in the backlog; unknown ids are ignored (spec)."""
        request_id = params.get("requestId")
        if request_id is None:
            return  # 2025-11-25: a task is cancelled with tasks/cancel, not by this notification
        running = self._in_flight.get(request_id)
        if running is None:
            self._backlog.drop(request_id)
            return
        running.context.cancelled = True
        self._cancel(running)
        _log.debug("cancelled request %r: %s", request_id, params.get("reason"))

    # ----------------------------------------------------------------- output

    def _reply_result(self, context: Context, result: Any, batch: Batch | None) -> None:
        envelope = context.envelope
        if envelope is not None and envelope.modern and type(result) is dict:
            result = self.server.modern_result(result)
        try:
            frame = jsonrpc.encode_result(context.request_id, result)  # type: ignore[arg-type]
        except (TypeError, orjson.JSONEncodeError):
            # A result JSON cannot carry (a 65-bit int, an arbitrary object) is the handler's bug,
            # answered like any other handler bug rather than killing the connection.
            _log.exception("the result of %s cannot be serialized", context.method)
            self._reply_error(
                context.request_id, RpcError(INTERNAL_ERROR, "Internal error"), batch, context.responder
            )
            return
        if batch is not None:
            batch.frames.append(frame)
        elif context.responder is not None:
            context.responder.reply(frame, None)
        else:
            self.write(frame)

    def _reply_input_required(self, context: Context, exc: InputRequired, batch: Batch | None) -> None:
        """A handler asked the client for input (2026-07-28 multi-round-trip): answer InputRequiredResult."""
        try:
            if context.envelope is None or not context.envelope.modern:
                raise RpcError(
                    INTERNAL_ERROR, "Internal error: input-required answers exist only from 2026-07-28"
                )
            result = input_required_result(self.server.state_sealer, context.method, context.params, exc)
        except RpcError as error:
            self._reply_error(context.request_id, error, batch, context.responder)
            return
        self._reply_result(context, result, batch)

    def _reply_error(
        self,
        request_id: int | str | None,
        error: RpcError,
        batch: Batch | None = None,
        responder: Responder | None = None,
    ) -> None:
        try:
            frame = jsonrpc.encode_error(request_id, error)
        except (TypeError, orjson.JSONEncodeError):
            _log.exception("error data cannot be serialized: %r", error)
            error = RpcError(error.code, error.message)
            frame = jsonrpc.encode_error(request_id, error)
        if batch is not None:
            batch.frames.append(frame)
        elif responder is not None:
            responder.reply(frame, error)
        else:
            self.write(frame)

    # ------------------------------------------------------------ flow control

    def pause_writing(self) -> None:
        """The transport's write buffer is over its high-water mark: take no new requests."""
        super().pause_writing()
        self._update_reading()

    def resume_writing(self) -> None:
        """The transport's write buffer drained below its low-water mark: serve the backlog again."""
        super().resume_writing()
        self._update_reading()

    def _update_reading(self) -> None:
        """Track saturation; on room again, serve the backlog first, then read again."""
        saturated = self.writing_paused or len(self._in_flight) >= self.max_in_flight
        if saturated:
            self._saturated = True
            return
        self._saturated = False
        while self._backlog:
            self._dispatch_held(*self._backlog.pop())
            if self._saturated:
                return
        if self._reading_paused:
            self._reading_paused = False
            if self._flow is not None and not self.closed:
                self._flow.resume_reading()

    # --------------------------------------------------------------- shutdown

    @property
    def in_flight(self) -> int:
        """Requests whose handler task is still running."""
        return len(self._in_flight)

    async def shutdown(self, grace: float) -> None:
        """Answer the backlog, let running handlers finish for up to ``grace`` seconds, cancel the rest."""
        self._backlog.refuse(self.write)  # nothing is left unanswered
        for callback in self.on_shutdown:
            callback()
        if self.closed:
            grace = 0.0  # nobody can read the answers any more
        if self._in_flight:
            self._idle = asyncio.Event()
            try:
                await asyncio.wait_for(self._idle.wait(), grace)
            except asyncio.TimeoutError:
                _log.warning(
                    "cancelling %d request(s) still running after %.1f s", len(self._in_flight), grace
                )
                running = list(self._in_flight.values())
                tasks = [entry.task for entry in running]
                for entry in running:
                    self._cancel(entry)
                # Bounded: a handler that swallows CancelledError must not keep the process alive.
                _, stuck = await asyncio.wait(tasks, timeout=CANCEL_GRACE)
                if stuck:
                    _log.error("%d handler(s) ignored cancellation; abandoning them", len(stuck))
        self.close()
