"""Tools: registration, compiled validation, cached listings and the ``tools/call`` path.

Everything expensive happens once, at registration: the input and output
schemas are derived (or taken as given), checked and compiled; the wire form
of each tool is built. ``tools/list`` pages are serialized once per protocol
version and cached as bytes until the registry changes. A call costs a dict
lookup, the compiled validator, the function, and one small result dict.

Where a tool runs is decided per tool (``run=``):

* ``"loop"`` — on the event loop. The default for ``async def`` tools. A
  plain function with ``run="loop"`` is called inline, with no task at all:
  the fastest path, for cheap functions that never block.
* ``"thread"`` — in the server's worker threads (``Server(max_threads=)``).
  The default for plain functions, because a function that blocks (file or
  network I/O, heavy CPU) must not stall every other request on the
  connection. A call past its ``timeout`` holds its thread until it returns
  and counts as hung; when every thread is hung, thread-tool calls are
  answered at once with an ``isError`` result rather than queued for ever.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any, Final, Literal

import orjson

from mcpcore import versions
from mcpcore.content import Content, ToolResult
from mcpcore.context import Context
from mcpcore.errors import INVALID_PARAMS, RpcError
from mcpcore.registry._calls import Job
from mcpcore.registry.pagination import CachedPages
from mcpcore.registry.signature import ToolSignature, derive_signature
from mcpcore.registry.validation import CompiledSchema

__all__ = ["RunMode", "TaskDetach", "TaskSupport", "Tool", "ToolRegistry"]

_log = logging.getLogger("mcpcore.tools")

RunMode = Literal["loop", "thread"]
#: 2025-11-25 ``execution.taskSupport`` (``"forbidden"`` is the default).
TaskSupport = Literal["forbidden", "optional", "required"]
#: When a task-capable call becomes a task (see :class:`mcpcore.registry.tasks.TaskContext`).
TaskDetach = Literal["start", "manual"]

_TOOL_NAME: Final = re.compile(r"[A-Za-z0-9_.\-]{1,128}")

#: Which members of a Tool object each version's schema defines.
_TOOL_FIELDS: Final[dict[str, frozenset[str]]] = {
    versions.V2024_11_05: frozenset({"name", "description", "inputSchema"}),
    versions.V2025_03_26: frozenset({"name", "description", "inputSchema", "annotations"}),
    versions.V2025_06_18: frozenset(
        {"name", "title", "description", "inputSchema", "outputSchema", "annotations", "_meta"}
    ),
    versions.V2025_11_25: frozenset(
        {
            "name",
            "title",
            "description",
            "inputSchema",
            "outputSchema",
            "annotations",
            "_meta",
            "icons",
            "execution",
        }
    ),
    versions.V2026_07_28: frozenset(
        {"name", "title", "description", "inputSchema", "outputSchema", "annotations", "_meta", "icons"}
    ),
}
#: Versions whose CallToolResult has ``structuredContent``.
_STRUCTURED_VERSIONS: Final = frozenset({versions.V2025_06_18, versions.V2025_11_25, versions.V2026_07_28})


@dataclass(slots=True)
class Tool:
    """A registered tool: the function, its compiled schemas and its wire description."""

    name: str
    fn: Callable[..., Any]
    signature: ToolSignature
    input_validator: CompiledSchema
    output_validator: CompiledSchema | None
    run: RunMode
    definition: dict[str, Any]
    #: Seconds a call may take before it is answered as a timed-out error result (None: no limit).
    timeout: float | None = None
    #: ``"optional"`` or ``"required"`` for a task-capable tool; None when tasks are forbidden.
    task_support: TaskSupport | None = None
    #: ``"start"``: a task from the first line; ``"manual"``: once the tool awaits ``ctx.detach()``.
    task_detach: TaskDetach = "start"

    @property
    def inline(self) -> bool:
        """Called directly on the loop, without a task (a plain function with ``run="loop"``)."""
        return self.run == "loop" and not self.signature.is_async


def _render_tool(tool: Tool, version: str) -> dict[str, Any]:
    """A tool's wire form under ``version``: only the members that version's schema defines."""
    fields = _TOOL_FIELDS[version]
    return {key: value for key, value in tool.definition.items() if key in fields}


def _error_result(message: str) -> dict[str, Any]:
    return {"content": [{"type": "text", "text": message}], "isError": True}


def _describe_exception(exc: BaseException) -> str:
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


class ToolRegistry:
    """The server's tools, in registration order (``tools/list`` order is deterministic)."""

    def __init__(self, *, page_size: int | None = None, validate_output: bool = True) -> None:
        self._tools: dict[str, Tool] = {}
        self._pages = CachedPages("tools", page_size)
        self.validate_output = validate_output
        #: Called with no arguments after every change (the server sends ``list_changed``).
        self.on_change: Callable[[], None] | None = None
        #: Decides task-capable calls and calls with ``params.task`` (see ``Tasks.dispatch``):
        #: returns None to run the call as usual, else the answer.
        self.task_hook: Callable[[Tool, dict[str, Any], Context], Any] | None = None

    def __len__(self) -> int:
        return len(self._tools)

    def __contains__(self, name: object) -> bool:
        return name in self._tools

    def __iter__(self) -> Iterator[Tool]:
        return iter(self._tools.values())

    def get(self, name: str) -> Tool | None:
        """The tool called ``name``, if registered."""
        return self._tools.get(name)

    # ------------------------------------------------------------ registration

    def add(
        self,
        fn: Callable[..., Any],
        *,
        name: str | None = None,
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
    ) -> Tool:
        """Register ``fn`` as a tool; schemas are derived from its signature unless given.

        ``task_support`` (``"optional"`` / ``"required"``) lets a call run as a
        task (2025-11-25 ``execution.taskSupport``; the 2026-07-28 tasks
        extension); ``task_detach="manual"`` keeps a call synchronous until the
        tool awaits ``ctx.detach()``.

        ``timeout`` bounds a call's run time: past it the call is answered as
        an ``isError`` result and an async tool is cancelled (a thread cannot
        be stopped: a timed-out sync tool keeps its worker until it returns,
        counted as hung; see ``Server(max_threads=)``).

        Raises ``ValueError`` for a bad or duplicate name, an invalid schema,
        an impossible ``run`` mode or a timeout on an inline tool, and
        ``TypeError`` for a signature that cannot be described as JSON Schema.
        """
        tool_name = name if name is not None else fn.__name__
        if not _TOOL_NAME.fullmatch(tool_name):
            raise ValueError(f"tool name {tool_name!r} must be 1-128 characters of A-Z a-z 0-9 _ - .")
        if tool_name in self._tools:
            raise ValueError(f"a tool named {tool_name!r} is already registered")
        signature = derive_signature(fn, input_schema=input_schema, output_schema=output_schema)
        schema = signature.input_schema
        if input_schema is None:
            # Derived schemas list every parameter, so anything else is a mistake worth telling the model.
            schema = {**schema, "additionalProperties": False}
        if schema.get("type") != "object":
            raise ValueError(f"tool {tool_name!r}: inputSchema must have type 'object' at its root")
        mode: RunMode = run if run is not None else ("loop" if signature.is_async else "thread")
        if mode == "thread" and signature.is_async:
            raise ValueError(f"tool {tool_name!r} is async: it runs on the loop, not in a thread")
        if timeout is not None:
            if timeout <= 0:
                raise ValueError(f"tool {tool_name!r}: timeout must be positive")
            if mode == "loop" and not signature.is_async:
                raise ValueError(
                    f"tool {tool_name!r} runs inline on the loop, where no timeout can interrupt it"
                )
        definition: dict[str, Any] = {"name": tool_name}
        if title is not None:
            definition["title"] = title
        text = description if description is not None else signature.description
        if text:
            definition["description"] = text
        definition["inputSchema"] = schema
        if signature.output_schema is not None:
            definition["outputSchema"] = signature.output_schema
        if annotations:
            definition["annotations"] = annotations
        if icons:
            definition["icons"] = icons
        if meta:
            definition["_meta"] = meta
        if task_support not in (None, "forbidden", "optional", "required"):
            raise ValueError(f"tool {tool_name!r}: task_support must be forbidden, optional or required")
        if task_detach not in ("start", "manual"):
            raise ValueError(f"tool {tool_name!r}: task_detach must be 'start' or 'manual'")
        if task_support is not None:
            definition["execution"] = {"taskSupport": task_support}
        tool = Tool(
            name=tool_name,
            fn=fn,
            signature=signature,
            input_validator=_compile(tool_name, "inputSchema", schema, trusted=input_schema is None),
            output_validator=(
                _compile(tool_name, "outputSchema", signature.output_schema, trusted=output_schema is None)
                if signature.output_schema is not None
                else None
            ),
            run=mode,
            definition=definition,
            timeout=timeout,
            task_support=None if task_support == "forbidden" else task_support,
            task_detach=task_detach,
        )
        self._tools[tool_name] = tool
        self._changed()
        return tool

    def remove(self, name: str) -> None:
        """Unregister a tool; ``KeyError`` if there is none by that name."""
        del self._tools[name]
        self._changed()

    def swap(self, remove: Iterable[str], add: Mapping[str, Tool]) -> None:
        """Drop ``remove`` and register ``add`` (registered tools under new names), as one change.

        Mounting uses it to keep another server's tools in step: clients see
        one ``list_changed``, never a list with half a server in it.
        """
        for name in remove:
            self._tools.pop(name, None)
        for name, tool in add.items():
            if name in self._tools:
                raise ValueError(f"a tool named {name!r} is already registered")
            self._tools[name] = replace(tool, name=name, definition={**tool.definition, "name": name})
        self._changed()

    def _changed(self) -> None:
        self._pages.clear()
        if self.on_change is not None:
            self.on_change()

    # ---------------------------------------------------------------- listing

    def list_tools(self, params: dict[str, Any], context: Context) -> orjson.Fragment:
        """``tools/list``: one page, serialized once per (version, cursor) and reused."""
        return self._pages.serve(lambda: list(self._tools.values()), _render_tool, params, context)

    # ---------------------------------------------------------------- calling

    def call_tool(self, params: dict[str, Any], context: Context) -> Any:
        """``tools/call``: a result dict for inline tools, else a coroutine the router runs as a task."""
        name = params["name"]  # shape checked by mcpcore.inbound, like every member read here
        tool = self._tools.get(name)
        if tool is None:
            raise RpcError(INVALID_PARAMS, f"Unknown tool: {name!r}")
        if tool.task_support is not None or "task" in params:
            hook = self.task_hook
            if hook is not None:
                answer = hook(tool, params, context)
                if answer is not None:
                    return answer
        arguments = params.get("arguments") or {}
        version = context.protocol_version
        if not tool.input_validator.is_valid(arguments):
            return self._invalid_arguments(tool, arguments, version)
        signature = tool.signature
        kwargs = signature.bind(arguments)
        if signature.context_parameter is not None:
            kwargs = {**kwargs, signature.context_parameter: context}
        run = tool.run
        if run == "loop" and not signature.is_async:  # Tool.inline, without the property call
            try:
                value = tool.fn(**kwargs)
            except RpcError:
                raise
            except Exception as exc:
                return self._raised(tool, exc)
            return self._result(tool, value, version)
        if run == "thread":
            threads = context.connection.server.threads
            job = threads.start(tool.fn, kwargs)
            if job is None:
                _log.warning("tool %s refused: every worker thread is hung", tool.name)
                return _error_result(f"Error in tool {tool.name}: {threads.refusal()}")
            return self._finish(tool, job.future, version, job)
        return self._finish(tool, tool.fn(**kwargs), version)

    async def _finish(
        self, tool: Tool, pending: Awaitable[Any], version: str | None, job: Job | None = None
    ) -> dict[str, Any]:
        """Await a tool running as a coroutine or in a thread (``job``); a failure is an error result."""
        try:
            if tool.timeout is None:
                value = await pending
            else:
                value = await _within(pending, tool.timeout)
        except (RpcError, asyncio.CancelledError):
            raise
        except _ToolTimeout:
            if job is not None:
                job.abandon()  # its thread is held until the function returns: count it as hung
            _log.warning("tool %s timed out after %s s", tool.name, tool.timeout)
            return _error_result(f"Error in tool {tool.name}: timed out after {tool.timeout} s")
        except Exception as exc:
            return self._raised(tool, exc)
        return self._result(tool, value, version)

    def _raised(self, tool: Tool, exc: Exception) -> dict[str, Any]:
        """A tool failure is a result the model can read, not a protocol error."""
        _log.warning("tool %s raised", tool.name, exc_info=exc)
        return _error_result(f"Error in tool {tool.name}: {_describe_exception(exc)}")

    def _invalid_arguments(
        self, tool: Tool, arguments: dict[str, Any], version: str | None
    ) -> dict[str, Any]:
        """Bad arguments: an ``isError`` result from 2025-11-25 on, -32602 before (spec change)."""
        message = f"Invalid arguments for tool {tool.name}: " + "; ".join(
            tool.input_validator.errors(arguments)
        )
        if version in versions.TOOL_INPUT_ERRORS_AS_RESULTS:
            return _error_result(message)
        raise RpcError(INVALID_PARAMS, message)

    def _result(self, tool: Tool, value: Any, version: str | None) -> dict[str, Any]:
        """Turn a tool's return value into a CallToolResult."""
        if type(value) is ToolResult:
            return value.to_wire()
        if isinstance(value, Content):
            return {"content": [value]}
        if type(value) is list and value and all(isinstance(item, Content) for item in value):
            return {"content": value}
        signature = tool.signature
        if signature.output_schema is None:
            text = value if type(value) is str else orjson.dumps(signature.to_structured(value)).decode()
            return {"content": [{"type": "text", "text": text}]}
        structured = signature.to_structured(value)
        if (
            tool.output_validator is not None
            and self.validate_output
            and not tool.output_validator.is_valid(structured)
        ):
            problems = "; ".join(tool.output_validator.errors(structured))
            _log.error(
                "tool %s returned a value that does not match its outputSchema: %s", tool.name, problems
            )
            return _error_result(
                f"Error in tool {tool.name}: output does not match its outputSchema: {problems}"
            )
        if type(value) is str:
            text = value
        elif type(value) is int:
            text = str(value)
        else:
            text = orjson.dumps(structured["result"] if signature.wraps_output else structured).decode()
        result: dict[str, Any] = {"content": [{"type": "text", "text": text}]}
        if version in _STRUCTURED_VERSIONS:
            result["structuredContent"] = structured
        return result


class _ToolTimeout(Exception):
    """Raised by :func:`_within`; distinct from a ``TimeoutError`` the tool itself may raise."""


async def _within(pending: Awaitable[Any], seconds: float) -> Any:
    """Await ``pending`` for at most ``seconds``; on expiry cancel it and raise :class:`_ToolTimeout`."""
    task = asyncio.ensure_future(pending)
    try:
        done, _ = await asyncio.wait({task}, timeout=seconds)
    except asyncio.CancelledError:
        task.cancel()
        raise
    if not done:
        task.cancel()
        raise _ToolTimeout
    return task.result()


def _compile(tool: str, which: str, schema: dict[str, Any], *, trusted: bool) -> CompiledSchema:
    try:
        return CompiledSchema(schema, trusted=trusted)
    except ValueError as exc:
        raise ValueError(f"tool {tool!r}: invalid {which}: {exc}") from None
