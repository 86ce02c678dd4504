"""The local outbox: where Stratus puts what SNS would send outside AWS (email, SMS).

Nothing leaves the machine: a delivery to an `email`, `email-json` or `sms` subscription,
a Publish to a PhoneNumber, a subscription's confirmation message and a sandbox number's
one-time password are each written as one log event to CloudWatch Logs, which the user
reads with the logs API (`aws logs tail`, boto3 `get_log_events`), the console or the CLI:

    SMS (topic subscriptions and direct publishes):
        group  sns/<region>/<account>/DirectPublishToPhoneNumber
        stream the phone number (+15555550100)
    email, email-json (per topic):
        group  sns/<region>/<account>/<topic name>
        stream the address (alice@example.com)
    mobile push (push.py):
        group  sns/<region>/<account>/app/<Platform>/<application name>
        stream the endpoint's id

The group names are the ones AWS gives SNS's delivery-status logs, so users look where
they would on AWS; the stream is the recipient, so one stream reads as one inbox. Each
event is a JSON object: Protocol, To, Subject (email), Body, MessageId, TopicArn.
"""

from __future__ import annotations

import json
from typing import Protocol

SMS_GROUP = "DirectPublishToPhoneNumber"


class LogSink(Protocol):
    def emit(self, log_group: str, log_stream: str, message: str, timestamp: int = 0) -> None:
        """Buffer one log event (creating its group and stream)."""

    async def wait_flush(self) -> None:
        """Commit what is buffered."""


class Outbox:
    def __init__(self, logs: LogSink | None, region: str, account: str) -> None:
        self._logs = logs
        self._prefix = f"sns/{region}/{account}/"

    def group(self, protocol: str, topic_arn: str | None) -> str:
        if protocol == "sms" or topic_arn is None:
            return self._prefix + SMS_GROUP
        return self._prefix + topic_arn.rsplit(":", 1)[-1]

    async def wait_write(
        self,
        protocol: str,
        to: str,
        body: str,
        *,
        message_id: str,
        topic_arn: str | None = None,
        subject: str | None = None,
        group: str | None = None,
    ) -> None:
        """One message, committed before this returns (a delivery acks after it); `group`
        names the log group after sns/<region>/<account>/ when not the protocol's."""
        if self._logs is None:  # a service built without logs (unit tests): nowhere to write
            return
        event = {"Protocol": protocol, "To": to}
        if protocol != "sms":
            event["Subject"] = subject or "AWS Notification Message"
        event |= {"Body": body, "MessageId": message_id}
        if topic_arn is not None:
            event["TopicArn"] = topic_arn
        name = self._prefix + group if group else self.group(protocol, topic_arn)
        self._logs.emit(name, to, json.dumps(event))
        await self._logs.wait_flush()
