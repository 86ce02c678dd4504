"""Running schedules: their fires and their invocations, on the durable work queue.

    a schedule, ENABLED   -> one pending fire item, due at its next fire time (kind
                             scheduler.fire, subject = the schedule's ARN); the service's
                             Create, Update and Delete call `plan` / `forget` in their own
                             transaction, which purge it and plan afresh
    fire                  -> in one transaction: the fire item acknowledged, one delivery item
                             staged (kind scheduler.delivery, due at the fire time plus a random
                             point of the FlexibleTimeWindow), the next fire enqueued; with no
                             next fire the schedule is complete (ActionAfterCompletion DELETE
                             deletes it then)
    delivery              -> Targets.wait_invoke (bridges.py): the Input as it is, context
                             attributes filled in for this attempt; a failure is retried or
                             given up as retries.after_failure says, and a given-up invocation
                             goes to the DeadLetterConfig queue with AWS's attributes

Missed runs (the server was down, or a test's clock jumped): a fire item claimed late fires
once, for the latest missed time younger than the target's MaximumEventAgeInSeconds, and
goes on from the next time after now (timing.plans.catch_up): never a storm.
"""

from __future__ import annotations

import asyncio
import logging
import random
import sqlite3
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from stratus.errors import Invalid, NotFound, StratusError, TooLarge
from stratus.schedules import store
from stratus.schedules.model import Schedule
from stratus.schedules.retries import AGE, GiveUp, after_failure
from stratus.schedules.targets import EMPTY_INPUT, Context, Invocation, Targets
from stratus.store.db import Database, transaction
from stratus.store.work import Kind, WorkItem, WorkQueue
from stratus.store.worker import Worker
from stratus.timing.plans import (
    FlexibleTimeWindow,
    Mode,
    Plan,
    catch_up,
    flexible_fire_time,
    scheduler_plan,
)

log = logging.getLogger("stratus.schedules")

FIRES = Kind("scheduler.fire", lease_s=60.0)
DELIVERIES = Kind("scheduler.delivery", lease_s=60.0, backoff=(1.0, 300.0))
PARALLEL_DELIVERIES = 64


