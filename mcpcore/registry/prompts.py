"""Prompts: arguments derived from the function's signature, cached listings, ``prompts/get``.

``@server.prompt()`` on ``def review(code: str, language: str = "python")``
declares two arguments, ``code`` (required) and ``language`` (optional), with
descriptions taken from the docstring's ``Args:`` section. MCP prompt
arguments are strings; the function receives them as given.

A prompt function returns its messages: a ``str`` (one user text message), a
content block (one user message), a message dict (``{"role", "content"}``,
where ``content`` may be a plain string), a list of those, or a whole
``{"messages": [...], "description": ...}`` result.

Unknown prompts and missing required arguments are ``-32602``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any, Final

import orjson

from mcpcore import versions
from mcpcore.content import Content
from mcpcore.context import Context
from mcpcore.errors import INVALID_PARAMS, RpcError
from mcpcore.registry._calls import RunMode, invoke, run_mode, signature_of, then
from mcpcore.registry.pagination import CachedPages
from mcpcore.registry.signature import ToolSignature

__all__ = ["Prompt", "PromptRegistry", "assistant_message", "user_message"]

_NAME: Final = re.compile(r"[A-Za-z0-9_.\-]{1,128}")

_COMMON: Final = frozenset({"name", "description", "arguments"})
_V2025_06: Final = _COMMON | {"title", "_meta"}
_FIELDS: Final[dict[str, frozenset[str]]] = {
    versions.V2024_11_05: _COMMON,
    versions.V2025_03_26: _COMMON,
    versions.V2025_06_18: _V2025_06,
    versions.V2025_11_25: _V2025_06 | {"icons"},
    versions.V2026_07_28: _V2025_06 | {"icons"},
}
#: PromptArgument gained ``title`` in 2025-06-18.
_ARGUMENT_TITLES: Final = frozenset({versions.V2025_06_18, versions.V2025_11_25, versions.V2026_07_28})


def user_message(content: str | dict[str, Any]) -> dict[str, Any]:
    """A prompt message from the user (a string becomes a text block)."""
    return {"role": "user", "content": _block(content)}


def assistant_message(content: str | dict[str, Any]) -> dict[str, Any]:
    """A prompt message from the assistant (a string becomes a text block)."""
    return {"role": "assistant", "content": _block(content)}


def _block(content: str | dict[str, Any]) -> dict[str, Any]:
    return Content(type="text", text=content) if isinstance(content, str) else content


@dataclass(slots=True)
class Prompt:
    """A registered prompt."""

    name: str
    fn: Callable[..., Any]
    signature: ToolSignature
    run: RunMode
    definition: dict[str, Any]
    required: frozenset[str]
    parameters: frozenset[str]


class PromptRegistry:
    """The server's prompts, in registration order."""

    def __init__(self, *, page_size: int | None = None) -> None:
        self._prompts: dict[str, Prompt] = {}
        self._pages = CachedPages("prompts", page_size)
        #: Called with no arguments after every change (the server sends ``list_changed``).
        self.on_change: Callable[[], None] | None = None

    def __len__(self) -> int:
        return len(self._prompts)

    def __contains__(self, name: object) -> bool:
        return name in self._prompts

    def __iter__(self) -> Iterator[Prompt]:
        return iter(self._prompts.values())

    def get(self, name: str) -> Prompt | None:
        """The prompt called ``name``, if registered."""
        return self._prompts.get(name)

    def add(
        self,
        fn: Callable[..., Any],
        *,
        name: str | None = None,
        title: str | None = None,
        description: str | None = None,
        arguments: list[dict[str, Any]] | None = None,
        icons: list[dict[str, Any]] | None = None,
        meta: dict[str, Any] | None = None,
        run: RunMode | None = None,
    ) -> Prompt:
        """Register ``fn`` as a prompt; ``arguments`` replaces the derived argument list."""
        prompt_name = name if name is not None else fn.__name__
        if not _NAME.fullmatch(prompt_name):
            raise ValueError(f"prompt name {prompt_name!r} must be 1-128 characters of A-Z a-z 0-9 _ - .")
        if prompt_name in self._prompts:
            raise ValueError(f"a prompt named {prompt_name!r} is already registered")
        what = f"prompt {prompt_name!r}"
        signature = signature_of(fn, what)
        properties: dict[str, Any] = signature.input_schema.get("properties", {})
        required_names = list(signature.input_schema.get("required", ()))
        if arguments is None:
            arguments = []
            for arg, schema in properties.items():
                entry: dict[str, Any] = {"name": arg}
                if schema.get("description"):
                    entry["description"] = schema["description"]
                entry["required"] = arg in required_names
                arguments.append(entry)
        else:
            declared = {entry["name"] for entry in arguments}
            if not declared <= set(properties):
                raise ValueError(f"{what}: arguments {sorted(declared - set(properties))} are not parameters")
        definition: dict[str, Any] = {"name": prompt_name}
        text = description if description is not None else signature.description
        for key, value in (("title", title), ("description", text), ("icons", icons), ("_meta", meta)):
            if value:
                definition[key] = value
        definition["arguments"] = arguments
        prompt = Prompt(
            name=prompt_name,
            fn=fn,
            signature=signature,
            run=run_mode(signature, run, what),
            definition=definition,
            required=frozenset(entry["name"] for entry in arguments if entry.get("required")),
            parameters=frozenset(properties),
        )
        self._prompts[prompt_name] = prompt
        self._changed()
        return prompt

    def remove(self, name: str) -> None:
        """Unregister a prompt; ``KeyError`` if there is none by that name."""
        del self._prompts[name]
        self._changed()

    def swap(self, remove: Iterable[str], add: Mapping[str, Prompt]) -> None:
        """Drop ``remove`` and register ``add`` (registered prompts under new names), as one change."""
        for name in remove:
            self._prompts.pop(name, None)
        for name, prompt in add.items():
            if name in self._prompts:
                raise ValueError(f"a prompt named {name!r} is already registered")
            self._prompts[name] = replace(prompt, name=name, definition={**prompt.definition, "name": name})
        self._changed()

    def _changed(self) -> None:
        self._pages.clear()
        if self.on_change is not None:
            self.on_change()

    # ---------------------------------------------------------------- listing

    def list_prompts(self, params: dict[str, Any], context: Context) -> orjson.Fragment:
        """``prompts/list``: one page, serialized once per (version, cursor)."""
        return self._pages.serve(lambda: list(self._prompts.values()), _render_prompt, params, context)

    # ---------------------------------------------------------------- getting

    def get_prompt(self, params: dict[str, Any], context: Context) -> Any:
        """``prompts/get``: the result dict, or a coroutine producing it."""
        name = params["name"]  # shape checked by mcpcore.inbound, like every member read here
        prompt = self._prompts.get(name)
        if prompt is None:
            raise RpcError(INVALID_PARAMS, f"Unknown prompt: {name!r}")
        arguments = params.get("arguments") or {}
        missing = sorted(prompt.required - arguments.keys())
        if missing:
            raise RpcError(
                INVALID_PARAMS, f"Invalid params: prompt {prompt.name} needs argument(s) {', '.join(missing)}"
            )
        kwargs = {k: v for k, v in arguments.items() if k in prompt.parameters}
        outcome = invoke(prompt.fn, kwargs, prompt.run, prompt.signature, context)
        description = prompt.definition.get("description")
        return then(outcome, lambda value: _result(prompt.name, description, value))


