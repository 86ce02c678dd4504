"""The database refuses a data directory written by a newer Stratus."""

import sqlite3

import pytest

from stratus.store.db import SCHEMA_VERSION, Database


def test_schema_version_is_recorded_and_newer_ones_refused(tmp_path):
    """A new database records its schema version; one from the future is not opened."""
    path = tmp_path / "stratus.db"
    Database(path).close()
    recorded = sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0]
    with sqlite3.connect(path) as conn:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")

    with pytest.raises(RuntimeError, match="newer Stratus"):
        Database(path)

    assert recorded == SCHEMA_VERSION
