"""The "everything" fixture the official MCP conformance suite expects, in both protocol eras.

Names and behaviour follow ``shared/conformance/FIXTURE.md`` (suite 0.1.16,
2025-11-25 handshake) and ``FIXTURE-2026.md`` (suite 0.2.0-alpha, the
2026-07-28 per-request envelope). One handler serves both eras: the
server-to-client tools (sampling, elicitation, roots) use ``Context.ask`` and
friends, which send real requests on a legacy connection and answer with an
``InputRequiredResult`` (sealed ``requestState``) from 2026-07-28.

Run it over stdio with ``python -m mcpcore.examples.conformance``;
``server`` is the module-level :class:`mcpcore.Server` a transport may serve.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Callable
from typing import Any, TypeVar

import orjson

from mcpcore import (
    ClientCapabilityError,
    ClientRequestError,
    ConnectionClosedError,
    Content,
    Context,
    RequestTimeoutError,
    RpcError,
    Server,
    TaskContext,
    ToolResult,
    audio,
    embedded_resource,
    image,
    text,
)
from mcpcore.examples.conformance_skills import add_skills

#: A 1x1 red PNG.
PNG_BYTES = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg=="
)
PNG = base64.b64encode(PNG_BYTES).decode("ascii")
#: A minimal 44-byte PCM WAV header (no samples).
WAV = base64.b64encode(
    b"RIFF$\x00\x00\x00WAVEfmt \x10\x00\x00\x00\x01\x00\x01\x00D\xac\x00\x00"
    b"\x88X\x01\x00\x02\x00\x10\x00data\x00\x00\x00\x00"
).decode("ascii")

NO_ARGUMENTS: dict[str, Any] = {"type": "object", "properties": {}}

server = Server(
    "mcp-conformance-test-server",
    version="1.0.0",
    instructions="The MCP conformance fixture: every tool, resource and prompt the official suite calls.",
)


F = TypeVar("F", bound=Callable[..., Any])


def _tool(name: str, description: str, **options: Any) -> Callable[[F], F]:
    """Register a no-argument tool unless a schema is given (the suite checks every description)."""
    options.setdefault("input_schema", NO_ARGUMENTS)
    return server.tool(name, description=description, **options)


def _dump(value: Any) -> str:
    return orjson.dumps(value).decode()


def _outcome(answer: dict[str, Any]) -> str:
    return f"action={answer.get('action')}, content={_dump(answer.get('content', {}))}"


def _legacy_failure(ctx: Context, exc: Exception) -> str:
    """A server-to-client request failed on a legacy connection: explain it in the result.

    On 2026-07-28 requests errors propagate (-32021 and friends are the protocol's answer).
    """
    if ctx.modern and isinstance(exc, RpcError):
        raise exc
    return f"The client request failed: {type(exc).__name__}: {exc}"


_CLIENT_FAILURES = (
    ClientCapabilityError,
    ClientRequestError,
    RpcError,
    RequestTimeoutError,
    ConnectionClosedError,
)

# ====================================================================== tools (FIXTURE.md §4)


@_tool("test_simple_text", "Tests simple text content response", run="loop")
def simple_text() -> list[Content]:
    return [text("This is a simple text response for testing.")]


@_tool("test_image_content", "Tests image content response", run="loop")
def image_content() -> list[Content]:
    return [image(PNG, "image/png")]


@_tool("test_audio_content", "Tests audio content response", run="loop")
def audio_content() -> list[Content]:
    return [audio(WAV, "audio/wav")]


@_tool("test_embedded_resource", "Tests embedded resource content response", run="loop")
def embedded() -> list[Content]:
    return [
        embedded_resource(
            "test://embedded-resource", text="This is an embedded resource content.", mime_type="text/plain"
        )
    ]


@_tool(
    "test_multiple_content_types",
    "Tests response with multiple content types (text, image, resource)",
    run="loop",
)
def multiple_content_types() -> list[Content]:
    return [
        text("Multiple content types test:"),
        image(PNG, "image/png"),
        embedded_resource(
            "test://mixed-content-resource",
            text=_dump({"test": "data", "value": 123}),
            mime_type="application/json",
        ),
    ]


@_tool("test_tool_with_logging", "Tests tool that emits log messages during execution")
async def tool_with_logging(ctx: Context) -> list[Content]:
    await ctx.info("Tool execution started")
    await asyncio.sleep(0.05)
    await ctx.info("Tool processing data")
    await asyncio.sleep(0.05)
    await ctx.info("Tool execution completed")
    return [text("Tool with logging executed successfully")]


@_tool("test_tool_with_progress", "Tests tool that reports progress notifications")
async def tool_with_progress(ctx: Context) -> list[Content]:
    await ctx.report_progress(0, 100, "Completed step 0 of 100")
    await asyncio.sleep(0.05)
    await ctx.report_progress(50, 100, "Completed step 50 of 100")
    await asyncio.sleep(0.05)
    await ctx.report_progress(100, 100, "Completed step 100 of 100")
    token = ctx.progress_token
    return [text(str(token) if token is not None else "Progress test completed (no progress token)")]


@_tool("test_error_handling", "Tests error response handling", run="loop")
def error_handling() -> ToolResult:
    return ToolResult(content=[text("This tool intentionally returns an error for testing")], is_error=True)


@_tool("test_reconnection", "Tests SSE stream reconnection: finishes after a short pause")
async def reconnection() -> list[Content]:
    await asyncio.sleep(0.15)
    return [text("Reconnection test completed")]


@_tool(
    "test_sampling",
    "Tests server-initiated sampling (LLM completion request)",
    input_schema={
        "type": "object",
        "properties": {"prompt": {"type": "string", "description": "The prompt to send to the LLM"}},
        "required": ["prompt"],
    },
)
async def sampling(prompt: str, ctx: Context) -> list[Content]:
    try:
        answer = await ctx.sample(prompt, 100)
    except _CLIENT_FAILURES as exc:
        return [text(_legacy_failure(ctx, exc))]
    content = answer.get("content")
    reply = content.get("text") if isinstance(content, dict) else None
    return [text(f"LLM response: {reply if reply is not None else _dump(content)}")]


_USER_SCHEMA = {
    "type": "object",
    "properties": {
        "username": {"type": "string", "description": "User's response"},
        "email": {"type": "string", "description": "User's email address"},
    },
    "required": ["username", "email"],
}


@_tool(
    "test_elicitation",
    "Tests server-initiated elicitation (user input request)",
    input_schema={
        "type": "object",
        "properties": {"message": {"type": "string", "description": "The message to show the user"}},
        "required": ["message"],
    },
)
async def elicitation(message: str, ctx: Context) -> list[Content]:
    try:
        answer = await ctx.elicit(message, _USER_SCHEMA)
    except _CLIENT_FAILURES as exc:
        return [text(_legacy_failure(ctx, exc))]
    return [text(f"User response: {_outcome(answer)}")]


_DEFAULTS_SCHEMA = {
    "type": "object",
    "properties": {
        "name": {"type": "string", "description": "User name", "default": "John Doe"},
        "age": {"type": "integer", "description": "User age", "default": 30},
        "score": {"type": "number", "description": "User score", "default": 95.5},
        "status": {
            "type": "string",
            "description": "User status",
            "enum": ["active", "inactive", "pending"],
            "default": "active",
        },
        "verified": {"type": "boolean", "description": "Verification status", "default": True},
    },
    "required": [],
}


@_tool("test_elicitation_sep1034_defaults", "Tests elicitation with default values (SEP-1034)")
async def elicitation_defaults(ctx: Context) -> list[Content]:
    try:
        answer = await ctx.elicit("Please review and update the form fields with defaults", _DEFAULTS_SCHEMA)
    except _CLIENT_FAILURES as exc:
        return [text(_legacy_failure(ctx, exc))]
    return [text(f"Elicitation completed: {_outcome(answer)}")]


_ENUMS_SCHEMA = {
    "type": "object",
    "properties": {
        "untitledSingle": {
            "type": "string",
            "description": "Select one option",
            "enum": ["option1", "option2", "option3"],
        },
        "titledSingle": {
            "type": "string",
            "description": "Select one option with titles",
            "oneOf": [
                {"const": "value1", "title": "First Option"},
                {"const": "value2", "title": "Second Option"},
                {"const": "value3", "title": "Third Option"},
            ],
        },
        "legacyEnum": {
            "type": "string",
            "description": "Select one option (legacy)",
            "enum": ["opt1", "opt2", "opt3"],
            "enumNames": ["Option One", "Option Two", "Option Three"],
        },
        "untitledMulti": {
            "type": "array",
            "description": "Select multiple options",
            "minItems": 1,
            "maxItems": 3,
            "items": {"type": "string", "enum": ["option1", "option2", "option3"]},
        },
        "titledMulti": {
            "type": "array",
            "description": "Select multiple options with titles",
            "minItems": 1,
            "maxItems": 3,
            "items": {
                "anyOf": [
                    {"const": "value1", "title": "First Choice"},
                    {"const": "value2", "title": "Second Choice"},
                    {"const": "value3", "title": "Third Choice"},
                ]
            },
        },
    },
    "required": [],
}


@_tool("test_elicitation_sep1330_enums", "Tests elicitation with enum schema improvements (SEP-1330)")
async def elicitation_enums(ctx: Context) -> list[Content]:
    try:
        answer = await ctx.elicit("Please select options from the enum fields", _ENUMS_SCHEMA)
    except _CLIENT_FAILURES as exc:
        return [text(_legacy_failure(ctx, exc))]
    return [text(f"Elicitation completed: {_outcome(answer)}")]


JSON_SCHEMA_2020_12 = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "$defs": {
        "address": {
            "$anchor": "addressDef",
            "type": "object",
            "properties": {"street": {"type": "string"}, "city": {"type": "string"}},
        }
    },
    "properties": {
        "name": {"type": "string"},
        "address": {"$ref": "#/$defs/address"},
        "contactMethod": {"type": "string", "enum": ["phone", "email"]},
        "phone": {"type": "string"},
        "email": {"type": "string"},
    },
    "allOf": [{"anyOf": [{"required": ["phone"]}, {"required": ["email"]}]}],
    "if": {"properties": {"contactMethod": {"const": "phone"}}, "required": ["contactMethod"]},
    "then": {"required": ["phone"]},
    "else": {"required": ["email"]},
    "additionalProperties": False,
}


@_tool(
    "json_schema_2020_12_tool",
    "Tool with JSON Schema 2020-12 features",
    input_schema=JSON_SCHEMA_2020_12,
    run="loop",
)
def json_schema_tool(
    name: str | None = None,
    address: dict[str, Any] | None = None,
    contactMethod: str | None = None,
    phone: str | None = None,
    email: str | None = None,
) -> list[Content]:
    arguments = {
        "name": name,
        "address": address,
        "contactMethod": contactMethod,
        "phone": phone,
        "email": email,
    }
    return [text(f"Received: {_dump({k: v for k, v in arguments.items() if v is not None})}")]


# ============================================================ 2026-07-28 tools (FIXTURE-2026.md)


@_tool("test_missing_capability", "Test tool requiring sampling")
async def missing_capability(ctx: Context) -> list[Content]:
    ctx.require_client_capability({"sampling": {}})
    return [text("Success")]


@_tool("test_trigger_tool_change", "Sends notifications/tools/list_changed to listeners", run="loop")
def trigger_tool_change() -> list[Content]:
    server.notify_list_changed("tools")
    return [text("Mutation triggered")]


@_tool("test_trigger_prompt_change", "Sends notifications/prompts/list_changed to listeners", run="loop")
def trigger_prompt_change() -> list[Content]:
    server.notify_list_changed("prompts")
    return [text("Mutation triggered")]


@_tool(
    "test_trigger_resource_update",
    "Sends notifications/resources/updated for test://watched-resource to its subscribers",
    run="loop",
)
def trigger_resource_update() -> list[Content]:
    server.resource_updated("test://watched-resource")
    return [text("Resource update triggered")]


@_tool("test_streaming_elicitation", "Diagnostic tool validating response progress streams")
async def streaming_elicitation(ctx: Context) -> list[Content]:
    await ctx.report_progress(50, 100)
    return [text("Streaming complete")]


@_tool("test_logging_tool", "Diagnostic logging validator tool")
async def logging_tool(ctx: Context) -> list[Content]:
    await ctx.info("Diagnostic trace logging activated")
    return [text("Logging evaluated")]


@_tool(
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


def _form(message: str, name: str, kind: str = "string") -> tuple[str, dict[str, Any]]:
    return message, {"type": "object", "properties": {name: {"type": kind}}, "required": [name]}


def _field(answer: dict[str, Any], name: str) -> Any:
    content = answer.get("content")
    return content.get(name) if isinstance(content, dict) else None


@_tool("test_input_required_result_elicitation", "MRTR: returns InputRequiredResult with elicitation request")
async def mrtr_elicitation(ctx: Context) -> list[Content]:
    answer = await ctx.elicit(*_form("What is your name?", "name"), key="user_name")
    return [text(f"Hello, {_field(answer, 'name')}!")]


@_tool("test_input_required_result_sampling", "MRTR: returns InputRequiredResult with sampling request")
async def mrtr_sampling(ctx: Context) -> list[Content]:
    answer = await ctx.sample("What is the capital of France?", 100, key="capital_question")
    content = answer.get("content")
    reply = content.get("text") if isinstance(content, dict) else None
    return [text(f"Sampling result: {reply if reply is not None else 'no response'}")]


@_tool("test_input_required_result_list_roots", "MRTR: returns InputRequiredResult with roots/list request")
async def mrtr_list_roots(ctx: Context) -> list[Content]:
    roots = await ctx.list_roots(key="client_roots")
    return [text(f"Found {len(roots)} root(s)")]


@_tool("test_input_required_result_request_state", "MRTR: returns InputRequiredResult with requestState")
async def mrtr_request_state(ctx: Context) -> list[Content]:
    answer = await ctx.elicit(
        *_form("Please confirm", "ok", "boolean"), key="confirm", state={"kind": "request-state"}
    )
    state = ctx.request_state
    if ctx.modern and (not isinstance(state, dict) or state.get("kind") != "request-state"):
        return [text("state-missing: no requestState came back")]
    if _field(answer, "ok") is not True:
        return [text("state-ok: requestState validated, but the user did not confirm")]
    return [text("state-ok: requestState validated")]


@_tool(
    "test_input_required_result_multiple_inputs",
    "MRTR: returns InputRequiredResult with multiple input requests",
)
async def mrtr_multiple_inputs(ctx: Context) -> list[Content]:
    from mcpcore import elicitation_request, roots_request, sampling_request

    answers = await ctx.ask(
        {
            "user_name": elicitation_request(*_form("What is your name?", "name")),
            "greeting": sampling_request("Generate a greeting", 50),
            "client_roots": roots_request(),
        },
        state={"kind": "multiple-inputs"},
    )
    greeting = answers["greeting"].get("content")
    greeting_text = greeting.get("text") if isinstance(greeting, dict) else "Hello there!"
    roots = answers["client_roots"].get("roots") or []
    return [
        text(f"Name: {_field(answers['user_name'], 'name')}; Greeting: {greeting_text}; Roots: {len(roots)}")
    ]


@_tool("test_input_required_result_multi_round", "MRTR: multi-round InputRequiredResult workflow")
async def mrtr_multi_round(ctx: Context) -> list[Content]:
    state = ctx.request_state if isinstance(ctx.request_state, dict) else {}
    name = state.get("name")
    if name is None:
        first = await ctx.elicit(
            *_form("Step 1: What is your name?", "name"), key="step1", state={"round": 1}
        )
        name = _field(first, "name")
    second = await ctx.elicit(
        *_form("Step 2: What is your favorite color?", "color"), key="step2", state={"round": 2, "name": name}
    )
    return [text(f"Multi-round complete for {name} who likes {_field(second, 'color')}")]


@_tool("test_input_required_result_tampered_state", "MRTR: HMAC-signed requestState integrity test")
async def mrtr_tampered_state(ctx: Context) -> list[Content]:
    await ctx.elicit(*_form("Please confirm", "ok", "boolean"), key="confirm", state={"kind": "tamper-test"})
    return [text("integrity-ok: state verified")]


@_tool("test_input_required_result_capabilities", "MRTR: respects client capabilities in inputRequests")
async def mrtr_capabilities(ctx: Context) -> list[Content]:
    from mcpcore import elicitation_request, sampling_request

    declared = ctx.client_capabilities
    requests: dict[str, dict[str, Any]] = {}
    if isinstance(declared.get("elicitation"), dict):
        requests["elicit_input"] = elicitation_request(*_form("Elicitation input", "value"))
    if isinstance(declared.get("sampling"), dict):
        requests["sample_input"] = sampling_request("Sample request", 50)
    if not requests:
        return [text("No supported capabilities declared")]
    answers = await ctx.ask(requests, state={"kind": "capabilities-test"})
    return [text(f"capabilities-ok: received {','.join(answers)}")]


# ============================================= tasks extension (FIXTURE-2026.md §2; 2025-11-25 tasks)


@server.tool("greet", description="Sync-only greeting: returns Hello, {name}!", run="loop")
def greet(name: str) -> list[Content]:
    """Greet someone without a task.

    Args:
        name: Who to greet
    """
    return [text(f"Hello, {name}!")]


@server.tool(
    "slow_compute",
    description="Task-capable: sleeps `seconds` seconds, then reports",
    task_support="optional",
)
async def slow_compute(seconds: float = 0, label: str = "") -> list[Content]:
    """Sleep, then answer (cancellable while it sleeps).

    Args:
        seconds: How long to work
        label: Echoed in the result
    """
    await asyncio.sleep(max(0.0, min(float(seconds), 3600.0)))
    return [text(f"Computed {label or 'result'} after {seconds} s")]


@server.tool(
    "failing_job",
    description="Task-required: fails as a tool error after about a second",
    task_support="required",
)
async def failing_job() -> ToolResult:
    await asyncio.sleep(1.0)
    return ToolResult([text("The job failed: simulated tool execution error")], is_error=True)


@server.tool(
    "protocol_error_job",
    description="Task-capable: ends with a JSON-RPC protocol error",
    task_support="optional",
    input_schema=NO_ARGUMENTS,
)
async def protocol_error_job() -> list[Content]:
    await asyncio.sleep(0.05)
    raise RpcError(-32603, "Internal error: simulated protocol failure")


@server.tool(
    "confirm_delete",
    description="Task-capable: asks the user to confirm, then deletes",
    task_support="optional",
)
async def confirm_delete(filename: str, ctx: Context) -> list[Content]:
    """Ask for confirmation (elicitation) before deleting.

    Args:
        filename: The file to delete
    """
    answer = await ctx.elicit(*_form(f"Delete {filename}?", "confirm", "boolean"), key="confirm")
    if answer.get("action") == "accept" and _field(answer, "confirm") is not False:
        return [text(f"Deleted {filename}")]
    return [text(f"Kept {filename}")]


@server.tool(
    "multi_input",
    description="Task-capable: asks two questions at once",
    task_support="optional",
    input_schema=NO_ARGUMENTS,
)
async def multi_input(ctx: Context) -> list[Content]:
    first, second = await asyncio.gather(
        ctx.elicit(*_form("What is your name?", "name"), key="name"),
        ctx.elicit(*_form("Proceed?", "confirm", "boolean"), key="confirm"),
    )
    return [text(f"Name: {_field(first, 'name')}; confirmed: {_field(second, 'confirm')}")]


@server.tool(
    "test_tool_with_task",
    description="MRTR then task: asks for user_name, then finishes as a task",
    task_support="required",
    task_detach="manual",
    input_schema=NO_ARGUMENTS,
)
async def tool_with_task(ctx: TaskContext) -> list[Content]:
    answer = await ctx.elicit(*_form("What is your name?", "name"), key="user_name")
    name = _field(answer, "name")
    await ctx.detach()
    await asyncio.sleep(0.05)
    return [text(f"Hello, {name}! (finished as task {ctx.task_id})")]


# ================================================================== resources (FIXTURE.md §5)


@server.resource(
    "test://static-text",
    name="static-text",
    description="A static text resource for testing",
    mime_type="text/plain",
    run="loop",
)
def static_text() -> str:
    return "This is the content of the static text resource."


@server.resource(
    "test://static-binary",
    name="static-binary",
    description="A static binary resource (image) for testing",
    mime_type="image/png",
    run="loop",
)
def static_binary() -> bytes:
    return PNG_BYTES


@server.resource(
    "test://watched-resource",
    name="watched-resource",
    description="A resource that can be subscribed to for updates",
    mime_type="text/plain",
    run="loop",
)
def watched_resource() -> str:
    return "Watched resource content"


def _complete_id(value: str) -> list[str]:
    return [candidate for candidate in ("123", "456", "789") if candidate.startswith(value)]


@server.resource(
    "test://template/{id}/data",
    name="template",
    description="A resource template with parameter substitution",
    mime_type="application/json",
    run="loop",
    completions={"id": _complete_id},
)
def template_data(id: str) -> str:
    return _dump({"id": id, "templateTest": True, "data": f"Data for ID: {id}"})


add_skills(server)  # the Skills extension (SEP-2640): conformance_skills.py


# ===================================================================== prompts (FIXTURE.md §6)


@server.prompt("test_simple_prompt", description="A simple prompt without arguments", run="loop")
def simple_prompt() -> str:
    return "This is a simple prompt for testing."


def _complete_arg(value: str) -> list[str]:
    candidates = ["test", "testValue1", "testValue2", "testing", "value"]
    return [candidate for candidate in candidates if candidate.startswith(value)]


@server.prompt(
    "test_prompt_with_arguments",
    description="A prompt with required arguments",
    run="loop",
    completions={"arg1": _complete_arg, "arg2": _complete_arg},
)
def prompt_with_arguments(arg1: str, arg2: str) -> str:
    """A prompt with required arguments.

    Args:
        arg1: First test argument
        arg2: Second test argument
    """
    return f"Prompt with arguments: arg1='{arg1}', arg2='{arg2}'"


@server.prompt(
    "test_prompt_with_embedded_resource",
    description="A prompt that includes an embedded resource",
    run="loop",
)
def prompt_with_embedded_resource(resourceUri: str) -> list[Any]:
    """A prompt that includes an embedded resource.

    Args:
        resourceUri: URI of the resource to embed
    """
    return [
        embedded_resource(resourceUri, text="Embedded resource content for testing.", mime_type="text/plain"),
        "Please process the embedded resource above.",
    ]


@server.prompt("test_prompt_with_image", description="A prompt that includes an image", run="loop")
def prompt_with_image() -> list[Any]:
    return [image(PNG, "image/png"), "Please analyze the image above."]


@server.prompt(
    "test_input_required_result_prompt", description="MRTR: prompt that requires elicitation input"
)
async def mrtr_prompt(ctx: Context) -> str:
    try:
        answer = await ctx.elicit(
            *_form("What context should the prompt use?", "context"), key="user_context"
        )
    except _CLIENT_FAILURES as exc:
        return _legacy_failure(ctx, exc)
    return f"Prompt with context: {_field(answer, 'context')}"


def main(argv: list[str] | None = None) -> None:
    """``python -m mcpcore.examples.conformance [--port N [--host H]] [--redis URL]``: HTTP with a port.

    Without a port it serves stdio. ``--redis`` shares tasks and legacy sessions with the other replicas.
    """
    import argparse

    parser = argparse.ArgumentParser(description="The official conformance suite's fixture server.")
    parser.add_argument("--port", type=int, default=None, help="serve Streamable HTTP at /mcp on this port")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--redis", metavar="URL", default=None, help="share tasks and sessions through Redis")
    # For tests: a short runner lease, so a killed replica's tasks are failed quickly.
    parser.add_argument("--lease-ms", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument(
        "--state-key",
        default=None,
        help="the requestState HMAC key every replica shares (default: $MCPCORE_STATE_KEY, else random)",
    )
    args = parser.parse_args(argv)
    if args.redis:
        options = {} if args.lease_ms is None else {"lease_ms": args.lease_ms}
        server.use_store(args.redis, **options)
    if args.state_key is not None:
        server.use_state_key(args.state_key)
    if args.port is None:
        server.run()
    else:
        server.run("http", host=args.host, port=args.port)


if __name__ == "__main__":
    main()
