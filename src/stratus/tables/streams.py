"""Change streams: one record per item change, in the change's own transaction.

A table with a StreamSpecification writes, for every insert, change or removal of an item,
a row of `dynamo_stream_records` holding what its StreamViewType asks for (KEYS_ONLY,
NEW_IMAGE, OLD_IMAGE, NEW_AND_OLD_IMAGES). The row's rowid is the record's sequence number,
so a shard iterator is just a position, and reading records is a range of
(stream_arn, seq). Each stream has one shard. Records live 24 hours. A stream outlives its
table's switching it off (or the table's deletion) until its records are gone, as on AWS.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from typing import Any

import orjson

from . import codec
from .model import Table
from .values import Item, item_size

RETENTION_S = 24 * 3600.0
SHARD_ID = "shardId-00000000000000000000-00000001"


def arn(table: Table) -> str | None:
    if not table.stream or not table.stream_label:
        return None
    return f"{table.arn}/stream/{table.stream_label}"


def sequence_number(seq: int) -> str:
    return f"{seq:021d}"


@dataclass(frozen=True, slots=True)
class Stream:
    arn: str
    table_name: str
    label: str
    view_type: str
    key_schema: list[dict[str, str]]
    created: float
    disabled: float | None


def open_stream(conn: sqlite3.Connection, table: Table, now: float) -> None:
    found = arn(table)
    if found is None or table.stream is None or table.stream_label is None:
        return
    conn.execute(
        "INSERT OR IGNORE INTO dynamo_streams VALUES (?, ?, ?, ?, ?, ?, ?, NULL)",
        (found, table.id, table.name, table.stream_label, table.stream["StreamViewType"],
         json.dumps(table.key.wire()), now),
    )  # fmt: skip


def close_stream(conn: sqlite3.Connection, stream_arn: str, now: float) -> None:
    conn.execute(
        "UPDATE dynamo_streams SET disabled = ? WHERE arn = ? AND disabled IS NULL",
        (now, stream_arn),
    )


def streams(conn: sqlite3.Connection, table_name: str | None = None) -> list[Stream]:
    sql = "SELECT * FROM dynamo_streams"
    rows = (
        conn.execute(sql + " WHERE table_name = ? ORDER BY created", (table_name,))
        if table_name
        else conn.execute(sql + " ORDER BY created")
    )
    return [
        Stream(r["arn"], r["table_name"], r["label"], r["view_type"], json.loads(r["key_schema"]),
               r["created"], r["disabled"])
        for r in rows
    ]  # fmt: skip


def record(
    conn: sqlite3.Connection,
    table: Table,
    old: Item | None,
    new: Item | None,
    now: float,
    by_service: bool = False,
) -> None:
    """The stream record of one change (nothing for a table without a stream, or for a
    write that changed nothing, as DynamoDB writes none)."""
    stream_arn = arn(table)
    if stream_arn is None or table.stream is None or (old is None and new is None):
        return
    if old is not None and new is not None and old == new:
        return
    view = table.stream["StreamViewType"]
    changed = new if new is not None else old
    assert changed is not None
    body: dict[str, Any] = {
        "eventName": "INSERT" if old is None else "REMOVE" if new is None else "MODIFY",
        "Keys": {n: changed[n] for n in table.key.names()},
        "StreamViewType": view,
    }
    if new is not None and view in ("NEW_IMAGE", "NEW_AND_OLD_IMAGES"):
        body["NewImage"] = new
    if old is not None and view in ("OLD_IMAGE", "NEW_AND_OLD_IMAGES"):
        body["OldImage"] = old
    body["SizeBytes"] = sum(
        item_size(body[part]) for part in ("Keys", "NewImage", "OldImage") if part in body
    )
    if by_service:
        body["userIdentity"] = {"type": "Service", "principalId": "dynamodb.amazonaws.com"}
    conn.execute(
        "INSERT INTO dynamo_stream_records (stream_arn, created, record) VALUES (?, ?, ?)",
        (stream_arn, now, orjson.dumps(body, default=codec.encode_bytes)),
    )


@dataclass(frozen=True, slots=True)
class Record:
    seq: int
    created: float
    body: dict[str, Any]


def read(conn: sqlite3.Connection, stream_arn: str, after: int, limit: int) -> list[Record]:
    rows = conn.execute(
        "SELECT seq, created, record FROM dynamo_stream_records WHERE stream_arn = ? AND seq > ? "
        "ORDER BY seq LIMIT ?",
        (stream_arn, after, limit),
    )
    return [Record(r[0], r[1], _images(r[2])) for r in rows]


def _images(raw: bytes) -> dict[str, Any]:
    body: dict[str, Any] = orjson.loads(raw)
    if b'"B' in raw:  # binary values travel as base64 text in the row
        for part in ("Keys", "NewImage", "OldImage"):
            if part in body:
                body[part] = {n: codec.binary(v) for n, v in body[part].items()}
    return body


def bounds(conn: sqlite3.Connection, stream_arn: str) -> tuple[int | None, int | None]:
    """The first and last sequence numbers the stream holds."""
    row = conn.execute(
        "SELECT min(seq), max(seq) FROM dynamo_stream_records WHERE stream_arn = ?", (stream_arn,)
    ).fetchone()
    return row[0], row[1]


def last_seq(conn: sqlite3.Connection) -> int:
    row = conn.execute("SELECT max(seq) FROM dynamo_stream_records").fetchone()
    return int(row[0] or 0)


def trim(conn: sqlite3.Connection, now: float, limit: int) -> int:
    """Records past their 24 hours, a chunk at a time; streams left empty and closed go."""
    gone = conn.execute(
        "DELETE FROM dynamo_stream_records WHERE seq IN (SELECT seq FROM dynamo_stream_records "
        "WHERE created < ? LIMIT ?)",
        (now - RETENTION_S, limit),
    ).rowcount
    conn.execute(
        "DELETE FROM dynamo_streams WHERE disabled IS NOT NULL AND disabled < ? AND arn NOT IN "
        "(SELECT DISTINCT stream_arn FROM dynamo_stream_records)",
        (now - RETENTION_S,),
    )
    return gone
