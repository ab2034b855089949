"""The SSE EventParser under arbitrary bytes and chunking; encode/parse round trips.

Invariants: any bytes yield Events or EventTooLarge (never another
exception); the buffer never outgrows the limit; the events do not depend on
where the stream was cut; whatever encode_event/encode_message produce parses
back to the same event.
"""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from mcpcore.wire.sse import Event, EventParser, EventTooLarge, encode_event, encode_message
from tests.fuzz._support import chunked, cuts, fuzz, interesting_bytes, one_byte_at_a_time

_sse_text = st.lists(
    st.one_of(
        interesting_bytes,
        st.sampled_from(
            [
                b"data: x\n",
                b"data:y\r\n",
                b"id: 7\n",
                b"id: a\x00b\n",
                b"event: e\n",
                b"retry: 10\n",
                b"retry: x\n",
                b": c\n",
                b"\n",
                b"\r",
                b"\r\n",
                b"data\n",
                b"\xe2\x82",
            ]
        ),
    ),
    max_size=20,
).map(b"".join)


def _parse(pieces: list[bytes], limit: int = 1 << 20) -> tuple[list[Event], str | None]:
    parser = EventParser(max_event_bytes=limit)
    events: list[Event] = []
    for piece in pieces:
        events.extend(parser.feed(piece))
        assert len(parser._buffer) <= limit  # whatever the stream, memory stays under the limit
    return events, parser.last_event_id


@fuzz
@given(data=_sse_text, cut_at=cuts)
def test_events_do_not_depend_on_where_the_stream_is_cut(data: bytes, cut_at: list[int]) -> None:
    whole = _parse([data])
    pieces = [piece for piece in chunked(data, cut_at) if piece]  # empty chunks: see the xfail below
    assert _parse(pieces) == whole
    assert _parse(one_byte_at_a_time(data)) == whole


@fuzz
@given(pieces=st.lists(st.binary(max_size=64), max_size=30), limit=st.integers(min_value=1, max_value=128))
def test_any_bytes_yield_events_or_event_too_large(pieces: list[bytes], limit: int) -> None:
    parser = EventParser(max_event_bytes=limit)
    for piece in pieces:
        try:
            events = parser.feed(piece)
        except EventTooLarge:
            return  # the caller drops the stream: nothing more to check
        assert all(type(event) is Event for event in events)
        assert len(parser._buffer) <= limit


_field = st.text(max_size=12).filter(lambda t: "\n" not in t and "\r" not in t)


@fuzz
@given(
    data=st.text(max_size=40),
    event_id=st.one_of(st.none(), _field.filter(lambda t: "\x00" not in t)),
    event=st.one_of(st.none(), _field.filter(lambda t: t != "")),
    retry=st.one_of(st.none(), st.integers(min_value=0, max_value=10**9)),
)
def test_encoded_events_parse_back(
    data: str, event_id: str | None, event: str | None, retry: int | None
) -> None:
    wire = encode_event(data.encode(), event_id=event_id, event=event, retry_ms=retry)
    events, last_id = _parse(one_byte_at_a_time(wire))
    normalized = data.removesuffix("\n").replace("\r\n", "\n").replace("\r", "\n")
    assert events == [Event(normalized, event or "message", event_id, retry)]
    assert last_id == event_id


@fuzz
@given(frame=st.binary(max_size=80).filter(lambda b: b"\n" not in b[:-1] and b"\r" not in b))
def test_a_json_rpc_frame_travels_as_one_message_event(frame: bytes) -> None:
    events, _ = _parse([encode_message(frame) * 2])
    text = frame.removesuffix(b"\n").decode("utf-8", "replace")
    assert events == [Event(text, "message"), Event(text, "message")]


def test_an_empty_chunk_between_cr_and_lf_changes_nothing() -> None:
    parser = EventParser()
    events = parser.feed(b"data: a\r") + parser.feed(b"") + parser.feed(b"\ndata: b\n\n")
    assert events == [Event("a\nb")]
