"""Derive a tool's JSON Schemas, argument binding and result conversion from a Python function.

Everything that depends only on the function is worked out once, at
registration: the input and output schemas, the description, and per-parameter
converters from JSON values to the annotated Python types. The per-request
methods (:meth:`ToolSignature.bind`, :meth:`ToolSignature.to_structured`) then
do no type inspection at all, and nothing but a flag check when the types
involved are plain JSON already.
"""

from __future__ import annotations

import collections.abc
import dataclasses
import enum
import functools
import inspect
import math
import types
import typing
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal, NamedTuple, Union, get_args, get_origin, get_type_hints

from mcpcore.content import Content, ToolResult
from mcpcore.context import Context
from mcpcore.registry.docstrings import parse_docstring

__all__ = ["ToolSignature", "derive_signature", "derive_type"]

Converter = Callable[[Any], Any]

_NONE_TYPE = type(None)
_MISSING: Any = object()


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
            value = kwargs.get(name, _MISSING)
            if value is not _MISSING:
                kwargs[name] = convert(value)
        return kwargs

    def to_structured(self, value: Any) -> Any:
        """The function's return value as JSON-ready structured content (wrapped when ``wraps_output``)."""
        if self._converts_output:
            value = _to_json(value)
        return {"result": value} if self.wraps_output else value


def derive_type(hint: Any) -> tuple[dict[str, Any], Converter | None]:
    """The JSON Schema of values of ``hint`` and the JSON -> Python converter (``None``: none needed).

    The same derivation as a tool's parameters (the input direction: a
    dataclass field with a default is optional), for schemas a server sends
    the client, such as a typed elicitation's ``requestedSchema``.
    """
    compiled = _TypeCompiler(output=False).compile(hint)
    return compiled.schema, compiled.convert


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
    out_schema, wraps, converts_output = _outputs(hints.get("return", _MISSING), name, explicit=output_schema)
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
    compiler = _TypeCompiler(output=False)
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
    return _object_schema(properties, required), tuple(converters), context_parameter


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
    hint = _strip_annotated(hint)
    if get_origin(hint) in _UNION_ORIGINS:
        members = [member for member in get_args(hint) if member is not _NONE_TYPE]
        return len(members) == 1 and _is_context(members[0])
    return _is_class(hint) and issubclass(hint, Context)


def _parameter_schema(
    schema: dict[str, Any], parameter: inspect.Parameter, docs: dict[str, str]
) -> dict[str, Any]:
    """Add the docstring description (an ``Annotated`` one wins) and a JSON-representable default."""
    extra: dict[str, Any] = {}
    if "description" not in schema and parameter.name in docs:
        extra["description"] = docs[parameter.name]
    if parameter.default is not inspect.Parameter.empty:
        default = _json_value(parameter.default)
        if default is not _MISSING:
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
    if hint is _MISSING or _strip_annotated(hint) in (None, _NONE_TYPE):
        return None, False, hint is _MISSING
    if _mentions_content(hint):
        return None, False, True
    try:
        compiled = _TypeCompiler(output=True).compile(hint)
    except TypeError as exc:
        raise TypeError(f"{name}: return annotation: {exc}") from exc
    if _is_object_type(hint):
        return compiled.schema, False, compiled.converts_output
    wrapped = {"type": "object", "properties": {"result": compiled.schema}, "required": ["result"]}
    return wrapped, True, compiled.converts_output


def _may_need_conversion(hint: Any) -> bool:
    """Whether values of ``hint`` may hold tuples, enums or dataclasses; unknown means yes."""
    if hint is _MISSING:
        return True
    try:
        return _TypeCompiler(output=True).compile(hint).converts_output
    except TypeError:
        return True


def _mentions_content(hint: Any) -> bool:
    """Whether a return type is, or contains (list of, union with...), a content block or ``ToolResult``."""
    if _is_class(hint) and issubclass(hint, (Content, ToolResult)):
        return True
    return any(_mentions_content(argument) for argument in get_args(hint))


