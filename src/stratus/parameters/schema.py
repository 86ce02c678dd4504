"""Parameter Store's tables: every version of every parameter, and the labels on them."""

from __future__ import annotations

from stratus.store.db import Schema

SCHEMA = Schema(
    "parameters",
    """
CREATE TABLE IF NOT EXISTS ssm_parameter_versions (
    name     TEXT NOT NULL,
    version  INTEGER NOT NULL,
    record   TEXT NOT NULL,      -- the ParameterVersion fields (JSON); a SecureString's value
                                 -- is ciphertext (crypto.py), never the plain text
    PRIMARY KEY (name, version)
);
CREATE TABLE IF NOT EXISTS ssm_parameter_labels (
    name    TEXT NOT NULL,
    label   TEXT NOT NULL,
    version INTEGER NOT NULL,
    PRIMARY KEY (name, label),
    FOREIGN KEY (name, version) REFERENCES ssm_parameter_versions (name, version)
        ON DELETE CASCADE
);
""",
)
