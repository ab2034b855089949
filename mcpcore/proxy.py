"""A :class:`~mcpcore.Server` that forwards to another MCP server: a bridge between transports and eras.

``mcpcore.proxy(["npx", "some-stdio-server"])`` (or a URL) builds a server
whose lifespan connects a :class:`~mcpcore.Client` to the target and whose
methods forward each request to it. Serve it however you like::

    mcpcore run --proxy --http --port 8000 -- npx some-stdio-server

That puts a stdio-only server on Streamable HTTP (and HTTP+SSE), and puts
mcpcore's limits, inbound checks, auth and middleware in front of any
server. The two sides need not share an era: the upstream connection
negotiates its own (auto), and answers are reshaped for the downstream
request's protocol version (2026-07-28 members such as ``resultType`` and
cache hints are dropped for legacy clients; the router adds them for modern
ones). Progress flows back to the downstream caller; list changes and
resource updates are passed on to the proxy's own clients.

Not forwarded: requests the upstream server sends to its client (sampling,
elicitation, roots). The proxy's upstream client declares none of those
capabilities, so a well-behaved upstream does not ask.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Sequence
from typing import TYPE_CHECKING, Any, Final

from mcpcore.errors import INTERNAL_ERROR, RpcError
from mcpcore.session import META_CLIENT_CAPABILITIES, META_CLIENT_INFO, META_LOG_LEVEL, META_PROTOCOL_VERSION

if TYPE_CHECKING:
    from mcpcore.client import Client
    from mcpcore.context import Context
    from mcpcore.server import Server

__all__ = ["proxy"]

#: Forwarded request methods, and the upstream capability each needs.
FORWARDED: Final = {
    "tools/list": "tools",
    "tools/call": "tools",
    "resources/list": "resources",
    "resources/templates/list": "resources",
    "resources/read": "resources",
    "prompts/list": "prompts",
    "prompts/get": "prompts",
    "completion/complete": "completions",
}
#: ``_meta`` members that belong to one hop (the downstream envelope), never forwarded.
_HOP_META: Final = frozenset(
    {META_PROTOCOL_VERSION, META_CLIENT_CAPABILITIES, META_CLIENT_INFO, META_LOG_LEVEL, "progressToken"}
)
#: Result members only 2026-07-28 defines.
_MODERN_ONLY: Final = ("resultType", "ttlMs", "cacheScope")
#: What the proxy declares for each capability the upstream offers (it relays list changes and
#: resource updates, and serves subscriptions itself).
_DECLARED: Final[dict[str, dict[str, Any]]] = {
    "tools": {"listChanged": True},
    "resources": {"subscribe": True, "listChanged": True},
    "prompts": {"listChanged": True},
    "completions": {},
}
_LISTEN_FIELDS: Final = {
    "tools": "toolsListChanged",
    "prompts": "promptsListChanged",
    "resources": "resourcesListChanged",
}
_LIST_KINDS: Final = {
    "notifications/tools/list_changed": "tools",
    "notifications/prompts/list_changed": "prompts",
    "notifications/resources/list_changed": "resources",
}


def proxy(
    target: str | Sequence[str], *, name: str = "mcpcore-proxy", version: str = "0.0.0", **client_options: Any
) -> Server:
    """A server forwarding to ``target`` (an http(s) URL, an ``…/sse`` URL, or a command list).

    ``client_options`` go to the upstream :class:`~mcpcore.Client` (``mode``,
    ``timeout``, ``headers`` are not among them: use a URL or command).
    """
    from mcpcore.server import Server

    forwarder = _Forwarder(target, client_options)
    server = Server(name, version, lifespan=forwarder.lifespan)
    for method, capability in FORWARDED.items():
        server.method(method, capability=capability)(forwarder.handler(method))
    return server


class _Forwarder:
    """The upstream connection, and one forwarding handler per method."""

    def __init__(self, target: str | Sequence[str], client_options: dict[str, Any]) -> None:
        self.target = target
        self.client_options = client_options
        self.client: Client | None = None
        self.server: Server | None = None

    @contextlib.asynccontextmanager
    async def lifespan(self, server: Server) -> AsyncIterator[Client]:
        from mcpcore.client import Client

        self.server = server
        client = Client(self.target, on_notification=self._notified, **self.client_options)
        async with client:
            offered = client.server.capabilities
            for capability, declared in _DECLARED.items():
                if capability in offered:
                    server.declare(capability, declared)
            self.client = client
            relay = await self._listen(client) if client.era == "modern" else None
            try:
                yield client
            finally:
                self.client = None
                if relay is not None:
                    relay.cancel()

    async def _listen(self, client: Client) -> asyncio.Task[None] | None:
        """A 2026-07-28 upstream tells list changes on a listen stream only: open one and relay it."""
        assert client.session is not None
        wanted = {field: True for kind, field in _LISTEN_FIELDS.items() if kind in client.server.capabilities}
        if not wanted:
            return None
        subscription = await client.session.listen(wanted)

        async def relay() -> None:
            try:
                async for item in subscription:
                    self._notified(item["method"], item["params"])
            finally:
                subscription.close()

        return asyncio.get_running_loop().create_task(relay())

    def _notified(self, method: str, params: dict[str, Any]) -> None:
        server = self.server
        if server is None:
            return
        kind = _LIST_KINDS.get(method)
        if kind is not None:
            server.notify_list_changed(kind)  # type: ignore[arg-type]
        elif method == "notifications/resources/updated":
            server.resource_updated(params["uri"])  # the client's inbound contract checked the shape

    def handler(self, method: str) -> Callable[[dict[str, Any], Context], Any]:
        async def forward(params: dict[str, Any], ctx: Context) -> dict[str, Any]:
            client = self.client
            if client is None or client.session is None:
                raise RpcError(INTERNAL_ERROR, "Internal error: the proxy is not connected upstream")
            progress = None
            if ctx.progress_token is not None:

                async def progress(value: float, total: float | None, message: str | None) -> None:
                    await ctx.report_progress(value, total, message)

            result = await client.session.request(method, _upstream_params(params), progress=progress)
            return result if ctx.modern else _legacy_result(result)

        return forward


def _upstream_params(params: dict[str, Any]) -> dict[str, Any]:
    """The params without this hop's envelope (the upstream client adds its own)."""
    meta = params.get("_meta")
    if not meta:
        return params
    kept = {key: value for key, value in meta.items() if key not in _HOP_META}
    forwarded = {key: value for key, value in params.items() if key != "_meta"}
    if kept:
        forwarded["_meta"] = kept
    return forwarded


def _legacy_result(result: dict[str, Any]) -> dict[str, Any]:
    """An upstream result as a legacy client may receive it: no 2026-07-28-only members."""
    if not any(key in result for key in _MODERN_ONLY) and "_meta" not in result:
        return result
    shaped = {key: value for key, value in result.items() if key not in _MODERN_ONLY}
    meta = shaped.get("_meta")
    if type(meta) is dict:
        meta = {key: value for key, value in meta.items() if not key.startswith("io.modelcontextprotocol/")}
        if meta:
            shaped["_meta"] = meta
        else:
            del shaped["_meta"]
    return shaped
