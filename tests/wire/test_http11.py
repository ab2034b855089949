"""HTTP/1.1 request framing: table-driven, fed whole and one byte at a time, malformed input included."""

from __future__ import annotations

import pytest

from mcpcore.wire.http11 import BadRequest, ExpectContinue, Request, RequestParser, response_head, status_line


def feed_whole(data: bytes, **limits: int) -> list[object]:
    return list(RequestParser(**limits).feed(data))


def feed_bytewise(data: bytes, **limits: int) -> list[object]:
    parser = RequestParser(**limits)
    events: list[object] = []
    for index in range(len(data)):
        events += parser.feed(data[index : index + 1])
    return events


FEEDERS = [feed_whole, feed_bytewise]

POST = (
    b"POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:8000\r\nContent-Type: application/json\r\n"
    b"Content-Length: 13\r\n\r\n"
    b'{"jsonrpc":1}'
)


@pytest.mark.parametrize("feed", FEEDERS)
def test_content_length_body_is_framed(feed: object) -> None:
    (event,) = feed(POST)  # type: ignore[operator]
    assert isinstance(event, Request)
    assert (event.method, event.target, event.http_version) == ("POST", "/mcp", "1.1")
    assert event.headers["content-type"] == "application/json"
    assert event.headers["host"] == "127.0.0.1:8000"
    assert event.body == b'{"jsonrpc":1}'
    assert event.keep_alive


@pytest.mark.parametrize("feed", FEEDERS)
def test_chunked_body_is_reassembled_with_extensions_and_trailers(feed: object) -> None:
    data = (
        b"POST /mcp HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: yes\r\n\r\n"
    )
    (event,) = feed(data)  # type: ignore[operator]
    assert isinstance(event, Request)
    assert event.body == b"hello world"


