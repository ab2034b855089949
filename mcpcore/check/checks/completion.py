"""Completion: ``completion/complete`` for a prompt argument or a resource template variable."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from mcpcore.check.checks.common import SPEC_2025, declared, walk
from mcpcore.check.probe import Probe
from mcpcore.check.registry import Fail, NotApplicable, check
from mcpcore.errors import RpcError

if TYPE_CHECKING:
    from mcpcore.check.battery import Battery

_TEMPLATE_VARIABLE = re.compile(r"\{[+#./;?&]?([A-Za-z0-9_]+)")


async def _completion_ref(probe: Probe, b: Battery) -> tuple[dict[str, Any], str] | None:
    """A reference with an argument to complete: a prompt argument, else a template variable."""
    capabilities = b.facts.capabilities
    if "prompts" in capabilities:
        for prompt in await walk(probe, "prompts/list", "prompts"):
            for argument in (prompt.get("arguments") or []) if type(prompt) is dict else []:
                if type(argument) is dict and type(argument.get("name")) is str:
                    return {"type": "ref/prompt", "name": prompt["name"]}, argument["name"]
    if "resources" in capabilities:
        for template in await walk(probe, "resources/templates/list", "resourceTemplates"):
            uri = template.get("uriTemplate") if type(template) is dict else None
            found = _TEMPLATE_VARIABLE.search(uri) if type(uri) is str else None
            if found:
                return {"type": "ref/resource", "uri": uri}, found.group(1)
    return None


@check(
    "completion.complete",
    "completion/complete answers for a prompt argument or template variable",
    url=f"{SPEC_2025}/server/utilities/completion#requesting-completions",
    clause="Servers that declare completions answer completion/complete; completion.values is an "
    "array of strings, at most 100 items per response.",
)
async def _completion(b: Battery) -> str | None:
    declared(b, "completions")
    probe = await b.connected("completion.complete")
    try:
        found = await _completion_ref(probe, b)
        if found is None:
            raise NotApplicable("no prompt argument or template variable to complete")
        ref, argument = found
        params = {"ref": ref, "argument": {"name": argument, "value": ""}}
        try:
            result = await probe.s.request("completion/complete", params, timeout=b.target.timeout)
        except RpcError as exc:
            raise Fail(f"completion/complete {ref} {argument!r} failed: {exc.code} {exc.message}") from None
        completion = result.get("completion")
        values = completion.get("values") if type(completion) is dict else None
        if type(values) is not list or not all(type(v) is str for v in values):
            raise Fail("completion/complete: completion.values is not an array of strings", result)
        if len(values) > 100:
            raise Fail(f"completion/complete: {len(values)} values (at most 100 allowed)", result)
    finally:
        await probe.__aexit__(None, None, None)
    return f"{len(values)} value(s) for {ref['type']} argument {argument!r}"
