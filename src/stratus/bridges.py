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
    events -> queues      DeadLetterQueues    a bus target's dead-letter message (attributes)
    events -> logs, functions' registry  BusTargets  a rule's targets: log groups
                                              (LogGroupTarget), and every other kind through
                                              the destination registry
    schedules -> all      ScheduleTargets     EventBridge Scheduler's targets and DLQs:
                                              lambda, sqs, sns and event buses; universal
                                              targets through an SdkCaller (aws.sdk_tasks)
    functions -> events   EventBusDestination async invoke destinations: event buses
    mappings -> queues    MappingQueue        an event source mapping's receives and deletes
    mappings -> functions MappingFunction     its function's timeout and its invocations
    mappings -> tables    MappingStream       a stream mapping's reads of a table's stream
    mappings -> queues, topics  MappingFailures  a stream mapping's on-failure destination
    workflows -> functions, queues  WorkflowTasks  Task states: lambda:invoke, function ARNs,
                                                   sqs:sendMessage
    bus targets, destinations -> workflows  StateMachineDestination  StartExecution
    functions -> objects  BucketObjects       function and layer code from a bucket
    workflows -> objects  MapRunObjects       a distributed Map's ItemReader and ResultWriter
    logs -> functions     LogSubscriptions    subscription filters to a Lambda function
    secrets -> functions  RotationFunction    a secret's rotation function, step by step
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import json
import logging
import re
import sqlite3
import uuid
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from typing import Any, Protocol

import orjson

from stratus.alarms.service import Change
from stratus.errors import (
    AlreadyExists,
    Forbidden,
    Invalid,
    NotFound,
    StratusError,
    Throttled,
    TooLarge,
)
from stratus.events.service import EventBusService
from stratus.functions.async_queue import AsyncInvocations
from stratus.functions.destinations import DeadLetter, Destinations, Target
from stratus.functions.names import parse_reference
from stratus.functions.service import FunctionService
from stratus.mappings import seams as mapping_seams
from stratus.objects.errors import NoSuchBucket
from stratus.objects.model import WriteOptions
from stratus.objects.service import ObjectService
from stratus.observe import filter_patterns
from stratus.observe.log_filters import subscription_event
from stratus.observe.logs import LogEvent, LogStore, group_name, now_ms
from stratus.queues import model as queue_model
from stratus.queues.service import QueueService
from stratus.schedules import universal
from stratus.schedules.targets import Invocation
from stratus.store.artifacts import NoSuchArtifact
from stratus.tables import streams as table_streams
from stratus.tables.service import TableService
from stratus.topics import model as topic_model
from stratus.topics.delivery import QueueMessage
from stratus.topics.service import TopicService
from stratus.workflows.errors import ExecutionAlreadyExists
from stratus.workflows.failure import RUNTIME, StatesFailure
from stratus.workflows.service import WorkflowService
from stratus.workflows.signals import TaskOrigin


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
    """topics' FunctionSink: an asynchronous invocation, as SNS makes, once the function's
    resource policy lets sns.amazonaws.com invoke it for the topic (checked only with
    signatures on: FunctionService.lets_trigger); refused, the delivery fails for good."""

    def __init__(self, invocations: AsyncInvocations, functions: FunctionService) -> None:
        self._invocations = invocations
        self._functions = functions

    async def wait_invoke(self, function_arn: str, event: bytes, request_id: str) -> None:
        ref = parse_reference(function_arn)
        topic = str(orjson.loads(event)["Records"][0]["Sns"]["TopicArn"])
        if not self._functions.lets_trigger(ref, "sns.amazonaws.com", topic):
            raise Forbidden(
                f"The resource policy of {function_arn} does not let sns.amazonaws.com invoke "
                f"it for {topic} (lambda add-permission)"
            )
        await self._invocations.accept(ref, event, request_id)


def rule_may_invoke(functions: FunctionService) -> Callable[[str, str], bool]:
    """The event bus's `permitted`: a rule may deliver to a function only if its resource
    policy lets events.amazonaws.com invoke it for the rule (FunctionService.lets_trigger);
    other targets (queues, topics, buses, workflows) are not checked."""

    def permitted(target: str, rule: str) -> bool:
        if ":lambda:" not in target or ":function:" not in target:
            return True
        return functions.lets_trigger(parse_reference(target), "events.amazonaws.com", rule)

    return permitted


class TopicDestination:
    """functions' Destination for topics: the record is published as the message; a dead
    letter, the event with its attributes as the message's."""

    describes = "SNS topics (arn:aws:sns:<region>:<account>:<topic>)"

    def __init__(self, topics: TopicService) -> None:
        self._topics = topics

    async def wait_check(self, target: Target, source: str) -> None:
        try:
            self._topics.topic(target.arn)
        except NotFound as exc:
            raise Invalid(f"The destination ARN {target.arn} is invalid: {exc.message}") from exc

    async def wait_deliver(
        self,
        target: Target,
        payload: bytes,
        delivery_id: str,
        attributes: Mapping[str, topic_model.MessageAttribute] | None = None,
    ) -> None:
        topic = self._topics.topic(target.arn)
        message = topic_model.NewMessage(
            payload.decode("utf-8", "replace"),
            MessageAttributes=attributes or {},
            MessageGroupId="lambda" if topic.fifo else None,
            MessageDeduplicationId=delivery_id if topic.fifo else None,
        )
        await self._topics.publish(target.arn, message)

    async def wait_deliver_letter(
        self, target: Target, letter: DeadLetter, delivery_id: str
    ) -> None:
        attributes = letter.attributes(topic_model.MessageAttribute)
        await self.wait_deliver(target, letter.event, delivery_id, attributes)


