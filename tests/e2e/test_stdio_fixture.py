"""The conformance fixture over real pipes, in both eras, every message schema-checked.

These mirror the official conformance scenarios (FIXTURE.md / FIXTURE-2026.md) so that a
regression shows up here before an HTTP conformance run. Every test runs on uvloop and on
plain asyncio; every message the server sends is validated against its version's schema.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.helpers import LEGACY_VERSION, modern_meta
from tests.schema_check import SchemaCheckedPeer

ALL_CLIENT_CAPS = {"sampling": {}, "elicitation": {}, "roots": {"listChanged": True}}
SUBSCRIPTION_ID = "io.modelcontextprotocol/subscriptionId"
SERVER_INFO = "io.modelcontextprotocol/serverInfo"


@pytest.fixture
def fixture(loop_name: str) -> Iterator[SchemaCheckedPeer]:
    peer = SchemaCheckedPeer.spawn(["-m", "mcpcore.examples.conformance"], loop=loop_name)
    try:
        yield peer
    finally:
        peer.kill()
    assert peer.checked > 0


@pytest.fixture
def legacy(fixture: SchemaCheckedPeer) -> SchemaCheckedPeer:
    fixture.initialize(LEGACY_VERSION, ALL_CLIENT_CAPS)
    return fixture


def serve_client(
    peer: SchemaCheckedPeer, request_id: Any, answer: Callable[[str, dict[str, Any]], Any]
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Read until the response to ``request_id``, answering the server's requests with ``answer``."""
    asked = []
    while True:
        message = peer.recv()
        if "method" in message and "id" in message:
            asked.append(message)
            peer.send(
                {
                    "jsonrpc": "2.0",
                    "id": message["id"],
                    "result": answer(message["method"], message["params"]),
                }
            )
        elif "method" in message:
            peer.notifications.append(message)
        elif message.get("id") == request_id:
            return message, asked


def text_of(reply: dict[str, Any]) -> str:
    return str(reply["result"]["content"][0]["text"])


# ========================================================================= legacy (2025-11-25)


def test_initialize_declares_every_capability(fixture: SchemaCheckedPeer) -> None:
    result = fixture.initialize(LEGACY_VERSION, ALL_CLIENT_CAPS)
    assert result["serverInfo"] == {"name": "mcp-conformance-test-server", "version": "1.0.0"}
    assert result["capabilities"] == {
        "logging": {},
        "tools": {"listChanged": True},
        "resources": {"subscribe": True, "listChanged": True},
        "prompts": {"listChanged": True},
        "completions": {},
        "tasks": {"list": {}, "cancel": {}, "requests": {"tools": {"call": {}}}},
        # Extensions other than tasks (which has the legacy capability above) are declared to
        # handshake sessions too: the fixture serves skills (conformance_skills.py).
        "extensions": {"io.modelcontextprotocol/skills": {"directoryRead": True}},
    }


def test_tools_list_has_every_fixture_tool_with_a_description(legacy: SchemaCheckedPeer) -> None:
    tools = legacy.result("tools/list")["tools"]
    names = [tool["name"] for tool in tools]
    for name in (
        "test_simple_text",
        "test_image_content",
        "test_audio_content",
        "test_embedded_resource",
        "test_multiple_content_types",
        "test_tool_with_logging",
        "test_tool_with_progress",
        "test_error_handling",
        "test_sampling",
        "test_elicitation",
        "test_elicitation_sep1034_defaults",
        "test_elicitation_sep1330_enums",
        "json_schema_2020_12_tool",
        "test_missing_capability",
        "test_trigger_tool_change",
        "test_trigger_prompt_change",
        "test_x_mcp_header",
    ):
        assert name in names
    assert all(tool["description"] and tool["inputSchema"]["type"] == "object" for tool in tools)
    schema = next(tool for tool in tools if tool["name"] == "json_schema_2020_12_tool")["inputSchema"]
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$defs"]["address"]["$anchor"] == "addressDef"
    assert schema["additionalProperties"] is False and "if" in schema and "allOf" in schema
    assert legacy.result("tools/list")["tools"] == tools


