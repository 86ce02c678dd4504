"""The tables of functions, versions, aliases, layers, concurrency and URLs, and the kinds of
work they queue: async events and destination deliveries live in the work queue
(store/work.py), since version 2."""

from __future__ import annotations

import sqlite3

from stratus.functions.async_event import AsyncEvent
from stratus.runtime.spec import InvokeResult
from stratus.store.db import Schema
from stratus.store.work import Kind, carry_over

# Accepted Event invokes (functions/async_queue.py): id = request id, subject = function name.
# Their retries follow the event's own policy, so the kind sets no limit of its own.
ASYNC_EVENTS = Kind("lambda.event", lease_s=60.0)
# Outcomes on their way to a destination (functions/destinations.py): subject = target ARN;
# a throttled target is tried again after 1 s, 2 s, 4 s... up to 5 minutes apart.
DELIVERIES = Kind("lambda.destination", lease_s=60.0, backoff=(1.0, 300.0))


def _into_work_queue(conn: sqlite3.Connection) -> None:
    """Version 2: the rows of `async_invocations` and `destination_deliveries` become work
    items, due when they were, and the two tables go."""
    tables = {name for (name,) in conn.execute("SELECT name FROM sqlite_master")}
    if "async_invocations" in tables:
        for row in conn.execute(
            "SELECT id, function_name, qualifier, payload, attempts, not_before, received, "
            "last_response, last_version, last_error FROM async_invocations"
        ).fetchall():
            last = None
            if row[8] is not None:
                last = InvokeResult(_blob(row[7]), row[8], row[9])
            event = AsyncEvent(row[2], _blob(row[3]), row[6], row[4], last)
            carry_over(
                conn,
                ASYNC_EVENTS,
                row[0],
                event.encode(),
                subject=row[1],
                due=row[5],
                enqueued=row[6],
            )
        conn.execute("DROP TABLE async_invocations")
    if "destination_deliveries" in tables:
        for row in conn.execute(
            "SELECT id, target, payload, attempts, not_before FROM destination_deliveries"
        ).fetchall():
            carry_over(
                conn,
                DELIVERIES,
                row[0],
                _blob(row[2]),
                subject=row[1],
                due=row[4],
                enqueued=row[4],
                attempts=row[3],
            )
        conn.execute("DROP TABLE destination_deliveries")


def _blob(value: bytes | str | None) -> bytes:
    """A payload column's value as bytes (SQLite keeps whatever type was written)."""
    return value.encode() if isinstance(value, str) else value or b""


SCHEMA = Schema(
    "functions",
    """
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
CREATE TABLE IF NOT EXISTS function_urls (      -- functions/urls.py
    function_name TEXT NOT NULL REFERENCES functions(name) ON DELETE CASCADE,
    qualifier     TEXT NOT NULL,                -- '' for the function itself, or an alias
    url_id        TEXT NOT NULL UNIQUE,
    config        TEXT NOT NULL,
    PRIMARY KEY (function_name, qualifier)
);
CREATE TRIGGER IF NOT EXISTS function_urls_of_aliases AFTER DELETE ON aliases BEGIN
    DELETE FROM function_urls WHERE function_name = OLD.function_name AND qualifier = OLD.name;
END;
CREATE TABLE IF NOT EXISTS resource_policies (  -- functions/policies.py
    resource      TEXT PRIMARY KEY,             -- a function's, alias's or layer version's ARN
    function_name TEXT REFERENCES functions(name) ON DELETE CASCADE,  -- NULL for a layer
    qualifier     TEXT NOT NULL DEFAULT '',
    layer_name    TEXT,
    layer_version INTEGER,
    document      TEXT NOT NULL,
    revision_id   TEXT NOT NULL
);
CREATE TRIGGER IF NOT EXISTS resource_policies_of_aliases AFTER DELETE ON aliases BEGIN
    DELETE FROM resource_policies
    WHERE function_name = OLD.function_name AND qualifier = OLD.name;
END;
CREATE TRIGGER IF NOT EXISTS resource_policies_of_versions AFTER DELETE ON versions BEGIN
    DELETE FROM resource_policies
    WHERE function_name = OLD.function_name AND qualifier = OLD.version;
END;
CREATE TRIGGER IF NOT EXISTS resource_policies_of_layers AFTER UPDATE OF deleted ON layer_versions
WHEN NEW.deleted = 1 BEGIN
    DELETE FROM resource_policies
    WHERE layer_name = NEW.layer_name AND layer_version = NEW.version;
END;
CREATE TABLE IF NOT EXISTS function_settings (  -- functions/settings.py
    function_name TEXT NOT NULL REFERENCES functions(name) ON DELETE CASCADE,
    qualifier     TEXT NOT NULL,                -- '' or a version or alias
    kind          TEXT NOT NULL,                -- recursion, runtime, scaling, code_signing
    value         TEXT NOT NULL,                -- JSON
    PRIMARY KEY (function_name, qualifier, kind)
);
CREATE TABLE IF NOT EXISTS code_signing_configs (  -- functions/code_signing.py
    id     TEXT PRIMARY KEY,
    config TEXT NOT NULL,                         -- GetCodeSigningConfig's CodeSigningConfig
    tags   TEXT NOT NULL DEFAULT '{}'
);
""",
    version=2,
    migrations={2: _into_work_queue},
)
