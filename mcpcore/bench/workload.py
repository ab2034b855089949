"""What the bench sends: ``--call``, ``--method``, a weighted mix (``--workload FILE``), or ``add``.

A workload is a list of :class:`Call` kinds, each with a weight and a
params template. Templates are plain JSON in which two kinds of object are
replaced on every request:

* ``{"$counter": START}`` or ``{"$counter": {"start": 0, "step": 1, "mod": N}}``:
  an integer that advances by ``step`` each time this call kind is sent;
* ``{"$choice": [v1, v2, …]}``: one of the values, picked at random (seeded);
* ``{"$format": "calc://fib/{0}", "args": [TEMPLATE, …]}``: a string made
  with :meth:`str.format` from the rendered ``args``.

Everything else is sent as written. Templates are compiled once into
closures, so rendering a request costs about what building its dict costs.

Responses are checked by :func:`check_response`: a JSON-RPC error, or a
tool result with ``isError: true``, is an error, reported with its message
and never timed as a success. The default ``add`` call also checks the sum,
so a server that answers wrongly cannot look fast.
"""

from __future__ import annotations

import importlib
import random
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

__all__ = [
    "Call",
    "Workload",
    "add_call",
    "check_response",
    "compile_template",
    "load_workload",
]

Render = Callable[[], Any]
#: ``(rendered params, response message) -> None`` or an error text.
Expect = Callable[[Any, dict[str, Any]], "str | None"]


def compile_template(template: Any, rng: random.Random) -> Render:
    """A function returning a fresh rendering of ``template`` (see the module docstring)."""
    if isinstance(template, dict):
        if "$counter" in template:
            return _counter(template["$counter"])
        if "$choice" in template:
            options = template["$choice"]
            if not isinstance(options, list) or not options:
                raise ValueError("$choice needs a non-empty list")
            renders = [compile_template(option, rng) for option in options]

            def choose() -> Any:
                return rng.choice(renders)()

            return choose
        if "$format" in template:
            text = template["$format"]
            if not isinstance(text, str):
                raise ValueError("$format needs a string")
            args = [compile_template(arg, rng) for arg in template.get("args", [])]
            return lambda: text.format(*(arg() for arg in args))
        parts = {key: compile_template(value, rng) for key, value in template.items()}
        if all(getattr(part, "constant", False) for part in parts.values()):
            return _constant(template)
        items = list(parts.items())
        return lambda: {key: part() for key, part in items}
    if isinstance(template, list):
        renders = [compile_template(value, rng) for value in template]
        if all(getattr(part, "constant", False) for part in renders):
            return _constant(template)
        return lambda: [part() for part in renders]
    return _constant(template)


def _constant(value: Any) -> Render:
    # Constant parts are shared between requests: orjson only reads them.
    def render() -> Any:
        return value

    render.constant = True  # type: ignore[attr-defined]
    return render


def _counter(spec: Any) -> Render:
    if isinstance(spec, dict):
        start, step, mod = int(spec.get("start", 0)), int(spec.get("step", 1)), spec.get("mod")
    else:
        start, step, mod = int(spec), 1, None
    state = [start]

    def render() -> int:
        value = state[0]
        state[0] = value + step
        return value % int(mod) if mod else value

    return render


@dataclass
class Call:
    """One kind of request: ``method`` with a params template, sent ``weight`` times as often."""

    method: str
    params: Any = None
    weight: float = 1.0
    #: A short label for reports (the tool name, or the method).
    label: str = ""
    #: An extra check of a successful answer (the default ``add`` checks the sum).
    expect: Expect | None = None
    render: Render = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if not self.label:
            name = self.params.get("name") if isinstance(self.params, dict) else None
            self.label = f"{self.method} {name}" if isinstance(name, str) else self.method
        if self.weight <= 0:
            raise ValueError(f"weight must be positive ({self.label})")

    def compile(self, rng: random.Random) -> None:
        self.render = compile_template(self.params, rng) if self.params is not None else _constant(None)


