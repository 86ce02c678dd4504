"""Express executions run synchronously: the same interpreter, driven in memory.

    StartSyncExecution -> interpreter.start -> effects: tasks run concurrently through the
    TaskRunner, timers wait on the clock -> each answer resumes the run -> ... -> the end

Nothing is stored: AWS keeps no history for Express executions (its logs only, written step
by step as the run goes, so a stuck execution's progress shows), and a sync
execution is at-most-once: a crash loses it and the caller sees the connection fail. An
Express execution lasts at most five minutes (EXPRESS_LIMIT_S); past that it ends TIMED_OUT
with States.Timeout, as on AWS.

The driver owns every task it starts: when the run ends (or the caller goes away) the
TaskGroup cancels what is still out, so nothing outlives the request.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import heapq
from collections.abc import Callable, Mapping
from typing import Any

from stratus.store.clock import Clock
from stratus.workflows import definition, interpreter
from stratus.workflows.executions import TaskRunner
from stratus.workflows.failure import RUNTIME, StatesFailure

EXPRESS_LIMIT_S = 300
LIMIT_TOKEN = "express-limit"


async def wait_run(
    machine: definition.Machine,
    execution_input: Any,
    *,
    execution: Mapping[str, Any],
    state_machine: Mapping[str, Any],
    clock: Clock,
    runner: TaskRunner,
    on_events: Callable[[list[dict[str, Any]]], None] | None = None,
) -> interpreter.Step:
    """Run an execution to its end; the last Step holds the final run and all events.
    `on_events` hears each step's events as it is taken (its logs, written as it runs)."""
    started = clock.now()
    step = interpreter.start(
        machine,
        execution_input,
        execution=execution,
        state_machine=state_machine,
        now=started,
        history_limit=None,  # AWS's 25,000-event quota is a Standard execution's
    )
    events = list(step.events)
    if on_events is not None and step.events:
        on_events(step.events)
    answers: asyncio.Queue[interpreter.Signal] = asyncio.Queue()
    timers: list[tuple[float, str]] = []  # (due, token), earliest first
    if machine.timeout_seconds is None or machine.timeout_seconds > EXPRESS_LIMIT_S:
        # The five-minute limit is the execution's timeout (the interpreter knows one).
        step.run["timeout_token"] = LIMIT_TOKEN
        heapq.heappush(timers, (started + EXPRESS_LIMIT_S, LIMIT_TOKEN))
    running: list[asyncio.Task[None]] = []
    async with asyncio.TaskGroup() as tasks:
        while not step.finished:
            for effect in step.effects:
                if isinstance(effect, interpreter.StartTimer):
                    heapq.heappush(timers, (effect.due, effect.token))
                elif isinstance(effect, interpreter.StartMapRun):  # AWS refuses them too
                    answers.put_nowait(
                        interpreter.TaskFailed(
                            effect.token, RUNTIME, "Express executions cannot run a distributed Map"
                        )
                    )
                else:
                    running.append(tasks.create_task(_wait_task(runner, effect, answers)))
            signal = await _wait_next(clock, answers, timers)
            step = interpreter.resume(machine, step.run, signal, clock.now())
            events.extend(step.events)
            if on_events is not None and step.events:
                on_events(step.events)
        for task in running:  # what is still out (a timed-out task) is not waited for
            task.cancel()
    return interpreter.Step(step.run, events, [])


async def _wait_task(
    runner: TaskRunner, effect: interpreter.InvokeTask, answers: asyncio.Queue[interpreter.Signal]
) -> None:
    try:
        result = await runner.wait_run(
            effect.resource, effect.payload, effect.timeout_s, effect.origin
        )
        answers.put_nowait(interpreter.TaskSucceeded(effect.token, result))
    except StatesFailure as failure:
        answers.put_nowait(interpreter.TaskFailed(effect.token, failure.error, failure.cause))
    except Exception as exc:  # a bug in an integration: the task fails, the request lives
        answers.put_nowait(
            interpreter.TaskFailed(effect.token, RUNTIME, f"{type(exc).__name__}: {exc}")
        )


async def _wait_next(
    clock: Clock, answers: asyncio.Queue[interpreter.Signal], timers: list[tuple[float, str]]
) -> interpreter.Signal:
    """The next task answer, or the next timer once it is due."""
    while True:
        if not answers.empty():
            return answers.get_nowait()
        if timers and timers[0][0] <= clock.now():
            return interpreter.TimerFired(heapq.heappop(timers)[1])
        woken = asyncio.Event()
        getter = asyncio.ensure_future(answers.get())
        getter.add_done_callback(functools.partial(_wake, woken))
        try:
            await clock.wait_until(timers[0][0] if timers else None, woken)
        finally:
            if getter.done() and not getter.cancelled():
                answers.put_nowait(getter.result())
            else:
                getter.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await getter


def _wake(woken: asyncio.Event, _: object) -> None:
    woken.set()
