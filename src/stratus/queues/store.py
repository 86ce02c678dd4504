"""SQL for queues and messages. Every function runs on the database thread inside the
caller's transaction (QueueService opens it), so a call's checks and writes are atomic and
an accepted message is committed before the answer.

Receiving reads the due rows through `queue_messages_due (queue_id, visible_at)`: the cost
is the batch, not the backlog. FIFO queues read ready groups through `queue_groups_ready`,
then each group's head through `queue_messages_group`.

Past 400 lines on purpose: every statement on the message and group tables is here, so the
indexes they rely on are read in one place (receive-attempt records: attempts.py).
"""

from __future__ import annotations

import base64
import json
import sqlite3
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

from .model import MessageAttribute

CHUNK = 2_000  # rows per statement when deleting many (purge, retention, DeleteQueue)
DEDUP_WINDOW_MS = 5 * 60 * 1000


@dataclass(slots=True)  # not frozen: made per message (queues/model.py says why)
class Stored:
    """A message row, as read for receiving."""

    seq: int
    id: str
    body: str
    attributes: dict[str, MessageAttribute]
    extra: dict[str, str]
    group_id: str | None
    sent: int
    visible_at: int
    receives: int
    first_receive: int | None


@dataclass(slots=True)  # not frozen: made per message (queues/model.py says why)
class Incoming:
    """A message ready to insert (ids and digests computed by the service)."""

    id: str
    body: str
    attributes: Mapping[str, MessageAttribute]
    extra: Mapping[str, str]
    group_id: str | None
    dedup_id: str | None
    visible_at: int


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """Where messages received too often go."""

    queue_id: int
    max_receives: int
    source_arn: str
    fifo: bool


# ---- queues -------------------------------------------------------------------------------


def insert_queue(
    conn: sqlite3.Connection,
    name: str,
    attributes: Mapping[str, str],
    tags: Mapping[str, str],
    now: int,
) -> int:
    cursor = conn.execute(
        "INSERT INTO queues (name, attributes, tags, created, modified) VALUES (?, ?, ?, ?, ?)",
        (name, json.dumps(attributes), json.dumps(tags), now, now),
    )
    return int(cursor.lastrowid or 0)


def all_queues(conn: sqlite3.Connection) -> list[sqlite3.Row]:
    return conn.execute("SELECT * FROM queues ORDER BY name").fetchall()


def update_queue(
    conn: sqlite3.Connection,
    queue_id: int,
    *,
    attributes: Mapping[str, str] | None = None,
    tags: Mapping[str, str] | None = None,
    modified: int | None = None,
) -> None:
    if attributes is not None:
        conn.execute(
            "UPDATE queues SET attributes = ?, modified = ? WHERE id = ?",
            (json.dumps(attributes), modified, queue_id),
        )
    if tags is not None:
        conn.execute("UPDATE queues SET tags = ? WHERE id = ?", (json.dumps(tags), queue_id))


def delete_queue(conn: sqlite3.Connection, queue_id: int) -> None:
    """The queue's row only; its messages go in chunks (`delete_some`), so a queue of a
    million messages does not hold the database thread for seconds."""
    conn.execute("DELETE FROM queues WHERE id = ?", (queue_id,))
    conn.execute("DELETE FROM queue_groups WHERE queue_id = ?", (queue_id,))
    conn.execute("DELETE FROM queue_dedup WHERE queue_id = ?", (queue_id,))
    conn.execute("DELETE FROM queue_attempts WHERE queue_id = ?", (queue_id,))  # attempts.py


def orphan_queue_ids(conn: sqlite3.Connection) -> list[int]:
    """Queues deleted while their messages were still being removed (a crash between)."""
    rows = conn.execute(
        "SELECT DISTINCT queue_id FROM queue_messages WHERE queue_id NOT IN (SELECT id FROM queues)"
    )
    return [row[0] for row in rows]


def set_purged(conn: sqlite3.Connection, queue_id: int, when: float) -> None:
    conn.execute("UPDATE queues SET purged = ? WHERE id = ?", (when, queue_id))


