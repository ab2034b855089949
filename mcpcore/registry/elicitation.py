"""Typed elicitation: a form derived from a Python type, and the answer read back as that type.

``await ctx.elicit("Who are you?", Person)`` sends ``requestedSchema``
derived from ``Person`` (a dataclass or TypedDict) with the same machinery
as tool parameters, and turns an accepted answer into a ``Person``. The spec
restricts elicitation forms to a flat object of primitive fields (strings,
numbers, integers, booleans, enums), so a type that needs more is refused
when the form is built, with the field named, not when a user is waiting.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from mcpcore.errors import INVALID_PARAMS, RpcError
from mcpcore.registry.type_schemas import Converter, derive_type
from mcpcore.registry.validation import CompiledSchema

__all__ = ["ElicitationRefused", "TypedForm", "typed_form"]

_PRIMITIVES = frozenset({"string", "number", "integer", "boolean"})


@dataclass(frozen=True, slots=True)
class ElicitationRefused:
    """The user did not fill the form in: ``action`` is ``"decline"`` or ``"cancel"``."""

    action: Literal["decline", "cancel"]


@dataclass(frozen=True, slots=True)
class TypedForm:
    """The ``requestedSchema`` for one type, and how to read an ElicitResult back as that type."""

    schema: dict[str, Any]
    validator: CompiledSchema
    convert: Converter | None

    def read(self, answer: dict[str, Any]) -> Any:
        """An instance for ``accept``; :class:`ElicitationRefused` otherwise (shape checked on arrival)."""
        action = answer["action"]
        if action != "accept":
            return ElicitationRefused(action)
        content = answer.get("content") or {}
        if not self.validator.is_valid(content):
            problems = "; ".join(self.validator.errors(content))
            raise RpcError(
                INVALID_PARAMS, f"Invalid params: the elicitation answer does not fit the form: {problems}"
            )
        return self.convert(content) if self.convert is not None else content


_FORMS: dict[type[Any], TypedForm] = {}


def typed_form(cls: type[Any]) -> TypedForm:
    """The form for ``cls`` (built once per type); ``TypeError`` if elicitation cannot express it."""
    form = _FORMS.get(cls)
    if form is None:
        form = _FORMS[cls] = _build(cls)
    return form


def _build(cls: type[Any]) -> TypedForm:
    full, convert = derive_type(cls)
    schema = full
    if schema.get("type") != "object":
        raise TypeError(f"an elicitation form must be an object type (a dataclass or TypedDict), not {cls!r}")
    for name, field in schema.get("properties", {}).items():
        kind = field.get("type")
        if kind not in _PRIMITIVES and "enum" not in field:
            raise TypeError(
                f"elicitation forms hold only strings, numbers, integers, booleans and enums; "
                f"{cls.__name__}.{name} is {field}"
            )
    # Sent without additionalProperties (the spec's restricted form schema has no such member);
    # the answer is still checked against the full schema, which refuses keys the type lacks.
    sent = {key: value for key, value in schema.items() if key != "additionalProperties"}
    return TypedForm(sent, CompiledSchema(full, trusted=True), convert)