def _is_object_type(hint: Any) -> bool:
    """Whether values of ``hint`` are always JSON objects (so they need no ``result`` wrapper)."""
    hint = _strip_annotated(hint)
    if _is_typeddict(hint) or _is_dataclass_type(hint):
        return True
    return _CONTAINERS.get(get_origin(hint) or hint) in ("dict", "mapping")


# ---------------------------------------------------------------- types -> schemas and converters


class _Compiled(NamedTuple):
    schema: dict[str, Any]
    #: JSON value -> annotated Python value, or None when the JSON value already is one.
    convert: Converter | None
    #: Whether a Python value of this type may need :func:`_to_json` before it is JSON.
    converts_output: bool


_SCALARS: dict[type[Any], str] = {
    bool: "boolean",
    int: "integer",
    float: "number",
    str: "string",
    bytes: "string",
    _NONE_TYPE: "null",
}
_UNION_ORIGINS: tuple[Any, ...] = (Union, types.UnionType)
_REQUIREDNESS = {"Required": True, "NotRequired": False, "ReadOnly": None}

#: Container classes (bare, or as the origin of a parametrized alias) -> how they map to JSON.
_CONTAINERS: dict[Any, str] = {
    list: "list",
    collections.abc.Sequence: "sequence",
    collections.abc.MutableSequence: "sequence",
    set: "set",
    collections.abc.Set: "set",
    collections.abc.MutableSet: "set",
    frozenset: "frozenset",
    tuple: "tuple",
    dict: "dict",
    collections.abc.Mapping: "mapping",
    collections.abc.MutableMapping: "mapping",
}


