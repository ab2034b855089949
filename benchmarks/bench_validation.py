"""Micro: argument validation, ``CompiledSchema.is_valid`` fast path vs jsonschema for the add tool.

``jsonschema.validate`` per call (the pattern mcpcore avoids: it compiles the
schema every time) is shown for scale.
"""

from __future__ import annotations

import jsonschema
import jsonschema.validators

from benchmarks import data
from benchmarks.micro import Case, run
from mcpcore.examples.calculator import server as calculator
from mcpcore.registry.validation import CompiledSchema


def cases() -> list[Case]:
    tool = calculator.tools.get("add")
    assert tool is not None
    schema = tool.input_validator.schema
    compiled = CompiledSchema(schema)
    assert compiled.fast_path is not None, "the add tool's schema should have a fast path"
    validator = jsonschema.validators.validator_for(schema)(schema)
    good = {"a": 2, "b": 3}
    bad = {"a": "2", "b": 3}
    assert compiled.is_valid(good) and validator.is_valid(good)
    assert not compiled.is_valid(bad) and not validator.is_valid(bad)
    return [
        Case("CompiledSchema.is_valid (fast path), valid", lambda: compiled.is_valid(good)),
        Case("CompiledSchema.is_valid, invalid (falls back)", lambda: compiled.is_valid(bad)),
        Case("jsonschema compiled validator.is_valid, valid", lambda: validator.is_valid(good)),
        Case("jsonschema.validate per call, valid", lambda: jsonschema.validate(good, data.ADD_SCHEMA)),
    ]


if __name__ == "__main__":
    run("validation", cases())
