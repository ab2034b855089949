"""The client's Streamable HTTP transport, both eras.

:class:`HttpTransport` is the :class:`~mcpcore.client.session.ClientSession`'s
sink: every frame the session writes becomes one POST, and whatever answers
it (a JSON body, or an SSE stream of notifications, server requests and the
response) is fed back to the session. The era is read off each frame:

* **2026-07-28** (the body carries the ``_meta`` envelope, or the session is
  modern): the POST carries ``MCP-Protocol-Version``, ``Mcp-Method``,
  ``Mcp-Name`` and ``Mcp-Param-*`` (for ``x-mcp-header`` arguments of tools
  seen in a ``tools/list`` answer); an HTTP 4xx whose body is a JSON-RPC error
  answers the request; ``notifications/cancelled`` is never POSTed: closing
  the request's response stream is the cancellation.
* **legacy** (2025-03-26 … 2025-11-25): the ``Mcp-Session-Id`` of the
  ``initialize`` answer goes on every later request, with the negotiated
  ``MCP-Protocol-Version`` (from 2025-06-18); after ``initialized`` a GET
  opens the standalone stream (a 405 just means there is none); a 404 for a
  known session re-initializes and sends the request again; an SSE stream that
  ends before its response is resumed with GET + ``Last-Event-ID`` after the
  server's ``retry`` delay; closing sends DELETE.

With an :class:`~mcpcore.client.auth.OAuth` (``auth=``), every request
carries its bearer token; a 401, or a 403 ``insufficient_scope``, runs the
authorization flow (once for every request refused at the same time) and
sends the request again, at most :data:`MAX_AUTH_RETRIES` times.

A request that cannot be answered (connection refused, an error status with
no JSON-RPC body, a stream that ends without the response) fails at once with
:class:`HttpStatusError` or :class:`~mcpcore.errors.ConnectionClosedError`;
nothing waits for its timeout.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl as _ssl
from collections.abc import Callable, Coroutine, Mapping
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import urlsplit

import orjson

from mcpcore import jsonrpc, versions
from mcpcore.client.auth import OAuth, OAuthError
from mcpcore.client.http_pool import HttpPool, HttpResponse
from mcpcore.errors import ConnectionClosedError
from mcpcore.session import META_PROTOCOL_VERSION
from mcpcore.wire.http11_client import DEFAULT_MAX_RESPONSE_BODY_BYTES, InvalidResponse
from mcpcore.wire.mcp_headers import NAME_FIELDS, ParamHeaders, encode_value, header_params
from mcpcore.wire.sse import EventParser, EventTooLarge

if TYPE_CHECKING:
    from mcpcore.client.session import ClientSession

__all__ = ["HttpExchange", "HttpStatusError", "HttpTransport"]

_log = logging.getLogger("mcpcore.client.http")

ACCEPT_BOTH: Final = "application/json, text/event-stream"
#: How many times a legacy SSE stream that ends early is resumed before its request fails.
MAX_RESUMES: Final = 5
#: The wait before resuming a stream when the server sent no ``retry`` (milliseconds).
DEFAULT_RETRY_MS: Final = 1000
#: A safety net: how many authorization challenges one POST may meet (the OAuth client decides sooner).
MAX_AUTH_RETRIES: Final = 8


class HttpStatusError(ConnectionError):
    """The server answered a request with an HTTP error and no JSON-RPC answer."""

    def __init__(self, status: int, body: bytes, method: str | None) -> None:
        text = body[:300].decode("utf-8", "replace")
        super().__init__(f"{method or 'request'}: HTTP {status}" + (f": {text}" if text else ""))
        self.status = status
        self.body = body


class HttpExchange:
    """What one POST got back at the HTTP level (the checker and tests read these)."""

    __slots__ = ("content_type", "headers", "message", "method", "request_id", "status")

    def __init__(self, message: Any, method: str | None, request_id: Any) -> None:
        self.message = message
        self.method = method
        self.request_id = request_id
        self.status = 0
        self.headers: dict[str, str] = {}
        self.content_type = ""


class _Stream:
    """One event stream's parser and the last ``retry`` the server asked for (kept across resumptions)."""

    __slots__ = ("parser", "retry_ms")

    def __init__(self) -> None:
        self.parser = EventParser()
        self.retry_ms: int | None = None

    @property
    def delay(self) -> float:
        return (self.retry_ms if self.retry_ms is not None else DEFAULT_RETRY_MS) / 1000


