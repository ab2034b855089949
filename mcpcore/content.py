"""Content blocks and explicit tool results.

A content block is a plain ``dict`` subclass so that it costs nothing to
serialize (orjson writes dict subclasses natively) while still letting the
tool registry tell "the tool returned content" apart from "the tool returned a
JSON value to be wrapped as structured content".
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = [
    "Content",
    "ToolResult",
    "audio",
    "embedded_resource",
    "image",
    "resource_link",
    "text",
]


class Content(dict[str, Any]):
    """One MCP content block (``text``, ``image``, ``audio``, ``resource_link``, ``resource``)."""

    __slots__ = ()


def _decorate(block: Content, annotations: dict[str, Any] | None, meta: dict[str, Any] | None) -> Content:
    if annotations:
        block["annotations"] = annotations
    if meta:
        block["_meta"] = meta
    return block


def _b64(data: bytes | str) -> str:
    """Binary payloads travel as base64 text; a ``str`` is taken as already encoded."""
    return data if isinstance(data, str) else base64.b64encode(data).decode("ascii")


def text(
    value: str, *, annotations: dict[str, Any] | None = None, meta: dict[str, Any] | None = None
) -> Content:
    """A ``text`` content block."""
    return _decorate(Content(type="text", text=value), annotations, meta)


def image(
    data: bytes | str,
    mime_type: str,
    *,
    annotations: dict[str, Any] | None = None,
    meta: dict[str, Any] | None = None,
) -> Content:
    """An ``image`` block; ``data`` is raw bytes or an already base64-encoded string."""
    return _decorate(Content(type="image", data=_b64(data), mimeType=mime_type), annotations, meta)


def audio(
    data: bytes | str,
    mime_type: str,
    *,
    annotations: dict[str, Any] | None = None,
    meta: dict[str, Any] | None = None,
) -> Content:
    """An ``audio`` block (protocol 2025-03-26 and later)."""
    return _decorate(Content(type="audio", data=_b64(data), mimeType=mime_type), annotations, meta)


def resource_link(
    uri: str,
    name: str,
    *,
    title: str | None = None,
    description: str | None = None,
    mime_type: str | None = None,
    size: int | None = None,
    annotations: dict[str, Any] | None = None,
    meta: dict[str, Any] | None = None,
) -> Content:
    """A ``resource_link`` block pointing at a resource the client may read (2025-06-18+)."""
    block = Content(type="resource_link", uri=uri, name=name)
    for key, value in (
        ("title", title),
        ("description", description),
        ("mimeType", mime_type),
        ("size", size),
    ):
        if value is not None:
            block[key] = value
    return _decorate(block, annotations, meta)


def embedded_resource(
    uri: str,
    *,
    text: str | None = None,
    blob: bytes | str | None = None,
    mime_type: str | None = None,
    annotations: dict[str, Any] | None = None,
    meta: dict[str, Any] | None = None,
) -> Content:
    """A ``resource`` block embedding the contents of a resource (exactly one of text/blob)."""
    if (text is None) == (blob is None):
        raise ValueError("embedded_resource() takes exactly one of text= or blob=")
    contents: dict[str, Any] = {"uri": uri}
    if mime_type is not None:
        contents["mimeType"] = mime_type
    if text is not None:
        contents["text"] = text
    else:
        assert blob is not None
        contents["blob"] = _b64(blob)
    return _decorate(Content(type="resource", resource=contents), annotations, meta)


@dataclass(slots=True)
class ToolResult:
    """Full control over a ``tools/call`` result.

    Return this from a tool to set ``content``, ``structuredContent`` and
    ``isError`` yourself; the registry then adds nothing but ``resultType``.
    """

    content: list[Content] = field(default_factory=list)
    structured: Any = None
    is_error: bool = False
    meta: dict[str, Any] | None = None

    def to_wire(self) -> dict[str, Any]:
        """The result object as it goes on the wire (without ``resultType``)."""
        result: dict[str, Any] = {"content": self.content}
        if self.structured is not None:
            result["structuredContent"] = self.structured
        if self.is_error:
            result["isError"] = True
        if self.meta:
            result["_meta"] = self.meta
        return result


Role = Literal["user", "assistant"]
