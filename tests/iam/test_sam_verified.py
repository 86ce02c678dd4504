"""A SAM app deployed unchanged onto a server that checks signatures: the permissions SAM
adds (AWS::Lambda::Permission per event, the public one for a NONE function URL) are what
let API Gateway, SNS, EventBridge and the URL reach the function, and an API whose default
authorizer is AWS_IAM serves signed callers only."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from tests.templates.test_stacks import create, outputs, template

from stratus.testing import RunningServer

APP = template(
    """
    Transform: AWS::Serverless-2016-10-31
    Resources:
      Queue:
        Type: AWS::SQS::Queue
      Topic:
        Type: AWS::SNS::Topic
      Private:
        Type: AWS::Serverless::Api
        Properties:
          StageName: prod
          Auth: {DefaultAuthorizer: AWS_IAM}
      Fn:
        Type: AWS::Serverless::Function
        Properties:
          Runtime: python3.11
          Handler: index.handler
          Environment: {Variables: {QUEUE: !Ref Queue}}
          FunctionUrlConfig: {AuthType: NONE}
          InlineCode: |
            import json, os
            import boto3
            def handler(event, context):
                if "Records" in event or "detail-type" in event:
                    boto3.client("sqs").send_message(
                        QueueUrl=os.environ["QUEUE"], MessageBody=json.dumps(event))
                return {"statusCode": 200, "body": "hello"}
          Events:
            Rest: {Type: Api, Properties: {Path: /hello, Method: get}}
            Http: {Type: HttpApi, Properties: {Path: /hi, Method: get}}
            Signed: {Type: Api, Properties: {RestApiId: !Ref Private, Path: /signed, Method: get}}
            Note: {Type: SNS, Properties: {Topic: !Ref Topic}}
            Rule:
              Type: EventBridgeRule
              Properties: {Pattern: {source: [sam.app]}}
    Outputs:
      RestApi: {Value: !Ref ServerlessRestApi}
      HttpApi: {Value: !Ref ServerlessHttpApi}
      Private: {Value: !Ref Private}
      Url: {Value: !GetAtt FnUrl.FunctionUrl}
      Topic: {Value: !Ref Topic}
      Queue: {Value: !Ref Queue}
    """
)


def test_a_sam_app_works_with_signatures_checked(verified: RunningServer) -> None:
    name = create(verified.client("cloudformation"), APP, StackName=f"sam-{uuid.uuid4().hex[:6]}")
    found = outputs(verified.client("cloudformation"), name)
    base = f"{verified.endpoint_url}/_aws/execute-api"
    signed_url = f"{base}/{found['Private']}/prod/signed"
    request = AWSRequest("GET", signed_url)
    SigV4Auth(Credentials("test", "test"), "execute-api", "us-east-1").add_auth(request)

    rest = httpx.get(f"{base}/{found['RestApi']}/Prod/hello")
    http = httpx.get(f"{base}/{found['HttpApi']}/hi")
    url = httpx.get(found["Url"])  # Stratus's outputs give URLs that work here
    unsigned = httpx.get(signed_url)
    signed = httpx.get(signed_url, headers=dict(request.headers.items()))
    verified.client("sns").publish(TopicArn=found["Topic"], Message="note")
    verified.client("events").put_events(
        Entries=[{"Source": "sam.app", "DetailType": "t", "Detail": "{}"}]
    )
    verified.wait_idle()
    sqs = verified.client("sqs")
    seen: list[Any] = []
    for _ in range(3):
        got = sqs.receive_message(
            QueueUrl=found["Queue"], MaxNumberOfMessages=10, WaitTimeSeconds=1
        )
        seen += [json.loads(m["Body"]) for m in got.get("Messages", [])]
        if len(seen) >= 2:
            break

    assert [rest.status_code, http.status_code, url.status_code] == [200, 200, 200]
    assert (unsigned.status_code, signed.status_code) == (403, 200)
    assert sorted("Records" in e for e in seen) == [False, True]  # the rule's, the topic's
