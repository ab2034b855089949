"""Micro: messages (``jsonrpc.decode``, ``classify``, ``encode_result``), with plain orjson as the floor."""

from __future__ import annotations

import orjson

from benchmarks import data
from benchmarks.micro import Case, run
from mcpcore import jsonrpc


def cases() -> list[Case]:
    call = data.tools_call()
    line = call[:-1]
    message = jsonrpc.decode(line)
    result = data.call_result()
    big = data.large_read_result()
    assert jsonrpc.classify(message) == jsonrpc.REQUEST
    assert orjson.loads(jsonrpc.encode_result(7, result)) == {"jsonrpc": "2.0", "id": 7, "result": result}
    return [
        Case("orjson.loads: tools/call (floor)", lambda: orjson.loads(line), note=f"{len(line)} B"),
        Case("decode: tools/call", lambda: jsonrpc.decode(line)),
        Case("classify: tools/call", lambda: jsonrpc.classify(message)),
        Case("decode + classify: tools/call", lambda: jsonrpc.classify(jsonrpc.decode(line))),
        Case("encode_result: CallToolResult", lambda: jsonrpc.encode_result(7, result)),
        Case("encode_result: 1 MiB resources/read", lambda: jsonrpc.encode_result(9, big), note="1 MiB text"),
        Case("decode: 1 MiB resources/read response", lambda: jsonrpc.decode(data.LARGE_FRAME)),
    ]


if __name__ == "__main__":
    run("messages", cases())
