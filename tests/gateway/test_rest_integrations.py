"""REST APIs' non-proxy integrations end to end: AWS (Lambda and AWS services), HTTP and
HTTP_PROXY back ends with mapping templates, made with boto3's `apigateway`, called over
HTTP through the gateway."""

from __future__ import annotations

import json
from typing import Any

import pytest

HELLO = """
def handler(event, context):
    if event.get("fail"):
        raise ValueError("Bad input: " + event["fail"])
    return {"greeting": "hello " + event["name"], "seen": event}
"""

NEW_ITEM = """
import json
def handler(event, context):
    return {"statusCode": 200, "body": json.dumps(event)}
"""


def _respond(apigateway: Any, api: Any, resource_id: str, method: str, **response: Any) -> None:
    api.respond(resource_id, method, **response)


def test_a_lambda_custom_integration_maps_request_and_response(rest_api, deploy, apigateway):
    """The request template builds the event; the default response's template reshapes the
    result; an error whose message matches a selectionPattern gets that response, with
    $input reading the error; a template that makes no JSON event is a 500."""
    api = rest_api()
    function = deploy(HELLO)
    request_template = """#set($body = $input.path('$'))
{"name": "$body.name", "fail": #if($body.fail)"$body.fail"#else null#end}"""
    resource_id = api.method(
        "/people",
        "POST",
        integration={
            "type": "AWS",
            "integrationHttpMethod": "POST",
            "uri": api.function_uri(function),
            "requestTemplates": {"application/json": request_template, "text/plain": "not json"},
        },
    )
    _respond(
        apigateway,
        api,
        resource_id,
        "POST",
        responseTemplates={"application/json": "{\"said\": $input.json('$.greeting')}"},
        responseParameters={"method.response.header.X-Said": "integration.response.body.greeting"},
    )
    _respond(
        apigateway,
        api,
        resource_id,
        "POST",
        statusCode="400",
        selectionPattern="Bad input.*",
        responseTemplates={
            "application/json": (
                '{"problem": "$util.escapeJavaScript($input.path(\'$.errorMessage\'))"}'
            )
        },
    )
    api.deploy("prod")

    ok = api.call("POST", "/prod/people", json={"name": "ada"})
    failed = api.call("POST", "/prod/people", json={"name": "bob", "fail": "no name"})
    not_json = api.call("POST", "/prod/people", content="x", headers={"content-type": "text/plain"})

    assert ok.status_code == 200, ok.text
    assert ok.json() == {"said": "hello ada"}
    assert ok.headers["x-said"] == "hello ada"
    assert ok.headers["content-type"] == "application/json"
    assert (failed.status_code, failed.json()) == (400, {"problem": "Bad input: no name"})
    assert not_json.status_code == 500


def test_the_event_a_custom_integration_builds_reaches_the_function(rest_api, deploy, apigateway):
    r"""The template's values reach the function; AWS's idiom for a JSON string,
    `$util.escapeJavaScript(...).replaceAll("\\'","'")`, undoes escapeJavaScript's `\'` (not
    valid JSON): Velocity keeps the literal's two backslashes for Java's regex."""
    api = rest_api()
    function = deploy(HELLO)
    template = r"""{
        "name": "$input.params('who')",
        "surname": "$util.escapeJavaScript($input.path('$.surname')).replaceAll("\\'","'")",
        "agent": "$util.escapeJavaScript($input.params('X-Agent'))",
        "stage": "$stageVariables.colour",
        "path": "$context.resourcePath",
        "flag": $input.json('$.flag')
    }"""
    resource_id = api.method(
        "/hi",
        "POST",
        integration={
            "type": "AWS",
            "integrationHttpMethod": "POST",
            "uri": api.function_uri(function),
            "requestTemplates": {"application/json": template},
        },
    )
    _respond(apigateway, api, resource_id, "POST")
    api.deploy("prod", variables={"colour": "green"})

    response = api.call(
        "POST",
        "/prod/hi?who=ada",
        headers={"X-Agent": 'say "hi"'},
        json={"flag": True, "surname": "O'Brien"},
    )

    assert response.status_code == 200, response.text
    assert response.json()["seen"] == {
        "name": "ada",
        "surname": "O'Brien",
        "agent": 'say "hi"',
        "stage": "green",
        "path": "/hi",
        "flag": True,
    }


