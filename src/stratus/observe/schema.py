"""The tables of CloudWatch Logs: events, and since version 2 the groups and streams they
belong to (before, groups and streams were derived from the events), and the metric and
subscription filters of each group."""

from __future__ import annotations

import sqlite3

from stratus.store.db import Schema

_GROUPS = """
CREATE TABLE IF NOT EXISTS log_groups (
    name           TEXT PRIMARY KEY,
    created        INTEGER NOT NULL,              -- epoch milliseconds
    retention_days INTEGER,                       -- NULL: kept forever
    tags           TEXT NOT NULL DEFAULT '{}',
    kms_key_id     TEXT,
    log_group_class TEXT NOT NULL DEFAULT 'STANDARD',
    deletion_protection INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS log_streams (
    log_group TEXT NOT NULL REFERENCES log_groups(name) ON DELETE CASCADE,
    name      TEXT NOT NULL,
    created   INTEGER NOT NULL,
    PRIMARY KEY (log_group, name)
);
CREATE TABLE IF NOT EXISTS log_filters (           -- observe/log_filters.py
    log_group TEXT NOT NULL REFERENCES log_groups(name) ON DELETE CASCADE,
    kind      TEXT NOT NULL,                       -- 'metric' or 'subscription'
    name      TEXT NOT NULL,
    config    TEXT NOT NULL,                       -- Describe*Filters' item, as JSON
    PRIMARY KEY (log_group, kind, name)
);
CREATE TABLE IF NOT EXISTS log_query_definitions (  -- observe/query_definitions.py
    id     TEXT PRIMARY KEY,
    config TEXT NOT NULL                            -- DescribeQueryDefinitions' item
);
"""


def _groups_from_events(conn: sqlite3.Connection) -> None:
    """Version 2: every group and stream that has events becomes a resource of its own."""
    for statement in _statements(_GROUPS):  # executescript would commit the migration
        conn.execute(statement)
    conn.execute(
        "INSERT OR IGNORE INTO log_groups (name, created) "
        "SELECT log_group, MIN(timestamp) FROM log_events GROUP BY log_group"
    )
    conn.execute(
        "INSERT OR IGNORE INTO log_streams (log_group, name, created) "
        "SELECT log_group, log_stream, MIN(timestamp) FROM log_events "
        "GROUP BY log_group, log_stream"
    )


def _statements(script: str) -> list[str]:
    return [s for s in script.split(";") if s.strip()]


SCHEMA = Schema(
    "logs",
    """
CREATE TABLE IF NOT EXISTS log_events (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    log_group   TEXT NOT NULL,
    log_stream  TEXT NOT NULL,
    timestamp   INTEGER NOT NULL,
    message     TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS log_events_by_group ON log_events (log_group, id);
"""
    + _GROUPS,
    version=2,
    migrations={2: _groups_from_events},
)
