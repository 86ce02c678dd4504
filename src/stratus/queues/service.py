"""The queue service: SQS's rules over the store, for every caller (the SQS API, templates,
event source mappings, destinations) alike.

Guarantees:
- A call's checks and writes run in one transaction (a savepoint of a commit shared with the
  calls that arrived with it); an accepted message is committed before the call returns,
  so `kill -9` loses nothing accepted, and a deleted message never comes back.
- Receiving costs the batch, not the backlog (indexed reads of due rows; store.py).
- Long polls are answered the moment a message becomes receivable (waiters.py).

Queues themselves are few and read on every call, so they are kept in memory, loaded at
start and updated by the same calls that write them.

Past 400 lines on purpose: one class owns the in-memory queues and the waiters that every
operation reads or wakes; the rules without state live in rules.py, messages.py and
attributes.py, the SQL in store.py.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import sqlite3
import time
from collections.abc import Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, TypeVar
from urllib.parse import urlparse

from stratus.config import Settings
from stratus.store.db import Database

from . import attempts, permissions, receipts, rules, store
from . import attributes as attrs
from .errors import (
    InvalidContents,
    InvalidParameter,
    MessageNotInflight,
    MissingParameter,
    OverLimit,
    PurgeInProgress,
    QueueDeletedRecently,
    QueueNameTaken,
    QueueNotFound,
    ReceiptHandleInvalid,
)
from .model import (
    FIFO_SUFFIX,
    BatchFailure,
    NewMessage,
    Queue,
    Receive,
    ReceivedMessage,
    SentMessage,
)
from .moves import MoveTasks
from .waiters import Waiters

log = logging.getLogger("stratus.queues")
T = TypeVar("T")

MAX_VISIBILITY = 43_200
MAX_WAIT = 20
MAX_TAGS = 50
MAX_LIST = 1000
PURGE_INTERVAL_S = 60.0
URL_CACHE = 10_000
SWEEP_INTERVAL_S = 60.0
NAME_REUSE_S = 60.0  # a deleted queue's name is free again after this (AWS: 60 s)
ATTEMPT_WINDOW_MS = 5 * 60 * 1000  # ReceiveRequestAttemptId's deduplication interval


@dataclass(frozen=True, slots=True)
class InflightLimits:
    """AWS's quotas of messages in flight per queue: past `standard` a receive fails with
    OverLimit; past `fifo` it answers no messages (AWS's documented behaviours)."""

    standard: int = 120_000
    fifo: int = 20_000


@dataclass(frozen=True, slots=True)
class Statistics:
    queues: int
    long_polls: int
    move_tasks: int


class QueueService:
    def __init__(
        self,
        settings: Settings,
        db: Database,
        clock: Callable[[], float] = time.time,
        limits: InflightLimits = InflightLimits(),
    ) -> None:
        self.settings = settings
        self._db = db
        self._clock = clock
        self.limits = limits
        # Names deleted in the last NAME_REUSE_S, with when: kept in memory only, so a
        # restart frees them early (a restart takes longer than the wait rarely matters).
        self._deleted: dict[str, float] = {}
        self._by_name: dict[str, Queue] = {}
        self._by_id: dict[int, Queue] = {}
        self._url_names: dict[str, str] = {}  # QueueUrl -> name, parsed once
        self._waiters = Waiters()
        self.moves = MoveTasks(self, db, clock)
        self._background: asyncio.TaskGroup | None = None
        for row in db.run_blocking(store.all_queues):
            self._remember(self._queue_of(row))

    # ---- the queues ---------------------------------------------------------------------

    def _queue_of(self, row: sqlite3.Row) -> Queue:
        attributes = json.loads(row["attributes"])
        return Queue(
            row["id"],
            row["name"],
            self.arn(row["name"]),
            attributes,
            json.loads(row["tags"]),
            row["created"],
            row["modified"],
            attrs.redrive_of(attributes.get("RedrivePolicy")),
        )

    def _remember(self, queue: Queue) -> None:
        self._by_name[queue.name] = queue
        self._by_id[queue.id] = queue

    def arn(self, name: str) -> str:
        return f"arn:aws:sqs:{self.settings.region}:{self.settings.account_id}:{name}"

    def url(self, queue: Queue) -> str:
        return f"{self.settings.endpoint_url}/{self.settings.account_id}/{queue.name}"

    def queue(self, url: str) -> Queue:
        """The queue a QueueUrl names: any host, path /<account>/<name> (AWS's form)."""
        name = self._url_names.get(url)
        if name is None:
            parts = urlparse(url).path.strip("/").split("/") if url else []
            if len(parts) == 2 and parts[0] == self.settings.account_id:
                name = parts[1]
                if len(self._url_names) >= URL_CACHE:  # clients choose the hosts: bounded
                    self._url_names.clear()
                self._url_names[url] = name
        found = self._by_name.get(name) if name else None
        if found is None:
            raise QueueNotFound()
        return found

    def queue_by_arn(self, arn: str) -> Queue:
        prefix = self.arn("")
        found = self._by_name.get(arn[len(prefix) :]) if arn.startswith(prefix) else None
        if found is None:
            raise QueueNotFound()
        return found

    def by_id(self, queue_id: int) -> Queue | None:
        return self._by_id.get(queue_id)

    def all_queues(self) -> list[Queue]:
        return list(self._by_id.values())

    async def create_queue(
        self, name: str, attributes: Mapping[str, str], tags: Mapping[str, str]
    ) -> Queue:
        fifo = name.endswith(FIFO_SUFFIX) or attributes.get("FifoQueue") == "true"
        attrs.check_name(name, fifo)
        given = attrs.settle(attributes, fifo, creating=True)
        _check_tags(tags)
        existing = self._by_name.get(name)
        if existing is not None:
            for key, value in given.items():
                if existing.attributes.get(key, attrs.defaults(fifo).get(key, "")) != value:
                    raise QueueNameTaken(
                        "A queue already exists with the same name and a different value for "
                        f"attribute {key}"
                    )
            return existing
        deleted = self._deleted.get(name)
        if deleted is not None and self._clock() - deleted < NAME_REUSE_S:
            raise QueueDeletedRecently()
        self._deleted.pop(name, None)
        settled = attrs.defaults(fifo) | {k: v for k, v in given.items() if v != ""}
        self._check_redrive(name, settled)
        now = int(self._clock())
        queue_id = await self._run(lambda c: store.insert_queue(c, name, settled, tags, now))
        queue = Queue(
            queue_id,
            name,
            self.arn(name),
            settled,
            dict(tags),
            now,
            now,
            attrs.redrive_of(settled.get("RedrivePolicy")),
        )
        self._remember(queue)
        return queue

    def get_queue_url(self, name: str, owner: str | None = None) -> str:
        queue = self._by_name.get(name)
        if queue is None or (owner and owner != self.settings.account_id):
            raise QueueNotFound()
        return self.url(queue)

    async def delete_queue(self, url: str) -> None:
        queue = self.queue(url)
        await self._run(lambda c: store.delete_queue(c, queue.id))
        del self._by_name[queue.name], self._by_id[queue.id]
        now = self._clock()
        self._deleted = {n: t for n, t in self._deleted.items() if now - t < NAME_REUSE_S}
        self._deleted[queue.name] = now
        self._waiters.wake(queue.id)
        self._spawn(self._wait_drop_messages(queue.id))

    def list_queues(
        self, prefix: str | None, max_results: int | None, token: str | None
    ) -> tuple[list[str], str | None]:
        rules.check_range("MaxResults", max_results, 1, MAX_LIST)
        names = sorted(n for n in self._by_name if n.startswith(prefix or ""))
        return self._page(names, max_results, token)

    def list_dead_letter_sources(
        self, url: str, max_results: int | None, token: str | None
    ) -> tuple[list[str], str | None]:
        target = self.queue(url)
        rules.check_range("MaxResults", max_results, 1, MAX_LIST)
        names = sorted(
            q.name
            for q in self._by_name.values()
            if q.redrive and q.redrive.deadLetterTargetArn == target.arn
        )
        return self._page(names, max_results, token)

    def _page(
        self, names: list[str], max_results: int | None, token: str | None
    ) -> tuple[list[str], str | None]:
        if token:
            after = _untoken(token)
            names = [n for n in names if n > after]
        limit = max_results or MAX_LIST
        page, more = names[:limit], len(names) > limit
        next_token = _token(page[-1]) if more and max_results else None
        return [self.url(self._by_name[n]) for n in page], next_token

    async def get_attributes(self, url: str, names: Sequence[str]) -> dict[str, str]:
        queue = self.queue(url)
        wanted = attrs.wanted(list(names))
        found: dict[str, str] = {
            k: v for k, v in queue.attributes.items() if k in wanted and v != ""
        }
        if "QueueArn" in wanted:
            found["QueueArn"] = queue.arn
        if "CreatedTimestamp" in wanted:
            found["CreatedTimestamp"] = str(queue.created)
        if "LastModifiedTimestamp" in wanted:
            found["LastModifiedTimestamp"] = str(queue.modified)
        counted = {n for n in attrs.COMPUTED if n.startswith("Approximate")} & wanted
        if counted:
            now = self._now_ms()
            visible, hidden, delayed = await self._db.run(lambda c: store.counts(c, queue.id, now))
            numbers = {
                "ApproximateNumberOfMessages": visible,
                "ApproximateNumberOfMessagesNotVisible": hidden,
                "ApproximateNumberOfMessagesDelayed": delayed,
            }
            found |= {name: str(numbers[name]) for name in counted}
        return found

    async def add_permission(
        self, url: str, label: str, accounts: Sequence[str], actions: Sequence[str]
    ) -> None:
        queue = self.queue(url)
        policy = permissions.add(
            queue.attributes.get("Policy"), queue.arn, label, accounts, actions
        )
        await self.set_attributes(url, {"Policy": policy})

    async def remove_permission(self, url: str, label: str) -> None:
        queue = self.queue(url)
        policy = permissions.remove(queue.attributes.get("Policy"), label)
        await self.set_attributes(url, {"Policy": policy})

    async def set_attributes(self, url: str, attributes: Mapping[str, str]) -> None:
        queue = self.queue(url)
        given = attrs.settle(attributes, queue.fifo, creating=False)
        settled = {**queue.attributes, **given}
        for key in [
            k
            for k, v in given.items()
            if v == "" and k in ("Policy", "RedrivePolicy", "RedriveAllowPolicy")
        ]:
            settled.pop(key, None)
        self._check_redrive(queue.name, settled)
        now = int(self._clock())
        await self._run(lambda c: store.update_queue(c, queue.id, attributes=settled, modified=now))
        self._remember(
            replace(
                queue,
                attributes=settled,
                modified=now,
                redrive=attrs.redrive_of(settled.get("RedrivePolicy")),
            )
        )
        self._waiters.wake(queue.id)  # a shorter delay can make messages due sooner

    def _check_redrive(self, name: str, settled: Mapping[str, str]) -> None:
        policy = attrs.redrive_of(settled.get("RedrivePolicy"))
        if policy is None:
            return
        raw = settled["RedrivePolicy"]
        try:
            target = self.queue_by_arn(policy.deadLetterTargetArn)
        except QueueNotFound:
            target = None
        reason = None
        if target is None:
            reason = "Dead letter target does not exist."
        elif target.fifo != name.endswith(FIFO_SUFFIX):
            reason = "Dead-letter queue must be the same type of queue as the source."
        elif not attrs.allows(target.attributes.get("RedriveAllowPolicy"), self.arn(name)):
            reason = f"Queue {target.name} does not allow this queue to use it as a DLQ."
        if reason:
            raise InvalidParameter(
                f"Value {raw} for parameter RedrivePolicy is invalid. Reason: {reason}"
            )

    async def tag(self, url: str, tags: Mapping[str, str]) -> None:
        queue = self.queue(url)
        merged = {**queue.tags, **tags}
        _check_tags(merged)
        await self._run(lambda c: store.update_queue(c, queue.id, tags=merged))
        self._remember(replace(queue, tags=merged))

    async def untag(self, url: str, keys: Sequence[str]) -> None:
        queue = self.queue(url)
        kept = {k: v for k, v in queue.tags.items() if k not in keys}
        await self._run(lambda c: store.update_queue(c, queue.id, tags=kept))
        self._remember(replace(queue, tags=kept))

    def tags(self, url: str) -> dict[str, str]:
        return dict(self.queue(url).tags)

    async def purge(self, url: str) -> None:
        """Delete every message sent before the call; one purge per queue per 60 s."""
        queue = self.queue(url)
        now = self._clock()
        last = await self._db.run(lambda c: store.purged_at(c, queue.id))
        if now - last < PURGE_INTERVAL_S:
            raise PurgeInProgress(
                f"Only one PurgeQueue operation on {queue.name} is allowed every 60 seconds."
            )
        await self._run(lambda c: store.set_purged(c, queue.id, now))
        await self._wait_delete_before(queue, int(now * 1000) + 1)

    # ---- sending ------------------------------------------------------------------------

    async def send(self, url: str, message: NewMessage) -> SentMessage:
        queue = self.queue(url)
        now = self._now_ms()
        incoming = rules.incoming(queue, message, now)
        answers = await self._run(lambda c: self._store_messages(c, queue, [incoming], now))
        self._waiters.wake(queue.id)
        return rules.sent(queue, message, answers[0])

    def stage_send(self, conn: sqlite3.Connection, queue_arn: str, message: NewMessage) -> int:
        """On the database thread, inside the caller's transaction (an SNS publish fanning
        out): store `message` as `send` would, raising before anything is written. Returns
        the queue's id: `wake` it once the transaction committed."""
        queue = self.queue_by_arn(queue_arn)
        now = self._now_ms()
        incoming = rules.incoming(queue, message, now)
        self._store_messages(conn, queue, [incoming], now)
        return queue.id

    async def send_batch(
        self, url: str, entries: Sequence[tuple[str, NewMessage | Exception]]
    ) -> tuple[list[tuple[str, SentMessage]], list[BatchFailure]]:
        """Each entry is (Id, message) or (Id, why its message could not be read)."""
        queue = self.queue(url)
        rules.check_batch([entry_id for entry_id, _ in entries], "SendMessageBatchRequestEntry")
        rules.check_batch_size([m for _, m in entries if isinstance(m, NewMessage)])
        now = self._now_ms()
        good: list[tuple[str, NewMessage, store.Incoming]] = []
        failed: list[BatchFailure] = []
        for entry_id, message in entries:
            try:
                if isinstance(message, Exception):
                    raise message
                good.append((entry_id, message, rules.incoming(queue, message, now)))
            except (InvalidParameter, MissingParameter, InvalidContents) as exc:
                failed.append(BatchFailure(entry_id, exc))
        incoming = [item[2] for item in good]
        answers = await self._run(lambda c: self._store_messages(c, queue, incoming, now))
        if good:
            self._waiters.wake(queue.id)
        sent = [(i, rules.sent(queue, m, a)) for (i, m, _), a in zip(good, answers, strict=True)]
        return sent, failed

    @staticmethod
    def _store_messages(
        conn: sqlite3.Connection, queue: Queue, incoming: list[store.Incoming], now: int
    ) -> list[tuple[str, int]]:
        if queue.fifo or any(m.group_id for m in incoming):
            return store.send(conn, queue.id, incoming, now, queue.fifo, queue.dedup_per_group)
        store.send_many(conn, queue.id, incoming, now)
        return [(m.id, 0) for m in incoming]

    # ---- receiving ----------------------------------------------------------------------

    async def receive(self, url: str, request: Receive) -> list[ReceivedMessage]:
        queue = self.queue(url)
        rules.check_range("MaxNumberOfMessages", request.max_messages, 1, rules.MAX_BATCH)
        rules.check_range("VisibilityTimeout", request.visibility_timeout, 0, MAX_VISIBILITY)
        rules.check_range("WaitTimeSeconds", request.wait_seconds, 0, MAX_WAIT)
        # ReceiveRequestAttemptId applies to FIFO queues only; standard queues ignore it.
        attempt = request.attempt_id if queue.fifo else None
        if attempt is not None:
            rules.check_attempt_id(attempt)
            again = await self._replay(queue, request, attempt)
            if again is not None:
                return again
        wait = request.wait_seconds
        if wait is None:
            wait = queue.seconds("ReceiveMessageWaitTimeSeconds")
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait
        while True:
            current = self._by_id.get(queue.id)
            if current is None:  # deleted while this poll waited
                return []
            woken = self._waiters.park(queue.id)
            try:
                taken, due = await self._take(current, request)
                left = deadline - loop.time()
                if taken or left <= 0:
                    answer = [
                        rules.received(current, m, request, self.settings.account_id) for m in taken
                    ]
                    if attempt is not None and taken:
                        await self._remember_attempt(current, attempt, taken, answer)
                    return answer
                if due is not None:
                    # At least 10 ms: a due time that yielded nothing must not spin.
                    left = min(left, max(0.01, (due - self._now_ms()) / 1000))
                await self._waiters.wait_woken(woken, left)
            finally:
                self._waiters.leave(queue.id, woken)

    async def _take(self, queue: Queue, request: Receive) -> tuple[list[store.Stored], int | None]:
        now = self._now_ms()
        hidden = request.visibility_timeout
        if hidden is None:
            hidden = queue.seconds("VisibilityTimeout")
        limit = self.limits.fifo if queue.fifo else self.limits.standard
        pick = store.receive_fifo if queue.fifo else store.receive

        def work(conn: sqlite3.Connection) -> tuple[list[store.Stored], int | None]:
            room = store.room_in_flight(conn, queue.id, now, limit, request.max_messages)
            if room <= 0 and not queue.fifo:
                raise OverLimit(
                    f"Too many messages in flight: {queue.name} has {limit} messages received "
                    "and not yet deleted; delete some (or let their visibility expire)."
                )
            if room <= 0:  # FIFO: no error, no messages; look again in a second
                return [], now + 1000
            take = store.Take(
                queue.id,
                min(request.max_messages, room),
                now + hidden * 1000,
                now,
                now - queue.seconds("MessageRetentionPeriod") * 1000,
                dead_letter,
            )
            taken = pick(conn, take)
            return taken, None if taken else store.next_due(conn, queue.id, queue.fifo)

        dead_letter = self._dead_letter(queue)

        taken, due = await self._db.run_in_transaction(work)
        if dead_letter is not None:
            self._waiters.wake(dead_letter.queue_id)
        return taken, due

    async def _replay(
        self, queue: Queue, request: Receive, attempt: str
    ) -> list[ReceivedMessage] | None:
        """A retried FIFO receive: the messages (and receipt handles) the first try with this
        ReceiveRequestAttemptId got, their visibility timeout restarted, if it came within 5
        minutes and none of them was deleted, received again or had its visibility changed
        since; else None (a fresh receive)."""
        now = self._now_ms()
        hidden = request.visibility_timeout
        if hidden is None:
            hidden = queue.seconds("VisibilityTimeout")
        until = now + hidden * 1000
        found = await self._run(lambda c: attempts.replay(c, queue.id, attempt, now, until))
        if found is None:
            return None
        account = self.settings.account_id
        return [rules.received(queue, m, request, account, handle) for m, handle in found]

    async def _remember_attempt(
        self,
        queue: Queue,
        attempt: str,
        taken: Sequence[store.Stored],
        answer: Sequence[ReceivedMessage],
    ) -> None:
        entries = [
            attempts.Attempted(m.seq, m.receives, m.visible_at, a.ReceiptHandle)
            for m, a in zip(taken, answer, strict=True)
        ]
        expires = self._now_ms() + ATTEMPT_WINDOW_MS
        await self._run(lambda c: attempts.remember(c, queue.id, attempt, entries, expires))

    def _dead_letter(self, queue: Queue) -> store.DeadLetter | None:
        if queue.redrive is None:
            return None
        try:
            target = self.queue_by_arn(queue.redrive.deadLetterTargetArn)
        except QueueNotFound:
            return None  # deleted since: messages stay, as AWS keeps them in the source
        return store.DeadLetter(target.id, queue.redrive.maxReceiveCount, queue.arn, target.fifo)

    # ---- in flight ----------------------------------------------------------------------

    async def delete_message(self, url: str, handle: str) -> None:
        queue = self.queue(url)
        receipt = receipts.decode(handle, queue.id)
        now = self._now_ms()
        await self._run(lambda c: store.delete(c, queue.id, queue.fifo, [receipt.seq], now))
        if queue.fifo:
            self._waiters.wake(queue.id)  # the group may be free now

    async def delete_batch(
        self, url: str, entries: Sequence[tuple[str, str]]
    ) -> tuple[list[str], list[BatchFailure]]:
        """Entries are (Id, ReceiptHandle)."""
        queue = self.queue(url)
        rules.check_batch([entry_id for entry_id, _ in entries], "DeleteMessageBatchRequestEntry")
        good: list[tuple[str, int]] = []
        failed: list[BatchFailure] = []
        for entry_id, handle in entries:
            try:
                good.append((entry_id, receipts.decode(handle, queue.id).seq))
            except ReceiptHandleInvalid as exc:
                failed.append(BatchFailure(entry_id, exc))
        now = self._now_ms()

        seqs = [seq for _, seq in good]
        await self._run(lambda c: store.delete(c, queue.id, queue.fifo, seqs, now))
        if queue.fifo:
            self._waiters.wake(queue.id)
        return [entry_id for entry_id, _ in good], failed

    async def change_visibility(self, url: str, handle: str, seconds: int) -> None:
        entry = ("one", handle, seconds)
        _, failed = await self.change_visibility_batch(url, [entry], single=True)
        if failed:
            raise failed[0].error

    async def change_visibility_batch(
        self, url: str, entries: Sequence[tuple[str, str, int]], single: bool = False
    ) -> tuple[list[str], list[BatchFailure]]:
        """Entries are (Id, ReceiptHandle, VisibilityTimeout)."""
        queue = self.queue(url)
        if not single:
            rules.check_batch([e[0] for e in entries], "ChangeMessageVisibilityBatchRequestEntry")
        now = self._now_ms()
        checked: list[tuple[str, receipts.Receipt, int]] = []
        failed: list[BatchFailure] = []
        for entry_id, handle, timeout in entries:
            try:
                receipt = receipts.decode(handle, queue.id)
                rules.check_range("VisibilityTimeout", timeout, 0, MAX_VISIBILITY)
                _check_total_visibility(receipt, timeout, now)
                checked.append((entry_id, receipt, timeout))
            except (ReceiptHandleInvalid, InvalidParameter) as exc:
                if single:
                    raise
                failed.append(BatchFailure(entry_id, exc))

        def work(conn: sqlite3.Connection) -> list[str]:
            done = []
            for entry_id, receipt, timeout in checked:
                message = store.find(conn, queue.id, receipt.seq)
                in_flight = (
                    message is not None
                    and message.receives == receipt.receives
                    and message.visible_at > now
                )
                if message is None or not in_flight:
                    failed.append(BatchFailure(entry_id, MessageNotInflight()))
                    continue
                store.change_visibility(conn, queue.id, message, now + timeout * 1000, now)
                done.append(entry_id)
            return done

        done = await self._run(work)
        self._waiters.wake(queue.id)
        return done, failed

    # ---- background ---------------------------------------------------------------------

    async def wait_run_forever(self) -> None:
        """Owns the background work: retention sweeps, deferred deletes, move tasks."""
        async with asyncio.TaskGroup() as tasks:
            self._background = tasks
            try:
                for queue_id in await self._db.run(store.orphan_queue_ids):
                    tasks.create_task(self._wait_drop_messages(queue_id))
                while True:
                    await self.wait_sweep()
                    await asyncio.sleep(SWEEP_INTERVAL_S)
            finally:
                self._background = None

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        if self._background is not None:
            self._background.create_task(work)
        else:  # no background owner (tests of the service alone): the work is dropped
            work.close()

    async def wait_sweep(self) -> None:
        """Drop every queue's messages past retention and forget old deduplication ids."""
        for queue in list(self._by_id.values()):
            cutoff = self._now_ms() - queue.seconds("MessageRetentionPeriod") * 1000
            await self._wait_delete_before(queue, cutoff)

    async def _wait_delete_before(self, queue: Queue, sent_before: int) -> None:
        while True:
            now = self._now_ms()

            def work(conn: sqlite3.Connection, now: int = now) -> int:
                count, groups = store.delete_some(conn, queue.id, sent_before)
                for group in groups:
                    store.refresh_group(conn, queue.id, group, now)
                store.forget_dedup(conn, queue.id, now)
                attempts.forget(conn, queue.id, now)
                return count

            if await self._run(work) < store.CHUNK:
                break
        self._waiters.wake(queue.id)

    async def _wait_drop_messages(self, queue_id: int) -> None:
        while await self._run(lambda c: store.delete_some(c, queue_id)[0]) >= store.CHUNK:
            pass

    # ---- helpers ------------------------------------------------------------------------

    def wake(self, queue_id: int) -> None:
        self._waiters.wake(queue_id)

    def spawn(self, work: Coroutine[Any, Any, None]) -> None:
        self._spawn(work)

    def _now_ms(self) -> int:
        return int(self._clock() * 1000)

    async def _run(self, work: Callable[[sqlite3.Connection], T]) -> T:
        # Calls arriving together share one commit (store/db.py: group commit).
        return await self._db.run_in_transaction(work)

    def statistics(self) -> Statistics:
        return Statistics(len(self._by_id), self._waiters.statistics(), self.moves.running())


def _check_total_visibility(receipt: receipts.Receipt, timeout: int, now: int) -> None:
    """A message stays in flight at most 12 hours from the receive, all visibility changes
    together: a change past that is refused (AWS does not shorten it to fit)."""
    if (
        receipt.received is not None
        and now + timeout * 1000 > receipt.received + MAX_VISIBILITY * 1000
    ):
        raise InvalidParameter(
            f"Value {timeout} for parameter VisibilityTimeout is invalid. Reason: Total "
            f"VisibilityTimeout for the message is beyond the limit [{MAX_VISIBILITY} seconds]."
        )


def _check_tags(tags: Mapping[str, str]) -> None:
    if len(tags) > MAX_TAGS:
        raise InvalidParameter(f"Too many tags: a queue can have up to {MAX_TAGS}.")
    for key, value in tags.items():
        if not 1 <= len(key) <= 128 or len(value) > 256:
            raise InvalidParameter(
                f"Tag {key!r} is invalid: keys are 1 to 128 characters, values up to 256."
            )


def _token(name: str) -> str:
    return base64.urlsafe_b64encode(name.encode()).decode()


def _untoken(token: str) -> str:
    try:
        return base64.urlsafe_b64decode(token.encode()).decode()
    except (ValueError, UnicodeError):
        raise InvalidParameter("Invalid NextToken value.") from None