def test_passthrough_behaviour_decides_for_unmapped_content_types(rest_api, deploy, apigateway):
    """WHEN_NO_MATCH passes an unmapped body through; WHEN_NO_TEMPLATES refuses it when the
    integration has templates; NEVER refuses whatever has no template: 415 as AWS."""
    api = rest_api()
    function = deploy(NEW_ITEM)
    templates = {"application/json": '{"mapped": true}'}
    for path, behaviour in (
        ("/match", "WHEN_NO_MATCH"),
        ("/templates", "WHEN_NO_TEMPLATES"),
        ("/never", "NEVER"),
    ):
        resource_id = api.method(
            path,
            "POST",
            integration={
                "type": "AWS",
                "integrationHttpMethod": "POST",
                "uri": api.function_uri(function),
                "requestTemplates": templates,
                "passthroughBehavior": behaviour,
            },
        )
        _respond(apigateway, api, resource_id, "POST")
    api.deploy("prod")
    text = {"content": '{"raw": 1}', "headers": {"content-type": "text/plain"}}

    mapped = api.call("POST", "/prod/match", json={"a": 1})
    passed = api.call("POST", "/prod/match", **text)
    refused = [api.call("POST", f"/prod/{p}", **text) for p in ("templates", "never")]

    assert json.loads(mapped.json()["body"]) == {"mapped": True}
    assert json.loads(passed.json()["body"]) == {"raw": 1}
    for response in refused:
        assert response.status_code == 415
        assert response.json() == {"message": "Unsupported Media Type"}
        assert response.headers["x-amzn-errortype"] == "UnsupportedMediaTypeException"


def test_a_request_without_a_body_reaches_the_function_as_an_empty_object(
    rest_api, deploy, apigateway
):
    """A GET passed through to a Lambda custom integration (no template) gives the function
    `{}`, not an error; in a request template an empty body reads as `{}` for both
    `$input.body` and `$input.json('$')`, as on AWS."""
    api = rest_api()
    function = deploy("def handler(event, context):\n    return {'seen': event}\n")
    uri = api.function_uri(function)
    integration = {"type": "AWS", "integrationHttpMethod": "POST", "uri": uri}
    template = """{"json": $input.json('$'), "body": "$util.escapeJavaScript($input.body)"}"""
    plain = api.method("/plain", "GET", integration=integration)
    mapped = api.method(
        "/mapped",
        "GET",
        integration=integration | {"requestTemplates": {"application/json": template}},
    )
    for resource_id in (plain, mapped):
        _respond(apigateway, api, resource_id, "GET")
    api.deploy("prod")

    passed = api.call("GET", "/prod/plain")
    rendered = api.call("GET", "/prod/mapped")

    assert (passed.status_code, passed.json()) == (200, {"seen": {}})
    assert (rendered.status_code, rendered.json()) == (200, {"seen": {"json": {}, "body": "{}"}})


def test_an_http_integration_maps_parameters_and_selects_by_status(rest_api, apigateway, target):
    """HTTP (non-proxy): the URI's path variable, query string and header come from
    requestParameters; the echo server answers 207, which the selectionPattern picks."""
    api = rest_api()
    resource_id = api.method(
        "/items/{id}",
        "GET",
        requestParameters={"method.request.path.id": True, "method.request.querystring.q": False},
        integration={
            "type": "HTTP",
            "integrationHttpMethod": "GET",
            "uri": f"{target}/things/{{thing}}",
            "requestParameters": {
                "integration.request.path.thing": "method.request.path.id",
                "integration.request.querystring.search": "method.request.querystring.q",
                "integration.request.header.X-Fixed": "'yes'",
            },
        },
    )
    _respond(apigateway, api, resource_id, "GET")
    _respond(
        apigateway,
        api,
        resource_id,
        "GET",
        statusCode="202",
        selectionPattern="2\\d7",
        responseParameters={
            "method.response.header.X-Target": "integration.response.header.x-target"
        },
        responseTemplates={
            "application/json": (
                '{"path": "$input.path(\'$.path\')", "fixed": "$input.path(\'$.headers.x-fixed\')"}'
            )
        },
    )
    api.deploy("prod")

    response = api.call("GET", "/prod/items/42?q=red")

    assert response.status_code == 202, response.text
    assert response.json() == {"path": "/things/42?search=red", "fixed": "yes"}
    assert response.headers["x-target"] == "echo"


def test_an_http_proxy_integration_forwards_the_request(rest_api, target):
    api = rest_api()
    api.method(
        "/files/{proxy+}",
        "ANY",
        requestParameters={"method.request.path.proxy": True},
        integration={
            "type": "HTTP_PROXY",
            "integrationHttpMethod": "ANY",
            "uri": f"{target}/store/{{proxy}}",
            "requestParameters": {"integration.request.path.proxy": "method.request.path.proxy"},
        },
    )
    api.deploy("prod")

    response = api.call("PUT", "/prod/files/a/b.txt?v=1", content=b"data")

    assert response.status_code == 207
    seen = response.json()
    assert (seen["method"], seen["path"], seen["body"]) == ("PUT", "/store/a/b.txt?v=1", "data")


