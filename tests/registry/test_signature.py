"""derive_signature: schemas from type hints, binding JSON to Python, structured results, docstrings."""

import __future__

import dataclasses
import enum
import functools
import sys
import types
import typing
from collections.abc import Callable, Mapping, Sequence
from typing import Annotated, Any, Literal, Optional, TypedDict, Union

import pytest
from jsonschema import Draft202012Validator

from mcpcore.content import Content, ToolResult
from mcpcore.context import Context
from mcpcore.registry.signature import ToolSignature, derive_signature


class Color(enum.Enum):
    RED = "red"
    BLUE = "blue"


class Level(enum.IntEnum):
    LOW = 1
    HIGH = 2


class Mixed(enum.Enum):
    ONE = 1
    TWO = "two"


@dataclasses.dataclass
class Point:
    x: int
    y: int = 0


@dataclasses.dataclass
class Shape:
    name: str
    points: list[Point]
    color: Color = Color.RED
    tags: tuple[str, ...] = ()


@dataclasses.dataclass
class Node:
    value: int
    children: "list[Node]"


class _MovieBase(TypedDict):
    title: str


class Movie(_MovieBase, total=False):
    year: int


class Partial(TypedDict, total=False):
    a: int
    b: str


class Palette(TypedDict):
    main: Color


class MyContext(Context):
    __slots__ = ()


POINT_SCHEMA = {
    "type": "object",
    "properties": {"x": {"type": "integer"}, "y": {"type": "integer", "default": 0}},
    "required": ["x"],
    "additionalProperties": False,
}


def _tool(annotation: Any, default: Any = None, *, has_default: bool = False) -> Callable[..., Any]:
    """A one-parameter function ``x`` annotated with ``annotation`` (built at run time for the tables)."""

    def tool(x: Any = default) -> None:
        return None

    if not has_default:
        tool.__defaults__ = None
    tool.__annotations__ = {"x": annotation, "return": None}
    return tool


def _property(annotation: Any) -> dict[str, Any]:
    signature = derive_signature(_tool(annotation))
    Draft202012Validator.check_schema(signature.input_schema)
    assert signature.input_schema["required"] == ["x"]
    result: dict[str, Any] = signature.input_schema["properties"]["x"]
    return result


# ---------------------------------------------------------------- schemas


