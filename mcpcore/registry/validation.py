"""JSON Schemas compiled once at registration and checked on every request.

A ``tools/call`` validates its arguments against the tool's input schema on
every request, and ``jsonschema``'s general machinery costs microseconds even
for ``{"a": 2, "b": 3}``. Most tool schemas are flat objects of primitives, so
:class:`CompiledSchema` generates a straight-line predicate for those that
answers "definitely valid" with a few dict lookups and type checks. The
predicate is one-sided on purpose: it may say ``False`` for a valid instance
(the full validator then decides), but never ``True`` for an invalid one, so the
result of :meth:`CompiledSchema.is_valid` is always exactly jsonschema's.

Importing jsonschema costs about 40 ms, most of a server's cold start. A schema
mcpcore derived itself (``trusted=True``; the tests check every derived shape
with ``check_schema``) that has a fast path therefore builds its full
validator on first need, which for valid traffic is never. Schemas given by
the user are always checked and compiled at registration.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import jsonschema.exceptions
    from jsonschema.protocols import Validator

__all__ = ["CompiledSchema"]

Predicate = Callable[[Any], bool]

_MISSING = object()

#: Keywords that never affect validation, so the fast path may ignore them.
_ANNOTATIONS = frozenset(
    {
        "title",
        "description",
        "default",
        "examples",
        "$schema",
        "$comment",
        "deprecated",
        "readOnly",
        "writeOnly",
    }
)
_OBJECT_KEYWORDS = _ANNOTATIONS | {"type", "properties", "required", "additionalProperties"}
_VALUE_KEYWORDS = _ANNOTATIONS | {"type", "enum", "const"}

#: ``$schema`` values whose semantics for the fast-path subset are the ones encoded
#: below (absent means 2020-12; draft 3 has a different ``required`` and an ``any``
#: type, and unknown dialects are unknown, so neither gets a fast path).
_FAST_DIALECTS = frozenset(
    {
        None,
        "http://json-schema.org/draft-04/schema",
        "http://json-schema.org/draft-06/schema",
        "http://json-schema.org/draft-07/schema",
        "https://json-schema.org/draft/2019-09/schema",
        "https://json-schema.org/draft/2020-12/schema",
    }
)

#: JSON type name -> the exact Python types the fast path accepts for it. Exact
#: types only: ``bool`` is an ``int`` subclass, and 1.0 counts as an "integer" only
#: from draft 6 on, so anything less clear-cut is left to the full validator.
_EXACT_TYPES: dict[str, tuple[type[Any], ...]] = {
    "integer": (int,),
    "number": (int, float),
    "string": (str,),
    "boolean": (bool,),
    "null": (type(None),),
    "object": (dict,),
    "array": (list,),
}


class CompiledSchema:
    """A JSON Schema checked and compiled once; :meth:`is_valid` is called per request."""

    __slots__ = ("_full_is_valid", "_validator", "fast_path", "schema")

    def __init__(self, schema: dict[str, Any], *, trusted: bool = False) -> None:
        self.schema = schema
        dialect = schema.get("$schema")
        dialect = dialect.rstrip("#") if type(dialect) is str else dialect
        #: The generated "definitely valid" predicate, or None when the schema is not simple enough.
        self.fast_path: Predicate | None = _build_fast_path(schema) if dialect in _FAST_DIALECTS else None
        self._validator: Validator | None = None
        self._full_is_valid: Predicate = self._first_full_validation
        if not (trusted and self.fast_path is not None):
            self._full_is_valid = self.validator.is_valid

    @property
    def validator(self) -> Validator:
        """The full jsonschema validator, checked and built on first use."""
        if self._validator is None:
            self._validator = _compile(self.schema)
        return self._validator

    def _first_full_validation(self, instance: Any) -> bool:
        self._full_is_valid = self.validator.is_valid
        return self._full_is_valid(instance)

    def is_valid(self, instance: Any) -> bool:
        """Whether ``instance`` is valid; the fast predicate answers first when there is one."""
        fast = self.fast_path
        if fast is not None and fast(instance):
            return True
        return self._full_is_valid(instance)

    def errors(self, instance: Any) -> list[str]:
        """Every validation error as a readable message, ordered by instance path (failure path only)."""
        found = sorted(self.validator.iter_errors(instance), key=_error_order)
        return [_describe(error) for error in found]


def _compile(schema: dict[str, Any]) -> Validator:
    """Check ``schema`` against its dialect's metaschema and build its validator."""
    import jsonschema.exceptions
    import jsonschema.validators

    cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator)
    try:
        cls.check_schema(schema)
    except jsonschema.exceptions.SchemaError as exc:
        where = "/".join(str(part) for part in exc.absolute_path) or "the root"
        raise ValueError(f"invalid JSON Schema at {where}: {exc.message}") from exc
    _refuse_network_refs(schema)
    from referencing import Registry  # jsonschema's own dependency

    # An empty registry: a $ref is resolved inside the schema or not at all, never fetched.
    validator: Validator = cls(schema, registry=Registry())
    return validator


