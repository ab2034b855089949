"""LineFramer under arbitrary bytes and arbitrary chunking.

Invariants: frames hold no newline (but perhaps a trailing one); a line over the limit is reported
exactly once as FrameTooLarge and never buffered past the limit; how the
bytes are chunked never changes the frames.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mcpcore.wire.lines import FrameTooLarge, LineFramer
from tests.fuzz._support import chunked, cuts, fuzz, interesting_bytes, one_byte_at_a_time

_JSON_WHITESPACE = b" \t\r\n"


def _expected(data: bytes, limit: int) -> list[bytes | FrameTooLarge]:
    """The model: split on LF, drop JSON-white-space lines, one marker per oversized line."""
    *lines, tail = data.split(b"\n")
    frames: list[bytes | FrameTooLarge] = []
    for line in lines:
        if len(line) > limit:
            frames.append(FrameTooLarge(limit))
        elif line.strip(_JSON_WHITESPACE):
            frames.append(line)
    if len(tail) > limit:
        frames.append(FrameTooLarge(limit))
    return frames


def _feed_all(framer: LineFramer, pieces: list[bytes]) -> list[bytes | FrameTooLarge]:
    """Feed every piece; frames come back without the LF the framer may leave on (JSON white space)."""
    frames: list[bytes | FrameTooLarge] = []
    for piece in pieces:
        for frame in framer.feed(piece):
            if type(frame) is bytes:
                assert b"\n" not in frame[:-1]
                frames.append(frame.removesuffix(b"\n"))
            else:
                frames.append(frame)
        assert framer.buffered <= framer.max_frame_bytes  # memory bound, whatever the peer sends
    return frames


# Lines of JSON white space plus other bytes: the model and the framer must agree on what is blank.
# VT and FF are left out here: see test_a_line_of_non_json_white_space_is_answered_not_dropped.
_json_text = (
    st.lists(st.one_of(interesting_bytes, st.sampled_from([b" \t\r", b"\r\n", b"\t"])), max_size=8)
    .map(b"".join)
    .map(lambda data: data.replace(b"\x0b", b"v").replace(b"\x0c", b"f"))
)


@fuzz
@given(data=_json_text, limit=st.integers(min_value=1, max_value=64), cut_at=cuts)
def test_any_chunking_yields_the_model_frames(data: bytes, limit: int, cut_at: list[int]) -> None:
    whole = _feed_all(LineFramer(limit), [data])
    assert whole == _expected(data, limit)
    assert _feed_all(LineFramer(limit), chunked(data, cut_at)) == whole
    assert _feed_all(LineFramer(limit), one_byte_at_a_time(data)) == whole


@fuzz
@given(pieces=st.lists(st.binary(max_size=300), max_size=20), limit=st.integers(min_value=1, max_value=200))
def test_frames_never_hold_a_newline_and_respect_the_limit(pieces: list[bytes], limit: int) -> None:
    framer = LineFramer(limit)
    for frame in _feed_all(framer, pieces):
        if type(frame) is bytes:
            assert b"\n" not in frame
            assert 0 < len(frame) <= limit


@fuzz
@given(size=st.integers(min_value=1, max_value=5000), step=st.integers(min_value=1, max_value=997))
def test_an_endless_line_is_reported_once_and_never_buffered(size: int, step: int) -> None:
    """A peer that never sends a newline costs at most ``max_frame_bytes`` of memory."""
    framer = LineFramer(64)
    data = b"x" * size
    frames = _feed_all(framer, [data[i : i + step] for i in range(0, size, step)])
    assert frames == ([FrameTooLarge(64)] if size > 64 else [])
    # ...and the next line after it is framed normally.
    line = data + b"tail"
    unfinished: list[bytes | FrameTooLarge] = []
    if size <= 64:
        unfinished = [line] if len(line) <= 64 else [FrameTooLarge(64)]
    assert framer.feed(b"tail\n{}\n") == [*unfinished, b"{}"]


@pytest.mark.parametrize("line", [b" \x0b", b"\t\x0c", b"\r\x0b "])
def test_a_line_of_non_json_white_space_is_answered_not_dropped(line: bytes) -> None:
    frames = LineFramer().feed(line + b"\n")
    assert [frame.rstrip(b"\n") for frame in frames] == [line]  # type: ignore[union-attr]
