"""The client facade: connect to a server, then call typed helpers for every client -> server method.

::

    async with Client.stdio([sys.executable, "-m", "mcpcore.examples.calculator"]) as client:
        tools = await client.list_tools()          # every page, walked
        result = await client.call_tool("add", {"a": 1, "b": 2})

The target may also be given positionally: a :class:`~mcpcore.Server`
object (connected in process, no subprocess or socket: the way to unit-test
a server), a URL (``"http://127.0.0.1:8000/mcp"``), or a command list.

``mode`` picks the era: ``"auto"`` (default) probes ``server/discover`` and
falls back to ``initialize``; ``"legacy"`` and ``"modern"`` force one.
Results are plain dicts, exactly as the server sent them; ``Client`` adds
no copies and no model objects on the way.
"""

from __future__ import annotations

import inspect
import logging
import os
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

from mcpcore.client.apps import UI_EXTENSION, UiResource, ui_capability, ui_resource_from
from mcpcore.client.auth import OAuth
from mcpcore.client.http import HttpTransport
from mcpcore.client.memory import MemoryTransport
from mcpcore.client.session import (
    ClientSession,
    LogCallback,
    Mode,
    NotificationCallback,
    ProgressCallback,
    RequestHandler,
    ServerInfo,
)
from mcpcore.client.skills import (
    SKILLS_EXTENSION,
    LoadedSkill,
    SkillEntry,
    SkillVerificationError,
    content_bytes,
    verify_file,
    verify_skill_md,
)
from mcpcore.client.sse import SseTransport, is_sse_url
from mcpcore.client.stdio import StderrMode, StdioTransport
from mcpcore.client.subscription import Subscription
from mcpcore.errors import LocalProtocolError, RemoteProtocolError, RpcError
from mcpcore.stores.tasks import TaskLimits
from mcpcore.wire.lines import DEFAULT_MAX_FRAME_BYTES
from mcpcore.wire.mcp_headers import annotation_problem

if TYPE_CHECKING:
    from mcpcore.server import Server

__all__ = ["Client", "PaginationError"]

_log = logging.getLogger("mcpcore.client")

Timeout = float | None | Literal["default"]
#: Roots offered to the server: a fixed list of ``{"uri": "file://…", "name"?}``, or a function giving one.
Roots = Sequence[dict[str, Any]] | Callable[[], Any]


class PaginationError(RemoteProtocolError):
    """A list method's cursors did not terminate (a repeated cursor, or more pages than allowed)."""


