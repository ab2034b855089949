"""MCP Apps (SEP-1865, ``io.modelcontextprotocol/ui``) on the client: the capability and reading views.

A host that renders MCP Apps declares ``extensions["io.modelcontextprotocol/ui"]``
with the MIME types it renders (``Client(apps=True)``). It finds a tool's view
in the tool's ``_meta.ui.resourceUri``, reads it with ``resources/read``
(:meth:`mcpcore.Client.read_ui_resource`), and renders the HTML in a
sandboxed iframe under the content security policy its ``_meta.ui`` asks for;
that rendering is the host application's, not this library's. Tools whose
``visibility`` lacks ``"model"`` are for the view only: :func:`model_visible`
tells the host which to hide from the model.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field
from typing import Any, Final

__all__ = [
    "APP_MIME_TYPE",
    "UI_EXTENSION",
    "UiResource",
    "UiResourceError",
    "app_callable",
    "model_visible",
    "tool_ui",
    "ui_capability",
    "ui_resource_from",
]

UI_EXTENSION: Final = "io.modelcontextprotocol/ui"
APP_MIME_TYPE: Final = "text/html;profile=mcp-app"
_DEPRECATED_KEY: Final = "ui/resourceUri"


class UiResourceError(ValueError):
    """A ``ui://`` read that is not an MCP App view (scheme, MIME type, or content); says which."""


@dataclass(frozen=True, slots=True)
class UiResource:
    """An MCP App view as read: its HTML and the ``_meta.ui`` it asks the host to honour."""

    uri: str
    html: str
    #: ``csp``, ``permissions``, ``domain``, ``prefersBorder`` (absent members: the restrictive defaults).
    ui: dict[str, Any] = field(default_factory=dict)


def ui_capability() -> dict[str, Any]:
    """The client's extension settings: it renders ``text/html;profile=mcp-app``."""
    return {"mimeTypes": [APP_MIME_TYPE]}


def tool_ui(tool: dict[str, Any]) -> dict[str, Any] | None:
    """A listed tool's ``_meta.ui`` (``resourceUri``, ``visibility``), or None when it has no view.

    The deprecated flat ``_meta["ui/resourceUri"]`` is read too.
    """
    meta = tool.get("_meta")
    if type(meta) is not dict:
        return None
    ui = meta.get("ui")
    if type(ui) is dict and type(ui.get("resourceUri")) is str:
        return ui
    flat = meta.get(_DEPRECATED_KEY)
    if type(flat) is str:
        return {"resourceUri": flat}
    return ui if type(ui) is dict else None


def _visibility(tool: dict[str, Any]) -> list[Any]:
    ui = tool_ui(tool)
    visibility = ui.get("visibility") if ui is not None else None
    return visibility if type(visibility) is list else ["model", "app"]


def model_visible(tool: dict[str, Any]) -> bool:
    """Whether the host may show ``tool`` to the model (visibility includes ``"model"``; the default)."""
    return "model" in _visibility(tool)


def app_callable(tool: dict[str, Any]) -> bool:
    """Whether a view of the same server may call ``tool`` (visibility includes ``"app"``; the default)."""
    return "app" in _visibility(tool)


def ui_resource_from(result: dict[str, Any], uri: str) -> UiResource:
    """The view in a ``resources/read`` result for ``uri``; refuses anything that is not one."""
    if not uri.startswith("ui://"):
        raise UiResourceError(f"{uri}: an MCP App view is a ui:// resource")
    for item in result.get("contents") or ():
        if item.get("uri") != uri:
            continue
        mime_type = item.get("mimeType")
        if mime_type != APP_MIME_TYPE:
            raise UiResourceError(f"{uri}: mimeType {mime_type!r} is not {APP_MIME_TYPE!r}")
        text = item.get("text")
        if type(text) is not str:
            blob = item.get("blob")
            if type(blob) is not str:
                raise UiResourceError(f"{uri}: the read carries neither text nor blob")
            try:
                text = base64.b64decode(blob, validate=True).decode("utf-8")
            except (binascii.Error, ValueError):
                raise UiResourceError(f"{uri}: the blob is not base64 of UTF-8 HTML") from None
        meta = item.get("_meta")
        ui = meta.get("ui") if type(meta) is dict else None
        return UiResource(uri, text, dict(ui) if type(ui) is dict else {})
    raise UiResourceError(f"{uri}: the read returned no contents for this URI")
