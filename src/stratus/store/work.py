"""The durable work queue: every piece of work that must happen later, or again, is an item.

    enqueue (in the caller's transaction) -> due -> claim: leased -> ack          deleted
                                                                 -> retry        due again later
                                                                 -> dead_letter  into work_dead
                                                  lease runs out -> due again (a crash, a lost item)

Guarantees and assumptions:
- At-least-once. Only `ack` (or `dead_letter`) removes an item; a claim that is never settled
  (the server died, a handler forgot) comes back when its lease runs out. Handlers therefore
  tolerate repeats, usually by keying what they write on the item's id.
- A claim hides an item for `Kind.lease_s` by moving its `due` time to the lease's end, so
  "due" and "lease ran out" are one test (`due <= now`) and claiming is one indexed UPDATE.
- Settling (`ack`, `retry`, `extend`, `dead_letter`) names the claim's lease token: once a
  lease was lost to another claim, the old holder's settle does nothing and says so (False).
- `attempts` counts claims, like SQS's ApproximateReceiveCount: an item that is claimed more
  than `Kind.max_attempts` times without being settled (it crashes the server each time) is
  dead-lettered instead of handed out again.
- Order: by due time, then enqueue order; best effort, since parallel handlers and retries
  reorder.
- Idempotent enqueue: (kind, id) is unique while the item is queued; enqueuing it again does
  nothing (False).
- Wake-ups: `enqueue` wakes the kind's waiters. Every statement runs on the database's one
  thread, so a woken waiter's claim runs only after the enqueuing transaction has ended,
  committed or not (PostgreSQL gives the same by NOTIFY, delivered at commit).

All methods that take a connection run on the database thread (`Database.run`), inside the
caller's transaction if there is one; docs/design.md ("The work queue") maps every user onto
them and sketches the PostgreSQL backend.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import sqlite3
import threading
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from stratus.store.clock import Clock
from stratus.store.db import Database, Schema, transaction

SCHEMA = Schema(
    "work",
    """
CREATE TABLE IF NOT EXISTS work_items (
    kind     TEXT NOT NULL,            -- who handles it (Kind.name)
    id       TEXT NOT NULL,            -- unique per kind: enqueue is idempotent
    subject  TEXT NOT NULL DEFAULT '', -- what it is about (a function, a target): purge by it
    payload  BLOB NOT NULL,
    due      REAL NOT NULL,            -- epoch seconds; a claim moves it to the lease's end
    attempts INTEGER NOT NULL DEFAULT 0, -- claims so far
    enqueued REAL NOT NULL,
    lease    TEXT,                     -- the token of the last claim, NULL once retried
    PRIMARY KEY (kind, id)
);
CREATE INDEX IF NOT EXISTS work_items_due ON work_items (kind, due);
CREATE TABLE IF NOT EXISTS work_dead (
    kind     TEXT NOT NULL,
    id       TEXT NOT NULL,
    subject  TEXT NOT NULL,
    payload  BLOB NOT NULL,
    attempts INTEGER NOT NULL,
    enqueued REAL NOT NULL,
    died     REAL NOT NULL,
    reason   TEXT NOT NULL,
    PRIMARY KEY (kind, id)
);
""",
)

_MAX_DOUBLINGS = 30  # 2**30 x the first delay is past any sensible cap; avoids float overflow


@dataclass(frozen=True, slots=True)
class Kind:
    """One kind of work and its rules; declared once, as a constant, by whoever handles it."""

    name: str
    lease_s: float = 60.0  # how long a claim hides an item; holders extend it while working
    max_attempts: int | None = None  # claims before the item is dead-lettered; None: no limit
    backoff: tuple[float, float] = (1.0, 300.0)  # first and longest retry delay, doubling

    def retry_delay(self, attempts: int) -> float:
        """The default wait before the next attempt, after `attempts` claims."""
        first, most = self.backoff
        return min(first * 2.0 ** min(max(attempts - 1, 0), _MAX_DOUBLINGS), most)


@dataclass(frozen=True, slots=True)
class WorkItem:
    """A claimed item: the claimer's to settle while `lease` is its."""

    kind: Kind
    id: str
    subject: str
    payload: bytes
    attempts: int  # claims so far, this one included
    enqueued: float
    lease: str