def purged_at(conn: sqlite3.Connection, queue_id: int) -> float:
    row = conn.execute("SELECT purged FROM queues WHERE id = ?", (queue_id,)).fetchone()
    return float(row[0]) if row else 0.0


# ---- sending ------------------------------------------------------------------------------


def send(
    conn: sqlite3.Connection,
    queue_id: int,
    messages: Iterable[Incoming],
    now: int,
    fifo: bool,
    dedup_per_group: bool = False,
) -> list[tuple[str, int]]:
    """Insert messages; answer (MessageId, sequence) per message. A FIFO message whose
    deduplication id was seen in the last 5 minutes is not stored again: its answer is the
    first one's."""
    answers = []
    for message in messages:
        if message.dedup_id is not None:
            scope = (message.group_id or "") if dedup_per_group else ""
            seen = conn.execute(
                "SELECT message_id, seq FROM queue_dedup WHERE queue_id = ? AND scope = ? "
                "AND dedup_id = ? AND expires > ?",
                (queue_id, scope, message.dedup_id, now),
            ).fetchone()
            if seen:
                answers.append((seen[0], seen[1]))
                continue
        seq = _insert(conn, queue_id, fifo, message, now)
        if message.dedup_id is not None:
            conn.execute(
                "INSERT OR REPLACE INTO queue_dedup VALUES (?, ?, ?, ?, ?, ?)",
                (queue_id, scope, message.dedup_id, message.id, seq, now + DEDUP_WINDOW_MS),
            )
        answers.append((message.id, seq))
    return answers


def send_many(conn: sqlite3.Connection, queue_id: int, messages: list[Incoming], now: int) -> None:
    """Standard queues without groups: one statement for the batch."""
    conn.executemany(
        "INSERT INTO queue_messages (queue_id, id, body, attributes, extra, sent, visible_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        [
            (queue_id, m.id, m.body, _encode(m.attributes), _extra(m.extra), now, m.visible_at)
            for m in messages
        ],
    )


def _insert(
    conn: sqlite3.Connection,
    queue_id: int,
    fifo: bool,
    message: Incoming,
    sent: int,
    receives: int = 0,
    first_receive: int | None = None,
) -> int:
    cursor = conn.execute(
        "INSERT INTO queue_messages (queue_id, id, body, attributes, extra, group_id, sent, "
        "visible_at, receives, first_receive) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            queue_id,
            message.id,
            message.body,
            _encode(message.attributes),
            _extra(message.extra),
            message.group_id,
            sent,
            message.visible_at,
            receives,
            first_receive,
        ),
    )
    if fifo and message.group_id is not None:  # standard queues' groups order nothing
        conn.execute(
            "INSERT INTO queue_groups VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
            (queue_id, message.group_id, message.visible_at),
        )
    return int(cursor.lastrowid or 0)


def _encode(attributes: Mapping[str, MessageAttribute]) -> str | None:
    if not attributes:
        return None
    return json.dumps(
        {
            name: [a.DataType, base64.b64encode(a.BinaryValue or b"").decode()]
            if a.is_binary
            else [a.DataType, a.StringValue]
            for name, a in attributes.items()
        }
    )


def _decode(raw: str | None) -> dict[str, MessageAttribute]:
    if not raw:
        return {}
    found: dict[str, MessageAttribute] = {}
    for name, (kind, value) in json.loads(raw).items():
        attribute = MessageAttribute(kind)
        if attribute.is_binary:
            found[name] = MessageAttribute(kind, BinaryValue=base64.b64decode(value))
        else:
            found[name] = MessageAttribute(kind, StringValue=value)
    return found


def _extra(extra: Mapping[str, str]) -> str | None:
    return json.dumps(extra) if extra else None


# ---- receiving ----------------------------------------------------------------------------

_COLUMNS = "seq, id, body, attributes, extra, group_id, sent, visible_at, receives, first_receive"


def _stored(row: sqlite3.Row) -> Stored:
    return Stored(
        row[0],
        row[1],
        row[2],
        _decode(row[3]),
        json.loads(row[4]) if row[4] else {},
        row[5],
        row[6],
        row[7],
        row[8],
        row[9],
    )


