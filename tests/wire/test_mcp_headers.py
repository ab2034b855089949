"""The 2026-07-28 request-metadata headers: value encoding and header/body validation."""

from __future__ import annotations

from typing import Any

import pytest

from mcpcore.errors import HEADER_MISMATCH
from mcpcore.wire.mcp_headers import (
    ParamHeaders,
    annotation_problem,
    check_headers,
    decode_value,
    encode_value,
    header_params,
)


@pytest.mark.parametrize(
    ("value", "encoded"),
    [
        ("us-west1", "us-west1"),
        ("Hello, 世界", "=?base64?SGVsbG8sIOS4lueVjA==?="),
        (" padded ", "=?base64?IHBhZGRlZCA=?="),
        ("line1\nline2", "=?base64?bGluZTEKbGluZTI=?="),
        ("a\tb", "=?base64?YQli?="),
        ("=?base64?literal?=", "=?base64?PT9iYXNlNjQ/bGl0ZXJhbD89?="),
        (42, "42"),
        (-7, "-7"),
        (True, "true"),
        (False, "false"),
    ],
)
def test_values_encode_as_the_spec_table_says_and_decode_back(value: Any, encoded: str) -> None:
    assert encode_value(value) == encoded
    expected = value if isinstance(value, str) else encoded
    assert decode_value(encoded) == expected


@pytest.mark.parametrize("bad", ["=?base64?SGVsbG8?=", "=?base64?SGVs!!!bG8=?=", "=?base64?/w==?="])
def test_bad_base64_payloads_are_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="Base64"):
        decode_value(bad)


@pytest.mark.parametrize("literal", ["SGVsbG8=", "=?base64?SGVsbG8=", "SGVsbG8=?="])
def test_values_without_the_whole_sentinel_are_literal(literal: str) -> None:
    assert decode_value(literal) == literal


SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "region": {"type": "string", "x-mcp-header": "Region"},
        "count": {"type": "integer", "x-mcp-header": "Count"},
        "flag": {"type": "boolean", "x-mcp-header": "Flag"},
        "ratio": {"type": "number", "x-mcp-header": "Ratio"},  # numbers may not be annotated
        "bad": {"type": "string", "x-mcp-header": "has space"},
        "nested": {"type": "object", "properties": {"zone": {"type": "string", "x-mcp-header": "Zone"}}},
        "list": {"type": "array", "items": {"type": "string", "x-mcp-header": "Item"}},
    },
}


def test_header_params_only_count_valid_reachable_annotations() -> None:
    assert header_params(SCHEMA) == {
        "region": (("region",), "string"),
        "count": (("count",), "integer"),
        "flag": (("flag",), "boolean"),
        "zone": (("nested", "zone"), "string"),
    }


def test_duplicate_annotations_are_not_enforced() -> None:
    schema = {
        "type": "object",
        "properties": {
            "a": {"type": "string", "x-mcp-header": "X"},
            "b": {"type": "string", "x-mcp-header": "x"},
        },
    }
    assert header_params(schema) == {}


def _call(arguments: dict[str, Any], name: str = "tool") -> dict[str, Any]:
    return {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "tools/call",
        "params": {"name": name, "arguments": arguments},
    }


PARAMS: ParamHeaders = header_params(SCHEMA)


def check(headers: dict[str, str], msg: dict[str, Any]) -> int | None:
    error = check_headers(headers, msg, lambda name: PARAMS if name == "tool" else None)
    return None if error is None else error.code


BASE = {"mcp-method": "tools/call", "mcp-name": "tool"}

