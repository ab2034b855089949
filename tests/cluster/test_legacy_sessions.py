"""Legacy ``Mcp-Session-Id`` sessions through a real haproxy in plain round-robin, sessions in Redis.

Each request of one session lands on another replica (the balancer tags
every answer with ``X-Replica``), and still: the handshake, tool calls, a log
level set on one replica and honoured on another, an elicitation whose answer
reaches another replica than the one waiting for it, and a ``DELETE`` that
every replica then answers with 404.
"""

from __future__ import annotations

import http.client
import os
import subprocess
import sys
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import orjson
import pytest

from tests.cluster.harness import ROOT, Cluster, wait_listening
from tests.redis_server import free_port

VERSION = "2025-06-18"


@pytest.fixture
def cluster(loop_name: str, redis_url: str) -> Iterator[Cluster]:
    with Cluster(3, redis_url=redis_url, loop=loop_name) as running:
        yield running


class Answer:
    """One HTTP answer: status, the replica that gave it, and the JSON-RPC messages in its body."""

    def __init__(self, response: http.client.HTTPResponse) -> None:
        self.status = response.status
        self.replica = response.getheader("X-Replica", "")
        self.session_id = response.getheader("Mcp-Session-Id")
        body = response.read()
        if response.getheader("Content-Type", "").startswith("text/event-stream"):
            self.messages = [
                orjson.loads(line[5:])
                for line in body.splitlines()
                if line.startswith(b"data:") and line[5:].strip()
            ]
        else:
            self.messages = [orjson.loads(body)] if body else []

    @property
    def result(self) -> Any:
        final = self.messages[-1]
        assert "result" in final, final
        return final["result"]