def _refuse_network_refs(schema: Any) -> None:
    """Refuse a ``$ref`` to an absolute URI that no ``$id`` in the schema itself defines.

    jsonschema would download it on first use: a schema must never make the
    server open network connections (a tool author's typo or a hostile schema).
    """
    ids: set[str] = set()
    refs: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "$id" and isinstance(value, str):
                    ids.add(value.rstrip("#"))
                elif key in ("$ref", "$dynamicRef") and isinstance(value, str):
                    refs.append(value)
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(schema)
    for ref in refs:
        target = ref.split("#", 1)[0]
        if "://" in target and target not in ids:
            raise ValueError(f"invalid JSON Schema: $ref {ref!r} points outside the schema (never fetched)")


def _error_order(error: jsonschema.exceptions.ValidationError) -> tuple[tuple[str, ...], str]:
    """Sort key making error lists deterministic: paths mix ints and strings, so compare them as text."""
    return tuple(str(part) for part in error.absolute_path), error.message


def _describe(error: jsonschema.exceptions.ValidationError) -> str:
    path = ".".join(str(part) for part in error.absolute_path)
    return f"at {path!r}: {error.message}" if path else error.message


def _build_fast_path(schema: Any) -> Predicate | None:
    """Generate the predicate for a flat object schema, or None when the schema is anything else.

    The predicate is compiled from source so the valid path runs as straight-line
    bytecode. Property names enter the source only through ``repr()`` (always a
    plain string literal); every other value is passed in the namespace under a
    name generated here.
    """
    if type(schema) is not dict or not schema.keys() <= _OBJECT_KEYWORDS:
        return None
    if schema.get("type", "object") != "object":
        return None
    properties = schema.get("properties", {})
    required = list(dict.fromkeys(schema.get("required", ())))
    closed = _is_closed(schema.get("additionalProperties", True))
    if type(properties) is not dict or closed is None:
        return None
    if not all(type(name) is str for name in [*properties, *required]):
        return None
    if closed and not set(required) <= properties.keys():
        return None  # a required key that additionalProperties forbids: never valid, not worth a path
    namespace: dict[str, Any] = {"_MISSING": _MISSING}
    checks: dict[str, str] = {}
    for index, (name, subschema) in enumerate(properties.items()):
        check = _value_check(subschema, f"v{index}", namespace)
        if check is None:
            return None
        checks[name] = check
    source = _predicate_source(list(properties), required, checks, closed)
    exec(compile(source, "<mcpcore fast schema>", "exec"), namespace)
    predicate: Predicate = namespace["fast_path"]
    return predicate


def _is_closed(additional: Any) -> bool | None:
    """True for ``additionalProperties: false``, False when it allows anything, None for a real subschema."""
    if additional is False:
        return True
    if additional is True or (type(additional) is dict and additional.keys() <= _ANNOTATIONS):
        return False
    return None


