"""The client side of HTTP/1.1, sans I/O: request serialization and the response parser.

Every parser case is fed whole and one byte at a time; both must give the same
head, the same body bytes and the same end.
"""

from __future__ import annotations

from typing import Any

import pytest

from mcpcore.wire.http11_client import (
    Body,
    EndOfResponse,
    InvalidResponse,
    ResponseEvent,
    ResponseHead,
    ResponseParser,
    encode_request,
)


def feed_all(
    parser: ResponseParser, data: bytes, *, bytewise: bool, eof: bool = False
) -> list[ResponseEvent]:
    events: list[ResponseEvent] = []
    if bytewise:
        for i in range(len(data)):
            events.extend(parser.feed(data[i : i + 1]))
    else:
        events.extend(parser.feed(data))
    if eof:
        events.extend(parser.feed_eof())
    return events


def summarize(events: list[ResponseEvent]) -> list[Any]:
    """Heads as (status, headers), bodies joined per response, ends as ("end", keep_alive)."""
    out: list[Any] = []
    body = b""
    for event in events:
        if type(event) is ResponseHead:
            out.append((event.status, event.headers))
        elif type(event) is Body:
            body += event.data
        else:
            assert type(event) is EndOfResponse
            out.append(body)
            out.append(("end", event.keep_alive))
            body = b""
    if body:
        out.append(body)
    return out


CASES: list[tuple[str, list[str], bytes, bool, list[Any]]] = [
    (
        "content-length",
        ["POST"],
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}",
        False,
        [(200, {"content-type": "application/json", "content-length": "2"}), b"{}", ("end", True)],
    ),
    (
        "chunked with extension and trailer",
        ["POST"],
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y\r\nabc\r\n2\r\nde\r\n0\r\nT: 1\r\n\r\n",
        False,
        [(200, {"transfer-encoding": "chunked"}), b"abcde", ("end", True)],
    ),
    (
        "202 without a body",
        ["POST"],
        b"HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n",
        False,
        [(202, {"content-length": "0"}), b"", ("end", True)],
    ),
    (
        "204 ignores a length",
        ["DELETE"],
        b"HTTP/1.1 204 No Content\r\n\r\n",
        False,
        [(204, {}), b"", ("end", True)],
    ),
    (
        "HEAD has no body",
        ["HEAD"],
        b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n",
        False,
        [(200, {"content-length": "10"}), b"", ("end", True)],
    ),
    (
        "interim 100 and 103 skipped",
        ["POST"],
        b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: x\r\n\r\n"
        b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx",
        False,
        [(200, {"content-length": "1"}), b"x", ("end", True)],
    ),
    (
        "read until close",
        ["GET"],
        b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\ndata: 1\n\n",
        True,
        [(200, {"content-type": "text/event-stream"}), b"data: 1\n\n", ("end", False)],
    ),
    (
        "two responses on one connection",
        ["POST", "POST"],
        b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\naHTTP/1.1 404 Not Found\r\nContent-Length: 1\r\n\r\nb",
        False,
        [
            (200, {"content-length": "1"}),
            b"a",
            ("end", True),
            (404, {"content-length": "1"}),
            b"b",
            ("end", True),
        ],
    ),
    (
        "connection close ends keep-alive",
        ["POST"],
        b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 1\r\n\r\nz",
        False,
        [(200, {"connection": "close", "content-length": "1"}), b"z", ("end", False)],
    ),
    (
        "HTTP/1.0 without keep-alive",
        ["GET"],
        b"HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\nq",
        False,
        [(200, {"content-length": "1"}), b"q", ("end", False)],
    ),
    (
        "repeated headers joined, equal lengths accepted",
        ["POST"],
        b"HTTP/1.1 200 OK\r\nX-A: 1\r\nX-A: 2\r\nContent-Length: 1, 1\r\n\r\nk",
        False,
        [(200, {"x-a": "1, 2", "content-length": "1, 1"}), b"k", ("end", True)],
    ),
]


@pytest.mark.parametrize("bytewise", [False, True], ids=["whole", "bytewise"])
@pytest.mark.parametrize(("name", "methods", "data", "eof", "expected"), CASES, ids=[c[0] for c in CASES])
def test_response_parser_frames(  # noqa: PLR0917
    name: str, methods: list[str], data: bytes, eof: bool, expected: list[Any], bytewise: bool
) -> None:
    parser = ResponseParser()
    for method in methods:
        parser.expect(method)
    assert summarize(feed_all(parser, data, bytewise=bytewise, eof=eof)) == expected


