"""EventBridge Scheduler: schedule groups, schedules, and the two workers that run them.

    a schedule, ENABLED   -> one pending fire item, due at its next fire time (kind
                             scheduler.fire, subject = the schedule's ARN); Create, Update and
                             Delete purge it and plan afresh, in the same transaction
    fire                  -> in one transaction: the fire item acknowledged, one delivery item
                             staged (kind scheduler.delivery, due at the fire time plus a random
                             point of the FlexibleTimeWindow), the next fire enqueued; with no
                             next fire the schedule is complete (ActionAfterCompletion DELETE
                             deletes it then)
    delivery              -> Targets.wait_invoke (bridges.py): the Input as it is, context
                             attributes filled in for this attempt. NotFound / Invalid / TooLarge
                             (the target cannot take it) is not retried; other failures are,
                             with the kind's backoff, while attempts <= MaximumRetryAttempts
                             (0-185, default 185) and the invocation is younger than
                             MaximumEventAgeInSeconds (60-86,400, default 24 h); then the
                             DeadLetterConfig queue gets the Input with AWS's attributes

Missed runs (the server was down, or a test's clock jumped): a fire item claimed late fires
once, for the latest missed time younger than the target's MaximumEventAgeInSeconds, and
goes on from the next time after now (timing.plans.catch_up): never a storm.

Why a package beside `events` and not inside it: Scheduler is its own AWS API with its own
resources, ARNs and delivery contract (the Input as it is, not an event envelope; a bus is
one of its targets). The two share only the time language, `stratus.timing`, below both.
"""

from __future__ import annotations

import asyncio
import logging
import math
import random
import sqlite3
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from stratus.config import Settings
from stratus.errors import Conflict, Invalid, NotFound, StratusError, TooLarge, Validation
from stratus.schedules import store
from stratus.schedules.model import (
    DEFAULT_GROUP,
    Schedule,
    ScheduleGroup,
    ScheduleSpec,
    check_target,
)
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
    parse_flexible_time_window,
    scheduler_plan,
)

log = logging.getLogger("stratus.schedules")

FIRES = Kind("scheduler.fire", lease_s=60.0)
DELIVERIES = Kind("scheduler.delivery", lease_s=60.0, backoff=(1.0, 300.0))
PARALLEL_DELIVERIES = 64


