"""Registration: the decorators that put tools, resources, prompts and methods on a :class:`Server`.

Split from :mod:`mcpcore.server` along the seam between *declaring* what a
server offers (this file: one decorator per kind, each usable bare or with
options, each refusing a misuse at import time with the fix in its message)
and *serving* it (``server.py``: identity, capabilities, connections,
lifespan, run). :class:`Registration` is a mixin that ``Server`` inherits; it
owns no state of its own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Literal, TypeVar, overload

from mcpcore.middleware import Middleware, Registered, wrap
from mcpcore.registry.apps import (
    APP_MIME_TYPE,
    UI_EXTENSION,
    Visibility,
    html_reader,
    require_ui_uri,
    tool_ui_meta,
    ui_resource_meta,
)
from mcpcore.registry.completion import CompletionRegistry
from mcpcore.registry.prompts import Prompt, PromptRegistry
from mcpcore.registry.resources import Resource, ResourceRegistry
from mcpcore.registry.skills import Skill, SkillRegistry, declared_skill
from mcpcore.registry.tasks import Tasks
from mcpcore.registry.tools import RunMode, TaskDetach, TaskSupport, Tool, ToolRegistry
from mcpcore.router import Connection, Method

if TYPE_CHECKING:
    from mcpcore.mount import Mount
    from mcpcore.server import Server

__all__ = ["NotificationHandler", "Registration"]

F = TypeVar("F", bound=Callable[..., Any])
CacheScope = Literal["public", "private"]
#: A notification handler: ``(params, connection)``; its return value is ignored.
NotificationHandler = Callable[[dict[str, Any], Connection], Any]


class Registration:
    """The registering half of :class:`~mcpcore.Server` (see the module docstring)."""

    tools: ToolRegistry
    resources: ResourceRegistry
    prompts: PromptRegistry
    completions: CompletionRegistry
    tasks: Tasks
    skills: SkillRegistry
    capabilities: dict[str, Any]
    methods: dict[str, Method]
    notification_handlers: dict[str, NotificationHandler]
    _registered: dict[str, Method]
    _middleware: list[Registered]

    def declare(self, capability: str, value: dict[str, Any]) -> None:
        """Declare a server capability (``Server`` implements it)."""
        raise NotImplementedError

    def declare_extension(self, name: str, settings: dict[str, Any]) -> None:
        """Declare an extension under ``capabilities.extensions`` (sticky: the first settings stay)."""
        extensions = self.capabilities.get("extensions", {})
        if name not in extensions:
            self.capabilities = {**self.capabilities, "extensions": {**extensions, name: settings}}

    # ------------------------------------------------------------ registration

    @overload
    def tool(self, name: F, /) -> F: ...

    @overload
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
        ui: str | None = None,
        ui_visibility: list[Visibility] | None = None,
    ) -> Callable[[F], F]: ...

    def tool(self, name: Any = None, **options: Any) -> Any:
        """Register the decorated function as a tool and return it unchanged.

        Use it bare (``@server.tool``) or with options (``@server.tool("name", timeout=5)``).
        Schemas come from the type hints and docstring unless given. ``run``
        says where the tool executes: ``"loop"`` (default for ``async def``;
        a plain function with ``"loop"`` is called inline and must not block)
        or ``"thread"`` (default for plain functions). ``timeout`` (seconds)
        answers a call that runs longer with an ``isError`` result.
        ``task_support`` (``"optional"``/``"required"``) lets calls run as
        tasks; ``task_detach="manual"``: only once the tool awaits ``ctx.detach()``.
        ``ui="ui://..."`` links an MCP App view (see :meth:`ui_resource`) through
        ``_meta.ui.resourceUri``; ``ui_visibility`` (``["model", "app"]`` by
        default) says who may call the tool.
        """
        return _decorator(self.add_tool, "tool", name, options)

    def add_tool(self, fn: Callable[..., Any], **options: Any) -> Tool:
        """Register ``fn`` as a tool (the non-decorator form of :meth:`tool`)."""
        ui, visibility = options.pop("ui", None), options.pop("ui_visibility", None)
        if ui is not None:
            options["meta"] = {**(options.get("meta") or {}), "ui": tool_ui_meta(ui, visibility)}
            self.declare_extension(UI_EXTENSION, {})
        elif visibility is not None:
            raise ValueError("ui_visibility needs ui: the tool's ui:// view")
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

        A resource needs its URI: ``@server.resource("file:///notes/{name}")``.
        A template's variables are passed as keyword arguments. ``ttl_ms`` and
        ``cache_scope`` override the server's cache hints for reads of this
        resource; ``completions`` maps template variables to completers.
        """
        if type(uri) is not str:
            raise TypeError(
                '@server.resource needs the resource\'s URI: write @server.resource("scheme://path"), '
                "not a bare @server.resource"
            )

        def register(fn: F) -> F:
            _require_callable(fn, "resource")
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

    @overload
    def prompt(self, name: F, /) -> F: ...

    @overload
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
    ) -> Callable[[F], F]: ...

    def prompt(self, name: Any = None, **options: Any) -> Any:
        """Register the decorated function as a prompt; its parameters are the prompt's arguments.

        Use it bare (``@server.prompt``) or with options. ``completions`` maps
        argument names to completers (see :meth:`completion`).
        """
        completions: dict[str, Callable[..., Any]] = options.pop("completions", None) or {}

        def add(fn: Callable[..., Any], **add_options: Any) -> Prompt:
            prompt = self.add_prompt(fn, **add_options)
            for argument, completer in completions.items():
                self.add_completion(completer, argument=argument, prompt=prompt.name)
            return prompt

        return _decorator(add, "prompt", name, options)

    def add_prompt(self, fn: Callable[..., Any], **options: Any) -> Prompt:
        """Register ``fn`` as a prompt (the non-decorator form of :meth:`prompt`)."""
        return self.prompts.add(fn, **options)

    def remove_prompt(self, name: str) -> None:
        """Unregister a prompt; connected clients are told the list changed."""
        self.prompts.remove(name)

    def completion(
        self,
        fn: Callable[..., Any] | None = None,
        /,
        *,
        argument: str | None = None,
        prompt: str | None = None,
        resource: str | None = None,
    ) -> Callable[[F], F]:
        """Register the decorated function to complete one prompt argument or template variable.

        It takes the partial value (and optionally the other arguments as a
        dict) and returns candidate strings; sync completers run inline. Say
        what it completes: ``@server.completion(argument="city", prompt="weather")``.
        """
        if fn is not None or argument is None:
            raise TypeError(
                "@server.completion needs to know what it completes: write "
                '@server.completion(argument="name", prompt="prompt-name") or '
                '@server.completion(argument="var", resource="scheme://{var}")'
            )

        def register(fn: F) -> F:
            _require_callable(fn, "completion")
            self.add_completion(fn, argument=argument, prompt=prompt, resource=resource)
            return fn

        return register

    def add_completion(
        self, fn: Callable[..., Any], *, argument: str, prompt: str | None = None, resource: str | None = None
    ) -> None:
        """Register a completer (the non-decorator form of :meth:`completion`)."""
        self.completions.add(fn, argument=argument, prompt=prompt, resource=resource)
        self.declare("completions", {})

    def ui_resource(
        self,
        uri: str,
        *,
        name: str | None = None,
        title: str | None = None,
        description: str | None = None,
        csp: dict[str, list[str]] | None = None,
        permissions: list[str] | None = None,
        domain: str | None = None,
        prefers_border: bool | None = None,
        run: RunMode | None = None,
    ) -> Callable[[F], F]:
        """Register the decorated function's HTML as an MCP App view (``io.modelcontextprotocol/ui``).

        ``uri`` starts with ``ui://``; the resource is served as
        ``text/html;profile=mcp-app``. ``csp`` maps ``connectDomains``,
        ``resourceDomains``, ``frameDomains``, ``baseUriDomains`` to origins;
        ``permissions`` lists ``camera``, ``microphone``, ``geolocation``,
        ``clipboardWrite``; with ``domain`` and ``prefers_border`` they form the
        resource's ``_meta.ui``, on its listing and on every read. Link a
        tool to it with ``@server.tool(ui=uri)``.
        """
        require_ui_uri(uri, "@server.ui_resource")
        ui = ui_resource_meta(csp=csp, permissions=permissions, domain=domain, prefers_border=prefers_border)

        def register(fn: F) -> F:
            _require_callable(fn, "ui_resource")
            self.add_resource(
                html_reader(fn, ui),
                uri,
                name=name,
                title=title,
                description=description,
                mime_type=APP_MIME_TYPE,
                meta={"ui": ui} if ui else None,
                run=run,
            )
            self.declare_extension(UI_EXTENSION, {})
            return fn

        return register

    # ----------------------------------------------------------------- skills

    def skill(
        self,
        name: str | None = None,
        *,
        description: str | None = None,
        prefix: str = "",
        frontmatter: dict[str, Any] | None = None,
        files: dict[str, str | bytes] | None = None,
        dynamic: bool = False,
    ) -> Callable[[F], F]:
        """Serve the decorated function's text as a skill's SKILL.md body (Skills extension, SEP-2640).

        ``@server.skill(description="...")`` over ``def git_workflow() -> str``
        serves ``skill://git-workflow/SKILL.md`` (the name is the function's,
        ``_`` becoming ``-``; ``prefix="acme/billing"`` nests it). The
        frontmatter is ``name``, ``description`` (default: the docstring) and
        ``frontmatter``'s further fields; ``files`` maps paths inside the
        skill to supporting files. A static skill's function is called once,
        now, because the manifest publishes the digest of its bytes;
        ``dynamic=True`` calls it on every read and publishes
        ``"resources": "dynamic"`` instead.
        """
        if callable(name) and not isinstance(name, str):
            raise TypeError('@server.skill needs its options: write @server.skill(description="...")')

        def register(fn: F) -> F:
            _require_callable(fn, "skill")
            text = description if description is not None else (fn.__doc__ or "").strip().split("\n\n")[0]
            skill_name = name if name is not None else getattr(fn, "__name__", "").replace("_", "-")
            body = "" if dynamic else fn()
            if type(body) is not str:
                raise TypeError(f"@server.skill: {skill_name} must return the SKILL.md body as str")
            self.add_skill(
                declared_skill(
                    body,
                    name=skill_name,
                    description=" ".join(text.split()),
                    prefix=prefix,
                    frontmatter=frontmatter,
                    files=files,
                    generate=fn if dynamic else None,
                )
            )
            return fn

        return register

    def add_skill(self, skill: Skill) -> Skill:
        """Serve a :class:`~mcpcore.registry.skills.Skill` (declares the skills extension on first use)."""
        return self.skills.add(skill)

    def load_skills(self, directory: Any, *, prefix: str = "") -> list[Skill]:
        """Serve every skill (a directory holding a ``SKILL.md``) found under ``directory``.

        Each file is read now; its digest and size go into the manifest. A bad
        frontmatter, a name that does not match its directory, or a skill
        past the spec's limits (512 files, 16 MiB) raises ``SkillError``.
        """
        return self.skills.load(directory, prefix=prefix)

    # ------------------------------------------------------------ composition

    def mount(self, other: Server, prefix: str) -> Mount:
        """Expose ``other``'s tools, prompts, resources and completers here under ``prefix``.

        Tools and prompts become ``prefix_name``, resource URIs
        ``scheme://prefix/rest``. The mount follows ``other``'s later changes,
        and this server's clients are told when its lists change.
        """
        from mcpcore.mount import Mount

        mount = Mount(self, other, prefix)  # type: ignore[arg-type]  # self is a Server
        mount.sync()
        return mount

    # ------------------------------------------------- methods and middleware

    def method(
        self,
        name: str,
        *,
        capability: str | None = None,
        legacy: bool = True,
        modern: bool = True,
        needs_session: bool = True,
    ) -> Callable[[F], F]:
        """Register the decorated ``handler(params, ctx)`` for a request method of your own.

        It returns the result object (or a coroutine producing it) and raises
        :class:`~mcpcore.errors.RpcError` to answer an error. ``capability``:
        the method exists only while that server capability is declared;
        ``legacy``/``modern``: the eras it is served in; ``needs_session``: a
        legacy request needs ``initialize`` first. Registering a built-in
        method's name replaces it.
        """
        if not isinstance(name, str):
            raise TypeError('@server.method needs the method\'s name: write @server.method("vendor/thing")')

        def register(fn: F) -> F:
            _require_callable(fn, "method")
            spec = Method(
                fn, capability=capability, legacy=legacy, modern=modern, needs_session=needs_session
            )
            self._registered[name] = spec
            self._refresh_methods()
            return fn

        return register

    def notification(self, name: str) -> Callable[[F], F]:
        """Register the decorated ``handler(params, connection)`` for a notification from clients.

        Its params are checked by the inbound contract first (a notification
        the contract knows, with bad params, never reaches it); anything it
        raises is logged, and the connection goes on.
        """
        if not isinstance(name, str):
            raise TypeError('@server.notification needs a name: write @server.notification("vendor/event")')

        def register(fn: F) -> F:
            _require_callable(fn, "notification")
            self.notification_handlers[name] = fn
            return fn

        return register

    @overload
    def middleware(self, fn: Middleware, /) -> Middleware: ...

    @overload
    def middleware(
        self, fn: None = None, /, *, methods: Iterable[str]
    ) -> Callable[[Middleware], Middleware]: ...

    def middleware(self, fn: Middleware | None = None, /, *, methods: Iterable[str] | None = None) -> Any:
        """Wrap requests in ``async def mw(ctx, call_next)`` (see :mod:`mcpcore.middleware`).

        Bare, it wraps every request; ``@server.middleware(methods=["tools/call"])``
        only those methods. The first registered is the outermost. Also
        ``Server(middleware=[...])``, and as a call: ``server.middleware(RateLimit(10))``.
        """
        chosen = frozenset(methods) if methods is not None else None
        if chosen is not None and not all(isinstance(method, str) for method in chosen):
            raise TypeError("@server.middleware(methods=...) takes method names as strings")

        def register(middleware: Middleware) -> Middleware:
            _require_callable(middleware, "middleware")
            self._middleware.append(Registered(middleware, chosen))
            self._refresh_methods()
            return middleware

        if fn is not None:
            return register(fn)
        return register

    def register_methods(self, table: dict[str, Method]) -> None:
        """Add built-in methods (an extension's) to the dispatch table, behind the middleware."""
        self._registered.update(table)
        self._refresh_methods()

    def _refresh_methods(self) -> None:
        """Rebuild the dispatch table in place (connections hold a reference to it)."""
        table = {
            name: replace(spec, handler=wrap(spec.handler, name, self._middleware))
            for name, spec in self._registered.items()
        }
        self.methods.clear()
        self.methods.update(table)


def _require_callable(fn: object, what: str) -> None:
    if not callable(fn):
        raise TypeError(f"@server.{what} decorates a function, not {type(fn).__name__} {fn!r}")


def _decorator(add: Callable[..., Any], what: str, name: Any, options: dict[str, Any]) -> Any:
    """The two spellings of a registering decorator: ``@server.tool`` and ``@server.tool(...)``.

    Bare, Python passes the function itself as ``name``: it is registered at
    once under its own name. Otherwise ``name`` must be a string or None and
    the function comes next. Anything else is a mistake caught at import time.
    """
    if callable(name) and not isinstance(name, str):
        if options:
            raise TypeError(
                f"@server.{what}(fn, ...) is not a form: put @server.{what}(...) above the function"
            )
        add(name)
        return name
    if name is not None and type(name) is not str:
        raise TypeError(f"@server.{what} takes the {what}'s name as a string, not {type(name).__name__}")

    def register(fn: F) -> F:
        _require_callable(fn, what)
        add(fn, name=name, **options)
        return fn

    return register
