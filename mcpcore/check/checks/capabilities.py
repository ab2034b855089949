"""Capabilities and pagination: list methods match what the server declared; lists terminate."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mcpcore import versions
from mcpcore.check.checks.common import CAPABILITY_LISTS, SPEC_2025, walk
from mcpcore.check.registry import Fail, NotApplicable, check
from mcpcore.errors import RpcError

if TYPE_CHECKING:
    from mcpcore.check.battery import Battery

PAGINATION = f"{SPEC_2025}/server/utilities/pagination"


@check(
    "capabilities.lists",
    "list methods answer when declared, -32601 when not",
    url=f"{SPEC_2025}/basic/lifecycle#capability-negotiation",
    clause="Servers that support a feature MUST declare its capability; a declared list method "
    "answers. (Answering an undeclared one, or with a code other than -32601, is only INFO.)",
)
async def _lists(b: Battery) -> str | None:
    probe = await b.connected("capabilities.lists")
    notes = []
    try:
        declared = probe.s.server.capabilities if probe.s.server else {}
        for capability, method, _key in (*CAPABILITY_LISTS, ("logging", "logging/setLevel", "")):
            if method == "logging/setLevel" and probe.version in versions.MODERN_VERSIONS:
                continue
            params = {"level": "info"} if method == "logging/setLevel" else {}
            try:
                await probe.s.request(method, params)
                answered = True
            except RpcError as exc:
                if capability in declared:
                    raise Fail(
                        f"{capability} is declared but {method} failed: {exc.code} {exc.message}"
                    ) from None
                if exc.code != -32601:
                    raise Fail(
                        f"{method} without the {capability} capability: expected -32601, got {exc.code}",
                        level="INFO",
                        clause="An unsupported method is Method not found (-32601) in JSON-RPC terms.",
                    ) from None
                answered = False
            if answered and capability not in declared:
                raise Fail(
                    f"{method} answered although the {capability} capability is not declared",
                    level="INFO",
                    clause="The spec binds the sender to negotiated capabilities, not the receiver.",
                )
            notes.append(f"{method}: {'ok' if answered else '-32601'}")
    finally:
        await probe.__aexit__(None, None, None)
    return "; ".join(notes)


@check(
    "pagination.walk",
    "every paginated list terminates",
    level="SHOULD",
    url=f"{PAGINATION}#response-format",
    clause="nextCursor is present if more results exist; its absence ends the list (a cursor that "
    "repeats never ends it).",
)
async def _pagination(b: Battery) -> str | None:
    probe = await b.connected("pagination.walk")
    notes = []
    try:
        declared = probe.s.server.capabilities if probe.s.server else {}
        for capability, method, key in CAPABILITY_LISTS:
            if capability in declared:
                items = await walk(probe, method, key)
                notes.append(f"{method}: {len(items)}")
    finally:
        await probe.__aexit__(None, None, None)
    if not notes:
        raise NotApplicable("no list capability declared")
    return ", ".join(notes)


@check(
    "pagination.invalid-cursor",
    "an invalid cursor gets -32602",
    level="SHOULD",
    url=f"{PAGINATION}#error-handling",
    clause="Invalid cursors SHOULD result in an error with code -32602 (Invalid params).",
)
async def _bad_cursor(b: Battery) -> str | None:
    if "tools" not in b.facts.capabilities:
        raise NotApplicable("no tools capability")
    probe = await b.connected("pagination.invalid-cursor")
    try:
        try:
            result = await probe.s.request("tools/list", {"cursor": "mcpcore-check-not-a-cursor!!"})
        except RpcError as exc:
            if exc.code != -32602:
                raise Fail(f"expected -32602, got {exc.code} {exc.message}") from None
            return None
        raise Fail("an invalid cursor was accepted", result)
    finally:
        await probe.__aexit__(None, None, None)
