"""Concurrency and cancellation, judged by the order answers arrived in, never by how long they took.

The probe stamps every response with its order of arrival
(:meth:`~mcpcore.check.probe.Probe.arrival`). A server that serves one request
at a time answers a slow call before a quick one written after it; a
concurrent server answers the quick one first. A cancelled slow call that is
answered anyway arrives before an identical slow call started after it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mcpcore import jsonrpc, versions
from mcpcore.check.checks.common import SPEC_2025, liveness, slow_tool
from mcpcore.check.probe import Probe
from mcpcore.check.registry import Fail, check

if TYPE_CHECKING:
    from mcpcore.check.battery import Battery


def _call(probe: Probe, request_id: int, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
    params: dict[str, Any] = {"name": name, "arguments": arguments}
    if probe.version in versions.MODERN_VERSIONS:
        params = probe.modern_params(params)
    return {"jsonrpc": "2.0", "id": request_id, "method": "tools/call", "params": params}


@check(
    "concurrency.pipelining",
    "32 requests written at once are all answered, ids matched",
    url="https://www.jsonrpc.org/specification#response_object",
    clause="When a rpc call is made, the Server MUST reply with a Response; its id MUST be the same "
    "as the request's.",
)
async def _pipelining(b: Battery) -> str | None:
    probe = await b.connected("concurrency.pipelining")
    try:
        ids = [probe.new_id() for _ in range(32)]
        probe.drain()
        probe.send_raw(b"".join(jsonrpc.encode(liveness(probe, i)) for i in ids))
        seen: set[Any] = set()
        while len(seen) < len(ids):
            reply = await probe.next_message()
            if reply is None:
                raise Fail(f"only {len(seen)} of {len(ids)} pipelined requests answered")
            if type(reply) is dict and "id" in reply and "method" not in reply:
                if reply["id"] not in ids or reply["id"] in seen:
                    raise Fail("an answer with an unexpected or repeated id", reply)
                seen.add(reply["id"])
    finally:
        await probe.__aexit__(None, None, None)
    return None


@check(
    "concurrency.slow-request",
    "a second request is answered while a slow one runs",
    level="INFO",
    url=f"{SPEC_2025}/basic/lifecycle#timeouts",
    clause="No clause requires concurrent handling; a server that answers one request at a time "
    "stalls every client behind one slow tool (best practice).",
)
async def _concurrency(b: Battery) -> str | None:
    name, arguments, duration = slow_tool(b)
    probe = await b.connected("concurrency.slow-request")
    try:
        slow_id, quick_id = probe.new_id(), probe.new_id()
        probe.send(_call(probe, slow_id, name, arguments), method="tools/call")
        probe.send(liveness(probe, quick_id))
        quick = await probe.arrived(quick_id, duration * 3 + b.target.timeout)
        if quick is None:
            raise Fail("no answer to the second request")
        slow = await probe.arrived(slow_id, duration * 3 + b.target.timeout)
        if slow is None:
            raise Fail(f"no answer to the slow {name} call")
        if slow < quick:
            raise Fail(f"the second request was answered only after {name} finished")
    finally:
        await probe.__aexit__(None, None, None)
    return f"answered before {name} finished"


@check(
    "cancellation.no-response",
    "a cancelled request gets no response and the server keeps serving",
    level="SHOULD",
    url=f"{SPEC_2025}/basic/utilities/cancellation#behavior-requirements",
    clause="Receivers of cancellation notifications SHOULD stop processing the cancelled request, "
    "free associated resources, and not send a response for the cancelled request.",
)
async def _cancellation(b: Battery) -> str | None:
    name, arguments, duration = slow_tool(b)
    probe = await b.connected("cancellation.no-response")
    try:
        cancelled, barrier, witness, last = (probe.new_id() for _ in range(4))
        probe.send(_call(probe, cancelled, name, arguments), method="tools/call")
        if probe.target.is_http:
            # Two POSTs have no order on the wire; an answered ping shows the call was taken in.
            probe.send(liveness(probe, barrier))
            await probe.arrived(barrier)
        probe.send(
            {
                "jsonrpc": "2.0",
                "method": "notifications/cancelled",
                "params": {"requestId": cancelled, "reason": "check"},
            }
        )
        # The witness is the same slow call written after the cancellation: a server that ignored
        # the cancellation answers the first call no later than the witness.
        probe.send(_call(probe, witness, name, arguments), method="tools/call")
        if await probe.arrived(witness, duration * 3 + b.target.timeout) is None:
            raise Fail(f"the server stopped answering after a cancellation (no answer to a second {name})")
        probe.send(liveness(probe, last))
        if await probe.arrived(last) is None:
            raise Fail("the server stopped answering after a cancellation")
        if probe.arrival(cancelled) is not None:
            raise Fail("the cancelled request was answered anyway")
    finally:
        await probe.__aexit__(None, None, None)
    return None
