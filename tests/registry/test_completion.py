"""Completion through the real router: per-argument completers, limits, references."""

from __future__ import annotations

import pytest

from mcpcore import Completion, Server
from tests.memory_peer import MemoryPeer
from tests.schema_check import check

WORDS = [f"word{i:03d}" for i in range(250)]


def make_server() -> Server:
    server = Server("complete")

    @server.prompt(
        completions={"language": lambda value: [x for x in ("python", "perl", "go") if x.startswith(value)]}
    )
    def review(code: str, language: str) -> str:
        return code

    @server.completion(prompt="review", argument="code")
    async def code(value: str, arguments: dict[str, str]) -> list[str]:
        return [f"{arguments.get('language', '?')}:{value}"]

    @server.resource(
        "words://{word}", completions={"word": lambda value: [w for w in WORDS if w.startswith(value)]}
    )
    def word(word: str) -> str:
        return word

    @server.completion(resource="words://{word}", argument="explicit")
    def explicit(value: str) -> Completion:
        return Completion(["a"], total=10, has_more=True)

    return server


@pytest.fixture
def peer() -> MemoryPeer:
    peer = MemoryPeer(make_server())
    peer.initialize()
    return peer


def complete(
    peer: MemoryPeer, ref: dict[str, str], name: str, value: str, **extra: object
) -> dict[str, object]:
    result = peer.result(
        "completion/complete", {"ref": ref, "argument": {"name": name, "value": value}, **extra}
    )
    check("2025-11-25", "CompleteResult", result)
    return result["completion"]  # type: ignore[no-any-return]


def test_prompt_argument(peer: MemoryPeer) -> None:
    ref = {"type": "ref/prompt", "name": "review"}
    assert complete(peer, ref, "language", "p") == {
        "values": ["python", "perl"],
        "total": 2,
        "hasMore": False,
    }


def test_context_arguments_reach_the_completer(peer: MemoryPeer) -> None:
    ref = {"type": "ref/prompt", "name": "review"}
    got = complete(peer, ref, "code", "x", context={"arguments": {"language": "go"}})
    assert got["values"] == ["go:x"]


def test_at_most_100_values(peer: MemoryPeer) -> None:
    got = complete(peer, {"type": "ref/resource", "uri": "words://{word}"}, "word", "word")
    assert len(got["values"]) == 100  # type: ignore[arg-type]
    assert got["total"] == 250 and got["hasMore"] is True


def test_explicit_completion(peer: MemoryPeer) -> None:
    got = complete(peer, {"type": "ref/resource", "uri": "words://{word}"}, "explicit", "")
    assert got == {"values": ["a"], "total": 10, "hasMore": True}


def test_argument_without_completer_is_empty(peer: MemoryPeer) -> None:
    got = complete(peer, {"type": "ref/resource", "uri": "words://{word}"}, "other", "")
    assert got["values"] == []


@pytest.mark.parametrize(
    "params",
    [
        {"ref": {"type": "ref/prompt", "name": "nope"}, "argument": {"name": "a", "value": ""}},
        {"ref": {"type": "ref/resource", "uri": "nope://"}, "argument": {"name": "a", "value": ""}},
        {"ref": {"type": "ref/other"}, "argument": {"name": "a", "value": ""}},
        {"ref": {"type": "ref/prompt", "name": "review"}},
        {"ref": {"type": "ref/prompt", "name": "review"}, "argument": {"name": 1, "value": ""}},
    ],
)
def test_bad_references(peer: MemoryPeer, params: dict[str, object]) -> None:
    assert peer.error("completion/complete", params)["code"] == -32602


def test_modern_completion(peer: MemoryPeer) -> None:
    params = {"ref": {"type": "ref/prompt", "name": "review"}, "argument": {"name": "language", "value": "g"}}
    result = peer.result("completion/complete", MemoryPeer.modern(params))
    check("2026-07-28", "CompleteResult", result)


def test_capability_only_with_a_completer() -> None:
    server = Server("x")
    assert "completions" not in server.capabilities
    peer = MemoryPeer(server)
    peer.initialize()
    assert peer.error("completion/complete", {})["code"] == -32601
    server.add_prompt(lambda a: a, name="p")
    server.add_completion(lambda value: [], prompt="p", argument="a")
    assert server.capabilities["completions"] == {}
    with pytest.raises(ValueError):
        server.add_completion(lambda value: [], prompt="p", argument="a")
