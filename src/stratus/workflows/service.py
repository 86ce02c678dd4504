"""The Step Functions service: state machines, executions and their history.

Definitions are validated before they are stored (InvalidDefinition carries the
diagnostics' text, as AWS words it); each execution keeps the definition it started with,
so updating or deleting its machine never changes a run in flight. Executions are durable
(executions.py): start, every transition and stop each commit in one transaction.

Past 400 lines because it is the API's one door (machines, executions, callbacks,
activities, tags, TestState), each method a short ladder onto the modules that do the work.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import dataclasses
import datetime
import json
import sqlite3
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from stratus.config import Settings
from stratus.errors import Conflict, Invalid, Validation
from stratus.paging import page
from stratus.store.db import Database, transaction
from stratus.store.work import Kind, WorkItem, WorkQueue
from stratus.store.worker import Worker
from stratus.workflows import (
    activities,
    execution_logs,
    express,
    history,
    interpreter,
    items,
    maprun,
    probe,
    validation,
    versions,
)
from stratus.workflows.errors import (
    ActivityAlreadyExists,
    ActivityDoesNotExist,
    ExecutionAlreadyExists,
    ExecutionDoesNotExist,
    ExecutionNotRedrivable,
    InvalidArn,
    InvalidDefinition,
    InvalidExecutionInput,
    InvalidName,
    InvalidOutput,
    ResourceNotFound,
    StateMachineAlreadyExists,
    StateMachineDoesNotExist,
    StateMachineTypeNotSupported,
    TooManyTags,
)
from stratus.workflows.executions import Executions, SignalOf, Started, TaskRunner, machine_of
from stratus.workflows.model import (
    Activity,
    Execution,
    StateMachine,
    activity_arn,
    check_activity_arn,
    check_machine_arn,
    check_name,
    execution_arn,
    machine_arn_of_execution,
    state_machine_arn,
)

MAX_INPUT_BYTES = 256 * 1024
EXPRESS_STARTS = Kind("workflow-express", lease_s=60.0, backoff=(1.0, 30.0))
PARALLEL_EXPRESS = 64
MAX_TAGS = 50
_MACHINE_COLUMNS = "arn, name, type, definition, role_arn, created, config"
_EXECUTION_COLUMNS = (
    "arn, state_machine_arn, name, status, started, stopped, input, output, error, cause,"
    " version_arn, alias_arn"
)


@dataclass(frozen=True, slots=True)
class SyncResult:
    """A StartSyncExecution's answer: the Express execution, run to its end."""

    arn: str
    machine_arn: str
    name: str
    started: float
    stopped: float
    status: str  # SUCCEEDED | FAILED | TIMED_OUT
    input: str
    output: str | None
    error: str | None
    cause: str | None


@dataclass(frozen=True, slots=True)
class Validated:
    result: str  # OK | FAIL
    diagnostics: list[validation.Diagnostic]


