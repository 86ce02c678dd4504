"""Durable executions: every transition committed with its history and its follow-up work.

    StartExecution --(one transaction)--> execution row (run JSON) + history events
                                          + one work item per effect
    work item "task"  (kind workflow-tasks):  run the task through the TaskRunner, then
                      (one transaction) resume the run with its result, write the run and
                      the new events, enqueue the new effects, ack the item
    work item "timer" (kind workflow-timers, due at the timer's time): the same, with
                      TimerFired (Wait states, Retry delays, task and execution timeouts)
    StopExecution --(one transaction)--> resume with Stop, purge the execution's items

Exactly-once transitions: a step's writes and the ack of the item that caused it commit
together, so a crash before the commit leaves the item to be claimed again and the step to
be redone from the same committed run; a crash after it leaves nothing to redo. A task
itself may run twice (it ran, then the server died before the commit), which is AWS's
at-least-once for task invocations too. A signal whose token the run no longer waits for
(a timer for a task that already finished) is acknowledged and changes nothing.

The interpreter's work (Pass chains, Choice, payload templates) runs on the database
thread inside the transaction: steps are short, and this keeps "read run, step, write"
atomic without locks. Long Map states would want it moved off that thread.
"""

from __future__ import annotations

import datetime
import functools
import json
import logging
import sqlite3
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from stratus.store.db import Database, transaction
from stratus.store.work import Kind, WorkItem, WorkQueue, carry_over
from stratus.store.worker import Worker
from stratus.workflows import (
    activities,
    definition,
    execution_logs,
    history,
    interpreter,
    retention,
    settling,
    tokens,
)
from stratus.workflows.errors import InvalidToken, TaskDoesNotExist, TaskTimedOut
from stratus.workflows.failure import RUNTIME, TASK_FAILED, StatesFailure
from stratus.workflows.model import execution_arn

log = logging.getLogger("stratus.workflows")

START_EXECUTION = "arn:aws:states:::states:startExecution"
TASKS = Kind("workflow-tasks", lease_s=60.0, backoff=(1.0, 30.0))
TIMERS = Kind("workflow-timers", lease_s=30.0, backoff=(1.0, 30.0))
# Task items run at once. A chain's next task takes its predecessor's slot (_settle), so
# this bounds executions advancing together, and so the settle batches (settling.py): 64
# held a 200-execution Task bench to ~20 transitions per commit.
PARALLEL_TASKS = 256
PARALLEL_TIMERS = 16


class TaskRunner(Protocol):
    """Runs a Task state's resource for the run `origin` names: the result, or a
    StatesFailure naming the error."""

    async def wait_run(
        self, resource: str, payload: Any, timeout_s: int | None, origin: interpreter.TaskOrigin
    ) -> Any: ...


SignalOf = Callable[[str], interpreter.Signal]  # effect token -> the signal for it


class MapRunHooks(Protocol):
    """Map Runs (maprun.py, which builds on this module) as the executions call them, on
    the database thread inside the transaction of the step concerned."""

    def stage(
        self, conn: sqlite3.Connection, execution: str, effect: interpreter.StartMapRun
    ) -> None: ...

    def child_ended(
        self,
        conn: sqlite3.Connection,
        child: str,
        status: str,
        output: str | None,
        error: str | None,
        cause: str | None,
    ) -> None: ...

    def execution_ended(self, conn: sqlite3.Connection, execution: str) -> None: ...


@dataclass(frozen=True, slots=True)
class Started:
    arn: str
    started: float


@functools.lru_cache(maxsize=256)
def machine_of(text: str) -> definition.Machine:
    """Parsed once per definition text (executions keep the text they started with)."""
    return definition.parse(text)


