"""Group commit of settled work items: many steps, one transaction.

Each task or timer item ends in "ack the item, step the run with its signal, write the run,
its events and its next items", in one transaction: that is what makes a transition exactly
once. Committing each in its own transaction costs a commit and a hop to the database thread
per transition, which bounded durable Task chains to ~800 transitions/s. Settles that arrive
while one batch is being written wait and go together in the next:

    handler -> settle(item, arn, signal) -> queued -> [one db.run: BEGIN; ack+step x N; COMMIT]
                                                   -> every handler of the batch resumes

Exactly-once holds per item as before: each item's ack and its step are in the same
transaction (now with others'); a crash before the COMMIT redoes all of them from their
committed runs. If the batch fails (a bug, a full disk), each item is settled again alone, so
one bad item fails only its own handler (which the worker retries and dead-letters).

A settle may claim the item's follow-up work in the same transaction (the next Task of a
chain, executions.py); what it claimed is what `wait_settle` returns, for the handler to run
next without a claim round.
"""

from __future__ import annotations

import asyncio
import functools
import sqlite3
from collections.abc import Callable

from stratus.store.db import Database, transaction
from stratus.store.work import WorkItem
from stratus.workflows import interpreter

# (conn, item, execution arn, signal): ack the item and, if it was still ours, step the
# run; the follow-up item it claimed for the caller, if any
Settle = Callable[[sqlite3.Connection, WorkItem, str, interpreter.Signal], WorkItem | None]
_Order = tuple[WorkItem, str, interpreter.Signal, "asyncio.Future[WorkItem | None]"]


class Settler:
    def __init__(self, db: Database, settle: Settle) -> None:
        self._db, self._settle = db, settle
        self._queued: list[_Order] = []
        self._writer: asyncio.Task[None] | None = None

    async def wait_settle(
        self, item: WorkItem, arn: str, signal: interpreter.Signal
    ) -> WorkItem | None:
        """Return once the item's settle has committed (raise if it could not): the
        follow-up item it claimed, if any."""
        done: asyncio.Future[WorkItem | None] = asyncio.get_running_loop().create_future()
        self._queued.append((item, arn, signal, done))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._wait_write())
        return await done

    async def _wait_write(self) -> None:
        while self._queued:
            batch, self._queued = self._queued, []
            try:
                claimed = await self._db.run(functools.partial(self._settle_all, batch=batch))
            except Exception:  # settle each alone: only the bad one fails
                for order in batch:
                    await self._wait_alone(order)
                continue
            for (*_, done), next_item in zip(batch, claimed, strict=True):
                if not done.done():
                    done.set_result(next_item)

    def _settle_all(
        self, conn: sqlite3.Connection, *, batch: list[_Order]
    ) -> list[WorkItem | None]:
        with transaction(conn):
            return [self._settle(conn, item, arn, signal) for item, arn, signal, _ in batch]

    async def _wait_alone(self, order: _Order) -> None:
        done = order[3]
        try:
            claimed = await self._db.run(functools.partial(self._settle_all, batch=[order]))
        except Exception as exc:
            if not done.done():
                done.set_exception(exc)
        else:
            if not done.done():
                done.set_result(claimed[0])
