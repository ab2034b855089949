"""The client role of one MCP connection: requests out, answers in, server requests served.

:class:`ClientSession` sits on the same layers as the server's
:class:`~mcpcore.router.Connection`: a transport hands it whole frames
(:meth:`ClientSession.receive_frame`) and gives it a sink with one method,
``write(bytes)``. It never reads a pipe or a socket itself, so the same
session runs over stdio, over HTTP, and in tests over a list.

What it owns:

* **correlation**, through the same :class:`~mcpcore.correlator.Correlator`
  the server role uses: every outgoing request gets a fresh integer id and a
  future; the answer resolves it. A per-request timeout sends
  ``notifications/cancelled`` and raises :class:`RequestTimeoutError`; when the
  connection drops every pending future fails with
  :class:`ConnectionClosedError` at once, so nothing ever hangs.
* **the boundary**: everything the server sends is read through
  :data:`mcpcore.inbound.CLIENT` first. A malformed request gets -32602, a
  malformed notification is ignored, a malformed result fails the request
  that waited for it.
* **the era**: legacy (``initialize`` handshake) or modern (2026-07-28
  per-request ``_meta`` envelope), chosen by :meth:`ClientSession.connect`
  with the spec's auto detection (``server/discover`` first, ``initialize``
  if that does not work; CHECKLIST §2.3).
* **server -> client traffic**: progress and log notifications go to
  callbacks; ``ping``, ``sampling/createMessage``, ``elicitation/create`` and
  ``roots/list`` requests go to handlers, each in its own task (legacy); the
  same handlers fulfil 2026-07-28 ``InputRequiredResult`` rounds (MRTR). That
  contract is :class:`~mcpcore.client.served.ServedRequests`.
* **the response cache** for 2026-07-28 cacheable results (``ttlMs``).
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final, Literal, Protocol, cast

from mcpcore import jsonrpc, versions
from mcpcore.client.cache import CACHEABLE_METHODS, ResponseCache
from mcpcore.client.served import RequestHandler, ServedRequests, derive_capabilities, pong
from mcpcore.client.subscription import DEFAULT_MAX_BUFFERED, Subscription
from mcpcore.client.tasks import ClientTasks, follow
from mcpcore.correlator import Correlator, Outgoing
from mcpcore.errors import (
    INTERNAL_ERROR,
    UNSUPPORTED_PROTOCOL_VERSION,
    ConnectionClosedError,
    LocalProtocolError,
    RemoteProtocolError,
    RequestTimeoutError,
    RpcError,
)
from mcpcore.inbound import CLIENT, META_SUBSCRIPTION_ID
from mcpcore.registry.tasks import EXTENSION as TASKS_EXTENSION
from mcpcore.session import (
    META_CLIENT_CAPABILITIES,
    META_CLIENT_INFO,
    META_LOG_LEVEL,
    META_PROTOCOL_VERSION,
    META_SERVER_INFO,
)
from mcpcore.stores.tasks import TaskLimits
from mcpcore.wire.lines import FrameTooLarge

__all__ = [
    "CACHEABLE_METHODS",
    "ClientSession",
    "Era",
    "LogCallback",
    "Mode",
    "NotificationCallback",
    "ProgressCallback",
    "RequestHandler",
    "ServerInfo",
    "Sink",
    "Subscription",
]

_log = logging.getLogger("mcpcore.client")


Mode = Literal["auto", "legacy", "modern"]
Era = Literal["legacy", "modern"]

#: ``(progress, total, message)`` for one request's ``notifications/progress``.
ProgressCallback = Callable[[float, "float | None", "str | None"], Any]
#: ``notifications/message`` params (``level``, ``logger``, ``data``).
LogCallback = Callable[[dict[str, Any]], Any]
#: Any other notification: ``(method, params)``.
NotificationCallback = Callable[[str, dict[str, Any]], Any]

#: Methods the 2026-07-28 spec lets a server answer with ``InputRequiredResult``.
_MRTR_METHODS: Final = frozenset({"tools/call", "prompts/get", "resources/read"})


class Sink(Protocol):
    """Where the session's outgoing frames go (a pipe transport, an HTTP poster, a test list)."""

    def write(self, data: bytes) -> None: ...


