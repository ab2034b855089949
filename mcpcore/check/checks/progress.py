"""Progress: the notifications a tool sends while it runs name the caller's token and move forward.

A client opts in to progress by putting ``progressToken`` in a request's ``_meta``. The check
calls the tools that say they report progress (by name or description), each with a token of
its own, and reads every ``notifications/progress`` that arrives before the call's answer.
Nothing here depends on timing: the answer closes the window, and a tool that reports no
progress leaves the check not applicable rather than failed.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from jsonschema.validators import validator_for

from mcpcore import versions
from mcpcore.check.checks.common import SPEC_2025, may_call
from mcpcore.check.probe import Probe
from mcpcore.check.registry import Fail, NotApplicable, check
from mcpcore.check.sample import sample_arguments

if TYPE_CHECKING:
    from mcpcore.check.battery import Battery

PROGRESS = f"{SPEC_2025}/basic/utilities/progress"
_REPORTS_PROGRESS = re.compile(r"progress", re.IGNORECASE)


@check(
    "progress.token",
    "progress notifications carry the request's progressToken and increase",
    url=f"{PROGRESS}#behavior-requirements",
    clause="Progress notifications MUST only reference tokens that were provided in an active request; "
    "the progress value MUST increase with each notification.",
)
async def _progress_token(b: Battery) -> str | None:
    if "tools" not in b.facts.capabilities:
        raise NotApplicable("no tools capability")
    candidates = [
        tool
        for tool in b.facts.tools
        if _REPORTS_PROGRESS.search(f"{tool.get('name', '')} {tool.get('description', '')}")
    ]
    if not candidates:
        raise NotApplicable("no tool says it reports progress (in its name or description)")
    callable_ = [tool for tool in candidates if may_call(b, tool)]
    if not callable_:
        names = ", ".join(str(t.get("name")) for t in candidates)
        raise NotApplicable(f"{names}: not read-only (use --call-tools all)")
    probe = await b.connected("progress.token")
    reported: list[str] = []
    try:
        for tool in callable_:
            arguments = _arguments(tool)
            if arguments is None:
                continue
            count = await _call_with_progress(probe, str(tool.get("name")), arguments, b.target.timeout)
            if count:
                reported.append(f"{tool.get('name')} ({count})")
    finally:
        await probe.__aexit__(None, None, None)
    if not reported:
        names = ", ".join(str(t.get("name")) for t in callable_)
        raise NotApplicable(f"called {names} with a progressToken: no progress reported")
    return "progress from " + ", ".join(reported)


def _arguments(tool: dict[str, Any]) -> dict[str, Any] | None:
    schema = tool.get("inputSchema") or {"type": "object"}
    arguments = sample_arguments(schema)
    try:
        return arguments if validator_for(schema)(schema).is_valid(arguments) else None
    except Exception:
        return None


async def _call_with_progress(probe: Probe, name: str, arguments: dict[str, Any], timeout: float) -> int:
    """Call ``name`` with a progress token; judge every progress notification before its answer."""
    request_id = probe.new_id()
    token = f"mcpcore-check-progress-{request_id}"
    params: dict[str, Any] = {"name": name, "arguments": arguments}
    meta: dict[str, Any] = {"progressToken": token}
    if probe.version in versions.MODERN_VERSIONS:
        meta = {**probe.modern_params()["_meta"], **meta}
    probe.drain()
    probe.send(
        {"jsonrpc": "2.0", "id": request_id, "method": "tools/call", "params": {**params, "_meta": meta}},
        method="tools/call",
    )
    values: list[object] = []
    while True:
        msg = await probe.next_message(timeout)
        if msg is None:
            raise Fail(f"tools/call {name} with a progressToken got no answer within {timeout} s")
        if type(msg) is not dict:
            continue
        if msg.get("method") == "notifications/progress":
            params_in = msg.get("params")
            got = params_in.get("progressToken", "missing") if type(params_in) is dict else "missing"
            if got == "missing":
                raise Fail(f"a notifications/progress during tools/call {name} has no progressToken", msg)
            if type(got) is not type(token) or got != token:
                raise Fail(
                    f"a notifications/progress during tools/call {name} names token {got!r}, "
                    f"not the request's {token!r}",
                    msg,
                )
            value = params_in.get("progress") if type(params_in) is dict else None
            previous = values[-1] if values else None
            if isinstance(value, (int, float)) and isinstance(previous, (int, float)) and value <= previous:
                raise Fail(f"progress went from {previous} to {value} during tools/call {name}", msg)
            values.append(value)
            continue
        if "method" not in msg and type(msg.get("id")) is int and msg["id"] == request_id:
            return len(values)
