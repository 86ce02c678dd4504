"""CloudWatch Logs' store: log groups, their streams and events, kept in the database.

Functions write through `emit()`, which never blocks: events are batched in memory and written
by the `wait_flush_forever()` task (owned by the server's lifespan) every FLUSH_SECONDS, and
the group and stream they name appear with them, as Lambda creates `/aws/lambda/<name>` on a
function's first invocation. Clients write through `wait_put()` (PutLogEvents), which commits
before it answers and needs the group and stream to exist, as on AWS.

A group's retention applies on every flush sweep (at most once a minute) and when it is set:
older events are deleted, and readers never see them in between.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

import orjson

from stratus.errors import AlreadyExists, Conflict, Invalid, NotFound
from stratus.store.db import Database, transaction

from .insights import Queries
from .log_filters import GROUP_MISSING, LogFilters
from .query_definitions import QueryDefinitions

# Batches are written every FLUSH_SECONDS, or sooner once FLUSH_LINES are waiting. Readers
# flush first, so a longer interval costs no freshness; it keeps SQLite off the hot path.
FLUSH_SECONDS = 0.5
FLUSH_LINES = 2000
KNOWN_PAIRS_MAX = 4096  # (group, stream) pairs the writer remembers exist
RETENTION_SWEEP_SECONDS = 60.0
DAY_MS = 86_400_000
STREAM_MISSING = "The specified log stream does not exist."
# The values a retention policy takes (days).
RETENTION_DAYS = frozenset(
    {1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557,
     2922, 3288, 3653}
)  # fmt: skip


@dataclass(slots=True)  # not frozen: each flush makes one per line, and frozen costs twice
class LogEvent:
    id: int
    log_group: str
    log_stream: str
    timestamp: int  # epoch milliseconds
    message: str
    ingestion_time: int = 0


@dataclass(frozen=True, slots=True)
class LogGroup:
    name: str
    created: int
    retention_days: int | None
    tags: dict[str, str]
    kms_key_id: str | None
    log_group_class: str
    deletion_protection: bool
    stored_bytes: int
    metric_filters: int


@dataclass(frozen=True, slots=True)
class LogStream:
    name: str
    created: int
    first_event: int | None
    last_event: int | None
    last_ingestion: int | None
    stored_bytes: int


# Awaited with each batch once it is written (the live tail).
Listener = Callable[[list[LogEvent]], Awaitable[None]]
# Called with each batch inside the transaction that writes it (subscription filters: their
# deliveries are queued atomically with the events). It must not raise for the batch's sake.
Stager = Callable[[sqlite3.Connection, list[LogEvent]], None]


class LogStore:
    def __init__(self, db: Database) -> None:
        self._db = db
        self._pending: list[tuple[str, str, int, str]] = []
        # (group, stream) pairs the database holds: a batch creates only the others. Read
        # and changed on the database thread only, where deletes clear it.
        self._existing: set[tuple[str, str]] = set()
        self._full = asyncio.Event()
        self._swept = 0.0
        self.listeners: list[Listener] = []
        self.stagers: list[Stager] = []
        self.filters = LogFilters(db)
        self.queries = Queries()
        self.query_definitions = QueryDefinitions(db)

    def emit(self, log_group: str, log_stream: str, message: str, timestamp: int = 0) -> None:
        self._pending.append((log_group, log_stream, timestamp or now_ms(), message))
        if len(self._pending) >= FLUSH_LINES:
            self._full.set()

    async def wait_flush_forever(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(FLUSH_SECONDS):
                    await self._full.wait()
            self._full.clear()
            await self.wait_flush()
            if time.monotonic() - self._swept > RETENTION_SWEEP_SECONDS:
                self._swept = time.monotonic()
                await self._db.run(_apply_retention)

    async def wait_flush(self) -> None:
        if not self._pending:
            return
        batch, self._pending = self._pending, []
        stagers = tuple(self.stagers)
        existing = self._existing
        written = await self._db.run(lambda conn: _insert(conn, batch, stagers, create=existing))
        await self._wait_tell(written)

    async def _wait_tell(self, events: list[LogEvent]) -> None:
        for listener in self.listeners:
            await listener(events)

    # --- events ------------------------------------------------------------------------

    async def wait_put(self, group: str, stream: str, events: Sequence[tuple[int, str]]) -> None:
        """PutLogEvents' accepted events, committed before this returns."""
        await self.wait_flush()
        batch = [(group, stream, ts, message) for ts, message in events]

        stagers = tuple(self.stagers)

        def write(conn: sqlite3.Connection) -> list[LogEvent]:
            _stream_exists(conn, group, stream)
            return _insert(conn, batch, stagers, create=None)

        await self._wait_tell(await self._db.run(write))

    async def filter(
        self,
        log_group: str,
        *,
        start_ms: int = 0,
        end_ms: int | None = None,
        after_id: int = 0,
        limit: int = 10_000,
        stream_prefix: str = "",
        before_id: int | None = None,
        newest_first: bool = False,
    ) -> list[LogEvent]:
        await self.wait_flush()
        end = end_ms if end_ms is not None else 2**62
        order = "DESC" if newest_first else "ASC"

        def read(conn: sqlite3.Connection) -> list[LogEvent]:
            start = max(start_ms, _retained_since(conn, log_group))
            rows = conn.execute(
                "SELECT id, log_group, log_stream, timestamp, message FROM log_events "
                "WHERE log_group = ? AND id > ? AND id < ? AND timestamp >= ? "
                "AND timestamp <= ? AND log_stream LIKE ? ESCAPE '\\' "
                f"ORDER BY id {order} LIMIT ?",
                (
                    log_group,
                    after_id,
                    before_id if before_id is not None else 2**62,
                    start,
                    end,
                    _like_prefix(stream_prefix),
                    limit,
                ),
            ).fetchall()
            return [LogEvent(*row) for row in rows]

        return await self._db.run(read)

    # --- groups ------------------------------------------------------------------------

    async def create_group(
        self,
        name: str,
        tags: dict[str, str] | None = None,
        kms_key_id: str | None = None,
        log_group_class: str = "STANDARD",
        deletion_protection: bool = False,
    ) -> None:
        def insert(conn: sqlite3.Connection) -> None:
            try:
                conn.execute(
                    "INSERT INTO log_groups (name, created, tags, kms_key_id, log_group_class, "
                    "deletion_protection) VALUES (?, ?, ?, ?, ?, ?)",
                    (
                        name,
                        now_ms(),
                        orjson.dumps(tags or {}).decode(),
                        kms_key_id,
                        log_group_class,
                        int(deletion_protection),
                    ),
                )
            except sqlite3.IntegrityError as exc:
                raise AlreadyExists("The specified log group already exists") from exc

        await self.wait_flush()
        await self._db.run(insert)

    async def groups(self, names: Sequence[str] | None = None) -> list[LogGroup]:
        """Every group in name order, or the ones named (that exist)."""
        await self.wait_flush()

        def read(conn: sqlite3.Connection) -> list[LogGroup]:
            rows = conn.execute(
                "SELECT g.name, g.created, g.retention_days, g.tags, g.kms_key_id, "
                "g.log_group_class, g.deletion_protection, "
                "(SELECT COALESCE(SUM(LENGTH(message)), 0) FROM log_events e "
                " WHERE e.log_group = g.name), "
                "(SELECT COUNT(*) FROM log_filters f WHERE f.log_group = g.name "
                " AND f.kind = 'metric') FROM log_groups g ORDER BY g.name"
            ).fetchall()
            wanted = set(names) if names is not None else None
            return [
                LogGroup(
                    row[0],
                    row[1],
                    row[2],
                    orjson.loads(row[3]),
                    row[4],
                    row[5],
                    bool(row[6]),
                    row[7],
                    row[8],
                )
                for row in rows
                if wanted is None or row[0] in wanted
            ]

        return await self._db.run(read)

    async def group(self, name: str) -> LogGroup:
        found = await self.groups([name])
        if not found:
            raise NotFound(GROUP_MISSING)
        return found[0]

    async def delete_group(self, log_group: str) -> None:
        await self.wait_flush()

        def remove(conn: sqlite3.Connection) -> None:
            self._existing.clear()
            with transaction(conn):
                _group_exists(conn, log_group)
                protected = conn.execute(
                    "SELECT deletion_protection FROM log_groups WHERE name = ?", (log_group,)
                ).fetchone()[0]
                if protected:
                    raise Conflict(
                        "Log group deletion protection is enabled; turn it off first "
                        "(PutLogGroupDeletionProtection)"
                    )
                conn.execute("DELETE FROM log_events WHERE log_group = ?", (log_group,))
                conn.execute("DELETE FROM log_groups WHERE name = ?", (log_group,))

        await self._db.run(remove)

    async def set_retention(self, log_group: str, days: int | None) -> None:
        if days is not None and days not in RETENTION_DAYS:
            raise Invalid(
                f"1 validation error detected: Value '{days}' at 'retentionInDays' failed to "
                f"satisfy constraint: Member must satisfy enum value set: "
                f"[{', '.join(str(d) for d in sorted(RETENTION_DAYS))}]"
            )

        def write(conn: sqlite3.Connection) -> None:
            with transaction(conn):
                _group_exists(conn, log_group)
                conn.execute(
                    "UPDATE log_groups SET retention_days = ? WHERE name = ?", (days, log_group)
                )
                _apply_retention(conn)

        await self.wait_flush()
        await self._db.run(write)

    async def set_deletion_protection(self, log_group: str, enabled: bool) -> None:
        def write(conn: sqlite3.Connection) -> None:
            with transaction(conn):
                _group_exists(conn, log_group)
                conn.execute(
                    "UPDATE log_groups SET deletion_protection = ? WHERE name = ?",
                    (int(enabled), log_group),
                )

        await self._db.run(write)

    async def retag(self, log_group: str, add: dict[str, str], remove: Sequence[str]) -> None:
        def write(conn: sqlite3.Connection) -> None:
            with transaction(conn):
                _group_exists(conn, log_group)
                (raw,) = conn.execute(
                    "SELECT tags FROM log_groups WHERE name = ?", (log_group,)
                ).fetchone()
                tags = {**orjson.loads(raw), **add}
                for key in remove:
                    tags.pop(key, None)
                conn.execute(
                    "UPDATE log_groups SET tags = ? WHERE name = ?",
                    (orjson.dumps(tags).decode(), log_group),
                )

        await self.wait_flush()
        await self._db.run(write)

    # --- streams -----------------------------------------------------------------------

    async def create_stream(self, log_group: str, name: str) -> None:
        def insert(conn: sqlite3.Connection) -> None:
            with transaction(conn):
                _group_exists(conn, log_group)
                try:
                    conn.execute(
                        "INSERT INTO log_streams (log_group, name, created) VALUES (?, ?, ?)",
                        (log_group, name, now_ms()),
                    )
                except sqlite3.IntegrityError as exc:
                    raise AlreadyExists("The specified log stream already exists") from exc

        await self.wait_flush()
        await self._db.run(insert)

    async def delete_stream(self, log_group: str, name: str) -> None:
        def remove(conn: sqlite3.Connection) -> None:
            self._existing.clear()
            with transaction(conn):
                _stream_exists(conn, log_group, name)
                conn.execute(
                    "DELETE FROM log_events WHERE log_group = ? AND log_stream = ?",
                    (log_group, name),
                )
                conn.execute(
                    "DELETE FROM log_streams WHERE log_group = ? AND name = ?", (log_group, name)
                )

        await self.wait_flush()
        await self._db.run(remove)

    async def streams(self, log_group: str) -> list[LogStream]:
        """The group's streams, in creation order; NotFound if the group does not exist."""
        await self.wait_flush()

        def read(conn: sqlite3.Connection) -> list[LogStream]:
            _group_exists(conn, log_group)
            since = _retained_since(conn, log_group)
            rows = conn.execute(
                "SELECT s.name, s.created, MIN(e.timestamp), MAX(e.timestamp), MAX(e.id), "
                "COALESCE(SUM(LENGTH(e.message)), 0) FROM log_streams s "
                "LEFT JOIN log_events e ON e.log_group = s.log_group AND e.log_stream = s.name "
                "AND e.timestamp >= ? WHERE s.log_group = ? GROUP BY s.name "
                "ORDER BY s.created, s.rowid",
                (since, log_group),
            ).fetchall()
            return [LogStream(r[0], r[1], r[2], r[3], r[3], r[5]) for r in rows]

        return await self._db.run(read)


