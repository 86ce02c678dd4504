"""HTTP APIs' AWS service integrations (IntegrationSubtype) end to end: made with boto3's
`apigatewayv2`, called over HTTP through the gateway, their effect checked with the
services' own clients."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from botocore.exceptions import ClientError
from tests.conftest import make_queue, unique

ROLE = "arn:aws:iam::000000000000:role/apigateway"
Make = Callable[[dict[str, tuple[Any, ...]]], str]


@pytest.fixture
def service_api(http_api: Any) -> Make:
    """make({route key: (subtype, request parameters[, other integration members])}) -> the
    id of an HTTP API with those routes on its auto-deployed $default stage (stage variable
    colour=green)."""

    def make(routes: dict[str, tuple[Any, ...]]) -> str:
        integrations = {
            key: {
                "IntegrationType": "AWS_PROXY", "IntegrationSubtype": subtype,
                "PayloadFormatVersion": "1.0", "CredentialsArn": ROLE,
                "RequestParameters": parameters, **(more[0] if more else {}),
            }
            for key, (subtype, parameters, *more) in routes.items()
        }  # fmt: skip
        return str(http_api(integrations, StageVariables={"colour": "green"}))

    return make


def _url(server: Any, api_id: str, path: str) -> str:
    return f"{server.endpoint_url}/_aws/execute-api/{api_id}{path}"


def test_queues_are_sent_to_received_from_deleted_from_and_purged(server, sqs, service_api):
    """The SQS subtypes answer in the JSON form of SQS's query API; parameters come from the
    body, the query string, headers (values joined by commas), the path, stage variables
    and context; a refusal is SQS's own error with its status."""
    url, _ = make_queue(sqs)
    api_id = service_api(
        {
            "POST /send/{group}": (
                "SQS-SendMessage",
                {
                    "QueueUrl": url,
                    "MessageBody": "$request.body",
                    "DelaySeconds": "$request.querystring.delay",
                    "MessageAttributes": (
                        '{"tags": {"DataType": "String", "StringValue": "$request.header.x-tag"},'
                        ' "where": {"DataType": "String",'
                        ' "StringValue": "$request.path.group/$stageVariables.colour"},'
                        ' "id": {"DataType": "String", "StringValue": "$context.requestId"}}'
                    ),
                },
            ),
            "GET /receive": (
                "SQS-ReceiveMessage",
                {"QueueUrl": url, "MaxNumberOfMessages": "5", "MessageAttributeNames": "All"},
            ),
            "DELETE /messages": (
                "SQS-DeleteMessage",
                {"QueueUrl": url, "ReceiptHandle": "$request.querystring.handle"},
            ),
            "POST /purge": ("SQS-PurgeQueue", {"QueueUrl": url}),
            "POST /nowhere": ("SQS-SendMessage", {"QueueUrl": url + "-gone", "MessageBody": "x"}),
        }
    )

    sent = httpx.post(
        _url(server, api_id, "/send/blue?delay=0"),
        content=b'{"order": 1}',
        headers=[("x-tag", "a"), ("x-tag", "b")],
    )
    received = httpx.get(_url(server, api_id, "/receive"))
    message = received.json()["ReceiveMessageResponse"]["ReceiveMessageResult"]["messages"][0]
    deleted = httpx.delete(
        _url(server, api_id, "/messages"), params={"handle": message["ReceiptHandle"]}
    )
    sqs.send_message(QueueUrl=url, MessageBody="left over")
    purged = httpx.post(_url(server, api_id, "/purge"))
    nowhere = httpx.post(_url(server, api_id, "/nowhere"))

    assert (sent.status_code, sent.headers["content-type"]) == (200, "application/json")
    result = sent.json()["SendMessageResponse"]["SendMessageResult"]
    assert result["MessageId"] == message["MessageId"]
    assert result["SequenceNumber"] is None
    assert sent.json()["SendMessageResponse"]["ResponseMetadata"]["RequestId"]
    assert json.loads(message["Body"]) == {"order": 1}
    attributes = {k: v["StringValue"] for k, v in message["MessageAttributes"].items()}
    assert attributes["tags"] == "a,b"
    assert attributes["where"] == "blue/green"
    assert attributes["id"] == sent.headers["apigw-requestid"]
    assert deleted.status_code == 200, deleted.text
    assert "DeleteMessageResponse" in deleted.json()
    assert purged.status_code == 200, purged.text
    assert "Messages" not in sqs.receive_message(QueueUrl=url, WaitTimeSeconds=0)
    assert nowhere.status_code == 400
    assert nowhere.json()["Error"]["Code"] == "AWS.SimpleQueueService.NonExistentQueue"
    assert nowhere.json()["Error"]["Type"] == "Sender"


