"""Argument completion: one completer per prompt argument or template variable.

A completer is a function of the partial value (and, optionally, of the other
arguments the client has already filled in, ``context.arguments`` from
2025-06-18) returning candidate strings, sync or async::

    @server.completion(prompt="review", argument="language")
    def languages(value: str) -> list[str]:
        return [name for name in LANGUAGES if name.startswith(value)]

The answer holds at most 100 values (the spec's limit), ``total`` (how many
the completer produced) and ``hasMore``. Return a :class:`Completion` to set
those yourself (e.g. when the completer itself stops early).

A reference to an unknown prompt or resource is ``-32602``; an argument
without a completer gets an empty list.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

from mcpcore.context import Context
from mcpcore.errors import INVALID_PARAMS, RpcError
from mcpcore.registry._calls import invoke, run_mode, signature_of, then
from mcpcore.registry.signature import ToolSignature

if TYPE_CHECKING:
    from mcpcore.registry.prompts import PromptRegistry
    from mcpcore.registry.resources import ResourceRegistry

__all__ = ["MAX_VALUES", "Completion", "CompletionRegistry"]

#: ``CompleteResult.completion.values`` must not exceed 100 items.
MAX_VALUES: Final = 100

RefKey = tuple[str, str]  # ("ref/prompt", name) or ("ref/resource", uri or template)


@dataclass(slots=True)
class Completion:
    """An explicit completion answer."""

    values: list[str] = field(default_factory=list)
    total: int | None = None
    has_more: bool | None = None


@dataclass(slots=True)
class _Completer:
    fn: Callable[..., Any]
    signature: ToolSignature
    value_parameter: str
    arguments_parameter: str | None


class CompletionRegistry:
    """Completers by reference and argument name."""

    def __init__(self, prompts: PromptRegistry, resources: ResourceRegistry) -> None:
        self._prompts = prompts
        self._resources = resources
        self._completers: dict[RefKey, dict[str, _Completer]] = {}

    def __len__(self) -> int:
        return sum(len(by_argument) for by_argument in self._completers.values())

    def add(
        self, fn: Callable[..., Any], *, argument: str, prompt: str | None = None, resource: str | None = None
    ) -> None:
        """Register ``fn`` to complete ``argument`` of a prompt, or a variable of a resource template."""
        if (prompt is None) == (resource is None):
            raise ValueError("a completer is for exactly one of prompt= or resource=")
        key: RefKey = ("ref/prompt", prompt) if prompt is not None else ("ref/resource", resource)  # type: ignore[assignment]
        what = f"completer for {key[1]!r} argument {argument!r}"
        signature = signature_of(fn, what)
        names = list(signature.input_schema.get("properties", {}))
        if not names or len(names) > 2:
            raise TypeError(f"{what}: takes the partial value and optionally the other arguments")
        run_mode(signature, "loop", what)
        by_argument = self._completers.setdefault(key, {})
        if argument in by_argument:
            raise ValueError(f"{what} is already registered")
        by_argument[argument] = _Completer(fn, signature, names[0], names[1] if len(names) > 1 else None)

    def entries(self) -> list[tuple[RefKey, dict[str, Any]]]:
        """Every reference with its completers by argument (mounting copies them under new names)."""
        return [(key, dict(by_argument)) for key, by_argument in self._completers.items()]

    def swap(self, remove: Iterable[RefKey], add: Iterable[tuple[RefKey, dict[str, Any]]]) -> None:
        """Drop the completers of ``remove`` and register ``add`` (from :meth:`entries`)."""
        for key in remove:
            self._completers.pop(key, None)
        for key, by_argument in add:
            self._completers.setdefault(key, {}).update(by_argument)

    def complete(self, params: dict[str, Any], context: Context) -> Any:
        """``completion/complete``: the result dict, or a coroutine producing it."""
        # Every member read here has its shape checked by mcpcore.inbound first.
        argument = params["argument"]
        name: str = argument["name"]
        value: str = argument.get("value") or ""
        key = self._reference(params["ref"])
        completer = self._completers.get(key, {}).get(name)
        if completer is None:
            return _result([])
        ctx_args = params.get("context") or {}
        kwargs: dict[str, Any] = {completer.value_parameter: value}
        if completer.arguments_parameter is not None:
            kwargs[completer.arguments_parameter] = ctx_args.get("arguments") or {}
        outcome = invoke(completer.fn, kwargs, "loop", completer.signature, context)
        return then(outcome, _result)

    def _reference(self, ref: dict[str, Any]) -> RefKey:
        if ref["type"] == "ref/prompt":
            prompt: str = ref["name"]
            if prompt not in self._prompts:
                raise RpcError(INVALID_PARAMS, f"Unknown prompt: {prompt!r}")
            return ("ref/prompt", prompt)
        uri: str = ref["uri"]  # "ref/resource", the only other type the contract lets through
        if self._resources.get(uri) is None:
            raise RpcError(INVALID_PARAMS, f"Unknown resource or template: {uri!r}")
        return ("ref/resource", uri)


def _result(value: Any) -> dict[str, Any]:
    if isinstance(value, Completion):
        values = [str(item) for item in value.values[:MAX_VALUES]]
        completion: dict[str, Any] = {"values": values}
        total = value.total if value.total is not None else len(value.values)
        completion["total"] = total
        completion["hasMore"] = value.has_more if value.has_more is not None else total > len(values)
        return {"completion": completion}
    items = (
        [str(item) for item in value] if isinstance(value, Iterable) and not isinstance(value, str) else []
    )
    return {
        "completion": {
            "values": items[:MAX_VALUES],
            "total": len(items),
            "hasMore": len(items) > MAX_VALUES,
        }
    }