class WorkflowService:
    def __init__(
        self,
        settings: Settings,
        db: Database,
        work: WorkQueue,
        runner: TaskRunner,
        log_sink: execution_logs.Sink | None = None,  # CloudWatch Logs, for LoggingConfiguration
        storage: items.ObjectStorage | None = None,  # distributed Map's ItemReader/ResultWriter
    ) -> None:
        self._settings, self._db, self._work, self._runner = settings, db, work, runner
        self.executions = Executions(db, work, runner)
        self.map_runs = maprun.MapRuns(db, work, self.executions, storage, runner)
        self._express = Worker(work, EXPRESS_STARTS, self._wait_express, PARALLEL_EXPRESS)
        self._log_sink = log_sink
        if log_sink is not None:
            self.executions.log_sink = self._sink_from_any_thread

    def _sink_from_any_thread(self, group: str, stream: str, lines: list[tuple[int, str]]) -> None:
        """Standard steps log on the database thread; the sink belongs to the event loop."""
        assert self._log_sink is not None
        if self._loop is None:
            return
        self._loop.call_soon_threadsafe(self._log_sink, group, stream, lines)

    _loop: asyncio.AbstractEventLoop | None = None

    def _express_logger(
        self, config: dict[str, Any], machine_name: str, arn: str, started: float
    ) -> Callable[[list[dict[str, Any]]], None] | None:
        """What logs an Express execution's events as it runs (its only record: AWS keeps
        no history for it), as its machine's LoggingConfiguration says; None if nothing."""
        logging, sink = config.get("loggingConfiguration"), self._log_sink
        if sink is None or not logging or execution_logs.group_of(logging) is None:
            return None

        def log(events: list[dict[str, Any]]) -> None:
            execution_logs.write(sink, logging, machine_name, arn, started, 0, events)

        return log

    async def wait_run_forever(self) -> None:
        self._loop = asyncio.get_running_loop()
        async with asyncio.TaskGroup() as tasks:
            for worker in (*self.executions.workers(), self._express, self.map_runs.worker()):
                tasks.create_task(worker.wait_run_forever())

    # -- state machines ------------------------------------------------------------------

    def validate(self, text: str, kind: str = "STANDARD") -> Validated:
        found = validation.diagnose(text, kind)
        failed = any(d.severity == "ERROR" for d in found)
        return Validated("FAIL" if failed else "OK", found)

    async def create(
        self,
        name: str,
        text: str,
        role_arn: str,
        kind: str = "STANDARD",
        config: dict[str, Any] | None = None,
    ) -> StateMachine:
        check_name(name)
        _check_definition(text, kind)
        arn = state_machine_arn(self._settings.region, self._settings.account_id, name)
        now = self._work.clock.now()
        wanted = StateMachine(arn, name, kind, text, role_arn, now, config or {})

        def insert(conn: sqlite3.Connection) -> StateMachine:
            with transaction(conn):
                existing = _machine(conn, arn)
                if existing is not None:
                    same = (existing.definition, existing.role_arn, existing.type) == (
                        text,
                        role_arn,
                        kind,
                    )
                    if same:
                        return existing  # CreateStateMachine is idempotent for the same request
                    raise StateMachineAlreadyExists(arn)
                conn.execute(
                    f"INSERT INTO sfn_state_machines ({_MACHINE_COLUMNS})"
                    " VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (arn, name, kind, text, role_arn, now, json.dumps(wanted.config)),
                )
                return wanted

        return await self._db.run(insert)

    async def update(
        self,
        arn: str,
        text: str | None,
        role_arn: str | None,
        logging: dict[str, Any] | None = None,  # loggingConfiguration, replaced when given
    ) -> float:
        check_machine_arn(arn)
        if text is not None:
            _check_definition(text)  # before taking the database: validation is CPU work
        now = self._work.clock.now()

        def write(conn: sqlite3.Connection) -> float:
            with transaction(conn):
                machine = _machine(conn, arn)
                if machine is None:
                    raise StateMachineDoesNotExist(arn)
                if text is not None and machine.type == "EXPRESS":
                    _check_definition(text, "EXPRESS")
                config = machine.config
                if logging is not None:
                    config = {**config, "loggingConfiguration": logging}
                conn.execute(
                    "UPDATE sfn_state_machines SET definition = ?, role_arn = ?, config = ?"
                    " WHERE arn = ?",
                    (
                        text or machine.definition,
                        role_arn or machine.role_arn,
                        json.dumps(config),
                        arn,
                    ),
                )
            return now

        return await self._db.run(write)

    async def describe(self, arn: str) -> StateMachine:
        """A machine, or one of its versions (…:3) as that version froze it."""
        base, qualifier = versions.split(arn)

        def read(conn: sqlite3.Connection) -> StateMachine | None:
            machine = _machine(conn, base)
            if machine is None or qualifier is None:
                return machine
            if not qualifier.isdigit():
                raise InvalidArn(
                    f"Invalid Arn: '{arn}': describe an alias with DescribeStateMachineAlias"
                )
            found = versions.version(conn, arn)
            if found is None:
                return None
            return dataclasses.replace(
                machine,
                arn=found.arn,
                definition=found.definition,
                role_arn=found.role_arn,
                created=found.created,
            )

        machine = await self._db.run(read)
        if machine is None:
            raise StateMachineDoesNotExist(arn)
        return machine

    # -- versions and aliases ------------------------------------------------------------

    async def publish_version(self, arn: str, description: str = "") -> versions.Version:
        check_machine_arn(arn)
        now = self._work.clock.now()

        def write(conn: sqlite3.Connection) -> versions.Version:
            with transaction(conn):
                machine = _machine(conn, arn)
                if machine is None:
                    raise StateMachineDoesNotExist(arn)
                return versions.publish(conn, machine, description, now)

        return await self._db.run(write)

    async def list_versions(
        self, arn: str, token: str | None, size: int
    ) -> tuple[list[versions.Version], str | None]:
        check_machine_arn(arn)
        found = await self._db.run(lambda conn: versions.versions(conn, arn))
        return page(found, token, lambda v: v.arn, size)

    async def delete_version(self, arn: str) -> None:
        def write(conn: sqlite3.Connection) -> None:
            with transaction(conn):
                versions.delete_version(conn, arn)

        await self._db.run(write)

    async def create_alias(
        self, name: str, description: str, routing: list[dict[str, Any]]
    ) -> versions.Alias:
        check_name(name)
        if not routing:
            raise Validation("routingConfiguration must name one or two versions")
        machine_arn, _ = versions.split(str(routing[0].get("stateMachineVersionArn", "")))
        arn = f"{machine_arn}:{name}"
        if name.isdigit():
            raise InvalidName(f"Invalid Name: '{name}': an alias name cannot be a version number")
        now = self._work.clock.now()

        def write(conn: sqlite3.Connection) -> versions.Alias:
            with transaction(conn):
                versions.check_routing(conn, machine_arn, routing)
                existing = versions.alias(conn, arn)
                if existing is not None:
                    if (existing.description, existing.routing) == (description, routing):
                        return existing
                    raise Conflict(f"Alias {arn} exists with another routing or description")
                alias = versions.Alias(arn, machine_arn, name, description, routing, now, now)
                versions.save_alias(conn, alias)
                return alias

        return await self._db.run(write)

    async def describe_alias(self, arn: str) -> versions.Alias:
        found = await self._db.run(lambda conn: versions.alias(conn, arn))
        if found is None:
            raise ResourceNotFound(arn)
        return found

    async def update_alias(
        self, arn: str, description: str | None, routing: list[dict[str, Any]] | None
    ) -> float:
        now = self._work.clock.now()

        def write(conn: sqlite3.Connection) -> float:
            with transaction(conn):
                found = versions.alias(conn, arn)
                if found is None:
                    raise ResourceNotFound(arn)
                if routing is not None:
                    versions.check_routing(conn, found.machine_arn, routing)
                versions.save_alias(
                    conn,
                    dataclasses.replace(
                        found,
                        description=found.description if description is None else description,
                        routing=found.routing if routing is None else routing,
                        updated=now,
                    ),
                )
                return now

        return await self._db.run(write)

    async def delete_alias(self, arn: str) -> None:
        await self._db.run(
            lambda conn: conn.execute("DELETE FROM sfn_aliases WHERE arn = ?", (arn,))
        )

    async def list_aliases(
        self, arn: str, token: str | None, size: int
    ) -> tuple[list[versions.Alias], str | None]:
        check_machine_arn(arn)

        def read(conn: sqlite3.Connection) -> list[versions.Alias]:
            if _machine(conn, arn) is None:
                raise StateMachineDoesNotExist(arn)
            return versions.aliases(conn, arn)

        return page(await self._db.run(read), token, lambda a: a.arn, size)

    async def list_machines(
        self, token: str | None, size: int
    ) -> tuple[list[StateMachine], str | None]:
        def read(conn: sqlite3.Connection) -> list[StateMachine]:
            rows = conn.execute(f"SELECT {_MACHINE_COLUMNS} FROM sfn_state_machines ORDER BY name")
            return [_machine_of(row) for row in rows]

        return page(await self._db.run(read), token, lambda m: m.arn, size)

    async def delete(self, arn: str) -> None:
        """Gone at once; executions in flight run on with the definition they started with."""
        check_machine_arn(arn)

        def remove(conn: sqlite3.Connection) -> None:
            with transaction(conn):
                conn.execute("DELETE FROM sfn_state_machines WHERE arn = ?", (arn,))
                versions.forget(conn, arn)

        await self._db.run(remove)

    # -- executions ----------------------------------------------------------------------

    async def start(self, machine_arn: str, name: str | None, raw_input: str | None) -> Started:
        """StartExecution of a machine, a version (…:3) or an alias (…:live)."""
        base, _ = versions.split(machine_arn)
        name = check_name(name) if name is not None else str(uuid.uuid4())
        raw_input, parsed = _execution_input(raw_input)
        arn = execution_arn(base, name)

        def begin(conn: sqlite3.Connection) -> Started:
            with transaction(conn):
                target = versions.resolve(conn, machine_arn, _machine(conn, base))
                machine = target.machine
                if machine.type == "EXPRESS":
                    return self._stage_express(conn, target, name, raw_input)
                existing = _execution(conn, arn)
                if existing is not None:
                    # The same name and input while it runs is the same start (idempotent).
                    if existing.status == "RUNNING" and existing.input == raw_input:
                        return Started(arn, existing.started)
                    raise ExecutionAlreadyExists(arn)
                return self.executions.start(
                    conn,
                    arn=arn,
                    machine_arn=base,
                    machine_name=machine.name,
                    name=name,
                    text=target.definition,
                    execution_input=parsed,
                    raw_input=raw_input,
                    role_arn=target.role_arn,
                    version_arn=target.version_arn,
                    alias_arn=target.alias_arn,
                )

        return await self._db.run(begin)

    def _stage_express(
        self, conn: sqlite3.Connection, target: versions.Target, name: str, raw_input: str
    ) -> Started:
        """StartExecution of an EXPRESS machine: a work item that runs it in memory, acked
        when the run ends, so a crash runs it again (AWS's at-least-once for asynchronous
        Express executions); no history is kept, as AWS keeps none."""
        machine = target.machine
        arn = machine.arn.replace(":stateMachine:", ":express:") + f":{name}:{uuid.uuid4()}"
        now = self._work.clock.now()
        order = {
            "arn": arn,
            "name": name,
            "machine": machine.arn,
            "machine_name": machine.name,
            "definition": target.definition,
            "role": target.role_arn,
            "input": raw_input,
        }
        self._work.enqueue(
            conn, EXPRESS_STARTS, arn, json.dumps(order).encode(), subject=machine.arn
        )
        return Started(arn, now)

    async def _wait_express(self, item: WorkItem) -> None:
        order = json.loads(item.payload)
        started = self._work.clock.now()
        machine = await self._db.run(lambda conn: _machine(conn, order["machine"]))
        logger = (  # a machine deleted since the start has nowhere to log
            None
            if machine is None
            else self._express_logger(machine.config, machine.name, order["arn"], started)
        )
        try:
            await express.wait_run(
                machine_of(order["definition"]),
                json.loads(order["input"]),
                execution={
                    "Id": order["arn"],
                    "Name": order["name"],
                    "RoleArn": order["role"],
                    "StartTime": _iso(self._work.clock.now()),
                    "RedriveCount": 0,
                },
                state_machine={"Id": order["machine"], "Name": order["machine_name"]},
                clock=self._work.clock,
                runner=self._runner,
                on_events=logger,
            )
        finally:  # its outcome is the run's own business: done, even when it failed
            await self._db.run(lambda conn: self._work.ack(conn, item))

    async def start_sync(
        self, machine_arn: str, name: str | None, raw_input: str | None
    ) -> SyncResult:
        """StartSyncExecution: an Express machine's execution, run in memory to its end."""
        base, _ = versions.split(machine_arn)
        target = await self._db.run(
            lambda conn: versions.resolve(conn, machine_arn, _machine(conn, base))
        )
        machine = target.machine
        if machine.type != "EXPRESS":
            raise StateMachineTypeNotSupported(
                "This operation is not supported by this type of state machine"
            )
        name = check_name(name) if name is not None else str(uuid.uuid4())
        raw_input, parsed = _execution_input(raw_input)
        arn = base.replace(":stateMachine:", ":express:") + f":{name}:{uuid.uuid4()}"
        clock = self._work.clock
        started = clock.now()
        step = await express.wait_run(
            machine_of(target.definition),
            parsed,
            execution={
                "Id": arn,
                "Name": name,
                "RoleArn": target.role_arn,
                "StartTime": _iso(started),
                "RedriveCount": 0,
            },
            state_machine={"Id": machine.arn, "Name": machine.name},
            clock=clock,
            runner=self._runner,
            on_events=self._express_logger(machine.config, machine.name, arn, started),
        )
        run = step.run
        succeeded = run["status"] == "SUCCEEDED"
        return SyncResult(
            arn,
            machine.arn,
            name,
            started,
            float(run.get("stop_date") or clock.now()),
            run["status"],
            raw_input,
            history.json_text(run.get("output")) if succeeded else None,
            run.get("error"),
            run.get("cause"),
        )

    async def describe_execution(self, arn: str) -> Execution:
        machine_arn_of_execution(arn)

        def read(conn: sqlite3.Connection) -> Execution | None:
            execution = _execution(conn, arn)
            if execution is None:
                return None
            text, parent_token, parent_mode = conn.execute(
                "SELECT run, parent_token, parent_mode FROM sfn_executions WHERE arn = ?", (arn,)
            ).fetchone()
            run = json.loads(text)
            return dataclasses.replace(
                execution,
                redrive_count=int(run.get("redrive_count", 0)),
                redrive_date=run.get("redrive_date"),
                redrivable=bool(run.get("redrive_from")),
                map_run_arn=parent_token if parent_mode == "maprun" else None,
            )

        execution = await self._db.run(read)
        if execution is None:
            raise ExecutionDoesNotExist(arn)
        return execution

    async def redrive(self, arn: str) -> float:
        """RedriveExecution: a FAILED, TIMED_OUT or ABORTED Standard execution goes on from
        the state where it stopped, in one transaction."""
        machine_arn_of_execution(arn)
        now = self._work.clock.now()

        def write(conn: sqlite3.Connection) -> float:
            with transaction(conn):
                execution = _execution(conn, arn)
                if execution is None:
                    raise ExecutionDoesNotExist(arn)
                if not self.executions.redrive(conn, arn):
                    raise ExecutionNotRedrivable(
                        f"Execution is RUNNING or SUCCEEDED, or has nothing to redrive: '{arn}'"
                        if execution.status in ("RUNNING", "SUCCEEDED")
                        else f"Execution is not redrivable: '{arn}'"
                    )
                return now

        return await self._db.run(write)

    async def machine_for_execution(self, arn: str) -> tuple[StateMachine, str]:
        """The machine an execution runs, with the definition it started with."""
        execution = await self.describe_execution(arn)

        def read(conn: sqlite3.Connection) -> tuple[StateMachine | None, str]:
            text, role = conn.execute(
                "SELECT definition, json_extract(run, '$.context.Execution.RoleArn')"
                " FROM sfn_executions WHERE arn = ?",
                (arn,),
            ).fetchone()
            if execution.map_run_arn is not None:  # a Map Run's child: the Map's processor
                name = execution.state_machine_arn.split(":")[-1]
                child = StateMachine(
                    execution.state_machine_arn, name, "STANDARD", text, role or "", 0.0, {}
                )
                return child, str(text)
            return _machine(conn, execution.state_machine_arn), str(text)

        machine, text = await self._db.run(read)
        if machine is None:
            raise StateMachineDoesNotExist(execution.state_machine_arn)
        return machine, text

    async def list_executions(
        self,
        machine_arn: str | None,
        status: str | None,
        token: str | None,
        size: int,
        map_run_arn: str | None = None,
    ) -> tuple[list[Execution], str | None]:
        if map_run_arn is not None or machine_arn is None:
            return await self._list_children(map_run_arn, status, token, size)
        base, qualifier = versions.split(machine_arn)

        def read(conn: sqlite3.Connection) -> list[Execution] | None:
            machine = _machine(conn, base)
            if machine is None:
                return None
            if machine.type == "EXPRESS":  # nothing is stored for them, as on AWS
                raise StateMachineTypeNotSupported(
                    "This operation is not supported by this type of state machine"
                )
            sql = f"SELECT {_EXECUTION_COLUMNS} FROM sfn_executions WHERE state_machine_arn = ?"
            args: list[Any] = [base]
            if qualifier is not None:  # a version's or an alias's executions
                sql += " AND (version_arn = ? OR alias_arn = ?)"
                args += [machine_arn, machine_arn]
            if status:
                sql += " AND status = ?"
                args.append(status)
            rows = conn.execute(sql + " ORDER BY started DESC, rowid DESC", args)
            return [_execution_of(row) for row in rows]

        found = await self._db.run(read)
        if found is None:
            raise StateMachineDoesNotExist(machine_arn)
        return page(found, token, lambda e: e.arn, size)

    async def child_executions(self, arn: str, limit: int = 100) -> list[Execution]:
        """The executions `arn` started (states:startExecution tasks, a distributed Map's
        children), oldest first, at most `limit`: what its page links to."""

        def read(conn: sqlite3.Connection) -> list[Execution]:
            rows = conn.execute(
                f"SELECT {_EXECUTION_COLUMNS} FROM sfn_executions WHERE parent = ?"
                " ORDER BY started, rowid LIMIT ?",
                (arn, limit),
            )
            return [_execution_of(row) for row in rows]

        return await self._db.run(read)

    async def _list_children(
        self, map_run_arn: str | None, status: str | None, token: str | None, size: int
    ) -> tuple[list[Execution], str | None]:
        """ListExecutions(mapRunArn): a Map Run's STANDARD child executions."""
        if not map_run_arn:
            raise Validation("Either stateMachineArn or mapRunArn must be given")

        def read(conn: sqlite3.Connection) -> list[Execution]:
            self.map_runs.describe(conn, map_run_arn)  # ResourceNotFound when it is not one
            sql = (
                f"SELECT {_EXECUTION_COLUMNS} FROM sfn_executions WHERE parent_token = ?"
                " AND parent_mode = 'maprun'"
            )
            args: list[Any] = [map_run_arn]
            if status:
                sql += " AND status = ?"
                args.append(status)
            rows = conn.execute(sql + " ORDER BY started DESC, rowid DESC", args)
            return [_execution_of(row) for row in rows]

        return page(await self._db.run(read), token, lambda e: e.arn, size)

    # -- Map Runs ------------------------------------------------------------------------

    async def describe_map_run(
        self, arn: str
    ) -> tuple[maprun.MapRun, maprun.Counts, maprun.Counts]:
        return await self._db.run(lambda conn: self.map_runs.describe(conn, arn))

    async def list_map_runs(
        self, execution_arn: str, token: str | None, size: int
    ) -> tuple[list[maprun.MapRun], str | None]:
        await self.describe_execution(execution_arn)
        found = await self._db.run(lambda conn: self.map_runs.of_execution(conn, execution_arn))
        return page(found, token, lambda r: r.arn, size)

    async def update_map_run(
        self,
        arn: str,
        max_concurrency: int | None,
        percentage: float | None,
        count: int | None,
    ) -> None:
        if max_concurrency is None and percentage is None and count is None:
            raise Validation(
                "At least one of maxConcurrency, toleratedFailurePercentage and"
                " toleratedFailureCount must be given"
            )
        if max_concurrency is not None and max_concurrency < 0:
            raise Validation("maxConcurrency must be a non-negative integer")
        if percentage is not None and not 0 <= percentage <= 100:
            raise Validation("toleratedFailurePercentage must be between 0 and 100")
        if count is not None and count < 0:
            raise Validation("toleratedFailureCount must be a non-negative integer")

        def write(conn: sqlite3.Connection) -> None:
            with transaction(conn):
                self.map_runs.update(conn, arn, max_concurrency, percentage, count)

        await self._db.run(write)

    async def history(
        self, arn: str, reverse: bool, token: str | None, size: int
    ) -> tuple[list[dict[str, Any]], str | None]:
        """One page of events, read by id range (a 25,000-event history pages in O(page)).
        The NextToken names the id the next page starts at, as paging.page's tokens do."""
        await self.describe_execution(arn)
        start = _token_id(token)

        def read(conn: sqlite3.Connection) -> list[dict[str, Any]]:
            if reverse:
                where, order, bound = "id <= ?", "DESC", 2**62 if start is None else start
            else:
                where, order, bound = "id >= ?", "ASC", 0 if start is None else start
            rows = conn.execute(
                f"SELECT event FROM sfn_history WHERE execution_arn = ? AND {where}"
                f" ORDER BY id {order} LIMIT ?",
                (arn, bound, size + 1),
            )
            return [json.loads(row[0]) for row in rows]

        events = await self._db.run(read)
        if len(events) <= size:
            return events, None
        following = base64.urlsafe_b64encode(str(events[size]["id"]).encode()).decode()
        return events[:size], following

    # -- TestState -----------------------------------------------------------------------

    async def test_state(
        self,
        text: str,
        raw_input: str | None,
        *,
        state_name: str | None = None,
        variables: str | None = None,
        context: str | None = None,
        mock: probe.Mock | None = None,
        retry_count: int = 0,
    ) -> probe.Probed:
        """One state run once (TestState); its task really runs unless mocked."""
        try:
            name, state, language = probe.pick_state(text, state_name)
        except probe.CannotProbe as exc:
            raise InvalidDefinition(str(exc)) from exc
        _, parsed = _execution_input(raw_input)
        extra = {"variables": variables, "context": context}
        loaded: dict[str, Any] = {}
        for key, value in extra.items():
            try:
                loaded[key] = json.loads(value) if value else {}
            except json.JSONDecodeError as exc:
                raise InvalidExecutionInput(f"Invalid {key}: '{exc.msg}'") from exc
        runner = self._runner

        async def run_task(resource: str, payload: Any) -> Any:
            return await runner.wait_run(resource, payload, None, interpreter.TaskOrigin())

        try:
            return await probe.wait_probe(
                name,
                state,
                language,
                parsed,
                variables=loaded["variables"],
                context=loaded["context"],
                mock=mock,
                retry_count=retry_count,
                run_task=run_task,
            )
        except probe.CannotProbe as exc:
            raise InvalidDefinition(str(exc)) from exc

    # -- activities ----------------------------------------------------------------------

    async def create_activity(self, name: str, tags: list[dict[str, str]]) -> Activity:
        check_name(name)
        arn = activity_arn(self._settings.region, self._settings.account_id, name)
        now = self._work.clock.now()

        def insert(conn: sqlite3.Connection) -> Activity:
            with transaction(conn):
                existing = _activity(conn, arn)
                if existing is not None:
                    if existing.tags == tags or not tags:
                        return existing  # CreateActivity is idempotent
                    raise ActivityAlreadyExists(arn)
                conn.execute(
                    "INSERT INTO sfn_activities (arn, name, created, tags) VALUES (?, ?, ?, ?)",
                    (arn, name, now, json.dumps(tags)),
                )
                return Activity(arn, name, now, tags)

        return await self._db.run(insert)

    async def describe_activity(self, arn: str) -> Activity:
        check_activity_arn(arn)
        found = await self._db.run(lambda conn: _activity(conn, arn))
        if found is None:
            raise ActivityDoesNotExist(arn)
        return found

    async def list_activities(
        self, token: str | None, size: int
    ) -> tuple[list[Activity], str | None]:
        def read(conn: sqlite3.Connection) -> list[Activity]:
            rows = conn.execute("SELECT arn, name, created, tags FROM sfn_activities ORDER BY name")
            return [Activity(r[0], r[1], r[2], json.loads(r[3])) for r in rows]

        return page(await self._db.run(read), token, lambda a: a.arn, size)

    async def delete_activity(self, arn: str) -> None:
        check_activity_arn(arn)

        def remove(conn: sqlite3.Connection) -> None:
            with transaction(conn):
                conn.execute("DELETE FROM sfn_activities WHERE arn = ?", (arn,))

        await self._db.run(remove)

    async def get_activity_task(
        self, arn: str, worker: str, wait_s: float = activities.LONG_POLL_S
    ) -> activities.ActivityTask | None:
        """GetActivityTask: the next task, waiting up to `wait_s` seconds for one."""
        await self.describe_activity(arn)
        executions, waiters = self.executions, self.executions.activity_waiters
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait_s

        def take(conn: sqlite3.Connection) -> activities.ActivityTask | None:
            with transaction(conn):
                return executions.take_activity_task(conn, arn, worker)

        while True:
            woken = waiters.park(arn)  # before reading: a task added meanwhile wakes us
            try:
                task = await self._db.run(take)
                remaining = deadline - loop.time()
                if task is not None or remaining <= 0:
                    return task
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(remaining):
                        await woken.wait()
            finally:
                waiters.leave(arn, woken)

    # -- tags ----------------------------------------------------------------------------

    async def tags(self, arn: str) -> list[dict[str, str]]:
        return await self._db.run(lambda conn: _tags(conn, arn))

    async def tag(self, arn: str, tags: list[dict[str, str]]) -> None:
        def write(conn: sqlite3.Connection) -> None:
            with transaction(conn):
                merged = {t["key"]: t["value"] for t in _tags(conn, arn)}
                merged.update({t["key"]: t["value"] for t in tags})
                if len(merged) > MAX_TAGS:
                    raise TooManyTags(f"Too many tags: at most {MAX_TAGS} per resource")
                _write_tags(conn, arn, [{"key": k, "value": v} for k, v in merged.items()])

        await self._db.run(write)

    async def untag(self, arn: str, keys: list[str]) -> None:
        def write(conn: sqlite3.Connection) -> None:
            with transaction(conn):
                kept = [t for t in _tags(conn, arn) if t["key"] not in keys]
                _write_tags(conn, arn, kept)

        await self._db.run(write)

    # -- callbacks (.waitForTaskToken) ---------------------------------------------------

    async def send_task_success(self, task_token: str, output: str) -> None:
        try:
            result = json.loads(output)
        except json.JSONDecodeError as exc:
            raise InvalidOutput(f"Invalid Output: '{exc.msg}'") from exc
        await self._answer(task_token, lambda token: interpreter.TaskSucceeded(token, result))

    async def send_task_failure(
        self, task_token: str, error: str | None, cause: str | None
    ) -> None:
        await self._answer(
            task_token, lambda token: interpreter.TaskFailed(token, error or "", cause or "")
        )

    async def send_task_heartbeat(self, task_token: str) -> None:
        await self._answer(task_token, interpreter.Heartbeat)

    async def _answer(self, task_token: str, signal_of: SignalOf) -> None:
        def write(conn: sqlite3.Connection) -> None:
            with transaction(conn):
                self.executions.answer(conn, task_token, signal_of)

        await self._db.run(write)

    async def stop(self, arn: str, error: str | None, cause: str | None) -> float:
        machine_arn_of_execution(arn)

        def write(conn: sqlite3.Connection) -> float:
            with transaction(conn):
                if _execution(conn, arn) is None:
                    raise ExecutionDoesNotExist(arn)
                self.executions.stop(conn, arn, error, cause)
                stopped = _execution(conn, arn)
                assert stopped is not None
                return stopped.stopped or self._work.clock.now()

        return await self._db.run(write)