def _result(name: str, description: str | None, value: Any) -> dict[str, Any]:
    if isinstance(value, dict) and "messages" in value:
        result = dict(value)
        result["messages"] = [_message(name, item) for item in value["messages"]]
    else:
        items = value if isinstance(value, (list, tuple)) else [value]
        result = {"messages": [_message(name, item) for item in items]}
    if description and "description" not in result:
        result["description"] = description
    return result


def _message(name: str, item: Any) -> dict[str, Any]:
    if isinstance(item, str):
        return user_message(item)
    if isinstance(item, dict):
        if "role" in item and "content" in item:
            return {**item, "content": _block(item["content"])}
        if "type" in item:
            return user_message(item)
    raise TypeError(
        f"prompt {name!r} returned {type(item).__name__}; expected str, a content block, "
        "a message dict, a list of those, or a result with 'messages'"
    )


def _render_prompt(prompt: Prompt, version: str) -> dict[str, Any]:
    """A prompt's wire form under ``version`` (argument titles exist from 2025-06-18 on)."""
    fields = _FIELDS[version]
    entry = {key: value for key, value in prompt.definition.items() if key in fields}
    if version not in _ARGUMENT_TITLES:
        entry["arguments"] = [{k: v for k, v in arg.items() if k != "title"} for arg in entry["arguments"]]
    return entry
