"""The fixture's task tools (FIXTURE-2026.md §2, and the 2025-11-25 tasks utility)."""

from __future__ import annotations

import asyncio

from mcpcore import Content, Context, RpcError, TaskContext, ToolResult, text
from mcpcore.examples.conformance.base import NO_ARGUMENTS, field, form, server

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
    answer = await ctx.elicit(*form(f"Delete {filename}?", "confirm", "boolean"), key="confirm")
    if answer.get("action") == "accept" and field(answer, "confirm") is not False:
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
        ctx.elicit(*form("What is your name?", "name"), key="name"),
        ctx.elicit(*form("Proceed?", "confirm", "boolean"), key="confirm"),
    )
    return [text(f"Name: {field(first, 'name')}; confirmed: {field(second, 'confirm')}")]


@server.tool(
    "test_tool_with_task",
    description="MRTR then task: asks for user_name, then finishes as a task",
    task_support="required",
    task_detach="manual",
    input_schema=NO_ARGUMENTS,
)
async def tool_with_task(ctx: TaskContext) -> list[Content]:
    answer = await ctx.elicit(*form("What is your name?", "name"), key="user_name")
    name = field(answer, "name")
    await ctx.detach()
    await asyncio.sleep(0.05)
    return [text(f"Hello, {name}! (finished as task {ctx.task_id})")]
