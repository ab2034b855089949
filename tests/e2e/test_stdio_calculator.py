"""The example server over real pipes: lifecycle, errors, concurrency, cancellation, shutdown.

Every test here runs twice, with the server on uvloop and on plain asyncio.
"""

from __future__ import annotations

import signal
from typing import Any

import pytest

from mcpcore import versions
from tests.helpers import MODERN_VERSION, StdioPeer, modern_meta

# ----------------------------------------------------------------- lifecycle


@pytest.mark.parametrize("version", versions.LEGACY_VERSIONS)
def test_initialize_echoes_each_supported_version(calculator: StdioPeer, version: str) -> None:
    result = calculator.initialize(version)
    assert result["protocolVersion"] == version
    assert result["serverInfo"]["name"] == "calculator"
    assert result["capabilities"]["tools"] == {"listChanged": True}
    assert result["instructions"]


def test_initialize_offers_latest_for_an_unknown_version(calculator: StdioPeer) -> None:
    assert calculator.initialize("1999-01-01")["protocolVersion"] == versions.LATEST_LEGACY


def test_requests_before_initialize_are_refused_but_ping_works(calculator: StdioPeer) -> None:
    reply = calculator.request("tools/list")
    assert reply["error"]["code"] == -32600
    assert "initialize" in reply["error"]["message"]
    assert calculator.result("ping") == {}


def test_second_initialize_is_an_error(session: StdioPeer) -> None:
    reply = session.request("initialize", {"protocolVersion": "2025-11-25", "capabilities": {}})
    assert reply["error"]["code"] == -32600


def test_stdin_eof_exits_zero(session: StdioPeer) -> None:
    session.close_stdin()
    assert session.wait() == 0
    assert session.recv_line() is None


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_signal_with_request_in_flight_drains_then_exits_zero(session: StdioPeer, signum: int) -> None:
    request_id = session.send_request("tools/call", {"name": "sleep", "arguments": {"seconds": 0.3}})
    assert session.result("ping") == {}  # the sleep task is running by now
    session.process.send_signal(signum)
    reply = session.response(request_id)
    assert reply["result"]["content"][0]["text"] == "slept 0.3 s"  # finished within the grace period
    assert session.wait() == 0


# -------------------------------------------------------------------- tools


def test_tools_list_describes_the_tools(session: StdioPeer) -> None:
    tools = {tool["name"]: tool for tool in session.result("tools/list")["tools"]}
    assert list(tools) == ["add", "sleep", "fib"]
    assert tools["add"]["description"] == "Add two integers."
    assert tools["add"]["inputSchema"] == {
        "type": "object",
        "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}},
        "required": ["a", "b"],
        "additionalProperties": False,
    }
    assert tools["add"]["outputSchema"]["properties"]["result"] == {"type": "integer"}
    assert (
        tools["sleep"]["inputSchema"]["properties"]["seconds"]["description"]
        == "How long to sleep, in seconds."
    )
    assert "ctx" not in tools["sleep"]["inputSchema"]["properties"]


def test_add_answers_the_decimal_sum_and_structured_content(session: StdioPeer) -> None:
    result = session.call("add", {"a": 2, "b": 3})["result"]
    assert result["content"] == [{"type": "text", "text": "5"}]
    assert result["structuredContent"] == {"result": 5}
    assert not result.get("isError")


def test_older_versions_get_no_structured_content(calculator: StdioPeer) -> None:
    calculator.initialize("2025-03-26")
    result = calculator.call("add", {"a": 2, "b": 3})["result"]
    assert result == {"content": [{"type": "text", "text": "5"}]}
    tools = calculator.result("tools/list")["tools"]
    assert "outputSchema" not in tools[0]


def test_unknown_tool_is_invalid_params(session: StdioPeer) -> None:
    reply = session.call("nope")
    assert reply["error"]["code"] == -32602
    assert "nope" in reply["error"]["message"]


