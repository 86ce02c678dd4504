"""EventBridge Scheduler's tables: groups, schedules (each a Schedule's fields as JSON), tags."""

from __future__ import annotations

import dataclasses
import sqlite3

import orjson

from stratus.schedules.model import Schedule, ScheduleGroup
from stratus.store.db import Schema

SCHEMA = Schema(
    "schedules",
    """
CREATE TABLE IF NOT EXISTS scheduler_groups (
    name     TEXT PRIMARY KEY,
    arn      TEXT NOT NULL,
    created  REAL NOT NULL,
    modified REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS scheduler_schedules (
    grp   TEXT NOT NULL,
    name  TEXT NOT NULL,
    state TEXT NOT NULL,
    doc   BLOB NOT NULL,      -- the Schedule's fields (JSON)
    PRIMARY KEY (grp, name)
);
CREATE TABLE IF NOT EXISTS scheduler_tags (
    arn   TEXT NOT NULL,
    key   TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (arn, key)
);
""",
)


def insert_group(conn: sqlite3.Connection, group: ScheduleGroup) -> bool:
    """False if a group of that name exists."""
    return bool(
        conn.execute(
            "INSERT INTO scheduler_groups (name, arn, created, modified) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (name) DO NOTHING",
            (group.name, group.arn, group.created, group.modified),
        ).rowcount
    )


def group(conn: sqlite3.Connection, name: str) -> ScheduleGroup | None:
    row = conn.execute(
        "SELECT name, arn, created, modified FROM scheduler_groups WHERE name = ?", (name,)
    ).fetchone()
    return None if row is None else ScheduleGroup(*row)


def groups(conn: sqlite3.Connection, prefix: str) -> list[ScheduleGroup]:
    rows = conn.execute(
        "SELECT name, arn, created, modified FROM scheduler_groups "
        "WHERE substr(name, 1, ?) = ? ORDER BY name",
        (len(prefix), prefix),
    )
    return [ScheduleGroup(*row) for row in rows]


def delete_group(conn: sqlite3.Connection, name: str) -> None:
    conn.execute("DELETE FROM scheduler_groups WHERE name = ?", (name,))


def put_schedule(conn: sqlite3.Connection, schedule: Schedule) -> None:
    doc = orjson.dumps(dataclasses.asdict(schedule))
    conn.execute(
        "INSERT INTO scheduler_schedules (grp, name, state, doc) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (grp, name) DO UPDATE SET state = excluded.state, doc = excluded.doc",
        (schedule.group, schedule.name, schedule.state, doc),
    )


def schedule(conn: sqlite3.Connection, group: str, name: str) -> Schedule | None:
    row = conn.execute(
        "SELECT doc FROM scheduler_schedules WHERE grp = ? AND name = ?", (group, name)
    ).fetchone()
    return None if row is None else Schedule(**orjson.loads(row[0]))


def schedules(
    conn: sqlite3.Connection, group: str | None, prefix: str, state: str | None
) -> list[Schedule]:
    """Ordered by group, then name."""
    rows = conn.execute(
        "SELECT doc FROM scheduler_schedules WHERE (?1 IS NULL OR grp = ?1) "
        "AND substr(name, 1, ?2) = ?3 AND (?4 IS NULL OR state = ?4) ORDER BY grp, name",
        (group, len(prefix), prefix, state),
    )
    return [Schedule(**orjson.loads(row[0])) for row in rows]


def delete_schedule(conn: sqlite3.Connection, group: str, name: str) -> bool:
    return bool(
        conn.execute(
            "DELETE FROM scheduler_schedules WHERE grp = ? AND name = ?", (group, name)
        ).rowcount
    )


def tags(conn: sqlite3.Connection, arn: str) -> dict[str, str]:
    rows = conn.execute("SELECT key, value FROM scheduler_tags WHERE arn = ? ORDER BY key", (arn,))
    return {row[0]: row[1] for row in rows}


def tag(conn: sqlite3.Connection, arn: str, tags: dict[str, str]) -> None:
    conn.executemany(
        "INSERT INTO scheduler_tags (arn, key, value) VALUES (?, ?, ?) "
        "ON CONFLICT (arn, key) DO UPDATE SET value = excluded.value",
        [(arn, key, value) for key, value in tags.items()],
    )


def untag(conn: sqlite3.Connection, arn: str, keys: list[str]) -> None:
    conn.executemany(
        "DELETE FROM scheduler_tags WHERE arn = ? AND key = ?", [(arn, k) for k in keys]
    )


def forget_tags(conn: sqlite3.Connection, arn: str) -> None:
    conn.execute("DELETE FROM scheduler_tags WHERE arn = ?", (arn,))