@pytest.mark.parametrize(
    ("tool", "types"),
    [
        ("test_simple_text", ["text"]),
        ("test_image_content", ["image"]),
        ("test_audio_content", ["audio"]),
        ("test_embedded_resource", ["resource"]),
        ("test_multiple_content_types", ["text", "image", "resource"]),
    ],
)
def test_content_tools(legacy: SchemaCheckedPeer, tool: str, types: list[str]) -> None:
    reply = legacy.request("tools/call", {"name": tool})  # no "arguments" at all, as the suite sends
    content = reply["result"]["content"]
    assert [block["type"] for block in content] == types
    for block in content:
        if block["type"] in ("image", "audio"):
            assert block["data"] and block["mimeType"] in ("image/png", "audio/wav")


def test_error_tool_is_an_error_result(legacy: SchemaCheckedPeer) -> None:
    result = legacy.call("test_error_handling")["result"]
    assert result["isError"] is True and result["content"][0]["text"]


def test_logging_respects_set_level(legacy: SchemaCheckedPeer) -> None:
    assert legacy.result("logging/setLevel", {"level": "debug"}) == {}
    assert text_of(legacy.call("test_tool_with_logging")) == "Tool with logging executed successfully"
    logs = [n["params"] for n in legacy.notifications if n["method"] == "notifications/message"]
    assert [log["data"] for log in logs] == [
        "Tool execution started",
        "Tool processing data",
        "Tool execution completed",
    ]
    assert {log["level"] for log in logs} == {"info"}
    legacy.notifications.clear()
    assert legacy.result("logging/setLevel", {"level": "error"}) == {}
    request_id = legacy.send_request("tools/call", {"name": "test_tool_with_logging"})
    assert legacy.recv()["id"] == request_id  # the very next message: nothing was logged
    assert legacy.request("logging/setLevel", {"level": "loud"})["error"]["code"] == -32602


@pytest.mark.parametrize("token", [7, "tok"])
def test_progress_echoes_the_token(legacy: SchemaCheckedPeer, token: Any) -> None:
    reply = legacy.request(
        "tools/call", {"name": "test_tool_with_progress", "_meta": {"progressToken": token}}
    )
    progress = [n["params"] for n in legacy.notifications if n["method"] == "notifications/progress"]
    assert [p["progress"] for p in progress] == [0, 50, 100]
    assert all(p["progressToken"] == token and p["total"] == 100 for p in progress)
    assert text_of(reply) == str(token)


def test_sampling_goes_to_the_client(legacy: SchemaCheckedPeer) -> None:
    request_id = legacy.send_request("tools/call", {"name": "test_sampling", "arguments": {"prompt": "Hi?"}})
    reply, asked = serve_client(
        legacy,
        request_id,
        lambda method, params: {
            "role": "assistant",
            "content": {"type": "text", "text": "Hello"},
            "model": "m",
        },
    )
    assert [a["method"] for a in asked] == ["sampling/createMessage"]
    assert asked[0]["params"] == {
        "messages": [{"role": "user", "content": {"type": "text", "text": "Hi?"}}],
        "maxTokens": 100,
    }
    assert text_of(reply) == "LLM response: Hello"