class Client:
    """An MCP client over one transport: a stdio subprocess (:meth:`stdio`) or Streamable HTTP (:meth:`http`).

    Server -> client requests are served by the callables given here:
    ``sampling`` (``sampling/createMessage``), ``elicitation``
    (``elicitation/create``), ``roots``; declaring one declares the matching
    capability. In a 2026-07-28 session the same callables answer the
    ``InputRequiredResult`` rounds of ``tools/call``, ``prompts/get`` and
    ``resources/read``. ``apps=True`` declares MCP Apps (the client renders
    ``ui://`` views; see :meth:`read_ui_resource`). ``tasks=True`` (or a
    :class:`~mcpcore.stores.tasks.TaskLimits`) lets a 2025-11-25 server run
    ``sampling`` and ``elicitation`` here as tasks (:mod:`mcpcore.client.tasks`).
    """

    def __init__(
        self,
        target: Server | str | Sequence[str] | None = None,
        /,
        *,
        mode: Mode = "auto",
        name: str = "mcpcore-client",
        version: str = "0.1.0",
        protocol_version: str | None = None,
        capabilities: dict[str, Any] | None = None,
        sampling: RequestHandler | None = None,
        elicitation: RequestHandler | None = None,
        roots: Roots | None = None,
        handlers: dict[str, RequestHandler] | None = None,
        on_log: LogCallback | None = None,
        on_notification: NotificationCallback | None = None,
        timeout: float | None = 60.0,
        discover_timeout: float = 5.0,
        log_level: str | None = None,
        cache: bool = True,
        max_pages: int = 10_000,
        apps: bool = False,
        tasks: bool | TaskLimits = False,
    ) -> None:
        if mode not in ("auto", "legacy", "modern"):
            raise ValueError(f"unknown mode {mode!r}")
        self.mode: Mode = mode
        self.protocol_version_requested = protocol_version
        self.discover_timeout = discover_timeout
        self.max_pages = max_pages
        #: Declare MCP Apps (``io.modelcontextprotocol/ui``): this host renders ``ui://`` views.
        self.apps = apps
        all_handlers: dict[str, RequestHandler] = dict(handlers or {})
        if sampling is not None:
            all_handlers["sampling/createMessage"] = sampling
        if elicitation is not None:
            all_handlers["elicitation/create"] = elicitation
        if roots is not None:
            all_handlers["roots/list"] = _roots_handler(roots)
        self._session_options: dict[str, Any] = {
            "client_info": {"name": name, "version": version},
            "capabilities": capabilities,
            "handlers": all_handlers,
            "on_log": on_log,
            "on_notification": on_notification,
            "timeout": timeout,
            "log_level": log_level,
            "cache": cache,
            "tasks": tasks,
        }
        self.session: ClientSession | None = None
        self.transport: StdioTransport | HttpTransport | MemoryTransport | SseTransport | None = None
        self._connector: Callable[[], Awaitable[None]] | None = None
        if target is not None:
            self._connector = self._connector_for(target)

    def _connector_for(self, target: Server | str | Sequence[str]) -> Callable[[], Awaitable[None]]:
        """How ``async with`` connects to a positional target (see the module docstring)."""
        from mcpcore.server import Server

        if isinstance(target, Server):
            server = target

            async def in_memory() -> None:
                await self.connect_memory(server)

            return in_memory
        if isinstance(target, str) and is_sse_url(target):
            sse_url = target

            async def over_sse() -> None:
                await self.connect_sse(sse_url)

            return over_sse
        if isinstance(target, str):
            if not target.startswith(("http://", "https://")):
                raise ValueError(
                    f"a string target must be an http(s) URL, not {target!r} (a command is a list)"
                )
            url = target

            async def over_http() -> None:
                await self.connect_http(url)

            return over_http
        if isinstance(target, Sequence) and target and all(isinstance(part, str) for part in target):
            command = list(target)

            async def over_stdio() -> None:
                await self.connect_stdio(command)

            return over_stdio
        raise TypeError(f"Client target must be a Server, an http(s) URL or a command list, not {target!r}")

    async def connect_sse(
        self, url: str, *, headers: Mapping[str, str] | None = None, connect_timeout: float = 10.0
    ) -> ServerInfo:
        """Connect over the 2024-11-05 HTTP+SSE transport (``GET url``, then POSTs to its endpoint).

        The transport predates the 2026-07-28 era, so ``mode="auto"`` means the handshake here.
        """
        transport = SseTransport(url, headers=headers, connect_timeout=connect_timeout)
        try:
            await transport.open()
        except BaseException:
            await transport.close()
            raise
        if self.mode == "auto":
            self.mode = "legacy"
        return await self._start(transport)

    async def connect_memory(self, server: Server) -> ServerInfo:
        """Connect to ``server`` in this process (its lifespan runs unless it already does)."""
        transport = MemoryTransport(server)
        await transport.open()
        return await self._start(transport)

    # ----------------------------------------------------------- connecting

    @classmethod
    def stdio(
        cls,
        command: Sequence[str],
        *,
        env: Mapping[str, str] | None = None,
        cwd: str | os.PathLike[str] | None = None,
        stderr: StderrMode = "inherit",
        max_frame_bytes: int = DEFAULT_MAX_FRAME_BYTES,
        close_timeout: float = 2.0,
        **options: Any,
    ) -> Client:
        """A client that spawns ``command`` when entered with ``async with``."""
        client = cls(**options)

        async def connector() -> None:
            await client.connect_stdio(
                command,
                env=env,
                cwd=cwd,
                stderr=stderr,
                max_frame_bytes=max_frame_bytes,
                close_timeout=close_timeout,
            )

        client._connector = connector
        return client

    async def connect_stdio(
        self,
        command: Sequence[str],
        *,
        env: Mapping[str, str] | None = None,
        cwd: str | os.PathLike[str] | None = None,
        stderr: StderrMode = "inherit",
        max_frame_bytes: int = DEFAULT_MAX_FRAME_BYTES,
        close_timeout: float = 2.0,
    ) -> ServerInfo:
        """Spawn ``command`` and run the era detection chosen by ``mode``."""
        transport = await StdioTransport.spawn(
            command,
            env=env,
            cwd=cwd,
            stderr=stderr,
            max_frame_bytes=max_frame_bytes,
            close_timeout=close_timeout,
        )
        return await self._start(transport)

    @classmethod
    def http(
        cls,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        standalone_stream: bool = True,
        connect_timeout: float = 10.0,
        auth: OAuth | None = None,
        **options: Any,
    ) -> Client:
        """A client for the Streamable HTTP endpoint at ``url``; connects when entered with ``async with``.

        ``auth`` (an :class:`~mcpcore.client.auth.OAuth`) makes it an OAuth 2.1
        client: a 401 or a 403 ``insufficient_scope`` runs the authorization flow.
        """
        client = cls(**options)

        async def connector() -> None:
            await client.connect_http(
                url,
                headers=headers,
                standalone_stream=standalone_stream,
                connect_timeout=connect_timeout,
                auth=auth,
            )

        client._connector = connector
        return client

    async def connect_http(
        self,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        standalone_stream: bool = True,
        connect_timeout: float = 10.0,
        auth: OAuth | None = None,
    ) -> ServerInfo:
        """Connect to a Streamable HTTP endpoint and run the era detection chosen by ``mode``."""
        transport = HttpTransport(
            url,
            headers=headers,
            standalone_stream=standalone_stream,
            connect_timeout=connect_timeout,
            auth=auth,
        )
        return await self._start(transport)

    async def _start(
        self, transport: StdioTransport | HttpTransport | MemoryTransport | SseTransport
    ) -> ServerInfo:
        """Attach a session to a connected transport and run the era detection chosen by ``mode``."""
        self.transport = transport
        session = ClientSession(transport, **self._session_options)
        if self.apps:
            extensions = {**session.capabilities.get("extensions", {}), UI_EXTENSION: ui_capability()}
            session.capabilities = {**session.capabilities, "extensions": extensions}
        transport.attach(session)
        self.session = session
        try:
            return await session.connect(
                self.mode, version=self.protocol_version_requested, discover_timeout=self.discover_timeout
            )
        except BaseException:
            await self.close()
            raise

    async def close(self) -> int | None:
        """End the connection (stdio: close stdin, then SIGTERM, then SIGKILL); return the exit status."""
        code = None
        if isinstance(self.transport, (HttpTransport, MemoryTransport, SseTransport)):
            await self.transport.close()
        elif self.transport is not None:
            code = await self.transport.close()
        if self.session is not None:
            self.session.connection_lost("the client closed the connection")
        return code

    async def __aenter__(self) -> Client:
        if self._connector is not None and self.session is None:
            await self._connector()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # ----------------------------------------------------------- properties

    @property
    def _s(self) -> ClientSession:
        if self.session is None:
            raise LocalProtocolError("the client is not connected")
        return self.session

    @property
    def server(self) -> ServerInfo:
        """Era, negotiated version, capabilities, serverInfo and instructions of the server."""
        if self._s.server is None:
            raise LocalProtocolError("the client has not finished connecting")
        return self._s.server

    @property
    def era(self) -> str:
        return self.server.era

    @property
    def protocol_version(self) -> str:
        return self.server.protocol_version

    @property
    def server_capabilities(self) -> dict[str, Any]:
        return self.server.capabilities

    # -------------------------------------------------------------- generic

    async def request(
        self,
        method: str,
        params: dict[str, Any] | None = None,
        *,
        timeout: Timeout = "default",
        progress: ProgressCallback | None = None,
    ) -> dict[str, Any]:
        """Any request in the connected era (envelope, MRTR and cache handled)."""
        return await self._s.request(method, params, timeout=timeout, progress=progress)

    def notify(self, method: str, params: dict[str, Any] | None = None) -> None:
        self._s.notify(method, params)

    async def _walk(
        self, method: str, key: str, params: dict[str, Any] | None, timeout: Timeout
    ) -> list[Any]:
        """Every item of a paginated list; refuses cursors that repeat or never end."""
        items: list[Any] = []
        seen: set[str] = set()
        cursor: str | None = None
        for _page in range(self.max_pages):
            page_params = dict(params or {})
            if cursor is not None:
                page_params["cursor"] = cursor
            result = await self.request(method, page_params or None, timeout=timeout)
            page = result.get(key)
            if type(page) is not list:
                raise RemoteProtocolError(RpcError(-32603, f"{method}: result has no {key!r} list"))
            items.extend(page)
            cursor = result.get("nextCursor")
            if cursor is None:
                return items
            if type(cursor) is not str or cursor in seen:
                raise PaginationError(
                    RpcError(-32603, f"{method}: cursor {cursor!r} repeats or is not a string")
                )
            seen.add(cursor)
        raise PaginationError(RpcError(-32603, f"{method}: more than {self.max_pages} pages"))

    # ---------------------------------------------------------------- tools

    async def list_tools(self, *, timeout: Timeout = "default") -> list[dict[str, Any]]:
        """Every tool, walking all pages of ``tools/list``.

        Over Streamable HTTP, a tool whose ``x-mcp-header`` annotations are
        invalid is left out (with a warning in the log): the 2026-07-28 tools
        page says such a client MUST exclude it, so that one malformed
        definition does not cost the others.
        """
        tools = await self._walk("tools/list", "tools", None, timeout)
        if not isinstance(self.transport, HttpTransport):
            return tools  # other transports MAY ignore the annotations entirely (the same section)
        return [tool for tool in tools if _usable_tool(tool)]

    async def list_tools_page(
        self, cursor: str | None = None, *, timeout: Timeout = "default"
    ) -> dict[str, Any]:
        """One page of ``tools/list`` (over HTTP without the tools :meth:`list_tools` leaves out)."""
        page = await self.request("tools/list", _cursor(cursor), timeout=timeout)
        tools = page.get("tools")
        if isinstance(self.transport, HttpTransport) and type(tools) is list:
            usable = [tool for tool in tools if _usable_tool(tool)]
            if len(usable) != len(tools):
                page = {**page, "tools": usable}
        return page

    async def call_tool(
        self,
        name: str,
        arguments: dict[str, Any] | None = None,
        *,
        timeout: Timeout = "default",
        progress: ProgressCallback | None = None,
        meta: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """``tools/call``; a tool failure is a result with ``isError: true``, not an exception."""
        params: dict[str, Any] = {"name": name, "arguments": arguments or {}}
        if meta:
            params["_meta"] = meta
        return await self.request("tools/call", params, timeout=timeout, progress=progress)

    # ------------------------------------------------------------ resources

    async def list_resources(self, *, timeout: Timeout = "default") -> list[dict[str, Any]]:
        return await self._walk("resources/list", "resources", None, timeout)

    async def list_resource_templates(self, *, timeout: Timeout = "default") -> list[dict[str, Any]]:
        return await self._walk("resources/templates/list", "resourceTemplates", None, timeout)

    async def read_resource(self, uri: str, *, timeout: Timeout = "default") -> dict[str, Any]:
        return await self.request("resources/read", {"uri": uri}, timeout=timeout)

    async def subscribe_resource(self, uri: str, *, timeout: Timeout = "default") -> dict[str, Any]:
        """Legacy ``resources/subscribe`` (2026-07-28 uses :meth:`listen` instead)."""
        return await self.request("resources/subscribe", {"uri": uri}, timeout=timeout)

    async def unsubscribe_resource(self, uri: str, *, timeout: Timeout = "default") -> dict[str, Any]:
        return await self.request("resources/unsubscribe", {"uri": uri}, timeout=timeout)

    async def read_ui_resource(self, uri: str, *, timeout: Timeout = "default") -> UiResource:
        """An MCP App view (``ui://``, ``text/html;profile=mcp-app``): its HTML and ``_meta.ui``.

        Anything else raises :class:`~mcpcore.client.apps.UiResourceError`.
        """
        return ui_resource_from(await self.read_resource(uri, timeout=timeout), uri)

    # --------------------------------------------------- skills (SEP-2640)

    def _skills_settings(self) -> dict[str, Any]:
        """The server's skills extension settings; refuses when it did not declare the extension."""
        extensions = self.server_capabilities.get("extensions")
        settings = extensions.get(SKILLS_EXTENSION) if type(extensions) is dict else None
        if type(settings) is not dict:
            raise LocalProtocolError(f"the server does not declare the {SKILLS_EXTENSION} extension")
        return settings

    async def list_skills(self, *, timeout: Timeout = "default") -> list[SkillEntry]:
        """Every skill entry (``skills/list``, all pages). Reads no skill file: nothing is prefetched."""
        self._skills_settings()
        items = await self._walk("skills/list", "skills", None, timeout)
        return [SkillEntry.from_wire(item) for item in items]

    async def get_skill(self, uri: str, *, timeout: Timeout = "default") -> SkillEntry:
        """One skill's current entry by its SKILL.md URI (``skills/get``); how a stale entry refreshes."""
        self._skills_settings()
        result = await self.request("skills/get", {"uri": uri}, timeout=timeout)
        return SkillEntry.from_wire(result["skill"])

    async def load_skill(self, skill: SkillEntry | str, *, timeout: Timeout = "default") -> LoadedSkill:
        """Read the skill's SKILL.md and verify it (size, digest, frontmatter) against the held entry.

        Given a URI, the entry is fetched first with ``skills/get``. A
        mismatch raises :class:`~mcpcore.client.skills.SkillVerificationError`
        and nothing of the content is returned.
        """
        entry = skill if isinstance(skill, SkillEntry) else await self.get_skill(skill, timeout=timeout)
        result = await self.read_resource(entry.uri, timeout=timeout)
        return verify_skill_md(entry, content_bytes(result, entry.uri))

    async def read_skill_file(self, skill: SkillEntry, path: str, *, timeout: Timeout = "default") -> bytes:
        """One file of a loaded skill, by path relative to its root (or full URI), verified.

        A file the held entry does not list is refused before any read.
        """
        uri = skill.resolve(path)
        if not skill.dynamic and skill.file(uri) is None:
            raise SkillVerificationError(uri, f"not listed in the held entry of {skill.uri}")
        data = content_bytes(await self.read_resource(uri, timeout=timeout), uri)
        verify_file(skill, uri, data)
        return data

    async def read_directory(self, uri: str, *, timeout: Timeout = "default") -> list[dict[str, Any]]:
        """The direct children of a directory resource (``resources/directory/read``, all pages).

        Only against a server declaring ``directoryRead``; a child listed here
        but not in a held entry is still not a file of that skill.
        """
        if self._skills_settings().get("directoryRead") is not True:
            raise LocalProtocolError("the server does not declare directoryRead for the skills extension")
        return await self._walk("resources/directory/read", "resources", {"uri": uri}, timeout)

    # -------------------------------------------------------------- prompts

    async def list_prompts(self, *, timeout: Timeout = "default") -> list[dict[str, Any]]:
        return await self._walk("prompts/list", "prompts", None, timeout)

    async def get_prompt(
        self, name: str, arguments: dict[str, str] | None = None, *, timeout: Timeout = "default"
    ) -> dict[str, Any]:
        params: dict[str, Any] = {"name": name}
        if arguments is not None:
            params["arguments"] = arguments
        return await self.request("prompts/get", params, timeout=timeout)

    # ------------------------------------------------------------ utilities

    async def complete(
        self,
        ref: dict[str, Any],
        argument: dict[str, str],
        context: dict[str, Any] | None = None,
        *,
        timeout: Timeout = "default",
    ) -> dict[str, Any]:
        """``completion/complete`` for ``ref`` (``ref/prompt`` or ``ref/resource``)."""
        params: dict[str, Any] = {"ref": ref, "argument": argument}
        if context is not None:
            params["context"] = context
        return await self.request("completion/complete", params, timeout=timeout)

    async def set_logging_level(self, level: str, *, timeout: Timeout = "default") -> dict[str, Any]:
        """Legacy ``logging/setLevel``; a 2026-07-28 session sets the level on every request instead."""
        if self.era == "modern":
            self._s.log_level = level
            return {}
        return await self.request("logging/setLevel", {"level": level}, timeout=timeout)

    async def ping(self, *, timeout: Timeout = "default") -> dict[str, Any]:
        """Legacy ``ping`` (removed in 2026-07-28, where ``server/discover`` serves as a liveness probe)."""
        if self.era == "modern":
            result: dict[str, Any] = await self._s.send_request(
                "server/discover", {}, timeout=timeout, modern_version=self.protocol_version
            )
            return result
        return await self.request("ping", timeout=timeout)

    async def discover(self, *, timeout: Timeout = "default") -> dict[str, Any]:
        """``server/discover`` (2026-07-28), served from the cache while its ``ttlMs`` lasts."""
        return await self.request("server/discover", {}, timeout=timeout)

    def roots_changed(self) -> None:
        """Tell a legacy server the roots changed (``notifications/roots/list_changed``)."""
        self.notify("notifications/roots/list_changed")

    async def listen(
        self,
        *,
        tools: bool = False,
        prompts: bool = False,
        resources: bool = False,
        resource_uris: Sequence[str] = (),
        task_ids: Sequence[str] = (),
        timeout: float | None = 30.0,
    ) -> Subscription:
        """2026-07-28 ``subscriptions/listen``: iterate the result for notifications, close it to stop.

        ``task_ids`` asks for ``notifications/tasks`` of those tasks (the tasks extension, which the
        client's capabilities must declare); ``Subscription.honoured["taskIds"]`` are those agreed.
        """
        wanted: dict[str, Any] = {}
        if tools:
            wanted["toolsListChanged"] = True
        if prompts:
            wanted["promptsListChanged"] = True
        if resources:
            wanted["resourcesListChanged"] = True
        if resource_uris:
            wanted["resourceSubscriptions"] = list(resource_uris)
        if task_ids:
            wanted["taskIds"] = list(task_ids)
        return await self._s.listen(wanted, timeout=timeout)


def _usable_tool(tool: Any) -> bool:
    schema = tool.get("inputSchema") if type(tool) is dict else None
    problem = annotation_problem(schema) if schema is not None else None
    if problem is not None:
        _log.warning("excluding tool %r from tools/list: %s", tool.get("name"), problem)
    return problem is None


def _cursor(cursor: str | None) -> dict[str, Any] | None:
    return {"cursor": cursor} if cursor is not None else None


def _roots_handler(roots: Roots) -> RequestHandler:
    async def handler(params: dict[str, Any]) -> Any:
        value = roots() if callable(roots) else roots
        if inspect.isawaitable(value):
            value = await value
        return {"roots": list(value)}

    return handler
