"""The inbound contract against the spec's own schemas: complete, and never stricter than the spec.

* Every method a peer may send, in every version's schema, has an entry in
  the reading role's table (or is one the role deliberately does not serve).
* A minimal valid message built from each schema definition passes its
  entry, and so does a full one (every optional member present): the
  contract refuses only what the spec refuses, so conformant peers are never
  turned away.
* Each entry rejects a value of the wrong type at each member it reads.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from mcpcore import versions
from mcpcore.inbound import CLIENT, SERVER, Contract

SCHEMAS = Path(__file__).resolve().parents[2] / "mcpcore" / "check" / "schemas"

#: Server -> client requests the client does not serve (2025-11-25 client-hosted tasks): -32601 first.
CLIENT_UNSERVED = {"tasks/get", "tasks/result", "tasks/cancel", "tasks/list"}
#: Client -> server notifications the server reads nothing from (generic shape only).
SERVER_UNREAD = {"notifications/tasks/status"}


def _schema(version: str) -> tuple[dict[str, Any], dict[str, Any]]:
    schema = json.loads((SCHEMAS / f"{version}.json").read_text())
    return schema, schema.get("$defs") or schema["definitions"]


def _members(defs: dict[str, Any], union: str) -> dict[str, dict[str, Any]]:
    """method -> definition for each member of a union such as ``ClientRequest``."""
    found: dict[str, dict[str, Any]] = {}
    for ref in defs.get(union, {}).get("anyOf", []):
        definition = defs[ref["$ref"].split("/")[-1]]
        method = definition.get("properties", {}).get("method", {}).get("const")
        if method is not None:
            found[method] = definition
    return found


def _resolve(defs: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        node = defs[node["$ref"].split("/")[-1]]
    return node


def _example(defs: dict[str, Any], node: dict[str, Any], *, full: bool, depth: int = 0) -> Any:
    """A value valid against ``node``: only required members, or every member when ``full``."""
    node = _resolve(defs, node)
    if "allOf" in node:
        merged: dict[str, Any] = {}
        for part in node["allOf"]:
            merged.update(_example(defs, part, full=full, depth=depth))
        return merged
    if "const" in node:
        return node["const"]
    if "enum" in node:
        return node["enum"][0]
    for key in ("anyOf", "oneOf"):
        if key in node:
            return _example(defs, node[key][0], full=full, depth=depth)
    kind = node.get("type")
    if isinstance(kind, list):
        kind = kind[0]
    if kind == "object" or "properties" in node:
        wanted = node.get("properties", {}) if full and depth < 4 else {}
        required = set(node.get("required", []))
        return {
            name: _example(defs, schema, full=full, depth=depth + 1)
            for name, schema in node.get("properties", {}).items()
            if name in required or name in wanted
        }
    return {"string": "x", "integer": 1, "number": 1.5, "boolean": True, "array": [], "null": None}.get(
        str(kind), {}
    )


ROLES: list[tuple[str, str, Contract, str, set[str]]] = [
    ("ClientRequest", "params", SERVER, "requests", set()),
    ("ClientNotification", "params", SERVER, "notifications", SERVER_UNREAD),
    ("ServerRequest", "params", CLIENT, "requests", CLIENT_UNSERVED),
    ("ServerNotification", "params", CLIENT, "notifications", set()),
]


@pytest.mark.parametrize("version", versions.SUPPORTED_VERSIONS)
@pytest.mark.parametrize(("union", "_part", "contract", "table", "unread"), ROLES, ids=[r[0] for r in ROLES])
def test_every_method_a_peer_may_send_has_an_entry(
    version: str, union: str, _part: str, contract: Contract, table: str, unread: set[str]
) -> None:
    _, defs = _schema(version)
    entries = getattr(contract, table)
    missing = sorted(set(_members(defs, union)) - set(entries) - unread)
    assert missing == []


@pytest.mark.parametrize("full", [False, True], ids=["minimal", "full"])
@pytest.mark.parametrize("version", versions.SUPPORTED_VERSIONS)
@pytest.mark.parametrize(("union", "_part", "contract", "table", "unread"), ROLES, ids=[r[0] for r in ROLES])
def test_valid_messages_from_the_schema_pass(  # noqa: PLR0917
    version: str, union: str, _part: str, contract: Contract, table: str, unread: set[str], full: bool
) -> None:
    _, defs = _schema(version)
    check = contract.request_problem if table == "requests" else contract.notification_problem
    for method, definition in _members(defs, union).items():
        params_schema = definition.get("properties", {}).get("params")
        params = _example(defs, params_schema, full=full) if params_schema else {}
        assert check(method, params) is None, (method, params)


RESULTS: list[tuple[str, Contract, dict[str, str]]] = [
    (
        "server",
        SERVER,
        {
            "CreateMessageResult": "sampling/createMessage",
            "ListRootsResult": "roots/list",
            "ElicitResult": "elicitation/create",
        },
    ),
    (
        "client",
        CLIENT,
        {
            "InitializeResult": "initialize",
            "DiscoverResult": "server/discover",
            "ListToolsResult": "tools/list",
            "CallToolResult": "tools/call",
            "InputRequiredResult": "tools/call",
            "ListResourcesResult": "resources/list",
            "ListResourceTemplatesResult": "resources/templates/list",
            "ReadResourceResult": "resources/read",
            "ListPromptsResult": "prompts/list",
            "GetPromptResult": "prompts/get",
            "CompleteResult": "completion/complete",
            "ListTasksResult": "tasks/list",
        },
    ),
]


@pytest.mark.parametrize("full", [False, True], ids=["minimal", "full"])
@pytest.mark.parametrize("version", versions.SUPPORTED_VERSIONS)
@pytest.mark.parametrize(("_role", "contract", "results"), RESULTS, ids=[r[0] for r in RESULTS])
def test_valid_results_from_the_schema_pass(
    version: str, _role: str, contract: Contract, results: dict[str, str], full: bool
) -> None:
    _, defs = _schema(version)
    for name, method in results.items():
        if name in defs:
            result = _example(defs, defs[name], full=full)
            assert contract.result_problem(method, result) is None, (method, result)


WRONG_TYPES: list[Any] = [None, True, 7, 1.5, "s", [1], {"k": [1]}]


@pytest.mark.parametrize(
    ("contract", "method", "member", "valid"),
    [
        (SERVER, "tools/call", "name", "add"),
        (SERVER, "resources/read", "uri", "file:///x"),
        (SERVER, "prompts/get", "name", "p"),
        (SERVER, "tasks/get", "taskId", "t"),
        (SERVER, "logging/setLevel", "level", "info"),
        (CLIENT, "elicitation/create", "message", "why?"),
        (CLIENT, "sampling/createMessage", "messages", []),
    ],
)
def test_each_required_member_refuses_every_other_type(
    contract: Contract, method: str, member: str, valid: Any
) -> None:
    base = {"messages": [], "maxTokens": 5} if method == "sampling/createMessage" else {}
    assert contract.request_problem(method, {**base, member: valid}) is None
    for wrong in WRONG_TYPES:
        if type(wrong) is type(valid):
            continue
        problem = contract.request_problem(method, {**base, member: wrong})
        assert problem is not None and f"params.{member}" in problem, (wrong, problem)
    assert contract.request_problem(method, {k: v for k, v in base.items() if k != member}) is not None


@pytest.mark.parametrize("token", [[1], {"a": 1}, 1.5, True, None])
def test_ids_and_tokens_are_strings_or_integers_only(token: Any) -> None:
    cancelled = SERVER.notification_problem("notifications/cancelled", {"requestId": token})
    progress = CLIENT.notification_problem("notifications/progress", {"progressToken": token, "progress": 1})
    if token is None:  # requestId may be absent (2025-11-25 tasks); progressToken may not
        assert cancelled is None and progress is not None
    else:
        assert cancelled is not None and progress is not None