class _TypeCompiler:
    """Turns one type hint into its schema, JSON->Python converter and output-conversion flag.

    Input and output differ only for dataclasses: a caller may omit defaulted
    init fields, but a returned dataclass serializes every field.
    """

    def __init__(self, *, output: bool) -> None:
        self._output = output
        self._active: list[Any] = []

    def compile(self, hint: Any) -> _Compiled:
        if hint is Any or hint is object:
            return _Compiled({}, None, True)
        if hint is None:
            hint = _NONE_TYPE
        origin = get_origin(hint)
        if origin is Annotated:
            return self._annotated(hint)
        if _is_class(hint) and hint in _SCALARS:
            return _Compiled({"type": _SCALARS[hint]}, None, False)
        if origin is Literal:
            return self._literal(hint)
        if origin in _UNION_ORIGINS:
            return self._union(get_args(hint))
        if _is_class(hint) and issubclass(hint, enum.Enum):
            return self._enum(hint)
        if _is_typeddict(hint):
            with self._entered(hint):
                return self._typeddict(hint)
        if _is_dataclass_type(hint):
            with self._entered(hint):
                return self._dataclass(hint)
        kind = _CONTAINERS.get(origin or hint)
        if kind in ("dict", "mapping"):
            return self._mapping(hint, kind)
        if kind == "tuple":
            return self._tuple(hint)
        if kind is not None:
            return self._array(hint, kind)
        raise TypeError(f"unsupported type annotation {hint!r}")

    @contextmanager
    def _entered(self, hint: Any) -> Iterator[None]:
        """Refuse self-referencing types rather than recursing forever."""
        if any(hint is active for active in self._active):
            raise TypeError(f"recursive type not supported: {hint.__qualname__}")
        self._active.append(hint)
        try:
            yield
        finally:
            self._active.pop()

    def _annotated(self, hint: Any) -> _Compiled:
        """``Annotated[T, "text", {...}]``: strings describe, dicts are merged into the schema."""
        inner = self.compile(hint.__origin__)
        schema = dict(inner.schema)
        for item in hint.__metadata__:
            if isinstance(item, str):
                schema["description"] = item
            elif isinstance(item, dict):
                schema.update(item)
        return inner._replace(schema=schema)

    def _literal(self, hint: Any) -> _Compiled:
        choices = get_args(hint)
        members = {choice.value: choice for choice in choices if isinstance(choice, enum.Enum)}
        schema = _enum_schema(
            [choice.value if isinstance(choice, enum.Enum) else choice for choice in choices]
        )
        convert: Converter | None = (lambda value: members.get(value, value)) if members else None
        return _Compiled(schema, convert, bool(members))

    def _enum(self, hint: type[enum.Enum]) -> _Compiled:
        return _Compiled(_enum_schema([member.value for member in hint]), hint, True)

    def _union(self, options: tuple[Any, ...]) -> _Compiled:
        """``anyOf``, collapsed to a ``type`` list when every option is a bare type (keeps the fast path)."""
        options = _without_redundant_none(options)
        if len(options) == 1:
            return self.compile(options[0])
        compiled = [self.compile(option) for option in options]
        schemas = [item.schema for item in compiled]
        if all(schema.keys() == {"type"} for schema in schemas):
            names = list(dict.fromkeys(name for schema in schemas for name in _as_list(schema["type"])))
            schema: dict[str, Any] = {"type": names[0] if len(names) == 1 else names}
        else:
            schema = {"anyOf": schemas}
        converts_output = any(item.converts_output for item in compiled)
        return _Compiled(schema, self._union_converter(options, compiled), converts_output)

    def _union_converter(self, options: tuple[Any, ...], compiled: list[_Compiled]) -> Converter | None:
        """Convert with the first option whose schema accepts the value (JSON carries no type tag)."""
        if self._output or all(item.convert is None for item in compiled):
            return None
        others = [item for option, item in zip(options, compiled, strict=True) if option is not _NONE_TYPE]
        if len(others) == 1:
            only = others[0].convert
            assert only is not None
            return lambda value: None if value is None else only(value)
        from jsonschema import Draft202012Validator  # deferred: jsonschema costs ~40 ms of start-up
        from referencing import Registry

        candidates = [
            (Draft202012Validator(item.schema, registry=Registry()).is_valid, item.convert)
            for item in compiled
        ]

        def convert(value: Any) -> Any:
            for accepts, option_convert in candidates:
                if accepts(value):
                    return value if option_convert is None else option_convert(value)
            return value

        return convert

    def _typeddict(self, hint: Any) -> _Compiled:
        hints = _class_hints(hint)
        required_keys = getattr(hint, "__required_keys__", hints.keys())
        properties: dict[str, Any] = {}
        required: list[str] = []
        converters: dict[str, Converter] = {}
        converts_output = False
        for key, annotated in hints.items():
            field_hint, is_required = _strip_requiredness(annotated)
            compiled = self._field(hint, key, field_hint)
            properties[key] = compiled.schema
            if is_required if is_required is not None else key in required_keys:
                required.append(key)
            if compiled.convert is not None:
                converters[key] = compiled.convert
            converts_output = converts_output or compiled.converts_output
        convert = _dict_converter(converters) if converters else None
        return _Compiled(_object_schema(properties, required), convert, converts_output)

    def _dataclass(self, hint: type[Any]) -> _Compiled:
        hints = _class_hints(hint)
        properties: dict[str, Any] = {}
        required: list[str] = []
        converters: dict[str, Converter] = {}
        for item in dataclasses.fields(hint):
            if not (item.init or self._output):
                continue
            compiled = self._field(hint, item.name, hints.get(item.name, Any))
            properties[item.name] = compiled.schema
            has_default = (
                item.default is not dataclasses.MISSING or item.default_factory is not dataclasses.MISSING
            )
            if self._output or not has_default:
                required.append(item.name)
            elif item.default is not dataclasses.MISSING:
                default = _json_value(item.default)
                if default is not _MISSING:
                    properties[item.name] = {**compiled.schema, "default": default}
            if compiled.convert is not None:
                converters[item.name] = compiled.convert
        schema = _object_schema(properties, required)
        if not self._output:
            schema["additionalProperties"] = False  # the constructor would reject unknown keys anyway
        return _Compiled(schema, _dataclass_converter(hint, converters), True)

    def _field(self, owner: Any, key: str, hint: Any) -> _Compiled:
        try:
            return self.compile(hint)
        except TypeError as exc:
            raise TypeError(f"{owner.__qualname__}.{key}: {exc}") from exc

    def _mapping(self, hint: Any, kind: str) -> _Compiled:
        arguments = get_args(hint)
        key_type, value_type = arguments if arguments else (str, Any)
        if _strip_annotated(key_type) not in (str, Any):
            raise TypeError(f"JSON object keys are strings; {hint!r} has {key_type!r} keys")
        values = self.compile(value_type)
        schema: dict[str, Any] = {"type": "object"}
        if values.schema:
            schema["additionalProperties"] = values.schema
        value_convert = values.convert
        convert = (lambda value: {k: value_convert(v) for k, v in value.items()}) if value_convert else None
        return _Compiled(schema, convert, kind == "mapping" or values.converts_output)

    def _tuple(self, hint: Any) -> _Compiled:
        arguments = get_args(hint)
        if hint is tuple or hint is typing.Tuple:  # noqa: UP006 - the bare typing alias is a distinct object
            return _Compiled({"type": "array"}, tuple, True)
        if len(arguments) == 2 and arguments[1] is Ellipsis:
            items = self.compile(arguments[0])
            return _Compiled(_array_schema(items.schema), _sequence_converter(tuple, items.convert), True)
        if arguments in ((), ((),)):
            return _Compiled({"type": "array", "maxItems": 0}, tuple, True)
        compiled = [self.compile(argument) for argument in arguments]
        schema = {
            "type": "array",
            "prefixItems": [item.schema for item in compiled],
            "minItems": len(compiled),
            "maxItems": len(compiled),
        }
        return _Compiled(schema, _positional_converter([item.convert for item in compiled]), True)

    def _array(self, hint: Any, kind: str) -> _Compiled:
        arguments = get_args(hint)
        items = self.compile(arguments[0] if arguments else Any)
        schema = _array_schema(items.schema)
        if kind in ("set", "frozenset"):
            schema["uniqueItems"] = True
            build: Callable[[Any], Any] = frozenset if kind == "frozenset" else set
            return _Compiled(schema, _sequence_converter(build, items.convert), True)
        convert = _sequence_converter(list, items.convert) if items.convert is not None else None
        return _Compiled(schema, convert, kind == "sequence" or items.converts_output)


