"""The poller of one enabled DynamoDB stream mapping: read the stream's shard in order,
invoke the function with each batch, checkpoint what is done in the store.

    read after the lane's checkpoint (woken by writes, never a loop over the store)
      -> filter: dropped records are passed over
      -> invoke (sync)  ->  checkpoint (the store)  |  retry / bisect / discard

Lanes: ParallelizationFactor N splits the shard into N lanes by the item's key (so one
item's changes stay in order), each read and checkpointed on its own; a lane runs one batch
at a time, so order holds within it. Each lane's checkpoint (the last sequence number it is
done with; with a tumbling window, the window and its state) is written after each batch:
`kill -9` at any moment repeats at most the batch that was running (at-least-once).

Failures: a function error (or an answer that fails the whole batch) retries the batch —
halved first with BisectBatchOnFunctionError — until MaximumRetryAttempts (-1: until the
records expire); ReportBatchItemFailures checkpoints before the lowest failed sequence
number and retries from there. Records older than MaximumRecordAgeInSeconds, and batches
past their retries, are discarded: their description goes to the on-failure destination
and the lane moves on. Throttles are retried with backoff and count no attempt.

Tumbling windows (TumblingWindowInSeconds): windows are aligned on the epoch and a batch
holds records of one window; each invoke carries the state the last one answered. When the
lane reaches a record of a later window, or the window's end passes with nothing to read,
a final invoke (no records, isFinalInvokeForWindow) gets the state, retried until it
succeeds, and the next window starts with an empty state.

Time (record ages and windows) is the server's clock, the one stream records are stamped
with; the batching window is a latency knob and runs on the event loop's clock.

Past 400 lines on purpose: a lane's loop (read, batch, retry, window, checkpoint) shares
its position and window state at every step; the pure parts (the record, an answer's
meaning, the failure record, windows) are in stream_records.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import orjson

from stratus.errors import StratusError, Throttled
from stratus.patterns.filter_criteria import EventSource, FilterCriteria, parse_filter_criteria
from stratus.store.clock import Clock

from . import stream_records as rec
from .model import FUNCTION_FAILED, PROCESSED, EventSourceMapping
from .poller import Statistics
from .seams import Invoked, Seams, StreamRecord, StreamSource
from .store import Lane

log = logging.getLogger("stratus.mappings")

READ_LIMIT = 1000  # GetRecords' most
SAFETY_WAKE_S = 5.0  # a wait for records also ends this often (a missed wake costs this)
RETRY_BACKOFF_S = (0.1, 5.0)
THROTTLE_BACKOFF_S = (0.05, 1.0)
ERROR_PAUSE_S = 1.0
Load = Callable[[], Awaitable[dict[int, Lane]]]  # the lanes' checkpoints, as stored
Save = Callable[[int, Lane], Awaitable[None]]  # write one lane's checkpoint


@dataclass(slots=True)
class _Counters:
    invokes: int = 0
    throttles: int = 0
    done: int = 0
    filtered: int = 0


class StreamPoller:
    def __init__(
        self,
        mapping: EventSourceMapping,
        seams: Seams,
        clock: Clock,
        load: Load,
        save: Save,
        previous: StreamPoller | None = None,
    ) -> None:
        """`load`/`save`: the lanes' checkpoints in the store; `previous`: the poller this
        one replaces (it waits for that one's batches to finish, then reads where they
        left the checkpoints)."""
        assert seams.stream is not None
        self.mapping = mapping
        self._seams = seams
        self._stream: StreamSource = seams.stream
        self._clock = clock
        self._load = load
        self._save = save
        self._shard_id = ""
        self._previous = previous
        self._filters: FilterCriteria = parse_filter_criteria(mapping.filters)
        self._stopping = False
        self._idle: dict[int, asyncio.Task[None]] = {}
        self._done = asyncio.Event()
        self._counters = _Counters()
        self.last_result: str | None = None  # LastProcessingResult, once a batch ran

    # ---- life -----------------------------------------------------------------------------

    async def wait_run(self) -> None:
        try:
            if self._previous is not None:
                await self._previous.wait_stopped()
                self._previous = None
            while not self._stopping:
                try:
                    facts = await self._stream.wait_describe_stream(self.mapping.source_arn)
                    break
                except StratusError as exc:  # gone (aged out): AWS's poller keeps failing
                    log.warning("mapping %s: %s", self.mapping.uuid, exc.message)
                    await asyncio.sleep(SAFETY_WAKE_S)
            else:
                return
            self._shard_id = facts.shard_id
            lanes = await self._load()
            async with asyncio.TaskGroup() as tasks:
                for index in range(self.mapping.parallelization):
                    start = lanes.get(index, Lane(0))
                    tasks.create_task(_Lane(self, index, start).wait_run())
        finally:
            self._done.set()

    def stop(self) -> None:
        """Stop reading; a batch being run finishes (and is checkpointed)."""
        self._stopping = True
        for task in list(self._idle.values()):
            task.cancel()

    async def wait_stopped(self) -> None:
        await self._done.wait()

    def statistics(self) -> Statistics:
        c = self._counters
        return Statistics(self.mapping.parallelization, c.invokes, c.throttles, c.done, c.filtered)


class _Lane:
    """One lane's loop: read, invoke, checkpoint."""

    def __init__(self, poller: StreamPoller, index: int, at: Lane) -> None:
        self.p = poller
        self.m = poller.mapping
        self.index = index
        self.at = at
        self._shown: dict[int, dict[str, Any]] = {}  # records as the function sees them

    async def wait_run(self) -> None:
        arn = self.m.source_arn
        woken = self.p._stream.subscribe(arn)
        try:
            while not self.p._stopping:
                woken.clear()
                batch, end = await self._wait_idle(self._wait_batch(woken))
                if batch is None:
                    return
                if batch:
                    await self._wait_process(batch, end)
                elif end > self.at.position:  # only others' or filtered records
                    await self._wait_checkpoint(replace(self.at, position=end))
                elif not await self._wait_close_window():
                    await self._wait_idle(self._wait_woken(woken))
        finally:
            self.p._stream.unsubscribe(arn, woken)

    async def _wait_idle(self, work: Any) -> Any:
        """Run `work` as cancellable by stop(): None when stopped meanwhile."""
        task = asyncio.ensure_future(work)
        self.p._idle[self.index] = task
        try:
            return await task
        except asyncio.CancelledError:
            if self.p._stopping and task.cancelled():
                return None
            raise
        finally:
            self.p._idle.pop(self.index, None)

    async def _wait_woken(self, woken: asyncio.Event) -> tuple[list[StreamRecord], int]:
        """Until a write wakes us, the open window's end comes, or a while passes."""
        deadline = None
        if self.m.tumbling_window and self.at.window_start is not None:
            deadline = self.at.window_start + self.m.tumbling_window
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(SAFETY_WAKE_S):
                await self.p._clock.wait_until(deadline, woken)
        return [], self.at.position

    # ---- reading --------------------------------------------------------------------------

    async def _wait_batch(self, woken: asyncio.Event) -> tuple[list[StreamRecord], int]:
        """Up to BatchSize records of this lane after its checkpoint (within one tumbling
        window), and the position the lane is done with once they are: past what was read
        of other lanes or filtered out. With a batching window, more are awaited until it
        ends or the batch is full."""
        batch: list[StreamRecord] = []
        end = self.at.position
        loop = asyncio.get_running_loop()
        deadline: float | None = None
        while True:
            # What a batch needs (the other lanes' records come in between); no more: the
            # records read are shaped on the database thread.
            limit = min(READ_LIMIT, self.m.batch_size * self.m.parallelization)
            try:
                found = await self.p._stream.wait_read(self.m.source_arn, end, limit)
            except StratusError as exc:  # the stream is gone (its records aged out)
                log.warning("mapping %s cannot read: %s", self.m.uuid, exc.message)
                await asyncio.sleep(ERROR_PAUSE_S)
                return batch, end
            full = False
            for found_record in found:
                if rec.lane_of(found_record, self.m.parallelization) != self.index:
                    end = found_record.seq
                    continue
                if batch and self._window_of(found_record) != self._window_of(batch[0]):
                    full = True  # the next window's records wait for this one's end
                    break
                shown = self._record(found_record)
                if not self.p._filters.keeps(shown, EventSource.DYNAMODB):
                    self.p._counters.filtered += 1
                    end = found_record.seq
                    continue
                batch.append(found_record)
                end = found_record.seq
                if len(batch) >= self.m.batch_size:
                    full = True
                    break
            if full or (len(found) == limit and not batch):
                return batch, end
            if not batch or self.m.window <= 0 or len(found) == limit:
                return batch, end
            deadline = deadline or loop.time() + self.m.window
            left = deadline - loop.time()
            if left <= 0:
                return batch, end
            woken.clear()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(left):
                    await woken.wait()

    def _record(self, found: StreamRecord) -> dict[str, Any]:
        """The record as the function sees it, built once per record read."""
        shown = self._shown.get(found.seq)
        if shown is None:
            shown = self._shown[found.seq] = rec.record(found, self.m.source_arn)
        return shown

    def _window_of(self, found: StreamRecord) -> float | None:
        if not self.m.tumbling_window:
            return None
        return rec.window_start(found.created, self.m.tumbling_window)

    # ---- one batch ------------------------------------------------------------------------

    async def _wait_process(self, batch: list[StreamRecord], end: int) -> None:
        """Run a batch to its end: done, or discarded; the checkpoint then moves to `end`."""
        window = self._window_of(batch[0])
        if window is not None and self.at.window_start != window:
            if self.at.window_start is not None:
                await self._wait_final(self.at.window_start)
            self.at = replace(self.at, window_start=window, state=None)
        pending: list[list[StreamRecord]] = [batch]  # sub-batches, in order (bisection)
        attempts = 0
        last: Invoked | None = None
        while pending:
            if self.p._stopping and attempts:  # a failing batch comes again after a restart
                return
            part = pending[0]
            part, expired = self._fresh(part)
            fit = rec.fitting([self._record(r) for r in part])
            if fit < len(part):  # the event would pass 6 MB: the rest goes next
                pending[0:1] = [part[:fit], part[fit:]]
                part = part[:fit]
            else:
                pending[0] = part
            if expired:
                await self._wait_discard(expired, rec.RECORD_TOO_OLD, attempts, last)
            if not part:  # all expired: the lane moves past them
                pending.pop(0)
                last_seq = end if not pending else expired[-1].seq
                await self._wait_checkpoint(replace(self.at, position=last_seq))
                attempts = 0
                continue
            result = await self._wait_invoke(part, window)
            if result is None:  # stopped while throttled: the checkpoint stays
                return
            attempts += 1
            last = result
            outcome = self._outcome(result, part, window is not None)
            self.p.last_result = PROCESSED if outcome.ok else FUNCTION_FAILED
            if outcome.ok:
                pending.pop(0)
                self.p._counters.done += len(part)
                last_seq = end if not pending else part[-1].seq
                await self._wait_checkpoint(
                    replace(self.at, position=last_seq, state=outcome.state)
                )
                attempts = 0
                continue
            if outcome.failed_from is not None:  # done up to the failed record
                done = [r for r in part if r.seq < outcome.failed_from]
                rest = [r for r in part if r.seq >= outcome.failed_from]
                self.p._counters.done += len(done)
                if done:
                    await self._wait_checkpoint(replace(self.at, position=done[-1].seq))
                part = rest
                pending[0] = rest
            if 0 <= self.m.max_retries < attempts:
                await self._wait_discard(part, rec.RETRIES_EXHAUSTED, attempts, last)
                pending.pop(0)
                last_seq = end if not pending else part[-1].seq
                await self._wait_checkpoint(replace(self.at, position=last_seq))
                attempts = 0
                continue
            if self.m.bisect and outcome.failed_from is None and len(part) > 1:
                half = len(part) // 2
                pending[0:1] = [part[:half], part[half:]]
            await asyncio.sleep(_backoff(attempts))

    def _fresh(self, part: list[StreamRecord]) -> tuple[list[StreamRecord], list[StreamRecord]]:
        """The records still young enough, and the expired ones (a prefix: records come in
        time order)."""
        if self.m.max_record_age < 0:
            return part, []
        oldest = self.p._clock.now() - self.m.max_record_age
        expired = [r for r in part if r.created < oldest]
        return part[len(expired) :], expired

    def _outcome(self, result: Invoked, part: Sequence[StreamRecord], windowed: bool) -> rec.Answer:
        if result.function_error:
            return rec.Answer(False)
        return rec.answer(result.payload, [r.seq for r in part], self.m.reports_failures, windowed)

    async def _wait_invoke(
        self, part: Sequence[StreamRecord], window: float | None, final: bool = False
    ) -> Invoked | None:
        """One invocation (throttles retried with backoff, counting no attempt); None when
        the poller stopped meanwhile. An error of ours (the function is gone) counts as a
        failed invocation."""
        built = [self._record(r) for r in part]
        shown = None
        if window is not None:
            shown = rec.Window(
                window, self.m.tumbling_window, self.at.state, self.p._shard_id,
                self.m.source_arn, final,
            )  # fmt: skip
        payload = rec.event(built, shown)
        delay = THROTTLE_BACKOFF_S[0]
        while True:
            try:
                result = await self.p._seams.invoke.wait_invoke(self.m.function_arn, payload)
            except Throttled:
                self.p._counters.throttles += 1
                if self.p._stopping:
                    return None
                await asyncio.sleep(delay)
                delay = min(delay * 2, THROTTLE_BACKOFF_S[1])
                continue
            except StratusError as exc:
                log.warning("mapping %s cannot invoke: %s", self.m.uuid, exc.message)
                await asyncio.sleep(ERROR_PAUSE_S)
                return Invoked(orjson.dumps({"errorMessage": exc.message}), "Unhandled")
            self.p._counters.invokes += 1
            return result

    # ---- windows ----------------------------------------------------------------------------

    async def _wait_close_window(self) -> bool:
        """The final invoke of the open window if its end has passed; whether one ran."""
        start = self.at.window_start
        if not self.m.tumbling_window or start is None:
            return False
        if self.p._clock.now() < start + self.m.tumbling_window:
            return False
        await self._wait_final(start)
        return True

    async def _wait_final(self, start: float) -> None:
        """isFinalInvokeForWindow, retried until it succeeds (AWS holds the shard for it);
        then the window is closed and its state dropped."""
        attempts = 0
        while True:
            result = await self._wait_invoke([], start, final=True)
            if result is None:
                return
            attempts += 1
            if not result.function_error and rec.answer(result.payload, [], False, True).ok:
                break
            if self.p._stopping:
                return
            await asyncio.sleep(_backoff(attempts))
        await self._wait_checkpoint(replace(self.at, window_start=None, state=None))

    # ---- ends -------------------------------------------------------------------------------

    async def _wait_checkpoint(self, at: Lane) -> None:
        self.at = at
        self._shown = {seq: r for seq, r in self._shown.items() if seq > at.position}
        await self.p._save(self.index, at)

    async def _wait_discard(
        self,
        records: Sequence[StreamRecord],
        condition: str,
        invokes: int,
        last: Invoked | None,
    ) -> None:
        """Records given up on: described to the on-failure destination, if any."""
        if not records:
            return
        destination = self.m.on_failure
        log.warning(
            "mapping %s discards %d records (%s)%s", self.m.uuid, len(records), condition,
            f", described to {destination}" if destination else "",
        )  # fmt: skip
        if not destination or self.p._seams.failures is None:
            return
        body = rec.failure_record(
            records,
            condition=condition,
            function_arn=self.m.function_arn,
            invokes=invokes,
            function_error=last.function_error if last else None,
            shard_id=self.p._shard_id,
            stream_arn=self.m.source_arn,
            now=self.p._clock.now(),
            request_id=str(uuid.uuid4()),
        )
        try:
            await self.p._seams.failures.wait_send(destination, orjson.dumps(body).decode())
        except StratusError as exc:  # the destination is gone: the records are lost to it
            log.warning("mapping %s cannot send to %s: %s", self.m.uuid, destination, exc.message)


def _backoff(attempts: int) -> float:
    low, high = RETRY_BACKOFF_S
    return float(min(high, low * 2 ** max(0, attempts - 1)))