class QueueDestination:
    """functions' Destination for queues: the record is sent as the message body; a dead
    letter, the event with its attributes as the message's."""

    describes = "SQS queues (arn:aws:sqs:<region>:<account>:<queue>)"

    def __init__(self, queues: QueueService) -> None:
        self._queues = queues

    async def wait_check(self, target: Target, source: str) -> None:
        try:
            self._queues.queue_by_arn(target.arn)
        except NotFound as exc:
            raise Invalid(f"The destination ARN {target.arn} is invalid: {exc.message}") from exc

    async def wait_deliver(
        self,
        target: Target,
        payload: bytes,
        delivery_id: str,
        attributes: Mapping[str, queue_model.MessageAttribute] | None = None,
    ) -> None:
        queue = self._queues.queue_by_arn(target.arn)
        message = queue_model.NewMessage(
            payload.decode("utf-8", "replace"),
            attributes or {},
            group_id="lambda" if queue.fifo else None,
            dedup_id=delivery_id if queue.fifo else None,
        )
        await self._queues.send(self._queues.url(queue), message)

    async def wait_deliver_letter(
        self, target: Target, letter: DeadLetter, delivery_id: str
    ) -> None:
        attributes = letter.attributes(queue_model.MessageAttribute)
        await self.wait_deliver(target, letter.event, delivery_id, attributes)


class SdkCaller(Protocol):
    async def wait_call(self, api_name: str, operation: str, params: dict[str, Any]) -> None:
        """Call one API action in process, as a boto3 request would; raise what it raises."""


class ScheduleTargets:
    """schedules' Targets: a schedule's invocation, made with each service's own methods.

    Lambda: an asynchronous invoke (the execution id is the request id, so a hand-over
    repeated after a crash runs once). SQS: SendMessage with SqsParameters.MessageGroupId
    and, for FIFO queues, the execution id as the deduplication id. SNS: Publish. A bus:
    PutEvents with EventBridgeParameters' Source and DetailType, the Input as Detail. A state
    machine: StartExecution with the Input (Step Functions names the execution). Universal
    targets (arn:aws:scheduler:::aws-sdk:...): the API action, called in process by
    `sdk`, which the composition root sets once the services exist."""

    sdk: SdkCaller | None = None

    def __init__(
        self,
        invocations: AsyncInvocations,
        queues: QueueService,
        topics: TopicService,
        bus: EventBusService,
    ) -> None:
        self._invocations = invocations
        self._queues = queues
        self._topics = topics
        self._bus = bus

    async def wait_invoke(self, invocation: Invocation) -> None:
        if universal.is_universal(invocation.arn):
            action = universal.parse(invocation.arn)
            params = universal.parameters(invocation.input)
            await self._wait_sdk_call(action.api, action.operation, params)
            return
        service = invocation.arn.split(":")[2]
        if service == "lambda":
            ref = parse_reference(invocation.arn)
            await self._invocations.accept(ref, invocation.input.encode(), invocation.id)
        elif service == "sqs":
            await self._wait_send(invocation)
        elif service == "sns":
            topic = self._topics.topic(invocation.arn)
            await self._topics.publish(
                invocation.arn,
                topic_model.NewMessage(
                    invocation.input,
                    MessageGroupId=(invocation.message_group_id or "scheduler")
                    if topic.fifo else None,
                    MessageDeduplicationId=invocation.id if topic.fifo else None,
                ),
            )  # fmt: skip
        elif service == "events":
            await self._wait_put_event(invocation)
        elif service == "states":
            start = {"stateMachineArn": invocation.arn, "input": invocation.input}
            await self._wait_sdk_call("stepfunctions", "StartExecution", start)
        else:
            raise Invalid(f"Stratus cannot invoke {invocation.arn}.")

    async def _wait_sdk_call(self, api: str, operation: str, params: dict[str, Any]) -> None:
        if self.sdk is None:
            raise Invalid("Universal and state machine targets need the server's API adapters.")
        await self.sdk.wait_call(api, operation, params)

    async def _wait_send(self, invocation: Invocation) -> None:
        queue = self._queues.queue_by_arn(invocation.arn)
        if queue.fifo and not invocation.message_group_id:
            raise Invalid("A FIFO queue target needs SqsParameters.MessageGroupId.")
        message = queue_model.NewMessage(
            invocation.input,
            {name: queue_model.MessageAttribute("String", value)
             for name, value in invocation.attributes.items()},
            group_id=invocation.message_group_id if queue.fifo else None,
            dedup_id=invocation.id if queue.fifo else None,
        )  # fmt: skip
        await self._queues.send(self._queues.url(queue), message)

    async def _wait_put_event(self, invocation: Invocation) -> None:
        entry = {
            "Source": invocation.source,
            "DetailType": invocation.detail_type,
            "Detail": invocation.input,
            "EventBusName": self._bus.bus_name(invocation.arn),
        }
        (result,) = await self._bus.put_events([entry])
        if result.get("ErrorCode") == "ResourceNotFoundException":
            raise NotFound(result["ErrorMessage"])
        if "ErrorCode" in result:
            raise Invalid(f"{result['ErrorCode']}: {result['ErrorMessage']}")


