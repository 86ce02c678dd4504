"""Query and Scan: a range of keys read through SQLite's index, in pages.

A Query is one partition's range of sort keys (store.Range), read in key order, or reversed
when ScanIndexForward is false; a Scan walks the whole table (or index) in key order. A page
ends at Limit items evaluated or at 1 MB of items read (both counted before the filter, as
AWS counts them), and then names its last item's key in LastEvaluatedKey; the next page
starts after the key ExclusiveStartKey names, so pages neither repeat nor skip items while
others write. Parallel scans (Segment, TotalSegments) split the partitions by a hash of
their key.
"""

from __future__ import annotations

import sqlite3
import zlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from . import keys, store
from .errors import TableValidation, invalid_parameters
from .expressions import conditions, paths
from .expressions.nodes import And, Between, Compare, Condition, Function, Literal, Path
from .model import Index, Table
from .requests import Expressions
from .values import Item, Value, sort_bytes

PAGE_BYTES = 1024 * 1024
SELECTS = ("ALL_ATTRIBUTES", "ALL_PROJECTED_ATTRIBUTES", "SPECIFIC_ATTRIBUTES", "COUNT")


@dataclass(frozen=True, slots=True)
class Read:
    """One Query or Scan page, planned and checked before the database is touched."""

    table: Table
    index: Index | None
    range: store.Range
    expressions: Expressions
    select: str
    limit: int | None
    start: tuple[bytes, ...] | None
    segment: tuple[int, int] | None = None


@dataclass(frozen=True, slots=True)
class Page:
    items: list[Item]
    count: int
    scanned: int
    last_key: Item | None
    read_bytes: int


def plan(
    table: Table,
    index_name: str | None,
    expressions: Expressions,
    *,
    select: str | None,
    limit: int | None,
    start: Mapping[str, Value] | None,
    forward: bool = True,
    consistent: bool = False,
    segment: int | None = None,
    total_segments: int | None = None,
    query: bool = True,
    key_in_filter: bool = False,
) -> Read:
    index = _index(table, index_name)
    if index is not None and index.is_global and consistent:
        raise TableValidation("Consistent reads are not supported on global secondary indexes")
    key = index.key if index is not None else table.key
    wanted = (
        _key_range(table, key, expressions.key_condition, forward) if query else store.Range(None)
    )
    if query and expressions.filter is not None and not key_in_filter:
        _check_filter(expressions.filter, key)
    chosen = _select(select, expressions, index)
    found_start = _start(table, index, start, wanted) if start else None
    return Read(
        table,
        index,
        wanted,
        expressions,
        chosen,
        limit,
        found_start,
        _segment(segment, total_segments),
    )


def _check_filter(condition: Condition, key: Any) -> None:
    """A Query's filter may not name the key it queries (that belongs in the key condition)."""
    for name in _top_names(condition):
        if name in key.names():
            raise TableValidation(
                "Filter Expression can only contain non-primary key attributes: Primary key "
                f"attribute: {name}"
            )


def _top_names(node: object) -> list[str]:
    """The top-level attribute names a condition's paths start with."""
    if isinstance(node, Path):
        return [str(node.elements[0])]
    found: list[str] = []
    for field in getattr(node, "__slots__", ()):
        value = getattr(node, field)
        for child in value if isinstance(value, tuple) else (value,):
            if not isinstance(child, str | int | dict):
                found += _top_names(child)
    return found


def _index(table: Table, name: str | None) -> Index | None:
    if name is None:
        return None
    found = table.index(name)
    if found is None:
        raise TableValidation(f"The table does not have the specified index: {name}")
    return found


def _select(select: str | None, expressions: Expressions, index: Index | None) -> str:
    if select is None:
        if expressions.projection is not None:
            return "SPECIFIC_ATTRIBUTES"
        return "ALL_PROJECTED_ATTRIBUTES" if index is not None else "ALL_ATTRIBUTES"
    if select == "COUNT" and expressions.projection is not None:
        raise TableValidation(
            "Cannot specify the ProjectionExpression when choosing to get only the Count"
        )
    if select == "SPECIFIC_ATTRIBUTES" and expressions.projection is None:
        raise TableValidation(
            "One or more parameter values were invalid: Select type SPECIFIC_ATTRIBUTES "
            "requires either AttributesToGet or ProjectionExpression to be specified"
        )
    if select in ("ALL_ATTRIBUTES", "ALL_PROJECTED_ATTRIBUTES") and expressions.projection:
        raise TableValidation(
            f"Cannot specify the ProjectionExpression when choosing to get {select}"
        )
    if select == "ALL_PROJECTED_ATTRIBUTES" and index is None:
        raise TableValidation(
            "ALL_PROJECTED_ATTRIBUTES can be used only when Querying using an IndexName"
        )
    if (
        select == "ALL_ATTRIBUTES"
        and index is not None
        and index.is_global
        and index.projection.type != "ALL"
    ):
        raise invalid_parameters(
            f"Select type ALL_ATTRIBUTES is not supported for global secondary index "
            f"{index.name} because its projection type is not ALL"
        )
    return select


