"""Legacy sessions shared through a session store: any replica serves any POST of any session.

Only with ``HttpOptions(session_store=...)``; without one the endpoint keeps
its single-process path, which awaits nothing per POST.

What a replica does here that one process need not:

* ``initialize`` creates the session's record before its answer leaves
  (within the fleet-wide caps ``max_sessions`` and
  ``max_sessions_per_principal``: the store evicts the least recently used
  sessions, whichever replica made them), and
  ``logging/setLevel``, ``resources/subscribe`` and ``resources/unsubscribe``
  rewrite it before theirs: so whichever replica the client's next request
  reaches already sees what it changed. If the store cannot be written, the
  request gets 503 with a JSON-RPC error instead of an answer nobody else
  would honour;
* a request naming a session this replica does not hold loads the record
  (principal binding: another principal's token gets 404, as for a session
  that does not exist) and rebuilds a local connection, ready, with the
  negotiated version, client capabilities, log level and subscriptions. The
  local table then caches it (bounded and reaped as any session);
* every request of a shared session touches the record first: that restarts
  its idle clock (expiry is the store's TTL) and makes a ``DELETE`` served by
  another replica, or an expiry, a 404 here too;
* requests to the client (elicitation, sampling, roots) are numbered from
  this replica's range, so a client's answer that reaches another replica is
  forwarded to this one through the store and resolves the waiting handler;
* a message that belongs to no POST (a list change, a resource update, a
  request outside any call) goes to the session's GET stream: here if this
  replica holds it, else forwarded to the replica the record names (the last
  to open one). There it is sent, or held, bounded, for the next GET.

* a client's ``notifications/cancelled`` is also published on the server's
  subscription bus: the replica running the named request, wherever it is,
  cancels it as if the notification had reached it (request ids are the
  client's, so no replica can tell from one which replica runs it).

Known limit: one GET stream per session is enforced per replica, not across
them.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any, Final

import orjson

from mcpcore.errors import INTERNAL_ERROR, INVALID_REQUEST
from mcpcore.inbound import SERVER
from mcpcore.session import Envelope
from mcpcore.stores.memory import InMemoryBus
from mcpcore.stores.sessions import REPLICA_SHIFT, SessionRecord, SessionStore, replica_of
from mcpcore.transport.exchange import Exchange, Headers, HttpRequestInfo, principal_of, reject
from mcpcore.transport.legacy_posts import PostStream

if TYPE_CHECKING:
    from mcpcore.transport.legacy_sessions import LegacyHttpSession
    from mcpcore.transport.streamable import StreamableHTTP

__all__ = ["HeldExchange", "SharedSessions"]

_log = logging.getLogger("mcpcore.http")

#: What a forwarded message is (its first byte): the client's answer, or a frame for the GET stream.
_ANSWER: Final = b"a"
_OUTBOUND: Final = b"o"

#: The bus topic carrying a client's ``notifications/cancelled`` to every replica.
TOPIC_CANCELLED: Final = "session_cancelled"

#: The longest string request id whose cancellation is forwarded (ids are short; the bus stays cheap).
_MAX_FORWARDED_ID: Final = 256

#: Methods whose answer waits until the session's record is rewritten.
_RECORDED: Final = frozenset(
    {"initialize", "logging/setLevel", "resources/subscribe", "resources/unsubscribe"}
)


class HeldExchange:
    """An exchange whose answer is held until :meth:`release` (or dropped by :meth:`discard`).

    The answer to a state-changing request must not reach the client before
    the store has the new state: the client's next request may reach another
    replica at once.
    """

    def __init__(self, exchange: Exchange) -> None:
        self._exchange = exchange
        self._calls: list[Callable[[], None]] | None = []

    @property
    def closed(self) -> bool:
        return self._exchange.closed

    @closed.setter
    def closed(self, value: bool) -> None:
        self._exchange.closed = value

    @property
    def on_close(self) -> Callable[[], None] | None:
        return self._exchange.on_close

    @on_close.setter
    def on_close(self, callback: Callable[[], None] | None) -> None:
        self._exchange.on_close = callback

    def _do(self, call: Callable[[], None]) -> None:
        if self._calls is None:
            call()
        else:
            self._calls.append(call)

    def respond(self, status: int, headers: Headers, body: bytes) -> None:
        self._do(lambda: self._exchange.respond(status, headers, body))

    def start_stream(self, status: int, headers: Headers) -> None:
        self._do(lambda: self._exchange.start_stream(status, headers))

    def send(self, data: bytes) -> None:
        self._do(lambda: self._exchange.send(data))

    def end(self) -> None:
        self._do(self._exchange.end)

    def pending_bytes(self) -> int:
        return self._exchange.pending_bytes()

    def abort(self) -> None:
        self._exchange.abort()

    def release(self) -> None:
        """Send what was held; from now on everything passes straight through."""
        calls, self._calls = self._calls, None
        for call in calls or ():
            if self._exchange.closed:
                return
            call()

    def discard(self) -> None:
        """Drop what was held (the caller answers the exchange itself); later calls pass through."""
        self._calls = None


class SharedSessions:
    """The endpoint's legacy sessions as one replica of many (see the module docstring)."""

    def __init__(self, endpoint: StreamableHTTP, store: SessionStore) -> None:
        self.endpoint = endpoint
        self.store = store
        #: This replica's number in the fleet (0 until joined).
        self.replica = 0
        self._joined: asyncio.Future[None] | None = None
        #: Requests being served (strong references until they finish).
        self._tasks: set[asyncio.Task[None]] = set()
        self._unsubscribe: Callable[[], None] | None = None

    @property
    def first_request_id(self) -> int:
        return (self.replica << REPLICA_SHIFT) + 1

    async def _join(self) -> None:
        """Join the fleet once (concurrent first requests wait for the same join)."""
        joined = self._joined
        if joined is None:
            joined = self._joined = asyncio.get_running_loop().create_future()
            try:
                self.replica = await self.store.join(self._deliver)
                self._unsubscribe = self.endpoint.server.bus.subscribe((TOPIC_CANCELLED,), self._cancelled)
            except BaseException as exc:
                self._joined = None
                joined.set_exception(exc)
                joined.exception()  # retrieved: the caller gets it raised below
                raise
            joined.set_result(None)
            return
        await asyncio.shield(joined)

    # ------------------------------------------------------------------ POST

    async def post(
        self,
        msg: Any,
        exchange: Exchange,
        http_request: HttpRequestInfo,
        session_id: str | None,
        use_sse: bool,
    ) -> None:
        """One legacy POST of a shared session (``session_id`` None: an ``initialize``)."""
        request_id = msg.get("id") if type(msg) is dict else None
        principal = principal_of(http_request.access_token)
        if session_id is None:
            try:
                await self._join()
            except Exception as exc:
                _unavailable(exchange, exc, request_id)
                return
            session = self.endpoint.sessions.open(principal, first_request_id=self.first_request_id)
            if session is None:
                reject(exchange, 503, INVALID_REQUEST, "Service unavailable: too many sessions")
                return
            created = True
        else:
            found = await self.find(session_id, principal, exchange, request_id)
            if found is None:
                return
            session, created = found, False
        if self._forward_answer(session, msg):
            exchange.respond(202, [], b"")
            return
        if type(msg) is dict and msg.get("method") == "notifications/cancelled" and "id" not in msg:
            self._publish_cancelled(session, msg.get("params"))
        recorded = created or (type(msg) is dict and msg.get("method") in _RECORDED)
        held = HeldExchange(exchange) if recorded else None
        stream = PostStream(session, held or exchange, use_sse, http_request)
        if created:
            stream.session_header = session.session_id
        try:
            stream.feed(msg)
        except BaseException:
            if created:  # a session nobody ever learned the id of
                self.endpoint.sessions.end(session)
            raise
        if held is None:
            return
        try:
            await (self.create(session) if created else self.record(session))
        except Exception as exc:
            held.discard()
            if created:
                self.endpoint.sessions.end(session)
            _unavailable(exchange, exc, request_id)
            return
        held.release()

    def _forward_answer(self, session: LegacyHttpSession, msg: Any) -> bool:
        """A client's answer to another replica's request: send it there (True), else False."""
        if type(msg) is not dict or "method" in msg or "id" not in msg:
            return False
        replica = replica_of(msg["id"])
        if replica in (0, self.replica):
            return False
        self.store.forward(replica, session.session_id, _ANSWER + orjson.dumps(msg))
        return True

    def relay(self, session: LegacyHttpSession, frame: bytes) -> bool:
        """A message of no request, and another replica holds the GET stream: send it there.

        A list change or resource update travels on a shared subscription bus
        to every replica, the stream's holder included, which delivers it
        itself; relaying this replica's copy too would send it twice.
        """
        replica = session.stream_replica
        if replica in (0, self.replica):
            return False
        if not isinstance(self.endpoint.server.bus, InMemoryBus) and _fanned_out(frame):
            return True
        self.store.forward(replica, session.session_id, _OUTBOUND + frame)
        return True

    def _deliver(self, session_id: str, message: bytes) -> None:
        """A message another replica forwarded: a client's answer for us, or a frame for our GET stream."""
        session = self.endpoint.sessions.sessions.get(session_id)
        if session is None or session.terminated:
            _log.debug("forwarded message for a session this replica no longer holds: dropped")
            return
        kind, body = message[:1], message[1:]
        if kind == _ANSWER:
            session.connection.receive_message(orjson.loads(body), None)
        elif kind == _OUTBOUND:
            session.hold(body)  # never relayed again: no loops between replicas

    def _publish_cancelled(self, session: LegacyHttpSession, params: Any) -> None:
        """Tell every replica the client cancelled a request (only its id travels: bounded, checked)."""
        if params is None or SERVER.notification_problem("notifications/cancelled", params) is not None:
            return  # malformed: the router here ignores it, and so do the others
        request_id = params.get("requestId")
        if request_id is None or (type(request_id) is str and len(request_id) > _MAX_FORWARDED_ID):
            return
        payload = {"replica": self.replica, "session": session.session_id, "requestId": request_id}
        self.endpoint.server.bus.publish(TOPIC_CANCELLED, orjson.dumps(payload))

    def _cancelled(self, topic: str, payload: bytes) -> None:
        """A client's ``notifications/cancelled`` that reached another replica: it may name a request here.

        The notification goes through this session's router as if it had
        arrived here (the boundary checks it again; an id not running here
        is ignored, as the spec says). The replica it reached handled it
        already, so its own copy is skipped.
        """
        forwarded = orjson.loads(payload)
        if forwarded["replica"] == self.replica:
            return
        session = self.endpoint.sessions.sessions.get(forwarded["session"])
        if session is not None and not session.terminated:
            params = {"requestId": forwarded["requestId"], "reason": "cancelled through another replica"}
            session.connection.receive_message(
                {"jsonrpc": "2.0", "method": "notifications/cancelled", "params": params}, None
            )

    def close(self) -> None:
        """Stop hearing other replicas' cancellations (the endpoint is closing)."""
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None

    # -------------------------------------------------------------- sessions

    def spawn(self, work: Coroutine[Any, Any, None], exchange: Exchange) -> None:
        """Serve one request as a task (a store does I/O); a bug still answers the request (500)."""
        task = asyncio.get_running_loop().create_task(self._guard(work, exchange))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    @staticmethod
    async def _guard(work: Coroutine[Any, Any, None], exchange: Exchange) -> None:
        try:
            await work
        except Exception:
            _log.exception("unhandled error serving a shared-session request")
            if not exchange.closed:
                reject(exchange, 500, INTERNAL_ERROR, "Internal error")

    async def find(
        self, session_id: str, principal: str | None, exchange: Exchange, request_id: Any = None
    ) -> LegacyHttpSession | None:
        """:meth:`session`, answering the exchange itself when there is none (404) or no store (503)."""
        try:
            await self._join()
            session = await self.session(session_id, principal)
        except Exception as exc:
            _unavailable(exchange, exc, request_id)
            return None
        if exchange.closed:
            return None
        if session is None:
            reject(exchange, 404, INVALID_REQUEST, "Session not found", request_id)
        return session

    async def session(self, session_id: str, principal: str | None) -> LegacyHttpSession | None:
        """The session for a request, from the local table or the store (None: answer 404).

        Touches the record either way: the idle clock restarts, a session
        deleted or expired elsewhere ends here too, and a cached copy takes
        what other replicas changed.
        """
        table = self.endpoint.sessions
        ttl = self.endpoint.options.session_idle_timeout
        local = table.get(session_id, principal)
        record = await self.store.touch(session_id, ttl)
        if local is not None and (session_id not in table or table[session_id] is not local):
            local = None  # ended while we awaited (evicted, reaped, deleted): start afresh
        if record is None or record.principal != principal:
            if local is not None:
                table.end(local)  # deleted or expired elsewhere: this copy ends too
            return None
        if local is None:
            local = table.get(session_id, principal)  # another request adopted it while we awaited
        if local is None:
            return self._adopt(record)
        # What another replica changed since this copy was made (log level, subscriptions, GET stream).
        self.endpoint.server.subscriptions.restore(local.connection, record.log_level, record.subscriptions)
        local.stream_replica = record.stream_replica
        return local

    def _adopt(self, record: SessionRecord) -> LegacyHttpSession | None:
        """A local connection for a session another replica created, ready as the record says."""
        session = self.endpoint.sessions.open(
            record.principal, record.session_id, first_request_id=self.first_request_id
        )
        if session is None:
            return None
        session.created = record.created
        session.stream_replica = record.stream_replica
        connection = session.connection
        connection.session.restore(
            Envelope(record.protocol_version, record.client_capabilities, record.client_info, modern=False)
        )
        self.endpoint.server.subscriptions.restore(connection, record.log_level, record.subscriptions)
        return session

    def _snapshot(self, session: LegacyHttpSession) -> SessionRecord | None:
        """The session's record as it stands (``None`` while ``initialize`` has not succeeded)."""
        connection = session.connection
        envelope = connection.session.envelope
        if envelope is None:
            return None
        subscriptions = self.endpoint.server.subscriptions
        return SessionRecord(
            session_id=session.session_id,
            principal=session.principal,
            protocol_version=envelope.protocol_version,
            client_capabilities=envelope.client_capabilities,
            client_info=envelope.client_info,
            log_level=subscriptions.log_threshold(connection),
            subscriptions=subscriptions.subscribed(connection),
            created=session.created,
            last_seen=time.time(),
            stream_replica=session.stream_replica,
        )

    async def create(self, session: LegacyHttpSession) -> None:
        """Record a new session within the fleet's caps (the store evicts the least recently used).

        The local table's caps bound this replica; these bound the fleet, so
        sessions opened through every replica, or kept in the store after a
        replica dropped its copy, still count. An evicted session's copy here
        ends now; other replicas end theirs at its next request (404).
        """
        record = self._snapshot(session)
        if record is None:
            return
        options = self.endpoint.options
        evicted = await self.store.create(
            record,
            options.session_idle_timeout,
            max_sessions=options.max_sessions,
            max_per_principal=options.max_sessions_per_principal,
        )
        if not evicted:
            return
        _log.info("fleet session cap reached: evicted %d least recently used session(s)", len(evicted))
        table = self.endpoint.sessions
        for session_id in evicted:
            local = table.sessions.get(session_id)
            if local is not None:
                table.end(local)

    async def record(self, session: LegacyHttpSession) -> None:
        """Rewrite the session's record (nothing while ``initialize`` has not succeeded).

        A session evicted or deleted meanwhile is not brought back: the store
        writes nothing, and the next request's touch answers 404.
        """
        record = self._snapshot(session)
        if record is not None:
            await self.store.save(record, self.endpoint.options.session_idle_timeout)

    async def claim_stream(self, session: LegacyHttpSession) -> None:
        """This replica is about to open the session's GET stream: record it first.

        Before the stream's head goes out, so by the time the client can make
        anything happen on another replica, that replica forwards here.
        """
        if session.stream_replica == self.replica:
            return
        session.stream_replica = self.replica
        try:
            await self.record(session)
        except Exception as exc:  # the stream works here; other replicas keep their old target
            _log.warning("session store unavailable: the GET stream's replica was not recorded (%s)", exc)

    async def delete(self, session: LegacyHttpSession) -> None:
        """``DELETE``: end the session on every replica (they 404 from their next touch)."""
        await self.store.delete(session.session_id)
        self.endpoint.sessions.end(session)


#: Notifications the subscription bus carries to every replica by itself.
_FAN_OUT_METHODS: Final = frozenset(
    {
        "notifications/tools/list_changed",
        "notifications/prompts/list_changed",
        "notifications/resources/list_changed",
        "notifications/resources/updated",
    }
)


def _fanned_out(frame: bytes) -> bool:
    """Whether ``frame`` (one we encoded) is a notification the bus fans out to every replica."""
    message = orjson.loads(frame)
    return type(message) is dict and message.get("method") in _FAN_OUT_METHODS


def _unavailable(exchange: Exchange, exc: Exception, request_id: Any) -> None:
    """The store failed: a clear JSON-RPC error (503), never a hang or a half-made session."""
    _log.warning("session store unavailable: %s", exc)
    if not exchange.closed:
        reject(exchange, 503, INTERNAL_ERROR, "Service unavailable: the session store failed", request_id)