@dataclass(frozen=True, slots=True)
class DeadItem:
    kind: str
    id: str
    subject: str
    payload: bytes
    attempts: int
    enqueued: float
    died: float
    reason: str


@dataclass(frozen=True, slots=True)
class KindStatistics:
    queued: int  # waiting for a claim: due now or later (a lapsed lease counts here)
    due: int  # of those, claimable now
    leased: int  # claimed, lease still running
    dead: int


@dataclass(frozen=True, slots=True)
class WorkStatistics:
    kinds: dict[str, KindStatistics]  # kinds with no items, live or dead, are absent

    def idle(self) -> bool:
        """Nothing is being worked on and nothing is due."""
        return all(k.due == 0 and k.leased == 0 for k in self.kinds.values())


_DUE = "SELECT rowid FROM work_items WHERE kind = ? AND due <= ? ORDER BY due, rowid LIMIT ?"
_LEASE = (
    "UPDATE work_items SET lease = ?, due = ?, attempts = attempts + 1 WHERE rowid IN ({}) "
    "RETURNING rowid, id, subject, payload, attempts, enqueued"
)

_STATISTICS = """
SELECT kind, SUM(lease IS NULL OR due <= :now), SUM(due <= :now),
       SUM(lease IS NOT NULL AND due > :now), 0
FROM work_items GROUP BY kind
UNION ALL
SELECT kind, 0, 0, 0, COUNT(*) FROM work_dead GROUP BY kind
"""