@pytest.mark.parametrize(
    ("annotation", "expected"),
    [
        (int, {"type": "integer"}),
        (float, {"type": "number"}),
        (str, {"type": "string"}),
        (bool, {"type": "boolean"}),
        (None, {"type": "null"}),
        (type(None), {"type": "null"}),
        (bytes, {"type": "string"}),
        (Any, {}),
        (object, {}),
        (list[int], {"type": "array", "items": {"type": "integer"}}),
        (list, {"type": "array"}),
        (Sequence[str], {"type": "array", "items": {"type": "string"}}),
        (set[int], {"type": "array", "items": {"type": "integer"}, "uniqueItems": True}),
        (frozenset[str], {"type": "array", "items": {"type": "string"}, "uniqueItems": True}),
        (
            tuple[int, str],
            {
                "type": "array",
                "prefixItems": [{"type": "integer"}, {"type": "string"}],
                "minItems": 2,
                "maxItems": 2,
            },
        ),
        (tuple[int, ...], {"type": "array", "items": {"type": "integer"}}),
        (tuple, {"type": "array"}),
        (tuple[()], {"type": "array", "maxItems": 0}),
        (dict[str, int], {"type": "object", "additionalProperties": {"type": "integer"}}),
        (dict, {"type": "object"}),
        (dict[str, Any], {"type": "object"}),
        (Mapping[str, float], {"type": "object", "additionalProperties": {"type": "number"}}),
        (Optional[int], {"type": ["integer", "null"]}),  # noqa: UP045 - the spelling under test
        (int | None, {"type": ["integer", "null"]}),
        (Union[int, str], {"type": ["integer", "string"]}),  # noqa: UP007 - the spelling under test
        (bytes | str, {"type": "string"}),
        (list[int] | None, {"anyOf": [{"type": "array", "items": {"type": "integer"}}, {"type": "null"}]}),
        (Literal["a", "b"], {"type": "string", "enum": ["a", "b"]}),
        (Literal[1, "a"], {"enum": [1, "a"]}),
        (Literal[True], {"type": "boolean", "enum": [True]}),
        (Literal[Color.RED], {"type": "string", "enum": ["red"]}),
        (Color, {"type": "string", "enum": ["red", "blue"]}),
        (Level, {"type": "integer", "enum": [1, 2]}),
        (Mixed, {"enum": [1, "two"]}),
        (Color | None, {"anyOf": [{"type": "string", "enum": ["red", "blue"]}, {"type": "null"}]}),
        (Point, POINT_SCHEMA),
        (list[Point], {"type": "array", "items": POINT_SCHEMA}),
        (
            Movie,
            {
                "type": "object",
                "properties": {"title": {"type": "string"}, "year": {"type": "integer"}},
                "required": ["title"],
            },
        ),
        (Partial, {"type": "object", "properties": {"a": {"type": "integer"}, "b": {"type": "string"}}}),
        (Annotated[int, "how many"], {"type": "integer", "description": "how many"}),
        (Annotated[int, {"minimum": 0}], {"type": "integer", "minimum": 0}),
        (
            Annotated[int, "bounded", {"minimum": 0}, {"maximum": 9}],
            {"type": "integer", "description": "bounded", "minimum": 0, "maximum": 9},
        ),
        (Annotated[int | None, "maybe"], {"type": ["integer", "null"], "description": "maybe"}),
        (
            list[Annotated[str, {"minLength": 1}]],
            {"type": "array", "items": {"type": "string", "minLength": 1}},
        ),
    ],
)
def test_type_hint_schema(annotation: Any, expected: dict[str, Any]) -> None:
    assert _property(annotation) == expected


@pytest.mark.skipif(not hasattr(typing, "NotRequired"), reason="typing.NotRequired is Python 3.11+")
def test_typeddict_required_and_not_required_markers() -> None:
    film = TypedDict(  # type: ignore[misc]  # noqa: UP013 - functional form: the markers are 3.11+
        "film", {"title": typing.NotRequired[str], "year": typing.Required[int]}, total=True
    )
    loose = TypedDict("loose", {"title": str, "year": typing.Required[int]}, total=False)  # type: ignore[misc]  # noqa: UP013
    assert _property(film)["required"] == ["year"]
    assert _property(loose)["required"] == ["year"]


def test_nested_dataclass_schema() -> None:
    schema = _property(Shape)
    assert schema == {
        "type": "object",
        "properties": {
            "name": {"type": "string"},
            "points": {"type": "array", "items": POINT_SCHEMA},
            "color": {"type": "string", "enum": ["red", "blue"], "default": "red"},
            "tags": {"type": "array", "items": {"type": "string"}, "default": []},
        },
        "required": ["name", "points"],
        "additionalProperties": False,
    }


def test_parameter_order_required_and_defaults() -> None:
    marker = object()

    def tool(
        b: int, a: str = "x", c: Color = Color.BLUE, d: Any = marker, e: tuple[int, int] = (1, 2)
    ) -> None:
        return None

    schema = derive_signature(tool).input_schema
    assert list(schema["properties"]) == ["b", "a", "c", "d", "e"]
    assert schema["required"] == ["b"]
    assert schema["properties"]["a"] == {"type": "string", "default": "x"}
    assert schema["properties"]["c"]["default"] == "blue"
    assert schema["properties"]["d"] == {}  # no JSON form, so no default
    assert schema["properties"]["e"]["default"] == [1, 2]


def test_unannotated_and_parameterless_tools() -> None:
    def untyped(x, y=3):  # type: ignore[no-untyped-def]
        return x

    def nothing() -> int:
        return 1

    assert derive_signature(untyped).input_schema == {
        "type": "object",
        "properties": {"x": {}, "y": {"default": 3}},
        "required": ["x"],
    }
    assert derive_signature(nothing).input_schema == {"type": "object", "properties": {}}


