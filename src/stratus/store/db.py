"""The SQLite database: every durable byte except code archives goes through it.

One connection, used from one dedicated thread (the "thread door"): the event loop never
blocks on SQLite, and SQLite never sees two threads. WAL mode keeps committed writes safe
across `kill -9` of the server.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")

# Bumped with every change to SCHEMA, together with a migration step in Database._open
# (new tables need none: SCHEMA runs at every start). 5: REST APIs, stacks.
SCHEMA_VERSION = 5

SCHEMA = """
CREATE TABLE IF NOT EXISTS functions (
    name         TEXT PRIMARY KEY,
    tags         TEXT NOT NULL DEFAULT '{}',
    created      REAL NOT NULL,
    last_version INTEGER NOT NULL DEFAULT 0, -- version numbers are never reused
    reserved_concurrency INTEGER             -- NULL: shares the unreserved pool
);
CREATE TABLE IF NOT EXISTS versions (
    function_name TEXT NOT NULL REFERENCES functions(name) ON DELETE CASCADE,
    version       TEXT NOT NULL,
    config        TEXT NOT NULL,
    PRIMARY KEY (function_name, version)
);
CREATE TABLE IF NOT EXISTS aliases (
    function_name TEXT NOT NULL REFERENCES functions(name) ON DELETE CASCADE,
    name          TEXT NOT NULL,
    config        TEXT NOT NULL,
    PRIMARY KEY (function_name, name)
);
CREATE TABLE IF NOT EXISTS provisioned_concurrency (
    function_name TEXT NOT NULL REFERENCES functions(name) ON DELETE CASCADE,
    qualifier     TEXT NOT NULL,
    requested     INTEGER NOT NULL,
    status        TEXT NOT NULL,
    status_reason TEXT,
    last_modified TEXT NOT NULL,
    PRIMARY KEY (function_name, qualifier)
);
CREATE TABLE IF NOT EXISTS log_events (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    log_group   TEXT NOT NULL,
    log_stream  TEXT NOT NULL,
    timestamp   INTEGER NOT NULL,
    message     TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS log_events_by_group ON log_events (log_group, id);
CREATE TABLE IF NOT EXISTS layers (
    name         TEXT PRIMARY KEY,
    last_version INTEGER NOT NULL DEFAULT 0  -- version numbers are never reused
);
CREATE TABLE IF NOT EXISTS layer_versions (
    layer_name TEXT NOT NULL REFERENCES layers(name),
    version    INTEGER NOT NULL,
    config     TEXT NOT NULL,              -- GetLayerVersion's answer (Location aside)
    unzipped   INTEGER NOT NULL,           -- bytes, for the 250 MB function + layers limit
    deleted    INTEGER NOT NULL DEFAULT 0, -- kept for the functions that still use it
    PRIMARY KEY (layer_name, version)
);
CREATE TABLE IF NOT EXISTS async_invocations (
    id            TEXT PRIMARY KEY,
    function_name TEXT NOT NULL,
    qualifier     TEXT NOT NULL,
    payload       BLOB NOT NULL,
    attempts      INTEGER NOT NULL DEFAULT 0,   -- runs of the function so far
    not_before    REAL NOT NULL,
    received      REAL NOT NULL,
    last_response BLOB,                         -- the last run's answer, for the record
    last_version  TEXT,                         -- sent to OnFailure if the event expires
    last_error    TEXT
);
CREATE TABLE IF NOT EXISTS event_invoke_configs (
    function_name TEXT NOT NULL REFERENCES functions(name) ON DELETE CASCADE,
    qualifier     TEXT NOT NULL,                -- $LATEST, a version or an alias
    config        TEXT NOT NULL,
    PRIMARY KEY (function_name, qualifier)
);
CREATE TRIGGER IF NOT EXISTS event_invoke_configs_of_versions AFTER DELETE ON versions BEGIN
    DELETE FROM event_invoke_configs
    WHERE function_name = OLD.function_name AND qualifier = OLD.version;
END;
CREATE TRIGGER IF NOT EXISTS event_invoke_configs_of_aliases AFTER DELETE ON aliases BEGIN
    DELETE FROM event_invoke_configs
    WHERE function_name = OLD.function_name AND qualifier = OLD.name;
END;
CREATE TABLE IF NOT EXISTS destination_deliveries (  -- the outbox of functions/destinations.py
    id         TEXT PRIMARY KEY,
    target     TEXT NOT NULL,                   -- the destination's ARN
    payload    BLOB NOT NULL,
    attempts   INTEGER NOT NULL DEFAULT 0,
    not_before REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS apis (                -- HTTP APIs (stratus.apis); config: JSON
    id     TEXT PRIMARY KEY,
    config TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS api_routes (
    api_id TEXT NOT NULL REFERENCES apis(id) ON DELETE CASCADE,
    id     TEXT NOT NULL,
    config TEXT NOT NULL,
    PRIMARY KEY (api_id, id)
);
CREATE TABLE IF NOT EXISTS api_integrations (
    api_id TEXT NOT NULL REFERENCES apis(id) ON DELETE CASCADE,
    id     TEXT NOT NULL,
    config TEXT NOT NULL,
    PRIMARY KEY (api_id, id)
);
CREATE TABLE IF NOT EXISTS api_stages (
    api_id TEXT NOT NULL REFERENCES apis(id) ON DELETE CASCADE,
    name   TEXT NOT NULL,
    config TEXT NOT NULL,
    PRIMARY KEY (api_id, name)
);
CREATE TABLE IF NOT EXISTS api_authorizers (    -- JWT authorizers of HTTP APIs (schema 3)
    api_id TEXT NOT NULL REFERENCES apis(id) ON DELETE CASCADE,
    id     TEXT NOT NULL,
    config TEXT NOT NULL,
    PRIMARY KEY (api_id, id)
);
CREATE TABLE IF NOT EXISTS function_urls (      -- functions/urls.py (schema 4)
    function_name TEXT NOT NULL REFERENCES functions(name) ON DELETE CASCADE,
    qualifier     TEXT NOT NULL,                -- '' for the function itself, or an alias
    url_id        TEXT NOT NULL UNIQUE,
    config        TEXT NOT NULL,
    PRIMARY KEY (function_name, qualifier)
);
CREATE TRIGGER IF NOT EXISTS function_urls_of_aliases AFTER DELETE ON aliases BEGIN
    DELETE FROM function_urls WHERE function_name = OLD.function_name AND qualifier = OLD.name;
END;
CREATE TABLE IF NOT EXISTS stacks (             -- templates/ (schema 5)
    id        TEXT PRIMARY KEY,                 -- the StackId ARN
    name      TEXT NOT NULL,
    deleted   INTEGER NOT NULL DEFAULT 0,       -- DELETE_COMPLETE stacks stay listed
    record    TEXT NOT NULL,                    -- the Stack shape, as DescribeStacks answers
    template  TEXT NOT NULL,                    -- the body as given (GetTemplate Original)
    processed TEXT NOT NULL DEFAULT '{}',       -- after transforms (GetTemplate Processed)
    state     TEXT NOT NULL DEFAULT '{}'        -- what the next update needs (parameters...)
);
CREATE UNIQUE INDEX IF NOT EXISTS stacks_live_names ON stacks (name) WHERE deleted = 0;
CREATE TABLE IF NOT EXISTS stack_resources (    -- (schema 5)
    stack_id   TEXT NOT NULL REFERENCES stacks(id),
    logical_id TEXT NOT NULL,
    record     TEXT NOT NULL,                   -- the StackResource shape
    applied    TEXT NOT NULL,                   -- resolved properties and attributes
    PRIMARY KEY (stack_id, logical_id)
);
CREATE TABLE IF NOT EXISTS stack_events (       -- (schema 5)
    seq      INTEGER PRIMARY KEY AUTOINCREMENT,
    stack_id TEXT NOT NULL REFERENCES stacks(id),
    record   TEXT NOT NULL                      -- the StackEvent shape
);
CREATE TABLE IF NOT EXISTS stack_exports (      -- (schema 5) Fn::ImportValue's names
    name     TEXT PRIMARY KEY,
    stack_id TEXT NOT NULL REFERENCES stacks(id),
    value    TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS rest_apis (          -- REST APIs, apis/rest_store.py (schema 5)
    id     TEXT PRIMARY KEY,
    config TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS rest_api_parts (     -- (schema 5) resources, authorizers, models...
    api_id TEXT NOT NULL REFERENCES rest_apis(id) ON DELETE CASCADE,
    kind   TEXT NOT NULL,
    key    TEXT NOT NULL,                       -- the id, or the name of models and stages
    config TEXT NOT NULL,
    PRIMARY KEY (api_id, kind, key)
);
CREATE TABLE IF NOT EXISTS rest_deployments (   -- (schema 5)
    api_id   TEXT NOT NULL REFERENCES rest_apis(id) ON DELETE CASCADE,
    id       TEXT NOT NULL,
    config   TEXT NOT NULL,
    snapshot TEXT NOT NULL,                     -- the API as deployed (apis/rest_stages.py)
    PRIMARY KEY (api_id, id)
);
CREATE TABLE IF NOT EXISTS rest_api_keys (      -- (schema 5)
    id     TEXT PRIMARY KEY,
    value  TEXT NOT NULL UNIQUE,
    config TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS rest_usage_plans (   -- (schema 5)
    id     TEXT PRIMARY KEY,
    config TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS rest_usage_plan_keys ( -- (schema 5)
    plan_id TEXT NOT NULL REFERENCES rest_usage_plans(id) ON DELETE CASCADE,
    key_id  TEXT NOT NULL REFERENCES rest_api_keys(id) ON DELETE CASCADE,
    PRIMARY KEY (plan_id, key_id)
);
-- (schema 5) The gateway looks an execute-api id up among HTTP and REST APIs: one namespace.
CREATE TRIGGER IF NOT EXISTS rest_api_ids_unique BEFORE INSERT ON rest_apis
WHEN EXISTS (SELECT 1 FROM apis WHERE id = NEW.id) BEGIN
    SELECT RAISE(ABORT, 'API id already used by an HTTP API');
END;
CREATE TRIGGER IF NOT EXISTS http_api_ids_unique BEFORE INSERT ON apis
WHEN EXISTS (SELECT 1 FROM rest_apis WHERE id = NEW.id) BEGIN
    SELECT RAISE(ABORT, 'API id already used by a REST API');
END;
"""


class Database:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._door = ThreadPoolExecutor(max_workers=1, thread_name_prefix="stratus-db")
        try:
            self._conn = self._door.submit(self._open, path).result()
        except BaseException:
            self._door.shutdown()
            raise

    @staticmethod
    def _open(path: Path) -> sqlite3.Connection:
        conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA foreign_keys=ON")
        found = conn.execute("PRAGMA user_version").fetchone()[0]
        if found > SCHEMA_VERSION:
            raise RuntimeError(
                f"{path} was written by a newer Stratus (schema {found}, this one knows "
                f"{SCHEMA_VERSION}); upgrade Stratus or use another --data-dir"
            )
        conn.executescript(SCHEMA)
        # Later schema changes go here as steps from `found` up to SCHEMA_VERSION.
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        return conn

    async def run(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """Run `work(connection)` on the database thread; one statement batch at a time."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._door, work, self._conn)

    def run_blocking(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """For callers outside the event loop (start-up, tests)."""
        return self._door.submit(work, self._conn).result()

    def close(self) -> None:
        self._door.submit(self._conn.close).result()
        self._door.shutdown()


def transaction(conn: sqlite3.Connection) -> sqlite3.Connection:
    """`with transaction(conn):` — BEGIN IMMEDIATE ... COMMIT, ROLLBACK on error."""
    return _Transaction(conn)  # type: ignore[return-value]


class _Transaction:
    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def __enter__(self) -> sqlite3.Connection:
        self.conn.execute("BEGIN IMMEDIATE")
        return self.conn

    def __exit__(self, exc_type: object, *_: object) -> None:
        self.conn.execute("ROLLBACK" if exc_type else "COMMIT")
