"""Legacy Streamable HTTP sessions (``Mcp-Session-Id``) and the table that holds them.

Contract:

* a :class:`LegacyHttpSession` is one router connection plus its standalone
  GET stream; messages that belong to no request wait for that stream in a
  bounded backlog (oldest dropped first);
* a session is bound to the principal that created it (the bearer token's
  client and subject, when auth is on): naming it with another principal's
  token, for a POST, GET, DELETE or a ``Last-Event-ID`` resumption, is 404,
  exactly as for a session that does not exist;
* the :class:`SessionTable` is bounded (``max_sessions``, and with auth
  ``max_sessions_per_principal``): at a bound a new session evicts the least
  recently used idle one, and only when none is idle is it refused. So
  unauthenticated ``initialize`` floods cannot lock real clients out, and
  with auth one principal cannot take the table;
* idle sessions end after ``session_idle_timeout`` (one reaper timer per table).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import secrets
import time
from collections import OrderedDict, deque
from typing import TYPE_CHECKING

from mcpcore import versions
from mcpcore.errors import INVALID_REQUEST
from mcpcore.session import Envelope
from mcpcore.stores.events import EventStore, stream_of
from mcpcore.stores.memory import InMemoryEventStore
from mcpcore.transport.exchange import Exchange, reject
from mcpcore.transport.legacy_posts import RESUMABLE
from mcpcore.transport.sse_stream import SseStream
from mcpcore.wire import sse

if TYPE_CHECKING:
    from mcpcore.transport.options import HttpOptions
    from mcpcore.transport.streamable import StreamableHTTP

__all__ = ["LEGACY_HEADER_VERSIONS", "LegacyHttpSession", "SessionTable", "principal_tag", "replay_elsewhere"]

_log = logging.getLogger("mcpcore.http")

LEGACY_HEADER_VERSIONS = frozenset(versions.LEGACY_VERSIONS)

#: Resumptions waiting on an event store that does I/O (held so they are not collected mid-way).
_RESUMING: set[asyncio.Task[None]] = set()


class LegacyHttpSession:
    """One ``Mcp-Session-Id``: a router connection plus its standalone GET stream."""

    def __init__(
        self,
        endpoint: StreamableHTTP,
        session_id: str,
        principal: str | None = None,
        *,
        first_request_id: int = 1,
    ) -> None:
        self.endpoint = endpoint
        self.session_id = session_id
        self._loop: asyncio.AbstractEventLoop | None = None
        #: Who created it (see :func:`~mcpcore.transport.exchange.principal_of`); None without auth.
        self.principal = principal
        # The connection's own sink carries only what belongs to no request: the standalone stream.
        self.connection = endpoint.server.connect(self, first_request_id=first_request_id)
        #: Wall-clock creation (kept in a shared store's record; another replica's copy inherits it).
        self.created = time.time()
        #: With a shared store: the replica holding this session's GET stream (0: none known).
        self.stream_replica = 0
        self.standalone: SseStream | None = None
        #: Messages waiting for a GET stream: bounded in count and in bytes (oldest dropped first).
        self.pending: deque[bytes] = deque()
        self.pending_size = 0
        self.open_posts = 0
        self.last_used = time.monotonic()
        self.terminated = False

    @classmethod
    def stateless(
        cls, endpoint: StreamableHTTP, version: str | None, *, initialized: bool
    ) -> LegacyHttpSession:
        """A throwaway session for one POST: no id, and (unless this is ``initialize``) already set up."""
        session = cls(endpoint, "")
        if initialized:
            chosen = version if version in LEGACY_HEADER_VERSIONS else versions.LATEST_LEGACY
            session.connection.session.restore(Envelope(chosen, {}, None, modern=False))
        return session

    def end_stateless(self) -> None:
        self.endpoint.server.disconnect(self.connection)

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        """The loop it lives on, asked once (on Python 3.11 ``get_running_loop`` is a ``getpid`` call)."""
        loop = self._loop
        if loop is None:
            loop = self._loop = asyncio.get_running_loop()
        return loop

    @property
    def idle(self) -> bool:
        """No POST open and no handler running (the reaper may end it)."""
        return self.open_posts == 0 and self.connection.in_flight == 0

    @property
    def evictable(self) -> bool:
        """Idle and nobody listening on its GET stream: ending it costs its client nothing in flight."""
        return self.idle and (self.standalone is None or self.standalone.closed)

    def write(self, frame: bytes) -> None:
        """The session connection's sink (:class:`~mcpcore.ports.Sink`): messages of no request."""
        self.send_standalone(frame)

    def send_standalone(self, frame: bytes) -> None:
        """A message of no request: on the GET stream, wherever it is held (another replica's too)."""
        stream = self.standalone
        if stream is not None and not stream.closed:
            stream.send_frame(frame)
            return
        shared = self.endpoint.shared
        if shared is not None and shared.relay(self, frame):
            return
        self.hold(frame)

    def hold(self, frame: bytes) -> None:
        """Send on this process's GET stream if open, else keep the message for the next GET here."""
        stream = self.standalone
        if stream is not None and not stream.closed:
            stream.send_frame(frame)
            return
        if self.session_id == "":
            _log.debug("stateless session: dropped a message with no stream to carry it")
            return
        pending = self.pending
        pending.append(frame)
        self.pending_size += len(frame)
        options = self.endpoint.options
        while len(pending) > options.max_pending_messages or (
            self.pending_size > options.max_stream_buffer_bytes and len(pending) > 1
        ):
            self.pending_size -= len(pending.popleft())
            _log.info("session message backlog full (no GET stream reading): dropped the oldest message")

    def open_standalone(self, exchange: Exchange) -> None:
        if self.standalone is not None and not self.standalone.closed:
            reject(exchange, 409, INVALID_REQUEST, "Conflict: this session already has a GET stream open")
            return
        stream = SseStream(exchange, self.endpoint.options, self.stream_id("get"))
        self.standalone = stream
        stream.open([(b"mcp-session-id", self.session_id.encode())])
        while self.pending and not stream.closed:
            frame = self.pending.popleft()
            self.pending_size -= len(frame)
            stream.send_frame(frame)

    def stream_id(self, kind: str) -> str | None:
        """A new resumable stream's id: the session id, the kind, a random part (None: no store).

        Starting with the whole session id binds the stream, and so its
        ``Last-Event-ID`` replay, to this session; ending with the principal's
        tag binds it to the principal on replicas that do not hold the session.
        """
        if self.endpoint.options.event_store is None:
            return None
        return f"{self.session_id}{kind}{secrets.token_hex(6)}{principal_tag(self.principal)}"

    def resume(self, last_event_id: str, exchange: Exchange) -> None:
        """Replay a stream of this session after ``last_event_id``, then continue it where it lives.

        The stream must be this session's (its id starts with the session id)
        before the store is asked anything. With the in-memory store this
        runs synchronously; a store that does I/O gets a task.
        """
        store = self.endpoint.options.event_store
        assert store is not None
        stream_id = stream_of(last_event_id)
        if stream_id is None or not stream_id.startswith(self.session_id):
            reject(exchange, 404, INVALID_REQUEST, "Unknown Last-Event-ID")
            return
        if isinstance(store, InMemoryEventStore):
            self._resumed(exchange, store.replay_after_nowait(last_event_id), None)
            return
        task = asyncio.get_running_loop().create_task(self._resume_async(store, last_event_id, exchange))
        _RESUMING.add(task)
        task.add_done_callback(_RESUMING.discard)

    async def _resume_async(self, store: EventStore, last_event_id: str, exchange: Exchange) -> None:
        stream_id = stream_of(last_event_id)
        held: SseStream | None = None
        live = RESUMABLE.get(stream_id) if stream_id is not None else None
        try:
            if live is not None and not live.finished:
                # The POST's handler runs here: from now on its messages wait on the new stream
                # (not yet stored), and what its old stream still stores is in the replay.
                old = live.stream
                held = SseStream(exchange, self.endpoint.options, stream_id, held=True)
                live.reattach(held)
                if old is not None:
                    await old.flushed()
            found = await store.replay_after(last_event_id)
        except Exception as exc:
            _log.warning("Last-Event-ID resumption failed: the event store raised %r", exc)
            if held is not None:
                held.client_closed()  # nobody reads it: its events are still stored, for a later resume
                held.release()
            if not exchange.closed:
                reject(exchange, 503, INVALID_REQUEST, "Service unavailable: event store unreachable")
            return
        if exchange.closed:
            found = None
        self._resumed(exchange, found, held)

    def _resumed(
        self,
        exchange: Exchange,
        found: tuple[str, list[tuple[str, bytes]]] | None,
        held: SseStream | None,
    ) -> None:
        if found is None:
            if held is not None:
                held.client_closed()  # nobody reads it: its events are still stored, for a later resume
                held.release()
            if not exchange.closed:
                reject(exchange, 404, INVALID_REQUEST, "Unknown Last-Event-ID")
            return
        stream_id, events = found
        stream = held or SseStream(exchange, self.endpoint.options, stream_id)
        stream.open([(b"mcp-session-id", self.session_id.encode())], prime=False)
        for event_id, message in events:
            stream.send_raw(sse.encode_event(message.rstrip(b"\n"), event_id=event_id, event="message"))
        if held is not None:
            held.release()
            return
        resumed = RESUMABLE.get(stream_id)
        if resumed is not None and not resumed.finished:
            resumed.reattach(stream)  # the POST's handler is still running: its stream continues here
        elif stream_id[len(self.session_id) :].startswith("get"):
            if self.standalone is None or self.standalone.closed:
                self.standalone = stream
        else:
            stream.close()

    def terminate(self) -> None:
        self.terminated = True
        if self.standalone is not None:
            self.standalone.close()
        asyncio.get_running_loop().create_task(self.shutdown(0.0))

    async def shutdown(self, grace: float) -> None:
        if self.standalone is not None:
            self.standalone.close()
        await self.connection.shutdown(grace)
        self.endpoint.server.disconnect(self.connection)


