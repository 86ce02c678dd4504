"""The workflows' tables: state machines, executions (each with its run, the interpreter's
whole state as JSON), history events, activities and the activity tasks waiting for a
worker."""

from __future__ import annotations

from stratus.store.db import Schema

SCHEMA = Schema(
    "workflows",
    """
CREATE TABLE IF NOT EXISTS sfn_state_machines (
    arn        TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    type       TEXT NOT NULL,
    definition TEXT NOT NULL,
    role_arn   TEXT NOT NULL,
    created    REAL NOT NULL,
    config     TEXT NOT NULL DEFAULT '{}'
);
CREATE TABLE IF NOT EXISTS sfn_executions (
    arn               TEXT PRIMARY KEY,
    state_machine_arn TEXT NOT NULL,
    name              TEXT NOT NULL,
    status            TEXT NOT NULL,
    started           REAL NOT NULL,
    stopped           REAL,
    input             TEXT NOT NULL,
    output            TEXT,
    error             TEXT,
    cause             TEXT,
    definition        TEXT NOT NULL, -- what it runs, fixed at start (machines change)
    run               TEXT NOT NULL, -- interpreter.start/resume's run, as JSON
    parent            TEXT,          -- the execution whose states:startExecution made it
    parent_token      TEXT,          -- the effect that parent's run waits on
    parent_mode       TEXT,          -- '' (answered at start), 'sync' or 'sync:2'
    version_arn       TEXT,          -- the version it runs, when started through one
    alias_arn         TEXT           -- the alias it was started through
);
CREATE INDEX IF NOT EXISTS sfn_executions_by_machine
    ON sfn_executions (state_machine_arn, started);
CREATE TABLE IF NOT EXISTS sfn_activities (
    arn     TEXT PRIMARY KEY,
    name    TEXT NOT NULL,
    created REAL NOT NULL,
    tags    TEXT NOT NULL DEFAULT '[]'
);
CREATE TABLE IF NOT EXISTS sfn_activity_tasks (
    activity_arn  TEXT NOT NULL,
    execution_arn TEXT NOT NULL,
    token         TEXT NOT NULL,
    task_token    TEXT NOT NULL,
    input         TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS sfn_activity_tasks_by_activity
    ON sfn_activity_tasks (activity_arn);
CREATE TABLE IF NOT EXISTS sfn_versions (
    machine_arn TEXT NOT NULL,
    number      INTEGER NOT NULL,
    definition  TEXT NOT NULL,
    role_arn    TEXT NOT NULL,
    created     REAL NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (machine_arn, number)
);
CREATE TABLE IF NOT EXISTS sfn_aliases (
    arn         TEXT PRIMARY KEY,
    machine_arn TEXT NOT NULL,
    name        TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    routing     TEXT NOT NULL,
    created     REAL NOT NULL,
    updated     REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS sfn_history (
    execution_arn TEXT NOT NULL,
    id            INTEGER NOT NULL,
    event         TEXT NOT NULL,
    PRIMARY KEY (execution_arn, id)
);
-- Map Runs (maprun.py): a distributed Map's run and one row per child execution (a batch
-- of items is one child); counters kept in the run's row, moved with each child's commit.
CREATE TABLE IF NOT EXISTS sfn_map_runs (
    arn                  TEXT PRIMARY KEY,
    execution_arn        TEXT NOT NULL,
    token                TEXT NOT NULL,    -- the parent's effect the run answers
    status               TEXT NOT NULL,    -- RUNNING | SUCCEEDED | FAILED | ABORTED
    started              REAL NOT NULL,
    stopped              REAL,
    spec                 TEXT NOT NULL,    -- the StartMapRun spec but items and selector
    selector             TEXT NOT NULL,    -- what ItemSelector reads: input, context, vars
    max_concurrency      INTEGER NOT NULL,
    tolerated_percentage REAL NOT NULL,
    tolerated_count      INTEGER NOT NULL,
    total                INTEGER NOT NULL, -- child executions
    total_items          INTEGER NOT NULL,
    running              INTEGER NOT NULL,
    failed_items         INTEGER NOT NULL, -- FAILED and TIMED_OUT children's items
    redrive_count        INTEGER NOT NULL,
    redrive_date         REAL,
    error                TEXT,
    cause                TEXT,
    prepared             INTEGER NOT NULL, -- its children are written
    finishing            INTEGER NOT NULL, -- its finish work item is out
    results_written      INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS sfn_map_runs_by_execution ON sfn_map_runs (execution_arn);
CREATE TABLE IF NOT EXISTS sfn_map_children (
    map_run TEXT NOT NULL,
    idx     INTEGER NOT NULL,
    items   INTEGER NOT NULL,  -- how many items its input holds (1 without ItemBatcher)
    input   TEXT NOT NULL,
    status  TEXT NOT NULL,     -- PENDING | RUNNING | SUCCEEDED | FAILED | TIMED_OUT | ABORTED
    name    TEXT NOT NULL,
    arn     TEXT,              -- the child execution, once started
    output  TEXT,
    error   TEXT,
    cause   TEXT,
    started REAL,
    stopped REAL,
    PRIMARY KEY (map_run, idx)
);
CREATE INDEX IF NOT EXISTS sfn_map_children_by_status ON sfn_map_children (map_run, status, idx);
CREATE INDEX IF NOT EXISTS sfn_map_children_by_arn ON sfn_map_children (arn);
-- A Map Run's children (ListExecutions by mapRunArn), and every ended execution's look for
-- children to stop: without it each end scans the table (quadratic over a Map Run).
CREATE INDEX IF NOT EXISTS sfn_executions_by_parent_token ON sfn_executions (parent_token);
CREATE INDEX IF NOT EXISTS sfn_executions_by_parent ON sfn_executions (parent);
""",
)
