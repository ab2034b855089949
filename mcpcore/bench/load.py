"""Load generation: closed and open loops over stdio or HTTP links, one selector, no event loop.

* **Closed loop** (``rate=None``): ``concurrency`` requests in flight; a new
  one goes out as soon as one is answered. Latency is from the send.
* **Open loop** (``rate=R``): request *n* is due at ``start + n / R``
  whatever the server does. Latency is measured from that *scheduled* time,
  so a request that had to wait for a free connection because the server
  stalled carries the wait (the coordinated-omission correction of wrk2). A
  closed loop would just send less during a stall and report it as one slow
  call among thousands of fast ones.

A *link* is where requests go: a stdio pipe (many in flight, frames written
in one batch) or one HTTP keep-alive connection (one in flight; in
``per-call`` session mode, each call is ``initialize`` → ``initialized`` →
the call → ``DELETE``, timed as a whole). The driver hands free *slots*
out of a deque: a stdio link appears once per request it may carry.
"""

from __future__ import annotations

import contextlib
import select
import selectors
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from mcpcore.bench.clients import (
    INITIALIZED,
    HttpBenchClient,
    StdioBenchClient,
    header_name,
    initialize_frame,
)
from mcpcore.bench.histogram import Histogram
from mcpcore.bench.results import TIMELINE_STEP_S, TimelineBin
from mcpcore.bench.workload import Call, Workload, check_response
from mcpcore.wire.http11_client import InvalidResponse

__all__ = ["HttpLink", "Link", "Outcome", "StdioLink", "drive"]

#: ``(request id, message or None, error text or None)`` for each answered request.
Reply = tuple[int, "dict[str, Any] | None", "str | None"]
_MAX_ERROR_KINDS = 8  # distinct error texts kept per phase; more are counted under "other errors"
_STEP_NS = int(TIMELINE_STEP_S * 1e9)


class Link(Protocol):
    """Somewhere requests go and answers come from; ``capacity`` requests at once."""

    capacity: int

    @property
    def arrived(self) -> int:
        """``perf_counter_ns`` when the last :meth:`receive`'s bytes arrived, before they were parsed.

        The client's own parsing is not the server's latency.
        """
        ...

    def fileno(self) -> int: ...

    def submit(self, request_id: int, call: Call, params: Any, frame: bytes) -> None: ...

    def flush(self) -> None: ...

    def receive(self) -> list[Reply]: ...


class StdioLink:
    """A stdio server's pipes: frames submitted together go out in one write."""

    def __init__(self, client: StdioBenchClient, capacity: int) -> None:
        self.client = client
        self.capacity = capacity
        self._pending: list[bytes] = []

    def fileno(self) -> int:
        return self.client.fileno()

    def submit(self, request_id: int, call: Call, params: Any, frame: bytes) -> None:
        self._pending.append(frame)

    def flush(self) -> None:
        if self._pending:
            frames, self._pending = self._pending, []
            self.client.send(b"".join(frames))

    @property
    def arrived(self) -> int:
        return self.client.read_at

    def receive(self) -> list[Reply]:
        replies: list[Reply] = []
        for message in self.client.read_available():
            request_id = message.get("id")
            if type(request_id) is int:
                replies.append((request_id, message, None))
        return replies


_CALL, _INIT, _NOTIFIED, _DELETE = range(4)


