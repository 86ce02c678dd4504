"""Asynchronous (Event) invocations: accepted durably, run in the background, retried.

An accepted event is a row in `async_invocations` before Invoke answers 202, so it survives
`kill -9` of the server and runs after the restart. As on AWS, a function error is retried
twice (about 1 and 2 minutes later by default), and a throttled attempt is retried with
backoff until the event is six hours old. Destinations and DLQs plug in at `_finish`.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
import uuid
from dataclasses import dataclass

from stratus.errors import ResourceNotFound, Throttled
from stratus.functions.names import FunctionRef
from stratus.functions.service import ASYNC_PAYLOAD_LIMIT, FunctionService, check_payload
from stratus.store.db import Database

log = logging.getLogger("stratus.functions")

MAX_EVENT_AGE_S = 6 * 3600
THROTTLE_BACKOFF_S = (1.0, 300.0)  # first and maximum delay
MAX_PARALLEL = 64


@dataclass(frozen=True, slots=True)
class Pending:
    id: str
    function_name: str
    qualifier: str
    payload: bytes
    attempts: int
    received: float


class AsyncInvocations:
    def __init__(
        self, db: Database, functions: FunctionService, retry_delays: tuple[float, ...]
    ) -> None:
        self._db = db
        self._functions = functions
        self._retry_delays = retry_delays
        self._wake = asyncio.Event()
        self._in_flight: set[str] = set()
        self._slots = asyncio.Semaphore(MAX_PARALLEL)

    async def accept(self, ref: FunctionRef, payload: bytes) -> str:
        """Store the event durably and return its request id; raises if it cannot be run."""
        check_payload(payload, ASYNC_PAYLOAD_LIMIT)
        await self._functions.spec(ref)  # the function (and qualifier) must exist now
        request_id = str(uuid.uuid4())
        now = time.time()
        await self._db.run(
            lambda conn: conn.execute(
                "INSERT INTO async_invocations "
                "(id, function_name, qualifier, payload, attempts, not_before, received) "
                "VALUES (?, ?, ?, ?, 0, ?, ?)",
                (request_id, ref.name, ref.qualifier or "$LATEST", payload, now, now),
            )
        )
        self._wake.set()
        return request_id

    async def wait_run_forever(self) -> None:
        async with asyncio.TaskGroup() as tasks:
            while True:
                self._wake.clear()
                due, next_at = await self._db.run(lambda c: _due(c, time.time(), self._in_flight))
                for item in due:
                    self._in_flight.add(item.id)
                    await self._slots.acquire()
                    tasks.create_task(self._wait_attempt(item))
                timeout = None if next_at is None else max(next_at - time.time(), 0.01)
                try:
                    async with asyncio.timeout(timeout):
                        await self._wake.wait()
                except TimeoutError:
                    pass

    async def _wait_attempt(self, item: Pending) -> None:
        try:
            ref = FunctionRef(item.function_name, item.qualifier)
            try:
                result = await self._functions.invoke(ref, item.payload, request_id=item.id)
            except Throttled:
                await self._wait_retry_throttled(item)
                return
            except ResourceNotFound:
                log.warning(
                    "async event %s dropped: function %s no longer exists",
                    item.id,
                    item.function_name,
                )
                await self._wait_finish(item)
                return
            attempts = item.attempts + 1
            if result.function_error and attempts <= len(self._retry_delays):
                await self._wait_reschedule(item, attempts, self._retry_delays[attempts - 1])
            else:
                await self._wait_finish(item)
        finally:
            self._in_flight.discard(item.id)
            self._slots.release()
            self._wake.set()

    async def _wait_retry_throttled(self, item: Pending) -> None:
        age = time.time() - item.received
        if age > MAX_EVENT_AGE_S:
            log.warning("async event %s dropped: older than %d s", item.id, MAX_EVENT_AGE_S)
            await self._wait_finish(item)
            return
        first, most = THROTTLE_BACKOFF_S
        # The older the event, the longer the wait: 1 s at first, at most 5 minutes.
        await self._wait_reschedule(item, item.attempts, min(max(first, age), most))

    async def _wait_reschedule(self, item: Pending, attempts: int, delay: float) -> None:
        await self._db.run(
            lambda conn: conn.execute(
                "UPDATE async_invocations SET attempts = ?, not_before = ? WHERE id = ?",
                (attempts, time.time() + delay, item.id),
            )
        )

    async def _wait_finish(self, item: Pending) -> None:
        await self._db.run(
            lambda conn: conn.execute("DELETE FROM async_invocations WHERE id = ?", (item.id,))
        )

    async def count(self) -> int:
        return await self._db.run(
            lambda conn: conn.execute("SELECT COUNT(*) FROM async_invocations").fetchone()[0]
        )


def _due(
    conn: sqlite3.Connection, now: float, in_flight: set[str]
) -> tuple[list[Pending], float | None]:
    rows = conn.execute(
        "SELECT id, function_name, qualifier, payload, attempts, received, not_before "
        "FROM async_invocations ORDER BY not_before LIMIT ?",
        (MAX_PARALLEL + len(in_flight),),
    ).fetchall()
    due, next_at = [], None
    for row in rows:
        if row["id"] in in_flight:
            continue
        if row["not_before"] <= now:
            due.append(
                Pending(
                    row["id"],
                    row["function_name"],
                    row["qualifier"],
                    row["payload"],
                    row["attempts"],
                    row["received"],
                )
            )
        elif next_at is None:
            next_at = row["not_before"]
    return due, next_at
