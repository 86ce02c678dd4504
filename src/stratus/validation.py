"""Validate request bodies with pydantic and report failures the way AWS services do:

1 validation error detected: Value '100' at 'memorySize' failed to satisfy constraint:
Member must have value greater than or equal to 128
"""

from __future__ import annotations

import re
from typing import Any, TypeVar

import pydantic
import pydantic_core

from stratus.errors import Malformed, Validation

M = TypeVar("M", bound=pydantic.BaseModel)


def parse(model: type[M], data: object) -> M:
    if not isinstance(data, dict):
        raise Malformed("Could not parse request body into json: expected an object")
    try:
        return model.model_validate(data)
    except pydantic.ValidationError as exc:
        raise Validation(describe(exc)) from exc


def aws_pattern(pattern: str) -> pydantic.AfterValidator:
    """A string constraint AWS style: the whole value must match, and a failure reports AWS's
    pattern text. (pydantic's own `pattern` searches, which a pattern like `$|arn:...` always
    passes.)"""
    compiled = re.compile(pattern)

    def check(value: str) -> str:
        if not compiled.fullmatch(value):
            raise pydantic_core.PydanticCustomError(
                "string_pattern_mismatch", "String should match pattern", {"pattern": pattern}
            )
        return value

    return pydantic.AfterValidator(check)


def describe(exc: pydantic.ValidationError) -> str:
    problems = [_describe_one(error) for error in exc.errors()]
    noun = "error" if len(problems) == 1 else "errors"
    return f"{len(problems)} validation {noun} detected: " + "; ".join(problems)


def _describe_one(error: Any) -> str:
    where = ".".join(_camel(str(part)) for part in error["loc"] if not isinstance(part, int))
    ctx = error.get("ctx") or {}
    kind = error["type"]
    if kind == "missing":
        return f"Value null at '{where}' failed to satisfy constraint: Member must not be null"
    constraint = {
        "greater_than_equal": f"Member must have value greater than or equal to {ctx.get('ge')}",
        "less_than_equal": f"Member must have value less than or equal to {ctx.get('le')}",
        "string_too_long": f"Member must have length less than or equal to {ctx.get('max_length')}",
        "string_too_short": f"Member must have length greater than or equal to "
        f"{ctx.get('min_length')}",
        "too_long": f"Member must have length less than or equal to {ctx.get('max_length')}",
        "too_short": f"Member must have length greater than or equal to {ctx.get('min_length')}",
        "string_pattern_mismatch": f"Member must satisfy regular expression pattern: "
        f"{ctx.get('pattern')}",
        "literal_error": f"Member must satisfy enum value set: [{ctx.get('expected')}]",
        "enum": f"Member must satisfy enum value set: [{ctx.get('expected')}]",
    }.get(kind, error["msg"])
    value = error.get("input")
    return f"Value '{value}' at '{where}' failed to satisfy constraint: {constraint}"


def _camel(name: str) -> str:
    return name[:1].lower() + name[1:]