@pytest.mark.parametrize(
    ("annotation", "message"),
    [
        (dict[int, str], "keys"),
        (complex, "unsupported"),
        (Node, "recursive type not supported"),
        (list[Node], "recursive type not supported"),
        (Literal[b"x"], "JSON scalars"),
    ],
)
def test_unsupported_annotations_raise(annotation: Any, message: str) -> None:
    with pytest.raises(TypeError, match=message) as raised:
        derive_signature(_tool(annotation))
    assert "parameter 'x'" in str(raised.value)


def _var_positional(*items: int) -> None:
    return None


def _var_keyword(**options: int) -> None:
    return None


def _positional_only(a: int, /) -> None:
    return None


@pytest.mark.parametrize(
    ("func", "message"),
    [
        (_var_positional, r"\*items"),
        (_var_keyword, r"\*\*options"),
        (_positional_only, "positional-only"),
    ],
)
def test_parameters_json_cannot_supply_raise(func: Callable[..., Any], message: str) -> None:
    with pytest.raises(TypeError, match=message):
        derive_signature(func)


def test_unresolvable_annotation_names_function_and_parameter() -> None:
    def tool(a: int, b: "Missing") -> None:  # type: ignore[name-defined]  # noqa: F821
        return None

    with pytest.raises(TypeError, match=r"tool.*parameter 'b'.*Missing"):
        derive_signature(tool)


# ---------------------------------------------------------------- context parameter


@pytest.mark.parametrize(
    "annotation",
    [Context, MyContext, Optional[Context], Context | None, Annotated[Context, "the request"]],  # noqa: UP045
)
def test_context_parameter_is_excluded(annotation: Any) -> None:
    def tool(query: str, ctx: Any = None) -> str:
        return query

    tool.__annotations__ = {"query": str, "ctx": annotation, "return": str}
    signature = derive_signature(tool)
    assert signature.context_parameter == "ctx"
    assert signature.input_schema == {
        "type": "object",
        "properties": {"query": {"type": "string"}},
        "required": ["query"],
    }


def test_no_context_parameter() -> None:
    assert derive_signature(_tool(int)).context_parameter is None


# ---------------------------------------------------------------- binding


def test_bind_without_conversions_returns_the_same_dict() -> None:
    def tool(a: int, b: list[str], c: dict[str, float] | None = None, d: Movie | None = None) -> None:
        return None

    arguments = {"a": 1, "b": ["x"], "c": {"k": 1.5}}
    assert derive_signature(tool).bind(arguments) is arguments


@pytest.mark.parametrize(
    ("annotation", "value", "expected"),
    [
        (Color, "blue", Color.BLUE),
        (Level, 2, Level.HIGH),
        (Point, {"x": 1}, Point(1)),
        (
            Shape,
            {"name": "s", "points": [{"x": 1, "y": 2}], "color": "blue", "tags": ["a"]},
            Shape("s", [Point(1, 2)], Color.BLUE, ("a",)),
        ),
        (list[Point], [{"x": 1}, {"x": 2}], [Point(1), Point(2)]),
        (tuple[int, str], [1, "a"], (1, "a")),
        (tuple[Color, int], ["red", 1], (Color.RED, 1)),
        (tuple[Color, ...], ["red", "blue"], (Color.RED, Color.BLUE)),
        (tuple, [1, 2], (1, 2)),
        (set[int], [1, 2], {1, 2}),
        (frozenset[Color], ["red"], frozenset({Color.RED})),
        (dict[str, Color], {"k": "red"}, {"k": Color.RED}),
        (Palette, {"main": "blue"}, {"main": Color.BLUE}),
        (Color | None, None, None),
        (Color | None, "red", Color.RED),
        (Color | int, "red", Color.RED),
        (Color | int, 5, 5),
        (Literal[Color.RED], "red", Color.RED),
        (Annotated[Color, "a color"], "blue", Color.BLUE),
        (list[list[Color]], [["red"], []], [[Color.RED], []]),
    ],
)
def test_bind_converts_json_to_annotated_types(annotation: Any, value: Any, expected: Any) -> None:
    signature = derive_signature(_tool(annotation))
    bound = signature.bind({"x": value})
    assert bound == {"x": expected}
    assert type(bound["x"]) is type(expected)


