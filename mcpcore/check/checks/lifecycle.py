"""Lifecycle: the legacy ``initialize`` handshake and version negotiation, ping, and the
2026-07-28 per-request envelope (``server/discover``, unsupported versions, missing metadata)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mcpcore import versions
from mcpcore.check.checks.common import CAPABILITY_LISTS, SPEC_2025, SPEC_2026, walk
from mcpcore.check.registry import LEGACY, MODERN, CheckFn, Fail, NotApplicable, check

if TYPE_CHECKING:
    from mcpcore.check.battery import Battery

UNKNOWN_VERSION = "1999-01-01"
LIFECYCLE = f"{SPEC_2025}/basic/lifecycle"
MODERN_LIFECYCLE = f"{SPEC_2026}/basic/lifecycle"


@check(
    "lifecycle.initialize",
    "legacy initialize handshake (or a modern-only server)",
    versions=LEGACY,
    url=f"{LIFECYCLE}#initialization",
    clause="The initialization phase MUST be the first interaction between client and server; "
    "the server MUST respond with its own capabilities and information.",
)
async def _initialize(b: Battery) -> str | None:
    f = b.facts
    if f.legacy:
        return f"negotiated {f.legacy_version}"
    if f.modern:
        raise NotApplicable(f"modern-only server; initialize answered: {f.legacy_error}")
    raise Fail(f"neither initialize ({f.legacy_error}) nor server/discover ({f.modern_error}) succeeded")


def _version_check(version: str) -> CheckFn:
    async def run(b: Battery) -> str | None:
        if not b.facts.legacy:
            raise NotApplicable("the server does not speak the legacy handshake")
        async with b.probe(f"lifecycle.version.{version}") as probe:
            info = await probe.legacy(version)
            if info.protocol_version != version:
                raise NotApplicable(f"server offered {info.protocol_version} instead")
            if not await probe.alive():
                raise Fail("ping unanswered after the handshake")
            listed = []
            for capability, method, key in CAPABILITY_LISTS:
                if capability in info.capabilities:
                    await walk(probe, method, key)
                    listed.append(method)
        return f"speaks {version}; validated {', '.join(listed) or 'the handshake'}"

    return run


for _version in versions.LEGACY_VERSIONS:
    check(
        f"lifecycle.version.{_version}",
        f"handshake and listings under {_version}",
        versions=(_version,),
        url=f"https://modelcontextprotocol.io/specification/{_version}/basic/lifecycle#version-negotiation",
        clause="If the server supports the requested protocol version, it MUST respond with the same "
        "version; every message then follows that version's schema.",
    )(_version_check(_version))


@check(
    "lifecycle.unknown-version",
    "initialize with an unknown version gets a supported one (or an error)",
    versions=LEGACY,
    url=f"{LIFECYCLE}#version-negotiation",
    clause="Otherwise, the server MUST respond with another protocol version it supports.",
)
async def _unknown_version(b: Battery) -> str | None:
    if not b.facts.legacy:
        raise NotApplicable("legacy handshake not spoken")
    async with b.probe("lifecycle.unknown-version") as probe:
        request_id = probe.new_id()
        probe.send(
            {
                "jsonrpc": "2.0",
                "id": request_id,
                "method": "initialize",
                "params": {
                    "protocolVersion": UNKNOWN_VERSION,
                    "capabilities": {},
                    "clientInfo": {"name": "c", "version": "0"},
                },
            }
        )
        reply = await probe.answer_to(request_id)
        if reply is None:
            raise Fail("no answer to initialize with an unknown version")
        if "error" in reply:
            return f"refused with error {reply['error'].get('code')}"
        offered = (reply.get("result") or {}).get("protocolVersion")
        if offered == UNKNOWN_VERSION:
            raise Fail("the server echoed a version it cannot speak", reply)
        if offered not in versions.SUPPORTED_VERSIONS:
            raise Fail(f"the server offered an unknown version {offered!r}", reply)
        return f"offered {offered}"


@check(
    "lifecycle.ping",
    "ping answered with an empty result (legacy)",
    versions=LEGACY,
    url=f"{SPEC_2025}/basic/utilities/ping#behavior-requirements",
    clause="The receiver MUST respond promptly with an empty response.",
)
async def _ping(b: Battery) -> str | None:
    if not b.facts.legacy:
        raise NotApplicable("ping does not exist in 2026-07-28")
    async with b.probe("lifecycle.ping") as probe:
        await probe.legacy()
        result = await probe.s.request("ping")
        if result not in ({}, {"_meta": result.get("_meta")}):
            raise Fail("ping result is not empty", result)
    return None


@check(
    "lifecycle.discover",
    "server/discover (2026-07-28)",
    versions=MODERN,
    url=f"{MODERN_LIFECYCLE}",
    clause="A 2026-07-28 server answers server/discover with its supported versions and capabilities.",
)
async def _discover(b: Battery) -> str | None:
    f = b.facts
    if not f.modern:
        raise NotApplicable(f"legacy-only server; server/discover: {f.modern_error or f.supported_versions}")
    return f"supports {', '.join(f.supported_versions)}"


@check(
    "lifecycle.modern-unsupported-version",
    "a request in an unknown modern version gets -32022 with supported",
    versions=MODERN,
    url=f"{MODERN_LIFECYCLE}",
    clause="When a request declares a protocol version the server does not implement, it MUST answer "
    "UnsupportedProtocolVersionError (-32022) with data.supported.",
)
async def _modern_unsupported(b: Battery) -> str | None:
    if not b.facts.modern:
        raise NotApplicable("not a 2026-07-28 server")
    async with b.probe("lifecycle.modern-unsupported-version") as probe:
        probe.version = versions.LATEST_MODERN
        request_id = probe.new_id()
        meta = {**probe.s.envelope(), "io.modelcontextprotocol/protocolVersion": "2099-01-01"}
        probe.send(
            {"jsonrpc": "2.0", "id": request_id, "method": "server/discover", "params": {"_meta": meta}}
        )
        reply = await probe.answer_to(request_id)
        if reply is None or "error" not in reply:
            raise Fail("expected error -32022", reply)
        error = reply["error"]
        if error.get("code") != -32022:
            raise Fail(f"expected error -32022, got {error.get('code')}", reply)
        data = error.get("data")
        if type(data) is not dict or type(data.get("supported")) is not list:
            raise Fail("-32022 must carry data.supported", reply)
        return f"supported: {data['supported']}"


@check(
    "lifecycle.modern-missing-meta",
    "a modern request without clientCapabilities gets -32602",
    versions=MODERN,
    url=f"{MODERN_LIFECYCLE}",
    clause="io.modelcontextprotocol/clientCapabilities is required in every request's _meta; a request "
    "without it is invalid (-32602).",
)
async def _modern_missing(b: Battery) -> str | None:
    if not b.facts.modern:
        raise NotApplicable("not a 2026-07-28 server")
    async with b.probe("lifecycle.modern-missing-meta") as probe:
        probe.version = versions.LATEST_MODERN
        request_id = probe.new_id()
        meta = {"io.modelcontextprotocol/protocolVersion": versions.LATEST_MODERN}
        probe.send(
            {"jsonrpc": "2.0", "id": request_id, "method": "server/discover", "params": {"_meta": meta}}
        )
        reply = await probe.answer_to(request_id)
        if reply is None or "error" not in reply or reply["error"].get("code") != -32602:
            raise Fail("expected error -32602", reply)
    return None


@check(
    "lifecycle.modern-results",
    "2026-07-28 results carry resultType (and cache hints where cacheable)",
    versions=MODERN,
    url=f"{SPEC_2026}/basic",
    clause="Results MUST include resultType; cacheable list results carry ttlMs and cacheScope.",
)
async def _modern_results(b: Battery) -> str | None:
    if not b.facts.modern:
        raise NotApplicable("not a 2026-07-28 server")
    async with b.probe("lifecycle.modern-results") as probe:
        info = await probe.modern()
        checked = ["server/discover"]
        for capability, method, _key in CAPABILITY_LISTS:
            if capability not in info.capabilities:
                continue
            result = await probe.s.send_request(method, {}, modern_version=versions.LATEST_MODERN)
            if result.get("resultType") != "complete":
                raise Fail(f"{method} result lacks resultType 'complete'", result)
            if "ttlMs" not in result or "cacheScope" not in result:
                raise Fail(f"{method} is cacheable but lacks ttlMs/cacheScope", result)
            checked.append(method)
    return ", ".join(checked)


@check(
    "lifecycle.modern-server-info",
    "2026-07-28 results carry io.modelcontextprotocol/serverInfo in _meta",
    level="SHOULD",
    versions=MODERN,
    url=f"{MODERN_LIFECYCLE}",
    clause="Servers SHOULD put io.modelcontextprotocol/serverInfo in every result's _meta.",
)
async def _modern_server_info(b: Battery) -> str | None:
    if not b.facts.modern:
        raise NotApplicable("not a 2026-07-28 server")
    async with b.probe("lifecycle.modern-server-info") as probe:
        info = await probe.modern()
        methods = ["server/discover"]
        methods += [
            method for capability, method, _key in CAPABILITY_LISTS if capability in info.capabilities
        ]
        for method in methods:
            result = await probe.s.send_request(method, {}, modern_version=versions.LATEST_MODERN)
            meta = result.get("_meta")
            server_info = meta.get("io.modelcontextprotocol/serverInfo") if type(meta) is dict else None
            if type(server_info) is not dict or type(server_info.get("name")) is not str:
                raise Fail(f"{method} result has no io.modelcontextprotocol/serverInfo in _meta", result)
    return ", ".join(methods)
