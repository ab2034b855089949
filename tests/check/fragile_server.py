"""A deliberately fragile stdio MCP server (standard library only) for testing ``mcpcore check --fuzz``.

It answers every request exactly once with a schema-valid message and never
answers a notification, except for one bug: it looks the ``requestId`` of
``notifications/cancelled`` up in a dict as it arrives, so an unhashable one
(``[1]``, ``{}``) raises ``TypeError`` and the process dies. That is the bug
class the fuzzer exists to find, and the one mcpcore itself had.
"""

from __future__ import annotations

import json
import sys
from typing import Any

VERSIONS = ("2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05")


def send(message: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def error(request_id: Any, code: int, message: str) -> None:
    send({"jsonrpc": "2.0", "id": request_id, "error": {"code": code, "message": message}})


def handle(message: Any, in_flight: dict[Any, str]) -> None:
    if not isinstance(message, dict):
        error(None, -32600, "Invalid request")
        return
    method, params = message.get("method"), message.get("params")
    if "id" not in message:
        if method == "notifications/cancelled" and isinstance(params, dict):
            in_flight.get(params.get("requestId"))  # the bug: an unhashable requestId raises TypeError
        return  # notifications are never answered
    request_id = message["id"]
    if type(request_id) not in (str, int) or message.get("jsonrpc") != "2.0" or not isinstance(method, str):
        error(request_id if type(request_id) in (str, int) else None, -32600, "Invalid request")
        return
    if params is not None and not isinstance(params, dict):
        error(request_id, -32602, "params must be an object")
    elif method == "initialize":
        requested = (params or {}).get("protocolVersion")
        version = requested if isinstance(requested, str) and requested in VERSIONS else VERSIONS[0]
        result = {
            "protocolVersion": version,
            "capabilities": {"tools": {}},
            "serverInfo": {"name": "fragile", "version": "0"},
        }
        send({"jsonrpc": "2.0", "id": request_id, "result": result})
    elif method == "ping":
        send({"jsonrpc": "2.0", "id": request_id, "result": {}})
    elif method == "tools/list":
        send({"jsonrpc": "2.0", "id": request_id, "result": {"tools": []}})
    else:
        error(request_id, -32601, "Method not found")


def main() -> None:
    in_flight: dict[Any, str] = {}
    for line in sys.stdin.buffer:
        try:
            message = json.loads(line)
        except (ValueError, RecursionError):
            error(None, -32700, "Parse error")
            continue
        handle(message, in_flight)


if __name__ == "__main__":
    main()
