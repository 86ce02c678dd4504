"""The interpreter: an execution steps from one committed state to the next, as data.

An execution's whole state is a `run`, plain JSON (dicts, lists, strings, numbers):

    {"status": "RUNNING", "next_event": 7, "context": {"Execution": {...}, "StateMachine": {...}},
     "threads": {"0": {...}, "0.1": {...}}, "timeout_token": "x",
     "output": ..., "error": ..., "cause": ...}

A *thread* is one path of control: the top level ("0"), a Parallel branch or a Map iteration
("0.1", "0.1.4", ...). Each sits at a state in a phase: `ready` (to be entered), `task` (a
task is out), `retry` and `wait` (a timer is out), `children` (a Parallel or Map waits for its
threads). `start` and `resume` take a run and a signal, run every ready thread as far as it
goes without the outside world, and return a `Step`: the new run, the history events it
produced and the *effects* the driver must perform (invoke a task, start a timer). The
outside world answers with signals (task succeeded or failed, timer fired, stop).

Why this shape: a Standard execution becomes durable by committing "new run + history
events + one work item per effect" in one transaction and acknowledging the work item that
carried the signal in the same transaction; after a crash the item comes back and `resume`
is simply called again. Every effect carries a token; a signal whose token the thread no
longer waits for (a duplicate delivery, a timer for a task that already finished, a branch
that was cancelled) changes nothing, so at-least-once delivery gives exactly-once
transitions. `resume` never mutates its argument, reads the time only from `now` and draws
jitter from a generator seeded by the run, so replaying a signal replays the same step.

Effects, signals and Step are in signals.py. This module is longer than most (about 900
lines): it is the one place that knows how the states hand control to each other (entering,
leaving, failing into Retry and Catch, joining branches), and splitting the state types
apart would scatter the thread bookkeeping they all share.
"""

from __future__ import annotations

import copy
import datetime
import heapq
import random
from collections.abc import Mapping
from typing import Any

from stratus.workflows import choice, distributed, history, query, retry, tokens
from stratus.workflows.dataflow import Flow, map_item_input, map_items
from stratus.workflows.definition import Machine
from stratus.workflows.failure import (
    DATA_LIMIT_EXCEEDED,
    EXCEED_TOLERATED_FAILURE_THRESHOLD,
    HEARTBEAT_TIMEOUT,
    NO_CHOICE_MATCHED,
    RUNTIME,
    TERMINAL,
    TIMEOUT,
    StatesFailure,
)
from stratus.workflows.signals import (
    Crash,
    Effect,
    Heartbeat,
    InvokeTask,
    Redrive,
    ResourceKind,
    Signal,
    StartMapRun,
    StartTimer,
    Step,
    Stop,
    TaskFailed,
    TaskOrigin,
    TaskSubmitted,
    TaskSucceeded,
    TimerFired,
    resource_kind,
)

MAX_PAYLOAD_BYTES = 256 * 1024  # state input/output and task results (States.DataLimitExceeded)
MAX_HISTORY_EVENTS = 25_000  # AWS's quota; past it the execution fails
# AWS's quota on a Standard execution's duration: past it, it ends TIMED_OUT (States.Timeout)
# as if its TimeoutSeconds had run out. Express executions have their 5 minutes (express.py).
MAX_STANDARD_DURATION_S = 365 * 24 * 3600
REDRIVABLE = ("FAILED", "TIMED_OUT", "ABORTED")
CALLBACK_SUFFIX = ".waitForTaskToken"


def start(
    machine: Machine,
    execution_input: Any,
    *,
    execution: Mapping[str, Any],
    state_machine: Mapping[str, Any],
    now: float,
    variables: Mapping[str, Any] | None = None,
    qualifiers: Mapping[str, str] | None = None,  # stateMachineVersionArn/AliasArn
    history_limit: int | None = MAX_HISTORY_EVENTS,  # None: Express, whose history AWS keeps not
    max_duration_s: int | None = None,  # MAX_STANDARD_DURATION_S for a Standard execution
) -> Step:
    """The first step of an execution: ExecutionStarted, then as far as it runs.

    `execution` is the context object's Execution (Id, Name, RoleArn, StartTime, ...);
    its Input is set here.
    """
    context = {
        "Execution": {**execution, "Input": execution_input},
        "StateMachine": dict(state_machine),
    }
    run: dict[str, Any] = {
        "status": "RUNNING",
        "next_event": 1,
        "context": context,
        "threads": {},
        "seq": 0,
        "timeout_token": None,
    }
    if history_limit != MAX_HISTORY_EVENTS:
        run["history_limit"] = history_limit
    if max_duration_s is not None:
        run["max_duration_s"] = max_duration_s
    engine = _Engine(machine, run, now)
    engine.emit(
        None,
        "ExecutionStarted",
        {
            **history.data("input", execution_input),
            "roleArn": execution.get("RoleArn", ""),
            **(qualifiers or {}),
        },
    )
    timeout = _execution_timeout(machine, run)
    if timeout:
        token = engine.token("execution")
        run["timeout_token"] = token
        engine.effects.append(StartTimer(token, now + timeout, "execution-timeout"))
    run["threads"]["0"] = _thread(
        "0", [], None, 0, machine.start_at, execution_input, dict(variables or {}), 1
    )
    engine.drive()
    return engine.step()


