"""Registration decorators work bare and called; a misuse fails at import time, naming the fix."""

from __future__ import annotations

from typing import Any

import pytest

from mcpcore import Client, Context, Server
from mcpcore.loop import run as run_loop


def _listed(server: Server, loop_name: str) -> dict[str, list[str]]:
    async def scenario() -> dict[str, list[str]]:
        async with Client(server, mode="legacy") as client:
            return {
                "tools": [tool["name"] for tool in await client.list_tools()],
                "prompts": [prompt["name"] for prompt in await client.list_prompts()],
            }

    return run_loop(scenario(), loop=loop_name)  # type: ignore[arg-type]


def test_bare_and_called_decorators_both_register(loop_name: str) -> None:
    server = Server("both")

    @server.tool
    def bare(a: int) -> int:
        return a

    @server.tool()
    def called(a: int) -> int:
        return a

    @server.tool("renamed", timeout=5)
    async def original(a: int) -> int:
        return a

    @server.prompt
    def bare_prompt() -> str:
        return "hi"

    @server.prompt("named_prompt")
    def other_prompt() -> str:
        return "hi"

    assert bare(1) == 1 and called(2) == 2  # the functions are returned unchanged
    assert _listed(server, loop_name) == {
        "tools": ["bare", "called", "renamed"],
        "prompts": ["bare_prompt", "named_prompt"],
    }


@pytest.mark.parametrize(
    ("misuse", "fix"),
    [
        (lambda s: s.resource(lambda: "x"), r"@server.resource\(\"scheme://path\"\)"),
        (lambda s: s.completion(lambda value: []), r"@server.completion\(argument="),
        (lambda s: s.completion()(lambda value: []), r"@server.completion\(argument="),
        (lambda s: s.tool(42), "name as a string"),
        (lambda s: s.tool()("not a function"), "decorates a function"),
        (lambda s: s.prompt(["x"]), "name as a string"),
        (lambda s: s.resource("file:///x")(3), "decorates a function"),
        (lambda s: s.method(lambda p, c: {}), r"@server.method\(\"vendor/thing\"\)"),
        (lambda s: s.notification(lambda p, c: None), r"@server.notification\(\"vendor/event\"\)"),
        (lambda s: s.middleware(methods=[1]), "method names as strings"),
    ],
)
def test_a_misuse_raises_type_error_naming_the_fix(misuse: Any, fix: str) -> None:
    server = Server("misused")
    with pytest.raises(TypeError, match=fix):
        misuse(server)
    assert server.tools.list_tools.__self__ is server.tools  # the server is still usable


def test_custom_methods_and_notifications(loop_name: str) -> None:
    server = Server("custom")
    heard: list[dict[str, Any]] = []

    @server.method("acme/echo")
    async def echo(params: dict[str, Any], ctx: Context) -> dict[str, Any]:
        return {"echo": params.get("text"), "method": ctx.method}

    @server.notification("acme/heard")
    def on_heard(params: dict[str, Any], connection: object) -> None:
        heard.append(params)

    async def scenario() -> Any:
        async with Client(server, mode="legacy") as client:
            assert client.session is not None
            answer = await client.session.send_request("acme/echo", {"text": "hi"})
            client.session.notify("acme/heard", {"n": 1})
            await client.ping()  # ordered after the notification on the same connection
            return answer

    assert run_loop(scenario(), loop=loop_name) == {"echo": "hi", "method": "acme/echo"}  # type: ignore[arg-type]
    assert heard == [{"n": 1}]
