"""A tool that reports progress, then works until cancelled: a request in flight when its replica dies."""

from __future__ import annotations

import asyncio

from mcpcore import Context, Server

server = Server("stalling")


@server.tool()
async def stall(steps: int, ctx: Context) -> str:
    """Report progress ``steps`` times, then keep working (the test kills the replica meanwhile)."""
    for step in range(steps):
        await ctx.report_progress(step + 1, steps, f"step {step + 1}")
    await asyncio.Event().wait()
    return "never"
