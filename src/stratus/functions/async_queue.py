"""Asynchronous (Event) invocations: accepted durably, run in the background, retried, and
their outcome delivered.

An accepted event is a row in `async_invocations` before Invoke answers 202, so it survives
`kill -9` of the server and runs after the restart (at-least-once: an event that was running
when the server died runs again). The FunctionEventInvokeConfig of the qualifier it was
invoked with (functions/event_config.py) governs what follows, with AWS's defaults:

    MaximumRetryAttempts (2)          function errors are retried this often, after the
                                      delays in settings.async_retry_delays (the last repeats)
    MaximumEventAgeInSeconds (6 h)    older events are discarded; throttled attempts are
                                      retried with backoff until then
    DestinationConfig                 OnSuccess / OnFailure receive the invocation record

A discarded event (RetriesExhausted, EventAgeExceeded) also goes to the dead-letter queue of
the version that ran it, if any: the event alone, no record. A function with reserved
concurrency 0 runs no events: with an OnFailure destination or a dead-letter queue they go
there at once, unretried (ZeroReservedConcurrency, as AWS documents); without, they wait like
any throttled event.

    accept -> async_invocations -> attempt -> next_step() -> Retry: reschedule the row
                                                          -> Done:  one transaction deletes the
                                                             row and stages its deliveries

`next_step` is the rule, pure; the worker performs what it returns. Deliveries are staged in
the transaction that finishes the event (functions/destinations.py), so none is lost.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
import uuid
from dataclasses import dataclass
from typing import Literal

from stratus.errors import NotFound, NotReady, Throttled
from stratus.functions.destinations import Condition, LambdaDestination, invocation_record
from stratus.functions.event_config import FunctionEventInvokeConfig
from stratus.functions.inputs import check_payload
from stratus.functions.names import FunctionRef
from stratus.functions.service import ASYNC_PAYLOAD_LIMIT, FunctionService
from stratus.runtime.spec import InvokeResult
from stratus.store.db import Database, transaction

log = logging.getLogger("stratus.functions")

DEFAULT_MAX_RETRIES = 2
MAX_EVENT_AGE_S = 6 * 3600
THROTTLE_BACKOFF_S = (1.0, 300.0)  # first and maximum delay
MAX_PARALLEL = 64

Outcome = Literal["success", "error", "throttled", "refused"]  # refused: reserved concurrency 0


@dataclass(frozen=True, slots=True)
class Policy:
    """How one event is retried."""

    max_retries: int = DEFAULT_MAX_RETRIES
    max_age_s: float = MAX_EVENT_AGE_S
    retry_delays: tuple[float, ...] = (60.0, 120.0)

    @classmethod
    def of(
        cls, config: FunctionEventInvokeConfig | None, retry_delays: tuple[float, ...]
    ) -> Policy:
        retries = config.MaximumRetryAttempts if config else None
        age = config.MaximumEventAgeInSeconds if config else None
        return cls(
            DEFAULT_MAX_RETRIES if retries is None else retries,
            MAX_EVENT_AGE_S if age is None else age,
            retry_delays,
        )

    def retry_delay(self, retry: int) -> float:
        """The wait before retry number `retry` (from 1)."""
        if not self.retry_delays:
            return 0.0
        return self.retry_delays[min(retry, len(self.retry_delays)) - 1]


@dataclass(frozen=True, slots=True)
class Retry:
    delay: float


@dataclass(frozen=True, slots=True)
class Done:
    condition: Condition


def next_step(policy: Policy, outcome: Outcome, runs: int, age: float) -> Retry | Done:
    """What follows an attempt that ended in `outcome`, after `runs` runs of the function (a
    throttled attempt does not run it) and `age` seconds since the event was accepted."""
    if outcome == "success":
        return Done("Success")
    if outcome == "refused":
        return Done("ZeroReservedConcurrency")
    left = policy.max_age_s - age
    if outcome == "throttled":
        if left <= 0:
            return Done("EventAgeExceeded")
        # The older the event, the longer the wait: 1 s at first, at most 5 minutes, and
        # never past the event's maximum age (it gets one last try then).
        first, most = THROTTLE_BACKOFF_S
        return Retry(min(max(first, age), most, left))
    if runs > policy.max_retries:
        return Done("RetriesExhausted")
    delay = policy.retry_delay(runs)
    # A retry that would run after the event's maximum age is not made: it expires now.
    return Done("EventAgeExceeded") if delay > left else Retry(delay)


@dataclass(frozen=True, slots=True)
class Pending:
    id: str
    function_name: str
    qualifier: str
    payload: bytes
    attempts: int  # runs of the function so far
    received: float
    last: InvokeResult | None  # the last run's answer


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
        self._destinations = functions.destinations
        self._destinations.register("lambda", LambdaDestination(functions, self.accept))

    async def accept(self, ref: FunctionRef, payload: bytes, request_id: str | None = None) -> str:
        """Store the event durably and return its request id; raises if it cannot be run.

        A `request_id` already queued is not queued twice (a destination handing over the
        same record again)."""
        check_payload(payload, ASYNC_PAYLOAD_LIMIT)
        await self._functions.spec(ref)  # the function (and qualifier) must exist now
        request_id = request_id or str(uuid.uuid4())
        now = time.time()
        await self._db.run(
            lambda conn: conn.execute(
                "INSERT OR IGNORE INTO async_invocations "
                "(id, function_name, qualifier, payload, attempts, not_before, received) "
                "VALUES (?, ?, ?, ?, 0, ?, ?)",
                (request_id, ref.name, ref.qualifier or "$LATEST", payload, now, now),
            )
        )
        self._wake.set()
        return request_id

    async def wait_run_forever(self) -> None:
        async with asyncio.TaskGroup() as tasks:
            tasks.create_task(self._destinations.wait_run_forever())
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
            await self._wait_run(item)
        finally:
            self._in_flight.discard(item.id)
            self._slots.release()
            self._wake.set()

    async def _wait_run(self, item: Pending) -> None:
        ref = FunctionRef(item.function_name, item.qualifier)
        config = await self._functions.event_configs.lookup(ref)
        policy = Policy.of(config, self._retry_delays)
        if time.time() - item.received > policy.max_age_s:
            await self._wait_finish(item, config, "EventAgeExceeded", item.attempts, item.last)
            return
        runs, result = item.attempts, item.last
        try:
            result = await self._functions.invoke(ref, item.payload, request_id=item.id)
        except (Throttled, NotReady):  # not ready: a SnapStart version still Pending
            outcome: Outcome = "refused" if await self._wait_refused(item, config) else "throttled"
        except NotFound:
            log.warning(
                "async event %s dropped: function %s no longer exists",
                item.id,
                item.function_name,
            )
            await self._wait_finish(item, None, None, runs, result)
            return
        else:
            runs += 1
            outcome = "error" if result.function_error else "success"
        step = next_step(policy, outcome, runs, time.time() - item.received)
        if isinstance(step, Retry):
            await self._wait_reschedule(item, runs, step.delay, result)
        else:
            await self._wait_finish(item, config, step.condition, runs, result)

    async def _wait_refused(self, item: Pending, config: FunctionEventInvokeConfig | None) -> bool:
        """Whether a throttled event goes on at once: AWS sends the events of a function with
        reserved concurrency 0 to its OnFailure destination or dead-letter queue, unretried.
        Without either it is kept and retried like any throttled event, so setting the
        reservation back to none runs it."""
        if self._functions.invoker.concurrency.reserved(item.function_name) != 0:
            return False
        if config and config.destination(success=False):
            return True
        return await self._wait_dead_letter(item, item.last) is not None

    async def _wait_reschedule(
        self, item: Pending, runs: int, delay: float, last: InvokeResult | None
    ) -> None:
        await self._db.run(
            lambda conn: conn.execute(
                "UPDATE async_invocations SET attempts = ?, not_before = ?, last_response = ?, "
                "last_version = ?, last_error = ? WHERE id = ?",
                (
                    runs,
                    time.time() + delay,
                    last.payload if last else None,
                    last.executed_version if last else None,
                    last.function_error if last else None,
                    item.id,
                ),
            )
        )

    async def _wait_finish(
        self,
        item: Pending,
        config: FunctionEventInvokeConfig | None,
        condition: Condition | None,
        runs: int,
        last: InvokeResult | None,
    ) -> None:
        """Forget the event and, in the same transaction, stage where its outcome goes."""
        deliveries: list[tuple[str, bytes]] = []
        destination = config.destination(condition == "Success") if config else None
        if destination and condition:
            record = invocation_record(
                request_id=item.id,
                function_arn=self._functions.arn(item.function_name, item.qualifier),
                condition=condition,
                invoke_count=runs,
                event=item.payload,
                result=last,
                now=time.time(),
            )
            deliveries.append((destination, record))
        if condition and condition != "Success":
            dead_letter = await self._wait_dead_letter(item, last)
            if dead_letter:
                deliveries.append((dead_letter, item.payload))

        def finish(conn: sqlite3.Connection) -> None:
            with transaction(conn):
                conn.execute("DELETE FROM async_invocations WHERE id = ?", (item.id,))
                for arn, payload in deliveries:
                    self._destinations.stage(conn, arn, payload)

        await self._db.run(finish)
        if deliveries:
            self._destinations.wake()

    async def _wait_dead_letter(self, item: Pending, last: InvokeResult | None) -> str | None:
        """The dead-letter queue of the version that ran the event (or would have)."""
        version = last.executed_version if last else item.qualifier
        try:
            record = await self._functions.get(FunctionRef(item.function_name, version))
        except NotFound:
            return None
        dead_letter = record.configuration.DeadLetterConfig
        return dead_letter.TargetArn if dead_letter else None

    async def count(self) -> int:
        return await self._db.run(
            lambda conn: conn.execute("SELECT COUNT(*) FROM async_invocations").fetchone()[0]
        )


def _due(
    conn: sqlite3.Connection, now: float, in_flight: set[str]
) -> tuple[list[Pending], float | None]:
    rows = conn.execute(
        "SELECT id, function_name, qualifier, payload, attempts, received, not_before, "
        "last_response, last_version, last_error "
        "FROM async_invocations ORDER BY not_before LIMIT ?",
        (MAX_PARALLEL + len(in_flight),),
    ).fetchall()
    due, next_at = [], None
    for row in rows:
        if row["id"] in in_flight:
            continue
        if row["not_before"] <= now:
            last = None
            if row["last_version"] is not None:
                last = InvokeResult(row["last_response"], row["last_version"], row["last_error"])
            due.append(
                Pending(
                    row["id"],
                    row["function_name"],
                    row["qualifier"],
                    row["payload"],
                    row["attempts"],
                    row["received"],
                    last,
                )
            )
        elif next_at is None:
            next_at = row["not_before"]
    return due, next_at
