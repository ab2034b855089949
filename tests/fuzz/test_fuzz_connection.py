"""The router's Connection driven in-process with a list sink, under hostile frames.

Invariants: whatever frames arrive, ``receive_frame`` never raises; every byte
written is one line of JSON that is a response, an error response or a
notification (never garbage, never a request we did not mean to send); every
response answers an id the peer sent (or null); every well-formed request is
answered exactly once; and when the traffic stops nothing is left buffered.
"""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
from hypothesis import given
from hypothesis import strategies as st

from mcpcore import Server, jsonrpc
from mcpcore.wire.lines import FrameTooLarge, LineFramer
from tests.fuzz._support import chunked, cuts, fuzz, interesting_bytes, json_values, jsonrpc_like

server = Server("fuzz", version="1", page_size=2)


@server.tool(run="loop")
def add(a: int, b: int) -> int:
    """Adds (inline on the loop)."""
    return a + b


@server.tool(run="loop")
async def echo(text: str) -> str:
    """Echoes (as a task)."""
    await asyncio.sleep(0)
    return text


@server.tool(run="loop")
def fail(reason: str) -> str:
    """Raises."""
    raise ValueError(reason)


@server.resource("fuzz://item/{name}", run="loop")
def item(name: str) -> str:
    return name


@server.prompt(run="loop")
def greet(who: str) -> str:
    return f"hello {who}"


class ListSink:
    def __init__(self) -> None:
        self.frames: list[bytes] = []

    def write(self, data: bytes) -> None:
        self.frames.append(data)


_VERSIONS = ["2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25"]


def _initialize(version: str) -> bytes:
    return orjson.dumps(
        {
            "jsonrpc": "2.0",
            "id": "init",
            "method": "initialize",
            "params": {
                "protocolVersion": version,
                "capabilities": {},
                "clientInfo": {"name": "f", "version": "1"},
            },
        }
    )


_modern_meta = {
    "io.modelcontextprotocol/protocolVersion": "2026-07-28",
    "io.modelcontextprotocol/clientCapabilities": {},
    "io.modelcontextprotocol/clientInfo": {"name": "f", "version": "1"},
}

_methods = st.sampled_from(
    [
        "ping",
        "tools/list",
        "tools/call",
        "resources/list",
        "resources/read",
        "resources/templates/list",
        "prompts/list",
        "prompts/get",
        "completion/complete",
        "logging/setLevel",
        "server/discover",
        "subscriptions/listen",
        "nonexistent/method",
    ]
)

_params = st.one_of(
    st.none(),
    st.fixed_dictionaries(
        {},
        optional={
            "name": st.sampled_from(["add", "echo", "fail", "greet", "missing"]),
            "arguments": st.one_of(
                st.fixed_dictionaries({"a": json_values, "b": json_values}),
                st.fixed_dictionaries({"text": json_values}),
                st.dictionaries(st.text(max_size=5), json_values, max_size=3),
                json_values,
            ),
            "uri": st.one_of(
                st.sampled_from(["fuzz://item/x", "fuzz://item/%zz", "nope://"]), st.text(max_size=20)
            ),
            "cursor": st.one_of(st.text(max_size=12), json_values),
            "level": st.sampled_from(["debug", "info", "bogus"]),
            "_meta": st.one_of(
                st.just(_modern_meta), st.dictionaries(st.text(max_size=8), json_values, max_size=2)
            ),
        },
    ),
)


def _request(request_id: int, method: str, params: dict[str, Any] | None) -> bytes:
    msg: dict[str, Any] = {"jsonrpc": "2.0", "id": request_id, "method": method}
    if params is not None:
        msg["params"] = params
    return orjson.dumps(msg)


well_formed = st.tuples(_methods, _params)

hostile_frames = st.one_of(
    interesting_bytes,
    jsonrpc_like.map(orjson.dumps),
    st.lists(jsonrpc_like, max_size=4).map(orjson.dumps),  # batches (allowed only under 2025-03-26)
    st.just(FrameTooLarge(16)),
    well_formed.map(lambda mp: _request(7, *mp)),
)


