"""Who may invoke a function once signatures are checked: IAM users by their own policies or
the function's resource policy (Invoke through the Lambda API), and the services that
trigger functions (API Gateway, SNS, EventBridge) by the function's resource policy."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
import pytest
from botocore.exceptions import ClientError
from tests.conftest import create_function

from stratus.testing import RunningServer

from .conftest import Client

ACCOUNT = "000000000000"
# Records each event it gets in a queue, so a test sees whether a trigger reached it.
RECORDER = """
import json, os
import boto3

def handler(event, context):
    boto3.client("sqs").send_message(QueueUrl=os.environ["QUEUE"], MessageBody=json.dumps(event))
    return {"statusCode": 200, "body": "recorded"}
"""


def _policy(effect: str, action: str, resource: str) -> str:
    return json.dumps(
        {"Version": "2012-10-17",
         "Statement": [{"Effect": effect, "Action": action, "Resource": resource}]}
    )  # fmt: skip


@pytest.fixture(scope="module")
def recorder(verified: RunningServer) -> tuple[str, str]:
    """(function name, queue URL) of a function that records what it gets."""
    queue = verified.client("sqs").create_queue(QueueName=f"seen-{uuid.uuid4().hex[:6]}")
    name = f"recorder-{uuid.uuid4().hex[:6]}"
    create_function(
        verified.client("lambda"), name, RECORDER,
        Environment={"Variables": {"QUEUE": queue["QueueUrl"]}},
    )  # fmt: skip
    return name, queue["QueueUrl"]


@pytest.fixture
def caller(verified: RunningServer) -> Any:
    def make(**policies: str) -> tuple[tuple[str, str], str]:
        iam = verified.client("iam")
        name = f"invoker-{uuid.uuid4().hex[:8]}"
        iam.create_user(UserName=name)
        for policy, document in policies.items():
            iam.put_user_policy(UserName=name, PolicyName=policy, PolicyDocument=document)
        key = iam.create_access_key(UserName=name)["AccessKey"]
        return (key["AccessKeyId"], key["SecretAccessKey"]), f"arn:aws:iam::{ACCOUNT}:user/{name}"

    return make


def _drain(verified: RunningServer, queue: str) -> list[Any]:
    verified.wait_idle()
    sqs = verified.client("sqs")
    found = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10, WaitTimeSeconds=1)
    messages = found.get("Messages", [])
    for message in messages:
        sqs.delete_message(QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"])
    return [json.loads(m["Body"]) for m in messages]


# -- Invoke through the Lambda API --------------------------------------------------------------
def test_a_user_without_permission_may_not_invoke(
    client_of: Client, caller: Any, recorder: tuple[str, str]
) -> None:
    key, arn = caller()
    lambda_ = client_of("lambda", *key)

    with pytest.raises(ClientError) as refused:
        lambda_.invoke(FunctionName=recorder[0], Payload=b"{}")

    error = refused.value.response["Error"]
    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert error["Code"] == "AccessDeniedException"
    assert error["Message"] == (
        f"User: {arn} is not authorized to perform: lambda:InvokeFunction on resource: "
        f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:{recorder[0]} because no identity-based "
        "policy allows the lambda:InvokeFunction action"
    )


def test_a_users_own_policy_lets_it_invoke(
    client_of: Client, caller: Any, recorder: tuple[str, str]
) -> None:
    resource = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:recorder-*"
    key, _ = caller(invoke=_policy("Allow", "lambda:InvokeFunction", resource))

    answer = client_of("lambda", *key).invoke(FunctionName=recorder[0], Payload=b"{}")

    assert answer["StatusCode"] == 200
    assert "FunctionError" not in answer


def test_the_functions_policy_lets_a_named_user_invoke(
    verified: RunningServer, client_of: Client, caller: Any, recorder: tuple[str, str]
) -> None:
    key, arn = caller()
    verified.client("lambda").add_permission(
        FunctionName=recorder[0], StatementId=f"u-{uuid.uuid4().hex[:6]}",
        Action="lambda:InvokeFunction", Principal=arn,
    )  # fmt: skip

    answer = client_of("lambda", *key).invoke(
        FunctionName=recorder[0], InvocationType="Event", Payload=b"{}"
    )

    assert answer["StatusCode"] == 202


def test_an_explicit_deny_refuses_even_an_admin(
    client_of: Client, caller: Any, recorder: tuple[str, str]
) -> None:
    key, _ = caller(
        admin=_policy("Allow", "*", "*"), no=_policy("Deny", "lambda:InvokeFunction", "*")
    )

    with pytest.raises(ClientError) as refused:
        client_of("lambda", *key).invoke(FunctionName=recorder[0], Payload=b"{}")

    assert refused.value.response["Error"]["Message"].endswith("with an explicit deny")


# -- triggers ---------------------------------------------------------------------------------
def test_an_http_api_needs_the_functions_permission(
    verified: RunningServer, recorder: tuple[str, str]
) -> None:
    """Without a statement for apigateway.amazonaws.com the integration answers 500, as AWS
    does; AddPermission (what SAM adds for an HttpApi event) lets it through."""
    apis, lambda_ = verified.client("apigatewayv2"), verified.client("lambda")
    name = f"trig-{uuid.uuid4().hex[:6]}"
    create_function(lambda_, name, "def handler(event, context):\n    return 'ok'\n")
    target = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:{name}"
    api = apis.create_api(Name=name, ProtocolType="HTTP", Target=target)["ApiId"]
    url = f"{verified.endpoint_url}/_aws/execute-api/{api}/anything"

    before = httpx.get(url)
    lambda_.add_permission(
        FunctionName=name, StatementId="api", Action="lambda:InvokeFunction",
        Principal="apigateway.amazonaws.com",
        SourceArn=f"arn:aws:execute-api:us-east-1:{ACCOUNT}:{api}/*/*/anything",
    )  # fmt: skip
    after = httpx.get(url)

    assert (before.status_code, before.json()) == (500, {"message": "Internal Server Error"})
    assert (after.status_code, after.text) == (200, "ok")


def test_a_topic_delivers_only_with_the_functions_permission(
    verified: RunningServer, recorder: tuple[str, str]
) -> None:
    sns = verified.client("sns")
    name, queue = recorder
    _drain(verified, queue)  # what the tests above recorded
    topic = sns.create_topic(Name=f"t-{uuid.uuid4().hex[:6]}")["TopicArn"]
    sns.subscribe(
        TopicArn=topic, Protocol="lambda",
        Endpoint=f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:{name}",
    )  # fmt: skip

    sns.publish(TopicArn=topic, Message="refused")
    refused = _drain(verified, queue)
    verified.client("lambda").add_permission(
        FunctionName=name, StatementId=f"sns-{uuid.uuid4().hex[:6]}",
        Action="lambda:InvokeFunction", Principal="sns.amazonaws.com", SourceArn=topic,
    )  # fmt: skip
    sns.publish(TopicArn=topic, Message="delivered")
    delivered = _drain(verified, queue)

    assert refused == []
    assert [e["Records"][0]["Sns"]["Message"] for e in delivered] == ["delivered"]


def test_a_rule_delivers_only_with_the_functions_permission(
    verified: RunningServer, recorder: tuple[str, str]
) -> None:
    events = verified.client("events")
    name, queue = recorder
    _drain(verified, queue)  # what the tests above recorded
    rule = f"r-{uuid.uuid4().hex[:6]}"
    rule_arn = events.put_rule(Name=rule, EventPattern=json.dumps({"source": [rule]}))["RuleArn"]
    events.put_targets(
        Rule=rule,
        Targets=[{"Id": "f", "Arn": f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:{name}"}],
    )
    entry = {"Source": rule, "DetailType": "t", "Detail": "{}"}

    events.put_events(Entries=[entry])
    refused = _drain(verified, queue)
    verified.client("lambda").add_permission(
        FunctionName=name, StatementId=f"ev-{uuid.uuid4().hex[:6]}",
        Action="lambda:InvokeFunction", Principal="events.amazonaws.com", SourceArn=rule_arn,
    )  # fmt: skip
    events.put_events(Entries=[entry])
    delivered = _drain(verified, queue)

    assert refused == []
    assert [e["source"] for e in delivered] == [rule]
