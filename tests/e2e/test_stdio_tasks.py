"""Tasks end to end over real pipes: 2025-11-25 (in core) and the 2026-07-28 tasks extension.

The conformance fixture's task tools (``greet``, ``slow_compute``, ``failing_job``,
``protocol_error_job``, ``confirm_delete``, ``multi_input``, ``test_tool_with_task``) are
driven the way the official suite's ``tasks-*`` scenarios drive them. Every message the
server sends is validated against its version's schema (``SchemaCheckedPeer``); the
extension's own shapes, which the core 2026-07-28 schema does not define, are checked
against :data:`EXT_SCHEMA`, written from the extension spec
(modelcontextprotocol/experimental-ext-tasks, docs/specification/draft/tasks.mdx).
Waiting is done by blocking ``tasks/result`` (legacy) or by polling ``tasks/get`` with
a failure deadline (modern); no test depends on a sleep.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from tests.helpers import DEADLINE, LEGACY_VERSION, modern_meta
from tests.schema_check import SchemaCheckedPeer, check

EXT = "io.modelcontextprotocol/tasks"
RELATED = "io.modelcontextprotocol/related-task"
WITH_EXT = {"elicitation": {}, "sampling": {}, "extensions": {EXT: {}}}
ISO = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$")
TERMINAL = {"completed", "failed", "cancelled"}

_TASK_FIELDS: dict[str, Any] = {
    "resultType": {"type": "string"},
    "_meta": {"type": "object"},
    "taskId": {"type": "string", "minLength": 1},
    "status": {"enum": ["working", "input_required", "completed", "failed", "cancelled"]},
    "statusMessage": {"type": "string"},
    "createdAt": {"type": "string", "pattern": ISO.pattern},
    "lastUpdatedAt": {"type": "string", "pattern": ISO.pattern},
    "ttlMs": {"anyOf": [{"type": "integer", "minimum": 1}, {"type": "null"}]},
    "pollIntervalMs": {"type": "integer", "minimum": 1},
}
_REQUIRED = ["resultType", "taskId", "status", "createdAt", "lastUpdatedAt", "ttlMs"]


def _variant(status: str, extra: dict[str, Any], required: list[str]) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {**_TASK_FIELDS, "status": {"const": status}, **extra},
        "required": _REQUIRED + required,
        "additionalProperties": False,
    }


#: The extension's CreateTaskResult (``resultType: "task"``) and tasks/get DetailedTask.
EXT_SCHEMA: dict[str, Any] = {
    "$defs": {
        "CreateTaskResult": {
            "type": "object",
            "properties": {**_TASK_FIELDS, "resultType": {"const": "task"}},
            "required": _REQUIRED,
            "additionalProperties": False,
        },
        "DetailedTask": {
            "anyOf": [
                _variant("working", {}, []),
                _variant(
                    "input_required",
                    {
                        "inputRequests": {
                            "type": "object",
                            "minProperties": 1,
                            "additionalProperties": {
                                "type": "object",
                                "properties": {"method": {"type": "string"}, "params": {"type": "object"}},
                                "required": ["method", "params"],
                            },
                        }
                    },
                    ["inputRequests"],
                ),
                _variant(
                    "completed",
                    {
                        "result": {
                            "type": "object",
                            "required": ["content"],
                            "not": {"required": ["_meta"], "properties": {"_meta": {"required": [RELATED]}}},
                        }
                    },
                    ["result"],
                ),
                _variant(
                    "failed",
                    {
                        "error": {
                            "type": "object",
                            "properties": {"code": {"type": "integer"}, "message": {"type": "string"}},
                            "required": ["code", "message"],
                        }
                    },
                    ["error"],
                ),
                _variant("cancelled", {}, []),
            ]
        },
    }
}


def ext_check(definition: str, instance: Any) -> None:
    schema = {**EXT_SCHEMA, "$ref": f"#/$defs/{definition}"}
    errors = list(Draft202012Validator(schema).iter_errors(instance))
    assert not errors, f"not a valid extension {definition}: {[e.message[:200] for e in errors]}\n{instance}"


@pytest.fixture
def peer(loop_name: str) -> Iterator[SchemaCheckedPeer]:
    server = SchemaCheckedPeer.spawn(["-m", "mcpcore.examples.conformance"], loop=loop_name)
    try:
        yield server
    finally:
        server.kill()
    assert server.checked > 0


# ============================================================ 2026-07-28 extension


def modern(peer: SchemaCheckedPeer, method: str, params: dict[str, Any], caps: Any = None) -> dict[str, Any]:
    """Send a 2026-07-28 request (declaring the extension unless told otherwise); the whole reply."""
    return peer.request(method, {**params, "_meta": modern_meta(WITH_EXT if caps is None else caps)})


def modern_ok(peer: SchemaCheckedPeer, method: str, params: dict[str, Any], caps: Any = None) -> Any:
    reply = modern(peer, method, params, caps)
    assert "result" in reply, reply
    return reply["result"]


def create(peer: SchemaCheckedPeer, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
    result = modern_ok(peer, "tools/call", {"name": name, "arguments": arguments})
    ext_check("CreateTaskResult", result)
    return dict(result)


def get(peer: SchemaCheckedPeer, task_id: str) -> dict[str, Any]:
    result = modern_ok(peer, "tasks/get", {"taskId": task_id})
    assert result["resultType"] == "complete"
    ext_check("DetailedTask", result)
    return dict(result)


def poll(peer: SchemaCheckedPeer, task_id: str, until: set[str]) -> dict[str, Any]:
    """tasks/get until the status is in ``until`` (the deadline only guards against a hang)."""
    deadline = time.monotonic() + DEADLINE
    while True:
        task = get(peer, task_id)
        if task["status"] in until:
            return task
        assert time.monotonic() < deadline, f"task stuck in {task['status']}"
        time.sleep(0.01)


def error_of(reply: dict[str, Any]) -> dict[str, Any]:
    assert "error" in reply, reply
    return dict(reply["error"])


def test_discover_advertises_the_extension_not_a_tasks_capability(peer: SchemaCheckedPeer) -> None:
    capabilities = modern_ok(peer, "server/discover", {})["capabilities"]
    assert capabilities["extensions"][EXT] == {}  # beside the skills extension the fixture also serves
    assert "tasks" not in capabilities


def test_sync_tool_answers_directly_even_with_a_legacy_task_hint(peer: SchemaCheckedPeer) -> None:
    plain = modern_ok(peer, "tools/call", {"name": "greet", "arguments": {"name": "World"}})
    hinted = modern_ok(
        peer, "tools/call", {"name": "greet", "arguments": {"name": "W"}, "task": {"ttl": 60000}}
    )
    assert plain["resultType"] == hinted["resultType"] == "complete"
    assert plain["content"][0]["text"] == "Hello, World!"
    assert "taskId" not in plain and "taskId" not in hinted


def test_task_lifecycle_create_get_working_then_completed(peer: SchemaCheckedPeer) -> None:
    created = create(peer, "slow_compute", {"seconds": 0.2, "label": "life"})
    assert created["status"] == "working"
    assert "task" not in created and "requestState" not in created and "result" not in created
    assert "ttl" not in created and "pollInterval" not in created
    assert get(peer, created["taskId"])["taskId"] == created["taskId"]  # durable before announced
    done = poll(peer, created["taskId"], TERMINAL)
    assert done["status"] == "completed"
    assert done["result"]["content"][0]["text"] == "Computed life after 0.2 s"
    assert get(peer, created["taskId"])["status"] == "completed"  # still there within its TTL


def test_tool_error_completes_and_protocol_error_fails(peer: SchemaCheckedPeer) -> None:
    tool_error = create(peer, "failing_job", {})
    protocol_error = create(peer, "protocol_error_job", {})
    completed = poll(peer, tool_error["taskId"], TERMINAL)
    assert completed["status"] == "completed" and completed["result"]["isError"] is True
    failed = poll(peer, protocol_error["taskId"], TERMINAL)
    assert failed["status"] == "failed" and "result" not in failed
    assert failed["error"]["code"] == -32603


def test_cancel_acks_settles_to_cancelled_and_is_idempotent(peer: SchemaCheckedPeer) -> None:
    created = create(peer, "slow_compute", {"seconds": 60, "label": "cancel"})
    assert get(peer, created["taskId"])["status"] == "working"
    ack = modern_ok(peer, "tasks/cancel", {"taskId": created["taskId"]})
    assert ack["resultType"] == "complete"
    assert not {"taskId", "status", "result", "error", "inputRequests"} & set(ack)
    assert get(peer, created["taskId"])["status"] == "cancelled"
    again = modern_ok(peer, "tasks/cancel", {"taskId": created["taskId"]})
    assert again["resultType"] == "complete" and "status" not in again


def test_input_required_then_update_resumes_to_completed(peer: SchemaCheckedPeer) -> None:
    created = create(peer, "confirm_delete", {"filename": "a.txt"})
    waiting = poll(peer, created["taskId"], {"input_required"})
    (key,) = waiting["inputRequests"]
    request = waiting["inputRequests"][key]
    assert request["method"] == "elicitation/create"
    check("2026-07-28", "ElicitRequestParams", request["params"])
    ignored = modern_ok(peer, "tasks/update", {"taskId": created["taskId"], "inputResponses": {"nope": {}}})
    assert ignored["resultType"] == "complete"
    assert get(peer, created["taskId"])["status"] == "input_required"
    ack = modern_ok(
        peer,
        "tasks/update",
        {
            "taskId": created["taskId"],
            "inputResponses": {key: {"action": "accept", "content": {"confirm": True}}},
        },
    )
    assert ack["resultType"] == "complete" and "status" not in ack
    done = poll(peer, created["taskId"], TERMINAL)
    assert done["result"]["content"][0]["text"] == "Deleted a.txt"


def test_partial_update_keeps_only_the_unanswered_request(peer: SchemaCheckedPeer) -> None:
    created = create(peer, "multi_input", {})
    deadline = time.monotonic() + DEADLINE
    task = poll(peer, created["taskId"], {"input_required"})
    while len(task["inputRequests"]) < 2:
        assert time.monotonic() < deadline
        task = get(peer, created["taskId"])
    first, second = sorted(task["inputRequests"])
    answer = {"action": "accept", "content": {"name": "Ada", "confirm": True}}
    modern_ok(peer, "tasks/update", {"taskId": created["taskId"], "inputResponses": {first: answer}})
    partial = get(peer, created["taskId"])
    assert partial["status"] == "input_required"
    assert list(partial["inputRequests"]) == [second]
    modern_ok(peer, "tasks/update", {"taskId": created["taskId"], "inputResponses": {second: answer}})
    assert poll(peer, created["taskId"], TERMINAL)["status"] == "completed"


def test_malformed_update_is_invalid_params_and_changes_nothing(peer: SchemaCheckedPeer) -> None:
    created = create(peer, "confirm_delete", {"filename": "b.txt"})
    (key,) = poll(peer, created["taskId"], {"input_required"})["inputRequests"]
    for responses in ({key: {"action": "maybe"}}, None, [1]):
        reply = modern(peer, "tasks/update", {"taskId": created["taskId"], "inputResponses": responses})
        assert error_of(reply)["code"] == -32602
    assert list(get(peer, created["taskId"])["inputRequests"]) == [key]


def test_mrtr_round_then_task_on_the_final_round(peer: SchemaCheckedPeer) -> None:
    first = modern_ok(peer, "tools/call", {"name": "test_tool_with_task", "arguments": {}})
    assert first["resultType"] == "input_required" and "taskId" not in first
    (key,) = first["inputRequests"]
    retry: dict[str, Any] = {
        "name": "test_tool_with_task",
        "arguments": {},
        "inputResponses": {key: {"action": "accept", "content": {"name": "Alice"}}},
    }
    if "requestState" in first:
        retry["requestState"] = first["requestState"]
    second = modern_ok(peer, "tools/call", retry)
    ext_check("CreateTaskResult", second)
    assert "requestState" not in second and "inputRequests" not in second
    done = poll(peer, second["taskId"], TERMINAL)
    assert done["status"] == "completed" and "Alice" in done["result"]["content"][0]["text"]


def test_without_the_extension_tasks_are_never_created(peer: SchemaCheckedPeer) -> None:
    caps: dict[str, Any] = {"elicitation": {}}
    sync = modern_ok(peer, "tools/call", {"name": "slow_compute", "arguments": {"seconds": 0}}, caps)
    assert sync["resultType"] == "complete" and "taskId" not in sync and sync["content"]
    required = error_of(modern(peer, "tools/call", {"name": "failing_job", "arguments": {}}, caps))
    assert required["code"] == -32021
    assert required["data"]["requiredCapabilities"] == {"extensions": {EXT: {}}}
    for method, params in (
        ("tasks/get", {"taskId": "gate"}),
        ("tasks/update", {"taskId": "gate", "inputResponses": {}}),
        ("tasks/cancel", {"taskId": "gate"}),
    ):
        assert error_of(modern(peer, method, params, caps))["code"] == -32021, method


def test_per_request_declaration_is_all_it_takes(peer: SchemaCheckedPeer) -> None:
    created = modern_ok(
        peer, "tools/call", {"name": "slow_compute", "arguments": {"seconds": 60}}, {"extensions": {EXT: {}}}
    )
    assert created["resultType"] == "task"
    # The next request declares nothing: it may not see the task.
    assert error_of(modern(peer, "tasks/get", {"taskId": created["taskId"]}, {}))["code"] == -32021
    modern_ok(peer, "tasks/cancel", {"taskId": created["taskId"]})


def test_removed_and_unknown(peer: SchemaCheckedPeer) -> None:
    assert error_of(modern(peer, "tasks/result", {"taskId": "x"}))["code"] == -32601
    assert error_of(modern(peer, "tasks/list", {}))["code"] == -32601
    for method, params in (
        ("tasks/get", {"taskId": "tasks-conformance-nonexistent-12345"}),
        ("tasks/cancel", {"taskId": "nope"}),
        ("tasks/update", {"taskId": "nope", "inputResponses": {}}),
        ("tasks/get", {}),
    ):
        assert error_of(modern(peer, method, params))["code"] == -32602, method


# ====================================================================== 2025-11-25


@pytest.fixture
def legacy(peer: SchemaCheckedPeer) -> SchemaCheckedPeer:
    result = peer.initialize(LEGACY_VERSION, {"elicitation": {}, "sampling": {}})
    assert result["capabilities"]["tasks"] == {"list": {}, "cancel": {}, "requests": {"tools": {"call": {}}}}
    assert EXT not in result["capabilities"].get("extensions", {})  # tasks: the legacy capability only
    return peer


def legacy_ok(peer: SchemaCheckedPeer, method: str, params: dict[str, Any]) -> Any:
    reply = peer.request(method, params)
    assert "result" in reply, reply
    return reply["result"]


def call_as_task(
    peer: SchemaCheckedPeer, name: str, arguments: dict[str, Any], **task: Any
) -> dict[str, Any]:
    result = legacy_ok(peer, "tools/call", {"name": name, "arguments": arguments, "task": task})
    assert set(result) == {"task"}
    return dict(result["task"])


def test_tools_list_declares_task_support(legacy: SchemaCheckedPeer) -> None:
    tools = {tool["name"]: tool for tool in legacy_ok(legacy, "tools/list", {})["tools"]}
    assert tools["slow_compute"]["execution"] == {"taskSupport": "optional"}
    assert tools["failing_job"]["execution"] == {"taskSupport": "required"}
    assert "execution" not in tools["greet"]
    modern_tools = modern_ok(legacy, "tools/list", {})["tools"]
    assert all("execution" not in tool for tool in modern_tools)  # not a 2026-07-28 Tool field


def test_legacy_task_create_get_result_list(legacy: SchemaCheckedPeer) -> None:
    task = call_as_task(legacy, "slow_compute", {"seconds": 0.1, "label": "v1"}, ttl=5000)
    assert task["status"] == "working" and task["ttl"] == 5000
    assert ISO.match(task["createdAt"]) and ISO.match(task["lastUpdatedAt"])
    assert legacy_ok(legacy, "tasks/get", {"taskId": task["taskId"]})["taskId"] == task["taskId"]
    result = legacy_ok(legacy, "tasks/result", {"taskId": task["taskId"]})  # blocks until terminal
    check(LEGACY_VERSION, "CallToolResult", result)
    assert result["content"][0]["text"] == "Computed v1 after 0.1 s"
    assert result["_meta"][RELATED] == {"taskId": task["taskId"]}
    assert legacy_ok(legacy, "tasks/get", {"taskId": task["taskId"]})["status"] == "completed"
    listed = legacy_ok(legacy, "tasks/list", {})["tasks"]
    assert [t["taskId"] for t in listed] == [task["taskId"]]
    statuses = [n["params"] for n in legacy.notifications if n["method"] == "notifications/tasks/status"]
    assert statuses and statuses[-1]["status"] == "completed" and statuses[-1]["taskId"] == task["taskId"]


def test_ttl_is_capped_and_defaulted(legacy: SchemaCheckedPeer) -> None:
    assert call_as_task(legacy, "slow_compute", {"seconds": 0}, ttl=10**12)["ttl"] == 86_400_000
    assert call_as_task(legacy, "slow_compute", {"seconds": 0})["ttl"] == 3_600_000
    reply = legacy.request("tools/call", {"name": "slow_compute", "arguments": {}, "task": {"ttl": "soon"}})
    assert error_of(reply)["code"] == -32602


def test_task_support_is_enforced_with_method_not_found(legacy: SchemaCheckedPeer) -> None:
    forbidden = legacy.request("tools/call", {"name": "greet", "arguments": {"name": "x"}, "task": {}})
    assert error_of(forbidden)["code"] == -32601
    required = legacy.request("tools/call", {"name": "failing_job", "arguments": {}})
    assert error_of(required)["code"] == -32601
    optional = legacy_ok(legacy, "tools/call", {"name": "slow_compute", "arguments": {"seconds": 0}})
    assert optional["content"]  # optional without a task: an ordinary call


def test_legacy_cancel_then_terminal_cancel_is_invalid_params(legacy: SchemaCheckedPeer) -> None:
    task = call_as_task(legacy, "slow_compute", {"seconds": 60})
    cancelled = legacy_ok(legacy, "tasks/cancel", {"taskId": task["taskId"]})
    assert cancelled["status"] == "cancelled" and cancelled["taskId"] == task["taskId"]
    assert error_of(legacy.request("tasks/cancel", {"taskId": task["taskId"]}))["code"] == -32602
    assert error_of(legacy.request("tasks/result", {"taskId": task["taskId"]}))["code"] == -32602
    assert error_of(legacy.request("tasks/get", {"taskId": "unknown"}))["code"] == -32602


def test_legacy_result_carries_tool_errors_and_protocol_errors(legacy: SchemaCheckedPeer) -> None:
    tool_error = call_as_task(legacy, "failing_job", {})
    protocol_error = call_as_task(legacy, "protocol_error_job", {})
    assert legacy_ok(legacy, "tasks/result", {"taskId": tool_error["taskId"]})["isError"] is True
    failure = error_of(legacy.request("tasks/result", {"taskId": protocol_error["taskId"]}))
    assert failure["code"] == -32603
    assert legacy_ok(legacy, "tasks/get", {"taskId": protocol_error["taskId"]})["status"] == "failed"


def test_legacy_task_asks_the_client_with_related_task_meta(legacy: SchemaCheckedPeer) -> None:
    task = call_as_task(legacy, "confirm_delete", {"filename": "c.txt"})
    result_id = legacy.send_request("tasks/result", {"taskId": task["taskId"]})
    while True:  # the elicitation request arrives before the (blocked) tasks/result answer
        message = legacy.recv()
        if message.get("method") == "elicitation/create":
            break
        assert "method" in message and "id" not in message, message
    assert message["params"]["_meta"][RELATED] == {"taskId": task["taskId"]}
    assert legacy_ok(legacy, "tasks/get", {"taskId": task["taskId"]})["status"] == "input_required"
    legacy.send(
        {"jsonrpc": "2.0", "id": message["id"], "result": {"action": "accept", "content": {"confirm": True}}}
    )
    reply = legacy.response(result_id)
    assert reply["result"]["content"][0]["text"] == "Deleted c.txt"


def test_older_sessions_have_no_tasks(peer: SchemaCheckedPeer) -> None:
    result = peer.initialize("2025-06-18", {})
    assert "tasks" not in result["capabilities"]
    hinted = legacy_ok(peer, "tools/call", {"name": "slow_compute", "arguments": {"seconds": 0}, "task": {}})
    assert hinted["content"] and "task" not in hinted
    assert error_of(peer.request("tasks/get", {"taskId": "x"}))["code"] == -32601