@dataclass(frozen=True, slots=True)
class Take:
    """How a receive treats the rows it reads."""

    queue_id: int
    count: int
    hidden_until: int  # now + visibility timeout, epoch ms
    now: int
    expired_before: int  # sent earlier than this: past retention, dropped
    dead_letter: DeadLetter | None = None


def receive(conn: sqlite3.Connection, take: Take) -> list[Stored]:
    """Standard queue: up to `count` due messages, now in flight. Rows dropped (retention)
    or dead-lettered make room for more; a row already read is never taken twice (with a
    visibility timeout of 0 it is due again at once)."""
    taken: list[Stored] = []
    seen: set[int] = set()
    while len(taken) < take.count:
        rows = conn.execute(
            f"SELECT {_COLUMNS} FROM queue_messages WHERE queue_id = ? AND visible_at <= ? "
            "ORDER BY visible_at LIMIT ?",
            (take.queue_id, take.now, take.count - len(taken) + len(seen)),
        ).fetchall()
        fresh = [_stored(row) for row in rows if row[0] not in seen]
        dropped = False
        for message in fresh:
            seen.add(message.seq)
            if _claim(conn, take, message):
                taken.append(_received(message, take))
            else:
                dropped = True
        if not dropped:
            break  # every row read was taken: there are no more due
    _mark_taken(conn, take, taken)
    return taken


def receive_fifo(conn: sqlite3.Connection, take: Take) -> list[Stored]:
    """FIFO queue: from the groups with nothing in flight, oldest-ready first, each group's
    messages in order; a group read from is blocked until its messages leave flight."""
    taken: list[Stored] = []
    visited: set[str] = set()
    while len(taken) < take.count:
        groups = [
            row[0]
            for row in conn.execute(
                "SELECT group_id FROM queue_groups WHERE queue_id = ? AND ready_at <= ? "
                "ORDER BY ready_at LIMIT ?",
                (take.queue_id, take.now, take.count - len(taken) + len(visited)),
            )
            if row[0] not in visited
        ]
        if not groups:
            break
        for group in groups:
            visited.add(group)
            taken += _take_group(conn, take, group, take.count - len(taken))
            if len(taken) >= take.count:
                break
    return taken


def _take_group(conn: sqlite3.Connection, take: Take, group: str, room: int) -> list[Stored]:
    taken: list[Stored] = []
    rows = conn.execute(
        f"SELECT {_COLUMNS} FROM queue_messages WHERE queue_id = ? AND group_id = ? "
        "ORDER BY seq LIMIT ?",
        (take.queue_id, group, room + 10),
    ).fetchall()
    for row in rows:
        message = _stored(row)
        if message.visible_at > take.now:
            break  # order within a group: nothing after a message that is not due
        if _claim(conn, take, message):
            taken.append(_received(message, take))
            if len(taken) >= room:
                break
    if taken:
        _mark_taken(conn, take, taken)
        conn.execute(
            "UPDATE queue_groups SET ready_at = ? WHERE queue_id = ? AND group_id = ?",
            (take.hidden_until, take.queue_id, group),
        )
    else:
        refresh_group(conn, take.queue_id, group, take.now)
    return taken


def _claim(conn: sqlite3.Connection, take: Take, message: Stored) -> bool:
    """Put one due message in flight, or drop it (past retention) or move it to the
    dead-letter queue (received maxReceiveCount times already): True if it is taken."""
    if message.sent < take.expired_before:
        conn.execute("DELETE FROM queue_messages WHERE seq = ?", (message.seq,))
        return False
    letter = take.dead_letter
    if letter is not None and message.receives >= letter.max_receives:
        extra = {**message.extra, "s": letter.source_arn}
        move(conn, take.queue_id, message, letter.queue_id, letter.fifo, take.now, extra)
        return False
    return True


def _mark_taken(conn: sqlite3.Connection, take: Take, taken: list[Stored]) -> None:
    """Put claimed messages in flight: one statement for the batch."""
    conn.executemany(
        "UPDATE queue_messages SET visible_at = ?, receives = receives + 1, "
        "first_receive = coalesce(first_receive, ?) WHERE seq = ?",
        [(take.hidden_until, take.now, message.seq) for message in taken],
    )


