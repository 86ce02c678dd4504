"""AWS::SNS::Topic, AWS::SNS::Subscription and AWS::SNS::TopicPolicy over the topic service,
as CloudFormation makes them.

    Topic         Ref = the topic ARN; GetAtt TopicArn, TopicName. Without TopicName the name
                  is generated (stack-logical-SUFFIX, `.fifo` added for FifoTopic). TopicName
                  and FifoTopic replace the topic; the attributes, Tags and the inline
                  `Subscription` list change in place (subscriptions added and removed by
                  protocol and endpoint, as CloudFormation does).
    Subscription  Ref = the subscription ARN (GetAtt Arn too). TopicArn, Protocol and Endpoint
                  replace it; FilterPolicy, FilterPolicyScope, RawMessageDelivery,
                  RedrivePolicy, DeliveryPolicy... change in place. Policies may be objects in
                  the template: they reach the service as JSON text.
    TopicPolicy   Ref = a generated id (GetAtt Id). Writes PolicyDocument to the Policy
                  attribute of each topic in Topics; deleting it puts back the default policy.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable
from typing import Any, ClassVar

from stratus.errors import NotFound, StratusError
from stratus.templates.provider import (
    Context,
    Created,
    Provider,
    ResourceFailed,
    required,
    tag_map,
    text,
)
from stratus.topics.attributes import CLEARABLE, default_policy, topic_defaults
from stratus.topics.messages import MAX_MESSAGE_BYTES
from stratus.topics.model import FIFO_SUFFIX

MAX_NAME = 256
# Template property -> topic attribute (the same name unless listed).
TOPIC_ATTRIBUTES = {
    "DisplayName": "DisplayName",
    "ContentBasedDeduplication": "ContentBasedDeduplication",
    "KmsMasterKeyId": "KmsMasterKeyId",
    "SignatureVersion": "SignatureVersion",
    "TracingConfig": "TracingConfig",
    "DataProtectionPolicy": "DataProtectionPolicy",
    "ArchivePolicy": "ArchivePolicy",
    "FifoThroughputScope": "FifoThroughputScope",
    "DeliveryPolicy": "DeliveryPolicy",
    "MaximumMessageSize": "MaximumMessageSize",
}
_CLEARED = {"RawMessageDelivery": "false"}  # what a dropped attribute is set to ("" otherwise)
SUBSCRIPTION_ATTRIBUTES = (
    "DeliveryPolicy", "FilterPolicy", "FilterPolicyScope", "RawMessageDelivery",
    "RedrivePolicy", "SubscriptionRoleArn", "ReplayPolicy",
)  # fmt: skip


def _value(value: Any) -> str:
    """A property as the attribute's text: objects as JSON, booleans lower-case."""
    return json.dumps(value) if isinstance(value, dict | list) else text(value)


def _fifo(props: dict[str, Any]) -> bool:
    return text(props.get("FifoTopic", False)).lower() == "true"


def _topic_attributes(props: dict[str, Any]) -> dict[str, str]:
    return {
        attribute: _value(props[name])
        for name, attribute in TOPIC_ATTRIBUTES.items()
        if props.get(name) is not None
    }


def _inline(props: dict[str, Any]) -> list[tuple[str, str]]:
    """The topic's `Subscription` list as (protocol, endpoint) pairs."""
    return [
        (str(required(s, "Protocol", "AWS::SNS::Topic Subscription")).lower(),
         str(required(s, "Endpoint", "AWS::SNS::Topic Subscription")))
        for s in props.get("Subscription") or []
    ]  # fmt: skip


class Topic(Provider):
    type_name = "AWS::SNS::Topic"
    # DeliveryStatusLogging is recorded: Stratus writes no delivery status logs.
    updatable: ClassVar[frozenset[str]] = frozenset(
        {*TOPIC_ATTRIBUTES, "Tags", "Subscription", "DeliveryStatusLogging"}
    )

    async def wait_create(self, ctx: Context, logical_id: str, props: dict[str, Any]) -> Created:
        fifo = _fifo(props)
        name = props.get("TopicName")
        if not name:
            room = MAX_NAME - (len(FIFO_SUFFIX) if fifo else 0)
            name = ctx.physical_name(logical_id, room) + (FIFO_SUFFIX if fifo else "")
        topics = ctx.services.topics
        with contextlib.suppress(NotFound):
            # CreateTopic is idempotent; a stack must not adopt (and later delete) a topic
            # it did not make: CloudFormation refuses, as here.
            topics.topic(topics.arn(str(name)))
            raise ResourceFailed(f"Resource of type '{self.type_name}' with identifier "
                                 f"'{topics.arn(str(name))}' already exists.")  # fmt: skip
        attributes = _topic_attributes(props) | ({"FifoTopic": "true"} if fifo else {})
        topic = await topics.create_topic(str(name), attributes, tag_map(props.get("Tags")))
        try:
            for protocol, endpoint in _inline(props):
                await topics.subscribe(topic.arn, protocol, endpoint, {})
        except StratusError:  # the resource failed: leave no topic behind
            await topics.delete_topic(topic.arn)
            raise
        return Created(topic.arn, {"TopicArn": topic.arn, "TopicName": topic.name})

    async def wait_update(
        self,
        ctx: Context,
        logical_id: str,
        current: Created,
        old: dict[str, Any],
        new: dict[str, Any],
    ) -> Created:
        topics = ctx.services.topics
        arn = current.physical_id
        defaults = _defaults(_fifo(new))
        for name, attribute in TOPIC_ATTRIBUTES.items():
            if name in old and new.get(name) is None:
                if attribute in defaults:
                    await topics.set_topic_attribute(arn, attribute, defaults[attribute])
                elif attribute in CLEARABLE:
                    await topics.set_topic_attribute(arn, attribute, "")
        for attribute, value in _topic_attributes(new).items():
            if value != _topic_attributes(old).get(attribute):
                await topics.set_topic_attribute(arn, attribute, value)
        old_tags, new_tags = tag_map(old.get("Tags")), tag_map(new.get("Tags"))
        await topics.untag(arn, [key for key in old_tags if key not in new_tags])
        if new_tags:
            await topics.tag(arn, new_tags)
        before, after = _inline(old), _inline(new)
        listed, _ = topics.list_subscriptions(None, arn)
        for s in listed:
            if (s.protocol, s.endpoint) in before and (s.protocol, s.endpoint) not in after:
                await topics.unsubscribe(s.arn)
        for protocol, endpoint in after:
            if (protocol, endpoint) not in before:
                await topics.subscribe(arn, protocol, endpoint, {})
        return current

    async def wait_delete(self, ctx: Context, physical_id: str, props: dict[str, Any]) -> None:
        await ctx.services.topics.delete_topic(physical_id)  # a missing topic is no error


