"""Deterministic messages for the micro benchmarks: a ping, a typical ``tools/call``, a large read.

Everything is built from fixed values (no randomness, no clock), so two runs
feed the layers byte-identical input.
"""

from __future__ import annotations

from typing import Any

import orjson

VERSION = "2025-11-25"
ADD_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}},
    "required": ["a", "b"],
}


def frame(message: dict[str, Any]) -> bytes:
    """One newline-terminated frame."""
    return orjson.dumps(message, option=orjson.OPT_APPEND_NEWLINE)


def initialize(request_id: int = 0) -> bytes:
    return frame(
        {
            "jsonrpc": "2.0",
            "id": request_id,
            "method": "initialize",
            "params": {
                "protocolVersion": VERSION,
                "capabilities": {},
                "clientInfo": {"name": "bench", "version": "1"},
            },
        }
    )


INITIALIZED = frame({"jsonrpc": "2.0", "method": "notifications/initialized"})


def ping(request_id: int = 1) -> bytes:
    return frame({"jsonrpc": "2.0", "id": request_id, "method": "ping"})


def tools_call(request_id: int = 7, a: int = 2, b: int = 3, tool: str = "add") -> bytes:
    """A typical ``tools/call`` (about 100 bytes)."""
    return frame(
        {
            "jsonrpc": "2.0",
            "id": request_id,
            "method": "tools/call",
            "params": {"name": tool, "arguments": {"a": a, "b": b}},
        }
    )


def tools_list(request_id: int = 3) -> bytes:
    return frame({"jsonrpc": "2.0", "id": request_id, "method": "tools/list"})


def call_result(text: str = "5") -> dict[str, Any]:
    """A ``CallToolResult`` like the calculator's."""
    return {"content": [{"type": "text", "text": text}], "isError": False}


def large_read_result(size: int = 1 << 20) -> dict[str, Any]:
    """A ``resources/read`` result carrying ``size`` bytes of text (deterministic content)."""
    line = "".join(chr(ord("a") + i % 26) for i in range(63)) + "\n"
    text = (line * (size // len(line) + 1))[:size]
    return {"contents": [{"uri": "file:///big.txt", "mimeType": "text/plain", "text": text}]}


def large_read_response(request_id: int = 9, size: int = 1 << 20) -> bytes:
    """A large ``resources/read`` response frame (what a client's framer sees)."""
    return frame({"jsonrpc": "2.0", "id": request_id, "result": large_read_result(size)})


#: Built once at import: the micro benchmarks decode it repeatedly.
LARGE_FRAME = large_read_response()
