"""The tables of topics and subscriptions. Messages have no table: an accepted Publish is
one durable work item per matching subscription (delivery.py), written in the Publish's
transaction; FIFO topics add their 5-minute deduplication window."""

from __future__ import annotations

from stratus.store.db import Schema

SCHEMA = Schema(
    "topics",
    """
CREATE TABLE IF NOT EXISTS topics (
    name       TEXT PRIMARY KEY,
    attributes TEXT NOT NULL,              -- JSON: settable attributes, as strings
    tags       TEXT NOT NULL DEFAULT '{}',
    seq        INTEGER NOT NULL DEFAULT 0  -- FIFO topics: the last SequenceNumber given
);
CREATE TABLE IF NOT EXISTS topic_subscriptions (
    arn        TEXT PRIMARY KEY,
    topic      TEXT NOT NULL,
    protocol   TEXT NOT NULL,
    endpoint   TEXT NOT NULL,
    attributes TEXT NOT NULL,              -- JSON: settable attributes that were set
    token      TEXT,                       -- http(s): the confirmation token
    confirmed  INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS topic_subscriptions_topic ON topic_subscriptions (topic);
CREATE TABLE IF NOT EXISTS topic_dedup (
    topic      TEXT NOT NULL,
    dedup_id   TEXT NOT NULL,
    message_id TEXT NOT NULL,
    seq        INTEGER NOT NULL,
    expires    REAL NOT NULL,              -- epoch seconds: the window's end
    PRIMARY KEY (topic, dedup_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS topic_push_apps (      -- mobile push (push.py)
    arn        TEXT PRIMARY KEY,
    attributes TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS topic_push_endpoints (
    arn        TEXT PRIMARY KEY,
    app        TEXT NOT NULL,
    token      TEXT NOT NULL,
    attributes TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS topic_push_endpoints_token ON topic_push_endpoints (app, token);
CREATE TABLE IF NOT EXISTS topic_sms_attributes (  -- SetSMSAttributes (sms.py)
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS topic_sms_sandbox (     -- SMS sandbox destination numbers
    phone    TEXT PRIMARY KEY,
    status   TEXT NOT NULL,                        -- Pending | Verified
    otp      TEXT NOT NULL,                        -- the one-time password sent
    language TEXT NOT NULL
) WITHOUT ROWID;
""",
)
