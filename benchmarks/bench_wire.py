"""Micro: framing (``LineFramer.feed``), whole frames, many frames per chunk, split frames, a 1 MiB frame."""

from __future__ import annotations

from benchmarks import data
from benchmarks.micro import Case, run
from mcpcore.wire.lines import LineFramer


def cases() -> list[Case]:
    call = data.tools_call()
    batch64 = call * 64
    half = len(call) // 2
    head, tail = call[:half], call[half:]
    big = data.large_read_response()
    big_chunks = [big[i : i + 65536] for i in range(0, len(big), 65536)]
    framer = LineFramer()
    big_framer = LineFramer(max_frame_bytes=4 << 20)

    def split() -> object:
        framer.feed(head)
        return framer.feed(tail)

    def large() -> object:
        out: list[object] = []
        for chunk in big_chunks:
            out += big_framer.feed(chunk)
        return out

    assert len(framer.feed(call)) == 1
    assert len(framer.feed(batch64)) == 64
    assert len(split()) == 1
    assert len(large()) == 1
    return [
        Case("feed: one tools/call frame", lambda: framer.feed(call), note=f"{len(call)} B"),
        Case("feed: 64 frames in one chunk (per frame)", lambda: framer.feed(batch64), per_call=64),
        Case("feed: a frame split in two chunks", split),
        Case("feed: 1 MiB frame in 64 KiB chunks", large, note=f"{len(big) / 2**20:.1f} MiB"),
    ]


if __name__ == "__main__":
    run("framing", cases())