def _execution_timeout(machine: Machine, run: Mapping[str, Any]) -> int | None:
    """The machine's TimeoutSeconds, within the run's longest duration (a Standard one's
    year) if it has one."""
    timeout, longest = machine.timeout_seconds, run.get("max_duration_s")
    if longest is not None and (not timeout or timeout > longest):
        return int(longest)
    return timeout


def resume(
    machine: Machine, run: Mapping[str, Any], signal: Signal, now: float, *, owned: bool = False
) -> Step:
    """The step a signal causes; a signal nobody waits for gives an empty step. `owned`: the
    caller hands `run` over (parsed for this step, never read again), so it is not copied."""
    engine = _Engine(machine, dict(run) if owned else copy.deepcopy(dict(run)), now)
    if isinstance(signal, Redrive):
        if engine.run["status"] in REDRIVABLE and engine.run.get("redrive_from"):
            engine.redrive()
            engine.drive()
        else:
            engine.accepted = False
        return engine.step()
    if engine.run["status"] != "RUNNING":
        engine.accepted = False
        return engine.step()
    engine.accept(signal)
    engine.drive()
    return engine.step()


def _thread(
    tid: str,
    machine: list[Any],
    parent: str | None,
    slot: int,
    state: str,
    state_input: Any,
    variables: dict[str, Any],
    last_event: int,
) -> dict[str, Any]:
    return {
        "id": tid,
        "machine": machine,
        "parent": parent,
        "slot": slot,
        "state": state,
        "phase": "ready",
        "input": state_input,
        "effective": None,
        "attempts": [],
        "retry_count": 0,
        "waiting": {},
        "last_event": last_event,
        "variables": variables,
        "entered_time": None,
        "join": None,
    }