def test_bind_leaves_absent_and_unconverted_parameters_alone() -> None:
    def tool(a: int, color: Color = Color.RED) -> None:
        return None

    signature = derive_signature(tool)
    arguments = {"a": 1}
    bound = signature.bind(arguments)
    assert bound == {"a": 1}
    assert signature.bind({"a": 1, "color": "blue"}) == {"a": 1, "color": Color.BLUE}
    assert arguments == {"a": 1}  # never mutated


# ---------------------------------------------------------------- structured output


def _returning(annotation: Any) -> ToolSignature:
    def tool() -> None:
        return None

    tool.__annotations__ = {"return": annotation}
    return derive_signature(tool)


def _wrapped(schema: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "properties": {"result": schema}, "required": ["result"]}


@pytest.mark.parametrize(
    ("annotation", "schema", "wraps"),
    [
        (None, None, False),
        (Content, None, False),
        (list[Content], None, False),
        (Sequence[Content], None, False),
        (ToolResult, None, False),
        (Content | str, None, False),
        (int, _wrapped({"type": "integer"}), True),
        (str, _wrapped({"type": "string"}), True),
        (list[int], _wrapped({"type": "array", "items": {"type": "integer"}}), True),
        (int | None, _wrapped({"type": ["integer", "null"]}), True),
        (dict | None, _wrapped({"type": ["object", "null"]}), True),
        (Literal["a"], _wrapped({"type": "string", "enum": ["a"]}), True),
        (Color, _wrapped({"type": "string", "enum": ["red", "blue"]}), True),
        (Any, _wrapped({}), True),
        (dict[str, int], {"type": "object", "additionalProperties": {"type": "integer"}}, False),
        (dict, {"type": "object"}, False),
        (Mapping[str, Any], {"type": "object"}, False),
        (
            Movie,
            {
                "type": "object",
                "properties": {"title": {"type": "string"}, "year": {"type": "integer"}},
                "required": ["title"],
            },
            False,
        ),
        (
            Point,  # a returned dataclass always has every field
            {
                "type": "object",
                "properties": {"x": {"type": "integer"}, "y": {"type": "integer"}},
                "required": ["x", "y"],
            },
            False,
        ),
        (
            Annotated[Movie, "a movie"],
            {
                "type": "object",
                "properties": {"title": {"type": "string"}, "year": {"type": "integer"}},
                "required": ["title"],
                "description": "a movie",
            },
            False,
        ),
    ],
)
def test_output_schema_rules(annotation: Any, schema: dict[str, Any] | None, wraps: bool) -> None:
    signature = _returning(annotation)
    assert signature.output_schema == schema
    assert signature.wraps_output is wraps
    if signature.output_schema is not None:
        Draft202012Validator.check_schema(signature.output_schema)


def test_no_return_annotation_has_no_output_schema() -> None:
    def tool(a: int):  # type: ignore[no-untyped-def]
        return a

    signature = derive_signature(tool)
    assert signature.output_schema is None
    assert signature.wraps_output is False


def test_unsupported_return_annotation_raises() -> None:
    with pytest.raises(TypeError, match="return annotation"):
        _returning(complex)


