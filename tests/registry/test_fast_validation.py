"""CompiledSchema: the generated fast path never disagrees with jsonschema, errors are readable."""

import itertools
from typing import Any

import jsonschema.validators
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from mcpcore.registry.validation import CompiledSchema

SETTINGS = settings(max_examples=300, deadline=None)

NAMES = ["a", "b", "c", "it's", 'q"x', "\\n"]  # quoting-hostile names go through the generated source too
TYPES = ["integer", "number", "string", "boolean", "null", "object", "array"]
ANNOTATIONS = {"description": "d", "title": "t", "default": 0, "examples": [1], "$comment": "c"}

# Values chosen to sit on jsonschema's equality and type edges: bool vs int, 1 vs 1.0, -0.0...
EDGE_SCALARS = [0, 1, -1, 2**70, 0.0, -0.0, 1.0, 1.5, True, False, None, "", "1", "a", "true"]
EDGE_CONTAINERS: list[Any] = [[], {}, [1], {"a": 1}, [True]]
scalars = st.one_of(
    st.sampled_from(EDGE_SCALARS),
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=4),
)
json_values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=3), st.dictionaries(st.sampled_from(NAMES), children, max_size=3)
    ),
    max_leaves=8,
)
property_values = st.one_of(scalars, json_values)
instances = st.one_of(json_values, st.dictionaries(st.sampled_from(NAMES), property_values, max_size=5))


type_keywords = st.one_of(
    st.sampled_from(TYPES), st.lists(st.sampled_from(TYPES), min_size=1, max_size=3, unique=True)
)
#: One property's schema from the fast path's vocabulary: type, enum, const, {}, true, annotations.
simple_property_schemas = st.one_of(
    st.just(True),
    st.fixed_dictionaries(
        {},
        optional={
            "type": type_keywords,
            "enum": st.lists(st.one_of(scalars, json_values), min_size=1, max_size=4),
            "const": scalars,
            **{key: st.just(value) for key, value in ANNOTATIONS.items()},
        },
    ),
)


@st.composite
def flat_object_schemas(draw: st.DrawFn) -> dict[str, Any]:
    names = draw(st.lists(st.sampled_from(NAMES), max_size=4, unique=True))
    schema: dict[str, Any] = {"properties": {name: draw(simple_property_schemas) for name in names}}
    if draw(st.integers(0, 4)):
        schema["type"] = "object"
    required = draw(st.lists(st.sampled_from(NAMES), max_size=4, unique=True))
    if required:
        schema["required"] = required
    additional = draw(st.sampled_from(["absent", True, False, {}, {"description": "x"}]))
    if additional != "absent":
        schema["additionalProperties"] = additional
    if draw(st.booleans()):
        schema["description"] = "a tool"
    return schema


def _reference(schema: dict[str, Any]) -> Any:
    """An independently built jsonschema validator: the ground truth."""
    return jsonschema.validators.validator_for(schema, default=Draft202012Validator)(schema)


def _assert_agrees(compiled: CompiledSchema, instance: Any) -> None:
    expected = _reference(compiled.schema).is_valid(instance)
    if compiled.fast_path is not None and compiled.fast_path(instance):
        assert expected, f"fast path accepted an invalid instance {instance!r} for {compiled.schema!r}"
    assert compiled.is_valid(instance) == expected


@SETTINGS
@given(schema=flat_object_schemas(), instance=instances)
def test_generated_flat_schemas_agree_with_jsonschema(schema: dict[str, Any], instance: Any) -> None:
    compiled = CompiledSchema(schema)
    closed_but_requires_unknown = schema.get("additionalProperties") is False and not set(
        schema.get("required", ())
    ) <= set(schema["properties"])
    assert (compiled.fast_path is None) == closed_but_requires_unknown
    _assert_agrees(compiled, instance)