class SchedulerService:
    def __init__(self, settings: Settings, db: Database, work: WorkQueue, targets: Targets) -> None:
        self.settings = settings
        self._db = db
        self._work = work
        self._clock = work.clock
        self._targets = targets
        self._fires = Worker(work, FIRES, self._wait_fire, 8)
        self._deliveries = Worker(work, DELIVERIES, self._wait_deliver, PARALLEL_DELIVERIES)
        now = float(math.floor(self._clock.now()))
        default = ScheduleGroup(DEFAULT_GROUP, self.group_arn(DEFAULT_GROUP), now, now)
        db.run_blocking(lambda conn: store.insert_group(conn, default))

    # -- names ------------------------------------------------------------------------------
    def _arn(self, resource: str) -> str:
        return f"arn:aws:scheduler:{self.settings.region}:{self.settings.account_id}:{resource}"

    def group_arn(self, name: str) -> str:
        return self._arn(f"schedule-group/{name}")

    def schedule_arn(self, group: str, name: str) -> str:
        return self._arn(f"schedule/{group}/{name}")

    def _now(self) -> float:
        return float(math.floor(self._clock.now()))  # whole seconds, as AWS's dates

    # -- groups -----------------------------------------------------------------------------
    async def create_group(self, name: str, tags: dict[str, str]) -> str:
        now = self._now()
        group = ScheduleGroup(name, self.group_arn(name), now, now)

        def create(conn: sqlite3.Connection) -> None:
            with transaction(conn):
                if not store.insert_group(conn, group):
                    raise Conflict(f"Schedule group {name} already exists.")
                store.tag(conn, group.arn, tags)

        await self._db.run(create)
        return group.arn

    async def group(self, name: str) -> ScheduleGroup:
        found = await self._db.run(lambda conn: store.group(conn, name))
        if found is None:
            raise NotFound(f"Schedule group {name} does not exist.")
        return found

    async def groups(self, prefix: str) -> list[ScheduleGroup]:
        return await self._db.run(lambda conn: store.groups(conn, prefix))

    async def delete_group(self, name: str) -> None:
        """The group and every schedule in it (AWS deletes them asynchronously)."""
        if name == DEFAULT_GROUP:
            raise Validation("The default schedule group cannot be deleted.")

        def delete(conn: sqlite3.Connection) -> None:
            with transaction(conn):
                group = store.group(conn, name)
                if group is None:
                    raise NotFound(f"Schedule group {name} does not exist.")
                for schedule in store.schedules(conn, name, "", None):
                    self._forget(conn, schedule)
                store.delete_group(conn, name)
                store.forget_tags(conn, group.arn)

        await self._db.run(delete)

    # -- tags (schedule groups only, as on AWS) ---------------------------------------------
    async def tags(self, arn: str) -> dict[str, str]:
        await self._wait_group_of(arn)
        return await self._db.run(lambda conn: store.tags(conn, arn))

    async def tag(self, arn: str, tags: dict[str, str]) -> None:
        await self._wait_group_of(arn)
        await self._db.run(lambda conn: store.tag(conn, arn, tags))

    async def untag(self, arn: str, keys: list[str]) -> None:
        await self._wait_group_of(arn)
        await self._db.run(lambda conn: store.untag(conn, arn, keys))

    async def _wait_group_of(self, arn: str) -> None:
        prefix = self.group_arn("")
        if not arn.startswith(prefix):
            raise NotFound(f"Resource {arn} does not exist.")
        await self.group(arn.removeprefix(prefix))

    # -- schedules --------------------------------------------------------------------------
    async def create_schedule(self, spec: ScheduleSpec) -> str:
        now = self._now()
        schedule = self._checked(spec, created=now, modified=now)

        def create(conn: sqlite3.Connection) -> None:
            with transaction(conn):
                self._check_group(conn, spec.group)
                existing = store.schedule(conn, spec.group, spec.name)
                if existing is not None:
                    # The same request again (boto3 retrying with its ClientToken): done.
                    if spec.client_token and existing.client_token == spec.client_token:
                        return
                    raise Conflict(f"Schedule {spec.name} already exists.")
                store.put_schedule(conn, schedule)
                self._plan_fire(conn, schedule)

        await self._db.run(create)
        return schedule.arn

    async def update_schedule(self, spec: ScheduleSpec) -> str:
        now = self._now()

        def update(conn: sqlite3.Connection) -> str:
            with transaction(conn):
                self._check_group(conn, spec.group)
                old = store.schedule(conn, spec.group, spec.name)
                if old is None:
                    raise NotFound(f"Schedule {spec.name} does not exist.")
                schedule = self._checked(spec, created=old.created, modified=now)
                store.put_schedule(conn, schedule)
                self._plan_fire(conn, schedule)
                return schedule.arn

        return await self._db.run(update)

    async def schedule(self, group: str | None, name: str) -> Schedule:
        group = group or DEFAULT_GROUP
        found = await self._db.run(lambda conn: store.schedule(conn, group, name))
        if found is None:
            raise NotFound(f"Schedule {name} does not exist.")
        return found

    async def schedules(self, group: str | None, prefix: str, state: str | None) -> list[Schedule]:
        return await self._db.run(lambda conn: store.schedules(conn, group, prefix, state))

    async def delete_schedule(self, group: str | None, name: str) -> None:
        group = group or DEFAULT_GROUP

        def delete(conn: sqlite3.Connection) -> None:
            with transaction(conn):
                schedule = store.schedule(conn, group, name)
                if schedule is None:
                    raise NotFound(f"Schedule {name} does not exist.")
                self._forget(conn, schedule)

        await self._db.run(delete)

    def _checked(self, spec: ScheduleSpec, *, created: float, modified: float) -> Schedule:
        """The schedule `spec` describes, refused (Validation) where AWS refuses it."""
        check_target(spec.target)
        parse_flexible_time_window(spec.window_mode, spec.window_minutes)
        schedule = Schedule(
            group=spec.group,
            name=spec.name,
            arn=self.schedule_arn(spec.group, spec.name),
            expression=spec.expression,
            target=spec.target,
            created=created,
            modified=modified,
            state=spec.state,
            timezone=spec.timezone,
            start=None if spec.start is None else spec.start.timestamp(),
            end=None if spec.end is None else spec.end.timestamp(),
            window_mode=spec.window_mode,
            window_minutes=spec.window_minutes,
            action_after_completion=spec.action_after_completion,
            description=spec.description,
            kms_key_arn=spec.kms_key_arn,
            client_token=spec.client_token,
        )
        _plan(schedule)  # the expression, zone and dates
        if schedule.end is not None and schedule.end <= self._clock.now():
            raise Validation("The EndDate must be in the future.")
        return schedule

    @staticmethod
    def _check_group(conn: sqlite3.Connection, group: str) -> None:
        if store.group(conn, group) is None:
            raise NotFound(f"Schedule group {group} does not exist.")

    def _forget(self, conn: sqlite3.Connection, schedule: Schedule) -> None:
        store.delete_schedule(conn, schedule.group, schedule.name)
        self._work.purge(conn, FIRES, schedule.arn)

    # -- firing -----------------------------------------------------------------------------
    async def wait_run_forever(self) -> None:
        async with asyncio.TaskGroup() as tasks:
            tasks.create_task(self._fires.wait_run_forever())
            tasks.create_task(self._deliveries.wait_run_forever())

    def _plan_fire(self, conn: sqlite3.Connection, schedule: Schedule) -> None:
        """Keep exactly one pending fire for an enabled schedule, none otherwise."""
        self._work.purge(conn, FIRES, schedule.arn)
        if schedule.state != "ENABLED":
            return
        fire = _plan(schedule).next_fire(datetime.fromtimestamp(self._clock.now(), UTC))
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
                missed = catch_up(_plan(schedule), scheduled - timedelta(microseconds=1), now, age)
                if missed.fire_for is not None:
                    self._stage(conn, schedule, missed.fire_for)
                if missed.next_fire is not None:
                    self._enqueue_fire(conn, schedule, missed.next_fire)
                elif schedule.action_after_completion == "DELETE":
                    self._forget(conn, schedule)

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


def _plan(schedule: Schedule) -> Plan:
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
