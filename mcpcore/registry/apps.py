"""MCP Apps (SEP-1865, ``io.modelcontextprotocol/ui``) on the server: ``ui://`` resources and tool links.

An MCP App is an HTML view a host renders (sandboxed) next to a tool's
result. On the wire it is two ordinary things with conventions:

* a resource under ``ui://`` whose ``mimeType`` is ``text/html;profile=mcp-app``,
  read with ``resources/read``; its ``_meta.ui`` (content security policy
  domains, sandbox permissions, a dedicated ``domain``, ``prefersBorder``)
  rides on the listing and on the read contents;
* a tool whose ``_meta.ui.resourceUri`` names that resource, and whose
  ``_meta.ui.visibility`` says who may call it (``"model"``, ``"app"``).

Everything past that (the iframe, ``postMessage``, ``ui/*`` messages) is
between the host and the view, not the server. Hosts declare support in their
client capabilities (``extensions["io.modelcontextprotocol/ui"].mimeTypes``);
:func:`client_supports_apps` reads it so a tool can fall back to text.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Mapping
from typing import Any, Final, Literal

__all__ = [
    "APP_MIME_TYPE",
    "UI_EXTENSION",
    "Visibility",
    "client_supports_apps",
    "tool_ui_meta",
    "ui_resource_meta",
]

UI_EXTENSION: Final = "io.modelcontextprotocol/ui"
APP_MIME_TYPE: Final = "text/html;profile=mcp-app"
UI_SCHEME: Final = "ui://"
Visibility = Literal["model", "app"]
_CSP_KEYS: Final = frozenset({"connectDomains", "resourceDomains", "frameDomains", "baseUriDomains"})
_PERMISSIONS: Final = frozenset({"camera", "microphone", "geolocation", "clipboardWrite"})


def client_supports_apps(capabilities: Mapping[str, Any]) -> bool:
    """Whether client capabilities (``ctx.client_capabilities``) declare MCP Apps with the HTML type."""
    extensions = capabilities.get("extensions")
    settings = extensions.get(UI_EXTENSION) if type(extensions) is dict else None
    mime_types = settings.get("mimeTypes") if type(settings) is dict else None
    return type(mime_types) is list and APP_MIME_TYPE in mime_types


def require_ui_uri(uri: object, what: str) -> str:
    if type(uri) is not str or not uri.startswith(UI_SCHEME) or len(uri) == len(UI_SCHEME):
        raise ValueError(f"{what}: an MCP App resource URI starts with ui://, not {uri!r}")
    return uri


def tool_ui_meta(resource_uri: str, visibility: list[Visibility] | None = None) -> dict[str, Any]:
    """A tool's ``_meta.ui``: the view that renders its results, and who may call it."""
    ui: dict[str, Any] = {"resourceUri": require_ui_uri(resource_uri, "tool ui")}
    if visibility is not None:
        if not visibility or any(item not in ("model", "app") for item in visibility):
            raise ValueError(
                f'tool ui visibility is a non-empty list of "model" and "app", not {visibility!r}'
            )
        ui["visibility"] = list(dict.fromkeys(visibility))
    return ui


def ui_resource_meta(
    *,
    csp: dict[str, list[str]] | None = None,
    permissions: list[str] | None = None,
    domain: str | None = None,
    prefers_border: bool | None = None,
) -> dict[str, Any]:
    """A UI resource's ``_meta.ui`` from the keyword options of :meth:`mcpcore.Server.ui_resource`."""
    ui: dict[str, Any] = {}
    if csp:
        unknown = set(csp) - _CSP_KEYS
        if unknown:
            raise ValueError(f"ui csp keys are {sorted(_CSP_KEYS)}, not {sorted(unknown)}")
        ui["csp"] = {key: list(value) for key, value in csp.items()}
    if permissions:
        unknown = set(permissions) - _PERMISSIONS
        if unknown:
            raise ValueError(f"ui permissions are {sorted(_PERMISSIONS)}, not {sorted(unknown)}")
        ui["permissions"] = {name: {} for name in permissions}
    if domain is not None:
        ui["domain"] = domain
    if prefers_border is not None:
        ui["prefersBorder"] = prefers_border
    return ui


def html_reader(fn: Callable[..., Any], ui: dict[str, Any]) -> Callable[..., Any]:
    """Wrap a function returning HTML so each read carries the resource's ``_meta.ui`` on its contents."""
    if not ui:
        return fn
    if inspect.iscoroutinefunction(fn):

        @functools.wraps(fn)
        async def read_async(*args: Any, **kwargs: Any) -> Any:
            return _with_meta(await fn(*args, **kwargs), ui)

        return read_async

    @functools.wraps(fn)
    def read(*args: Any, **kwargs: Any) -> Any:
        return _with_meta(fn(*args, **kwargs), ui)

    return read


def _with_meta(value: Any, ui: dict[str, Any]) -> Any:
    if isinstance(value, str):
        return {"text": value, "_meta": {"ui": ui}}
    if isinstance(value, (bytes, bytearray)):
        return {"blob": bytes(value), "_meta": {"ui": ui}}
    return value  # a contents dict the function built itself keeps its own _meta
