"""``Client(server)``: a server tested in process, through the real router and session, in both eras."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest

from mcpcore import Client, Context, ElicitationRefused, LifespanError, RpcError, Server
from mcpcore.examples.calculator import server as calculator
from mcpcore.loop import run as run_loop


def run(coro: Any, loop_name: str) -> Any:
    return run_loop(coro, loop=loop_name)


@pytest.mark.parametrize("mode", ["legacy", "modern", "auto"])
def test_a_server_object_is_a_client_target_in_either_era(loop_name: str, mode: str) -> None:
    async def scenario() -> tuple[str, Any, list[str]]:
        async with Client(calculator, mode=mode) as client:  # type: ignore[arg-type]
            result = await client.call_tool("add", {"a": 2, "b": 3})
            names = [tool["name"] for tool in await client.list_tools()]
            return client.era, result["structuredContent"], names

    era, structured, names = run(scenario(), loop_name)
    assert era == ("legacy" if mode == "legacy" else "modern")
    assert structured == {"result": 5}
    assert "add" in names


def test_the_lifespan_runs_around_an_in_memory_connection(loop_name: str) -> None:
    events: list[str] = []

    @contextlib.asynccontextmanager
    async def lifespan(server: Server) -> AsyncIterator[dict[str, int]]:
        events.append("start")
        yield {"answer": 42}
        events.append("stop")

    server = Server("with-lifespan", lifespan=lifespan)

    @server.tool
    async def answer(ctx: Context) -> int:
        return int(ctx.lifespan_state["answer"])

    async def scenario() -> Any:
        async with Client(server) as first, Client(server, mode="legacy") as second:
            assert events == ["start"]  # entered once for both connections
            one = await first.call_tool("answer", {})
            two = await second.call_tool("answer", {})
        return one["structuredContent"], two["structuredContent"]

    assert run(scenario(), loop_name) == ({"result": 42}, {"result": 42})
    assert events == ["start", "stop"]
    assert server.lifespan_state is None


def test_a_failing_lifespan_fails_the_connection_with_its_error(loop_name: str) -> None:
    @contextlib.asynccontextmanager
    async def lifespan(server: Server) -> AsyncIterator[None]:
        raise OSError("database unreachable")
        yield

    server = Server("broken-lifespan", lifespan=lifespan)

    async def scenario() -> None:
        with pytest.raises(LifespanError, match="database unreachable"):
            async with Client(server):
                pass

    run(scenario(), loop_name)


@dataclass
class Person:
    name: str
    age: int = 0


def _asking_server() -> Server:
    server = Server("asks")

    @server.tool
    async def who(ctx: Context) -> str:
        answer = await ctx.elicit("Who are you?", Person)
        if isinstance(answer, ElicitationRefused):
            return f"refused: {answer.action}"
        return f"{answer.name} is {answer.age} ({type(answer).__name__})"

    return server


@pytest.mark.parametrize("mode", ["legacy", "modern"])
def test_typed_elicitation_returns_an_instance_or_the_refusal(loop_name: str, mode: str) -> None:
    seen_schemas: list[dict[str, Any]] = []

    def elicitation_answering(action: str) -> Any:
        def answer(params: dict[str, Any]) -> dict[str, Any]:
            seen_schemas.append(params["requestedSchema"])
            if action == "accept":
                return {"action": "accept", "content": {"name": "Ada", "age": 36}}
            return {"action": action}

        return answer

    async def scenario(action: str) -> str:
        client = Client(_asking_server(), mode=mode, elicitation=elicitation_answering(action))  # type: ignore[arg-type]
        async with client:
            result = await client.call_tool("who", {})
        return str(result["content"][0]["text"])

    assert run(scenario("accept"), loop_name) == "Ada is 36 (Person)"
    assert run(scenario("decline"), loop_name) == "refused: decline"
    assert run(scenario("cancel"), loop_name) == "refused: cancel"
    assert seen_schemas[0] == {
        "type": "object",
        "properties": {"name": {"type": "string"}, "age": {"type": "integer", "default": 0}},
        "required": ["name"],
    }


def test_a_typed_elicitation_answer_that_does_not_fit_is_invalid_params(loop_name: str) -> None:
    async def scenario() -> dict[str, Any]:
        def answer(params: dict[str, Any]) -> dict[str, Any]:
            return {"action": "accept", "content": {"name": 7}}

        async with Client(_asking_server(), mode="legacy", elicitation=answer) as client:
            assert client.session is not None
            reply: dict[str, Any] = await client.session.send_request(
                "tools/call", {"name": "who", "arguments": {}}
            )
            return reply

    with pytest.raises(RpcError, match="does not fit the form") as caught:
        run(scenario(), loop_name)
    assert caught.value.code == -32602


def test_a_type_an_elicitation_form_cannot_express_is_refused_before_asking() -> None:
    from mcpcore.registry.elicitation import typed_form

    @dataclass
    class Nested:
        person: Person

    with pytest.raises(TypeError, match=r"Nested\.person"):
        typed_form(Nested)


def test_targets_other_than_a_server_url_or_command_are_refused() -> None:
    with pytest.raises(ValueError, match="http"):
        Client("calculator")
    with pytest.raises(TypeError, match="Server, an http"):
        Client(42)  # type: ignore[arg-type]


pytest_plugins = ["pytester"]


def test_the_pytest_plugin_gives_an_in_memory_client_factory(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import asyncio
        from mcpcore.examples.calculator import server

        def test_add(mcp_client):
            async def body():
                async with mcp_client(server, mode="legacy") as client:
                    return await client.call_tool("add", {"a": 40, "b": 2})
            assert asyncio.run(body())["structuredContent"] == {"result": 42}
        """
    )
    outcome = pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider")
    outcome.assert_outcomes(passed=1)
