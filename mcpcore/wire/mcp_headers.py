"""The 2026-07-28 request-metadata headers: ``Mcp-Method``, ``Mcp-Name``, ``Mcp-Param-*``.

A modern Streamable HTTP POST mirrors parts of its body into headers so that
intermediaries can route without parsing JSON. A server that reads the body
must check that both say the same thing (an intermediary may have routed on
the header while the server acts on the body), and refuse a disagreement
with HTTP 400 and -32020 (HeaderMismatch).

* :func:`encode_value` / :func:`decode_value` implement the value encoding:
  plain visible ASCII as-is, anything else (non-ASCII, control characters,
  leading/trailing whitespace, or text that looks like the sentinel) as
  ``=?base64?<base64 of UTF-8>?=``.
* :func:`header_params` finds the ``x-mcp-header`` annotations of a tool's
  input schema (only through ``properties``; invalid annotations are ignored).
* :func:`annotation_problem` says why a tool's annotations are invalid (a
  client excludes such a tool from its tool list).
* :func:`check_headers` validates one request; it returns ``None`` or the
  :class:`~mcpcore.errors.RpcError` to answer.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Mapping
from typing import Any, Final

from mcpcore.errors import HEADER_MISMATCH, RpcError
from mcpcore.wire.http11 import TCHAR

__all__ = [
    "NAME_FIELDS",
    "ParamHeaders",
    "annotation_problem",
    "check_headers",
    "decode_value",
    "encode_value",
    "header_params",
]

_PREFIX: Final = "=?base64?"
_SUFFIX: Final = "?="
_TCHAR: Final = frozenset(TCHAR.decode("ascii"))
_MAX_SAFE_INTEGER: Final = 2**53 - 1

#: ``{lower-case header suffix: (argument path, declared type)}``
ParamHeaders = dict[str, tuple[tuple[str, ...], str]]

#: Methods whose ``Mcp-Name`` mirrors a body field, and which field.
NAME_FIELDS: Final[dict[str, str]] = {
    "tools/call": "name",
    "prompts/get": "name",
    "resources/read": "uri",
    # The tasks extension routes by task: Mcp-Name carries params.taskId.
    "tasks/get": "taskId",
    "tasks/update": "taskId",
    "tasks/cancel": "taskId",
}


def _plain_safe(text: str) -> bool:
    """Whether ``text`` may ride as a header value as-is: printable ASCII with no edge spaces.

    A tab is legal inside a header value but is encoded all the same: some
    intermediaries fold or strip it, and Base64 is always decodable.
    """
    if not text or text[0] == " " or text[-1] == " ":
        return not text  # the empty string is plain; edge whitespace is not
    if text.startswith(_PREFIX) and text.endswith(_SUFFIX):
        return False
    return all(0x20 <= ord(char) <= 0x7E for char in text)


def encode_value(value: str | int | bool) -> str:
    """A parameter value as a header value (the client side of the rule)."""
    if type(value) is bool:
        text = "true" if value else "false"
    elif type(value) is int:
        text = str(value)
    else:
        text = str(value)
    if _plain_safe(text):
        return text
    return _PREFIX + base64.b64encode(text.encode("utf-8")).decode("ascii") + _SUFFIX


def decode_value(header: str) -> str:
    """A header value as text; raises ``ValueError`` for a sentinel with a bad payload."""
    if header.startswith(_PREFIX) and header.endswith(_SUFFIX) and len(header) >= len(_PREFIX) + 2:
        payload = header[len(_PREFIX) : -len(_SUFFIX)]
        try:
            return base64.b64decode(payload.encode("ascii"), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeError) as exc:
            raise ValueError(f"invalid Base64 header value: {exc}") from None
    return header


def _visible(value: str) -> bool:
    return all(0x20 <= ord(char) <= 0x7E or char == "\t" for char in value)


def header_params(schema: Mapping[str, Any]) -> ParamHeaders:
    """``{lower-case header suffix: (argument path, declared type)}`` for a tool's input schema.

    Only annotations reachable through ``properties`` count, on ``string``,
    ``integer`` or ``boolean`` properties, with a token name that is unique
    case-insensitively; anything else is not enforced.
    """
    found: ParamHeaders = {}
    duplicate: set[str] = set()

    def walk(node: Mapping[str, Any], path: tuple[str, ...]) -> None:
        properties = node.get("properties")
        if not isinstance(properties, Mapping):
            return
        for key, child in properties.items():
            if not isinstance(child, Mapping):
                continue
            name = child.get("x-mcp-header")
            kind = child.get("type")
            if isinstance(name, str) and name and _TCHAR.issuperset(name):
                if kind in ("string", "integer", "boolean"):
                    lowered = name.lower()
                    if lowered in found:
                        duplicate.add(lowered)
                    found[lowered] = ((*path, key), str(kind))
            elif kind == "object" or "properties" in child:
                walk(child, (*path, key))

    walk(schema, ())
    for name in duplicate:
        del found[name]
    return found


#: Keywords whose values are instance data, not schemas (an ``x-mcp-header`` key there is no annotation).
_DATA_KEYWORDS: Final = frozenset({"const", "default", "enum", "examples"})
_HEADER_TYPES: Final = frozenset({"string", "integer", "boolean"})


def annotation_problem(schema: Any) -> str | None:
    """Why the ``x-mcp-header`` annotations of a tool's input schema are invalid, or ``None``.

    The 2026-07-28 transport rules: the name is a non-empty RFC 9110 token
    (ASCII, no spaces, colons or control characters), unique
    case-insensitively within the tool; it sits on a ``string``, ``integer``
    or ``boolean`` property; and that property is reachable from the root
    through ``properties`` alone (an annotation under ``items``, ``$defs``,
    a composition or a conditional cannot be extracted statically). A client
    MUST exclude a tool whose annotations break any of these.
    """
    seen: set[str] = set()

    def walk(node: Any, is_property: bool, where: str) -> str | None:
        if type(node) is list:
            for index, item in enumerate(node):
                problem = walk(item, False, f"{where}/{index}")
                if problem is not None:
                    return problem
            return None
        if type(node) is not dict:
            return None
        if "x-mcp-header" in node:
            problem = _annotation_at(node, is_property, where, seen)
            if problem is not None:
                return problem
        for key, child in node.items():
            if key in _DATA_KEYWORDS or key == "x-mcp-header":
                continue
            if key == "properties" and type(child) is dict and (is_property or where == ""):
                for name, prop in child.items():
                    problem = walk(prop, True, f"{where}/properties/{name}")
                    if problem is not None:
                        return problem
                continue
            problem = walk(child, False, f"{where}/{key}")
            if problem is not None:
                return problem
        return None

    return walk(schema, False, "")


def _annotation_at(node: dict[str, Any], is_property: bool, where: str, seen: set[str]) -> str | None:
    name = node["x-mcp-header"]
    if not is_property:
        return f"x-mcp-header at {where or '/'} is not on a property reachable through 'properties'"
    if type(name) is not str or not name:
        return f"x-mcp-header at {where} is empty or not a string"
    if not _TCHAR.issuperset(name):
        return f"x-mcp-header {name!r} at {where} is not an HTTP token"
    if node.get("type") not in _HEADER_TYPES:
        return f"x-mcp-header {name!r} at {where} is on a {node.get('type')!r} property"
    if name.lower() in seen:
        return f"x-mcp-header {name!r} at {where} repeats another name (case-insensitively)"
    seen.add(name.lower())
    return None


def _mismatch(message: str) -> RpcError:
    return RpcError(HEADER_MISMATCH, f"Header mismatch: {message}")


def _lookup(arguments: Any, path: tuple[str, ...]) -> Any:
    node = arguments
    for key in path:
        if type(node) is not dict or key not in node:
            return None
        node = node[key]
    return node


def _same(header_text: str, value: Any, kind: str) -> bool:
    if type(value) is bool:
        return header_text == ("true" if value else "false")
    if type(value) is int or (kind == "integer" and type(value) is float):
        try:
            number = float(header_text)
        except ValueError:
            return False
        return number == value and abs(number) <= _MAX_SAFE_INTEGER
    if type(value) is str:
        return header_text == value
    return False


def check_headers(
    headers: Mapping[str, str],
    msg: Mapping[str, Any],
    tool_params: Callable[[str], ParamHeaders | None] | None = None,
) -> RpcError | None:
    """Check a modern POST's headers against its body (``MCP-Protocol-Version`` excepted).

    ``headers`` has lower-case names and OWS-trimmed values. ``tool_params``
    returns a tool's :func:`header_params` by tool name, for ``Mcp-Param-*`` checks.
    """
    method = msg.get("method")
    header_method = headers.get("mcp-method")
    if header_method is None:
        return _mismatch("missing Mcp-Method header")
    if header_method != method:
        return _mismatch(f"Mcp-Method header {header_method!r} does not match body method {method!r}")
    params = msg.get("params")
    if type(params) is not dict:
        params = {}
    field = NAME_FIELDS.get(method) if type(method) is str else None
    if field is not None:
        body_name = params.get(field)
        header_name = headers.get("mcp-name")
        if body_name is not None:
            if header_name is None:
                return _mismatch("missing Mcp-Name header")
            try:
                decoded = decode_value(header_name)
            except ValueError as exc:
                return _mismatch(f"Mcp-Name: {exc}")
            if decoded != body_name:
                return _mismatch(f"Mcp-Name header {header_name!r} does not match body {field} {body_name!r}")
    if method == "tools/call" and tool_params is not None:
        name = params.get("name")
        declared = tool_params(name) if type(name) is str else None
        if declared:
            return _check_params(headers, params.get("arguments"), declared)
    return None


def _check_params(headers: Mapping[str, str], arguments: Any, declared: ParamHeaders) -> RpcError | None:
    for suffix, (path, kind) in declared.items():
        value = _lookup(arguments, path)
        header = headers.get("mcp-param-" + suffix)
        if value is None:
            continue  # omitted or null: the header is not expected
        if header is None:
            return _mismatch(f"missing Mcp-Param-{suffix} header")
        if not _visible(header):
            return _mismatch(f"Mcp-Param-{suffix} header holds characters not allowed in a header value")
        try:
            text = decode_value(header)
        except ValueError as exc:
            return _mismatch(f"Mcp-Param-{suffix}: {exc}")
        if not _same(text, value, kind):
            return _mismatch(f"Mcp-Param-{suffix} header does not match the argument value")
    return None