def _segment(segment: int | None, total: int | None) -> tuple[int, int] | None:
    if segment is None and total is None:
        return None
    if total is None:
        raise TableValidation(
            "The TotalSegments parameter is required but was not present in the request when "
            "Segment parameter is present"
        )
    if segment is None:
        raise TableValidation(
            "The Segment parameter is required but was not present in the request when "
            "parameter TotalSegments is present"
        )
    if segment >= total:
        raise TableValidation(
            "The Segment parameter is zero-based and must be less than parameter "
            f"TotalSegments: Segment: {segment} is not less than TotalSegments: {total}"
        )
    return segment, total


# ---- key conditions --------------------------------------------------------------------


def _key_range(table: Table, key: Any, condition: Condition | None, forward: bool) -> store.Range:
    if condition is None:
        raise TableValidation(
            "Either the KeyConditions or KeyConditionExpression parameter must be specified in "
            "the request."
        )
    parts = _conjuncts(condition)
    by_name: dict[str, Condition] = {}
    for part in parts:
        name = _key_name(part)
        if name not in key.names():
            raise TableValidation("Query key condition not supported")
        if name in by_name:
            raise TableValidation("KeyConditionExpressions must only contain one condition per key")
        by_name[name] = part
    hashed = by_name.get(key.hash)
    if hashed is None:
        raise TableValidation(f"Query condition missed key schema element: {key.hash}")
    if not (isinstance(hashed, Compare) and hashed.op == "="):
        raise TableValidation("Query key condition not supported")
    pk = _encoded(table, key.hash, _literal_of(hashed))
    ranged = by_name.get(key.range) if key.range else None
    if ranged is None:
        return store.Range(pk, forward=forward)
    return _sort_range(table, key.range, ranged, pk, forward)


def _conjuncts(condition: Condition) -> list[Condition]:
    if isinstance(condition, And):
        return [*_conjuncts(condition.left), *_conjuncts(condition.right)]
    return [condition]


def _key_name(part: Condition) -> str:
    """The key attribute a key condition names (its one top-level path)."""
    if isinstance(part, Compare):
        found = [s for s in (part.left, part.right) if isinstance(s, Path)]
    elif isinstance(part, Between):
        found = [part.operand] if isinstance(part.operand, Path) else []
    elif isinstance(part, Function) and part.name == "begins_with":
        found = [a for a in part.args[:1] if isinstance(a, Path)]
    else:
        raise TableValidation(
            "Invalid operator used in KeyConditionExpression: "
            + (part.name if isinstance(part, Function) else type(part).__name__.upper())
        )
    if len(found) != 1 or len(found[0].elements) != 1:
        raise TableValidation("Query key condition not supported")
    return str(found[0].elements[0])


def _literal_of(part: Compare) -> Value:
    other = part.right if isinstance(part.left, Path) else part.left
    if not isinstance(other, Literal):
        raise TableValidation("Query key condition not supported")
    return other.value


def _encoded(table: Table, name: str, value: Value) -> bytes:
    kind = table.attributes[name]
    if kind not in value:
        raise invalid_parameters("Condition parameter type does not match schema type")
    return sort_bytes(kind, value[kind])


_FLIPPED = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "=": "="}


def _sort_range(table: Table, name: str, part: Condition, pk: bytes, forward: bool) -> store.Range:
    if isinstance(part, Compare):
        op = part.op if isinstance(part.left, Path) else _FLIPPED.get(part.op, part.op)
        bound = _encoded(table, name, _literal_of(part))
        if op == "=":
            return store.Range(pk, bound, True, bound, True, forward)
        if op in ("<", "<="):
            return store.Range(pk, None, True, bound, op == "<=", forward)
        if op in (">", ">="):
            return store.Range(pk, bound, op == ">=", None, True, forward)
        raise TableValidation(f"Unsupported operator on KeyConditionExpression: operator: {op}")
    if isinstance(part, Between):
        low, high = part.low, part.high
        if not isinstance(low, Literal) or not isinstance(high, Literal):
            raise TableValidation("Query key condition not supported")
        return store.Range(
            pk, _encoded(table, name, low.value), True, _encoded(table, name, high.value), True,
            forward,
        )  # fmt: skip
    assert isinstance(part, Function)
    prefix = part.args[1]
    if not isinstance(prefix, Literal):
        raise TableValidation("Query key condition not supported")
    kind = table.attributes[name]
    if kind == "N":
        raise TableValidation(
            "Invalid KeyConditionExpression: Incorrect operand type for operator or function; "
            "operator or function: begins_with, operand type: N"
        )
    start = _encoded(table, name, prefix.value)
    return store.Range(pk, start, True, _after_prefix(start), False, forward)


