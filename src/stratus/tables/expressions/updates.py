"""Applying an UpdateExpression to an item.

Every value on the right of SET is computed from the item as it was before the update
(`SET a = b, b = a` swaps), then SET, REMOVE, ADD and DELETE are applied in that order.
"""

from __future__ import annotations

from decimal import Decimal

from .. import values
from ..codec import copy
from ..errors import TableValidation, invalid_parameters
from ..values import SETS, Item, Value
from . import paths
from .nodes import Arithmetic, IfNotExists, ListAppend, Literal, Operand, Path, Update

WRONG_TYPE = "An operand in the update expression has an incorrect data type"
MISSING = "The provided expression refers to an attribute that does not exist in the item"
_TYPE_NAMES = {
    "S": "STRING", "N": "NUMBER", "B": "BINARY", "SS": "STRING SET", "NS": "NUMBER SET",
    "BS": "BINARY SET", "L": "LIST", "M": "MAP", "BOOL": "BOOLEAN", "NULL": "NULL",
}  # fmt: skip


def check_keys(update: Update, key_names: tuple[str, ...]) -> None:
    """An update may not touch the table's key."""
    for path in update.paths():
        if path.elements[0] in key_names:
            raise invalid_parameters(
                f"Cannot update attribute {path.elements[0]}. This attribute is part of the key"
            )


def check_operands(update: Update) -> None:
    """What AWS refuses before reading the item: ADD takes numbers and sets, DELETE sets."""
    for _, literal in update.adds:
        kind = next(iter(literal.value))
        if kind != "N" and kind not in SETS:
            raise TableValidation(
                "Invalid UpdateExpression: Incorrect operand type for operator or function; "
                f"operator: ADD, operand type: {_TYPE_NAMES.get(kind, kind)}"
            )
    for _, literal in update.deletes:
        kind = next(iter(literal.value))
        if kind not in SETS:
            raise TableValidation(
                "Invalid UpdateExpression: Incorrect operand type for operator or function; "
                f"operator: DELETE, operand type: {_TYPE_NAMES.get(kind, kind)}"
            )


def apply(update: Update, item: Item) -> Item:
    """The item after `update` (a new item; `item` is left as it was)."""
    computed = [(path, _value(operand, item)) for path, operand in update.sets]
    result: Item = copy(item)
    for path, value in computed:
        paths.put(result, path, copy(value))
    paths.remove_all(result, update.removes)
    for path, literal in update.adds:
        _add(result, path, literal.value)
    for path, literal in update.deletes:
        _delete(result, path, literal.value)
    return result


def _value(operand: Operand, item: Item) -> Value:
    if isinstance(operand, Literal):
        return operand.value
    if isinstance(operand, Path):
        found = paths.get(item, operand)
        if found is None:
            raise TableValidation(MISSING)
        return found
    if isinstance(operand, IfNotExists):
        found = paths.get(item, operand.path)
        return found if found is not None else _value(operand.default, item)
    if isinstance(operand, ListAppend):
        first, second = _value(operand.first, item), _value(operand.second, item)
        if "L" not in first or "L" not in second:
            raise TableValidation(WRONG_TYPE)
        return {"L": [*first["L"], *second["L"]]}
    if isinstance(operand, Arithmetic):
        left, right = _value(operand.left, item), _value(operand.right, item)
        if "N" not in left or "N" not in right:
            raise TableValidation(WRONG_TYPE)
        return {"N": values.add(left["N"], right["N"], 1 if operand.op == "+" else -1)}
    raise TableValidation(f"The function is not allowed in an update expression; {operand!r}")


def _add(item: Item, path: Path, given: Value) -> None:
    found = paths.get(item, path)
    kind = next(iter(given))
    if found is None:
        paths.put(item, path, copy(given))
        return
    if kind not in found:
        raise TableValidation(WRONG_TYPE)
    if kind == "N":
        paths.put(item, path, {"N": values.add(found["N"], given["N"])})
        return
    merged = list(found[kind])
    have = _members(kind, merged)
    for member in given[kind]:
        if _member_key(kind, member) not in have:
            merged.append(member)
            have.add(_member_key(kind, member))
    paths.put(item, path, {kind: merged})


def _delete(item: Item, path: Path, given: Value) -> None:
    found = paths.get(item, path)
    kind = next(iter(given))
    if found is None:
        return
    if kind not in found:
        raise TableValidation(WRONG_TYPE)
    gone = _members(kind, given[kind])
    left = [m for m in found[kind] if _member_key(kind, m) not in gone]
    if left:
        paths.put(item, path, {kind: left})
    else:
        paths.remove_all(item, [path])


def _members(kind: str, members: list[object]) -> set[object]:
    return {_member_key(kind, m) for m in members}


def _member_key(kind: str, member: object) -> object:
    return Decimal(str(member)) if kind == "NS" else member
