"""Map Runs: a distributed Map state's child executions, durable like the rest.

    parent step commits StartMapRun --(same transaction)--> sfn_map_runs row (RUNNING)
                                                         + work item "prepare"
    prepare   read the items (ItemReader through ObjectStorage, or the state input), apply
              ItemSelector and ItemBatcher -> (one transaction) one sfn_map_children row per
              child execution (PENDING), then fill
    fill      start PENDING children while fewer than MaxConcurrency run, at most
              FILL_BATCH per transaction (a work item "fill" carries on): a STANDARD child is
              a real execution (executions.start, parent link mode "maprun"); EXPRESS
              children go in chunks to a work item "express" that runs them in memory
    a child ends (its own commit, or the express chunk's) -> its row and the run's counters
              updated in that transaction; past the tolerated failures the run fails (its
              running children stopped); otherwise fill again; when nothing is pending or
              running, a work item "finish"
    finish    ResultWriter's files written (ObjectStorage), then (one transaction) the run's
              status and the parent resumed: TaskSucceeded with the results (or the
              ResultWriterDetails) or TaskFailed (ExceedToleratedFailureThreshold,
              ItemReaderFailed, ResultWriterFailed)

So a `kill -9` loses nothing: every child start and end commits with the counters it moves,
and the work items left (prepare, fill, express, finish) are claimed again after restart.
An EXPRESS child may run twice (its chunk ran, the server died before the commit), which is
AWS's at-least-once for Express children too.

A parent that ends (stopped, failed, timed out) aborts its running Map Runs in the same
transaction: STANDARD children stopped, PENDING ones left for a redrive. RedriveExecution of
the parent re-enters the Map state with the run's ARN (StartMapRun with redrive): the run's
FAILED, TIMED_OUT and ABORTED STANDARD children are redriven (RedriveExecution of each, so
their finished states are not run again), unstarted and EXPRESS children start anew, and the
ones that succeeded keep their results.
"""

from __future__ import annotations

import asyncio
import datetime
import json
import logging
import sqlite3
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from stratus.store.db import Database, transaction
from stratus.store.work import Kind, WorkItem, WorkQueue
from stratus.store.worker import Worker
from stratus.workflows import express, history, interpreter, items
from stratus.workflows.dataflow import Flow, map_item_input
from stratus.workflows.errors import ResourceNotFound
from stratus.workflows.executions import Executions, TaskRunner, machine_of
from stratus.workflows.failure import (
    EXCEED_TOLERATED_FAILURE_THRESHOLD,
    RESULT_WRITER_FAILED,
    RUNTIME,
    StatesFailure,
)

log = logging.getLogger("stratus.workflows")

MAP_RUNS = Kind("workflow-map-runs", lease_s=360.0, backoff=(1.0, 30.0))
PARALLEL_ITEMS = 8
FILL_BATCH = 250  # child executions started per transaction
EXPRESS_CHUNK = 50  # EXPRESS children run by one work item
UNBOUNDED = 10_000  # MaxConcurrency 0: AWS runs up to 10,000 children at once
ENDED = ("SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED")
_RUN_COLUMNS = (
    "arn, execution_arn, token, status, started, stopped, spec, max_concurrency,"
    " tolerated_percentage, tolerated_count, total, total_items, running, failed_items,"
    " redrive_count, redrive_date, error, cause, prepared, finishing, results_written"
)


