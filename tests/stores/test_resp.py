"""RESP2, sans-I/O: commands encode as Redis expects, replies parse whole however the bytes are split."""

from __future__ import annotations

import contextlib
import random
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mcpcore.stores.resp import RedisReplyError, RespParser, RespProtocolError, encode_command


def test_a_command_is_an_array_of_bulk_strings() -> None:
    assert encode_command("SET", b"k\r\n", 42, 1.5, "é") == (
        b"*5\r\n$3\r\nSET\r\n$3\r\nk\r\n\r\n$2\r\n42\r\n$3\r\n1.5\r\n$2\r\n\xc3\xa9\r\n"
    )


def test_an_argument_of_another_type_is_refused() -> None:
    with pytest.raises(TypeError, match="list"):
        encode_command("SET", [1])  # type: ignore[arg-type]


#: One reply of every kind, nested, with the bytes Redis sends for it.
REPLIES: list[tuple[bytes, Any]] = [
    (b"+OK\r\n", "OK"),
    (b":-12\r\n", -12),
    (b"$5\r\nhe\r\nl\r\n", b"he\r\nl"),
    (b"$0\r\n\r\n", b""),
    (b"$-1\r\n", None),
    (b"*-1\r\n", None),
    (b"*0\r\n", []),
    (b"*3\r\n$1\r\na\r\n*2\r\n:1\r\n$-1\r\n+x\r\n", [b"a", [1, None], "x"]),
]


def _same(got: Any, want: Any) -> bool:
    if isinstance(want, RedisReplyError):
        return isinstance(got, RedisReplyError) and got.message == want.message
    if isinstance(want, list):
        return isinstance(got, list) and len(got) == len(want) and all(map(_same, got, want))
    return bool(type(got) is type(want) and got == want)


def test_an_error_reply_is_a_value_not_raised() -> None:
    [reply] = RespParser().feed(b"-NOSCRIPT No matching script\r\n")
    assert isinstance(reply, RedisReplyError) and reply.message == "NOSCRIPT No matching script"


def test_every_reply_kind_parses_split_at_every_byte() -> None:
    stream = b"".join(data for data, _ in REPLIES)
    want = [value for _, value in REPLIES]
    for cut in range(len(stream) + 1):
        parser = RespParser()
        got = parser.feed(stream[:cut]) + parser.feed(stream[cut:])
        assert _same(got, want), cut
    parser = RespParser()
    one_by_one = [reply for n in range(len(stream)) for reply in parser.feed(stream[n : n + 1])]
    assert _same(one_by_one, want)


def _encode(value: Any) -> bytes:
    """What Redis would send for ``value`` (the reference the parser is checked against)."""
    if value is None:
        return b"$-1\r\n"
    if isinstance(value, RedisReplyError):
        return b"-%s\r\n" % value.message.encode()
    if isinstance(value, str):
        return b"+%s\r\n" % value.encode()
    if isinstance(value, int):
        return b":%d\r\n" % value
    if isinstance(value, bytes):
        return b"$%d\r\n%s\r\n" % (len(value), value)
    return b"*%d\r\n" % len(value) + b"".join(_encode(item) for item in value)


_LINE = st.text(st.characters(blacklist_characters="\r\n", blacklist_categories=("Cs",)), max_size=8)
_VALUES = st.recursive(
    st.none()
    | st.integers(-(2**63), 2**63 - 1)
    | st.binary(max_size=20)
    | _LINE
    | _LINE.map(lambda text: RedisReplyError("ERR " + text)),
    lambda children: st.lists(children, max_size=5),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_VALUES, min_size=1, max_size=5), st.randoms(use_true_random=False))
def test_random_replies_parse_the_same_in_random_chunks(values: list[Any], rng: random.Random) -> None:
    stream = b"".join(_encode(value) for value in values)
    parser, got, pos = RespParser(), [], 0
    while pos < len(stream):
        step = rng.randint(1, 7)
        got += parser.feed(stream[pos : pos + step])
        pos += step
    assert _same(got, values)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=64))
def test_garbage_is_a_protocol_error_or_waits_never_anything_else(data: bytes) -> None:
    parser = RespParser(max_bulk=100, max_elements=10, max_line=32)
    with contextlib.suppress(RespProtocolError):  # anything else (IndexError, ValueError...) fails
        parser.feed(data)


@pytest.mark.parametrize(
    ("data", "match"),
    [
        (b"$65\r\n", "bulk string of 65 bytes"),
        (b"*11\r\n", "array of 11 elements"),
        (b"+" + b"x" * 40, "line longer"),
        (b"!3\r\n", "unknown RESP type"),
        (b":1x\r\n", "not a RESP integer"),
        (b"$-2\r\n", "length -2"),
        (b"$1\r\nab\r\n", "not followed by CRLF"),
        (b"*1\r\n" * 20, "nested deeper"),
    ],
)
def test_a_reply_over_a_bound_or_malformed_is_refused(data: bytes, match: str) -> None:
    parser = RespParser(max_bulk=64, max_elements=10, max_line=32)
    with pytest.raises(RespProtocolError, match=match):
        parser.feed(data)


def test_a_large_bulk_in_many_chunks_waits_without_reparsing() -> None:
    """Chunks of an unfinished bulk string are kept, and joined once the whole string is there."""
    body = bytes(range(256)) * 4096  # 1 MiB
    stream = b"$%d\r\n%s\r\n:7\r\n" % (len(body), body)
    parser = RespParser()
    got = []
    for pos in range(0, len(stream), 1000):
        got += parser.feed(stream[pos : pos + 1000])
    assert got == [body, 7]
