"""The tables of DynamoDB tables, their items and their index entries.

An item is one row keyed by (table, partition key, sort key), both keys encoded so that
SQLite's bytewise BLOB order is DynamoDB's order (values.sort_bytes): a GetItem is a
primary-key lookup and a Query a range of that key, never a scan. A secondary index entry is
one row keyed by (index, its partition key, its sort key, the item's key), written in the
same transaction as the item; Query on an index walks that key and reads the items it names.
The same transaction writes the item's expiry row (tables with TTL: the sweep reads them by
time) and its stream record (tables with a stream).
"""

from __future__ import annotations

from stratus.store.db import Schema

SCHEMA = Schema(
    "tables",
    """
CREATE TABLE IF NOT EXISTS dynamo_backups (
    arn        TEXT PRIMARY KEY,
    table_name TEXT NOT NULL,
    created    REAL NOT NULL,
    record     BLOB NOT NULL,  -- JSON: the backup's facts and its table's definition
    items      BLOB NOT NULL   -- JSON: every item, as stored (codec.py)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS dynamo_pitr (
    table_id TEXT PRIMARY KEY, -- AWS's TableId: a table made again under its name is new
    enabled  INTEGER NOT NULL,
    since    REAL NOT NULL,    -- enabled since (EarliestRestorableDateTime's floor)
    period   INTEGER NOT NULL  -- RecoveryPeriodInDays
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS dynamo_tables (
    id         INTEGER PRIMARY KEY AUTOINCREMENT, -- never reused: a recreated table is new
    name       TEXT NOT NULL UNIQUE,
    definition TEXT NOT NULL,                     -- JSON: model.Table's settings
    created    REAL NOT NULL                      -- epoch seconds
);
CREATE TABLE IF NOT EXISTS dynamo_items (
    table_id INTEGER NOT NULL,
    pk       BLOB NOT NULL,   -- the partition key, values.sort_bytes
    sk       BLOB NOT NULL,   -- the sort key, values.sort_bytes; x'' without one
    item     BLOB NOT NULL,   -- JSON (codec.py)
    size     INTEGER NOT NULL, -- bytes as AWS counts them
    PRIMARY KEY (table_id, pk, sk)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS dynamo_index_items (
    index_id INTEGER NOT NULL,  -- model.Index.id: table id * 64 + slot
    pk       BLOB NOT NULL,
    sk       BLOB NOT NULL,
    item_pk  BLOB NOT NULL,     -- the item's key in dynamo_items
    item_sk  BLOB NOT NULL,
    PRIMARY KEY (index_id, pk, sk, item_pk, item_sk)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS dynamo_expiry (
    table_id INTEGER NOT NULL,
    expires  REAL NOT NULL,    -- the item's TTL attribute, epoch seconds
    pk       BLOB NOT NULL,
    sk       BLOB NOT NULL,
    PRIMARY KEY (table_id, expires, pk, sk)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS dynamo_streams (
    arn        TEXT PRIMARY KEY,  -- <table arn>/stream/<label>
    table_id   INTEGER NOT NULL,
    table_name TEXT NOT NULL,
    label      TEXT NOT NULL,
    view_type  TEXT NOT NULL,
    key_schema TEXT NOT NULL,     -- JSON: the table's KeySchema
    created    REAL NOT NULL,
    disabled   REAL               -- when the stream was turned off (or its table deleted)
);
CREATE TABLE IF NOT EXISTS dynamo_stream_records (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT, -- the record's SequenceNumber
    stream_arn TEXT NOT NULL,
    created    REAL NOT NULL,                     -- epoch seconds; trimmed after 24 hours
    record     BLOB NOT NULL                      -- JSON (streams.py)
);
CREATE INDEX IF NOT EXISTS dynamo_stream_records_stream ON dynamo_stream_records (stream_arn, seq);
CREATE INDEX IF NOT EXISTS dynamo_stream_records_age ON dynamo_stream_records (created);
CREATE TABLE IF NOT EXISTS dynamo_tokens (
    token   TEXT PRIMARY KEY,  -- TransactWriteItems' ClientRequestToken
    digest  TEXT NOT NULL,     -- of the request, to refuse a reuse with other parameters
    expires REAL NOT NULL      -- epoch seconds: ten minutes after first use
) WITHOUT ROWID;
""",
)
