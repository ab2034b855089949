"""Python type hints as JSON Schemas, with converters from JSON values back to those types.

The one place that knows how a hint (scalars, ``Literal``, enums, unions and
``Optional``, ``TypedDict``, dataclasses, lists, tuples, sets, mappings,
``Annotated`` descriptions) maps to a schema in each direction: input (what a
JSON caller may send; a field with a default is optional) and output (what a
tool returns). :class:`TypeCompiler` also builds each hint's converter once,
so a call converts values without inspecting a type again; ``None`` as the
converter means the JSON value is already right.
"""

from __future__ import annotations

import collections.abc
import dataclasses
import enum
import math
import types
import typing
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Annotated, Any, Literal, NamedTuple, Union, get_args, get_origin, get_type_hints

__all__ = [
    "CONTAINERS",
    "MISSING",
    "NONE_TYPE",
    "UNION_ORIGINS",
    "Converter",
    "TypeCompiler",
    "derive_type",
    "is_class",
    "is_dataclass_type",
    "is_typeddict",
    "json_value",
    "object_schema",
    "strip_annotated",
    "to_json",
]

#: A function from a JSON value to the Python value a hint asks for.
Converter = Callable[[Any], Any]

NONE_TYPE = type(None)
#: "No value" where ``None`` is a value (a missing annotation, a field without default).
MISSING: Any = object()

# ---------------------------------------------------------------- types -> schemas and converters


class _Compiled(NamedTuple):
    schema: dict[str, Any]
    #: JSON value -> annotated Python value, or None when the JSON value already is one.
    convert: Converter | None
    #: Whether a Python value of this type may need :func:`to_json` before it is JSON.
    converts_output: bool


_SCALARS: dict[type[Any], str] = {
    bool: "boolean",
    int: "integer",
    float: "number",
    str: "string",
    bytes: "string",
    NONE_TYPE: "null",
}
UNION_ORIGINS: tuple[Any, ...] = (Union, types.UnionType)
_REQUIREDNESS = {"Required": True, "NotRequired": False, "ReadOnly": None}

#: Container classes (bare, or as the origin of a parametrized alias) -> how they map to JSON.
CONTAINERS: dict[Any, str] = {
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


class TypeCompiler:
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
            hint = NONE_TYPE
        origin = get_origin(hint)
        if origin is Annotated:
            return self._annotated(hint)
        if is_class(hint) and hint in _SCALARS:
            return _Compiled({"type": _SCALARS[hint]}, None, False)
        if origin is Literal:
            return self._literal(hint)
        if origin in UNION_ORIGINS:
            return self._union(get_args(hint))
        if is_class(hint) and issubclass(hint, enum.Enum):
            return self._enum(hint)
        if is_typeddict(hint):
            with self._entered(hint):
                return self._typeddict(hint)
        if is_dataclass_type(hint):
            with self._entered(hint):
                return self._dataclass(hint)
        kind = CONTAINERS.get(origin or hint)
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
        others = [item for option, item in zip(options, compiled, strict=True) if option is not NONE_TYPE]
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
        return _Compiled(object_schema(properties, required), convert, converts_output)

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
                default = json_value(item.default)
                if default is not MISSING:
                    properties[item.name] = {**compiled.schema, "default": default}
            if compiled.convert is not None:
                converters[item.name] = compiled.convert
        schema = object_schema(properties, required)
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
        if strip_annotated(key_type) not in (str, Any):
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


def is_class(hint: Any) -> bool:
    """A real class: on Python 3.10 ``list[int]`` passes ``isinstance(_, type)`` but is not one."""
    return isinstance(hint, type) and not isinstance(hint, types.GenericAlias)


def strip_annotated(hint: Any) -> Any:
    while get_origin(hint) is Annotated:
        hint = hint.__origin__
    return hint


def _without_redundant_none(options: tuple[Any, ...]) -> tuple[Any, ...]:
    """Drop ``None`` from a union when another option already allows it.

    Python 3.10's ``get_type_hints`` turns ``x: Annotated[T | None, "..."] = None``
    into ``Optional[Annotated[T | None, "..."]]``; the outer ``None`` adds nothing
    but would hide the annotation's description inside an ``anyOf``.
    """
    if NONE_TYPE not in options:
        return options
    others = tuple(option for option in options if option is not NONE_TYPE)
    for option in others:
        inner = strip_annotated(option)
        if get_origin(inner) in UNION_ORIGINS and NONE_TYPE in get_args(inner):
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


def is_typeddict(hint: Any) -> bool:
    """Duck-typed so that ``typing_extensions.TypedDict`` classes count too."""
    return is_class(hint) and issubclass(hint, dict) and hasattr(hint, "__total__")


def is_dataclass_type(hint: Any) -> bool:
    return is_class(hint) and dataclasses.is_dataclass(hint)


def _class_hints(cls: Any) -> dict[str, Any]:
    try:
        return get_type_hints(cls, include_extras=True)
    except Exception as exc:
        raise TypeError(f"cannot resolve the annotations of {cls.__qualname__}: {exc}") from exc


def _as_list(types_: str | list[str]) -> list[str]:
    return [types_] if isinstance(types_, str) else types_


def object_schema(properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
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
    (NONE_TYPE, "null"),
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

_JSON_SCALARS: frozenset[type[Any]] = frozenset({str, int, float, bool, NONE_TYPE})


def to_json(value: Any) -> Any:
    """Plain JSON data from a return value: dataclasses -> dicts, enums -> values, tuples/sets -> lists."""
    kind = type(value)
    if kind in _JSON_SCALARS:
        return value
    if kind is dict:
        return {key: to_json(item) for key, item in value.items()}
    if kind is list or kind is tuple or kind is set or kind is frozenset:
        return [to_json(item) for item in value]
    if isinstance(value, enum.Enum):
        return to_json(value.value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {item.name: to_json(getattr(value, item.name)) for item in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {key: to_json(item) for key, item in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [to_json(item) for item in value]
    return value


def json_value(value: Any) -> Any:
    """``value`` as JSON data for a schema ``default``, or ``MISSING`` when it has no JSON form."""
    converted = to_json(value)
    return converted if _is_json(converted) else MISSING


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


def derive_type(hint: Any) -> tuple[dict[str, Any], Converter | None]:
    """The JSON Schema of values of ``hint`` and the JSON -> Python converter (``None``: none needed).

    The same derivation as a tool's parameters (the input direction: a
    dataclass field with a default is optional), for schemas a server sends
    the client, such as a typed elicitation's ``requestedSchema``.
    """
    compiled = TypeCompiler(output=False).compile(hint)
    return compiled.schema, compiled.convert
