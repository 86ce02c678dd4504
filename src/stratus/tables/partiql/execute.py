"""Running a PartiQL statement on the table service.

SELECT is a Query when the WHERE pins the partition key with `=` (of the table, or of the
index it names) at its top level, else a Scan; the whole WHERE is the filter either way.
NextToken is the page's LastEvaluatedKey. INSERT is a PutItem that must not replace an item
(DuplicateItemException). UPDATE and DELETE need the item's whole key as `=` conditions at
the WHERE's top level; the rest of the WHERE is their condition, and UPDATE of a missing
item fails its condition, as on AWS.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import orjson

from .. import codec
from ..errors import ConditionFailed, TableValidation
from ..expressions import nodes as n
from ..expressions.nodes import And, Compare, Condition, Literal, Path
from ..expressions.parser import Parser
from ..model import KeySchema
from ..values import Item, Value
from .lexer import malformed
from .statements import Expression, Insert, Select, Statement, Update, parse

if TYPE_CHECKING:
    from ..service import TableService


class DuplicateItem(ConditionFailed):
    """INSERT of a key that exists."""

    def __init__(self) -> None:
        super().__init__()
        self.message = "Duplicate primary key exists in table"
        self.args = (self.message,)


@dataclass(frozen=True, slots=True)
class Answer:
    items: list[Item]
    next_token: str | None = None
    last_key: Item | None = None


async def execute(
    tables: TableService,
    text: str,
    parameters: Sequence[Value] = (),
    *,
    limit: int | None = None,
    next_token: str | None = None,
    consistent: bool = False,
    on_failure: str | None = None,
) -> Answer:
    statement = parse(text, parameters)
    if isinstance(statement, Select):
        return await _select(tables, statement, limit, next_token, consistent)
    kind, spec = write_action(tables, statement, on_failure)
    args: dict[str, Any] = {
        "condition": spec.get("ConditionExpression"),
        "names": spec.get("ExpressionAttributeNames"),
        "values": spec.get("ExpressionAttributeValues"),
        "on_failure": on_failure,
    }
    if kind == "Put":
        try:
            await tables.put_item(spec["TableName"], spec["Item"], **args)
        except ConditionFailed:
            raise DuplicateItem() from None
    elif kind == "Update":
        await tables.update_item(
            spec["TableName"], spec["Key"], update=spec["UpdateExpression"], **args
        )
    else:
        await tables.delete_item(spec["TableName"], spec["Key"], **args)
    return Answer([])


def write_action(
    tables: TableService, statement: Statement, on_failure: str | None = None
) -> tuple[str, dict[str, Any]]:
    """An INSERT, UPDATE or DELETE as a TransactWriteItems action: (Put | Update | Delete,
    its members)."""
    if isinstance(statement, Select):
        raise TableValidation("Only INSERT, UPDATE and DELETE statements write")
    spec: dict[str, Any] = {"TableName": statement.table}
    if on_failure:
        spec["ReturnValuesOnConditionCheckFailure"] = on_failure
    if isinstance(statement, Insert):
        spec |= {
            "Item": statement.item,
            "ConditionExpression": "attribute_not_exists(#k)",
            "ExpressionAttributeNames": {"#k": tables.table(statement.table).key.hash},
        }
        return "Put", spec
    key, rest = _key_and_rest(tables, statement.table, statement.where)
    spec["Key"] = key
    if isinstance(statement, Update):
        update = _renamed(statement.update, "u")
        condition = _exists_and(tables, statement.table, rest)
        spec |= _placeholders(update.names | condition.names, update.values | condition.values)
        spec |= {"UpdateExpression": update.text, "ConditionExpression": condition.text}
        return "Update", spec
    if rest.text:
        spec |= {"ConditionExpression": rest.text} | _placeholders(rest.names, rest.values)
    return "Delete", spec


def _placeholders(names: dict[str, str], values: dict[str, Value]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    if names:
        found["ExpressionAttributeNames"] = names
    if values:
        found["ExpressionAttributeValues"] = values
    return found


def read_key(tables: TableService, statement: Statement) -> tuple[str, Item, Expression | None]:
    """A SELECT that names one item by its whole key (as batches and transactions take
    reads): its table, key and projection."""
    if not isinstance(statement, Select) or statement.where is None or statement.index:
        raise TableValidation("Batch and transaction reads must select one item by its key")
    key, rest = _key_and_rest(tables, statement.table, statement.where)
    if rest.text:
        raise TableValidation("Batch and transaction reads must select one item by its key")
    return statement.table, key, statement.projection


async def _select(
    tables: TableService,
    statement: Select,
    limit: int | None,
    next_token: str | None,
    consistent: bool,
) -> Answer:
    table = tables.table(statement.table)
    index = table.index(statement.index) if statement.index else None
    if statement.index and index is None:
        raise TableValidation(f"The table does not have the specified index: {statement.index}")
    key = index.key if index is not None else table.key
    parts = _conjuncts(_parsed(statement.where)) if statement.where else []
    hashed = next((p for p in parts if _equality(p, key.hash)), None)
    ranged = next((p for p in parts if key.range and _on_sort_key(p, key.range)), None)
    rest = [p for p in parts if p is not hashed and (hashed is None or p is not ranged)]
    into = Expression()
    key_text = None
    if hashed is not None:
        key_text = _render(hashed, into)
        if ranged is not None:
            key_text += f" AND {_render(ranged, into)}"
    filter_text = " AND ".join(f"({_render(p, into)})" for p in rest) or None
    projection = _renamed(statement.projection, "p") if statement.projection else None
    names = into.names | (projection.names if projection else {})
    page = await tables.read(
        statement.table,
        query=key_text is not None,
        index=statement.index,
        key_condition=key_text,
        filter=filter_text,
        projection=projection.text if projection else None,
        names=names or None,
        values=into.values or None,
        limit=limit,
        start=_start(next_token),
        consistent=consistent,
        key_in_filter=True,
    )
    token = _token(page.last_key) if page.last_key else None
    return Answer(page.items, token, page.last_key)


def _parsed(where: Expression) -> Condition:
    return Parser(where.names, where.values).condition(where.text)


def _on_sort_key(part: Condition, name: str) -> bool:
    """A condition a Query can take on its sort key: a comparison (not <>), BETWEEN or
    begins_with of the attribute and values."""

    def named(operand: object) -> bool:
        return isinstance(operand, Path) and operand.elements == (name,)

    if isinstance(part, Compare) and part.op != "<>":
        sides = (part.left, part.right)
        return any(named(s) for s in sides) and any(isinstance(s, Literal) for s in sides)
    if isinstance(part, n.Between):
        return (
            named(part.operand) and isinstance(part.low, Literal) and isinstance(part.high, Literal)
        )
    if isinstance(part, n.Function) and part.name == "begins_with":
        return named(part.args[0]) and isinstance(part.args[1], Literal)
    return False


def _key_and_rest(
    tables: TableService, table_name: str, where: Expression
) -> tuple[Item, Expression]:
    """The item's key from the WHERE's top-level equalities, and the rest as a condition."""
    key_schema: KeySchema = tables.table(table_name).key
    condition = Parser(where.names, where.values).condition(where.text)
    key: Item = {}
    rest: list[Condition] = []
    for part in _conjuncts(condition):
        found = _equality(part)
        if found is not None and found[0] in key_schema.names() and found[0] not in key:
            key[found[0]] = found[1]
        else:
            rest.append(part)

    if set(key) != set(key_schema.names()):
        raise TableValidation(
            "Where clause does not contain a mandatory equality on all key attributes"
        )
    return key, _conditions_text(rest)


def _conjuncts(condition: Condition) -> list[Condition]:
    if isinstance(condition, And):
        return [*_conjuncts(condition.left), *_conjuncts(condition.right)]
    return [condition]


def _equality(part: Condition, name: str | None = None) -> tuple[str, Value] | None:
    """(attribute, value) of a top-level `attribute = value` (of `name`, if given)."""
    if not isinstance(part, Compare) or part.op != "=":
        return None
    sides = (part.left, part.right)
    path = next((s for s in sides if isinstance(s, Path) and len(s.elements) == 1), None)
    value = next((s for s in sides if isinstance(s, Literal)), None)
    if path is None or value is None or (name is not None and path.elements[0] != name):
        return None
    return str(path.elements[0]), value.value


def _conditions_text(parts: list[Condition]) -> Expression:
    """Conjuncts back into expression text (rendered from the parsed nodes)."""
    if not parts:
        return Expression()
    found = Expression()
    found.text = " AND ".join(f"({_render(p, found)})" for p in parts)
    return found


def _render(node: object, into: Expression) -> str:
    """A parsed condition as text, its names and values placeholders of `into`."""
    if isinstance(node, n.Path):
        text = ""
        for element in node.elements:
            if isinstance(element, int):
                text += f"[{element}]"
            else:
                key = f"#r{len(into.names)}"
                into.names[key] = element
                text += ("." if text else "") + key
        return text
    if isinstance(node, n.Literal):
        key = f":r{len(into.values)}"
        into.values[key] = node.value
        return key
    if isinstance(node, n.Size):
        return f"size({_render(node.path, into)})"
    if isinstance(node, n.Compare):
        return f"{_render(node.left, into)} {node.op} {_render(node.right, into)}"
    if isinstance(node, n.Between):
        return (
            f"{_render(node.operand, into)} BETWEEN {_render(node.low, into)} AND "
            f"{_render(node.high, into)}"
        )
    if isinstance(node, n.In):
        choices = ", ".join(_render(c, into) for c in node.choices)
        return f"{_render(node.operand, into)} IN ({choices})"
    if isinstance(node, n.Function):
        return f"{node.name}({', '.join(_render(a, into) for a in node.args)})"
    if isinstance(node, n.And):
        return f"({_render(node.left, into)}) AND ({_render(node.right, into)})"
    if isinstance(node, n.Or):
        return f"({_render(node.left, into)}) OR ({_render(node.right, into)})"
    if isinstance(node, n.Not):
        return f"NOT ({_render(node.operand, into)})"
    raise malformed(f"Unsupported condition: {node!r}")


def _exists_and(tables: TableService, table_name: str, rest: Expression) -> Expression:
    """UPDATE's condition: the item exists, and the rest of the WHERE holds."""
    found = Expression(
        "attribute_exists(#e0)" + (f" AND ({rest.text})" if rest.text else ""),
        {"#e0": tables.table(table_name).key.hash, **rest.names},
        dict(rest.values),
    )
    return found


def _renamed(expression: Expression, prefix: str) -> Expression:
    """The same expression with placeholders of its own (so two can share one request)."""
    text = expression.text
    names, values = {}, {}
    for key in sorted(expression.names, key=len, reverse=True):
        new = f"#{prefix}{key[1:]}"
        text = text.replace(key, new)
        names[new] = expression.names[key]
    for key in sorted(expression.values, key=len, reverse=True):
        new = f":{prefix}{key[1:]}"
        text = text.replace(key, new)
        values[new] = expression.values[key]
    return Expression(text, names, values)


def _token(key: Item) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(key, default=codec.encode_bytes)).decode()


def _start(token: str | None) -> Item | None:
    if not token:
        return None
    try:
        raw = base64.urlsafe_b64decode(token.encode())
        return codec.loads(raw)
    except (binascii.Error, ValueError):
        raise TableValidation("Invalid NextToken") from None
