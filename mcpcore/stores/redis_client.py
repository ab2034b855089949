"""A lean asyncio Redis client: one ``asyncio.Protocol`` connection, replies matched by a FIFO of futures.

Why in-house: a store call is on the critical path of every shared-state
request, and a general-purpose client spends more CPU per command (pools,
retry wrappers, per-call timeouts, instrumentation) than the loopback round
trip itself takes. This one does, per command: encode it
(:func:`~mcpcore.stores.resp.encode_command`), write it, append a future to a
deque; the reply resolves the oldest future. Commands sent in the same loop
iteration go out one after the other without waiting for replies
(pipelining for free), and :meth:`RedisClient.pipeline` writes many
commands at once.

Bounds: every command has an answer within ``timeout`` seconds or the
connection is dropped, failing what waits on it (one timer per connection,
re-armed while replies arrive, so a command gives up after between one and
two ``timeout`` periods: no timer per call). Replies are bounded by the
parser (:mod:`mcpcore.stores.resp`). A lost connection fails the commands in
flight with :class:`RedisConnectionError`; the next call connects again.

Stdlib and asyncio only: works on uvloop and the default loop.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Final, cast
from urllib.parse import parse_qs, unquote, urlsplit

from mcpcore.stores.resp import RedisError, RedisReplyError, RespParser, RespProtocolError, encode_command

__all__ = [
    "RedisClient",
    "RedisConfig",
    "RedisConnectionError",
    "RedisSubscriber",
    "RedisTimeoutError",
    "Script",
    "connect",
    "parse_url",
]

DEFAULT_TIMEOUT: Final = 5.0

Arg = bytes | str | int | float
Push = Callable[[list[Any]], None]


class RedisConnectionError(RedisError, ConnectionError):
    """Redis cannot be reached, or the connection was lost with this command in flight."""


class RedisTimeoutError(RedisConnectionError, TimeoutError):
    """Redis did not answer within the timeout (the connection was dropped)."""


@dataclass(frozen=True)
class RedisConfig:
    """Where and how to connect, from a URL (:func:`parse_url`)."""

    host: str = "127.0.0.1"
    port: int = 6379
    path: str | None = None
    db: int = 0
    username: str | None = None
    password: str | None = None
    tls: bool = False
    timeout: float = DEFAULT_TIMEOUT


def parse_url(url: str, *, timeout: float = DEFAULT_TIMEOUT) -> RedisConfig:
    """``redis://[[user]:password@]host[:port][/db]``, ``rediss://`` (TLS), ``unix:///path?db=N``.

    ``?db=N`` and ``?password=`` are accepted in the query of any scheme.
    """
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("redis", "rediss", "unix"):
        raise ValueError(f"not a Redis URL: {url!r} (expected redis://, rediss:// or unix://)")
    query = {name: values[-1] for name, values in parse_qs(parts.query).items()}
    db_text = query.get("db") or ("" if scheme == "unix" else parts.path.strip("/"))
    try:
        db = int(db_text or 0)
    except ValueError:
        raise ValueError(f"not a Redis database number in {url!r}: {db_text!r}") from None
    username = unquote(parts.username) if parts.username else None
    password = unquote(parts.password) if parts.password is not None else query.get("password")
    if scheme == "unix":
        if not parts.path:
            raise ValueError(f"a unix:// Redis URL needs a socket path: {url!r}")
        return RedisConfig(path=parts.path, db=db, username=username, password=password, timeout=timeout)
    return RedisConfig(
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 6379,
        db=db,
        username=username,
        password=password,
        tls=scheme == "rediss",
        timeout=timeout,
    )


class _Connection(asyncio.Protocol):
    """One socket to Redis: writes commands, resolves a FIFO of futures with the replies.

    ``push``: given in subscriber mode, receives ``message``/``pmessage``
    arrays (they answer no command).
    """

    def __init__(self, loop: asyncio.AbstractEventLoop, timeout: float, push: Push | None = None) -> None:
        self._loop = loop
        self._timeout = timeout
        self._push = push
        self._parser = RespParser()
        self._waiters: deque[asyncio.Future[Any]] = deque()
        self._transport: asyncio.Transport | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._replies = 0
        self._replies_at_arm = 0
        self.lost: asyncio.Future[BaseException | None] = loop.create_future()

    @property
    def usable(self) -> bool:
        return self._transport is not None and not self.lost.done()

    # ------------------------------------------------------------ protocol callbacks

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)  # uvloop's is not an asyncio.Transport subclass

    def data_received(self, data: bytes) -> None:
        try:
            replies = self._parser.feed(data)
        except RespProtocolError as exc:
            self.close(RedisConnectionError(f"Redis reply refused: {exc}"))
            return
        self._replies += len(replies)
        waiters, push = self._waiters, self._push
        for reply in replies:
            if push is not None and type(reply) is list and reply and reply[0] in (b"message", b"pmessage"):
                push(reply)
                continue
            if not waiters:
                self.close(RedisConnectionError("Redis sent a reply nobody asked for"))
                return
            waiter = waiters.popleft()
            if not waiter.done():
                waiter.set_result(reply)

    def connection_lost(self, exc: Exception | None) -> None:
        self._fail(RedisConnectionError(f"lost the Redis connection ({exc or 'closed'})"))

    # ------------------------------------------------------------ use

    def send(self, data: bytes) -> asyncio.Future[Any]:
        """Write one command; the future of its reply."""
        transport = self._transport
        if transport is None or self.lost.done():
            raise RedisConnectionError("the Redis connection is closed")
        waiter = self._loop.create_future()
        self._waiters.append(waiter)
        transport.write(data)  # at once: gathering a loop pass's commands into one write measured no faster
        if self._timer is None:
            self._arm()
        return waiter

    def send_many(self, data: bytes, replies: int) -> list[asyncio.Future[Any]]:
        """Write ``data`` (``replies`` commands at once); one future per reply, in order."""
        transport = self._transport
        if transport is None or self.lost.done():
            raise RedisConnectionError("the Redis connection is closed")
        futures = [self._loop.create_future() for _ in range(replies)]
        self._waiters.extend(futures)
        transport.write(data)
        if self._timer is None:
            self._arm()
        return futures

    def close(self, reason: BaseException | None = None) -> None:
        """Drop the connection; whatever waits fails with ``reason`` (or "closed")."""
        self._fail(reason or RedisConnectionError("the Redis connection was closed"))
        if self._transport is not None:
            self._transport.abort()

    # ------------------------------------------------------------ internals

    def _arm(self) -> None:
        self._replies_at_arm = self._replies
        self._timer = self._loop.call_later(self._timeout, self._check)

    def _check(self) -> None:
        """A timeout period passed: no reply in it while commands wait means Redis is not answering."""
        self._timer = None
        if not self._waiters:
            return
        if self._replies == self._replies_at_arm:
            self.close(RedisTimeoutError(f"Redis did not answer within {self._timeout} s"))
            return
        self._arm()

    def _fail(self, reason: BaseException) -> None:
        if not self.lost.done():
            self.lost.set_result(reason)
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        waiters, self._waiters = self._waiters, deque()
        for waiter in waiters:
            if not waiter.done():
                waiter.set_exception(reason)
                # Nobody may be awaiting a pipelined reply any more; do not log it as never retrieved.
                waiter.exception()


async def _open(config: RedisConfig, push: Push | None = None) -> _Connection:
    """A connected, authenticated :class:`_Connection` on the configured database."""
    loop = asyncio.get_running_loop()
    connection = _Connection(loop, config.timeout, push)
    try:
        if config.path is not None:
            connect = loop.create_unix_connection(lambda: connection, config.path)
        else:
            context = None
            if config.tls:
                import ssl  # only for rediss:// (a plain-TCP server never pays for the import)

                context = ssl.create_default_context()
            connect = loop.create_connection(lambda: connection, config.host, config.port, ssl=context)
        await asyncio.wait_for(connect, config.timeout)
    except (OSError, asyncio.TimeoutError) as exc:
        where = config.path or f"{config.host}:{config.port}"
        raise RedisConnectionError(
            f"cannot connect to Redis at {where}: {exc or type(exc).__name__}"
        ) from exc
    try:
        if config.password is not None:
            auth: tuple[str, ...] = (config.password,)
            if config.username is not None:
                auth = (config.username, config.password)
            _raise_if_error(await connection.send(encode_command("AUTH", *auth)))
        if config.db:
            _raise_if_error(await connection.send(encode_command("SELECT", config.db)))
    except BaseException:
        connection.close()
        raise
    return connection


def _raise_if_error(reply: Any) -> Any:
    if type(reply) is RedisReplyError:
        raise reply
    return reply


class RedisClient:
    """Commands to one Redis over one lazily opened connection (re-opened on the call after a loss).

    ``await client.call("GET", key)`` returns the reply, raises
    :class:`~mcpcore.stores.resp.RedisReplyError` for an error reply and
    :class:`RedisConnectionError` (a ``ConnectionError``) when Redis cannot
    be reached or the connection is lost. Use it from one event loop.
    """

    def __init__(self, config: RedisConfig) -> None:
        self.config = config
        self._connection: _Connection | None = None
        self._connecting: asyncio.Future[_Connection] | None = None

    @classmethod
    def from_url(cls, url: str, *, timeout: float = DEFAULT_TIMEOUT) -> RedisClient:
        return cls(parse_url(url, timeout=timeout))

    async def call(self, *args: Arg) -> Any:
        """Send one command; its reply."""
        connection = self._connection
        if connection is None or not connection.usable:
            connection = await self._connect()
        reply = await connection.send(encode_command(*args))
        if type(reply) is RedisReplyError:
            raise reply
        return reply

    async def pipeline(self, commands: Sequence[Sequence[Arg]], *, raise_errors: bool = True) -> list[Any]:
        """Send ``commands`` in one write; their replies in order.

        An error reply raises once every reply is in (``raise_errors=False``:
        it stays in the list as a :class:`~mcpcore.stores.resp.RedisReplyError` value).
        """
        if not commands:
            return []
        connection = self._connection
        if connection is None or not connection.usable:
            connection = await self._connect()
        data = b"".join(encode_command(*command) for command in commands)
        futures = connection.send_many(data, len(commands))
        await futures[-1]  # replies come in order: once the last is here, every one is
        replies = [future.result() for future in futures]
        if raise_errors:
            for reply in replies:
                _raise_if_error(reply)
        return replies

    def script(self, source: str) -> Script:
        """A Lua script run by its SHA1 (``EVALSHA``), sent whole only when Redis does not know it yet."""
        return Script(self, source)

    async def aclose(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            connection.close()

    async def _connect(self) -> _Connection:
        """The connection, opened once however many calls wait for it (a caller's cancel cancels no other)."""
        connecting = self._connecting
        if connecting is None:
            connecting = self._connecting = asyncio.ensure_future(self._open())
            connecting.add_done_callback(_retrieve)
        return await asyncio.shield(connecting)

    async def _open(self) -> _Connection:
        try:
            self._connection = await _open(self.config)
            return self._connection
        finally:
            self._connecting = None


def _retrieve(future: asyncio.Future[Any]) -> None:
    """Mark a connect attempt's failure as seen: every caller that still waits got it already."""
    if not future.cancelled():
        future.exception()


def connect(url: str, *, timeout: float = DEFAULT_TIMEOUT) -> RedisClient:
    """A client for ``url`` (``redis://``, ``rediss://``, ``unix://``); it connects on its first call.

    Every command gives up after ``timeout`` seconds (two at most: see the
    module docstring), so a dead Redis never hangs a caller.
    """
    return RedisClient.from_url(url, timeout=timeout)


_NOSCRIPT: Final = "NOSCRIPT"


class Script:
    """A Lua script: ``EVALSHA`` by its SHA1, falling back to ``EVAL`` (which caches it) on ``NOSCRIPT``."""

    def __init__(self, client: RedisClient, source: str) -> None:
        self.client = client
        self.source = source
        self.sha = hashlib.sha1(source.encode()).hexdigest()

    async def __call__(self, keys: Sequence[Arg], args: Sequence[Arg] = ()) -> Any:
        try:
            return await self.client.call("EVALSHA", self.sha, len(keys), *keys, *args)
        except RedisReplyError as exc:
            if not exc.message.startswith(_NOSCRIPT):
                raise
        return await self.client.call("EVAL", self.source, len(keys), *keys, *args)

    async def many(self, calls: Sequence[tuple[Sequence[Arg], Sequence[Arg]]]) -> list[Any]:
        """Run the script once per ``(keys, args)`` in one pipeline; the results (errors raised)."""
        commands = [("EVALSHA", self.sha, len(keys), *keys, *args) for keys, args in calls]
        replies = await self.client.pipeline(commands, raise_errors=False)
        missing = [
            n
            for n, reply in enumerate(replies)
            if type(reply) is RedisReplyError and reply.message.startswith(_NOSCRIPT)
        ]
        if missing:
            await self.client.call("SCRIPT", "LOAD", self.source)
            again = await self.client.pipeline([commands[n] for n in missing], raise_errors=False)
            for n, reply in zip(missing, again, strict=True):
                replies[n] = reply
        for reply in replies:
            _raise_if_error(reply)
        return replies


class RedisSubscriber:
    """A connection in pub/sub mode: ``message``/``pmessage`` pushes go to ``on_message(channel, data)``.

    :meth:`subscribe`/:meth:`psubscribe` connect on first use and return once
    Redis confirmed; :meth:`wait_closed` returns when the connection is lost
    (the caller resubscribes on a new subscriber: see RedisBus). A pattern
    message's channel is the one it was published on.
    """

    def __init__(self, config: RedisConfig, on_message: Callable[[bytes, bytes], None]) -> None:
        self.config = config
        self._on_message = on_message
        self._connection: _Connection | None = None

    async def subscribe(self, channel: str) -> None:
        await self._command("SUBSCRIBE", channel)

    async def psubscribe(self, pattern: str) -> None:
        await self._command("PSUBSCRIBE", pattern)

    async def wait_closed(self) -> BaseException | None:
        """Wait until the connection is lost or closed; why."""
        if self._connection is None:
            return None
        return await asyncio.shield(self._connection.lost)

    async def aclose(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            connection.close()

    async def _command(self, *args: Arg) -> None:
        if self._connection is None or not self._connection.usable:
            self._connection = await _open(self.config, self._push)
        _raise_if_error(await self._connection.send(encode_command(*args)))

    def _push(self, reply: list[Any]) -> None:
        # ["message", channel, data] or ["pmessage", pattern, channel, data]
        channel, data = reply[-2], reply[-1]
        if type(channel) is bytes and type(data) is bytes:
            self._on_message(channel, data)
