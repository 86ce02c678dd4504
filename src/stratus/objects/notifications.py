"""S3 event notifications: a bucket's NotificationConfiguration, checked as S3 checks it, and
the delivery of each matching object event to its queues, topics, functions and the default
event bus, in AWS's record shapes.

    commit of a write or delete  --stage (same transaction)-->  work item per destination
    worker: claim -> Targets.wait_deliver (bridges.py: SendMessage, Publish, async Invoke,
            PutEvents) -> ack;  a destination that fails is retried with backoff, then
            dead-lettered (a destination that is gone: dropped, logged)

Guarantees: a notification is queued in the transaction that commits its object (ObjectService
calls `stage` inside it), so an accepted write is never without its notifications, even after
kill -9; delivery is at-least-once (S3's own promise). Order between keys is not kept; the
record's sequencer orders the events of one key, as on AWS.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import quote_plus

from stratus.config import Settings
from stratus.errors import Invalid, NotFound
from stratus.store.work import Kind, WorkItem, WorkQueue
from stratus.store.worker import Worker

from .errors import InvalidArgument
from .model import ObjectEvent

log = logging.getLogger("stratus.objects.notifications")

NOTIFICATIONS = Kind("s3-notifications", lease_s=60.0, max_attempts=20, backoff=(1.0, 300.0))

# Which member of the configuration names which kind of destination, and its ARN member.
DESTINATIONS = {
    "QueueConfigurations": ("queue", "QueueArn"),
    "TopicConfigurations": ("topic", "TopicArn"),
    "LambdaFunctionConfigurations": ("function", "LambdaFunctionArn"),
}
EVENTS = (
    "s3:ObjectCreated:*",
    "s3:ObjectCreated:Put",
    "s3:ObjectCreated:Post",
    "s3:ObjectCreated:Copy",
    "s3:ObjectCreated:CompleteMultipartUpload",
    "s3:ObjectRemoved:*",
    "s3:ObjectRemoved:Delete",
    "s3:ObjectRemoved:DeleteMarkerCreated",
    "s3:ObjectRestore:*",
    "s3:ObjectRestore:Post",
    "s3:ObjectRestore:Completed",
    "s3:ObjectRestore:Delete",
    "s3:ReducedRedundancyLostObject",
    "s3:Replication:*",
    "s3:Replication:OperationFailedReplication",
    "s3:Replication:OperationMissedThreshold",
    "s3:Replication:OperationReplicatedAfterThreshold",
    "s3:Replication:OperationNotTracked",
    "s3:LifecycleExpiration:*",
    "s3:LifecycleExpiration:Delete",
    "s3:LifecycleExpiration:DeleteMarkerCreated",
    "s3:LifecycleTransition",
    "s3:IntelligentTiering",
    "s3:ObjectTagging:*",
    "s3:ObjectTagging:Put",
    "s3:ObjectTagging:Delete",
    "s3:ObjectAcl:Put",
)
SUBJECT = "Amazon S3 Notification"


class Targets(Protocol):
    """Where notifications go (bridges.NotificationTargets). `kind` is queue, topic,
    function or bus (the default event bus; `arn` is then empty)."""

    async def wait_check(self, kind: str, arn: str) -> None:
        """NotFound if the destination does not exist, Invalid if it cannot take S3's
        notifications (a FIFO queue or topic)."""

    async def wait_deliver(self, kind: str, arn: str, message: str, delivery_id: str) -> None:
        """Deliver one message (a record's JSON, or an EventBridge entry's JSON for the bus);
        NotFound if the destination is gone. `delivery_id` is the same on every attempt (a
        function's invocation is keyed on it, so a repeat after a crash is not run twice)."""


@dataclass(frozen=True, slots=True)
class Rule:
    """One configuration of a bucket: a destination, its event names and key filter."""

    id: str
    kind: str
    arn: str
    events: tuple[str, ...]
    prefix: str
    suffix: str

    def matches(self, event: ObjectEvent) -> bool:
        name = f"s3:{event.name}"
        category = name.rsplit(":", 1)[0] + ":*"
        return (
            (name in self.events or category in self.events)
            and event.key.startswith(self.prefix)
            and event.key.endswith(self.suffix)
        )


def rules_of(config: Mapping[str, Any]) -> list[Rule]:
    rules = []
    for member, (kind, arn_member) in DESTINATIONS.items():
        for entry in config.get(member) or []:
            prefix, suffix = _filter(entry)
            rules.append(
                Rule(
                    entry.get("Id", ""),
                    kind,
                    entry.get(arn_member, ""),
                    tuple(entry.get("Events") or ()),
                    prefix,
                    suffix,
                )
            )
    return rules


def _filter(entry: Mapping[str, Any]) -> tuple[str, str]:
    prefix = suffix = ""
    for rule in ((entry.get("Filter") or {}).get("Key") or {}).get("FilterRules") or []:
        name = str(rule.get("Name", "")).lower()
        if name == "prefix":
            prefix = str(rule.get("Value", ""))
        elif name == "suffix":
            suffix = str(rule.get("Value", ""))
    return prefix, suffix


async def wait_check(config: dict[str, Any], targets: Targets | None) -> dict[str, Any]:
    """The configuration as stored (each configuration given an Id), or S3's error;
    destinations are not checked without `targets` (SkipDestinationValidation)."""
    for member, (kind, arn_member) in DESTINATIONS.items():
        for entry in config.get(member) or []:
            if not entry.get("Id"):
                entry["Id"] = _new_id()
            events = entry.get("Events") or []
            if not events:
                raise InvalidArgument("Missing required parameter: Event", "Event", "")
            for event in events:
                if event not in EVENTS:
                    raise InvalidArgument(
                        "The event is not supported for notifications", "Event", event
                    )
            _check_filter(entry)
            arn = entry.get(arn_member) or ""
            if targets is None:
                continue
            try:
                await targets.wait_check(kind, arn)
            except (NotFound, Invalid) as exc:
                raise InvalidArgument(
                    "Unable to validate the following destination configurations",
                    arn,
                    f"{exc.message}",
                ) from exc
    _check_overlaps(rules_of(config))
    return config


def _check_filter(entry: Mapping[str, Any]) -> None:
    """Prefix and suffix rules only, one of each."""
    seen: set[str] = set()
    for rule in ((entry.get("Filter") or {}).get("Key") or {}).get("FilterRules") or []:
        name = str(rule.get("Name", "")).lower()
        if name not in ("prefix", "suffix"):
            raise InvalidArgument(
                "filter rule name must be either prefix or suffix",
                "FilterRule.Name",
                str(rule.get("Name", "")),
            )
        if name in seen:
            raise InvalidArgument(
                "Cannot specify more than one prefix rule in a filter."
                if name == "prefix"
                else "Cannot specify more than one suffix rule in a filter.",
                "FilterRule.Name",
                name,
            )
        seen.add(name)
        rule["Name"] = name.capitalize()  # S3 answers Prefix and Suffix however they were sent


def _check_overlaps(rules: list[Rule]) -> None:
    """S3 refuses two configurations whose event types intersect unless their key filters
    can never match the same key: prefixes neither of which starts the other, or suffixes
    neither of which ends the other."""
    for i, one in enumerate(rules):
        for other in rules[i + 1 :]:
            if not _events_meet(one.events, other.events):
                continue
            prefixes_apart = not (
                one.prefix.startswith(other.prefix) or other.prefix.startswith(one.prefix)
            )
            suffixes_apart = not (
                one.suffix.endswith(other.suffix) or other.suffix.endswith(one.suffix)
            )
            if not (prefixes_apart or suffixes_apart):
                raise InvalidArgument(
                    "Configurations overlap. Configurations on the same bucket cannot share a "
                    "common event type.",
                    "Event",
                    next(iter(_common(one.events, other.events))),
                )


def _events_meet(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    return bool(_common(a, b))


def _common(a: tuple[str, ...], b: tuple[str, ...]) -> set[str]:
    def covers(x: str, y: str) -> bool:
        return x == y or (x.endswith(":*") and y.startswith(x[:-1]))

    return {x for x in a for y in b if covers(x, y) or covers(y, x)}


def _new_id() -> str:
    # S3 names an unnamed configuration with a random id of this shape.
    return uuid.uuid4().hex[:8] + "-" + uuid.uuid4().hex[:4] + "-" + uuid.uuid4().hex[:12]


# ---- the records ------------------------------------------------------------------------


def _iso(epoch: float) -> str:
    seconds, millis = divmod(int(epoch * 1000), 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{millis:03d}Z"


def record(settings: Settings, rule_id: str, event: ObjectEvent) -> dict[str, Any]:
    """One entry of a notification's Records, as S3 writes it (event message structure
    version 2.1)."""
    obj: dict[str, Any] = {"key": quote_plus(event.key, safe="/")}
    if event.name.startswith("ObjectCreated"):
        obj |= {"size": event.size, "eTag": event.etag}
    if event.version_id is not None:
        obj["versionId"] = event.version_id
    obj["sequencer"] = event.sequencer
    return {
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "awsRegion": settings.region,
        "eventTime": _iso(event.time),
        "eventName": event.name,
        "userIdentity": {"principalId": f"AWS:{settings.account_id}"},
        "requestParameters": {"sourceIPAddress": event.source_ip or "127.0.0.1"},
        "responseElements": {
            "x-amz-request-id": event.request_id or uuid.uuid4().hex[:16].upper(),
            "x-amz-id-2": uuid.uuid4().hex + uuid.uuid4().hex,
        },
        "s3": {
            "s3SchemaVersion": "1.0",
            "configurationId": rule_id,
            "bucket": {
                "name": event.bucket,
                "ownerIdentity": {"principalId": settings.account_id},
                "arn": f"arn:aws:s3:::{event.bucket}",
            },
            "object": obj,
        },
    }


def bus_entry(settings: Settings, event: ObjectEvent) -> dict[str, Any]:
    """The PutEvents entry S3 sends the default bus ("Object Created" / "Object Deleted")."""
    created = event.name.startswith("ObjectCreated")
    obj: dict[str, Any] = {"key": event.key}
    if created:
        obj |= {"size": event.size, "etag": event.etag}
    if event.version_id is not None:
        obj["version-id"] = event.version_id
    obj["sequencer"] = event.sequencer
    detail: dict[str, Any] = {
        "version": "0",
        "bucket": {"name": event.bucket},
        "object": obj,
        "request-id": event.request_id or uuid.uuid4().hex[:16].upper(),
        "requester": settings.account_id,
        "source-ip-address": event.source_ip or "127.0.0.1",
        "reason": _REASONS.get(event.name, "PutObject"),
    }
    if event.name.endswith(":DeleteMarkerCreated"):
        detail["deletion-type"] = "Delete Marker Created"
    elif event.name.endswith(":Delete"):
        detail["deletion-type"] = "Permanently Deleted"
    return {
        "Source": "aws.s3",
        "DetailType": "Object Created" if created else "Object Deleted",
        "Detail": json.dumps(detail),
        "Resources": [f"arn:aws:s3:::{event.bucket}"],
        "Time": event.time,
    }


_REASONS = {
    "ObjectCreated:Put": "PutObject",
    "ObjectCreated:Post": "POST Object",
    "ObjectCreated:Copy": "CopyObject",
    "ObjectCreated:CompleteMultipartUpload": "CompleteMultipartUpload",
    "ObjectRemoved:Delete": "DeleteObject",
    "ObjectRemoved:DeleteMarkerCreated": "DeleteObject",
    "LifecycleExpiration:Delete": "Lifecycle Expiration",
    "LifecycleExpiration:DeleteMarkerCreated": "Lifecycle Expiration",
}


def test_event(bucket: str) -> str:
    """What S3 sends each queue and topic when a configuration is set."""
    return json.dumps(
        {
            "Service": "Amazon S3",
            "Event": "s3:TestEvent",
            "Time": _iso(time.time()),
            "Bucket": bucket,
            "RequestId": uuid.uuid4().hex[:16].upper(),
            "HostId": uuid.uuid4().hex + uuid.uuid4().hex,
        }
    )


# ---- delivery ---------------------------------------------------------------------------


class Notifications:
    """Stages each object event's notifications and delivers them (the worker)."""

    def __init__(self, settings: Settings, work: WorkQueue, targets: Targets) -> None:
        self.settings = settings
        self.targets = targets
        self._work = work
        self._worker = Worker(work, NOTIFICATIONS, self._wait_deliver, parallel=8)

    def stage(
        self, conn: sqlite3.Connection, event: ObjectEvent, config: Mapping[str, Any] | None
    ) -> None:
        """Inside the transaction that commits `event`: one work item per destination."""
        if not config:
            return
        base = f"{event.bucket}/{event.key}/{event.sequencer}"
        for rule in rules_of(config):
            if rule.matches(event):
                body = json.dumps({"Records": [record(self.settings, rule.id, event)]})
                self._enqueue(conn, f"{base}/{rule.id}", rule.kind, rule.arn, body)
        if config.get("EventBridgeConfiguration") is not None:
            body = json.dumps(bus_entry(self.settings, event))
            self._enqueue(conn, f"{base}/eventbridge", "bus", "", body)

    def stage_test_events(
        self, conn: sqlite3.Connection, bucket: str, config: Mapping[str, Any]
    ) -> None:
        """S3's s3:TestEvent to each queue and topic of a configuration just set."""
        for rule in rules_of(config):
            if rule.kind in ("queue", "topic"):
                message = test_event(bucket)
                self._enqueue(conn, f"test/{uuid.uuid4()}", rule.kind, rule.arn, message)

    def _enqueue(self, conn: sqlite3.Connection, id: str, kind: str, arn: str, body: str) -> None:
        payload = json.dumps({"kind": kind, "arn": arn, "message": body}).encode()
        self._work.enqueue(conn, NOTIFICATIONS, id, payload, subject=arn)

    async def wait_run_forever(self) -> None:
        await self._worker.wait_run_forever()

    async def _wait_deliver(self, item: WorkItem) -> None:
        work = self._work
        spec = json.loads(item.payload)
        try:
            delivery_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"s3-notification:{item.id}"))
            await self.targets.wait_deliver(spec["kind"], spec["arn"], spec["message"], delivery_id)
        except (NotFound, Invalid) as exc:  # gone or refusing for good: as S3, dropped
            log.warning("S3 notification to %s dropped: %s", spec["arn"] or "the bus", exc)
        except Exception as exc:  # anything else: try again later
            reason = f"{type(exc).__name__}: {exc}"
            await work.db.run(lambda conn: work.retry(conn, item, reason=reason))
            return
        await work.db.run(lambda conn: work.ack(conn, item))