class LegacyClient:
    """A legacy Streamable HTTP client on one keep-alive connection to the balancer."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port
        self.path = parts.path
        self.connection = http.client.HTTPConnection(self.host, self.port, timeout=30)
        self.session_id: str | None = None
        self.next_id = 0

    def headers(self) -> dict[str, str]:
        headers = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}
        if self.session_id is not None:
            headers["Mcp-Session-Id"] = self.session_id
            headers["MCP-Protocol-Version"] = VERSION
        return headers

    def send(self, message: dict[str, Any]) -> Answer:
        self.connection.request("POST", self.path, body=orjson.dumps(message), headers=self.headers())
        return Answer(self.connection.getresponse())

    def request(self, method: str, params: dict[str, Any] | None = None) -> Answer:
        self.next_id += 1
        return self.send({"jsonrpc": "2.0", "id": self.next_id, "method": method, "params": params or {}})

    def initialize(self, capabilities: dict[str, Any] | None = None) -> Answer:
        answer = self.request(
            "initialize",
            {
                "protocolVersion": VERSION,
                "capabilities": capabilities or {},
                "clientInfo": {"name": "cluster-test", "version": "1.0"},
            },
        )
        assert answer.status == 200
        self.session_id = answer.session_id
        initialized = self.send({"jsonrpc": "2.0", "method": "notifications/initialized"})
        assert initialized.status == 202
        return answer

    def delete(self) -> Answer:
        self.connection.request("DELETE", self.path, headers=self.headers())
        return Answer(self.connection.getresponse())

    def close(self) -> None:
        self.connection.close()


@pytest.fixture
def client(cluster: Cluster) -> Iterator[LegacyClient]:
    running = LegacyClient(cluster.url)
    try:
        yield running
    finally:
        running.close()


def test_a_session_is_served_by_every_replica_and_deleted_for_all(
    cluster: Cluster, client: LegacyClient
) -> None:
    served_by = [client.initialize().replica]
    tools = client.request("tools/list")
    assert tools.status == 200
    assert any(tool["name"] == "test_simple_text" for tool in tools.result["tools"])
    called = client.request("tools/call", {"name": "test_simple_text", "arguments": {}})
    assert called.status == 200
    assert called.result["content"][0]["text"]
    level = client.request("logging/setLevel", {"level": "error"})
    assert level.status == 200
    assert level.result == {}
    served_by += [tools.replica, called.replica, level.replica]
    assert set(served_by) == {"r0", "r1", "r2"}

    deleted = client.delete()
    assert deleted.status == 200
    after = [client.request("tools/list") for _ in range(3)]
    assert [answer.status for answer in after] == [404, 404, 404]
    assert {answer.replica for answer in after} == {"r0", "r1", "r2"}


def test_a_log_level_set_on_one_replica_holds_on_every_other(client: LegacyClient) -> None:
    client.initialize()
    call = {"name": "test_tool_with_logging", "arguments": {}}
    before = [client.request("tools/call", call) for _ in range(3)]
    for answer in before:  # no level set: every replica sends the tool's info logs
        assert any(message.get("method") == "notifications/message" for message in answer.messages)
    assert client.request("logging/setLevel", {"level": "error"}).status == 200
    after = [client.request("tools/call", call) for _ in range(3)]
    assert {answer.replica for answer in after} == {"r0", "r1", "r2"}
    for answer in after:  # every replica, including those that cached the session before, honours it
        assert answer.result["content"][0]["text"] == "Tool with logging executed successfully"
        assert not any(message.get("method") == "notifications/message" for message in answer.messages)


class WaitingCall:
    """A ``test_elicitation`` call on its own connection, stopped at its question to the client.

    The replica serving the call keeps its stream open while the handler
    waits for the client's answer.
    """

    def __init__(self, client: LegacyClient, request_id: int, message: str) -> None:
        self.connection = http.client.HTTPConnection(client.host, client.port, timeout=20)
        body = {
            "jsonrpc": "2.0",
            "id": request_id,
            "method": "tools/call",
            "params": {"name": "test_elicitation", "arguments": {"message": message}},
        }
        self.connection.request("POST", client.path, body=orjson.dumps(body), headers=client.headers())
        self.response = self.connection.getresponse()
        assert self.response.status == 200
        self.replica = self.response.getheader("X-Replica") or ""
        self.question = _next_message(self.response)
        assert self.question["method"] == "elicitation/create"

    def close(self) -> None:
        self.connection.close()


def test_an_elicitation_answer_reaching_another_replica_resolves_the_waiting_call(
    cluster: Cluster, client: LegacyClient
) -> None:
    client.initialize({"elicitation": {}})
    call = WaitingCall(client, 99, "Who are you?")
    try:
        reply = {
            "jsonrpc": "2.0",
            "id": call.question["id"],
            "result": {"action": "accept", "content": {"username": "ada", "email": "ada@example.com"}},
        }
        answered = client.send(reply)
        assert answered.status == 202
        assert answered.replica != call.replica  # round-robin sent the answer elsewhere

        final = _next_message(call.response)
        while "id" not in final or final.get("id") != 99:
            final = _next_message(call.response)
        text = final["result"]["content"][0]["text"]
        assert "accept" in text
        assert "ada" in text
    finally:
        call.close()


def test_a_cancellation_reaching_another_replica_cancels_the_call_where_it_runs(
    cluster: Cluster, client: LegacyClient
) -> None:
    client.initialize({"elicitation": {}})
    call = WaitingCall(client, 77, "Never answered")  # waits for an answer that never comes
    # Straight to another replica: one that does not run the call (haproxy names them r0, r1, r2).
    elsewhere = LegacyClient(cluster.replica_url((int(call.replica[1:]) + 1) % 3))
    try:
        elsewhere.session_id = client.session_id
        cancel = {"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": 77}}
        assert elsewhere.send(cancel).status == 202

        # A cancelled request gets no answer: its stream ends instead of waiting for the elicitation.
        rest = call.response.read()
        assert b'"id":77' not in rest.replace(b" ", b"")
    finally:
        call.close()
        elsewhere.close()


def test_messages_of_no_request_reach_the_get_stream_held_by_another_replica(
    cluster: Cluster, client: LegacyClient
) -> None:
    client.initialize()
    assert client.request("resources/subscribe", {"uri": "test://watched-resource"}).status == 200
    listen = http.client.HTTPConnection(client.host, client.port, timeout=30)
    try:
        headers = {**client.headers(), "Accept": "text/event-stream"}
        del headers["Content-Type"]
        listen.request("GET", client.path, headers=headers)
        stream = listen.getresponse()
        assert stream.status == 200
        holder = stream.getheader("X-Replica")
        for tool in ("test_trigger_tool_change", "test_trigger_resource_update"):
            called = client.request("tools/call", {"name": tool, "arguments": {}})
            assert called.status == 200
            assert called.replica != holder  # the change happens on a replica without the stream
        first, second = _next_message(stream), _next_message(stream)
        assert first == {"jsonrpc": "2.0", "method": "notifications/tools/list_changed"}
        assert second["method"] == "notifications/resources/updated"
        assert second["params"] == {"uri": "test://watched-resource"}
    finally:
        listen.close()


def _next_message(response: http.client.HTTPResponse) -> dict[str, Any]:
    """The next JSON-RPC message on an SSE response (skipping priming events and comments)."""
    while True:
        line = response.readline()
        assert line, "the stream ended"
        if line.startswith(b"data:") and line[5:].strip():
            message: dict[str, Any] = orjson.loads(line[5:])
            return message


def test_two_mcpcore_run_processes_given_redis_share_a_session(loop_name: str, redis_url: str) -> None:
    """``mcpcore run --http --redis URL``: a session made by one process is served by the other."""
    ports = [free_port(), free_port()]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "MCPCORE_LOOP": loop_name}
    command = [sys.executable, "-m", "mcpcore", "run", "mcpcore.examples.conformance:server", "--http"]
    command += ["--redis", redis_url]
    processes = [
        subprocess.Popen([*command, "--port", str(port)], cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
        for port in ports
    ]
    try:
        for port, process in zip(ports, processes, strict=True):
            wait_listening(port, process, f"mcpcore run on {port}")
        first = LegacyClient(f"http://127.0.0.1:{ports[0]}/mcp")
        second = LegacyClient(f"http://127.0.0.1:{ports[1]}/mcp")
        first.initialize()
        second.session_id = first.session_id
        tools = second.request("tools/list")
        assert tools.status == 200
        assert any(tool["name"] == "test_simple_text" for tool in tools.result["tools"])
        first.close()
        second.close()
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=10)
