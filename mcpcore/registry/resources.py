"""Resources: fixed URIs and RFC 6570 templates, cached listings, ``resources/read``.

``@server.resource("test://static-text")`` registers a fixed resource;
``@server.resource("test://template/{id}/data")`` registers a template whose
variables become the function's keyword arguments. Fixed resources win over
templates; templates are tried in registration order.

A read function returns the contents: ``str`` (text), ``bytes`` (sent as a
base64 ``blob``), a contents ``dict`` (``text`` or ``blob``; ``uri`` and
``mimeType`` are filled in), or a list of those for several items.

Not found is answered with the code of the request's era: ``-32002`` up to
2025-11-25, ``-32602`` from 2026-07-28, both with ``data.uri``. From
2026-07-28 every read result carries the resource's cache hints.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any, Final, Literal

import orjson

from mcpcore import versions
from mcpcore.context import Context
from mcpcore.errors import INVALID_PARAMS, RESOURCE_NOT_FOUND, RpcError
from mcpcore.registry._calls import RunMode, invoke, run_mode, signature_of, then
from mcpcore.registry.pagination import CachedPages
from mcpcore.registry.signature import ToolSignature
from mcpcore.registry.uri_template import UriTemplate

__all__ = ["Resource", "ResourceRegistry"]

CacheScope = Literal["public", "private"]

_COMMON: Final = frozenset({"name", "description", "mimeType", "annotations"})
_V2025_06: Final = _COMMON | {"title", "_meta"}
_V2025_11: Final = _V2025_06 | {"icons"}
#: Members of Resource (besides ``uri``/``size``) and ResourceTemplate (besides ``uriTemplate``) per version.
_FIELDS: Final[dict[str, frozenset[str]]] = {
    versions.V2024_11_05: _COMMON,
    versions.V2025_03_26: _COMMON,
    versions.V2025_06_18: _V2025_06,
    versions.V2025_11_25: _V2025_11,
    versions.V2026_07_28: _V2025_11,
}


@dataclass(slots=True)
class Resource:
    """A registered resource or resource template."""

    uri: str
    fn: Callable[..., Any]
    signature: ToolSignature
    run: RunMode
    definition: dict[str, Any]
    template: UriTemplate | None
    mime_type: str | None
    ttl_ms: int | None
    cache_scope: CacheScope | None
    #: Template variables whose parameter is annotated int/float/bool, converted from the URI text.
    converters: dict[str, Callable[[str], Any]]


def _int(text: str) -> int:
    return int(text)


def _bool(text: str) -> bool:
    if text.lower() in ("true", "1", "yes"):
        return True
    if text.lower() in ("false", "0", "no"):
        return False
    raise ValueError(text)


_CONVERTERS: Final[dict[str, Callable[[str], Any]]] = {"integer": _int, "number": float, "boolean": _bool}


class ResourceRegistry:
    """Fixed resources by URI plus templates in registration order."""

    def __init__(self, *, page_size: int | None = None) -> None:
        self._fixed: dict[str, Resource] = {}
        self._templates: dict[str, Resource] = {}
        self._resource_pages = CachedPages("resources", page_size)
        self._template_pages = CachedPages("resourceTemplates", page_size)
        #: Called with no arguments after every change (the server sends ``list_changed``).
        self.on_change: Callable[[], None] | None = None

    def __len__(self) -> int:
        return len(self._fixed) + len(self._templates)

    def __iter__(self) -> Iterator[Resource]:
        yield from self._fixed.values()
        yield from self._templates.values()

    def get(self, uri: str) -> Resource | None:
        """The fixed resource or template registered under exactly ``uri``."""
        return self._fixed.get(uri) or self._templates.get(uri)

    @property
    def templates(self) -> dict[str, Resource]:
        """Templates by their ``uriTemplate`` text."""
        return self._templates

    # ------------------------------------------------------------ registration

    def add(
        self,
        fn: Callable[..., Any],
        uri: str,
        *,
        name: str | None = None,
        title: str | None = None,
        description: str | None = None,
        mime_type: str | None = None,
        size: int | None = None,
        annotations: dict[str, Any] | None = None,
        icons: list[dict[str, Any]] | None = None,
        meta: dict[str, Any] | None = None,
        ttl_ms: int | None = None,
        cache_scope: CacheScope | None = None,
        run: RunMode | None = None,
    ) -> Resource:
        """Register ``fn`` to read ``uri`` (a fixed URI or an RFC 6570 template).

        Raises ``ValueError`` for a duplicate URI, a bad template, or a
        function whose parameters do not match the template's variables.
        """
        what = f"resource {uri!r}"
        if not uri:
            raise ValueError("a resource needs a non-empty URI")
        if uri in self._fixed or uri in self._templates:
            raise ValueError(f"{what} is already registered")
        if ttl_ms is not None and ttl_ms < 0:
            raise ValueError(f"{what}: ttl_ms must be >= 0")
        parsed = UriTemplate(uri)
        template = parsed if parsed.is_template else None
        signature = signature_of(fn, what)
        properties: dict[str, Any] = signature.input_schema.get("properties", {})
        required = set(signature.input_schema.get("required", ()))
        variables = set(template.variables) if template is not None else set()
        unknown = required - variables
        if unknown:
            raise ValueError(f"{what}: parameter(s) {sorted(unknown)} are not variables of the URI")
        missing = variables - set(properties)
        if missing:
            raise ValueError(f"{what}: the function takes no parameter for variable(s) {sorted(missing)}")
        converters = {
            var: _CONVERTERS[properties[var].get("type")]
            for var in variables
            if properties[var].get("type") in _CONVERTERS
        }
        definition: dict[str, Any] = {"uriTemplate" if template is not None else "uri": uri}
        definition["name"] = name if name is not None else getattr(fn, "__name__", uri)
        text = description if description is not None else signature.description
        for key, value in (
            ("title", title),
            ("description", text),
            ("mimeType", mime_type),
            ("size", size if template is None else None),
            ("annotations", annotations),
            ("icons", icons),
            ("_meta", meta),
        ):
            if value is not None and value != "":
                definition[key] = value
        resource = Resource(
            uri=uri,
            fn=fn,
            signature=signature,
            run=run_mode(signature, run, what),
            definition=definition,
            template=template,
            mime_type=mime_type,
            ttl_ms=ttl_ms,
            cache_scope=cache_scope,
            converters=converters,
        )
        (self._templates if template is not None else self._fixed)[uri] = resource
        self._changed()
        return resource

    def remove(self, uri: str) -> None:
        """Unregister a resource or template; ``KeyError`` if none is registered under ``uri``."""
        if uri in self._fixed:
            del self._fixed[uri]
        else:
            del self._templates[uri]
        self._changed()

    def swap(self, remove: Iterable[str], add: Mapping[str, Resource]) -> None:
        """Drop ``remove`` and register ``add`` (registered resources under new URIs), as one change."""
        for uri in remove:
            self._fixed.pop(uri, None)
            self._templates.pop(uri, None)
        for uri, resource in add.items():
            if uri in self._fixed or uri in self._templates:
                raise ValueError(f"a resource {uri!r} is already registered")
            if resource.template is not None:
                key = "uriTemplate"
                moved = replace(resource, uri=uri, template=UriTemplate(uri))
                self._templates[uri] = moved
            else:
                key = "uri"
                moved = replace(resource, uri=uri)
                self._fixed[uri] = moved
            moved.definition = {**resource.definition, key: uri}
        self._changed()

    def _changed(self) -> None:
        self._resource_pages.clear()
        self._template_pages.clear()
        if self.on_change is not None:
            self.on_change()

    # ---------------------------------------------------------------- listing

    def list_resources(self, params: dict[str, Any], context: Context) -> orjson.Fragment:
        """``resources/list``: fixed resources, one page, serialized once per (version, cursor)."""
        return self._resource_pages.serve(lambda: list(self._fixed.values()), _render, params, context)

    def list_templates(self, params: dict[str, Any], context: Context) -> orjson.Fragment:
        """``resources/templates/list``: the templates, paginated and cached like ``resources/list``."""
        return self._template_pages.serve(lambda: list(self._templates.values()), _render, params, context)

    # ---------------------------------------------------------------- reading

    def find(self, uri: str) -> tuple[Resource, dict[str, str]] | None:
        """The resource serving ``uri`` and the template variables it matched."""
        fixed = self._fixed.get(uri)
        if fixed is not None:
            return fixed, {}
        for resource in self._templates.values():
            assert resource.template is not None
            variables = resource.template.match(uri)
            if variables is not None:
                return resource, variables
        return None

    def read(self, params: dict[str, Any], context: Context) -> Any:
        """``resources/read``: the contents dict, or a coroutine producing it."""
        uri: str = params["uri"]  # shape checked by mcpcore.inbound
        modern = context.envelope is not None and context.envelope.modern
        found = self.find(uri)
        if found is None:
            raise not_found(uri, modern)
        resource, variables = found
        kwargs: dict[str, Any] = dict(variables)
        for name, convert in resource.converters.items():
            if name in kwargs:
                try:
                    kwargs[name] = convert(kwargs[name])
                except ValueError:
                    raise not_found(uri, modern) from None
        outcome = invoke(resource.fn, kwargs, resource.run, resource.signature, context)
        server = context.connection.server

        def finish(value: Any) -> dict[str, Any]:
            result: dict[str, Any] = {"contents": _contents(uri, resource.mime_type, value)}
            if modern:
                result["ttlMs"] = resource.ttl_ms if resource.ttl_ms is not None else server.cache_ttl_ms
                result["cacheScope"] = resource.cache_scope or server.cache_scope
            return result

        return then(outcome, finish)


def not_found(uri: str, modern: bool) -> RpcError:
    """Resource not found, in the code of the request's era."""
    code = INVALID_PARAMS if modern else RESOURCE_NOT_FOUND
    return RpcError(code, f"Resource not found: {uri}", {"uri": uri})


