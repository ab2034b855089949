"""The server facade: decorators to register capabilities, the method table, ``run()``.

:class:`Server` holds what is the same for every connection (identity,
registries, the method table); :class:`~mcpcore.router.Connection` holds what
is per connection (lifecycle, in-flight requests). One server can serve any
number of connections at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import sys
from collections.abc import AsyncIterator, Callable, Iterable
from typing import Any, Literal

from mcpcore import versions
from mcpcore.context import Context
from mcpcore.loop import LoopName
from mcpcore.loop import run as run_loop
from mcpcore.middleware import Middleware, Registered
from mcpcore.registration import CacheScope, NotificationHandler, Registration
from mcpcore.registry._calls import DEFAULT_MAX_THREADS, ThreadPool
from mcpcore.registry.completion import CompletionRegistry
from mcpcore.registry.input_required import DEFAULT_STATE_TTL, StateSealer
from mcpcore.registry.prompts import PromptRegistry
from mcpcore.registry.resources import ResourceRegistry
from mcpcore.registry.skills import SkillRegistry
from mcpcore.registry.subscriptions import Subscriptions
from mcpcore.registry.tasks import EXTENSION as TASKS_EXTENSION
from mcpcore.registry.tasks import Tasks
from mcpcore.registry.tools import ToolRegistry
from mcpcore.router import DEFAULT_MAX_IN_FLIGHT, Connection, FlowControl, Method, Sink
from mcpcore.session import META_SERVER_INFO
from mcpcore.stores import is_redis_url, open_bus, open_task_store
from mcpcore.stores.bus import SubscriptionBus
from mcpcore.stores.memory import InMemoryBus
from mcpcore.stores.tasks import (
    DEFAULT_MAX_TASKS,
    DEFAULT_MAX_TTL_MS,
    DEFAULT_POLL_INTERVAL_MS,
    DEFAULT_TTL_MS,
    TaskLimits,
    TaskStore,
)
from mcpcore.wire.lines import DEFAULT_MAX_FRAME_BYTES

__all__ = ["Lifespan", "LifespanError", "NotificationHandler", "Server"]

_log = logging.getLogger("mcpcore.server")

#: The environment variable that gives every replica of a fleet the same ``requestState`` key.
STATE_KEY_ENV = "MCPCORE_STATE_KEY"


#: ``lifespan(server)``: an async context manager around serving; what it yields is ``ctx.lifespan_state``.
Lifespan = Callable[["Server"], contextlib.AbstractAsyncContextManager[Any]]


class LifespanError(RuntimeError):
    """The server's lifespan failed to start; ``__cause__`` is what it raised."""


#: Which members of ``Implementation`` (serverInfo) each version's schema defines.
_INFO_FIELDS: dict[str, frozenset[str]] = {
    versions.V2024_11_05: frozenset({"name", "version"}),
    versions.V2025_03_26: frozenset({"name", "version"}),
    versions.V2025_06_18: frozenset({"name", "version", "title"}),
    versions.V2025_11_25: frozenset({"name", "version", "title", "description", "icons", "websiteUrl"}),
    versions.V2026_07_28: frozenset({"name", "version", "title", "description", "icons", "websiteUrl"}),
}


