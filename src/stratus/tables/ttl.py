"""Time to live: items whose TTL attribute (a Number, epoch seconds) has passed are deleted
in the background, as DynamoDB does it (not at the moment they expire: reads may still
see them until the sweep comes by).

Each write of a table with TTL keeps one row per expiring item in `dynamo_expiry`
(table, expires, key), in the write's transaction, so the sweep reads what is due through
that key and never scans a table. Values more than five years in the past are ignored, as
AWS ignores them. The sweep runs as durable work (TableService.SWEEP).
"""

from __future__ import annotations

import sqlite3
from decimal import Decimal, InvalidOperation

from . import codec
from .model import Table
from .values import Item

FIVE_YEARS = 5 * 365 * 24 * 3600.0


def expires(item: Item | None, attribute: str) -> float | None:
    """The item's expiry time, if its TTL attribute is a Number."""
    if item is None:
        return None
    value = item.get(attribute)
    if value is None or "N" not in value:
        return None
    try:
        return float(Decimal(value["N"]))
    except (InvalidOperation, ValueError):
        return None


def track(
    conn: sqlite3.Connection,
    table: Table,
    key: tuple[bytes, bytes],
    old: Item | None,
    new: Item | None,
) -> None:
    """Keep the item's expiry row in line with its TTL attribute."""
    attribute = table.ttl_attribute
    if attribute is None:
        return
    before, after = expires(old, attribute), expires(new, attribute)
    if before == after:
        return
    if before is not None:
        conn.execute(
            "DELETE FROM dynamo_expiry WHERE table_id = ? AND expires = ? AND pk = ? AND sk = ?",
            (table.id, before, *key),
        )
    if after is not None:
        conn.execute(
            "INSERT OR REPLACE INTO dynamo_expiry VALUES (?, ?, ?, ?)", (table.id, after, *key)
        )


def due(
    conn: sqlite3.Connection, table_id: int, now: float, limit: int
) -> list[tuple[bytes, bytes]]:
    """Keys of items expired by `now` (and not more than five years before it)."""
    rows = conn.execute(
        "SELECT pk, sk FROM dynamo_expiry WHERE table_id = ? AND expires > ? AND expires <= ? "
        "ORDER BY expires LIMIT ?",
        (table_id, now - FIVE_YEARS, now, limit),
    )
    return [(row[0], row[1]) for row in rows]


def forget(conn: sqlite3.Connection, table_id: int) -> None:
    """TTL turned off (or the table deleted): no more expiry rows for it."""
    conn.execute("DELETE FROM dynamo_expiry WHERE table_id = ?", (table_id,))


def drop(conn: sqlite3.Connection, table_id: int, key: tuple[bytes, bytes]) -> None:
    """Every expiry row of one item."""
    conn.execute(
        "DELETE FROM dynamo_expiry WHERE table_id = ? AND pk = ? AND sk = ?", (table_id, *key)
    )


def backfill(conn: sqlite3.Connection, table: Table) -> None:
    """TTL turned on: an expiry row for each item that already has the attribute."""
    for row in conn.execute(
        "SELECT pk, sk, item FROM dynamo_items WHERE table_id = ?", (table.id,)
    ).fetchall():
        track(conn, table, (row[0], row[1]), None, codec.loads(row[2]))
