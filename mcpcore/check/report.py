"""Rendering a battery's outcomes: a readable table, JSON, and JUnit XML for CI."""

from __future__ import annotations

import textwrap
from typing import Any
from xml.etree import ElementTree

import orjson

from mcpcore.check.battery import Battery, Outcome

__all__ = ["summary", "to_json", "to_junit", "to_table"]

_MARK = {"pass": "PASS", "fail": "FAIL", "n/a": "n/a "}


def summary(outcomes: list[Outcome]) -> dict[str, int]:
    counts = {"pass": 0, "fail": 0, "n/a": 0}
    for outcome in outcomes:
        counts[outcome.status] += 1
    return counts


def to_table(battery: Battery, *, width: int = 110) -> str:
    """One line per check; failures get the detail and the offending message indented below."""
    facts = battery.facts
    info = facts.server_info or {}
    lines = [
        f"mcpcore check: {battery.target.label}",
        f"server: {info.get('name', '?')} {info.get('version', '?')}; "
        f"legacy: {facts.legacy_version or 'no'}; "
        f"2026-07-28: {'yes' if facts.modern else 'no'}; tools: {len(facts.tools)}",
        "",
    ]
    id_width = max((len(o.id) for o in battery.outcomes), default=10)
    for outcome in battery.outcomes:
        detail = outcome.detail if outcome.status != "fail" else ""
        line = f"{_MARK[outcome.status]}  {outcome.id.ljust(id_width)}  {outcome.title}"
        if detail:
            line += f" — {detail}"
        lines.append(textwrap.shorten(line, width * 2, placeholder=" …") if len(line) > width * 2 else line)
        if outcome.status == "fail":
            indent = " " * 6
            lines.extend(
                textwrap.wrap(outcome.detail, width, initial_indent=indent, subsequent_indent=indent)
            )
            if outcome.evidence:
                lines.append(f"{indent}offending: {outcome.evidence}")
    counts = summary(battery.outcomes)
    lines += ["", f"{counts['pass']} passed, {counts['fail']} failed, {counts['n/a']} not applicable"]
    return "\n".join(lines) + "\n"


def to_json(battery: Battery) -> bytes:
    facts = battery.facts
    document: dict[str, Any] = {
        "target": battery.target.url or list(battery.target.command),
        "server": facts.server_info,
        "legacyVersion": facts.legacy_version,
        "modern": facts.modern,
        "supportedVersions": facts.supported_versions,
        "summary": summary(battery.outcomes),
        "checks": [
            {
                "id": o.id,
                "title": o.title,
                "status": o.status,
                "detail": o.detail,
                "evidence": o.evidence,
                "seconds": round(o.seconds, 3),
            }
            for o in battery.outcomes
        ],
    }
    return orjson.dumps(document, option=orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE)


def to_junit(battery: Battery) -> bytes:
    counts = summary(battery.outcomes)
    suite = ElementTree.Element(
        "testsuite",
        name="mcpcore check",
        tests=str(len(battery.outcomes)),
        failures=str(counts["fail"]),
        skipped=str(counts["n/a"]),
        time=f"{sum(o.seconds for o in battery.outcomes):.3f}",
    )
    for outcome in battery.outcomes:
        case = ElementTree.SubElement(
            suite, "testcase", classname="mcpcore.check", name=outcome.id, time=f"{outcome.seconds:.3f}"
        )
        if outcome.status == "fail":
            failure = ElementTree.SubElement(case, "failure", message=outcome.detail)
            failure.text = outcome.evidence or outcome.detail
        elif outcome.status == "n/a":
            ElementTree.SubElement(case, "skipped", message=outcome.detail)
    document: bytes = ElementTree.tostring(suite, encoding="utf-8", xml_declaration=True)
    return document + b"\n"
