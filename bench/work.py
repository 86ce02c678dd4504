"""Throughput of the durable work queue on SQLite, beside raw SQLite in the same run.

    python bench/work.py [--items 20000] [--payload 256]

One temporary database (WAL, synchronous=NORMAL: the server's settings), four ways, each item
a `--payload`-byte row:

    raw SQLite     INSERT, then DELETE, of the same rows in the queue's own table: one
                   transaction each, no queue logic (the floor)
    queue, 1 by 1  enqueue, claim(1), ack: one transaction each
    queue, batched enqueue one by one, claim 64 at a time, ack one by one (how workers run)
    worker         enqueue from the event loop (Database.run), a Worker with 64 slots claims
                   and its handler acks (Database.run): what an async event costs the queue

The first three run on the database thread in one job, so they measure SQLite and the queue,
not the thread hop; the last includes it. Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sqlite3
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from stratus.store.clock import SystemClock
from stratus.store.db import Database
from stratus.store.work import SCHEMA, Kind, WorkItem, WorkQueue
from stratus.store.worker import Worker

BENCH = Kind("bench.items")


def timed(db: Database, job: Job) -> float:
    start = time.perf_counter()
    db.run_blocking(job)
    return time.perf_counter() - start


Job = Callable[[sqlite3.Connection], None]


def raw(queue: WorkQueue, ids: list[str], payload: bytes) -> Job:
    def job(conn: sqlite3.Connection) -> None:
        for id in ids:
            conn.execute(
                "INSERT INTO work_items (kind, id, payload, due, enqueued) VALUES (?, ?, ?, ?, ?)",
                ("raw", id, payload, 0.0, 0.0),
            )
        for id in ids:
            conn.execute("DELETE FROM work_items WHERE kind = ? AND id = ?", ("raw", id))

    return job


def one_by_one(queue: WorkQueue, ids: list[str], payload: bytes) -> Job:
    def job(conn: sqlite3.Connection) -> None:
        for id in ids:
            queue.enqueue(conn, BENCH, id, payload)
            [item] = queue.claim(conn, BENCH, 1)
            queue.ack(conn, item)

    return job


def batched(queue: WorkQueue, ids: list[str], payload: bytes) -> Job:
    def job(conn: sqlite3.Connection) -> None:
        for id in ids:
            queue.enqueue(conn, BENCH, id, payload)
        while items := queue.claim(conn, BENCH, 64):
            for item in items:
                queue.ack(conn, item)

    return job


async def through_worker(queue: WorkQueue, ids: list[str], payload: bytes) -> float:
    done = asyncio.Event()
    left = len(ids)

    async def handle(item: WorkItem) -> None:
        nonlocal left
        await queue.db.run(lambda conn: queue.ack(conn, item))
        left -= 1
        if not left:
            done.set()

    worker = asyncio.create_task(Worker(queue, BENCH, handle, parallel=64).wait_run_forever())
    start = time.perf_counter()
    for id in ids:

        def enqueue(conn: sqlite3.Connection, id: str = id) -> None:
            queue.enqueue(conn, BENCH, id, payload)

        await queue.db.run(enqueue)
    await done.wait()
    elapsed = time.perf_counter() - start
    worker.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await worker
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=20000)
    parser.add_argument("--payload", type=int, default=256, help="bytes per item")
    args = parser.parse_args()
    payload = b"x" * args.payload
    with tempfile.TemporaryDirectory(prefix="stratus-bench-work-", dir="/var/tmp") as work:
        db = Database(Path(work) / "stratus.db", [SCHEMA])
        queue = WorkQueue(db, SystemClock())
        rounds = {
            "raw SQLite (insert + delete)": raw,
            "queue, 1 by 1 (enqueue + claim + ack)": one_by_one,
            "queue, claims of 64": batched,
        }
        print(f"{args.items} items of {args.payload} bytes; SQLite {sqlite3.sqlite_version}")
        for number, (name, job) in enumerate(rounds.items()):
            ids = [f"{number}-{index}" for index in range(args.items)]
            elapsed = timed(db, job(queue, ids, payload))
            print(f"  {name:40} {args.items / elapsed:9,.0f} items/s")
        ids = [f"worker-{index}" for index in range(args.items)]
        elapsed = asyncio.run(through_worker(queue, ids, payload))
        name = "worker, 64 slots (event loop + db thread)"
        print(f"  {name:40} {args.items / elapsed:9,.0f} items/s")
        db.close()


if __name__ == "__main__":
    main()