def _contents(uri: str, mime_type: str | None, value: Any) -> list[dict[str, Any]]:
    if isinstance(value, (list, tuple)):
        return [_one(uri, mime_type, item) for item in value]
    return [_one(uri, mime_type, value)]


def _one(uri: str, mime_type: str | None, value: Any) -> dict[str, Any]:
    if isinstance(value, str):
        item: dict[str, Any] = {"uri": uri}
        if mime_type is not None:
            item["mimeType"] = mime_type
        item["text"] = value
        return item
    if isinstance(value, (bytes, bytearray, memoryview)):
        item = {"uri": uri}
        if mime_type is not None:
            item["mimeType"] = mime_type
        item["blob"] = base64.b64encode(bytes(value)).decode("ascii")
        return item
    if isinstance(value, dict) and ("text" in value or "blob" in value):
        item = {"uri": uri, **value}
        if mime_type is not None:
            item.setdefault("mimeType", mime_type)
        blob = item.get("blob")
        if isinstance(blob, (bytes, bytearray, memoryview)):
            item["blob"] = base64.b64encode(bytes(blob)).decode("ascii")
        return item
    raise TypeError(
        f"resource {uri!r} returned {type(value).__name__}; expected str, bytes, "
        "a contents dict with text or blob, or a list of those"
    )


def _render(resource: Resource, version: str) -> dict[str, Any]:
    """A resource's or template's wire form under ``version``."""
    fields = _FIELDS[version] | {"uri", "uriTemplate", "size"}
    return {key: value for key, value in resource.definition.items() if key in fields}
