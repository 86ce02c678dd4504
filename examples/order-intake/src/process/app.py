"""Works the orders queue, a batch of up to 10 orders at a time.

An order with a SKU not in the catalog fails alone: the function answers its messageId in
`batchItemFailures` (the event source mapping has FunctionResponseTypes
ReportBatchItemFailures), so the rest of the batch is deleted and only it comes back after
the queue's visibility timeout, until maxReceiveCount sends it to the dead-letter queue.
"""

import json
import os

import boto3

sqs = boto3.client("sqs")
ACTIVITY_QUEUE_URL = os.environ["ACTIVITY_QUEUE_URL"]
CATALOG = {"PEN-BLUE": 150, "PEN-RED": 150, "NOTEBOOK-A5": 425, "INK-BLACK": 990}  # cents


def handler(event, context):
    failures = []
    for record in event["Records"]:
        order = json.loads(record["body"])
        attempt = int(record["attributes"]["ApproximateReceiveCount"])
        unknown = [item["sku"] for item in order["items"] if item["sku"] not in CATALOG]
        if unknown:
            print(f"order {order['orderId']}: unknown SKUs {unknown} (attempt {attempt})")
            failures.append({"itemIdentifier": record["messageId"]})
            outcome = {"status": "failed", "unknownSkus": unknown}
        else:
            total = sum(CATALOG[item["sku"]] * item["quantity"] for item in order["items"])
            print(f"order {order['orderId']}: accepted, {total} cents")
            outcome = {"status": "processed", "totalCents": total}
        record_activity(
            {
                "function": "process",
                "orderId": order["orderId"],
                "attempt": attempt,
                "batchSize": len(event["Records"]),
                **outcome,
            }
        )
    return {"batchItemFailures": failures}


def record_activity(entry):
    sqs.send_message(QueueUrl=ACTIVITY_QUEUE_URL, MessageBody=json.dumps(entry))
