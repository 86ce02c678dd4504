"""What the DynamoDB Streams API reads: streams, their one shard, iterators and records.

A shard iterator is a position in the stream (the sequence number the next read starts
after) and the time it was made, carried as opaque text; it expires after 15 minutes, as on
AWS. GetRecords answers at most 1,000 records or 1 MB.
"""

from __future__ import annotations

import base64
import binascii
import json
import sqlite3
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from stratus.store.db import Database

from . import streams
from .errors import IteratorExpired, TableNotFound, TableValidation

MAX_RECORDS = 1000
MAX_BYTES = 1024 * 1024
ITERATOR_SECONDS = 15 * 60.0
ITERATOR_TYPES = ("TRIM_HORIZON", "LATEST", "AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER")


@dataclass(frozen=True, slots=True)
class Records:
    records: list[dict[str, Any]]
    next_iterator: str | None  # None: the shard is closed and read to its end


class StreamReader:
    def __init__(self, db: Database, region: str, clock: Callable[[], float] = time.time) -> None:
        self._db = db
        self._region = region
        self._clock = clock

    async def list_streams(self, table_name: str | None) -> list[streams.Stream]:
        return await self._db.run(lambda conn: streams.streams(conn, table_name))

    async def describe(self, stream_arn: str) -> dict[str, Any]:
        def read(conn: sqlite3.Connection) -> tuple[streams.Stream, tuple[int | None, int | None]]:
            return _stream(conn, stream_arn), streams.bounds(conn, stream_arn)

        stream, (first, last) = await self._db.run(read)
        shard: dict[str, Any] = {
            "ShardId": streams.SHARD_ID,
            "SequenceNumberRange": {"StartingSequenceNumber": streams.sequence_number(first or 1)},
        }
        if stream.disabled is not None and last is not None:
            shard["SequenceNumberRange"]["EndingSequenceNumber"] = streams.sequence_number(last)
        return {
            "StreamArn": stream.arn,
            "StreamLabel": stream.label,
            "StreamStatus": "DISABLED" if stream.disabled is not None else "ENABLED",
            "StreamViewType": stream.view_type,
            "CreationRequestDateTime": datetime.fromtimestamp(stream.created, UTC),
            "TableName": stream.table_name,
            "KeySchema": stream.key_schema,
            "Shards": [shard],
        }

    async def iterator(
        self, stream_arn: str, shard_id: str, kind: str, sequence: str | None
    ) -> str:
        if kind not in ITERATOR_TYPES:
            raise TableValidation(f"Invalid ShardIteratorType: {kind}")
        if kind in ("AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER") and not sequence:
            raise TableValidation(f"Must specify a sequence number for ShardIteratorType {kind}")

        def position(conn: sqlite3.Connection) -> int:
            _stream(conn, stream_arn)
            if shard_id != streams.SHARD_ID:
                raise TableNotFound(
                    f"Requested resource not found: Shard does not exist: {shard_id}"
                )
            if kind == "TRIM_HORIZON":
                return 0
            if kind == "LATEST":
                return streams.last_seq(conn)
            number = _number(sequence or "")
            return number - 1 if kind == "AT_SEQUENCE_NUMBER" else number

        after = await self._db.run(position)
        return _encode(stream_arn, after, self._clock())

    async def records(self, iterator: str, limit: int | None) -> Records:
        stream_arn, after, made = _decode(iterator)
        if self._clock() - made > ITERATOR_SECONDS:
            raise IteratorExpired()
        wanted = min(limit or MAX_RECORDS, MAX_RECORDS)

        def read(conn: sqlite3.Connection) -> tuple[streams.Stream, list[streams.Record]]:
            return _stream(conn, stream_arn), streams.read(conn, stream_arn, after, wanted)

        stream, found = await self._db.run(read)
        found = _within_bytes(found)
        last = found[-1].seq if found else after
        closed = stream.disabled is not None and len(found) < wanted
        return Records(
            [self._shaped(r) for r in found],
            None if closed else _encode(stream_arn, last, self._clock()),
        )

    async def read_after(
        self, stream_arn: str, after: int, limit: int
    ) -> list[tuple[streams.Record, dict[str, Any]]]:
        """Up to `limit` records after sequence number `after`, raw and shaped as GetRecords
        shows them: what an event source mapping reads, without an iterator."""

        def read(conn: sqlite3.Connection) -> list[streams.Record]:
            _stream(conn, stream_arn)
            return streams.read(conn, stream_arn, after, limit)

        return [(r, self._shaped(r)) for r in await self._db.run(read)]

    async def latest(self, stream_arn: str) -> int:
        """The last sequence number the stream holds (0: none); NotFound without it."""

        def read(conn: sqlite3.Connection) -> int:
            _stream(conn, stream_arn)
            return streams.bounds(conn, stream_arn)[1] or 0

        return await self._db.run(read)

    def _shaped(self, record: streams.Record) -> dict[str, Any]:
        return stream_record(record.body, record.seq, record.created, self._region)


def stream_record(stored: dict[str, Any], seq: int, created: float, region: str) -> dict[str, Any]:
    """One change as GetRecords answers it (a function's DynamoDB event has these records,
    ApproximateCreationDateTime in epoch seconds and eventSourceARN added)."""
    body = dict(stored)
    name = body.pop("eventName")
    identity = body.pop("userIdentity", None)
    body["ApproximateCreationDateTime"] = datetime.fromtimestamp(int(created), UTC)
    body["SequenceNumber"] = streams.sequence_number(seq)
    shaped: dict[str, Any] = {
        "eventID": str(uuid.uuid5(uuid.NAMESPACE_OID, f"dynamodb-stream-{seq}")),
        "eventName": name,
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": region,
        "dynamodb": body,
    }
    if identity:
        shaped["userIdentity"] = {
            "Type": identity["type"],
            "PrincipalId": identity["principalId"],
        }
    return shaped


def _stream(conn: sqlite3.Connection, stream_arn: str) -> streams.Stream:
    row = conn.execute(
        "SELECT table_name FROM dynamo_streams WHERE arn = ?", (stream_arn,)
    ).fetchone()
    if row is None:
        raise TableNotFound(f"Requested resource not found: Stream: {stream_arn} not found")
    found = [s for s in streams.streams(conn, row[0]) if s.arn == stream_arn]
    return found[0]


def _number(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise TableValidation(f"Invalid SequenceNumber: {text}") from None


def _within_bytes(found: list[streams.Record]) -> list[streams.Record]:
    """The records that fit GetRecords' 1 MB (at least one)."""
    total = 0
    for count, record in enumerate(found):
        total += int(record.body.get("SizeBytes", 0))
        if total > MAX_BYTES and count:
            return found[:count]
    return found


def _encode(stream_arn: str, after: int, made: float) -> str:
    return base64.urlsafe_b64encode(json.dumps([stream_arn, after, made]).encode()).decode()


def _decode(iterator: str) -> tuple[str, int, float]:
    try:
        stream_arn, after, made = json.loads(base64.urlsafe_b64decode(iterator.encode()))
        return str(stream_arn), int(after), float(made)
    except (binascii.Error, ValueError, TypeError):
        raise TableValidation("Invalid ShardIterator") from None