def _after_prefix(prefix: bytes) -> bytes | None:
    """The least byte string greater than every string starting with `prefix`."""
    trimmed = prefix.rstrip(b"\xff")
    if not trimmed:
        return None
    return trimmed[:-1] + bytes([trimmed[-1] + 1])


# ---- where a page starts ------------------------------------------------------------------


def _start(
    table: Table, index: Index | None, start: Mapping[str, Value], wanted: store.Range
) -> tuple[bytes, ...]:
    invalid = TableValidation(
        "The provided starting key is invalid: The provided key element does not match the schema"
    )
    try:
        item_key = keys.of_key(table, {n: start[n] for n in table.key.names()})
    except (KeyError, TableValidation):
        raise invalid from None
    if index is None:
        if len(start) != len(table.key.names()):
            raise invalid
        found: tuple[bytes, ...] = item_key
    else:
        index_key = table.key_of(dict(start), index.key)
        if index_key is None:
            raise invalid
        found = (*index_key, *item_key)
    if wanted.pk is not None and found[0] != wanted.pk:
        raise TableValidation(
            "The provided starting key is outside query boundaries based on provided conditions"
        )
    return found


# ---- running a page ---------------------------------------------------------------------


def run(conn: sqlite3.Connection, read: Read) -> Page:
    """One page of a planned read (on the database thread)."""
    items: list[Item] = []
    scanned = count = read_bytes = 0
    last: Item | None = None
    for item, size in _rows(conn, read):
        scanned += 1
        read_bytes += size
        last = item
        if read.expressions.filter is None or conditions.holds(read.expressions.filter, item):
            count += 1
            if read.select != "COUNT":
                items.append(_shaped(read, item))
        if (read.limit is not None and scanned >= read.limit) or read_bytes >= PAGE_BYTES:
            return Page(items, count, scanned, _last_key(read, last), read_bytes)
    return Page(items, count, scanned, None, read_bytes)


def _rows(conn: sqlite3.Connection, read: Read) -> Iterator[tuple[Item, int]]:
    segment = read.segment
    if read.index is None:
        after = (read.start[0], read.start[1]) if read.start else None
        for row in store.scan_table(conn, read.table.id, read.range, after):
            if segment is None or _in_segment(row.pk, segment):
                yield row.item, row.size
        return
    index_after = (
        (read.start[0], read.start[1], read.start[2], read.start[3]) if read.start else None
    )
    for index_pk, _, row in store.scan_index(
        conn, read.table.id, read.index.id, read.range, index_after
    ):
        if segment is None or _in_segment(index_pk, segment):
            yield row.item, row.size


def _in_segment(pk: bytes, segment: tuple[int, int]) -> bool:
    return zlib.crc32(pk) % segment[1] == segment[0]


def _shaped(read: Read, item: Item) -> Item:
    if read.expressions.projection is not None:
        return paths.project(_projected(read, item), read.expressions.projection)
    if read.select == "ALL_PROJECTED_ATTRIBUTES":
        return _projected(read, item)
    return item


def _projected(read: Read, item: Item) -> Item:
    """What an index holds of an item: its keys and the projection's attributes."""
    index = read.index
    if index is None or index.projection.type == "ALL":
        return item
    if not index.is_global and read.select != "ALL_PROJECTED_ATTRIBUTES":
        return item  # a local index fetches the rest of the item from the table
    return _keys_and(read.table, index, item)


def _keys_and(table: Table, index: Index, item: Item) -> Item:
    kept = {*table.key.names(), *index.key.names(), *index.projection.non_key}
    return {n: v for n, v in item.items() if n in kept}


def _last_key(read: Read, item: Item) -> Item:
    names = list(read.table.key.names())
    if read.index is not None:
        names += [n for n in read.index.key.names() if n not in names]
    return {n: item[n] for n in names}
