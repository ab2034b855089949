"""JSON-RPC 2.0 messages, sans I/O: one frame of bytes in, one classified dict out.

Messages stay plain dicts inside the engine: building objects for every frame
would cost more than the rest of a request. :func:`classify` checks the
envelope by hand (no schema engine on this path) with the rules of JSON-RPC
2.0 as MCP narrows them: ``jsonrpc`` is exactly ``"2.0"``, an id is a string
or an integer (never null, never a bool), ``params`` is an object.

Encoding makes exactly one ``orjson.dumps`` call per frame, newline included.
A pre-serialized result travels as an ``orjson.Fragment`` inside that call.
"""

from __future__ import annotations

from typing import Any, Final, TypeGuard

import orjson

from mcpcore.errors import INVALID_PARAMS, INVALID_REQUEST, PARSE_ERROR, RemoteProtocolError, RpcError

__all__ = [
    "ERROR_RESPONSE",
    "NOTIFICATION",
    "REQUEST",
    "RESPONSE",
    "RequestId",
    "classify",
    "decode",
    "encode",
    "encode_error",
    "encode_notification",
    "encode_request",
    "encode_result",
    "is_notification_envelope",
    "valid_id",
]

RequestId = int | str

REQUEST: Final = 1
NOTIFICATION: Final = 2
RESPONSE: Final = 3
ERROR_RESPONSE: Final = 4

_APPEND_NEWLINE: Final = orjson.OPT_APPEND_NEWLINE


def valid_id(value: object) -> TypeGuard[int | str]:
    """MCP ids are strings or integers; ``bool`` is an ``int`` subclass and is refused."""
    kind = type(value)
    return kind is str or kind is int


def decode(frame: bytes | bytearray | memoryview) -> Any:
    """Parse one frame; unparseable bytes (bad JSON, bad UTF-8, absurd nesting) raise -32700."""
    try:
        return orjson.loads(frame)
    except orjson.JSONDecodeError as exc:
        raise RemoteProtocolError(RpcError(PARSE_ERROR, f"Parse error: {exc}")) from None


def _invalid(message: str, msg: dict[str, Any]) -> RemoteProtocolError:
    """A -32600 that echoes the request id when one can be read."""
    request_id = msg.get("id")
    return RemoteProtocolError(
        RpcError(INVALID_REQUEST, f"Invalid request: {message}"),
        request_id if valid_id(request_id) else None,
    )


def classify(msg: Any) -> int:
    """Return REQUEST, NOTIFICATION, RESPONSE or ERROR_RESPONSE, or raise RemoteProtocolError.

    The raised error says what to answer; the caller decides whether an answer
    is allowed (a broken response is logged, never answered, so that two
    peers cannot bounce errors at each other forever).
    """
    if type(msg) is not dict:
        raise RemoteProtocolError(
            RpcError(INVALID_REQUEST, "Invalid request: a message must be a JSON object")
        )
    if msg.get("jsonrpc") != "2.0":
        raise _invalid('"jsonrpc" must be exactly "2.0"', msg)
    method = msg.get("method")
    if method is not None:
        if type(method) is not str:
            raise _invalid('"method" must be a string', msg)
        params = msg.get("params")
        if params is not None and type(params) is not dict:
            if type(params) is list:
                request_id = msg.get("id")
                raise RemoteProtocolError(
                    RpcError(INVALID_PARAMS, "Invalid params: MCP params must be an object, not an array"),
                    request_id if valid_id(request_id) else None,
                )
            raise _invalid('"params" must be an object', msg)
        if "id" not in msg:
            return NOTIFICATION
        if not valid_id(msg["id"]):
            raise _invalid('"id" must be a string or an integer (not null, a bool or a float)', msg)
        return REQUEST
    if "result" in msg:
        if "error" in msg:
            raise _invalid('a response carries "result" or "error", not both', msg)
        if not valid_id(msg.get("id")):
            raise _invalid('a response "id" must be a string or an integer', msg)
        return RESPONSE
    if "error" in msg:
        error = msg["error"]
        if type(error) is not dict or type(error.get("code")) is not int:
            raise _invalid('"error" must be an object with an integer "code"', msg)
        request_id = msg.get("id")
        if request_id is not None and not valid_id(request_id):
            raise _invalid('an error response "id" must be a string, an integer or null', msg)
        return ERROR_RESPONSE
    if "id" in msg:
        raise _invalid('a request needs a "method"', msg)
    raise _invalid('neither a request ("method") nor a response ("result"/"error")', msg)


def encode(message: Any) -> bytes:
    """Serialize one whole message (or batch) as a frame: compact JSON, one trailing newline.

    orjson escapes control characters inside strings, so the only raw newline
    in the frame is the terminator.
    """
    return orjson.dumps(message, option=_APPEND_NEWLINE)


def is_notification_envelope(msg: Any) -> bool:
    """A JSON-RPC 2.0 notification as far as its envelope goes: version, a string method, no id.

    Such a message is never answered, whatever its params (JSON-RPC §4.1). A
    message that fails :func:`classify` and is *not* this is an Invalid
    Request, answered with the id when it can be read and null otherwise.
    """
    return (
        type(msg) is dict
        and msg.get("jsonrpc") == "2.0"
        and type(msg.get("method")) is str
        and "id" not in msg
    )


def encode_result(request_id: RequestId, result: Any) -> bytes:
    """A success response frame; ``result`` may be a dict or an ``orjson.Fragment``."""
    return orjson.dumps({"jsonrpc": "2.0", "id": request_id, "result": result}, option=_APPEND_NEWLINE)


def encode_error(request_id: RequestId | None, error: RpcError) -> bytes:
    """An error response frame (``id`` null when the request's id could not be read)."""
    return orjson.dumps(
        {"jsonrpc": "2.0", "id": request_id, "error": error.to_wire()}, option=_APPEND_NEWLINE
    )


def encode_request(request_id: RequestId, method: str, params: dict[str, Any] | None) -> bytes:
    """A request frame."""
    msg: dict[str, Any] = {"jsonrpc": "2.0", "id": request_id, "method": method}
    if params is not None:
        msg["params"] = params
    return orjson.dumps(msg, option=_APPEND_NEWLINE)


def encode_notification(method: str, params: dict[str, Any] | None) -> bytes:
    """A notification frame."""
    msg: dict[str, Any] = {"jsonrpc": "2.0", "method": method}
    if params is not None:
        msg["params"] = params
    return orjson.dumps(msg, option=_APPEND_NEWLINE)
