"""The worker loop over a real queue: when it runs items, how long it sleeps, what a failing
handler or a crash leads to. Time is a manual clock; `clock.deadlines()` shows when the
worker means to wake, so "it waits until then" needs no sleeping."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path

import pytest

from stratus.store.clock import ManualClock, SystemClock
from stratus.store.db import Database, transaction
from stratus.store.work import SCHEMA, Kind, KindStatistics, WorkItem, WorkQueue
from stratus.store.worker import Worker

JOBS = Kind("test.jobs", lease_s=30.0, max_attempts=3, backoff=(1.0, 10.0))
START = 1_000.0


async def until(predicate: Callable[[], object]) -> None:
    """Let the worker run until `predicate()` holds (about 10 s at most)."""
    for _ in range(5000):
        if predicate():
            return
        await asyncio.sleep(0.002)
    raise AssertionError("the worker never got there")


@contextlib.asynccontextmanager
async def running(worker: Worker) -> AsyncIterator[None]:
    task = asyncio.create_task(worker.wait_run_forever())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


class Recorder:
    """A handler that records each item it gets and acknowledges it, or waits for `release`
    first, or raises."""

    def __init__(self, queue: WorkQueue, *, hold: bool = False, fail: bool = False) -> None:
        self.queue, self.hold, self.fail = queue, hold, fail
        self.seen: list[tuple[str, int]] = []
        self.release = asyncio.Event()

    async def __call__(self, item: WorkItem) -> None:
        self.seen.append((item.id, item.attempts))
        if self.fail:
            raise ValueError("boom")
        if self.hold:
            await self.release.wait()
        await self.queue.db.run(lambda conn: self.queue.ack(conn, item))

    @property
    def ids(self) -> list[str]:
        return [id for id, _ in self.seen]


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def queue(tmp_path: Path, clock: ManualClock) -> Iterator[WorkQueue]:
    db = Database(tmp_path / "stratus.db", [SCHEMA])
    yield WorkQueue(db, clock)
    db.close()


def enqueue(queue: WorkQueue, id: str, due: float | None = None) -> Awaitable[bool]:
    return queue.db.run(lambda conn: queue.enqueue(conn, JOBS, id, b"", due=due))


def test_work_runs_when_enqueued_and_the_worker_sleeps_until_the_next_due_item(queue, clock):
    """An enqueue wakes the worker at once; an item due later is run when the clock reaches
    its due time, not before, and in between the worker sleeps until exactly then."""

    async def test() -> None:
        handler = Recorder(queue)
        async with running(Worker(queue, JOBS, handler, parallel=4)):
            await until(lambda: clock.deadlines() == [None])  # nothing to do: no deadline
            await enqueue(queue, "later", due=START + 10)
            await enqueue(queue, "now")
            await until(lambda: handler.ids == ["now"] and clock.deadlines() == [START + 10])
            clock.advance(9.9)
            still_asleep = clock.deadlines()
            clock.advance(0.1)
            await until(lambda: handler.ids == ["now", "later"])
            await until(lambda: clock.deadlines() == [None])

        assert still_asleep == [START + 10]  # the clock wakes it only at its deadline

    asyncio.run(test())


def test_a_failing_handler_is_retried_with_backoff_then_dead_lettered(queue, clock):
    """A handler that raises has its item retried after the kind's backoff (1 s, then 2 s);
    after max_attempts (3) the item is dead-lettered with the error as its reason."""

    async def test() -> None:
        handler = Recorder(queue, fail=True)
        async with running(Worker(queue, JOBS, handler, parallel=4)):
            await enqueue(queue, "poison")
            await until(lambda: clock.deadlines() == [START + 1])
            clock.advance(1)
            await until(lambda: clock.deadlines() == [START + 3])
            clock.advance(2)
            await until(lambda: len(handler.seen) == 3 and clock.deadlines() == [None])
        [dead] = await queue.db.run(lambda conn: queue.dead(conn, JOBS))

        assert handler.seen == [("poison", 1), ("poison", 2), ("poison", 3)]
        assert dead.reason == "gave up after 3 attempts: ValueError: boom"

    asyncio.run(test())


def test_a_running_item_keeps_its_lease_however_late_the_worker_wakes(queue, clock):
    """While its handler runs, an item's lease is renewed a third of the way through; even a
    jump of the clock far past the lease does not hand the item out a second time."""

    async def test() -> None:
        handler = Recorder(queue, hold=True)
        async with running(Worker(queue, JOBS, handler, parallel=4)):
            await enqueue(queue, "long")
            await until(lambda: handler.seen and clock.deadlines() == [START + 10])
            clock.advance(100)
            await until(lambda: clock.deadlines() == [START + 110])
            statistics = await queue.wait_statistics()
            handler.release.set()
            await until(lambda: clock.deadlines() == [None])
        after = await queue.wait_statistics()

        assert handler.seen == [("long", 1)]
        assert statistics.kinds["test.jobs"] == KindStatistics(queued=0, due=0, leased=1, dead=0)
        assert after.kinds == {}

    asyncio.run(test())


def test_at_most_parallel_items_run_at_once(queue, clock):
    """With 2 slots, 2 of 4 due items run; the others start as slots free up."""

    async def test() -> None:
        handler = Recorder(queue, hold=True)
        async with running(Worker(queue, JOBS, handler, parallel=2)):
            for name in "abcd":
                await enqueue(queue, name)
            await until(lambda: len(handler.seen) == 2 and clock.deadlines() == [START + 10])
            first = list(handler.ids)
            handler.release.set()
            await until(lambda: len(handler.seen) == 4)

        assert first == ["a", "b"]
        assert handler.ids == ["a", "b", "c", "d"]

    asyncio.run(test())


def test_a_new_worker_redoes_at_once_what_a_crashed_one_held(queue):
    """Items claimed by a worker that died (claimed, never settled) run again as soon as
    the next worker of their kind starts, without waiting for their leases to run out."""

    async def test() -> None:
        await enqueue(queue, "interrupted")
        await queue.db.run(lambda conn: queue.claim(conn, JOBS, 10))
        handler = Recorder(queue)
        async with running(Worker(queue, JOBS, handler, parallel=4)):
            await until(lambda: handler.seen)

        assert handler.seen == [("interrupted", 2)]

    asyncio.run(test())


def test_on_the_system_clock_the_worker_wakes_by_itself_when_an_item_falls_due(tmp_path):
    """With real time, an item due in 50 ms runs then, with nothing else waking the worker."""
    db = Database(tmp_path / "stratus.db", [SCHEMA])
    queue = WorkQueue(db, SystemClock())

    async def test() -> float:
        handler = Recorder(queue)
        async with running(Worker(queue, JOBS, handler, parallel=4)):
            await asyncio.sleep(0.01)  # let the worker start waiting with no deadline
            due = time.time() + 0.05
            await queue.db.run(lambda conn: queue.enqueue(conn, JOBS, "soon", b"", due=due))
            await until(lambda: handler.seen)
            return time.time() - due

    try:
        late = asyncio.run(test())
    finally:
        db.close()

    assert 0 <= late < 1.0


class Chain:
    """A handler that settles step-N by acknowledging it and, in the same transaction,
    queueing step-N+1 claimed for itself (up to step-3), which it hands its worker to run in
    its slot; any other item it just acknowledges."""

    def __init__(self, queue: WorkQueue) -> None:
        self.queue = queue
        self.worker: Worker | None = None
        self.seen: list[tuple[str, int]] = []
        self.adopted: list[bool] = []

    async def __call__(self, item: WorkItem) -> None:
        self.seen.append((item.id, item.attempts))
        queue = self.queue
        following = None
        if item.id.startswith("step-") and int(item.id[5:]) < 3:
            following = f"step-{int(item.id[5:]) + 1}"

        def settle(conn: sqlite3.Connection) -> WorkItem | None:
            with transaction(conn):
                queue.ack(conn, item)
                if following is None:
                    return None
                return queue.enqueue_claimed(conn, JOBS, following, b"")

        claimed = await queue.db.run(settle)
        if claimed is not None:
            assert self.worker is not None
            self.adopted.append(self.worker.adopt(item, claimed))


def test_a_follow_up_claimed_in_the_settle_runs_next_in_the_same_slot(queue, clock):
    """With one slot, a chain whose steps claim their successor as they settle runs to its
    end before an item that was due all along: the slot is handed on, not freed and
    claimed again (no claim round per step)."""

    async def test() -> None:
        handler = Chain(queue)
        worker = handler.worker = Worker(queue, JOBS, handler, parallel=1)
        async with running(worker):
            await enqueue(queue, "step-0")
            await until(lambda: handler.seen)
            await enqueue(queue, "other")
            await until(lambda: len(handler.seen) == 5)
        after = await queue.wait_statistics()

        assert [id for id, _ in handler.seen] == ["step-0", "step-1", "step-2", "step-3", "other"]
        assert all(attempts == 1 for _, attempts in handler.seen)
        assert handler.adopted == [True, True, True]
        assert after.kinds == {}

    asyncio.run(test())


def test_a_follow_up_claimed_by_a_server_that_then_died_runs_at_the_next_start(queue):
    """The claimed follow-up is a durable item like any other: if no running worker takes
    it (the server died right after the commit), the next worker's start runs it."""

    async def test() -> None:
        def settle(conn: sqlite3.Connection) -> WorkItem | None:
            with transaction(conn):
                return queue.enqueue_claimed(conn, JOBS, "orphan", b"")

        orphan = await queue.db.run(settle)
        again = await queue.db.run(settle)  # (kind, id) already queued: nothing claimed
        stopped = Worker(queue, JOBS, Recorder(queue), parallel=1)
        handler = Recorder(queue)
        async with running(Worker(queue, JOBS, handler, parallel=4)):
            await until(lambda: handler.seen)

        assert orphan is not None
        assert orphan.attempts == 1
        assert again is None
        assert not stopped.adopt(orphan, orphan)  # not running: it takes nothing
        assert handler.seen == [("orphan", 2)]

    asyncio.run(test())