def _is_class(hint: Any) -> bool:
    """A real class: on Python 3.10 ``list[int]`` passes ``isinstance(_, type)`` but is not one."""
    return isinstance(hint, type) and not isinstance(hint, types.GenericAlias)


def _strip_annotated(hint: Any) -> Any:
    while get_origin(hint) is Annotated:
        hint = hint.__origin__
    return hint


def _without_redundant_none(options: tuple[Any, ...]) -> tuple[Any, ...]:
    """Drop ``None`` from a union when another option already allows it.

    Python 3.10's ``get_type_hints`` turns ``x: Annotated[T | None, "..."] = None``
    into ``Optional[Annotated[T | None, "..."]]``; the outer ``None`` adds nothing
    but would hide the annotation's description inside an ``anyOf``.
    """
    if _NONE_TYPE not in options:
        return options
    others = tuple(option for option in options if option is not _NONE_TYPE)
    for option in others:
        inner = _strip_annotated(option)
        if get_origin(inner) in _UNION_ORIGINS and _NONE_TYPE in get_args(inner):
            return others
    return options


def _strip_requiredness(hint: Any) -> tuple[Any, bool | None]:
    """Unwrap ``Required``/``NotRequired``/``ReadOnly`` (matched by name: they are 3.11+/3.13+ or
    ``typing_extensions``), returning whether the key was explicitly marked required."""
    required: bool | None = None
    while (marker := getattr(get_origin(hint), "_name", None)) in _REQUIREDNESS:
        if _REQUIREDNESS[marker] is not None:
            required = _REQUIREDNESS[marker]
        hint = get_args(hint)[0]
    return hint, required


def _is_typeddict(hint: Any) -> bool:
    """Duck-typed so that ``typing_extensions.TypedDict`` classes count too."""
    return _is_class(hint) and issubclass(hint, dict) and hasattr(hint, "__total__")


def _is_dataclass_type(hint: Any) -> bool:
    return _is_class(hint) and dataclasses.is_dataclass(hint)