class HttpLink:
    """One keep-alive HTTP connection, one request at a time, in a session mode.

    ``reuse``: the connection's legacy session (opened before timing) carries
    every call. ``stateless``: 2026-07-28 requests, no session. ``per-call``:
    a new legacy session for every call, closed with DELETE; the call's
    latency covers all four exchanges, since that is what such a client pays.
    """

    capacity = 1

    def __init__(self, client: HttpBenchClient, session: str) -> None:
        self.client = client
        # The driver reads only what epoll says is there, and times out itself. A socket with a
        # timeout makes CPython poll before every recv and send: a third syscall per exchange.
        client.sock.settimeout(None)
        self.session = session
        self._stage = _CALL
        self._request: tuple[int, Call, Any, bytes] | None = None
        self._answer: dict[str, Any] | None = None
        self.arrived = 0
        self._out = b""
        #: Media types of the call answers (JSON or SSE bodies): reports say what was measured.
        self.body_types: dict[str, int] = {}

    def fileno(self) -> int:
        return self.client.fileno()

    def submit(self, request_id: int, call: Call, params: Any, frame: bytes) -> None:
        """Build the request's bytes (in ``per-call`` mode, its ``initialize``); :meth:`flush` sends them."""
        self._request = (request_id, call, params, frame)
        if self.session == "per-call":
            self._stage = _INIT
            self._out = self.client.request_bytes(
                initialize_frame(self.client.version, request_id), "initialize"
            )
        else:
            self._stage = _CALL
            self._out = self._call_bytes()

    def flush(self) -> None:
        if self._out:
            data, self._out = self._out, b""
            self.client.sock.sendall(data)

    def _call_bytes(self) -> bytes:
        assert self._request is not None
        _, call, params, frame = self._request
        return self.client.request_bytes(frame, call.method, header_name(call.method, params))

    def _send_call(self) -> None:
        self.client.sock.sendall(self._call_bytes())

    def receive(self) -> list[Reply]:
        data = self.client.sock.recv(1 << 16)
        self.arrived = time.perf_counter_ns()
        replies: list[Reply] = []
        for response in self.client.feed(data):
            reply = self._advance(response.status, response.headers, response.message)
            if reply is not None:
                replies.append(reply)
        if not data:
            raise EOFError("the server closed the connection")
        return replies

    def _advance(
        self, status: int, headers: dict[str, str], message: Callable[[], dict[str, Any] | None]
    ) -> Reply | None:
        if self._request is None:
            return None  # nothing was asked: an answer to nothing is ignored
        stage = self._stage
        try:
            return self._step(stage, status, headers, message)
        except ValueError as exc:  # a body that is not JSON: this call failed, the connection is fine
            return self._done(None, f"HTTP {status} with a malformed body: {exc}"[:160])

    def _step(
        self, stage: int, status: int, headers: dict[str, str], message: Callable[[], dict[str, Any] | None]
    ) -> Reply | None:
        if stage == _INIT:
            answer = message() if status == 200 else None
            if answer is None or "result" not in answer:
                return self._done(None, f"per-call: initialize got HTTP {status}")
            self.client.set_session(headers.get("mcp-session-id"))
            self._stage = _NOTIFIED
            self.client.send(INITIALIZED, "notifications/initialized")
            return None
        if stage == _NOTIFIED:
            if status >= 300:
                return self._done(None, f"per-call: initialized got HTTP {status}")
            self._stage = _CALL
            self._send_call()
            return None
        if stage == _CALL:
            kind = headers.get("content-type", "none").split(";")[0].strip()
            self.body_types[kind] = self.body_types.get(kind, 0) + 1
            answer = message()
            if answer is None:
                return self._done(None, f"HTTP {status} without a JSON-RPC response")
            if self.session != "per-call":
                return self._done(answer, None)
            self._answer = answer
            if self.client.session_id is None:
                return self._done(answer, None)  # a sessionless server: nothing to delete
            self._stage = _DELETE
            self.client.sock.sendall(self.client.delete_bytes())
            return None
        # _DELETE: any status ends the call (405 means the server keeps no deletable sessions)
        return self._done(self._answer, None)

    def _done(self, answer: dict[str, Any] | None, error: str | None) -> Reply:
        assert self._request is not None
        request_id = self._request[0]
        self._request = self._answer = None
        self._stage = _CALL
        if self.session == "per-call":
            self.client.set_session(None)
        return request_id, answer, error


@dataclass
class Outcome:
    """What :func:`drive` counted in one phase."""

    histogram: Histogram = field(default_factory=Histogram)
    bins: dict[int, TimelineBin] = field(default_factory=dict)  # by interval of scheduled send time
    ok: int = 0
    errors: int = 0
    error_samples: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    def error(self, text: str, bin_: TimelineBin) -> None:
        self.errors += 1
        bin_.errors += 1
        if text not in self.error_samples and len(self.error_samples) >= _MAX_ERROR_KINDS:
            text = "other errors"
        self.error_samples[text] = self.error_samples.get(text, 0) + 1


