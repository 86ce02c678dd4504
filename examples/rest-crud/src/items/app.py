"""Items CRUD behind a REST API (Lambda proxy integration, payload format 1.0).

    GET    /items        list            POST   /items  create (201)
    GET    /items/{id}   read (404)      PUT    /items/{id}  replace (404)
    DELETE /items/{id}   delete (204, 404)

Items live in a JSON file under the environment's /tmp, so they last as long as the warm
execution environment does: a demo store. On AWS this would be a DynamoDB table (see the
comments in template.yaml); Stratus has no DynamoDB yet.
"""

import json
import os
import uuid
from pathlib import Path

ITEMS_FILE = Path(os.environ.get("ITEMS_FILE", "/tmp/items.json"))


def handler(event, context):
    method = event["httpMethod"]
    item_id = (event.get("pathParameters") or {}).get("id")
    user = (event["requestContext"].get("authorizer") or {}).get("user")
    # On AWS: table = boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"]) and
    # table.scan / get_item / put_item / delete_item below instead of the file.
    items = _load()
    if item_id is None and method == "GET":
        return _answer(200, {"items": sorted(items.values(), key=lambda item: item["id"])})
    if item_id is None and method == "POST":
        body, error = _body(event)
        if error:
            return error
        item = {**body, "id": uuid.uuid4().hex[:12], "owner": user}
        items[item["id"]] = item
        _save(items)
        return _answer(201, item)
    if item_id not in items:
        return _answer(404, {"message": f"no item {item_id}"})
    if method == "GET":
        return _answer(200, items[item_id])
    if method == "PUT":
        body, error = _body(event)
        if error:
            return error
        items[item_id] = {**body, "id": item_id, "owner": user}
        _save(items)
        return _answer(200, items[item_id])
    if method == "DELETE":
        del items[item_id]
        _save(items)
        return {"statusCode": 204, "body": ""}
    return _answer(405, {"message": f"{method} is not supported"})


def _body(event):
    try:
        body = json.loads(event.get("body") or "")
    except ValueError:
        return None, _answer(400, {"message": "the body must be a JSON object"})
    if not isinstance(body, dict):
        return None, _answer(400, {"message": "the body must be a JSON object"})
    return body, None


def _load():
    try:
        return json.loads(ITEMS_FILE.read_text())
    except FileNotFoundError:
        return {}


def _save(items):
    ITEMS_FILE.write_text(json.dumps(items))


def _answer(status, body):
    return {
        "statusCode": status,
        "headers": {"Content-Type": "application/json"},
        "body": json.dumps(body),
    }
