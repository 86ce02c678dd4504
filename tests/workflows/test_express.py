"""Express executions in memory: tasks run concurrently, timers wait on the clock, the
five-minute limit ends a run TIMED_OUT, and nothing is left running afterwards."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from stratus.store.clock import ManualClock
from stratus.workflows import definition, express
from stratus.workflows.failure import StatesFailure

FN = "arn:aws:lambda:us-east-1:123456789012:function:f"


class Runner:
    """An outside world: each call answers by `answer(payload)`, after `gate` opens."""

    def __init__(self, answer: Any = None, gate: asyncio.Event | None = None) -> None:
        self.answer, self.gate = answer, gate
        self.started: list[Any] = []
        self.cancelled = 0

    async def wait_run(
        self, resource: str, payload: Any, timeout_s: int | None, origin: Any
    ) -> Any:
        self.started.append(payload)
        try:
            if self.gate is not None:
                await self.gate.wait()
        except asyncio.CancelledError:
            self.cancelled += 1
            raise
        return self.answer(payload) if self.answer else payload


def machine(states: dict[str, Any], **top: Any) -> definition.Machine:
    return definition.parse(json.dumps({"StartAt": next(iter(states)), "States": states, **top}))


async def run(m: definition.Machine, payload: Any, runner: Runner, clock: ManualClock):
    return await express.wait_run(
        m,
        payload,
        execution={"Id": "arn:x", "Name": "x"},
        state_machine={"Id": "arn:y"},
        clock=clock,
        runner=runner,
    )


async def until(predicate, clock: ManualClock | None = None) -> None:
    for _ in range(1000):
        if predicate():
            return
        await asyncio.sleep(0)
    raise AssertionError("never happened")


def test_tasks_and_passes_run_to_the_end():
    m = machine(
        {
            "T": {"Type": "Task", "Resource": FN, "ResultPath": "$.r", "Next": "P"},
            "P": {"Type": "Pass", "Parameters": {"sum.$": "States.MathAdd($.a, $.r)"}, "End": True},
        }
    )

    step = asyncio.run(run(m, {"a": 2}, Runner(lambda p: p["a"] * 10), ManualClock(1000.0)))

    assert step.run["status"] == "SUCCEEDED"
    assert step.run["output"] == {"sum": 22}
    assert step.events[0]["type"] == "ExecutionStarted"
    assert step.events[-1]["type"] == "ExecutionSucceeded"


def test_parallel_branches_run_their_tasks_at_the_same_time():
    branch = {"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": FN, "End": True}}}
    m = machine({"P": {"Type": "Parallel", "Branches": [branch, branch], "End": True}})

    async def scenario():
        gate = asyncio.Event()
        runner = Runner(gate=gate)
        running = asyncio.create_task(run(m, {"x": 1}, runner, ManualClock(1000.0)))
        await until(lambda: len(runner.started) == 2)  # both out before either answered
        gate.set()
        return await running

    step = asyncio.run(scenario())

    assert step.run["output"] == [{"x": 1}, {"x": 1}]


def test_waits_follow_the_clock():
    m = machine({"W": {"Type": "Wait", "Seconds": 30, "End": True}})

    async def scenario():
        clock = ManualClock(1000.0)
        running = asyncio.create_task(run(m, {}, Runner(), clock))
        await until(lambda: 1030.0 in clock.deadlines())
        early = running.done()
        clock.advance(30)
        return early, await running

    early, step = asyncio.run(scenario())

    assert early is False
    assert step.run["status"] == "SUCCEEDED"


def test_five_minutes_is_the_limit():
    m = machine({"W": {"Type": "Wait", "Seconds": 600, "End": True}})

    async def scenario():
        clock = ManualClock(1000.0)
        running = asyncio.create_task(run(m, {}, Runner(), clock))
        await until(lambda: 1300.0 in clock.deadlines())
        clock.advance(300)
        return await running

    step = asyncio.run(scenario())

    assert step.run["status"] == "TIMED_OUT"
    assert step.events[-1]["type"] == "ExecutionTimedOut"


def test_a_timed_out_task_is_caught_and_cancelled():
    m = machine(
        {
            "T": {
                "Type": "Task",
                "Resource": FN,
                "TimeoutSeconds": 5,
                "Catch": [{"ErrorEquals": ["States.Timeout"], "Next": "Late"}],
                "End": True,
            },
            "Late": {"Type": "Pass", "End": True},
        }
    )

    async def scenario():
        clock = ManualClock(1000.0)
        runner = Runner(gate=asyncio.Event())  # never opens
        running = asyncio.create_task(run(m, {}, runner, clock))
        await until(lambda: 1005.0 in clock.deadlines())
        clock.advance(5)
        return runner, await running

    runner, step = asyncio.run(scenario())

    assert step.run["output"] == {"Error": "States.Timeout", "Cause": ""}
    assert runner.cancelled == 1


def test_task_failures_are_retried_on_the_clock():
    m = machine(
        {
            "T": {
                "Type": "Task",
                "Resource": FN,
                "Retry": [{"ErrorEquals": ["E"], "IntervalSeconds": 2}],
                "End": True,
            }
        }
    )
    calls = []

    def answer(payload: Any) -> Any:
        calls.append(payload)
        if len(calls) < 2:
            raise StatesFailure("E", "first")
        return "ok"

    async def scenario():
        clock = ManualClock(1000.0)
        running = asyncio.create_task(run(m, {}, Runner(answer), clock))
        await until(lambda: 1002.0 in clock.deadlines())
        clock.advance(2)
        return await running

    step = asyncio.run(scenario())

    assert step.run["output"] == "ok"
    assert len(calls) == 2
