"""The official Python SDK client (``mcp``) against resources, prompts, completion, logging, MRTR.

Legacy mode runs the ``initialize`` handshake; auto mode ends up in 2026-07-28 (``server/discover``),
where elicitation is a multi-round-trip request the SDK fulfils through the same callback.
Every test runs with the server on uvloop and on plain asyncio.
"""

from __future__ import annotations

import base64
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest

pytest.importorskip("mcp")

import anyio
import mcp_types as types
from mcp import Client, StdioServerParameters

from tests.helpers import ROOT

pytestmark = [pytest.mark.timeout(60), pytest.mark.parametrize("mode", ["legacy", "auto"])]


@asynccontextmanager
async def connect(mode: str, loop_name: str, module: str, **options: Any) -> AsyncIterator[Client]:
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", module],
        env={"MCPCORE_LOOP": loop_name, "PYTHONPATH": str(ROOT)},
        cwd=ROOT,
    )
    async with Client(params, mode=mode, read_timeout_seconds=20.0, **options) as client:
        yield client


CALCULATOR = "mcpcore.examples.calculator"
FIXTURE = "mcpcore.examples.conformance"


def test_resources(mode: str, loop_name: str) -> None:
    async def body() -> None:
        async with connect(mode, loop_name, CALCULATOR) as client:
            listing = await client.list_resources()
            assert [str(r.uri) for r in listing.resources] == ["calc://constants"]
            templates = await client.list_resource_templates()
            assert [t.uri_template for t in templates.resource_templates] == ["calc://fib/{n}"]
            constants = await client.read_resource("calc://constants")
            first = constants.contents[0]
            assert isinstance(first, types.TextResourceContents) and '"pi": 3.14159' in first.text
            fib = await client.read_resource("calc://fib/10")
            assert isinstance(fib.contents[0], types.TextResourceContents) and fib.contents[0].text == "55"

    anyio.run(body)


def test_binary_resource(mode: str, loop_name: str) -> None:
    async def body() -> None:
        async with connect(mode, loop_name, FIXTURE) as client:
            result = await client.read_resource("test://static-binary")
            blob = result.contents[0]
            assert isinstance(blob, types.BlobResourceContents)
            assert base64.b64decode(blob.blob).startswith(b"\x89PNG")

    anyio.run(body)


def test_prompt_and_completion(mode: str, loop_name: str) -> None:
    async def body() -> None:
        async with connect(mode, loop_name, CALCULATOR) as client:
            prompts = await client.list_prompts()
            explain = prompts.prompts[0]
            assert explain.name == "explain"
            assert [(a.name, a.required) for a in explain.arguments or []] == [
                ("operation", True),
                ("a", False),
                ("b", False),
            ]
            got = await client.get_prompt("explain", {"operation": "add", "a": "1"})
            message = got.messages[0].content
            assert isinstance(message, types.TextContent)
            assert message.text == "Explain, step by step, how to add 1 and 3."
            completion = await client.complete(
                types.PromptReference(type="ref/prompt", name="explain"), {"name": "operation", "value": "d"}
            )
            assert completion.completion.values == ["divide"]
            template = await client.complete(
                types.ResourceTemplateReference(type="ref/resource", uri="calc://fib/{n}"),
                {"name": "n", "value": "2"},
            )
            assert template.completion.values == ["2", *(str(n) for n in range(20, 30))]

    anyio.run(body)


def test_logging_callback(mode: str, loop_name: str) -> None:
    async def body() -> None:
        logs: list[Any] = []

        async def on_log(params: types.LoggingMessageNotificationParams) -> None:
            logs.append(params.data)

        async with connect(mode, loop_name, FIXTURE, logging_callback=on_log, log_level="info") as client:
            result = await client.call_tool("test_tool_with_logging", {})
            assert not result.is_error
            with anyio.fail_after(10):
                while len(logs) < 3:
                    await anyio.sleep(0.01)
            assert logs == ["Tool execution started", "Tool processing data", "Tool execution completed"]

    anyio.run(body)


def test_elicitation_in_both_eras(mode: str, loop_name: str) -> None:
    async def body() -> None:
        async def on_elicit(context: Any, params: Any) -> types.ElicitResult:
            return types.ElicitResult(action="accept", content={"name": "Ada"})

        async with connect(mode, loop_name, FIXTURE, elicitation_callback=on_elicit) as client:
            result = await client.call_tool("test_input_required_result_elicitation", {})
            first = result.content[0]
            assert isinstance(first, types.TextContent) and first.text == "Hello, Ada!"

    anyio.run(body)