@dataclass(frozen=True, slots=True)
class MapRun:
    arn: str
    execution_arn: str
    token: str
    status: str  # RUNNING | SUCCEEDED | FAILED | ABORTED
    started: float
    stopped: float | None
    spec: dict[str, Any]
    max_concurrency: int
    tolerated_percentage: float
    tolerated_count: int
    total: int  # child executions
    total_items: int
    running: int
    failed_items: int
    redrive_count: int
    redrive_date: float | None
    error: str | None
    cause: str | None
    prepared: bool
    finishing: bool
    results_written: int

    @property
    def machine_arn(self) -> str:
        """The children's state machine: stateMachine:<machine>/<label>."""
        head, _, tail = self.arn.partition(":mapRun:")
        return f"{head}:stateMachine:{tail.rsplit(':', 1)[0]}"

    @property
    def run_id(self) -> str:
        return self.arn.rsplit(":", 1)[1]

    @property
    def express(self) -> bool:
        return bool(self.spec.get("execution_type") == "EXPRESS")

    def exceeded(self) -> bool:
        """Past the tolerated failures (either bound; with neither, any failure)."""
        failed = self.failed_items
        if failed == 0:
            return False
        has_count = self.spec.get("tolerated_count") is not None
        has_percent = self.spec.get("tolerated_percentage") is not None
        if not has_count and not has_percent:
            return True
        if has_count and failed > self.tolerated_count:
            return True
        return bool(
            has_percent
            and self.total_items
            and failed * 100.0 / self.total_items > self.tolerated_percentage
        )


@dataclass(frozen=True, slots=True)
class Counts:
    """DescribeMapRun's itemCounts or executionCounts."""

    pending: int = 0
    running: int = 0
    succeeded: int = 0
    failed: int = 0
    timed_out: int = 0
    aborted: int = 0
    total: int = 0
    results_written: int = 0


