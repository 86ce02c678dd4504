"""Answers every request with a greeting and queues the name it greeted."""

import json
import os

import boto3

sqs = boto3.client("sqs")


def handler(event, context):
    params = event.get("queryStringParameters") or {}
    name = params.get("name", "world")
    sqs.send_message(QueueUrl=os.environ["QUEUE_URL"], MessageBody=json.dumps({"name": name}))
    return {
        "statusCode": 200,
        "headers": {"content-type": "application/json"},
        "body": json.dumps({"message": f"Hello, {name}!", "path": event.get("rawPath")}),
    }
