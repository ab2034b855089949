"""The fuzz generator: valid messages from every schema, and mutations that are exact, hostile bytes.

The fuzzer's findings are only as good as its inputs: a template that is not
valid would make every "mutation" of it noise, and a case that is not
byte-for-byte reproducible cannot be replayed from a report.
"""

from __future__ import annotations

import orjson
import pytest

from mcpcore import versions
from mcpcore.check.fuzz import cases_for, templates
from mcpcore.check.fuzz.generate import RESPONSE_ID, Hints, response_template
from mcpcore.check.fuzz.mutate import HUGE_STRING, NEST_LIMIT
from mcpcore.check.schema import schema_for

DIRECTIONS = ("to-server", "to-client")


@pytest.mark.parametrize("version", versions.SUPPORTED_VERSIONS)
@pytest.mark.parametrize("direction", DIRECTIONS)
def test_every_template_is_valid_in_both_shapes(version: str, direction: str) -> None:
    schema = schema_for(version)
    found = templates(version, direction, Hints(tools=["add"], prompts=["p"], resources=["file:///r"]))  # type: ignore[arg-type]
    assert found
    for template in found:
        for shape in (template.minimal, template.full):
            assert schema.errors(template.definition, shape) == [], (template.definition, shape)
            assert shape["jsonrpc"] == "2.0"
            assert ("id" in shape) is template.is_request


def test_the_unions_are_read_from_each_schema() -> None:
    to_server = {t.method for t in templates("2025-11-25", "to-server")}
    assert {"initialize", "tools/call", "tasks/get", "notifications/cancelled"} <= to_server
    modern = {t.method for t in templates(versions.LATEST_MODERN, "to-server")}
    assert "server/discover" in modern and "initialize" not in modern
    assert "notifications/cancelled" in modern  # a one-member "union" in 2026-07-28
    assert not [t for t in templates(versions.LATEST_MODERN, "to-client") if t.is_request]


@pytest.mark.parametrize("version", versions.SUPPORTED_VERSIONS)
def test_response_templates_are_valid(version: str) -> None:
    schema = schema_for(version)
    for method in ("tools/list", "tools/call", "resources/read", "prompts/get", "completion/complete"):
        template = response_template(version, method)
        assert template.full["id"] == RESPONSE_ID
        assert schema.errors(template.definition, template.full["result"]) == []


def test_cases_are_deterministic_by_seed_and_differ_across_seeds() -> None:
    found = templates("2025-06-18", "to-server")
    first = [case.data for case in cases_for(found, 200, 7)]
    assert first == [case.data for case in cases_for(found, 200, 7)]
    assert first != [case.data for case in cases_for(found, 200, 8)]


def test_the_known_killer_comes_in_the_first_round() -> None:
    """A CI-sized run must reach the unhashable requestId of every version (the bug class it hunts)."""
    for version in versions.SUPPORTED_VERSIONS:
        found = templates(version, "to-server")
        first_round = cases_for(found, 2 * len(found), 0)
        assert any(
            case.description == "notifications/cancelled params/requestId = [1] (unhashable)"
            and b'"requestId":[1]' in case.data
            for case in first_round
        ), version


def test_values_json_encoders_refuse_are_spliced_as_bytes() -> None:
    cases = cases_for(templates("2025-11-25", "to-server"), 20_000, 0)
    by_label = {case.description.split(" ", 1)[1]: case for case in cases if case.method == "ping"}
    surrogate = next(c for label, c in by_label.items() if "(lone surrogate)" in label)
    assert b'"a\\ud800b"' in surrogate.data
    with pytest.raises(orjson.JSONDecodeError):
        orjson.loads(surrogate.data)  # exactly what a strict peer must survive
    nested = next(c for label, c in by_label.items() if f"nested {NEST_LIMIT} deep" in label)
    assert b"[" * NEST_LIMIT + b"]" * NEST_LIMIT in nested.data
    big = next(c for label, c in by_label.items() if label.endswith("= 2**64"))
    assert str(2**64).encode() in big.data
    huge = next(c for label, c in by_label.items() if f"{HUGE_STRING}-character" in label)
    assert len(huge.data) > HUGE_STRING
    assert all(case.data.endswith(b"\n") and case.data.count(b"\n") == 1 for case in cases[:500])
