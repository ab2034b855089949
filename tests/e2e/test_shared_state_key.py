"""Replicas share one ``requestState`` key: a retry sealed by one process is opened by another.

Behind a round-robin balancer the retry of a 2026-07-28 input-required call
may reach a different replica than the first attempt. Two real processes play
the replicas here; the key reaches them the ways an operator gives it:
``mcpcore run --state-key`` and the ``MCPCORE_STATE_KEY`` environment variable.
Without a shared key each process seals with its own random key, and the
other replica rejects the state as forged (-32602), which is the point of it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.helpers import StdioPeer, modern_meta

TOOL = "test_input_required_result_request_state"
ANSWER = {"confirm": {"action": "accept", "content": {"ok": True}}}
KEY = "a-fleet-wide-secret-of-32-bytes!"
CAPS = {"elicitation": {}}


def _call(peer: StdioPeer, **params: Any) -> dict[str, Any]:
    return peer.request("tools/call", {"name": TOOL, "arguments": {}, "_meta": modern_meta(CAPS), **params})


def _retry_elsewhere(first: StdioPeer, second: StdioPeer) -> dict[str, Any]:
    """The first attempt on one replica, the retry with its requestState on the other."""
    state = _call(first)["result"]["requestState"]
    return _call(second, inputResponses=ANSWER, requestState=state)


@pytest.fixture
def spawned() -> Iterator[list[StdioPeer]]:
    peers: list[StdioPeer] = []
    yield peers
    for peer in peers:
        peer.kill()


def _replica(
    spawned: list[StdioPeer], loop: str, args: list[str], env: dict[str, str] | None = None
) -> StdioPeer:
    peer = StdioPeer.spawn(args, loop=loop, env={"MCPCORE_STATE_KEY": "", **(env or {})})
    spawned.append(peer)
    return peer


RUN = ["-m", "mcpcore", "run", "mcpcore.examples.conformance:server"]
FIXTURE = ["-m", "mcpcore.examples.conformance"]


@pytest.mark.parametrize(
    ("args", "env"),
    [
        ([*RUN, "--state-key", KEY], None),
        ([*FIXTURE, "--state-key", KEY], None),
        (RUN, {"MCPCORE_STATE_KEY": KEY}),
        (FIXTURE, {"MCPCORE_STATE_KEY": KEY}),
    ],
    ids=["run-flag", "fixture-flag", "run-env", "fixture-env"],
)
def test_a_retry_is_accepted_by_another_replica_with_the_same_key(
    loop_name: str, spawned: list[StdioPeer], args: list[str], env: dict[str, str] | None
) -> None:
    first, second = (_replica(spawned, loop_name, args, env) for _ in range(2))
    done = _retry_elsewhere(first, second)
    assert done["result"]["resultType"] == "complete"
    assert "state-ok" in done["result"]["content"][0]["text"]


def test_without_a_shared_key_another_replica_rejects_the_state(
    loop_name: str, spawned: list[StdioPeer]
) -> None:
    first, second = (_replica(spawned, loop_name, RUN) for _ in range(2))
    error = _retry_elsewhere(first, second)["error"]
    assert error["code"] == -32602 and "requestState" in error["message"]


def test_a_short_state_key_is_refused_at_start(loop_name: str, spawned: list[StdioPeer]) -> None:
    peer = _replica(spawned, loop_name, [*RUN, "--state-key", "short"])
    assert peer.wait(timeout=30) != 0
    assert "--state-key" in peer.stderr.decode() and "16 bytes" in peer.stderr.decode()
