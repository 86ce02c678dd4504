"""ReceiveRequestAttemptId: the SQL that lets a FIFO receive be retried.

A FIFO receive with an attempt id records what it took (`queue_attempts`: per message its
seq, receive count, visible_at and the receipt handle given), for 5 minutes. A retry with
the same id answers the same messages and handles, their visibility timeout restarted, if
none of them changed since (deleted, received again, visibility changed): AWS allows a
retry only then. Every function runs in the caller's transaction.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, replace

from .store import Stored, find, refresh_group


@dataclass(frozen=True, slots=True)
class Attempted:
    """One message a FIFO receive with a ReceiveRequestAttemptId got, as it got it."""

    seq: int
    receives: int
    visible_at: int
    handle: str


def remember(
    conn: sqlite3.Connection, queue_id: int, attempt: str, got: list[Attempted], expires: int
) -> None:
    rows = [[m.seq, m.receives, m.visible_at, m.handle] for m in got]
    conn.execute(
        "INSERT OR REPLACE INTO queue_attempts VALUES (?, ?, ?, ?)",
        (queue_id, attempt, json.dumps(rows), expires),
    )


def replay(
    conn: sqlite3.Connection, queue_id: int, attempt: str, now: int, hidden_until: int
) -> list[tuple[Stored, str]] | None:
    """The messages a receive with `attempt` got, in flight again until `hidden_until`,
    with their receipt handles; None when there is no such attempt in the window or any of
    its messages changed since (deleted, received again, visibility changed)."""
    row = conn.execute(
        "SELECT got, expires FROM queue_attempts WHERE queue_id = ? AND attempt_id = ? "
        "AND expires > ?",
        (queue_id, attempt, now),
    ).fetchone()
    if row is None:
        return None
    found: list[tuple[Stored, str]] = []
    for seq, receives, visible_at, handle in json.loads(row[0]):
        message = find(conn, queue_id, seq)
        if message is None or message.receives != receives or message.visible_at != visible_at:
            return None
        found.append((message, handle))
    conn.executemany(
        "UPDATE queue_messages SET visible_at = ? WHERE seq = ?",
        [(hidden_until, message.seq) for message, _ in found],
    )
    for group in {m.group_id for m, _ in found if m.group_id is not None}:
        refresh_group(conn, queue_id, group, now)
    again = [Attempted(m.seq, m.receives, hidden_until, handle) for m, handle in found]
    remember(conn, queue_id, attempt, again, int(row[1]))
    return [(replace(message, visible_at=hidden_until), handle) for message, handle in found]


def forget(conn: sqlite3.Connection, queue_id: int, now: int) -> None:
    conn.execute("DELETE FROM queue_attempts WHERE queue_id = ? AND expires <= ?", (queue_id, now))