BAD: list[tuple[str, bytes, dict[str, int]]] = [
    ("bad status line", b"HTTX/1.1 200 OK\r\n\r\n", {}),
    ("non-numeric status", b"HTTP/1.1 2x0 OK\r\n\r\n", {}),
    ("HTTP/2 status line", b"HTTP/2 200 OK\r\n\r\n", {}),
    ("bare LF in head", b"HTTP/1.1 200 OK\nContent-Length: 0\r\n\r\n", {}),
    ("header without colon", b"HTTP/1.1 200 OK\r\nNoColon\r\n\r\n", {}),
    ("space before colon", b"HTTP/1.1 200 OK\r\nBad Name: 1\r\n\r\n", {}),
    ("conflicting lengths", b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab", {}),
    ("non-numeric length", b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", {}),
    ("bad chunk size", b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", {}),
    ("chunk without CRLF", b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\naXX", {}),
    ("gzip then chunked", b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", {}),
    ("101 switching", b"HTTP/1.1 101 Switching Protocols\r\n\r\n", {}),
    ("head too large", b"HTTP/1.1 200 OK\r\nX: " + b"a" * 200 + b"\r\n\r\n", {"max_head_bytes": 100}),
    ("too many headers", b"HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", {"max_headers": 2}),
    ("declared body too large", b"HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n", {"max_body_bytes": 10}),
    (
        "chunked body too large",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n8\r\n12345678\r\n8\r\n12345678\r\n",
        {"max_body_bytes": 10},
    ),
]


@pytest.mark.parametrize("bytewise", [False, True], ids=["whole", "bytewise"])
@pytest.mark.parametrize(("name", "data", "limits"), BAD, ids=[c[0] for c in BAD])
def test_response_parser_refuses(name: str, data: bytes, limits: dict[str, int], bytewise: bool) -> None:
    parser = ResponseParser(**limits)  # type: ignore[arg-type]
    parser.expect("POST")
    with pytest.raises(InvalidResponse):
        feed_all(parser, data, bytewise=bytewise)
    assert parser.feed(b"") == []  # dead after a failure: nothing more is parsed


@pytest.mark.parametrize(
    "data",
    [
        b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nab",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab",
        b"HTTP/1.1 200 OK\r\nContent-",
    ],
    ids=["short length", "short chunk", "cut head"],
)
def test_eof_inside_a_response_is_refused(data: bytes) -> None:
    parser = ResponseParser()
    parser.expect("POST")
    parser.feed(data)
    with pytest.raises(InvalidResponse):
        parser.feed_eof()


def test_eof_between_responses_is_clean() -> None:
    parser = ResponseParser()
    parser.expect("POST")
    parser.feed(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
    assert parser.feed_eof() == []


def test_unbounded_body_for_streams() -> None:
    parser = ResponseParser(max_body_bytes=None)
    parser.expect("GET")
    events = parser.feed(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\n" + b"x" * 100_000)
    assert sum(len(e.data) for e in events if type(e) is Body) == 100_000
    assert parser.in_body


def test_body_arrives_before_the_end() -> None:
    """A streamed body is handed over as it comes, not when the response ends."""
    parser = ResponseParser()
    parser.expect("POST")
    head = parser.feed(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
    assert [type(e) for e in head] == [ResponseHead]
    assert parser.feed(b"4\r\nda") == [Body(b"da")]
    assert parser.feed(b"ta\r\n") == [Body(b"ta")]
    assert parser.feed(b"0\r\n\r\n") == [EndOfResponse(True)]


def test_encode_request_with_body() -> None:
    data = encode_request("POST", "/mcp", [("host", "h:1"), ("content-type", "application/json")], b"{}")
    assert data == (
        b"POST /mcp HTTP/1.1\r\nhost: h:1\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}"
    )


def test_encode_request_without_body() -> None:
    assert encode_request("GET", "/", [("host", "h")]) == b"GET / HTTP/1.1\r\nhost: h\r\n\r\n"


@pytest.mark.parametrize(
    ("method", "target", "headers"),
    [
        ("PO ST", "/", []),
        ("GET", "/a b", []),
        ("GET", "/", [("bad name", "x")]),
        ("GET", "/", [("x", "a\r\nInjected: 1")]),
        ("GET", "/", [("x", "nul\x00")]),
    ],
    ids=["method", "target", "header name", "CRLF injection", "NUL"],
)
def test_encode_request_refuses_injection(method: str, target: str, headers: list[tuple[str, str]]) -> None:
    with pytest.raises(ValueError):
        encode_request(method, target, headers)
