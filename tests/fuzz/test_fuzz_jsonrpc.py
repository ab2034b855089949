"""jsonrpc.decode / classify under arbitrary input.

Invariants: decode either returns a value or raises RemoteProtocolError(-32700);
classify either names one of the four kinds, with the envelope rules that kind
promises actually holding, or raises RemoteProtocolError with -32600/-32602
and an id that is echoable (a str or int, or None). Nothing else escapes.
"""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mcpcore import jsonrpc
from mcpcore.errors import INVALID_PARAMS, INVALID_REQUEST, PARSE_ERROR, RemoteProtocolError
from tests.fuzz._support import fuzz, interesting_bytes, json_values, jsonrpc_like


@fuzz
@given(frame=st.one_of(interesting_bytes, st.binary(max_size=200), jsonrpc_like.map(orjson.dumps)))
def test_decode_returns_a_value_or_a_parse_error(frame: bytes) -> None:
    try:
        jsonrpc.decode(frame)
    except RemoteProtocolError as exc:
        assert exc.error.code == PARSE_ERROR
        assert exc.request_id is None


def _check_kind(msg: dict[str, Any], kind: int) -> None:
    assert msg["jsonrpc"] == "2.0"
    if kind in (jsonrpc.REQUEST, jsonrpc.NOTIFICATION):
        assert type(msg["method"]) is str
        assert msg.get("params") is None or type(msg["params"]) is dict
        assert ("id" in msg) == (kind == jsonrpc.REQUEST)
        if kind == jsonrpc.REQUEST:
            assert jsonrpc.valid_id(msg["id"])
    elif kind == jsonrpc.RESPONSE:
        assert "error" not in msg and jsonrpc.valid_id(msg["id"])
    else:
        assert type(msg["error"]) is dict and type(msg["error"]["code"]) is int
        assert msg.get("id") is None or jsonrpc.valid_id(msg["id"])


@fuzz
@given(msg=jsonrpc_like)
def test_classify_names_a_kind_whose_rules_hold_or_raises_a_protocol_error(msg: Any) -> None:
    try:
        kind = jsonrpc.classify(msg)
    except RemoteProtocolError as exc:
        assert exc.error.code in (INVALID_REQUEST, INVALID_PARAMS)
        assert exc.request_id is None or jsonrpc.valid_id(exc.request_id)
        # The error must itself be encodable: it goes straight on the wire.
        orjson.loads(jsonrpc.encode_error(exc.request_id, exc.error))
        return
    assert kind in (jsonrpc.REQUEST, jsonrpc.NOTIFICATION, jsonrpc.RESPONSE, jsonrpc.ERROR_RESPONSE)
    _check_kind(msg, kind)


@fuzz
@given(
    request_id=st.one_of(st.integers(min_value=-(2**63), max_value=2**63 - 1), st.text(max_size=10)),
    result=json_values,
)
def test_encoded_frames_are_one_line_that_decodes_back(request_id: int | str, result: Any) -> None:
    frame = jsonrpc.encode_result(request_id, {"value": result})
    assert frame.endswith(b"\n") and frame.count(b"\n") == 1
    decoded = jsonrpc.decode(frame)
    assert jsonrpc.classify(decoded) == jsonrpc.RESPONSE
    assert decoded == {"jsonrpc": "2.0", "id": request_id, "result": {"value": result}}


@pytest.mark.parametrize(("depth", "parses"), [(1024, True), (1025, False), (100_000, False)])
def test_json_nesting_beyond_orjsons_1024_levels_is_a_parse_error(depth: int, parses: bool) -> None:
    """orjson refuses more than 1024 levels natively: this is the engine's JSON nesting limit."""
    frame = b"[" * depth + b"]" * depth
    if parses:
        assert jsonrpc.decode(frame) is not None
    else:
        with pytest.raises(RemoteProtocolError) as caught:
            jsonrpc.decode(frame)
        assert caught.value.error.code == PARSE_ERROR
