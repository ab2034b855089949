"""The server facade: decorators to register capabilities, the method table, ``run()``.

:class:`Server` holds what is the same for every connection (identity,
registries, the method table); :class:`~mcpcore.router.Connection` holds what
is per connection (lifecycle, in-flight requests). One server can serve any
number of connections at once.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from typing import Any, Literal, TypeVar

from mcpcore import versions
from mcpcore.context import Context
from mcpcore.loop import LoopName
from mcpcore.loop import run as run_loop
from mcpcore.registry.tools import RunMode, Tool, ToolRegistry
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
    shutdown). ``page_size`` paginates list results (``None``: one page).
    ``cache_ttl_ms`` and ``cache_scope`` are the 2026-07-28 cache hints on
    cacheable results.
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
        cache_ttl_ms: int = 0,
        cache_scope: CacheScope = "private",
        validate_output: bool = True,
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
        if cache_ttl_ms < 0:
            raise ValueError("cache_ttl_ms must be >= 0")
        self.cache_ttl_ms = cache_ttl_ms
        self.cache_scope: CacheScope = cache_scope
        #: ``_meta`` every 2026-07-28 result carries (the spec's SHOULD for serverInfo).
        self.result_meta: dict[str, Any] = {META_SERVER_INFO: self._info_for(versions.LATEST_MODERN)}
        self.tools = ToolRegistry(page_size=page_size, validate_output=validate_output)
        self.tools.on_change = self._tools_changed
        self.capabilities: dict[str, Any] = {}
        self.connections: set[Connection] = set()
        self.notification_handlers: dict[str, Callable[[dict[str, Any], Connection], None]] = {}
        self.methods: dict[str, Method] = {
            "initialize": Method(self._initialize, modern=False, needs_session=False),
            "ping": Method(_ping, modern=False, needs_session=False),
            "server/discover": Method(self._discover, legacy=False),
            "tools/list": Method(self.tools.list_tools, capability="tools"),
            "tools/call": Method(self.tools.call_tool, capability="tools"),
        }

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
    ) -> Callable[[F], F]:
        """Register the decorated function as a tool and return it unchanged.

        Schemas come from the type hints and docstring unless given. ``run``
        says where the tool executes: ``"loop"`` (default for ``async def``;
        a plain function with ``"loop"`` is called inline and must not block)
        or ``"thread"`` (default for plain functions).
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
            )
            return fn

        return register

    def add_tool(self, fn: Callable[..., Any], **options: Any) -> Tool:
        """Register ``fn`` as a tool (the non-decorator form of :meth:`tool`)."""
        return self.tools.add(fn, **options)

    def remove_tool(self, name: str) -> None:
        """Unregister a tool; connected clients are told the list changed."""
        self.tools.remove(name)

    def _tools_changed(self) -> None:
        if "tools" not in self.capabilities:
            self.capabilities = {**self.capabilities, "tools": {"listChanged": True}}
        self.broadcast("notifications/tools/list_changed")

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

    # ---------------------------------------------------------------- results

    def _info_for(self, version: str) -> dict[str, Any]:
        fields = _INFO_FIELDS[version]
        return {key: value for key, value in self.info.items() if key in fields}

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
            "capabilities": self.capabilities,
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
            "capabilities": self.capabilities,
        }
        if self.instructions:
            result["instructions"] = self.instructions
        result["ttlMs"] = self.cache_ttl_ms
        result["cacheScope"] = self.cache_scope
        return result

    # -------------------------------------------------------------------- run

    def run(self, transport: Literal["stdio"] = "stdio", *, loop: LoopName | None = None) -> None:
        """Serve on stdio until stdin closes or a signal arrives (uvloop where available)."""
        if transport != "stdio":
            raise ValueError(f"unknown transport {transport!r}")
        _configure_default_logging()
        run_loop(self.serve_stdio(), loop=loop)

    async def serve_stdio(self) -> None:
        """Serve this process's stdin/stdout as one MCP connection (for use inside a running loop)."""
        from mcpcore.transport.stdio import serve_stdio

        await serve_stdio(self)


def _ping(params: dict[str, Any], context: Context) -> dict[str, Any]:
    return {}


def _configure_default_logging() -> None:
    """Log to stderr at WARNING unless the application configured logging itself."""
    root = logging.getLogger()
    if not root.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root.addHandler(handler)
        root.setLevel(logging.WARNING)
