"""Envelope classification and encoding, table-driven."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from mcpcore import jsonrpc
from mcpcore.errors import INVALID_PARAMS, INVALID_REQUEST, PARSE_ERROR, RemoteProtocolError, RpcError

VALID = [
    ({"jsonrpc": "2.0", "id": 1, "method": "ping"}, jsonrpc.REQUEST),
    ({"jsonrpc": "2.0", "id": "a", "method": "x", "params": {}}, jsonrpc.REQUEST),
    ({"jsonrpc": "2.0", "id": 0, "method": "x"}, jsonrpc.REQUEST),
    ({"jsonrpc": "2.0", "id": -5, "method": "x"}, jsonrpc.REQUEST),
    ({"jsonrpc": "2.0", "method": "notifications/initialized"}, jsonrpc.NOTIFICATION),
    ({"jsonrpc": "2.0", "id": 1, "result": {}}, jsonrpc.RESPONSE),
    ({"jsonrpc": "2.0", "id": 1, "error": {"code": -1, "message": "m"}}, jsonrpc.ERROR_RESPONSE),
    ({"jsonrpc": "2.0", "id": None, "error": {"code": -32700, "message": "m"}}, jsonrpc.ERROR_RESPONSE),
]


@pytest.mark.parametrize(("msg", "kind"), VALID)
def test_valid_messages_are_classified(msg: dict[str, Any], kind: int) -> None:
    assert jsonrpc.classify(msg) == kind


INVALID = [
    pytest.param([1], None, INVALID_REQUEST, id="not-an-object"),
    pytest.param("x", None, INVALID_REQUEST, id="string"),
    pytest.param({"id": 1, "method": "x"}, 1, INVALID_REQUEST, id="missing-jsonrpc"),
    pytest.param({"jsonrpc": "1.0", "id": 1, "method": "x"}, 1, INVALID_REQUEST, id="wrong-jsonrpc"),
    pytest.param({"jsonrpc": 2.0, "id": 1, "method": "x"}, 1, INVALID_REQUEST, id="jsonrpc-number"),
    pytest.param({"jsonrpc": "2.0", "id": 1, "method": 5}, 1, INVALID_REQUEST, id="method-not-string"),
    pytest.param({"jsonrpc": "2.0", "id": None, "method": "x"}, None, INVALID_REQUEST, id="null-id"),
    pytest.param({"jsonrpc": "2.0", "id": True, "method": "x"}, None, INVALID_REQUEST, id="bool-id"),
    pytest.param({"jsonrpc": "2.0", "id": 1.5, "method": "x"}, None, INVALID_REQUEST, id="float-id"),
    pytest.param({"jsonrpc": "2.0", "id": [1], "method": "x"}, None, INVALID_REQUEST, id="array-id"),
    pytest.param(
        {"jsonrpc": "2.0", "id": 3, "method": "x", "params": [1]}, 3, INVALID_PARAMS, id="array-params"
    ),
    pytest.param(
        {"jsonrpc": "2.0", "id": 3, "method": "x", "params": 7}, 3, INVALID_REQUEST, id="scalar-params"
    ),
    pytest.param({"jsonrpc": "2.0", "id": 4}, 4, INVALID_REQUEST, id="no-method-no-result"),
    pytest.param({"jsonrpc": "2.0"}, None, INVALID_REQUEST, id="bare"),
    pytest.param(
        {"jsonrpc": "2.0", "id": 1, "result": 1, "error": {"code": 1}}, 1, INVALID_REQUEST, id="both"
    ),
    pytest.param(
        {"jsonrpc": "2.0", "id": 1, "error": {"message": "m"}}, 1, INVALID_REQUEST, id="error-no-code"
    ),
    pytest.param({"jsonrpc": "2.0", "id": None, "result": {}}, None, INVALID_REQUEST, id="result-null-id"),
]


@pytest.mark.parametrize(("msg", "echoed_id", "code"), INVALID)
def test_invalid_messages_name_the_error_and_echo_a_readable_id(msg: Any, echoed_id: Any, code: int) -> None:
    with pytest.raises(RemoteProtocolError) as caught:
        jsonrpc.classify(msg)
    assert caught.value.error.code == code
    assert caught.value.request_id == echoed_id
    assert caught.value.error.message


@pytest.mark.parametrize(
    "frame",
    [b"{", b"not json", b'{"a":1', b"\xff\xfe{}", b'{"s":"\xed\xa0\x80"}', b"[" * 5000 + b"]" * 5000],
    ids=["truncated", "text", "unclosed", "bad-utf8", "surrogate-utf8", "absurd-nesting"],
)
def test_unparseable_bytes_are_parse_errors(frame: bytes) -> None:
    with pytest.raises(RemoteProtocolError) as caught:
        jsonrpc.decode(frame)
    assert caught.value.error.code == PARSE_ERROR
    assert caught.value.request_id is None


def test_encoded_frames_are_one_line_with_escaped_newlines() -> None:
    frame = jsonrpc.encode_result(1, {"text": "a\nb\r\nc"})
    assert frame.endswith(b"\n")
    assert frame.count(b"\n") == 1
    assert orjson.loads(frame) == {"jsonrpc": "2.0", "id": 1, "result": {"text": "a\nb\r\nc"}}


def test_error_frames_carry_code_message_and_data() -> None:
    frame = jsonrpc.encode_error(None, RpcError(-32602, "bad", {"x": 1}))
    assert orjson.loads(frame) == {
        "jsonrpc": "2.0",
        "id": None,
        "error": {"code": -32602, "message": "bad", "data": {"x": 1}},
    }
    assert "data" not in orjson.loads(jsonrpc.encode_error(2, RpcError(-1, "m")))["error"]


def test_preserialized_results_are_embedded_verbatim() -> None:
    frame = jsonrpc.encode_result("r", orjson.Fragment(b'{"tools":[]}'))
    assert orjson.loads(frame) == {"jsonrpc": "2.0", "id": "r", "result": {"tools": []}}


def test_requests_and_notifications_omit_absent_params() -> None:
    assert orjson.loads(jsonrpc.encode_request(7, "ping", None)) == {
        "jsonrpc": "2.0",
        "id": 7,
        "method": "ping",
    }
    assert orjson.loads(jsonrpc.encode_notification("n", {"a": 1})) == {
        "jsonrpc": "2.0",
        "method": "n",
        "params": {"a": 1},
    }
