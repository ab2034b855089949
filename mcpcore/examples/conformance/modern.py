"""The fixture's tools of FIXTURE-2026.md (suite 0.2.0-alpha, the 2026-07-28 envelope).

List-change triggers, diagnostics, the ``x-mcp-header`` parameter and the
multi-round-trip (``InputRequiredResult``) tools, which ask through ``Context`` and get
a sealed ``requestState`` back.
"""

from __future__ import annotations

from typing import Any

from mcpcore import Content, Context, text
from mcpcore.examples.conformance.base import field, form, server, tool

# ============================================================ 2026-07-28 tools (FIXTURE-2026.md)


@tool("test_missing_capability", "Test tool requiring sampling")
async def missing_capability(ctx: Context) -> list[Content]:
    ctx.require_client_capability({"sampling": {}})
    return [text("Success")]


@tool("test_trigger_tool_change", "Sends notifications/tools/list_changed to listeners", run="loop")
def trigger_tool_change() -> list[Content]:
    server.notify_list_changed("tools")
    return [text("Mutation triggered")]


@tool("test_trigger_prompt_change", "Sends notifications/prompts/list_changed to listeners", run="loop")
def trigger_prompt_change() -> list[Content]:
    server.notify_list_changed("prompts")
    return [text("Mutation triggered")]


@tool(
    "test_trigger_resource_update",
    "Sends notifications/resources/updated for test://watched-resource to its subscribers",
    run="loop",
)
def trigger_resource_update() -> list[Content]:
    server.resource_updated("test://watched-resource")
    return [text("Resource update triggered")]


@tool("test_streaming_elicitation", "Diagnostic tool validating response progress streams")
async def streaming_elicitation(ctx: Context) -> list[Content]:
    await ctx.report_progress(50, 100)
    return [text("Streaming complete")]


@tool("test_logging_tool", "Diagnostic logging validator tool")
async def logging_tool(ctx: Context) -> list[Content]:
    await ctx.info("Diagnostic trace logging activated")
    return [text("Logging evaluated")]


@tool(
    "test_x_mcp_header",
    "Echoes a region argument that HTTP clients mirror into the Mcp-Param-Region header",
    input_schema={
        "type": "object",
        "properties": {
            "region": {"type": "string", "description": "A region name", "x-mcp-header": "Region"}
        },
        "required": ["region"],
    },
    run="loop",
)
def x_mcp_header(region: str) -> list[Content]:
    return [text(f"Region: {region}")]


@tool("test_input_required_result_elicitation", "MRTR: returns InputRequiredResult with elicitation request")
async def mrtr_elicitation(ctx: Context) -> list[Content]:
    answer = await ctx.elicit(*form("What is your name?", "name"), key="user_name")
    return [text(f"Hello, {field(answer, 'name')}!")]


@tool("test_input_required_result_sampling", "MRTR: returns InputRequiredResult with sampling request")
async def mrtr_sampling(ctx: Context) -> list[Content]:
    answer = await ctx.sample("What is the capital of France?", 100, key="capital_question")
    content = answer.get("content")
    reply = content.get("text") if isinstance(content, dict) else None
    return [text(f"Sampling result: {reply if reply is not None else 'no response'}")]


@tool("test_input_required_result_list_roots", "MRTR: returns InputRequiredResult with roots/list request")
async def mrtr_list_roots(ctx: Context) -> list[Content]:
    roots = await ctx.list_roots(key="client_roots")
    return [text(f"Found {len(roots)} root(s)")]


@tool("test_input_required_result_request_state", "MRTR: returns InputRequiredResult with requestState")
async def mrtr_request_state(ctx: Context) -> list[Content]:
    answer = await ctx.elicit(
        *form("Please confirm", "ok", "boolean"), key="confirm", state={"kind": "request-state"}
    )
    state = ctx.request_state
    if ctx.modern and (not isinstance(state, dict) or state.get("kind") != "request-state"):
        return [text("state-missing: no requestState came back")]
    if field(answer, "ok") is not True:
        return [text("state-ok: requestState validated, but the user did not confirm")]
    return [text("state-ok: requestState validated")]


@tool(
    "test_input_required_result_multiple_inputs",
    "MRTR: returns InputRequiredResult with multiple input requests",
)
async def mrtr_multiple_inputs(ctx: Context) -> list[Content]:
    from mcpcore import elicitation_request, roots_request, sampling_request

    answers = await ctx.ask(
        {
            "user_name": elicitation_request(*form("What is your name?", "name")),
            "greeting": sampling_request("Generate a greeting", 50),
            "client_roots": roots_request(),
        },
        state={"kind": "multiple-inputs"},
    )
    greeting = answers["greeting"].get("content")
    greeting_text = greeting.get("text") if isinstance(greeting, dict) else "Hello there!"
    roots = answers["client_roots"].get("roots") or []
    return [
        text(f"Name: {field(answers['user_name'], 'name')}; Greeting: {greeting_text}; Roots: {len(roots)}")
    ]


@tool("test_input_required_result_multi_round", "MRTR: multi-round InputRequiredResult workflow")
async def mrtr_multi_round(ctx: Context) -> list[Content]:
    state = ctx.request_state if isinstance(ctx.request_state, dict) else {}
    name = state.get("name")
    if name is None:
        first = await ctx.elicit(*form("Step 1: What is your name?", "name"), key="step1", state={"round": 1})
        name = field(first, "name")
    second = await ctx.elicit(
        *form("Step 2: What is your favorite color?", "color"), key="step2", state={"round": 2, "name": name}
    )
    return [text(f"Multi-round complete for {name} who likes {field(second, 'color')}")]


@tool("test_input_required_result_tampered_state", "MRTR: HMAC-signed requestState integrity test")
async def mrtr_tampered_state(ctx: Context) -> list[Content]:
    await ctx.elicit(*form("Please confirm", "ok", "boolean"), key="confirm", state={"kind": "tamper-test"})
    return [text("integrity-ok: state verified")]


@tool("test_input_required_result_capabilities", "MRTR: respects client capabilities in inputRequests")
async def mrtr_capabilities(ctx: Context) -> list[Content]:
    from mcpcore import elicitation_request, sampling_request

    declared = ctx.client_capabilities
    requests: dict[str, dict[str, Any]] = {}
    if isinstance(declared.get("elicitation"), dict):
        requests["elicit_input"] = elicitation_request(*form("Elicitation input", "value"))
    if isinstance(declared.get("sampling"), dict):
        requests["sample_input"] = sampling_request("Sample request", 50)
    if not requests:
        return [text("No supported capabilities declared")]
    answers = await ctx.ask(requests, state={"kind": "capabilities-test"})
    return [text(f"capabilities-ok: received {','.join(answers)}")]
