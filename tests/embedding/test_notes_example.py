"""The notes example, tested the way its README tells users to test theirs: in process, ``Client(server)``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mcpcore import Client
from mcpcore.examples.notes import server
from mcpcore.loop import run as run_loop


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    path = tmp_path / "notes.db"
    monkeypatch.setenv("NOTES_DB", str(path))
    yield path


def test_notes_are_saved_searched_and_read(database: Path, loop_name: str) -> None:
    async def scenario() -> dict[str, Any]:
        async with Client(server) as client:
            first = await client.call_tool("add_note", {"title": "groceries", "body": "eggs and flour"})
            await client.call_tool("add_note", {"title": "ideas", "body": "a faster MCP engine"})
            found = await client.call_tool("search_notes", {"query": "flour"})
            note_id = first["structuredContent"]["result"]
            body = await client.read_resource(f"notes://{note_id}")
            words = await client.call_tool("text_word_count", {"body": "one two three"})
            return {"found": found["structuredContent"], "body": body["contents"][0]["text"], "words": words}

    seen = run_loop(scenario(), loop=loop_name)  # type: ignore[arg-type]
    assert seen["found"] == {"result": [{"id": 1, "title": "groceries"}]}
    assert seen["body"] == "eggs and flour"
    assert seen["words"]["structuredContent"] == {"result": 3}
    assert database.exists()  # the lifespan opened the file


def test_the_database_outlives_one_connection_but_not_the_lifespan(database: Path, loop_name: str) -> None:
    async def add_then_search() -> Any:
        async with Client(server, mode="legacy") as client:
            await client.call_tool("add_note", {"title": "kept", "body": "across connections"})
        async with Client(server, mode="legacy") as client:
            return (await client.call_tool("search_notes", {"query": "kept"}))["structuredContent"]

    assert run_loop(add_then_search(), loop=loop_name) == {"result": [{"id": 1, "title": "kept"}]}  # type: ignore[arg-type]
    assert server.lifespan_state is None  # closed when the last connection ended


def test_a_missing_note_and_an_empty_title_are_errors_the_client_can_read(
    database: Path, loop_name: str
) -> None:
    async def scenario() -> tuple[Any, Any]:
        async with Client(server) as client:
            empty = await client.call_tool("add_note", {"title": " ", "body": "x"})
            try:
                await client.read_resource("notes://999")
            except Exception as exc:
                return empty, exc
        raise AssertionError("reading a missing note succeeded")

    empty, missing = run_loop(scenario(), loop=loop_name)  # type: ignore[arg-type]
    assert empty["isError"] is True and "a note needs a title" in empty["content"][0]["text"]
    assert "notes://999" in str(missing)