@pytest.mark.parametrize(
    ("version", "as_result"), [("2025-11-25", True), ("2025-06-18", False), ("2024-11-05", False)]
)
def test_bad_arguments_depend_on_the_version(calculator: StdioPeer, version: str, as_result: bool) -> None:
    calculator.initialize(version)
    reply = calculator.call("add", {"a": "two", "b": 3})
    if as_result:
        assert reply["result"]["isError"] is True
        assert "'two' is not of type 'integer'" in reply["result"]["content"][0]["text"]
    else:
        assert reply["error"]["code"] == -32602
        assert "'two' is not of type 'integer'" in reply["error"]["message"]


def test_missing_and_extra_arguments_are_reported(session: StdioPeer) -> None:
    missing = session.call("add", {"a": 1})["result"]
    assert missing["isError"] and "'b' is a required property" in missing["content"][0]["text"]
    extra = session.call("add", {"a": 1, "b": 2, "c": 3})["result"]
    assert extra["isError"] and "'c'" in extra["content"][0]["text"]


def test_arguments_must_be_an_object(session: StdioPeer) -> None:
    reply = session.request("tools/call", {"name": "add", "arguments": [1, 2]})
    assert reply["error"]["code"] == -32602


def test_a_raising_tool_is_an_error_result(session: StdioPeer) -> None:
    reply = session.call("fib", {"n": -1})
    assert reply["result"]["isError"] is True
    assert "n must be >= 0" in reply["result"]["content"][0]["text"]
    assert session.call("add", {"a": 1, "b": 1})["result"]["content"][0]["text"] == "2"


# ------------------------------------------------------------- bad input


BAD_FRAMES = [
    pytest.param(b"{not json\n", None, -32700, id="garbage"),
    pytest.param(b'{"jsonrpc":"2.0","id":1,"method":"ping"\n', None, -32700, id="truncated"),
    pytest.param(b'{"jsonrpc":"2.0","id":1,"method":"\xff"}\n', None, -32700, id="invalid-utf8"),
    pytest.param(b"[" * 3000 + b"]" * 3000 + b"\n", None, -32700, id="absurd-nesting"),
    pytest.param(b'{"jsonrpc":"1.0","id":5,"method":"ping"}\n', 5, -32600, id="wrong-version"),
    pytest.param(b'{"jsonrpc":"2.0","id":null,"method":"ping"}\n', None, -32600, id="null-id"),
    pytest.param(b'{"jsonrpc":"2.0","id":true,"method":"ping"}\n', None, -32600, id="bool-id"),
    pytest.param(b'{"jsonrpc":"2.0","id":"s","method":7}\n', "s", -32600, id="method-number"),
    pytest.param(
        b'{"jsonrpc":"2.0","id":6,"method":"tools/list","params":[1]}\n', 6, -32602, id="array-params"
    ),
    pytest.param(b'{"jsonrpc":"2.0","id":7,"method":"no/such"}\n', 7, -32601, id="unknown-method"),
    pytest.param(b"42\n", None, -32600, id="scalar"),
    pytest.param(b"[]\n", None, -32600, id="empty-batch"),
    pytest.param(b'[{"jsonrpc":"2.0","id":8,"method":"ping"}]\n', None, -32600, id="batch-not-negotiated"),
]


@pytest.mark.parametrize(("frame", "echoed_id", "code"), BAD_FRAMES)
def test_bad_input_gets_an_error_and_the_server_keeps_serving(
    session: StdioPeer, frame: bytes, echoed_id: Any, code: int
) -> None:
    session.send_raw(frame)
    reply = session.recv()
    assert reply["jsonrpc"] == "2.0"
    assert reply["id"] == echoed_id
    assert reply["error"]["code"] == code
    assert "Traceback" not in reply["error"]["message"]
    assert session.result("ping") == {}


def test_notifications_are_never_answered(session: StdioPeer) -> None:
    session.notify("notifications/unknown", {"x": 1})
    session.notify("tools/call", {"name": "add", "arguments": {"a": 1, "b": 2}})
    session.send_raw(b'{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":"nope"}}\n')
    request_id = session.send_request("ping")
    assert session.recv() == {"jsonrpc": "2.0", "id": request_id, "result": {}}  # the very next line


