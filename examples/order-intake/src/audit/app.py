"""Keeps an audit trail of every order placed (no filter policy: it sees them all)."""

import json
import os

import boto3

sqs = boto3.client("sqs")
ACTIVITY_QUEUE_URL = os.environ["ACTIVITY_QUEUE_URL"]


def handler(event, context):
    for record in event["Records"]:
        placed = json.loads(record["Sns"]["Message"])
        order = placed["detail"]
        print(f"audit: {placed['detail-type']} {order['orderId']} at {placed['time']}")
        entry = {
            "function": "audit",
            "orderId": order["orderId"],
            "eventId": placed["id"],
            "topicArn": record["Sns"]["TopicArn"],
        }
        sqs.send_message(QueueUrl=ACTIVITY_QUEUE_URL, MessageBody=json.dumps(entry))
