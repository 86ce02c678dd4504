"""Greets over an HTTP API (payload format 2.0): GET /hello and GET /hello/{name}."""

import json
import os


def handler(event, context):
    params = event.get("pathParameters") or {}
    query = event.get("queryStringParameters") or {}
    name = params.get("name") or query.get("name") or "world"
    greeting = os.environ.get("GREETING", "Hello")
    print(f"greeting {name} on {event['routeKey']} (request {context.aws_request_id})")
    return {
        "statusCode": 200,
        "headers": {"content-type": "application/json"},
        "body": json.dumps({"message": f"{greeting}, {name}!", "route": event["routeKey"]}),
    }