def _token_id(token: str | None) -> int | None:
    if not token:
        return None
    try:
        return int(base64.urlsafe_b64decode(token.encode()).decode())
    except (ValueError, UnicodeError, binascii.Error):
        raise Invalid(f"Invalid NextToken: {token}") from None


def _execution_input(raw_input: str | None) -> tuple[str, Any]:
    """The input as given ("{}" when absent) and as JSON; InvalidExecutionInput if it is not."""
    raw_input = "{}" if raw_input is None else raw_input
    if len(raw_input.encode()) > MAX_INPUT_BYTES:
        raise InvalidExecutionInput("The input exceeds the maximum size of 262144 bytes")
    try:
        return raw_input, json.loads(raw_input)
    except json.JSONDecodeError as exc:
        raise InvalidExecutionInput(f"Invalid State Machine Execution Input: '{exc.msg}'") from exc


def _iso(epoch: float) -> str:
    stamp = datetime.datetime.fromtimestamp(epoch, datetime.UTC)
    return stamp.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _check_definition(text: str, kind: str = "STANDARD") -> None:
    found = validation.diagnose(text, kind)
    errors = [d for d in found if d.severity == "ERROR"]
    if errors:
        raise InvalidDefinition(
            "Invalid State Machine Definition: " + ", ".join(f"'{d.text()}'" for d in errors)
        )


