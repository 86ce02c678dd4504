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
    functions -> objects  BucketObjects       function and layer code from a bucket
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

from stratus.errors import Invalid, NotFound, TooLarge
from stratus.functions.async_queue import AsyncInvocations
from stratus.functions.destinations import Target
from stratus.functions.names import parse_reference
from stratus.objects.errors import NoSuchBucket
from stratus.objects.service import ObjectService
from stratus.queues import model as queue_model
from stratus.queues.service import QueueService
from stratus.store.artifacts import NoSuchArtifact
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


class BucketObjects:
    """Packages (S3Bucket/S3Key) from the object service, for the artifact store."""

    def __init__(self, objects: ObjectService) -> None:
        self._objects = objects

    def read(self, bucket: str, key: str, version: str | None, limit: int) -> bytes:
        try:
            return self._objects.read_whole_blocking(bucket, key, version, limit)
        except NotFound as exc:
            code = "NoSuchBucket" if isinstance(exc, NoSuchBucket) else "NoSuchKey"
            raise NoSuchArtifact(f"S3 Error Code: {code}. S3 Error Message: {exc.message}") from exc
        except TooLarge as exc:
            raise NoSuchArtifact(f"S3 Error Message: {exc.message}") from exc