CASES: list[tuple[str, dict[str, str], dict[str, Any], bool]] = [
    (
        "all match",
        {**BASE, "mcp-param-region": "eu", "mcp-param-count": "3"},
        _call({"region": "eu", "count": 3}),
        True,
    ),
    ("integer compares numerically", {**BASE, "mcp-param-count": "3.0"}, _call({"count": 3}), True),
    ("boolean", {**BASE, "mcp-param-flag": "true"}, _call({"flag": True}), True),
    ("nested", {**BASE, "mcp-param-zone": "z1"}, _call({"nested": {"zone": "z1"}}), True),
    ("base64", {**BASE, "mcp-param-region": "=?base64?SGVsbG8=?="}, _call({"region": "Hello"}), True),
    ("null needs no header", BASE, _call({"region": None}), True),
    ("absent needs no header", BASE, _call({}), True),
    ("missing method", {"mcp-name": "tool"}, _call({}), False),
    ("method mismatch", {**BASE, "mcp-method": "tools/list"}, _call({}), False),
    ("method values are case-sensitive", {**BASE, "mcp-method": "TOOLS/CALL"}, _call({}), False),
    ("missing name", {"mcp-method": "tools/call"}, _call({}), False),
    ("name mismatch", {**BASE, "mcp-name": "other"}, _call({}), False),
    ("param mismatch", {**BASE, "mcp-param-region": "us"}, _call({"region": "eu"}), False),
    ("param missing", BASE, _call({"region": "eu"}), False),
    ("bad base64", {**BASE, "mcp-param-region": "=?base64?SGVsbG8?="}, _call({"region": "Hello"}), False),
    ("non-ascii header", {**BASE, "mcp-param-region": "é"}, _call({"region": "é"}), False),
    ("boolean mismatch", {**BASE, "mcp-param-flag": "True"}, _call({"flag": True}), False),
]


@pytest.mark.parametrize(("name", "headers", "msg", "ok"), CASES, ids=[case[0] for case in CASES])
def test_header_body_validation(name: str, headers: dict[str, str], msg: dict[str, Any], ok: bool) -> None:
    assert check(headers, msg) == (None if ok else HEADER_MISMATCH), name


def test_resources_read_name_is_the_uri() -> None:
    msg = {"jsonrpc": "2.0", "id": 1, "method": "resources/read", "params": {"uri": "file:///a b"}}
    assert check({"mcp-method": "resources/read", "mcp-name": "file:///a b"}, msg) is None
    assert check({"mcp-method": "resources/read", "mcp-name": "file:///c"}, msg) == HEADER_MISMATCH


def _one(prop: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "properties": {"p": prop}}


@pytest.mark.parametrize(
    ("schema", "problem"),
    [
        (_one({"type": "string", "x-mcp-header": ""}), "empty"),
        (_one({"type": "object", "x-mcp-header": "Data"}), "'object' property"),
        (_one({"type": "array", "items": {"type": "string"}, "x-mcp-header": "Items"}), "'array'"),
        (_one({"type": "null", "x-mcp-header": "Nil"}), "'null'"),
        (_one({"type": "number", "x-mcp-header": "Score"}), "'number'"),
        (_one({"type": "string", "x-mcp-header": "My Region"}), "not an HTTP token"),
        (_one({"type": "string", "x-mcp-header": "Region:Primary"}), "not an HTTP token"),
        (_one({"type": "string", "x-mcp-header": "Région"}), "not an HTTP token"),
        (_one({"type": "string", "x-mcp-header": "Region\t1"}), "not an HTTP token"),
        (
            {
                "type": "object",
                "properties": {
                    "a": {"type": "string", "x-mcp-header": "MyField"},
                    "b": {"type": "string", "x-mcp-header": "myfield"},
                },
            },
            "repeats",
        ),
        (
            {"type": "object", "$defs": {"r": {"type": "string", "x-mcp-header": "Region"}}},
            "not on a property reachable",
        ),
        (
            _one(
                {
                    "type": "array",
                    "items": {"type": "object", "properties": {"z": {"type": "string", "x-mcp-header": "Z"}}},
                }
            ),
            "not on a property reachable",
        ),
        (
            {"type": "object", "anyOf": [{"properties": {"r": {"type": "string", "x-mcp-header": "R"}}}]},
            "not on a property reachable",
        ),
    ],
)
def test_invalid_header_annotations_are_named(schema: dict[str, Any], problem: str) -> None:
    """Transport, custom headers: a client MUST reject a tool whose x-mcp-header breaks a constraint."""
    found = annotation_problem(schema)
    assert found is not None and problem in found


def test_valid_annotations_and_data_keywords_are_not_problems() -> None:
    schema = {
        "type": "object",
        "properties": {
            "region": {"type": "string", "x-mcp-header": "Region"},
            "nested": {"type": "object", "properties": {"zone": {"type": "integer", "x-mcp-header": "Zone"}}},
            # instance data and a property that happens to be called x-mcp-header are not annotations
            "x-mcp-header": {"type": "string", "default": {"x-mcp-header": ""}},
        },
        "examples": [{"x-mcp-header": "not a schema"}],
    }
    assert annotation_problem(schema) is None