@pytest.mark.parametrize(
    ("annotation", "value", "expected"),
    [
        (int, 3, {"result": 3}),
        (str, "s", {"result": "s"}),
        (int | None, None, {"result": None}),
        (Color, Color.BLUE, {"result": "blue"}),
        (tuple[int, str], (1, "a"), {"result": [1, "a"]}),
        (set[int], {7}, {"result": [7]}),
        (Point, Point(1, 2), {"x": 1, "y": 2}),
        (list[Point], [Point(1)], {"result": [{"x": 1, "y": 0}]}),
        (
            Shape,
            Shape("s", [Point(1)], Color.BLUE, ("t",)),
            {"name": "s", "points": [{"x": 1, "y": 0}], "color": "blue", "tags": ["t"]},
        ),
        (dict[str, Color], {"k": Color.RED}, {"k": "red"}),
        (Movie, {"title": "t", "year": 1999}, {"title": "t", "year": 1999}),
        (Any, {"nested": (Color.RED, Point(0))}, {"result": {"nested": ["red", {"x": 0, "y": 0}]}}),
    ],
)
def test_to_structured(annotation: Any, value: Any, expected: Any) -> None:
    signature = _returning(annotation)
    structured = signature.to_structured(value)
    assert structured == expected
    assert signature.output_schema is not None
    assert Draft202012Validator(signature.output_schema).is_valid(structured)


def test_to_structured_fast_path_returns_plain_values_untouched() -> None:
    value = {"a": 1, "b": 2}
    assert _returning(dict[str, int]).to_structured(value) is value
    listed = [1, 2]
    assert _returning(list[int]).to_structured(listed)["result"] is listed


# ---------------------------------------------------------------- docstrings


def _google(a: int, b: str, c: float = 1.0) -> None:
    """Add things together.

    Longer explanation.

    Args:
        a (int): The first
            operand.
        b: The second.
        c (float, optional): The third.

    Returns:
        The sum.

    Raises:
        ValueError: never.

    Examples:
        >>> _google(1, "2")
    """


def _google_arguments(a: int) -> None:
    """Do it.

    Arguments:
        a: Alpha.
    """


def _google_parameters(a: int) -> None:
    """
    Parameters:
        a: Alpha.
    """


def _sphinx(a: int, b: str) -> None:
    """Add things together.

    :param a: The first
        operand.
    :param str b: The second.
    :type a: int
    :returns: The sum.
    :raises ValueError: never.
    """


def _numpy(a: int, b: str, c: int) -> None:
    """Add things together.

    Parameters
    ----------
    a : int
        The first
        operand.
    b, c : str
        Shared text.

    Returns
    -------
    int
        The sum.

    Notes
    -----
    Kept.
    """


def _no_doc(a: int) -> None:
    return None


def _annotated_wins(a: Annotated[int, "From the annotation."]) -> None:
    """Doc.

    Args:
        a: From the docstring.
    """


@pytest.mark.parametrize(
    ("func", "description", "parameters"),
    [
        (
            _google,
            'Add things together.\n\nLonger explanation.\n\nExamples:\n    >>> _google(1, "2")',
            {"a": "The first operand.", "b": "The second.", "c": "The third."},
        ),
        (_google_arguments, "Do it.", {"a": "Alpha."}),
        (_google_parameters, None, {"a": "Alpha."}),
        (_sphinx, "Add things together.", {"a": "The first operand.", "b": "The second."}),
        (
            _numpy,
            "Add things together.\n\nNotes\n-----\nKept.",
            {"a": "The first operand.", "b": "Shared text.", "c": "Shared text."},
        ),
        (_no_doc, None, {}),
        (_annotated_wins, "Doc.", {"a": "From the annotation."}),
    ],
)
def test_docstrings(func: Callable[..., Any], description: str | None, parameters: dict[str, str]) -> None:
    signature = derive_signature(func)
    assert signature.description == description
    found = {
        name: schema["description"]
        for name, schema in signature.input_schema["properties"].items()
        if "description" in schema
    }
    assert found == parameters


# ---------------------------------------------------------------- async, partials, callables, overrides


class _AsyncCallable:
    """A callable object tool."""

    async def __call__(self, a: int) -> int:
        return a


async def _async_tool(a: int, b: Color) -> int:
    return a


