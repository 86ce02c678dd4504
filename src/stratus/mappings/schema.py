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
-- Stream mappings: where each lane (ParallelizationFactor) of the stream's one shard
-- stands. Written after each batch a lane finishes: a restart resumes there.
CREATE TABLE IF NOT EXISTS event_source_mapping_lanes (
    uuid         TEXT NOT NULL,
    lane         INTEGER NOT NULL,
    position     INTEGER NOT NULL,                  -- the last sequence number done
    window_start REAL,                              -- the tumbling window open, if any
    state        TEXT,                              -- its state (JSON), as last answered
    PRIMARY KEY (uuid, lane)
) WITHOUT ROWID;
""",
)
