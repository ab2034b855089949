"""The HTTP/1.1 RequestParser under arbitrary bytes and chunking; generated requests round-trip.

Invariants: any bytes yield Request / ExpectContinue / BadRequest events and
never another exception; after a BadRequest nothing more is parsed; buffered
bytes never outgrow the head/body limits; cutting the stream anywhere does not
change the requests (or whether it is refused); a well-formed request, however
framed (Content-Length, chunked, pipelined), comes out exactly as sent.
"""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from mcpcore.wire.http11 import BadRequest, ExpectContinue, Request, RequestParser
from tests.fuzz._support import chunked, cuts, fuzz, interesting_bytes, one_byte_at_a_time

_HEAD_LIMIT = 256
_BODY_LIMIT = 512

Event = Request | BadRequest | ExpectContinue


def _parse(pieces: list[bytes]) -> list[Event]:
    parser = RequestParser(max_head_bytes=_HEAD_LIMIT, max_headers=8, max_body_bytes=_BODY_LIMIT)
    events: list[Event] = []
    for piece in pieces:
        new = parser.feed(piece)
        if events and type(events[-1]) is BadRequest:
            assert new == []  # a dead parser stays dead
        events.extend(new)
        # Memory bound: a partial head, chunk line or body, never more than its limit (+ CRLF).
        assert len(parser._buffer) <= max(_HEAD_LIMIT, _BODY_LIMIT + 2, 1024)
        assert len(parser._body) <= _BODY_LIMIT
    for event in events:
        assert type(event) in (Request, BadRequest, ExpectContinue)
        if type(event) is BadRequest:
            assert 400 <= event.status <= 505
    return events


def _comparable(events: list[Event]) -> list[object]:
    """Requests exactly, a refusal as just 'refused' (its reason may depend on when it was noticed)."""
    out: list[object] = []
    for event in events:
        if type(event) is Request:
            out.append(event)
        elif type(event) is BadRequest:
            out.append("refused")
    return out


_token = st.text(
    alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-", min_size=1, max_size=10
)
_value = st.text(alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E), max_size=16)

_http_text = st.lists(
    st.one_of(
        interesting_bytes,
        st.sampled_from(
            [
                b"POST /mcp HTTP/1.1\r\n",
                b"GET / HTTP/1.0\r\n",
                b"Host: a\r\n",
                b"Content-Length: 3\r\n",
                b"Content-Length: 3, 4\r\n",
                b"Content-Length: -1\r\n",
                b"Transfer-Encoding: chunked\r\n",
                b"Transfer-Encoding: gzip, chunked\r\n",
                b"Expect: 100-continue\r\n",
                b" folded\r\n",
                b"\r\n",
                b"3\r\nabc\r\n",
                b"0\r\n\r\n",
                b"ffffffffffffffffff\r\n",
                b"X-A: b\r\n",
                b"HTTP/2.0",
            ]
        ),
    ),
    max_size=24,
).map(b"".join)


@fuzz
@given(data=_http_text, cut_at=cuts)
def test_cutting_the_stream_anywhere_changes_nothing(data: bytes, cut_at: list[int]) -> None:
    whole = _comparable(_parse([data]))
    assert _comparable(_parse(chunked(data, cut_at))) == whole
    assert _comparable(_parse(one_byte_at_a_time(data))) == whole


@fuzz
@given(pieces=st.lists(st.binary(max_size=200), max_size=20))
def test_any_bytes_yield_events_never_an_exception(pieces: list[bytes]) -> None:
    _parse(pieces)


@st.composite
def _requests(draw: st.DrawFn) -> tuple[bytes, Request]:
    method = draw(st.sampled_from(["GET", "POST", "DELETE", "OPTIONS"]))
    target = "/" + draw(st.text(alphabet="abc/?=&%09", max_size=12))
    names = draw(st.lists(_token, max_size=4, unique_by=str.lower))
    names = [
        n
        for n in names
        if n.lower() not in ("host", "content-length", "transfer-encoding", "connection", "expect")
    ]
    headers = {name.lower(): draw(_value) for name in names}
    body = draw(st.binary(max_size=100)) if method == "POST" else b""
    framing = draw(st.sampled_from(["length", "chunked"])) if body else "none"
    lines = [f"{method} {target} HTTP/1.1", "Host: localhost:1"]
    lines += [f"{name}: {value}" for name, value in zip(names, headers.values(), strict=False)]
    wire_body = body
    if framing == "length":
        lines.append(f"Content-Length: {len(body)}")
    elif framing == "chunked":
        lines.append("Transfer-Encoding: chunked")
        split = draw(st.integers(min_value=0, max_value=len(body)))
        parts = [p for p in (body[:split], body[split:]) if p]
        wire_body = b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in parts) + b"0\r\n\r\n"
    raw = ("\r\n".join(lines) + "\r\n\r\n").encode() + wire_body
    expected_headers = {"host": "localhost:1", **headers}
    if framing == "length":
        expected_headers["content-length"] = str(len(body))
    elif framing == "chunked":
        expected_headers["transfer-encoding"] = "chunked"
    return raw, Request(method, target, "1.1", expected_headers, body, True)


@fuzz
@given(requests=st.lists(_requests(), min_size=1, max_size=4), cut_at=cuts)
def test_well_formed_pipelined_requests_come_out_as_sent(
    requests: list[tuple[bytes, Request]], cut_at: list[int]
) -> None:
    stream = b"".join(raw for raw, _ in requests)
    expected = [request for _, request in requests]
    assert _comparable(_parse(chunked(stream, cut_at))) == expected
    assert _comparable(_parse(one_byte_at_a_time(stream))) == expected
