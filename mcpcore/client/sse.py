"""The client side of the 2024-11-05 HTTP+SSE transport: one event stream in, one POST per message out.

``Client("http://host/sse")`` uses it. The transport opens the stream with a
GET, waits for the ``endpoint`` event, resolves the URL it names against the
stream's URL (and refuses one on another origin: the spec's protection
against a server that redirects messages elsewhere), then POSTs each message
there. Every ``message`` event's data is a frame for the
:class:`~mcpcore.client.session.ClientSession`; when the stream ends, every
pending request fails at once.

The transport only moves bytes: framing is :mod:`mcpcore.wire.sse`, HTTP is
the same keep-alive pool the Streamable HTTP transport uses.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl as _ssl
from collections.abc import Mapping
from typing import Any
from urllib.parse import urljoin, urlsplit

import orjson

from mcpcore import jsonrpc
from mcpcore.client.http_pool import HttpPool, HttpResponse
from mcpcore.client.session import ClientSession
from mcpcore.errors import ConnectionClosedError
from mcpcore.wire.http11_client import InvalidResponse
from mcpcore.wire.sse import EventParser, EventTooLarge

__all__ = ["SseTransport", "is_sse_url"]

_log = logging.getLogger("mcpcore.client.sse")


def is_sse_url(url: str) -> bool:
    """Whether ``url`` names an HTTP+SSE endpoint: its path ends in ``/sse``, by convention."""
    return urlsplit(url).path.rstrip("/").endswith("/sse")


def _origin(url: str) -> tuple[str, str | None, int | None]:
    parts = urlsplit(url)
    return parts.scheme, parts.hostname, parts.port or (443 if parts.scheme == "https" else 80)


class SseTransport:
    """An HTTP+SSE connection to one server; ``write`` is the session's sink."""

    def __init__(
        self,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        connect_timeout: float = 10.0,
        ssl: _ssl.SSLContext | bool | None = None,
    ) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) URL: {url!r}")
        self.url = url
        self.connect_timeout = connect_timeout
        host, port = parts.hostname, _origin(url)[2]
        assert port is not None
        default_port = port == (443 if parts.scheme == "https" else 80)
        bracketed = f"[{host}]" if ":" in host else host
        self.host_header = bracketed if default_port else f"{bracketed}:{port}"
        use_ssl = ssl if ssl is not None else (True if parts.scheme == "https" else None)
        if use_ssl is True:
            use_ssl = _ssl.create_default_context()
        self.pool = HttpPool(host, port, ssl=use_ssl, connect_timeout=connect_timeout)
        self.extra_headers = dict(headers or {})
        #: Where messages are POSTed (from the ``endpoint`` event).
        self.endpoint: str | None = None
        self.closing = False
        self._session: ClientSession | None = None
        self._stream: HttpResponse | None = None
        self._parser = EventParser()
        self._endpoint_known: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self._tasks: set[asyncio.Task[None]] = set()

    def _headers(self, accept: str) -> list[tuple[str, str]]:
        return [("host", self.host_header), ("accept", accept), *self.extra_headers.items()]

    async def open(self) -> None:
        """GET the stream and wait for the ``endpoint`` event (``ConnectionError`` if none comes)."""
        target = urlsplit(self.url)
        path = (target.path or "/") + (f"?{target.query}" if target.query else "")
        response = await asyncio.wait_for(
            self.pool.open("GET", path, self._headers("text/event-stream")), self.connect_timeout
        )
        if response.status != 200 or response.content_type != "text/event-stream":
            response.abort()
            kind = response.content_type
            raise ConnectionError(f"GET {self.url} answered {response.status} {kind!r}, not an event stream")
        self._stream = response
        response.stream(self._on_chunk)
        watcher = asyncio.get_running_loop().create_task(self._watch(response))
        self._tasks.add(watcher)
        watcher.add_done_callback(self._tasks.discard)
        endpoint = await asyncio.wait_for(asyncio.shield(self._endpoint_known), self.connect_timeout)
        if _origin(endpoint) != _origin(self.url):
            raise ConnectionError(f"the server announced an endpoint on another origin: {endpoint}")
        self.endpoint = endpoint

    def attach(self, session: ClientSession) -> None:
        self._session = session

    # ------------------------------------------------------------------ input

    def _on_chunk(self, chunk: bytes) -> None:
        try:
            events = self._parser.feed(chunk)
        except EventTooLarge as exc:
            _log.warning("SSE event too large (%s); closing the stream", exc)
            if self._stream is not None:
                self._stream.abort()
            return
        for event in events:
            if event.event == "endpoint" and not self._endpoint_known.done():
                self._endpoint_known.set_result(urljoin(self.url, event.data.strip()))
            elif event.event == "message" and event.data and self._session is not None:
                self._session.receive_frame(event.data.encode())

    async def _watch(self, response: HttpResponse) -> None:
        with contextlib.suppress(OSError, InvalidResponse, ConnectionAbortedError):
            await response.done
        reason = "the server closed the SSE stream"
        if not self._endpoint_known.done():
            closed = ConnectionClosedError(f"{reason} before announcing its endpoint")
            self._endpoint_known.set_exception(closed)
        if self._session is not None and not self.closing:
            self._session.connection_lost(reason)

    # ------------------------------------------------------------------ output

    def write(self, data: bytes) -> None:
        """POST one frame to the announced endpoint (in its own task; a failure fails its request)."""
        if self.closing or self.endpoint is None:
            return
        task = asyncio.get_running_loop().create_task(self._post(data))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _post(self, data: bytes) -> None:
        assert self.endpoint is not None
        parts = urlsplit(self.endpoint)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        headers = [*self._headers("application/json"), ("content-type", "application/json")]
        problem: BaseException | None = None
        try:
            response = await self.pool.open("POST", target, headers, data.rstrip(b"\n"))
            await response.read(64 * 1024)
            if not 200 <= response.status < 300:
                problem = ConnectionError(f"POST {self.endpoint} answered {response.status}")
        except (OSError, InvalidResponse) as exc:
            problem = exc
        if problem is not None and self._session is not None:
            with contextlib.suppress(orjson.JSONDecodeError):
                msg: Any = orjson.loads(data)
                request_id = msg.get("id") if type(msg) is dict and "method" in msg else None
                if jsonrpc.valid_id(request_id):
                    self._session.fail(request_id, problem)
            _log.debug("POST failed: %s", problem)

    # ------------------------------------------------------------------ close

    async def close(self, timeout: float = 2.0) -> None:
        """Close the stream (the server ends the session) and every connection."""
        if self.closing:
            return
        self.closing = True
        if self._stream is not None:
            self._stream.abort()
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=timeout)
        self.pool.close()
        if self._session is not None:
            self._session.connection_lost("the client closed the connection")
