"""The SQL of topics and subscriptions; every function runs in the caller's transaction."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping


def all_topics(conn: sqlite3.Connection) -> list[sqlite3.Row]:
    return conn.execute("SELECT name, attributes, tags FROM topics").fetchall()


def all_subscriptions(conn: sqlite3.Connection) -> list[sqlite3.Row]:
    return conn.execute(
        "SELECT arn, topic, protocol, endpoint, attributes, token, confirmed "
        "FROM topic_subscriptions ORDER BY rowid"
    ).fetchall()


def put_topic(
    conn: sqlite3.Connection, name: str, attributes: Mapping[str, str], tags: Mapping[str, str]
) -> None:
    conn.execute(
        "INSERT INTO topics (name, attributes, tags) VALUES (?, ?, ?) ON CONFLICT (name) "
        "DO UPDATE SET attributes = excluded.attributes, tags = excluded.tags",
        (name, json.dumps(dict(attributes)), json.dumps(dict(tags))),
    )


def delete_topic(conn: sqlite3.Connection, name: str) -> list[str]:
    """Delete the topic and its subscriptions; the ARNs of those subscriptions."""
    conn.execute("DELETE FROM topics WHERE name = ?", (name,))
    conn.execute("DELETE FROM topic_dedup WHERE topic = ?", (name,))
    rows = conn.execute(
        "DELETE FROM topic_subscriptions WHERE topic = ? RETURNING arn", (name,)
    ).fetchall()
    return [row[0] for row in rows]


def put_subscription(
    conn: sqlite3.Connection,
    arn: str,
    topic: str,
    protocol: str,
    endpoint: str,
    attributes: Mapping[str, str],
    token: str | None,
    confirmed: bool,
) -> None:
    conn.execute(
        "INSERT INTO topic_subscriptions (arn, topic, protocol, endpoint, attributes, token, "
        "confirmed) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (arn) DO UPDATE SET "
        "attributes = excluded.attributes, token = excluded.token, "
        "confirmed = excluded.confirmed",
        (arn, topic, protocol, endpoint, json.dumps(dict(attributes)), token, int(confirmed)),
    )


def delete_subscription(conn: sqlite3.Connection, arn: str) -> None:
    conn.execute("DELETE FROM topic_subscriptions WHERE arn = ?", (arn,))


def next_sequence(conn: sqlite3.Connection, topic: str) -> int:
    row = conn.execute(
        "UPDATE topics SET seq = seq + 1 WHERE name = ? RETURNING seq", (topic,)
    ).fetchone()
    return int(row[0])


def find_duplicate(
    conn: sqlite3.Connection, topic: str, dedup_id: str, now: float
) -> tuple[str, int] | None:
    """The message id and sequence number a dedup id was first published with, if within
    its window."""
    conn.execute("DELETE FROM topic_dedup WHERE topic = ? AND expires <= ?", (topic, now))
    row = conn.execute(
        "SELECT message_id, seq FROM topic_dedup WHERE topic = ? AND dedup_id = ?",
        (topic, dedup_id),
    ).fetchone()
    return None if row is None else (row[0], int(row[1]))


def remember_dedup(
    conn: sqlite3.Connection, topic: str, dedup_id: str, message_id: str, seq: int, expires: float
) -> None:
    conn.execute(
        "INSERT OR REPLACE INTO topic_dedup VALUES (?, ?, ?, ?, ?)",
        (topic, dedup_id, message_id, seq, expires),
    )
