"""RFC 6570 URI templates, sans I/O: parse once, then expand values or match URIs.

Resource templates (``resources/templates/list``) are RFC 6570 strings such as
``file:///{+path}`` or ``weather://{city}/forecast{?days}``. A server needs two
things from one: to know its variable names (for completion and to bind a
handler's parameters), and to decide whether a URI a client sends to
``resources/read`` is an instance of it, and with which values.

Levels 1 to 3 are supported in full (simple, reserved ``+``, fragment ``#``,
label ``.``, path ``/``, path-parameter ``;``, query ``?`` and continuation
``&`` expressions, several variables per expression). Level 4 modifiers are
accepted: a prefix (``{var:3}``) and explode (``{list*}``) change expansion;
matching treats them like plain variables.

Matching is the inverse of expansion and is done with one regular expression
compiled at parse time; query-style expressions (``?``, ``&``, ``;``) are
matched by name, in any order, and may be absent. Values are percent-decoded,
and a URI is not an instance of the template when a decoded value could walk
a path: a one-segment variable (``{a}``, ``{.a}``, ``{/a}``) holding ``/``,
``\\``, NUL, ``.`` or ``..``, or a ``{+a}``/``{#a}`` value with a ``..``
segment. A handler that builds file paths from variables cannot be led out
of its root by ``..%2F`` tricks.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import quote, unquote

__all__ = ["UriTemplate", "UriTemplateError"]

_UNRESERVED: Final = "-._~"
_RESERVED: Final = ":/?#[]@!$&'()*+,;="
_VARNAME: Final = re.compile(r"(?:[A-Za-z0-9_]|%[0-9A-Fa-f]{2})(?:\.?(?:[A-Za-z0-9_]|%[0-9A-Fa-f]{2}))*")
_EXPRESSION: Final = re.compile(r"\{([^{}]*)\}")


class UriTemplateError(ValueError):
    """The template text is not a valid RFC 6570 template."""


@dataclass(frozen=True, slots=True)
class _Operator:
    first: str
    separator: str
    named: bool
    if_empty: str
    allow_reserved: bool


_OPERATORS: Final[dict[str, _Operator]] = {
    "": _Operator("", ",", False, "", False),
    "+": _Operator("", ",", False, "", True),
    "#": _Operator("#", ",", False, "", True),
    ".": _Operator(".", ".", False, "", False),
    "/": _Operator("/", "/", False, "", False),
    ";": _Operator(";", ";", True, "", False),
    "?": _Operator("?", "&", True, "=", False),
    "&": _Operator("&", "&", True, "=", False),
}


@dataclass(frozen=True, slots=True)
class _Variable:
    name: str
    prefix: int | None
    explode: bool


@dataclass(frozen=True, slots=True)
class _Expression:
    operator: str
    variables: tuple[_Variable, ...]


def _parse_expression(body: str, template: str) -> _Expression:
    operator = body[:1] if body[:1] in _OPERATORS and body[:1] != "" else ""
    if body[:1] in "=,!@|":
        raise UriTemplateError(f"reserved operator {body[:1]!r} in URI template {template!r}")
    specs = body[len(operator) :].split(",")
    variables = []
    for spec in specs:
        explode = spec.endswith("*")
        name = spec[:-1] if explode else spec
        prefix: int | None = None
        if ":" in name:
            name, _, length = name.partition(":")
            if not length.isdigit() or not 0 < int(length) < 10000:
                raise UriTemplateError(f"bad prefix length in {{{body}}} of URI template {template!r}")
            prefix = int(length)
        if not _VARNAME.fullmatch(name):
            raise UriTemplateError(f"bad variable name {name!r} in URI template {template!r}")
        variables.append(_Variable(name, prefix, explode))
    return _Expression(operator, tuple(variables))


def _encode(value: str, allow_reserved: bool) -> str:
    if allow_reserved:
        # Keep reserved characters and existing %XX triplets; encode everything else.
        return re.sub(
            r"%(?![0-9A-Fa-f]{2})|[^%]+",
            lambda m: quote(m.group(0), safe=_UNRESERVED + _RESERVED),
            value,
        )
    return quote(value, safe=_UNRESERVED)


class UriTemplate:
    """One parsed template: ``variables``, ``expand(values)``, ``match(uri)``."""

    __slots__ = ("_parts", "_pattern", "_query_groups", "template", "variables")

    def __init__(self, template: str) -> None:
        self.template = template
        parts: list[str | _Expression] = []
        position = 0
        for found in _EXPRESSION.finditer(template):
            literal = template[position : found.start()]
            if "{" in literal or "}" in literal:
                raise UriTemplateError(f"unbalanced braces in URI template {template!r}")
            if literal:
                parts.append(literal)
            parts.append(_parse_expression(found.group(1), template))
            position = found.end()
        tail = template[position:]
        if "{" in tail or "}" in tail:
            raise UriTemplateError(f"unbalanced braces in URI template {template!r}")
        if tail:
            parts.append(tail)
        self._parts = tuple(parts)
        names: list[str] = []
        for part in parts:
            if isinstance(part, _Expression):
                names.extend(v.name for v in part.variables if v.name not in names)
        self.variables: tuple[str, ...] = tuple(names)
        self._query_groups: dict[str, _Expression] = {}
        self._pattern = re.compile(self._regex(), re.DOTALL)

    def __repr__(self) -> str:
        return f"UriTemplate({self.template!r})"

    @property
    def is_template(self) -> bool:
        """False for a plain URI without any expression."""
        return any(isinstance(part, _Expression) for part in self._parts)

    # -------------------------------------------------------------- expansion

    def expand(self, values: Mapping[str, Any]) -> str:
        """Substitute ``values`` (str, int, float, bool, lists, dicts; ``None`` = undefined)."""
        out: list[str] = []
        for part in self._parts:
            out.append(part if isinstance(part, str) else self._expand(part, values))
        return "".join(out)

    @staticmethod
    def _expand(expression: _Expression, values: Mapping[str, Any]) -> str:
        op = _OPERATORS[expression.operator]
        pieces: list[str] = []
        for variable in expression.variables:
            value = values.get(variable.name)
            if value is None or (isinstance(value, (list, tuple, dict)) and not value):
                continue
            pieces.extend(_expand_variable(op, variable, value))
        if not pieces:
            return ""
        return op.first + op.separator.join(pieces)

    # --------------------------------------------------------------- matching

    def _regex(self) -> str:
        """The matching pattern; every variable stops at the first character of what follows it.

        That rule makes each match linear: no two neighbouring groups can both
        take the same character, so the engine never backtracks over a split
        (``{a}-{b}`` matches ``a`` up to the first ``-``). Two expressions with
        nothing to tell them apart (``{a}{b}``) are refused at parse time.
        """
        out: list[str] = []
        group = 0
        query_group: str | None = None  # the open ``{?…}`` group that ``{&…}`` continuations join
        parts = self._parts
        for index, part in enumerate(parts):
            if isinstance(part, str):
                out.append(re.escape(part))
                query_group = None
                continue
            op = part.operator
            stop = _terminator(parts[index + 1] if index + 1 < len(parts) else None, self.template)
            if op == "&" and query_group is not None:
                merged = self._query_groups[query_group]
                self._query_groups[query_group] = _Expression("?", merged.variables + part.variables)
                continue
            if op in ("?", "&", ";"):
                name = f"q{group}"
                group += 1
                self._query_groups[name] = part
                excluded = re.escape("#" if op != ";" else "/?#")
                out.append(f"(?P<{name}>{re.escape(op)}[^{excluded}]*)?")
                query_group = name if op in ("?", "&") else None
                continue
            query_group = None
            if op in (".", "/"):
                excluded = re.escape("/?#;," + op + stop)
                for variable in part.variables:
                    out.append(f"(?:{re.escape(op)}(?P<v{group}>[^{excluded}]*))?")
                    self._query_groups[f"v{group}"] = _Expression(op, (variable,))
                    group += 1
                continue
            # "", "+", "#": comma-separated values, all present.
            single = len(part.variables) == 1
            if op == "":
                excluded = "/?#;&" if single else "/?#;&,"
            else:
                excluded = "" if single and op == "#" else ("?#" if single else "?#,")
            value_class = f"[^{re.escape(excluded + stop)}]*" if excluded + stop else ".*"
            pieces = []
            for variable in part.variables:
                pieces.append(f"(?P<v{group}>{value_class})")
                self._query_groups[f"v{group}"] = _Expression(op, (variable,))
                group += 1
            out.append(re.escape(_OPERATORS[op].first) + ",".join(pieces))
        return "".join(out)

    def match(self, uri: str) -> dict[str, str] | None:
        """The variables of ``uri`` if it is an instance of this template, else ``None``.

        Variables whose (optional) expression is absent from the URI are left out.
        """
        found = self._pattern.fullmatch(uri)
        if found is None:
            return None
        result: dict[str, str] = {}
        for group, text in found.groupdict().items():
            if text is None:
                continue
            expression = self._query_groups[group]
            if group.startswith("v"):
                value = unquote(text)
                if not _safe_value(expression.operator, value):
                    return None
                result[expression.variables[0].name] = value
                continue
            wanted = {variable.name for variable in expression.variables}
            separator = _OPERATORS[expression.operator].separator
            for pair in text[1:].split(separator):
                name, _, value = pair.partition("=")
                if name in wanted and name not in result:
                    decoded = unquote(value)
                    if not _safe_value(expression.operator, decoded):
                        return None
                    result[name] = decoded
        return result


_SEGMENT_OPERATORS: Final = frozenset({"", ".", "/"})


def _safe_value(operator: str, value: str) -> bool:
    """False for a decoded value that could walk a path (see the module doc)."""
    if "\x00" in value:
        return False
    if operator in _SEGMENT_OPERATORS:
        return "/" not in value and "\\" not in value and value not in (".", "..")
    return ".." not in value.replace("\\", "/").split("/")


def _terminator(following: str | _Expression | None, template: str) -> str:
    """The character that ends the value before ``following``: a literal's first, or an operator."""
    if following is None:
        return ""
    if isinstance(following, str):
        return following[0]
    if following.operator in ("", "+"):
        raise UriTemplateError(
            f"URI template {template!r}: two adjacent expressions with nothing between them cannot be "
            "told apart when matching a URI; put a literal between them"
        )
    return following.operator


def _stringify(value: Any) -> str:
    if value is True:
        return "true"
    if value is False:
        return "false"
    return str(value)


def _expand_variable(op: _Operator, variable: _Variable, value: Any) -> list[str]:
    name = variable.name
    if isinstance(value, dict):
        items = [(str(k), _stringify(v)) for k, v in value.items()]
        if variable.explode:
            return [f"{_encode(k, op.allow_reserved)}={_encode(v, op.allow_reserved)}" for k, v in items]
        joined = ",".join(
            f"{_encode(k, op.allow_reserved)},{_encode(v, op.allow_reserved)}" for k, v in items
        )
        return [f"{name}={joined}" if op.named else joined]
    if isinstance(value, Sequence) and not isinstance(value, str):
        texts = [_encode(_stringify(item), op.allow_reserved) for item in value]
        if variable.explode:
            return [f"{name}={text}" if op.named else text for text in texts]
        joined = ",".join(texts)
        return [f"{name}={joined}" if op.named else joined]
    text = _stringify(value)
    if variable.prefix is not None:
        text = text[: variable.prefix]
    encoded = _encode(text, op.allow_reserved)
    if not op.named:
        return [encoded]
    return [f"{name}={encoded}" if encoded else f"{name}{op.if_empty}"]
