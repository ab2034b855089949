"""10,000 bad POSTs leak nothing: no session, no router connection, through both front ends.

Every kind of POST a hostile peer can send is in the mix (bad JSON, JSON that
is not JSON-RPC, unknown sessions, wrong media types, an unacceptable
Accept, a modern request with no headers), plus one fault a peer cannot
cause but a bug can: the router raising while a POST is dispatched
(injected by :class:`_Exploding`). Afterwards the server holds exactly what
it held before.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import Iterator
from typing import Any

import orjson
import pytest

from mcpcore import Server
from mcpcore.router import Connection, FlowControl, Responder, Sink
from mcpcore.transport.streamable import HttpOptions, StreamableHTTP
from tests.transport.fronts import FRONTS, serve_front
from tests.transport.hostile_server import build
from tests.transport.http_peer import Peer, initialize_body, legacy_headers, modern_request

POSTS = 10_000
BATCH = 100


class _Exploding(Connection):
    """A router connection with a bug: any message mentioning ``explode`` raises while dispatched."""

    def receive_message(self, msg: Any, responder: Responder | None = None) -> None:
        if b"explode" in orjson.dumps(msg):
            raise RuntimeError("injected dispatch failure")
        super().receive_message(msg, responder)


def _exploding_server() -> Server:
    server, _ = build()

    def connect(sink: Sink, flow: FlowControl | None = None, *, first_request_id: int = 1) -> Connection:
        connection = _Exploding(
            server, sink, flow, max_in_flight=server.max_in_flight, first_request_id=first_request_id
        )
        server.connections.add(connection)
        return connection

    server.connect = connect  # type: ignore[method-assign]
    return server


def _bad_posts(peer: Peer, session_id: str | None, round_: int) -> list[bytes]:
    """One batch: ``BATCH - 1`` refused POSTs of every kind, then one that explodes in dispatch
    (a new session's ``initialize`` in even rounds, a request on an existing one in odd rounds)."""
    session = legacy_headers(session_id) if session_id else legacy_headers()
    ping = {"jsonrpc": "2.0", "id": 1, "method": "ping"}
    kinds = [
        peer.request_bytes("POST", b"{", session),
        peer.request_bytes("POST", b'{"hello": "world"}', session),
        peer.request_bytes("POST", b"[]", session),
        peer.request_bytes("POST", ping, legacy_headers("no-such-session")),
        peer.request_bytes("POST", ping, {**session, "Content-Type": "text/plain"}),
        peer.request_bytes("POST", ping, legacy_headers(session_id, accept="text/html")),
        peer.request_bytes("POST", modern_request(1, "tools/list"), {}),
        peer.request_bytes("POST", {"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": 7}, session),
    ]
    batch = [kinds[index % len(kinds)] for index in range(BATCH - 1)]
    if round_ % 2 == 0:
        exploding = initialize_body()
        exploding["params"]["clientInfo"]["name"] = "explode"
        batch.append(peer.request_bytes("POST", exploding, legacy_headers()))
    else:
        batch.append(peer.request_bytes("POST", {"jsonrpc": "2.0", "id": 3, "method": "explode"}, session))
    return batch


@pytest.fixture(autouse=True)
def _forget_injected_tracebacks() -> Iterator[None]:
    """Drop the log records of the injected failure: a kept traceback would keep its connection alive."""

    def keep(record: logging.LogRecord) -> bool:
        return not (record.exc_info and "injected dispatch failure" in str(record.exc_info[1]))

    loggers = [logging.getLogger(name) for name in ("mcpcore.http", "mcpcore.asgi")]
    for logger in loggers:
        logger.addFilter(keep)
    try:
        yield
    finally:
        for logger in loggers:
            logger.removeFilter(keep)


def _live_connections() -> int:
    gc.collect()
    return sum(1 for thing in gc.get_objects() if isinstance(thing, Connection))


@pytest.mark.parametrize("stateless", [False, True], ids=["sessions", "stateless"])
@pytest.mark.parametrize("front", FRONTS)
def test_ten_thousand_bad_posts_leak_no_session_and_no_connection(
    front: str, stateless: bool, loop_name: str
) -> None:
    server = _exploding_server()

    async def body(port: int, endpoint: StreamableHTTP) -> None:
        session_id: str | None = None
        if not stateless:
            opener = await Peer.connect(port)
            response = await opener.request("POST", initialize_body(), legacy_headers())
            session_id = response.headers["mcp-session-id"]
            opener.close()
        before = (len(server.connections), len(endpoint.sessions), _live_connections())
        statuses: dict[int, int] = {}
        for round_ in range(POSTS // BATCH):
            peer = await Peer.connect(port)
            batch = _bad_posts(peer, session_id, round_)
            peer.send_raw(b"".join(batch))
            for _ in batch:
                try:
                    status = (await peer.read_response()).status
                except (ConnectionError, EOFError, OSError) as exc:
                    raise AssertionError(f"a response is missing after {statuses}") from exc
                statuses[status] = statuses.get(status, 0) + 1
            peer.close()
        assert statuses[500] == POSTS // BATCH, statuses  # every batch reached its injected failure
        assert sum(statuses.values()) == POSTS, statuses  # each batch reached its injected failure
        after = (len(server.connections), len(endpoint.sessions), _live_connections())
        assert after == before, (before, after, statuses)

    serve_front(front, loop_name, server, HttpOptions(stateless=stateless), body)
