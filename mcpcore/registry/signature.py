"""Derive a tool's JSON Schemas, argument binding and result conversion from a Python function.

Everything that depends only on the function is worked out once, at
registration: the input and output schemas, the description, and per-parameter
converters from JSON values to the annotated Python types. The per-request
methods (:meth:`ToolSignature.bind`, :meth:`ToolSignature.to_structured`) then
do no type inspection at all, and nothing but a flag check when the types
involved are plain JSON already. How each type hint becomes a schema and a
converter is :mod:`mcpcore.registry.type_schemas`.
"""

from __future__ import annotations

import functools
import inspect
import types
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, get_args, get_origin, get_type_hints

from mcpcore.content import Content, ToolResult
from mcpcore.context import Context
from mcpcore.registry.docstrings import parse_docstring
from mcpcore.registry.type_schemas import (
    CONTAINERS,
    MISSING,
    NONE_TYPE,
    UNION_ORIGINS,
    Converter,
    TypeCompiler,
    is_class,
    is_dataclass_type,
    is_typeddict,
    json_value,
    object_schema,
    strip_annotated,
    to_json,
)

__all__ = ["ToolSignature", "derive_signature"]


@dataclass(frozen=True, slots=True)
class ToolSignature:
    """What the registry needs to know about a tool function, computed once at registration."""

    input_schema: dict[str, Any]
    output_schema: dict[str, Any] | None
    #: The return value is not a JSON object, so ``structuredContent`` is ``{"result": value}``.
    wraps_output: bool
    #: The parameter that receives the :class:`~mcpcore.context.Context` (never in the schema).
    context_parameter: str | None
    description: str | None
    is_async: bool
    _converters: tuple[tuple[str, Converter], ...] = field(default=(), repr=False, compare=False)
    _converts_output: bool = field(default=True, repr=False, compare=False)

    def bind(self, arguments: dict[str, Any]) -> dict[str, Any]:
        """Keyword arguments for the function from validated JSON ``arguments``.

        Values become the annotated Python types (enum members, dataclasses,
        tuples, sets...). When no parameter needs that, ``arguments`` itself is
        returned, not a copy, so callers must not mutate the result.
        """
        if not self._converters:
            return arguments
        kwargs = dict(arguments)
        for name, convert in self._converters:
            value = kwargs.get(name, MISSING)
            if value is not MISSING:
                kwargs[name] = convert(value)
        return kwargs

    def to_structured(self, value: Any) -> Any:
        """The function's return value as JSON-ready structured content (wrapped when ``wraps_output``)."""
        if self._converts_output:
            value = to_json(value)
        return {"result": value} if self.wraps_output else value


def derive_signature(
    func: Callable[..., Any],
    *,
    input_schema: dict[str, Any] | None = None,
    output_schema: dict[str, Any] | None = None,
) -> ToolSignature:
    """Inspect ``func`` once and describe it as a tool; explicit schemas replace the derived ones.

    Raises ``TypeError`` (naming the function and the parameter) for anything a
    JSON caller could not supply: ``*args``/``**kwargs``, positional-only
    parameters, unresolvable or unsupported annotations, recursive types.
    """
    base = _unwrap_partial(func)
    target = _inspection_target(base)
    name = getattr(target, "__qualname__", repr(func))
    hints = _function_hints(target, name)
    doc = _docstring(base, target)
    description, parameter_docs = parse_docstring(doc) if doc else (None, {})
    derived, converters, context_parameter = _inputs(func, name, hints, parameter_docs, explicit=input_schema)
    out_schema, wraps, converts_output = _outputs(hints.get("return", MISSING), name, explicit=output_schema)
    return ToolSignature(
        input_schema=input_schema if input_schema is not None else derived,
        output_schema=out_schema,
        wraps_output=wraps,
        context_parameter=context_parameter,
        description=description,
        is_async=inspect.iscoroutinefunction(target),
        _converters=converters,
        _converts_output=converts_output,
    )


# ---------------------------------------------------------------- the function


def _unwrap_partial(func: Callable[..., Any]) -> Callable[..., Any]:
    """``functools.partial`` hides the function that has the annotations and the docstring."""
    while isinstance(func, functools.partial):
        func = func.func
    return func


def _inspection_target(func: Callable[..., Any]) -> Any:
    """The plain function whose annotations and async-ness describe ``func``.

    A callable object keeps them on its class's ``__call__``: ``inspect.signature``
    copes with that, but ``get_type_hints`` and ``iscoroutinefunction`` need the
    function itself.
    """
    if not (inspect.isroutine(func) or isinstance(func, type)) and callable(func):
        return type(func).__call__
    return func


def _docstring(func: Callable[..., Any], target: Any) -> str | None:
    """The cleaned docstring; a callable object is described by its class, else by its own ``__call__``.

    (``inspect.getdoc`` on the method would inherit ``object``'s "Call self as a function.")
    """
    if target is func:
        return inspect.getdoc(func)
    doc = func.__doc__ or target.__doc__
    return inspect.cleandoc(doc) if doc else None


def _function_hints(target: Any, name: str) -> dict[str, Any]:
    try:
        return get_type_hints(target, include_extras=True)
    except Exception as exc:
        culprit = _unresolvable_annotation(target)
        where = f"the annotation of parameter {culprit!r}" if culprit else "its annotations"
        raise TypeError(f"{name}: cannot resolve {where}: {exc}") from exc


