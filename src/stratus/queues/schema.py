"""The tables of queues and their messages.

A message is one row; its visibility is a column (`visible_at`), so receiving is an indexed
range read of the rows due, and every state change is one row update in the caller's
transaction. FIFO queues add one row per message group (`queue_groups`) that says when the
group can next be received from: a group is blocked while any of its messages is in flight.
"""

from __future__ import annotations

from stratus.store.db import Schema

SCHEMA = Schema(
    "queues",
    """
CREATE TABLE IF NOT EXISTS queues (
    id         INTEGER PRIMARY KEY AUTOINCREMENT, -- never reused: a recreated queue is new
    name       TEXT NOT NULL UNIQUE,
    attributes TEXT NOT NULL,                     -- JSON: settable attributes, as strings
    tags       TEXT NOT NULL DEFAULT '{}',
    created    INTEGER NOT NULL,                  -- epoch seconds
    modified   INTEGER NOT NULL,
    purged     REAL NOT NULL DEFAULT 0            -- last PurgeQueue, epoch seconds
);
CREATE TABLE IF NOT EXISTS queue_messages (
    seq           INTEGER PRIMARY KEY,            -- send order; FIFO's SequenceNumber
    queue_id      INTEGER NOT NULL,
    id            TEXT NOT NULL,                  -- MessageId
    body          TEXT NOT NULL,
    attributes    BLOB,                           -- message attributes (JSON), if any
    extra         TEXT,                           -- JSON: trace header, DLQ source, dedup id
    group_id      TEXT,
    sent          INTEGER NOT NULL,               -- epoch ms (retention counts from here)
    visible_at    INTEGER NOT NULL,               -- epoch ms: due, or back from in flight
    receives      INTEGER NOT NULL DEFAULT 0,
    first_receive INTEGER                         -- epoch ms
);
CREATE INDEX IF NOT EXISTS queue_messages_due ON queue_messages (queue_id, visible_at);
CREATE INDEX IF NOT EXISTS queue_messages_age ON queue_messages (queue_id, sent);
CREATE INDEX IF NOT EXISTS queue_messages_group ON queue_messages (queue_id, group_id, seq)
    WHERE group_id IS NOT NULL;
CREATE TABLE IF NOT EXISTS queue_groups (
    queue_id INTEGER NOT NULL,
    group_id TEXT NOT NULL,
    ready_at INTEGER NOT NULL,  -- epoch ms when the group can be received from next
    PRIMARY KEY (queue_id, group_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS queue_groups_ready ON queue_groups (queue_id, ready_at);
CREATE TABLE IF NOT EXISTS queue_dedup (
    queue_id   INTEGER NOT NULL,
    scope      TEXT NOT NULL,    -- '' for the queue, else the message group
    dedup_id   TEXT NOT NULL,
    message_id TEXT NOT NULL,
    seq        INTEGER NOT NULL,
    expires    INTEGER NOT NULL, -- epoch ms: the 5-minute window's end
    PRIMARY KEY (queue_id, scope, dedup_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS queue_attempts (  -- FIFO receives by ReceiveRequestAttemptId
    queue_id   INTEGER NOT NULL,
    attempt_id TEXT NOT NULL,
    got        TEXT NOT NULL,    -- JSON: [seq, receives, visible_at, receipt handle] each
    expires    INTEGER NOT NULL, -- epoch ms: the 5-minute window's end
    PRIMARY KEY (queue_id, attempt_id)
) WITHOUT ROWID;
""",
)