def test_aws_service_integrations_reach_queues_and_tables(server, rest_api, apigateway):
    """The two shapes AWS documents: SQS by path (…:sqs:path/<account>/<queue>, a form body)
    and DynamoDB by action (…:dynamodb:action/PutItem, JSON)."""
    sqs, dynamodb = server.client("sqs"), server.client("dynamodb")
    queue_url = sqs.create_queue(QueueName="from-gateway")["QueueUrl"]
    dynamodb.create_table(
        TableName="gateway-items",
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
    )
    region, account = server.settings.region, server.settings.account_id
    api = rest_api()
    queue_resource = api.method(
        "/queue",
        "POST",
        integration={
            "type": "AWS",
            "integrationHttpMethod": "POST",
            "uri": f"arn:aws:apigateway:{region}:sqs:path/{account}/from-gateway",
            "requestParameters": {
                "integration.request.header.Content-Type": "'application/x-www-form-urlencoded'"
            },
            "requestTemplates": {
                "application/json": "Action=SendMessage&MessageBody=$util.urlEncode($input.body)"
            },
        },
    )
    _respond(apigateway, api, queue_resource, "POST")
    table_resource = api.method(
        "/items/{id}",
        "PUT",
        integration={
            "type": "AWS",
            "integrationHttpMethod": "POST",
            "uri": f"arn:aws:apigateway:{region}:dynamodb:action/PutItem",
            "requestTemplates": {
                "application/json": json.dumps(
                    {
                        "TableName": "gateway-items",
                        "Item": {
                            "id": {"S": "$input.params('id')"},
                            "colour": {"S": "$input.path('$.colour')"},
                        },
                    }
                )
            },
        },
    )
    _respond(
        apigateway,
        api,
        table_resource,
        "PUT",
        responseTemplates={"application/json": '{"stored": "$input.params(\'id\')"}'},
    )
    api.deploy("prod")

    queued = api.call("POST", "/prod/queue", json={"order": 1})
    stored = api.call("PUT", "/prod/items/i1", json={"colour": "blue"})

    assert queued.status_code == 200, queued.text
    assert "SendMessageResponse" in queued.text or "MessageId" in queued.text
    messages = sqs.receive_message(QueueUrl=queue_url, WaitTimeSeconds=1)["Messages"]
    assert json.loads(messages[0]["Body"]) == {"order": 1}
    assert (stored.status_code, stored.json()) == (200, {"stored": "i1"})
    item = dynamodb.get_item(TableName="gateway-items", Key={"id": {"S": "i1"}})["Item"]
    assert item == {"id": {"S": "i1"}, "colour": {"S": "blue"}}


def test_a_template_overrides_the_status_and_a_broken_one_is_500(rest_api, apigateway, caplog):
    api = rest_api()
    resource_id = api.method(
        "/teapot",
        "GET",
        integration={
            "type": "MOCK",
            "requestTemplates": {"application/json": '{"statusCode": 200}'},
        },
    )
    _respond(
        apigateway,
        api,
        resource_id,
        "GET",
        responseTemplates={
            "application/json": (
                "#set($context.responseOverride.status = 418)\n"
                "#set($context.responseOverride.header.X_Pot = 'tea')"
                '{"short": "stout"}'
            )
        },
    )
    broken_id = api.method(
        "/broken",
        "GET",
        integration={"type": "MOCK", "requestTemplates": {"application/json": "#foreach($x in"}},
    )
    _respond(apigateway, api, broken_id, "GET")
    api.deploy("prod")

    teapot = api.call("GET", "/prod/teapot")
    broken = api.call("GET", "/prod/broken")

    assert (teapot.status_code, teapot.json()) == (418, {"short": "stout"})
    assert teapot.headers["x_pot"] == "tea"
    assert broken.status_code == 500
    assert "answers 500" in caplog.text


@pytest.mark.parametrize("kind", ["Event"])
def test_an_asynchronous_lambda_integration_answers_at_once(rest_api, deploy, apigateway, kind):
    api = rest_api()
    function = deploy(HELLO)
    resource_id = api.method(
        "/later",
        "POST",
        integration={
            "type": "AWS",
            "integrationHttpMethod": "POST",
            "uri": api.function_uri(function),
            "requestParameters": {"integration.request.header.X-Amz-Invocation-Type": f"'{kind}'"},
        },
    )
    _respond(
        apigateway,
        api,
        resource_id,
        "POST",
        responseTemplates={"application/json": '{"queued": true}'},
    )
    api.deploy("prod")

    response = api.call("POST", "/prod/later", json={"name": "x"})

    assert (response.status_code, response.json()) == (200, {"queued": True})