@pytest.mark.parametrize(
    ("func", "is_async"),
    [
        (_async_tool, True),
        (functools.partial(_async_tool, b=Color.RED), True),
        (_AsyncCallable(), True),
        (_no_doc, False),
        (functools.partial(_no_doc), False),
    ],
)
def test_is_async(func: Callable[..., Any], is_async: bool) -> None:
    assert derive_signature(func).is_async is is_async


def test_callable_object_and_partial_schemas() -> None:
    callable_signature = derive_signature(_AsyncCallable())
    assert callable_signature.input_schema["properties"] == {"a": {"type": "integer"}}
    assert callable_signature.description == "A callable object tool."
    partial_signature = derive_signature(functools.partial(_async_tool, b=Color.RED))
    assert partial_signature.input_schema["required"] == ["a"]
    assert partial_signature.input_schema["properties"]["b"]["default"] == "red"


def test_explicit_schemas_override() -> None:
    def tool(a: complex, color: Color) -> complex:
        return a

    explicit_in = {"type": "object", "properties": {"a": {"type": "string"}}}
    explicit_out = {"type": "object", "properties": {"re": {"type": "number"}}}
    signature = derive_signature(tool, input_schema=explicit_in, output_schema=explicit_out)
    assert signature.input_schema is explicit_in
    assert signature.output_schema is explicit_out
    assert signature.wraps_output is False
    assert signature.to_structured({"re": 1.0}) == {"re": 1.0}
    assert signature.bind({"a": "1", "color": "blue"}) == {"a": "1", "color": Color.BLUE}


FUTURE_MODULE = '''
from __future__ import annotations

import dataclasses
import enum
from typing import Annotated, Optional

from mcpcore.context import Context


class Unit(enum.Enum):
    C = "celsius"
    F = "fahrenheit"


@dataclasses.dataclass
class Reading:
    value: float
    unit: Unit = Unit.C


def convert(
    reading: Reading, to: Unit, ctx: Context, note: Annotated[Optional[str], "why"] = None
) -> Reading:
    """Convert a reading."""
    return reading
'''


def test_future_annotations_module(monkeypatch: pytest.MonkeyPatch) -> None:
    code = compile(
        FUTURE_MODULE, "<future>", "exec", flags=__future__.annotations.compiler_flag, dont_inherit=True
    )
    module = types.ModuleType("future_tools")
    monkeypatch.setitem(sys.modules, module.__name__, module)  # dataclasses look their module up
    exec(code, module.__dict__)
    signature = derive_signature(module.convert)
    assert signature.context_parameter == "ctx"
    assert signature.description == "Convert a reading."
    assert signature.input_schema["required"] == ["reading", "to"]
    assert signature.input_schema["properties"]["note"] == {
        "type": ["string", "null"],
        "description": "why",
        "default": None,
    }
    bound = signature.bind({"reading": {"value": 1.5, "unit": "fahrenheit"}, "to": "celsius"})
    assert bound == {"reading": module.Reading(1.5, module.Unit.F), "to": module.Unit.C}
    assert signature.output_schema is not None
    assert signature.to_structured(module.Reading(2.0)) == {"value": 2.0, "unit": "celsius"}
    Draft202012Validator.check_schema(signature.input_schema)
    Draft202012Validator.check_schema(signature.output_schema)


def test_every_schema_of_a_rich_tool_is_valid_json_schema() -> None:
    def tool(
        shape: Shape,
        movies: list[Movie],
        pick: Literal["a", "b"] | Color | None,
        bounds: Annotated[tuple[float, float], {"description": "lo, hi"}],
        labels: dict[str, set[str]] | None = None,
    ) -> list[Shape] | None:
        return None

    signature = derive_signature(tool)
    Draft202012Validator.check_schema(signature.input_schema)
    assert signature.output_schema is not None
    Draft202012Validator.check_schema(signature.output_schema)
    valid = {
        "shape": {"name": "s", "points": [{"x": 1}]},
        "movies": [{"title": "t"}],
        "pick": "blue",
        "bounds": [0, 1.5],
    }
    assert Draft202012Validator(signature.input_schema).is_valid(valid)
    assert signature.bind(valid)["pick"] is Color.BLUE