class Server(Registration):
    """An MCP server: register tools with decorators, then ``run()``.

    Limits are explicit and configurable here: ``max_frame_bytes`` (one stdio
    message), ``max_in_flight`` (concurrent requests per connection before
    reading pauses), ``shutdown_grace`` (seconds running requests get on
    shutdown). ``max_threads`` is this server's worker threads for plain ``def``
    tools, resources and prompts (default ``min(32, cpus + 4)``); a thread
    whose call passed its tool ``timeout`` counts as hung until it returns, and
    once all are hung, thread-tool calls get an ``isError`` result at once.
    ``page_size`` paginates list results (``None``: one page).
    ``cache_ttl_ms`` and ``cache_scope`` are the 2026-07-28 cache hints on
    cacheable results (a resource may set its own).

    ``state_key`` is the HMAC key that seals 2026-07-28 ``requestState``
    (default: the ``MCPCORE_STATE_KEY`` environment variable, else random per
    process; give every replica the same key, see :meth:`use_state_key`), and
    ``state_ttl`` how many seconds a sealed state stays valid.
    ``client_request_timeout`` bounds each server-to-client request (legacy
    sampling, elicitation, roots, ping). ``logging`` declares the logging
    capability, so handlers may send log notifications through their context.

    Tasks (tools registered with ``task_support``): at most ``max_tasks`` kept
    at once; ``task_ttl_ms`` is the TTL a task gets unless a 2025-11-25 client
    asks for one, capped at ``task_max_ttl_ms``; ``task_poll_interval_ms`` is
    the polling interval suggested to clients.

    ``store`` is where state that must outlive one process lives: None keeps
    it in memory (one process), ``"redis://host:6379/0"`` shares tasks with
    every replica using the same Redis (``pip install mcpcore[redis]``), and a
    :class:`~mcpcore.stores.tasks.TaskStore` object is used as is. See
    :meth:`use_store` to choose it after construction (``--redis``).

    ``lifespan`` (``async with lifespan(server) as state``) runs around
    serving: ``run()``, each built-in HTTP server process, the ASGI lifespan,
    and an in-memory ``Client(server)`` when nothing else runs it; ``state``
    is ``ctx.lifespan_state`` in every handler. ``middleware`` wraps requests
    (see :meth:`middleware`).

    ``bus`` carries server events (``list_changed``, resource updates,
    per-connection notifications such as task status) to every listener:
    in-process by default; ``RedisBus("redis://...")`` makes a change on one
    replica reach listen streams and sessions on every replica. It is
    started and closed with :meth:`running`.
    """

    def __init__(
        self,
        name: str,
        version: str = "0.0.0",
        *,
        title: str | None = None,
        description: str | None = None,
        instructions: str | None = None,
        website_url: str | None = None,
        icons: list[dict[str, Any]] | None = None,
        page_size: int | None = None,
        max_frame_bytes: int = DEFAULT_MAX_FRAME_BYTES,
        max_in_flight: int = DEFAULT_MAX_IN_FLIGHT,
        shutdown_grace: float = 5.0,
        max_threads: int = DEFAULT_MAX_THREADS,
        cache_ttl_ms: int = 0,
        cache_scope: CacheScope = "private",
        validate_output: bool = True,
        state_key: bytes | None = None,
        state_ttl: float = DEFAULT_STATE_TTL,
        client_request_timeout: float = 60.0,
        logging: bool = True,
        max_tasks: int = DEFAULT_MAX_TASKS,
        task_ttl_ms: int | None = DEFAULT_TTL_MS,
        task_max_ttl_ms: int | None = DEFAULT_MAX_TTL_MS,
        task_poll_interval_ms: int = DEFAULT_POLL_INTERVAL_MS,
        lifespan: Lifespan | None = None,
        middleware: Iterable[Middleware] = (),
        store: str | TaskStore | None = None,
        bus: SubscriptionBus | None = None,
    ) -> None:
        info: dict[str, Any] = {"name": name, "version": version}
        for key, value in (
            ("title", title),
            ("description", description),
            ("icons", icons),
            ("websiteUrl", website_url),
        ):
            if value is not None:
                info[key] = value
        self.info = info
        self.instructions = instructions
        self.max_frame_bytes = max_frame_bytes
        self.max_in_flight = max_in_flight
        self.shutdown_grace = shutdown_grace
        #: Worker threads for ``run="thread"`` tools, resources and prompts (one pool per server).
        self.threads = ThreadPool(max_threads)
        if cache_ttl_ms < 0:
            raise ValueError("cache_ttl_ms must be >= 0")
        self.cache_ttl_ms = cache_ttl_ms
        self.cache_scope: CacheScope = cache_scope
        #: ``_meta`` every 2026-07-28 result carries (the spec's SHOULD for serverInfo).
        self.result_meta: dict[str, Any] = {META_SERVER_INFO: self._info_for(versions.LATEST_MODERN)}
        if client_request_timeout <= 0:
            raise ValueError("client_request_timeout must be > 0 seconds")
        self.client_request_timeout = client_request_timeout
        if state_key is None:
            state_key = state_key_from_environment()
        #: Whether the requestState key was chosen (argument, environment, use_state_key); if not and a
        #: Redis store is configured, the replicas agree on one through it when serving starts.
        self.state_key_given = state_key is not None
        self.state_sealer = StateSealer(state_key, ttl=state_ttl)
        self.tools = ToolRegistry(page_size=page_size, validate_output=validate_output)
        self.tools.on_change = self._tools_changed
        self.resources = ResourceRegistry(page_size=page_size)
        self.resources.on_change = self._resources_changed
        self.prompts = PromptRegistry(page_size=page_size)
        self.prompts.on_change = self._prompts_changed
        self.completions = CompletionRegistry(self.prompts, self.resources)
        self.skills = SkillRegistry(self, page_size=page_size)
        #: How server events reach listeners, here and on other replicas.
        self.task_limits = TaskLimits(
            max_tasks=max_tasks,
            default_ttl_ms=task_ttl_ms,
            max_ttl_ms=task_max_ttl_ms,
            poll_interval_ms=task_poll_interval_ms,
        )
        task_store = open_task_store(store, self.task_limits)
        self.bus: SubscriptionBus = bus if bus is not None else open_bus(store, task_store) or InMemoryBus()
        self.subscriptions = Subscriptions(self, self.bus)
        self.capabilities: dict[str, Any] = {"logging": {}} if logging else {}
        self.connections: set[Connection] = set()
        self.notification_handlers: dict[str, NotificationHandler] = {}
        subs = self.subscriptions
        #: Every method as registered; :attr:`methods` is the same table behind the middleware.
        self._registered: dict[str, Method] = {
            "initialize": Method(self._initialize, modern=False, needs_session=False),
            "ping": Method(_ping, modern=False, needs_session=False),
            "server/discover": Method(self._discover, legacy=False),
            "tools/list": Method(self.tools.list_tools, capability="tools"),
            "tools/call": Method(self.tools.call_tool, capability="tools"),
            "resources/list": Method(self.resources.list_resources, capability="resources"),
            "resources/templates/list": Method(self.resources.list_templates, capability="resources"),
            "resources/read": Method(self.resources.read, capability="resources"),
            "resources/subscribe": Method(subs.subscribe, capability="resources", modern=False),
            "resources/unsubscribe": Method(subs.unsubscribe, capability="resources", modern=False),
            "prompts/list": Method(self.prompts.list_prompts, capability="prompts"),
            "prompts/get": Method(self.prompts.get_prompt, capability="prompts"),
            "completion/complete": Method(self.completions.complete, capability="completions"),
            "logging/setLevel": Method(subs.set_level, capability="logging", modern=False),
            "subscriptions/listen": Method(subs.listen, legacy=False),
        }
        #: The ``store`` option as given (None: in memory); ``self.tasks.store`` is the task store it opened.
        self.store = store
        self.tasks = Tasks(self, task_store, page_size=page_size)
        self.tools.task_hook = self.tasks.dispatch
        self._registered.update(self.tasks.methods())
        self._middleware: list[Registered] = [Registered(entry) for entry in middleware]
        #: The dispatch table connections read (updated in place when middleware or methods change).
        self.methods: dict[str, Method] = {}
        self._refresh_methods()
        self._lifespan = lifespan
        #: What the lifespan yielded, while it runs (``ctx.lifespan_state``).
        self.lifespan_state: Any = None
        self._lifespan_users = 0
        self._lifespan_stack: contextlib.AsyncExitStack | None = None
        self._lifespan_lock: asyncio.Lock | None = None

    def use_store(self, store: str | TaskStore | None, **options: Any) -> None:
        """Choose the store after construction (what ``--redis URL`` does), before serving starts.

        ``store`` is as for the constructor; ``options`` go to the Redis store
        (e.g. ``lease_ms``). Tasks already created are not carried over.
        """
        task_store = open_task_store(store, self.task_limits, **options)
        self.tasks.use_store(task_store)
        bus = open_bus(store, task_store)
        if bus is not None:
            self.bus = bus
            self.subscriptions.use_bus(bus)
        self.store = store

    # ----------------------------------------------------------- notifications

    def declare(self, capability: str, value: dict[str, Any]) -> None:
        """Declare a capability (sticky: registries may empty, the methods keep answering)."""
        if capability not in self.capabilities:
            self.capabilities = {**self.capabilities, capability: value}

    def _tools_changed(self) -> None:
        self.declare("tools", {"listChanged": True})
        self.subscriptions.list_changed("tools")

    def _resources_changed(self) -> None:
        self.declare("resources", {"subscribe": True, "listChanged": True})
        self.subscriptions.list_changed("resources")

    def _prompts_changed(self) -> None:
        self.declare("prompts", {"listChanged": True})
        self.subscriptions.list_changed("prompts")

    def notify_list_changed(self, kind: Literal["tools", "prompts", "resources"]) -> None:
        """Tell clients a list changed for reasons the registry cannot see (e.g. its items' content)."""
        self.subscriptions.list_changed(kind)

    def resource_updated(self, uri: str) -> None:
        """Tell clients subscribed to ``uri`` (legacy subscribe, or a listen stream) that it changed."""
        self.subscriptions.resource_updated(uri)

    def broadcast(self, method: str, params: dict[str, Any] | None = None) -> None:
        """Send a notification to every initialized legacy connection."""
        for connection in self.connections:
            if connection.session.envelope is not None:
                connection.notify_nowait(method, params)

    # ------------------------------------------------------------- connections

    def connect(
        self, sink: Sink, flow: FlowControl | None = None, *, first_request_id: int = 1
    ) -> Connection:
        """Start a connection whose frames go to ``sink`` (transports call this).

        ``first_request_id``: the first id of the connection's requests to its
        client (a replica numbers from its own range so answers find it).
        """
        connection = Connection(
            self, sink, flow, max_in_flight=self.max_in_flight, first_request_id=first_request_id
        )
        self.connections.add(connection)
        return connection

    def disconnect(self, connection: Connection) -> None:
        """Forget a connection that has ended."""
        connection.close()
        self.connections.discard(connection)
        self.subscriptions.forget(connection)
        self.tasks.forget(connection)

    # ---------------------------------------------------------------- results

    def _info_for(self, version: str) -> dict[str, Any]:
        fields = _INFO_FIELDS[version]
        return {key: value for key, value in self.info.items() if key in fields}

    def _capabilities_for(self, version: str) -> dict[str, Any]:
        """The declared capabilities, without members the version's schema does not define."""
        capabilities = self.capabilities
        if version == versions.V2024_11_05 and "completions" in capabilities:
            capabilities = {k: v for k, v in capabilities.items() if k != "completions"}
        if "tasks" in capabilities or "extensions" in capabilities:  # 2025-11-25 only / 2026-07-28 only
            drop = {"extensions"} if version == versions.V2025_11_25 else {"extensions", "tasks"}
            legacy_extensions = _legacy_extensions(capabilities.get("extensions"))
            capabilities = {k: v for k, v in capabilities.items() if k not in drop}
            if legacy_extensions:
                capabilities["extensions"] = legacy_extensions
        return capabilities

    def modern_result(self, result: dict[str, Any], *, cacheable: bool = False) -> dict[str, Any]:
        """Shape a result for 2026-07-28: ``resultType``, serverInfo in ``_meta``, cache hints."""
        modern = {"resultType": "complete", **result}
        meta = result.get("_meta")
        modern["_meta"] = {**meta, **self.result_meta} if type(meta) is dict else self.result_meta
        if cacheable:
            modern.setdefault("ttlMs", self.cache_ttl_ms)
            modern.setdefault("cacheScope", self.cache_scope)
        return modern

    # ------------------------------------------------------------ core methods

    def _initialize(self, params: dict[str, Any], context: Context) -> dict[str, Any]:
        envelope = context.connection.session.initialize(params)
        version = envelope.protocol_version
        result: dict[str, Any] = {
            "protocolVersion": version,
            "capabilities": self._capabilities_for(version),
            "serverInfo": self._info_for(version),
        }
        if self.instructions:
            result["instructions"] = self.instructions
        client = envelope.client_info or {}
        _log.info(
            "initialized %s %s with protocol %s", client.get("name", "?"), client.get("version", "?"), version
        )
        return result

    def _discover(self, params: dict[str, Any], context: Context) -> dict[str, Any]:
        result: dict[str, Any] = {
            "supportedVersions": list(versions.SUPPORTED_VERSIONS),
            "capabilities": (
                {k: v for k, v in self.capabilities.items() if k != "tasks"}  # the extension replaces it
                if "tasks" in self.capabilities
                else self.capabilities
            ),
        }
        if self.instructions:
            result["instructions"] = self.instructions
        result["ttlMs"] = self.cache_ttl_ms
        result["cacheScope"] = self.cache_scope
        return result

    # --------------------------------------------------------------- lifespan

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """Run the lifespan around serving: entered once however many servers or clients nest.

        Transports enter this; the first to do so starts the bus and the
        lifespan, the last to leave shuts them down. A failed startup raises
        :class:`LifespanError`.
        """
        if self._lifespan_lock is None:
            self._lifespan_lock = asyncio.Lock()
        async with self._lifespan_lock:
            if self._lifespan_users == 0:
                await self._agree_state_key()
                await self.bus.start()
                if self._lifespan is not None:
                    stack = contextlib.AsyncExitStack()
                    try:
                        self.lifespan_state = await stack.enter_async_context(self._lifespan(self))
                    except Exception as exc:
                        await self.bus.close()
                        raise LifespanError(f"the server's lifespan failed to start: {exc!r}") from exc
                    self._lifespan_stack = stack
            self._lifespan_users += 1
        try:
            yield
        finally:
            async with self._lifespan_lock:
                self._lifespan_users -= 1
                if self._lifespan_users == 0:
                    open_stack, self._lifespan_stack = self._lifespan_stack, None
                    try:
                        if open_stack is not None:
                            await open_stack.aclose()
                    finally:
                        self.lifespan_state = None
                        await self.bus.close()

    # -------------------------------------------------------------------- run

    def use_state_key(self, key: bytes | str) -> None:
        """Seal ``requestState`` with ``key`` from now on (at least 16 bytes; a str is UTF-8 encoded).

        Replicas behind a load balancer must share one key: a retry carrying
        the ``requestState`` one replica sealed may reach another. This is what
        ``mcpcore run --state-key`` calls on a server loaded from a module.
        """
        raw = key.encode() if isinstance(key, str) else key
        self.state_sealer = StateSealer(raw, ttl=self.state_sealer.ttl)
        self.state_key_given = True

    async def _agree_state_key(self) -> None:
        """With a Redis store and no key given, take the fleet's shared key from Redis (or keep ours)."""
        if self.state_key_given or not isinstance(self.store, str) or not is_redis_url(self.store):
            return
        from mcpcore.stores.redis import shared_state_key

        try:
            key = await shared_state_key(self.store)
        except Exception as exc:  # Redis down at start: serve anyway; stateless calls need no store
            _log.warning(
                "could not agree on a requestState key through %s (%s): this replica seals with its own "
                "key, so a retry that reaches another replica is refused; give --state-key to avoid this",
                self.store,
                exc,
            )
            return
        self.state_sealer = StateSealer(key, ttl=self.state_sealer.ttl)

    def run(
        self,
        transport: Literal["stdio", "http"] = "stdio",
        *,
        loop: LoopName | None = None,
        host: str = "127.0.0.1",
        port: int = 8000,
        workers: int = 1,
        sock: socket.socket | None = None,
        **http_options: Any,
    ) -> None:
        """Serve on stdio until stdin closes, or over HTTP until a signal arrives (uvloop where available).

        ``transport="http"`` runs the built-in HTTP/1.1 server on ``host:port``
        (loopback by default; the endpoint is ``/mcp``), or on ``sock``, a bound
        socket (e.g. from socket activation); further keyword arguments are
        :class:`~mcpcore.transport.streamable.HttpOptions` fields. ``workers=N``
        (N > 1) serves from N forked processes sharing the port, restarted if
        they die, all drained on SIGTERM (:mod:`mcpcore.transport.workers`);
        the process exits when they have.
        """
        if transport not in ("stdio", "http"):
            raise ValueError(f"unknown transport {transport!r}")
        if type(workers) is not int or workers < 1:
            raise ValueError("workers must be an int >= 1")
        if workers > 1 and (transport != "http" or sock is not None):
            raise ValueError("workers > 1 serves HTTP on host:port (not stdio, not a given sock)")
        _configure_default_logging()
        if workers > 1:
            from mcpcore.transport.workers import serve_workers

            status = serve_workers(self, workers, host=host, port=port, loop=loop, **http_options)
            if status:
                raise SystemExit(status)
            return
        try:
            if transport == "http":
                run_loop(self.serve_http(host, port, sock=sock, **http_options), loop=loop)
            else:
                run_loop(self.serve_stdio(), loop=loop)
        except LifespanError as exc:
            _log.error("%s", exc, exc_info=exc.__cause__)
            raise SystemExit(1) from None
        _exit_past_stuck_threads()

    async def serve_http(
        self,
        host: str = "127.0.0.1",
        port: int = 8000,
        *,
        sock: socket.socket | None = None,
        **http_options: Any,
    ) -> None:
        """Serve Streamable HTTP (both eras) on the built-in server until SIGINT/SIGTERM.

        ``sock``: listen on this bound socket instead of binding ``host:port``.
        """
        from mcpcore.transport.http import serve_http
        from mcpcore.transport.streamable import HttpOptions

        options = HttpOptions(**http_options)
        async with self.running():
            await serve_http(self, host, port, options=options, sock=sock)

    def asgi_app(self, **http_options: Any) -> Any:
        """This server as an ASGI 3 application (uvicorn, hypercorn, granian; mountable in Starlette).

        Keyword arguments are :class:`~mcpcore.transport.streamable.HttpOptions` fields.
        """
        from mcpcore.transport.asgi import AsgiApp
        from mcpcore.transport.streamable import HttpOptions

        return AsgiApp(self, HttpOptions(**http_options))

    async def serve_stdio(self) -> None:
        """Serve this process's stdin/stdout as one MCP connection (for use inside a running loop)."""
        from mcpcore.transport.stdio import serve_stdio

        async with self.running():
            await serve_stdio(self)