class Executions:
    def __init__(self, db: Database, work: WorkQueue, runner: TaskRunner) -> None:
        self._db, self._work, self._runner = db, work, runner
        self.activity_waiters = activities.Waiters()
        self._settler = settling.Settler(db, self._settle)
        # Where LoggingConfiguration's events go; called on the database thread, inside the
        # step's transaction (WorkflowService hands it on to the event loop).
        self.log_sink: execution_logs.Sink | None = None
        self.map_runs: MapRunHooks | None = None  # set by maprun.MapRuns
        # While a task item settles (database thread): where its run's next Task, claimed
        # in the same transaction, is put for the handler to run next (see _settle).
        self._handoff: list[WorkItem] | None = None
        self._tasks = Worker(work, TASKS, self._wait_task, PARALLEL_TASKS)
        self._workers = (
            self._tasks,
            Worker(work, TIMERS, self._wait_timer, PARALLEL_TIMERS),
            Worker(work, retention.SWEEPS, self._wait_sweep, 4),
        )

    def workers(self) -> tuple[Worker, ...]:
        return self._workers

    # -- on the database thread, inside the caller's transaction ------------------------

    def start(
        self,
        conn: sqlite3.Connection,
        *,
        arn: str,
        machine_arn: str,
        machine_name: str,
        name: str,
        text: str,
        execution_input: Any,
        raw_input: str,
        role_arn: str,
        parent: tuple[str, str, str] | None = None,  # (execution, effect token, mode)
        version_arn: str | None = None,
        alias_arn: str | None = None,
    ) -> Started:
        now = self._work.clock.now()
        step = interpreter.start(
            machine_of(text),
            execution_input,
            execution={
                "Id": arn,
                "Name": name,
                "RoleArn": role_arn,
                "StartTime": _iso(now),
                "RedriveCount": 0,
            },
            state_machine={"Id": machine_arn, "Name": machine_name},
            now=now,
            max_duration_s=interpreter.MAX_STANDARD_DURATION_S,
            qualifiers={
                key: value
                for key, value in (
                    ("stateMachineVersionArn", version_arn),
                    ("stateMachineAliasArn", alias_arn),
                )
                if value
            },
        )
        conn.execute(
            "INSERT INTO sfn_executions (arn, state_machine_arn, name, status, started, input,"
            " definition, run, parent, parent_token, parent_mode, version_arn, alias_arn)"
            " VALUES (?, ?, ?, 'RUNNING', ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                arn,
                machine_arn,
                name,
                now,
                raw_input,
                text,
                "{}",
                *(parent or (None, None, None)),
                version_arn,
                alias_arn,
            ),
        )
        self._commit(conn, arn, step)
        return Started(arn, now)

    def take_activity_task(
        self, conn: sqlite3.Connection, activity_arn: str, worker: str
    ) -> activities.ActivityTask | None:
        """Inside the caller's transaction: the oldest task of the activity whose run still
        waits for it, marked started (ActivityStarted) by `worker`; None if there is none."""
        while (task := activities.take(conn, activity_arn)) is not None:
            if self._advance(
                conn, task.execution_arn, interpreter.TaskSubmitted(task.token, worker)
            ):
                return task
        return None

    def answer(self, conn: sqlite3.Connection, task_token: str, signal_of: SignalOf) -> None:
        """SendTaskSuccess/Failure/Heartbeat, inside the caller's transaction: the signal
        for the effect the token names. TaskTimedOut if the run no longer waits for it."""
        try:
            arn, token = tokens.decode(task_token)
        except tokens.BadToken as exc:
            raise InvalidToken(task_token) from exc
        if not self._advance(conn, arn, signal_of(token)):
            exists = conn.execute("SELECT 1 FROM sfn_executions WHERE arn = ?", (arn,)).fetchone()
            raise TaskTimedOut() if exists else TaskDoesNotExist()

    def redrive(self, conn: sqlite3.Connection, arn: str) -> bool:
        """Inside the caller's transaction: whether the run could be redriven (and was)."""
        return self._advance(conn, arn, interpreter.Redrive())

    def stop(
        self, conn: sqlite3.Connection, arn: str, error: str | None, cause: str | None
    ) -> None:
        self._advance(conn, arn, interpreter.Stop(error, cause))

    # -- the workers ---------------------------------------------------------------------

    async def _wait_task(self, item: WorkItem) -> None:
        order = json.loads(item.payload)
        callback = bool(order.get("callback"))
        resource = str(order["resource"]).removesuffix(interpreter.CALLBACK_SUFFIX)
        if resource.startswith(START_EXECUTION) and not callback:
            mode = resource[len(START_EXECUTION) :].removeprefix(".")
            await self._db.run(lambda conn: self._start_child(conn, item, order, mode))
            return
        signal: interpreter.Signal
        try:
            origin = interpreter.TaskOrigin(*order.get("origin", (order["execution"], "")))
            result = await self._runner.wait_run(
                resource, order["payload"], order["timeout"], origin
            )
            if callback:  # the integration has the token; the answer comes by SendTask*
                signal = interpreter.TaskSubmitted(order["token"], result)
            else:
                signal = interpreter.TaskSucceeded(order["token"], result)

        except StatesFailure as failure:
            signal = interpreter.TaskFailed(order["token"], failure.error, failure.cause)
        except Exception as exc:  # a bug in an integration: the task fails, the server lives
            log.exception("workflow task %s failed unexpectedly", order["resource"])
            signal = interpreter.TaskFailed(order["token"], RUNTIME, f"{type(exc).__name__}: {exc}")
        following = await self._settler.wait_settle(item, order["execution"], signal)
        if following is not None:
            self._tasks.adopt(item, following)  # else its lease runs out: claimed then

    async def _wait_timer(self, item: WorkItem) -> None:
        order = json.loads(item.payload)
        signal = interpreter.TimerFired(order["token"])
        await self._settler.wait_settle(item, order["execution"], signal)

    async def _wait_sweep(self, item: WorkItem) -> None:
        def sweep(conn: sqlite3.Connection) -> None:
            with transaction(conn):
                retention.sweep(conn, self._work, item)

        await self._db.run(sweep)

    def _settle(
        self, conn: sqlite3.Connection, item: WorkItem, arn: str, signal: interpreter.Signal
    ) -> WorkItem | None:
        """Inside the settler's transaction (settling.py: several items commit together).

        A task item's step that invokes the next Task (a chain) enqueues that item claimed
        for this handler, which runs it next: a chain pays no claim round (a hop to the
        database thread and a wake-up) per state. One such item per settled task keeps the
        worker's running count where it was; other effects are enqueued as usual."""
        if not self._work.ack(conn, item):  # another claim holds it now: its turn
            return None
        handoff: list[WorkItem] | None = [] if item.kind is TASKS else None
        self._handoff = handoff
        try:
            self._advance(conn, arn, signal)
        finally:
            self._handoff = None
        return handoff[0] if handoff else None

    # -- one step ------------------------------------------------------------------------

    def advance(self, conn: sqlite3.Connection, arn: str, signal: interpreter.Signal) -> bool:
        """Inside the caller's transaction: step the run with `signal` (see _advance)."""
        return self._advance(conn, arn, signal)

    def _advance(self, conn: sqlite3.Connection, arn: str, signal: interpreter.Signal) -> bool:
        """Step the run with `signal` and commit; whether the run took it (it waited for it)."""
        row = conn.execute(
            "SELECT definition, run FROM sfn_executions WHERE arn = ?", (arn,)
        ).fetchone()
        if row is None:
            return False  # deleted since
        run = json.loads(row[1])
        if run.get("status") != "RUNNING" and not isinstance(signal, interpreter.Redrive):
            return False
        now = self._work.clock.now()
        try:
            # `run` was parsed for this step alone: the interpreter may work on it in place
            # (a failed step below starts over from the row).
            step = interpreter.resume(machine_of(row[0]), run, signal, now, owned=True)
        except Exception as exc:  # a bug of ours: the execution fails rather than hangs
            log.exception("workflow execution %s could not take a step", arn)
            crash = interpreter.Crash(
                f"Stratus failed to run this step: {type(exc).__name__}: {exc}"
            )
            step = interpreter.resume(machine_of(row[0]), json.loads(row[1]), crash, now)
        if not step.accepted:
            return False  # nobody waited for it: nothing to write
        self._commit(conn, arn, step)
        return True

    def _commit(self, conn: sqlite3.Connection, arn: str, step: interpreter.Step) -> None:
        run = step.run
        output = run.get("output")
        conn.execute(
            "UPDATE sfn_executions SET status = ?, stopped = ?, output = ?, error = ?, cause = ?,"
            " run = ? WHERE arn = ?",
            (
                run["status"],
                run.get("stop_date"),
                history.json_text(output) if run["status"] == "SUCCEEDED" else None,
                run.get("error"),
                run.get("cause"),
                history.json_text(run),
                arn,
            ),
        )
        conn.executemany(
            "INSERT INTO sfn_history (execution_arn, id, event) VALUES (?, ?, ?)",
            [(arn, e["id"], history.json_text(e)) for e in step.events],
        )
        if self.log_sink is not None and step.events:
            self._log(conn, arn, step)
        if step.finished:
            for kind in (TASKS, TIMERS):
                self._work.purge(conn, kind, arn)
            activities.purge(conn, arn)
            retention.schedule(conn, self._work, arn, float(run.get("stop_date") or 0.0))
            self._answer_parent(conn, arn)
            self._stop_children(conn, arn)
            if self.map_runs is not None:
                self.map_runs.execution_ended(conn, arn)
            return
        for effect in step.effects:
            self._enqueue(conn, arn, effect)

    # -- nested executions (arn:aws:states:::states:startExecution[.sync[:2]]) -------------

    def _start_child(
        self, conn: sqlite3.Connection, item: WorkItem, order: dict[str, Any], mode: str
    ) -> None:
        """In one transaction: the child execution started (and run as far as it goes) and
        the parent told: at once for the plain form, when the child ends for `.sync`."""
        with transaction(conn):
            if not self._work.ack(conn, item):
                return
            parent, token = order["execution"], order["token"]
            try:
                started = self._child(conn, parent, token, mode, order["payload"])
            except StatesFailure as failure:
                self._advance(
                    conn, parent, interpreter.TaskFailed(token, failure.error, failure.cause)
                )
                return
            if mode not in ("sync", "sync:2"):
                answer = {"ExecutionArn": started.arn, "StartDate": int(started.started * 1000)}
                self._advance(conn, parent, interpreter.TaskSucceeded(token, answer))

    def _child(
        self, conn: sqlite3.Connection, parent: str, token: str, mode: str, parameters: Any
    ) -> Started:
        if not isinstance(parameters, dict) or not isinstance(
            parameters.get("StateMachineArn"), str
        ):
            raise StatesFailure(
                RUNTIME, "The states:startExecution parameters must name a StateMachineArn"
            )
        machine_arn = parameters["StateMachineArn"]
        row = conn.execute(
            "SELECT name, definition, role_arn FROM sfn_state_machines WHERE arn = ?",
            (machine_arn,),
        ).fetchone()
        if row is None:
            raise StatesFailure(
                "StepFunctions.StateMachineDoesNotExistException",
                f"State Machine Does Not Exist: '{machine_arn}'",
            )
        name = str(parameters.get("Name") or uuid.uuid4())
        arn = execution_arn(machine_arn, name)
        if conn.execute("SELECT 1 FROM sfn_executions WHERE arn = ?", (arn,)).fetchone():
            raise StatesFailure(
                "StepFunctions.ExecutionAlreadyExistsException",
                f"Execution Already Exists: '{arn}'",
            )
        given = parameters.get("Input", {})
        raw_input = given if isinstance(given, str) else history.json_text(given)
        try:
            child_input = json.loads(raw_input)
        except json.JSONDecodeError as exc:
            raise StatesFailure(
                "StepFunctions.InvalidExecutionInputException", f"Invalid input: {exc.msg}"
            ) from exc
        return self.start(
            conn,
            arn=arn,
            machine_arn=machine_arn,
            machine_name=row[0],
            name=name,
            text=row[1],
            execution_input=child_input,
            raw_input=raw_input,
            role_arn=row[2],
            parent=(parent, token, mode),
        )

    def _answer_parent(self, conn: sqlite3.Connection, arn: str) -> None:
        """A `.sync` child ended: its description is the parent task's result (SUCCEEDED)
        or cause (States.TaskFailed otherwise), Output parsed for `.sync:2`."""
        row = conn.execute(
            "SELECT parent, parent_token, parent_mode, state_machine_arn, name, status, started,"
            " stopped, input, output, error, cause FROM sfn_executions WHERE arn = ?",
            (arn,),
        ).fetchone()
        if row is not None and row[2] == "maprun" and self.map_runs is not None:
            self.map_runs.child_ended(conn, arn, row[5], row[9], row[10], row[11])
            return
        if row is None or not row[0] or row[2] not in ("sync", "sync:2"):
            return
        parent, token, mode = row[0], row[1], row[2]
        described: dict[str, Any] = {
            "ExecutionArn": arn,
            "StateMachineArn": row[3],
            "Name": row[4],
            "Status": row[5],
            "StartDate": int(row[6] * 1000),
            "StopDate": int((row[7] or row[6]) * 1000),
            "Input": row[8] if mode == "sync" else json.loads(row[8]),
            "InputDetails": {"Included": True},
            "RedriveCount": 0,
            "RedriveStatus": "NOT_REDRIVABLE",
        }
        if row[5] == "SUCCEEDED":
            described["Output"] = row[9] if mode == "sync" else json.loads(row[9] or "null")
            described["OutputDetails"] = {"Included": True}
            self._advance(conn, parent, interpreter.TaskSucceeded(token, described))
            return
        described.update({k: v for k, v in (("Error", row[10]), ("Cause", row[11])) if v})
        self._advance(
            conn, parent, interpreter.TaskFailed(token, TASK_FAILED, history.json_text(described))
        )

    def _stop_children(self, conn: sqlite3.Connection, arn: str) -> None:
        """A parent that ended takes its running `.sync` children with it, as on AWS."""
        children = conn.execute(
            "SELECT arn FROM sfn_executions WHERE parent = ? AND status = 'RUNNING'"
            " AND parent_mode IN ('sync', 'sync:2')",
            (arn,),
        ).fetchall()
        for (child,) in children:
            self._advance(conn, child, interpreter.Stop(None, f"The parent execution {arn} ended"))

    def _log(self, conn: sqlite3.Connection, arn: str, step: interpreter.Step) -> None:
        row = conn.execute(
            "SELECT m.config, m.name, e.started FROM sfn_executions e"
            " JOIN sfn_state_machines m ON m.arn = e.state_machine_arn WHERE e.arn = ?",
            (arn,),
        ).fetchone()
        if row is None or '"loggingConfiguration"' not in row[0]:
            return
        config = json.loads(row[0]).get("loggingConfiguration") or {}
        if self.log_sink is not None:
            redrives = int(step.run.get("redrive_count", 0))
            execution_logs.write(self.log_sink, config, row[1], arn, row[2], redrives, step.events)

    def _enqueue(self, conn: sqlite3.Connection, arn: str, effect: interpreter.Effect) -> None:
        if isinstance(effect, interpreter.StartMapRun):
            if self.map_runs is None:
                raise StatesFailure(RUNTIME, "This server runs no distributed Map states")
            self.map_runs.stage(conn, arn, effect)
        elif isinstance(effect, interpreter.InvokeTask) and ":activity:" in effect.resource:
            task = activities.ActivityTask(
                effect.resource,
                arn,
                effect.token,
                tokens.encode(arn, effect.token),
                history.json_text(effect.payload),
            )
            activities.stage(conn, task)
            self.activity_waiters.wake(effect.resource)  # its poll reads after this commit
        elif isinstance(effect, interpreter.InvokeTask):
            order = {
                "execution": arn,
                "token": effect.token,
                "resource": effect.resource,
                "payload": effect.payload,
                "timeout": effect.timeout_s,
                "callback": effect.callback,
                "origin": [effect.origin.execution_arn, effect.origin.state_machine_arn],
            }
            key, payload = f"{arn}|{effect.token}", _encode(order)
            handoff = self._handoff
            if handoff is not None and not handoff:
                claimed = self._work.enqueue_claimed(conn, TASKS, key, payload, subject=arn)
                if claimed is not None:
                    handoff.append(claimed)
                return
            self._work.enqueue(conn, TASKS, key, payload, subject=arn)
        elif effect.purpose == "execution-timeout":
            # Every Standard execution that outlives its first step has one (its year at
            # most): the timers' worker is woken only if no timer falls due before it (it
            # sleeps until its earliest), not for each execution.
            order = {"execution": arn, "token": effect.token, "purpose": effect.purpose}
            earlier = conn.execute(
                "SELECT 1 FROM work_items WHERE kind = ? AND due <= ? LIMIT 1",
                (TIMERS.name, effect.due),
            ).fetchone()
            key, now = f"{arn}|{effect.token}", self._work.clock.now()
            added = carry_over(
                conn, TIMERS, key, _encode(order), subject=arn, due=effect.due, enqueued=now
            )
            if added and earlier is None:
                self._work.wake(TIMERS)
        else:
            order = {"execution": arn, "token": effect.token, "purpose": effect.purpose}
            self._work.enqueue(
                conn, TIMERS, f"{arn}|{effect.token}", _encode(order), subject=arn, due=effect.due
            )


def _encode(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def _iso(epoch: float) -> str:
    stamp = datetime.datetime.fromtimestamp(epoch, datetime.UTC)
    return stamp.isoformat(timespec="milliseconds").replace("+00:00", "Z")