def test_elicitation_tools(legacy: SchemaCheckedPeer) -> None:
    content = {"username": "testuser", "email": "test@example.com"}
    request_id = legacy.send_request(
        "tools/call", {"name": "test_elicitation", "arguments": {"message": "Who?"}}
    )
    reply, asked = serve_client(legacy, request_id, lambda m, p: {"action": "accept", "content": content})
    assert asked[0]["params"]["message"] == "Who?"
    assert asked[0]["params"]["requestedSchema"]["required"] == ["username", "email"]
    assert (
        text_of(reply)
        == 'User response: action=accept, content={"username":"testuser","email":"test@example.com"}'
    )
    for tool, fields in (
        ("test_elicitation_sep1034_defaults", {"name", "age", "score", "status", "verified"}),
        (
            "test_elicitation_sep1330_enums",
            {"untitledSingle", "titledSingle", "legacyEnum", "untitledMulti", "titledMulti"},
        ),
    ):
        request_id = legacy.send_request("tools/call", {"name": tool})
        reply, asked = serve_client(legacy, request_id, lambda m, p: {"action": "decline"})
        assert set(asked[0]["params"]["requestedSchema"]["properties"]) == fields
        assert text_of(reply).startswith("Elicitation completed: action=decline")


def test_server_requests_need_the_client_capability(fixture: SchemaCheckedPeer) -> None:
    fixture.initialize(LEGACY_VERSION, {})
    reply = fixture.call("test_sampling", {"prompt": "x"})
    assert "did not declare" in text_of(reply) and not reply["result"].get("isError")
    missing = fixture.call("test_missing_capability")["result"]
    assert missing["isError"] is True and "sampling" in missing["content"][0]["text"]


def test_legacy_multi_round_tool_asks_twice(legacy: SchemaCheckedPeer) -> None:
    answers = iter([{"name": "Ada"}, {"color": "green"}])
    request_id = legacy.send_request("tools/call", {"name": "test_input_required_result_multi_round"})
    reply, asked = serve_client(
        legacy, request_id, lambda m, p: {"action": "accept", "content": next(answers)}
    )
    assert len(asked) == 2
    assert text_of(reply) == "Multi-round complete for Ada who likes green"


def test_legacy_multiple_inputs_are_requested_concurrently(legacy: SchemaCheckedPeer) -> None:
    def answer(method: str, params: dict[str, Any]) -> Any:
        if method == "elicitation/create":
            return {"action": "accept", "content": {"name": "Ada"}}
        if method == "sampling/createMessage":
            return {"role": "assistant", "content": {"type": "text", "text": "Hey"}, "model": "m"}
        return {"roots": [{"uri": "file:///a"}, {"uri": "file:///b"}]}

    request_id = legacy.send_request("tools/call", {"name": "test_input_required_result_multiple_inputs"})
    reply, asked = serve_client(legacy, request_id, answer)
    assert sorted(a["method"] for a in asked) == [
        "elicitation/create",
        "roots/list",
        "sampling/createMessage",
    ]
    assert text_of(reply) == "Name: Ada; Greeting: Hey; Roots: 2"


def test_resources(legacy: SchemaCheckedPeer) -> None:
    listed = legacy.result("resources/list")["resources"]
    assert [r["uri"] for r in listed if r["uri"].startswith("test://")] == [
        "test://static-text",
        "test://static-binary",
        "test://watched-resource",
    ]
    # The rest are the fixture's skill files (conformance_skills.py), each a resource of its own.
    assert {r["uri"] for r in listed if not r["uri"].startswith("test://")} >= {
        "skill://pdf-processing/SKILL.md",
        "skill://pdf-processing/references/FORMS.md",
    }
    assert legacy.result("resources/templates/list")["resourceTemplates"] == [
        {
            "uriTemplate": "test://template/{id}/data",
            "name": "template",
            "description": "A resource template with parameter substitution",
            "mimeType": "application/json",
        }
    ]
    assert legacy.result("resources/read", {"uri": "test://static-text"})["contents"] == [
        {
            "uri": "test://static-text",
            "mimeType": "text/plain",
            "text": "This is the content of the static text resource.",
        }
    ]
    binary = legacy.result("resources/read", {"uri": "test://static-binary"})["contents"][0]
    assert binary["mimeType"] == "image/png" and binary["blob"].startswith("iVBOR")
    templated = legacy.result("resources/read", {"uri": "test://template/123/data"})["contents"][0]
    assert templated["uri"] == "test://template/123/data" and '"id":"123"' in templated["text"]
    missing = legacy.request("resources/read", {"uri": "test://nope"})["error"]
    assert missing["code"] == -32002 and missing["data"] == {"uri": "test://nope"}