def test_events_reach_a_rule_target_from_a_mapped_source(server, sqs, service_api):
    """EventBridge-PutEvents: the parameters are one entry (static text around a reference
    is kept, as in AWS's pattern `com.mycompany.$request.path.source`); PutEvents' answer
    is the client's; the event reaches the rule's target."""
    events = server.client("events")
    bus = unique("bus")
    bus_arn = events.create_event_bus(Name=bus)["EventBusArn"]
    url, queue_arn = make_queue(sqs)
    events.put_rule(Name="all", EventBusName=bus, EventPattern='{"source": [{"prefix": "com."}]}')
    events.put_targets(Rule="all", EventBusName=bus, Targets=[{"Id": "q", "Arn": queue_arn}])
    api_id = service_api(
        {
            "POST /{source}/{detailType}": (
                "EventBridge-PutEvents",
                {
                    "Source": "com.mycompany.$request.path.source",
                    "DetailType": "$request.path.detailType",
                    "Detail": "$request.body.order",
                    "EventBusName": bus_arn,
                    "Region": "eu-west-1",  # accepted, not used
                },
            )
        }
    )

    answer = httpx.post(
        _url(server, api_id, "/shop/OrderPlaced"), json={"order": {"id": "o-1", "total": 3}}
    )
    messages = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=10)["Messages"]

    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/x-amz-json-1.1"
    entries = answer.json()
    assert entries["FailedEntryCount"] == 0
    event = json.loads(messages[0]["Body"])
    assert event["id"] == entries["Entries"][0]["EventId"]
    assert (event["source"], event["detail-type"]) == ("com.mycompany.shop", "OrderPlaced")
    assert event["detail"] == {"id": "o-1", "total": 3}


def test_state_machines_are_started_synchronously_and_stopped(server, service_api):
    """StartSyncExecution answers with the execution's output (past TimeoutInMillis, 503);
    StartExecution with its ARN, and the execution runs; StopExecution aborts one; Step
    Functions' refusals keep their status and type."""
    sfn = server.client("stepfunctions")
    express = sfn.create_state_machine(
        name=unique("express"), roleArn=ROLE, type="EXPRESS",
        definition=json.dumps({"StartAt": "P", "States": {"P": {
            "Type": "Pass", "Parameters": {"hello.$": "$.name"}, "End": True}}}),
    )["stateMachineArn"]  # fmt: skip
    waiting = sfn.create_state_machine(
        name=unique("waiting"), roleArn=ROLE,
        definition=json.dumps({"StartAt": "W", "States": {"W": {
            "Type": "Wait", "Seconds": 86400, "End": True}}}),
    )["stateMachineArn"]  # fmt: skip
    slow = sfn.create_state_machine(
        name=unique("slow"), roleArn=ROLE, type="EXPRESS",
        definition=json.dumps({"StartAt": "W", "States": {"W": {
            "Type": "Wait", "Seconds": 60, "End": True}}}),
    )["stateMachineArn"]  # fmt: skip
    api_id = service_api(
        {
            "POST /slow": (
                "StepFunctions-StartSyncExecution",
                {"StateMachineArn": slow},
                {"TimeoutInMillis": 200},
            ),
            "POST /sync": (
                "StepFunctions-StartSyncExecution",
                {"StateMachineArn": express, "Input": "$request.body"},
            ),
            "POST /start/{name}": (
                "StepFunctions-StartExecution",
                {"StateMachineArn": waiting, "Name": "$request.path.name", "Input": "{}"},
            ),
            "POST /stop": (
                "StepFunctions-StopExecution",
                {"ExecutionArn": "$request.body.arn", "Cause": "$request.header.x-why"},
            ),
        }
    )

    synced = httpx.post(_url(server, api_id, "/sync"), json={"name": "ada"}, timeout=30)
    started = httpx.post(_url(server, api_id, "/start/first"))
    arn = started.json()["executionArn"]
    stopped = httpx.post(
        _url(server, api_id, "/stop"), json={"arn": arn}, headers={"x-why": "done"}
    )
    missing = httpx.post(_url(server, api_id, "/stop"), json={"arn": arn + "-nope"})
    late = httpx.post(_url(server, api_id, "/slow"), timeout=30)
    server.advance(60)  # the execution runs on, and ends

    assert synced.status_code == 200, synced.text
    assert synced.json()["status"] == "SUCCEEDED"
    assert json.loads(synced.json()["output"]) == {"hello": "ada"}
    assert started.status_code == 200, started.text
    assert arn.endswith(":first")
    assert stopped.status_code == 200, stopped.text
    assert "stopDate" in stopped.json()
    described = sfn.describe_execution(executionArn=arn)
    assert (described["status"], described["cause"]) == ("ABORTED", "done")
    assert missing.status_code == 400
    assert missing.json()["__type"] in ("ExecutionDoesNotExist", "InvalidArn")
    assert (late.status_code, late.json()) == (503, {"message": "Service Unavailable"})


