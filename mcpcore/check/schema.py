"""Validating what a server sends against the JSON schema of the protocol version in use.

The schemas ship inside the package (``mcpcore/check/schemas/<version>.json``,
copied unchanged from the specification), so ``mcpcore check`` needs nothing
outside mcpcore at run time. Each schema is loaded once; each definition's
validator is compiled once, on first use, and reused for every message.

Which definition applies is worked out, not listed by hand: a request or
notification is checked against the definition whose ``method`` is that
constant; a result against ``<Name>Result`` for a ``<Name>Request`` (or
``EmptyResult`` where the schema has no specific result, as for ``ping``).
"""

from __future__ import annotations

import functools
from importlib import resources
from typing import Any

import orjson
from jsonschema.protocols import Validator
from jsonschema.validators import validator_for

from mcpcore import versions

__all__ = ["SchemaSet", "schema_for"]


class SchemaSet:
    """One protocol version's schema: definitions by method, compiled validators by name."""

    def __init__(self, version: str, document: dict[str, Any]) -> None:
        self.version = version
        self.document = document
        self.defs_key = "$defs" if "$defs" in document else "definitions"
        self.defs: dict[str, Any] = document[self.defs_key]
        self.by_method: dict[str, str] = {}
        for name, definition in self.defs.items():
            method = (definition.get("properties") or {}).get("method", {}).get("const")
            if type(method) is str and name.endswith(("Request", "Notification")):
                self.by_method.setdefault(method, name)
        self._validators: dict[str, Validator] = {}
        self._cls = validator_for(document)

    def has(self, name: str) -> bool:
        return name in self.defs

    def validator(self, name: str) -> Validator:
        """The compiled validator of one definition (compiled on first use, then cached)."""
        found = self._validators.get(name)
        if found is None:
            root = {**self.document, "$ref": f"#/{self.defs_key}/{name}"}
            found = self._cls(root)
            self._validators[name] = found
        return found

    def errors(self, name: str, instance: Any) -> list[str]:
        """Readable problems of ``instance`` against definition ``name`` (empty when valid)."""
        problems = []
        for error in self.validator(name).iter_errors(instance):
            where = "/".join(str(part) for part in error.absolute_path) or "(root)"
            problems.append(f"{where}: {_short(error.message)}")
        return problems

    def result_definition(self, method: str, result: Any) -> str | None:
        """The definition a result of ``method`` must match under this version."""
        if (
            self.version in versions.MODERN_VERSIONS
            and type(result) is dict
            and result.get("resultType") == "input_required"
        ):
            return "InputRequiredResult"
        request = self.by_method.get(method)
        if request is None:
            return None
        specific = request[: -len("Request")] + "Result"
        if self.has(specific):
            return specific
        return "EmptyResult" if self.has("EmptyResult") else "Result"

    @property
    def error_definition(self) -> str:
        return "JSONRPCErrorResponse" if self.has("JSONRPCErrorResponse") else "JSONRPCError"


def _short(message: str, limit: int = 300) -> str:
    return message if len(message) <= limit else message[:limit] + "…"


@functools.cache
def schema_for(version: str) -> SchemaSet:
    """The schema of ``version`` (loaded once per process)."""
    if version not in versions.SUPPORTED_VERSIONS:
        raise ValueError(f"no schema for protocol version {version!r}")
    data = resources.files("mcpcore.check").joinpath("schemas").joinpath(f"{version}.json").read_bytes()
    return SchemaSet(version, orjson.loads(data))
