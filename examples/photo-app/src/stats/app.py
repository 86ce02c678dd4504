"""The photos table's stream: keeps the library's counters and an audit trail.

The event source mapping passes only INSERT and REMOVE records (FilterCriteria on
eventName), up to 25 at a time, in the order the changes were made. Each record adds to
(or takes from) the counters item - photos, pixels, and photos per format - and writes one
audit item named by the record's SequenceNumber, both in one transaction whose audit put
is conditional: a record delivered again (streams are at-least-once) is not counted twice.

A record that fails is answered in `batchItemFailures` (ReportBatchItemFailures): the
mapping retries from it on, three times, then describes it to StatsFailuresQueue.
"""

import os

import boto3

dynamodb = boto3.client("dynamodb")
STATS_TABLE = os.environ["STATS_TABLE"]


def handler(event, context):
    for record in event["Records"]:
        sequence = record["dynamodb"]["SequenceNumber"]
        try:
            count(record)
        except Exception as error:  # report it; what went before is kept
            print(f"record {sequence}: {error!r}")
            return {"batchItemFailures": [{"itemIdentifier": sequence}]}
    return {"batchItemFailures": []}


def count(record):
    sequence = record["dynamodb"]["SequenceNumber"]
    change = record["eventName"]
    image = record["dynamodb"]["NewImage" if change == "INSERT" else "OldImage"]
    key = image["key"]["S"]
    kind = image["format"]["S"]
    pixels = int(image["width"]["N"]) * int(image["height"]["N"])
    sign = 1 if change == "INSERT" else -1
    audit = {"id": {"S": f"audit#{sequence}"}, "photo": {"S": key}, "change": {"S": change}}
    try:
        dynamodb.transact_write_items(
            TransactItems=[
                {
                    "Put": {
                        "TableName": STATS_TABLE,
                        "Item": audit,
                        "ConditionExpression": "attribute_not_exists(id)",
                    }
                },
                {
                    "Update": {
                        "TableName": STATS_TABLE,
                        "Key": {"id": {"S": "totals"}},
                        "UpdateExpression": "ADD photos :one, pixels :pixels, #kind :one",
                        "ExpressionAttributeNames": {"#kind": kind},
                        "ExpressionAttributeValues": {
                            ":one": {"N": str(sign)},
                            ":pixels": {"N": str(sign * pixels)},
                        },
                    }
                },
            ]
        )
    except dynamodb.exceptions.TransactionCanceledException as error:
        reasons = error.response.get("CancellationReasons", [])
        if reasons and reasons[0].get("Code") == "ConditionalCheckFailed":
            print(f"record {sequence}: counted already")
            return
        raise
    print(f"{change} {key}: {kind}, {pixels} pixels")