def principal_tag(principal: str | None) -> str:
    """What a stream id carries of its session's principal: a digest (the id reveals nothing of it)."""
    if principal is None:
        return ""
    return hashlib.sha256(principal.encode()).hexdigest()[:16]


def replay_elsewhere(
    options: HttpOptions,
    store: EventStore,
    last_event_id: str,
    exchange: Exchange,
    *,
    session_id: str,
    principal: str | None,
) -> None:
    """Replay a stream of a session this replica does not hold (a shared store), then end it.

    The stream must belong to the session named (its id starts with the
    session id) and to the principal asking (it ends with their tag) before
    the store is asked anything; otherwise 404, as for an unknown session.
    Nothing continues live here: what the session's own replica sends later
    is stored, and the client's next resumption picks it up.
    """
    stream_id = stream_of(last_event_id)
    tag = principal_tag(principal)
    if stream_id is None or not stream_id.startswith(session_id) or not stream_id.endswith(tag):
        reject(exchange, 404, INVALID_REQUEST, "Session not found")
        return
    task = asyncio.get_running_loop().create_task(
        _replay(options, store, session_id, last_event_id, exchange)
    )
    _RESUMING.add(task)
    task.add_done_callback(_RESUMING.discard)


async def _replay(
    options: HttpOptions, store: EventStore, session_id: str, last_event_id: str, exchange: Exchange
) -> None:
    try:
        found = await store.replay_after(last_event_id)
    except Exception as exc:
        _log.warning("Last-Event-ID resumption failed: the event store raised %r", exc)
        if not exchange.closed:
            reject(exchange, 503, INVALID_REQUEST, "Service unavailable: event store unreachable")
        return
    if exchange.closed:
        return
    if found is None:
        reject(exchange, 404, INVALID_REQUEST, "Session not found")
        return
    stream = SseStream(exchange, options, found[0])
    stream.open([(b"mcp-session-id", session_id.encode())], prime=False)
    for event_id, message in found[1]:
        stream.send_raw(sse.encode_event(message.rstrip(b"\n"), event_id=event_id, event="message"))
    stream.close()


