"""``mcpcore check`` against real servers: mcpcore's example passes everything; a broken fixture fails
exactly the checks it should. Plus table-driven tests of the schema layer and argument generation."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any
from xml.etree import ElementTree

import orjson
import pytest
from jsonschema.validators import validator_for

from mcpcore import versions
from mcpcore.check import Target, run
from mcpcore.check.report import to_json, to_junit, to_table
from mcpcore.check.sample import sample_arguments
from mcpcore.check.schema import schema_for
from tests.client.peer import run as run_on
from tests.helpers import ROOT

pytestmark = pytest.mark.timeout(240)

ENV = {**os.environ, "PYTHONPATH": str(ROOT)}
BROKEN = [sys.executable, str(ROOT / "tests" / "check" / "broken_server.py")]
#: Not applicable to the calculator: its tool list is fixed, and no call can change it.
FIXED_LIST = {"tools.list-changed"}
BROKEN_FAILS = {
    "jsonrpc.parse-error",  # drops unparseable lines
    "jsonrpc.invalid-utf8",  # ... including invalid UTF-8
    "jsonrpc.notifications-unanswered",  # answers notifications
    "jsonrpc.batch",  # negotiates 2025-03-26 but refuses batches
    "tools.call",  # content is a string
    "schema.2025-11-25",  # ... which the schema catches
    "logging.capability",  # logs tool calls without declaring logging
}
#: Misses below MUST: reported, but they do not fail the run.
BROKEN_MISSES = {
    "concurrency.slow-request": "info",  # one request at a time: best practice, no clause requires it
    "cancellation.no-response": "warn",  # ... so a cancelled sleep is answered anyway: a SHOULD
}


def test_calculator_passes_every_check(loop_name: str) -> None:
    target = Target(
        [sys.executable, "-m", "mcpcore.examples.calculator"],
        env={**ENV, "MCPCORE_LOOP": loop_name},
        cwd=str(ROOT),
    )
    battery = run_on(run(target), loop_name)
    failed = [
        (o.id, o.detail, o.evidence)
        for o in battery.outcomes
        if o.status != "pass" and not (o.status == "n/a" and (o.id.startswith("http.") or o.id in FIXED_LIST))
    ]
    assert failed == []
    ids = {o.id for o in battery.outcomes}
    assert {"tools.call", "concurrency.slow-request", "cancellation.no-response", "stdio.eof-exit"} <= ids
    assert battery.recorder.validated[versions.LATEST_LEGACY] > 20
    assert battery.recorder.validated[versions.LATEST_MODERN] > 0


def test_broken_server_fails_exactly_the_checks_it_should(loop_name: str) -> None:
    target = Target(BROKEN, env=ENV, timeout=3.0)
    battery = run_on(run(target), loop_name)
    failed = {o.id for o in battery.outcomes if o.status == "fail"}
    assert failed == BROKEN_FAILS
    missed = {o.id: o.status for o in battery.outcomes if o.status in ("warn", "info")}
    assert missed == BROKEN_MISSES
    modern = {o.id: o.status for o in battery.outcomes if o.id.startswith("lifecycle.modern")}
    assert set(modern.values()) == {"n/a"}  # a legacy-only server is not failed for lacking 2026-07-28
    by_id = {o.id: o for o in battery.outcomes}
    assert by_id["tools.call"].evidence == '{"content":"0"}'


def test_cli_exit_status_and_junit_report(tmp_path: Any) -> None:
    junit = tmp_path / "report.xml"
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "mcpcore",
            "check",
            "--timeout",
            "3",
            "--only",
            "jsonrpc.parse",
            "--junit",
            str(junit),
            "--format",
            "json",
            "--",
            *BROKEN,
        ],
        env=ENV,
        cwd=ROOT,
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 1, completed.stderr
    document = orjson.loads(completed.stdout)
    assert document["summary"]["fail"] >= 1
    statuses = {c["id"]: c["status"] for c in document["checks"]}
    assert statuses["jsonrpc.parse-error"] == "fail"
    suite = ElementTree.parse(junit).getroot()
    assert suite.tag == "testsuite" and int(suite.get("failures", "0")) >= 1
    failing = [case.get("name") for case in suite if case.find("failure") is not None]
    assert "jsonrpc.parse-error" in failing


def test_cli_passes_on_the_calculator() -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "mcpcore", "check", "--", sys.executable, "-m", "mcpcore.examples.calculator"],
        env=ENV,
        cwd=ROOT,
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout.decode()
    assert b"0 failed" in completed.stdout
    assert completed.stderr == b""


def test_report_formats_render_every_outcome(loop_name: str) -> None:
    battery = run_on(run(Target(BROKEN, env=ENV, timeout=3.0), only=["jsonrpc.notifications"]), loop_name)
    table = to_table(battery)
    assert "FAIL  jsonrpc.notifications-unanswered" in table
    assert "offending:" in table
    assert orjson.loads(to_json(battery))["checks"][0]["status"] == "fail"
    assert ElementTree.fromstring(to_junit(battery)).get("failures") == "1"


# ------------------------------------------------------------------ schema layer


@pytest.mark.parametrize("version", versions.SUPPORTED_VERSIONS)
def test_every_version_ships_a_schema_with_method_lookup(version: str) -> None:
    schema = schema_for(version)
    assert schema.by_method["tools/call"] == "CallToolRequest"
    assert schema.result_definition("tools/list", {}) == "ListToolsResult"
    assert schema.errors("CallToolResult", {"content": "no"})  # a string is not a content array


@pytest.mark.parametrize(
    ("version", "method", "result", "definition"),
    [
        ("2025-11-25", "ping", {}, "EmptyResult"),
        ("2025-11-25", "initialize", {}, "InitializeResult"),
        ("2026-07-28", "server/discover", {}, "DiscoverResult"),
        ("2026-07-28", "tools/call", {"resultType": "input_required"}, "InputRequiredResult"),
        ("2025-11-25", "no/such", {}, None),
    ],
)
def test_result_definition_is_derived_from_the_request(
    version: str, method: str, result: Any, definition: str | None
) -> None:
    assert schema_for(version).result_definition(method, result) == definition


def test_modern_results_need_result_type() -> None:
    schema = schema_for("2026-07-28")
    assert schema.errors("CallToolResult", {"content": []})
    assert not schema.errors("CallToolResult", {"content": [], "resultType": "complete"})


@pytest.mark.parametrize(
    "schema",
    [
        {"type": "object"},
        {
            "type": "object",
            "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}},
            "required": ["a", "b"],
        },
        {"type": "object", "properties": {"s": {"type": "string", "minLength": 3}}, "required": ["s"]},
        {
            "type": "object",
            "properties": {"n": {"type": "number", "exclusiveMinimum": 0, "maximum": 5}},
            "required": ["n"],
        },
        {"type": "object", "properties": {"e": {"enum": ["red", "green"]}}, "required": ["e"]},
        {
            "type": "object",
            "properties": {"l": {"type": "array", "items": {"type": "boolean"}, "minItems": 2}},
            "required": ["l"],
        },
        {
            "type": "object",
            "properties": {"o": {"anyOf": [{"type": "null"}, {"type": "string"}]}},
            "required": ["o"],
        },
        {
            "type": "object",
            "properties": {"p": {"$ref": "#/$defs/P"}},
            "required": ["p"],
            "$defs": {"P": {"type": "object", "properties": {"x": {"type": "number"}}, "required": ["x"]}},
        },
        {
            "type": "object",
            "properties": {"k": {"type": ["null", "integer"], "minimum": 4}},
            "required": ["k"],
        },
    ],
)
def test_generated_arguments_are_valid(schema: dict[str, Any]) -> None:
    arguments = sample_arguments(schema)
    assert validator_for(schema)(schema).is_valid(arguments), arguments


def test_conformance_reads_resources_renders_prompts_and_completes(loop_name: str) -> None:
    target = Target(
        [sys.executable, "-m", "mcpcore.examples.conformance"],
        env={**ENV, "MCPCORE_LOOP": loop_name},
        cwd=str(ROOT),
    )
    only = ["resources.", "prompts.", "completion.", "logging."]
    battery = run_on(run(target, only=only), loop_name)
    by_id = {o.id: o for o in battery.outcomes}
    for check_id in ("resources.read", "prompts.get", "completion.complete", "logging.capability"):
        assert by_id[check_id].status == "pass", (check_id, by_id[check_id].detail, by_id[check_id].evidence)
    assert by_id["resources.read"].detail.startswith("read ")
    assert "value(s) for ref/" in by_id["completion.complete"].detail
