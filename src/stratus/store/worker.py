"""The one loop that runs due work: claims items of one kind and hands each to a handler.

    recover (what an earlier run of the server held)
    loop: keep the leases it holds alive
          claim what is due, up to the free slots; start a handler for each item
          wait until the next due time, the next keep-alive, an enqueue or a finished handler

The handler settles its item itself (`ack`, `retry` or `dead_letter`), usually in one
transaction with what the work wrote, which is what makes a step and its follow-up work
commit together. An item a handler leaves unsettled comes back when its lease runs out.
A handler that queued its follow-up already claimed (`WorkQueue.enqueue_claimed`) hands it
its slot (`adopt`): the same coroutine runs it next, with no claim round or wake-up.

A handler that raises has a bug, not an outcome: the item is retried with its kind's backoff
and dead-lettered after the kind's `max_attempts`, and the error is logged with its
traceback. One poison item must not stop the server, the other items, or (raising again at
every start) the restarted server.

Leases are renewed a third of the way through, every item in one statement, and before each
claim: the worker never claims an item it is still running, however late its loop woke.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import sqlite3
from collections.abc import Awaitable, Callable

from stratus.store.work import Kind, WorkItem, WorkQueue

log = logging.getLogger("stratus.work")

Handler = Callable[[WorkItem], Awaitable[None]]


class Worker:
    def __init__(self, queue: WorkQueue, kind: Kind, handle: Handler, parallel: int) -> None:
        self._queue = queue
        self._kind = kind
        self._handle = handle
        self._parallel = parallel
        self._held: dict[str, WorkItem] = {}  # claimed and still running, by id
        self._renew_at = 0.0
        self._running = False
        # item id -> the item its handler handed its slot to (adopt): run next, in the same
        # coroutine (a chain costs no task, no claim round and no wake-up per item)
        self._handed: dict[str, WorkItem] = {}

    async def wait_run_forever(self) -> None:
        queue, kind = self._queue, self._kind
        await queue.db.run(lambda conn: queue.recover(conn, kind))
        with queue.listening(kind) as woken:
            async with asyncio.TaskGroup() as tasks:
                self._running = True
                while True:
                    woken.clear()
                    claimed, wake_at = await self._wait_round()
                    for item in claimed:
                        self._held[item.id] = item
                        tasks.create_task(self._wait_handle(item, woken))
                    await queue.clock.wait_until(wake_at, woken)

    def adopt(self, handing_on: WorkItem, item: WorkItem) -> bool:
        """Run `item`, which the handler of `handing_on` claimed itself (`enqueue_claimed`),
        in that handler's slot: no claim round, no wake-up. Called by that handler before it
        returns; its slot then is not reported free. False if the worker is not running
        (the item's lease runs out and the next start's recovery makes it due)."""
        if not self._running or handing_on.id not in self._held or item.id in self._held:
            return False
        if handing_on.id in self._handed:
            return False  # one follow-up per slot
        self._held[item.id] = item
        self._handed[handing_on.id] = item
        return True

    async def _wait_round(self) -> tuple[list[WorkItem], float | None]:
        """Renew, claim, and say when to look again unless woken: at the next renewal if
        anything is held, at the next due item if a slot is still free (else a finished
        handler wakes the loop)."""
        queue, kind = self._queue, self._kind
        held, free = list(self._held.values()), self._parallel - len(self._held)
        renew = bool(held) and queue.clock.now() >= self._renew_at
        if renew or not held:
            self._renew_at = queue.clock.now() + kind.lease_s / 3

        def step(conn: sqlite3.Connection) -> tuple[list[WorkItem], float | None]:
            if renew:
                queue.extend(conn, held)
            claimed = queue.claim(conn, kind, free)
            due = queue.next_due(conn, kind) if len(claimed) < free else None
            return claimed, due

        claimed, due = await queue.db.run(step)
        times = [self._renew_at] if held or claimed else []
        return claimed, min([*times, *([] if due is None else [due])], default=None)

    async def _wait_handle(self, first: WorkItem, woken: asyncio.Event) -> None:
        item: WorkItem | None = first
        while item is not None:
            try:
                await self._handle(item)
            except Exception as exc:  # a bug in the handler: see the module docstring
                log.exception(
                    "%s item %s failed (attempt %d)", item.kind.name, item.id, item.attempts
                )
                reason = f"{type(exc).__name__}: {exc}"
                retry = functools.partial(self._queue.retry, item=item, reason=reason)
                await self._queue.db.run(retry)
            finally:
                del self._held[item.id]
            item = self._handed.pop(item.id, None)  # its slot went to the item it handed on
        woken.set()  # a slot is free
