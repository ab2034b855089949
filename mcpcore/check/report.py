"""Rendering a battery's outcomes (a readable table, JSON, JUnit XML) and the run's verdict for CI.

Every row carries the level and the clause of its check. The exit status follows the
levels: a FAIL (a MUST missed) fails the run, a WARN (a SHOULD missed) only with
``strict``, an INFO never. A check listed as an expected failure does not fail the run
when it misses, and fails it when it passes, so a baseline can only shrink.
"""

from __future__ import annotations

import shlex
import textwrap
from collections.abc import Iterable
from typing import Any
from xml.etree import ElementTree

import orjson

from mcpcore import __version__
from mcpcore.check.battery import Battery
from mcpcore.check.registry import Outcome

__all__ = ["failed", "summary", "to_json", "to_junit", "to_table", "verdict"]

_MARK = {"pass": "PASS", "fail": "FAIL", "warn": "WARN", "info": "INFO", "n/a": "n/a "}


def summary(outcomes: Iterable[Outcome]) -> dict[str, int]:
    counts = {"pass": 0, "fail": 0, "warn": 0, "info": 0, "n/a": 0, "expected": 0, "unexpectedPass": 0}
    for outcome in outcomes:
        counts[outcome.status] += 1
        if outcome.expected:
            counts["expected" if outcome.status != "pass" else "unexpectedPass"] += 1
    return counts


def verdict(outcome: Outcome, *, strict: bool = False) -> str | None:
    """Why this outcome fails the run, or ``None`` when it does not."""
    if outcome.expected:
        return "listed as an expected failure but passed" if outcome.status == "pass" else None
    if outcome.status == "fail":
        return "FAIL"
    if strict and outcome.status == "warn":
        return "WARN under --strict"
    return None


def failed(outcomes: Iterable[Outcome], *, strict: bool = False) -> list[Outcome]:
    """The outcomes that fail the run."""
    return [o for o in outcomes if verdict(o, strict=strict) is not None]


def to_table(battery: Battery, *, width: int = 110, strict: bool = False) -> str:
    """One line per check; a miss gets its detail, the clause it breaks and the offending message."""
    facts = battery.facts
    info = facts.server_info or {}
    flags = ""
    if battery.flags is not None:
        flags = f"  ({shlex.join(battery.flags) or 'no flags'}; mcpcore {__version__})"
    lines = [
        f"mcpcore check: {battery.target.label}{flags}",
        f"server: {info.get('name', '?')} {info.get('version', '?')}; "
        f"legacy: {facts.legacy_version or 'no'}; "
        f"2026-07-28: {'yes' if facts.modern else 'no'}; tools: {len(facts.tools)}",
        "",
    ]
    id_width = max((len(o.id) for o in battery.outcomes), default=10)
    indent = " " * 6
    for outcome in battery.outcomes:
        line = f"{_MARK[outcome.status]}  {outcome.id.ljust(id_width)}  {outcome.title}"
        if not outcome.missed and outcome.detail:
            line += f" — {outcome.detail}"
        if outcome.expected:
            line += (
                " [expected failure]" if outcome.status != "pass" else " [listed as expected failure: PASSED]"
            )
        lines.append(textwrap.shorten(line, width * 2, placeholder=" …") if len(line) > width * 2 else line)
        if outcome.missed:
            lines.extend(
                textwrap.wrap(outcome.detail, width, initial_indent=indent, subsequent_indent=indent)
            )
            if outcome.clause:
                lines.extend(
                    textwrap.wrap(
                        f"{outcome.level}: {outcome.clause}",
                        width,
                        initial_indent=indent,
                        subsequent_indent=indent + "  ",
                    )
                )
            if outcome.url:
                lines.append(f"{indent}see {outcome.url}")
            if outcome.evidence:
                lines.append(f"{indent}offending: {outcome.evidence}")
    counts = summary(battery.outcomes)
    tail = (
        f"{counts['pass']} passed, {counts['fail']} failed, {counts['warn']} warned, "
        f"{counts['info']} info, {counts['n/a']} not applicable"
    )
    if counts["expected"] or counts["unexpectedPass"]:
        tail += f"; {counts['expected']} expected failure(s), {counts['unexpectedPass']} unexpectedly passed"
    lines += ["", tail]
    return "\n".join(lines) + "\n"


def to_json(battery: Battery, *, strict: bool = False) -> bytes:
    facts = battery.facts
    document: dict[str, Any] = {
        "target": battery.target.url or list(battery.target.command),
        "flags": battery.flags,
        "mcpcore": __version__,
        "server": facts.server_info,
        "legacyVersion": facts.legacy_version,
        "modern": facts.modern,
        "supportedVersions": facts.supported_versions,
        "summary": summary(battery.outcomes),
        "passed": not failed(battery.outcomes, strict=strict),
        "checks": [
            {
                "id": o.id,
                "title": o.title,
                "status": o.status,
                "level": o.level,
                "clause": o.clause,
                "url": o.url,
                "specVersions": list(o.versions),
                "expectedFailure": o.expected,
                "detail": o.detail,
                "evidence": o.evidence,
                "seconds": round(o.seconds, 3),
            }
            for o in battery.outcomes
        ],
    }
    return orjson.dumps(document, option=orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE)


def to_junit(battery: Battery, *, strict: bool = False) -> bytes:
    """JUnit XML: a run-failing outcome is a ``<failure>``; a WARN or INFO is a passing testcase with
    the finding in ``<system-out>``; n/a and expected failures are ``<skipped>``. Every testcase has
    ``level``, ``clause``, ``url`` and ``status`` properties."""
    outcomes = battery.outcomes
    counts = summary(outcomes)
    suite = ElementTree.Element(
        "testsuite",
        name="mcpcore check",
        tests=str(len(outcomes)),
        failures=str(len(failed(outcomes, strict=strict))),
        errors="0",
        skipped=str(counts["n/a"] + counts["expected"]),
        time=f"{sum(o.seconds for o in outcomes):.3f}",
    )
    for outcome in outcomes:
        case = ElementTree.SubElement(
            suite, "testcase", classname="mcpcore.check", name=outcome.id, time=f"{outcome.seconds:.3f}"
        )
        properties = ElementTree.SubElement(case, "properties")
        for name, value in (
            ("status", outcome.status),
            ("level", outcome.level),
            ("clause", outcome.clause),
            ("url", outcome.url),
            ("specVersions", " ".join(outcome.versions)),
        ):
            ElementTree.SubElement(properties, "property", name=name, value=value)
        reason = verdict(outcome, strict=strict)
        finding = "\n".join(
            part
            for part in (
                f"{outcome.status.upper()} ({outcome.level}): {outcome.detail}",
                f"clause: {outcome.clause}" if outcome.clause else "",
                f"see {outcome.url}" if outcome.url else "",
                f"offending: {outcome.evidence}" if outcome.evidence else "",
            )
            if part
        )
        if reason is not None:
            failure = ElementTree.SubElement(case, "failure", message=f"{reason}: {outcome.detail}")
            failure.text = finding
        elif outcome.status == "n/a":
            ElementTree.SubElement(case, "skipped", message=outcome.detail)
        elif outcome.expected:
            ElementTree.SubElement(case, "skipped", message=f"expected failure: {outcome.detail}")
            ElementTree.SubElement(case, "system-out").text = finding
        elif outcome.missed:
            ElementTree.SubElement(case, "system-out").text = finding
    document: bytes = ElementTree.tostring(suite, encoding="utf-8", xml_declaration=True)
    return document + b"\n"
