"""Middleware: observe, change params or results, short-circuit, choose methods; built-ins."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from mcpcore import Client, Context, RateLimit, RpcError, Server, log_requests, otel_spans
from mcpcore.loop import run as run_loop
from mcpcore.middleware import RATE_LIMITED, CallNext


def _server() -> Server:
    server = Server("mw")

    @server.tool(run="loop")
    def add(a: int, b: int) -> int:
        return a + b

    return server


def _call(server: Server, loop_name: str, *calls: tuple[str, dict[str, Any]]) -> list[Any]:
    async def scenario() -> list[Any]:
        results: list[Any] = []
        async with Client(server, mode="legacy") as client:
            for name, arguments in calls:
                try:
                    results.append((await client.call_tool(name, arguments))["structuredContent"])
                except RpcError as exc:
                    results.append(exc)
        return results

    return run_loop(scenario(), loop=loop_name)  # type: ignore[arg-type]


def test_without_middleware_the_inline_handler_is_dispatched_directly() -> None:
    server = _server()
    assert server.methods["tools/call"].handler == server.tools.call_tool


def test_middleware_observes_rewrites_and_short_circuits_in_order(loop_name: str) -> None:
    server = _server()
    seen: list[str] = []

    @server.middleware
    async def outer(ctx: Context, call_next: CallNext) -> Any:
        seen.append(f"outer>{ctx.method}")
        result = await call_next(ctx)
        seen.append(f"outer<{ctx.method}")
        return result

    @server.middleware(methods=["tools/call"])
    async def double_a(ctx: Context, call_next: CallNext) -> Any:
        arguments = ctx.params["arguments"]
        if arguments.get("a") == 13:
            raise RpcError(-32099, "unlucky")
        ctx.params = {**ctx.params, "arguments": {**arguments, "a": arguments["a"] * 2}}
        result = await call_next(ctx)
        return {**result, "structuredContent": {"result": result["structuredContent"]["result"] + 1000}}

    results = _call(server, loop_name, ("add", {"a": 1, "b": 2}), ("add", {"a": 13, "b": 0}))
    assert results[0] == {"result": 1004}  # (1 * 2 + 2) + 1000
    assert isinstance(results[1], RpcError) and results[1].code == -32099
    assert seen[:2] == ["outer>initialize", "outer<initialize"]  # every request, not only tool calls
    assert "outer>tools/call" in seen


def test_rate_limit_refuses_past_the_burst_per_connection(loop_name: str) -> None:
    server = _server()
    limit = RateLimit(rate=0.001, burst=2)  # effectively no refill during the test
    server.middleware(methods=["tools/call"])(limit)
    calls = [("add", {"a": 1, "b": 1})] * 3
    results = _call(server, loop_name, *calls)
    assert results[:2] == [{"result": 2}, {"result": 2}]
    refused = results[2]
    assert isinstance(refused, RpcError) and refused.code == RATE_LIMITED
    assert refused.data["retryAfterMs"] > 0
    # Another connection has its own bucket (no principal without auth): the first calls pass.
    assert _call(server, loop_name, ("add", {"a": 0, "b": 0}))[0] == {"result": 0}


def test_rate_limit_buckets_are_bounded() -> None:
    limit = RateLimit(rate=1, burst=1, max_keys=3)
    for key in range(10):
        limit.take(key, now=0.0)
    assert len(limit._buckets) == 3
    assert limit.take(9, now=0.0) > 0  # the newest keys are kept and still limited


def test_log_requests_logs_method_outcome_and_duration(
    loop_name: str, caplog: pytest.LogCaptureFixture
) -> None:
    server = _server()
    server.middleware(log_requests(level=logging.INFO))
    with caplog.at_level(logging.INFO, logger="mcpcore.requests"):
        _call(server, loop_name, ("add", {"a": 1, "b": 1}), ("nope", {}))
    lines = [record.getMessage() for record in caplog.records if record.name == "mcpcore.requests"]
    assert any(line.startswith("tools/call ok ") and line.endswith(" ms") for line in lines)
    assert any(line.startswith("tools/call error -32602 ") for line in lines)


def test_otel_spans_wraps_calls_whether_or_not_the_api_is_installed(loop_name: str) -> None:
    server = _server()
    server.middleware(otel_spans())
    assert _call(server, loop_name, ("add", {"a": 2, "b": 2})) == [{"result": 4}]
