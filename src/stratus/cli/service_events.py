"""Sample events of the services around functions, for `stratus generate-event`, as
`sam local generate-event` names them:

    sqs             receive-message     an event source mapping's batch (one record)
    sns             notification        a subscribed function's event
    s3              put | delete        a bucket notification's event
    dynamodb        update              a stream's batch (INSERT, MODIFY, REMOVE)
    cloudwatch      scheduled-event     a schedule rule firing (also under eventbridge)
    cloudwatch      logs                a subscription filter's `awslogs` batch
    eventbridge     event               a rule's target's event for a PutEvents entry
    cloudformation  create-request | update-request | delete-request
                                        a custom resource's request

Each is made by the code that makes the real one (mappings/records.py, topics/delivery.py,
objects/notifications.py, tables/stream_reader.py, events/service.py, observe/log_filters.py,
templates/providers/custom.py) from a sample of what that code is given, so a function
tried with it sees what Stratus will send.
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from stratus.config import Settings
from stratus.events.service import EntryError, envelope, scheduled_event
from stratus.mappings.records import record as sqs_record
from stratus.mappings.seams import Message
from stratus.objects.model import ObjectEvent
from stratus.objects.notifications import record as s3_record
from stratus.observe.log_filters import subscription_event
from stratus.observe.logs import LogEvent
from stratus.tables.stream_reader import stream_record
from stratus.templates.providers.custom import custom_request, response_bucket, response_url
from stratus.topics.delivery import Delivery, lambda_event

from .endpoint import DEFAULT_ENDPOINT_URL
from .errors import CliError


@dataclass(frozen=True, slots=True)
class Sample:
    """What the person may change in these events."""

    region: str
    account_id: str
    time: datetime
    body: str | None = None  # the message or body
    bucket: str = "example-bucket"
    key: str = "test/key"
    queue: str = "my-queue"
    topic: str = "sns-lambda"
    table: str = "ExampleTableWithStream"
    endpoint_url: str = DEFAULT_ENDPOINT_URL


def _arn(sample: Sample, service: str, resource: str) -> str:
    return f"arn:aws:{service}:{sample.region}:{sample.account_id}:{resource}"


def sqs_receive_message(sample: Sample) -> dict[str, Any]:
    body = "Hello from SQS!" if sample.body is None else sample.body
    sent = str(int(sample.time.timestamp() * 1000))
    message = Message(
        message_id=str(uuid.uuid4()),
        receipt_handle=base64.b64encode(uuid.uuid4().bytes * 3).decode(),
        body=body,
        md5_of_body=hashlib.md5(body.encode(), usedforsecurity=False).hexdigest(),
        attributes={
            "ApproximateReceiveCount": "1",
            "SentTimestamp": sent,
            "SenderId": sample.account_id,
            "ApproximateFirstReceiveTimestamp": sent,
        },
    )
    queue_arn = _arn(sample, "sqs", sample.queue)
    return {"Records": [sqs_record(message, queue_arn, sample.region)]}


def sns_notification(sample: Sample) -> dict[str, Any]:
    topic_arn = _arn(sample, "sns", sample.topic)
    delivery = Delivery(
        type="Notification",
        message_id=str(uuid.uuid4()),
        topic_arn=topic_arn,
        subscription_arn=f"{topic_arn}:{uuid.uuid4()}",
        message="Hello from SNS!" if sample.body is None else sample.body,
        timestamp=sample.time.strftime("%Y-%m-%dT%H:%M:%S.") + f"{sample.time:%f}"[:3] + "Z",
        subject="TestInvoke",
    )
    event: dict[str, Any] = json.loads(lambda_event(delivery, sample.endpoint_url))
    return event


def _s3(sample: Sample, name: str) -> dict[str, Any]:
    created = name.startswith("ObjectCreated")
    body = (sample.body or "Hello from S3!").encode() if created else b""
    event = ObjectEvent(
        name=name,
        bucket=sample.bucket,
        key=sample.key,
        size=len(body),
        etag=hashlib.md5(body, usedforsecurity=False).hexdigest() if created else "",
        version_id=None,
        sequencer=f"{time.time_ns():016X}"[:16],
        time=sample.time.timestamp(),
    )
    settings = Settings(region=sample.region, account_id=sample.account_id)
    return {"Records": [s3_record(settings, "testConfigRule", event)]}


def s3_put(sample: Sample) -> dict[str, Any]:
    return _s3(sample, "ObjectCreated:Put")


def s3_delete(sample: Sample) -> dict[str, Any]:
    return _s3(sample, "ObjectRemoved:Delete")


def dynamodb_update(sample: Sample) -> dict[str, Any]:
    table_arn = _arn(sample, "dynamodb", f"table/{sample.table}")
    stream_arn = f"{table_arn}/stream/{sample.time:%Y-%m-%dT%H:%M:%S.000}"
    keys = {"Id": {"N": "101"}}
    first = {"Message": {"S": "New item!"}, **keys}
    second = {"Message": {"S": "This item has changed"}, **keys}
    changes: list[dict[str, Any]] = [
        {"eventName": "INSERT", "Keys": keys, "NewImage": first},
        {"eventName": "MODIFY", "Keys": keys, "OldImage": first, "NewImage": second},
        {"eventName": "REMOVE", "Keys": keys, "OldImage": second},
    ]
    records = []
    created = sample.time.timestamp()
    for seq, change in enumerate(changes, start=111):
        body = {
            **change,
            "SizeBytes": len(json.dumps(change)) // 2,
            "StreamViewType": "NEW_AND_OLD_IMAGES",
        }
        shaped = stream_record(body, seq, created, sample.region)
        # A function's event carries the time as epoch seconds, and the stream's ARN.
        shaped["dynamodb"]["ApproximateCreationDateTime"] = float(int(created))
        shaped["eventSourceARN"] = stream_arn
        records.append(shaped)
    return {"Records": records}


def scheduled(sample: Sample) -> dict[str, Any]:
    rule_arn = _arn(sample, "events", "rule/my-schedule")
    return scheduled_event(rule_arn, sample.time, sample.account_id, sample.region)


def cloudwatch_logs(sample: Sample) -> dict[str, Any]:
    at = int(sample.time.timestamp() * 1000)
    lines = (
        [sample.body]
        if sample.body is not None
        else ["[ERROR] First test message", "[ERROR] Second test message"]
    )
    group, stream = "/aws/lambda/my-function", f"{sample.time:%Y/%m/%d}/[$LATEST]0123456789abcdef"
    events = [
        LogEvent(id=at * 1000 + n, log_group=group, log_stream=stream, timestamp=at, message=line)
        for n, line in enumerate(lines)
    ]
    return subscription_event(sample.account_id, group, stream, ["my-filter"], events)


def eventbridge_event(sample: Sample) -> dict[str, Any]:
    entry = {
        "Source": "com.example.orders",
        "DetailType": "Order Placed",
        "Detail": '{"orderId": "1234", "amount": 42}' if sample.body is None else sample.body,
    }
    try:
        return envelope(entry, sample.time.timestamp(), sample.account_id, sample.region)
    except EntryError as exc:  # --body is not a JSON object
        raise CliError(f"--body: {exc.message} The detail must be a JSON object.") from exc


def _custom(request_type: str, sample: Sample) -> dict[str, Any]:
    stack_id = _arn(sample, "cloudformation", f"stack/my-stack/{uuid.uuid4()}")
    request_id = str(uuid.uuid4())
    bucket = response_bucket(sample.region)
    url = response_url(
        sample.endpoint_url, sample.region, bucket, f"{stack_id}|MyResource|{request_id}"
    )
    props = {
        "ServiceToken": _arn(sample, "lambda", "function:my-custom-resource"),
        "Name": "value",
        "List": ["1", "2", "3"],
    }
    physical = None if request_type == "Create" else "my-resource-id"
    old = {**props, "Name": "old value"} if request_type == "Update" else None
    return custom_request(
        request_type, url, stack_id, request_id, "MyResource", "Custom::MyResource",
        props, physical, old,
    )  # fmt: skip


def cloudformation_create(sample: Sample) -> dict[str, Any]:
    return _custom("Create", sample)


def cloudformation_update(sample: Sample) -> dict[str, Any]:
    return _custom("Update", sample)


def cloudformation_delete(sample: Sample) -> dict[str, Any]:
    return _custom("Delete", sample)
