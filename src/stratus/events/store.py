"""The event bus's tables: buses, rules, targets and tags, each row a record of model.py;
archives, archived events and replays (archives.py reads and writes those)."""

from __future__ import annotations

import sqlite3
from typing import Any

import orjson

from stratus.events.model import Rule, Target
from stratus.store.db import Schema

SCHEMA = Schema(
    "events",
    """
CREATE TABLE IF NOT EXISTS events_buses (
    name        TEXT PRIMARY KEY,
    description TEXT,
    created     REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS events_rules (
    bus  TEXT NOT NULL,
    name TEXT NOT NULL,
    doc  BLOB NOT NULL,       -- the Rule's fields (JSON)
    PRIMARY KEY (bus, name)
);
CREATE TABLE IF NOT EXISTS events_targets (
    bus  TEXT NOT NULL,
    rule TEXT NOT NULL,
    id   TEXT NOT NULL,
    arn  TEXT NOT NULL,
    doc  BLOB NOT NULL,       -- the target's members as PutTargets took them (JSON)
    PRIMARY KEY (bus, rule, id)
);
CREATE TABLE IF NOT EXISTS events_tags (
    arn   TEXT NOT NULL,
    key   TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (arn, key)
);
CREATE TABLE IF NOT EXISTS events_archives (
    name TEXT PRIMARY KEY,
    bus  TEXT NOT NULL,
    doc  BLOB NOT NULL        -- Arn, Description, EventPattern, RetentionDays, CreationTime
);
CREATE TABLE IF NOT EXISTS events_archived (
    seq      INTEGER PRIMARY KEY AUTOINCREMENT,
    archive  TEXT NOT NULL,
    received REAL NOT NULL,
    size     INTEGER NOT NULL,
    envelope BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS events_archived_by_archive ON events_archived (archive, seq);
CREATE INDEX IF NOT EXISTS events_archived_by_time ON events_archived (archive, received, seq);
CREATE TABLE IF NOT EXISTS events_resources ( -- resources.py: policies, connections, ...
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    doc  BLOB NOT NULL,
    PRIMARY KEY (kind, name)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS events_replays (
    name TEXT PRIMARY KEY,
    doc  BLOB NOT NULL        -- DescribeReplay's members (times as epoch seconds), cursor
);
""",
)

_RULE_FIELDS = ("bus", "name", "arn", "state", "created", "pattern", "schedule", "description",
                "role_arn")  # fmt: skip


def bus_exists(conn: sqlite3.Connection, name: str) -> bool:
    return conn.execute("SELECT 1 FROM events_buses WHERE name = ?", (name,)).fetchone() is not None


def insert_bus(conn: sqlite3.Connection, name: str, description: str | None, now: float) -> bool:
    return bool(
        conn.execute(
            "INSERT INTO events_buses (name, description, created) VALUES (?, ?, ?) "
            "ON CONFLICT (name) DO NOTHING",
            (name, description, now),
        ).rowcount
    )


def set_bus_description(conn: sqlite3.Connection, name: str, description: str | None) -> bool:
    return bool(
        conn.execute(
            "UPDATE events_buses SET description = ? WHERE name = ?", (description, name)
        ).rowcount
    )


def bus_row(conn: sqlite3.Connection, name: str) -> tuple[str, str | None, float] | None:
    row: tuple[str, str | None, float] | None = conn.execute(
        "SELECT name, description, created FROM events_buses WHERE name = ?", (name,)
    ).fetchone()
    return row


def bus_names(conn: sqlite3.Connection, prefix: str) -> list[str]:
    return [
        row[0]
        for row in conn.execute(
            "SELECT name FROM events_buses WHERE substr(name, 1, ?) = ? ORDER BY name",
            (len(prefix), prefix),
        )
    ]


def delete_bus(conn: sqlite3.Connection, name: str) -> None:
    conn.execute("DELETE FROM events_buses WHERE name = ?", (name,))


def put_rule(conn: sqlite3.Connection, rule: Rule) -> None:
    doc = orjson.dumps({key: getattr(rule, key) for key in _RULE_FIELDS})
    conn.execute(
        "INSERT INTO events_rules (bus, name, doc) VALUES (?, ?, ?) "
        "ON CONFLICT (bus, name) DO UPDATE SET doc = excluded.doc",
        (rule.bus, rule.name, doc),
    )


def rule(conn: sqlite3.Connection, bus: str, name: str) -> Rule | None:
    row = conn.execute(
        "SELECT doc FROM events_rules WHERE bus = ? AND name = ?", (bus, name)
    ).fetchone()
    return None if row is None else Rule(**orjson.loads(row[0]))


def rules(conn: sqlite3.Connection, bus: str, prefix: str = "") -> list[Rule]:
    rows = conn.execute(
        "SELECT doc FROM events_rules WHERE bus = ? AND substr(name, 1, ?) = ? ORDER BY name",
        (bus, len(prefix), prefix),
    )
    return [Rule(**orjson.loads(row[0])) for row in rows]


def delete_rule(conn: sqlite3.Connection, bus: str, name: str) -> None:
    conn.execute("DELETE FROM events_rules WHERE bus = ? AND name = ?", (bus, name))


def targets(conn: sqlite3.Connection, bus: str, rule: str) -> list[Target]:
    rows = conn.execute(
        "SELECT id, arn, doc FROM events_targets WHERE bus = ? AND rule = ? ORDER BY id",
        (bus, rule),
    )
    return [Target(row[0], row[1], orjson.loads(row[2])) for row in rows]


def rule_names_by_target(conn: sqlite3.Connection, bus: str, arn: str) -> list[str]:
    rows = conn.execute(
        "SELECT DISTINCT rule FROM events_targets WHERE bus = ? AND arn = ? ORDER BY rule",
        (bus, arn),
    )
    return [row[0] for row in rows]


def put_target(conn: sqlite3.Connection, bus: str, rule: str, settings: dict[str, Any]) -> None:
    conn.execute(
        "INSERT INTO events_targets (bus, rule, id, arn, doc) VALUES (?, ?, ?, ?, ?) "
        "ON CONFLICT (bus, rule, id) DO UPDATE SET arn = excluded.arn, doc = excluded.doc",
        (bus, rule, settings["Id"], settings["Arn"], orjson.dumps(settings)),
    )


def delete_target(conn: sqlite3.Connection, bus: str, rule: str, id: str) -> bool:
    return bool(
        conn.execute(
            "DELETE FROM events_targets WHERE bus = ? AND rule = ? AND id = ?", (bus, rule, id)
        ).rowcount
    )


def tags(conn: sqlite3.Connection, arn: str) -> dict[str, str]:
    rows = conn.execute("SELECT key, value FROM events_tags WHERE arn = ? ORDER BY key", (arn,))
    return {row[0]: row[1] for row in rows}


def tag(conn: sqlite3.Connection, arn: str, tags: dict[str, str]) -> None:
    conn.executemany(
        "INSERT INTO events_tags (arn, key, value) VALUES (?, ?, ?) "
        "ON CONFLICT (arn, key) DO UPDATE SET value = excluded.value",
        [(arn, key, value) for key, value in tags.items()],
    )


def untag(conn: sqlite3.Connection, arn: str, keys: list[str]) -> None:
    conn.executemany("DELETE FROM events_tags WHERE arn = ? AND key = ?", [(arn, k) for k in keys])


def forget_tags(conn: sqlite3.Connection, arn: str) -> None:
    conn.execute("DELETE FROM events_tags WHERE arn = ?", (arn,))
