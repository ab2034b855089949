"""The stdio sink's coalescing: what leaves in one ``write`` and when.

A real pipe cannot show how many writes made its bytes, so these drive the
sink with a recording transport on a real event loop.
"""

from __future__ import annotations

import asyncio

from mcpcore.transport.stdio import CORK_LIMIT, _CorkedOutput


class _Recorder:
    """A write transport that keeps every ``write`` it gets."""

    def __init__(self) -> None:
        self.writes: list[bytes] = []

    def is_closing(self) -> bool:
        return False

    def write(self, data: bytes) -> None:
        self.writes.append(data)


async def _next_turn() -> None:
    """Let the loop run the callbacks scheduled so far (call_soon is FIFO)."""
    done = asyncio.get_running_loop().create_future()
    asyncio.get_running_loop().call_soon(done.set_result, None)
    await done


def test_a_lone_answer_is_written_at_once() -> None:
    async def scenario() -> list[bytes]:
        sink = _Recorder()
        output = _CorkedOutput(sink, asyncio.get_running_loop())
        output.in_flight = lambda: 1  # only the request answering now
        output.write(b"a\n")
        return sink.writes

    assert asyncio.run(scenario()) == [b"a\n"]


def test_answers_made_in_one_turn_while_others_are_in_flight_leave_in_one_write() -> None:
    async def scenario() -> tuple[list[bytes], list[bytes]]:
        sink = _Recorder()
        output = _CorkedOutput(sink, asyncio.get_running_loop())
        output.in_flight = lambda: 3
        for frame in (b"1\n", b"2\n", b"3\n"):
            output.write(frame)
        before = list(sink.writes)
        await _next_turn()
        return before, sink.writes

    before, after = asyncio.run(scenario())
    assert before == []
    assert after == [b"1\n2\n3\n"]  # in order, one write


def test_a_corked_chunk_and_coalesced_answers_keep_their_order() -> None:
    async def scenario() -> list[bytes]:
        sink = _Recorder()
        output = _CorkedOutput(sink, asyncio.get_running_loop())
        output.in_flight = lambda: 2
        output.write(b"task\n")  # a handler task's answer, waiting for the end of the turn
        output.corked = True  # then a chunk arrives and is answered inline
        output.write(b"inline\n")
        output.uncork()
        await _next_turn()
        return sink.writes

    assert asyncio.run(scenario()) == [b"task\ninline\n"]


def test_coalesced_bytes_past_the_cork_limit_are_written_at_once() -> None:
    """Write flow control must see big answers when they are made, not a turn later."""

    async def scenario() -> list[bytes]:
        sink = _Recorder()
        output = _CorkedOutput(sink, asyncio.get_running_loop())
        output.in_flight = lambda: 2
        big = b"x" * CORK_LIMIT + b"\n"
        output.write(big)
        return sink.writes

    assert asyncio.run(scenario()) == [b"x" * CORK_LIMIT + b"\n"]
