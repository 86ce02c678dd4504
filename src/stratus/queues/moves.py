"""Message move tasks (StartMessageMoveTask and friends): redrive a dead-letter queue's
messages back to the queues they came from, or to one destination.

A task moves the messages that were due when it started, oldest-due first, in batches;
each batch deletes from the source and inserts into the destination in one transaction, so
a crash neither loses nor duplicates a message. Tasks themselves live in memory: after a
restart a task that was running is simply gone (its moved messages stay moved), and it can
be started again.
"""

from __future__ import annotations

import asyncio
import base64
import json
import sqlite3
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from stratus.store.db import Database, transaction

from . import store
from .errors import InvalidParameter, MoveResourceNotFound, QueueNotFound, Unsupported
from .model import MoveTask, Queue

if TYPE_CHECKING:
    from .service import QueueService

MAX_RATE = 500
UNLIMITED_BATCH = 100
MAX_LISTED = 10


@dataclass(slots=True)
class _Running:
    task: MoveTask
    cancelled: bool = False


class MoveTasks:
    def __init__(self, queues: QueueService, db: Database, clock: Callable[[], float]) -> None:
        self._queues = queues
        self._db = db
        self._clock = clock
        self._tasks: dict[str, _Running] = {}  # by handle, in start order

    async def start(self, source_arn: str, destination_arn: str | None, rate: int | None) -> str:
        source = self._existing(source_arn, "SourceArn")
        destination = self._existing(destination_arn, "DestinationArn") if destination_arn else None
        if rate is not None and not 1 <= rate <= MAX_RATE:
            raise InvalidParameter(
                f"Value {rate} for parameter MaxNumberOfMessagesPerSecond is invalid. Reason: "
                f"Must be between 1 and {MAX_RATE}."
            )
        if not any(q.redrive and q.redrive.deadLetterTargetArn == source.arn for q in self._all()):
            raise Unsupported("Source queue must be configured as a Dead Letter Queue.")
        if any(
            r.task.SourceArn == source.arn and r.task.Status == "RUNNING"
            for r in self._tasks.values()
        ):
            raise Unsupported(
                "There is already a task running. Only one active task is allowed for a source "
                "queue arn at a given time."
            )
        total = await self._db.run(lambda c: store.count_all(c, source.id))
        handle = base64.b64encode(
            json.dumps({"taskId": str(uuid.uuid4()), "sourceArn": source.arn}).encode()
        ).decode()
        task = MoveTask(
            handle,
            "RUNNING",
            source.arn,
            destination.arn if destination else None,
            rate,
            0,
            total,
            int(self._clock() * 1000),
        )
        self._forget_finished(source.arn)
        running = _Running(task)
        self._tasks[handle] = running
        self._queues.spawn(self._wait_move(running, source, destination))
        return handle

    def tasks_of(self, source_arn: str, max_results: int | None) -> list[MoveTask]:
        source = self._existing(source_arn, "SourceArn")
        if max_results is not None and not 1 <= max_results <= MAX_LISTED:
            raise InvalidParameter(
                f"Value {max_results} for parameter MaxResults is invalid. Reason: Must be "
                f"between 1 and {MAX_LISTED}."
            )
        found = [r.task for r in self._tasks.values() if r.task.SourceArn == source.arn]
        return found[::-1][: max_results or 1]

    def cancel(self, handle: str) -> int:
        running = self._tasks.get(handle)
        if running is None or running.task.Status != "RUNNING":
            raise MoveResourceNotFound("Task does not exist.")
        running.cancelled = True
        running.task = replace(running.task, Status="CANCELLING")
        return running.task.ApproximateNumberOfMessagesMoved

    def _forget_finished(self, source_arn: str) -> None:
        """Keep room for a new task among the source's last MAX_LISTED, all ListMessage-
        MoveTasks shows: older finished ones go (one per task ever started, before)."""
        mine = [h for h, r in self._tasks.items() if r.task.SourceArn == source_arn]
        for handle in mine[: max(len(mine) - MAX_LISTED + 1, 0)]:
            if self._tasks[handle].task.Status not in ("RUNNING", "CANCELLING"):
                del self._tasks[handle]

    def running(self) -> int:
        return sum(r.task.Status in ("RUNNING", "CANCELLING") for r in self._tasks.values())

    def _all(self) -> list[Queue]:
        return self._queues.all_queues()

    def _existing(self, arn: str, parameter: str) -> Queue:
        try:
            return self._queues.queue_by_arn(arn)
        except QueueNotFound:
            raise MoveResourceNotFound(
                f"The resource that you specified for the {parameter} parameter doesn't exist."
            ) from None

    async def _wait_move(self, running: _Running, source: Queue, fixed: Queue | None) -> None:
        task = running.task
        rate = task.MaxNumberOfMessagesPerSecond
        left = task.ApproximateNumberOfMessagesToMove or 0
        while left > 0 and not running.cancelled:
            now = int(self._clock() * 1000)
            batch = min(left, rate or UNLIMITED_BATCH)

            def work(
                conn: sqlite3.Connection, now: int = now, batch: int = batch
            ) -> tuple[int, set[int], str | None]:
                moved, touched = 0, set[int]()
                with transaction(conn):
                    for message in list(store.due(conn, source.id, now, batch)):
                        target = fixed or self._origin(message)
                        if target is None:
                            return moved, touched, "The message's source queue does not exist."
                        extra = {k: v for k, v in message.extra.items() if k != "s"}
                        store.move(
                            conn, source.id, message, target.id, target.fifo, now, extra, False
                        )
                        moved += 1
                        touched.add(target.id)
                return moved, touched, None

            moved, touched, failure = await self._db.run(work)
            for queue_id in touched:
                self._queues.wake(queue_id)
            running.task = replace(
                running.task,
                ApproximateNumberOfMessagesMoved=running.task.ApproximateNumberOfMessagesMoved
                + moved,
            )
            if failure:
                running.task = replace(running.task, Status="FAILED", FailureReason=failure)
                return
            if moved == 0:
                break
            left -= moved
            await asyncio.sleep(moved / rate if rate else 0)
        status = "CANCELLED" if running.cancelled else "COMPLETED"
        running.task = replace(running.task, Status=status)

    def _origin(self, message: store.Stored) -> Queue | None:
        try:
            return self._queues.queue_by_arn(message.extra.get("s", ""))
        except QueueNotFound:
            return None