class Workload:
    """A weighted mix of :class:`Call` kinds, rendered into JSON-RPC request frames."""

    def __init__(self, calls: Sequence[Call], *, seed: int = 0, meta: dict[str, Any] | None = None) -> None:
        if not calls:
            raise ValueError("a workload needs at least one call")
        self.calls = list(calls)
        self.rng = random.Random(seed)
        for call in self.calls:
            call.compile(self.rng)
        self._weights = [call.weight for call in self.calls]
        self._single = self.calls[0] if len(self.calls) == 1 else None
        #: The 2026-07-28 ``_meta`` envelope every request carries (``None``: legacy era).
        self.meta = meta

    def describe(self) -> str:
        """One line naming the calls (and weights, for a mix)."""
        if self._single is not None:
            return self._single.label
        total = sum(self._weights)
        return ", ".join(f"{call.label} ({call.weight / total:.0%})" for call in self.calls)

    def next(self, request_id: int) -> tuple[Call, Any, bytes]:
        """The next request: its kind, its rendered params, and its newline-ended frame."""
        call = self._single or self.rng.choices(self.calls, self._weights)[0]
        params = call.render()
        return call, params, self.frame(request_id, call.method, params)

    def frame(self, request_id: int, method: str, params: Any) -> bytes:
        """A request frame, with the modern envelope added to ``params._meta`` when there is one."""
        message: dict[str, Any] = {"jsonrpc": "2.0", "id": request_id, "method": method}
        if self.meta is not None:
            params = dict(params or {})
            params["_meta"] = {**self.meta, **(params.get("_meta") or {})}
        if params is not None:
            message["params"] = params
        return orjson.dumps(message, option=orjson.OPT_APPEND_NEWLINE)


def _expect_sum(params: Any, message: dict[str, Any]) -> str | None:
    arguments = params.get("arguments", {}) if isinstance(params, dict) else {}
    wanted = str(arguments.get("a", 0) + arguments.get("b", 0))
    content = message.get("result", {}).get("content")
    text = content[0].get("text") if isinstance(content, list) and content else None
    return None if text == wanted else f"add answered {text!r}, not {wanted}"


def add_call(tool: str = "add") -> Call:
    """The default call: ``tool(a=counter, b=1)``, its text answer checked to be the sum."""
    return Call("tools/call", {"name": tool, "arguments": {"a": {"$counter": 0}, "b": 1}}, expect=_expect_sum)


def check_response(message: dict[str, Any], call: Call, params: Any) -> str | None:
    """``None`` for a good answer; otherwise why it is an error (a short text for the report)."""
    error = message.get("error")
    if error is not None:
        if isinstance(error, dict):
            return f"JSON-RPC error {error.get('code')}: {str(error.get('message'))[:120]}"
        return "malformed JSON-RPC error"
    result = message.get("result")
    if not isinstance(result, dict):
        return "response without a result object"
    if result.get("isError") is True:
        content = result.get("content")
        text = content[0].get("text") if isinstance(content, list) and content else None
        return f"isError result: {str(text)[:120]}"
    if call.expect is not None:
        return call.expect(params, message)
    return None


# ------------------------------------------------------------------ files


def load_workload(path: str | Path) -> list[Call]:
    """Read ``--workload FILE``: JSON, or TOML where :mod:`tomllib` exists (Python 3.11+).

    The file holds ``calls``, a list of objects each with either ``tool`` and
    ``arguments`` or ``method`` and ``params``, and an optional ``weight``.
    """
    file = Path(path)
    raw = file.read_bytes()
    if file.suffix.lower() == ".toml":
        if sys.version_info < (3, 11):
            raise ValueError("TOML workloads need Python 3.11+ (tomllib); use JSON")
        tomllib: Any = importlib.import_module("tomllib")
        data: Any = tomllib.loads(raw.decode("utf-8"))
    else:
        data = orjson.loads(raw)
    entries = data.get("calls") if isinstance(data, dict) else data
    if not isinstance(entries, list) or not entries:
        raise ValueError(f"{file}: expected a non-empty 'calls' list")
    calls: list[Call] = []
    for number, entry in enumerate(entries, 1):
        if not isinstance(entry, dict):
            raise ValueError(f"{file}: call {number} is not an object")
        weight = float(entry.get("weight", 1))
        if "tool" in entry:
            params = {"name": entry["tool"], "arguments": entry.get("arguments", {})}
            calls.append(Call("tools/call", params, weight, label=str(entry.get("label", ""))))
        elif "method" in entry:
            method = entry["method"]
            if not isinstance(method, str):
                raise ValueError(f"{file}: call {number}: method must be a string")
            calls.append(Call(method, entry.get("params"), weight, label=str(entry.get("label", ""))))
        else:
            raise ValueError(f"{file}: call {number} needs 'tool' or 'method'")
    return calls