class DeadLetterQueues:
    """events' DeadLetter: SendMessage with String message attributes (the event bus's
    dead-letter messages carry RULE_ARN, TARGET_ARN, ERROR_CODE...)."""

    def __init__(self, queues: QueueService) -> None:
        self._queues = queues

    async def wait_send(
        self, queue_arn: str, body: str, attributes: dict[str, str], delivery_id: str
    ) -> None:
        queue = self._queues.queue_by_arn(queue_arn)
        message = queue_model.NewMessage(
            body,
            {k: queue_model.MessageAttribute("String", v) for k, v in attributes.items()},
            group_id="events" if queue.fifo else None,
            dedup_id=delivery_id if queue.fifo else None,
        )
        await self._queues.send(self._queues.url(queue), message)


class BusTargets:
    """events' Deliver: a rule's CloudWatch Logs targets through LogGroupTarget, every other
    kind through the functions' destination registry (lambda, sqs, sns, events, states).
    Log groups are no kind of that registry: Lambda takes none as a destination."""

    def __init__(self, destinations: Destinations, logs: LogStore) -> None:
        self._destinations = destinations
        self._log_groups = LogGroupTarget(logs)

    async def wait_deliver(self, arn: str, payload: bytes, delivery_id: str) -> None:
        if arn.split(":", 3)[2:3] == ["logs"]:
            await self._log_groups.wait_deliver(arn, payload, delivery_id)
        else:
            await self._destinations.wait_deliver(arn, payload, delivery_id)


class LogGroupTarget:
    """A rule's log group target (arn:aws:logs:<region>:<account>:log-group:<name>, with or
    without the `:*` that GetAtt Arn adds): each event becomes one log event, as EventBridge
    writes it, through CreateLogStream and PutLogEvents: in a log stream named after the
    event's id, stamped with the event's `time`, the event's JSON as the message. A target
    with an InputTransformer hands over the record AWS asks its template to make,
    {"timestamp": <ISO 8601 or epoch milliseconds>, "message": <text>}: written as given, in
    a stream named after the delivery. The group must exist: NotFound otherwise, which the
    bus sends to the target's dead-letter queue without retrying, as AWS does with a target
    that does not exist. AWS also needs the group's resource policy to let
    events.amazonaws.com write; Stratus keeps no log resource policies, so asks for none."""

    def __init__(self, logs: LogStore) -> None:
        self._logs = logs

    async def wait_deliver(self, arn: str, payload: bytes, delivery_id: str) -> None:
        group = group_name(arn)
        try:
            document = orjson.loads(payload)
        except orjson.JSONDecodeError:
            document = None
        stream, timestamp, message = delivery_id, now_ms(), payload.decode("utf-8", "replace")
        if isinstance(document, dict) and set(document) == {"timestamp", "message"}:
            timestamp = _log_time(document["timestamp"])
            given = document["message"]
            message = given if isinstance(given, str) else orjson.dumps(given).decode()
        elif isinstance(document, dict) and isinstance(document.get("id"), str):
            stream, timestamp = document["id"], _log_time(document.get("time"))
        # A second target on the same group (or a repeated hand-over) finds the stream made.
        with contextlib.suppress(AlreadyExists):
            await self._logs.create_stream(group, stream)
        await self._logs.wait_put(group, stream, [(timestamp, message)])


