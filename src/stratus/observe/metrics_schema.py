"""The tables of CloudWatch metrics: each metric once (namespace, name, dimensions), and
its datapoints as statistic sets, with the values themselves where they are known (for
percentiles)."""

from __future__ import annotations

from stratus.store.db import Schema

SCHEMA = Schema(
    "metrics",
    """
CREATE TABLE IF NOT EXISTS metrics (
    id         INTEGER PRIMARY KEY,
    namespace  TEXT NOT NULL,
    name       TEXT NOT NULL,
    dimensions TEXT NOT NULL,          -- JSON [[name, value], ...] sorted by name
    last_put   INTEGER NOT NULL,       -- epoch milliseconds of the newest datapoint written
    UNIQUE (namespace, name, dimensions)
);
CREATE TABLE IF NOT EXISTS metric_data (
    metric_id    INTEGER NOT NULL REFERENCES metrics(id) ON DELETE CASCADE,
    timestamp    INTEGER NOT NULL,     -- epoch milliseconds
    sample_count REAL NOT NULL,
    sum          REAL NOT NULL,
    minimum      REAL NOT NULL,
    maximum      REAL NOT NULL,
    unit         TEXT NOT NULL,        -- 'None' when the datum named none
    "values"     TEXT                  -- JSON [[value, count], ...]; NULL for statistic sets
);
CREATE INDEX IF NOT EXISTS metric_data_by_metric ON metric_data (metric_id, timestamp);
CREATE TABLE IF NOT EXISTS alarms (    -- alarms/store.py
    name        TEXT PRIMARY KEY,
    config      TEXT NOT NULL,         -- PutMetricAlarm's members, as JSON
    state       TEXT NOT NULL,         -- the state and its reason, as JSON
    metric_key  TEXT                   -- namespace|name|dimensions of a single-metric alarm
);
CREATE TABLE IF NOT EXISTS alarm_history (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    name      TEXT NOT NULL,
    timestamp INTEGER NOT NULL,        -- epoch milliseconds
    kind      TEXT NOT NULL,           -- ConfigurationUpdate | StateUpdate | Action
    summary   TEXT NOT NULL,
    data      TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS alarm_history_by_name ON alarm_history (name, id);
CREATE TABLE IF NOT EXISTS dashboards (  -- observe/dashboards.py
    name     TEXT PRIMARY KEY,
    body     TEXT NOT NULL,
    modified INTEGER NOT NULL            -- epoch milliseconds
);
""",
)