class SessionTable:
    """The endpoint's legacy sessions: lookup bound to a principal, LRU eviction, idle reaping."""

    def __init__(self, endpoint: StreamableHTTP) -> None:
        self.endpoint = endpoint
        #: Least recently used first (a lookup moves a session to the end).
        self.sessions: OrderedDict[str, LegacyHttpSession] = OrderedDict()
        self._per_principal: dict[str, int] = {}
        self._reaper: asyncio.TimerHandle | None = None
        self._closing = False

    def __len__(self) -> int:
        return len(self.sessions)

    def __contains__(self, session_id: object) -> bool:
        return session_id in self.sessions

    def __getitem__(self, session_id: str) -> LegacyHttpSession:
        return self.sessions[session_id]

    def get(self, session_id: str, principal: str | None) -> LegacyHttpSession | None:
        """The session, if it exists and belongs to ``principal`` (else None: the caller answers 404)."""
        session = self.sessions.get(session_id)
        if session is None or session.principal != principal:
            return None
        session.last_used = time.monotonic()  # what the idle reaper reads
        self.sessions.move_to_end(session_id)
        return session

    def open(
        self, principal: str | None, session_id: str | None = None, *, first_request_id: int = 1
    ) -> LegacyHttpSession | None:
        """A session for ``principal``, evicting to make room; None when every candidate is busy.

        ``session_id``: a session another replica created (a shared store's
        record), else a new random id.
        """
        options = self.endpoint.options
        if (
            principal is not None
            and self._per_principal.get(principal, 0) >= options.max_sessions_per_principal
        ) and not self._evict(principal):
            _log.info(
                "session refused: the principal holds %d busy sessions",
                options.max_sessions_per_principal,
            )
            return None
        if len(self.sessions) >= options.max_sessions and not self._evict(None):
            _log.info("session refused: all %d sessions are busy", options.max_sessions)
            return None
        if session_id is None:
            session_id = secrets.token_urlsafe(24)
        session = LegacyHttpSession(self.endpoint, session_id, principal, first_request_id=first_request_id)
        self.sessions[session.session_id] = session
        if principal is not None:
            self._per_principal[principal] = self._per_principal.get(principal, 0) + 1
        self._schedule_reaper()
        return session

    def _evict(self, principal: str | None) -> bool:
        """End the least recently used evictable session (of ``principal``, if given)."""
        for session in self.sessions.values():
            if (principal is None or session.principal == principal) and session.evictable:
                _log.info("session table full: evicted the least recently used idle session")
                self.end(session)
                return True
        return False

    def end(self, session: LegacyHttpSession) -> None:
        """Terminate a session: later requests naming it get 404."""
        if self.sessions.pop(session.session_id, None) is not None and session.principal is not None:
            left = self._per_principal[session.principal] - 1
            if left:
                self._per_principal[session.principal] = left
            else:
                del self._per_principal[session.principal]
        session.terminate()

    def _schedule_reaper(self) -> None:
        if self._reaper is None and not self._closing:
            interval = max(1.0, min(60.0, self.endpoint.options.session_idle_timeout / 4))
            self._reaper = asyncio.get_running_loop().call_later(interval, self._reap)

    def _reap(self) -> None:
        self._reaper = None
        timeout = self.endpoint.options.session_idle_timeout
        deadline = time.monotonic() - timeout
        for session in list(self.sessions.values()):
            if session.last_used < deadline and session.idle:
                _log.info("session expired after %.0f s idle", timeout)
                self.end(session)
        if self.sessions:
            self._schedule_reaper()

    async def close(self, grace: float) -> None:
        """End every session (server shutdown)."""
        self._closing = True
        if self._reaper is not None:
            self._reaper.cancel()
            self._reaper = None
        sessions = list(self.sessions.values())
        self.sessions.clear()
        self._per_principal.clear()
        await asyncio.gather(*(session.shutdown(grace) for session in sessions), return_exceptions=True)
