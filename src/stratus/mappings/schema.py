"""The table of event source mappings: one row each, settings as JSON."""

from __future__ import annotations

from stratus.store.db import Schema

SCHEMA = Schema(
    "mappings",
    """
CREATE TABLE IF NOT EXISTS event_source_mappings (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT, -- creation order: List's order
    uuid         TEXT NOT NULL UNIQUE,
    source_arn   TEXT NOT NULL,
    function_arn TEXT NOT NULL,
    enabled      INTEGER NOT NULL,
    settings     TEXT NOT NULL,                     -- JSON (model.EventSourceMapping.row)
    modified     REAL NOT NULL                      -- epoch seconds
);
""",
)
