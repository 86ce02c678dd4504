"""The tables of functions, versions, aliases, layers, concurrency, URLs and async events."""

from __future__ import annotations

from stratus.store.db import Schema

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
""",
)