def _legacy_extensions(extensions: Any) -> dict[str, Any]:
    """The extensions a handshake session is told of: all but tasks (which has its legacy capability).

    The 2025-11-25 and older schemas leave ServerCapabilities open, so an
    extension such as skills is declared the same way to both eras.
    """
    if type(extensions) is not dict:
        return {}
    return {key: value for key, value in extensions.items() if key != TASKS_EXTENSION}


def _ping(params: dict[str, Any], context: Context) -> dict[str, Any]:
    return {}


def _exit_past_stuck_threads() -> None:
    """End the process even if a sync tool is still blocked in a worker thread.

    Shutdown has already given running requests their grace period; a thread
    cannot be cancelled, and the interpreter would join it for ever at exit.
    Only :meth:`Server.run`, which owns the process, does this.
    """
    from mcpcore.registry._calls import busy_threads

    stuck = busy_threads()
    if stuck:
        _log.warning("exiting with %d tool thread(s) still running", stuck)
        logging.shutdown()
        sys.stderr.flush()
        os._exit(0)


def state_key_from_environment() -> bytes | None:
    """``MCPCORE_STATE_KEY`` (UTF-8), the shared ``requestState`` key of a fleet, or ``None`` if unset."""
    value = os.environ.get(STATE_KEY_ENV)
    return value.encode() if value else None


def _configure_default_logging() -> None:
    """Log to stderr at WARNING unless the application configured logging itself."""
    root = logging.getLogger()
    if not root.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root.addHandler(handler)
        root.setLevel(logging.WARNING)
