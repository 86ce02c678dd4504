"""Deliveries: a published message on its way to one subscription.

    Publish (one transaction) -> SQS subscriptions: the message written into the queue at
                                 once (deliver_now; exactly once, nothing more to do)
                              -> the rest, and queues that refuse it: a durable work item
                                 per subscription (kind DELIVERIES, FIFO topics
                                 FIFO_DELIVERIES), its subject the subscription
    worker -> the subscription's endpoint:  sqs     QueueSink.wait_send (in process)
                                            lambda  FunctionSink.wait_invoke (async invoke)
                                            http(s) POST, 2xx = delivered
                                            email, email-json, sms: the outbox (outbox.py)
                                            application: the outbox, by push.py
           -> delivered: ack
           -> failed: retried after a delay (sqs/lambda: doubling from 1 s to 20 s, 100
              attempts; http(s): AWS's default policy, 3 retries 20 s apart)
           -> out of attempts, or refused for good (the queue or function is gone, the
              message does not fit it): to the subscription's dead-letter queue (RedrivePolicy)
              if any, else dropped into the work queue's dead items, with the reason

At-least-once for work items: a crash between hand-over and ack delivers again. A Lambda
delivery's request id is derived from the work item, so a second hand-over of an event still
queued is ignored. FIFO topics' work items run one at a time, in publish order (a retry lets
later ones pass: order is kept only while deliveries succeed).

The sinks are one-method seams: topics may not import queues or functions (siblings in one
layer), so the composition root hands in adapters (stratus/bridges.py).
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import sqlite3
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

import httpx

from stratus.errors import Forbidden, Invalid, NotFound, StratusError
from stratus.store.db import transaction
from stratus.store.work import Kind, WorkItem, WorkQueue
from stratus.store.worker import Worker

from . import messages
from .attributes import dead_letter_arn
from .model import MessageAttribute, Subscription
from .outbox import Outbox

log = logging.getLogger("stratus.topics")

DELIVERIES = Kind("topic-deliveries", lease_s=60.0, backoff=(1.0, 20.0))
FIFO_DELIVERIES = Kind("topic-fifo-deliveries", lease_s=60.0, backoff=(1.0, 20.0))
PARALLEL = 32
QUEUE_FUNCTION_ATTEMPTS = 100
HTTP_ATTEMPTS = 4  # AWS's default HTTP policy: numRetries 3
HTTP_RETRY_DELAY_S = 20.0  # ... minDelayTarget = maxDelayTarget = 20
HTTP_TIMEOUT_S = 15.0
MAX_SQS_ATTRIBUTES = 10  # SQS takes at most 10: more is a client-side error
OUTBOX_PROTOCOLS = ("email", "email-json", "sms")  # written to the local outbox (outbox.py)


@dataclass(frozen=True, slots=True)
class QueueMessage:
    """What an SQS subscription (or dead-letter queue) is sent."""

    body: str
    attributes: Mapping[str, MessageAttribute]
    group_id: str | None  # FIFO queues only
    dedup_id: str | None


class QueueSink(Protocol):
    async def wait_send(self, queue_arn: str, message: QueueMessage) -> None:
        """Send one message to the queue; NotFound if it is gone, Invalid if it refuses
        the message for good."""

    def stage(
        self, conn: sqlite3.Connection, queue_arn: str, message: QueueMessage
    ) -> Callable[[], None]:
        """On the database thread, inside the caller's transaction: store the message in
        the queue, raising (before writing anything) as `wait_send` would. Returns what to
        call once the transaction committed (it wakes the queue's long polls)."""


# A message to a mobile push endpoint: (endpoint ARN, text, message id, topic ARN).
PushSend = Callable[[str, str, str, str | None], Awaitable[None]]


class FunctionSink(Protocol):
    async def wait_invoke(self, function_arn: str, event: bytes, request_id: str) -> None:
        """Accept an asynchronous invocation; NotFound if the function is gone."""


@dataclass(frozen=True, slots=True)
class Delivery:
    """What a work item carries: the message as this subscription receives it."""

    type: str  # Notification | SubscriptionConfirmation
    message_id: str
    topic_arn: str
    subscription_arn: str
    message: str
    timestamp: str
    subject: str | None = None
    attributes: dict[str, dict[str, str]] = field(default_factory=dict)  # wire_attributes
    group_id: str | None = None
    dedup_id: str | None = None
    sequence: str | None = None
    token: str | None = None  # SubscriptionConfirmation only
    endpoint: str | None = None  # SubscriptionConfirmation only (the subscription is pending)

    def encode(self) -> bytes:
        return json.dumps(asdict(self), separators=(",", ":")).encode()

    @classmethod
    def decode(cls, payload: bytes) -> Delivery:
        return cls(**json.loads(payload))

    def message_attributes(self) -> dict[str, MessageAttribute]:
        found = {}
        for name, wire in self.attributes.items():
            kind = wire["Type"]
            if kind.startswith("Binary"):
                found[name] = MessageAttribute(kind, BinaryValue=base64.b64decode(wire["Value"]))
            else:
                found[name] = MessageAttribute(kind, wire["Value"])
        return found


def notification(delivery: Delivery, base_url: str) -> str:
    """The envelope as text, laid out as AWS lays it out (two-space indent, " : ")."""
    return json.dumps(envelope(delivery, base_url), indent=2, separators=(",", " : "))


def envelope(delivery: Delivery, base_url: str) -> dict[str, Any]:
    """The notification (or confirmation) JSON, as HTTP endpoints and SQS queues get it."""
    fields: dict[str, Any] = {
        "Type": delivery.type,
        "MessageId": delivery.message_id,
    }
    if delivery.token is not None:
        fields["Token"] = delivery.token
    fields["TopicArn"] = delivery.topic_arn
    if delivery.subject is not None:
        fields["Subject"] = delivery.subject
    fields["Message"] = delivery.message
    if delivery.token is not None:
        fields["SubscribeURL"] = (
            f"{base_url}/?Action=ConfirmSubscription&TopicArn={delivery.topic_arn}"
            f"&Token={delivery.token}"
        )
    if delivery.sequence is not None:
        fields["SequenceNumber"] = delivery.sequence
    fields["Timestamp"] = delivery.timestamp
    fields["SignatureVersion"] = "1"
    fields["Signature"] = messages.sign(fields)
    fields["SigningCertURL"] = f"{base_url}/_stratus/sns/SimpleNotificationService.pem"
    if delivery.token is None:
        fields["UnsubscribeURL"] = (
            f"{base_url}/?Action=Unsubscribe&SubscriptionArn={delivery.subscription_arn}"
        )
    if delivery.attributes:
        fields["MessageAttributes"] = delivery.attributes
    return fields


def lambda_event(delivery: Delivery, base_url: str) -> bytes:
    """The event a subscribed function receives: one record, SNS's envelope renamed a little
    (SigningCertUrl, UnsubscribeUrl), Subject null when absent, MessageAttributes always."""
    sns = envelope(delivery, base_url)
    sns["SigningCertUrl"] = sns.pop("SigningCertURL")
    sns["UnsubscribeUrl"] = sns.pop("UnsubscribeURL")
    sns.setdefault("Subject", None)
    sns["MessageAttributes"] = delivery.attributes
    record = {
        "EventSource": "aws:sns",
        "EventVersion": "1.0",
        "EventSubscriptionArn": delivery.subscription_arn,
        "Sns": sns,
    }
    return json.dumps({"Records": [record]}).encode()


def queue_message(
    delivery: Delivery, base_url: str, queue_arn: str, *, raw: bool, dead_letter: bool = False
) -> QueueMessage:
    """The message a queue gets: the notification JSON, or with raw delivery the message and
    its attributes (at most 10: more is refused). A dead-letter queue gets the notification
    with the attributes, when they fit. Group and deduplication ids go to FIFO queues only."""
    attributes = delivery.message_attributes() if raw or dead_letter else {}
    if len(attributes) > MAX_SQS_ATTRIBUTES:
        if raw:
            raise Refused(
                f"{len(attributes)} message attributes: raw delivery to SQS takes at most "
                f"{MAX_SQS_ATTRIBUTES}"
            )
        attributes = {}
    fifo = queue_arn.endswith(".fifo")
    return QueueMessage(
        delivery.message if raw else notification(delivery, base_url),
        # SQS has no String.Array: it arrives as a String holding the JSON array.
        {
            name: MessageAttribute("String", a.StringValue) if a.base_type == "String.Array" else a
            for name, a in attributes.items()
        },
        delivery.group_id if fifo else None,
        delivery.dedup_id if fifo else None,
    )


class Refused(Exception):
    """The endpoint refused the message for good: no retry helps."""


class Deliveries:
    """Runs the deliveries of every topic."""

    def __init__(
        self,
        work: WorkQueue,
        base_url: str,
        subscription: Callable[[str], Subscription | None],
        queues: QueueSink,
        functions: FunctionSink,
        outbox: Outbox,
        push: PushSend,
    ) -> None:
        self._work = work
        self._outbox = outbox
        self._push = push
        self._base_url = base_url
        self._subscription = subscription
        self._queues = queues
        self._functions = functions
        self._http: httpx.AsyncClient | None = None
        self._workers = (
            Worker(work, DELIVERIES, self._wait_deliver, PARALLEL),
            Worker(work, FIFO_DELIVERIES, self._wait_deliver, 1),
        )

    def stage(self, conn: sqlite3.Connection, delivery: Delivery, fifo: bool) -> None:
        """Inside the caller's transaction: deliver `delivery` to its subscription."""
        self._work.enqueue(
            conn,
            FIFO_DELIVERIES if fifo else DELIVERIES,
            f"{delivery.message_id}/{delivery.subscription_arn}",
            delivery.encode(),
            subject=delivery.subscription_arn,
        )

    def deliver_now(
        self, conn: sqlite3.Connection, delivery: Delivery, subscription: Subscription
    ) -> Callable[[], None] | None:
        """Inside the publish's transaction: an SQS subscription's message written straight
        into its queue (no work item, no hop; exactly once). None when that is not possible
        (not a queue, or the queue refuses it): then the delivery is staged as work, which
        retries and dead-letters."""
        if subscription.protocol != "sqs":
            return None
        try:
            message = queue_message(
                delivery, self._base_url, subscription.endpoint, raw=subscription.raw
            )
            return self._queues.stage(conn, subscription.endpoint, message)
        except (Refused, StratusError):
            return None

    def forget(self, conn: sqlite3.Connection, subscription_arn: str) -> None:
        """Inside the caller's transaction: drop what is still to go to a subscription."""
        for kind in (DELIVERIES, FIFO_DELIVERIES):
            self._work.purge(conn, kind, subscription_arn)

    async def wait_run_forever(self) -> None:
        async with httpx.AsyncClient(timeout=HTTP_TIMEOUT_S) as client:
            self._http = client
            async with asyncio.TaskGroup() as tasks:
                for worker in self._workers:
                    tasks.create_task(worker.wait_run_forever())

    async def _wait_deliver(self, item: WorkItem) -> None:
        delivery = Delivery.decode(item.payload)
        subscription = self._subscription(delivery.subscription_arn)
        work = self._work
        if subscription is None:
            await work.db.run(lambda conn: work.ack(conn, item))  # unsubscribed since
            return
        protocol = subscription.protocol
        try:
            await self._wait_send(delivery, subscription)
        except Refused as exc:
            await self._wait_give_up(item, delivery, subscription, str(exc))
            return
        except Exception as exc:  # the endpoint failed: a retry may succeed
            attempts = HTTP_ATTEMPTS if protocol.startswith("http") else QUEUE_FUNCTION_ATTEMPTS
            reason = f"{type(exc).__name__}: {exc}"
            if item.attempts >= attempts:
                await self._wait_give_up(item, delivery, subscription, reason)
                return
            delay = HTTP_RETRY_DELAY_S if protocol.startswith("http") else None
            await work.db.run(lambda conn: work.retry(conn, item, delay=delay, reason=reason))
            return
        await work.db.run(lambda conn: work.ack(conn, item))

    async def _wait_send(self, delivery: Delivery, subscription: Subscription) -> None:
        if subscription.protocol in OUTBOX_PROTOCOLS:
            await self._wait_write(delivery, subscription)
            return
        if delivery.type == "SubscriptionConfirmation":
            await self._wait_post(delivery, delivery.endpoint or "", raw=False)
            return
        try:
            if subscription.protocol == "sqs":
                message = queue_message(
                    delivery, self._base_url, subscription.endpoint, raw=subscription.raw
                )
                await self._queues.wait_send(subscription.endpoint, message)
            elif subscription.protocol == "application":  # mobile push (push.py)
                await self._push(
                    subscription.endpoint, delivery.message, delivery.message_id,
                    delivery.topic_arn,
                )  # fmt: skip
            elif subscription.protocol == "lambda":
                request_id = str(
                    uuid.uuid5(
                        uuid.NAMESPACE_URL, delivery.subscription_arn + "/" + delivery.message_id
                    )
                )
                event = lambda_event(delivery, self._base_url)
                await self._functions.wait_invoke(subscription.endpoint, event, request_id)
            else:
                await self._wait_post(delivery, subscription.endpoint, raw=subscription.raw)
        except (NotFound, Invalid, Forbidden) as exc:
            raise Refused(exc.message) from exc

    async def _wait_write(self, delivery: Delivery, subscription: Subscription) -> None:
        """email, email-json and sms: the message as the recipient would read it, to the
        outbox. email gets the message text (a confirmation: its text and the link),
        email-json the notification JSON, sms the text."""
        protocol = subscription.protocol
        if protocol == "email-json":
            body = notification(delivery, self._base_url)
        elif delivery.type == "SubscriptionConfirmation":
            link = envelope(delivery, self._base_url)["SubscribeURL"]
            body = f"{delivery.message}\n\nConfirm subscription: {link}"
        else:
            body = delivery.message
        subject = delivery.subject
        if delivery.type == "SubscriptionConfirmation":
            subject = "AWS Notification - Subscription Confirmation"
        await self._outbox.wait_write(
            protocol,
            subscription.endpoint,
            body,
            message_id=delivery.message_id,
            topic_arn=delivery.topic_arn,
            subject=subject,
        )

    async def _wait_post(self, delivery: Delivery, url: str, *, raw: bool) -> None:
        assert self._http is not None, "deliveries run inside wait_run_forever"
        body = delivery.message if raw else notification(delivery, self._base_url)
        headers = {
            "Content-Type": "text/plain; charset=UTF-8",
            "x-amz-sns-message-type": delivery.type,
            "x-amz-sns-message-id": delivery.message_id,
            "x-amz-sns-topic-arn": delivery.topic_arn,
            "User-Agent": "Amazon Simple Notification Service Agent",
        }
        if delivery.type == "Notification":
            headers["x-amz-sns-subscription-arn"] = delivery.subscription_arn
        if raw:
            headers["x-amz-sns-rawdelivery"] = "true"
        response = await self._http.post(url, content=body.encode(), headers=headers)
        if not 200 <= response.status_code < 300:
            raise ConnectionError(f"{url} answered HTTP {response.status_code}")

    async def _wait_give_up(
        self,
        item: WorkItem,
        delivery: Delivery,
        subscription: Subscription,
        reason: str,
    ) -> None:
        """A notification to the subscription's dead-letter queue if it has one, else
        dropped (kept in the work queue's dead items, with the reason)."""
        work = self._work
        dead_letter = subscription.attributes.get("RedrivePolicy")
        if dead_letter and delivery.type == "Notification":
            try:
                target = dead_letter_arn(dead_letter)
                message = queue_message(
                    delivery, self._base_url, target, raw=False, dead_letter=True
                )
                await self._queues.wait_send(target, message)
            except StratusError as exc:
                reason = f"{reason}; its dead-letter queue refused it too: {exc.message}"
            else:
                await work.db.run(lambda conn: work.ack(conn, item))
                return
        log.warning("delivery %s dropped: %s", item.id, reason)

        def drop(conn: sqlite3.Connection) -> None:
            with transaction(conn):
                work.dead_letter(conn, item, reason)

        await work.db.run(drop)
