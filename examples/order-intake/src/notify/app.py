"""Emails the customer that an express order is coming. Its SNS subscription's filter policy
(on the message body) lets only orders with "shipping": "express" through.

An express order placed without an email cannot be notified: the handler fails, Lambda tries
once more (EventInvokeConfig MaximumRetryAttempts 1), then sends the invocation record to
the OnFailure destination, NotifyFailuresQueue."""

import json
import os

import boto3

sqs = boto3.client("sqs")
ACTIVITY_QUEUE_URL = os.environ["ACTIVITY_QUEUE_URL"]


def handler(event, context):
    for record in event["Records"]:
        placed = json.loads(record["Sns"]["Message"])  # the bus's event, envelope and all
        order = placed["detail"]
        if "email" not in order:
            raise ValueError(f"express order {order['orderId']} has no email to notify")
        print(f"notify {order['email']}: express order {order['orderId']} is on its way")
        entry = {"function": "notify", "orderId": order["orderId"], "email": order["email"]}
        sqs.send_message(QueueUrl=ACTIVITY_QUEUE_URL, MessageBody=json.dumps(entry))