class WorkQueue:
    """The queue over one database, telling time by `clock`."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock
        self._holder = uuid.uuid4().hex[:12]  # lease tokens: this queue's, numbered
        self._claims = itertools.count(1)
        self._lock = threading.Lock()  # listeners are changed on the loop, read on the db thread
        self._listeners: dict[str, set[tuple[asyncio.AbstractEventLoop, asyncio.Event]]] = {}

    # -- putting work in ------------------------------------------------------------------
    def enqueue(
        self,
        conn: sqlite3.Connection,
        kind: Kind,
        id: str,
        payload: bytes,
        *,
        subject: str = "",
        due: float | None = None,
    ) -> bool:
        """Queue an item, due at `due` (None: now). False if (kind, id) is already queued."""
        now = self.clock.now()
        added = carry_over(
            conn, kind, id, payload, subject=subject, due=now if due is None else due, enqueued=now
        )
        if added:
            self.wake(kind)
        return added

    def enqueue_claimed(
        self, conn: sqlite3.Connection, kind: Kind, id: str, payload: bytes, *, subject: str = ""
    ) -> WorkItem | None:
        """Queue an item already claimed by the caller (leased, one attempt), waking no one:
        for a handler that settles one item and will run the next itself (`Worker.adopt`),
        saving the claim round. Durable as any item: a crash leaves it leased, and the
        kind's worker recovers it at its next start. None if (kind, id) is already queued."""
        now = self.clock.now()
        token = f"{self._holder}-{next(self._claims)}"
        added = conn.execute(
            "INSERT INTO work_items (kind, id, subject, payload, due, attempts, enqueued, lease)"
            " VALUES (?, ?, ?, ?, ?, 1, ?, ?) ON CONFLICT (kind, id) DO NOTHING",
            (kind.name, id, subject, payload, now + kind.lease_s, now, token),
        ).rowcount
        return WorkItem(kind, id, subject, payload, 1, now, token) if added else None

    def purge(self, conn: sqlite3.Connection, kind: Kind, subject: str) -> int:
        """Forget every queued item of `kind` about `subject` (claimed ones too)."""
        return conn.execute(
            "DELETE FROM work_items WHERE kind = ? AND subject = ?", (kind.name, subject)
        ).rowcount

    # -- taking work out ------------------------------------------------------------------
    def claim(self, conn: sqlite3.Connection, kind: Kind, limit: int) -> list[WorkItem]:
        """Lease up to `limit` due items, earliest first, for `kind.lease_s` seconds."""
        if limit <= 0:
            return []
        now = self.clock.now()
        token = f"{self._holder}-{next(self._claims)}"
        with _atomic(conn):
            order = [row[0] for row in conn.execute(_DUE, (kind.name, now, limit))]
            if not order:
                return []
            leased = conn.execute(
                _LEASE.format(",".join("?" * len(order))), (token, now + kind.lease_s, *order)
            ).fetchall()
            rows = {row[0]: row for row in leased}
            items = [
                WorkItem(kind, row[1], row[2], row[3], row[4], row[5], token)
                for row in (rows[rowid] for rowid in order)
            ]
            if kind.max_attempts is None:
                return items
            worn = {item.id for item in items if item.attempts > kind.max_attempts}
            for item in items:
                if item.id in worn:
                    ran_out = f"its lease ran out {item.attempts - 1} times (a crash each time?)"
                    self.dead_letter(conn, item, ran_out)
        return [item for item in items if item.id not in worn]

    def ack(self, conn: sqlite3.Connection, item: WorkItem) -> bool:
        """Done: delete the item. False if its lease was lost (then another claim has it)."""
        return _settled(
            conn.execute(
                "DELETE FROM work_items WHERE kind = ? AND id = ? AND lease = ?", _key(item)
            )
        )

    def retry(
        self,
        conn: sqlite3.Connection,
        item: WorkItem,
        *,
        delay: float | None = None,
        payload: bytes | None = None,
        reason: str = "",
    ) -> bool:
        """Make the item due again after `delay` (None: the kind's backoff), carrying
        `payload` if given. An item out of attempts is dead-lettered instead, with `reason`.
        False if its lease was lost."""
        kind = item.kind
        if kind.max_attempts is not None and item.attempts >= kind.max_attempts:
            gave_up = f"gave up after {item.attempts} attempts"
            return self.dead_letter(conn, item, f"{gave_up}: {reason}" if reason else gave_up)
        wait = kind.retry_delay(item.attempts) if delay is None else delay
        return _settled(
            conn.execute(
                "UPDATE work_items SET due = ?, lease = NULL, payload = coalesce(?, payload) "
                "WHERE kind = ? AND id = ? AND lease = ?",
                (self.clock.now() + wait, payload, *_key(item)),
            )
        )

    def extend(
        self, conn: sqlite3.Connection, items: Sequence[WorkItem], seconds: float | None = None
    ) -> None:
        """Keep `items` hidden for `seconds` (None: their kind's lease) from now on; items
        whose lease was lost are left alone."""
        now = self.clock.now()
        conn.executemany(
            "UPDATE work_items SET due = ? WHERE kind = ? AND id = ? AND lease = ?",
            [
                (now + (item.kind.lease_s if seconds is None else seconds), *_key(item))
                for item in items
            ],
        )

    def dead_letter(self, conn: sqlite3.Connection, item: WorkItem, reason: str) -> bool:
        """Move the item to `work_dead`, where it stays (listed by `dead`) until removed by
        hand. False if its lease was lost."""
        with _atomic(conn):
            if not self.ack(conn, item):
                return False
            conn.execute(
                "INSERT OR REPLACE INTO work_dead "
                "(kind, id, subject, payload, attempts, enqueued, died, reason) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    item.kind.name,
                    item.id,
                    item.subject,
                    item.payload,
                    item.attempts,
                    item.enqueued,
                    self.clock.now(),
                    reason,
                ),
            )
        return True

    def recover(self, conn: sqlite3.Connection, kind: Kind) -> int:
        """Make every claimed item of `kind` due now. Only for the one worker of a kind, at
        its start: in a single server those leases were held by a process that is gone."""
        now = self.clock.now()
        return conn.execute(
            "UPDATE work_items SET due = ?, lease = NULL "
            "WHERE kind = ? AND lease IS NOT NULL AND due > ?",
            (now, kind.name, now),
        ).rowcount

    # -- looking ----------------------------------------------------------------------------
    def next_due(self, conn: sqlite3.Connection, kind: Kind) -> float | None:
        """The earliest due time of `kind`'s items (a lease's end for a claimed one)."""
        due: float | None = conn.execute(
            "SELECT MIN(due) FROM work_items WHERE kind = ?", (kind.name,)
        ).fetchone()[0]
        return due

    def dead(self, conn: sqlite3.Connection, kind: Kind, limit: int = 100) -> list[DeadItem]:
        rows = conn.execute(
            "SELECT kind, id, subject, payload, attempts, enqueued, died, reason FROM work_dead "
            "WHERE kind = ? ORDER BY died LIMIT ?",
            (kind.name, limit),
        ).fetchall()
        return [DeadItem(*row) for row in rows]

    def statistics(self, conn: sqlite3.Connection) -> WorkStatistics:
        counts: dict[str, list[int]] = {}
        for kind, *numbers in conn.execute(_STATISTICS, {"now": self.clock.now()}):
            total = counts.setdefault(kind, [0, 0, 0, 0])
            for index, number in enumerate(numbers):
                total[index] += number
        return WorkStatistics({kind: KindStatistics(*total) for kind, total in counts.items()})

    async def wait_statistics(self) -> WorkStatistics:
        return await self.db.run(self.statistics)

    # -- wake-ups ---------------------------------------------------------------------------
    @contextlib.contextmanager
    def listening(self, kind: Kind) -> Iterator[asyncio.Event]:
        """An event set whenever an item of `kind` is enqueued (from any thread)."""
        listener = (asyncio.get_running_loop(), asyncio.Event())
        with self._lock:
            self._listeners.setdefault(kind.name, set()).add(listener)
        try:
            yield listener[1]
        finally:
            with self._lock:
                self._listeners[kind.name].discard(listener)

    def wake(self, kind: Kind) -> None:
        with self._lock:
            listeners = list(self._listeners.get(kind.name, ()))
        for loop, woken in listeners:
            if woken.is_set():
                # Already told, and not yet cleared: its next claim runs on the database
                # thread after this transaction, so it sees this item without another
                # cross-thread wake (a batch enqueueing N items wakes once, not N times).
                continue
            with contextlib.suppress(RuntimeError):  # that loop has closed: no one listens
                loop.call_soon_threadsafe(woken.set)


def carry_over(
    conn: sqlite3.Connection,
    kind: Kind,
    id: str,
    payload: bytes,
    *,
    subject: str,
    due: float,
    enqueued: float,
    attempts: int = 0,
) -> bool:
    """Queue an item with its history, waking no one: for migrations that move work from a
    table of its own into the queue. False if (kind, id) is already queued."""
    return bool(
        conn.execute(
            "INSERT INTO work_items (kind, id, subject, payload, due, attempts, enqueued) "
            "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (kind, id) DO NOTHING",
            (kind.name, id, subject, payload, due, attempts, enqueued),
        ).rowcount
    )


def _key(item: WorkItem) -> tuple[str, str, str]:
    return item.kind.name, item.id, item.lease


def _settled(cursor: sqlite3.Cursor) -> bool:
    return cursor.rowcount == 1


@contextlib.contextmanager
def _atomic(conn: sqlite3.Connection) -> Iterator[None]:
    """A transaction of its own, or part of the caller's."""
    if conn.in_transaction:
        yield
        return
    with transaction(conn):
        yield
