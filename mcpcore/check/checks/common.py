"""What the areas' checks share: spec section URLs, listing, liveness, raw-error probing, tool choice."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Final

from mcpcore import versions
from mcpcore.check.probe import Probe
from mcpcore.check.registry import Fail, NotApplicable

if TYPE_CHECKING:
    from mcpcore.check.battery import Battery

__all__ = [
    "CAPABILITY_LISTS",
    "JSONRPC",
    "SPEC_2025",
    "SPEC_2026",
    "declared",
    "expect_error",
    "liveness",
    "may_call",
    "slow_tool",
    "stdio_only",
    "walk",
]

#: Section URLs of the published specification (the clauses quote these pages).
SPEC_2025: Final = "https://modelcontextprotocol.io/specification/2025-11-25"
SPEC_2026: Final = "https://modelcontextprotocol.io/specification/2026-07-28"
JSONRPC: Final = "https://www.jsonrpc.org/specification"

CAPABILITY_LISTS: Final = (
    ("tools", "tools/list", "tools"),
    ("resources", "resources/list", "resources"),
    ("resources", "resources/templates/list", "resourceTemplates"),
    ("prompts", "prompts/list", "prompts"),
)
_SLOW_NAME = re.compile(r"sleep|slow|wait|delay", re.IGNORECASE)


def stdio_only(b: Battery) -> None:
    if b.target.is_http:
        raise NotApplicable("a stdio matter (the target is an HTTP endpoint)")


def declared(b: Battery, capability: str) -> None:
    if capability not in b.facts.capabilities:
        raise NotApplicable(f"no {capability} capability")


def may_call(b: Battery, tool: dict[str, Any]) -> bool:
    """May the battery call ``tool`` (``--call-tools``: read-only ones by default)?"""
    if b.call_tools == "all":
        return True
    if b.call_tools == "none":
        return False
    return bool((tool.get("annotations") or {}).get("readOnlyHint"))


async def walk(probe: Probe, method: str, key: str, max_pages: int = 1000) -> list[Any]:
    """Every item of a paginated list; a page without the array or a repeating cursor fails."""
    items: list[Any] = []
    seen: set[str] = set()
    cursor: str | None = None
    for _ in range(max_pages):
        result = await probe.s.request(method, {"cursor": cursor} if cursor is not None else None)
        page = result.get(key)
        if type(page) is not list:
            raise Fail(f"{method} result has no {key!r} array", result)
        items.extend(page)
        cursor = result.get("nextCursor")
        if cursor is None:
            return items
        if type(cursor) is not str or cursor in seen:
            raise Fail(f"{method} pagination does not terminate: cursor {cursor!r} repeats", result)
        seen.add(cursor)
    raise Fail(f"{method} gave more than {max_pages} pages")


def liveness(probe: Probe, request_id: Any) -> dict[str, Any]:
    """The cheapest request the server must answer in the probe's era."""
    if probe.version in versions.MODERN_VERSIONS:
        return {
            "jsonrpc": "2.0",
            "id": request_id,
            "method": "server/discover",
            "params": probe.modern_params(),
        }
    return {"jsonrpc": "2.0", "id": request_id, "method": "ping"}


async def expect_error(
    probe: Probe, raw: bytes, codes: tuple[int, ...], *, request_id: Any = None, what: str
) -> str:
    """Send ``raw``; the server must answer an error with one of ``codes`` and the right id."""
    probe.drain()
    probe.send_raw(raw)
    reply = await probe.next_message()
    while type(reply) is dict and "method" in reply:  # notifications (logs) may come first
        reply = await probe.next_message()
    if reply is None:
        raise Fail(f"no answer to {what}", raw)
    if type(reply) is not dict or "error" not in reply:
        raise Fail(f"{what} was not answered with an error", reply)
    code = reply["error"].get("code") if type(reply["error"]) is dict else None
    if code not in codes:
        raise Fail(f"{what}: expected error {' or '.join(map(str, codes))}, got {code}", reply)
    if reply.get("id", "missing") != request_id or type(reply.get("id")) is not type(request_id):
        raise Fail(
            f"{what}: the error's id should be {request_id!r}, got {reply.get('id', 'missing')!r}", reply
        )
    if not await probe.alive():
        raise Fail(f"the server stopped answering after {what}")
    return f"error {code}, server still serving"


def slow_tool(battery: Battery) -> tuple[str, dict[str, Any], float]:
    """A tool that takes a while (name:param from --slow-tool, else guessed), its arguments and duration."""
    override = battery.slow_tool_override
    for tool in battery.facts.tools:
        name = tool.get("name", "")
        schema = tool.get("inputSchema") or {}
        numeric = [
            key
            for key, prop in (schema.get("properties") or {}).items()
            if type(prop) is dict and prop.get("type") in ("number", "integer")
        ]
        if override is not None:
            wanted, _, param = override.partition(":")
            if name != wanted:
                continue
            numeric = [param] if param else numeric[:1]
        elif not _SLOW_NAME.search(name) or len(numeric) != 1 or len(schema.get("required") or []) > 1:
            continue
        param = numeric[0]
        value: float = 2000 if "ms" in param.lower() else 2
        return name, {param: value}, 2.0
    raise NotApplicable("no slow tool found (name it with --slow-tool NAME:PARAM)")