class MapRuns:
    def __init__(
        self,
        db: Database,
        work: WorkQueue,
        executions: Executions,
        storage: items.ObjectStorage | None,
        runner: TaskRunner,
    ) -> None:
        self._db, self._work, self._executions = db, work, executions
        self._storage, self._runner = storage, runner
        self._filling: set[str] = set()  # runs whose fill loop is on the stack (no re-entry)
        self._worker = Worker(work, MAP_RUNS, self._wait_item, PARALLEL_ITEMS)
        executions.map_runs = self

    def worker(self) -> Worker:
        return self._worker

    # -- hooks the executions call, on the database thread inside their transaction -------

    def stage(
        self, conn: sqlite3.Connection, execution: str, effect: interpreter.StartMapRun
    ) -> None:
        spec = effect.spec
        arn = str(spec["arn"])
        found = self._run(conn, arn)
        if spec.get("redrive") and found is not None:
            self._redrive(conn, found, effect.token, spec)
            return
        if found is not None:  # the same step again (cannot happen: its commit is atomic)
            return
        now = self._work.clock.now()
        # The run's row is read at every child's start and end: it keeps the light part of
        # the spec; the selector (the state input, context, variables: as large as the
        # input) is read once, by prepare.
        stored = {k: v for k, v in spec.items() if k not in ("items", "selector")}
        conn.execute(
            f"INSERT INTO sfn_map_runs ({_RUN_COLUMNS}, selector) VALUES (?, ?, ?, 'RUNNING',"
            " ?, NULL, ?, ?, ?, ?, 0, 0, 0, 0, 0, NULL, NULL, NULL, 0, 0, 0, ?)",
            (
                arn,
                execution,
                effect.token,
                now,
                json.dumps(stored, separators=(",", ":")),
                int(spec.get("max_concurrency") or 0),
                float(spec.get("tolerated_percentage") or 0.0),
                int(spec.get("tolerated_count") or 0),
                json.dumps(spec["selector"], separators=(",", ":")),
            ),
        )
        order = {"op": "prepare", "arn": arn, "items": spec.get("items")}
        self._enqueue(conn, order, f"prepare|{arn}")

    def child_ended(
        self,
        conn: sqlite3.Connection,
        child: str,
        status: str,
        output: str | None,
        error: str | None,
        cause: str | None,
    ) -> None:
        """A child execution ended (its own transaction): its row, the run's counters, and
        then the run goes on (more children), fails (too many failures) or finishes."""
        row = conn.execute(
            "SELECT map_run, items, status FROM sfn_map_children WHERE arn = ?", (child,)
        ).fetchone()
        if row is None or row[2] != "RUNNING":
            return
        map_run, count = row[0], int(row[1])
        now = self._work.clock.now()
        conn.execute(
            "UPDATE sfn_map_children SET status = ?, output = ?, error = ?, cause = ?,"
            " stopped = ? WHERE arn = ?",
            (status, output, error, cause, now, child),
        )
        failed = count if status in ("FAILED", "TIMED_OUT") else 0
        conn.execute(
            "UPDATE sfn_map_runs SET running = running - 1, failed_items = failed_items + ?"
            " WHERE arn = ?",
            (failed, map_run),
        )
        run = self._run(conn, map_run)
        if run is None or run.status != "RUNNING" or run.finishing:
            return
        if run.exceeded():
            self._fail(
                conn,
                run,
                EXCEED_TOLERATED_FAILURE_THRESHOLD,
                "The specified tolerated failure threshold was exceeded",
            )
        elif map_run not in self._filling:
            self._fill(conn, map_run)

    def execution_ended(self, conn: sqlite3.Connection, execution: str) -> None:
        """The parent ended: its running Map Runs are aborted with their children."""
        runs = conn.execute(
            "SELECT arn FROM sfn_map_runs WHERE execution_arn = ? AND status = 'RUNNING'",
            (execution,),
        ).fetchall()
        for (arn,) in runs:
            conn.execute(
                "UPDATE sfn_map_runs SET status = 'ABORTED', stopped = ? WHERE arn = ?",
                (self._work.clock.now(), arn),
            )
            self._stop_children(conn, arn, "The Map Run was aborted")

    # -- the API ---------------------------------------------------------------------------

    def describe(self, conn: sqlite3.Connection, arn: str) -> tuple[MapRun, Counts, Counts]:
        run = self._run(conn, arn)
        if run is None:
            raise ResourceNotFound(arn)
        by_status = {
            row[0]: (int(row[1]), int(row[2]))
            for row in conn.execute(
                "SELECT status, COUNT(*), SUM(items) FROM sfn_map_children WHERE map_run = ?"
                " GROUP BY status",
                (arn,),
            )
        }

        def counts(which: int, written: int) -> Counts:
            def of(status: str) -> int:
                return by_status.get(status, (0, 0))[which]

            return Counts(
                pending=of("PENDING"),
                running=of("RUNNING"),
                succeeded=of("SUCCEEDED"),
                failed=of("FAILED"),
                timed_out=of("TIMED_OUT"),
                aborted=of("ABORTED"),
                total=sum(v[which] for v in by_status.values()),
                results_written=written,
            )

        written = run.results_written
        return run, counts(1, written and run.total_items), counts(0, written and run.total)

    def of_execution(self, conn: sqlite3.Connection, execution: str) -> list[MapRun]:
        rows = conn.execute(
            f"SELECT {_RUN_COLUMNS} FROM sfn_map_runs WHERE execution_arn = ?"
            " ORDER BY started DESC, rowid DESC",
            (execution,),
        )
        return [_map_run_of(row) for row in rows]

    def update(
        self,
        conn: sqlite3.Connection,
        arn: str,
        max_concurrency: int | None,
        percentage: float | None,
        count: int | None,
    ) -> None:
        run = self._run(conn, arn)
        if run is None:
            raise ResourceNotFound(arn)
        spec = dict(run.spec)
        if percentage is not None:
            spec["tolerated_percentage"] = percentage
        if count is not None:
            spec["tolerated_count"] = count
        conn.execute(
            "UPDATE sfn_map_runs SET max_concurrency = ?, tolerated_percentage = ?,"
            " tolerated_count = ?, spec = ? WHERE arn = ?",
            (
                run.max_concurrency if max_concurrency is None else max_concurrency,
                run.tolerated_percentage if percentage is None else percentage,
                run.tolerated_count if count is None else count,
                json.dumps(spec, separators=(",", ":")),
                arn,
            ),
        )
        updated = self._run(conn, arn)
        if (
            updated is None
            or updated.status != "RUNNING"
            or not updated.prepared
            or updated.finishing
        ):
            return
        if updated.exceeded():
            self._fail(
                conn,
                updated,
                EXCEED_TOLERATED_FAILURE_THRESHOLD,
                "The specified tolerated failure threshold was exceeded",
            )
        else:
            self._fill(conn, arn)

    # -- the work items -----------------------------------------------------------------

    async def _wait_item(self, item: WorkItem) -> None:
        order = json.loads(item.payload)
        op = order["op"]
        if op == "prepare":
            await self._wait_prepare(item, order)
        elif op == "fill":
            await self._db.run(lambda conn: self._settle(conn, item, order["arn"]))
        elif op == "express":
            await self._wait_express(item, order)
        elif op == "finish":
            await self._wait_finish(item, order)
        else:  # written by an older or newer build: nothing to do with it
            await self._db.run(lambda conn: self._work.ack(conn, item))

    def _settle(self, conn: sqlite3.Connection, item: WorkItem, arn: str) -> None:
        with transaction(conn):
            if self._work.ack(conn, item):
                self._fill(conn, arn)

    async def _wait_prepare(self, item: WorkItem, order: dict[str, Any]) -> None:
        arn = order["arn"]
        run = await self._db.run(lambda conn: self._run(conn, arn))
        if run is None or run.status != "RUNNING" or run.prepared:
            await self._db.run(lambda conn: self._work.ack(conn, item))
            return
        selector = await self._db.run(
            lambda conn: conn.execute(
                "SELECT selector FROM sfn_map_runs WHERE arn = ?", (arn,)
            ).fetchone()[0]
        )
        try:
            children = await self._wait_children(run, json.loads(selector), order.get("items"))
        except StatesFailure as failure:
            error, cause = failure.error, failure.cause

            def failed(conn: sqlite3.Connection) -> None:
                with transaction(conn):
                    if self._work.ack(conn, item):
                        again = self._run(conn, arn)
                        if again is not None and again.status == "RUNNING":
                            self._fail(conn, again, error, cause)

            await self._db.run(failed)
            return

        def commit(conn: sqlite3.Connection) -> None:
            with transaction(conn):
                if not self._work.ack(conn, item):
                    return
                again = self._run(conn, arn)
                if again is None or again.status != "RUNNING" or again.prepared:
                    return
                conn.executemany(
                    "INSERT INTO sfn_map_children (map_run, idx, items, input, status, name)"
                    " VALUES (?, ?, ?, ?, 'PENDING', ?)",
                    [
                        (arn, index, count, text, str(uuid.uuid4()))
                        for index, (text, count) in enumerate(children)
                    ],
                )
                conn.execute(
                    "UPDATE sfn_map_runs SET prepared = 1, total = ?, total_items = ?"
                    " WHERE arn = ?",
                    (len(children), sum(c for _, c in children), arn),
                )
                self._fill(conn, arn)

        await self._db.run(commit)

    async def _wait_children(
        self, run: MapRun, selector: dict[str, Any], given: Any
    ) -> list[tuple[str, int]]:
        """Each child execution's input (JSON text) and how many items it holds."""
        spec = run.spec
        reader = spec.get("reader")
        if reader is not None:
            if self._storage is None:
                raise items.reader_failed("This server has no object storage to read items from")
            found = await items.wait_read_items(
                self._storage,
                str(reader["resource"]),
                reader["parameters"],
                reader["config"],
                reader.get("max_items"),
            )
        else:
            found = list(given or [])
        return await asyncio.to_thread(_child_inputs, spec, selector, found)

    async def _wait_express(self, item: WorkItem, order: dict[str, Any]) -> None:
        arn, indexes = order["arn"], order["idx"]

        def read(conn: sqlite3.Connection) -> tuple[MapRun | None, list[tuple[Any, ...]]]:
            marks = ",".join("?" * len(indexes))
            rows = conn.execute(
                "SELECT idx, input, name, arn FROM sfn_map_children WHERE map_run = ?"
                f" AND idx IN ({marks}) AND status = 'RUNNING'",
                (arn, *indexes),
            ).fetchall()
            return self._run(conn, arn), rows

        run, rows = await self._db.run(read)
        outcomes: list[tuple[str, str, str | None, str | None, str | None]] = []
        if run is not None and run.status == "RUNNING":
            machine = machine_of(run.spec["processor"])
            outcomes = list(
                await asyncio.gather(*(self._wait_express_child(run, machine, r) for r in rows))
            )

        def commit(conn: sqlite3.Connection) -> None:
            with transaction(conn):
                if not self._work.ack(conn, item):
                    return
                self._filling.add(arn)
                try:
                    for child, status, output, error, cause in outcomes:
                        self.child_ended(conn, child, status, output, error, cause)
                    if run is None or run.status != "RUNNING":  # aborted meanwhile
                        for child_row in rows:
                            self.child_ended(conn, child_row[3], "ABORTED", None, None, None)
                finally:
                    self._filling.discard(arn)
                self._fill(conn, arn)

        await self._db.run(commit)

    async def _wait_express_child(
        self, run: MapRun, machine: Any, row: tuple[Any, ...]
    ) -> tuple[str, str, str | None, str | None, str | None]:
        child = str(row[3])
        clock = self._work.clock
        try:
            step = await express.wait_run(
                machine,
                json.loads(row[1]),
                execution={
                    "Id": child,
                    "Name": row[2],
                    "RoleArn": run.spec.get("role_arn", ""),
                    "StartTime": _iso(clock.now()),
                    "RedriveCount": 0,
                },
                state_machine={"Id": run.machine_arn, "Name": run.machine_arn.split(":")[-1]},
                clock=clock,
                runner=self._runner,
            )
        except Exception as exc:  # a bug of ours: the child fails, the run goes on
            log.exception("express child %s failed unexpectedly", child)
            return child, "FAILED", None, RUNTIME, f"{type(exc).__name__}: {exc}"
        result = step.run
        succeeded = result["status"] == "SUCCEEDED"
        output = history.json_text(result.get("output")) if succeeded else None
        return child, str(result["status"]), output, result.get("error"), result.get("cause")

    async def _wait_finish(self, item: WorkItem, order: dict[str, Any]) -> None:
        arn = order["arn"]

        def read(conn: sqlite3.Connection) -> tuple[MapRun | None, list[tuple[Any, ...]]]:
            rows = conn.execute(
                "SELECT idx, items, input, status, name, arn, output, error, cause, started,"
                " stopped FROM sfn_map_children WHERE map_run = ? ORDER BY idx",
                (arn,),
            ).fetchall()
            return self._run(conn, arn), rows

        run, rows = await self._db.run(read)
        if run is None or not run.finishing:
            await self._db.run(lambda conn: self._work.ack(conn, item))
            return
        error, cause = run.error, run.cause
        output: Any = None
        written = 0
        try:
            output, written = await self._wait_results(run, rows)
        except StatesFailure as failure:
            if error is None:
                error, cause = failure.error, failure.cause
        now = self._work.clock.now()

        def commit(conn: sqlite3.Connection) -> None:
            with transaction(conn):
                if not self._work.ack(conn, item):
                    return
                again = self._run(conn, arn)
                if again is None or not again.finishing:
                    return
                if again.status != "RUNNING":  # aborted with its execution meanwhile
                    conn.execute(
                        "UPDATE sfn_map_runs SET finishing = 0, results_written = ? WHERE arn = ?",
                        (written, arn),
                    )
                    return
                conn.execute(
                    "UPDATE sfn_map_runs SET status = ?, stopped = ?, error = ?, cause = ?,"
                    " finishing = 0, results_written = ? WHERE arn = ?",
                    ("FAILED" if error else "SUCCEEDED", now, error, cause, written, arn),
                )
                signal: interpreter.Signal = (
                    interpreter.TaskFailed(again.token, error, cause or "")
                    if error
                    else interpreter.TaskSucceeded(again.token, output)
                )
                self._executions.advance(conn, again.execution_arn, signal)

        await self._db.run(commit)

    async def _wait_results(self, run: MapRun, rows: list[tuple[Any, ...]]) -> tuple[Any, int]:
        """The Map state's result (and how many children's results were written)."""
        writer = run.spec.get("writer") or {}
        transformation = str(writer.get("transformation", "COMPACT"))
        described = [_described(run, row) for row in rows]
        if transformation == "NONE":
            outputs = described
        else:
            outputs = items.transform(
                [
                    json.loads(row[6]) if row[3] == "SUCCEEDED" and row[6] is not None else d
                    for row, d in zip(rows, described, strict=True)
                    if row[3] != "PENDING"
                ],
                transformation,
            )
        if not writer.get("resource"):
            return outputs, 0
        parameters = writer.get("parameters") or {}
        bucket = parameters.get("Bucket")
        if not isinstance(bucket, str) or not bucket or self._storage is None:
            raise StatesFailure(RESULT_WRITER_FAILED, "The ResultWriter must name a Bucket")
        prefix = str(parameters.get("Prefix") or "")
        groups: dict[str, list[Any]] = {"SUCCEEDED": [], "FAILED": [], "PENDING": []}
        for row, entry in zip(rows, described, strict=True):
            group = {"SUCCEEDED": "SUCCEEDED", "PENDING": "PENDING", "RUNNING": "PENDING"}.get(
                row[3], "FAILED"
            )
            if transformation == "NONE" or group != "SUCCEEDED":
                groups[group].append(entry)
            elif row[6] is not None:
                groups[group].append(json.loads(row[6]))
        if transformation == "FLATTEN":
            groups["SUCCEEDED"] = items.transform(groups["SUCCEEDED"], "FLATTEN")
        files = items.result_files(prefix, run.run_id, groups, str(writer.get("output_type")))
        key, body = items.manifest(bucket, run.arn, prefix, run.run_id, files)
        try:
            for file_key, file_body in files:
                await self._storage.wait_put(bucket, file_key, file_body)
            await self._storage.wait_put(bucket, key, body)
        except StatesFailure as failure:
            raise StatesFailure(RESULT_WRITER_FAILED, failure.cause) from failure
        result = {"MapRunArn": run.arn, "ResultWriterDetails": {"Bucket": bucket, "Key": key}}
        return result, sum(1 for row in rows if row[3] in ENDED)

    # -- filling, failing, redriving (database thread, inside a transaction) -------------

    def _fill(self, conn: sqlite3.Connection, arn: str) -> None:
        """Start pending children while the concurrency limit allows; finish when done."""
        self._filling.add(arn)
        try:
            started = 0
            while True:
                run = self._run(conn, arn)
                if run is None or run.status != "RUNNING" or not run.prepared or run.finishing:
                    return
                room = (run.max_concurrency or UNBOUNDED) - run.running
                if room <= 0:
                    break
                if started >= FILL_BATCH:  # the rest in a transaction of its own
                    self._enqueue(conn, {"op": "fill", "arn": arn}, f"fill|{arn}")
                    break
                take = min(room, FILL_BATCH - started)
                if run.express:
                    take = min(take, EXPRESS_CHUNK)
                rows = conn.execute(
                    "SELECT idx, input, name FROM sfn_map_children WHERE map_run = ?"
                    " AND status = 'PENDING' ORDER BY idx LIMIT ?",
                    (arn, take),
                ).fetchall()
                if not rows:
                    break
                started += len(rows)
                if run.express:
                    self._start_express(conn, run, rows)
                else:
                    for row in rows:
                        self._start_standard(conn, run, row)
        finally:
            self._filling.discard(arn)
        self._maybe_finish(conn, arn)

    def _start_standard(self, conn: sqlite3.Connection, run: MapRun, row: tuple[Any, ...]) -> None:
        index, text, name = row
        child = f"{run.machine_arn.replace(':stateMachine:', ':execution:')}:{name}"
        now = self._work.clock.now()
        conn.execute(
            "UPDATE sfn_map_children SET status = 'RUNNING', arn = ?, started = ?"
            " WHERE map_run = ? AND idx = ?",
            (child, now, run.arn, index),
        )
        conn.execute("UPDATE sfn_map_runs SET running = running + 1 WHERE arn = ?", (run.arn,))
        self._executions.start(
            conn,
            arn=child,
            machine_arn=run.machine_arn,
            machine_name=run.machine_arn.split(":")[-1],
            name=name,
            text=run.spec["processor"],
            execution_input=json.loads(text),
            raw_input=text,
            role_arn=str(run.spec.get("role_arn", "")),
            parent=(run.execution_arn, run.arn, "maprun"),
        )

    def _start_express(self, conn: sqlite3.Connection, run: MapRun, rows: list[Any]) -> None:
        now = self._work.clock.now()
        base = run.machine_arn.replace(":stateMachine:", ":express:")
        for index, _, name in rows:
            conn.execute(
                "UPDATE sfn_map_children SET status = 'RUNNING', arn = ?, started = ?"
                " WHERE map_run = ? AND idx = ?",
                (f"{base}:{name}:{uuid.uuid4()}", now, run.arn, index),
            )
        conn.execute(
            "UPDATE sfn_map_runs SET running = running + ? WHERE arn = ?", (len(rows), run.arn)
        )
        indexes = [row[0] for row in rows]
        self._enqueue(
            conn, {"op": "express", "arn": run.arn, "idx": indexes}, f"express|{uuid.uuid4()}"
        )

    def _maybe_finish(self, conn: sqlite3.Connection, arn: str) -> None:
        run = self._run(conn, arn)
        if run is None or run.status != "RUNNING" or not run.prepared or run.finishing:
            return
        if run.running:
            return
        pending = conn.execute(
            "SELECT 1 FROM sfn_map_children WHERE map_run = ? AND status = 'PENDING' LIMIT 1",
            (arn,),
        ).fetchone()
        if pending is None:
            conn.execute("UPDATE sfn_map_runs SET finishing = 1 WHERE arn = ?", (arn,))
            self._enqueue(conn, {"op": "finish", "arn": arn}, f"finish|{arn}")

    def _fail(self, conn: sqlite3.Connection, run: MapRun, error: str, cause: str) -> None:
        """The run fails: running children stopped, then finish (results still written)."""
        conn.execute(
            "UPDATE sfn_map_runs SET error = ?, cause = ?, finishing = 1 WHERE arn = ?",
            (error, cause, run.arn),
        )
        self._stop_children(conn, run.arn, cause)
        self._enqueue(conn, {"op": "finish", "arn": run.arn}, f"finish|{run.arn}")

    def _stop_children(self, conn: sqlite3.Connection, arn: str, cause: str) -> None:
        running = conn.execute(
            "SELECT arn FROM sfn_map_children WHERE map_run = ? AND status = 'RUNNING'", (arn,)
        ).fetchall()
        self._filling.add(arn)
        try:
            for (child,) in running:
                if ":express:" in child:
                    continue  # its chunk records it when it comes back
                self._executions.stop(conn, child, None, cause)
        finally:
            self._filling.discard(arn)

    def _redrive(
        self, conn: sqlite3.Connection, run: MapRun, token: str, spec: Mapping[str, Any]
    ) -> None:
        now = self._work.clock.now()
        redriven = conn.execute(
            "SELECT idx, items, status, arn FROM sfn_map_children WHERE map_run = ?"
            " AND status IN ('FAILED', 'TIMED_OUT', 'ABORTED', 'RUNNING')",
            (run.arn,),
        ).fetchall()
        conn.execute(
            "UPDATE sfn_map_runs SET status = 'RUNNING', token = ?, stopped = NULL,"
            " error = NULL, cause = NULL, finishing = 0, failed_items = 0, running = 0,"
            " redrive_count = redrive_count + 1, redrive_date = ? WHERE arn = ?",
            (token, now, run.arn),
        )
        if not run.prepared:  # it failed reading its items: read them again
            self._enqueue(conn, {"op": "prepare", "arn": run.arn, "items": spec.get("items")},
                          f"prepare|{run.arn}|{now}")  # fmt: skip
            return
        self._filling.add(run.arn)
        try:
            for index, _, status, child in redriven:
                if child and ":execution:" in child and status != "RUNNING":
                    conn.execute(
                        "UPDATE sfn_map_children SET status = 'RUNNING' WHERE map_run = ?"
                        " AND idx = ?",
                        (run.arn, index),
                    )
                    conn.execute(
                        "UPDATE sfn_map_runs SET running = running + 1 WHERE arn = ?", (run.arn,)
                    )
                    if self._executions.redrive(conn, child):
                        continue
                    conn.execute(
                        "UPDATE sfn_map_runs SET running = running - 1 WHERE arn = ?", (run.arn,)
                    )
                conn.execute(
                    "UPDATE sfn_map_children SET status = 'PENDING', arn = NULL, output = NULL,"
                    " error = NULL, cause = NULL, name = ? WHERE map_run = ? AND idx = ?",
                    (str(uuid.uuid4()), run.arn, index),
                )
        finally:
            self._filling.discard(run.arn)
        self._fill(conn, run.arn)

    # -- rows --------------------------------------------------------------------------

    def _run(self, conn: sqlite3.Connection, arn: str) -> MapRun | None:
        row = conn.execute(
            f"SELECT {_RUN_COLUMNS} FROM sfn_map_runs WHERE arn = ?", (arn,)
        ).fetchone()
        return _map_run_of(row) if row else None

    def _enqueue(self, conn: sqlite3.Connection, order: dict[str, Any], item_id: str) -> None:
        self._work.enqueue(
            conn,
            MAP_RUNS,
            item_id,
            json.dumps(order, separators=(",", ":")).encode(),
            subject=str(order["arn"]),
        )


