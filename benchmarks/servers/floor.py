"""The floor: a bare uvloop + orjson line responder with no MCP logic at all.

It answers ``initialize`` with a fixed result and ``tools/call`` with the sum
of ``a`` and ``b``, without validation, lifecycle or error handling. Nothing
that speaks MCP correctly can be faster; the suite reports every server's
figures as ratios to this one.
"""

from __future__ import annotations

import asyncio
import os
import sys

import orjson

try:
    import uvloop
except ImportError:  # pragma: no cover - the floor is measured on uvloop where it exists
    uvloop = None  # type: ignore[assignment]

_INIT = {
    "protocolVersion": "2025-11-25",
    "capabilities": {"tools": {}},
    "serverInfo": {"name": "floor", "version": "0"},
}


class Responder(asyncio.Protocol):
    def __init__(self, out: asyncio.WriteTransport) -> None:
        self.out = out
        self.buffer = b""

    def data_received(self, data: bytes) -> None:
        lines = (self.buffer + data).split(b"\n")
        self.buffer = lines.pop()
        for line in lines:
            if not line.strip():
                continue
            msg = orjson.loads(line)
            if "id" not in msg:
                continue
            method = msg["method"]
            if method == "tools/call":
                args = msg["params"]["arguments"]
                result: object = {"content": [{"type": "text", "text": str(args["a"] + args["b"])}]}
            elif method == "initialize":
                result = _INIT
            else:
                result = {}
            self.out.write(
                orjson.dumps(
                    {"jsonrpc": "2.0", "id": msg["id"], "result": result}, option=orjson.OPT_APPEND_NEWLINE
                )
            )

    def eof_received(self) -> None:
        asyncio.get_running_loop().stop()


async def main() -> None:
    loop = asyncio.get_running_loop()
    out, _ = await loop.connect_write_pipe(
        asyncio.Protocol, os.fdopen(sys.stdout.fileno(), "wb", 0, closefd=False)
    )
    done = loop.create_future()

    class Reader(Responder):
        def connection_lost(self, exc: Exception | None) -> None:
            done.set_result(None)

        def eof_received(self) -> None:
            return None

    await loop.connect_read_pipe(lambda: Reader(out), os.fdopen(sys.stdin.fileno(), "rb", 0, closefd=False))
    await done


if __name__ == "__main__":
    if uvloop is not None:
        uvloop.run(main())
    else:
        asyncio.run(main())
