"""Docstrings read for tool descriptions: the summary, and each parameter's text.

Split from :mod:`mcpcore.registry.signature` along its seam: signature
inspection needs only :func:`parse_docstring`, and the Google, NumPy and
Sphinx section formats it understands live here together.
"""

from __future__ import annotations

import re
from collections.abc import Callable

__all__ = ["parse_docstring"]


_PARAMETER_SECTIONS = frozenset(
    {"args", "arguments", "parameters", "params", "keyword args", "keyword arguments", "other parameters"}
)
_DROPPED_SECTIONS = _PARAMETER_SECTIONS | {"returns", "return", "raises", "raise", "yields", "yield"}
_SPHINX_PARAMETER_ROLES = frozenset({"param", "parameter", "arg", "argument", "key", "keyword"})
_SPHINX_DROPPED_ROLES = _SPHINX_PARAMETER_ROLES | {
    "type", "kwtype", "returns", "return", "rtype", "raises", "raise", "except", "exception", "yields",
    "yield", "ytype",
}  # fmt: skip
_GOOGLE_HEADER = re.compile(r"\s*(?P<name>[A-Za-z][A-Za-z ]*):\s*")
_GOOGLE_ENTRY = re.compile(r"(?P<name>\*{0,2}[A-Za-z_]\w*)\s*(?:\(.*?\))?\s*:(?P<text>.*)")
_NUMPY_UNDERLINE = re.compile(r"-{3,}")
_NUMPY_ENTRY = re.compile(r"(?P<names>\*{0,2}\w+(?:\s*,\s*\*{0,2}\w+)*)\s*(?::.*)?")
_SPHINX_FIELD = re.compile(r"\s*:(?P<role>\w+)(?P<argument>[^:]*):(?P<text>.*)")


def parse_docstring(doc: str) -> tuple[str | None, dict[str, str]]:
    """Split a cleaned docstring into the tool description and per-parameter descriptions.

    Parameter, return, raise and yield sections (Google, NumPy or Sphinx style)
    are taken out of the description: the schema carries the parameters, and
    the rest is about Python, not about what the model should send.
    """
    lines = doc.splitlines()
    kept: list[str] = []
    parameters: dict[str, str] = {}
    index = 0
    while index < len(lines):
        line = lines[index]
        section = _dropped_section(lines, index)
        if section is None:
            if line.strip() or (kept and kept[-1].strip()):
                kept.append(line)
            index += 1
            continue
        parser, end = section
        if parser is not None:
            parameters.update(parser(lines[index:end]))
        index = end
    description = "\n".join(kept).strip()
    return description or None, parameters


_SectionParser = Callable[[list[str]], dict[str, str]]


def _dropped_section(lines: list[str], index: int) -> tuple[_SectionParser | None, int] | None:
    """If a dropped section starts at ``lines[index]``: its parameter parser (None for
    returns/raises sections) and the index just past it."""
    line = lines[index]
    title = line.strip().lower()
    underlined = index + 1 < len(lines) and _NUMPY_UNDERLINE.fullmatch(lines[index + 1].strip())
    if underlined and title in _DROPPED_SECTIONS:
        end = _numpy_section_end(lines, index + 2)
        return (_numpy_parameters if title in _PARAMETER_SECTIONS else None), end
    header = _GOOGLE_HEADER.fullmatch(line)
    if header and header["name"].lower() in _DROPPED_SECTIONS:
        end = _indented_block_end(lines, index + 1, _indent(line))
        return (_google_parameters if header["name"].lower() in _PARAMETER_SECTIONS else None), end
    sphinx = _SPHINX_FIELD.match(line)
    if sphinx and sphinx["role"] in _SPHINX_DROPPED_ROLES:
        end = _indented_block_end(lines, index + 1, _indent(line))
        return (_sphinx_parameter if sphinx["role"] in _SPHINX_PARAMETER_ROLES else None), end
    return None


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _indented_block_end(lines: list[str], start: int, indent: int) -> int:
    """End of the lines indented deeper than ``indent`` (blank lines inside included, trailing ones not)."""
    end = start
    while end < len(lines) and (not lines[end].strip() or _indent(lines[end]) > indent):
        end += 1
    while end > start and not lines[end - 1].strip():
        end -= 1
    return end


def _numpy_section_end(lines: list[str], start: int) -> int:
    """A NumPy section runs until the next underlined title."""
    for index in range(start, len(lines) - 1):
        if lines[index].strip() and _NUMPY_UNDERLINE.fullmatch(lines[index + 1].strip()):
            return index
    return len(lines)


def _join(parts: list[str]) -> str:
    return " ".join(part.strip() for part in parts if part.strip())


def _google_parameters(block: list[str]) -> dict[str, str]:
    """``Args:`` followed by ``name (type): text`` entries; deeper-indented lines continue an entry."""
    return _entries(block[1:], _GOOGLE_ENTRY.fullmatch, first_line_text=True)


def _numpy_parameters(block: list[str]) -> dict[str, str]:
    """``name : type`` entries (several names may share one) with the text indented below."""
    return _entries(block[2:], _NUMPY_ENTRY.fullmatch, first_line_text=False)


def _entries(
    body: list[str], match: Callable[[str], re.Match[str] | None], *, first_line_text: bool
) -> dict[str, str]:
    """Entries start at the block's shallowest indentation; everything deeper continues the last one."""
    base = min((_indent(line) for line in body if line.strip()), default=0)
    collected: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in body:
        found = match(line.strip()) if line.strip() and _indent(line) <= base else None
        if found is not None:
            current = [found["text"]] if first_line_text else []
            names = found["name"] if first_line_text else found["names"]
            for name in names.split(","):
                collected[name.strip().lstrip("*")] = current
        elif current is not None:
            current.append(line)
    return {name: _join(parts) for name, parts in collected.items()}


def _sphinx_parameter(block: list[str]) -> dict[str, str]:
    """``:param [type] name: text`` with indented continuation lines."""
    found = _SPHINX_FIELD.match(block[0])
    assert found is not None
    words = found["argument"].split()
    return {words[-1].lstrip("*"): _join([found["text"], *block[1:]])} if words else {}
