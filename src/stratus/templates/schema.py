"""The tables of stacks: records, resources, events, exports, change sets, policies."""

from __future__ import annotations

from stratus.store.db import Schema

SCHEMA = Schema(
    "stacks",
    """
CREATE TABLE IF NOT EXISTS stacks (             -- templates/
    id        TEXT PRIMARY KEY,                 -- the StackId ARN
    name      TEXT NOT NULL,
    deleted   INTEGER NOT NULL DEFAULT 0,       -- DELETE_COMPLETE stacks stay listed
    record    TEXT NOT NULL,                    -- the Stack shape, as DescribeStacks answers
    template  TEXT NOT NULL,                    -- the body as given (GetTemplate Original)
    processed TEXT NOT NULL DEFAULT '{}',       -- after transforms (GetTemplate Processed)
    state     TEXT NOT NULL DEFAULT '{}'        -- what the next update needs (parameters...)
);
CREATE UNIQUE INDEX IF NOT EXISTS stacks_live_names ON stacks (name) WHERE deleted = 0;
CREATE TABLE IF NOT EXISTS stack_resources (
    stack_id   TEXT NOT NULL REFERENCES stacks(id),
    logical_id TEXT NOT NULL,
    record     TEXT NOT NULL,                   -- the StackResource shape
    applied    TEXT NOT NULL,                   -- resolved properties and attributes
    PRIMARY KEY (stack_id, logical_id)
);
CREATE TABLE IF NOT EXISTS stack_events (
    seq      INTEGER PRIMARY KEY AUTOINCREMENT,
    stack_id TEXT NOT NULL REFERENCES stacks(id),
    record   TEXT NOT NULL                      -- the StackEvent shape
);
CREATE TABLE IF NOT EXISTS stack_exports (      -- Fn::ImportValue's names
    name     TEXT PRIMARY KEY,
    stack_id TEXT NOT NULL REFERENCES stacks(id),
    value    TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS stack_change_sets (
    id       TEXT PRIMARY KEY,                  -- the ChangeSetId ARN
    stack_id TEXT NOT NULL REFERENCES stacks(id),
    name     TEXT NOT NULL,
    record   TEXT NOT NULL,                     -- the ChangeSet shape, as DescribeChangeSet answers
    request  TEXT NOT NULL                      -- what ExecuteChangeSet deploys (template...)
);
CREATE UNIQUE INDEX IF NOT EXISTS stack_change_set_names ON stack_change_sets (stack_id, name);
CREATE TABLE IF NOT EXISTS stack_custom_requests ( -- custom resource requests awaiting an answer
    stack_id     TEXT NOT NULL,
    logical_id   TEXT NOT NULL,
    request_type TEXT NOT NULL,                 -- Create | Update | Delete
    request      TEXT NOT NULL,                 -- as sent (RequestId, ResponseURL, properties)
    deadline     REAL NOT NULL,                 -- work clock seconds: ServiceTimeout passed
    PRIMARY KEY (stack_id, logical_id, request_type)
);
CREATE TABLE IF NOT EXISTS stack_policies (     -- SetStackPolicy's document, per stack
    stack_id TEXT PRIMARY KEY REFERENCES stacks(id),
    body     TEXT NOT NULL
);
""",
)