@pytest.mark.parametrize("feed", FEEDERS)
def test_pipelined_requests_come_out_in_order(feed: object) -> None:
    get = b"GET /mcp?x=1 HTTP/1.1\r\nHost: x\r\n\r\n"
    events = feed(POST + get + POST)  # type: ignore[operator]
    assert [type(event) for event in events] == [Request, Request, Request]
    assert [event.method for event in events] == ["POST", "GET", "POST"]  # type: ignore[attr-defined]
    assert events[1].path == "/mcp"  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("head", "keep_alive"),
    [
        (b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", True),
        (b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", False),
        (b"GET / HTTP/1.0\r\n\r\n", False),
        (b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", True),
    ],
)
def test_keep_alive_follows_version_and_connection_header(head: bytes, keep_alive: bool) -> None:
    (event,) = feed_whole(head)
    assert isinstance(event, Request)
    assert event.keep_alive is keep_alive


def test_repeated_headers_are_joined_and_values_trimmed() -> None:
    (event,) = feed_whole(b"GET / HTTP/1.1\r\nHost: x\r\nAccept:  a/b \r\naccept:\tc/d\r\n\r\n")
    assert isinstance(event, Request)
    assert event.headers["accept"] == "a/b, c/d"


@pytest.mark.parametrize(
    ("framing", "body"),
    [(b"Content-Length: 2", b"{}"), (b"Transfer-Encoding: chunked", b"2\r\n{}\r\n0\r\n\r\n")],
)
def test_expect_continue_is_reported_before_the_body(framing: bytes, body: bytes) -> None:
    parser = RequestParser()
    head = b"POST /mcp HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n" + framing + b"\r\n\r\n"
    assert parser.feed(head) == [ExpectContinue()]
    (event,) = parser.feed(body)
    assert isinstance(event, Request)
    assert event.body == b"{}"


@pytest.mark.parametrize("feed", FEEDERS)
def test_expect_continue_is_not_reported_when_the_body_came_with_the_head(feed: object) -> None:
    data = b"POST /mcp HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n{}"
    events = feed(data)  # type: ignore[operator]
    assert [type(event) for event in events] == (
        [Request] if feed is feed_whole else [ExpectContinue, Request]
    )


def test_non_ascii_digits_are_not_a_content_length() -> None:
    (event,) = feed_whole(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: \xb2\r\n\r\n")
    assert event == BadRequest(400, "malformed Content-Length")


MALFORMED = [
    (
        "both framings",
        b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n",
        400,
    ),
    (
        "conflicting lengths",
        b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n",
        400,
    ),
    ("list of lengths", b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2, 3\r\n\r\n", 400),
    ("negative length", b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n", 400),
    ("hex length", b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0x10\r\n\r\n", 400),
    ("gzip coding", b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501),
    ("bad chunk size", b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400),
    ("chunk without CRLF", b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabXY", 400),
    ("space before colon", b"GET / HTTP/1.1\r\nHost : x\r\n\r\n", 400),
    ("obs-fold", b"GET / HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n  continued\r\n\r\n", 400),
    ("no colon", b"GET / HTTP/1.1\r\nHost: x\r\nnonsense\r\n\r\n", 400),
    ("bare LF inside value", b"GET / HTTP/1.1\r\nHost: x\r\nX: a\nb\r\n\r\n", 400),
    ("missing host", b"GET / HTTP/1.1\r\n\r\n", 400),
    ("two hosts", b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400),
    ("bad request line", b"GET /\r\nHost: x\r\n\r\n", 400),
    ("unknown version", b"GET / HTTP/2.0\r\nHost: x\r\n\r\n", 505),
    ("not http", b"GET / FTP/1.1\r\nHost: x\r\n\r\n", 400),
    ("control char in target", b"GET /\x01 HTTP/1.1\r\nHost: x\r\n\r\n", 400),
]


@pytest.mark.parametrize("feed", FEEDERS)
@pytest.mark.parametrize(("name", "data", "status"), MALFORMED, ids=[case[0] for case in MALFORMED])
def test_malformed_requests_get_one_error_and_the_parser_stops(
    feed: object, name: str, data: bytes, status: int
) -> None:
    events = feed(data + POST)  # type: ignore[operator]
    assert len(events) == 1, name
    assert isinstance(events[0], BadRequest)
    assert events[0].status == status


def test_head_over_the_limit_is_431_even_without_a_terminator() -> None:
    parser = RequestParser(max_head_bytes=256)
    events = parser.feed(b"GET / HTTP/1.1\r\nHost: x\r\nX-Long: " + b"a" * 300)
    assert events == [BadRequest(431, "request head too large")]
    assert parser.dead
    assert parser.feed(POST) == []


def test_too_many_header_lines_is_431() -> None:
    head = b"GET / HTTP/1.1\r\nHost: x\r\n" + b"".join(b"X-%d: 1\r\n" % i for i in range(10)) + b"\r\n"
    (event,) = feed_whole(head, max_headers=5)
    assert isinstance(event, BadRequest)
    assert event.status == 431


@pytest.mark.parametrize("feed", FEEDERS)
def test_body_over_the_limit_is_413_for_both_framings(feed: object) -> None:
    sized = b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 101\r\n\r\n"
    chunk = b"40\r\n" + b"a" * 64 + b"\r\n"
    chunked = b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" + chunk + chunk
    for data in (sized, chunked):
        (event,) = feed(data, max_body_bytes=100)  # type: ignore[operator]
        assert isinstance(event, BadRequest)
        assert event.status == 413


def test_partial_request_is_not_idle() -> None:
    parser = RequestParser()
    assert parser.idle
    parser.feed(POST[:20])
    assert not parser.idle
    parser.feed(POST[20:])
    assert parser.idle


def test_limits_are_validated() -> None:
    with pytest.raises(ValueError, match="positive"):
        RequestParser(max_head_bytes=10)


def test_response_head_and_status_lines() -> None:
    assert status_line(404) == b"HTTP/1.1 404 Not Found\r\n"
    assert status_line(299) == b"HTTP/1.1 299 Unknown\r\n"
    head = response_head(200, [(b"content-type", b"application/json")])
    assert head == b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\r\n"


def test_arbitrary_bytes_never_raise() -> None:
    """Fuzz invariant: any input yields requests or one BadRequest, never an exception."""
    import random

    rng = random.Random(4)
    alphabet = [
        b"\r\n",
        b"\r",
        b"\n",
        b":",
        b" ",
        b"GET",
        b"POST",
        b"HTTP/1.1",
        b"0",
        b"a",
        b"Content-Length: 3",
    ]
    alphabet += [b"Transfer-Encoding: chunked", b"Host: x", b"\x00", b"\xff", b";"]
    for _ in range(2000):
        data = b"".join(rng.choice(alphabet) for _ in range(rng.randint(1, 40)))
        events = RequestParser(max_head_bytes=512).feed(data)
        bad = [event for event in events if isinstance(event, BadRequest)]
        assert len(bad) <= 1
        assert all(isinstance(event, (Request, BadRequest, ExpectContinue)) for event in events)


def _post(body: bytes, *, length: bytes | None = None, extra: bytes = b"") -> bytes:
    size = str(len(body)).encode() if length is None else length
    return b"POST /mcp HTTP/1.1\r\nHost: x\r\n" + extra + b"Content-Length: " + size + b"\r\n\r\n" + body


@pytest.mark.parametrize("feed", FEEDERS)
def test_a_repeated_head_is_parsed_like_a_new_one(feed: object) -> None:
    """Keep-alive clients repeat their head; the parser's shortcut for that must not change a thing."""
    bodies = [b"{}", b'{"a":1}', b'{"b":22}', b"[]"]
    data = b"".join(_post(body) for body in bodies)
    data += _post(b"{}", extra=b"Accept: x\r\n")  # a different head after the repeats
    data += _post(b'{"c":3}', extra=b"Accept: x\r\n")
    events = feed(data)  # type: ignore[operator]
    assert [event.body for event in events] == [*bodies, b"{}", b'{"c":3}']  # type: ignore[attr-defined]
    assert [event.headers["content-length"] for event in events] == ["2", "7", "8", "2", "2", "7"]  # type: ignore[attr-defined]
    assert "accept" not in events[3].headers  # type: ignore[attr-defined]
    assert events[5].headers["accept"] == "x"  # type: ignore[attr-defined]
    assert events[0].headers is not events[1].headers  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("length", "extra"),
    [
        (b"1x", b""),
        (b"-1", b""),
        (b"\xb2", b""),
        (b"2, 3", b""),
        (b"2", b"Content-Length: 3\r\n"),
        (b"2", b"Transfer-Encoding: chunked\r\n"),
    ],
)
def test_a_repeated_head_with_a_bad_length_is_still_refused(length: bytes, extra: bytes) -> None:
    parser = RequestParser()
    (first,) = parser.feed(_post(b"{}"))
    assert isinstance(first, Request)
    events = parser.feed(_post(b"{}", length=length, extra=extra))
    assert [type(event) for event in events] == [BadRequest]


def test_a_head_differing_from_the_last_beyond_its_length_digits_is_parsed_in_full() -> None:
    """The shortcut takes only a run of digits between the last head's bytes: anything else parses."""
    middle = b"POST /mcp HTTP/1.1\r\nHost: x\r\nContent-Length: %s\r\nAccept: y\r\n\r\n"
    parser = RequestParser()
    (first,) = parser.feed(middle % b"2" + b"{}")
    (longer,) = parser.feed(middle % b"10" + b"0123456789")
    assert isinstance(first, Request) and isinstance(longer, Request)
    assert longer.body == b"0123456789" and longer.headers["content-length"] == "10"
    assert longer.headers["accept"] == "y"
    (smuggled,) = parser.feed(middle % b"2\r\nX-Extra: 1" + b"{}")
    assert isinstance(smuggled, Request)
    assert smuggled.headers["x-extra"] == "1" and smuggled.headers["content-length"] == "2"
    (spaced,) = parser.feed(middle % b"2 " + b"{}")  # other whitespace: parsed, same meaning
    assert isinstance(spaced, Request) and spaced.body == b"{}"