def _log_time(value: object) -> int:
    """Epoch milliseconds of a log record's timestamp: ISO 8601 text or a number of ms."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return int(value)
    if isinstance(value, str):
        with contextlib.suppress(ValueError):
            when = datetime.datetime.fromisoformat(value)
            if when.tzinfo is None:  # no offset: UTC, as AWS's event times are
                when = when.replace(tzinfo=datetime.UTC)
            return int(when.timestamp() * 1000)
    raise Invalid(f"The log event's timestamp {value!r} is neither ISO 8601 nor epoch ms.")


class MappingQueue:
    """mappings' QueueLookup, QueueReceiver and QueueDeleter: the queue service's own
    ReceiveMessage and DeleteMessageBatch, in process."""

    def __init__(self, queues: QueueService) -> None:
        self._queues = queues

    def describe_queue(self, arn: str) -> mapping_seams.QueueFacts:
        queue = self._queues.queue_by_arn(arn)
        return mapping_seams.QueueFacts(queue.arn, queue.fifo, queue.seconds("VisibilityTimeout"))

    async def wait_receive(
        self, arn: str, max_messages: int, wait_seconds: int
    ) -> list[mapping_seams.Message]:
        queues = self._queues
        request = queue_model.Receive(
            max_messages=max_messages,
            wait_seconds=wait_seconds,
            system_attributes=frozenset({"All"}),
            message_attributes=("All",),
        )
        received = await queues.receive(queues.url(queues.queue_by_arn(arn)), request)
        return [_mapping_message(m) for m in received]

    async def wait_delete(self, arn: str, receipt_handles: Sequence[str]) -> None:
        queues = self._queues
        url = queues.url(queues.queue_by_arn(arn))
        for start in range(0, len(receipt_handles), 10):  # SQS's batch limit
            chunk = receipt_handles[start : start + 10]
            await queues.delete_batch(url, [(str(i), h) for i, h in enumerate(chunk)])


def _mapping_message(message: queue_model.ReceivedMessage) -> mapping_seams.Message:
    return mapping_seams.Message(
        message.MessageId,
        message.ReceiptHandle,
        message.Body,
        message.MD5OfBody,
        dict(message.Attributes),
        {
            name: mapping_seams.MessageAttribute(a.DataType, a.StringValue, a.BinaryValue)
            for name, a in message.MessageAttributes.items()
        },
        message.MD5OfMessageAttributes,
    )


class MappingFunction:
    """mappings' FunctionLookup and FunctionInvoker: the function service's own GetFunction
    and (synchronous) Invoke, in process."""

    def __init__(self, functions: FunctionService) -> None:
        self._functions = functions

    async def wait_describe(self, function_name: str) -> mapping_seams.FunctionFacts:
        ref = parse_reference(function_name)
        config = (await self._functions.get(ref)).configuration
        return mapping_seams.FunctionFacts(
            self._functions.arn(ref.name, ref.qualifier),
            config.Timeout,
            self._functions.reserved_concurrency(ref.name),
        )

    async def wait_invoke(self, function_arn: str, payload: bytes) -> mapping_seams.Invoked:
        result = await self._functions.invoke(
            parse_reference(function_arn), payload, trusted_json=True
        )
        return mapping_seams.Invoked(result.payload, result.function_error or None)


class RotationFunction:
    """secrets' RotationFunction: the function service's own synchronous Invoke; a refusal
    (no such function) or the function's error is the step's failure."""

    def __init__(self, functions: FunctionService) -> None:
        self._functions = functions

    async def wait_invoke(self, function_arn: str, event: bytes) -> str | None:
        try:
            result = await self._functions.invoke(
                parse_reference(function_arn), event, trusted_json=True
            )
        except StratusError as exc:
            return exc.message
        if result.function_error:
            return f"{result.function_error}: {result.payload.decode(errors='replace')[:1000]}"
        return None


class MappingStream:
    """mappings' StreamSource: a table's stream, read in process as GetRecords reads it."""

    def __init__(self, tables: TableService) -> None:
        self._tables = tables

    async def wait_describe_stream(self, arn: str) -> mapping_seams.StreamFacts:
        latest = await self._tables.streams.latest(arn)
        return mapping_seams.StreamFacts(arn, table_streams.SHARD_ID, latest)

    async def wait_read(self, arn: str, after: int, limit: int) -> list[mapping_seams.StreamRecord]:
        found = await self._tables.streams.read_after(arn, after, limit)
        return [mapping_seams.StreamRecord(r.seq, r.created, shaped) for r, shaped in found]

    def subscribe(self, arn: str) -> asyncio.Event:
        return self._tables.changes.subscribe(arn)

    def unsubscribe(self, arn: str, woken: asyncio.Event) -> None:
        self._tables.changes.unsubscribe(arn, woken)


class MappingFailures:
    """mappings' FailureDestination: a standard queue or topic, sent to as boto3 would."""

    def __init__(self, queues: QueueService, topics: TopicService) -> None:
        self._queues = queues
        self._topics = topics

    async def wait_check(self, arn: str) -> None:
        service = arn.split(":")[2:3]
        try:
            if service == ["sqs"]:
                fifo = self._queues.queue_by_arn(arn).fifo
            elif service == ["sns"]:
                fifo = self._topics.topic(arn).fifo
            else:
                raise Invalid(
                    f"The destination ARN {arn} is invalid: a stream's on-failure "
                    "destination is a standard SQS queue or a standard SNS topic."
                )
        except NotFound as exc:
            raise Invalid(f"The destination ARN {arn} is invalid: {exc.message}") from exc
        if fifo:
            raise Invalid(
                f"The destination ARN {arn} is invalid: FIFO queues and topics are not "
                "supported as an on-failure destination; use a standard one."
            )

    async def wait_send(self, arn: str, message: str) -> None:
        if arn.split(":")[2] == "sqs":
            queue = self._queues.queue_by_arn(arn)
            await self._queues.send(self._queues.url(queue), queue_model.NewMessage(message))
        else:
            await self._topics.publish(arn, topic_model.NewMessage(message))


def mapping_seams_of(
    queues: QueueService,
    functions: FunctionService,
    tables: TableService | None = None,
    topics: TopicService | None = None,
) -> mapping_seams.Seams:
    queue, function = MappingQueue(queues), MappingFunction(functions)
    return mapping_seams.Seams(
        queue,
        queue,
        queue,
        function,
        function,
        MappingStream(tables) if tables is not None else None,
        MappingFailures(queues, topics) if topics is not None else None,
    )