def test_over_long_message_is_refused_and_reading_continues(loop_name: str) -> None:
    peer = StdioPeer.spawn(["-c", _SMALL_FRAME_SERVER], loop=loop_name)
    try:
        peer.initialize()
        peer.send_raw(b'{"jsonrpc":"2.0","id":1,"method":"ping","params":{"pad":"' + b"x" * 5000 + b'"}}\n')
        reply = peer.recv()
        assert reply["id"] is None and reply["error"]["code"] == -32600
        assert "1024-byte limit" in reply["error"]["message"]
        assert peer.result("ping") == {}
    finally:
        peer.kill()


_SMALL_FRAME_SERVER = """
from mcpcore import Server
server = Server("small", max_frame_bytes=1024)
server.run()
"""


def test_ids_are_echoed_exactly(session: StdioPeer) -> None:
    for request_id in ["abc", "", 0, -1, 2**53 + 1, "😀"]:
        session.send_request("ping", request_id=request_id)
        assert session.recv()["id"] == request_id


# ------------------------------------------------------------ concurrency


def test_ping_is_answered_while_a_slow_tool_runs(session: StdioPeer) -> None:
    slow = session.send_request("tools/call", {"name": "sleep", "arguments": {"seconds": 2}})
    ping = session.send_request("ping")
    first = session.recv()
    assert first["id"] == ping
    assert session.response(slow)["result"]["content"][0]["text"] == "slept 2 s"


def test_cpu_bound_tool_runs_off_the_loop(session: StdioPeer) -> None:
    fib = session.send_request("tools/call", {"name": "fib", "arguments": {"n": 27}})
    add = session.send_request("tools/call", {"name": "add", "arguments": {"a": 1, "b": 2}})
    assert session.recv()["id"] == add
    assert session.response(fib)["result"]["content"][0]["text"] == "196418"


def test_thousands_of_pipelined_requests_are_all_answered(session: StdioPeer) -> None:
    count = 5000
    payload = b"".join(
        b'{"jsonrpc":"2.0","id":%d,"method":"tools/call","params":{"name":"add","arguments":{"a":%d,"b":1}}}\n'
        % (i, i)
        for i in range(count)
    )
    session.send_raw(payload)
    answers = {}
    for _ in range(count):
        reply = session.recv()
        answers[reply["id"]] = reply["result"]["content"][0]["text"]
    assert answers == {i: str(i + 1) for i in range(count)}


def test_cancelled_request_gets_no_response(session: StdioPeer) -> None:
    slow = session.send_request("tools/call", {"name": "sleep", "arguments": {"seconds": 30}})
    session.notify("notifications/cancelled", {"requestId": slow, "reason": "changed my mind"})
    ping = session.send_request("ping")
    assert session.recv()["id"] == ping
    # A second ping proves nothing for the cancelled id was queued in between.
    ping2 = session.send_request("ping")
    assert session.recv()["id"] == ping2
    session.close_stdin()
    assert session.wait() == 0  # no 30 s wait: the task really was cancelled
    assert session.recv_line() is None


def test_progress_notifications_precede_the_result(session: StdioPeer) -> None:
    request_id = session.send_request(
        "tools/call", {"name": "sleep", "arguments": {"seconds": 0.2}, "_meta": {"progressToken": "tok"}}
    )
    messages = []
    while True:
        message = session.recv()
        messages.append(message)
        if message.get("id") == request_id:
            break
    progress = [m["params"] for m in messages if m.get("method") == "notifications/progress"]
    assert [p["progress"] for p in progress] == [1, 2, 3, 4]
    assert all(p["progressToken"] == "tok" and p["total"] == 4 for p in progress)
    assert progress[-1]["message"] == "slept 4/4"


def test_no_progress_without_a_token(session: StdioPeer) -> None:
    request_id = session.send_request("tools/call", {"name": "sleep", "arguments": {"seconds": 0.05}})
    assert session.recv()["id"] == request_id


# ----------------------------------------------------------------- batches


