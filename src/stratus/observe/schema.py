"""The table of log events (CloudWatch Logs' groups and streams are derived from it)."""

from __future__ import annotations

from stratus.store.db import Schema

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
""",
)
