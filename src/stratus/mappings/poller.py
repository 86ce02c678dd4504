"""The pollers of one enabled mapping: long-poll the queue in process, invoke the function
with each batch, delete what succeeded.

    receive (long poll, 20 s)  ->  filter: non-matching messages are deleted unseen
      -> invoke (sync, the same call a boto3 Invoke makes)  ->  delete the successes

Failures are not deleted: they come back after the queue's visibility timeout and, past its
maxReceiveCount, go to the queue's own dead-letter queue (the queue does that, not us).

Scaling: a mapping starts with one worker; a worker whose receive came back full adds one
more (at most one per SCALE_UP_INTERVAL_S), up to the mapping's cap (ScalingConfig.
MaximumConcurrency, else the account's limit, and never past the function's reserved
concurrency); a worker whose long poll came back empty retires unless it is the last. A
throttled invoke (the function's reserved or the account's concurrency is used up) is
retried with backoff while the messages' visibility timeout leaves room for a run, then
left to come back: never lost. FIFO order within a message
group holds because the queue itself keeps a group blocked while any of its messages is in
flight: at most one batch per group is out.

A deleted function (AWS keeps the mapping, which then fails): the batch that found it gone
stays in flight and comes back after the visibility timeout; from then on the poller
receives nothing, looking for the function once a second, and resumes when a function of
that name exists again. Messages wait in the queue meanwhile: none is lost, none is
dead-lettered for it.

Stopping (disable, delete, update, shutdown) cancels the workers that are waiting on a
receive and lets those running a batch finish it. A receive cancelled just as it took
messages leaves them in flight until their visibility timeout ends (at-least-once).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from stratus.errors import NotFound, StratusError, Throttled
from stratus.patterns.filter_criteria import EventSource, FilterCriteria, parse_filter_criteria

from . import records as rec
from .model import EventSourceMapping
from .seams import Message, Seams

log = logging.getLogger("stratus.mappings")

LONG_POLL_S = 20
RECEIVE_MAX = 10  # SQS's MaxNumberOfMessages
THROTTLE_BACKOFF_S = (0.05, 1.0)
# At most one more worker per this many seconds: AWS adds up to 300 concurrent batches a
# minute; growing faster only starts environments the backlog may not need.
SCALE_UP_INTERVAL_S = 0.2
FACTS_TTL_S = 5.0  # how long a read of the queue's visibility and the function's timeout holds
ERROR_PAUSE_S = 1.0  # after the queue or function is gone or refuses: no hot loop


@dataclass(frozen=True, slots=True)
class Statistics:
    workers: int
    invokes: int
    throttles: int
    deleted: int
    filtered: int


@dataclass(slots=True)
class _Worker:
    task: asyncio.Task[None] | None = None
    receiving: bool = False


class Poller:
    def __init__(
        self, mapping: EventSourceMapping, seams: Seams, region: str, cap: int, fifo: bool
    ) -> None:
        self.mapping = mapping
        self._seams = seams
        self._region = region
        self._cap = max(1, cap)
        self._fifo = fifo
        self._filters: FilterCriteria = parse_filter_criteria(mapping.filters)
        self._workers: list[_Worker] = []
        self._tasks: asyncio.TaskGroup | None = None
        self._stopping = False
        self._done = asyncio.Event()
        self._invokes = self._throttles = self._deleted = self._filtered = 0
        self._last_added = float("-inf")
        self._facts: tuple[float, int, int] | None = None  # (read at, visibility, timeout)
        self._reserved: int | None = None  # the function's reserved concurrency, if any
        self._function_missing = False  # an invoke found the function gone: receive nothing

    # ---- life -----------------------------------------------------------------------------

    async def wait_run(self) -> None:
        """Until stopped (or cancelled with the server): owns every worker."""
        try:
            async with asyncio.TaskGroup() as tasks:
                self._tasks = tasks
                self._add_worker()
        finally:
            self._tasks = None
            self._done.set()

    def stop(self) -> None:
        """Stop receiving; batches being run finish. `wait_stopped` waits for them."""
        self._stopping = True
        for worker in self._workers:
            if worker.receiving and worker.task is not None:
                worker.task.cancel()

    async def wait_stopped(self) -> None:
        await self._done.wait()

    def statistics(self) -> Statistics:
        return Statistics(
            len(self._workers), self._invokes, self._throttles, self._deleted, self._filtered
        )

    def _add_worker(self) -> None:
        cap = self._cap
        if self._reserved is not None:  # the function can never run more at once
            cap = min(cap, max(1, self._reserved))
        if self._tasks is None or self._stopping or len(self._workers) >= cap:
            return
        now = asyncio.get_running_loop().time()
        if self._workers and now - self._last_added < SCALE_UP_INTERVAL_S:
            return
        self._last_added = now
        worker = _Worker()
        self._workers.append(worker)
        worker.task = self._tasks.create_task(self._wait_work(worker))

    # ---- one worker -----------------------------------------------------------------------

    async def _wait_work(self, worker: _Worker) -> None:
        try:
            while not self._stopping:
                if self._function_missing and await self._wait_facts() is None:
                    continue  # still gone (_wait_facts paused): receive nothing
                worker.receiving = True
                try:
                    batch = await self._wait_batch()
                except asyncio.CancelledError:
                    if self._stopping:
                        return
                    raise
                except StratusError as exc:  # the queue is gone (or refuses): wait, retry
                    log.warning("mapping %s cannot receive: %s", self.mapping.uuid, exc.message)
                    await asyncio.sleep(ERROR_PAUSE_S)
                    continue
                finally:
                    worker.receiving = False
                log.debug("mapping %s: received %d", self.mapping.uuid, len(batch))
                if not batch:
                    if len(self._workers) > 1:
                        return  # less backlog: one worker fewer
                    continue
                if len(batch) >= min(self.mapping.batch_size, RECEIVE_MAX):
                    self._add_worker()  # a full receive: there is backlog
                if not await self._wait_process(batch) and len(self._workers) > 1:
                    return  # throttled: the function has no room for this many workers
        finally:
            self._workers.remove(worker)

    async def _wait_batch(self) -> list[Message]:
        """Up to BatchSize messages: what one long poll returns, or, with a batching window,
        what arrives within the window after the first one."""
        mapping, receive = self.mapping, self._seams.receive
        size = mapping.batch_size
        batch = await receive.wait_receive(mapping.source_arn, min(size, RECEIVE_MAX), LONG_POLL_S)
        if not batch or mapping.window <= 0:
            return batch
        loop = asyncio.get_running_loop()
        deadline = loop.time() + mapping.window
        while len(batch) < size and not self._stopping:
            left = deadline - loop.time()
            if left <= 0:
                break
            wait = min(LONG_POLL_S, int(left))
            more = await receive.wait_receive(
                mapping.source_arn, min(size - len(batch), RECEIVE_MAX), wait
            )
            batch.extend(more)
            if wait == 0:
                break
        return batch

    async def _wait_process(self, batch: list[Message]) -> bool:
        """Run one batch; False when it was throttled."""
        mapping = self.mapping
        built = [rec.record(m, mapping.source_arn, self._region) for m in batch]
        kept = [r for r in built if self._filters.keeps(r, EventSource.SQS)]
        kept_ids = {id(r) for r in kept}
        dropped = [str(r["receiptHandle"]) for r in built if id(r) not in kept_ids]
        if dropped:  # filtered out: deleted without an invocation, as AWS does
            await self._wait_delete(dropped)
            self._filtered += len(dropped)
        fine = True
        for records, payload in rec.payloads(kept):
            fine = await self._wait_invoke(records, payload) and fine
        return fine

    async def _wait_invoke(self, records: list[dict[str, object]], payload: bytes) -> bool:
        mapping, seams = self.mapping, self._seams
        loop = asyncio.get_running_loop()
        # Retry throttles while the messages are surely still ours: within the visibility
        # timeout, less the function's own timeout for the run itself.
        facts = await self._wait_facts()
        if facts is None:
            return True
        visibility, timeout = facts
        deadline = loop.time() + max(0.0, visibility - timeout)
        delay = THROTTLE_BACKOFF_S[0]
        throttled = False
        while True:
            try:
                result = await seams.invoke.wait_invoke(mapping.function_arn, payload)
                break
            except Throttled:
                self._throttles += 1
                throttled = True
                if loop.time() + delay > deadline or self._stopping:
                    return False  # left in flight: back after the visibility timeout
                await asyncio.sleep(delay)
                delay = min(delay * 2, THROTTLE_BACKOFF_S[1])
            except StratusError as exc:  # the function is gone or not ready
                log.warning("mapping %s cannot invoke: %s", mapping.uuid, exc.message)
                if isinstance(exc, NotFound):
                    self._function_missing, self._facts = True, None
                await asyncio.sleep(ERROR_PAUSE_S)
                return True
        self._invokes += 1
        log.debug("mapping %s: %d records, %s", mapping.uuid, len(records), result.function_error)
        if result.function_error:
            return not throttled  # the whole batch comes back after the visibility timeout
        ids = [str(r["messageId"]) for r in records]
        failed: set[str] | None = set()
        if mapping.reports_failures:
            failed = rec.failed_items(result.payload, ids)
        if failed is None:
            return not throttled
        done = [str(r["receiptHandle"]) for r in records if r["messageId"] not in failed]
        await self._wait_delete(done)
        return not throttled

    async def _wait_facts(self) -> tuple[int, int] | None:
        now = asyncio.get_running_loop().time()
        if self._facts is not None and now - self._facts[0] < FACTS_TTL_S:
            return self._facts[1], self._facts[2]
        try:
            queue = self._seams.queue.describe_queue(self.mapping.source_arn)
            function = await self._seams.function.wait_describe(self.mapping.function_arn)
        except StratusError as exc:
            if not self._function_missing:  # once, not every second it stays gone
                log.warning("mapping %s: %s", self.mapping.uuid, exc.message)
            await asyncio.sleep(ERROR_PAUSE_S)
            return None
        self._facts = (now, queue.visibility_timeout, function.timeout)
        self._reserved = function.reserved_concurrency
        self._function_missing = False
        return queue.visibility_timeout, function.timeout

    async def _wait_delete(self, handles: list[str]) -> None:
        if not handles:
            return
        try:
            await self._seams.delete.wait_delete(self.mapping.source_arn, handles)
        except StratusError as exc:  # the queue went away meanwhile
            log.warning("mapping %s cannot delete: %s", self.mapping.uuid, exc.message)
            return
        self._deleted += len(handles)
