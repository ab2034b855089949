"""SKILL.md frontmatter: a strict parser and a renderer for the YAML subset skills use.

A skill's ``SKILL.md`` begins with YAML frontmatter between two ``---`` lines
(Agent Skills specification). The Skills extension (SEP-2640) carries that
frontmatter verbatim as a JSON object in every manifest entry, and a client
must parse the file's frontmatter and compare it field by field with the
entry. Both sides therefore need the same reading of the same bytes, and the
core install has no YAML library: this module is that reading.

What it accepts (YAML 1.2, core schema): a block mapping at the top; nested
block mappings and sequences (``- item``, including ``- key: value`` items);
plain, single- and double-quoted scalars; literal (``|``) and folded (``>``)
block scalars with ``-``/``+`` chomping; single-line flow collections
(``[a, b]``, ``{k: v}``, so JSON values too); comments; multi-line plain
scalars. Plain scalars resolve as the core schema says: ``null``/``~``/empty,
``true``/``false``, integers (decimal, ``0o``, ``0x``) and floats.

What it refuses, with the line and a fix: anchors, aliases and tags, tab
indentation, duplicate keys, multi-line quoted scalars and flow collections,
``key: value`` text inside a plain scalar (YAML refuses it too), ``.inf`` and
``.nan`` (JSON cannot carry them), and a document that is not a mapping.
Everything refused raises :class:`FrontmatterError`; nothing else escapes.

:func:`render_frontmatter` writes a dict back in a form this parser (and any
YAML 1.2 parser) reads as the same dict: plain scalars where that is
unambiguous, JSON strings otherwise.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Final

import orjson

__all__ = ["FrontmatterError", "parse_frontmatter", "render_frontmatter", "split_frontmatter"]

_BLOCK: Final = re.compile(r"^---\r?\n([\s\S]*?)\r?\n---[ \t]*(?:\r?\n|$)")
_INT: Final = re.compile(r"[-+]?[0-9]+")
_OCT: Final = re.compile(r"0o[0-7]+")
_HEX: Final = re.compile(r"0x[0-9a-fA-F]+")
_FLOAT: Final = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?")
_SPECIAL_FLOAT: Final = re.compile(r"[-+]?\.(inf|Inf|INF)|\.(nan|NaN|NAN)")
_NULLS: Final = frozenset({"", "~", "null", "Null", "NULL"})
_TRUE: Final = frozenset({"true", "True", "TRUE"})
_FALSE: Final = frozenset({"false", "False", "FALSE"})
_ESCAPES: Final = {
    "0": "\0", "a": "\a", "b": "\b", "t": "\t", "\t": "\t", "n": "\n", "v": "\v", "f": "\f",
    "r": "\r", "e": "\x1b", " ": " ", '"': '"', "/": "/", "\\": "\\", "N": "\x85",
    "_": "\xa0", "L": "\u2028", "P": "\u2029",
}  # fmt: skip
_HEX_ESCAPES: Final = {"x": 2, "u": 4, "U": 8}
_SAFE_KEY: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-/]*")
#: Characters a plain scalar may not start with (YAML indicators).
_INDICATORS: Final = frozenset("-?:,[]{}#&*!|>'\"%@`")


class FrontmatterError(ValueError):
    """The frontmatter is missing, malformed, or outside the supported subset; the message says where."""


def split_frontmatter(text: str) -> tuple[str, str]:
    """``(frontmatter, body)`` of a SKILL.md text; :class:`FrontmatterError` if it has no frontmatter."""
    if text.startswith("\ufeff"):
        text = text[1:]
    match = _BLOCK.match(text)
    if match is None:
        raise FrontmatterError("SKILL.md must begin with YAML frontmatter between two '---' lines")
    return match.group(1), text[match.end() :]


def parse_frontmatter(text: str) -> dict[str, Any]:
    """The frontmatter of a whole SKILL.md text, as a JSON-compatible dict."""
    source, _body = split_frontmatter(text)
    return parse_yaml_mapping(source, first_line=2)


def parse_yaml_mapping(source: str, *, first_line: int = 1) -> dict[str, Any]:
    """Parse a frontmatter document (the text between the ``---`` lines) into a dict."""
    lines: list[_Line] = []
    if source.endswith("\n"):
        source = source[:-1]  # the line break ending the last line starts no line of its own
    for number, line in enumerate(source.split("\n"), start=first_line):
        raw = line.rstrip("\r")
        stripped = raw.lstrip(" ")
        if stripped.startswith("\t") or (stripped and "\t" in raw[: len(raw) - len(stripped)]):
            raise FrontmatterError(f"line {number}: indent with spaces, not tabs")
        lines.append(_Line(number, len(raw) - len(stripped), stripped))
    parser = _Parser(lines)
    start = parser.next_content(0)
    if start >= len(lines):
        raise FrontmatterError("the frontmatter is empty: it needs at least name and description")
    if lines[start].indent != 0:
        raise FrontmatterError(f"line {lines[start].number}: the top-level keys must not be indented")
    value, end = parser.block(start, 0)
    end = parser.next_content(end)
    if end < len(lines):
        raise FrontmatterError(f"line {lines[end].number}: unexpected indentation")
    if type(value) is not dict:
        raise FrontmatterError("the frontmatter must be a mapping of keys to values")
    return value


def render_frontmatter(fields: dict[str, Any]) -> str:
    """YAML text (no ``---`` lines) that :func:`parse_frontmatter` reads back as ``fields``."""
    out: list[str] = []
    _render_mapping(fields, 0, out)
    return "".join(out)


# ----------------------------------------------------------------- parsing


@dataclass(slots=True)
class _Line:
    number: int
    indent: int
    text: str

    @property
    def blank(self) -> bool:
        return not self.text or self.text.startswith("#")


class _Parser:
    """Recursive descent over indented lines; each method returns ``(value, next line index)``."""

    def __init__(self, lines: list[_Line]) -> None:
        self.lines = lines

    def next_content(self, index: int) -> int:
        while index < len(self.lines) and self.lines[index].blank:
            index += 1
        return index

    def block(self, index: int, indent: int) -> tuple[Any, int]:
        line = self.lines[index]
        if line.text == "-" or line.text.startswith("- "):
            return self.sequence(index, line.indent)
        return self.mapping(index, indent)

    def mapping(self, index: int, indent: int) -> tuple[dict[str, Any], int]:
        result: dict[str, Any] = {}
        while True:
            index = self.next_content(index)
            if index >= len(self.lines) or self.lines[index].indent < indent:
                return result, index
            line = self.lines[index]
            if line.indent > indent:
                raise FrontmatterError(f"line {line.number}: unexpected indentation")
            if line.text == "-" or line.text.startswith("- "):
                raise FrontmatterError(f"line {line.number}: a list item where a 'key: value' line belongs")
            key, rest = _split_key(line)
            if key in result:
                raise FrontmatterError(f"line {line.number}: duplicate key {key!r}")
            result[key], index = self.value(index, indent, rest)

    def sequence(self, index: int, indent: int) -> tuple[list[Any], int]:
        result: list[Any] = []
        while True:
            index = self.next_content(index)
            if index >= len(self.lines) or self.lines[index].indent < indent:
                return result, index
            line = self.lines[index]
            if line.indent > indent:
                raise FrontmatterError(f"line {line.number}: unexpected indentation")
            if not (line.text == "-" or line.text.startswith("- ")):
                return result, index  # a sibling key of the mapping that holds this sequence
            rest = line.text[1:].lstrip(" ")
            if rest and not rest.startswith("#") and _looks_like_pair(rest):
                # "- key: value": the item is a mapping whose first line starts after the dash.
                column = line.indent + (len(line.text) - len(rest))
                self.lines[index] = _Line(line.number, column, rest)
                item, index = self.mapping(index, column)
            else:
                item, index = self.value(index, indent, rest)
            result.append(item)

    def value(self, index: int, indent: int, rest: str) -> tuple[Any, int]:
        """The value after ``key:`` or ``-`` on line ``index`` (``rest``), and where parsing goes on."""
        line = self.lines[index]
        where = f"line {line.number}"
        if not rest or rest.startswith("#"):
            child = self.next_content(index + 1)
            if child < len(self.lines):
                nested = self.lines[child]
                if nested.indent > indent:
                    return self.block(child, nested.indent)
                if nested.indent == indent and (nested.text == "-" or nested.text.startswith("- ")):
                    return self.sequence(child, indent)  # "key:\n- item": YAML allows the same indent
            return None, index + 1
        first = rest[0]
        if first in "|>":
            return self.block_scalar(index, indent, rest)
        if first in "&*!":
            raise FrontmatterError(f"{where}: anchors, aliases and tags are not supported")
        if first == '"':
            text, end = _double_quoted(rest, 0, where)
            _expect_end(rest, end, where)
            return text, index + 1
        if first == "'":
            text, end = _single_quoted(rest, 0, where)
            _expect_end(rest, end, where)
            return text, index + 1
        if first in "[{":
            flow = _Flow(rest, where)
            parsed = flow.node()
            _expect_end(rest, flow.pos, where)
            return parsed, index + 1
        return self.plain(index, indent, rest)

    def plain(self, index: int, indent: int, rest: str) -> tuple[Any, int]:
        """A plain scalar, folded over more-indented continuation lines."""
        where = f"line {self.lines[index].number}"
        parts = [_strip_comment(rest)]
        ended = " #" in rest
        index += 1
        while index < len(self.lines) and not ended:
            line = self.lines[index]
            if not line.text:
                index += 1
                continue
            if line.indent <= indent or line.text.startswith("#"):
                break
            parts.append(_strip_comment(line.text))
            ended = " #" in line.text
            index += 1
        text = " ".join(part for part in parts if part)
        if text[:1] in _INDICATORS and not (text[:1] in "-?:" and text[1:2] not in ("", " ")):
            raise FrontmatterError(f"{where}: a value starting with {text[0]!r} must be quoted")
        if ": " in text or text.endswith(":"):
            raise FrontmatterError(f"{where}: a value containing ': ' must be quoted")
        return _resolve(text, where), index

    def block_scalar(self, index: int, indent: int, header: str) -> tuple[str, int]:
        """A literal (``|``) or folded (``>``) block scalar with optional chomping indicator."""
        where = f"line {self.lines[index].number}"
        spec = _strip_comment(header)
        style, chomp = spec[0], spec[1:]
        if chomp not in ("", "-", "+"):
            raise FrontmatterError(
                f"{where}: block scalar header {spec!r} is not supported (use |, |-, >, >-)"
            )
        index += 1
        body: list[_Line] = []
        while index < len(self.lines):
            line = self.lines[index]
            if line.text and line.indent <= indent:
                break
            body.append(line)
            index += 1
        content = [line for line in body if line.text]
        if not content:
            return "", index
        column = content[0].indent
        texts: list[str] = []
        for line in body:
            if not line.text:
                texts.append("")
            elif line.indent < column:
                raise FrontmatterError(f"line {line.number}: less indented than the block's first line")
            else:
                texts.append(" " * (line.indent - column) + line.text)
        while texts and texts[-1] == "":
            texts.pop()
        text = "\n".join(texts) if style == "|" else _fold(texts)
        trailing = len(body) - len(texts)
        if chomp == "-":
            return text, index
        if chomp == "+":
            return text + "\n" * (1 + trailing), index
        return text + "\n", index


def _fold(lines: list[str]) -> str:
    """Folded style: single line breaks between ordinary lines become spaces."""
    out = ""
    previous: str | None = None
    for line in lines:
        if previous is None:
            out = line
        elif line == "":
            out += "\n"
        elif previous == "" or line.startswith(" ") or previous.startswith(" "):
            out += ("\n" if previous.startswith(" ") or line.startswith(" ") else "") + line
        else:
            out += " " + line
        previous = line
    return out


def _looks_like_pair(text: str) -> bool:
    if text[0] in "\"'":
        closing = text.find(text[0], 1)
        return closing > 0 and text[closing + 1 :].lstrip(" ").startswith(":")
    if text[0] in "[{|>":
        return False
    head = _strip_comment(text)
    return ": " in head or head.endswith(":")


def _split_key(line: _Line) -> tuple[str, str]:
    """``key`` and the text after ``key:`` on a mapping line."""
    text, where = line.text, f"line {line.number}"
    if text[0] == "?":
        raise FrontmatterError(f"{where}: complex keys ('?') are not supported")
    if text[0] in "&*!":
        raise FrontmatterError(f"{where}: anchors, aliases and tags are not supported")
    if text[0] in "\"'":
        key, end = (_double_quoted if text[0] == '"' else _single_quoted)(text, 0, where)
        rest = text[end:].lstrip(" ")
        if not rest.startswith(":"):
            raise FrontmatterError(f"{where}: expected ':' after the key")
        return key, rest[1:].lstrip(" ")
    colon = text.find(": ")
    if colon < 0 and text.endswith(":"):
        colon = len(text) - 1
    if colon <= 0:
        raise FrontmatterError(f"{where}: expected 'key: value'")
    key = text[:colon].rstrip(" ")
    if " #" in key or key[0] in _INDICATORS:
        raise FrontmatterError(f"{where}: key {key!r} must be quoted")
    return key, text[colon + 1 :].lstrip(" ")


def _strip_comment(text: str) -> str:
    cut = text.find(" #")
    return (text if cut < 0 else text[:cut]).rstrip(" ")


def _expect_end(text: str, end: int, where: str) -> None:
    tail = text[end:].lstrip(" ")
    if tail and not tail.startswith("#"):
        raise FrontmatterError(f"{where}: unexpected text after the value: {tail!r}")


def _double_quoted(text: str, start: int, where: str) -> tuple[str, int]:
    """A double-quoted scalar starting at ``text[start]``; returns it and the index after the quote."""
    out: list[str] = []
    i = start + 1
    while i < len(text):
        char = text[i]
        if char == '"':
            return "".join(out), i + 1
        if char != "\\":
            out.append(char)
            i += 1
            continue
        code = text[i + 1 : i + 2]
        if code in _ESCAPES:
            out.append(_ESCAPES[code])
            i += 2
        elif code in _HEX_ESCAPES:
            digits = text[i + 2 : i + 2 + _HEX_ESCAPES[code]]
            if len(digits) != _HEX_ESCAPES[code] or not all(c in "0123456789abcdefABCDEF" for c in digits):
                raise FrontmatterError(f"{where}: bad escape \\{code}{digits}")
            out.append(chr(int(digits, 16)))
            i += 2 + len(digits)
        else:
            raise FrontmatterError(f"{where}: unknown escape \\{code}")
    raise FrontmatterError(
        f"{where}: unterminated double-quoted string (multi-line quoted values are not supported)"
    )


def _single_quoted(text: str, start: int, where: str) -> tuple[str, int]:
    out: list[str] = []
    i = start + 1
    while i < len(text):
        if text[i] == "'":
            if text[i + 1 : i + 2] == "'":
                out.append("'")
                i += 2
                continue
            return "".join(out), i + 1
        out.append(text[i])
        i += 1
    raise FrontmatterError(
        f"{where}: unterminated single-quoted string (multi-line quoted values are not supported)"
    )


def _resolve(text: str, where: str) -> Any:
    """A plain scalar under the YAML 1.2 core schema."""
    if text in _NULLS:
        return None
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    if _INT.fullmatch(text):
        return int(text)
    if _OCT.fullmatch(text):
        return int(text[2:], 8)
    if _HEX.fullmatch(text):
        return int(text[2:], 16)
    if _FLOAT.fullmatch(text):
        return float(text)
    if _SPECIAL_FLOAT.fullmatch(text):
        raise FrontmatterError(f"{where}: {text} cannot be carried in JSON; quote it to keep it as text")
    return text


class _Flow:
    """A single-line flow collection: ``[a, "b", {k: v}]`` (JSON is a special case)."""

    def __init__(self, text: str, where: str) -> None:
        self.text = text
        self.pos = 0
        self.where = where

    def fail(self, message: str) -> FrontmatterError:
        return FrontmatterError(f"{self.where}: {message} (flow collections must fit on one line)")

    def skip(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos] == " ":
            self.pos += 1

    def node(self) -> Any:
        self.skip()
        if self.pos >= len(self.text):
            raise self.fail("unexpected end of a flow collection")
        char = self.text[self.pos]
        if char == "[":
            return self.collection("]", self.item)
        if char == "{":
            pairs = self.collection("}", self.pair)
            result: dict[str, Any] = {}
            for key, value in pairs:
                if key in result:
                    raise FrontmatterError(f"{self.where}: duplicate key {key!r}")
                result[key] = value
            return result
        if char == '"':
            text, self.pos = _double_quoted(self.text, self.pos, self.where)
            return text
        if char == "'":
            text, self.pos = _single_quoted(self.text, self.pos, self.where)
            return text
        if char in "&*!":
            raise FrontmatterError(f"{self.where}: anchors, aliases and tags are not supported")
        start = self.pos
        while self.pos < len(self.text) and self.text[self.pos] not in ",]}":
            if self.text[self.pos] == ":" and self.text[self.pos + 1 : self.pos + 2] in (
                " ",
                ",",
                "]",
                "}",
                "",
            ):
                break
            self.pos += 1
        return _resolve(self.text[start : self.pos].rstrip(" "), self.where)

    def item(self) -> Any:
        return self.node()

    def pair(self) -> tuple[str, Any]:
        key = self.node()
        if type(key) is not str:
            key = orjson.dumps(key).decode() if key is not None else "null"
        self.skip()
        if self.text[self.pos : self.pos + 1] != ":":
            raise self.fail("expected ':' in a flow mapping")
        self.pos += 1
        return key, self.node()

    def collection(self, closing: str, element: Any) -> list[Any]:
        self.pos += 1
        items: list[Any] = []
        self.skip()
        if self.text[self.pos : self.pos + 1] == closing:
            self.pos += 1
            return items
        while True:
            items.append(element())
            self.skip()
            char = self.text[self.pos : self.pos + 1]
            self.pos += 1
            if char == closing:
                return items
            if char != ",":
                raise self.fail(f"expected ',' or {closing!r}")


# --------------------------------------------------------------- rendering


def _render_mapping(fields: dict[str, Any], indent: int, out: list[str]) -> None:
    pad = " " * indent
    for key, value in fields.items():
        if type(key) is not str:
            raise TypeError(f"frontmatter keys are strings, not {type(key).__name__}")
        label = key if _SAFE_KEY.fullmatch(key) and _resolve(key, "") == key else _json(key)
        if type(value) is dict and value:
            out.append(f"{pad}{label}:\n")
            _render_mapping(value, indent + 2, out)
        else:
            out.append(f"{pad}{label}: {_scalar(value)}\n")


def _scalar(value: Any) -> str:
    if type(value) is str and _plain_safe(value):
        return value
    return _json(value)


def _json(value: Any) -> str:
    try:
        return orjson.dumps(value).decode()
    except TypeError as exc:
        raise TypeError(f"frontmatter values are JSON values: {exc}") from None


def _plain_safe(text: str) -> bool:
    """Whether ``text`` written plain reads back as the same string."""
    if not text or text != text.strip() or text[0] in _INDICATORS:
        return False
    if any(ord(char) < 0x20 or char in "\x7f\u2028\u2029\x85" for char in text):
        return False
    if ": " in text or " #" in text or text.endswith(":"):
        return False
    try:
        return _resolve(text, "") == text and type(_resolve(text, "")) is str
    except FrontmatterError:
        return False
