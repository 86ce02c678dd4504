"""The topic service: SNS's rules over the store, for every caller (the SNS API, templates,
destinations) alike.

Guarantees:
- An accepted Publish is committed before the call returns: one transaction writes a
  delivery (a durable work item, delivery.py) for every subscription whose filter policy
  matches, and, on FIFO topics, the sequence number and deduplication id. `kill -9` loses
  nothing accepted; deliveries are at-least-once.
- Filter policies are checked (AWS's limits) when set, compiled once, and matched at
  publish time, in memory.

Topics and subscriptions are few and read on every publish, so they are kept in memory,
loaded at start and changed by the same calls that write them.

Past 400 lines on purpose: one class owns the in-memory topics and subscriptions every
operation reads; the rules without state live in attributes.py, messages.py, permissions.py
and sms.py, mobile push in push.py, the SQL in store.py.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import sqlite3
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import TypeVar

from stratus import paging
from stratus.config import Settings
from stratus.store.db import Database, transaction
from stratus.store.work import WorkQueue

from . import attributes as attrs
from . import messages, permissions, sms, store
from .delivery import Deliveries, Delivery, FunctionSink, QueueSink
from .errors import (
    BatchIdsNotDistinct,
    BatchTooLong,
    EmptyBatch,
    InvalidBatchEntryId,
    InvalidParameter,
    NotAuthorized,
    SubscriptionNotFound,
    TagLimitExceeded,
    TooManyEntries,
    TopicNotFound,
)
from .model import (
    DEFAULT_MAX_MESSAGE_BYTES,
    FIFO_SUFFIX,
    BatchFailure,
    NewMessage,
    Published,
    Subscription,
    Topic,
)
from .outbox import LogSink, Outbox
from .push import PlatformApps

T = TypeVar("T")
PAGE = 100
MAX_BATCH = 10
MAX_TAGS = 50
DEDUP_WINDOW_S = 300.0
PROTOCOLS = ("sqs", "lambda", "http", "https", "email", "email-json", "sms", "application")
# Subscriptions that wait for ConfirmSubscription: the endpoint's owner must answer.
CONFIRMED_BY_OWNER = ("http", "https", "email", "email-json")


class TopicService:
    def __init__(
        self,
        settings: Settings,
        db: Database,
        work: WorkQueue,
        queues: QueueSink,
        functions: FunctionSink,
        logs: LogSink | None = None,
    ) -> None:
        self.settings = settings
        self.outbox = Outbox(logs, settings.region, settings.account_id)
        self.push = PlatformApps(db, self.outbox, self.arn(""))
        self._db = db
        self._clock = work.clock.now
        self._topics: dict[str, Topic] = {}  # by name
        self._subscriptions: dict[str, Subscription] = {}  # by ARN, in creation order
        for row in db.run_blocking(store.all_topics):
            name = row["name"]
            self._topics[name] = Topic(
                name, self.arn(name), json.loads(row["attributes"]), json.loads(row["tags"])
            )
        for row in db.run_blocking(store.all_subscriptions):
            given = json.loads(row["attributes"])
            _, policy = attrs.subscription_attributes({}, given, row["protocol"])
            self._subscriptions[row["arn"]] = Subscription(
                row["arn"],
                self.arn(row["topic"]),
                row["protocol"],
                row["endpoint"],
                given,
                bool(row["confirmed"]),
                row["token"],
                policy,
            )
        self.deliveries = Deliveries(
            work,
            settings.endpoint_url,
            self.subscription,
            queues,
            functions,
            self.outbox,
            self.push.wait_send,
        )

    # ---- topics -------------------------------------------------------------------------

    def arn(self, name: str) -> str:
        return f"arn:aws:sns:{self.settings.region}:{self.settings.account_id}:{name}"

    def topic(self, arn: str) -> Topic:
        """The topic an ARN names: NotFound if none, AuthorizationError if not ours."""
        parts = arn.split(":")
        if len(parts) != 6 or parts[:3] != ["arn", "aws", "sns"]:
            raise InvalidParameter("TopicArn")
        if parts[3] != self.settings.region or parts[4] != self.settings.account_id:
            raise NotAuthorized(
                f"User: arn:aws:iam::{self.settings.account_id}:root is not authorized to "
                f"access {arn}: it is not a topic of account {self.settings.account_id} in "
                f"{self.settings.region}"
            )
        found = self._topics.get(parts[5])
        if found is None:
            raise TopicNotFound()
        return found

    async def create_topic(
        self, name: str, attributes: Mapping[str, str], tags: Mapping[str, str]
    ) -> Topic:
        fifo = attributes.get("FifoTopic") == "true"
        attrs.check_topic_name(name, fifo)
        given = attrs.topic_attributes(attributes, creating=True, fifo=fifo)
        _check_tags(tags)
        existing = self._topics.get(name)
        if existing is not None:
            defaults = attrs.topic_defaults(fifo)
            for key, value in given.items():
                if existing.attributes.get(key, defaults.get(key)) != value:
                    raise InvalidParameter(
                        "Attributes Reason: Topic already exists with different attributes"
                    )
            return existing
        settled = {**({"FifoTopic": "true"} if fifo else {}), **given}
        topic = Topic(name, self.arn(name), settled, dict(tags))
        await self._run(lambda c: store.put_topic(c, name, settled, tags))
        self._topics[name] = topic
        return topic

    async def delete_topic(self, arn: str) -> None:
        try:
            topic = self.topic(arn)
        except TopicNotFound:
            return  # AWS: deleting a topic that does not exist succeeds

        def delete(conn: sqlite3.Connection) -> list[str]:
            gone = store.delete_topic(conn, topic.name)
            for subscription_arn in gone:
                self.deliveries.forget(conn, subscription_arn)
            return gone

        for subscription_arn in await self._run(delete):
            self._subscriptions.pop(subscription_arn, None)
        self._topics.pop(topic.name, None)

    def list_topics(self, token: str | None) -> tuple[list[Topic], str | None]:
        return paging.page(
            sorted(self._topics.values(), key=lambda t: t.name), token, lambda t: t.name, PAGE
        )

    def get_topic_attributes(self, arn: str) -> dict[str, str]:
        topic = self.topic(arn)
        subscriptions = self._of_topic(topic.arn)
        confirmed = sum(s.confirmed for s in subscriptions)
        return attrs.described_topic(
            topic, self.settings.account_id, confirmed, len(subscriptions) - confirmed
        )

    async def set_topic_attribute(self, arn: str, name: str, value: str) -> None:
        topic = self.topic(arn)
        given = attrs.topic_attributes({name: value}, creating=False, fifo=topic.fifo)
        settled = {**topic.attributes, **given}
        if name in attrs.CLEARABLE and value == "":
            settled.pop(name, None)
        changed = replace(topic, attributes=settled)
        if changed.large:
            _check_large(changed, self._of_topic(topic.arn))
        await self._save(changed)

    async def tag(self, arn: str, tags: Mapping[str, str]) -> None:
        topic = self._tagged(arn)
        merged = {**topic.tags, **tags}
        _check_tags(merged)
        await self._save(replace(topic, tags=merged))

    async def untag(self, arn: str, keys: Sequence[str]) -> None:
        topic = self._tagged(arn)
        await self._save(
            replace(topic, tags={k: v for k, v in topic.tags.items() if k not in keys})
        )

    def tags(self, arn: str) -> dict[str, str]:
        return dict(self._tagged(arn).tags)

    def _tagged(self, arn: str) -> Topic:
        try:
            return self.topic(arn)
        except TopicNotFound:
            raise TopicNotFound("Resource does not exist") from None

    async def _save(self, topic: Topic) -> None:
        await self._run(lambda c: store.put_topic(c, topic.name, topic.attributes, topic.tags))
        self._topics[topic.name] = topic

    # ---- subscriptions ------------------------------------------------------------------

    def subscription(self, arn: str) -> Subscription | None:
        return self._subscriptions.get(arn)

    def _subscription(self, arn: str) -> Subscription:
        found = self._subscriptions.get(arn)
        if found is None:
            if arn.count(":") != 6 or not arn.startswith("arn:aws:sns:"):
                raise InvalidParameter("SubscriptionArn")
            raise SubscriptionNotFound()
        return found

    def _of_topic(self, topic_arn: str) -> list[Subscription]:
        return [s for s in self._subscriptions.values() if s.topic_arn == topic_arn]

    async def subscribe(
        self, topic_arn: str, protocol: str, endpoint: str, attributes: Mapping[str, str]
    ) -> Subscription:
        topic = self.topic(topic_arn)
        protocol = protocol.lower()
        _check_endpoint(topic, protocol, endpoint)
        if protocol == "sms":
            endpoint = sms.check_phone(endpoint, "Endpoint")
        if topic.large and (protocol, endpoint) not in {
            (s.protocol, s.endpoint) for s in self._of_topic(topic.arn)
        }:
            _check_large(topic, [*self._of_topic(topic.arn), protocol])
        settled, policy = attrs.subscription_attributes(attributes, {}, protocol)
        for existing in self._of_topic(topic.arn):
            if (existing.protocol, existing.endpoint) == (protocol, endpoint):
                if attributes and dict(existing.attributes) != settled:
                    raise InvalidParameter(
                        "Attributes Reason: Subscription already exists with different attributes"
                    )
                return existing
        web = protocol in CONFIRMED_BY_OWNER
        subscription = Subscription(
            f"{topic.arn}:{uuid.uuid4()}",
            topic.arn,
            protocol,
            endpoint,
            settled,
            confirmed=not web,
            token=secrets.token_hex(64) if web else None,
            policy=policy,
        )

        def write(conn: sqlite3.Connection) -> None:
            self._put(conn, subscription)
            if web:
                self.deliveries.stage(conn, self._confirmation(subscription), fifo=False)

        await self._run(write)
        self._subscriptions[subscription.arn] = subscription
        return subscription

    def _confirmation(self, subscription: Subscription) -> Delivery:
        return Delivery(
            "SubscriptionConfirmation",
            str(uuid.uuid4()),
            subscription.topic_arn,
            subscription.arn,
            f"You have chosen to subscribe to the topic {subscription.topic_arn}.\n"
            "To confirm the subscription, visit the SubscribeURL included in this message.",
            messages.timestamp(self._clock()),
            token=subscription.token,
            endpoint=subscription.endpoint,
        )

    async def confirm(self, topic_arn: str, token: str) -> Subscription:
        topic = self.topic(topic_arn)
        found = [s for s in self._of_topic(topic.arn) if s.token == token]
        if not found:
            raise InvalidParameter("Invalid token")
        confirmed = replace(found[0], confirmed=True)
        if not found[0].confirmed:
            await self._run(lambda c: self._put(c, confirmed))
            self._subscriptions[confirmed.arn] = confirmed
        return confirmed

    async def unsubscribe(self, arn: str) -> None:
        subscription = self._subscription(arn)

        def delete(conn: sqlite3.Connection) -> None:
            store.delete_subscription(conn, arn)
            self.deliveries.forget(conn, arn)

        await self._run(delete)
        self._subscriptions.pop(subscription.arn, None)

    def list_subscriptions(
        self, token: str | None, topic_arn: str | None = None
    ) -> tuple[list[Subscription], str | None]:
        found = list(self._subscriptions.values())
        if topic_arn is not None:
            arn = self.topic(topic_arn).arn
            found = [s for s in found if s.topic_arn == arn]
        return paging.page(found, token, lambda s: s.arn, PAGE)

    def get_subscription_attributes(self, arn: str) -> dict[str, str]:
        s = self._subscription(arn)
        described = {
            "SubscriptionArn": s.arn,
            "TopicArn": s.topic_arn,
            "Owner": self.settings.account_id,
            "Protocol": s.protocol,
            "Endpoint": s.endpoint,
            "ConfirmationWasAuthenticated": "true" if s.confirmed else "false",
            "PendingConfirmation": "false" if s.confirmed else "true",
            "RawMessageDelivery": "false",
            "SubscriptionPrincipal": f"arn:aws:iam::{self.settings.account_id}:root",
            **s.attributes,
        }
        if "FilterPolicy" in s.attributes:
            described.setdefault("FilterPolicyScope", "MessageAttributes")
        if s.protocol.startswith("http"):
            described["EffectiveDeliveryPolicy"] = json.dumps(
                attrs.DEFAULT_DELIVERY_POLICY["http"], separators=(",", ":")
            )
        return described

    async def set_subscription_attribute(self, arn: str, name: str, value: str) -> None:
        s = self._subscription(arn)
        settled, policy = attrs.subscription_attributes({name: value}, s.attributes, s.protocol)
        updated = replace(s, attributes=settled, policy=policy)
        await self._run(lambda c: self._put(c, updated))
        self._subscriptions[arn] = updated

    @staticmethod
    def _put(conn: sqlite3.Connection, s: Subscription) -> None:
        topic = s.topic_arn.rsplit(":", 1)[1]
        store.put_subscription(
            conn, s.arn, topic, s.protocol, s.endpoint, s.attributes, s.token, s.confirmed
        )

    # ---- publishing ---------------------------------------------------------------------

    async def publish(self, topic_arn: str, message: NewMessage) -> Published:
        topic = self.topic(topic_arn)
        messages.check(topic, message)
        published = await self._wait_publish(topic, [message])
        return published[0]

    async def publish_sms(self, phone_number: str, message: NewMessage) -> Published:
        """Publish to a PhoneNumber: one SMS, written to the outbox (outbox.py)."""
        number = sms.check_phone(phone_number)
        sms.check_message(message.Message)
        message_id = str(uuid.uuid4())
        text = messages.for_protocol(message, "sms")
        await self.outbox.wait_write("sms", number, text, message_id=message_id)
        return Published(message_id, None)

    # ---- permissions, data protection ---------------------------------------------------

    def _policy(self, topic: Topic) -> str:
        return topic.attributes.get("Policy") or attrs.default_policy(
            topic.arn, self.settings.account_id
        )

    async def add_permission(
        self, arn: str, label: str, accounts: Sequence[str], actions: Sequence[str]
    ) -> None:
        topic = self.topic(arn)
        policy = permissions.add(self._policy(topic), topic.arn, label, accounts, actions)
        await self.set_topic_attribute(arn, "Policy", policy)

    async def remove_permission(self, arn: str, label: str) -> None:
        topic = self.topic(arn)
        await self.set_topic_attribute(
            arn, "Policy", permissions.remove(self._policy(topic), label)
        )

    def get_data_protection_policy(self, arn: str) -> str:
        return self.topic(arn).attributes.get("DataProtectionPolicy", "")

    async def put_data_protection_policy(self, arn: str, policy: str) -> None:
        await self.set_topic_attribute(arn, "DataProtectionPolicy", policy)

    # ---- SMS (sms.py) -------------------------------------------------------------------

    async def get_sms_attributes(self, names: Sequence[str]) -> dict[str, str]:
        return await self._run(lambda c: sms.get_attributes(c, names))

    async def set_sms_attributes(self, given: Mapping[str, str]) -> None:
        sms.check_sms_attributes(given)
        await self._run(lambda c: sms.set_attributes(c, given))

    async def create_sandbox_number(self, phone_number: str, language: str) -> None:
        number = sms.check_phone(phone_number)
        password = await self._run(lambda c: sms.add_sandbox_number(c, number, language))
        text = f"Your Amazon SNS verification code is: {password}"
        await self.outbox.wait_write("sms", number, text, message_id=str(uuid.uuid4()))

    async def verify_sandbox_number(self, phone_number: str, password: str) -> None:
        number = sms.check_phone(phone_number)
        await self._run(lambda c: sms.verify_sandbox_number(c, number, password))

    async def delete_sandbox_number(self, phone_number: str) -> None:
        number = sms.check_phone(phone_number)
        await self._run(lambda c: sms.delete_sandbox_number(c, number))

    async def sandbox_numbers(self) -> list[tuple[str, str]]:
        return await self._run(sms.sandbox_numbers)

    async def publish_batch(
        self, topic_arn: str, entries: Sequence[tuple[str, NewMessage | Exception]]
    ) -> tuple[list[tuple[str, Published]], list[BatchFailure]]:
        """Each entry is (Id, message) or (Id, why its message could not be read)."""
        topic = self.topic(topic_arn)
        ids = [entry_id for entry_id, _ in entries]
        if not ids:
            raise EmptyBatch()
        if len(ids) > MAX_BATCH:
            raise TooManyEntries(len(ids))
        if len(set(ids)) != len(ids):
            raise BatchIdsNotDistinct()
        if any(not _batch_id(i) for i in ids):
            raise InvalidBatchEntryId()
        good = [(i, m) for i, m in entries if isinstance(m, NewMessage)]
        limit = max(messages.MAX_MESSAGE_BYTES, topic.max_message_bytes)
        if sum(messages.size(m) for _, m in good) > limit:
            raise BatchTooLong()
        accepted: list[tuple[str, NewMessage]] = []
        failed: list[BatchFailure] = []
        for entry_id, message in entries:
            try:
                if isinstance(message, Exception):
                    raise message
                messages.check(topic, message)
                accepted.append((entry_id, message))
            except InvalidParameter as exc:
                failed.append(BatchFailure(entry_id, exc))
        published = await self._wait_publish(topic, [m for _, m in accepted])
        return [(i, p) for (i, _), p in zip(accepted, published, strict=True)], failed

    def _publish(
        self, conn: sqlite3.Connection, topic: Topic, batch: list[NewMessage]
    ) -> tuple[list[Published], list[Callable[[], None]]]:
        """In one transaction: every message's deliveries (and FIFO bookkeeping); what to
        call once it committed."""
        now = self._clock()
        wakes: list[Callable[[], None]] = []
        subscriptions = [s for s in self._of_topic(topic.arn) if s.confirmed]
        answers = []
        for message in batch:
            message_id = str(uuid.uuid4())
            sequence = dedup_id = None
            if topic.fifo:
                dedup_id = (
                    message.MessageDeduplicationId
                    or hashlib.sha256(message.Message.encode()).hexdigest()
                )
                duplicate = store.find_duplicate(conn, topic.name, dedup_id, now)
                if duplicate is not None:
                    answers.append(Published(duplicate[0], _sequence(duplicate[1])))
                    continue
                seq = store.next_sequence(conn, topic.name)
                store.remember_dedup(
                    conn, topic.name, dedup_id, message_id, seq, now + DEDUP_WINDOW_S
                )
                sequence = _sequence(seq)
            view = messages.policy_view(message.MessageAttributes)
            wire = messages.wire_attributes(message.MessageAttributes)
            for s in subscriptions:
                key = self.push.platform_of(s.endpoint) if s.protocol == "application" else None
                text = messages.for_protocol(message, key or s.protocol)
                if s.policy is not None and not s.policy.matches(view, text):
                    continue
                delivery = Delivery(
                    "Notification",
                    message_id,
                    topic.arn,
                    s.arn,
                    text,
                    messages.timestamp(now),
                    subject=message.Subject,
                    attributes=wire,
                    group_id=message.MessageGroupId,
                    dedup_id=dedup_id,
                    sequence=sequence,
                )
                woken = self.deliveries.deliver_now(conn, delivery, s)
                if woken is None:
                    self.deliveries.stage(conn, delivery, topic.fifo)
                else:
                    wakes.append(woken)
            answers.append(Published(message_id, sequence))
        return answers, wakes

    async def _wait_publish(self, topic: Topic, batch: list[NewMessage]) -> list[Published]:
        published, wakes = await self._run(lambda c: self._publish(c, topic, batch))
        for wake in wakes:
            wake()
        return published

    async def _run(self, work: Callable[[sqlite3.Connection], T]) -> T:
        def in_transaction(conn: sqlite3.Connection) -> T:
            with transaction(conn):
                return work(conn)

        return await self._db.run(in_transaction)


def _check_large(topic: Topic, subscriptions: Sequence[Subscription | str]) -> None:
    """A topic whose MaximumMessageSize is above 256 KiB takes only queue and function
    subscriptions (`subscriptions`: its subscriptions, or their protocols), 100 at most."""
    protocols = [s if isinstance(s, str) else s.protocol for s in subscriptions]
    other = sorted({p for p in protocols if p not in attrs.LARGE_PROTOCOLS})
    if other:
        raise InvalidParameter(
            f"Protocol {other[0]} is not supported on a topic with a "
            f"MaximumMessageSize above {DEFAULT_MAX_MESSAGE_BYTES} bytes: only "
            f"{', '.join(attrs.LARGE_PROTOCOLS)} subscriptions"
        )
    if len(protocols) > attrs.LARGE_MAX_SUBSCRIPTIONS:
        raise InvalidParameter(
            f"A topic with a MaximumMessageSize above "
            f"{DEFAULT_MAX_MESSAGE_BYTES} bytes has at most "
            f"{attrs.LARGE_MAX_SUBSCRIPTIONS} subscriptions"
        )


def _check_endpoint(topic: Topic, protocol: str, endpoint: str) -> None:
    if protocol not in PROTOCOLS:
        raise InvalidParameter(
            f"Invalid protocol type: {protocol}. Stratus delivers to {', '.join(PROTOCOLS)}."
        )
    if protocol in ("http", "https") and not endpoint.lower().startswith(f"{protocol}://"):
        raise InvalidParameter("Endpoint must match the specified protocol")
    if protocol == "sqs":
        parts = endpoint.split(":")
        if len(parts) != 6 or parts[:3] != ["arn", "aws", "sqs"]:
            raise InvalidParameter("SQS endpoint ARN")
        if parts[5].endswith(FIFO_SUFFIX) and not topic.fifo:
            raise InvalidParameter("Invalid parameter: Endpoint Reason: Please use FIFO SNS topic")
    if protocol == "application" and ":endpoint/" not in endpoint:
        raise InvalidParameter("Endpoint Reason: an application endpoint ARN is required")
    if protocol == "application" and topic.fifo:
        raise InvalidParameter(
            "Invalid protocol type: application. FIFO topics deliver to SQS queues only."
        )
    if protocol in ("email", "email-json") and not _EMAIL.fullmatch(endpoint):
        raise InvalidParameter("Email address")
    if protocol in ("email", "email-json", "sms") and topic.fifo:
        raise InvalidParameter(
            f"Invalid protocol type: {protocol}. FIFO topics deliver to SQS queues only."
        )
    if protocol == "lambda":
        parts = endpoint.split(":")
        if (
            len(parts) not in (7, 8)
            or parts[:3] != ["arn", "aws", "lambda"]
            or parts[5] != ("function")
        ):
            raise InvalidParameter("Lambda endpoint ARN")
        if topic.fifo:
            raise InvalidParameter(
                "Invalid protocol type: lambda. FIFO topics deliver to SQS queues only."
            )


_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def _check_tags(tags: Mapping[str, str]) -> None:
    if len(tags) > MAX_TAGS:
        raise TagLimitExceeded()
    for key, value in tags.items():
        if not 1 <= len(key) <= 128 or len(value) > 256:
            raise InvalidParameter(
                f"Tags Reason: tag {key!r}: keys are 1 to 128 characters, values up to 256"
            )


def _batch_id(entry_id: str) -> bool:
    return 0 < len(entry_id) <= 80 and all(
        c.isascii() and (c.isalnum() or c in "-_") for c in entry_id
    )


def _sequence(seq: int) -> str:
    return f"{seq:020d}"
