"""Resources: what is listed reads back with well-formed contents."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mcpcore import versions
from mcpcore.check.checks.common import SPEC_2025, declared, walk
from mcpcore.check.registry import Fail, NotApplicable, check
from mcpcore.errors import RequestTimeoutError, RpcError

if TYPE_CHECKING:
    from mcpcore.check.battery import Battery

#: How many listed resources the check reads back (the first ones listed).
MAX_READS = 5


@check(
    "resources.read",
    "listed resources read back with well-formed contents",
    url=f"{SPEC_2025}/server/resources#reading-resources",
    clause="resources/read returns contents: each item has a uri and either text or blob (schema). "
    "(A listed resource that fails to read is INFO: the spec does not promise it reads.)",
)
async def _resources_read(b: Battery) -> str | None:
    declared(b, "resources")
    probe = await b.connected("resources.read")
    try:
        resources = await walk(probe, "resources/list", "resources")
        listed = [r for r in resources if type(r) is dict and type(r.get("uri")) is str]
        if not listed:
            raise NotApplicable("the server lists no resources")
        for resource in listed[:MAX_READS]:
            uri = resource["uri"]
            try:
                result = await probe.s.request("resources/read", {"uri": uri}, timeout=b.target.timeout)
            except RpcError as exc:
                raise Fail(
                    f"resources/read of the listed {uri!r} failed: {exc.code} {exc.message}", level="INFO"
                ) from None
            except RequestTimeoutError:
                raise Fail(f"resources/read {uri!r} got no answer within {b.target.timeout} s") from None
            contents = result.get("contents")
            if type(contents) is not list:
                raise Fail(f"resources/read {uri!r}: contents is not an array", result)
            if not contents:
                raise Fail(f"resources/read {uri!r}: no contents", result, level="INFO")
            for item in contents:
                if type(item) is not dict or type(item.get("uri")) is not str:
                    raise Fail(f"resources/read {uri!r}: a content item without a uri", result)
                if type(item.get("text")) is not str and type(item.get("blob")) is not str:
                    raise Fail(f"resources/read {uri!r}: a content item with neither text nor blob", result)
    finally:
        await probe.__aexit__(None, None, None)
    return f"read {min(len(listed), MAX_READS)} of {len(listed)}"


@check(
    "resources.unknown",
    "reading an unknown resource gets -32002 or -32602 (2026-07-28: -32602)",
    level="SHOULD",
    url=f"{SPEC_2025}/server/resources#error-handling",
    clause="Servers SHOULD return standard JSON-RPC errors for common failure cases: resource not "
    "found: -32002 (2026-07-28, SEP-2164: -32602, which legacy clients accept too).",
)
async def _resources_unknown(b: Battery) -> str | None:
    declared(b, "resources")
    probe = await b.connected("resources.unknown")
    # SEP-2164 moved "not found" to -32602 for 2026-07-28; before it the spec recommended -32002, and
    # -32602 is what most legacy servers answer and every client reads as not found.
    wanted = (-32602,) if probe.version in versions.MODERN_VERSIONS else (-32002, -32602)
    try:
        try:
            result = await probe.s.request("resources/read", {"uri": "mcpcore-check:///no-such-resource"})
        except RpcError as exc:
            if exc.code not in wanted:
                expected = " or ".join(map(str, wanted))
                raise Fail(f"expected {expected}, got {exc.code} {exc.message}") from None
            return f"{exc.code} under {probe.version}"
        raise Fail("an unknown resource was read", result)
    finally:
        await probe.__aexit__(None, None, None)
