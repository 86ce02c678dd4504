"""The event bus service: buses, rules, targets, PutEvents, and the two workers behind them.

    PutEvents -> match each enabled rule of the bus -> one delivery item per target,
                 all in one transaction, before the answer          (kind events.delivery)
    delivery worker -> the target (a function's async invoke, a queue, a topic)
                    -> failed: retried with backoff while the target's RetryPolicy allows
                       (MaximumRetryAttempts 0-185, default 185; MaximumEventAgeInSeconds
                       60-86,400, default 24 h), then to its DeadLetterConfig queue, if any;
                       a target that does not exist (or refuses the payload) goes there at once
    scheduled rule  -> one pending fire item per rule, due at its next fire time (kind
                       events.schedule); firing stages the "Scheduled Event" deliveries and
                       the next fire in one transaction. A fire claimed late (the server was
                       down) fires once, for the latest time missed (timing.plans.catch_up).

Deliveries go through `deliver(arn, payload, delivery_id)`, given by the composition root
(bridges.BusTargets: log groups, and the functions' destination registry for the other
kinds of model.TARGET_KINDS); the delivery's id is the Lambda request id, so a delivery
handed over twice (a crash between hand-over and ack) runs once.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import math
import sqlite3
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from stratus.config import Settings
from stratus.errors import (
    AlreadyExists,
    Invalid,
    NotFound,
    StratusError,
    Throttled,
    TooLarge,
    Validation,
)
from stratus.events import store
from stratus.events.archives import REPLAYS, Archives
from stratus.events.connections import Connections
from stratus.events.model import (
    DEFAULT_BUS,
    MAX_ENTRIES_SIZE,
    MAX_TARGETS,
    Rule,
    Target,
    check_bus_name,
    check_rule_name,
    check_target,
    entry_size,
    target_kind,
)
from stratus.events.resources import Resources
from stratus.events.transform import (
    RuleContext,
    TargetInput,
    log_record_refusal,
    parse_target_input,
)
from stratus.patterns.eventbridge import parse_event_pattern
from stratus.patterns.rule import Rule as Pattern
from stratus.store.db import Database, transaction
from stratus.store.work import Kind, WorkItem, WorkQueue
from stratus.store.worker import Worker
from stratus.timing.plans import catch_up, rule_plan

log = logging.getLogger("stratus.events")

DELIVERIES = Kind("events.delivery", lease_s=60.0, backoff=(1.0, 300.0))
FIRES = Kind("events.schedule", lease_s=60.0)
PARALLEL_DELIVERIES = 64

Deliver = Callable[[str, bytes, str], Awaitable[None]]  # target ARN, payload, delivery id
# A dead-letter message: queue ARN, body, message attributes (String), delivery id.
DeadLetter = Callable[[str, str, dict[str, str], str], Awaitable[None]]
PutResult = dict[str, str]  # {"EventId"} or {"ErrorCode", "ErrorMessage"}


@functools.lru_cache(maxsize=1024)
def _pattern(text: str) -> Pattern:
    return parse_event_pattern(text)


def iso(epoch: float) -> str:
    """AWS's event time: second precision, UTC, Z."""
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class EventBusService:
    def __init__(
        self,
        settings: Settings,
        db: Database,
        work: WorkQueue,
        deliver: Deliver,
        dead_letter: DeadLetter | None = None,
        permitted: Callable[[str, str], bool] | None = None,
    ) -> None:
        """`dead_letter` sends a DLQ message with attributes; without it `deliver` sends
        the bare event. `permitted(target, rule)`: whether the target lets the rule deliver
        to it (a function's resource policy, when signatures are checked)."""
        self.settings = settings
        self._permitted = permitted
        self._dead_letter = dead_letter
        self._db = db
        self._work = work
        self._clock = work.clock
        self._deliver = deliver
        self._deliveries = Worker(work, DELIVERIES, self._wait_deliver, PARALLEL_DELIVERIES)
        self._fires = Worker(work, FIRES, self._wait_fire, 8)
        self.archives = Archives(settings, db, work, self._route, self.bus_arn)
        self.resources = Resources(settings, db, self._clock.now)
        self.connections = Connections(settings, db, self._clock.now)
        self._replays = Worker(work, REPLAYS, self.archives.wait_step, 2)
        db.run_blocking(lambda conn: store.insert_bus(conn, DEFAULT_BUS, None, 0.0))

    # -- names ------------------------------------------------------------------------------
    def bus_arn(self, bus: str) -> str:
        return f"arn:aws:events:{self.settings.region}:{self.settings.account_id}:event-bus/{bus}"

    def rule_arn(self, bus: str, name: str) -> str:
        path = name if bus == DEFAULT_BUS else f"{bus}/{name}"
        return f"arn:aws:events:{self.settings.region}:{self.settings.account_id}:rule/{path}"

    @staticmethod
    def bus_name(name_or_arn: str | None) -> str:
        """EventBusName takes a name or an ARN."""
        if not name_or_arn:
            return DEFAULT_BUS
        if name_or_arn.startswith("arn:") and ":event-bus/" in name_or_arn:
            return name_or_arn.split(":event-bus/", 1)[1]
        return name_or_arn

    # -- buses ------------------------------------------------------------------------------
    async def create_bus(self, name: str, description: str | None, tags: dict[str, str]) -> str:
        check_bus_name(name)
        arn = self.bus_arn(name)

        def create(conn: sqlite3.Connection) -> None:
            with transaction(conn):
                if not store.insert_bus(conn, name, description, self._clock.now()):
                    raise AlreadyExists(f"Event bus {name} already exists.")
                store.tag(conn, arn, tags)

        await self._db.run(create)
        return arn

    async def describe_bus(self, name: str) -> dict[str, Any]:
        row = await self._db.run(lambda conn: store.bus_row(conn, name))
        if row is None:
            raise NotFound(f"Event bus {name} does not exist.")
        answer: dict[str, Any] = {"Name": name, "Arn": self.bus_arn(name)}
        if row[1] is not None:
            answer["Description"] = row[1]
        if name != DEFAULT_BUS:
            answer["CreationTime"] = datetime.fromtimestamp(row[2], UTC)
        return answer | await self.resources.bus_extras(name)

    async def update_bus(self, name: str, description: str | None) -> None:
        """UpdateEventBus's Description (what a template's EventBus changes in place)."""

        def update(conn: sqlite3.Connection) -> None:
            with transaction(conn):
                if not store.set_bus_description(conn, name, description):
                    raise NotFound(f"Event bus {name} does not exist.")

        await self._db.run(update)

    async def bus_names(self, prefix: str) -> list[str]:
        return await self._db.run(lambda conn: store.bus_names(conn, prefix))

    async def delete_bus(self, name: str) -> None:
        """Deleting a bus that does not exist succeeds, as on AWS; `default` stays."""
        if name == DEFAULT_BUS:
            raise Validation("Cannot delete event bus default.")

        def delete(conn: sqlite3.Connection) -> None:
            with transaction(conn):
                for rule in store.rules(conn, name):
                    for target in store.targets(conn, name, rule.name):
                        store.delete_target(conn, name, rule.name, target.id)
                    self._forget_rule(conn, rule)
                store.delete_bus(conn, name)
                store.forget_tags(conn, self.bus_arn(name))

        await self._db.run(delete)
        await self.resources.forget_bus(name)

    # -- rules ------------------------------------------------------------------------------
    async def put_rule(
        self,
        bus: str,
        name: str,
        *,
        pattern: str | None,
        schedule: str | None,
        state: str | None,
        description: str | None,
        role_arn: str | None,
        tags: dict[str, str],
    ) -> str:
        check_rule_name(name)
        if pattern is None and schedule is None:
            raise Validation("Parameter(s) EventPattern or ScheduleExpression must be specified.")
        if pattern is not None:
            _pattern(pattern)  # InvalidPattern with AWS's reason
        now = float(math.floor(self._clock.now()))  # whole seconds: fire times stay exact
        if schedule is not None:
            if bus != DEFAULT_BUS:
                raise Validation("ScheduleExpression is supported only on the default event bus.")
            rule_plan(schedule, datetime.fromtimestamp(now, UTC))  # Validation if not valid
        arn = self.rule_arn(bus, name)

        def put(conn: sqlite3.Connection) -> None:
            with transaction(conn):
                if not store.bus_exists(conn, bus):
                    raise NotFound(f"Event bus {bus} does not exist.")
                old = store.rule(conn, bus, name)
                # A rate counts from the rule's creation; an unchanged schedule keeps its count.
                kept = old is not None and old.schedule == schedule
                rule = Rule(
                    bus, name, arn, state or (old.state if old else "ENABLED"),
                    old.created if old is not None and kept else now,
                    pattern, schedule, description, role_arn,
                )  # fmt: skip
                store.put_rule(conn, rule)
                store.tag(conn, arn, tags)
                if not kept or (old is not None and old.state != rule.state):
                    self._plan_fire(conn, rule)

        await self._db.run(put)
        return arn

    async def rule(self, bus: str, name: str) -> Rule:
        found = await self._db.run(lambda conn: store.rule(conn, bus, name))
        if found is None:
            raise NotFound(f"Rule {name} does not exist on EventBus {bus}.")
        return found

    async def rules(self, bus: str, prefix: str) -> list[Rule]:
        def read(conn: sqlite3.Connection) -> list[Rule]:
            if not store.bus_exists(conn, bus):
                raise NotFound(f"Event bus {bus} does not exist.")
            return store.rules(conn, bus, prefix)

        return await self._db.run(read)

    async def set_state(self, bus: str, name: str, state: str) -> None:
        def update(conn: sqlite3.Connection) -> None:
            with transaction(conn):
                rule = store.rule(conn, bus, name)
                if rule is None:
                    raise NotFound(f"Rule {name} does not exist on EventBus {bus}.")
                if rule.state == state:
                    return
                changed = replace(rule, state=state)
                store.put_rule(conn, changed)
                self._plan_fire(conn, changed)

        await self._db.run(update)

    async def delete_rule(self, bus: str, name: str) -> None:
        """Refused while the rule has targets, as on AWS; a missing rule is no error."""

        def delete(conn: sqlite3.Connection) -> None:
            with transaction(conn):
                rule = store.rule(conn, bus, name)
                if rule is None:
                    return
                if store.targets(conn, bus, name):
                    raise Validation("Rule can't be deleted since it has targets.")
                self._forget_rule(conn, rule)

        await self._db.run(delete)

    def _forget_rule(self, conn: sqlite3.Connection, rule: Rule) -> None:
        store.delete_rule(conn, rule.bus, rule.name)
        store.forget_tags(conn, rule.arn)
        self._work.purge(conn, FIRES, rule.arn)

    # -- targets ----------------------------------------------------------------------------
    async def put_targets(
        self, bus: str, rule_name: str, targets: list[dict[str, Any]]
    ) -> list[dict[str, str]]:
        """Store the targets that are valid; the others come back as FailedEntries. An ARN
        of a kind Stratus cannot deliver to refuses the whole call (Validation)."""
        kinds = [target_kind(str(target.get("Arn", ""))) for target in targets]
        failed: list[dict[str, str]] = []
        valid: list[dict[str, Any]] = []
        for target, kind in zip(targets, kinds, strict=True):
            reason = check_target(target)
            if reason is None:
                try:
                    given = _input_of(target)
                except Invalid as exc:
                    reason = exc.message
                else:
                    reason = log_record_refusal(given) if kind == "logs" else None
            if reason is None:
                valid.append(target)
            else:
                failed.append(
                    {"TargetId": str(target.get("Id", "")), "ErrorCode": "ValidationException",
                     "ErrorMessage": reason}
                )  # fmt: skip

        def put(conn: sqlite3.Connection) -> None:
            with transaction(conn):
                if store.rule(conn, bus, rule_name) is None:
                    raise NotFound(f"Rule {rule_name} does not exist on EventBus {bus}.")
                ids = {t.id for t in store.targets(conn, bus, rule_name)}
                if len(ids | {str(t["Id"]) for t in valid}) > MAX_TARGETS:
                    raise TooLarge("The requested resource exceeds the maximum number allowed.")
                for target in valid:
                    store.put_target(conn, bus, rule_name, target)

        await self._db.run(put)
        return failed

    async def targets(self, bus: str, rule_name: str) -> list[Target]:
        await self.rule(bus, rule_name)
        return await self._db.run(lambda conn: store.targets(conn, bus, rule_name))

    async def rule_names_by_target(self, bus: str, arn: str) -> list[str]:
        return await self._db.run(lambda conn: store.rule_names_by_target(conn, bus, arn))

    async def remove_targets(self, bus: str, rule_name: str, ids: list[str]) -> list[str]:
        """The ids that were not targets of the rule (FailedEntries)."""

        def remove(conn: sqlite3.Connection) -> list[str]:
            with transaction(conn):
                if store.rule(conn, bus, rule_name) is None:
                    raise NotFound(f"Rule {rule_name} does not exist on EventBus {bus}.")
                return [i for i in ids if not store.delete_target(conn, bus, rule_name, i)]

        return await self._db.run(remove)

    # -- tags -------------------------------------------------------------------------------
    async def tags(self, arn: str) -> dict[str, str]:
        await self._wait_check_arn(arn)
        return await self._db.run(lambda conn: store.tags(conn, arn))

    async def tag(self, arn: str, tags: dict[str, str]) -> None:
        await self._wait_check_arn(arn)
        await self._db.run(lambda conn: store.tag(conn, arn, tags))

    async def untag(self, arn: str, keys: list[str]) -> None:
        await self._wait_check_arn(arn)
        await self._db.run(lambda conn: store.untag(conn, arn, keys))

    async def _wait_check_arn(self, arn: str) -> None:
        prefix = f"arn:aws:events:{self.settings.region}:{self.settings.account_id}:"
        resource = arn.removeprefix(prefix)
        if resource.startswith("event-bus/"):
            await self.describe_bus(resource.removeprefix("event-bus/"))
            return
        if resource.startswith("rule/"):
            path = resource.removeprefix("rule/")
            bus, _, name = path.rpartition("/")
            await self.rule(bus or DEFAULT_BUS, name)
            return
        raise NotFound(f"Resource {arn} does not exist.")

    # -- events -----------------------------------------------------------------------------
    async def put_events(self, entries: list[dict[str, Any]]) -> list[PutResult]:
        """Each entry's answer, in order; the matched deliveries are stored before this returns."""
        if sum(entry_size(entry) for entry in entries) > MAX_ENTRIES_SIZE:
            raise TooLarge("Total size of the entries in the request is over the limit.")
        now = self._clock.now()
        results: list[PutResult] = []
        events: list[tuple[str, dict[str, Any]]] = []  # (bus, envelope)
        for entry in entries:
            try:
                envelope = self._envelope(entry, now)
            except EntryError as exc:
                results.append({"ErrorCode": exc.code, "ErrorMessage": exc.message})
                continue
            events.append((self.bus_name(entry.get("EventBusName")), envelope))
            results.append({"EventId": envelope["id"]})
        buses = {bus for bus, _ in events}

        def stage(conn: sqlite3.Connection) -> set[str]:
            missing = {bus for bus in buses if not store.bus_exists(conn, bus)}
            routes = {bus: self._routes(conn, bus) for bus in buses - missing}
            with transaction(conn):
                for bus, envelope in events:
                    for rule, targets in routes.get(bus, ()):
                        assert rule.pattern is not None
                        if _pattern(rule.pattern).matches(envelope):
                            self._stage(conn, rule, targets, envelope, now)
                    self.archives.record(conn, bus, envelope, now)
            return missing

        missing = await self._db.run(stage)
        if missing:  # entries for a bus that does not exist fail one by one
            ids = {e["id"] for bus, e in events if bus in missing}
            for index, result in enumerate(results):
                if result.get("EventId") in ids:
                    bus = self.bus_name(entries[index].get("EventBusName"))
                    results[index] = {
                        "ErrorCode": "ResourceNotFoundException",
                        "ErrorMessage": f"Event bus {bus} does not exist.",
                    }
        return results

    def _envelope(self, entry: Mapping[str, Any], now: float) -> dict[str, Any]:
        return envelope(entry, now, self.settings.account_id, self.settings.region)

    @staticmethod
    def _routes(conn: sqlite3.Connection, bus: str) -> list[tuple[Rule, list[Target]]]:
        """The bus's enabled pattern rules that have targets."""
        routes = []
        for rule in store.rules(conn, bus):
            if rule.state == "ENABLED" and rule.pattern is not None:
                targets = store.targets(conn, bus, rule.name)
                if targets:
                    routes.append((rule, targets))
        return routes

    def _route(
        self,
        conn: sqlite3.Connection,
        bus: str,
        envelope: dict[str, Any],
        only: set[str] | None,
        now: float,
    ) -> None:
        """A replayed event: to the bus's matching rules (those in `only`, when given)."""
        for rule, targets in self._routes(conn, bus):
            assert rule.pattern is not None
            if (only is None or rule.arn in only) and _pattern(rule.pattern).matches(envelope):
                self._stage(conn, rule, targets, envelope, now)

    def _stage(
        self,
        conn: sqlite3.Connection,
        rule: Rule,
        targets: list[Target],
        envelope: dict[str, Any],
        now: float,
    ) -> None:
        """Inside the caller's transaction: one delivery item per target."""
        context = RuleContext(rule.name, rule.arn, iso(now))
        for target in targets:
            payload = _input_of(target.settings).render(envelope, context)
            delivery = {
                "target": target.arn,
                "input": payload,
                "rule": rule.arn,
                "retries": target.max_retries,
                "max_age": target.max_age_s,
                "dead_letter": target.dead_letter,
                "accepted": now,
            }
            self._work.enqueue(
                conn, DELIVERIES, str(uuid.uuid4()), orjson.dumps(delivery), subject=target.arn
            )

    # -- workers ----------------------------------------------------------------------------
    async def wait_run_forever(self) -> None:
        async with asyncio.TaskGroup() as tasks:
            tasks.create_task(self._deliveries.wait_run_forever())
            tasks.create_task(self._fires.wait_run_forever())
            tasks.create_task(self._replays.wait_run_forever())

    async def _wait_deliver(self, item: WorkItem) -> None:
        delivery = orjson.loads(item.payload)
        work = self._work
        age = self._clock.now() - float(delivery["accepted"])
        if age > delivery["max_age"]:
            too_old = "the event is older than its maximum age"
            await self._wait_give_up(item, delivery, too_old, None, "MaximumEventAgeInSeconds")
            return
        if self._permitted is not None and not self._permitted(
            delivery["target"], delivery["rule"]
        ):
            refused = Invalid(
                f"The resource policy of {delivery['target']} does not let "
                f"events.amazonaws.com invoke it for {delivery['rule']} (lambda add-permission)"
            )
            await self._wait_give_up(item, delivery, refused.message, refused, None)
            return
        try:
            await self._deliver(delivery["target"], delivery["input"].encode(), item.id)
        except (NotFound, Invalid, TooLarge) as exc:  # not retriable: the target cannot take it
            await self._wait_give_up(item, delivery, exc.message, exc, None)
            return
        except StratusError as exc:  # throttled, not ready, ...: retried
            if item.attempts > delivery["retries"]:
                await self._wait_give_up(item, delivery, exc.message, exc, "MaximumRetryAttempts")
            else:
                reason = exc.message
                await work.db.run(lambda conn: work.retry(conn, item, reason=reason))
            return
        await work.db.run(lambda conn: work.ack(conn, item))

    async def _wait_give_up(
        self,
        item: WorkItem,
        delivery: dict[str, Any],
        reason: str,
        error: StratusError | None,
        exhausted: str | None,
    ) -> None:
        """To the target's dead-letter queue, if it has one, with AWS's message attributes
        (RULE_ARN, TARGET_ARN, ERROR_CODE, ERROR_MESSAGE, EXHAUSTED_RETRY_CONDITION,
        RETRY_ATTEMPTS); dropped otherwise."""
        dead_letter = delivery.get("dead_letter")
        log.warning("event delivery to %s failed: %s", delivery["target"], reason)
        if dead_letter:
            attributes = {
                "RULE_ARN": delivery["rule"],
                "TARGET_ARN": delivery["target"],
                "ERROR_CODE": _error_code(error),
                "ERROR_MESSAGE": reason,
                "RETRY_ATTEMPTS": str(max(item.attempts - 1, 0)),
            }
            if exhausted is not None:
                attributes["EXHAUSTED_RETRY_CONDITION"] = exhausted
            try:
                if self._dead_letter is not None:
                    await self._dead_letter(
                        dead_letter, delivery["input"], attributes, f"{item.id}-dlq"
                    )
                else:
                    await self._deliver(dead_letter, delivery["input"].encode(), f"{item.id}-dlq")
            except StratusError as exc:
                log.warning("dead-letter queue %s refused the event: %s", dead_letter, exc.message)
        await self._work.db.run(lambda conn: self._work.ack(conn, item))

    def _plan_fire(self, conn: sqlite3.Connection, rule: Rule) -> None:
        """Keep exactly one pending fire for an enabled scheduled rule, none otherwise."""
        self._work.purge(conn, FIRES, rule.arn)
        if rule.schedule is None or rule.state != "ENABLED":
            return
        now = datetime.fromtimestamp(self._clock.now(), UTC)
        plan = rule_plan(rule.schedule, datetime.fromtimestamp(rule.created, UTC))
        fire = plan.next_fire(now)
        if fire is not None:
            self._enqueue_fire(conn, rule, fire)

    def _enqueue_fire(self, conn: sqlite3.Connection, rule: Rule, at: datetime) -> None:
        payload = orjson.dumps({"bus": rule.bus, "name": rule.name, "at": at.timestamp()})
        self._work.enqueue(
            conn, FIRES, f"{rule.arn}@{at.timestamp()}", payload, subject=rule.arn,
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
                rule = store.rule(conn, fire["bus"], fire["name"])
                if rule is None or rule.schedule is None or rule.state != "ENABLED":
                    return
                plan = rule_plan(rule.schedule, datetime.fromtimestamp(rule.created, UTC))
                # Late (the server was down): once, for the latest time missed.
                missed = catch_up(plan, scheduled - timedelta(microseconds=1), now)
                if missed.fire_for is not None:
                    envelope = self._scheduled_event(rule, missed.fire_for)
                    targets = store.targets(conn, rule.bus, rule.name)
                    self._stage(conn, rule, targets, envelope, now.timestamp())
                if missed.next_fire is not None:
                    self._enqueue_fire(conn, rule, missed.next_fire)

        await self._db.run(run)

    def _scheduled_event(self, rule: Rule, at: datetime) -> dict[str, Any]:
        return scheduled_event(rule.arn, at, self.settings.account_id, self.settings.region)


def envelope(entry: Mapping[str, Any], now: float, account_id: str, region: str) -> dict[str, Any]:
    """The event a rule's targets get for a PutEvents entry (EntryError if it is not one)."""
    for member in ("Source", "DetailType", "Detail"):
        if not entry.get(member):
            raise EntryError("InvalidArgument", f"Parameter {member} is not valid.")
    try:
        detail = orjson.loads(str(entry["Detail"]))
    except orjson.JSONDecodeError:
        detail = None
    if not isinstance(detail, dict):
        raise EntryError("MalformedDetail", "Detail is malformed.")
    when = entry.get("Time")
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": entry["DetailType"],
        "source": entry["Source"],
        "account": account_id,
        "time": iso(_epoch(when) if when is not None else now),
        "region": region,
        "resources": list(entry.get("Resources") or []),
        "detail": detail,
    }


def scheduled_event(rule_arn: str, at: datetime, account_id: str, region: str) -> dict[str, Any]:
    """The event a schedule rule sends its targets when it fires for `at`."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": account_id,
        "time": iso(at.timestamp()),
        "region": region,
        "resources": [rule_arn],
        "detail": {},
    }


class EntryError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _error_code(error: StratusError | None) -> str:
    """EventBridge's ERROR_CODE for a failed delivery."""
    if isinstance(error, NotFound):
        return "RESOURCE_NOT_FOUND"
    if isinstance(error, Throttled):
        return "THROTTLING"
    if isinstance(error, Invalid | TooLarge):
        return "SDK_CLIENT_ERROR"
    if error is None:
        return "EVENT_AGE_EXCEEDED"
    return "INTERNAL_ERROR"


def _input_of(settings: Mapping[str, Any]) -> TargetInput:
    return parse_target_input(
        settings.get("Input"), settings.get("InputPath"), settings.get("InputTransformer")
    )


def _epoch(when: object) -> float:
    if isinstance(when, datetime):
        return when.timestamp()
    return float(str(when))
