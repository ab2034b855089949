"""Messages: JSON-RPC 2.0 as MCP profiles it (error codes, ids, notifications, batches).

MCP requires every message to follow JSON-RPC 2.0 ("All messages between MCP
clients and servers MUST follow the JSON-RPC 2.0 specification"), so the
JSON-RPC spec's MUSTs are MCP MUSTs; where JSON-RPC is silent and MCP says
nothing about the receiver (an ``id: null`` request), the check is INFO.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mcpcore import versions
from mcpcore.check.checks.common import JSONRPC, SPEC_2025, expect_error, liveness
from mcpcore.check.registry import LEGACY, Fail, Level, NotApplicable, check

if TYPE_CHECKING:
    from mcpcore.check.battery import Battery

BASIC = f"{SPEC_2025}/basic"
_ERROR_OBJECT = f"{JSONRPC}#error_object"
_RESPONSE = "When a rpc call is made, the Server MUST reply with a Response; "


def _jsonrpc_check(
    check_id: str,
    title: str,
    raw: bytes,
    codes: tuple[int, ...],
    request_id: Any = None,
    *,
    clause: str,
    url: str = _ERROR_OBJECT,
    level: Level = "MUST",
) -> None:
    async def run(b: Battery) -> str | None:
        probe = await b.connected(check_id)
        try:
            return await expect_error(probe, raw, codes, request_id=request_id, what=title)
        finally:
            await probe.__aexit__(None, None, None)

    check(check_id, title, level=level, url=url, clause=clause)(run)


_jsonrpc_check(
    "jsonrpc.parse-error",
    "invalid JSON gets -32700 with id null",
    b'{"jsonrpc": "2.0", "id": 1,\n',
    (-32700,),
    clause=_RESPONSE + "-32700 Parse error: invalid JSON was received; if the id could not be "
    "detected it MUST be Null.",
)
_jsonrpc_check(
    "jsonrpc.invalid-utf8",
    "invalid UTF-8 gets -32700 with id null",
    b'{"jsonrpc":"2.0","id":5,"method":"ping","params":{"x":"\xff\xfe"}}\n',
    (-32700,),
    url=f"{BASIC}/transports#stdio",
    clause="JSON-RPC messages MUST be UTF-8 encoded; a message that is not is invalid JSON "
    "(-32700 Parse error, id Null).",
)
_jsonrpc_check(
    "jsonrpc.not-an-object",
    "a JSON value that is not an object gets -32600",
    b"42\n",
    (-32600,),
    clause=_RESPONSE + "-32600 Invalid Request: the JSON sent is not a valid Request object.",
)
_jsonrpc_check(
    "jsonrpc.wrong-version",
    'jsonrpc other than "2.0" gets -32600',
    b'{"jsonrpc":"1.0","id":7,"method":"ping"}\n',
    (-32600,),
    7,
    url=f"{JSONRPC}#request_object",
    clause='jsonrpc MUST be exactly "2.0"; anything else is an Invalid Request (-32600).',
)
_jsonrpc_check(
    "jsonrpc.null-id",
    "a request with id null gets -32600",
    b'{"jsonrpc":"2.0","id":null,"method":"ping"}\n',
    (-32600,),
    level="INFO",
    url=f"{BASIC}#requests",
    clause="Unlike base JSON-RPC, the ID MUST NOT be null (a sender's duty: the spec does not say how "
    "a receiver answers one; -32600 is the consistent answer).",
)
_jsonrpc_check(
    "jsonrpc.method-not-string",
    "a non-string method gets -32600",
    b'{"jsonrpc":"2.0","id":8,"method":5}\n',
    (-32600,),
    8,
    url=f"{JSONRPC}#request_object",
    clause="method: a String containing the name of the method; otherwise an Invalid Request (-32600).",
)
_jsonrpc_check(
    "jsonrpc.params-array",
    "positional (array) params are refused",
    b'{"jsonrpc":"2.0","id":9,"method":"tools/list","params":[]}\n',
    (-32600, -32602),
    9,
    url=f"{BASIC}#requests",
    clause="MCP request params are an object (the schema has no positional params): an array is "
    "an invalid request or invalid params.",
)
_jsonrpc_check(
    "jsonrpc.unknown-method",
    "an unknown method gets -32601 with the same id",
    b'{"jsonrpc":"2.0","id":"u-1","method":"mcpcore/check/no-such-method"}\n',
    (-32601,),
    "u-1",
    clause=_RESPONSE + "-32601 Method not found; the response id MUST be the same as the request's.",
)


@check(
    "jsonrpc.ids-echoed",
    "ids come back exactly (strings, 0, large integers)",
    url=f"{BASIC}#responses",
    clause="Responses MUST include the same ID as the request they correspond to.",
)
async def _ids(b: Battery) -> str | None:
    probe = await b.connected("jsonrpc.ids-echoed")
    try:
        for request_id in ('s-\u00e9\u2028"q', 0, 2**53 - 1, "1"):
            probe.drain()
            probe.send(liveness(probe, request_id))
            reply = await probe.answer_to(request_id)
            if reply is None:
                raise Fail(f"no answer with id {request_id!r} (exact type and value)")
    finally:
        await probe.__aexit__(None, None, None)
    return None


@check(
    "jsonrpc.notifications-unanswered",
    "notifications (even unknown or malformed ones) are never answered",
    url=f"{BASIC}#notifications",
    clause="Notifications MUST NOT include an ID; the receiver MUST NOT send a response "
    "(JSON-RPC: the Server MUST NOT reply to a Notification).",
)
async def _notifications(b: Battery) -> str | None:
    probe = await b.connected("jsonrpc.notifications-unanswered")
    try:
        probe.drain()
        probe.send_raw(b'{"jsonrpc":"2.0","method":"notifications/mcpcore-check-unknown"}\n')
        probe.send_raw(b'{"jsonrpc":"2.0","method":"ping"}\n')
        probe.send_raw(
            b'{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":424242}}\n'
        )
        # Order, not time: whatever response arrives before the answer to this request answers a
        # notification written before it.
        request_id = probe.new_id()
        probe.send(liveness(probe, request_id))
        while True:
            reply = await probe.next_message()
            if reply is None:
                raise Fail("the server stopped answering after notifications")
            if type(reply) is dict and "method" in reply:
                continue
            if type(reply) is dict and reply.get("id") == request_id:
                return None
            raise Fail("the server answered a notification", reply)
    finally:
        await probe.__aexit__(None, None, None)


@check(
    "jsonrpc.batch",
    "a 2025-03-26 batch is answered as an array",
    versions=(versions.V2025_03_26,),
    url="https://modelcontextprotocol.io/specification/2025-03-26/basic#batching",
    clause="MCP implementations MAY support sending JSON-RPC batches, but MUST support receiving them.",
)
async def _batch(b: Battery) -> str | None:
    if not b.facts.legacy:
        raise NotApplicable("batches are a legacy matter")
    async with b.probe("jsonrpc.batch") as probe:
        info = await probe.legacy(versions.V2025_03_26)
        if info.protocol_version != versions.V2025_03_26:
            raise NotApplicable(f"2025-03-26 not spoken (offered {info.protocol_version})")
        await probe.alive()
        probe.drain()
        probe.send_raw(
            b'[{"jsonrpc":"2.0","id":41,"method":"ping"},{"jsonrpc":"2.0","id":42,"method":"ping"}]\n'
        )
        got: list[Any] = []
        while len(got) < 2:
            reply = await probe.next_message()
            if reply is None:
                raise Fail(f"a 2025-03-26 batch of 2 requests got {len(got)} answer(s)", got)
            got.extend(reply if type(reply) is list else [reply])
        if {r.get("id") for r in got if type(r) is dict} != {41, 42}:
            raise Fail("a 2025-03-26 batch got the wrong answers", got)
    return "answered under 2025-03-26"


@check(
    "jsonrpc.batch-refused",
    "a batch outside 2025-03-26 gets an error, not an array of answers",
    level="INFO",
    versions=tuple(v for v in LEGACY if v != versions.V2025_03_26),
    url="https://modelcontextprotocol.io/specification/2025-06-18/changelog",
    clause="2025-06-18 removed JSON-RPC batching; a batch is then not a valid MCP message (the spec "
    "names no answer: an Invalid Request error is the consistent one).",
)
async def _batch_refused(b: Battery) -> str | None:
    if not b.facts.legacy:
        raise NotApplicable("batches are a legacy matter")
    probe = await b.connected("jsonrpc.batch-refused")
    try:
        if probe.version in versions.BATCH_VERSIONS:
            raise NotApplicable("negotiated 2025-03-26")
        probe.drain()
        probe.send_raw(b'[{"jsonrpc":"2.0","id":31,"method":"ping"}]\n')
        reply = await probe.next_message()
        if type(reply) is list:
            raise Fail(f"a batch was answered under {probe.version}, which has no batches", reply)
        if reply is None:
            raise Fail(f"a batch under {probe.version} got no answer (expected one -32600 error)")
        if type(reply) is not dict or "error" not in reply:
            raise Fail("a batch was not answered with an error", reply)
    finally:
        await probe.__aexit__(None, None, None)
    return f"refused under {probe.version}"
