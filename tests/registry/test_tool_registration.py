"""ToolRegistry registration rules that need no connection."""

from __future__ import annotations

import pytest

from mcpcore.registry.tools import ToolRegistry


def cheap(a: int) -> int:
    return a


async def slow(a: int) -> int:
    return a


@pytest.mark.parametrize(
    ("fn", "options", "message"),
    [
        (cheap, {"run": "loop", "timeout": 1.0}, "inline"),
        (slow, {"timeout": 0}, "positive"),
        (slow, {"run": "thread"}, "async"),
        (cheap, {"name": "has space"}, "1-128 characters"),
        (cheap, {"name": "x" * 129}, "1-128 characters"),
        (cheap, {"input_schema": {"type": "array"}}, "type 'object'"),
        (
            cheap,
            {"input_schema": {"type": "object", "properties": {"a": {"type": 5}}}},
            "invalid inputSchema",
        ),
    ],
    ids=[
        "timeout-inline",
        "timeout-zero",
        "async-in-thread",
        "name-space",
        "name-long",
        "not-object",
        "bad-schema",
    ],
)
def test_impossible_registrations_are_refused(fn: object, options: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ToolRegistry().add(fn, **options)  # type: ignore[arg-type]


def test_duplicate_names_are_refused() -> None:
    registry = ToolRegistry()
    registry.add(cheap)
    with pytest.raises(ValueError, match="already registered"):
        registry.add(cheap)


def test_default_placement_follows_the_function_kind() -> None:
    registry = ToolRegistry()
    assert registry.add(cheap).run == "thread"
    assert registry.add(slow).run == "loop"
    assert registry.add(cheap, name="inline", run="loop").inline


def test_changes_notify_and_drop_the_list_cache() -> None:
    registry = ToolRegistry()
    changes: list[None] = []
    registry.on_change = lambda: changes.append(None)
    registry.add(cheap)
    registry.remove("cheap")
    assert len(changes) == 2
    with pytest.raises(KeyError):
        registry.remove("cheap")
