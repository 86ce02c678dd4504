"""Greets with a module from the layer; says which version and alias answered.

Works both invoked directly (event {"name": ...}) and through the function URL (?name=...).
"""

import json

import greetings  # from the layer: /opt/python/greetings.py


def handler(event, context):
    query = event.get("queryStringParameters") or {}
    name = query.get("name") or event.get("name") or "world"
    answer = {
        "message": greetings.greet(name),
        "layer_module": greetings.__file__,
        "version": context.function_version,
        "invoked_arn": context.invoked_function_arn,
    }
    if "requestContext" in event:  # through the function URL: an HTTP answer
        return {
            "statusCode": 200,
            "headers": {"content-type": "application/json"},
            "body": json.dumps(answer),
        }
    return answer
