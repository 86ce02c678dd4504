"""The seams between sibling services, closed: adapters from one service's one-method
Protocol to another service's methods, built by the composition root (stratus.server).

Services in one layer may not import each other (the import-linter contract), so a service
that hands work to another names what it needs as a Protocol (topics' QueueSink and
FunctionSink, functions' Destination) and this module, one layer up, implements it with the
other service's own methods: in process, the same calls a boto3 request would make.

    topics -> queues      QueueDelivery       an SNS delivery to an SQS subscription or DLQ
    topics -> functions   FunctionDelivery    an SNS delivery to a Lambda subscription
    functions -> topics   TopicDestination    async invoke destinations / DLQs: sns
    functions -> queues   QueueDestination    async invoke destinations / DLQs: sqs
    logs -> functions     LogSubscriptions    subscription filters to a Lambda function
"""

from __future__ import annotations

import base64
import gzip
import logging
import sqlite3
from collections.abc import Callable

import orjson

from stratus.errors import Invalid, NotFound, StratusError
from stratus.functions.async_queue import AsyncInvocations
from stratus.functions.destinations import Target
from stratus.functions.names import parse_reference
from stratus.observe import filter_patterns
from stratus.observe.logs import LogEvent, LogStore
from stratus.queues import model as queue_model
from stratus.queues.service import QueueService
from stratus.topics import model as topic_model
from stratus.topics.delivery import QueueMessage
from stratus.topics.service import TopicService


class QueueDelivery:
    """topics' QueueSink: SendMessage to a queue named by ARN."""

    def __init__(self, queues: QueueService) -> None:
        self._queues = queues

    async def wait_send(self, queue_arn: str, message: QueueMessage) -> None:
        queue = self._queues.queue_by_arn(queue_arn)
        await self._queues.send(self._queues.url(queue), _new_message(message))

    def stage(
        self, conn: sqlite3.Connection, queue_arn: str, message: QueueMessage
    ) -> Callable[[], None]:
        queue_id = self._queues.stage_send(conn, queue_arn, _new_message(message))
        return lambda: self._queues.wake(queue_id)


def _new_message(message: QueueMessage) -> queue_model.NewMessage:
    return queue_model.NewMessage(
        message.body,
        {
            name: queue_model.MessageAttribute(a.DataType, a.StringValue, a.BinaryValue)
            for name, a in message.attributes.items()
        },
        group_id=message.group_id,
        dedup_id=message.dedup_id,
    )


class FunctionDelivery:
    """topics' FunctionSink: an asynchronous invocation, as SNS makes."""

    def __init__(self, invocations: AsyncInvocations) -> None:
        self._invocations = invocations

    async def wait_invoke(self, function_arn: str, event: bytes, request_id: str) -> None:
        await self._invocations.accept(parse_reference(function_arn), event, request_id)


class TopicDestination:
    """functions' Destination for topics: the record is published as the message."""

    describes = "SNS topics (arn:aws:sns:<region>:<account>:<topic>)"

    def __init__(self, topics: TopicService) -> None:
        self._topics = topics

    async def wait_check(self, target: Target, source: str) -> None:
        try:
            self._topics.topic(target.arn)
        except NotFound as exc:
            raise Invalid(f"The destination ARN {target.arn} is invalid: {exc.message}") from exc

    async def wait_deliver(self, target: Target, payload: bytes, delivery_id: str) -> None:
        message = payload.decode("utf-8", "replace")
        topic = self._topics.topic(target.arn)
        await self._topics.publish(
            target.arn,
            topic_model.NewMessage(
                message,
                MessageGroupId="lambda" if topic.fifo else None,
                MessageDeduplicationId=delivery_id if topic.fifo else None,
            ),
        )


class QueueDestination:
    """functions' Destination for queues: the record is sent as the message body."""

    describes = "SQS queues (arn:aws:sqs:<region>:<account>:<queue>)"

    def __init__(self, queues: QueueService) -> None:
        self._queues = queues

    async def wait_check(self, target: Target, source: str) -> None:
        try:
            self._queues.queue_by_arn(target.arn)
        except NotFound as exc:
            raise Invalid(f"The destination ARN {target.arn} is invalid: {exc.message}") from exc

    async def wait_deliver(self, target: Target, payload: bytes, delivery_id: str) -> None:
        queue = self._queues.queue_by_arn(target.arn)
        message = queue_model.NewMessage(
            payload.decode("utf-8", "replace"),
            group_id="lambda" if queue.fifo else None,
            dedup_id=delivery_id if queue.fifo else None,
        )
        await self._queues.send(self._queues.url(queue), message)


# Raw message bytes per `awslogs` event: its gzip stays far below the 256 KB async payload.
_SUBSCRIPTION_BATCH_BYTES = 128 * 1024
log = logging.getLogger("stratus.logs")


class LogSubscriptions:
    """A LogStore stager: each batch of log events, matched against the subscription filters
    of its groups, becomes AWS's `{"awslogs": {"data": base64(gzip(json))}}` event, one per
    filter and stream, queued as an asynchronous invocation in the transaction that writes
    the events (durable with them; retried as any Event invoke; dropped if the function is
    gone when it runs)."""

    def __init__(self, logs: LogStore, invocations: AsyncInvocations, account_id: str) -> None:
        self._logs = logs
        self._invocations = invocations
        self._account_id = account_id

    def stage(self, conn: sqlite3.Connection, events: list[LogEvent]) -> None:
        filters = self._logs.filters.subscriptions(conn, {e.log_group for e in events})
        for spec in filters:
            pattern = filter_patterns.compile(spec["filterPattern"])
            by_stream: dict[str, list[LogEvent]] = {}
            for event in events:
                if event.log_group == spec["logGroupName"] and pattern.matches(event.message):
                    by_stream.setdefault(event.log_stream, []).append(event)
            for stream, matched in by_stream.items():
                for batch in _batches(matched):
                    self._hand_over(conn, spec, stream, batch)

    def _hand_over(
        self, conn: sqlite3.Connection, spec: dict[str, str], stream: str, batch: list[LogEvent]
    ) -> None:
        message = {
            "messageType": "DATA_MESSAGE",
            "owner": self._account_id,
            "logGroup": spec["logGroupName"],
            "logStream": stream,
            "subscriptionFilters": [spec["filterName"]],
            "logEvents": [
                {"id": str(e.id), "timestamp": e.timestamp, "message": e.message} for e in batch
            ],
        }
        data = base64.b64encode(gzip.compress(orjson.dumps(message))).decode()
        event = orjson.dumps({"awslogs": {"data": data}})
        # One id per filter and first event: a batch written again is not queued twice.
        request_id = f"logs-{spec['logGroupName']}-{spec['filterName']}-{batch[0].id}"
        try:
            self._invocations.stage(
                conn, parse_reference(spec["destinationArn"]), event, request_id
            )
        except StratusError as exc:  # e.g. a payload past the async limit
            log.warning(
                "subscription filter %s of %s not delivered: %s",
                spec["filterName"],
                spec["logGroupName"],
                exc.message,
            )


def _batches(events: list[LogEvent]) -> list[list[LogEvent]]:
    batches: list[list[LogEvent]] = [[]]
    size = 0
    for event in events:
        if batches[-1] and size + len(event.message) > _SUBSCRIPTION_BATCH_BYTES:
            batches.append([])
            size = 0
        batches[-1].append(event)
        size += len(event.message)
    return batches