async def _drive(frames: list[bytes | FrameTooLarge]) -> tuple[list[bytes], Any]:
    sink = ListSink()
    connection = server.connect(sink)
    try:
        for frame in frames:
            connection.receive_frame(frame)
            await asyncio.sleep(0)
        for _ in range(1000):  # a failure guard: every handler here finishes within a few loop turns
            if not connection.in_flight:
                break
            await asyncio.sleep(0.001)
        assert connection.in_flight == 0
        assert not connection._backlog
        return sink.frames, connection
    finally:
        server.disconnect(connection)


def _outgoing(frames: list[bytes]) -> list[dict[str, Any]]:
    """Every frame is one line of JSON: a response, an error or a notification (or a batch of those)."""
    messages: list[dict[str, Any]] = []
    for frame in frames:
        assert frame.endswith(b"\n") and frame.count(b"\n") == 1, frame
        decoded = orjson.loads(frame)
        for msg in decoded if type(decoded) is list else [decoded]:
            kind = jsonrpc.classify(msg)
            assert kind != jsonrpc.REQUEST, msg
            messages.append(msg)
    return messages


@fuzz
@given(version=st.sampled_from(_VERSIONS), frames=st.lists(hostile_frames, max_size=12))
def test_hostile_frames_get_responses_or_nothing_and_never_raise(
    version: str, frames: list[bytes | FrameTooLarge]
) -> None:
    output, _ = asyncio.run(_drive([_initialize(version), *frames]))
    sent_ids: set[Any] = {"init", None}
    for frame in frames:
        if type(frame) is bytes:
            try:
                decoded = orjson.loads(frame)
            except orjson.JSONDecodeError:
                continue
            for msg in decoded if type(decoded) is list else [decoded]:
                if type(msg) is dict and jsonrpc.valid_id(msg.get("id")):
                    sent_ids.add(msg["id"])
    for msg in _outgoing(output):
        if "method" not in msg:
            assert msg.get("id") in sent_ids, msg


@fuzz
@given(
    version=st.sampled_from(_VERSIONS),
    requests=st.lists(well_formed, max_size=10),
    noise=st.lists(
        st.one_of(interesting_bytes.filter(lambda b: b"id" not in b), st.just(FrameTooLarge(8))), max_size=6
    ),
    order=st.randoms(use_true_random=False),
)
def test_every_well_formed_request_is_answered_exactly_once(
    version: str, requests: list[tuple[str, Any]], noise: list[bytes | FrameTooLarge], order: Any
) -> None:
    frames: list[bytes | FrameTooLarge] = [_request(i, m, p) for i, (m, p) in enumerate(requests)]
    frames += noise
    order.shuffle(frames)
    output, _ = asyncio.run(_drive([_initialize(version), *frames]))
    answered = [msg["id"] for msg in _outgoing(output) if "method" not in msg and msg.get("id") is not None]
    assert sorted(answered, key=str) == sorted(["init", *range(len(requests))], key=str)


@fuzz
@given(
    data=st.lists(
        st.one_of(hostile_frames.filter(lambda f: type(f) is bytes), interesting_bytes), max_size=10
    ),
    cut_at=cuts,
)
def test_any_byte_stream_through_the_framer_is_answered_or_ignored(
    data: list[bytes], cut_at: list[int]
) -> None:
    """The full stdio read path (framer + connection), with the stream cut anywhere."""
    stream = _initialize("2025-03-26") + b"\n" + b"\n".join(data)  # type: ignore[arg-type]
    framer = LineFramer(256)
    frames: list[bytes | FrameTooLarge] = []
    for piece in chunked(stream, cut_at):
        frames.extend(framer.feed(piece))
    frames.extend(framer.feed(b"\n"))
    output, _ = asyncio.run(_drive(frames))
    _outgoing(output)
