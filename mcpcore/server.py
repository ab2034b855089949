"""The server facade: decorators to register capabilities, the method table, ``run()``.

:class:`Server` holds what is the same for every connection (identity,
registries, the method table); :class:`~mcpcore.router.Connection` holds what
is per connection (lifecycle, in-flight requests). One server can serve any
number of connections at once.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable
from typing import Any, Literal, TypeVar

from mcpcore import versions
from mcpcore.context import Context
from mcpcore.loop import LoopName
from mcpcore.loop import run as run_loop
from mcpcore.registry._calls import DEFAULT_MAX_THREADS, ThreadPool
from mcpcore.registry.completion import CompletionRegistry
from mcpcore.registry.input_required import DEFAULT_STATE_TTL, StateSealer
from mcpcore.registry.prompts import Prompt, PromptRegistry
from mcpcore.registry.resources import Resource, ResourceRegistry
from mcpcore.registry.subscriptions import Subscriptions
from mcpcore.registry.tasks import (
    DEFAULT_MAX_TASKS,
    DEFAULT_MAX_TTL_MS,
    DEFAULT_POLL_INTERVAL_MS,
    DEFAULT_TTL_MS,
    Tasks,
    TaskStore,
)
from mcpcore.registry.tools import RunMode, TaskDetach, TaskSupport, Tool, ToolRegistry
from mcpcore.router import DEFAULT_MAX_IN_FLIGHT, Connection, FlowControl, Method, Sink
from mcpcore.session import META_SERVER_INFO
from mcpcore.wire.lines import DEFAULT_MAX_FRAME_BYTES

__all__ = ["Server"]

_log = logging.getLogger("mcpcore.server")

F = TypeVar("F", bound=Callable[..., Any])

CacheScope = Literal["public", "private"]

#: Which members of ``Implementation`` (serverInfo) each version's schema defines.
_INFO_FIELDS: dict[str, frozenset[str]] = {
    versions.V2024_11_05: frozenset({"name", "version"}),
    versions.V2025_03_26: frozenset({"name", "version"}),
    versions.V2025_06_18: frozenset({"name", "version", "title"}),
    versions.V2025_11_25: frozenset({"name", "version", "title", "description", "icons", "websiteUrl"}),
    versions.V2026_07_28: frozenset({"name", "version", "title", "description", "icons", "websiteUrl"}),
}


class Server:
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
    (random per process by default; give every replica the same key), and
    ``state_ttl`` how many seconds a sealed state stays valid.
    ``client_request_timeout`` bounds each server-to-client request (legacy
    sampling, elicitation, roots, ping). ``logging`` declares the logging
    capability, so handlers may send log notifications through their context.

    Tasks (tools registered with ``task_support``): at most ``max_tasks`` kept
    at once; ``task_ttl_ms`` is the TTL a task gets unless a 2025-11-25 client
    asks for one, capped at ``task_max_ttl_ms``; ``task_poll_interval_ms`` is
    the polling interval suggested to clients.
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
        self.state_sealer = StateSealer(state_key, ttl=state_ttl)
        self.tools = ToolRegistry(page_size=page_size, validate_output=validate_output)
        self.tools.on_change = self._tools_changed
        self.resources = ResourceRegistry(page_size=page_size)
        self.resources.on_change = self._resources_changed
        self.prompts = PromptRegistry(page_size=page_size)
        self.prompts.on_change = self._prompts_changed
        self.completions = CompletionRegistry(self.prompts, self.resources)
        self.subscriptions = Subscriptions(self)
        self.capabilities: dict[str, Any] = {"logging": {}} if logging else {}
        self.connections: set[Connection] = set()
        self.notification_handlers: dict[str, Callable[[dict[str, Any], Connection], None]] = {}
        subs = self.subscriptions
        self.methods: dict[str, Method] = {
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
        store = TaskStore(
            max_tasks=max_tasks,
            default_ttl_ms=task_ttl_ms,
            max_ttl_ms=task_max_ttl_ms,
            poll_interval_ms=task_poll_interval_ms,
        )
        self.tasks = Tasks(self, store, page_size=page_size)
        self.tools.task_hook = self.tasks.dispatch
        self.methods.update(self.tasks.methods())

    # ------------------------------------------------------------ registration

    def tool(
        self,
        name: str | None = None,
        *,
        title: str | None = None,
        description: str | None = None,
        input_schema: dict[str, Any] | None = None,
        output_schema: dict[str, Any] | None = None,
        annotations: dict[str, Any] | None = None,
        icons: list[dict[str, Any]] | None = None,
        meta: dict[str, Any] | None = None,
        run: RunMode | None = None,
        timeout: float | None = None,
        task_support: TaskSupport | None = None,
        task_detach: TaskDetach = "start",
    ) -> Callable[[F], F]:
        """Register the decorated function as a tool and return it unchanged.

        Schemas come from the type hints and docstring unless given. ``run``
        says where the tool executes: ``"loop"`` (default for ``async def``;
        a plain function with ``"loop"`` is called inline and must not block)
        or ``"thread"`` (default for plain functions). ``timeout`` (seconds)
        answers a call that runs longer with an ``isError`` result.
        ``task_support`` (``"optional"``/``"required"``) lets calls run as
        tasks; ``task_detach="manual"``: only once the tool awaits ``ctx.detach()``.
        """

        def register(fn: F) -> F:
            self.add_tool(
                fn,
                name=name,
                title=title,
                description=description,
                input_schema=input_schema,
                output_schema=output_schema,
                annotations=annotations,
                icons=icons,
                meta=meta,
                run=run,
                timeout=timeout,
                task_support=task_support,
                task_detach=task_detach,
            )
            return fn

        return register

    def add_tool(self, fn: Callable[..., Any], **options: Any) -> Tool:
        """Register ``fn`` as a tool (the non-decorator form of :meth:`tool`)."""
        tool = self.tools.add(fn, **options)
        if tool.task_support is not None:
            self.tasks.enable()
        return tool

    def remove_tool(self, name: str) -> None:
        """Unregister a tool; connected clients are told the list changed."""
        self.tools.remove(name)

    def resource(
        self,
        uri: str,
        *,
        name: str | None = None,
        title: str | None = None,
        description: str | None = None,
        mime_type: str | None = None,
        size: int | None = None,
        annotations: dict[str, Any] | None = None,
        icons: list[dict[str, Any]] | None = None,
        meta: dict[str, Any] | None = None,
        ttl_ms: int | None = None,
        cache_scope: CacheScope | None = None,
        run: RunMode | None = None,
        completions: dict[str, Callable[..., Any]] | None = None,
    ) -> Callable[[F], F]:
        """Register the decorated function as a resource (fixed URI) or template (RFC 6570 URI).

        A template's variables are passed as keyword arguments. ``ttl_ms`` and
        ``cache_scope`` override the server's cache hints for reads of this
        resource; ``completions`` maps template variables to completers.
        """

        def register(fn: F) -> F:
            self.add_resource(
                fn,
                uri,
                name=name,
                title=title,
                description=description,
                mime_type=mime_type,
                size=size,
                annotations=annotations,
                icons=icons,
                meta=meta,
                ttl_ms=ttl_ms,
                cache_scope=cache_scope,
                run=run,
            )
            for argument, completer in (completions or {}).items():
                self.add_completion(completer, argument=argument, resource=uri)
            return fn

        return register

    def add_resource(self, fn: Callable[..., Any], uri: str, **options: Any) -> Resource:
        """Register ``fn`` as a resource or template (the non-decorator form of :meth:`resource`)."""
        return self.resources.add(fn, uri, **options)

    def remove_resource(self, uri: str) -> None:
        """Unregister a resource or template; connected clients are told the list changed."""
        self.resources.remove(uri)

    def prompt(
        self,
        name: str | None = None,
        *,
        title: str | None = None,
        description: str | None = None,
        arguments: list[dict[str, Any]] | None = None,
        icons: list[dict[str, Any]] | None = None,
        meta: dict[str, Any] | None = None,
        run: RunMode | None = None,
        completions: dict[str, Callable[..., Any]] | None = None,
    ) -> Callable[[F], F]:
        """Register the decorated function as a prompt; its parameters are the prompt's arguments.

        ``completions`` maps argument names to completers (see :meth:`completion`).
        """

        def register(fn: F) -> F:
            prompt = self.add_prompt(
                fn,
                name=name,
                title=title,
                description=description,
                arguments=arguments,
                icons=icons,
                meta=meta,
                run=run,
            )
            for argument, completer in (completions or {}).items():
                self.add_completion(completer, argument=argument, prompt=prompt.name)
            return fn

        return register

    def add_prompt(self, fn: Callable[..., Any], **options: Any) -> Prompt:
        """Register ``fn`` as a prompt (the non-decorator form of :meth:`prompt`)."""
        return self.prompts.add(fn, **options)

    def remove_prompt(self, name: str) -> None:
        """Unregister a prompt; connected clients are told the list changed."""
        self.prompts.remove(name)

    def completion(
        self, *, argument: str, prompt: str | None = None, resource: str | None = None
    ) -> Callable[[F], F]:
        """Register the decorated function to complete one prompt argument or template variable.

        It takes the partial value (and optionally the other arguments as a
        dict) and returns candidate strings; sync completers run inline.
        """

        def register(fn: F) -> F:
            self.add_completion(fn, argument=argument, prompt=prompt, resource=resource)
            return fn

        return register

    def add_completion(
        self, fn: Callable[..., Any], *, argument: str, prompt: str | None = None, resource: str | None = None
    ) -> None:
        """Register a completer (the non-decorator form of :meth:`completion`)."""
        self.completions.add(fn, argument=argument, prompt=prompt, resource=resource)
        self._declare("completions", {})

    # ----------------------------------------------------------- notifications

    def _declare(self, capability: str, value: dict[str, Any]) -> None:
        """Declare a capability (sticky: registries may empty, the methods keep answering)."""
        if capability not in self.capabilities:
            self.capabilities = {**self.capabilities, capability: value}

    def _tools_changed(self) -> None:
        self._declare("tools", {"listChanged": True})
        self.subscriptions.list_changed("tools")

    def _resources_changed(self) -> None:
        self._declare("resources", {"subscribe": True, "listChanged": True})
        self.subscriptions.list_changed("resources")

    def _prompts_changed(self) -> None:
        self._declare("prompts", {"listChanged": True})
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

    def connect(self, sink: Sink, flow: FlowControl | None = None) -> Connection:
        """Start a connection whose frames go to ``sink`` (transports call this)."""
        connection = Connection(self, sink, flow, max_in_flight=self.max_in_flight)
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
            capabilities = {k: v for k, v in capabilities.items() if k not in drop}
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

    # -------------------------------------------------------------------- run

    def run(
        self,
        transport: Literal["stdio", "http"] = "stdio",
        *,
        loop: LoopName | None = None,
        host: str = "127.0.0.1",
        port: int = 8000,
        **http_options: Any,
    ) -> None:
        """Serve on stdio until stdin closes, or over HTTP until a signal arrives (uvloop where available).

        ``transport="http"`` runs the built-in HTTP/1.1 server on ``host:port``
        (loopback by default; the endpoint is ``/mcp``); further keyword
        arguments are :class:`~mcpcore.transport.streamable.HttpOptions` fields.
        """
        if transport not in ("stdio", "http"):
            raise ValueError(f"unknown transport {transport!r}")
        _configure_default_logging()
        if transport == "http":
            run_loop(self.serve_http(host, port, **http_options), loop=loop)
        else:
            run_loop(self.serve_stdio(), loop=loop)
        _exit_past_stuck_threads()

    async def serve_http(self, host: str = "127.0.0.1", port: int = 8000, **http_options: Any) -> None:
        """Serve Streamable HTTP (both eras) on the built-in server until SIGINT/SIGTERM."""
        from mcpcore.transport.http import serve_http
        from mcpcore.transport.streamable import HttpOptions

        await serve_http(self, host, port, options=HttpOptions(**http_options))

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

        await serve_stdio(self)


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


def _configure_default_logging() -> None:
    """Log to stderr at WARNING unless the application configured logging itself."""
    root = logging.getLogger()
    if not root.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root.addHandler(handler)
        root.setLevel(logging.WARNING)