def _child_inputs(
    spec: Mapping[str, Any], selector: Mapping[str, Any], found: list[Any]
) -> list[tuple[str, int]]:
    """ItemSelector per item, then ItemBatcher: each child's input as text, with its size
    in items. Runs off the event loop (10,000 items' selectors are real work)."""
    flow = Flow(
        selector["state"],
        selector["language"],
        selector["input"],
        selector["context"],
        selector["variables"],
    )
    selected = [map_item_input(flow, item, index) for index, item in enumerate(found)]
    batcher = spec.get("batcher")
    if batcher is None:
        return [(history.json_text(value), 1) for value in selected]
    made = items.batches(
        selected, batcher.get("max_items"), batcher.get("max_bytes"), batcher.get("batch_input")
    )
    return [(history.json_text(body), count) for body, count in made]


def _described(run: MapRun, row: tuple[Any, ...]) -> dict[str, Any]:
    """A child as ResultWriter's NONE transformation and result files describe it."""
    _, _, text, status, name, arn, output, error, cause, started, stopped = row
    entry: dict[str, Any] = {
        "ExecutionArn": arn,
        "Input": text,
        "InputDetails": {"Included": True},
        "Name": name,
        "StateMachineArn": run.machine_arn,
        "Status": status,
    }
    if started is not None:
        entry["StartDate"] = _iso(started)
    if stopped is not None:
        entry["StopDate"] = _iso(stopped)
    if status == "SUCCEEDED":
        entry["Output"] = output
        entry["OutputDetails"] = {"Included": True}
    elif status in ENDED:
        entry["Error"], entry["Cause"] = error, cause
    entry["RedriveCount"] = 0
    entry["RedriveStatus"] = "NOT_REDRIVABLE"
    return entry


def _map_run_of(row: tuple[Any, ...]) -> MapRun:
    return MapRun(
        arn=row[0],
        execution_arn=row[1],
        token=row[2],
        status=row[3],
        started=row[4],
        stopped=row[5],
        spec=json.loads(row[6]),
        max_concurrency=int(row[7]),
        tolerated_percentage=float(row[8]),
        tolerated_count=int(row[9]),
        total=int(row[10]),
        total_items=int(row[11]),
        running=int(row[12]),
        failed_items=int(row[13]),
        redrive_count=int(row[14]),
        redrive_date=row[15],
        error=row[16],
        cause=row[17],
        prepared=bool(row[18]),
        finishing=bool(row[19]),
        results_written=int(row[20]),
    )


def _iso(epoch: float) -> str:
    stamp = datetime.datetime.fromtimestamp(epoch, datetime.UTC)
    return stamp.isoformat(timespec="milliseconds").replace("+00:00", "Z")