class _Engine:
    """One step's worth of work on a run (which it owns: `resume` gave it a copy)."""

    def __init__(self, machine: Machine, run: dict[str, Any], now: float) -> None:
        self.top, self.run, self.now = machine, run, now
        self.now_iso = _iso(now)  # every state a step enters shares the step's time
        self.events: list[dict[str, Any]] = []
        self.effects: list[Effect] = []
        self.accepted = True
        # Threads that became ready during drive(), lowest id first (entries may be stale:
        # drive checks). A heap, not a scan per state: a Map of 10,000 iterations has
        # 10,000 threads, and picking the next one must not cost a pass over them all.
        self.ready: list[tuple[tuple[int, ...], str]] = []

    def step(self) -> Step:
        return Step(self.run, self.events, self.effects, self.accepted)

    # --- bookkeeping

    def token(self, tid: str) -> str:
        self.run["seq"] += 1
        return f"{tid}#{self.run['seq']}"

    def emit(
        self, thread: dict[str, Any] | None, event_type: str, details: dict[str, Any] | None = None
    ) -> int:
        event_id = self.run["next_event"]
        previous = thread["last_event"] if thread is not None else event_id - 1
        self.events.append(history.make(event_type, event_id, previous, self.now, details))
        self.run["next_event"] = event_id + 1
        if thread is not None:
            thread["last_event"] = event_id
        return int(event_id)

    def machine_of(self, thread: Mapping[str, Any]) -> Machine:
        return self.top.child(tuple(thread["machine"]))

    def context(self, thread: Mapping[str, Any]) -> dict[str, Any]:
        ctx = dict(self.run["context"])
        ctx["State"] = {
            "Name": thread["state"],
            "EnteredTime": thread["entered_time"],
            "RetryCount": thread["retry_count"],
        }
        if thread.get("map_item") is not None:
            ctx["Map"] = {"Item": thread["map_item"]}
        if thread.get("task_token") is not None:
            ctx["Task"] = {"Token": thread["task_token"]}
        return ctx

    def flow(self, thread: Mapping[str, Any]) -> Flow:
        machine = self.machine_of(thread)
        name = thread["state"]
        return Flow(
            machine.state(name),
            machine.language_of(name),
            thread["input"],
            self.context(thread),
            thread["variables"],
        )

    # --- the loop

    def mark_ready(self, thread: Mapping[str, Any]) -> None:
        heapq.heappush(self.ready, (_order(thread["id"]), thread["id"]))

    def drive(self) -> None:
        threads = self.run["threads"]
        self.ready = [(_order(t["id"]), t["id"]) for t in threads.values() if t["phase"] == "ready"]
        heapq.heapify(self.ready)
        while self.run["status"] == "RUNNING":
            limit = self.run.get("history_limit", MAX_HISTORY_EVENTS)
            if limit is not None and self.run["next_event"] > limit:
                cause = f"The execution reached the limit of {limit} history events"
                details = {"error": RUNTIME, "cause": cause}
                self.finish_execution(
                    "ExecutionFailed", details, "FAILED", error=RUNTIME, cause=cause
                )
                return
            thread = None
            while self.ready:
                _, tid = heapq.heappop(self.ready)
                candidate = threads.get(tid)
                if candidate is not None and candidate["phase"] == "ready":
                    thread = candidate
                    break
            if thread is None:
                return
            self.enter(thread)

    def accept(self, signal: Signal) -> None:
        if isinstance(signal, Stop):
            self.abort(signal.error, signal.cause)
            return
        if isinstance(signal, Crash):
            details = {"error": RUNTIME, "cause": signal.cause}
            self.finish_execution(
                "ExecutionFailed", details, "FAILED", error=RUNTIME, cause=signal.cause
            )
            return
        if isinstance(signal, TimerFired) and signal.token == self.run.get("timeout_token"):
            self.finish_execution(
                "ExecutionTimedOut",
                {"error": TIMEOUT, "cause": "The execution timed out"},
                "TIMED_OUT",
                error=TIMEOUT,
            )
            return
        if isinstance(signal, Redrive):  # resume() takes redrives before they get here
            self.accepted = False
            return
        for thread in list(self.run["threads"].values()):
            waiting = thread["waiting"]
            tokens = (waiting.get("token"), waiting.get("timeout"), waiting.get("heartbeat"))
            if not waiting or signal.token not in tokens:
                continue
            if isinstance(signal, TaskSubmitted | Heartbeat):
                if signal.token == waiting.get("token"):  # the task goes on waiting
                    self.task_alive(thread, waiting, signal)
                else:
                    self.accepted = False
                return
            thread["waiting"] = {}
            if isinstance(signal, TimerFired) and signal.token == waiting.get("timeout"):
                self.task_timed_out(thread, waiting, TIMEOUT)
            elif isinstance(signal, TimerFired) and signal.token == waiting.get("heartbeat"):
                self.task_timed_out(thread, waiting, HEARTBEAT_TIMEOUT)
            elif isinstance(signal, TimerFired):
                self.timer_fired(thread)
            elif waiting.get("map_run") and isinstance(signal, TaskSucceeded):
                self.map_run_ended(thread, signal.output, None, None)
            elif waiting.get("map_run") and isinstance(signal, TaskFailed):
                self.map_run_ended(thread, None, signal.error, signal.cause)
            elif isinstance(signal, TaskSucceeded):
                self.task_succeeded(thread, waiting, signal.output)
            elif isinstance(signal, TaskFailed):
                self.task_failed(thread, waiting, signal.error, signal.cause)
            return
        # Nobody waits for this token: a repeat, or for a thread already gone. No change.
        self.accepted = False

    # --- entering states

    def enter(self, thread: dict[str, Any]) -> None:
        machine = self.machine_of(thread)
        name = thread["state"]
        state = machine.state(name)
        kind = state["Type"]
        thread["entered_time"] = self.now_iso
        thread["attempts"] = [0] * len(state.get("Retry", []))
        thread["retry_count"] = 0
        encoded = history.encode(thread["input"])
        thread["entered_event"] = self.emit(
            thread,
            f"{kind}StateEntered",
            {"name": name, **history.data("input", None, encoded)},
        )
        try:
            self.check_size(
                encoded, f"The state/task '{name}' has an input that exceeds the maximum size"
            )
            self.body(thread)
        except StatesFailure as failure:
            self.state_failed(thread, failure.error, failure.cause)

    def body(self, thread: dict[str, Any]) -> None:
        """The state's work after its Entered event (run again by a retry)."""
        flow = self.flow(thread)
        kind = flow.kind
        thread["phase"] = "running"
        if kind == "Pass":
            effective = flow.effective_input()
            result = (
                flow.value("Result") if "Result" in flow.state and not flow.jsonata else effective
            )
            self.exit_state(thread, flow, result)
        elif kind == "Succeed":
            self.exit_state(thread, flow, flow.filtered_input(), end=True)
        elif kind == "Fail":
            self.fail_state(thread, flow)
        elif kind == "Choice":
            self.choose(thread, flow)
        elif kind == "Wait":
            self.wait(thread, flow)
        elif kind == "Task":
            self.schedule_task(thread, flow)
        elif kind == "Parallel":
            self.start_parallel(thread, flow)
        elif kind == "Map":
            self.start_map(thread, flow)
        else:  # validation admits no other type
            raise StatesFailure(RUNTIME, f"Unknown state type {kind}")

    def exit_state(
        self, thread: dict[str, Any], flow: Flow, result: Any, end: bool = False
    ) -> None:
        outcome = flow.finish(result)
        self.leave(
            thread,
            flow,
            outcome.output,
            outcome.assigned,
            end or bool(flow.state.get("End")),
            flow.state.get("Next"),
        )

    def leave(
        self,
        thread: dict[str, Any],
        flow: Flow,
        output: Any,
        assigned: Mapping[str, Any],
        end: bool,
        next_state: Any,
    ) -> None:
        name = thread["state"]
        encoded = self.check_size(
            output,
            f"The state/task '{name}' returned a result with a size exceeding the maximum "
            "number of bytes service limit.",
        )
        details: dict[str, Any] = {"name": name, **history.data("output", None, encoded)}
        if assigned:
            self.check_size(
                assigned,
                f"The state '{name}' assigns variables whose size exceeds the maximum "
                "number of bytes service limit.",
            )
            details["assignedVariables"] = {k: history.json_text(v) for k, v in assigned.items()}
            details["assignedVariablesDetails"] = {"truncated": False}
            thread["variables"] = {**thread["variables"], **assigned}
        if flow.kind != "Fail":
            self.emit(thread, f"{flow.kind}StateExited", details)
        if end:
            self.thread_succeeded(thread, output)
        else:
            thread["state"], thread["input"], thread["phase"] = str(next_state), output, "ready"
            self.mark_ready(thread)

    # --- the state types

    def fail_state(self, thread: dict[str, Any], flow: Flow) -> None:
        if flow.jsonata:
            error, cause = flow.value("Error"), flow.value("Cause")
        else:
            error = (
                flow.path_value("ErrorPath")
                if "ErrorPath" in flow.state
                else flow.state.get("Error")
            )
            cause = (
                flow.path_value("CausePath")
                if "CausePath" in flow.state
                else flow.state.get("Cause")
            )
        self.thread_failed(thread, _text(error), _text(cause))

    def choose(self, thread: dict[str, Any], flow: Flow) -> None:
        state = flow.state
        for rule in state["Choices"]:
            if self.rule_holds(flow, rule):
                outcome = flow.choice_rule_outcome(rule)
                self.leave(thread, flow, outcome.output, outcome.assigned, False, rule["Next"])
                return
        if "Default" in state:
            outcome = flow.choice_rule_outcome({})
            self.leave(thread, flow, outcome.output, outcome.assigned, False, state["Default"])
            return
        raise StatesFailure(
            NO_CHOICE_MATCHED,
            f"No Choice Rules matched and no Default was specified for state '{thread['state']}'",
        )

    def rule_holds(self, flow: Flow, rule: Mapping[str, Any]) -> bool:
        if flow.jsonata:
            condition = rule["Condition"]
            value = (
                query.evaluate(condition, flow.states_binding(), flow.variables)
                if query.is_expression(condition)
                else condition
            )
            if not isinstance(value, bool):
                raise StatesFailure(
                    "States.QueryEvaluationError",
                    f"The Condition {condition!r} returned a non-boolean value",
                )
            return value
        return choice.matches(rule, flow.scope(flow.filtered_input()))

    def wait(self, thread: dict[str, Any], flow: Flow) -> None:
        state = flow.state
        if "Seconds" in state or "SecondsPath" in state:
            seconds = (
                flow.value("Seconds") if "Seconds" in state else flow.path_value("SecondsPath")
            )
            if isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds < 0:
                raise StatesFailure(
                    RUNTIME,
                    f"The Wait state's seconds must be a non-negative integer, not {seconds!r}",
                )
            due = self.now + float(seconds)
        else:
            stamp = (
                flow.value("Timestamp")
                if "Timestamp" in state
                else flow.path_value("TimestampPath")
            )
            parsed = choice.parse_timestamp(stamp)
            if parsed is None:
                raise StatesFailure(
                    RUNTIME, f"The Wait state's timestamp {stamp!r} is not an ISO-8601 timestamp"
                )
            due = parsed.timestamp()
        thread["effective"] = flow.filtered_input()
        if due <= self.now:
            # Nothing to wait for (Seconds 0, a past Timestamp): the state ends in this step,
            # with the same events, instead of a timer's round trip through the work queue.
            self.exit_state(thread, flow, thread["effective"])
            return
        self.timer(thread, "wait", due)

    def timer(self, thread: dict[str, Any], phase: str, due: float) -> None:
        token = self.token(thread["id"])
        thread["phase"], thread["waiting"] = phase, {"token": token}
        self.effects.append(StartTimer(token, due, phase))

    def timer_fired(self, thread: dict[str, Any]) -> None:
        try:
            if thread["phase"] == "wait":
                self.exit_state(thread, self.flow(thread), thread["effective"])
            else:  # retry: the state's work again, without a new Entered event
                self.body(thread)
        except StatesFailure as failure:
            self.state_failed(thread, failure.error, failure.cause)

    # --- tasks

    def schedule_task(self, thread: dict[str, Any], flow: Flow) -> None:
        state = flow.state
        resource = str(state["Resource"])
        token = self.token(thread["id"])
        kind = resource_kind(resource, self.region())
        callback = resource.endswith(CALLBACK_SUFFIX) or kind.type == "activity"
        thread["task_token"] = None
        if callback:  # $$.Task.Token, for the Parameters/Arguments that follow
            thread["task_token"] = tokens.encode(self.execution_id(), token)
            flow = self.flow(thread)
        payload = flow.effective_input()
        thread["effective"] = payload
        timeout = (
            flow.value("TimeoutSeconds")
            if "TimeoutSeconds" in state
            else (flow.path_value("TimeoutSecondsPath") if "TimeoutSecondsPath" in state else None)
        )
        heartbeat = (
            flow.value("HeartbeatSeconds")
            if "HeartbeatSeconds" in state
            else (
                flow.path_value("HeartbeatSecondsPath") if "HeartbeatSecondsPath" in state else None
            )
        )
        for label, value in (("TimeoutSeconds", timeout), ("HeartbeatSeconds", heartbeat)):
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, int) or value <= 0
            ):
                raise StatesFailure(
                    RUNTIME, f"The value of {label} must be a positive integer, not {value!r}"
                )
        waiting: dict[str, Any] = {"token": token, "resource": resource, "heartbeat_s": heartbeat}
        details: dict[str, Any]
        if kind.type == "activity":  # ActivityStarted comes when a worker takes the task
            details = {"resource": resource, **history.data("input", payload)}
            if timeout:
                details["timeoutInSeconds"] = timeout
            if heartbeat:
                details["heartbeatInSeconds"] = heartbeat
            self.emit(thread, "ActivityScheduled", details)
        elif kind.lambda_function:
            details = {"resource": resource, **history.data("input", payload)}
            if timeout:
                details["timeoutInSeconds"] = timeout
            self.emit(thread, "LambdaFunctionScheduled", details)
            self.emit(thread, "LambdaFunctionStarted")
        else:
            details = {
                "resourceType": kind.type,
                "resource": kind.name,
                "region": kind.region,
                "parameters": history.json_text(payload),
            }
            if timeout:
                details["timeoutInSeconds"] = timeout
            if heartbeat:
                details["heartbeatInSeconds"] = heartbeat
            self.emit(thread, "TaskScheduled", details)
            self.emit(thread, "TaskStarted", {"resourceType": kind.type, "resource": kind.name})
        if timeout:
            waiting["timeout"] = self.token(thread["id"])
            self.effects.append(StartTimer(waiting["timeout"], self.now + timeout, "task-timeout"))
        if heartbeat and callback:  # heartbeats apply where a task reports in: callbacks
            self.arm_heartbeat(thread, waiting)
        thread["phase"], thread["waiting"] = "task", waiting
        self.effects.append(
            InvokeTask(
                token,
                thread["state"],
                resource,
                payload,
                timeout,
                heartbeat,
                callback,
                TaskOrigin(self.execution_id(), self.state_machine_id()),
            )
        )

    def arm_heartbeat(self, thread: Mapping[str, Any], waiting: dict[str, Any]) -> None:
        waiting["heartbeat"] = self.token(thread["id"])
        due = self.now + waiting["heartbeat_s"]
        self.effects.append(StartTimer(waiting["heartbeat"], due, "heartbeat"))

    def task_alive(self, thread: dict[str, Any], waiting: dict[str, Any], signal: Signal) -> None:
        """A callback task's integration answered (TaskSubmitted) or it sent a heartbeat."""
        kind = resource_kind(waiting["resource"], self.region())
        if isinstance(signal, TaskSubmitted) and kind.type == "activity":
            self.emit(thread, "ActivityStarted", {"workerName": str(signal.output or "")})
        elif isinstance(signal, TaskSubmitted):
            details = {"resourceType": kind.type, "resource": kind.name}
            self.emit(thread, "TaskSubmitted", {**details, **history.data("output", signal.output)})
        if waiting.get("heartbeat"):
            self.arm_heartbeat(thread, waiting)  # the old heartbeat timer's token is now stale

    def execution_id(self) -> str:
        return str(self.run["context"]["Execution"].get("Id", ""))

    def state_machine_id(self) -> str:
        return str(self.run["context"]["StateMachine"].get("Id", ""))

    def task_succeeded(
        self, thread: dict[str, Any], waiting: Mapping[str, Any], output: Any
    ) -> None:
        kind = resource_kind(waiting["resource"], self.region())
        try:
            encoded = self.check_size(
                output,
                f"The state/task '{thread['state']}' returned a result with a size exceeding "
                "the maximum number of bytes service limit.",
            )
        except StatesFailure as failure:
            self.state_failed(thread, failure.error, failure.cause)
            return
        self.task_event(thread, kind, "Succeeded", history.data("output", None, encoded))
        try:
            self.exit_state(thread, self.flow(thread), output)
        except StatesFailure as failure:
            self.state_failed(thread, failure.error, failure.cause)

    def task_failed(
        self, thread: dict[str, Any], waiting: Mapping[str, Any], error: str, cause: str
    ) -> None:
        kind = resource_kind(waiting["resource"], self.region())
        self.task_event(thread, kind, "Failed", {"error": error, "cause": cause})
        self.state_failed(thread, error, cause)

    def task_event(
        self, thread: dict[str, Any], kind: ResourceKind, outcome: str, details: dict[str, Any]
    ) -> None:
        """A task's end as its family names it: LambdaFunction*, Activity* or Task*."""
        if kind.lambda_function:
            self.emit(thread, f"LambdaFunction{outcome}", details)
        elif kind.type == "activity":
            self.emit(thread, f"Activity{outcome}", details)
        else:
            self.emit(
                thread,
                f"Task{outcome}",
                {"resourceType": kind.type, "resource": kind.name, **details},
            )

    def task_timed_out(
        self, thread: dict[str, Any], waiting: Mapping[str, Any], error: str
    ) -> None:
        kind = resource_kind(waiting["resource"], self.region())
        self.task_event(thread, kind, "TimedOut", {"error": error, "cause": ""})
        self.state_failed(thread, error, "")

    # --- failures: Retry, then Catch, then the thread fails

    def state_failed(self, thread: dict[str, Any], error: str, cause: str) -> None:
        if error == RUNTIME and not cause.startswith("An error occurred"):
            # AWS says where a runtime error happened, in these words.
            cause = (
                f"An error occurred while executing the state '{thread['state']}' "
                f"(entered at the event id #{thread.get('entered_event', 0)}). {cause}"
            )
        self.cancel_children(thread)
        machine = self.machine_of(thread)
        state = machine.state(thread["state"])
        kind = state["Type"]
        if kind in ("Parallel", "Map") and thread.get("join") is not None:
            self.emit(thread, f"{kind}StateFailed")
        thread["join"] = None
        if error not in TERMINAL:
            decision = retry.decide_retry(
                state.get("Retry", []), thread["attempts"], error, self.rng()
            )
            if decision is not None:
                thread["attempts"][decision.retrier] += 1
                thread["retry_count"] += 1
                self.timer(thread, "retry", self.now + decision.delay_s)
                return
            catcher = retry.find_catcher(state.get("Catch", []), error)
            if catcher is not None:
                flow = self.flow(thread)
                try:
                    outcome = flow.caught(catcher, error, cause)
                except StatesFailure as failure:
                    self.thread_failed(thread, failure.error, failure.cause)
                    return
                self.leave(thread, flow, outcome.output, outcome.assigned, False, catcher["Next"])
                return
        self.thread_failed(thread, error, cause)

    def region(self) -> str:
        parts = self.execution_id().split(":")
        return parts[3] if len(parts) > 3 else ""

    def rng(self) -> random.Random:
        # Seeded by the run so that replaying a step draws the same jitter.
        return random.Random(
            f"{self.run['context']['Execution'].get('Id', '')}#{self.run['next_event']}"
        )

    # --- threads ending

    def thread_succeeded(self, thread: dict[str, Any], output: Any) -> None:
        parent_id = thread["parent"]
        del self.run["threads"][thread["id"]]
        if parent_id is None:
            self.finish_execution(
                "ExecutionSucceeded", history.data("output", output), "SUCCEEDED", output=output
            )
            return
        parent = self.run["threads"][parent_id]
        join = parent["join"]
        join["results"][thread["slot"]] = output
        join["running"].remove(thread["id"])
        parent["last_event"] = max(parent["last_event"], thread["last_event"])
        if join["kind"] == "Map":
            self.emit(
                parent, "MapIterationSucceeded", {"name": parent["state"], "index": thread["slot"]}
            )
        self.progress(parent)

    def thread_failed(self, thread: dict[str, Any], error: str | None, cause: str | None) -> None:
        parent_id = thread["parent"]
        self.cancel_children(thread)
        self.run["threads"].pop(thread["id"], None)
        if parent_id is None:
            self.run["redrive_from"] = _resumable(thread)
            details = {k: v for k, v in (("error", error), ("cause", cause)) if v is not None}
            self.finish_execution("ExecutionFailed", details, "FAILED", error=error, cause=cause)
            return
        parent = self.run["threads"][parent_id]
        join = parent["join"]
        join["running"].remove(thread["id"])
        parent["last_event"] = max(parent["last_event"], thread["last_event"])
        if join["kind"] == "Map":
            self.emit(
                parent, "MapIterationFailed", {"name": parent["state"], "index": thread["slot"]}
            )
            join["failures"] += 1
            if self.tolerated(join):
                join["results"][thread["slot"]] = {"Error": error, "Cause": cause}
                self.progress(parent)
                return
            if join["tolerance"] is not None:
                error, cause = (
                    EXCEED_TOLERATED_FAILURE_THRESHOLD,
                    "The specified tolerated failure threshold was exceeded",
                )
        self.state_failed(parent, error or "", cause or "")

    def cancel_children(self, thread: Mapping[str, Any]) -> None:
        join = thread.get("join")
        if not join:
            return
        for child_id in list(join["running"]):
            child = self.run["threads"].pop(child_id, None)
            if child is not None:
                self.cancel_children(child)
                if join["kind"] == "Map":
                    self.emit(
                        dict(thread),
                        "MapIterationAborted",
                        {"name": thread["state"], "index": child["slot"]},
                    )
        join["running"] = []

    def finish_execution(
        self,
        event_type: str,
        details: dict[str, Any],
        status: str,
        *,
        output: Any = None,
        error: str | None = None,
        cause: str | None = None,
    ) -> None:
        self.emit(None, event_type, details)
        top = self.run["threads"].get("0")
        if top is not None and status in REDRIVABLE:  # where a redrive takes up again
            self.run["redrive_from"] = _resumable(top)
        self.run.update(
            status=status, output=output, error=error, cause=cause, threads={}, stop_date=self.now
        )

    def redrive(self) -> None:
        """Take the run up again at the top-level state that failed (or was running when it
        stopped or timed out), re-entering it: a Parallel or inline Map state runs all its
        branches again, where AWS re-runs only the unsuccessful ones; a distributed Map
        takes up its Map Run, whose unfinished children alone run again."""
        count = int(self.run.get("redrive_count", 0)) + 1
        self.run.update(
            status="RUNNING",
            output=None,
            error=None,
            cause=None,
            stop_date=None,
            redrive_count=count,
            redrive_date=self.now,
        )
        self.run["context"]["Execution"]["RedriveCount"] = count
        thread = self.run.pop("redrive_from")
        thread["last_event"] = self.emit(None, "ExecutionRedriven", {"redriveCount": count})
        if thread.get("map_run") and thread.get("map_run_state") == thread["state"]:
            thread["map_run_redrive"] = thread["map_run"]  # its Map Run is taken up
        self.run["threads"] = {"0": thread}
        timeout = _execution_timeout(self.top, self.run)
        if timeout:
            token = self.token("execution")
            self.run["timeout_token"] = token
            self.effects.append(StartTimer(token, self.now + timeout, "execution-timeout"))

    def abort(self, error: str | None, cause: str | None) -> None:
        for thread in sorted(self.run["threads"].values(), key=lambda t: _order(t["id"])):
            if thread["waiting"].get("map_run"):  # the Map Run goes with the execution
                self.emit(thread, "MapRunAborted")
        details: dict[str, Any] = {}
        if error is not None:
            details["error"] = error
        if cause is not None:
            details["cause"] = cause
        self.finish_execution("ExecutionAborted", details, "ABORTED", error=error, cause=cause)

    # --- Parallel and Map

    def start_parallel(self, thread: dict[str, Any], flow: Flow) -> None:
        branches = flow.state["Branches"]
        effective = flow.effective_input()
        self.emit(thread, "ParallelStateStarted")
        join: dict[str, Any] = {
            "kind": "Parallel",
            "results": [None] * len(branches),
            "running": [],
            "pending": [],
            "failures": 0,
            "tolerance": None,
            "limit": 0,
        }
        thread["join"], thread["phase"] = join, "children"
        for index in range(len(branches)):
            path = [*thread["machine"], thread["state"], index]
            child_machine = self.top.child(tuple(path))
            child_id = f"{thread['id']}.{index}"
            self.run["threads"][child_id] = _thread(
                child_id,
                path,
                thread["id"],
                index,
                child_machine.start_at,
                copy.deepcopy(effective),
                dict(thread["variables"]),
                thread["last_event"],
            )
            self.mark_ready(self.run["threads"][child_id])
            join["running"].append(child_id)
        if not branches:
            self.progress(thread)

    def start_map(self, thread: dict[str, Any], flow: Flow) -> None:
        if distributed.is_distributed(flow.state):
            self.start_map_run(thread, flow)
            return
        items = map_items(flow)
        inputs = [map_item_input(flow, item, index) for index, item in enumerate(items)]
        limit = (
            flow.value("MaxConcurrency", 0)
            if "MaxConcurrencyPath" not in flow.state
            else flow.path_value("MaxConcurrencyPath")
        )
        tolerance = self.tolerance(flow, len(items))
        self.emit(thread, "MapStateStarted", {"length": len(items)})
        thread["join"] = {
            "kind": "Map",
            "results": [None] * len(items),
            "running": [],
            "failures": 0,
            "pending": list(range(len(items))),
            "inputs": inputs,
            "limit": int(limit or 0),
            "tolerance": tolerance,
            "items": [copy.deepcopy(i) for i in items],
        }
        thread["phase"] = "children"
        self.progress(thread)

    def start_map_run(self, thread: dict[str, Any], flow: Flow) -> None:
        """A distributed Map: its Map Run (child executions) is an effect, answered like a
        task; a redrive takes up the run it had (only its unfinished children run again)."""
        redriving = thread.pop("map_run_redrive", None)
        token = self.token(thread["id"])
        label = str(flow.state.get("Label") or thread["state"])
        machine_name = str(self.run["context"]["StateMachine"].get("Name", ""))
        arn = redriving or distributed.map_run_arn(self.execution_id(), machine_name, label, token)
        processor = self.top.child((*thread["machine"], thread["state"]))
        role = str(self.run["context"]["Execution"].get("RoleArn", ""))
        spec = distributed.spec(flow, processor, arn, label, role)
        spec["redrive"] = bool(redriving)
        if redriving:
            count = int(self.run.get("redrive_count", 0))
            self.emit(thread, "MapRunRedriven", {"mapRunArn": arn, "redriveCount": count})
        else:
            self.emit(thread, "MapRunStarted", {"mapRunArn": arn})
        thread["map_run"], thread["map_run_state"] = arn, thread["state"]
        thread["phase"] = "task"
        thread["waiting"] = {"token": token, "map_run": arn, "resource": "mapRun"}
        self.effects.append(StartMapRun(token, thread["state"], spec))

    def map_run_ended(
        self, thread: dict[str, Any], output: Any, error: str | None, cause: str | None
    ) -> None:
        if error is None:
            self.emit(thread, "MapRunSucceeded")
            thread.pop("map_run", None)  # done: a later redrive does not take it up
            try:
                self.exit_state(thread, self.flow(thread), output)
            except StatesFailure as failure:
                self.state_failed(thread, failure.error, failure.cause)
            return
        self.emit(thread, "MapRunFailed", {"error": error, "cause": cause or ""})
        self.state_failed(thread, error, cause or "")

    def tolerance(self, flow: Flow, count: int) -> int | None:
        """How many iterations may fail, or None when any failure fails the Map."""
        state = flow.state
        percent = (
            flow.value("ToleratedFailurePercentage")
            if "ToleratedFailurePercentage" in state
            else (
                flow.path_value("ToleratedFailurePercentagePath")
                if "ToleratedFailurePercentagePath" in state
                else None
            )
        )
        number = (
            flow.value("ToleratedFailureCount")
            if "ToleratedFailureCount" in state
            else (
                flow.path_value("ToleratedFailureCountPath")
                if "ToleratedFailureCountPath" in state
                else None
            )
        )
        limits = []
        if percent is not None:
            limits.append(int(count * float(percent) / 100))
        if number is not None:
            limits.append(int(number))
        return max(limits) if limits else None

    def tolerated(self, join: Mapping[str, Any]) -> bool:
        return join["tolerance"] is not None and join["failures"] <= join["tolerance"]

    def progress(self, thread: dict[str, Any]) -> None:
        """Start what the concurrency limit allows; when everything finished, exit the state."""
        join = thread["join"]
        if join["kind"] == "Map":
            while join["pending"] and (join["limit"] == 0 or len(join["running"]) < join["limit"]):
                index = join["pending"].pop(0)
                path = [*thread["machine"], thread["state"]]
                child_machine = self.top.child(tuple(path))
                child_id = f"{thread['id']}.{index}"
                self.emit(thread, "MapIterationStarted", {"name": thread["state"], "index": index})
                child = _thread(
                    child_id,
                    path,
                    thread["id"],
                    index,
                    child_machine.start_at,
                    join["inputs"][index],
                    dict(thread["variables"]),
                    thread["last_event"],
                )
                child["map_item"] = {"Index": index, "Value": join["items"][index]}
                self.run["threads"][child_id] = child
                self.mark_ready(child)
                join["running"].append(child_id)
        if join["running"] or join["pending"]:
            return
        flow = self.flow(thread)
        self.emit(thread, f"{join['kind']}StateSucceeded")
        thread["join"] = None
        try:
            self.exit_state(thread, flow, join["results"])
        except StatesFailure as failure:
            self.state_failed(thread, failure.error, failure.cause)

    def check_size(self, value: Any, message: str) -> bytes:
        """`value` as JSON (bytes given are taken as already encoded), if within 256 KiB."""
        encoded = value if isinstance(value, bytes) else history.encode(value)
        if len(encoded) > MAX_PAYLOAD_BYTES:
            raise StatesFailure(DATA_LIMIT_EXCEEDED, message)
        return encoded


def _resumable(thread: Mapping[str, Any]) -> dict[str, Any]:
    """A thread as a redrive re-enters it: ready at its state, waiting for nothing."""
    return {
        **copy.deepcopy(dict(thread)),
        "phase": "ready",
        "waiting": {},
        "join": None,
        "task_token": None,
    }


def _order(tid: str) -> tuple[int, ...]:
    return tuple(int(p) for p in tid.split("."))


def _iso(epoch: float) -> str:
    return (
        datetime.datetime.fromtimestamp(epoch, datetime.UTC)
        .isoformat(timespec="milliseconds")
        .replace("+00:00", "Z")
    )


def _text(value: Any) -> str | None:
    if value is None:
        return None
    return value if isinstance(value, str) else history.json_text(value)


__all__ = [
    "CALLBACK_SUFFIX",
    "Crash",
    "Effect",
    "Heartbeat",
    "InvokeTask",
    "Redrive",
    "ResourceKind",
    "Signal",
    "StartMapRun",
    "StartTimer",
    "Step",
    "Stop",
    "TaskFailed",
    "TaskOrigin",
    "TaskSubmitted",
    "TaskSucceeded",
    "TimerFired",
    "resource_kind",
    "resume",
    "start",
]
