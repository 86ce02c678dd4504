"""The queue service's rules against a real database, with an injected clock."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest

from stratus.config import Settings
from stratus.queues import errors
from stratus.queues.model import MessageAttribute, NewMessage, Receive
from stratus.queues.schema import SCHEMA
from stratus.queues.service import QueueService
from stratus.store.db import Database

T = TypeVar("T")


class Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database(tmp_path / "q.db", (SCHEMA,))
    yield database
    database.close()


@pytest.fixture
def service(db: Database, clock: Clock) -> QueueService:
    return QueueService(Settings(data_dir=Path("/nonexistent")), db, clock)


def run(work: Callable[[], Coroutine[Any, Any, T]]) -> T:
    return asyncio.run(work())


def make(service: QueueService, name: str, **attributes: str) -> str:
    queue = run(lambda: service.create_queue(name, attributes, {}))
    return service.url(queue)


def receive(service: QueueService, url: str, **options: Any) -> list[Any]:
    return run(lambda: service.receive(url, Receive(**{"wait_seconds": 0, **options})))


def send(service: QueueService, url: str, body: str, **options: Any) -> Any:
    return run(lambda: service.send(url, NewMessage(body, **options)))


def test_visibility_timeout_hides_a_message_until_it_expires(service, clock):
    """A received message is invisible for the visibility timeout, then comes back with a
    higher receive count and a new receipt handle."""
    url = make(service, "vis", VisibilityTimeout="30")
    send(service, url, "hello")

    first = receive(service, url, system_attributes=frozenset({"All"}))
    hidden = receive(service, url)
    clock.now += 29.9
    still_hidden = receive(service, url)
    clock.now += 0.2
    again = receive(service, url, system_attributes=frozenset({"ApproximateReceiveCount"}))

    assert [m.Body for m in first] == ["hello"]
    assert first[0].Attributes["ApproximateReceiveCount"] == "1"
    assert hidden == []
    assert still_hidden == []
    assert again[0].Attributes == {"ApproximateReceiveCount": "2"}
    assert again[0].ReceiptHandle != first[0].ReceiptHandle


def test_change_visibility_needs_a_message_in_flight(service, clock):
    """ChangeMessageVisibility works on the current receipt of a message in flight only."""
    url = make(service, "change")
    send(service, url, "m")
    [message] = receive(service, url)
    run(lambda: service.change_visibility(url, message.ReceiptHandle, 0))
    [again] = receive(service, url)

    with pytest.raises(errors.MessageNotInflight):
        run(lambda: service.change_visibility(url, message.ReceiptHandle, 10))
    run(lambda: service.change_visibility(url, again.ReceiptHandle, 100))
    clock.now += 99
    assert receive(service, url) == []
    clock.now += 2
    assert len(receive(service, url)) == 1


def test_delay_and_retention(service, clock):
    """DelaySeconds holds a message back; MessageRetentionPeriod drops it."""
    url = make(service, "ages", MessageRetentionPeriod="60")
    send(service, url, "later", delay=10)
    send(service, url, "now")

    assert [m.Body for m in receive(service, url, max_messages=10)] == ["now"]
    clock.now += 10
    assert [m.Body for m in receive(service, url, max_messages=10, visibility_timeout=0)] == [
        "later"
    ]
    clock.now += 51
    assert receive(service, url, max_messages=10) == []


def test_fifo_keeps_order_and_blocks_a_group_in_flight(service, clock):
    """A FIFO group gives its messages in order and nothing more while any is in flight;
    other groups are not blocked."""
    url = make(service, "orders.fifo", ContentBasedDeduplication="true")
    for i in range(5):
        send(service, url, f"a{i}", group_id="a")
    send(service, url, "b0", group_id="b")

    first = receive(service, url, max_messages=3)
    second = receive(service, url, max_messages=10)
    blocked = receive(service, url, max_messages=10)
    for message in first:
        run(lambda m=message: service.delete_message(url, m.ReceiptHandle))
    rest = receive(service, url, max_messages=10)

    assert [m.Body for m in first] == ["a0", "a1", "a2"]
    assert [m.Body for m in second] == ["b0"]
    assert blocked == []
    assert [m.Body for m in rest] == ["a3", "a4"]


def test_fifo_deduplicates_within_five_minutes(service, clock):
    """The same deduplication id within 5 minutes is accepted but stored once."""
    url = make(service, "dedup.fifo")
    one = send(service, url, "x", group_id="g", dedup_id="d1")
    two = send(service, url, "y", group_id="g", dedup_id="d1")
    clock.now += 301
    three = send(service, url, "z", group_id="g", dedup_id="d1")

    bodies = [m.Body for m in receive(service, url, max_messages=10)]
    assert one.MessageId == two.MessageId != three.MessageId
    assert one.SequenceNumber == two.SequenceNumber
    assert bodies == ["x", "z"]


def test_fifo_rules(service):
    """FIFO sends need a group and a deduplication id; per-message delays are refused."""
    url = make(service, "rules.fifo")

    with pytest.raises(errors.MissingParameter, match="MessageGroupId"):
        send(service, url, "x", dedup_id="1")
    with pytest.raises(errors.InvalidParameter, match="ContentBasedDeduplication"):
        send(service, url, "x", group_id="g")
    with pytest.raises(errors.InvalidParameter, match="DelaySeconds"):
        send(service, url, "x", group_id="g", dedup_id="1", delay=5)


def test_dead_letter_after_max_receives(service, clock):
    """A message received maxReceiveCount times moves to the DLQ on the next receive."""
    dlq = make(service, "dead")
    arn = service.queue(dlq).arn
    url = make(
        service, "work", RedrivePolicy=f'{{"deadLetterTargetArn":"{arn}","maxReceiveCount":2}}'
    )
    send(service, url, "poison")

    for _ in range(2):
        assert len(receive(service, url, visibility_timeout=0)) == 1
    assert receive(service, url, visibility_timeout=0) == []
    [dead] = receive(service, dlq, system_attributes=frozenset({"All"}))

    assert dead.Body == "poison"
    assert dead.Attributes["DeadLetterQueueSourceArn"] == service.queue(url).arn


def test_message_attributes_md5_is_awss_digest(service):
    """MD5OfMessageAttributes hashes the attributes sorted by name, each as length-prefixed
    name and type, a transport byte (1 string/number, 2 binary) and the length-prefixed
    value; SDKs compare it byte for byte."""
    url = make(service, "md5")
    sent = send(
        service,
        url,
        "body",
        attributes={
            "b": MessageAttribute("Binary", BinaryValue=b"\x00\x01"),
            "a": MessageAttribute("String", StringValue="x"),
        },
    )
    spelled_out = (
        b"\x00\x00\x00\x01a\x00\x00\x00\x06String\x01\x00\x00\x00\x01x"
        b"\x00\x00\x00\x01b\x00\x00\x00\x06Binary\x02\x00\x00\x00\x02\x00\x01"
    )

    assert sent.MD5OfMessageBody == hashlib.md5(b"body").hexdigest()
    assert sent.MD5OfMessageAttributes == hashlib.md5(spelled_out).hexdigest()


def test_bad_messages_are_refused(service):
    """Characters outside AWS's set, oversize bodies and bad attributes get typed errors."""
    url = make(service, "bad", MaximumMessageSize="1024")

    with pytest.raises(errors.InvalidContents, match="#x0"):
        send(service, url, "a\x00b")
    with pytest.raises(errors.InvalidContents):
        send(service, url, "\ud800")
    with pytest.raises(errors.InvalidParameter, match="shorter than 1024"):
        send(service, url, "x" * 1025)
    with pytest.raises(errors.MissingParameter):
        send(service, url, "")
    with pytest.raises(errors.InvalidParameter, match="exceeds the allowed maximum"):
        send(
            service,
            url,
            "x",
            attributes={f"a{i}": MessageAttribute("String", StringValue="v") for i in range(11)},
        )
    with pytest.raises(errors.InvalidParameter, match="type"):
        send(service, url, "x", attributes={"a": MessageAttribute("Text", StringValue="v")})
    with pytest.raises(errors.InvalidParameter, match="number"):
        send(service, url, "x", attributes={"a": MessageAttribute("Number", StringValue="1e")})
    with pytest.raises(errors.InvalidParameter, match="name"):
        send(service, url, "x", attributes={"AWS.x": MessageAttribute("String", StringValue="v")})
    assert send(service, url, "\t\n\r \U0010ffff\ue000").MessageId