def _received(message: Stored, take: Take) -> Stored:
    return Stored(
        message.seq,
        message.id,
        message.body,
        message.attributes,
        message.extra,
        message.group_id,
        message.sent,
        take.hidden_until,
        message.receives + 1,
        message.first_receive or take.now,
    )


def move(
    conn: sqlite3.Connection,
    source: int,
    message: Stored,
    target: int,
    target_fifo: bool,
    now: int,
    extra: Mapping[str, str],
    keep_count: bool = True,
) -> None:
    """Move a message to another queue (dead-lettering, redrive): the same MessageId, body
    and attributes, due at once, in one transaction with its removal from the source.
    `extra` replaces the message's extra fields (the DLQ source is added, then dropped)."""
    conn.execute("DELETE FROM queue_messages WHERE seq = ?", (message.seq,))
    if message.group_id is not None:
        refresh_group(conn, source, message.group_id, now)
    incoming = Incoming(
        message.id,
        message.body,
        message.attributes,
        extra,
        message.group_id,
        None,
        now,
    )
    # Retention keeps counting from the first send (AWS does so for standard queues).
    _insert(
        conn,
        target,
        target_fifo,
        incoming,
        message.sent,
        message.receives if keep_count else 0,
        message.first_receive if keep_count else None,
    )


def refresh_group(conn: sqlite3.Connection, queue_id: int, group: str, now: int) -> None:
    """Recompute when a FIFO group can next be received from: after its last in-flight
    message leaves flight, else when its head is due; no row when it is empty. Received
    messages are always the group's first ones, so the scan stops at the first message
    never received."""
    head: int | None = None
    busy_until = 0
    rows = conn.execute(
        "SELECT visible_at, receives FROM queue_messages WHERE queue_id = ? AND group_id = ? "
        "ORDER BY seq",
        (queue_id, group),
    )
    for visible_at, receives in rows:
        if head is None:
            head = visible_at
        if receives and visible_at > now:
            busy_until = max(busy_until, visible_at)
        if not receives:
            break
    if head is None:
        conn.execute(
            "DELETE FROM queue_groups WHERE queue_id = ? AND group_id = ?", (queue_id, group)
        )
        return
    conn.execute(
        "INSERT OR REPLACE INTO queue_groups VALUES (?, ?, ?)",
        (queue_id, group, busy_until or head),
    )


def room_in_flight(
    conn: sqlite3.Connection, queue_id: int, now: int, limit: int, wanted: int
) -> int:
    """How many more messages may go in flight (up to `wanted`) under `limit`. The first
    probe reads the index of rows not due (in flight or delayed) and stops at
    `limit - wanted` of them, so a queue far from its limit pays for its in-flight messages
    only, never for its backlog; the exact count runs only near the limit."""
    if limit > wanted:
        probe = conn.execute(
            "SELECT 1 FROM queue_messages WHERE queue_id = ? AND visible_at > ? "
            "ORDER BY visible_at LIMIT 1 OFFSET ?",
            (queue_id, now, limit - wanted),
        ).fetchone()
        if probe is None:
            return wanted
    in_flight = conn.execute(
        "SELECT count(*) FROM queue_messages WHERE queue_id = ? AND visible_at > ? "
        "AND receives > 0",
        (queue_id, now),
    ).fetchone()[0]
    return max(0, min(wanted, limit - int(in_flight)))


def next_due(conn: sqlite3.Connection, queue_id: int, fifo: bool) -> int | None:
    """When the next message becomes receivable (epoch ms), for long polls to sleep until."""
    if fifo:
        row = conn.execute(
            "SELECT min(ready_at) FROM queue_groups WHERE queue_id = ?", (queue_id,)
        ).fetchone()
    else:
        row = conn.execute(
            "SELECT min(visible_at) FROM queue_messages WHERE queue_id = ?", (queue_id,)
        ).fetchone()
    return None if row[0] is None else int(row[0])