@SETTINGS
@given(schema=flat_object_schemas(), data=st.data())
def test_instances_built_to_fit_agree(schema: dict[str, Any], data: st.DataObject) -> None:
    """Random instances rarely have the ``required`` keys; build ones that do, to reach the valid path."""
    keys = {*schema["properties"], *schema.get("required", ())}
    instance = {key: data.draw(property_values) for key in keys}
    _assert_agrees(CompiledSchema(schema), instance)


@SETTINGS
@given(subschema=simple_property_schemas, value=property_values, required=st.booleans(), closed=st.booleans())
def test_single_property_agrees(subschema: Any, value: Any, required: bool, closed: bool) -> None:
    """One property at a time, checked against a battery of edge values as well as a generated one."""
    schema: dict[str, Any] = {"type": "object", "properties": {"x": subschema}}
    if required:
        schema["required"] = ["x"]
    if closed:
        schema["additionalProperties"] = False
    compiled = CompiledSchema(schema)
    listed = subschema.get("enum", []) if isinstance(subschema, dict) else []
    constant = [subschema["const"]] if isinstance(subschema, dict) and "const" in subschema else []
    for candidate in [value, *EDGE_SCALARS, *EDGE_CONTAINERS, *listed, *constant]:
        _assert_agrees(compiled, {"x": candidate})
        _assert_agrees(compiled, {"x": candidate, "y": 0})
    _assert_agrees(compiled, {})


@pytest.mark.parametrize(
    "declared", [*TYPES, *(list(pair) for pair in itertools.combinations(TYPES, 2)), TYPES]
)
def test_every_type_keyword_against_edge_values(declared: str | list[str]) -> None:
    """Exhaustive over type names and pairs, where the random schemas above are only a sample."""
    compiled = CompiledSchema({"type": "object", "properties": {"x": {"type": declared}}, "required": ["x"]})
    assert compiled.fast_path is not None
    for candidate in [*EDGE_SCALARS, *EDGE_CONTAINERS, 2.5, "text"]:
        _assert_agrees(compiled, {"x": candidate})


TWO_INTS = {
    "type": "object",
    "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}},
    "required": ["a", "b"],
}
FIXED_SCHEMAS = [
    TWO_INTS,
    {**TWO_INTS, "additionalProperties": False},
    {
        "type": "object",
        "properties": {
            "mode": {"type": "string", "enum": ["fast", "slow"], "default": "fast"},
            "limit": {"type": ["integer", "null"], "default": None},
            "flag": {"type": "boolean"},
            "n": {"type": "number"},
            "one": {"const": 1},
            "any": {},
        },
        "required": ["flag"],
        "additionalProperties": False,
    },
    {"type": "object", "properties": {}},
    {"$schema": "http://json-schema.org/draft-04/schema#", **TWO_INTS},
    {"$schema": "http://json-schema.org/draft-07/schema#", **TWO_INTS},
]


@pytest.mark.parametrize("schema", FIXED_SCHEMAS)
def test_simple_schemas_have_a_fast_path(schema: dict[str, Any]) -> None:
    assert CompiledSchema(schema).fast_path is not None


@SETTINGS
@given(schema=st.sampled_from(FIXED_SCHEMAS), instance=instances)
def test_fixed_schemas_agree_with_jsonschema(schema: dict[str, Any], instance: Any) -> None:
    _assert_agrees(CompiledSchema(schema), instance)


