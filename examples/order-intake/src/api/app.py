"""POST /orders: check the order's shape, give it an id and put an OrderPlaced event on the bus.

Whether the SKUs exist is not checked here: that is the queue consumer's job (see process/),
so a well-formed order with an unknown SKU is accepted (202) and fails later, asynchronously.
"""

import base64
import json
import os
import uuid

import boto3

events = boto3.client("events")
BUS_NAME = os.environ["BUS_NAME"]
SHIPPING = ("standard", "express")


def handler(event, context):
    try:
        order = parse(event)
    except ValueError as problem:
        return answer(400, {"message": str(problem)})
    order["orderId"] = str(uuid.uuid4())
    result = events.put_events(
        Entries=[
            {
                "EventBusName": BUS_NAME,
                "Source": "order-intake",
                "DetailType": "OrderPlaced",
                "Detail": json.dumps(order),
            }
        ]
    )
    if result["FailedEntryCount"]:
        entry = result["Entries"][0]
        print(f"PutEvents refused order {order['orderId']}: {entry}")
        return answer(502, {"message": "the order could not be placed, try again"})
    print(f"placed order {order['orderId']} as event {result['Entries'][0]['EventId']}")
    return answer(202, {"orderId": order["orderId"], "status": "accepted"})


def parse(event):
    """The order in the request's body, or ValueError saying what is wrong with it."""
    body = event.get("body") or ""
    if event.get("isBase64Encoded"):
        body = base64.b64decode(body).decode()
    try:
        order = json.loads(body)
    except json.JSONDecodeError:
        raise ValueError("the body must be JSON") from None
    if not isinstance(order, dict):
        raise ValueError("the body must be a JSON object")
    customer, items = order.get("customer"), order.get("items")
    shipping = order.get("shipping", "standard")
    if not isinstance(customer, str) or not customer:
        raise ValueError("customer: a non-empty string is required")
    if not isinstance(items, list) or not items:
        raise ValueError("items: a non-empty list is required")
    for item in items:
        if not (
            isinstance(item, dict)
            and isinstance(item.get("sku"), str)
            and type(item.get("quantity")) is int
            and item["quantity"] > 0
        ):
            raise ValueError("items: each needs a sku (string) and a quantity (integer > 0)")
    if shipping not in SHIPPING:
        raise ValueError(f"shipping: one of {', '.join(SHIPPING)}")
    email = order.get("email")
    if email is not None and not (isinstance(email, str) and "@" in email):
        raise ValueError("email: an address with an @")
    placed = {
        "customer": customer,
        "items": [{"sku": item["sku"], "quantity": item["quantity"]} for item in items],
        "shipping": shipping,
    }
    return placed if email is None else placed | {"email": email}


def answer(status, body):
    return {
        "statusCode": status,
        "headers": {"content-type": "application/json"},
        "body": json.dumps(body),
    }
