"""Generating a small argument value that a tool's ``inputSchema`` accepts (for ``tools.call``)."""

from __future__ import annotations

from typing import Any

__all__ = ["sample_arguments"]


def sample_arguments(schema: dict[str, Any]) -> Any:
    """A small value valid for ``schema`` (best effort; the caller validates it)."""
    return _sample(schema, schema, 0)


def _sample(schema: Any, root: dict[str, Any], depth: int) -> Any:
    if type(schema) is not dict or depth > 8:
        return None
    ref = schema.get("$ref")
    if type(ref) is str and ref.startswith("#/"):
        node: Any = root
        for part in ref[2:].split("/"):
            node = node.get(part, {}) if type(node) is dict else {}
        return _sample(node, root, depth + 1)
    for key in ("const", "default"):
        if key in schema:
            return schema[key]
    if type(schema.get("enum")) is list and schema["enum"]:
        return schema["enum"][0]
    for key in ("anyOf", "oneOf", "allOf"):
        if type(schema.get(key)) is list and schema[key]:
            options = [s for s in schema[key] if not (type(s) is dict and s.get("type") == "null")]
            return _sample((options or schema[key])[0], root, depth + 1)
    kind = schema.get("type")
    if type(kind) is list:
        kind = next((k for k in kind if k != "null"), "null")
    if kind == "object" or (kind is None and "properties" in schema):
        properties = schema.get("properties") or {}
        return {
            name: _sample(properties.get(name, {}), root, depth + 1) for name in schema.get("required") or []
        }
    if kind == "array":
        count = int(schema.get("minItems", 0))
        return [_sample(schema.get("items", {}), root, depth + 1) for _ in range(count)]
    if kind == "string":
        return "x" * max(1, int(schema.get("minLength", 1)))
    if kind in ("integer", "number"):
        low = schema.get("minimum", schema.get("exclusiveMinimum", 0)) or 0
        value = max(0, low + (1 if "exclusiveMinimum" in schema else 0))
        high = schema.get("maximum")
        if high is not None and value > high:
            value = high
        return int(value) if kind == "integer" else value
    if kind == "boolean":
        return False
    return None
