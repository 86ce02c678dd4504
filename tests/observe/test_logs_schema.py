"""The logs tables' version 2: a database written before log groups were resources gets a
group and a stream for every one its events name."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from stratus.observe.schema import SCHEMA
from stratus.store.db import Database, Schema

VERSION_1 = Schema(
    "logs",
    """
CREATE TABLE IF NOT EXISTS log_events (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    log_group   TEXT NOT NULL,
    log_stream  TEXT NOT NULL,
    timestamp   INTEGER NOT NULL,
    message     TEXT NOT NULL
);
""",
)


def test_groups_and_streams_come_from_old_events(tmp_path: Path) -> None:
    path = tmp_path / "stratus.db"
    old = Database(path, [VERSION_1])
    old.run_blocking(
        lambda conn: conn.executemany(
            "INSERT INTO log_events (log_group, log_stream, timestamp, message) "
            "VALUES (?, ?, ?, ?)",
            [("/aws/lambda/a", "s1", 5, "x"), ("/aws/lambda/a", "s2", 3, "y"), ("/b", "s", 9, "z")],
        )
    )
    old.close()

    new = Database(path, [SCHEMA])

    def read(conn: sqlite3.Connection) -> tuple[list[tuple[str, int]], list[tuple[str, str]]]:
        groups = conn.execute("SELECT name, created FROM log_groups ORDER BY name").fetchall()
        streams = conn.execute(
            "SELECT log_group, name FROM log_streams ORDER BY log_group, name"
        ).fetchall()
        return [tuple(g) for g in groups], [tuple(s) for s in streams]

    groups, streams = new.run_blocking(read)
    new.close()
    assert groups == [("/aws/lambda/a", 3), ("/b", 9)]
    assert streams == [("/aws/lambda/a", "s1"), ("/aws/lambda/a", "s2"), ("/b", "s")]
