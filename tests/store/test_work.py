"""The durable work queue on a real SQLite file, its time told by a manual clock."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from stratus.store.clock import ManualClock
from stratus.store.db import Database, transaction
from stratus.store.work import SCHEMA, Kind, KindStatistics, WorkItem, WorkQueue

JOBS = Kind("test.jobs", lease_s=30.0, max_attempts=3, backoff=(1.0, 3.0))


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(start=1_000.0)


@pytest.fixture
def queue(tmp_path: Path, clock: ManualClock) -> Iterator[WorkQueue]:
    db = Database(tmp_path / "stratus.db", [SCHEMA])
    yield WorkQueue(db, clock)
    db.close()


def enqueue(queue: WorkQueue, id: str, payload: bytes = b"p", **options: object) -> bool:
    return queue.db.run_blocking(
        lambda conn: queue.enqueue(conn, JOBS, id, payload, **options)  # type: ignore[arg-type]
    )


def claim(queue: WorkQueue, limit: int = 10) -> list[WorkItem]:
    return queue.db.run_blocking(lambda conn: queue.claim(conn, JOBS, limit))


def ids(items: list[WorkItem]) -> list[str]:
    return [item.id for item in items]


def test_a_claim_hides_an_item_until_its_lease_runs_out(queue, clock):
    """A claimed item is invisible to other claims; if never settled (its holder crashed) it
    comes back when the lease ends, one attempt further on, under a new lease."""
    enqueue(queue, "a")
    [first] = claim(queue)
    hidden = claim(queue)
    clock.advance(29.9)
    still_hidden = claim(queue)
    clock.advance(0.1)
    [again] = claim(queue)

    assert hidden == still_hidden == []
    assert (first.id, first.attempts) == ("a", 1)
    assert (again.id, again.attempts) == ("a", 2)
    assert again.lease != first.lease


def test_settling_needs_the_current_lease(queue, clock):
    """Once a lease was lost to another claim, the old holder's ack, retry and dead-letter do
    nothing and say so; the new holder's ack removes the item."""
    enqueue(queue, "a")
    [old] = claim(queue)
    clock.advance(30)
    [new] = claim(queue)

    run = queue.db.run_blocking
    assert not run(lambda conn: queue.ack(conn, old))
    assert not run(lambda conn: queue.retry(conn, old))
    assert not run(lambda conn: queue.dead_letter(conn, old, "no"))
    assert run(lambda conn: queue.ack(conn, new))
    clock.advance(3600)
    assert claim(queue) == []


def test_enqueue_is_idempotent_by_id(queue):
    """An id already queued is not queued twice (its first payload stays); once acknowledged,
    the id may be used again."""
    added = [enqueue(queue, "a", b"first"), enqueue(queue, "a", b"second")]
    [item] = claim(queue)
    queue.db.run_blocking(lambda conn: queue.ack(conn, item))
    reused = enqueue(queue, "a", b"third")

    assert added == [True, False]
    assert item.payload == b"first"
    assert reused
    assert [i.payload for i in claim(queue)] == [b"third"]


def test_items_come_out_by_due_time_then_enqueue_order(queue, clock):
    """Earliest due first; items due at the same time in the order they were enqueued; an
    item due later is not claimed before its time."""
    enqueue(queue, "later", due=clock.now() + 10)
    for name in ("b", "a", "c"):
        enqueue(queue, name)
    enqueue(queue, "earlier", due=clock.now() - 5)

    now = claim(queue)
    clock.advance(10)
    later = claim(queue)

    assert ids(now) == ["earlier", "b", "a", "c"]
    assert ids(later) == ["later"]


def test_claims_take_at_most_the_limit(queue):
    for number in range(5):
        enqueue(queue, str(number))

    assert ids(claim(queue, 2)) == ["0", "1"]
    assert ids(claim(queue, 0)) == []
    assert ids(claim(queue, 10)) == ["2", "3", "4"]


def test_retry_backs_off_and_can_replace_the_payload(queue, clock):
    """Without a delay, a retry waits the kind's backoff (1 s, then 2 s, capped at 3 s);
    with one, that long; a new payload replaces the old."""
    kind = Kind("test.backoff", backoff=(1.0, 3.0))
    queue.db.run_blocking(lambda conn: queue.enqueue(conn, kind, "a", b"v1"))
    run = queue.db.run_blocking
    waits = []
    for _ in range(4):
        [item] = run(lambda conn: queue.claim(conn, kind, 1))
        run(lambda conn, item=item: queue.retry(conn, item))
        waited = 0.0
        while not run(lambda conn: queue.next_due(conn, kind) <= clock.now()):
            clock.advance(0.5)
            waited += 0.5
        waits.append(waited)
    [item] = run(lambda conn: queue.claim(conn, kind, 1))
    run(lambda conn: queue.retry(conn, item, delay=60, payload=b"v2"))
    clock.advance(59.5)
    early = run(lambda conn: queue.claim(conn, kind, 1))
    clock.advance(0.5)
    [late] = run(lambda conn: queue.claim(conn, kind, 1))

    assert waits == [1.0, 2.0, 3.0, 3.0]
    assert early == []
    assert (late.payload, late.attempts) == (b"v2", 6)


