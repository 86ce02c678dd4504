"""Function logs: CloudWatch-shaped log groups and streams, kept in the database.

Writers call `emit()`, which never blocks: events are batched in memory and written by the
`wait_flush_forever()` task (owned by the server's lifespan) every FLUSH_SECONDS.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import time
from dataclasses import dataclass

from stratus.store.db import Database, transaction

# Batches are written every FLUSH_SECONDS, or sooner once FLUSH_LINES are waiting. Readers
# flush first, so a longer interval costs no freshness; it keeps SQLite off the hot path.
FLUSH_SECONDS = 0.5
FLUSH_LINES = 2000


@dataclass(frozen=True, slots=True)
class LogEvent:
    id: int
    log_group: str
    log_stream: str
    timestamp: int  # epoch milliseconds
    message: str


class LogStore:
    def __init__(self, db: Database) -> None:
        self._db = db
        self._pending: list[tuple[str, str, int, str]] = []
        self._full = asyncio.Event()

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

    async def wait_flush(self) -> None:
        if not self._pending:
            return
        batch, self._pending = self._pending, []
        await self._db.run(lambda conn: _insert(conn, batch))

    async def filter(
        self,
        log_group: str,
        *,
        start_ms: int = 0,
        end_ms: int | None = None,
        after_id: int = 0,
        limit: int = 10_000,
        stream_prefix: str = "",
    ) -> list[LogEvent]:
        await self.wait_flush()
        end = end_ms if end_ms is not None else 2**62
        rows = await self._db.run(
            lambda conn: conn.execute(
                "SELECT id, log_group, log_stream, timestamp, message FROM log_events "
                "WHERE log_group = ? AND id > ? AND timestamp >= ? AND timestamp <= ? "
                "AND log_stream LIKE ? ESCAPE '\\' ORDER BY id LIMIT ?",
                (log_group, after_id, start_ms, end, _like_prefix(stream_prefix), limit),
            ).fetchall()
        )
        return [LogEvent(*row) for row in rows]

    async def streams(self, log_group: str) -> list[tuple[str, int, int]]:
        """(stream, first timestamp, last timestamp) for each stream of a group."""
        await self.wait_flush()
        return await self._db.run(
            lambda conn: [
                tuple(row)
                for row in conn.execute(
                    "SELECT log_stream, MIN(timestamp), MAX(timestamp) FROM log_events "
                    "WHERE log_group = ? GROUP BY log_stream ORDER BY MAX(id)",
                    (log_group,),
                )
            ]
        )

    async def delete_group(self, log_group: str) -> None:
        await self.wait_flush()
        await self._db.run(
            lambda conn: conn.execute("DELETE FROM log_events WHERE log_group = ?", (log_group,))
        )


def now_ms() -> int:
    return int(time.time() * 1000)


# Rows per INSERT statement. sqlite3 releases the GIL around every statement step, and
# executemany steps once per row: with the server busy, each release is a thread switch
# (bench/gateway.py saw ~1.6 per gateway request). 200 rows x 4 values stays under the
# 999-variable limit of older SQLite builds.
_ROWS_PER_INSERT = 200


def _insert(conn: sqlite3.Connection, batch: list[tuple[str, str, int, str]]) -> None:
    with transaction(conn):
        for start in range(0, len(batch), _ROWS_PER_INSERT):
            rows = batch[start : start + _ROWS_PER_INSERT]
            conn.execute(
                "INSERT INTO log_events (log_group, log_stream, timestamp, message) VALUES "
                + ",".join(["(?,?,?,?)"] * len(rows)),
                [value for row in rows for value in row],
            )


def _like_prefix(prefix: str) -> str:
    escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped + "%"