def _is_request(msg: Any) -> bool:
    return type(msg) is dict and type(msg.get("method")) is str and "id" in msg


def _modern_version_of(msg: Any) -> str | None:
    if type(msg) is not dict:
        return None
    params = msg.get("params")
    meta = params.get("_meta") if type(params) is dict else None
    version = meta.get(META_PROTOCOL_VERSION) if type(meta) is dict else None
    return version if type(version) is str else None


class HttpTransport:
    """Streamable HTTP to one endpoint URL; ``write`` is the session's sink."""

    def __init__(
        self,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        standalone_stream: bool = True,
        max_body_bytes: int | None = DEFAULT_MAX_RESPONSE_BODY_BYTES,
        connect_timeout: float = 10.0,
        ssl: _ssl.SSLContext | bool | None = None,
        max_idle: int = 16,
        auth: OAuth | None = None,
    ) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) URL: {url!r}")
        self.url = url
        self.host = parts.hostname
        self.port = parts.port or (443 if parts.scheme == "https" else 80)
        self.target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        default_port = (parts.scheme == "http" and self.port == 80) or (
            parts.scheme == "https" and self.port == 443
        )
        host = f"[{self.host}]" if ":" in self.host else self.host
        self.host_header = host if default_port else f"{host}:{self.port}"
        use_ssl = ssl if ssl is not None else (True if parts.scheme == "https" else None)
        if use_ssl is True:
            use_ssl = _ssl.create_default_context()
        self.pool = HttpPool(
            self.host,
            self.port,
            ssl=use_ssl,
            max_idle=max_idle,
            connect_timeout=connect_timeout,
            max_body_bytes=max_body_bytes,
        )
        self.max_body_bytes = max_body_bytes
        #: Extra headers on every request (``Authorization``, ``Origin``, …).
        self.extra_headers: dict[str, str] = dict(headers or {})
        self.standalone_stream = standalone_stream
        #: The OAuth 2.1 client that supplies bearer tokens (``None``: no authorization).
        self.auth = auth
        if auth is not None:
            auth.bind(url)
        #: The legacy session id the server assigned (``None`` before initialize, or for sessionless servers).
        self.session_id: str | None = None
        #: Every POST's HTTP outcome, newest last (bounded; for checks and tests).
        self.exchanges: list[HttpExchange] = []
        self.max_exchanges = 1000
        #: Called with each :class:`HttpExchange` once its head arrived.
        self.on_exchange: Callable[[HttpExchange], None] | None = None
        self.closing = False
        self._session: ClientSession | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._open: dict[Any, HttpResponse] = {}
        self._tool_headers: dict[str, ParamHeaders] = {}
        self._legacy_version: str | None = None
        self._standalone: asyncio.Task[None] | None = None
        self._reinit_lock: asyncio.Lock | None = None
        self._initialized: asyncio.Future[None] | None = None

    def attach(self, session: ClientSession) -> None:
        self._session = session

    # ------------------------------------------------------------------ sink

    def write(self, data: bytes) -> None:
        """POST a frame (several newline-separated frames become several POSTs)."""
        if self.closing:
            return
        body = data[:-1] if data.endswith(b"\n") else data
        if b"\n" in body:
            for line in body.split(b"\n"):
                if line.strip():
                    self.write(line)
            return
        try:
            msg: Any = orjson.loads(body)
        except orjson.JSONDecodeError:
            msg = None
        if self._modern(msg) and type(msg) is dict and msg.get("method") == "notifications/cancelled":
            params = msg.get("params")
            target = params.get("requestId") if type(params) is dict else None
            response = self._open.pop(target, None) if jsonrpc.valid_id(target) else None
            if response is not None:
                response.abort()  # 2026-07-28: closing the stream is the cancellation
            return
        self._spawn(self._post(body, msg))

    async def drain(self) -> None:
        """Nothing to wait for: every frame is its own request."""

    def _spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        task: asyncio.Task[Any] = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def _modern(self, msg: Any) -> bool:
        version = _modern_version_of(msg)
        if version is not None:
            return version not in versions.LEGACY_VERSIONS
        session = self._session
        return session is not None and session.era == "modern"

    # ----------------------------------------------------------------- headers

    def base_headers(self, accept: str = ACCEPT_BOTH, method: str = "POST") -> list[tuple[str, str]]:
        """Host, Accept, the extra headers and the credentials (a DPoP proof made for ``method``)."""
        headers = [("host", self.host_header), ("accept", accept)]
        bearer = self.auth.authorization() if self.auth is not None else None
        if bearer is None or self.auth is None:
            headers.extend(self.extra_headers.items())
        else:
            headers.extend(item for item in self.extra_headers.items() if item[0].lower() != "authorization")
            headers.append(("authorization", bearer))
            headers.extend(self.auth.proof_headers(method, self.url))
        return headers

    def _headers_for(self, msg: Any) -> list[tuple[str, str]]:
        headers = self.base_headers()
        headers.append(("content-type", "application/json"))
        if self._modern(msg):
            version = _modern_version_of(msg) or (self._session.protocol_version if self._session else None)
            headers.append(("mcp-protocol-version", version or versions.LATEST_MODERN))
            if type(msg) is dict and type(msg.get("method")) is str:
                headers.extend(self._modern_headers(msg))
            return headers
        if self.session_id is not None:
            headers.append(("mcp-session-id", self.session_id))
        method = msg.get("method") if type(msg) is dict else None
        if self._legacy_version is not None and method != "initialize":
            headers.append(("mcp-protocol-version", self._legacy_version))
        return headers

    def _modern_headers(self, msg: dict[str, Any]) -> list[tuple[str, str]]:
        method: str = msg["method"]
        headers = [("mcp-method", method)]
        params = msg.get("params")
        if type(params) is not dict:
            return headers
        field = NAME_FIELDS.get(method)
        if field is not None and type(params.get(field)) is str:
            headers.append(("mcp-name", encode_value(params[field])))
        if method == "tools/call":
            name = params.get("name")
            declared = self._tool_headers.get(name) if type(name) is str else None
            arguments = params.get("arguments")
            for suffix, (path, _kind) in (declared or {}).items():
                value: Any = arguments
                for key in path:
                    value = value.get(key) if type(value) is dict else None
                if type(value) in (str, int, bool) or (type(value) is float and value.is_integer()):
                    text = value if type(value) is not float else int(value)
                    headers.append((f"mcp-param-{suffix}", encode_value(text)))
        return headers

    def learn_tools(self, tools: Any) -> None:
        """Remember each tool's ``x-mcp-header`` arguments (from a ``tools/list`` answer)."""
        if type(tools) is not list:
            return
        for tool in tools:
            if type(tool) is dict and type(tool.get("name")) is str:
                schema = tool.get("inputSchema")
                found = header_params(schema) if type(schema) is dict else {}
                if found:
                    self._tool_headers[tool["name"]] = found
                else:
                    self._tool_headers.pop(tool["name"], None)

    # ------------------------------------------------------------------- POST

    def _record(self, exchange: HttpExchange) -> None:
        self.exchanges.append(exchange)
        if len(self.exchanges) > self.max_exchanges:
            del self.exchanges[: len(self.exchanges) - self.max_exchanges]
        if self.on_exchange is not None:
            try:
                self.on_exchange(exchange)
            except Exception:
                _log.exception("on_exchange callback failed")

    async def _post(self, body: bytes, msg: Any, *, retried: bool = False) -> None:
        try:
            await self._post_once(body, msg, retried=retried, challenges=(0, 0))
        finally:
            if type(msg) is dict and msg.get("method") == "notifications/initialized":
                gate = self._initialized
                if gate is not None and not gate.done():
                    gate.set_result(None)

    async def _post_once(self, body: bytes, msg: Any, *, retried: bool, challenges: tuple[int, int]) -> None:
        """One POST; ``challenges`` counts the 401s and 403s this message already met."""
        method = msg.get("method") if type(msg) is dict and type(msg.get("method")) is str else None
        # mcpcore check sends deliberately broken messages through this transport: only an id that
        # can be a request id (a string or an integer) is tracked for cancellation.
        request_id = msg.get("id") if _is_request(msg) and jsonrpc.valid_id(msg.get("id")) else None
        modern = self._modern(msg)
        if not modern:
            await self._legacy_gate(method)
        sent_session = self.session_id
        auth = self.auth
        sent_token = None
        if auth is not None:
            await auth.before_request()
            sent_token = auth.authorization()
        exchange = HttpExchange(msg, method, request_id)
        on_sent = None
        if request_id is not None and modern:

            def on_sent(response: HttpResponse) -> None:
                self._open[request_id] = response

        try:
            response = await self.pool.open(
                "POST", self.target, self._headers_for(msg), body, on_sent=on_sent
            )
        except (OSError, InvalidResponse, asyncio.TimeoutError) as exc:
            if request_id is not None:
                self._open.pop(request_id, None)
            self._fail(request_id, ConnectionClosedError(f"{method or 'POST'}: {exc or type(exc).__name__}"))
            return
        exchange.status = response.status
        exchange.headers = response.headers
        exchange.content_type = response.content_type
        self._record(exchange)
        challenge = response.headers.get("www-authenticate")
        refused, step_ups = challenges
        if (
            auth is not None
            and refused + step_ups < MAX_AUTH_RETRIES
            and auth.wants(response.status, challenge)
        ):
            await _discard(response)
            if request_id is not None:
                self._open.pop(request_id, None)
            try:
                await auth.handle(
                    response.status,
                    challenge,
                    sent_token,
                    refused=refused,
                    step_ups=step_ups,
                    dpop_nonce=response.headers.get("dpop-nonce"),
                )
            except OAuthError as exc:
                self._fail(request_id, exc)
                return
            unauthorized = response.status == 401
            challenges = (refused + unauthorized, step_ups + (not unauthorized))
            await self._post_once(body, msg, retried=retried, challenges=challenges)
            return
        if method == "initialize" and not modern:
            self.session_id = response.headers.get("mcp-session-id") or None
            if response.status == 200:  # before the session sees the answer and sends ``initialized``
                self._initialized = asyncio.get_running_loop().create_future()
        if response.status == 404 and not modern and not retried and sent_session is not None:
            await _discard(response)
            if method != "notifications/initialized":
                await self._session_expired(body, msg, sent_session)
            return
        try:
            if response.content_type == "text/event-stream":
                await self._read_stream(response, request_id, method)
            else:
                await self._read_json(response, request_id, method)
        except (OSError, InvalidResponse, EventTooLarge) as exc:
            if not (modern and isinstance(exc, ConnectionAbortedError)):
                self._fail(request_id, ConnectionClosedError(f"{method}: the response broke off: {exc}"))
        finally:
            if request_id is not None:
                self._open.pop(request_id, None)
        if method == "notifications/initialized" and self.standalone_stream and 200 <= response.status < 300:
            self._standalone = self._spawn(self._run_standalone())

    async def _read_json(self, response: HttpResponse, request_id: Any, method: str | None) -> None:
        data = await response.read(self.max_body_bytes)
        if data.strip():
            self._feed(data, method)
        if request_id is not None and self._still_pending(request_id):
            if response.status >= 400 or not data.strip():
                self._fail(request_id, HttpStatusError(response.status, data, method))
            else:
                self._fail(
                    request_id,
                    HttpStatusError(response.status, data, f"{method} (the body does not answer it)"),
                )

    async def _read_stream(self, response: HttpResponse, request_id: Any, method: str | None) -> None:
        stream = _Stream()
        response.stream(lambda chunk: self._feed_events(stream, chunk, method))
        await response.done
        resumes = 0
        while (
            request_id is not None
            and self._still_pending(request_id)
            and stream.parser.last_event_id is not None
            and resumes < MAX_RESUMES
            and not self.closing
        ):
            # The stream ended before the answer: resume it where it stopped, after the server's retry delay.
            resumes += 1
            await asyncio.sleep(stream.delay)
            resumed = await self._get_stream(stream.parser.last_event_id)
            if resumed is None:
                break
            resumed.stream(lambda chunk: self._feed_events(stream, chunk, method))
            with contextlib.suppress(OSError, InvalidResponse):
                await resumed.done
        if request_id is not None and self._still_pending(request_id):
            self._fail(
                request_id, ConnectionClosedError(f"{method}: the event stream ended without the response")
            )

    def _feed_events(self, stream: _Stream, chunk: bytes, method: str | None) -> None:
        for event in stream.parser.feed(chunk):
            if event.retry is not None:
                stream.retry_ms = event.retry
            if event.data:
                self._feed(event.data.encode(), method)

    def _feed(self, data: bytes, method: str | None) -> None:
        session = self._session
        if session is None:
            return
        if method == "tools/list" or method is None:
            with contextlib.suppress(orjson.JSONDecodeError):
                answer = orjson.loads(data)
                if (
                    type(answer) is dict
                    and type(answer.get("result")) is dict
                    and "tools" in answer["result"]
                ):
                    self.learn_tools(answer["result"]["tools"])
        if method == "initialize":
            with contextlib.suppress(orjson.JSONDecodeError):
                answer = orjson.loads(data)
                result = answer.get("result") if type(answer) is dict else None
                version = result.get("protocolVersion") if type(result) is dict else None
                if version in versions.LEGACY_VERSIONS and version != versions.V2025_03_26:
                    self._legacy_version = version
                elif version is not None:
                    self._legacy_version = None
        session.receive_frame(data)

    def _still_pending(self, request_id: Any) -> bool:
        return self._session is not None and self._session.method_of(request_id) is not None

    def _fail(self, request_id: Any, exc: BaseException) -> None:
        if request_id is not None and self._session is not None:
            self._session.fail(request_id, exc)
        elif request_id is None:
            _log.debug("a message could not be delivered: %s", exc)

    # -------------------------------------------------------- legacy sessions

    async def _legacy_gate(self, method: str | None) -> None:
        """Hold legacy requests from the initialize answer until ``initialized`` went out (spec order)."""
        gate = self._initialized
        if gate is not None and not gate.done() and method not in ("initialize", "notifications/initialized"):
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(asyncio.shield(gate), 10)

    async def _session_expired(self, body: bytes, msg: Any, sent_session: str) -> None:
        """404 for our session: re-initialize (once for everyone waiting), then send ``body`` again."""
        if self._reinit_lock is None:
            self._reinit_lock = asyncio.Lock()
        async with self._reinit_lock:
            session = self._session
            if self.session_id == sent_session and session is not None:
                _log.info("the server forgot session %s; re-initializing", self.session_id)
                self.session_id = None
                self._legacy_version = None
                if self._standalone is not None:
                    self._standalone.cancel()
                    self._standalone = None
                version = session.protocol_version or versions.LATEST_LEGACY
                try:
                    await session.initialize(version)
                except Exception as exc:
                    request_id = msg.get("id") if _is_request(msg) else None
                    self._fail(request_id, ConnectionClosedError(f"re-initialization failed: {exc}"))
                    return
        await self._post(body, msg, retried=True)

    async def _get_stream(self, last_event_id: str | None = None) -> HttpResponse | None:
        headers = self.base_headers("text/event-stream", "GET")
        if self.session_id is not None:
            headers.append(("mcp-session-id", self.session_id))
        if self._legacy_version is not None:
            headers.append(("mcp-protocol-version", self._legacy_version))
        if last_event_id is not None:
            headers.append(("last-event-id", last_event_id))
        try:
            response = await self.pool.open("GET", self.target, headers)
        except (OSError, InvalidResponse, asyncio.TimeoutError) as exc:
            _log.debug("GET stream failed: %s", exc)
            return None
        if response.status != 200 or response.content_type != "text/event-stream":
            await _discard(response)
            return None
        return response

    async def _run_standalone(self) -> None:
        """The legacy standalone GET stream: server requests and notifications outside any POST."""
        stream = _Stream()
        failures = 0
        while not self.closing and failures < 3:
            response = await self._get_stream(stream.parser.last_event_id)
            if response is None:
                return  # 405 or similar: the server offers no standalone stream
            response.stream(lambda chunk: self._feed_events(stream, chunk, None))
            try:
                await response.done
                failures = 0
            except (OSError, InvalidResponse, EventTooLarge):
                failures += 1
            if self.closing:
                return
            await asyncio.sleep(stream.delay)

    # ------------------------------------------------------------------ close

    async def close(self, timeout: float = 2.0) -> None:
        """End the session (DELETE when the server gave one), cancel streams, drop connections."""
        if self.closing:
            return
        self.closing = True
        for task in list(self._tasks):
            task.cancel()
        if self.session_id is not None:
            headers = self.base_headers("application/json, text/event-stream", "DELETE")
            headers.append(("mcp-session-id", self.session_id))
            if self._legacy_version is not None:
                headers.append(("mcp-protocol-version", self._legacy_version))
            with contextlib.suppress(OSError, InvalidResponse, asyncio.TimeoutError):
                response = await asyncio.wait_for(self.pool.open("DELETE", self.target, headers), timeout)
                await asyncio.wait_for(_discard(response), timeout)
        self.pool.close()
        if self.auth is not None:
            self.auth.close()
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=timeout)
        if self._session is not None:
            self._session.connection_lost("the client closed the connection")


async def _discard(response: HttpResponse) -> None:
    with contextlib.suppress(OSError, InvalidResponse):
        await response.read(None)