def _unresolvable_annotation(target: Any) -> str | None:
    """Which parameter's annotation made ``get_type_hints`` fail, probing them one at a time."""
    globalns = getattr(inspect.unwrap(target), "__globals__", {})
    for parameter, annotation in getattr(target, "__annotations__", {}).items():
        probe = types.SimpleNamespace(__annotations__={parameter: annotation}, __globals__=globalns)
        try:
            get_type_hints(probe, include_extras=True)
        except Exception:
            return str(parameter)
    return None


def _inputs(
    func: Callable[..., Any],
    name: str,
    hints: dict[str, Any],
    parameter_docs: dict[str, str],
    explicit: dict[str, Any] | None,
) -> tuple[dict[str, Any], tuple[tuple[str, Converter], ...], str | None]:
    """The derived input schema, the parameters' converters and the context parameter's name.

    With an explicit input schema the annotations only serve to convert values,
    so one that cannot be described is simply passed through unconverted.
    """
    compiler = TypeCompiler(output=False)
    properties: dict[str, Any] = {}
    required: list[str] = []
    converters: list[tuple[str, Converter]] = []
    context_parameter: str | None = None
    for parameter in inspect.signature(func).parameters.values():
        _check_kind(parameter, name)
        hint = hints.get(parameter.name, Any)
        if _is_context(hint):
            context_parameter = parameter.name
            continue
        try:
            compiled = compiler.compile(hint)
        except TypeError as exc:
            if explicit is not None:
                continue
            raise TypeError(f"{name}: parameter {parameter.name!r}: {exc}") from exc
        if compiled.convert is not None:
            converters.append((parameter.name, compiled.convert))
        properties[parameter.name] = _parameter_schema(compiled.schema, parameter, parameter_docs)
        if parameter.default is inspect.Parameter.empty:
            required.append(parameter.name)
    return object_schema(properties, required), tuple(converters), context_parameter


def _check_kind(parameter: inspect.Parameter, name: str) -> None:
    """JSON arguments arrive by name, so only parameters that can be passed by keyword make sense."""
    if parameter.kind is inspect.Parameter.VAR_POSITIONAL:
        raise TypeError(f"{name}: tools take named arguments only, not *{parameter.name}")
    if parameter.kind is inspect.Parameter.VAR_KEYWORD:
        raise TypeError(f"{name}: tools take named arguments only, not **{parameter.name}")
    if parameter.kind is inspect.Parameter.POSITIONAL_ONLY:
        raise TypeError(
            f"{name}: parameter {parameter.name!r} is positional-only; tools take named arguments"
        )


def _is_context(hint: Any) -> bool:
    """``Context``, a subclass, or an optional one (possibly ``Annotated``)."""
    hint = strip_annotated(hint)
    if get_origin(hint) in UNION_ORIGINS:
        members = [member for member in get_args(hint) if member is not NONE_TYPE]
        return len(members) == 1 and _is_context(members[0])
    return is_class(hint) and issubclass(hint, Context)


def _parameter_schema(
    schema: dict[str, Any], parameter: inspect.Parameter, docs: dict[str, str]
) -> dict[str, Any]:
    """Add the docstring description (an ``Annotated`` one wins) and a JSON-representable default."""
    extra: dict[str, Any] = {}
    if "description" not in schema and parameter.name in docs:
        extra["description"] = docs[parameter.name]
    if parameter.default is not inspect.Parameter.empty:
        default = json_value(parameter.default)
        if default is not MISSING:
            extra["default"] = default
    return {**schema, **extra} if extra else schema


def _outputs(
    hint: Any, name: str, explicit: dict[str, Any] | None
) -> tuple[dict[str, Any] | None, bool, bool]:
    """``(output_schema, wraps_output, converts_output)`` for a return annotation.

    Only JSON objects can be structured content, so anything else is wrapped as
    ``{"result": value}``; content-typed returns have no structured form at all.
    """
    if explicit is not None:
        return explicit, False, _may_need_conversion(hint)
    if hint is MISSING or strip_annotated(hint) in (None, NONE_TYPE):
        return None, False, hint is MISSING
    if _mentions_content(hint):
        return None, False, True
    try:
        compiled = TypeCompiler(output=True).compile(hint)
    except TypeError as exc:
        raise TypeError(f"{name}: return annotation: {exc}") from exc
    if _is_object_type(hint):
        return compiled.schema, False, compiled.converts_output
    wrapped = {"type": "object", "properties": {"result": compiled.schema}, "required": ["result"]}
    return wrapped, True, compiled.converts_output


def _may_need_conversion(hint: Any) -> bool:
    """Whether values of ``hint`` may hold tuples, enums or dataclasses; unknown means yes."""
    if hint is MISSING:
        return True
    try:
        return TypeCompiler(output=True).compile(hint).converts_output
    except TypeError:
        return True


def _mentions_content(hint: Any) -> bool:
    """Whether a return type is, or contains (list of, union with...), a content block or ``ToolResult``."""
    if is_class(hint) and issubclass(hint, (Content, ToolResult)):
        return True
    return any(_mentions_content(argument) for argument in get_args(hint))


def _is_object_type(hint: Any) -> bool:
    """Whether values of ``hint`` are always JSON objects (so they need no ``result`` wrapper)."""
    hint = strip_annotated(hint)
    if is_typeddict(hint) or is_dataclass_type(hint):
        return True
    return CONTAINERS.get(get_origin(hint) or hint) in ("dict", "mapping")