class EventBusDestination:
    """functions' Destination for event buses. An invocation record is put on the bus as
    AWS puts it: source `lambda`, detail-type "Lambda Function Invocation Result - Success"
    (or "- Failure"), the record as detail, the bus and the function as resources. Anything
    else handed over (a rule whose target is a bus) is an event already, forwarded as is."""

    describes = "EventBridge event buses (arn:aws:events:<region>:<account>:event-bus/<name>)"

    def __init__(self, bus: EventBusService) -> None:
        self._bus = bus

    async def wait_check(self, target: Target, source: str) -> None:
        try:
            if not target.resource.startswith("event-bus/"):
                raise NotFound(f"{target.arn} is not an event bus.")
            await self._bus.describe_bus(self._bus.bus_name(target.arn))
        except NotFound as exc:
            raise Invalid(f"The destination ARN {target.arn} is invalid: {exc.message}") from exc

    async def wait_deliver(self, target: Target, payload: bytes, delivery_id: str) -> None:
        if target.resource.startswith("api-destination/"):  # a rule's HTTP target
            await self._bus.connections.wait_invoke(target.arn, payload)
            return
        document = orjson.loads(payload)
        context = document.get("requestContext") if isinstance(document, dict) else None
        entry: dict[str, Any]
        if isinstance(context, dict) and "responseContext" in document:
            success = context.get("condition") == "Success"
            entry = {
                "Source": "lambda",
                "DetailType": "Lambda Function Invocation Result - "
                + ("Success" if success else "Failure"),
                "Detail": payload.decode(),
                "Resources": [target.arn, str(context.get("functionArn", ""))],
            }
        else:
            event = document if isinstance(document, dict) else {}
            entry = {
                "Source": event.get("source"),
                "DetailType": event.get("detail-type"),
                "Detail": orjson.dumps(event.get("detail")).decode(),
                "Resources": event.get("resources") or [],
            }
        [result] = await self._bus.put_events([{**entry, "EventBusName": target.arn}])
        if "ErrorCode" in result:
            raise Invalid(f"{target.arn} refused the event: {result['ErrorMessage']}")


class StateMachineDestination:
    """Destinations (and so the event bus's targets) for state machines: each delivery
    starts an execution with the record or event as its input. The execution is named
    after the delivery, so a delivery made twice (at-least-once) starts one execution."""

    describes = "state machines (arn:aws:states:<region>:<account>:stateMachine:<name>)"

    def __init__(self, workflows: WorkflowService) -> None:
        self._workflows = workflows

    async def wait_check(self, target: Target, source: str) -> None:
        try:
            await self._workflows.describe(target.arn)
        except (NotFound, Invalid) as exc:
            raise Invalid(f"The target ARN {target.arn} is invalid: {exc.message}") from exc

    async def wait_deliver(self, target: Target, payload: bytes, delivery_id: str) -> None:
        name = re.sub(r"[^A-Za-z0-9_-]", "-", delivery_id)[:80]
        with contextlib.suppress(ExecutionAlreadyExists):  # delivered before: done
            await self._workflows.start(target.arn, name, payload.decode("utf-8", "replace"))


LAMBDA_INVOKE = "arn:aws:states:::lambda:invoke"
SQS_SEND = "arn:aws:states:::sqs:sendMessage"
AWS_SDK = "arn:aws:states:::aws-sdk:"
EVENTS_PUT = "arn:aws:states:::events:putEvents"
# Optimised integrations that are one API call, answered as the API answers plus the SDK's
# metadata; their errors are named as AWS names them: <prefix>.<Code>Exception.
OPTIMISED_CALLS: Mapping[str, tuple[str, str, str]] = {
    "arn:aws:states:::sns:publish": ("sns", "publish", "SNS"),
    EVENTS_PUT: ("eventbridge", "putEvents", "EventBridge"),
    "arn:aws:states:::dynamodb:getItem": ("dynamodb", "getItem", "DynamoDB"),
    "arn:aws:states:::dynamodb:putItem": ("dynamodb", "putItem", "DynamoDB"),
    "arn:aws:states:::dynamodb:updateItem": ("dynamodb", "updateItem", "DynamoDB"),
    "arn:aws:states:::dynamodb:deleteItem": ("dynamodb", "deleteItem", "DynamoDB"),
    # Only its .waitForTaskToken form comes here: executions.py starts the plain and .sync
    # forms itself, in the transaction that acks the task.
    "arn:aws:states:::states:startExecution": ("sfn", "startExecution", "StepFunctions"),
}


class SdkCalls(Protocol):
    """An AWS API called in process (aws/sdk_tasks.py: the adapters' own handlers)."""

    async def wait_call(
        self, service: str, action: str, parameters: Any, error_prefix: str | None = None
    ) -> dict[str, Any]: ...


