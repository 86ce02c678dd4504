"""What an execution's history says each state did: the page colours states from this.

Events arrive in id order (GetExecutionHistory's). A *visit* is one entry into a state:
opened by `…StateEntered`, closed by `…StateExited` or by the end of what holds it. Other
events belong to a visit through `previousEventId`, which chains each event to the one
before it on the same path of control (history.py): a task's Scheduled, Failed and
re-Scheduled events chain back to its Entered. A visit inside a Parallel branch or a Map
iteration has that Parallel or Map visit as its parent, so the join's events
(`ParallelStateSucceeded`, `MapIterationFailed`, …), which chain to the branch's last event,
find their state by walking up to the nearest open visit of their kind.

A visit ends as one of

    succeeded   exited without an error pending
    caught      exited after a failure: a Catch took it to its Next
    failed      a failure nothing caught (the execution or its Parallel/Map failed with it
                open), or a Fail state
    aborted     still open when the execution stopped, timed out or its Parallel/Map failed
                for another branch's reason
    running     none of these yet

and counts its retries: a failure followed by more work in the same visit is a retry.
Each state gathers its visits (a Map's iterator states have one per item; the first
`KEPT_VISITS` are kept whole, the rest counted) and one status to colour it by. Pure: no I/O.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

KEPT_VISITS = 50
START, END = "__start__", "__end__"  # as graph.py names the markers
_CONTAINERS = ("Parallel", "Map")
# A state's colour when its visits differ: the first of these any visit has.
_PRECEDENCE = ("running", "failed", "caught", "aborted", "succeeded")


@dataclass
class Visit:
    name: str
    type: str  # the state's type, from the event type: Task, Parallel, ...
    parent: Visit | None
    input: str | None
    entered: float
    status: str = "running"
    output: str | None = None
    exited: float | None = None
    errors: list[dict[str, str]] = field(default_factory=list)
    retries: int = 0
    pending: bool = False  # a failure not yet retried, caught or final
    iteration: int | None = None  # the Map iteration (item index) it ran in, if any
    executions: list[str] = field(default_factory=list)  # executions its task started

    @property
    def open(self) -> bool:
        return self.status == "running"

    def close(self, status: str, when: float) -> None:
        self.status, self.exited, self.pending = status, when, False

    def json(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "input": self.input,
            "output": self.output,
            "errors": self.errors,
            "retries": self.retries,
            "retrying": self.open and self.pending,
            "entered": self.entered,
            "exited": self.exited,
            "iteration": self.iteration,
            "executions": self.executions,
        }


@dataclass
class Execution:
    """The trace so far: each state's visits, the transitions taken, the execution's end."""

    status: str = "RUNNING"
    last_event_id: int = 0
    input: str | None = None
    output: str | None = None
    error: str | None = None
    cause: str | None = None
    visits: dict[str, list[Visit]] = field(default_factory=dict)
    transitions: list[tuple[str, str]] = field(default_factory=list)

    def json(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "lastEventId": self.last_event_id,
            "input": self.input,
            "output": self.output,
            "error": self.error,
            "cause": self.cause,
            "states": {name: _state(visits) for name, visits in self.visits.items()},
            "transitions": [list(pair) for pair in self.transitions],
        }

    def visit(self, name: str, index: int) -> dict[str, Any] | None:
        """One visit of a state, by its position (the page browses them one by one, past
        the KEPT_VISITS the whole trace carries)."""
        visits = self.visits.get(name) or []
        return visits[index].json() if 0 <= index < len(visits) else None


def _state(visits: list[Visit]) -> dict[str, Any]:
    counts = {status: 0 for status in _PRECEDENCE}
    for visit in visits:
        counts[visit.status] += 1
    return {
        "type": visits[0].type,
        "status": next(s for s in _PRECEDENCE if counts[s]),
        "counts": counts,
        "retries": sum(v.retries for v in visits),
        "retrying": any(v.open and v.pending for v in visits),  # failed, its retry not yet due
        "visits": [v.json() for v in visits[:KEPT_VISITS]],
        "more": max(0, len(visits) - KEPT_VISITS),
    }


def trace(events: Iterable[Mapping[str, Any]]) -> Execution:
    """Read a whole history (oldest first)."""
    reader = Reader()
    for event in events:
        reader.read(event)
    return reader.execution


class Reader:
    """Reads a history event by event, so a page can be fed only what is new. Events it has
    read already (by id) are skipped: two readers of the same new events cannot double them."""

    def __init__(self) -> None:
        self.execution = Execution()
        self.owner: dict[int, Visit | None] = {}  # event id -> the visit it belongs to
        self.kind: dict[int, str] = {}  # event id -> its type
        self.opened: list[Visit] = []  # every visit, in entry order
        self.iterations: dict[int, int] = {}  # MapIterationStarted event id -> item index

    @property
    def last_event_id(self) -> int:
        return self.execution.last_event_id

    def read(self, event: Mapping[str, Any]) -> None:
        kind, ident = str(event["type"]), int(event["id"])
        if ident <= self.execution.last_event_id:
            return
        previous = int(event.get("previousEventId") or 0)
        when = float(event.get("timestamp", 0) or 0)
        details = _details(event)
        self.kind[ident] = kind
        self.execution.last_event_id = max(self.execution.last_event_id, ident)
        if kind.startswith("Execution"):
            self.owner[ident] = None
            self._execution(kind, details, previous, when)
        elif kind.endswith("StateEntered"):
            self.owner[ident] = self._enter(kind, details, previous, when)
        elif kind.endswith("StateExited"):
            self.owner[ident] = self._exit(details, previous, when)
        else:
            self.owner[ident] = self._within(kind, details, previous, when)

    def _enter(self, kind: str, details: Mapping[str, Any], previous: int, when: float) -> Visit:
        before = self.owner.get(previous)
        starts_body = self.kind.get(previous) in ("ParallelStateStarted", "MapIterationStarted")
        parent = before if starts_body else (before.parent if before else None)
        name = str(details.get("name", ""))
        visit = Visit(name, kind.removesuffix("StateEntered"), parent, details.get("input"), when)
        if self.kind.get(previous) == "MapIterationStarted":
            visit.iteration = self.iterations.get(previous)
        elif before is not None:  # the same iteration as the visit before it, or its holder's
            visit.iteration = before.iteration
        self.execution.visits.setdefault(name, []).append(visit)
        self.opened.append(visit)
        came_from = self.kind.get(previous, "")
        if came_from.endswith("StateExited") and before is not None:
            self._taken(before.name, name)
        elif came_from in ("ExecutionStarted", "ExecutionRedriven") or previous == 0:
            self._taken(START, name)
        return visit

    def _exit(self, details: Mapping[str, Any], previous: int, when: float) -> Visit | None:
        name = str(details.get("name", ""))
        before = self.owner.get(previous)
        visit = before if before and before.open and before.name == name else None
        if visit is None:  # a Parallel/Map exit chains to its join event, or to a branch
            visit = next((v for v in reversed(self.opened) if v.open and v.name == name), None)
        if visit is None:
            return None
        visit.output = details.get("output")
        visit.close("caught" if visit.pending else "succeeded", when)
        return visit

    def _within(
        self, kind: str, details: Mapping[str, Any], previous: int, when: float
    ) -> Visit | None:
        visit = self.owner.get(previous)
        container = next((c for c in _CONTAINERS if kind.startswith(c)), None)
        if container is not None:  # join events chain to a branch's last event
            while visit is not None and not (visit.open and visit.type == container):
                visit = visit.parent
        if visit is None:
            return None
        if kind.startswith("MapIteration"):
            if kind == "MapIterationStarted" and isinstance(details.get("index"), int):
                self.iterations[self.execution.last_event_id] = details["index"]
            return visit  # an item's fate; the Map's own events say the state's
        if kind in ("TaskSucceeded", "TaskSubmitted"):
            visit.executions += _started_execution(details.get("output"))
        if _is_failure(kind):
            error = details.get("error")
            if error is None and container is not None:
                error, cause = self._inner_error(visit)
            else:
                cause = details.get("cause", "")
            visit.errors.append({"error": str(error or kind), "cause": str(cause or "")})
            visit.pending = True
            if container is not None:
                self._close_inside(visit, when)
        elif visit.pending:  # more work after a failure: a retrier took it
            visit.retries += 1
            visit.pending = False
        return visit

    def _execution(self, kind: str, details: Mapping[str, Any], previous: int, when: float) -> None:
        run = self.execution
        if kind == "ExecutionStarted":
            run.status, run.input = "RUNNING", details.get("input")
        elif kind == "ExecutionRedriven":
            run.status, run.error, run.cause = "RUNNING", None, None
        elif kind == "ExecutionSucceeded":
            run.status, run.output = "SUCCEEDED", details.get("output")
            last = self.owner.get(previous)
            if last is not None and self.kind.get(previous, "").endswith("StateExited"):
                self._taken(last.name, END)
        else:
            run.status = {
                "ExecutionFailed": "FAILED",
                "ExecutionTimedOut": "TIMED_OUT",
                "ExecutionAborted": "ABORTED",
            }.get(kind, run.status)
            run.error, run.cause = details.get("error"), details.get("cause")
            for visit in self.opened:
                if visit.open:
                    visit.close(_final(kind, visit), when)
                    if kind == "ExecutionTimedOut":
                        visit.errors.append({"error": "States.Timeout", "cause": ""})
                    elif visit.type == "Fail" and kind == "ExecutionFailed":  # its Error, Cause
                        visit.errors.append({"error": run.error or "", "cause": run.cause or ""})
            if kind == "ExecutionFailed" and self.kind.get(previous, "").endswith("StateEntered"):
                last = self.owner.get(previous)
                if last is not None and last.type == "Fail":
                    self._taken(last.name, END)

    def _inner_error(self, container: Visit) -> tuple[str | None, str]:
        """A Parallel/Map fails without details: its failing branch's error tells why."""
        for visit in reversed(self.opened):
            if _inside(visit, container) and visit.errors:
                return visit.errors[-1]["error"], visit.errors[-1]["cause"]
        return None, ""

    def _close_inside(self, container: Visit, when: float) -> None:
        for visit in self.opened:
            if visit.open and _inside(visit, container):
                visit.close(_final("", visit), when)

    def _taken(self, source: str, target: str) -> None:
        if (source, target) not in self.execution.transitions:
            self.execution.transitions.append((source, target))


def _final(kind: str, visit: Visit) -> str:
    """How a visit still open when the execution ended went: a timeout fails whatever ran;
    otherwise the failing state (and the Parallel/Map holding it) failed, the rest stopped."""
    if kind == "ExecutionTimedOut" or visit.pending or visit.type == "Fail":
        return "failed"
    return "aborted"


def _inside(visit: Visit, container: Visit) -> bool:
    parent = visit.parent
    while parent is not None:
        if parent is container:
            return True
        parent = parent.parent
    return False


def _started_execution(output: Any) -> list[str]:
    """The execution a states:startExecution task started, named in its output."""
    if not isinstance(output, str) or '"ExecutionArn"' not in output:
        return []
    try:
        found = json.loads(output).get("ExecutionArn")
    except (ValueError, AttributeError):
        return []
    return [found] if isinstance(found, str) else []


def _is_failure(kind: str) -> bool:
    return kind.endswith(("Failed", "TimedOut", "StartFailed", "ScheduleFailed", "SubmitFailed"))


def _details(event: Mapping[str, Any]) -> Mapping[str, Any]:
    for key, value in event.items():
        if key.endswith("EventDetails") and isinstance(value, Mapping):
            return value
    return {}