def test_subscribe_and_unsubscribe(legacy: SchemaCheckedPeer) -> None:
    uri = "test://watched-resource"
    assert legacy.result("resources/subscribe", {"uri": uri}) == {}
    legacy.call("test_trigger_resource_update")
    updates = [n for n in legacy.notifications if n["method"] == "notifications/resources/updated"]
    assert updates == [
        {"jsonrpc": "2.0", "method": "notifications/resources/updated", "params": {"uri": uri}}
    ]
    assert legacy.result("resources/unsubscribe", {"uri": uri}) == {}
    request_id = legacy.send_request("tools/call", {"name": "test_trigger_resource_update"})
    assert legacy.recv()["id"] == request_id  # no update any more


def test_list_changed_reaches_the_session(legacy: SchemaCheckedPeer) -> None:
    legacy.call("test_trigger_prompt_change")
    assert [n["method"] for n in legacy.notifications] == ["notifications/prompts/list_changed"]


def test_prompts(legacy: SchemaCheckedPeer) -> None:
    prompts = {p["name"]: p for p in legacy.result("prompts/list")["prompts"]}
    assert all(p["description"] for p in prompts.values())
    assert prompts["test_prompt_with_arguments"]["arguments"] == [
        {"name": "arg1", "description": "First test argument", "required": True},
        {"name": "arg2", "description": "Second test argument", "required": True},
    ]
    simple = legacy.result("prompts/get", {"name": "test_simple_prompt"})["messages"]
    assert simple == [
        {"role": "user", "content": {"type": "text", "text": "This is a simple prompt for testing."}}
    ]
    args = legacy.result(
        "prompts/get",
        {"name": "test_prompt_with_arguments", "arguments": {"arg1": "testValue1", "arg2": "testValue2"}},
    )
    assert (
        args["messages"][0]["content"]["text"]
        == "Prompt with arguments: arg1='testValue1', arg2='testValue2'"
    )
    embedded = legacy.result(
        "prompts/get",
        {"name": "test_prompt_with_embedded_resource", "arguments": {"resourceUri": "test://x"}},
    )
    assert embedded["messages"][0]["content"]["resource"]["uri"] == "test://x"
    image = legacy.result("prompts/get", {"name": "test_prompt_with_image"})["messages"][0]["content"]
    assert image["type"] == "image" and image["data"]
    missing = legacy.request(
        "prompts/get", {"name": "test_prompt_with_arguments", "arguments": {"arg1": "x"}}
    )
    assert missing["error"]["code"] == -32602 and "arg2" in missing["error"]["message"]
    assert legacy.request("prompts/get", {"name": "nope"})["error"]["code"] == -32602


def test_completion(legacy: SchemaCheckedPeer) -> None:
    params = {
        "ref": {"type": "ref/prompt", "name": "test_prompt_with_arguments"},
        "argument": {"name": "arg1", "value": "testV"},
    }
    assert legacy.result("completion/complete", params) == {
        "completion": {"values": ["testValue1", "testValue2"], "total": 2, "hasMore": False}
    }
    template = {
        "ref": {"type": "ref/resource", "uri": "test://template/{id}/data"},
        "argument": {"name": "id", "value": "4"},
    }
    assert legacy.result("completion/complete", template)["completion"]["values"] == ["456"]
    unknown = {"ref": {"type": "ref/prompt", "name": "nope"}, "argument": {"name": "a", "value": ""}}
    assert legacy.request("completion/complete", unknown)["error"]["code"] == -32602


def test_ping(legacy: SchemaCheckedPeer) -> None:
    assert legacy.result("ping") == {}


# ============================================================================ modern (2026-07-28)


