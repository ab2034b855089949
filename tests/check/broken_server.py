"""A deliberately broken stdio MCP server (standard library only) for testing ``mcpcore check``.

It gets most things right, and exactly these wrong:

* it drops lines it cannot parse (no -32700 for bad JSON or bad UTF-8);
* it answers notifications (with an error carrying id null);
* its ``add`` tool returns ``content`` as a string, not an array (schema-invalid);
* it logs each tool call with ``notifications/message`` without declaring ``logging``;
* it handles one request at a time, so its ``sleep`` tool blocks everything
  (no concurrency, and a cancelled sleep is answered anyway).
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any

TOOLS = [
    {
        "name": "add",
        "inputSchema": {
            "type": "object",
            "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}},
            "required": ["a", "b"],
        },
        "annotations": {"readOnlyHint": True},
    },
    {
        "name": "sleep",
        "inputSchema": {
            "type": "object",
            "properties": {"seconds": {"type": "number"}},
            "required": ["seconds"],
        },
        "annotations": {"readOnlyHint": True},
    },
]
VERSIONS = ("2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05")


def send(message: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def error(request_id: Any, code: int, message: str) -> None:
    send({"jsonrpc": "2.0", "id": request_id, "error": {"code": code, "message": message}})


def call_tool(params: dict[str, Any]) -> dict[str, Any] | None:
    name, arguments = params.get("name"), params.get("arguments") or {}
    tool = next((t for t in TOOLS if t["name"] == name), None)
    if tool is None:
        return None
    missing = [key for key in tool["inputSchema"]["required"] if key not in arguments]
    if missing:
        return {"content": [{"type": "text", "text": f"missing {missing}"}], "isError": True}
    if name == "sleep":
        time.sleep(float(arguments["seconds"]))  # blocks the only thread: the misbehaviour under test
        return {"content": [{"type": "text", "text": "slept"}]}
    return {"content": str(arguments["a"] + arguments["b"])}  # not an array: schema-invalid


def handle(message: Any, state: dict[str, Any]) -> None:
    if not isinstance(message, dict) or message.get("jsonrpc") != "2.0":
        request_id = message.get("id") if isinstance(message, dict) else None
        error(request_id if isinstance(request_id, (str, int)) else None, -32600, "Invalid request")
        return
    method, request_id, params = message.get("method"), message.get("id"), message.get("params")
    if "id" not in message:
        error(None, -32601, f"answering a notification: {method}")  # misbehaviour
        return
    if not isinstance(request_id, (str, int)) or isinstance(request_id, bool) or not isinstance(method, str):
        error(request_id if isinstance(request_id, (str, int)) else None, -32600, "Invalid request")
        return
    if params is not None and not isinstance(params, dict):
        error(request_id, -32602, "params must be an object")
        return
    params = params or {}
    if method == "initialize":
        requested = params.get("protocolVersion")
        state["version"] = requested if requested in VERSIONS else VERSIONS[0]
        send(
            {
                "jsonrpc": "2.0",
                "id": request_id,
                "result": {
                    "protocolVersion": state["version"],
                    "capabilities": {"tools": {}},
                    "serverInfo": {"name": "broken", "version": "0"},
                },
            }
        )
    elif method == "ping":
        send({"jsonrpc": "2.0", "id": request_id, "result": {}})
    elif method == "tools/list":
        if params.get("cursor") is not None:
            error(request_id, -32602, "invalid cursor")
        else:
            send({"jsonrpc": "2.0", "id": request_id, "result": {"tools": TOOLS}})
    elif method == "tools/call":
        log = {"level": "info", "logger": "broken", "data": f"calling {params.get('name')}"}
        send({"jsonrpc": "2.0", "method": "notifications/message", "params": log})  # no logging capability
        result = call_tool(params)
        if result is None:
            error(request_id, -32602, "unknown tool")
        else:
            send({"jsonrpc": "2.0", "id": request_id, "result": result})
    else:
        error(request_id, -32601, f"Method not found: {method}")


def main() -> None:
    state: dict[str, Any] = {}
    for line in sys.stdin.buffer:
        try:
            message = json.loads(line)
        except ValueError:
            continue  # misbehaviour: parse errors dropped silently
        if isinstance(message, list):
            error(None, -32600, "batches not supported")
            continue
        handle(message, state)


if __name__ == "__main__":
    main()
