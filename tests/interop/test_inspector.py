"""The official MCP Inspector CLI drives the example over stdio (when `make inspector` installed it)."""

from __future__ import annotations

import json

import pytest

from tests.interop import inspector

pytestmark = pytest.mark.skipif(
    not inspector.installed(), reason="run `make inspector` to install the Inspector"
)


def test_inspector_lists_the_tools() -> None:
    completed = inspector.inspect("--method", "tools/list")
    assert completed.returncode == 0, completed.stderr
    names = [tool["name"] for tool in json.loads(completed.stdout)["tools"]]
    assert names[:3] == ["add", "sleep", "fib"]


def test_inspector_calls_add() -> None:
    completed = inspector.inspect(
        "--method", "tools/call", "--tool-name", "add", "--tool-arg", "a=2", "--tool-arg", "b=3"
    )
    assert completed.returncode == 0, completed.stderr
    result = json.loads(completed.stdout)
    assert result["content"] == [{"type": "text", "text": "5"}]
    assert result["structuredContent"] == {"result": 5}