def _predicate_source(names: list[str], required: list[str], checks: dict[str, str], closed: bool) -> str:
    """Source of ``fast_path(inst)``: required keys fetched in one ``try``, optional ones via ``get``."""
    variable = {name: f"v{index}" for index, name in enumerate(names)}
    lines = ["def fast_path(inst):", "    if type(inst) is not dict:", "        return False"]
    if required:
        lines.append("    try:")
        for position, name in enumerate(required):
            target = variable.get(name, f"r{position}")
            lines.append(f"        {target} = inst[{name!r}]")
        lines += ["    except KeyError:", "        return False"]
    if closed:
        lines.append(f"    n = {len(required)}")
    for name in names:
        if name in required:
            continue
        var, check = variable[name], checks[name]
        lines.append(f"    {var} = inst.get({name!r}, _MISSING)")
        if closed:
            lines += [
                f"    if {var} is not _MISSING:",
                f"        if not ({check}):",
                "            return False",
            ]
            lines.append("        n += 1")
        elif check != "True":
            lines += [f"    if {var} is not _MISSING and not ({check}):", "        return False"]
    final = [checks[name] for name in required if name in checks and checks[name] != "True"]
    if closed:
        final.append("len(inst) == n")
    lines.append(f"    return {' and '.join(f'({part})' for part in final) or 'True'}")
    return "\n".join(lines) + "\n"


def _value_check(subschema: Any, var: str, namespace: dict[str, Any]) -> str | None:
    """A Python expression true only if ``var`` is valid under ``subschema``; None when not simple."""
    if subschema is True:
        return "True"
    if type(subschema) is not dict or not subschema.keys() <= _VALUE_KEYWORDS:
        return None
    parts: list[str] = []
    if "type" in subschema:
        type_check = _type_check(subschema["type"], var, namespace)
        if type_check is None:
            return None
        parts.append(type_check)
    if "enum" in subschema:
        if type(subschema["enum"]) is not list:
            return None
        parts.append(_enum_check(subschema["enum"], var, namespace))
    if "const" in subschema:
        parts.append(_enum_check([subschema["const"]], var, namespace))
    return " and ".join(f"({part})" for part in parts) or "True"


def _type_check(declared: Any, var: str, namespace: dict[str, Any]) -> str | None:
    names = [declared] if type(declared) is str else declared
    if type(names) is not list or not names or not all(name in _EXACT_TYPES for name in names):
        return None
    accepted = frozenset(python_type for name in names for python_type in _EXACT_TYPES[name])
    if len(accepted) == 1:
        (only,) = accepted
        return f"{var} is None" if only is type(None) else f"type({var}) is {only.__name__}"
    constant = _bind(namespace, accepted)
    return f"type({var}) in {constant}"


def _enum_check(values: list[Any], var: str, namespace: dict[str, Any]) -> str:
    """Membership under JSON equality for the primitive members; other members are left to the full validator.

    jsonschema compares strings with ``==``, keeps ``True``/``False`` apart from
    ``1``/``0``, and treats ``1 == 1.0``. Strings and non-bool numbers go in
    separate frozensets (whose hashing agrees with that), booleans and null are
    compared by identity.
    """
    strings = frozenset(v for v in values if type(v) is str)
    numbers = frozenset(v for v in values if type(v) in (int, float) and not _is_nan(v))
    parts = [f"{var} is {literal!r}" for literal in (None, True, False) if any(v is literal for v in values)]
    if strings:
        parts.append(f"(type({var}) is str and {var} in {_bind(namespace, strings)})")
    if numbers:
        parts.append(
            f"((type({var}) is int or type({var}) is float) and {var} in {_bind(namespace, numbers)})"
        )
    return " or ".join(parts) or "False"


def _is_nan(value: Any) -> bool:
    """NaN equals nothing, yet a frozenset finds it by identity; keep it out so both sides agree."""
    return type(value) is float and math.isnan(value)


def _bind(namespace: dict[str, Any], value: Any) -> str:
    """Put a constant in the generated code's namespace under a fresh, generated name."""
    name = f"_c{len(namespace)}"
    namespace[name] = value
    return name
