"""Each service's tables are created and migrated on their own; newer files are refused."""

import asyncio
import sqlite3

import pytest

from stratus.store.db import FORMAT_VERSION, Database, Schema

NOTES_V1 = Schema("notes", "CREATE TABLE IF NOT EXISTS notes (id TEXT PRIMARY KEY);\n")
NOTES_V2 = Schema(
    "notes",
    "CREATE TABLE IF NOT EXISTS notes (id TEXT PRIMARY KEY, body TEXT NOT NULL DEFAULT '');\n",
    version=2,
    migrations={2: "ALTER TABLE notes ADD COLUMN body TEXT NOT NULL DEFAULT '';\n"},
)


def _versions(path):
    with sqlite3.connect(path) as conn:
        return dict(conn.execute("SELECT name, version FROM schemas").fetchall())


def test_versions_are_recorded_per_service_and_newer_files_refused(tmp_path):
    """A new database records its format and each service's version; a file from the future
    (format or one service) is not opened."""
    path = tmp_path / "stratus.db"
    Database(path, [NOTES_V1]).close()
    recorded = sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0]
    versions = _versions(path)
    Database(path, [NOTES_V2]).close()

    with pytest.raises(RuntimeError, match=r"newer Stratus \(notes 2, this one knows 1\)"):
        Database(path, [NOTES_V1])
    with sqlite3.connect(path) as conn:
        conn.execute(f"PRAGMA user_version = {FORMAT_VERSION + 1}")
    with pytest.raises(RuntimeError, match="newer Stratus"):
        Database(path, [NOTES_V2])

    assert recorded == FORMAT_VERSION
    assert versions == {"notes": 1}


def test_a_migration_changes_a_services_tables_and_keeps_its_rows(tmp_path):
    """Version 1's rows survive the step to version 2; a service new to a file is created at
    its current version without running its migrations."""
    path = tmp_path / "stratus.db"
    db = Database(path, [NOTES_V1])
    db.run_blocking(lambda conn: conn.execute("INSERT INTO notes (id) VALUES ('a')"))
    db.close()
    db = Database(path, [NOTES_V2])
    rows = db.run_blocking(lambda conn: conn.execute("SELECT id, body FROM notes").fetchall())
    db.close()
    fresh = tmp_path / "fresh.db"
    Database(fresh, [NOTES_V2]).close()

    assert [tuple(row) for row in rows] == [("a", "")]
    assert _versions(path) == {"notes": 2}
    assert _versions(fresh) == {"notes": 2}


def test_a_file_from_before_per_service_versions_counts_as_version_1(tmp_path):
    """Files written at format 5 (one version for every table) open; their tables are each
    service's version 1, so later migrations start from there."""
    path = tmp_path / "stratus.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE notes (id TEXT PRIMARY KEY)")
        conn.execute("INSERT INTO notes VALUES ('old')")
        conn.execute("PRAGMA user_version = 5")
    db = Database(path, [NOTES_V2])
    rows = db.run_blocking(lambda conn: conn.execute("SELECT id, body FROM notes").fetchall())
    db.close()

    assert [tuple(row) for row in rows] == [("old", "")]
    assert _versions(path) == {"notes": 2}


def test_calls_made_together_share_a_commit_and_fail_alone(tmp_path):
    """Group commit: every call is answered after a commit holding its writes; one that
    fails loses its own writes only, and the others' survive a reopening of the file."""
    path = tmp_path / "stratus.db"
    db = Database(path, (Schema("t", "CREATE TABLE IF NOT EXISTS t (n INTEGER);\n"),))

    def insert(n: int):
        def work(conn):
            conn.execute("INSERT INTO t VALUES (?)", (n,))
            if n % 7 == 0:
                raise ValueError(f"refused {n}")
            return n

        return work

    async def main():
        return await asyncio.gather(
            *(db.run_in_transaction(insert(n)) for n in range(1, 101)), return_exceptions=True
        )

    answers = asyncio.run(main())
    assert [a for a in answers if isinstance(a, int)] == [n for n in range(1, 101) if n % 7]
    assert [str(a) for a in answers if isinstance(a, Exception)] == [
        f"refused {n}" for n in range(7, 101, 7)
    ]
    db.close()
    reopened = Database(path, (Schema("t", "CREATE TABLE IF NOT EXISTS t (n INTEGER);\n"),))
    rows = reopened.run_blocking(lambda c: [r[0] for r in c.execute("SELECT n FROM t ORDER BY n")])
    assert rows == [n for n in range(1, 101) if n % 7]
    reopened.close()