def test_create_queue_is_idempotent_with_the_same_attributes(service):
    """CreateQueue with the same attributes answers the same queue; different ones fail."""
    first = make(service, "same", VisibilityTimeout="60")
    again = make(service, "same", VisibilityTimeout="60")

    assert first == again
    with pytest.raises(errors.QueueNameTaken):
        make(service, "same", VisibilityTimeout="61")
    with pytest.raises(errors.InvalidAttributeValue):
        make(service, "other", VisibilityTimeout="43201")
    with pytest.raises(errors.InvalidAttributeName):
        make(service, "other", ContentBasedDeduplication="true")
    with pytest.raises(errors.InvalidParameter):
        make(service, "bad name")


def test_purge_once_a_minute(service, clock):
    """PurgeQueue empties the queue and refuses a second purge within 60 seconds."""
    url = make(service, "purge")
    for i in range(5):
        send(service, url, str(i))
    run(lambda: service.purge(url))

    assert receive(service, url, max_messages=10) == []
    with pytest.raises(errors.PurgeInProgress):
        run(lambda: service.purge(url))
    clock.now += 60
    run(lambda: service.purge(url))


def test_batch_rules(service):
    """Batches need 1-10 entries with distinct, well-formed ids."""
    url = make(service, "batch")

    def send_batch(ids: list[str]) -> Any:
        return run(lambda: service.send_batch(url, [(i, NewMessage("x")) for i in ids]))

    with pytest.raises(errors.EmptyBatch):
        send_batch([])
    with pytest.raises(errors.TooManyEntries):
        send_batch([str(i) for i in range(11)])
    with pytest.raises(errors.BatchIdsNotDistinct):
        send_batch(["a", "a"])
    with pytest.raises(errors.InvalidBatchEntryId):
        send_batch(["a b"])
    with pytest.raises(errors.BatchTooLong):
        run(
            lambda: service.send_batch(url, [(str(i), NewMessage("x" * 200_000)) for i in range(6)])
        )
    sent, failed = run(
        lambda: service.send_batch(url, [("ok", NewMessage("fine")), ("bad", NewMessage("\x01"))])
    )
    assert [i for i, _ in sent] == ["ok"]
    assert [(f.Id, type(f.error)) for f in failed] == [("bad", errors.InvalidContents)]


