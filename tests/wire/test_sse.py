"""SSE encoding (server) and parsing (client), fed whole and one byte at a time."""

from __future__ import annotations

import pytest

from mcpcore.wire.sse import (
    KEEPALIVE,
    Event,
    EventParser,
    EventTooLarge,
    encode_comment,
    encode_event,
    encode_message,
)


def parse_whole(data: bytes) -> list[Event]:
    return EventParser().feed(data)


def parse_bytewise(data: bytes) -> list[Event]:
    parser = EventParser()
    events: list[Event] = []
    for index in range(len(data)):
        events += parser.feed(data[index : index + 1])
    return events


PARSERS = [parse_whole, parse_bytewise]


def test_message_event_is_one_data_line() -> None:
    assert encode_message(b'{"a":1}\n') == b'event: message\ndata: {"a":1}\n\n'
    assert encode_message(b'{"a":1}') == b'event: message\ndata: {"a":1}\n\n'


def test_event_with_id_retry_and_multiline_data() -> None:
    encoded = encode_event(b"one\ntwo", event_id="s1_4", event="message", retry_ms=500)
    assert encoded == b"event: message\nid: s1_4\nretry: 500\ndata: one\ndata: two\n\n"


def test_priming_event_has_an_id_and_empty_data() -> None:
    assert encode_event(b"", event_id="p_1", retry_ms=1000) == b"id: p_1\nretry: 1000\ndata: \n\n"


@pytest.mark.parametrize("bad", ["a\nb", "a\rb"])
def test_fields_with_line_breaks_are_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="line breaks"):
        encode_event(b"x", event_id=bad)
    with pytest.raises(ValueError, match="line breaks"):
        encode_comment(bad)


def test_comments_and_keepalives() -> None:
    assert encode_comment("hi") == b": hi\n\n"
    assert parse_whole(KEEPALIVE) == []


@pytest.mark.parametrize("parse", PARSERS)
@pytest.mark.parametrize("newline", [b"\n", b"\r\n", b"\r"])
def test_round_trip_with_every_line_ending(parse: object, newline: bytes) -> None:
    stream = (
        encode_event(b"", event_id="p_1", retry_ms=700)
        + KEEPALIVE
        + encode_event(b'{"x":1}', event_id="p_2", event="message")
        + encode_event(b"a\nb")
    ).replace(b"\n", newline)
    events = parse(stream)  # type: ignore[operator]
    assert events == [
        Event("", "message", "p_1", 700),
        Event('{"x":1}', "message", "p_2", None),
        Event("a\nb", "message", "p_2", None),  # the last event id persists
    ]


def test_parser_field_rules() -> None:
    data = b"data:nospace\nretry: soon\nid: bad\x00id\nunknown: x\nevent: custom\n\n"
    (event,) = parse_whole(data)
    assert event == Event("nospace", "custom", None, None)


def test_buffer_limit() -> None:
    parser = EventParser(max_event_bytes=100)
    with pytest.raises(EventTooLarge):
        parser.feed(b"data: " + b"x" * 200)