class WorkflowTasks:
    """workflows' TaskRunner: the integrations Task states reach, in process.

    Lambda: the optimised `lambda:invoke` (its response wrapped as AWS wraps it: Payload,
    StatusCode, ExecutedVersion, SDK metadata) and plain function ARNs (the response
    itself). A function error is the task's error, named by the function's errorType
    (Lambda.Unknown without one), its cause the error document; Lambda's own refusals are
    Lambda.<Exception> as AWS names them. SQS: `sqs:sendMessage` (MessageBody as given, or
    as JSON text when it is not a string), refusals SQS.<Exception>. The other optimised
    calls go through the API's own handler (SdkCalls); `events:putEvents` also names the
    run in each entry's Resources and fails on a failed entry (EventBridge.FailedEntry)."""

    def __init__(self, functions: FunctionService, queues: QueueService) -> None:
        self._functions = functions
        self._queues = queues
        self.sdk: SdkCalls | None = None  # the API layer's, set once it exists (server.py)

    async def wait_run(
        self, resource: str, payload: Any, timeout_s: int | None, origin: TaskOrigin
    ) -> Any:
        if resource == LAMBDA_INVOKE:
            return await self._wait_optimised(payload)
        if resource.startswith("arn:aws:lambda:") and ":function:" in resource:
            response, _ = await self._wait_invoke(resource, None, payload)
            return response
        if resource == SQS_SEND:
            return await self._wait_send(payload)
        call = OPTIMISED_CALLS.get(resource)
        if call is not None and self.sdk is not None:
            service, action, prefix = call
            if resource == EVENTS_PUT:
                payload = _naming_origin(payload, origin)
            answer = await self.sdk.wait_call(service, action, payload, prefix)
            if resource == EVENTS_PUT and answer.get("FailedEntryCount"):
                # Unlike aws-sdk:eventbridge:putEvents, the optimised call fails on any
                # failed entry, its cause the answer (which says which entry and why).
                raise StatesFailure("EventBridge.FailedEntry", orjson.dumps(answer).decode())
            if isinstance(answer.get("StartDate"), str):  # as the plain form: epoch ms
                started = datetime.datetime.fromisoformat(answer["StartDate"])
                answer["StartDate"] = int(started.timestamp() * 1000)
            return answer | _sdk_metadata(str(uuid.uuid4()))
        if resource.startswith(AWS_SDK) and self.sdk is not None:
            service, _, action = resource[len(AWS_SDK) :].partition(":")
            return await self.sdk.wait_call(service, action, payload)
        raise StatesFailure(
            RUNTIME,
            f"Stratus does not serve the integration {resource} yet; it serves "
            f"{LAMBDA_INVOKE}, function ARNs, {SQS_SEND}, {', '.join(OPTIMISED_CALLS)} "
            f"and {AWS_SDK}<service>:<action>",
        )

    async def _wait_send(self, parameters: Any) -> dict[str, Any]:
        if not isinstance(parameters, Mapping) or not isinstance(parameters.get("QueueUrl"), str):
            raise StatesFailure(RUNTIME, "The sqs:sendMessage parameters must name a QueueUrl")
        body = parameters.get("MessageBody")
        text = body if isinstance(body, str) else json.dumps(body, separators=(",", ":"))
        attributes = {
            name: queue_model.MessageAttribute(
                str(value.get("DataType", "String")), value.get("StringValue")
            )
            for name, value in (parameters.get("MessageAttributes") or {}).items()
            if isinstance(value, Mapping)
        }
        message = queue_model.NewMessage(
            text,
            attributes,
            delay=parameters.get("DelaySeconds"),
            group_id=parameters.get("MessageGroupId"),
            dedup_id=parameters.get("MessageDeduplicationId"),
        )
        try:
            sent = await self._queues.send(parameters["QueueUrl"], message)
        except NotFound as exc:
            raise StatesFailure("SQS.QueueDoesNotExistException", exc.message) from exc
        except StratusError as exc:
            raise StatesFailure("SQS.AmazonSQSException", exc.message) from exc
        request_id = str(uuid.uuid4())
        answer: dict[str, Any] = {
            "MD5OfMessageBody": sent.MD5OfMessageBody,
            "MessageId": sent.MessageId,
            "SdkHttpMetadata": {
                "HttpHeaders": {"x-amzn-RequestId": request_id},
                "HttpStatusCode": 200,
            },
            "SdkResponseMetadata": {"RequestId": request_id},
        }
        if sent.SequenceNumber is not None:
            answer["SequenceNumber"] = sent.SequenceNumber
        return answer

    async def _wait_optimised(self, parameters: Any) -> dict[str, Any]:  # lambda:invoke
        if not isinstance(parameters, Mapping) or not isinstance(
            parameters.get("FunctionName"), str
        ):
            raise StatesFailure(
                "States.Runtime", "The lambda:invoke parameters must name a FunctionName"
            )
        if parameters.get("InvocationType", "RequestResponse") != "RequestResponse":
            raise StatesFailure(
                RUNTIME, "Stratus runs lambda:invoke tasks with InvocationType RequestResponse only"
            )
        request_id = str(uuid.uuid4())
        response, version = await self._wait_invoke(
            parameters["FunctionName"],
            parameters.get("Qualifier"),
            parameters.get("Payload"),
            request_id,
        )
        return {
            "ExecutedVersion": version,
            "Payload": response,
            "SdkHttpMetadata": {
                "HttpHeaders": {
                    "Content-Type": "application/json",
                    "X-Amz-Executed-Version": version,
                    "x-amzn-RequestId": request_id,
                },
                "HttpStatusCode": 200,
            },
            "SdkResponseMetadata": {"RequestId": request_id},
            "StatusCode": 200,
        }

    async def _wait_invoke(
        self, name: str, qualifier: str | None, payload: Any, request_id: str | None = None
    ) -> tuple[Any, str]:
        try:
            ref = parse_reference(name, qualifier)
            result = await self._functions.invoke(
                ref, json.dumps(payload).encode(), request_id=request_id
            )
        except NotFound as exc:
            raise StatesFailure("Lambda.ResourceNotFoundException", exc.message) from exc
        except Throttled as exc:
            raise StatesFailure("Lambda.TooManyRequestsException", exc.message) from exc
        except TooLarge as exc:
            raise StatesFailure("Lambda.RequestTooLargeException", exc.message) from exc
        except Invalid as exc:
            raise StatesFailure("Lambda.InvalidParameterValueException", exc.message) from exc
        except StratusError as exc:
            raise StatesFailure("Lambda.ServiceException", exc.message) from exc
        text = result.payload.decode("utf-8", "replace")
        try:
            body = json.loads(text) if text else None
        except json.JSONDecodeError:
            body = text
        if result.function_error:
            error = body.get("errorType") if isinstance(body, dict) else None
            raise StatesFailure(str(error or "Lambda.Unknown"), text)
        return body, result.executed_version


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


