"""Valid MCP messages, worked out from each version's JSON schema.

The fuzzer mutates *valid* messages, so that each mutation changes one thing
and the peer's parser gets past the envelope into the params it has to
interpret. Which messages exist is read from the schema, not listed by hand:
the members of the ``ClientRequest`` / ``ClientNotification`` (messages a
server receives) and ``ServerRequest`` / ``ServerNotification`` (messages a
client receives) unions. The 2026-07-28 schema has no ``ServerRequest`` and its
``ClientNotification`` is one definition rather than a union; both are handled.

Each message comes in two shapes: *minimal* (required members only) and
*full* (every optional member too, to a bounded depth), because a peer that
survives the minimal shape may still choke on an optional member it reads.
Values are the simplest the schema allows; :class:`Hints` replaces the few
that must be real for the message to reach a handler (the protocol version,
a tool name the server offers, a resource URI it lists).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any, Literal

from mcpcore import versions
from mcpcore.check.schema import SchemaSet, schema_for

__all__ = ["RESPONSE_ID", "Hints", "Template", "response_template", "templates", "value_for"]

Direction = Literal["to-server", "to-client"]

#: How deep optional members are filled in a *full* message (the schemas are recursive).
_FULL_DEPTH = 6
#: Meta keys of the 2026-07-28 per-request envelope.
_META_VERSION = "io.modelcontextprotocol/protocolVersion"
_META_CAPS = "io.modelcontextprotocol/clientCapabilities"
_META_INFO = "io.modelcontextprotocol/clientInfo"


@dataclass(slots=True)
class Hints:
    """Real names from the peer, so generated requests reach its handlers instead of "not found"."""

    tools: list[str] = field(default_factory=list)
    prompts: list[str] = field(default_factory=list)
    resources: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Template:
    """One valid message of one version: the schema definition it is, in its minimal and full shapes."""

    version: str
    definition: str
    method: str
    is_request: bool
    minimal: dict[str, Any]
    full: dict[str, Any]


def _union(schema: SchemaSet, name: str) -> list[str]:
    node = schema.defs.get(name)
    if node is None:
        return []
    members = node.get("anyOf") or node.get("oneOf")
    if members is None:  # a one-member "union" is the definition itself
        return [name] if "method" in (node.get("properties") or {}) else []
    return [member["$ref"].rsplit("/", 1)[-1] for member in members if "$ref" in member]


def templates(version: str, direction: Direction, hints: Hints | None = None) -> list[Template]:
    """Every request and notification of ``version`` that travels in ``direction``, valid."""
    schema = schema_for(version)
    side = "Client" if direction == "to-server" else "Server"
    found: list[Template] = []
    for kind in ("Request", "Notification"):
        for name in _union(schema, f"{side}{kind}"):
            method = schema.defs[name]["properties"]["method"]["const"]
            shapes = []
            for full in (False, True):
                message = value_for(schema, schema.defs[name], full=full)
                if direction == "to-server":
                    _apply_hints(message, version, method, hints or Hints())
                message["jsonrpc"] = "2.0"  # the pre-2025-11-25 definitions leave the envelope out
                if kind == "Request":
                    message["id"] = 1
                shapes.append(message)
            found.append(Template(version, name, method, kind == "Request", shapes[0], shapes[1]))
    return found


def value_for(schema: SchemaSet, node: Any, *, full: bool, depth: int = 0) -> Any:
    """The simplest value ``node`` accepts (optional members too when ``full``, down to a depth)."""
    if type(node) is not dict:
        return None
    if "$ref" in node:
        target = schema.defs[node["$ref"].rsplit("/", 1)[-1]]
        return value_for(schema, target, full=full, depth=depth + 1)
    if "const" in node:
        return copy.deepcopy(node["const"])
    if type(node.get("enum")) is list and node["enum"]:
        return copy.deepcopy(node["enum"][0])
    for key in ("anyOf", "oneOf"):
        if type(node.get(key)) is list and node[key]:
            return value_for(schema, _plainest(node[key]), full=full, depth=depth + 1)
    if type(node.get("allOf")) is list:
        merged: dict[str, Any] = {}
        for part in node["allOf"]:
            value = value_for(schema, part, full=full, depth=depth + 1)
            if type(value) is dict:
                merged.update(value)
        return merged
    kind = node.get("type")
    if type(kind) is list:
        kind = next((k for k in kind if k != "null"), "null")
    if kind == "object" or (kind is None and "properties" in node):
        properties: dict[str, Any] = node.get("properties") or {}
        required = node.get("required") or []
        wanted = list(properties) if full and depth < _FULL_DEPTH else required
        return {
            name: value_for(schema, properties.get(name, {}), full=full, depth=depth + 1)
            for name in wanted
            if name in properties or name in required
        }
    if kind == "array":
        count = max(int(node.get("minItems", 0)), 1 if full and depth < _FULL_DEPTH else 0)
        return [value_for(schema, node.get("items", {}), full=full, depth=depth + 1) for _ in range(count)]
    if kind == "string":
        return _string(node)
    if kind in ("integer", "number"):
        low = node.get("minimum", 0)
        high = node.get("maximum")
        value = low if high is None or low <= high else high
        return int(value) if kind == "integer" else float(value)
    if kind == "boolean":
        return False
    if kind == "null":
        return None
    return {}


def _plainest(options: list[Any]) -> Any:
    """The union member to generate: the first that is not ``null`` (unions list the common case first)."""
    for option in options:
        if type(option) is dict and option.get("type") != "null":
            return option
    return options[0]


def _string(node: dict[str, Any]) -> str:
    text_format = node.get("format")
    if text_format in ("uri", "uri-reference", "iri"):
        return "file:///fuzz"
    if text_format == "date-time":
        return "2026-01-01T00:00:00Z"
    if text_format == "byte":
        return "AA=="
    return "x" * max(1, int(node.get("minLength", 1)))


def _apply_hints(message: dict[str, Any], version: str, method: str, hints: Hints) -> None:
    """Make the values a handler looks up real: the version, the envelope, a tool/prompt/resource."""
    params = message.get("params")
    if type(params) is not dict:
        return
    if method == "initialize":
        params["protocolVersion"] = version
    meta = params.get("_meta")
    if version in versions.MODERN_VERSIONS and message.get("method") != "notifications/cancelled":
        envelope = meta if type(meta) is dict else {}
        envelope[_META_VERSION] = version
        envelope.setdefault(_META_CAPS, {})
        envelope[_META_INFO] = {"name": "mcpcore-fuzz", "version": "0"}
        params["_meta"] = envelope
    if method == "tools/call" and hints.tools:
        params["name"] = hints.tools[0]
        params["arguments"] = {}
    elif method == "prompts/get" and hints.prompts:
        params["name"] = hints.prompts[0]
    elif method in ("resources/read", "resources/subscribe", "resources/unsubscribe") and hints.resources:
        params["uri"] = hints.resources[0]


#: Placeholder of a response's id: the id is the client's own, known only when its request goes out.
RESPONSE_ID = "\x00mcpcore-fuzz-response-id"


def response_template(version: str, method: str) -> Template:
    """A valid response to a ``method`` request (``id`` is :data:`RESPONSE_ID`), for fuzzing a client."""
    schema = schema_for(version)
    name = schema.result_definition(method, None) or "Result"
    shapes = []
    for full in (False, True):
        result = value_for(schema, schema.defs[name], full=full)
        if method == "initialize":
            result["protocolVersion"] = version
        if method == "server/discover":
            result["supportedVersions"] = [version]
        if "resultType" in result:  # a plain string in the schema; "complete" is the one a client reads
            result["resultType"] = "complete"
        shapes.append({"jsonrpc": "2.0", "id": RESPONSE_ID, "result": result})
    return Template(version, name, method, False, shapes[0], shapes[1])
