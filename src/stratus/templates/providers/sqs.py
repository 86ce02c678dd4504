"""AWS::SQS::Queue over the queue service, as CloudFormation makes it: `Ref` is the queue
URL; `Fn::GetAtt` gives Arn, QueueName and QueueUrl. Without QueueName the name is
generated (stack-logical-SUFFIX, with `.fifo` for a FIFO queue). RedrivePolicy and
RedriveAllowPolicy may be objects in the template; they reach the service as JSON text.
Every attribute changes in place; QueueName and FifoQueue replace the queue.

AWS::SQS::QueuePolicy writes its PolicyDocument to the Policy attribute of each queue in
Queues (URLs); Ref is a generated id (GetAtt Id). Both properties change in place; deleting
it removes the policy from the queues. Stratus keeps the policy but does not enforce it.
"""

from __future__ import annotations

import contextlib
import json
from typing import Any, ClassVar

from stratus.errors import NotFound
from stratus.queues.attributes import defaults
from stratus.queues.model import FIFO_SUFFIX
from stratus.templates.provider import (
    Context,
    Created,
    Provider,
    ResourceFailed,
    required,
    tag_map,
    text,
)

ATTRIBUTES = (
    "DelaySeconds", "MaximumMessageSize", "MessageRetentionPeriod",
    "ReceiveMessageWaitTimeSeconds", "VisibilityTimeout", "RedrivePolicy",
    "RedriveAllowPolicy", "KmsMasterKeyId", "KmsDataKeyReusePeriodSeconds",
    "SqsManagedSseEnabled", "ContentBasedDeduplication", "DeduplicationScope",
    "FifoThroughputLimit",
)  # fmt: skip
MAX_NAME = 80


def _attributes(props: dict[str, Any]) -> dict[str, str]:
    found = {
        name: json.dumps(props[name]) if isinstance(props[name], dict) else text(props[name])
        for name in ATTRIBUTES
        if props.get(name) is not None
    }
    return found


def _fifo(props: dict[str, Any]) -> bool:
    return text(props.get("FifoQueue", False)).lower() == "true"


class Queue(Provider):
    type_name = "AWS::SQS::Queue"
    updatable: ClassVar[frozenset[str]] = frozenset({*ATTRIBUTES, "Tags"})

    async def wait_create(self, ctx: Context, logical_id: str, props: dict[str, Any]) -> Created:
        name = props.get("QueueName")
        if not name:
            fifo = _fifo(props)
            room = MAX_NAME - (len(FIFO_SUFFIX) if fifo else 0)
            name = ctx.physical_name(logical_id, room) + (FIFO_SUFFIX if fifo else "")
        queues = ctx.services.queues
        attributes = _attributes(props) | ({"FifoQueue": "true"} if _fifo(props) else {})
        queue = await queues.create_queue(name, attributes, tag_map(props.get("Tags")))
        url = queues.url(queue)
        return Created(url, {"Arn": queue.arn, "QueueName": queue.name, "QueueUrl": url})

    async def wait_update(
        self,
        ctx: Context,
        logical_id: str,
        current: Created,
        old: dict[str, Any],
        new: dict[str, Any],
    ) -> Created:
        queues = ctx.services.queues
        url = current.physical_id
        # Attributes the template no longer names go back to their defaults.
        dropped = {name: "" for name in ATTRIBUTES if name in old and name not in new}
        await queues.set_attributes(url, _reset(dropped, queues.queue(url).fifo) | _attributes(new))
        old_tags, new_tags = tag_map(old.get("Tags")), tag_map(new.get("Tags"))
        await queues.untag(url, [key for key in old_tags if key not in new_tags])
        if new_tags:
            await queues.tag(url, new_tags)
        return current

    async def wait_delete(self, ctx: Context, physical_id: str, props: dict[str, Any]) -> None:
        with contextlib.suppress(NotFound):  # already gone: deleting it is done
            await ctx.services.queues.delete_queue(physical_id)


def _reset(dropped: dict[str, str], fifo: bool) -> dict[str, str]:
    """Dropped attributes at their defaults (the policies: removed)."""
    base = defaults(fifo)
    return {name: base.get(name, "") for name in dropped}


def _queue_urls(props: dict[str, Any]) -> list[str]:
    found = required(props, "Queues", QueuePolicy.type_name)
    if not isinstance(found, list) or not found:
        raise ResourceFailed("Property Queues of AWS::SQS::QueuePolicy must be a list of URLs")
    return [str(url) for url in found]


def _policy(props: dict[str, Any]) -> str:
    document = required(props, "PolicyDocument", QueuePolicy.type_name)
    return document if isinstance(document, str) else json.dumps(document)


class QueuePolicy(Provider):
    type_name = "AWS::SQS::QueuePolicy"
    updatable: ClassVar[frozenset[str]] = frozenset({"PolicyDocument", "Queues"})

    def queue_urls(self, props: dict[str, Any]) -> list[str]:
        return _queue_urls(props)

    async def wait_create(self, ctx: Context, logical_id: str, props: dict[str, Any]) -> Created:
        policy = _policy(props)
        for url in self.queue_urls(props):
            await ctx.services.queues.set_attributes(url, {"Policy": policy})
        policy_id = ctx.physical_name(logical_id)
        return Created(policy_id, {"Id": policy_id})

    async def wait_update(
        self,
        ctx: Context,
        logical_id: str,
        current: Created,
        old: dict[str, Any],
        new: dict[str, Any],
    ) -> Created:
        kept = self.queue_urls(new)
        await _wait_remove_policy(ctx, [url for url in self.queue_urls(old) if url not in kept])
        policy = _policy(new)
        for url in kept:
            await ctx.services.queues.set_attributes(url, {"Policy": policy})
        return current

    async def wait_delete(self, ctx: Context, physical_id: str, props: dict[str, Any]) -> None:
        await _wait_remove_policy(ctx, self.queue_urls(props))


class QueueInlinePolicy(QueuePolicy):
    """The policy of one queue (Queue, its URL; a new queue replaces the resource)."""

    type_name = "AWS::SQS::QueueInlinePolicy"
    updatable: ClassVar[frozenset[str]] = frozenset({"PolicyDocument"})

    def queue_urls(self, props: dict[str, Any]) -> list[str]:
        return [str(required(props, "Queue", self.type_name))]


async def _wait_remove_policy(ctx: Context, urls: list[str]) -> None:
    for url in urls:
        with contextlib.suppress(NotFound):  # the queue is gone: so is its policy
            await ctx.services.queues.set_attributes(url, {"Policy": ""})


PROVIDERS = (Queue, QueuePolicy, QueueInlinePolicy)