class MapRunObjects:
    """workflows' ObjectStorage: a distributed Map reads its items (getObject,
    listObjectsV2) and writes its results (putObject) in process; S3's refusals become
    StatesFailure named S3.<Code>, which the Map Run turns into ItemReaderFailed or
    ResultWriterFailed."""

    def __init__(self, objects: ObjectService) -> None:
        self._objects = objects

    async def wait_get(self, bucket: str, key: str, version: str | None, limit: int) -> bytes:
        try:
            return await self._objects.wait_read_whole(bucket, key, version, limit)
        except StratusError as exc:
            raise StatesFailure(f"S3.{_s3_code(exc)}", exc.message) from exc

    async def wait_list(
        self, bucket: str, prefix: str, after: str, limit: int
    ) -> tuple[list[dict[str, Any]], bool]:
        try:
            listing = await self._objects.list_objects(bucket, prefix, "", after, limit)
        except StratusError as exc:
            raise StatesFailure(f"S3.{_s3_code(exc)}", exc.message) from exc
        found = [
            {
                "Etag": version.etag,
                "Key": version.key,
                "LastModified": int(version.modified),
                "Size": version.size,
                "StorageClass": "STANDARD",
            }
            for version in listing.objects
        ]
        return found, listing.truncated

    async def wait_put(self, bucket: str, key: str, body: bytes) -> None:
        try:
            await self._objects.put_object(
                bucket,
                key,
                _Whole(body),
                WriteOptions(headers={"Content-Type": "application/json"}),
            )
        except StratusError as exc:
            raise StatesFailure(f"S3.{_s3_code(exc)}", exc.message) from exc


class _Whole:
    """A body already in memory, as object storage reads a request's."""

    def __init__(self, body: bytes) -> None:
        self._body = body
        self.trailers: Mapping[str, str] = {}

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield self._body


def _s3_code(exc: StratusError) -> str:
    if isinstance(exc, NoSuchBucket):
        return "NoSuchBucket"
    if isinstance(exc, NotFound):
        return "NoSuchKey"
    return type(exc).__name__ if type(exc).__name__ != "StratusError" else "AmazonS3Exception"


# Raw message bytes per `awslogs` event: its gzip stays far below the 256 KB async payload.
_SUBSCRIPTION_BATCH_BYTES = 128 * 1024
log = logging.getLogger("stratus.logs")


async def wait_check_subscription_destination(functions: FunctionService, arn: str) -> None:
    """A subscription filter's function must exist when the filter is put (AWS checks too)."""
    try:
        await functions.get(parse_reference(arn))
    except NotFound as exc:
        raise Invalid(f"The destination function does not exist: {arn}") from exc


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
        event = orjson.dumps(
            subscription_event(
                self._account_id, spec["logGroupName"], stream, [spec["filterName"]], batch
            )
        )
        # One id per filter and first event: a batch written again is not queued twice. A
        # UUID, as every Lambda request id is (handlers use it in file and key names).
        request_id = str(
            uuid.uuid5(
                uuid.NAMESPACE_URL,
                f"logs:{spec['logGroupName']}:{spec['filterName']}:{batch[0].id}",
            )
        )
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