# ---- in flight ----------------------------------------------------------------------------


def find(conn: sqlite3.Connection, queue_id: int, seq: int) -> Stored | None:
    row = conn.execute(
        f"SELECT {_COLUMNS} FROM queue_messages WHERE seq = ? AND queue_id = ?", (seq, queue_id)
    ).fetchone()
    return _stored(row) if row else None


def delete(conn: sqlite3.Connection, queue_id: int, fifo: bool, seqs: list[int], now: int) -> None:
    """Delete messages (already gone: nothing to do); a FIFO group may be free after."""
    if not fifo:
        conn.executemany(
            "DELETE FROM queue_messages WHERE seq = ? AND queue_id = ?",
            [(seq, queue_id) for seq in seqs],
        )
        return
    groups = set()
    for seq in seqs:
        row = conn.execute(
            "DELETE FROM queue_messages WHERE seq = ? AND queue_id = ? RETURNING group_id",
            (seq, queue_id),
        ).fetchone()
        if row is not None and row[0] is not None:
            groups.add(row[0])
    for group in groups:
        refresh_group(conn, queue_id, group, now)


def change_visibility(
    conn: sqlite3.Connection, queue_id: int, message: Stored, visible_at: int, now: int
) -> None:
    update = "UPDATE queue_messages SET visible_at = ? WHERE seq = ?"
    conn.execute(update, (visible_at, message.seq))
    if message.group_id is not None:
        refresh_group(conn, queue_id, message.group_id, now)


# ---- counting and sweeping ----------------------------------------------------------------


def counts(conn: sqlite3.Connection, queue_id: int, now: int) -> tuple[int, int, int]:
    """(visible, in flight, delayed), as GetQueueAttributes' approximate numbers."""
    visible = conn.execute(
        "SELECT count(*) FROM queue_messages WHERE queue_id = ? AND visible_at <= ?",
        (queue_id, now),
    ).fetchone()[0]
    hidden: dict[int, int] = dict(
        conn.execute(
            "SELECT receives > 0, count(*) FROM queue_messages "
            "WHERE queue_id = ? AND visible_at > ? GROUP BY 1",
            (queue_id, now),
        ).fetchall()
    )
    return int(visible), int(hidden.get(1, 0)), int(hidden.get(0, 0))


def delete_some(
    conn: sqlite3.Connection, queue_id: int, sent_before: int | None = None
) -> tuple[int, set[str]]:
    """Delete up to CHUNK of a queue's messages (all, or those sent before a time): how many
    went, and the FIFO groups they belonged to (to refresh)."""
    where, args = "queue_id = ?", [queue_id]
    if sent_before is not None:
        where, args = "queue_id = ? AND sent < ?", [queue_id, sent_before]
    rows = conn.execute(
        f"DELETE FROM queue_messages WHERE seq IN (SELECT seq FROM queue_messages WHERE {where} "
        "LIMIT ?) RETURNING group_id",
        (*args, CHUNK),
    ).fetchall()
    return len(rows), {row[0] for row in rows if row[0] is not None}


def forget_dedup(conn: sqlite3.Connection, queue_id: int, now: int) -> None:
    conn.execute("DELETE FROM queue_dedup WHERE queue_id = ? AND expires <= ?", (queue_id, now))


def drop_groups(conn: sqlite3.Connection, queue_id: int) -> None:
    conn.execute("DELETE FROM queue_groups WHERE queue_id = ?", (queue_id,))


def due(conn: sqlite3.Connection, queue_id: int, now: int, limit: int) -> Iterator[Stored]:
    """Messages not in flight, as a receive would see them (message move tasks)."""
    rows = conn.execute(
        f"SELECT {_COLUMNS} FROM queue_messages WHERE queue_id = ? AND visible_at <= ? "
        "ORDER BY visible_at LIMIT ?",
        (queue_id, now, limit),
    )
    return (_stored(row) for row in rows)


def count_all(conn: sqlite3.Connection, queue_id: int) -> int:
    row = conn.execute("SELECT count(*) FROM queue_messages WHERE queue_id = ?", (queue_id,))
    return int(row.fetchone()[0])