def group_name(identifier: str) -> str:
    """A group named by name or ARN (…:log-group:NAME or …:log-group:NAME:*)."""
    if identifier.startswith("arn:"):
        _, _, rest = identifier.partition(":log-group:")
        return rest.removesuffix(":*").partition(":log-stream:")[0]
    return identifier


def now_ms() -> int:
    return int(time.time() * 1000)


def _group_exists(conn: sqlite3.Connection, log_group: str) -> None:
    if not conn.execute("SELECT 1 FROM log_groups WHERE name = ?", (log_group,)).fetchone():
        raise NotFound(GROUP_MISSING)


def _stream_exists(conn: sqlite3.Connection, log_group: str, stream: str) -> None:
    _group_exists(conn, log_group)
    found = conn.execute(
        "SELECT 1 FROM log_streams WHERE log_group = ? AND name = ?", (log_group, stream)
    ).fetchone()
    if not found:
        raise NotFound(STREAM_MISSING)


def _retained_since(conn: sqlite3.Connection, log_group: str) -> int:
    """The oldest timestamp the group's retention keeps (0: everything)."""
    row = conn.execute(
        "SELECT retention_days FROM log_groups WHERE name = ?", (log_group,)
    ).fetchone()
    if row is None or row[0] is None:
        return 0
    return now_ms() - int(row[0]) * DAY_MS


