"""Whether an item satisfies a condition, by DynamoDB's rules: comparisons of values of
different types, or with a missing attribute, are false (<> is true); <, <=, >, >= and
BETWEEN order numbers, strings (UTF-8 bytes) and binary only."""

from __future__ import annotations

from typing import Any

from ..values import SETS, Item, Value, compare, equal
from . import paths
from .nodes import (
    And,
    Between,
    Compare,
    Condition,
    Function,
    In,
    Literal,
    Not,
    Operand,
    Or,
    Path,
    Size,
)


def holds(condition: Condition, item: Item) -> bool:
    if isinstance(condition, And):
        return holds(condition.left, item) and holds(condition.right, item)
    if isinstance(condition, Or):
        return holds(condition.left, item) or holds(condition.right, item)
    if isinstance(condition, Not):
        return not holds(condition.operand, item)
    if isinstance(condition, Compare):
        return _compare(condition.op, value(condition.left, item), value(condition.right, item))
    if isinstance(condition, Between):
        found = value(condition.operand, item)
        low, high = value(condition.low, item), value(condition.high, item)
        return _compare(">=", found, low) and _compare("<=", found, high)
    if isinstance(condition, In):
        found = value(condition.operand, item)
        return found is not None and any(
            (choice := value(c, item)) is not None and equal(found, choice)
            for c in condition.choices
        )
    return _function(condition, item)


def value(operand: Operand, item: Item) -> Value | None:
    if isinstance(operand, Literal):
        return operand.value
    if isinstance(operand, Path):
        return paths.get(item, operand)
    if isinstance(operand, Size):
        found = paths.get(item, operand.path)
        return None if found is None else _size(found)
    raise TypeError(f"not an operand of a condition: {operand!r}")


def _size(found: Value) -> Value | None:
    kind, inner = next(iter(found.items()))
    if kind == "S":
        return {"N": str(len(inner))}
    if kind in ("B", "L", "M", *SETS):
        return {"N": str(len(inner))}
    return None  # numbers, booleans and nulls have no size


def _compare(op: str, left: Value | None, right: Value | None) -> bool:
    if left is None or right is None:
        return op == "<>"
    if op == "=":
        return equal(left, right)
    if op == "<>":
        return not equal(left, right)
    order = compare(left, right)
    if order is None:
        return False
    return {"<": order < 0, "<=": order <= 0, ">": order > 0, ">=": order >= 0}[op]


def _function(function: Function, item: Item) -> bool:
    name, args = function.name, function.args
    first = value(args[0], item)
    if name == "attribute_exists":
        return first is not None
    if name == "attribute_not_exists":
        return first is None
    second = value(args[1], item)
    if first is None or second is None:
        return False
    if name == "attribute_type":
        return next(iter(first)) == second.get("S")
    if name == "begins_with":
        return _begins_with(first, second)
    return _contains(first, second)


def _begins_with(found: Value, prefix: Value) -> bool:
    kind, inner = next(iter(found.items()))
    if kind != next(iter(prefix)) or kind not in ("S", "B"):
        return False
    start: Any = prefix[kind]
    return bool(inner.startswith(start))


def _contains(found: Value, element: Value) -> bool:
    kind, inner = next(iter(found.items()))
    wanted_kind, wanted = next(iter(element.items()))
    if kind in ("S", "B"):
        return kind == wanted_kind and wanted in inner
    if kind in SETS:
        return SETS[kind] == wanted_kind and any(equal({wanted_kind: m}, element) for m in inner)
    if kind == "L":
        return any(equal(member, element) for member in inner)
    return False