def test_long_poll_wakes_on_send(service):
    """A long poll answers as soon as a message is sent, not at the end of its wait."""

    async def scenario() -> tuple[list[Any], float]:
        url = service.url(await service.create_queue("poll", {}, {}))
        loop = asyncio.get_running_loop()
        started = loop.time()
        poll = asyncio.create_task(service.receive(url, Receive(wait_seconds=20)))
        await asyncio.sleep(0.05)
        await service.send(url, NewMessage("ping"))
        got = await poll
        return got, loop.time() - started

    got, took = run(scenario)
    assert [m.Body for m in got] == ["ping"]
    assert took < 1


def test_fifo_messages_come_back_in_order_after_their_visibility_expires(service, clock):
    """Messages of a group that were not deleted come back, still first and in order."""
    url = make(service, "again.fifo", ContentBasedDeduplication="true", VisibilityTimeout="5")
    for body in ("1", "2", "3"):
        send(service, url, body, group_id="g")

    first = receive(service, url, max_messages=2)
    clock.now += 5
    second = receive(service, url, max_messages=10, system_attributes=frozenset({"All"}))

    assert [m.Body for m in first] == ["1", "2"]
    assert [m.Body for m in second] == ["1", "2", "3"]
    assert [m.Attributes["ApproximateReceiveCount"] for m in second] == ["2", "2", "1"]


def test_fifo_dead_letter_keeps_the_group_moving(service, clock):
    """A FIFO message received too often moves to the FIFO DLQ and frees its group."""
    dlq = make(service, "dead.fifo", ContentBasedDeduplication="true")
    arn = service.queue(dlq).arn
    policy = f'{{"deadLetterTargetArn":"{arn}","maxReceiveCount":1}}'
    url = make(service, "src.fifo", ContentBasedDeduplication="true", RedrivePolicy=policy)
    send(service, url, "bad", group_id="g")
    send(service, url, "good", group_id="g")

    assert [m.Body for m in receive(service, url, max_messages=1, visibility_timeout=0)] == ["bad"]
    after = receive(service, url, max_messages=10)

    assert [m.Body for m in after] == ["good"]
    assert [m.Body for m in receive(service, dlq)] == ["bad"]


def test_a_dead_letter_queue_must_exist_and_match_the_type(service):
    """RedrivePolicy names an existing DLQ of the same type that allows the source."""
    make(service, "std-dlq")
    fifo = make(service, "f.fifo")
    closed = make(service, "closed", RedriveAllowPolicy='{"redrivePermission":"denyAll"}')

    def policy(url: str) -> str:
        return f'{{"deadLetterTargetArn":"{service.queue(url).arn}","maxReceiveCount":3}}'

    with pytest.raises(errors.InvalidParameter, match="does not exist"):
        make(service, "a", RedrivePolicy=policy(fifo).replace("f.fifo", "nope"))
    with pytest.raises(errors.InvalidParameter, match="same type"):
        make(service, "b", RedrivePolicy=policy(fifo))
    with pytest.raises(errors.InvalidParameter, match="does not allow"):
        make(service, "c", RedrivePolicy=policy(closed))
    with pytest.raises(errors.InvalidAttributeValue):
        make(service, "d", RedrivePolicy='{"maxReceiveCount": 3}')


def test_move_tasks_kept_are_a_sources_last_ten(service):
    """ListMessageMoveTasks shows a source's last ten: finished tasks before them are
    dropped, not kept for as long as the server runs."""
    dlq = make(service, "moves-dead")
    arn = service.queue(dlq).arn
    make(
        service,
        "moves-work",
        RedrivePolicy=f'{{"deadLetterTargetArn":"{arn}","maxReceiveCount":2}}',
    )

    async def move_twelve_times() -> list[Any]:
        serving = asyncio.create_task(service.wait_run_forever())  # (runs the tasks)
        await asyncio.sleep(0)
        for _ in range(12):
            await service.moves.start(arn, None, None)
            while service.moves.running():  # noqa: ASYNC110 (an empty queue's task ends at once)
                await asyncio.sleep(0.01)
        serving.cancel()
        return service.moves.tasks_of(arn, 10)

    listed = run(move_twelve_times)

    assert len(listed) == 10
    assert {t.Status for t in listed} == {"COMPLETED"}
    assert len(service.moves._tasks) == 10