def modern_call(
    peer: SchemaCheckedPeer, name: str, caps: dict[str, Any] | None = None, **params: Any
) -> dict[str, Any]:
    meta = modern_meta(ALL_CLIENT_CAPS if caps is None else caps)
    return peer.request("tools/call", {"name": name, "arguments": {}, "_meta": meta, **params})


def test_discover_and_cacheable_lists(fixture: SchemaCheckedPeer) -> None:
    discovered = fixture.result("server/discover", {"_meta": modern_meta()})
    assert set(discovered["capabilities"]) >= {"tools", "resources", "prompts", "completions", "logging"}
    assert discovered["_meta"][SERVER_INFO]["name"] == "mcp-conformance-test-server"
    for method in ("tools/list", "prompts/list", "resources/list", "resources/templates/list"):
        result = fixture.result(method, {"_meta": modern_meta()})
        assert (
            result["resultType"] == "complete" and result["ttlMs"] == 0 and result["cacheScope"] == "private"
        )
    read = fixture.result("resources/read", {"uri": "test://static-text", "_meta": modern_meta()})
    assert read["ttlMs"] == 0 and read["cacheScope"] == "private" and read["resultType"] == "complete"


def test_modern_resource_not_found_is_invalid_params(fixture: SchemaCheckedPeer) -> None:
    error = fixture.request("resources/read", {"uri": "test://nope", "_meta": modern_meta()})["error"]
    assert error["code"] == -32602 and error["data"] == {"uri": "test://nope"}


@pytest.mark.parametrize(
    "method", ["ping", "logging/setLevel", "resources/subscribe", "resources/unsubscribe"]
)
def test_removed_methods(fixture: SchemaCheckedPeer, method: str) -> None:
    reply = fixture.request(method, {"uri": "test://static-text", "level": "info", "_meta": modern_meta()})
    assert reply["error"]["code"] == -32601


def test_missing_client_capability(fixture: SchemaCheckedPeer) -> None:
    error = modern_call(fixture, "test_missing_capability", caps={})["error"]
    assert error["code"] == -32021 and error["data"] == {"requiredCapabilities": {"sampling": {}}}
    assert text_of(modern_call(fixture, "test_missing_capability")) == "Success"


def test_logs_only_with_a_requested_level(fixture: SchemaCheckedPeer) -> None:
    request_id = fixture.send_request(
        "tools/call", {"name": "test_logging_tool", "arguments": {}, "_meta": modern_meta()}
    )
    assert fixture.recv()["id"] == request_id
    reply = fixture.request(
        "tools/call",
        {
            "name": "test_logging_tool",
            "_meta": modern_meta(**{"io.modelcontextprotocol/logLevel": "info"}),
        },
    )
    assert text_of(reply) == "Logging evaluated"
    assert [n["params"]["level"] for n in fixture.notifications] == ["info"]
    fixture.notifications.clear()
    fixture.request(
        "tools/call",
        {"name": "test_logging_tool", "_meta": modern_meta(**{"io.modelcontextprotocol/logLevel": "error"})},
    )
    assert fixture.notifications == []


def test_modern_progress(fixture: SchemaCheckedPeer) -> None:
    reply = fixture.request(
        "tools/call", {"name": "test_tool_with_progress", "_meta": modern_meta(progressToken="p")}
    )
    assert [n["params"]["progress"] for n in fixture.notifications] == [0, 50, 100]
    assert reply["result"]["resultType"] == "complete"


