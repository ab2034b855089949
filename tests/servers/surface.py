"""A test server for the edges of the request context: server-to-client requests, logs, cancellation."""

from __future__ import annotations

import asyncio

from mcpcore import ClientCapabilityError, Context, RequestTimeoutError, Server

server = Server("surface", client_request_timeout=5.0)


@server.tool()
async def ask_ping(ctx: Context) -> str:
    await ctx.ping()
    return "pong"


@server.tool()
async def ask_sampling_with_timeout(seconds: float, ctx: Context) -> str:
    try:
        await ctx.sample("hi", 10, timeout=seconds)
    except RequestTimeoutError as exc:
        return f"timeout: {exc}"
    return "answered"


@server.tool()
async def ask_url(ctx: Context) -> str:
    answer = await ctx.elicit_url("Please sign in", "https://example.com/login")
    return str(answer["action"])


@server.tool()
async def ask_roots(ctx: Context) -> str:
    try:
        roots = await ctx.list_roots()
    except ClientCapabilityError as exc:
        return f"refused: {exc}"
    return ",".join(root["uri"] for root in roots)


@server.tool()
async def log_every_level(ctx: Context) -> str:
    for level in ("debug", "info", "notice", "warning", "error", "critical", "alert", "emergency"):
        await ctx.log(level, {"level": level}, logger="surface")
    return "logged"


@server.tool()
async def describe(ctx: Context) -> dict[str, object]:
    return {
        "id": ctx.request_id,
        "method": ctx.method,
        "version": ctx.protocol_version,
        "modern": ctx.modern,
        "caps": sorted(ctx.client_capabilities),
        "meta_keys": sorted(ctx.meta),
        "cancelled": ctx.cancelled,
    }


@server.tool()
async def wait_for_cancel(ctx: Context) -> str:
    await asyncio.sleep(30)
    return "not cancelled"


if __name__ == "__main__":
    server.run()
