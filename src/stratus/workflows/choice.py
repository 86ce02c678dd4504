"""Choice rules of JSONPath states: comparisons, type tests and And/Or/Not.

A rule's `Variable` is read from the state's effective input (or the context object or a
variable); the operand is a literal, or for `...Path` operators another path. A comparison
between values of the wrong type is false (`StringEquals` on a number); a `Variable` path
that matches nothing fails the state with States.Runtime, except under `IsPresent`, which
exists to ask. Timestamps are RFC 3339 (`2016-08-18T17:33:00Z`, fractions and offsets
allowed) and compare as instants.
"""

from __future__ import annotations

import datetime
import functools
import re
from collections.abc import Mapping
from typing import Any

from stratus.workflows import jsonpath
from stratus.workflows.failure import RUNTIME, StatesFailure
from stratus.workflows.payloads import Scope

_KINDS = ("String", "Numeric", "Boolean", "Timestamp")
_RELATIONS = ("Equals", "LessThan", "GreaterThan", "LessThanEquals", "GreaterThanEquals")
COMPARISONS = frozenset(
    [f"{k}{r}" for k in _KINDS if k != "Boolean" for r in _RELATIONS]
    + [f"{k}{r}Path" for k in _KINDS if k != "Boolean" for r in _RELATIONS]
    + ["BooleanEquals", "BooleanEqualsPath", "StringMatches"]
)
TYPE_TESTS = frozenset({"IsNull", "IsPresent", "IsNumeric", "IsString", "IsBoolean", "IsTimestamp"})
OPERATORS = COMPARISONS | TYPE_TESTS

_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})\Z")


def operator_of(rule: Mapping[str, Any]) -> str | None:
    found = [key for key in rule if key in OPERATORS]
    return found[0] if len(found) == 1 else None


def matches(rule: Mapping[str, Any], scope: Scope) -> bool:
    """Whether a Choice rule (top-level or nested) holds in this scope."""
    if "And" in rule:
        return all(matches(r, scope) for r in rule["And"])
    if "Or" in rule:
        return any(matches(r, scope) for r in rule["Or"])
    if "Not" in rule:
        return not matches(rule["Not"], scope)
    operator = operator_of(rule)
    if operator is None:
        raise StatesFailure(RUNTIME, f"The choice rule {rule} has no comparison operator")
    variable = rule["Variable"]
    present, value = _read(scope, variable)
    if operator == "IsPresent":
        return present is bool(rule[operator])
    if not present:
        raise StatesFailure(
            RUNTIME,
            f"Invalid path '{variable}': The choice state's condition path references an "
            "invalid value.",
        )
    if operator in TYPE_TESTS:
        return _type_test(operator, value) is bool(rule[operator])
    operand = rule[operator]
    if operator.endswith("Path"):
        found, operand = _read(scope, operand)
        if not found:
            raise StatesFailure(
                RUNTIME,
                f"Invalid path '{rule[operator]}': The choice state's condition path references "
                "an invalid value.",
            )
        operator = operator[: -len("Path")]
    return compare(operator, value, operand)


def compare(operator: str, value: Any, operand: Any) -> bool:
    """A comparison operator (without its Path suffix) applied to two values."""
    if operator == "StringMatches":
        return (
            isinstance(value, str)
            and isinstance(operand, str)
            and _wildcard(operand).fullmatch(value) is not None
        )
    kind = next(k for k in _KINDS if operator.startswith(k))
    relation = operator[len(kind) :]
    a, b = _coerce(kind, value), _coerce(kind, operand)
    if a is None or b is None:
        return False
    if relation == "Equals":
        return bool(a == b)
    return bool(
        {
            "LessThan": a < b,
            "GreaterThan": a > b,
            "LessThanEquals": a <= b,
            "GreaterThanEquals": a >= b,
        }[relation]
    )


def _coerce(kind: str, value: Any) -> Any:
    if kind == "String":
        return value if isinstance(value, str) else None
    if kind == "Numeric":
        return value if isinstance(value, int | float) and not isinstance(value, bool) else None
    if kind == "Boolean":
        return value if isinstance(value, bool) else None
    return parse_timestamp(value)


def parse_timestamp(value: Any) -> datetime.datetime | None:
    """An RFC 3339 timestamp as an aware datetime, None if the value is not one."""
    if not isinstance(value, str) or not _TIMESTAMP.match(value):
        return None
    text = value.replace("Z", "+00:00")
    # fromisoformat takes at most 6 fractional digits; AWS accepts more (nanoseconds).
    text = re.sub(r"(\.\d{6})\d+", r"\1", text)
    try:
        return datetime.datetime.fromisoformat(text)
    except ValueError:
        return None


def _type_test(operator: str, value: Any) -> bool:
    if operator == "IsNull":
        return value is None
    if operator == "IsNumeric":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if operator == "IsString":
        return isinstance(value, str)
    if operator == "IsBoolean":
        return isinstance(value, bool)
    return parse_timestamp(value) is not None  # IsTimestamp


def _read(scope: Scope, text: str) -> tuple[bool, Any]:
    try:
        return True, scope.read(text)
    except (jsonpath.PathNotFound, jsonpath.PathError):
        return False, None


@functools.lru_cache(maxsize=1024)
def _wildcard(pattern: str) -> re.Pattern[str]:
    """StringMatches: `*` is any run of characters; `\\*` and `\\\\` are literal."""
    out: list[str] = []
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\" and i + 1 < len(pattern) and pattern[i + 1] in "*\\":
            out.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        out.append(".*" if char == "*" else re.escape(char))
        i += 1
    return re.compile("".join(out), re.DOTALL)