def test_integrations_are_checked_read_updated_and_exported(apigw, service_api):
    """CreateIntegration refuses what AWS refuses and names services Stratus lacks;
    GetIntegration and ExportApi give the subtype back; UpdateIntegration re-checks."""
    api_id = service_api({})

    def refusal(**change: Any) -> str:
        request = {
            "ApiId": api_id, "IntegrationType": "AWS_PROXY", "PayloadFormatVersion": "1.0",
            "IntegrationSubtype": "SQS-SendMessage",
            "RequestParameters": {"QueueUrl": "u", "MessageBody": "$request.body"},
        } | change  # fmt: skip
        with pytest.raises(ClientError) as caught:
            apigw.create_integration(**request)
        assert caught.value.response["Error"]["Code"] == "BadRequestException"
        return str(caught.value.response["Error"]["Message"])

    assert "Amazon Kinesis Data Streams, which Stratus does not serve" in refusal(
        IntegrationSubtype="Kinesis-PutRecord"
    )
    assert "AWS AppConfig" in refusal(IntegrationSubtype="AppConfig-GetConfiguration")
    assert "Invalid IntegrationSubtype 'SQS-Nope'" in refusal(IntegrationSubtype="SQS-Nope")
    assert "must map MessageBody" in refusal(RequestParameters={"QueueUrl": "u"})
    assert "Invalid request parameter 'Body'" in refusal(
        RequestParameters={"QueueUrl": "u", "MessageBody": "m", "Body": "b"}
    )
    assert "filter expressions" in refusal(
        RequestParameters={"QueueUrl": "u", "MessageBody": "$request.body.a[?(@.b)]"}
    )
    assert "$request.header.<name>" in refusal(
        RequestParameters={"QueueUrl": "u", "MessageBody": "$request.cookie.a"}
    )
    assert "PayloadFormatVersion must be 1.0" in refusal(PayloadFormatVersion="2.0")
    assert "needs IntegrationType AWS_PROXY" in refusal(IntegrationType="HTTP_PROXY")
    made = apigw.create_integration(
        ApiId=api_id, IntegrationType="AWS_PROXY", PayloadFormatVersion="1.0",
        IntegrationSubtype="StepFunctions-StartExecution", CredentialsArn=ROLE,
        RequestParameters={"StateMachineArn": "arn:aws:states:us-east-1:0:stateMachine:m"},
    )  # fmt: skip
    apigw.create_route(
        ApiId=api_id, RouteKey="POST /go", Target=f"integrations/{made['IntegrationId']}"
    )
    apigw.update_integration(
        ApiId=api_id, IntegrationId=made["IntegrationId"],
        RequestParameters={"StateMachineArn": "$stageVariables.machine", "Input": "$request.body"},
    )  # fmt: skip
    found = apigw.get_integration(ApiId=api_id, IntegrationId=made["IntegrationId"])
    exported = json.loads(
        apigw.export_api(ApiId=api_id, Specification="OAS30", OutputType="JSON")["body"].read()
    )
    with pytest.raises(ClientError, match="must map StateMachineArn"):
        apigw.update_integration(
            ApiId=api_id, IntegrationId=made["IntegrationId"], RequestParameters={"Input": "x"}
        )

    assert found["IntegrationSubtype"] == "StepFunctions-StartExecution"
    assert found["CredentialsArn"] == ROLE
    assert found["RequestParameters"] == {
        "StateMachineArn": "$stageVariables.machine", "Input": "$request.body"
    }  # fmt: skip
    assert "IntegrationUri" not in found
    assert "IntegrationMethod" not in found
    integration = exported["paths"]["/go"]["post"]["x-amazon-apigateway-integration"]
    assert integration["integrationSubtype"] == "StepFunctions-StartExecution"
    assert integration["requestParameters"]["Input"] == "$request.body"
    assert integration["credentials"] == ROLE
    assert "uri" not in integration
