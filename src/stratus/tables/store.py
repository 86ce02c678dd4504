"""SQL for tables, items and index entries. Every function runs on the database thread
inside the caller's transaction (TableService opens it): an item and its index entries
change together or not at all.

Reads go through primary keys: an item by (table_id, pk, sk), a partition's range of sort
keys by the same key, an index's range by (index_id, pk, sk, item_pk, item_sk).
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass

from . import codec, streams, ttl
from .model import Table
from .values import Item

CHUNK = 2_000  # rows per statement when deleting a table's items


@dataclass(frozen=True, slots=True)
class Row:
    pk: bytes
    sk: bytes
    item: Item
    size: int


# ---- tables ---------------------------------------------------------------------------


def insert_table(
    conn: sqlite3.Connection, name: str, definition: dict[str, object], now: float
) -> int:
    cursor = conn.execute(
        "INSERT INTO dynamo_tables (name, definition, created) VALUES (?, ?, ?)",
        (name, json.dumps(definition), now),
    )
    return int(cursor.lastrowid or 0)


def update_table(conn: sqlite3.Connection, table_id: int, definition: dict[str, object]) -> None:
    conn.execute(
        "UPDATE dynamo_tables SET definition = ? WHERE id = ?", (json.dumps(definition), table_id)
    )


def delete_table(conn: sqlite3.Connection, table_id: int) -> None:
    conn.execute("DELETE FROM dynamo_tables WHERE id = ?", (table_id,))


def all_tables(conn: sqlite3.Connection) -> list[sqlite3.Row]:
    return conn.execute("SELECT * FROM dynamo_tables ORDER BY name").fetchall()


def orphan_tables(conn: sqlite3.Connection) -> list[int]:
    """Tables deleted while their items were still being removed (a crash between)."""
    rows = conn.execute(
        "SELECT DISTINCT table_id FROM dynamo_items WHERE table_id NOT IN "
        "(SELECT id FROM dynamo_tables)"
    )
    return [row[0] for row in rows]


def delete_some_items(conn: sqlite3.Connection, table_id: int, index_ids: list[int]) -> int:
    """Up to CHUNK of a deleted table's items and of its index entries; how many went (0:
    nothing is left)."""
    gone = conn.execute(
        "DELETE FROM dynamo_items WHERE (table_id, pk, sk) IN (SELECT table_id, pk, sk "
        "FROM dynamo_items WHERE table_id = ? LIMIT ?)",
        (table_id, CHUNK),
    ).rowcount
    for index_id in index_ids:
        gone += delete_index_entries(conn, index_id)
    return gone


def delete_index_entries(conn: sqlite3.Connection, index_id: int) -> int:
    return conn.execute(
        "DELETE FROM dynamo_index_items WHERE (index_id, pk, sk, item_pk, item_sk) IN "
        "(SELECT index_id, pk, sk, item_pk, item_sk FROM dynamo_index_items "
        "WHERE index_id = ? LIMIT ?)",
        (index_id, CHUNK),
    ).rowcount


def statistics(conn: sqlite3.Connection, table_id: int) -> tuple[int, int]:
    """ItemCount and TableSizeBytes."""
    row = conn.execute(
        "SELECT count(*), coalesce(sum(size), 0) FROM dynamo_items WHERE table_id = ?",
        (table_id,),
    ).fetchone()
    return int(row[0]), int(row[1])


def index_count(conn: sqlite3.Connection, index_id: int) -> int:
    row = conn.execute(
        "SELECT count(*) FROM dynamo_index_items WHERE index_id = ?", (index_id,)
    ).fetchone()
    return int(row[0])


# ---- items ---------------------------------------------------------------------------


def get(conn: sqlite3.Connection, table_id: int, pk: bytes, sk: bytes) -> Item | None:
    row = conn.execute(
        "SELECT item FROM dynamo_items WHERE table_id = ? AND pk = ? AND sk = ?",
        (table_id, pk, sk),
    ).fetchone()
    return None if row is None else codec.loads(row[0])


def put(
    conn: sqlite3.Connection,
    table: Table,
    key: tuple[bytes, bytes],
    item: Item,
    size: int,
    old: Item | None,
    now: float | None = None,
) -> None:
    """Write an item and bring its index entries in line with it (`old`: what it replaces;
    `now`: the time its stream record carries, the server's clock)."""
    conn.execute(
        "INSERT OR REPLACE INTO dynamo_items (table_id, pk, sk, item, size) VALUES (?, ?, ?, ?, ?)",
        (table.id, key[0], key[1], codec.dumps(item), size),
    )
    if table.indexes:
        _reindex(conn, table, key, old, item)
    ttl.track(conn, table, key, old, item)
    streams.record(conn, table, old, item, time.time() if now is None else now)


def delete(
    conn: sqlite3.Connection,
    table: Table,
    key: tuple[bytes, bytes],
    old: Item,
    *,
    by_service: bool = False,
    now: float | None = None,
) -> None:
    """Remove an item (`by_service`: TTL removed it, as its stream record tells)."""
    conn.execute(
        "DELETE FROM dynamo_items WHERE table_id = ? AND pk = ? AND sk = ?",
        (table.id, key[0], key[1]),
    )
    if table.indexes:
        _reindex(conn, table, key, old, None)
    ttl.track(conn, table, key, old, None)
    streams.record(conn, table, old, None, time.time() if now is None else now, by_service)


def _reindex(
    conn: sqlite3.Connection,
    table: Table,
    key: tuple[bytes, bytes],
    old: Item | None,
    new: Item | None,
) -> None:
    for index in table.indexes:
        before = table.key_of(old, index.key) if old is not None else None
        after = table.key_of(new, index.key) if new is not None else None
        if before == after:
            continue
        if before is not None:
            conn.execute(
                "DELETE FROM dynamo_index_items WHERE index_id = ? AND pk = ? AND sk = ? "
                "AND item_pk = ? AND item_sk = ?",
                (index.id, before[0], before[1], key[0], key[1]),
            )
        if after is not None:
            conn.execute(
                "INSERT OR REPLACE INTO dynamo_index_items VALUES (?, ?, ?, ?, ?)",
                (index.id, after[0], after[1], key[0], key[1]),
            )


def index_rebuild(conn: sqlite3.Connection, table: Table, index_id: int) -> None:
    """Fill a new global index from the table's items (UpdateTable's Create)."""
    index = next(i for i in table.indexes if i.id == index_id)
    for row in conn.execute(
        "SELECT pk, sk, item FROM dynamo_items WHERE table_id = ?", (table.id,)
    ).fetchall():
        found = table.key_of(codec.loads(row[2]), index.key)
        if found is not None:
            conn.execute(
                "INSERT OR REPLACE INTO dynamo_index_items VALUES (?, ?, ?, ?, ?)",
                (index.id, found[0], found[1], row[0], row[1]),
            )


# ---- ranges (Query and Scan) -----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Range:
    """A range of sort keys within one partition (or, pk None, the whole table); bounds are
    encoded sort keys."""

    pk: bytes | None
    low: bytes | None = None
    low_inclusive: bool = True
    high: bytes | None = None
    high_inclusive: bool = True
    forward: bool = True


def scan_table(
    conn: sqlite3.Connection, table_id: int, wanted: Range, after: tuple[bytes, bytes] | None
) -> Iterator[Row]:
    """Items in key order (reversed when not forward), starting after `after`."""
    where: list[str] = ["table_id = ?"]
    args: list[object] = [table_id]
    if wanted.pk is not None:
        where.append("pk = ?")
        args.append(wanted.pk)
        _bounds(where, args, "sk", wanted)
        if after is not None:
            where.append("sk > ?" if wanted.forward else "sk < ?")
            args.append(after[1])
        order = "sk" if wanted.forward else "sk DESC"
    else:
        if after is not None:
            where.append("(pk, sk) > (?, ?)")
            args.extend(after)
        order = "pk, sk"
    sql = (
        f"SELECT pk, sk, item, size FROM dynamo_items WHERE {' AND '.join(where)} ORDER BY {order}"
    )
    for row in conn.execute(sql, args):
        yield Row(row[0], row[1], codec.loads(row[2]), row[3])


def scan_index(
    conn: sqlite3.Connection,
    table_id: int,
    index_id: int,
    wanted: Range,
    after: tuple[bytes, bytes, bytes, bytes] | None,
) -> Iterator[tuple[bytes, bytes, Row]]:
    """An index's entries in its key order with the items they name: (index pk, index sk,
    the item's row)."""
    where: list[str] = ["x.index_id = ?"]
    args: list[object] = [index_id]
    if wanted.pk is not None:
        where.append("x.pk = ?")
        args.append(wanted.pk)
        _bounds(where, args, "x.sk", wanted)
        if after is not None:
            op = ">" if wanted.forward else "<"
            where.append(f"(x.sk, x.item_pk, x.item_sk) {op} (?, ?, ?)")
            args.extend(after[1:])
        order = (
            "x.sk, x.item_pk, x.item_sk"
            if wanted.forward
            else "x.sk DESC, x.item_pk DESC, x.item_sk DESC"
        )
    else:
        if after is not None:
            where.append("(x.pk, x.sk, x.item_pk, x.item_sk) > (?, ?, ?, ?)")
            args.extend(after)
        order = "x.pk, x.sk, x.item_pk, x.item_sk"
    sql = (
        "SELECT x.pk, x.sk, i.pk, i.sk, i.item, i.size FROM dynamo_index_items x "
        "JOIN dynamo_items i ON i.table_id = ? AND i.pk = x.item_pk AND i.sk = x.item_sk "
        f"WHERE {' AND '.join(where)} ORDER BY {order}"
    )
    for row in conn.execute(sql, [table_id, *args]):
        yield row[0], row[1], Row(row[2], row[3], codec.loads(row[4]), row[5])


def _bounds(where: list[str], args: list[object], column: str, wanted: Range) -> None:
    if wanted.low is not None:
        where.append(f"{column} {'>=' if wanted.low_inclusive else '>'} ?")
        args.append(wanted.low)
    if wanted.high is not None:
        where.append(f"{column} {'<=' if wanted.high_inclusive else '<'} ?")
        args.append(wanted.high)


# ---- transaction tokens ---------------------------------------------------------------


def token(conn: sqlite3.Connection, token: str, now: float) -> str | None:
    """The digest of the request that first used a live ClientRequestToken."""
    conn.execute("DELETE FROM dynamo_tokens WHERE expires < ?", (now,))
    row = conn.execute("SELECT digest FROM dynamo_tokens WHERE token = ?", (token,)).fetchone()
    return None if row is None else str(row[0])


def remember_token(conn: sqlite3.Connection, token: str, digest: str, expires: float) -> None:
    conn.execute("INSERT OR REPLACE INTO dynamo_tokens VALUES (?, ?, ?)", (token, digest, expires))
