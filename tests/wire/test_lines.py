"""LineFramer: fed whole, in arbitrary pieces and one byte at a time, it must yield the same frames."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mcpcore.wire.lines import FrameTooLarge, LineFramer


def feed_all(framer: LineFramer, chunks: list[bytes]) -> list[bytes | FrameTooLarge]:
    frames: list[bytes | FrameTooLarge] = []
    for chunk in chunks:
        frames.extend(framer.feed(chunk))
    return frames


def normalise(frames: list[bytes | FrameTooLarge]) -> list[bytes | FrameTooLarge]:
    """Frames may keep their line terminator; compare them without it."""
    return [f.rstrip(b"\r\n") if isinstance(f, bytes) else f for f in frames]


def bytewise(data: bytes) -> list[bytes]:
    return [data[i : i + 1] for i in range(len(data))]


CASES = [
    pytest.param(b'{"a":1}\n', [b'{"a":1}'], id="one-line"),
    pytest.param(b'{"a":1}\n{"b":2}\n', [b'{"a":1}', b'{"b":2}'], id="two-lines-one-chunk"),
    pytest.param(b'{"a":1}\r\n{"b":2}\r\n', [b'{"a":1}', b'{"b":2}'], id="crlf"),
    pytest.param(b'\n\r\n  \n{"a":1}\n\n', [b'{"a":1}'], id="blank-lines-ignored"),
    pytest.param(b'{"a":1}\n{"b"', [b'{"a":1}'], id="partial-tail-held"),
    pytest.param(b"", [], id="empty"),
    pytest.param(b'{"s":"caf\xc3\xa9"}\n', [b'{"s":"caf\xc3\xa9"}'], id="utf8-passes-through"),
]


@pytest.mark.parametrize(("data", "expected"), CASES)
def test_frames_are_the_same_whole_and_one_byte_at_a_time(data: bytes, expected: list[bytes]) -> None:
    assert normalise(LineFramer().feed(data)) == expected
    assert normalise(feed_all(LineFramer(), bytewise(data))) == expected


def test_partial_line_completes_on_a_later_chunk() -> None:
    framer = LineFramer()
    assert framer.feed(b'{"method":') == []
    assert framer.buffered == len(b'{"method":')
    assert normalise(framer.feed(b'"ping"}\n{"x"')) == [b'{"method":"ping"}']
    assert normalise(framer.feed(b":1}\n")) == [b'{"x":1}']
    assert framer.buffered == 0


@pytest.mark.parametrize("pieces", [1, 2, 7, 1000])
def test_over_long_line_is_reported_once_and_the_stream_recovers(pieces: int) -> None:
    framer = LineFramer(max_frame_bytes=10)
    data = b"x" * 50 + b"\n" + b'{"ok":1}\n'
    size = max(1, len(data) // pieces)
    frames = normalise(feed_all(framer, [data[i : i + size] for i in range(0, len(data), size)]))
    assert frames == [FrameTooLarge(10), b'{"ok":1}']
    assert framer.buffered == 0


def test_over_long_partial_line_is_not_buffered() -> None:
    framer = LineFramer(max_frame_bytes=100)
    frames = feed_all(framer, [b"y" * 60, b"y" * 60, b"y" * 1000])
    assert frames == [FrameTooLarge(100)]
    assert framer.buffered == 0  # memory stays bounded while the line keeps coming
    assert normalise(framer.feed(b'yyy\n{"a":1}\n')) == [b'{"a":1}']


def test_line_exactly_at_the_limit_is_accepted() -> None:
    assert normalise(LineFramer(max_frame_bytes=8).feed(b'{"a":12}\n')) == [b'{"a":12}']
    assert LineFramer(max_frame_bytes=7).feed(b'{"a":12}\n') == [FrameTooLarge(7)]


def test_limit_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        LineFramer(max_frame_bytes=0)


@settings(max_examples=200, deadline=None)
@given(
    lines=st.lists(
        st.binary(min_size=1, max_size=40).filter(lambda b: b"\n" not in b and b.strip()), max_size=8
    ),
    cuts=st.lists(st.integers(min_value=0, max_value=400), max_size=10),
)
def test_any_chunking_yields_the_same_frames(lines: list[bytes], cuts: list[int]) -> None:
    data = b"".join(line + b"\n" for line in lines)
    points = sorted({c % (len(data) + 1) for c in cuts})
    chunks = [data[a:b] for a, b in zip([0, *points], [*points, len(data)], strict=True)]
    expected = [line.rstrip(b"\r") for line in lines if line.strip()]
    assert [f.rstrip(b"\r") for f in normalise(feed_all(LineFramer(), chunks))] == expected  # type: ignore[union-attr]
