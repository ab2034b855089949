"""The fixture's tools of FIXTURE.md §4 (suite 0.1.16, 2025-11-25): content kinds, logging, progress,
sampling, elicitation (SEP-1034 defaults, SEP-1330 enums) and a JSON Schema 2020-12 input.
"""

from __future__ import annotations

import asyncio
from typing import Any

from mcpcore import Content, Context, ToolResult, audio, embedded_resource, image, text
from mcpcore.examples.conformance.base import CLIENT_FAILURES, PNG, WAV, dump, legacy_failure, outcome, tool

# ====================================================================== tools (FIXTURE.md §4)


@tool("test_simple_text", "Tests simple text content response", run="loop")
def simple_text() -> list[Content]:
    return [text("This is a simple text response for testing.")]


@tool("test_image_content", "Tests image content response", run="loop")
def image_content() -> list[Content]:
    return [image(PNG, "image/png")]


@tool("test_audio_content", "Tests audio content response", run="loop")
def audio_content() -> list[Content]:
    return [audio(WAV, "audio/wav")]


@tool("test_embedded_resource", "Tests embedded resource content response", run="loop")
def embedded() -> list[Content]:
    return [
        embedded_resource(
            "test://embedded-resource", text="This is an embedded resource content.", mime_type="text/plain"
        )
    ]


@tool(
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
            text=dump({"test": "data", "value": 123}),
            mime_type="application/json",
        ),
    ]


@tool("test_tool_with_logging", "Tests tool that emits log messages during execution")
async def tool_with_logging(ctx: Context) -> list[Content]:
    await ctx.info("Tool execution started")
    await asyncio.sleep(0.05)
    await ctx.info("Tool processing data")
    await asyncio.sleep(0.05)
    await ctx.info("Tool execution completed")
    return [text("Tool with logging executed successfully")]


@tool("test_tool_with_progress", "Tests tool that reports progress notifications")
async def tool_with_progress(ctx: Context) -> list[Content]:
    await ctx.report_progress(0, 100, "Completed step 0 of 100")
    await asyncio.sleep(0.05)
    await ctx.report_progress(50, 100, "Completed step 50 of 100")
    await asyncio.sleep(0.05)
    await ctx.report_progress(100, 100, "Completed step 100 of 100")
    token = ctx.progress_token
    return [text(str(token) if token is not None else "Progress test completed (no progress token)")]


@tool("test_error_handling", "Tests error response handling", run="loop")
def error_handling() -> ToolResult:
    return ToolResult(content=[text("This tool intentionally returns an error for testing")], is_error=True)


@tool("test_reconnection", "Tests SSE stream reconnection: finishes after a short pause")
async def reconnection() -> list[Content]:
    await asyncio.sleep(0.15)
    return [text("Reconnection test completed")]


@tool(
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
    except CLIENT_FAILURES as exc:
        return [text(legacy_failure(ctx, exc))]
    content = answer.get("content")
    reply = content.get("text") if isinstance(content, dict) else None
    return [text(f"LLM response: {reply if reply is not None else dump(content)}")]


_USER_SCHEMA = {
    "type": "object",
    "properties": {
        "username": {"type": "string", "description": "User's response"},
        "email": {"type": "string", "description": "User's email address"},
    },
    "required": ["username", "email"],
}


@tool(
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
    except CLIENT_FAILURES as exc:
        return [text(legacy_failure(ctx, exc))]
    return [text(f"User response: {outcome(answer)}")]


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


@tool("test_elicitation_sep1034_defaults", "Tests elicitation with default values (SEP-1034)")
async def elicitation_defaults(ctx: Context) -> list[Content]:
    try:
        answer = await ctx.elicit("Please review and update the form fields with defaults", _DEFAULTS_SCHEMA)
    except CLIENT_FAILURES as exc:
        return [text(legacy_failure(ctx, exc))]
    return [text(f"Elicitation completed: {outcome(answer)}")]


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


@tool("test_elicitation_sep1330_enums", "Tests elicitation with enum schema improvements (SEP-1330)")
async def elicitation_enums(ctx: Context) -> list[Content]:
    try:
        answer = await ctx.elicit("Please select options from the enum fields", _ENUMS_SCHEMA)
    except CLIENT_FAILURES as exc:
        return [text(legacy_failure(ctx, exc))]
    return [text(f"Elicitation completed: {outcome(answer)}")]


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


@tool(
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
    return [text(f"Received: {dump({k: v for k, v in arguments.items() if v is not None})}")]
