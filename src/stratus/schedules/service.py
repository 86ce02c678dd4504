"""EventBridge Scheduler: schedule groups and schedules, their rules and their rows.

Each change to a schedule plans its next fire in the same transaction (runner.py runs the
fires and the invocations). AWS's rules the botocore model cannot state are checked here and
in model.py, as ValidationExceptions; a missing group or schedule is ResourceNotFound, a
name taken ConflictException.

Why a package beside `events` and not inside it: Scheduler is its own AWS API with its own
resources, ARNs and delivery contract (the Input as it is, not an event envelope; a bus is
one of its targets). The two share only the time language, `stratus.timing`, below both.
"""

from __future__ import annotations

import math
import sqlite3

from stratus.config import Settings
from stratus.errors import Conflict, NotFound, Validation
from stratus.schedules import store
from stratus.schedules.model import (
    DEFAULT_GROUP,
    Schedule,
    ScheduleGroup,
    ScheduleSpec,
    check_target,
)
from stratus.schedules.runner import Runner, plan_of
from stratus.schedules.targets import Targets
from stratus.store.db import Database, transaction
from stratus.store.work import WorkQueue
from stratus.timing.plans import parse_flexible_time_window


class SchedulerService:
    def __init__(self, settings: Settings, db: Database, work: WorkQueue, targets: Targets) -> None:
        self.settings = settings
        self._db = db
        self._clock = work.clock
        self._runner = Runner(db, work, targets)
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
                    self._runner.forget(conn, schedule)
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
                self._runner.plan(conn, schedule)

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
                self._runner.plan(conn, schedule)
                return schedule.arn

        return await self._db.run(update)

    async def schedule(self, group: str | None, name: str) -> Schedule:
        group = group or DEFAULT_GROUP
        found = await self._db.run(lambda conn: store.schedule(conn, group, name))
        if found is None:
            raise NotFound(f"Schedule {name} does not exist.")
        return found

    async def schedules(self, group: str | None, prefix: str, state: str | None) -> list[Schedule]:
        def read(conn: sqlite3.Connection) -> list[Schedule]:
            if group is not None:
                self._check_group(conn, group)  # ListSchedules of a missing group: NotFound
            return store.schedules(conn, group, prefix, state)

        return await self._db.run(read)

    async def delete_schedule(self, group: str | None, name: str) -> None:
        group = group or DEFAULT_GROUP

        def delete(conn: sqlite3.Connection) -> None:
            with transaction(conn):
                schedule = store.schedule(conn, group, name)
                if schedule is None:
                    raise NotFound(f"Schedule {name} does not exist.")
                self._runner.forget(conn, schedule)

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
        plan_of(schedule)  # the expression, zone and dates
        if schedule.end is not None and schedule.end <= self._clock.now():
            raise Validation("The EndDate must be in the future.")
        return schedule

    @staticmethod
    def _check_group(conn: sqlite3.Connection, group: str) -> None:
        if store.group(conn, group) is None:
            raise NotFound(f"Schedule group {group} does not exist.")

    async def wait_run_forever(self) -> None:
        await self._runner.wait_run_forever()
