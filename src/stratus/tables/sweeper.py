"""The background sweep of tables: expired TTL items deleted, stream records past 24 hours
trimmed. One durable work item (`SWEEP`) runs it every minute while any table has TTL on
or any stream holds records; a chunk of rows per transaction, so the database thread is
never held for long. Deleting an expired item is a delete like any other (index entries,
stream record marked as the service's), re-checked against the item as it is now: an item
whose TTL moved on since it was found stays.
"""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Callable

from stratus.store.db import Database, transaction
from stratus.store.work import Kind, WorkItem, WorkQueue
from stratus.store.worker import Worker

from . import store, streams, ttl
from .model import Table

SWEEP = Kind("tables.sweep", lease_s=120.0)
SWEEP_ID = "sweep"
INTERVAL_S = 60.0
CHUNK = 500


class Sweeper:
    def __init__(
        self,
        db: Database,
        work: WorkQueue,
        tables: Callable[[], list[Table]],
        wrote: Callable[[Table], None] = lambda table: None,
    ) -> None:
        """`wrote`: told of each table whose expired items were deleted (their stream
        records wake the table's stream readers)."""
        self._db = db
        self._work = work
        self._tables = tables
        self._wrote = wrote
        self._worker = Worker(work, SWEEP, self._wait_sweep, 1)

    async def wait_run_forever(self) -> None:
        await self._worker.wait_run_forever()

    def schedule(self, conn: sqlite3.Connection) -> None:
        """Make sure a sweep is queued (in the caller's transaction); idempotent."""
        self._work.enqueue(conn, SWEEP, SWEEP_ID, b"", due=self._work.clock.now() + INTERVAL_S)

    async def _wait_sweep(self, item: WorkItem) -> None:
        now = self._work.clock.now()
        for table in self._tables():
            if table.ttl_attribute is not None:
                expire = functools.partial(self._expire_some, table=table, now=now)
                while await self._db.run(expire):
                    self._wrote(table)
        # Records are stamped with this same clock (TableService._stamp): their 24 hours
        # are counted on it.
        while await self._db.run(lambda conn: self._trim_some(conn, now)):
            pass

        # Read on the loop: the tables change there, never on the database thread.
        any_ttl = any(t.ttl_attribute is not None for t in self._tables())

        def settle(conn: sqlite3.Connection) -> None:
            with transaction(conn):
                self._work.ack(conn, item)
                if any_ttl or _records_left(conn):
                    self.schedule(conn)

        await self._db.run(settle)

    def _expire_some(self, conn: sqlite3.Connection, *, table: Table, now: float) -> int:
        # The table as committed now (an index or a stream may have come since the sweep
        # began); gone, or TTL turned off: nothing to do.
        live = next((t for t in self._tables() if t.id == table.id), None)
        if live is None or live.ttl_attribute is None:
            return 0
        table = live
        with transaction(conn):
            found = ttl.due(conn, table.id, now, CHUNK)
            for key in found:
                old = store.get(conn, table.id, *key)
                expiry = ttl.expires(old, table.ttl_attribute or "")
                if old is not None and expiry is not None and expiry <= now:
                    store.delete(conn, table, key, old, by_service=True, now=now)
                else:  # a stale row: the item changed without its row following
                    ttl.drop(conn, table.id, key)
            return len(found)

    def _trim_some(self, conn: sqlite3.Connection, now: float) -> int:
        with transaction(conn):
            return streams.trim(conn, now, CHUNK)


def _records_left(conn: sqlite3.Connection) -> bool:
    return conn.execute("SELECT 1 FROM dynamo_stream_records LIMIT 1").fetchone() is not None
