"""Input checked against the model's constraints, refused in AWS's words.

Every protocol parses its wire form into members first (names as in the model, values typed:
int, float, bool, str, bytes, datetime, lists and dicts), then `check` walks the input shape:

    required   Value null at 'stackName' failed to satisfy constraint: Member must not be null
    min / max  Value '0' at 'timeoutInMinutes' failed to satisfy constraint:
               Member must have value greater than or equal to 1     (numbers: value)
               Member must have length less than or equal to 64      (strings, blobs, lists, maps)
    enum       Member must satisfy enum value set: [Original, Processed]
    pattern    Member must satisfy regular expression pattern: [a-zA-Z][-a-zA-Z0-9]*

All problems go in one message, as AWS sends them: "1 validation error detected: …" or
"3 validation errors detected: …; …; …". Members are named by their camelCase path, list
items as `tags.1.member.key`, map entries as `attributes.1.key` / `attributes.1.value`.
"""

from __future__ import annotations

import functools
import operator
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from botocore.model import ListShape, MapShape, Shape, StructureShape

from stratus.errors import Validation

_SIZED = ("string", "list", "map", "blob")
_NUMBERS = ("integer", "long", "float", "double")
_BOUNDS: dict[str, tuple[str, Callable[[Any, Any], bool]]] = {
    "min": ("greater than or equal to", operator.lt),
    "max": ("less than or equal to", operator.gt),
}


def check(shape: Shape | None, params: Mapping[str, Any]) -> None:
    """Refuse members that break the model's constraints, all of them in one message."""
    if shape is None:
        return
    problems: list[str] = []
    _check(shape, params, "", problems)
    if problems:
        raise refused(problems)


def refused(problems: Sequence[str]) -> Validation:
    """The Validation error listing `problems` (each from `problem`)."""
    noun = "error" if len(problems) == 1 else "errors"
    return Validation(f"{len(problems)} validation {noun} detected: " + "; ".join(problems))


def problem(value: Any, where: str, constraint: str) -> str:
    """One problem: "Value 'x' at 'where' failed to satisfy constraint: Member must …"."""
    shown = "null" if value is None else f"'{shown_value(value)}'"
    return f"Value {shown} at '{where}' failed to satisfy constraint: Member must {constraint}"


def not_of_type(raw: object, where: str, kind: str) -> Validation:
    """Wire text that is not the member's type (a query form's "ten" for an integer)."""
    expected = {"boolean": "true or false", "timestamp": "an ISO 8601 timestamp"}
    return refused([problem(raw, where, f"be {expected.get(kind, f'a valid {kind}')}")])


def member_path(prefix: str, name: str) -> str:
    """Where a member is, as AWS names it: camelCase, dotted under its parent."""
    camel = name[:1].lower() + name[1:]
    return f"{prefix}.{camel}" if prefix else camel


def shown_value(value: Any) -> str:
    text = f"[{', '.join(map(str, value))}]" if isinstance(value, list) else str(value)
    return text if len(text) <= 200 else f"{text[:200]}...({len(text)} characters)"


def _check(shape: Shape, value: Any, where: str, problems: list[str]) -> None:
    kind, meta = shape.type_name, shape.metadata
    if isinstance(shape, StructureShape):
        for name in shape.required_members:
            if value.get(name) is None:
                problems.append(problem(None, member_path(where, name), "not be null"))
        members = shape.members
        for name, member_value in value.items():
            if name in members and member_value is not None:
                _check(members[name], member_value, member_path(where, name), problems)
        return
    if isinstance(shape, ListShape):
        for i, item in enumerate(value, 1):
            _check(shape.member, item, f"{where}.{i}.member", problems)
    elif isinstance(shape, MapShape):
        for i, (k, v) in enumerate(value.items(), 1):
            _check(shape.key, k, f"{where}.{i}.key", problems)
            _check(shape.value, v, f"{where}.{i}.value", problems)
    if kind in _SIZED or kind in _NUMBERS:
        measure = len(value) if kind in _SIZED else value
        what = "length" if kind in _SIZED else "value"
        for bound, (words, breaks) in _BOUNDS.items():
            if bound in meta and breaks(measure, meta[bound]):
                problems.append(problem(value, where, f"have {what} {words} {meta[bound]}"))
    if kind == "string":
        if meta.get("enum") and value not in meta["enum"]:
            allowed = ", ".join(meta["enum"])
            problems.append(problem(value, where, f"satisfy enum value set: [{allowed}]"))
        pattern = _pattern(meta.get("pattern"))
        if pattern is not None and not pattern.fullmatch(value):
            problems.append(
                problem(value, where, f"satisfy regular expression pattern: {pattern.pattern}")
            )


@functools.cache
def _pattern(pattern: str | None) -> re.Pattern[str] | None:
    # The model's patterns are Java regular expressions; the few Python cannot read are skipped.
    if not pattern:
        return None
    try:
        return re.compile(pattern)
    except re.error:
        return None
