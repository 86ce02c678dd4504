"""What the interpreter asks of the world (effects) and what the world answers (signals).

    effects   InvokeTask (run an integration; `callback`: its answer comes by SendTask*;
              `origin`: the execution and state machine it runs for)
              StartMapRun (a distributed Map's child executions; maprun.py)
              StartTimer (Wait, Retry delays, task/heartbeat/execution timeouts)
    signals   TaskSucceeded, TaskFailed, TaskSubmitted (a callback's integration answered),
              Heartbeat, TimerFired, Stop (StopExecution), Crash (the driver's last resort),
              Redrive (RedriveExecution)

Every effect carries a token, and every signal names one: that is how a signal finds the
thread that waits for it, and how a stale one (a repeat, a timer for a finished task) is
recognised and changes nothing. A `Step` is what one call of the interpreter returns.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class TaskOrigin:
    """The run a Task belongs to, for integrations that name it (events:putEvents adds both
    ARNs to each entry's Resources). Empty where there is no run (TestState)."""

    execution_arn: str = ""
    state_machine_arn: str = ""


@dataclass(frozen=True, slots=True)
class InvokeTask:
    token: str
    state: str
    resource: str  # as written, with any .waitForTaskToken suffix
    payload: Any
    timeout_s: int | None
    heartbeat_s: int | None
    callback: bool = False  # .waitForTaskToken: the result comes by SendTask*, not by the call
    origin: TaskOrigin = TaskOrigin()


@dataclass(frozen=True, slots=True)
class StartTimer:
    token: str
    due: float  # epoch seconds
    purpose: str  # wait | retry | task-timeout | execution-timeout


@dataclass(frozen=True, slots=True)
class StartMapRun:
    """A distributed Map state's Map Run: read the items, run each (or each batch) as a
    child execution, answer TaskSucceeded (the results) or TaskFailed to `token`.

    `spec` is JSON: arn, label, items (when the state input holds them) or reader
    (resource, parameters, config), batcher, selector (what ItemSelector needs), limits,
    writer, processor (the child machine's definition text), redrive."""

    token: str
    state: str
    spec: dict[str, Any]


Effect = InvokeTask | StartTimer | StartMapRun


@dataclass(frozen=True, slots=True)
class TaskSucceeded:
    token: str
    output: Any


@dataclass(frozen=True, slots=True)
class TaskFailed:
    token: str
    error: str
    cause: str = ""


@dataclass(frozen=True, slots=True)
class TimerFired:
    token: str


@dataclass(frozen=True, slots=True)
class TaskSubmitted:
    """A callback task's integration call succeeded; the run now waits for its token."""

    token: str
    output: Any


@dataclass(frozen=True, slots=True)
class Heartbeat:
    """SendTaskHeartbeat: the callback task is alive; its heartbeat timer starts again."""

    token: str


@dataclass(frozen=True, slots=True)
class Stop:
    error: str | None = None
    cause: str | None = None


@dataclass(frozen=True, slots=True)
class Crash:
    """The driver could not step the run (a bug of ours): fail the execution, not hang it."""

    cause: str


@dataclass(frozen=True, slots=True)
class Redrive:
    """RedriveExecution: a FAILED, TIMED_OUT or ABORTED run goes on from where it stopped."""


Signal = (
    TaskSucceeded | TaskFailed | TimerFired | TaskSubmitted | Heartbeat | Stop | Crash | Redrive
)


@dataclass(slots=True)
class Step:
    run: dict[str, Any]
    events: list[dict[str, Any]] = field(default_factory=list)
    effects: list[Effect] = field(default_factory=list)
    accepted: bool = True  # False: nothing waited for the signal, and nothing changed

    @property
    def finished(self) -> bool:
        return bool(self.run["status"] != "RUNNING")


@dataclass(frozen=True, slots=True)
class ResourceKind:
    lambda_function: bool  # a plain function ARN: LambdaFunction* events
    type: str  # history's resourceType ("lambda", "sqs", ...)
    name: str  # history's resource ("invoke", "sendMessage", ...)
    region: str


def resource_kind(resource: str, region: str = "") -> ResourceKind:
    """How a Task's Resource ARN appears in history (`region`: the execution's, by default)."""
    parts = resource.split(":")
    if len(parts) >= 7 and parts[2] == "lambda" and parts[5] == "function":
        return ResourceKind(True, "lambda", resource, parts[3])
    if len(parts) >= 8 and parts[2] == "states" and parts[5] == "aws-sdk":
        # arn:aws:states:::aws-sdk:s3:getObject: resourceType aws-sdk:s3, resource getObject
        return ResourceKind(False, f"aws-sdk:{parts[6]}", ":".join(parts[7:]), region)
    if len(parts) >= 7 and parts[2] == "states" and parts[3] == "" and parts[4] == "":
        # arn:aws:states:::lambda:invoke, arn:aws:states:::sqs:sendMessage.waitForTaskToken
        return ResourceKind(False, parts[5], ":".join(parts[6:]), region)
    if len(parts) >= 7 and parts[2] == "states" and parts[5] == "activity":
        return ResourceKind(False, "activity", resource, parts[3])
    return ResourceKind(False, parts[2] if len(parts) > 2 else "", resource, region)
