"""Checks judged over every message of the run, filled in by the battery after the others:
schema validity per version, the logging capability, and clean framing on stdout or HTTP."""

from __future__ import annotations

from mcpcore import versions
from mcpcore.check.checks.common import SPEC_2025
from mcpcore.check.registry import LEGACY, summary_check

for _version in versions.SUPPORTED_VERSIONS:
    summary_check(
        f"schema.{_version}",
        f"every message valid against the {_version} schema",
        versions=(_version,),
        url=f"https://modelcontextprotocol.io/specification/{_version}/schema",
        clause="Messages MUST follow JSON-RPC 2.0 and the protocol's schema, the source of truth for "
        "their shapes.",
    )

summary_check(
    "logging.capability",
    "log notifications only with the logging capability",
    url=f"{SPEC_2025}/server/utilities/logging#capabilities",
    clause="Servers that emit log message notifications MUST declare the logging capability.",
)
summary_check(
    "stdio.clean-stdout",
    "stdout carries only JSON-RPC messages",
    url=f"{SPEC_2025}/basic/transports#stdio",
    clause="The server MUST NOT write anything to its stdout that is not a valid MCP message.",
)
summary_check(
    "http.json-bodies",
    "every response body and SSE event is a JSON-RPC message",
    versions=(*LEGACY[2:], *versions.MODERN_VERSIONS),
    url=f"{SPEC_2025}/basic/transports#sending-messages-to-the-server",
    clause="The server MUST return Content-Type text/event-stream or application/json carrying "
    "JSON-RPC messages.",
)
