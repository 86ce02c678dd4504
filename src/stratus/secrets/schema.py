"""Secrets Manager's tables: each secret (its settings as JSON) and every version of it."""

from __future__ import annotations

from stratus.store.db import Schema

SCHEMA = Schema(
    "secrets",
    """
CREATE TABLE IF NOT EXISTS secrets (
    arn       TEXT PRIMARY KEY,
    name      TEXT NOT NULL UNIQUE,   -- one secret per name, scheduled deletions included
    created   REAL NOT NULL,
    purge_at  REAL,                   -- DeleteSecret's DeletionDate; gone once it passes
    record    TEXT NOT NULL           -- the Secret fields (JSON)
);
CREATE TABLE IF NOT EXISTS secret_versions (
    arn        TEXT NOT NULL REFERENCES secrets (arn) ON DELETE CASCADE,
    version_id TEXT NOT NULL,
    created    REAL NOT NULL,
    stages     TEXT NOT NULL,         -- JSON list of staging labels
    sealed     TEXT,                  -- the value, sealed (store/crypto.py); NULL: none yet
    binary     INTEGER NOT NULL DEFAULT 0,
    accessed   REAL,
    PRIMARY KEY (arn, version_id)
);
CREATE INDEX IF NOT EXISTS secrets_purge ON secrets (purge_at) WHERE purge_at IS NOT NULL;
""",
)