def test_an_item_out_of_attempts_is_dead_lettered_and_listed(queue, clock):
    """With max_attempts 3 the third retry is a dead letter instead: it leaves the queue
    and is listed with its payload, attempts and reason."""
    enqueue(queue, "poison", b"bad", subject="s")
    run = queue.db.run_blocking
    for _ in range(3):
        clock.advance(10)
        [item] = claim(queue)
        run(lambda conn, item=item: queue.retry(conn, item, reason="ValueError: bad"))
    clock.advance(3600)
    left = claim(queue)
    [dead] = run(lambda conn: queue.dead(conn, JOBS))

    assert left == []
    assert (dead.id, dead.subject, dead.payload, dead.attempts) == ("poison", "s", b"bad", 3)
    assert dead.reason == "gave up after 3 attempts: ValueError: bad"
    assert dead.died == clock.now() - 3600


def test_an_item_whose_lease_keeps_running_out_is_dead_lettered(queue, clock):
    """An item whose every claim ends in a crash (it is never settled) is claimed at most
    max_attempts times, then dead-lettered rather than handed out again."""
    enqueue(queue, "crasher")
    claims = []
    for _ in range(5):
        claims += claim(queue)
        clock.advance(30)
    [dead] = queue.db.run_blocking(lambda conn: queue.dead(conn, JOBS))

    assert [item.attempts for item in claims] == [1, 2, 3]
    assert dead.reason.startswith("its lease ran out 3 times")


def test_extend_keeps_an_item_hidden(queue, clock):
    """A holder that extends its lease keeps the item; extending a lost lease does nothing."""
    enqueue(queue, "a")
    [item] = claim(queue)
    clock.advance(20)
    queue.db.run_blocking(lambda conn: queue.extend(conn, [item]))
    clock.advance(20)
    hidden = claim(queue)
    clock.advance(10)
    [again] = claim(queue)
    queue.db.run_blocking(lambda conn: queue.extend(conn, [item], 1000))
    clock.advance(30)

    assert hidden == []
    assert again.attempts == 2
    assert ids(claim(queue)) == ["a"]  # the stale extension did not hide it


def test_enqueue_belongs_to_the_callers_transaction(queue):
    """An item enqueued in a transaction that rolls back was never queued."""

    def enqueue_then_fail(conn):
        with transaction(conn):
            queue.enqueue(conn, JOBS, "a", b"p")
            raise RuntimeError("the caller's write failed")

    with pytest.raises(RuntimeError):
        queue.db.run_blocking(enqueue_then_fail)

    assert claim(queue) == []


def test_purge_forgets_every_item_about_a_subject(queue):
    enqueue(queue, "a", subject="f1")
    enqueue(queue, "b", subject="f2")
    enqueue(queue, "c", subject="f1")
    claim(queue, 1)

    purged = queue.db.run_blocking(lambda conn: queue.purge(conn, JOBS, "f1"))

    assert purged == 2
    assert ids(claim(queue)) == ["b"]


def test_statistics_count_each_kind(queue, clock):
    """Queued (due now or later), due, leased and dead, per kind."""
    other = Kind("test.other")
    for name in "abcd":
        enqueue(queue, name)
    enqueue(queue, "e", due=clock.now() + 60)
    queue.db.run_blocking(lambda conn: queue.enqueue(conn, other, "x", b""))
    [_, b] = claim(queue, 2)
    queue.db.run_blocking(lambda conn: queue.dead_letter(conn, b, "by hand"))

    statistics = queue.db.run_blocking(queue.statistics)

    assert statistics.kinds == {
        "test.jobs": KindStatistics(queued=3, due=2, leased=1, dead=1),
        "test.other": KindStatistics(queued=1, due=1, leased=0, dead=0),
    }
    assert not statistics.idle()


def test_items_survive_a_restart_and_recover_returns_claims(tmp_path, clock):
    """Items are in the file: a new process sees them, and the items an earlier process had
    claimed are due again at once when a worker starts (recover)."""
    path = tmp_path / "stratus.db"
    db = Database(path, [SCHEMA])
    first = WorkQueue(db, clock)
    for name in ("a", "b"):
        db.run_blocking(lambda conn, name=name: first.enqueue(conn, JOBS, name, b""))
    db.run_blocking(lambda conn: first.claim(conn, JOBS, 1))
    db.close()

    db = Database(path, [SCHEMA])
    second = WorkQueue(db, clock)
    before = db.run_blocking(second.statistics)
    recovered = db.run_blocking(lambda conn: second.recover(conn, JOBS))
    after = db.run_blocking(lambda conn: second.claim(conn, JOBS, 10))
    db.close()

    assert before.kinds["test.jobs"] == KindStatistics(queued=1, due=1, leased=1, dead=0)
    assert recovered == 1
    assert [(item.id, item.attempts) for item in after] == [("a", 2), ("b", 1)]
