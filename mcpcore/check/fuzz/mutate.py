"""Hostile variants of valid messages, one change at a time, deterministic by seed.

Every case is one valid message (:mod:`mcpcore.check.fuzz.generate`) with one
field changed: a value of the wrong JSON type, an unhashable value (an array
or object where an id, token or name is looked up in a dict: the class of bug
that kills engines), a huge string, a NUL, a lone surrogate, a huge number,
an extra member, a missing member, or nesting down to the parser's limit.
Values JSON encoders refuse (lone surrogates, nesting deeper than orjson
writes) are spliced into the encoded bytes, so each case is the exact bytes
sent, and the report can print them for replay.

The order matters more than the volume: a CI run sends a few dozen cases per
version, so each message's first cases are the unhashable values at the
members engines use as keys (``requestId``, ``progressToken``,
``subscriptionId``, ``id``, ...) and its valid shapes; the rest follow in an
order shuffled by the seed, and the cases go round-robin over the messages.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import orjson

from mcpcore.check.fuzz.generate import Template

__all__ = [
    "HUGE_STRING",
    "IDENTITY",
    "NEST_LIMIT",
    "Case",
    "Mutation",
    "cases_for",
    "encode",
    "mutations",
    "plan",
]

#: Length of the huge strings (a quarter of a MiB: large, yet cheap enough for hundreds of cases).
HUGE_STRING = 256 * 1024
#: Deepest nesting sent: just inside orjson's 1024-level parse limit, the deepest a JSON peer must read.
NEST_LIMIT = 1000
#: Members an engine uses as dictionary keys or dispatch values: an unhashable value here has crashed engines.
IDENTITY = (
    "requestId",
    "progressToken",
    "subscriptionId",
    "taskId",
    "id",
    "cursor",
    "name",
    "uri",
    "ref",
    "level",
    "protocolVersion",
    "_meta",
    "arguments",
)
_RAW = "\x00mcpcore-fuzz-raw:"

Path = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class Mutation:
    """One change: where (``path`` into the message), what (``label``) and the new value."""

    path: Path
    label: str
    value: Any = None
    delete: bool = False
    extra: bool = False


@dataclass(frozen=True, slots=True)
class Case:
    """One message to send, exactly as bytes, with what the peer owes in return."""

    index: int
    version: str
    method: str
    definition: str
    #: Whether the peer must answer (a request whose envelope still says "request").
    is_request: bool
    #: The id the answer should carry (``None``: a notification, or an id the peer cannot echo).
    request_id: Any
    description: str
    data: bytes


def encode(message: Any, raw: dict[str, bytes]) -> bytes:
    """``message`` as one JSON line, with each raw placeholder string replaced by its bytes."""
    data = orjson.dumps(message)
    for token, replacement in raw.items():
        data = data.replace(orjson.dumps(token), replacement)
    return data + b"\n"


def _raw(raw: dict[str, bytes], replacement: bytes) -> str:
    token = f"{_RAW}{len(raw)}"
    raw[token] = replacement
    return token


_WRONG_TYPES: tuple[tuple[str, Any], ...] = (
    ("null", None),
    ("true", True),
    ("0", 0),
    ("-1", -1),
    ("1.5", 1.5),
    ('""', ""),
    ('"x"', "x"),
    ("[]", []),
    ("{}", {}),
)
_UNHASHABLE: tuple[tuple[str, Any], ...] = (("[1]", [1]), ('{"a":[1]}', {"a": [1]}))
#: Integers past 64 bits go in as bytes (orjson writes none; a peer's parser may still read them).
_NUMBERS: tuple[tuple[str, Any], ...] = (
    ("2**64", str(2**64).encode()),
    ("-2**63-1", str(-(2**63) - 1).encode()),
    ("1e308", 1e308),
)


def _json_type(value: Any) -> str:
    return type(value).__name__


def _paths(value: Any, path: Path = ()) -> Iterator[tuple[Path, Any]]:
    yield path, value
    if type(value) is dict:
        for key, child in value.items():
            yield from _paths(child, (*path, key))
    elif type(value) is list:
        for index, child in enumerate(value):
            yield from _paths(child, (*path, index))


def mutations(message: dict[str, Any], body: str = "params") -> list[Mutation]:
    """Every single-field mutation of ``message``'s ``id`` and ``body`` member (in a fixed order).

    ``body`` is ``params`` for requests and notifications, ``result`` for a response.
    """
    found: list[Mutation] = []
    targets: list[tuple[Path, Any]] = []
    if "id" in message:
        targets.append((("id",), message["id"]))
    if body in message:
        targets.extend(((body, *sub), value) for sub, value in _paths(message[body]))
    for path, value in targets:
        where = "/".join(map(str, path))
        for label, new in _UNHASHABLE:
            found.append(Mutation(path, f"{where} = {label} (unhashable)", new))
        for label, new in _WRONG_TYPES:
            if _json_type(new) != _json_type(value) and not (new is None and path == ("id",)):
                found.append(Mutation(path, f"{where} = {label} (wrong type)", new))
        found.append(Mutation(path, f"{where} = {HUGE_STRING}-character string", "A" * HUGE_STRING))
        found.append(Mutation(path, f'{where} = "a\\u0000b" (NUL)', "a\x00b"))
        found.append(Mutation(path, f'{where} = "a\\ud800b" (lone surrogate)', b'"a\\ud800b"'))
        for label, new in _NUMBERS:
            found.append(Mutation(path, f"{where} = {label}", new))
        for depth in (64, NEST_LIMIT):
            found.append(Mutation(path, f"{where} = arrays nested {depth} deep", b"[" * depth + b"]" * depth))
        if type(value) is dict:
            found.append(Mutation(path, f"{where} + extra member", {"fuzz-extra": [{"x": None}]}, extra=True))
        if len(path) > 1:
            found.append(Mutation(path, f"{where} missing", delete=True))
    if "id" in message:
        found.append(Mutation(("id",), "id = null", None))
    return found


def _priority(mutation: Mutation) -> tuple[int, int, int]:
    """Unhashable values at identity members first (``[1]`` at each member in turn), then the rest."""
    key = next((part for part in reversed(mutation.path) if type(part) is str), "")
    rank = IDENTITY.index(key) if key in IDENTITY else len(IDENTITY)
    if "(unhashable)" in mutation.label and rank < len(IDENTITY):
        return (0, 0 if mutation.label.endswith("[1] (unhashable)") else 1, rank)
    return (1, 0, rank)


def _apply(message: dict[str, Any], mutation: Mutation, raw: dict[str, bytes]) -> dict[str, Any]:
    result: dict[str, Any] = orjson.loads(orjson.dumps(message))
    parent: Any = result
    for part in mutation.path[:-1]:
        parent = parent[part]
    last = mutation.path[-1]
    if mutation.delete:
        del parent[last]
    elif mutation.extra:
        parent[last] = {**parent[last], **mutation.value}
    elif type(mutation.value) is bytes:
        parent[last] = _raw(raw, mutation.value)
    else:
        parent[last] = mutation.value
    return result


def plan(
    template: Template, rng: random.Random, body: str = "params"
) -> Iterator[tuple[str, dict[str, Any], dict[str, bytes]]]:
    """The cases of one message: (description, message with placeholders, raw bytes for them), in order.

    The order is the module docstring's; encode each with :func:`encode`.
    """
    ordered = sorted(mutations(template.full, body), key=_priority)
    first = [m for m in ordered if _priority(m)[0] == 0]
    rest = [m for m in ordered if _priority(m)[0] != 0]
    rng.shuffle(rest)
    shapes = [("valid (full)", template.full), ("valid (minimal)", template.minimal)]
    for step, mutation in enumerate(first + rest):
        if step in (1, 4):  # the valid shapes early, after the most dangerous mutation
            yield (*shapes.pop(0), {})
        raw: dict[str, bytes] = {}
        yield mutation.label, _apply(template.full, mutation, raw), raw
    for description, message in shapes:
        yield description, message, {}


def cases_for(templates: list[Template], count: int, seed: int, *, first_index: int = 0) -> list[Case]:
    """``count`` cases over ``templates``, round-robin so that a small count still covers every message.

    The same ``(templates, count, seed)`` always gives the same cases, byte for byte, so a report's
    seed and count replay it.
    """
    if not templates:
        return []
    rng = random.Random(f"mcpcore-fuzz:{seed}:{templates[0].version}")
    plans = [plan(template, random.Random(rng.random())) for template in templates]
    out: list[Case] = []
    live = list(zip(templates, plans, strict=True))
    while len(out) < count and live:
        still: list[tuple[Template, Iterator[tuple[str, dict[str, Any], dict[str, bytes]]]]] = []
        for template, steps in live:
            if len(out) >= count:
                break
            step = next(steps, None)
            if step is None:
                continue
            still.append((template, steps))
            description, message, raw = step
            index = first_index + len(out)
            if template.is_request and type(message.get("id")) is int and message["id"] == 1:
                message = {**message, "id": 7_000_000 + index}  # the template's id, not a mutated one
            out.append(_case(index, template, description, message, raw))
        live = still if len(out) < count else []
    return out


def _case(
    index: int, template: Template, description: str, message: dict[str, Any], raw: dict[str, bytes]
) -> Case:
    sent_id = message.get("id") if template.is_request else None
    has_id = template.is_request and "id" in message
    echoable = type(sent_id) in (int, str) and not (type(sent_id) is str and sent_id.startswith(_RAW))
    return Case(
        index=index,
        version=template.version,
        method=template.method,
        definition=template.definition,
        is_request=has_id,
        request_id=sent_id if echoable else None,
        description=f"{template.method} {description}",
        data=encode(message, raw),
    )