def _machine(conn: sqlite3.Connection, arn: str) -> StateMachine | None:
    row = conn.execute(
        f"SELECT {_MACHINE_COLUMNS} FROM sfn_state_machines WHERE arn = ?", (arn,)
    ).fetchone()
    return _machine_of(row) if row else None


def _machine_of(row: tuple[Any, ...]) -> StateMachine:
    return StateMachine(row[0], row[1], row[2], row[3], row[4], row[5], json.loads(row[6]))


def _execution(conn: sqlite3.Connection, arn: str) -> Execution | None:
    row = conn.execute(
        f"SELECT {_EXECUTION_COLUMNS} FROM sfn_executions WHERE arn = ?", (arn,)
    ).fetchone()
    return _execution_of(row) if row else None


def _execution_of(row: tuple[Any, ...]) -> Execution:
    return Execution(*row)


def _activity(conn: sqlite3.Connection, arn: str) -> Activity | None:
    row = conn.execute(
        "SELECT arn, name, created, tags FROM sfn_activities WHERE arn = ?", (arn,)
    ).fetchone()
    return Activity(row[0], row[1], row[2], json.loads(row[3])) if row else None


def _tags(conn: sqlite3.Connection, arn: str) -> list[dict[str, str]]:
    """Tags live with their resource: a state machine's config, an activity's row."""
    machine = _machine(conn, arn)
    if machine is not None:
        return list(machine.config.get("tags") or [])
    activity = _activity(conn, arn)
    if activity is not None:
        return list(activity.tags)
    raise ResourceNotFound(arn)


def _write_tags(conn: sqlite3.Connection, arn: str, tags: list[dict[str, str]]) -> None:
    machine = _machine(conn, arn)
    if machine is not None:
        config = {**machine.config, "tags": tags}
        conn.execute(
            "UPDATE sfn_state_machines SET config = ? WHERE arn = ?", (json.dumps(config), arn)
        )
    else:
        conn.execute("UPDATE sfn_activities SET tags = ? WHERE arn = ?", (json.dumps(tags), arn))