def drive(
    links: Sequence[Link],
    workload: Workload,
    *,
    concurrency: int,
    rate: float | None = None,
    requests: int | None = None,
    duration: float | None = None,
    timeout: float = 30.0,
    first_id: int = 1,
    progress: Callable[[int], None] = lambda done: None,
) -> tuple[Outcome, int]:
    """Run one phase; returns what it counted and the next free request id.

    The phase sends until ``requests`` are sent or ``duration`` seconds have
    passed (open loop: until the schedule passes ``duration``), then waits
    for what is in flight. A link that fails (EOF, broken HTTP) fails its
    requests and is not used again; ``timeout`` seconds without any answer
    fail everything in flight.
    """
    if requests is None and duration is None:
        raise ValueError("a phase needs a request count or a duration")
    out = Outcome()
    slots: deque[Link] = deque()
    for link in links:
        for _ in range(link.capacity):
            if len(slots) < concurrency:
                slots.append(link)
    selector = _Readable()
    for link in links:
        selector.register(link.fileno(), link)
    inflight: dict[int, tuple[int, Call, Any, Link]] = {}
    bins = out.bins
    interval = 1e9 / rate if rate else 0.0
    timeout_ns = int(timeout * 1e9)
    start = time.perf_counter_ns()
    end_send = start + int(duration * 1e9) if duration is not None else None
    next_due = start
    next_id = first_id
    sent = 0
    stopped = False
    last_answer = start
    touched: list[Link] = []
    batch: dict[int, list[int]] = {}  # id(link) -> closed-loop requests waiting for its write
    dead: set[int] = set()

    def fail(link: Link, exc: BaseException) -> None:
        """A link broke: its requests are errors, and it carries no more."""
        if id(link) in dead:
            return
        dead.add(id(link))
        with contextlib.suppress(KeyError, ValueError, OSError):
            selector.unregister(link.fileno())
        what = f"connection failed: {type(exc).__name__}: {exc}"[:160]
        for request_id, entry in list(inflight.items()):
            if entry[3] is link:
                del inflight[request_id]
                out.error(what, _bin(bins, entry[0] - start))
        while link in slots:
            slots.remove(link)

    try:
        while True:
            now = time.perf_counter_ns()
            while slots and not stopped:
                if requests is not None and sent >= requests:
                    stopped = True
                    break
                if rate:
                    if end_send is not None and next_due >= end_send:
                        stopped = True
                        break
                    if next_due > now:
                        break
                    scheduled = next_due
                    next_due = start + int((sent + 1) * interval)
                else:
                    if end_send is not None and now >= end_send:
                        stopped = True
                        break
                    scheduled = 0  # closed loop: set to the send time below
                link = slots.popleft()
                call, params, frame = workload.next(next_id)
                inflight[next_id] = (scheduled, call, params, link)
                if not rate:
                    batch.setdefault(id(link), []).append(next_id)
                next_id += 1
                sent += 1
                try:
                    link.submit(next_id - 1, call, params, frame)
                except OSError as exc:
                    fail(link, exc)
                    continue
                if not touched or touched[-1] is not link:
                    touched.append(link)
            for link in list(touched):
                # Closed loop: latency runs from this link's write, after its frames are built, so
                # building 64 frames (or writing to 15 other connections) is not counted as the server's.
                sent_at = time.perf_counter_ns()
                for request_id in batch.pop(id(link), ()):
                    entry = inflight.get(request_id)
                    if entry is not None:
                        inflight[request_id] = (sent_at, *entry[1:])
                try:
                    link.flush()
                except OSError as exc:
                    fail(link, exc)
            touched.clear()
            batch.clear()
            if not inflight and (stopped or not slots):
                break
            if inflight and now - last_answer > timeout_ns:
                for request_id in list(inflight):
                    scheduled = inflight.pop(request_id)[0]
                    out.error(f"no answer within {timeout:g} s", _bin(bins, scheduled - start))
                break
            wait = timeout
            if rate and slots and not stopped:
                wait = max(0.0, (next_due - now) / 1e9)
            for link in selector.wait(min(wait, timeout)):
                try:
                    replies = link.receive()
                except (OSError, EOFError, InvalidResponse, ValueError) as exc:
                    fail(link, exc)
                    continue
                now = link.arrived
                for request_id, message, failure in replies:
                    answered = inflight.pop(request_id, None)
                    if answered is None:
                        continue
                    scheduled, call, params, owner = answered
                    slots.append(owner)
                    last_answer = now
                    bin_ = _bin(bins, scheduled - start)
                    why = failure
                    if why is None and message is not None:
                        why = check_response(message, call, params)
                    if why is not None:
                        out.error(why, bin_)
                        continue
                    latency = now - scheduled
                    out.histogram.record(latency)
                    bin_.histogram.record(latency)
                    out.ok += 1
                progress(out.ok + out.errors)
    finally:
        selector.close()
    out.seconds = max(last_answer - start, 1) / 1e9
    return out, next_id


class _Readable:
    """Which links have something to read: ``epoll`` itself where there is one, else :mod:`selectors`.

    The :mod:`selectors` wrapper costs about two microseconds a wait in
    Python, a sixth of a fast server's whole round trip, so on Linux the
    poller is used directly.
    """

    def __init__(self) -> None:
        self._links: dict[int, Link] = {}
        self._epoll = select.epoll() if hasattr(select, "epoll") else None
        self._selector = None if self._epoll is not None else selectors.DefaultSelector()

    def register(self, fd: int, link: Link) -> None:
        self._links[fd] = link
        if self._epoll is not None:
            self._epoll.register(fd, select.EPOLLIN)
        else:
            assert self._selector is not None
            self._selector.register(fd, selectors.EVENT_READ)

    def unregister(self, fd: int) -> None:
        if self._links.pop(fd, None) is None:
            return
        if self._epoll is not None:
            self._epoll.unregister(fd)
        else:
            assert self._selector is not None
            self._selector.unregister(fd)

    def wait(self, timeout: float) -> list[Link]:
        links = self._links
        if self._epoll is not None:
            return [links[fd] for fd, _ in self._epoll.poll(timeout) if fd in links]
        assert self._selector is not None
        return [links[key.fd] for key, _ in self._selector.select(timeout) if key.fd in links]

    def close(self) -> None:
        if self._epoll is not None:
            self._epoll.close()
        else:
            assert self._selector is not None
            self._selector.close()


def _bin(bins: dict[int, TimelineBin], offset_ns: int) -> TimelineBin:
    index = max(offset_ns, 0) // _STEP_NS
    found = bins.get(index)
    if found is None:
        found = bins[index] = TimelineBin()
    return found
