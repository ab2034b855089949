"""Micro: dispatch, ``Connection.receive_frame`` in process with a list sink (no I/O, no subprocess).

Cheap tools with ``run="loop"`` are answered inline, so one call measures
decode, lifecycle gate, method table, tool lookup, argument validation, the
tool itself and the encoded reply. The 1,000-tool server checks that
dispatch and the cached ``tools/list`` do not degrade with the registry's size.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import orjson

from benchmarks import data
from benchmarks.micro import Case, run
from mcpcore import Server
from mcpcore.examples.calculator import server as calculator
from mcpcore.router import Connection


def _many_tools(count: int = 1000) -> Server:
    server = Server("many-tools", version="1.0.0")
    for index in range(count):

        def tool(a: int, b: int) -> int:
            return a + b

        server.add_tool(tool, name=f"add{index}", description="Add two integers.", run="loop")
    return server


def _connected(server: Server) -> tuple[Connection, list[bytes]]:
    sink: list[bytes] = []

    class ListSink:
        write = sink.append

    connection = server.connect(ListSink())
    connection.receive_frame(data.initialize()[:-1])
    connection.receive_frame(data.INITIALIZED[:-1])
    sink.clear()
    return connection, sink


def _dispatch(connection: Connection, sink: list[bytes], frame: bytes) -> Callable[[], object]:
    line = frame[:-1]
    receive = connection.receive_frame
    clear = sink.clear

    def once() -> object:
        receive(line)
        clear()
        return None

    receive(line)
    assert len(sink) == 1, f"no inline answer to {line!r}"
    reply = orjson.loads(sink[0])
    assert "error" not in reply and not reply["result"].get("isError"), reply
    clear()
    return once


def cases() -> list[Case]:
    connection, sink = _connected(calculator)
    one, one_sink = _connected(_many_tools(1))
    many, many_sink = _connected(_many_tools(1000))
    return [
        Case("ping", _dispatch(connection, sink, data.ping())),
        Case("tools/call add (inline, validated)", _dispatch(connection, sink, data.tools_call())),
        Case("tools/list (calculator, cached)", _dispatch(connection, sink, data.tools_list())),
        Case("tools/call add0, server with 1 tool", _dispatch(one, one_sink, data.tools_call(tool="add0"))),
        Case(
            "tools/call add500, server with 1,000 tools",
            _dispatch(many, many_sink, data.tools_call(tool="add500")),
            note="same tool; O(1) lookup means same time",
        ),
        Case("tools/list, first page of 1,000 tools", _dispatch(many, many_sink, data.tools_list())),
    ]


async def _main() -> None:
    # Connections look up the running loop for their tasks: time them inside one.
    run("dispatch", cases())


if __name__ == "__main__":
    asyncio.run(_main())
