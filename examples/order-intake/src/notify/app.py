"""Tells the customer an express order is coming. Its SNS subscription's filter policy
(on the message body) lets only orders with "shipping": "express" through."""

import json
import os

import boto3

sqs = boto3.client("sqs")
ACTIVITY_QUEUE_URL = os.environ["ACTIVITY_QUEUE_URL"]


def handler(event, context):
    for record in event["Records"]:
        placed = json.loads(record["Sns"]["Message"])  # the bus's event, envelope and all
        order = placed["detail"]
        print(f"notify {order['customer']}: express order {order['orderId']} is on its way")
        entry = {"function": "notify", "orderId": order["orderId"], "customer": order["customer"]}
        sqs.send_message(QueueUrl=ACTIVITY_QUEUE_URL, MessageBody=json.dumps(entry))
