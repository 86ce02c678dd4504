"""Activity tasks: the work a Task state with an activity ARN hands to polling workers.

    step (transaction) -> a row in sfn_activity_tasks (the activity, the task token, the
                          input) and a wake-up for that activity's long polls
    GetActivityTask    -> (transaction) the oldest row taken and deleted, ActivityStarted
                          committed to the run with the worker's name; or, after 60 s of
                          nothing, no task (taskToken absent), as on AWS
    SendTask*          -> the run goes on (executions.answer)

A task is handed out once: a worker that takes it and dies leaves the task to its
TimeoutSeconds or HeartbeatSeconds, as on AWS. Rows of tasks the run stopped waiting for
(timed out, the execution ended) are dropped when met, or with their execution.
Long polls park under their activity and are woken from the database thread by the step
that adds a row; since every statement runs on that one thread, the woken poll's read runs
after the adding transaction ended, so no task is missed between a read and a park.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections import defaultdict
from dataclasses import dataclass

LONG_POLL_S = 60.0


@dataclass(frozen=True, slots=True)
class ActivityTask:
    activity_arn: str
    execution_arn: str
    token: str  # the effect token the run waits on
    task_token: str  # what the worker is given
    input: str


def stage(conn: sqlite3.Connection, task: ActivityTask) -> None:
    conn.execute(
        "INSERT INTO sfn_activity_tasks (activity_arn, execution_arn, token, task_token, input)"
        " VALUES (?, ?, ?, ?, ?)",
        (task.activity_arn, task.execution_arn, task.token, task.task_token, task.input),
    )


def take(conn: sqlite3.Connection, activity_arn: str) -> ActivityTask | None:
    row = conn.execute(
        "SELECT rowid, execution_arn, token, task_token, input FROM sfn_activity_tasks"
        " WHERE activity_arn = ? ORDER BY rowid LIMIT 1",
        (activity_arn,),
    ).fetchone()
    if row is None:
        return None
    conn.execute("DELETE FROM sfn_activity_tasks WHERE rowid = ?", (row[0],))
    return ActivityTask(activity_arn, row[1], row[2], row[3], row[4])


def purge(conn: sqlite3.Connection, execution_arn: str) -> None:
    conn.execute("DELETE FROM sfn_activity_tasks WHERE execution_arn = ?", (execution_arn,))


class Waiters:
    """Long polls by activity, woken from any thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._parked: defaultdict[str, set[tuple[asyncio.AbstractEventLoop, asyncio.Event]]] = (
            defaultdict(set)
        )

    def park(self, activity_arn: str) -> asyncio.Event:
        woken = asyncio.Event()
        with self._lock:
            self._parked[activity_arn].add((asyncio.get_running_loop(), woken))
        return woken

    def leave(self, activity_arn: str, woken: asyncio.Event) -> None:
        with self._lock:
            parked = self._parked.get(activity_arn, set())
            for entry in [e for e in parked if e[1] is woken]:
                parked.discard(entry)
            if not parked:
                self._parked.pop(activity_arn, None)

    def wake(self, activity_arn: str) -> None:
        with self._lock:
            parked = list(self._parked.get(activity_arn, ()))
        for loop, woken in parked:
            if not loop.is_closed():
                loop.call_soon_threadsafe(woken.set)
