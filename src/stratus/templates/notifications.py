"""A stack's NotificationARNs: each of its events is published to those topics, in the text
form CloudFormation publishes (`Key='value'` lines, Subject "AWS CloudFormation
Notification"). A topic that is gone or refuses is logged and skipped; the stack goes on,
as on AWS."""

from __future__ import annotations

import logging

from stratus.errors import StratusError
from stratus.services import Services
from stratus.topics.model import NewMessage

from .model import Stack, StackEvent

log = logging.getLogger("stratus.templates")
SUBJECT = "AWS CloudFormation Notification"


def message(event: StackEvent, account_id: str) -> str:
    fields = {
        "StackId": event.StackId,
        "Timestamp": event.Timestamp.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
        "EventId": event.EventId,
        "LogicalResourceId": event.LogicalResourceId,
        "Namespace": account_id,
        "PhysicalResourceId": event.PhysicalResourceId or "",
        "PrincipalId": account_id,
        "ResourceProperties": event.ResourceProperties or "null",
        "ResourceStatus": event.ResourceStatus,
        "ResourceStatusReason": event.ResourceStatusReason or "",
        "ResourceType": event.ResourceType,
        "StackName": event.StackName,
        "ClientRequestToken": "null",
    }
    return "".join(f"{key}='{value}'\n" for key, value in fields.items())


async def wait_publish(services: Services, stack: Stack, event: StackEvent) -> None:
    for topic_arn in stack.NotificationARNs:
        text = message(event, services.settings.account_id)
        try:
            await services.topics.publish(topic_arn, NewMessage(Message=text, Subject=SUBJECT))
        except StratusError as exc:
            log.info("stack %s: notification to %s failed: %s", stack.StackName, topic_arn, exc)