def _class_hints(cls: Any) -> dict[str, Any]:
    try:
        return get_type_hints(cls, include_extras=True)
    except Exception as exc:
        raise TypeError(f"cannot resolve the annotations of {cls.__qualname__}: {exc}") from exc


def _as_list(types_: str | list[str]) -> list[str]:
    return [types_] if isinstance(types_, str) else types_


def _object_schema(properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        schema["required"] = required
    return schema


def _array_schema(items: dict[str, Any]) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "array"}
    if items:
        schema["items"] = items
    return schema


def _json_type(value: Any) -> str | None:
    """The JSON type of a scalar (``bool`` before ``int``: it is a subclass); None if not a scalar."""
    for python_type, name in _SCALAR_VALUE_TYPES:
        if isinstance(value, python_type):
            return name
    return None


_SCALAR_VALUE_TYPES: tuple[tuple[Any, str], ...] = (
    (bool, "boolean"),
    (int, "integer"),
    (float, "number"),
    (str, "string"),
    (_NONE_TYPE, "null"),
)


def _enum_schema(values: list[Any]) -> dict[str, Any]:
    """``enum`` of JSON scalars, with a ``type`` when they all share one (helps clients and the fast path)."""
    kinds = {_json_type(value) for value in values}
    if None in kinds:
        raise TypeError(f"enum and Literal values must be JSON scalars, got {values!r}")
    if len(kinds) == 1:
        return {"type": kinds.pop(), "enum": values}
    return {"enum": values}


# ---------------------------------------------------------------- converters


def _sequence_converter(build: Callable[[Any], Any], item: Converter | None) -> Converter:
    """JSON array -> ``build`` (list, tuple, set...), converting each element when needed."""
    if item is None:
        return build
    if build is list:
        return lambda value: [item(element) for element in value]
    return lambda value: build([item(element) for element in value])


def _positional_converter(items: list[Converter | None]) -> Converter:
    """JSON array -> fixed-length tuple, converting per position."""
    if all(item is None for item in items):
        return tuple
    return lambda value: tuple(
        element if item is None else item(element) for item, element in zip(items, value, strict=False)
    )


def _dict_converter(converters: dict[str, Converter]) -> Converter:
    """JSON object -> dict with the listed keys converted (a TypedDict stays a plain dict)."""
    return lambda value: {
        key: converters[key](item) if key in converters else item for key, item in value.items()
    }


def _dataclass_converter(cls: type[Any], converters: dict[str, Converter]) -> Converter:
    convert_fields = _dict_converter(converters) if converters else None

    def convert(value: Any) -> Any:
        if not isinstance(value, dict):
            return value  # already an instance (validation lets nothing else through)
        return cls(**(convert_fields(value) if convert_fields else value))

    return convert


# ---------------------------------------------------------------- Python values -> JSON

_JSON_SCALARS: frozenset[type[Any]] = frozenset({str, int, float, bool, _NONE_TYPE})


def _to_json(value: Any) -> Any:
    """Plain JSON data from a return value: dataclasses -> dicts, enums -> values, tuples/sets -> lists."""
    kind = type(value)
    if kind in _JSON_SCALARS:
        return value
    if kind is dict:
        return {key: _to_json(item) for key, item in value.items()}
    if kind is list or kind is tuple or kind is set or kind is frozenset:
        return [_to_json(item) for item in value]
    if isinstance(value, enum.Enum):
        return _to_json(value.value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {item.name: _to_json(getattr(value, item.name)) for item in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {key: _to_json(item) for key, item in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_to_json(item) for item in value]
    return value


def _json_value(value: Any) -> Any:
    """``value`` as JSON data for a schema ``default``, or ``_MISSING`` when it has no JSON form."""
    converted = _to_json(value)
    return converted if _is_json(converted) else _MISSING


def _is_json(value: Any) -> bool:
    if value is None or isinstance(value, (str, bool, int)):
        return True
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, list):
        return all(_is_json(item) for item in value)
    if isinstance(value, dict):
        return all(isinstance(key, str) and _is_json(item) for key, item in value.items())
    return False