class Runner:
    def __init__(self, db: Database, work: WorkQueue, targets: Targets) -> None:
        self._db = db
        self._work = work
        self._clock = work.clock
        self._targets = targets
        self._fires = Worker(work, FIRES, self._wait_fire, 8)
        self._deliveries = Worker(work, DELIVERIES, self._wait_deliver, PARALLEL_DELIVERIES)

    def forget(self, conn: sqlite3.Connection, schedule: Schedule) -> None:
        """Inside the caller's transaction: the schedule and its pending fire are gone."""
        store.delete_schedule(conn, schedule.group, schedule.name)
        self._work.purge(conn, FIRES, schedule.arn)

    async def wait_run_forever(self) -> None:
        async with asyncio.TaskGroup() as tasks:
            tasks.create_task(self._fires.wait_run_forever())
            tasks.create_task(self._deliveries.wait_run_forever())

    def plan(self, conn: sqlite3.Connection, schedule: Schedule) -> None:
        """Keep exactly one pending fire for an enabled schedule, none otherwise."""
        self._work.purge(conn, FIRES, schedule.arn)
        if schedule.state != "ENABLED":
            return
        fire = plan_of(schedule).next_fire(datetime.fromtimestamp(self._clock.now(), UTC))
        if fire is not None:
            self._enqueue_fire(conn, schedule, fire)

    def _enqueue_fire(self, conn: sqlite3.Connection, schedule: Schedule, at: datetime) -> None:
        payload = orjson.dumps({"group": schedule.group, "name": schedule.name,
                                "at": at.timestamp()})  # fmt: skip
        self._work.enqueue(
            conn, FIRES, f"{schedule.arn}@{at.timestamp()}", payload, subject=schedule.arn,
            due=at.timestamp(),
        )  # fmt: skip

    async def _wait_fire(self, item: WorkItem) -> None:
        fire = orjson.loads(item.payload)
        scheduled = datetime.fromtimestamp(fire["at"], UTC)
        now = datetime.fromtimestamp(self._clock.now(), UTC)

        def run(conn: sqlite3.Connection) -> None:
            with transaction(conn):
                if not self._work.ack(conn, item):
                    return
                schedule = store.schedule(conn, fire["group"], fire["name"])
                if schedule is None or schedule.state != "ENABLED":
                    return
                age = timedelta(seconds=schedule.max_age_s)
                missed = catch_up(
                    plan_of(schedule), scheduled - timedelta(microseconds=1), now, age
                )
                if missed.fire_for is not None:
                    self._stage(conn, schedule, missed.fire_for)
                if missed.next_fire is not None:
                    self._enqueue_fire(conn, schedule, missed.next_fire)
                elif schedule.action_after_completion == "DELETE":
                    self.forget(conn, schedule)

        await self._db.run(run)

    def _stage(self, conn: sqlite3.Connection, schedule: Schedule, scheduled: datetime) -> None:
        """Inside the fire's transaction: the invocation to make, due in the window."""
        execution = str(uuid.uuid4())
        invoke_at = flexible_fire_time(scheduled, _window(schedule), random.random())
        delivery = {
            "schedule": schedule.arn,
            "target": schedule.target,
            "scheduled": scheduled.timestamp(),
            "execution": execution,
            "retries": schedule.max_retries,
            "max_age": schedule.max_age_s,
            "dead_letter": schedule.dead_letter,
        }
        self._work.enqueue(
            conn, DELIVERIES, execution, orjson.dumps(delivery), subject=schedule.arn,
            due=max(invoke_at.timestamp(), self._clock.now()),
        )  # fmt: skip

    async def _wait_deliver(self, item: WorkItem) -> None:
        delivery = orjson.loads(item.payload)
        context = Context(
            delivery["schedule"], delivery["scheduled"], delivery["execution"], item.attempts
        )
        invocation = _invocation(delivery["target"], context)
        work = self._work
        if self._clock.now() - float(delivery["scheduled"]) > delivery["max_age"]:
            too_old = "The invocation is older than MaximumEventAgeInSeconds."
            await self._wait_give_up(item, delivery, invocation, AGE, too_old)
            return
        try:
            await self._targets.wait_invoke(invocation)
        except StratusError as exc:
            step = after_failure(
                exc, attempts=item.attempts, max_retries=delivery["retries"],
                age_s=self._clock.now() - float(delivery["scheduled"]),
                max_age_s=delivery["max_age"],
            )  # fmt: skip
            if isinstance(step, GiveUp):
                await self._wait_give_up(item, delivery, invocation, step.exhausted,
                                         exc.message, exc)  # fmt: skip
            else:
                reason = exc.message
                await work.db.run(lambda conn: work.retry(conn, item, reason=reason))
            return
        await work.db.run(lambda conn: work.ack(conn, item))

    async def _wait_give_up(
        self,
        item: WorkItem,
        delivery: dict[str, Any],
        invocation: Invocation,
        exhausted: str | None,
        message: str,
        error: StratusError | None = None,
    ) -> None:
        """To the schedule's dead-letter queue, if it has one (a dead-letter event: the
        Input as the body, what happened as message attributes); dropped otherwise."""
        log.warning("schedule %s: invoking %s failed: %s", delivery["schedule"],
                    invocation.arn, message)  # fmt: skip
        queue = delivery.get("dead_letter")
        if queue:
            attributes = {
                "ERROR_CODE": _error_code(error),
                "ERROR_MESSAGE": message,
                "INVOCATION_ID": delivery["execution"],
                "RETRY_ATTEMPTS": str(max(item.attempts - 1, 0)),
                "SCHEDULE_ARN": delivery["schedule"],
                "TARGET_ARN": invocation.arn,
            }
            if exhausted is not None:
                attributes["EXHAUSTED_RETRY_CONDITION"] = exhausted
            letter = Invocation(queue, invocation.input, f"{item.id}-dlq", attributes=attributes)
            try:
                await self._targets.wait_invoke(letter)
            except StratusError as exc:
                log.warning("dead-letter queue %s refused the event: %s", queue, exc.message)
        await self._work.db.run(lambda conn: self._work.ack(conn, item))


def plan_of(schedule: Schedule) -> Plan:
    """When `schedule` fires (Validation if its expression, zone or dates are wrong)."""

    def moment(epoch: float | None) -> datetime | None:
        return None if epoch is None else datetime.fromtimestamp(epoch, UTC)

    return scheduler_plan(
        schedule.expression,
        datetime.fromtimestamp(schedule.created, UTC),
        schedule.timezone,
        moment(schedule.start),
        moment(schedule.end),
    )


def _window(schedule: Schedule) -> FlexibleTimeWindow:
    if schedule.window_mode != Mode.FLEXIBLE or schedule.window_minutes is None:
        return FlexibleTimeWindow()
    return FlexibleTimeWindow(Mode.FLEXIBLE, timedelta(minutes=schedule.window_minutes))


def _invocation(target: dict[str, Any], context: Context) -> Invocation:
    bus = target.get("EventBridgeParameters") or {}
    return Invocation(
        arn=target["Arn"],
        input=context.fill(str(target.get("Input") or EMPTY_INPUT)),
        id=context.execution_id,
        message_group_id=(target.get("SqsParameters") or {}).get("MessageGroupId"),
        detail_type=bus.get("DetailType"),
        source=bus.get("Source"),
    )


def _error_code(error: StratusError | None) -> str:
    if isinstance(error, NotFound):
        return "AWS.Scheduler.ResourceNotFoundException"
    if isinstance(error, Invalid | TooLarge):
        return "AWS.Scheduler.ValidationException"
    if error is None:
        return "AWS.Scheduler.EventAgeExceeded"
    return "AWS.Scheduler.InternalServerError"
