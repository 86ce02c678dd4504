"""The event source mapping service: Lambda's rules for mappings from SQS queues and
DynamoDB streams (stream_rules.py), for every caller (the Lambda API, templates) alike, and
the pollers of the enabled ones (poller.py for queues, stream_poller.py for streams).

Mappings are few and read by every poller, so they are kept in memory, loaded at start and
written through to the store (schema.py) before a call answers: a mapping survives a
restart, and its pollers start again with the server (`wait_run_forever`).

AWS's rules for SQS sources (CreateEventSourceMapping, UpdateEventSourceMapping):
- BatchSize 1-10,000 (default 10), at most 10 for a FIFO queue; above 10 it needs
  MaximumBatchingWindowInSeconds of at least 1. The window is 0-300 s (default 0) and FIFO
  queues take none.
- FilterCriteria: at most 5 filters of at most 4,096 characters (stratus.patterns).
- ScalingConfig.MaximumConcurrency 2-1,000 (the API's model checks the range).
- The function's timeout may not exceed the queue's visibility timeout.
- One mapping per queue and function.
- Members of other sources (StartingPosition, Topics, DestinationConfig...) are refused.
The ranges the API's model declares are checked by the protocol layer before we see them.

Past 400 lines on purpose: this class is the one door to mappings of both kinds; each
method is a short ladder over the modules that own the rules (queue_rules.py,
stream_rules.py), the SQL (store.py) and the polling (poller.py, stream_poller.py).
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TypeVar

from stratus.config import Settings as ServerSettings
from stratus.errors import Conflict, Invalid, NotFound
from stratus.patterns.filter_criteria import parse_filter_criteria
from stratus.store.clock import Clock, SystemClock
from stratus.store.db import Database, transaction

from . import listing, queue_rules, store, stream_rules
from .model import EventSourceMapping, Settings
from .poller import Poller
from .poller import Statistics as PollerStatistics
from .seams import FunctionFacts, QueueFacts, Seams, StreamFacts
from .store import Lane
from .stream_poller import StreamPoller

log = logging.getLogger("stratus.mappings")
T = TypeVar("T")

DEFAULT_BATCH_SIZE = 10
MAX_FIFO_BATCH = 10
MAX_UNWINDOWED_BATCH = 10
LIST_DEFAULT = 100


@dataclass(frozen=True, slots=True)
class Statistics:
    mappings: int
    pollers: int
    workers: int


class MappingNotFound(NotFound):
    pass


class MappingService:
    def __init__(
        self,
        settings: ServerSettings,
        db: Database,
        seams: Seams,
        clock: Callable[[], float] = time.time,
        stream_clock: Clock | None = None,
    ) -> None:
        """`stream_clock`: the clock stream records are stamped with (the work queue's),
        which record ages and tumbling windows are counted on."""
        self._settings = settings
        self._stream_clock: Clock = stream_clock or SystemClock()
        self._db = db
        self._seams = seams
        self._clock = clock
        self._arn_prefix = (
            f"arn:aws:lambda:{settings.region}:{settings.account_id}:event-source-mapping:"
        )
        self._mappings: dict[str, EventSourceMapping] = {
            m.uuid: m for m in db.run_blocking(lambda c: store.all_mappings(c, self._arn_prefix))
        }
        self._pollers: dict[str, Poller | StreamPoller] = {}
        self._tasks: asyncio.TaskGroup | None = None

    # ---- the API ------------------------------------------------------------------------

    async def create(
        self,
        source_arn: str,
        function_name: str,
        settings: Settings,
        tags: dict[str, str] | None = None,
    ) -> EventSourceMapping:
        if _is_stream(source_arn):
            return await self._create_stream(source_arn, function_name, settings, tags)
        queue = self._queue(source_arn)
        function = await self._seams.function.wait_describe(function_name)
        mapping = self._settled(
            self._new(queue.arn, function.arn, DEFAULT_BATCH_SIZE, tags), settings, queue, function
        )
        return await self._add(mapping, function_name, lambda c: store.insert(c, mapping))

    def _new(
        self,
        source_arn: str,
        function_arn: str,
        batch_size: int,
        tags: dict[str, str] | None,
        starting_position: str | None = None,
    ) -> EventSourceMapping:
        """A mapping with AWS's defaults, before the request's settings are applied."""
        mapping_id = str(uuid.uuid4())
        return EventSourceMapping(
            uuid=mapping_id,
            arn=self._arn_prefix + mapping_id,
            source_arn=source_arn,
            function_arn=function_arn,
            batch_size=batch_size,
            window=0,
            filters=(),
            max_concurrency=None,
            response_types=(),
            enabled=True,
            modified=self._clock(),
            tags=dict(tags or {}),
            starting_position=starting_position,
        )

    async def _add(
        self,
        mapping: EventSourceMapping,
        function_name: str,
        insert: Callable[[sqlite3.Connection], None],
    ) -> EventSourceMapping:
        """Stores a settled mapping and starts its poller."""
        self._check_unique(mapping, function_name)
        self._mappings[mapping.uuid] = mapping  # before the write: a racing Create sees it
        try:
            await self._db.run(lambda c: _in_transaction(c, lambda: insert(c)))
        except BaseException:
            del self._mappings[mapping.uuid]
            raise
        self._start(mapping)
        return mapping

    async def _create_stream(
        self,
        source_arn: str,
        function_name: str,
        settings: Settings,
        tags: dict[str, str] | None,
    ) -> EventSourceMapping:
        position = stream_rules.check_create(settings)
        stream = await self._stream(source_arn)
        function = await self._seams.function.wait_describe(function_name)
        mapping = stream_rules.settled(
            self._new(
                stream.arn,
                function.arn,
                stream_rules.DEFAULT_BATCH_SIZE,
                tags,
                starting_position=position,
            ),
            settings,
        )
        await self._check_stream_extras(mapping)
        # LATEST: from the last record the stream holds now; TRIM_HORIZON: its first.
        start = Lane(stream.latest if position == "LATEST" else 0)

        def insert(conn: sqlite3.Connection) -> None:
            store.insert(conn, mapping)
            for lane in range(mapping.parallelization):
                store.save_lane(conn, mapping.uuid, lane, start)

        return await self._add(mapping, function_name, insert)

    async def _stream(self, source_arn: str) -> StreamFacts:
        if self._seams.stream is None:
            raise Invalid("This server serves no DynamoDB streams.")
        try:
            return await self._seams.stream.wait_describe_stream(source_arn)
        except NotFound as exc:
            raise Invalid(
                f"Stream not found: {source_arn}. Enable a stream on the table "
                "(StreamSpecification) and pass its LatestStreamArn."
            ) from exc

    async def _check_stream_extras(self, mapping: EventSourceMapping) -> None:
        """What stream_rules cannot see: the filters parse, the destination exists."""
        parse_filter_criteria(mapping.filters)
        if mapping.on_failure:
            if self._seams.failures is None:
                raise Invalid("This server serves no on-failure destinations.")
            await self._seams.failures.wait_check(mapping.on_failure)

    def _check_unique(self, mapping: EventSourceMapping, function_name: str) -> None:
        """One mapping per source and function, as on AWS."""
        for other in self._mappings.values():
            same = (other.source_arn, other.function_arn) == (
                mapping.source_arn,
                mapping.function_arn,
            )
            if same and other.uuid != mapping.uuid:
                kind = "DynamoDB stream" if mapping.is_stream else "SQS"
                raise Conflict(
                    f'An event source mapping with {kind} arn (" {mapping.source_arn} ") and '
                    f'function (" {function_name} ") already exists. Please update or delete '
                    f"the existing mapping with UUID {other.uuid}",
                    Type="User",
                )

    def get(self, mapping_uuid: str) -> EventSourceMapping:
        found = self._mappings.get(mapping_uuid)
        if found is None:
            raise MappingNotFound("The resource you requested does not exist.", Type="User")
        return found

    async def update(
        self, mapping_uuid: str, function_name: str | None, settings: Settings
    ) -> tuple[EventSourceMapping, str]:
        """The mapping as changed, and the state Update answers (Updating, Enabling or
        Disabling)."""
        current = self.get(mapping_uuid)
        function = await self._seams.function.wait_describe(function_name or current.function_arn)
        moved = replace(current, function_arn=function.arn, modified=self._clock())
        if current.is_stream:
            changed = stream_rules.settled(moved, replace(settings, starting_position=None))
            await self._check_stream_extras(changed)
        else:
            changed = self._settled(moved, settings, self._queue(current.source_arn), function)
        self._check_unique(changed, function_name or current.function_arn)

        def write(conn: sqlite3.Connection) -> bool:
            written = store.update(conn, changed)
            if written and changed.is_stream:
                store.reset_lanes(conn, changed.uuid, changed.parallelization)
            return written

        written = await self._db.run(lambda c: _in_transaction(c, lambda: write(c)))
        if not written or mapping_uuid not in self._mappings:  # deleted meanwhile
            raise MappingNotFound("The resource you requested does not exist.", Type="User")
        self._mappings[changed.uuid] = changed
        self._start(changed, previous=self._stop(changed.uuid))
        if changed.enabled != current.enabled:
            return changed, "Enabling" if changed.enabled else "Disabling"
        return changed, "Updating"

    async def delete(self, mapping_uuid: str) -> EventSourceMapping:
        mapping = self.get(mapping_uuid)
        await self._db.run(lambda c: _in_transaction(c, lambda: store.delete(c, mapping.uuid)))
        del self._mappings[mapping.uuid]
        self._stop(mapping.uuid)
        return mapping

    def list(
        self,
        source_arn: str | None,
        function_name: str | None,
        marker: str | None,
        max_items: int | None,
    ) -> tuple[list[EventSourceMapping], str | None]:
        found = [
            m
            for m in self._mappings.values()
            if (not source_arn or m.source_arn == source_arn)
            and (not function_name or listing.names_function(function_name, m.function_arn))
        ]
        start = listing.unmarker(marker)
        limit = max_items or LIST_DEFAULT
        page = found[start : start + limit]
        more = start + limit < len(found)
        return page, listing.marker(start + limit) if more else None

    def last_result(self, mapping_uuid: str) -> str | None:
        """A stream mapping's LastProcessingResult, from its running poller."""
        poller = self._pollers.get(mapping_uuid)
        return poller.last_result if isinstance(poller, StreamPoller) else None

    def statistics(self) -> Statistics:
        workers = sum(p.statistics().workers for p in self._pollers.values())
        return Statistics(len(self._mappings), len(self._pollers), workers)

    def poller_statistics(self) -> dict[str, PollerStatistics]:
        """Each running poller's counters, by mapping UUID."""
        return {uuid: poller.statistics() for uuid, poller in self._pollers.items()}

    # ---- rules --------------------------------------------------------------------------

    def _queue(self, source_arn: str) -> QueueFacts:
        if source_arn.split(":")[2:3] != ["sqs"]:
            raise Invalid(
                "Stratus serves event source mappings from SQS queues and DynamoDB streams "
                f"only; {source_arn} is neither a queue's ARN nor a stream's "
                "(arn:aws:dynamodb:<region>:<account>:table/<table>/stream/<label>)."
            )
        try:
            return self._seams.queue.describe_queue(source_arn)
        except NotFound as exc:
            raise Invalid(
                "Error occurred while ReceiveMessage. SQS Error Code: "
                "AWS.SimpleQueueService.NonExistentQueue. SQS Error Message: The specified "
                "queue does not exist or you do not have access to it."
            ) from exc

    def _settled(
        self,
        mapping: EventSourceMapping,
        given: Settings,
        queue: QueueFacts,
        function: FunctionFacts,
    ) -> EventSourceMapping:
        """`mapping` with the call's settings applied, or Invalid as Lambda refuses them."""
        if given.unsupported:
            raise Invalid(
                f"Unsupported {', '.join(given.unsupported)} parameter for given event source."
            )
        queue_rules.check_ranges(given)
        batch = given.batch_size if given.batch_size is not None else mapping.batch_size
        window = given.window if given.window is not None else mapping.window
        if queue.fifo and given.window:
            raise Invalid("Batching window is not supported for FIFO queues.")
        if queue.fifo and batch > MAX_FIFO_BATCH:
            raise Invalid(
                f"Invalid batch size {batch} for FIFO queues: BatchSize must be between 1 "
                f"and {MAX_FIFO_BATCH} inclusive."
            )
        if batch > MAX_UNWINDOWED_BATCH and window < 1:
            raise Invalid(
                "Maximum batch window in seconds must be greater than 0 if maximum batch "
                f"size is greater than {MAX_UNWINDOWED_BATCH}"
            )
        filters = mapping.filters if given.filters is None else given.filters
        parse_filter_criteria(filters)  # raises as Lambda refuses a filter
        if function.timeout > queue.visibility_timeout:
            raise Invalid(
                f"Queue visibility timeout: {queue.visibility_timeout} seconds is less than "
                f"Function timeout: {function.timeout} seconds"
            )
        concurrency = mapping.max_concurrency
        if given.scaling_given:
            concurrency = given.max_concurrency
        return replace(
            mapping,
            batch_size=batch,
            window=window,
            filters=filters,
            max_concurrency=concurrency,
            response_types=mapping.response_types
            if given.response_types is None
            else given.response_types,
            enabled=mapping.enabled if given.enabled is None else given.enabled,
        )

    # ---- pollers ------------------------------------------------------------------------

    async def wait_run_forever(self) -> None:
        """Owns the pollers: those of every enabled mapping start here (at server start)."""
        try:
            async with asyncio.TaskGroup() as tasks:
                self._tasks = tasks
                for mapping in self._mappings.values():
                    self._start(mapping)
                await asyncio.Event().wait()  # until the server cancels us
        finally:
            self._tasks = None
            self._pollers.clear()

    def _start(
        self, mapping: EventSourceMapping, previous: Poller | StreamPoller | None = None
    ) -> None:
        if self._tasks is None or not mapping.enabled:
            return
        if mapping.is_stream:
            self._start_stream(mapping, previous)
            return
        try:
            queue = self._seams.queue.describe_queue(mapping.source_arn)
        except NotFound:
            fifo = False  # gone: its poller waits, as AWS's keeps failing, until deleted
        else:
            fifo = queue.fifo
        poller = Poller(mapping, self._seams, self._settings.region, self._cap(mapping), fifo)
        self._pollers[mapping.uuid] = poller
        self._tasks.create_task(self._wait_poll(mapping.uuid, poller))

    def _start_stream(
        self, mapping: EventSourceMapping, previous: Poller | StreamPoller | None
    ) -> None:
        assert self._tasks is not None
        key = mapping.uuid

        async def load() -> dict[int, Lane]:
            return await self._db.run(lambda c: store.lanes(c, key))

        async def save(lane: int, at: Lane) -> None:
            await self._db.run(lambda c: store.save_lane(c, key, lane, at))

        poller = StreamPoller(
            mapping,
            self._seams,
            self._stream_clock,
            load,
            save,
            previous if isinstance(previous, StreamPoller) else None,
        )
        self._pollers[mapping.uuid] = poller
        self._tasks.create_task(self._wait_poll(mapping.uuid, poller))

    async def _wait_poll(self, mapping_uuid: str, poller: Poller | StreamPoller) -> None:
        try:
            await poller.wait_run()
        finally:
            if self._pollers.get(mapping_uuid) is poller:
                del self._pollers[mapping_uuid]

    def _stop(self, mapping_uuid: str) -> Poller | StreamPoller | None:
        """Stop the mapping's poller; the batches it runs finish in the background."""
        poller = self._pollers.pop(mapping_uuid, None)
        if poller is not None:
            poller.stop()
        return poller

    def _cap(self, mapping: EventSourceMapping) -> int:
        """How many batches may run at once: MaximumConcurrency, else the account's limit
        (the function's reserved concurrency, when set, shows itself as throttles)."""
        if mapping.max_concurrency is not None:
            return mapping.max_concurrency
        return self._settings.account_concurrency


def _is_stream(source_arn: str) -> bool:
    parts = source_arn.split(":")
    return parts[2:3] == ["dynamodb"] and "/stream/" in source_arn


def _in_transaction(conn: sqlite3.Connection, work: Callable[[], T]) -> T:
    with transaction(conn):
        return work()