class NotificationTargets:
    """objects' notification Targets: S3 event notifications to queues (SendMessage), topics
    (Publish, Subject "Amazon S3 Notification"), functions (an asynchronous invocation) and
    the default event bus (PutEvents, source aws.s3)."""

    def __init__(
        self,
        queues: QueueService,
        topics: TopicService,
        functions: FunctionService,
        invocations: AsyncInvocations,
        bus: EventBusService,
    ) -> None:
        self._queues = queues
        self._topics = topics
        self._functions = functions
        self._invocations = invocations
        self._bus = bus

    async def wait_check(self, kind: str, arn: str) -> None:
        if kind == "queue":
            if self._queues.queue_by_arn(arn).fifo:
                raise Invalid("FIFO SQS queues are not supported as S3 notification destinations")
        elif kind == "topic":
            if self._topics.topic(arn).fifo:
                raise Invalid("FIFO SNS topics are not supported as S3 notification destinations")
        elif kind == "function":
            try:
                ref = parse_reference(arn)
                await self._functions.get(ref)
                owner = await self._functions.policy_owner(ref)
                policy = await self._functions.policies.get(owner)
            except (Invalid, NotFound) as exc:
                raise NotFound(f"Not authorized to invoke function [{arn}]") from exc
            if not any(_lets_s3_invoke(s) for s in policy.document.get("Statement") or []):
                raise Invalid(f"Not authorized to invoke function [{arn}]")

    async def wait_deliver(self, kind: str, arn: str, message: str, delivery_id: str) -> None:
        if kind == "queue":
            queue = self._queues.queue_by_arn(arn)
            await self._queues.send(self._queues.url(queue), queue_model.NewMessage(message))
        elif kind == "topic":
            await self._topics.publish(
                arn, topic_model.NewMessage(message, Subject="Amazon S3 Notification")
            )
        elif kind == "function":
            await self._invocations.accept(parse_reference(arn), message.encode(), delivery_id)
        else:
            entry = orjson.loads(message)
            results = await self._bus.put_events([entry])
            if results and results[0].get("ErrorCode"):
                raise Invalid(str(results[0].get("ErrorMessage")))


def _lets_s3_invoke(statement: Mapping[str, Any]) -> bool:
    """A resource policy statement S3 may invoke a function by (as S3 checks when a
    notification configuration names the function)."""
    principal = statement.get("Principal")
    service = principal.get("Service") if isinstance(principal, dict) else principal
    services = service if isinstance(service, list) else [service]
    actions = statement.get("Action")
    actions = actions if isinstance(actions, list) else [actions]
    return (
        statement.get("Effect") == "Allow"
        and any(s in ("s3.amazonaws.com", "*") for s in services)
        and any(a in ("lambda:InvokeFunction", "lambda:*", "*") for a in actions)
    )


def _naming_origin(parameters: Any, origin: TaskOrigin) -> Any:
    """events:putEvents' entries with the execution's and the state machine's ARNs appended
    to their Resources, as the optimised integration sends them."""
    if not isinstance(parameters, Mapping) or not isinstance(parameters.get("Entries"), list):
        return parameters  # malformed: the API's own validation says how
    arns = [arn for arn in (origin.execution_arn, origin.state_machine_arn) if arn]
    entries = [
        {**entry, "Resources": [*(entry.get("Resources") or []), *arns]}
        if isinstance(entry, Mapping)
        else entry
        for entry in parameters["Entries"]
    ]
    return {**parameters, "Entries": entries}


def _sdk_metadata(request_id: str) -> dict[str, Any]:
    """What an optimised integration's answer carries besides the API's output."""
    return {
        "SdkHttpMetadata": {
            "HttpHeaders": {"x-amzn-RequestId": request_id},
            "HttpStatusCode": 200,
        },
        "SdkResponseMetadata": {"RequestId": request_id},
    }


def execution_log_sink(logs: LogStore) -> Callable[[str, str, list[tuple[int, str]]], None]:
    """Where workflows' LoggingConfiguration writes: the log store (CloudWatch Logs)."""

    def sink(group: str, stream: str, lines: list[tuple[int, str]]) -> None:
        for timestamp, message in lines:
            logs.emit(group, stream, message, timestamp)

    return sink


class AlarmTargets:
    """alarms' Targets: an SNS topic is published AWS's alarm notification (Subject
    'ALARM: "name" in <region>'), a Lambda function is invoked asynchronously with AWS's
    alarm event, and every change is put on the default bus as a "CloudWatch Alarm State
    Change" event (source aws.cloudwatch)."""

    def __init__(
        self, topics: TopicService, invocations: AsyncInvocations, bus: EventBusService
    ) -> None:
        self._topics = topics
        self._invocations = invocations
        self._bus = bus

    async def wait_act(self, arn: str, change: Change, delivery_id: str) -> None:
        if arn.split(":")[2] == "sns":
            message = orjson.dumps(change.notification).decode()
            await self._topics.publish(arn, topic_model.NewMessage(message, Subject=change.subject))
        else:
            payload = orjson.dumps(change.event)
            await self._invocations.accept(parse_reference(arn), payload, delivery_id)

    async def wait_announce(self, change: Change) -> None:
        entry = {
            "Source": "aws.cloudwatch",
            "DetailType": "CloudWatch Alarm State Change",
            "Detail": orjson.dumps(change.detail).decode(),
            "Resources": [change.alarm_arn],
        }
        await self._bus.put_events([entry])
