"""Peer: the official Python SDK (``mcp``), low-level ``Server``, with an ``add`` tool.

The low-level API leaves argument checking to the handler, so the handler
checks that ``a`` and ``b`` are integers (what a careful low-level user
writes), and answers the decimal sum as text.

Run: ``python -m benchmarks.servers.sdk_lowlevel`` (stdio) or ``... --http --port N``
(Streamable HTTP with JSON responses, on uvicorn).
"""

from __future__ import annotations

import argparse
from typing import Any

import anyio
import mcp_types as types
from mcp.server.lowlevel import Server

ADD = types.Tool(
    name="add",
    description="Add two integers.",
    input_schema={
        "type": "object",
        "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}},
        "required": ["a", "b"],
    },
)


async def list_tools(ctx: Any, params: Any) -> types.ListToolsResult:
    return types.ListToolsResult(tools=[ADD])


async def call_tool(ctx: Any, params: types.CallToolRequestParams) -> types.CallToolResult:
    arguments = params.arguments or {}
    a, b = arguments.get("a"), arguments.get("b")
    if params.name != "add" or type(a) is not int or type(b) is not int:
        return types.CallToolResult(
            content=[types.TextContent(type="text", text="add needs integers a and b")], is_error=True
        )
    return types.CallToolResult(content=[types.TextContent(type="text", text=str(a + b))])


server: Server[Any] = Server(
    "sdk-lowlevel-add", version="1.0.0", on_list_tools=list_tools, on_call_tool=call_tool
)


async def run_stdio() -> None:
    from mcp.server.stdio import stdio_server

    async with stdio_server() as (read_stream, write_stream):
        await server.run(read_stream, write_stream, server.create_initialization_options())


def run_http(port: int) -> None:
    import uvicorn

    app = server.streamable_http_app(json_response=True)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--http", action="store_true")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args()
    if args.http:
        run_http(args.port)
    else:
        anyio.run(run_stdio)
