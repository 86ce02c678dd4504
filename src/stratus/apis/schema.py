"""The tables of HTTP APIs and REST APIs (one namespace of API ids between them)."""

from __future__ import annotations

from stratus.store.db import Schema

SCHEMA = Schema(
    "apis",
    """
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
CREATE TABLE IF NOT EXISTS api_authorizers (    -- JWT authorizers of HTTP APIs
    api_id TEXT NOT NULL REFERENCES apis(id) ON DELETE CASCADE,
    id     TEXT NOT NULL,
    config TEXT NOT NULL,
    PRIMARY KEY (api_id, id)
);
CREATE TABLE IF NOT EXISTS rest_apis (          -- REST APIs, apis/rest_store.py
    id     TEXT PRIMARY KEY,
    config TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS rest_api_parts (     -- resources, authorizers, models...
    api_id TEXT NOT NULL REFERENCES rest_apis(id) ON DELETE CASCADE,
    kind   TEXT NOT NULL,
    key    TEXT NOT NULL,                       -- the id, or the name of models and stages
    config TEXT NOT NULL,
    PRIMARY KEY (api_id, kind, key)
);
CREATE TABLE IF NOT EXISTS rest_deployments (
    api_id   TEXT NOT NULL REFERENCES rest_apis(id) ON DELETE CASCADE,
    id       TEXT NOT NULL,
    config   TEXT NOT NULL,
    snapshot TEXT NOT NULL,                     -- the API as deployed (apis/rest_stages.py)
    PRIMARY KEY (api_id, id)
);
CREATE TABLE IF NOT EXISTS rest_api_keys (
    id     TEXT PRIMARY KEY,
    value  TEXT NOT NULL UNIQUE,
    config TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS rest_usage_plans (
    id     TEXT PRIMARY KEY,
    config TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS rest_usage_plan_keys (
    plan_id TEXT NOT NULL REFERENCES rest_usage_plans(id) ON DELETE CASCADE,
    key_id  TEXT NOT NULL REFERENCES rest_api_keys(id) ON DELETE CASCADE,
    PRIMARY KEY (plan_id, key_id)
);
-- The gateway looks an execute-api id up among HTTP and REST APIs: one namespace.
CREATE TRIGGER IF NOT EXISTS rest_api_ids_unique BEFORE INSERT ON rest_apis
WHEN EXISTS (SELECT 1 FROM apis WHERE id = NEW.id) BEGIN
    SELECT RAISE(ABORT, 'API id already used by an HTTP API');
END;
CREATE TRIGGER IF NOT EXISTS http_api_ids_unique BEFORE INSERT ON apis
WHEN EXISTS (SELECT 1 FROM rest_apis WHERE id = NEW.id) BEGIN
    SELECT RAISE(ABORT, 'API id already used by a REST API');
END;
""",
)