@dataclass(slots=True)
class ServerInfo:
    """What the client learned about the server when it connected."""

    era: Era
    protocol_version: str
    capabilities: dict[str, Any]
    info: dict[str, Any] | None
    instructions: str | None = None
    #: ``server/discover``'s ``supportedVersions`` (modern), else just the negotiated version.
    supported_versions: list[str] = field(default_factory=list)


class ClientSession:
    """One client connection, independent of the transport.

    ``capabilities`` are declared to the server (in ``initialize``, or on every
    modern request); they are derived from the handlers given unless passed
    explicitly. ``timeout`` is the default per-request deadline in seconds
    (``None``: wait forever); ``max_input_rounds`` bounds MRTR retries.
    """

    def __init__(
        self,
        sink: Sink,
        *,
        client_info: dict[str, Any] | None = None,
        capabilities: dict[str, Any] | None = None,
        handlers: dict[str, RequestHandler] | None = None,
        on_log: LogCallback | None = None,
        on_notification: NotificationCallback | None = None,
        timeout: float | None = 60.0,
        log_level: str | None = None,
        cache: bool = True,
        max_input_rounds: int = 8,
        tasks: bool | TaskLimits = False,
    ) -> None:
        if max_input_rounds < 0:
            raise ValueError("max_input_rounds must be >= 0")
        self._sink = sink
        self.client_info = client_info or {"name": "mcpcore-client", "version": "0"}
        self.handlers: dict[str, RequestHandler] = {"ping": pong, **(handlers or {})}
        #: Client-hosted tasks (2025-11-25): the server may run sampling/elicitation here as tasks.
        self.tasks: ClientTasks | None = None
        if tasks is not False:
            self.tasks = ClientTasks(tasks if isinstance(tasks, TaskLimits) else None)
            self.handlers.update(self.tasks.handlers())
        if capabilities is None:
            capabilities = derive_capabilities(self.handlers, self.tasks)
        self.capabilities = capabilities
        self.on_log = on_log
        self.on_notification = on_notification
        self.timeout = timeout
        self.log_level = log_level
        #: The 2026-07-28 response cache (``cache=False``: every request goes to the server).
        self.cache = ResponseCache(cache)
        self.max_input_rounds = max_input_rounds
        self.server: ServerInfo | None = None
        self.closed = False
        #: Every message the peer sent, decoded, before dispatch (the conformance checker listens here).
        self.observers: list[Callable[[Any], None]] = []
        self._outgoing = Correlator(CLIENT)
        self._progress: dict[int | str, ProgressCallback] = {}
        #: The server's requests being served (each in its own task).
        self.served = ServedRequests(self)
        self._subscriptions: dict[int | str, Subscription] = {}
        self._callbacks: set[asyncio.Future[Any]] = set()
        self._close_reason = "the connection closed"

    # ------------------------------------------------------------------ state

    @property
    def era(self) -> Era | None:
        return self.server.era if self.server is not None else None

    @property
    def protocol_version(self) -> str | None:
        return self.server.protocol_version if self.server is not None else None

    @property
    def pending(self) -> int:
        """Requests sent and not yet answered."""
        return len(self._outgoing)

    def method_of(self, request_id: object) -> str | None:
        """The method of a request still waiting for its answer (observers use it to read responses)."""
        return self._outgoing.method_of(request_id)

    # ------------------------------------------------------------------ input

    def receive_frames(self, frames: list[bytes | FrameTooLarge]) -> None:
        for frame in frames:
            self.receive_frame(frame)

    def receive_frame(self, frame: bytes | FrameTooLarge) -> None:
        """Decode one frame from the server and dispatch it; garbage is logged, never answered."""
        if type(frame) is FrameTooLarge:
            _log.warning("dropped a server message over the %d-byte limit", frame.limit)
            self._observe(frame)
            return
        try:
            msg = jsonrpc.decode(frame)  # type: ignore[arg-type]
        except RemoteProtocolError as exc:
            _log.warning("dropped an unparseable server message: %s", exc.error.message)
            self._observe(exc)
            return
        self.receive_message(msg)

    def receive_message(self, msg: Any) -> None:
        """Dispatch one decoded message (HTTP transports call this with parsed JSON)."""
        self._observe(msg)
        if type(msg) is list:  # a batch (2025-03-26 servers may send them)
            for item in msg:
                self._dispatch(item)
            return
        self._dispatch(msg)

    def _observe(self, msg: Any) -> None:
        for observer in self.observers:
            try:
                observer(msg)
            except Exception:
                _log.exception("message observer failed")

    def _dispatch(self, msg: Any) -> None:
        try:
            kind = jsonrpc.classify(msg)
        except RemoteProtocolError as exc:
            if jsonrpc.is_notification_envelope(msg):
                _log.debug("ignored a malformed %s notification: %s", msg["method"], exc.error.message)
            elif type(msg) is dict and "method" in msg:
                # A request the client cannot serve is answered, with id null when its id is unusable
                # (JSON-RPC §5), exactly as the server role does.
                self.write(jsonrpc.encode_error(exc.request_id, exc.error))
            elif type(msg) is dict and msg.get("id") is None and "error" in msg:
                _log.warning("server reported an error without an id: %r", msg.get("error"))
            else:
                _log.warning("dropped a malformed server message: %s", exc.error.message)
            return
        if kind in (jsonrpc.RESPONSE, jsonrpc.ERROR_RESPONSE):
            self._on_response(msg, kind)
        elif kind == jsonrpc.NOTIFICATION:
            self._on_notification(msg["method"], msg.get("params") or {})
        else:
            self.served.receive(msg)

    def _on_response(self, msg: dict[str, Any], kind: int) -> None:
        request_id = msg.get("id")
        if request_id is None:  # an error the server could not pin to a request
            _log.warning("server error without an id: %r", msg.get("error"))
        elif not self._outgoing.resolve(msg, kind):
            _log.debug("response to unknown or finished request %r", request_id)

    def _on_notification(self, method: str, params: dict[str, Any]) -> None:
        problem = CLIENT.notification_problem(method, params)
        if problem is not None:
            _log.debug("ignored %s from the server: %s", method, problem)
            return
        if method == "notifications/progress":
            callback = self._progress.get(params["progressToken"])
            if callback is not None:
                self._call_back(callback, params.get("progress"), params.get("total"), params.get("message"))
            return
        if method == "notifications/cancelled":
            self._on_cancelled(params)
            return
        meta = params.get("_meta")
        if type(meta) is dict and META_SUBSCRIPTION_ID in meta:
            subscription = self._subscriptions.get(meta[META_SUBSCRIPTION_ID])
            if subscription is not None:
                subscription.deliver({"method": method, "params": params})
        self.cache.invalidated_by(method)
        if method == "notifications/message" and self.on_log is not None:
            self._call_back(self.on_log, params)
        elif self.on_notification is not None:
            self._call_back(self.on_notification, method, params)

    def _on_cancelled(self, params: dict[str, Any]) -> None:
        request_id = params.get("requestId")
        if request_id is None:
            return
        if self.served.cancel(request_id):
            return
        subscription = self._subscriptions.get(request_id)
        if subscription is not None:  # the server tore a subscriptions/listen stream down
            subscription.end()

    def _call_back(self, callback: Callable[..., Any], *args: Any) -> None:
        """Run a user callback; a coroutine result becomes a task, an exception is logged."""
        try:
            outcome = callback(*args)
            if inspect.isawaitable(outcome):
                task = asyncio.ensure_future(outcome)
                self._callbacks.add(task)  # a strong reference until it finishes
                task.add_done_callback(self._callbacks.discard)
        except Exception:
            _log.exception("client callback %r failed", callback)

    # ----------------------------------------------------------------- output

    def write(self, frame: bytes) -> None:
        if not self.closed:
            self._sink.write(frame)

    def notify(self, method: str, params: dict[str, Any] | None = None) -> None:
        """Send a notification (modern sessions add the envelope where the spec wants one)."""
        if self.closed:
            raise ConnectionClosedError(f"cannot send {method}: {self._close_reason}")
        self.write(jsonrpc.encode_notification(method, params))

    def envelope(self, version: str | None = None) -> dict[str, Any]:
        """The 2026-07-28 per-request ``_meta`` envelope for this client."""
        meta: dict[str, Any] = {
            META_PROTOCOL_VERSION: version or self.protocol_version or versions.LATEST_MODERN,
            META_CLIENT_CAPABILITIES: _modern_capabilities(self.capabilities),
            META_CLIENT_INFO: self.client_info,
        }
        if self.log_level is not None:
            meta[META_LOG_LEVEL] = self.log_level
        return meta

    def _params_for(
        self, params: dict[str, Any] | None, version: str | None, progress_token: int | str | None
    ) -> dict[str, Any] | None:
        """Add the modern envelope and the progress token to a request's ``_meta``."""
        modern = version is not None
        if not modern and progress_token is None:
            return params
        params = dict(params) if params else {}
        meta = dict(params.get("_meta") or {})
        if modern:
            meta = {**self.envelope(version), **meta}
        if progress_token is not None:
            meta["progressToken"] = progress_token
        params["_meta"] = meta
        return params

    async def send_request(
        self,
        method: str,
        params: dict[str, Any] | None = None,
        *,
        timeout: float | Literal["default"] | None = "default",
        progress: ProgressCallback | None = None,
        modern_version: str | None = None,
    ) -> Any:
        """Send exactly one request and wait for its answer (no envelope logic beyond ``modern_version``).

        Raises ``RpcError`` for an error answer, :class:`RequestTimeoutError`
        after ``timeout`` (the server is sent ``notifications/cancelled``), and
        :class:`ConnectionClosedError` when the connection drops first.
        """
        if self.closed:
            raise ConnectionClosedError(f"cannot send {method}: {self._close_reason}")
        if timeout == "default":
            timeout = self.timeout
        entry = self._outgoing.open(method)
        token: int | str | None = None
        if progress is not None:
            token = entry.request_id
            self._progress[token] = progress
        try:
            self.write(
                jsonrpc.encode_request(
                    entry.request_id, method, self._params_for(params, modern_version, token)
                )
            )
            return await self._outgoing.wait(entry, timeout, self._abandon)
        finally:
            if token is not None:
                self._progress.pop(token, None)

    def fail(self, request_id: int | str, exc: BaseException) -> bool:
        """Fail one pending request with ``exc`` (a transport learned it can never be answered)."""
        return self._outgoing.fail(request_id, exc)

    def cancel(self, request_id: int | str, reason: str) -> None:
        """Tell the server we no longer want an answer (never for ``initialize``, as the spec says)."""
        entry = self._outgoing.take(request_id)
        if entry is None:
            return
        if not entry.future.done():
            entry.future.cancel()
        self._abandon(entry, reason)

    def _abandon(self, entry: Outgoing, reason: str) -> None:
        if self.closed or entry.method == "initialize":
            return
        self.write(
            jsonrpc.encode_notification(
                "notifications/cancelled", {"requestId": entry.request_id, "reason": reason}
            )
        )

    async def request(
        self,
        method: str,
        params: dict[str, Any] | None = None,
        *,
        timeout: float | Literal["default"] | None = "default",
        progress: ProgressCallback | None = None,
    ) -> dict[str, Any]:
        """Send a request in the connected era and return its complete result.

        Modern: adds the ``_meta`` envelope, answers ``InputRequiredResult``
        rounds with the client's handlers and retries (new id each time),
        honours the response cache, and rejects unknown ``resultType`` values.
        """
        server = self.server
        if server is None or server.era == "legacy":
            result = await self.send_request(method, params, timeout=timeout, progress=progress)
            return _as_result(result)
        version = server.protocol_version
        key = self.cache.key(method, params)
        if key is not None:
            cached = self.cache.get(key)
            if cached is not None:
                return cached
        retry_params = params
        for _round in range(self.max_input_rounds + 1):
            result = _as_result(
                await self.send_request(
                    method, retry_params, timeout=timeout, progress=progress, modern_version=version
                ),
            )
            kind = result.get("resultType", "complete")
            if kind == "complete":
                if key is not None and retry_params is params:
                    self.cache.store(key, result)
                return result
            if kind == "task" and method == "tools/call" and self._declares_tasks():
                return await self._follow(result, timeout, version)
            if kind != "input_required" or method not in _MRTR_METHODS:
                raise RemoteProtocolError(
                    RpcError(INTERNAL_ERROR, f"{method}: unexpected resultType {kind!r} from the server")
                )
            retry_params = await self._fulfil(params, result)
        raise RemoteProtocolError(
            RpcError(INTERNAL_ERROR, f"{method}: still input_required after {self.max_input_rounds} rounds")
        )

    def _declares_tasks(self) -> bool:
        """Whether this client's 2026-07-28 requests declare the tasks extension."""
        extensions = _modern_capabilities(self.capabilities).get("extensions")
        return type(extensions) is dict and type(extensions.get(TASKS_EXTENSION)) is dict

    async def _follow(
        self, created: dict[str, Any], timeout: float | Literal["default"] | None, version: str
    ) -> dict[str, Any]:
        """A ``CreateTaskResult`` for ``tools/call``: poll the task to its end (at most ``timeout``)."""

        async def send(method: str, params: dict[str, Any]) -> dict[str, Any]:
            answer = await self.send_request(method, params, timeout=timeout, modern_version=version)
            return _as_result(answer)

        bound = self.timeout if timeout == "default" else timeout
        try:
            return await asyncio.wait_for(follow(created, send, self.served.answer), bound)
        except asyncio.TimeoutError:
            raise RequestTimeoutError(
                f"task {created.get('taskId')!r} did not finish within {bound} s"
            ) from None

    async def _fulfil(self, params: dict[str, Any] | None, result: dict[str, Any]) -> dict[str, Any]:
        """Answer an InputRequiredResult's requests; return the params of the retry."""
        responses = await self.served.answer(result.get("inputRequests") or {})
        retry = {
            key: value
            for key, value in (params or {}).items()
            if key not in ("inputResponses", "requestState")
        }
        if responses:
            retry["inputResponses"] = responses
        if "requestState" in result:
            retry["requestState"] = result["requestState"]
        return retry

    def clear_cache(self) -> None:
        """Forget every cached result."""
        self.cache.clear()

    # -------------------------------------------------------------- lifecycle

    async def initialize(self, version: str = versions.LATEST_LEGACY) -> ServerInfo:
        """Run the legacy handshake; the server's chosen version must be one we speak."""
        result = await self.send_request(
            "initialize",
            {"protocolVersion": version, "capabilities": self.capabilities, "clientInfo": self.client_info},
        )
        chosen = result["protocolVersion"]  # the result's shape is checked on arrival
        if chosen not in versions.LEGACY_VERSIONS:
            raise LocalProtocolError(
                f"server chose protocol version {chosen!r}, which this client does not speak"
            )
        self.server = ServerInfo(
            era="legacy",
            protocol_version=chosen,
            capabilities=result.get("capabilities") or {},
            info=result.get("serverInfo"),
            instructions=result.get("instructions"),
            supported_versions=[chosen],
        )
        self.notify("notifications/initialized")
        return self.server

    async def discover(
        self, version: str = versions.LATEST_MODERN, *, timeout: float | None = None
    ) -> ServerInfo:
        """``server/discover`` in the 2026-07-28 envelope; retries once with a mutual version on -32022.

        The retry happens even when the mutual version is the one just refused
        (a server, or an intermediary, may list a version and still refuse it
        once): one bounded retry costs a round trip, and a second refusal raises.
        """
        wait: float | Literal["default"] | None = "default" if timeout is None else timeout
        try:
            result = await self.send_request("server/discover", {}, modern_version=version, timeout=wait)
        except RpcError as exc:
            mutual = _mutual_modern(exc)
            if mutual is None:
                raise
            result = await self.send_request("server/discover", {}, modern_version=mutual, timeout=wait)
            version = mutual
        supported: list[str] = result["supportedVersions"]  # the result's shape is checked on arrival
        if version not in supported:
            mutual_versions = [v for v in versions.MODERN_VERSIONS if v in supported]
            if not mutual_versions:
                raise LocalProtocolError(f"server supports none of our modern versions: {supported}")
            version = mutual_versions[0]
        meta = result.get("_meta")
        self.server = ServerInfo(
            era="modern",
            protocol_version=version,
            capabilities=result.get("capabilities") or {},
            info=meta.get(META_SERVER_INFO) if type(meta) is dict else None,
            instructions=result.get("instructions"),
            supported_versions=supported,
        )
        key = self.cache.key("server/discover", {})
        if key is not None:
            self.cache.store(key, result)
        return self.server

    async def connect(
        self,
        mode: Mode = "auto",
        *,
        version: str | None = None,
        discover_timeout: float = 5.0,
    ) -> ServerInfo:
        """Choose the era: ``legacy`` handshakes, ``modern`` discovers, ``auto`` tries discover first.

        Auto detection (CHECKLIST §2.3): a DiscoverResult or a recognised
        modern error means modern; any other error or a timeout means legacy,
        and the client falls back to ``initialize``. The fallback never keys
        on one error code.
        """
        if mode == "legacy":
            return await self.initialize(version or versions.LATEST_LEGACY)
        if mode == "modern":
            return await self.discover(version or versions.LATEST_MODERN)
        if mode != "auto":
            raise ValueError(f"unknown mode {mode!r}")
        try:
            info = await self.discover(version or versions.LATEST_MODERN, timeout=discover_timeout)
        except (RpcError, RequestTimeoutError, RemoteProtocolError, LocalProtocolError) as exc:
            if isinstance(exc, RpcError) and _mutual_modern(exc) is not None:
                raise  # the server is modern and still refused: falling back would hide the reason
            _log.debug("server/discover failed (%s); falling back to initialize", exc)
            legacy = version if version in versions.LEGACY_VERSIONS else versions.LATEST_LEGACY
            return await self.initialize(legacy)
        return info

    # --------------------------------------------------------- subscriptions

    async def listen(
        self,
        notifications: dict[str, Any],
        *,
        timeout: float | None = 30.0,
        max_buffered: int = DEFAULT_MAX_BUFFERED,
    ) -> Subscription:
        """Open a 2026-07-28 ``subscriptions/listen`` stream; waits for its acknowledgement.

        Up to ``max_buffered`` notifications wait for the reader; past that the
        newest are dropped (counted in ``Subscription.dropped`` and logged), so
        a server cannot grow the client's memory while nobody reads.
        """
        if self.era != "modern":
            raise LocalProtocolError("subscriptions/listen needs a 2026-07-28 (modern) connection")
        entry = self._outgoing.open("subscriptions/listen")
        subscription = Subscription(self, entry.request_id, max_buffered)
        self._subscriptions[entry.request_id] = subscription
        entry.future.add_done_callback(lambda answer: self._listen_answered(entry.request_id, answer))
        params = self._params_for({"notifications": notifications}, self.protocol_version, None)
        self.write(jsonrpc.encode_request(entry.request_id, "subscriptions/listen", params))
        await subscription.acknowledged(timeout)
        return subscription

    def _listen_answered(self, request_id: int | str, answer: asyncio.Future[Any]) -> None:
        """The listen request got its answer: the stream is over (2026-07-28 graceful completion).

        A ``SubscriptionsListenResult`` means the server ended the stream on
        purpose; an error or a dropped connection ends it too. Either way the
        reader drains what is buffered, then stops; :attr:`Subscription.outcome`
        holds the result (or the exception).
        """
        subscription = self._subscriptions.pop(request_id, None)
        outcome: Any = None if answer.cancelled() else (answer.exception() or answer.result())
        if subscription is not None:
            subscription.outcome = outcome
            subscription.end()

    def end_subscription(self, request_id: int | str) -> None:
        """Forget a listen stream and cancel its request (``Subscription.close`` calls this)."""
        self._subscriptions.pop(request_id, None)
        if request_id in self._outgoing:
            self.cancel(request_id, "subscription closed by the client")

    # --------------------------------------------------------------- shutdown

    def connection_lost(self, reason: str = "the connection closed") -> None:
        """Fail every pending request at once and stop everything running for the server."""
        if self.closed:
            return
        self.closed = True
        self._close_reason = reason
        self._outgoing.close(lambda entry: f"{entry.method}: {reason} before the server answered")
        self.served.close()
        if self.tasks is not None:
            self.tasks.close()
        for subscription in self._subscriptions.values():
            subscription.end()


def _modern_capabilities(capabilities: dict[str, Any]) -> dict[str, Any]:
    """2026-07-28 capabilities: the legacy ``tasks`` capability becomes the tasks extension."""
    if "tasks" not in capabilities:
        return capabilities
    modern = {key: value for key, value in capabilities.items() if key != "tasks"}
    extensions = modern.get("extensions")
    modern["extensions"] = {**(extensions if type(extensions) is dict else {}), TASKS_EXTENSION: {}}
    return modern


def _as_result(result: Any) -> dict[str, Any]:
    """A result the correlator let through: the contract guarantees an object for every method."""
    return cast("dict[str, Any]", result)


def _mutual_modern(exc: RpcError) -> str | None:
    """The modern version to retry with, when ``exc`` is a recognised -32022 listing one we speak."""
    if exc.code != UNSUPPORTED_PROTOCOL_VERSION or type(exc.data) is not dict:
        return None
    supported = exc.data.get("supported")
    if type(supported) is not list:
        return None
    return next((v for v in versions.MODERN_VERSIONS if v in supported), None)