def _defaults(fifo: bool) -> dict[str, str]:
    """What a dropped topic attribute goes back to (the ones that have a default)."""
    return topic_defaults(fifo) | {"MaximumMessageSize": str(MAX_MESSAGE_BYTES)}


def _subscription_attributes(props: dict[str, Any]) -> dict[str, str]:
    return {
        name: _value(props[name]) for name in SUBSCRIPTION_ATTRIBUTES if props.get(name) is not None
    }


class Subscription(Provider):
    type_name = "AWS::SNS::Subscription"
    updatable: ClassVar[frozenset[str]] = frozenset({*SUBSCRIPTION_ATTRIBUTES, "Region"})

    async def wait_create(self, ctx: Context, logical_id: str, props: dict[str, Any]) -> Created:
        topic = str(required(props, "TopicArn", self.type_name))
        protocol = str(required(props, "Protocol", self.type_name))
        endpoint = str(props.get("Endpoint") or "")
        made = await ctx.services.topics.subscribe(
            topic, protocol, endpoint, _subscription_attributes(props)
        )
        return Created(made.arn, {"Arn": made.arn})

    async def wait_update(
        self,
        ctx: Context,
        logical_id: str,
        current: Created,
        old: dict[str, Any],
        new: dict[str, Any],
    ) -> Created:
        topics = ctx.services.topics
        arn = current.physical_id
        before, after = _subscription_attributes(old), _subscription_attributes(new)
        # Dropped ones first (an empty value removes an attribute), then the changed ones.
        for name in before.keys() - after.keys():
            if name == "FilterPolicyScope":
                continue  # goes with the filter policy, or back to its default below
            await topics.set_subscription_attribute(arn, name, _CLEARED.get(name, ""))
        if (
            "FilterPolicyScope" in before
            and "FilterPolicyScope" not in after
            and ("FilterPolicy" in after)
        ):
            await topics.set_subscription_attribute(arn, "FilterPolicyScope", "MessageAttributes")
        # The scope before the policy: a body policy is checked against its scope.
        for name in sorted(after, key=lambda n: n != "FilterPolicyScope"):
            if after[name] != before.get(name):
                await topics.set_subscription_attribute(arn, name, after[name])
        return current

    async def wait_delete(self, ctx: Context, physical_id: str, props: dict[str, Any]) -> None:
        with contextlib.suppress(NotFound):
            await ctx.services.topics.unsubscribe(physical_id)


def _topic_arns(props: dict[str, Any], type_name: str) -> list[str]:
    found = required(props, "Topics", type_name)
    if not isinstance(found, list) or not found:
        raise ResourceFailed(f"Property Topics of {type_name} must be a list of topic ARNs")
    return [str(arn) for arn in found]


def _policy_text(props: dict[str, Any], type_name: str) -> str:
    return _value(required(props, "PolicyDocument", type_name))


class TopicPolicy(Provider):
    type_name = "AWS::SNS::TopicPolicy"
    updatable: ClassVar[frozenset[str]] = frozenset({"PolicyDocument", "Topics"})

    def topic_arns(self, props: dict[str, Any]) -> list[str]:
        return _topic_arns(props, self.type_name)

    async def wait_create(self, ctx: Context, logical_id: str, props: dict[str, Any]) -> Created:
        policy = _policy_text(props, self.type_name)
        for arn in self.topic_arns(props):
            await ctx.services.topics.set_topic_attribute(arn, "Policy", policy)
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
        kept = self.topic_arns(new)
        await _wait_restore(ctx, [a for a in self.topic_arns(old) if a not in kept])
        policy = _policy_text(new, self.type_name)
        for arn in kept:
            await ctx.services.topics.set_topic_attribute(arn, "Policy", policy)
        return current

    async def wait_delete(self, ctx: Context, physical_id: str, props: dict[str, Any]) -> None:
        await _wait_restore(ctx, self.topic_arns(props))


class TopicInlinePolicy(TopicPolicy):
    """The policy of one topic (TopicArn; a new topic replaces the resource)."""

    type_name = "AWS::SNS::TopicInlinePolicy"
    updatable: ClassVar[frozenset[str]] = frozenset({"PolicyDocument"})

    def topic_arns(self, props: dict[str, Any]) -> list[str]:
        return [str(required(props, "TopicArn", self.type_name))]


async def _wait_restore(ctx: Context, arns: Iterable[str]) -> None:
    """The topics' default policy back (a topic already gone needs nothing)."""
    for arn in arns:
        with contextlib.suppress(NotFound):
            policy = default_policy(arn, ctx.settings.account_id)
            await ctx.services.topics.set_topic_attribute(arn, "Policy", policy)


PROVIDERS = (Topic, Subscription, TopicPolicy, TopicInlinePolicy)