@pytest.mark.parametrize(
    "case",
    [
        (
            "test_input_required_result_elicitation",
            "user_name",
            "elicitation/create",
            {"action": "accept", "content": {"name": "Alice"}},
            "Hello, Alice!",
        ),
        (
            "test_input_required_result_sampling",
            "capital_question",
            "sampling/createMessage",
            {"role": "assistant", "content": {"type": "text", "text": "Paris"}, "model": "m"},
            "Sampling result: Paris",
        ),
        (
            "test_input_required_result_list_roots",
            "client_roots",
            "roots/list",
            {"roots": [{"uri": "file:///test/root", "name": "Test Root"}]},
            "Found 1 root(s)",
        ),
    ],
)
def test_input_required_round_trip(fixture: SchemaCheckedPeer, case: tuple[str, str, str, Any, str]) -> None:
    tool, key, method, answer, expected = case
    first = modern_call(fixture, tool)["result"]
    assert first["resultType"] == "input_required"
    assert list(first["inputRequests"]) == [key] and first["inputRequests"][key]["method"] == method
    assert "ttlMs" not in first
    second = modern_call(fixture, tool, inputResponses={key: answer, "extra": {"action": "cancel"}})
    assert second["result"]["resultType"] == "complete"
    assert text_of(second) == expected


def test_request_state_round_trip(fixture: SchemaCheckedPeer) -> None:
    first = modern_call(fixture, "test_input_required_result_request_state")["result"]
    state = first["requestState"]
    assert isinstance(state, str) and "confirm" in first["inputRequests"]
    answer = {"confirm": {"action": "accept", "content": {"ok": True}}}
    done = modern_call(
        fixture, "test_input_required_result_request_state", inputResponses=answer, requestState=state
    )
    assert "state-ok" in text_of(done)


def test_multiple_inputs_in_one_round(fixture: SchemaCheckedPeer) -> None:
    first = modern_call(fixture, "test_input_required_result_multiple_inputs")["result"]
    assert {k: v["method"] for k, v in first["inputRequests"].items()} == {
        "user_name": "elicitation/create",
        "greeting": "sampling/createMessage",
        "client_roots": "roots/list",
    }
    responses = {
        "user_name": {"action": "accept", "content": {"name": "Alice"}},
        "greeting": {"role": "assistant", "content": {"type": "text", "text": "Hello there!"}, "model": "m"},
        "client_roots": {"roots": []},
    }
    done = modern_call(
        fixture,
        "test_input_required_result_multiple_inputs",
        inputResponses=responses,
        requestState=first["requestState"],
    )
    assert text_of(done) == "Name: Alice; Greeting: Hello there!; Roots: 0"


def test_multi_round_changes_state(fixture: SchemaCheckedPeer) -> None:
    tool = "test_input_required_result_multi_round"
    r1 = modern_call(fixture, tool)["result"]
    r2 = modern_call(
        fixture,
        tool,
        inputResponses={"step1": {"action": "accept", "content": {"name": "Alice"}}},
        requestState=r1["requestState"],
    )["result"]
    assert r2["resultType"] == "input_required" and list(r2["inputRequests"]) == ["step2"]
    assert r2["requestState"] != r1["requestState"]
    r3 = modern_call(
        fixture,
        tool,
        inputResponses={"step2": {"action": "accept", "content": {"color": "blue"}}},
        requestState=r2["requestState"],
    )
    assert text_of(r3) == "Multi-round complete for Alice who likes blue"


def test_tampered_or_misdirected_state_is_rejected(fixture: SchemaCheckedPeer) -> None:
    tool = "test_input_required_result_tampered_state"
    state = modern_call(fixture, tool)["result"]["requestState"]
    answer = {"confirm": {"action": "accept", "content": {"ok": True}}}
    tampered = modern_call(fixture, tool, inputResponses=answer, requestState=state + "-TAMPERED")
    assert tampered["error"]["code"] == -32602
    other = modern_call(
        fixture, "test_input_required_result_request_state", inputResponses=answer, requestState=state
    )
    assert other["error"]["code"] == -32602 and "different request" in other["error"]["message"]
    assert text_of(modern_call(fixture, tool, inputResponses=answer, requestState=state)).startswith(
        "integrity-ok"
    )


