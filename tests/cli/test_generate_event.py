"""`stratus generate-event`: sample events, made by the gateway's builders."""

from __future__ import annotations

import base64
import gzip
import json
import uuid
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from stratus.cli.main import app

ECHO = "def handler(event, context):\n    return {'statusCode': 200, 'body': __import__('json').dumps(event)}\n"  # noqa: E501


def generate(*args: str) -> Any:
    result = CliRunner().invoke(app, ["generate-event", *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def failing(*args: str) -> str:
    result = CliRunner().invoke(app, ["generate-event", *args], catch_exceptions=False)
    assert result.exit_code == 1
    return result.stderr


def key_paths(node: Any, prefix: str = "") -> set[str]:
    """The event's shape: every key path, except inside headers (clients differ there)."""
    if not isinstance(node, dict):
        return set()
    paths = set()
    for key, value in node.items():
        path = f"{prefix}.{key}" if prefix else key
        paths.add(path)
        if key not in ("headers", "multiValueHeaders"):
            paths |= key_paths(value, path)
    return paths


def test_rest_proxy_event_defaults():
    """aws-proxy: a POST to /path/to/resource through /{proxy+} on stage prod, JSON body."""
    event = generate("apigateway", "aws-proxy")

    assert (event["httpMethod"], event["resource"], event["path"]) == (
        "POST",
        "/{proxy+}",
        "/path/to/resource",
    )
    assert event["pathParameters"] == {"proxy": "path/to/resource"}
    assert event["requestContext"]["stage"] == "prod"
    assert event["requestContext"]["path"] == "/prod/path/to/resource"
    assert event["requestContext"]["accountId"] == "000000000000"
    assert json.loads(event["body"]) == {"message": "hello"}
    assert event["isBase64Encoded"] is False
    assert "version" not in event


def test_options_shape_the_request():
    """--method, --path, --resource, --body, --stage, --query and --header all reach the event."""
    event = generate(
        "apigateway", "aws-proxy", "--method", "put", "--path", "pets/7",
        "--resource", "/pets/{id}", "--body", "plain", "--stage", "dev",
        "--query", "a=1&a=2", "-H", "X-Trace: abc",
    )  # fmt: skip

    assert (event["httpMethod"], event["path"], event["resource"]) == (
        "PUT",
        "/pets/7",
        "/pets/{id}",
    )
    assert event["pathParameters"] == {"id": "7"}
    assert event["body"] == "plain"
    assert event["requestContext"]["stage"] == "dev"
    assert event["multiValueQueryStringParameters"] == {"a": ["1", "2"]}
    assert event["queryStringParameters"] == {"a": "2"}
    assert event["headers"]["X-Trace"] == "abc"


def test_http_api_event():
    """http-api-proxy: payload 2.0, the $default route and stage unless a route is given."""
    default = generate("apigateway", "http-api-proxy")
    routed = generate(
        "apigateway", "http-api-proxy", "--method", "GET", "--resource", "/pets/{id}",
        "--path", "/pets/3", "--body", "",
    )  # fmt: skip

    assert (default["version"], default["routeKey"]) == ("2.0", "$default")
    assert default["requestContext"]["stage"] == "$default"
    assert default["rawPath"] == "/path/to/resource"
    assert routed["routeKey"] == "GET /pets/{id}"
    assert routed["pathParameters"] == {"id": "3"}
    assert "body" not in routed


def test_authorizer_events():
    """authorizer is the TOKEN input; request-authorizer the REQUEST input, without a body."""
    token = generate("apigateway", "authorizer", "--token", "secret", "--path", "/pets/1")
    request = generate("apigateway", "request-authorizer", "-H", "HeaderAuth1: v1")

    assert token == {
        "type": "TOKEN",
        "authorizationToken": "secret",
        "methodArn": "arn:aws:execute-api:us-east-1:000000000000:a1b2c3d4e5/prod/GET/pets/1",
    }
    assert list(request)[:2] == ["type", "methodArn"]
    assert request["type"] == "REQUEST"
    assert request["methodArn"].endswith(":a1b2c3d4e5/prod/GET/request")
    assert request["headers"]["HeaderAuth1"] == "v1"
    assert "body" not in request
    assert "isBase64Encoded" not in request


def test_function_url_event():
    """lambda function-url: payload 2.0 with routeKey $default and the url-id as domain."""
    event = generate("lambda", "function-url", "--method", "GET", "--path", "/hi")

    assert (event["routeKey"], event["rawPath"]) == ("$default", "/hi")
    context = event["requestContext"]
    assert context["domainName"] == f"{context['apiId']}.lambda-url.localhost"
    assert len(context["apiId"]) == 32
    assert context["accountId"] == "anonymous"


def test_listing_and_unknown_names():
    """No arguments list the events; an unknown service or event lists the known ones."""
    listing = CliRunner().invoke(app, ["generate-event"])
    unknown_service = failing("kinesis", "get-records")
    unknown_event = failing("apigateway", "websocket")
    bad_path = failing("apigateway", "aws-proxy", "--resource", "/pets/{id}", "--path", "/x/y")

    assert listing.exit_code == 0
    assert "apigateway     aws-proxy" in listing.stdout
    assert "lambda         function-url" in listing.stdout
    assert "s3             put" in listing.stdout
    assert "unknown service 'kinesis'" in unknown_service
    assert "apigateway     http-api-proxy" in unknown_service
    assert "unknown event 'websocket' for apigateway; its events are: aws-proxy" in unknown_event
    assert "--path /x/y does not match --resource /pets/{id}" in bad_path


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_generated_events_have_the_shape_the_gateway_sends(server, deploy, lambda_client, method):
    """A function behind an HTTP API and a function URL receives events with exactly the keys
    of the generated ones."""
    name = deploy(ECHO)
    apigw = server.client("apigatewayv2")
    arn = f"arn:aws:lambda:{server.settings.region}:{server.settings.account_id}:function:{name}"
    api_id = apigw.create_api(Name="shape", ProtocolType="HTTP", Target=arn)["ApiId"]
    url = lambda_client.create_function_url_config(FunctionName=name, AuthType="NONE")
    url_id = url["FunctionUrl"].split("//")[1].split(".")[0]
    body = '{"message": "hello"}' if method == "POST" else None
    try:
        via_api = httpx.request(
            method, f"{server.endpoint_url}/_aws/execute-api/{api_id}/path/to/resource",
            content=body, headers={"content-type": "application/json"} if body else {},
        ).json()  # fmt: skip
        via_url = httpx.request(
            method, f"{server.endpoint_url}/_aws/lambda-url/{url_id}/path/to/resource",
            content=body, headers={"content-type": "application/json"} if body else {},
        ).json()  # fmt: skip
    finally:
        apigw.delete_api(ApiId=api_id)
    body_args = () if body else ("--body", "")

    generated_api = generate("apigateway", "http-api-proxy", "--method", method, *body_args)
    generated_url = generate("lambda", "function-url", "--method", method, *body_args)

    assert key_paths(generated_api) == key_paths(via_api)
    assert key_paths(generated_url) == key_paths(via_url)


# ---- the services' events ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("service", "event", "source"),
    [
        ("sqs", "receive-message", "aws:sqs"),
        ("s3", "put", "aws:s3"),
        ("s3", "delete", "aws:s3"),
        ("dynamodb", "update", "aws:dynamodb"),
    ],
)
def test_record_events_name_their_source(service: str, event: str, source: str) -> None:
    records = generate(service, event)["Records"]
    assert records
    assert {r["eventSource"] for r in records} == {source}


def test_options_reach_the_service_events() -> None:
    (s3,) = generate("s3", "put", "--bucket", "photos", "--key", "a b/c.jpg")["Records"]
    assert s3["s3"]["bucket"]["name"] == "photos"
    assert s3["s3"]["object"]["key"] == "a+b/c.jpg"  # as S3 writes keys in notifications
    assert s3["eventName"] == "ObjectCreated:Put"
    (sqs,) = generate("sqs", "receive-message", "--body", "hi")["Records"]
    assert sqs["body"] == "hi"
    assert sqs["md5OfBody"] == "49f68a5c8493ec2c0bf489821c21fc3b"
    (sns,) = generate("sns", "notification", "--body", "hey")["Records"]
    assert sns["EventSource"] == "aws:sns"
    assert sns["Sns"]["Message"] == "hey"
    changes = generate("dynamodb", "update")["Records"]
    assert [c["eventName"] for c in changes] == ["INSERT", "MODIFY", "REMOVE"]
    assert all(c["eventSourceARN"].endswith(c["eventSourceARN"].split("/")[-1]) for c in changes)
    for name in ("cloudwatch", "eventbridge"):
        scheduled = generate(name, "scheduled-event")
        assert scheduled["detail-type"] == "Scheduled Event"
        assert scheduled["source"] == "aws.events"
    update = generate("cloudformation", "update-request")
    assert update["RequestType"] == "Update"
    assert update["OldResourceProperties"]["Name"] == "old value"
    assert "X-Amz-Signature=" in update["ResponseURL"]
    assert "PhysicalResourceId" not in generate("cloudformation", "create-request")


def test_s3_event_has_the_shape_of_a_real_notification(server: Any) -> None:
    """A real notification (to a queue, whose message is the notification) and the generated
    event have the same keys."""
    s3, sqs = server.client("s3"), server.client("sqs")
    bucket = f"gen-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    url = sqs.create_queue(QueueName=bucket)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    s3.put_bucket_notification_configuration(
        Bucket=bucket,
        NotificationConfiguration={
            "QueueConfigurations": [{"QueueArn": arn, "Events": ["s3:ObjectCreated:*"]}]
        },
    )
    s3.put_object(Bucket=bucket, Key="test/key", Body=b"hello")
    real = None
    for _ in range(10):
        got = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=2).get("Messages", [])
        bodies = [json.loads(m["Body"]) for m in got]
        real = next((b for b in bodies if "Records" in b), None)
        if real:
            break
    assert real is not None
    assert key_paths(generate("s3", "put")) == key_paths(real)


def test_log_subscription_and_bus_events() -> None:
    data = generate("cloudwatch", "logs", "--body", "[ERROR] boom")["awslogs"]["data"]
    batch = json.loads(gzip.decompress(base64.b64decode(data)))
    assert batch["messageType"] == "DATA_MESSAGE"
    assert [e["message"] for e in batch["logEvents"]] == ["[ERROR] boom"]
    assert batch["logGroup"] == "/aws/lambda/my-function"
    assert batch["subscriptionFilters"] == ["my-filter"]
    event = generate("eventbridge", "event", "--body", '{"orderId": "7"}')
    assert event["detail"] == {"orderId": "7"}
    assert {"version", "id", "detail-type", "source", "account", "time", "region"} <= set(event)
    assert "JSON object" in failing("eventbridge", "event", "--body", "[1]")
