"""A driver for interpreter tests: performs effects in simulated time, round-trips every run.

Tasks are plain functions of the payload (an outside world, faked); timers fire in due
order. Every run goes through JSON between steps, which proves the interpreter keeps its
whole state as data.
"""

from __future__ import annotations

import heapq
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from stratus.workflows import definition, interpreter
from stratus.workflows.failure import StatesFailure

START = 1_700_000_000.0


@dataclass
class Outcome:
    run: dict[str, Any]
    events: list[dict[str, Any]]
    calls: list[tuple[str, Any, float]] = field(default_factory=list)  # resource, payload, time
    end_time: float = START

    @property
    def status(self) -> str:
        return str(self.run["status"])

    @property
    def output(self) -> Any:
        return self.run.get("output")

    def types(self) -> list[str]:
        return [e["type"] for e in self.events]

    def details(self, event_type: str) -> list[dict[str, Any]]:
        from stratus.workflows.history import details_key

        return [e.get(details_key(event_type), {}) for e in self.events if e["type"] == event_type]


def run_machine(
    doc: dict[str, Any] | str,
    execution_input: Any = None,
    tasks: dict[str, Callable[[Any], Any]] | None = None,
    *,
    hold: set[str] = frozenset(),  # type: ignore[assignment]
    max_steps: int = 10_000,
) -> Outcome:
    """Run to the end (or until only held tasks are left); tasks raise StatesFailure to fail."""
    text = doc if isinstance(doc, str) else json.dumps(doc)
    machine = definition.parse(text)
    step = interpreter.start(
        machine,
        {} if execution_input is None else execution_input,
        execution={
            "Id": "arn:aws:states:us-east-1:123456789012:execution:sm:e1",
            "Name": "e1",
            "RoleArn": "arn:aws:iam::123456789012:role/r",
            "StartTime": "2023-11-14T22:13:20.000Z",
        },
        state_machine={"Id": "arn:aws:states:us-east-1:123456789012:stateMachine:sm", "Name": "sm"},
        now=START,
    )
    outcome = Outcome(step.run, list(step.events))
    queue: list[tuple[float, int, interpreter.Signal]] = []
    counter = 0
    now = START

    def schedule(effects: list[interpreter.Effect], at: float) -> None:
        nonlocal counter
        for effect in effects:
            counter += 1
            if isinstance(effect, interpreter.StartTimer):
                heapq.heappush(queue, (effect.due, counter, interpreter.TimerFired(effect.token)))
            elif effect.resource in hold:
                continue
            else:
                outcome.calls.append((effect.resource, effect.payload, at))
                function = (tasks or {}).get(effect.resource)
                try:
                    if function is None:
                        raise StatesFailure("States.TaskFailed", f"no fake for {effect.resource}")
                    signal: interpreter.Signal = interpreter.TaskSucceeded(
                        effect.token, function(effect.payload)
                    )
                except StatesFailure as failure:
                    signal = interpreter.TaskFailed(effect.token, failure.error, failure.cause)
                heapq.heappush(queue, (at, counter, signal))

    schedule(step.effects, now)
    run = json.loads(json.dumps(step.run))
    steps = 0
    while queue and run["status"] == "RUNNING":
        steps += 1
        assert steps < max_steps, "the machine did not finish"
        due, _, signal = heapq.heappop(queue)
        now = max(now, due)
        step = interpreter.resume(machine, run, signal, now)
        run = json.loads(json.dumps(step.run))
        outcome.events.extend(step.events)
        schedule(step.effects, now)
    outcome.run, outcome.end_time = run, now
    return outcome
