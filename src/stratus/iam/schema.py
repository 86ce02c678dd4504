"""IAM's tables: users, their access keys (secrets included: the server must recompute
signatures), inline and managed policies, attachments, and roles."""

from __future__ import annotations

from stratus.store.db import Schema

SCHEMA = Schema(
    "iam",
    """
CREATE TABLE IF NOT EXISTS iam_users (
    name    TEXT PRIMARY KEY,
    id      TEXT NOT NULL,
    path    TEXT NOT NULL,
    created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS iam_access_keys (
    key_id  TEXT PRIMARY KEY,
    user    TEXT NOT NULL REFERENCES iam_users (name),
    secret  TEXT NOT NULL,
    status  TEXT NOT NULL,        -- Active | Inactive
    created REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS iam_access_keys_user ON iam_access_keys (user);
CREATE TABLE IF NOT EXISTS iam_managed_policies (
    arn         TEXT PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    id          TEXT NOT NULL,
    path        TEXT NOT NULL,
    description TEXT,
    document    TEXT NOT NULL,
    created     REAL NOT NULL
);
-- Inline policies and attachments of users and roles: owner_kind 'user' | 'role'.
CREATE TABLE IF NOT EXISTS iam_inline_policies (
    owner_kind TEXT NOT NULL,
    owner      TEXT NOT NULL,
    name       TEXT NOT NULL,
    document   TEXT NOT NULL,
    PRIMARY KEY (owner_kind, owner, name)
);
CREATE TABLE IF NOT EXISTS iam_attachments (
    owner_kind TEXT NOT NULL,
    owner      TEXT NOT NULL,
    policy_arn TEXT NOT NULL,
    PRIMARY KEY (owner_kind, owner, policy_arn)
);
CREATE TABLE IF NOT EXISTS iam_roles (
    name        TEXT PRIMARY KEY,
    id          TEXT NOT NULL,
    path        TEXT NOT NULL,
    trust       TEXT NOT NULL,     -- AssumeRolePolicyDocument
    description TEXT,
    max_session INTEGER NOT NULL,
    created     REAL NOT NULL
);
""",
)