def test_only_declared_capabilities_are_asked_for(fixture: SchemaCheckedPeer) -> None:
    result = modern_call(fixture, "test_input_required_result_capabilities", caps={"sampling": {}})["result"]
    assert [r["method"] for r in result["inputRequests"].values()] == ["sampling/createMessage"]
    none = modern_call(fixture, "test_input_required_result_capabilities", caps={})
    assert text_of(none) == "No supported capabilities declared"


def test_missing_and_malformed_input_responses(fixture: SchemaCheckedPeer) -> None:
    tool = "test_input_required_result_elicitation"
    wrong = modern_call(fixture, tool, inputResponses={"wrong_key": {"action": "accept", "content": {}}})
    assert wrong["result"]["resultType"] == "input_required"
    assert modern_call(fixture, tool, inputResponses={"user_name": 12345})["error"]["code"] == -32602
    assert modern_call(fixture, tool, inputResponses=None)["error"]["code"] == -32602


def test_prompt_can_require_input(fixture: SchemaCheckedPeer) -> None:
    meta = modern_meta(ALL_CLIENT_CAPS)
    first = fixture.result("prompts/get", {"name": "test_input_required_result_prompt", "_meta": meta})
    assert first["resultType"] == "input_required" and "user_context" in first["inputRequests"]
    done = fixture.result(
        "prompts/get",
        {
            "name": "test_input_required_result_prompt",
            "_meta": meta,
            "inputResponses": {"user_context": {"action": "accept", "content": {"context": "tests"}}},
        },
    )
    assert done["resultType"] == "complete"
    assert done["messages"][0]["content"]["text"] == "Prompt with context: tests"


def test_listen_stream(fixture: SchemaCheckedPeer) -> None:
    meta = modern_meta()
    listen_id = fixture.send_request(
        "subscriptions/listen",
        {
            "notifications": {"toolsListChanged": True, "resourceSubscriptions": ["test://watched-resource"]},
            "_meta": meta,
        },
    )
    ack = fixture.recv()
    assert ack["method"] == "notifications/subscriptions/acknowledged"
    assert ack["params"]["_meta"] == {SUBSCRIPTION_ID: listen_id}
    assert ack["params"]["notifications"] == {
        "toolsListChanged": True,
        "resourceSubscriptions": ["test://watched-resource"],
    }
    for tool in ("test_trigger_prompt_change", "test_trigger_tool_change", "test_trigger_resource_update"):
        fixture.request("tools/call", {"name": tool, "_meta": meta})
    assert [(n["method"], n["params"]) for n in fixture.notifications] == [
        ("notifications/tools/list_changed", {"_meta": {SUBSCRIPTION_ID: listen_id}}),
        (
            "notifications/resources/updated",
            {"uri": "test://watched-resource", "_meta": {SUBSCRIPTION_ID: listen_id}},
        ),
    ]
    fixture.notify("notifications/cancelled", {"requestId": listen_id})
    fixture.notifications.clear()
    ping_like = fixture.request("tools/call", {"name": "test_trigger_tool_change", "_meta": meta})
    assert ping_like["result"]["resultType"] == "complete"
    assert fixture.notifications == [] and listen_id not in fixture.stash  # cancelled: no response, no more


def test_listen_ends_with_a_result_at_shutdown(fixture: SchemaCheckedPeer) -> None:
    listen_id = fixture.send_request(
        "subscriptions/listen", {"notifications": {"promptsListChanged": True}, "_meta": modern_meta()}
    )
    assert fixture.recv()["method"] == "notifications/subscriptions/acknowledged"
    fixture.close_stdin()
    final = fixture.response(listen_id)
    assert final["result"]["resultType"] == "complete"
    assert final["result"]["_meta"][SUBSCRIPTION_ID] == listen_id
    assert fixture.wait() == 0


def test_listen_needs_a_filter(fixture: SchemaCheckedPeer) -> None:
    reply = fixture.request("subscriptions/listen", {"_meta": modern_meta()})
    assert reply["error"]["code"] == -32602