@pytest.mark.parametrize(
    ("schema", "instance", "valid", "fast"),
    [
        (TWO_INTS, {"a": 2, "b": 3}, True, True),
        (TWO_INTS, {"a": 2, "b": 3, "extra": []}, True, True),
        (TWO_INTS, {"a": 2.0, "b": 3}, True, False),  # 2.0 is an integer to jsonschema: deferred, still valid
        (TWO_INTS, {"a": True, "b": 3}, False, False),  # a bool is never an integer
        (TWO_INTS, {"a": 2}, False, False),
        (TWO_INTS, [1, 2], False, False),
        ({**TWO_INTS, "additionalProperties": False}, {"a": 1, "b": 2, "c": 3}, False, False),
        (
            {"$schema": "http://json-schema.org/draft-04/schema#", **TWO_INTS},
            {"a": 2.0, "b": 3},
            False,  # draft 4 has no integral floats
            False,
        ),
        ({"properties": {"x": {"enum": [1]}}}, {"x": 1.0}, True, True),
        ({"properties": {"x": {"enum": [1]}}}, {"x": True}, False, False),
        ({"properties": {"x": {"enum": [True]}}}, {"x": 1}, False, False),
        ({"properties": {"x": {"enum": [0]}}}, {"x": -0.0}, True, True),
        ({"properties": {"x": {"const": "a"}}}, {"x": "a"}, True, True),
        ({"properties": {"x": {"const": [1]}}}, {"x": [1]}, True, False),  # non-scalar const: deferred
        ({"properties": {"x": {"type": "number"}}}, {"x": 10**30}, True, True),
        ({"properties": {"x": False}}, {}, True, None),  # false subschema: no fast path
    ],
)
def test_fast_path_edges(schema: dict[str, Any], instance: Any, valid: bool, fast: bool | None) -> None:
    compiled = CompiledSchema(schema)
    assert compiled.is_valid(instance) is valid
    assert _reference(schema).is_valid(instance) is valid
    if fast is None:
        assert compiled.fast_path is None
    else:
        assert compiled.fast_path is not None
        assert compiled.fast_path(instance) is fast


NON_SIMPLE = [
    ({"type": "object", "properties": {"a": {"type": "integer", "minimum": 0}}}, {"a": -1}, {"a": 1}),
    (
        {"type": "object", "properties": {"a": {"type": "array", "items": {"type": "string"}}}},
        {"a": [1]},
        {"a": []},
    ),
    ({"type": "object", "properties": {"a": {"anyOf": [{"type": "string"}]}}}, {"a": 1}, {"a": "s"}),
    ({"type": "object", "patternProperties": {"^x": {"type": "string"}}}, {"xa": 1}, {"xa": "s"}),
    ({"type": "object", "additionalProperties": {"type": "integer"}}, {"z": "s"}, {"z": 1}),
    ({"type": "object", "minProperties": 1}, {}, {"a": 1}),
    ({"type": ["object", "null"], "properties": {}}, 1, None),
    (
        {"$defs": {"n": {"type": "integer"}}, "type": "object", "properties": {"a": {"$ref": "#/$defs/n"}}},
        {"a": "s"},
        {"a": 1},
    ),
    ({"type": "array"}, {}, []),
    ({"$schema": "http://json-schema.org/draft-03/schema#", "type": "object"}, [], {}),
]


@pytest.mark.parametrize(("schema", "invalid", "valid"), NON_SIMPLE)
def test_non_simple_schemas_have_no_fast_path_and_still_validate(
    schema: dict[str, Any], invalid: Any, valid: Any
) -> None:
    compiled = CompiledSchema(schema)
    assert compiled.fast_path is None
    assert compiled.is_valid(valid)
    assert not compiled.is_valid(invalid)
    assert compiled.errors(invalid)


def test_errors_name_the_path_and_are_sorted() -> None:
    schema = {
        "type": "object",
        "properties": {
            "a": {"type": "integer"},
            "p": {"type": "array", "items": {"type": "object", "properties": {"x": {"type": "integer"}}}},
        },
        "required": ["a", "b"],
    }
    messages = CompiledSchema(schema).errors({"a": "x", "p": [{"x": 1}, {"x": "no"}]})
    assert messages == [
        "'b' is a required property",
        "at 'a': 'x' is not of type 'integer'",
        "at 'p.1.x': 'no' is not of type 'integer'",
    ]
    assert CompiledSchema(schema).errors({"a": 1, "b": 2}) == []


@pytest.mark.parametrize(
    "schema",
    [
        {"type": "nope"},
        {"properties": 3},
        {"type": "object", "required": "a"},
        {"properties": {"a": {"minimum": "zero"}}},
    ],
)
def test_invalid_schema_raises_value_error(schema: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="invalid JSON Schema"):
        CompiledSchema(schema)