def _apply_retention(conn: sqlite3.Connection) -> None:
    """Delete every event older than its group's retention."""
    now = now_ms()
    conn.execute(
        "DELETE FROM log_events WHERE id IN (SELECT e.id FROM log_events e JOIN log_groups g "
        "ON g.name = e.log_group WHERE g.retention_days IS NOT NULL "
        "AND e.timestamp < ? - g.retention_days * ?)",
        (now, DAY_MS),
    )


# Rows per INSERT statement. sqlite3 releases the GIL around every statement step, and
# executemany steps once per row: with the server busy, each release is a thread switch
# (bench/gateway.py saw ~1.6 per gateway request). 200 rows x 4 values stays under the
# 999-variable limit of older SQLite builds.
_ROWS_PER_INSERT = 200


def _insert(
    conn: sqlite3.Connection,
    batch: list[tuple[str, str, int, str]],
    stagers: Sequence[Stager],
    *,
    create: set[tuple[str, str]] | None,
) -> list[LogEvent]:
    """Write the batch. With `create` (the (group, stream) pairs known to exist), the
    groups and streams it names that are not known appear too, and become known."""
    written: list[LogEvent] = []
    now = now_ms()
    new = (
        []
        if create is None
        else [p for p in dict.fromkeys(r[:2] for r in batch) if p not in create]
    )
    with transaction(conn):
        for group, stream in new:
            conn.execute(
                "INSERT OR IGNORE INTO log_groups (name, created) VALUES (?, ?)", (group, now)
            )
            conn.execute(
                "INSERT OR IGNORE INTO log_streams (log_group, name, created) VALUES (?, ?, ?)",
                (group, stream, now),
            )
        for start in range(0, len(batch), _ROWS_PER_INSERT):
            rows = batch[start : start + _ROWS_PER_INSERT]
            # One writer, in a transaction, and AUTOINCREMENT: the rows' ids are consecutive
            # and end at lastrowid. (RETURNING hands the GIL over once per row fetched: with
            # the event loop busy, a 2,000-line batch took twice the CPU and held the loop up
            # to ~100 ms at a time, against ~5 ms now.)
            last = conn.execute(
                "INSERT INTO log_events (log_group, log_stream, timestamp, message) VALUES "
                + ",".join(["(?,?,?,?)"] * len(rows)),
                [value for row in rows for value in row],
            ).lastrowid
            assert last is not None  # (an INSERT sets it)
            first = last - len(rows) + 1
            written += [LogEvent(first + i, *row, ingestion_time=now) for i, row in enumerate(rows)]
        for stage in stagers:
            stage(conn, written)
    if create is not None:
        if len(create) + len(new) > KNOWN_PAIRS_MAX:
            create.clear()  # every environment's start names a new stream: not kept forever
        create.update(new)  # committed
    return written


def _like_prefix(prefix: str) -> str:
    escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped + "%"
