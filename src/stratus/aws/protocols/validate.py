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
    checker = None if shape is None else _checker(shape)
    found = None if checker is None else checker(params)
    if found:
        raise refused(
            [problem(value, ".".join(reversed(path)), what) for path, value, what in found]
        )


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


# ---- compiled checkers --------------------------------------------------------------------
# Each shape with a constraint anywhere below is compiled once into a closure that returns
# its problems, or None: (the path reversed, from the value up, as segments; the value; what
# it must satisfy). Shapes with nothing to check have no checker and are not walked; paths
# are spelled out only for problems. A checker builds its members' checkers on its first
# call, which also ends the recursion of shapes that contain themselves.

Found = list[tuple[list[str], Any, str]]
Checker = Callable[[Any], Found | None]
_CHECKERS: dict[int, tuple[Shape, Checker | None]] = {}  # by id, kept with the shape
_CONSTRAINED: dict[int, tuple[Shape, bool]] = {}


def _checker(shape: Shape) -> Checker | None:
    cached = _CHECKERS.get(id(shape))
    if cached is None:
        compiled = _compile(shape) if _constrained(shape, ()) else None
        cached = _CHECKERS[id(shape)] = (shape, compiled)
    return cached[1]


def _constrained(shape: Shape, seen: tuple[str, ...]) -> bool:
    """Whether a value of this shape can break a constraint."""
    known = _CONSTRAINED.get(id(shape))
    if known is not None:
        return known[1]
    if shape.name in seen:
        return False
    below = (*seen, shape.name)
    if isinstance(shape, StructureShape):
        found = bool(shape.required_members) or any(
            _constrained(m, below) for m in shape.members.values()
        )
    else:
        found = _own_rules(shape) is not None
        if isinstance(shape, ListShape):
            found = found or _constrained(shape.member, below)
        elif isinstance(shape, MapShape):
            found = found or _constrained(shape.key, below) or _constrained(shape.value, below)
    _CONSTRAINED[id(shape)] = (shape, found)
    return found


def _compile(shape: Shape) -> Checker:
    if isinstance(shape, StructureShape):
        return _structure_checker(shape)
    own = _own_rules(shape)
    if isinstance(shape, ListShape):
        return _list_checker(shape, own)
    if isinstance(shape, MapShape):
        return _map_checker(shape, own)
    assert own is not None  # _constrained said so
    return own


def _structure_checker(shape: StructureShape) -> Checker:
    required = [(name, member_path("", name)) for name in shape.required_members]
    plan: dict[str, tuple[Checker, str]] | None = None

    def check(value: Any) -> Found | None:
        nonlocal plan
        if plan is None:
            plan = {}
            for name, member in shape.members.items():
                checker = _checker(member)
                if checker is not None:
                    plan[name] = (checker, member_path("", name))
        found: Found | None = None
        for name, segment in required:
            if value.get(name) is None:
                found = found or []
                found.append(([segment], None, "not be null"))
        for name, item in value.items():
            entry = plan.get(name)
            if entry is not None and item is not None:
                below = entry[0](item)
                if below:
                    for path, _, _ in below:
                        path.append(entry[1])
                    found = found or []
                    found.extend(below)
        return found

    return check


def _list_checker(shape: ListShape, own: Checker | None) -> Checker:
    items: list[Checker | None] = []

    def check(value: Any) -> Found | None:
        if not items:
            items.append(_checker(shape.member))
        found: Found | None = None
        each = items[0]
        if each is not None:
            for i, item in enumerate(value, 1):
                below = each(item)
                if below:
                    found = _under(found, below, f"{i}.member")
        if own is not None:
            mine = own(value)
            if mine:
                found = (found or []) + mine
        return found

    return check


def _map_checker(shape: MapShape, own: Checker | None) -> Checker:
    parts: list[Checker | None] = []

    def check(value: Any) -> Found | None:
        if not parts:
            parts.extend((_checker(shape.key), _checker(shape.value)))
        found: Found | None = None
        keys, values = parts
        if keys is not None or values is not None:
            for i, (k, v) in enumerate(value.items(), 1):
                below = keys(k) if keys is not None else None
                if below:
                    found = _under(found, below, f"{i}.key")
                below = values(v) if values is not None else None
                if below:
                    found = _under(found, below, f"{i}.value")
        if own is not None:
            mine = own(value)
            if mine:
                found = (found or []) + mine
        return found

    return check


def _under(found: Found | None, below: Found, segment: str) -> Found:
    for path, _, _ in below:
        path.append(segment)
    return below if found is None else found + below


def _own_rules(shape: Shape) -> Checker | None:
    """The checker of a value's own constraints (bounds, enum, pattern), if it has any."""
    kind, meta = shape.type_name, shape.metadata
    sized = kind in _SIZED
    bounds = [
        (meta[bound], words, breaks)
        for bound, (words, breaks) in _BOUNDS.items()
        if bound in meta and (sized or kind in _NUMBERS)
    ]
    enum = meta.get("enum") if kind == "string" else None
    pattern = _pattern(meta.get("pattern")) if kind == "string" else None
    if not bounds and not enum and pattern is None:
        return None
    what = "length" if sized else "value"
    allowed = frozenset(enum or ())
    enum_rule = f"satisfy enum value set: [{', '.join(enum or ())}]"

    def check(value: Any) -> Found | None:
        found: Found | None = None
        measure = len(value) if sized else value
        for limit, words, breaks in bounds:
            if breaks(measure, limit):
                found = found or []
                found.append(([], value, f"have {what} {words} {limit}"))
        if enum and value not in allowed:
            found = found or []
            found.append(([], value, enum_rule))
        if pattern is not None and not pattern.fullmatch(value):
            found = found or []
            found.append(([], value, f"satisfy regular expression pattern: {pattern.pattern}"))
        return found

    return check


@functools.cache
def _pattern(pattern: str | None) -> re.Pattern[str] | None:
    # The model's patterns are Java regular expressions; the few Python cannot read are skipped.
    if not pattern:
        return None
    try:
        return re.compile(pattern)
    except re.error:
        return None
