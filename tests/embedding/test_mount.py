"""``server.mount(other, prefix=...)``: another server's offerings under a prefix, kept in step."""

from __future__ import annotations

from typing import Any

import pytest

from mcpcore import Client, Server
from mcpcore.loop import run as run_loop


def _math() -> Server:
    math = Server("math")

    @math.tool(run="loop")
    def add(a: int, b: int) -> int:
        return a + b

    @math.prompt
    def explain(topic: str) -> str:
        return f"Explain {topic}"

    @math.resource("const://numbers/{name}")
    def constant(name: str) -> str:
        return {"pi": "3.14159"}.get(name, "?")

    @math.completion(argument="topic", prompt="explain")
    def topics(value: str) -> list[str]:
        return [t for t in ("algebra", "arithmetic") if t.startswith(value)]

    return math


def test_a_mounted_server_is_reachable_under_its_prefix(loop_name: str) -> None:
    host = Server("host")
    host.mount(_math(), prefix="math")

    async def scenario() -> dict[str, Any]:
        async with Client(host, mode="legacy") as client:
            return {
                "tools": [tool["name"] for tool in await client.list_tools()],
                "call": (await client.call_tool("math_add", {"a": 2, "b": 2}))["structuredContent"],
                "prompt": (await client.get_prompt("math_explain", {"topic": "sets"}))["messages"][0],
                "templates": [t["uriTemplate"] for t in await client.list_resource_templates()],
                "read": (await client.read_resource("const://math/numbers/pi"))["contents"][0]["text"],
                "complete": (
                    await client.complete(
                        {"type": "ref/prompt", "name": "math_explain"}, {"name": "topic", "value": "a"}
                    )
                )["completion"]["values"],
            }

    seen = run_loop(scenario(), loop=loop_name)  # type: ignore[arg-type]
    assert seen["tools"] == ["math_add"]
    assert seen["call"] == {"result": 4}
    assert seen["prompt"]["content"]["text"] == "Explain sets"
    assert seen["templates"] == ["const://math/numbers/{name}"]
    assert seen["read"] == "3.14159"
    assert seen["complete"] == ["algebra", "arithmetic"]


def test_later_changes_to_the_mounted_server_reach_the_host_and_its_clients(loop_name: str) -> None:
    host = Server("host")
    math = _math()
    host.mount(math, prefix="m")
    changed: list[str] = []

    async def scenario() -> list[str]:
        async with Client(
            host, mode="legacy", on_notification=lambda method, params: changed.append(method)
        ) as c:

            @math.tool(run="loop")
            def mul(a: int, b: int) -> int:
                return a * b

            await c.ping()  # the notification is queued before the ping's answer
            math.remove_tool("add")
            await c.ping()
            return [tool["name"] for tool in await c.list_tools()]

    assert run_loop(scenario(), loop=loop_name) == ["m_mul"]  # type: ignore[arg-type]
    assert changed.count("notifications/tools/list_changed") == 2


def test_a_bad_prefix_or_a_self_mount_is_refused() -> None:
    host = Server("host")
    with pytest.raises(ValueError, match="prefix"):
        host.mount(_math(), prefix="no spaces")
    with pytest.raises(ValueError, match="itself"):
        host.mount(host, prefix="me")