def test_batches_are_served_under_2025_03_26(calculator: StdioPeer) -> None:
    calculator.initialize("2025-03-26")
    calculator.send(
        [
            {"jsonrpc": "2.0", "id": 1, "method": "ping"},
            {"jsonrpc": "2.0", "method": "notifications/whatever"},
            {
                "jsonrpc": "2.0",
                "id": 2,
                "method": "tools/call",
                "params": {"name": "add", "arguments": {"a": 1, "b": 2}},
            },
            {
                "jsonrpc": "2.0",
                "id": 3,
                "method": "tools/call",
                "params": {"name": "sleep", "arguments": {"seconds": 0.05}},
            },
            {"jsonrpc": "2.0", "id": 4, "method": "initialize", "params": {}},
            {"jsonrpc": "1.0", "id": 5, "method": "ping"},
        ]
    )
    replies = {reply["id"]: reply for reply in calculator.recv()}
    assert set(replies) == {1, 2, 3, 4, 5}
    assert replies[1]["result"] == {}
    assert replies[2]["result"]["content"][0]["text"] == "3"
    assert replies[3]["result"]["content"][0]["text"] == "slept 0.05 s"
    assert replies[4]["error"]["code"] == -32600
    assert replies[5]["error"]["code"] == -32600


def test_all_notification_batch_gets_no_answer(calculator: StdioPeer) -> None:
    calculator.initialize("2025-03-26")
    calculator.send(
        [{"jsonrpc": "2.0", "method": "notifications/a"}, {"jsonrpc": "2.0", "method": "notifications/b"}]
    )
    request_id = calculator.send_request("ping")
    assert calculator.recv()["id"] == request_id


# -------------------------------------------------------- 2026-07-28 envelope


def test_server_discover_without_handshake(calculator: StdioPeer) -> None:
    result = calculator.result("server/discover", {"_meta": modern_meta()})
    assert MODERN_VERSION in result["supportedVersions"]
    assert set(versions.LEGACY_VERSIONS) <= set(result["supportedVersions"])
    assert result["capabilities"]["tools"] == {"listChanged": True}
    assert result["resultType"] == "complete"
    assert result["ttlMs"] == 0 and result["cacheScope"] == "private"
    assert result["_meta"]["io.modelcontextprotocol/serverInfo"]["name"] == "calculator"


def test_modern_tool_call_carries_result_type_and_server_info(calculator: StdioPeer) -> None:
    reply = calculator.request(
        "tools/call", {"name": "add", "arguments": {"a": 20, "b": 22}, "_meta": modern_meta()}
    )
    result = reply["result"]
    assert result["resultType"] == "complete"
    assert result["content"] == [{"type": "text", "text": "42"}]
    assert result["structuredContent"] == {"result": 42}
    assert result["_meta"]["io.modelcontextprotocol/serverInfo"]["version"] == "1.0.0"


def test_modern_tools_list_is_cacheable(calculator: StdioPeer) -> None:
    first = calculator.result("tools/list", {"_meta": modern_meta()})
    second = calculator.result("tools/list", {"_meta": modern_meta()})
    assert first == second
    assert first["resultType"] == "complete" and first["ttlMs"] == 0 and first["cacheScope"] == "private"
    assert [t["name"] for t in first["tools"]] == ["add", "sleep", "fib"]


def test_modern_envelope_errors(calculator: StdioPeer) -> None:
    missing = calculator.request("server/discover", {})
    assert missing["error"]["code"] == -32602
    no_caps = calculator.request(
        "tools/list", {"_meta": {"io.modelcontextprotocol/protocolVersion": MODERN_VERSION}}
    )
    assert no_caps["error"]["code"] == -32602
    unsupported = calculator.request(
        "tools/list", {"_meta": modern_meta(**{"io.modelcontextprotocol/protocolVersion": "2099-01-01"})}
    )
    assert unsupported["error"]["code"] == -32022
    assert unsupported["error"]["data"]["requested"] == "2099-01-01"
    assert MODERN_VERSION in unsupported["error"]["data"]["supported"]


@pytest.mark.parametrize(
    "method", ["ping", "initialize", "logging/setLevel", "resources/subscribe", "no/such"]
)
def test_removed_and_unknown_methods_are_not_found_for_modern_requests(
    calculator: StdioPeer, method: str
) -> None:
    reply = calculator.request(method, {"_meta": modern_meta()})
    assert reply["error"]["code"] == -32601


def test_both_eras_on_one_connection(session: StdioPeer) -> None:
    modern = session.call("add", {"a": 1, "b": 1}, _meta=modern_meta())["result"]
    legacy = session.call("add", {"a": 1, "b": 1})["result"]
    assert modern["resultType"] == "complete"
    assert "resultType" not in legacy
