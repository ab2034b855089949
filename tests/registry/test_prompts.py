"""Prompts through the real router, in memory: derived arguments, results, errors."""

from __future__ import annotations

from typing import Any

import pytest

from mcpcore import Context, Server, assistant_message, image, user_message
from tests.memory_peer import MemoryPeer
from tests.schema_check import check


def make_server() -> Server:
    server = Server("prompts")

    @server.prompt(title="Code review", run="loop")
    def review(code: str, language: str = "python") -> list[Any]:
        """Review some code.

        Args:
            code: The code to review.
            language: Its language.
        """
        return [f"Review this {language}:", assistant_message("Sure."), user_message(code)]

    @server.prompt(description="Pictures", run="loop")
    def picture() -> Any:
        return image(b"\x89PNG", "image/png")

    @server.prompt()
    async def whole(ctx: Context) -> dict[str, Any]:
        return {"description": f"for {ctx.protocol_version}", "messages": [{"role": "user", "content": "hi"}]}

    @server.prompt(run="thread")
    def broken() -> int:
        return 42

    return server


@pytest.fixture
def peer() -> MemoryPeer:
    peer = MemoryPeer(make_server())
    peer.initialize()
    return peer


def test_arguments_come_from_the_signature(peer: MemoryPeer) -> None:
    listed = peer.result("prompts/list")
    check("2025-11-25", "ListPromptsResult", listed)
    review = listed["prompts"][0]
    assert review == {
        "name": "review",
        "title": "Code review",
        "description": "Review some code.",
        "arguments": [
            {"name": "code", "description": "The code to review.", "required": True},
            {"name": "language", "description": "Its language.", "required": False},
        ],
    }
    assert "ctx" not in str(listed["prompts"][2])


def test_get_builds_messages(peer: MemoryPeer) -> None:
    result = peer.result("prompts/get", {"name": "review", "arguments": {"code": "x = 1"}})
    check("2025-11-25", "GetPromptResult", result)
    assert result["messages"] == [
        {"role": "user", "content": {"type": "text", "text": "Review this python:"}},
        {"role": "assistant", "content": {"type": "text", "text": "Sure."}},
        {"role": "user", "content": {"type": "text", "text": "x = 1"}},
    ]
    assert result["description"] == "Review some code."
    assert peer.result("prompts/get", {"name": "picture"})["messages"][0]["content"]["type"] == "image"
    whole = peer.result("prompts/get", {"name": "whole"})
    assert whole["description"] == "for 2025-11-25"
    assert whole["messages"][0]["content"] == {"type": "text", "text": "hi"}


@pytest.mark.parametrize(
    "params",
    [
        {"name": "nope"},
        {"name": 3},
        {"name": "review"},
        {"name": "review", "arguments": {"language": "go"}},
        {"name": "review", "arguments": ["x"]},
    ],
)
def test_bad_requests_are_invalid_params(peer: MemoryPeer, params: dict[str, Any]) -> None:
    assert peer.error("prompts/get", params)["code"] == -32602


def test_a_bad_return_value_is_an_internal_error(peer: MemoryPeer) -> None:
    assert peer.error("prompts/get", {"name": "broken"}) == {"code": -32603, "message": "Internal error"}


def test_modern_results(peer: MemoryPeer) -> None:
    listed = peer.result("prompts/list", MemoryPeer.modern())
    check("2026-07-28", "ListPromptsResult", listed)
    got = peer.result("prompts/get", MemoryPeer.modern({"name": "review", "arguments": {"code": "c"}}))
    check("2026-07-28", "GetPromptResult", got)
    assert got["resultType"] == "complete"


def test_old_versions_drop_titles() -> None:
    peer = MemoryPeer(make_server())
    peer.initialize("2025-03-26")
    assert "title" not in peer.result("prompts/list")["prompts"][0]


def test_registration_errors() -> None:
    server = make_server()
    with pytest.raises(ValueError, match="already registered"):
        server.add_prompt(lambda: "x", name="review")
    with pytest.raises(ValueError, match="name"):
        server.add_prompt(lambda: "x", name="has space")
