"""Asynchronous (Event) invocations: accepted durably, run in the background, retried, and
their outcome delivered.

An accepted event is a work item (store/work.py, kind ASYNC_EVENTS; its stored form in
functions/async_event.py) before Invoke answers 202, so it survives `kill -9` of the server
and runs after the restart (at-least-once: an event that was running when the server died
runs again). The FunctionEventInvokeConfig of the qualifier it was
invoked with (functions/event_config.py) governs what follows, with AWS's defaults:

    MaximumRetryAttempts (2)          function errors are retried this often, after the
                                      delays in settings.async_retry_delays (the last repeats)
    MaximumEventAgeInSeconds (6 h)    older events are discarded; throttled attempts are
                                      retried with backoff until then
    DestinationConfig                 OnSuccess / OnFailure receive the invocation record

A discarded event (RetriesExhausted, EventAgeExceeded) also goes to the dead-letter queue of
the version that ran it, if any: the event alone, no record, with AWS's RequestID, ErrorCode
and ErrorMessage attributes (destinations.DeadLetter). A function with reserved
concurrency 0 runs no events: with an OnFailure destination or a dead-letter queue they go
there at once, unretried (ZeroReservedConcurrency, as AWS documents); without, they wait like
any throttled event.

    accept -> work item -> attempt -> next_step() -> Retry: the item is due again later
                                                  -> Done:  one transaction acknowledges the
                                                     item and stages its deliveries

`next_step` is the rule, pure; the worker performs what it returns. Deliveries are staged in
the transaction that finishes the event (functions/destinations.py), so none is lost.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import uuid
from dataclasses import dataclass, replace
from typing import Literal

from stratus.errors import NotFound, NotReady, Throttled
from stratus.functions.async_event import AsyncEvent
from stratus.functions.destinations import (
    Condition,
    DeadLetter,
    LambdaDestination,
    invocation_record,
)
from stratus.functions.event_config import FunctionEventInvokeConfig
from stratus.functions.inputs import check_event_payload
from stratus.functions.names import FunctionRef
from stratus.functions.schema import ASYNC_EVENTS
from stratus.functions.service import ASYNC_PAYLOAD_LIMIT, FunctionService
from stratus.store.db import transaction
from stratus.store.work import WorkItem, WorkQueue
from stratus.store.worker import Worker

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


class AsyncInvocations:
    def __init__(
        self, work: WorkQueue, functions: FunctionService, retry_delays: tuple[float, ...]
    ) -> None:
        self._work = work
        self._clock = work.clock
        self._functions = functions
        self._retry_delays = retry_delays
        self._worker = Worker(work, ASYNC_EVENTS, self._wait_run, MAX_PARALLEL)
        self._destinations = functions.destinations
        self._destinations.register("lambda", LambdaDestination(functions, self.accept))

    async def accept(self, ref: FunctionRef, payload: bytes, request_id: str | None = None) -> str:
        """Store the event durably and return its request id; raises if it cannot be run.

        A `request_id` already queued is not queued twice (a destination handing over the
        same record again)."""
        check_event_payload(payload, ASYNC_PAYLOAD_LIMIT)
        await self._functions.spec(ref)  # the function (and qualifier) must exist now
        request_id = request_id or str(uuid.uuid4())
        event = AsyncEvent(ref.qualifier or "$LATEST", payload, self._clock.now())
        await self._work.db.run(
            lambda conn: self._work.enqueue(
                conn, ASYNC_EVENTS, request_id, event.encode(), subject=ref.name
            )
        )
        return request_id

    def stage(
        self, conn: sqlite3.Connection, ref: FunctionRef, payload: bytes, request_id: str
    ) -> None:
        """Queue an event inside the caller's transaction (a log subscription's delivery,
        written with the log events it carries). The function is not checked here: one that
        is gone when the event runs is dropped, as for any queued event."""
        check_event_payload(payload, ASYNC_PAYLOAD_LIMIT)
        event = AsyncEvent(ref.qualifier or "$LATEST", payload, self._clock.now())
        self._work.enqueue(conn, ASYNC_EVENTS, request_id, event.encode(), subject=ref.name)

    async def wait_run_forever(self) -> None:
        async with asyncio.TaskGroup() as tasks:
            tasks.create_task(self._destinations.wait_run_forever())
            tasks.create_task(self._worker.wait_run_forever())

    async def _wait_run(self, item: WorkItem) -> None:
        event = AsyncEvent.decode(item.payload)
        ref = FunctionRef(item.subject, event.qualifier)
        config = await self._functions.event_configs.lookup(ref)
        policy = Policy.of(config, self._retry_delays)
        if self._clock.now() - event.received > policy.max_age_s:
            await self._wait_finish(item, event, config, "EventAgeExceeded")
            return
        try:
            result = await self._functions.invoke(ref, event.payload, request_id=item.id)
        except (Throttled, NotReady):  # not ready: a SnapStart version still Pending
            refused = await self._wait_refused(item, event, config)
            outcome: Outcome = "refused" if refused else "throttled"
        except NotFound:
            log.warning("async event %s dropped: function %s no longer exists", item.id, ref.name)
            await self._wait_finish(item, event, None, None)
            return
        else:
            event = replace(event, runs=event.runs + 1, last=result)
            outcome = "error" if result.function_error else "success"
        step = next_step(policy, outcome, event.runs, self._clock.now() - event.received)
        if isinstance(step, Retry):
            await self._work.db.run(
                lambda conn: self._work.retry(conn, item, delay=step.delay, payload=event.encode())
            )
        else:
            await self._wait_finish(item, event, config, step.condition)

    async def _wait_refused(
        self, item: WorkItem, event: AsyncEvent, config: FunctionEventInvokeConfig | None
    ) -> bool:
        """Whether a throttled event goes on at once: AWS sends the events of a function with
        reserved concurrency 0 to its OnFailure destination or dead-letter queue, unretried.
        Without either it is kept and retried like any throttled event, so setting the
        reservation back to none runs it."""
        if self._functions.reserved_concurrency(item.subject) != 0:
            return False
        if config and config.destination(success=False):
            return True
        return await self._wait_dead_letter(item, event) is not None

    async def _wait_finish(
        self,
        item: WorkItem,
        event: AsyncEvent,
        config: FunctionEventInvokeConfig | None,
        condition: Condition | None,
    ) -> None:
        """Forget the event and, in the same transaction, stage where its outcome goes."""
        deliveries: list[tuple[str, bytes]] = []
        letters: list[tuple[str, DeadLetter]] = []
        destination = config.destination(condition == "Success") if config else None
        if destination and condition:
            record = invocation_record(
                request_id=item.id,
                function_arn=self._functions.arn(item.subject, event.qualifier),
                condition=condition,
                invoke_count=event.runs,
                event=event.payload,
                result=event.last,
                now=self._clock.now(),
            )
            deliveries.append((destination, record))
        if condition and condition != "Success":
            dead_letter = await self._wait_dead_letter(item, event)
            if dead_letter:
                letter = DeadLetter.of(item.id, event.payload, event.last)
                letters.append((dead_letter, letter))

        def finish(conn: sqlite3.Connection) -> None:
            with transaction(conn):
                if not self._work.ack(conn, item):
                    return  # no longer ours: whoever holds it now finishes it
                for arn, payload in deliveries:
                    self._destinations.stage(conn, arn, payload)
                for arn, letter in letters:
                    self._destinations.stage_dead_letter(conn, arn, letter)

        await self._work.db.run(finish)

    async def _wait_dead_letter(self, item: WorkItem, event: AsyncEvent) -> str | None:
        """The dead-letter queue of the version that ran the event (or would have)."""
        version = event.last.executed_version if event.last else event.qualifier
        try:
            record = await self._functions.get(FunctionRef(item.subject, version))
        except NotFound:
            return None
        dead_letter = record.configuration.DeadLetterConfig
        return dead_letter.TargetArn if dead_letter else None
