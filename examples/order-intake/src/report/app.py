"""The nightly report (02:00 UTC, an EventBridge Scheduler schedule): how many orders wait,
are being worked, and have failed into the dead-letter queue."""

import json
import os

import boto3

sqs = boto3.client("sqs")
ACTIVITY_QUEUE_URL = os.environ["ACTIVITY_QUEUE_URL"]


def handler(event, context):
    orders = counts(os.environ["ORDERS_QUEUE_URL"])
    dead = counts(os.environ["DEAD_LETTER_QUEUE_URL"])
    report = {
        "function": "report",
        "input": event,
        "waiting": orders["ApproximateNumberOfMessages"],
        "inFlight": orders["ApproximateNumberOfMessagesNotVisible"],
        "deadLettered": dead["ApproximateNumberOfMessages"],
    }
    print(f"nightly report: {report}")
    sqs.send_message(QueueUrl=ACTIVITY_QUEUE_URL, MessageBody=json.dumps(report))
    return report


def counts(queue_url):
    names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    attributes = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=names)
    return {name: int(attributes["Attributes"][name]) for name in names}
